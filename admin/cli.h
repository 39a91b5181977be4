/*
 * cli — private to the portcullis command (admin/cli*.c): the state of one
 * run, what every command shares, and the commands the dispatcher (cli.c)
 * names. cli_output.c shows and reads things for the person at the
 * terminal; cli_users.c holds the user and admin commands, cli_groups.c
 * the group commands and user explain, cli_kerberos.c kerberos check,
 * cli_vouchers.c the voucher commands and user devices, cli_portal.c the
 * portal's look, cli_lists.c the others.
 */
#ifndef PORTCULLIS_CLI_H
#define PORTCULLIS_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define DEFAULT_DB "/var/lib/portcullis/portcullis.db"
#define DEFAULT_CONF "/etc/portcullis/portcullis.conf"
#define AUDIT_LIMIT_MAX 1000000

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct config;

struct cli {
	const char *db_path;          /* -d or $PORTCULLIS_DB; NULL: see cli_open */
	const char *db_from;          /* where db_path came from, for the person */
	const char *conf_path;
	int conf_named;               /* -c or $PORTCULLIS_CONF: it must be there */
	struct config *cfg;           /* conf_path once loaded */
	struct store *st;
	int json;
	char actor[300];
	char realm[STORE_REALM_MAX + 1];   /* the daemon's Digest realm, once known */
	const char *realm_from;       /* where it came from, for the person */
};

/* The terminal shows UTF-8 (the locale says so): printable characters of
 * names are shown as they are, not as \xHH. */
extern int term_utf8;

/* "portcullis: " and the message on standard error. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the database (cli.c) */

/* Open the database: -d DBFILE, else $PORTCULLIS_DB, else [db] path of the
 * daemon's configuration, else DEFAULT_DB when there is no configuration.
 * create: a missing file is made (else it is an error). 0, or -1 printed. */
int cli_open(struct cli *c, int create);
/* An error of the store, for the person at the terminal; EXIT_FAILED. */
int db_failed(const struct cli *c, int rc, const char *what);
/* Load the daemon's configuration into c->cfg once: 1 loaded, 0 there is
 * none (and none was named), -1 printed (why says what it is needed for). */
int cli_config(struct cli *c, const char *why);
/* The Digest realm the daemon uses into c->realm; 0, or -1 printed. */
int cli_realm(struct cli *c);
/* The admin action that goes with a change, in the change's transaction,
 * then commit: both are written or neither. 0 or a store error. */
int commit_with_action(struct cli *c, const char *action, const char *target,
		       const char *detail);

/* ---- showing things (cli_output.c) */

/* s as a terminal may show it, in a new string (control bytes, backslash,
 * bytes that are not printable and hidden format characters as \xHH);
 * *width the columns it takes. NULL when out of memory. */
char *display(const char *s, size_t *width);

#define TABLE_COLS 16
#define TABLE_CHUNK 500

/* Rows collected and printed with every column as wide as its widest
 * cell. Long listings are printed every TABLE_CHUNK rows so memory stays
 * bounded; a later chunk can only widen a column. */
struct table {
	size_t ncols;
	const char *head[TABLE_COLS];
	size_t width[TABLE_COLS];
	char **cells;             /* nrows * ncols copies of the raw text */
	size_t nrows;
	int printed_head;
};

void table_init(struct table *t, size_t ncols, const char *const *head);
/* Takes the ncols strings as they are stored; copies them. */
int table_row(struct table *t, const char *const *cells);
void table_fini(struct table *t);

/* JSON arrays are written one element at a time, each element dumped by
 * jansson, so that an audit listing of a million rows needs no more
 * memory than one row. */
struct json_list {
	size_t n;
	int failed;
};

void json_list_begin(struct json_list *l);
/* Takes ownership of v. */
void json_list_add(struct json_list *l, json_t *v);
int json_list_end(struct json_list *l);
/* Takes ownership of v. */
void json_print(json_t *v);

/* A listing as a table or (--json) as a JSON array. */
struct listing {
	struct cli *c;
	struct table t;
	struct json_list j;
	size_t n;
};

void listing_begin(struct listing *l, struct cli *c, size_t ncols, const char *const *head);
/* What every plain list command does first: --json its only option, no
 * positional argument, the database opened, then listing_begin. EXIT_DONE
 * (then listing_end must follow), or the exit code of a usage error or a
 * database that would not open (printed). */
int listing_open(struct listing *l, struct cli *c, int argc, char **argv, size_t ncols,
		 const char *const *head);
/* rc: what the store said; EXIT_DONE or what db_failed says. */
int listing_end(struct listing *l, int rc, const char *what);

/* "YYYY-MM-DD HH:MM[:SS]" local time, or "never" for 0; returns buf. */
const char *fmt_time(int64_t t, int seconds, char *buf, size_t len);
const char *fmt_rate(uint64_t bytes_per_s, char *buf, size_t len);
/* A point in time (see the usage text); direction -1 for a duration ago,
 * +1 from now. 0, or -1 printed. */
int parse_time(const char *s, int direction, int64_t *out);

/* One line from standard input into buf (without its line end): 0, 1 at
 * the end of input with nothing read, -1 too long or holding a NUL byte.
 * read_tty_line reads it without echo after prompt on a terminal. */
int read_line(char *buf, size_t len, size_t *n);
int read_tty_line(const char *prompt, char *buf, size_t len, size_t *n);
/* The new password for who from standard input (typed twice without echo
 * on a terminal). 0, or -1 with the reason printed. */
int read_password(const char *who, char *buf, size_t len, size_t *n);

/* ---- arguments (cli_output.c) */

/* An option of a command: a flag (value NULL) or one with a value. */
struct opt {
	const char *name;         /* "--comment" */
	const char **value;       /* where the value goes, NULL for a flag */
	int *flag;
};

struct args {
	char *pos[8];
	int npos;
};

/* Split argv into options of spec and positional arguments (minpos to
 * maxpos); -1 on a usage error (printed). */
int parse_args(int argc, char **argv, const struct opt *spec, int minpos, int maxpos,
	       struct args *a);
/* An error about a name: "before'NAME'after", the name escaped. */
void error_name(const char *before, const char *name, const char *after);
/* 1 when name is a valid user or admin name, else 0 printed. */
int valid_name(const char *kind, const char *name);
/* "what NAME how" on standard output, the name escaped. */
void done_name(const char *what, const char *name, const char *how);

/* ---- commands: 0 done, 1 failed, 2 usage error */

int cmd_user_list(struct cli *c, int argc, char **argv);          /* cli_users.c */
int cmd_user_show(struct cli *c, int argc, char **argv);
int cmd_user_add(struct cli *c, int argc, char **argv);
int cmd_user_change(struct cli *c, const char *sub, int argc, char **argv);
int cmd_user_set(struct cli *c, int argc, char **argv);
int cmd_user_quota(struct cli *c, int argc, char **argv);
int cmd_admin_list(struct cli *c, int argc, char **argv);
int cmd_admin_change(struct cli *c, const char *sub, int argc, char **argv);
int cmd_whitelist_list(struct cli *c, int argc, char **argv);     /* cli_lists.c */
int cmd_whitelist_change(struct cli *c, const char *sub, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_actions(struct cli *c, int argc, char **argv);
int cmd_session_list(struct cli *c, int argc, char **argv);
int cmd_session_kick(struct cli *c, int argc, char **argv);
int cmd_digest(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_migrate(struct cli *c, int argc, char **argv);
int cmd_radius_test(struct cli *c, int argc, char **argv);
/* cli_kerberos.c */
int cmd_kerberos_check(struct cli *c, int argc, char **argv);
int cmd_group_list(struct cli *c, int argc, char **argv);         /* cli_groups.c */
int cmd_group_change(struct cli *c, const char *sub, int argc, char **argv);
int cmd_group_member(struct cli *c, int argc, char **argv);
int cmd_user_explain(struct cli *c, int argc, char **argv);
int cmd_policy_set(struct cli *c, int argc, char **argv);         /* cli_policies.c */
int cmd_policy_show(struct cli *c, int argc, char **argv);
int cmd_policy_list(struct cli *c, int argc, char **argv);
int cmd_policy_del(struct cli *c, int argc, char **argv);
int cmd_voucher_create(struct cli *c, int argc, char **argv);     /* cli_vouchers.c */
int cmd_voucher_list(struct cli *c, int argc, char **argv);
int cmd_voucher_revoke(struct cli *c, int argc, char **argv);
int cmd_voucher_export(struct cli *c, int argc, char **argv);
int cmd_user_devices(struct cli *c, int argc, char **argv);
int cmd_portal_show(struct cli *c, int argc, char **argv);        /* cli_portal.c */
int cmd_portal_set(struct cli *c, int argc, char **argv);
int cmd_portal_logo(struct cli *c, int argc, char **argv);

/* What a quota option takes, for its error message (admin_input_bytes). */
#define CLI_BYTES_RULE "takes bytes: digits with an optional unit (5MB, 1GB decimal; 1GiB, " \
	"500MiB binary), or none"

#endif
