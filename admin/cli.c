/*
 * portcullis — manage a Portcullis database from a shell (portcullis(8)):
 * proxy users, admin accounts, the whitelist, sessions, the audit trail,
 * backups and schema migrations.
 *
 * It works on the same database as a running daemon: the daemon notices a
 * change through the generation counters within half a second. Every
 * change is written in one transaction with its admin action record, by
 * "cli:<unix user>". Stored strings are shown escaped (a username is
 * whatever a client sent), JSON comes from jansson. Exit status: 0 done,
 * 1 failed, 2 usage error.
 *
 * This file: the options, the command table and its dispatch, the
 * database and configuration; the commands are in cli_users.c and
 * cli_lists.c, what they share in cli_output.c (cli.h).
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "process.h"
#include "store.h"

int term_utf8;

void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("portcullis: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------ database */

/* The daemon's configuration: -c FILE, else $PORTCULLIS_CONF, else
 * DEFAULT_CONF when there is a file there. Loaded once into c->cfg. 1
 * loaded, 0 there is none (nothing at the default place), -1 it cannot be
 * read (printed, with why it was needed). */
int cli_config(struct cli *c, const char *why)
{
	char err[700];

	if (c->cfg)
		return 1;
	if (!c->conf_named && access(c->conf_path, F_OK) < 0)
		return 0;
	c->cfg = malloc(sizeof(*c->cfg));
	if (!c->cfg || config_load(c->cfg, c->conf_path, err, sizeof(err)) < 0) {
		errorf("%s; %s", c->cfg ? err : "out of memory", why);
		free(c->cfg);
		c->cfg = NULL;
		return -1;
	}
	return 1;
}

/* The database file: -d DBFILE, else $PORTCULLIS_DB, else [db] path of
 * the daemon's configuration (so that the CLI works on the daemon's
 * database wherever the administrator moved it), else DEFAULT_DB when
 * there is no configuration. 0, or -1 with the reason printed. */
static int cli_db_path(struct cli *c)
{
	int rc;

	if (c->db_path)
		return 0;
	rc = cli_config(c, "the database is [db] path of the daemon's configuration "
			   "(-c FILE names it) unless -d DBFILE names one");
	if (rc < 0)
		return -1;
	if (rc == 1) {
		c->db_path = c->cfg->db_path;
		c->db_from = "[db] path in the configuration";
	} else {
		c->db_path = DEFAULT_DB;
		c->db_from = "the default";
	}
	if (!c->db_path[0]) {
		errorf("empty database path");
		return -1;
	}
	return 0;
}

int cli_open(struct cli *c, int create)
{
	char err[512];

	if (cli_db_path(c) < 0)
		return -1;
	if (!create && access(c->db_path, F_OK) < 0) {
		errorf("no database at %s (%s, %s); -d DBFILE or $PORTCULLIS_DB chooses another, "
		       "'portcullis migrate' creates it", c->db_path, c->db_from, strerror(errno));
		return -1;
	}
	c->st = store_open(c->db_path, err, sizeof(err));
	if (!c->st) {
		errorf("%s", err);
		return -1;
	}
	return 0;
}

/* An error of the store, for the person at the terminal. */
int db_failed(const struct cli *c, int rc, const char *what)
{
	if (rc == -EBUSY)
		errorf("cannot %s: the database %s is locked by another writer; try again",
		       what, c->db_path);
	else if (rc == -ENOSPC)
		errorf("cannot %s: the disk holding %s is full", what, c->db_path);
	else if (rc == -EINVAL)
		errorf("cannot %s: a value is too long", what);
	else
		errorf("cannot %s: database error in %s", what, c->db_path);
	return EXIT_FAILED;
}

/*
 * The Digest realm the daemon uses, which Digest secrets must be made for:
 * [auth] realm of the daemon's configuration file (-c FILE, else
 * $PORTCULLIS_CONF, else DEFAULT_CONF). Without a file at the default
 * place (a database used apart from an installed daemon), the realm the
 * daemon recorded in the database at its last start (the built-in default
 * before the first). Needs the database open. 0, or -1 with the reason
 * printed.
 */
int cli_realm(struct cli *c)
{
	struct config *cfg;

	int rc;

	if (c->realm[0])
		return 0;
	rc = cli_config(c, "the Digest realm is read from the daemon's configuration "
			   "(-c FILE names it)");
	if (rc < 0)
		return -1;
	if (rc == 1) {
		snprintf(c->realm, sizeof(c->realm), "%s", c->cfg->realm);
		c->realm_from = c->conf_path;
		return 0;
	}
	if (account_daemon_realm(c->st, c->realm, sizeof(c->realm)) == 0) {
		c->realm_from = "the database: the daemon's at its last start, the default before";
		return 0;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		errorf("out of memory");
		return -1;
	}
	config_defaults(cfg);
	snprintf(c->realm, sizeof(c->realm), "%s", cfg->realm);
	c->realm_from = "the built-in default";
	free(cfg);
	return 0;
}

/* The admin action that goes with a change, in the change's transaction,
 * then commit: both are written or neither. 0 or a store error. */
int commit_with_action(struct cli *c, const char *action, const char *target,
			      const char *detail)
{
	int rc = store_admin_action_insert(c->st, (int64_t)time(NULL) * 1000, c->actor, action,
					   target, detail ? detail : "", "");

	if (rc < 0) {
		store_rollback(c->st);
		return rc;
	}
	return store_commit(c->st);
}

/* ------------------------------------------------------------ dispatch */

struct command {
	const char *group, *sub;      /* sub NULL: the group is the command */
	const char *args;
	const char *help;
	int (*run)(struct cli *c, int argc, char **argv);
	int (*run_sub)(struct cli *c, const char *sub, int argc, char **argv);
};

static const struct command commands[] = {
	{ "user", "add", "NAME [--comment TEXT] [--expires DATE|never]",
	  "add a proxy user; the password is read from standard input", cmd_user_add, NULL },
	{ "user", "passwd", "NAME", "set a new password, read from standard input", NULL,
	  cmd_user_change },
	{ "user", "disable", "NAME", "refuse the user's logins", NULL, cmd_user_change },
	{ "user", "enable", "NAME", "allow the user's logins again", NULL, cmd_user_change },
	{ "user", "expiry", "NAME DATE|never",
	  "the user's logins stop at DATE (YYYY-MM-DD[THH:MM], local time, or 30d from now)",
	  NULL, cmd_user_change },
	{ "user", "comment", "NAME TEXT...", "set the user's comment", NULL, cmd_user_change },
	{ "user", "del", "NAME", "delete the user", NULL, cmd_user_change },
	{ "user", "set", "NAME --class CLASS|none",
	  "the user's bandwidth class, one of [shaping] classes (none: the default class)",
	  cmd_user_set, NULL },
	{ "user", "quota", "NAME [--session BYTES] [--day BYTES] [--month BYTES]",
	  "the user's data quotas (bytes in + out; 5MB = 5 000 000, 1GiB = 2^30; none or 0:\n"
	  "        no quota; they win over a group policy's); the day starts at local midnight,\n"
	  "        the month on the 1st; no option: show them",
	  cmd_user_quota, NULL },
	{ "user", "list", "[--json] [SEARCH]", "list users, or those whose name contains SEARCH",
	  cmd_user_list, NULL },
	{ "user", "show", "[--json] NAME", "show one user", cmd_user_show, NULL },
	{ "user", "explain", "[--json] NAME", "where NAME's password is checked (the first of\n"
	  "        [auth] sources that knows the name), the groups and the policy that apply",
	  cmd_user_explain, NULL },
	{ "user", "devices", "NAME N|none", "how many devices may be logged in at once under NAME\n"
	  "        on the portal (at the limit the portal offers to sign out the oldest)",
	  cmd_user_devices, NULL },
	{ "group", "add", "NAME", "add a local group (of local users)", NULL, cmd_group_change },
	{ "group", "del", "NAME", "delete a local group and its memberships", NULL,
	  cmd_group_change },
	{ "group", "list", "[--json]", "list the local groups", cmd_group_list, NULL },
	{ "group", "member", "add|del GROUP USER", "put a local user in a group, or take it out",
	  cmd_group_member, NULL },
	{ "policy", "set", "GROUP|--default [--priority N] [--deny|--allow] [--windows TEXT]\n"
	  "        [--lifetime S] [--idle S] [--allow-dest LIST] [--deny-dest LIST] [--class NAME]\n"
	  "        [--quota-session BYTES] [--quota-day BYTES] [--quota-month BYTES]\n"
	  "        [--quota-class NAME|none]",
	  "set a group's policy (or the default one); what is not given stays; the quotas\n"
	  "        hold the group's users who have none of their own", cmd_policy_set,
	  NULL },
	{ "policy", "show", "[--json] GROUP|--default", "show one policy", cmd_policy_show, NULL },
	{ "policy", "list", "[--json]", "list the policies, first applied first", cmd_policy_list,
	  NULL },
	{ "policy", "del", "GROUP|--default", "delete a policy", cmd_policy_del, NULL },
	{ "admin", "add", "NAME [--role admin|frontdesk|auditor]",
	  "add an admin panel account (role admin unless --role); password from standard input",
	  NULL, cmd_admin_change },
	{ "admin", "set", "NAME --role admin|frontdesk|auditor",
	  "change an admin account's role (applies to its open sessions at once)", NULL,
	  cmd_admin_change },
	{ "admin", "passwd", "NAME", "set an admin's password, read from standard input", NULL,
	  cmd_admin_change },
	{ "admin", "del", "NAME", "delete an admin account", NULL, cmd_admin_change },
	{ "admin", "list", "[--json]", "list admin accounts", cmd_admin_list, NULL },
	{ "whitelist", "add", "CIDR [COMMENT...]",
	  "let an address or prefix pass without credentials", NULL, cmd_whitelist_change },
	{ "whitelist", "del", "CIDR", "remove a whitelist entry", NULL, cmd_whitelist_change },
	{ "whitelist", "list", "[--json]", "list the whitelist", cmd_whitelist_list, NULL },
	{ "audit", NULL, "[--json] [--since TIME] [--until TIME] [--user NAME] [--addr ADDRESS]\n"
	  "                  [--reason REASON] [--mode MODE] [--limit N]",
	  "failed authentications, newest first (100 unless --limit)", cmd_audit, NULL },
	{ "actions", NULL, "[--json] [--limit N]", "the admin action log, newest first",
	  cmd_actions, NULL },
	{ "voucher", "create", "N --validity DURATION [--length N] [--alphabet numeric|safe]\n"
	  "                  [--comment TEXT] [--expires TIME] [--devices N] [--quota BYTES]\n"
	  "                  [--class NAME] [--csv|--json]",
	  "make a roll of N guest codes and print them (the only time they can be)",
	  cmd_voucher_create, NULL },
	{ "voucher", "list", "[--json]", "the voucher rolls with their unused, used, expired and\n"
	  "        revoked codes", cmd_voucher_list, NULL },
	{ "voucher", "revoke", "ROLL|ROLL-NUMBER", "revoke a roll or one code; their sessions end",
	  cmd_voucher_revoke, NULL },
	{ "voucher", "export", "ROLL", "the roll's codes and their state as CSV", cmd_voucher_export,
	  NULL },
	{ "portal", "show", "[--json]", "the portal's title, colours and logo", cmd_portal_show, NULL },
	{ "portal", "set", "[--title TEXT] [--accent #rrggbb] [--background #rrggbb] [--text #rrggbb]",
	  "set the portal's title and colours (\"\" for the default)", cmd_portal_set, NULL },
	{ "portal", "logo", "FILE|--remove", "the portal's logo: a PNG, JPEG, GIF or WebP image of\n"
	  "        at most 256 KiB", cmd_portal_logo, NULL },
	{ "session", "list", "[--json]", "list intercept-mode sessions", cmd_session_list, NULL },
	{ "session", "kick", "ADDRESS", "end a client's session", cmd_session_kick, NULL },
	{ "digest", NULL, "[status|off|on]",
	  "whether Digest secrets are stored (off: drop them all, store none, offer no Digest)",
	  cmd_digest, NULL },
	{ "radius", "test", "USER", "check USER's password (one line from standard input) against\n"
	  "        the [radius] servers; exit 0 on Access-Accept, print the attributes",
	  cmd_radius_test, NULL },
	{ "kerberos", "check", "", "read [kerberos] keytab: its principals and enctypes, whether the\n"
	  "        daemon can use it, the host name and clock, what clients must set",
	  cmd_kerberos_check, NULL },
	{ "backup", NULL, "FILE", "consistent copy of the live database (SQLite online backup),\n"
	  "        readable by its owner only", cmd_backup, NULL },
	{ "migrate", NULL, "", "create or upgrade the database schema, print its version",
	  cmd_migrate, NULL },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_line(FILE *f, const char *prefix, const struct command *cmd)
{
	fprintf(f, "%s%s%s%s%s%s\n", prefix, cmd->group, cmd->sub ? " " : "",
		cmd->sub ? cmd->sub : "", cmd->args[0] ? " " : "", cmd->args);
}

/* Every command, or those of one group. */
static void usage(FILE *f, const char *group)
{
	fprintf(f, "usage: portcullis [-d DBFILE] [-c CONFFILE] [--json] COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (group && strcmp(group, commands[i].group))
			continue;
		usage_line(f, "  ", &commands[i]);
		fprintf(f, "        %s\n", commands[i].help);
	}
	if (!group || !strcmp(group, "audit") || !strcmp(group, "user")) {
		fprintf(f, "\nTIME is YYYY-MM-DD[THH:MM[:SS]] in local time, @UNIXTIME, or a duration\n"
			   "(30m, 2h, 7d, 2w): ago for the audit, from now for an expiry.\n");
	}
	if (!group) {
		fprintf(f, "\nThe database is -d DBFILE, else $PORTCULLIS_DB, else [db] path of the\n"
			   "daemon's configuration, else %s.\n"
			   "The daemon's configuration (its database and Digest realm) is -c CONFFILE,\n"
			   "else $PORTCULLIS_CONF, else %s if it exists.\n"
			   "A running daemon sees changes within a second. Exit status: 0 done,\n"
			   "1 failed, 2 usage error.\n", DEFAULT_DB, DEFAULT_CONF);
	}
}

static int has_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static void set_actor(struct cli *c)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw)
		snprintf(c->actor, sizeof(c->actor), "cli:%s", pw->pw_name);
	else
		snprintf(c->actor, sizeof(c->actor), "cli:uid %u", (unsigned)getuid());
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct command *cmd = NULL;
	const char *env = getenv("PORTCULLIS_DB"), *conf_env = getenv("PORTCULLIS_CONF");
	int i = 1, rc, nwords;
	char err[256];

	/* the store's warnings would repeat what the CLI says itself */
	log_init(LOG_LEVEL_ERROR, 0);
	/* passwords are read from standard input: no core file may hold them */
	if (process_harden(NULL, err, sizeof(err)) < 0) {
		errorf("%s", err);
		return EXIT_FAILED;
	}
	setlocale(LC_CTYPE, "");
	term_utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (env && env[0]) {
		c.db_path = env;
		c.db_from = "$PORTCULLIS_DB";
	}
	c.conf_named = conf_env && conf_env[0];
	c.conf_path = c.conf_named ? conf_env : DEFAULT_CONF;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, NULL);
			return EXIT_DONE;
		} else if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--db")) {
			if (++i >= argc) {
				errorf("%s needs a database file", argv[i - 1]);
				return EXIT_USAGE;
			}
			c.db_path = argv[i];
			c.db_from = "-d";
		} else if (!strncmp(argv[i], "--db=", 5)) {
			c.db_path = argv[i] + 5;
			c.db_from = "-d";
		} else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (++i >= argc) {
				errorf("%s needs a configuration file", argv[i - 1]);
				return EXIT_USAGE;
			}
			c.conf_path = argv[i];
			c.conf_named = 1;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			c.conf_path = argv[i] + 9;
			c.conf_named = 1;
		} else if (!strncmp(argv[i], "-d", 2)) {
			c.db_path = argv[i] + 2;
			c.db_from = "-d";
		} else {
			errorf("unknown option '%s'; 'portcullis --help' lists what there is", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (c.db_path && !c.db_path[0]) {
		errorf("empty database path");
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout, i + 1 < argc ? argv[i + 1] : NULL);
		return EXIT_DONE;
	}
	for (size_t k = 0; k < N_COMMANDS; k++) {
		if (strcmp(commands[k].group, argv[i]))
			continue;
		if (!commands[k].sub || (i + 1 < argc && !strcmp(commands[k].sub, argv[i + 1]))) {
			cmd = &commands[k];
			break;
		}
	}
	if (!cmd) {
		int known_group = 0;

		for (size_t k = 0; k < N_COMMANDS; k++)
			known_group |= !strcmp(commands[k].group, argv[i]);
		if (known_group && i + 1 < argc && has_help(argc - i - 1, argv + i + 1)) {
			usage(stdout, argv[i]);
			return EXIT_DONE;
		}
		if (!known_group) {
			errorf("unknown command '%s'; 'portcullis --help' lists them", argv[i]);
			return EXIT_USAGE;
		}
		if (i + 1 < argc)
			errorf("unknown %s command '%s'", argv[i], argv[i + 1]);
		usage(stderr, argv[i]);
		return EXIT_USAGE;
	}
	nwords = cmd->sub ? 2 : 1;
	if (has_help(argc - i - nwords, argv + i + nwords)) {
		usage_line(stdout, "usage: portcullis [-d DBFILE] ", cmd);
		printf("  %s\n", cmd->help);
		return EXIT_DONE;
	}
	set_actor(&c);
	if (cmd->run)
		rc = cmd->run(&c, argc - i - nwords, argv + i + nwords);
	else
		rc = cmd->run_sub(&c, cmd->sub, argc - i - nwords, argv + i + nwords);
	if (rc == EXIT_USAGE)
		usage_line(stderr, "usage: portcullis [-d DBFILE] ", cmd);
	store_close(c.st);
	free(c.cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errorf("cannot write the output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return rc;
}
