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
 */
#include <errno.h>
#include <jansson.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "account.h"
#include "auth.h"
#include "cidr.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "passwd.h"
#include "process.h"
#include "radius_client.h"
#include "rowjson.h"
#include "store.h"

#define DEFAULT_DB "/var/lib/portcullis/portcullis.db"
#define DEFAULT_CONF "/etc/portcullis/portcullis.conf"
#define AUDIT_LIMIT_MAX 1000000

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct cli {
	const char *db_path;          /* -d or $PORTCULLIS_DB; NULL: see cli_db_path */
	const char *db_from;          /* where db_path came from, for the person */
	const char *conf_path;
	int conf_named;               /* -c or $PORTCULLIS_CONF: it must be there */
	struct config *cfg;           /* conf_path once loaded (cli_config) */
	struct store *st;
	int json;
	char actor[300];
	char realm[STORE_REALM_MAX + 1];   /* the daemon's Digest realm, once known */
	const char *realm_from;       /* where it came from, for the person */
};

/* The terminal shows UTF-8 (the locale says so): printable characters of
 * names are shown as they are, not as \xHH. */
static int term_utf8;

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("portcullis: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------ display */

/* Format characters that reorder or hide text (RLO and friends, zero
 * width spaces, line separators): a name could use them to look like
 * another, so they are escaped even though they are "printable". */
static int hidden_codepoint(wchar_t wc)
{
	return (wc >= 0x200b && wc <= 0x200f) || (wc >= 0x2028 && wc <= 0x202e) ||
	       (wc >= 0x2060 && wc <= 0x206f) || wc == 0xfeff || wc == 0x061c;
}

/*
 * s as a terminal may show it, in a new string: control bytes, backslash,
 * bytes that are not (or, outside a UTF-8 locale, not ASCII) printable
 * characters, and hidden format characters as \xHH per byte. *width is
 * the columns it takes. NULL when out of memory.
 */
static char *display(const char *s, size_t *width)
{
	size_t len = strlen(s), o = 0, w = 0;
	char *out = malloc(len * 4 + 1);
	mbstate_t ps;

	if (!out)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = 1;

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			out[o++] = (char)ch;
			w++;
			i++;
			continue;
		}
		if (term_utf8 && ch >= 0x80) {
			wchar_t wc;
			int cw;

			n = mbrtowc(&wc, s + i, len - i, &ps);
			if (n != (size_t)-1 && n != (size_t)-2 && n > 0 && !hidden_codepoint(wc) &&
			    (cw = wcwidth(wc)) >= 0) {
				memcpy(out + o, s + i, n);
				o += n;
				w += (size_t)cw;
				i += n;
				continue;
			}
			memset(&ps, 0, sizeof(ps));
			if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
				n = 1;
		}
		for (size_t k = 0; k < n; k++, w += 4)
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i + k]);
		i += n;
	}
	out[o] = '\0';
	*width = w;
	return out;
}

/* One cell of an aligned table: s escaped, then the padding to width;
 * the padding is held back (*pending) so that no line ends in spaces. */
static void put_cell(FILE *f, const char *s, size_t width, size_t *pending)
{
	size_t w;
	char *d = display(s, &w);

	if (d && d[0])
		for (; *pending; (*pending)--)
			fputc(' ', f);
	fputs(d ? d : "?", f);
	free(d);
	*pending += (w < width ? width - w : 0) + 2;
}

#define TABLE_COLS 9
#define TABLE_CHUNK 500

/*
 * Rows collected and printed with every column as wide as its widest
 * cell. Long listings are printed every TABLE_CHUNK rows so memory stays
 * bounded; a later chunk can only widen a column.
 */
struct table {
	size_t ncols;
	const char *head[TABLE_COLS];
	size_t width[TABLE_COLS];
	char **cells;             /* nrows * ncols copies of the raw text */
	size_t nrows;
	int printed_head;
};

static void table_init(struct table *t, size_t ncols, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->head[i] = head[i];
		t->width[i] = strlen(head[i]);
	}
	t->cells = calloc(TABLE_CHUNK * ncols, sizeof(char *));
}

static void table_flush(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w;
			char *d = display(t->cells[r * t->ncols + c], &w);

			free(d);
			if (w > t->width[c])
				t->width[c] = w;
		}
	if (!t->printed_head) {
		size_t pending = 0;

		for (size_t c = 0; c < t->ncols; c++)
			put_cell(stdout, t->head[c], t->width[c], &pending);
		fputc('\n', stdout);
		t->printed_head = 1;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t pending = 0;

		for (size_t c = 0; c < t->ncols; c++) {
			put_cell(stdout, t->cells[r * t->ncols + c], t->width[c], &pending);
			free(t->cells[r * t->ncols + c]);
		}
		fputc('\n', stdout);
	}
	t->nrows = 0;
}

/* Takes the ncols strings as they are stored; copies them. */
static int table_row(struct table *t, const char *const *cells)
{
	if (!t->cells)
		return -1;
	for (size_t c = 0; c < t->ncols; c++)
		if (!(t->cells[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "")))
			return -1;
	if (++t->nrows == TABLE_CHUNK)
		table_flush(t);
	return 0;
}

static void table_fini(struct table *t)
{
	table_flush(t);
	free(t->cells);
}

/* ------------------------------------------------------------ JSON */

/*
 * JSON arrays are written one element at a time, each element dumped by
 * jansson, so that an audit listing of a million rows needs no more
 * memory than one row.
 */
struct json_list {
	size_t n;
	int failed;
};

static void json_list_begin(struct json_list *l)
{
	memset(l, 0, sizeof(*l));
	fputs("[", stdout);
}

/* Takes ownership of v. */
static void json_list_add(struct json_list *l, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENSURE_ASCII) : NULL;

	if (!s) {
		l->failed = 1;
	} else {
		fputs(l->n++ ? ",\n  " : "\n  ", stdout);
		fputs(s, stdout);
		free(s);
	}
	json_decref(v);
}

static int json_list_end(struct json_list *l)
{
	fputs(l->n ? "\n]\n" : "]\n", stdout);
	if (l->failed)
		errorf("some rows could not be written as JSON (out of memory)");
	return l->failed ? -1 : 0;
}

static void json_print(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;

	if (s) {
		puts(s);
		free(s);
	} else {
		errorf("cannot write JSON (out of memory)");
	}
	json_decref(v);
}

/* ------------------------------------------------------------ times */

/* "YYYY-MM-DD HH:MM[:SS]" local time, or "never" for 0. */
static const char *fmt_time(int64_t t, int seconds, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm))
		snprintf(buf, len, "never");
	else
		strftime(buf, len, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/*
 * A point in time: "YYYY-MM-DD[THH:MM[:SS]]" (or a space for the T) in
 * local time, "@UNIXSECONDS", "now", or a duration "30s", "15m", "2h",
 * "7d", "2w" counted from now in direction (-1 ago, +1 ahead). 0 with the
 * unix time in *out, -1 if s is none of these (or no such date).
 */
static int parse_time(const char *s, int direction, int64_t *out)
{
	int64_t now = (int64_t)time(NULL);
	struct tm tm, check;
	const char *end;
	char *e;

	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (s[0] == '@') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &e, 10);
		if (e == s + 1 || *e || errno || v < 0)
			return -1;
		*out = v;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long long n;

		errno = 0;
		n = strtoull(s, &e, 10);
		if (!errno && e != s && e[0] && !e[1] && strchr("smhdw", e[0]) && n <= 100ULL * 366 * 86400) {
			int64_t unit = e[0] == 's' ? 1 : e[0] == 'm' ? 60 : e[0] == 'h' ? 3600 :
				       e[0] == 'd' ? 86400 : 7 * 86400;

			if ((int64_t)n * unit > 200LL * 366 * 86400)
				return -1;
			*out = now + direction * (int64_t)n * unit;
			return 0;
		}
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || strlen(s) < 10)
		return -1;
	if (*end == 'T' || *end == ' ') {
		end = strptime(end + 1, "%H:%M", &tm);
		if (!end)
			return -1;
		if (*end == ':' && !(end = strptime(end + 1, "%S", &tm)))
			return -1;
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	check = tm;
	if (mktime(&check) == (time_t)-1)
		return -1;
	/* mktime quietly turns 2025-02-30 into March 2nd: no such date */
	if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon || check.tm_year != tm.tm_year)
		return -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

/* ------------------------------------------------------------ database */

/* The daemon's configuration: -c FILE, else $PORTCULLIS_CONF, else
 * DEFAULT_CONF when there is a file there. Loaded once into c->cfg. 1
 * loaded, 0 there is none (nothing at the default place), -1 it cannot be
 * read (printed, with why it was needed). */
static int cli_config(struct cli *c, const char *why)
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

static int cli_open(struct cli *c, int create)
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
static int db_failed(const struct cli *c, int rc, const char *what)
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
static int cli_realm(struct cli *c)
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
static int commit_with_action(struct cli *c, const char *action, const char *target,
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

/* ------------------------------------------------------------ passwords */

static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo_cb(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line into buf (without its "\n" or "\r\n"). 0, 1 at end of input
 * with nothing read, -1 too long or holding a NUL byte. */
static int read_line(char *buf, size_t len, size_t *n)
{
	int ch, nul = 0;

	*n = 0;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (ch == '\0')
			nul = 1;
		if (*n + 1 >= len)
			return -1;
		buf[(*n)++] = (char)ch;
	}
	buf[*n] = '\0';
	if (ch == EOF && *n == 0)
		return 1;
	if (*n && buf[*n - 1] == '\r')
		buf[--*n] = '\0';
	return nul ? -1 : 0;
}

static int read_tty_line(const char *prompt, char *buf, size_t len, size_t *n)
{
	struct termios noecho;
	struct sigaction sa;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return read_line(buf, len, n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_echo_cb;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	noecho = saved_termios;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	fputs(prompt, stderr);
	fflush(stderr);
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	rc = read_line(buf, len, n);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	echo_off = 0;
	return rc;
}

/*
 * The new password for who: one line from standard input (a script pipes
 * it), or typed twice without echo when standard input is a terminal.
 * Everything but the line end is the password (spaces, ':', any UTF-8).
 * 0, or -1 with the reason printed.
 */
static int read_password(const char *who, char *buf, size_t len, size_t *n)
{
	char again[AUTH_PASS_MAX + 2];
	size_t n2;
	int rc;

	if (isatty(STDIN_FILENO)) {
		char prompt[600];
		size_t w;
		char *d = display(who, &w);

		snprintf(prompt, sizeof(prompt), "New password for %s: ", d ? d : "?");
		free(d);
		rc = read_tty_line(prompt, buf, len, n);
		if (rc == 0 && *n) {
			rc = read_tty_line("Retype the password: ", again, sizeof(again), &n2);
			if (rc == 0 && (n2 != *n || memcmp(buf, again, n2) != 0)) {
				explicit_bzero(again, sizeof(again));
				errorf("the passwords differ; nothing changed");
				return -1;
			}
			explicit_bzero(again, sizeof(again));
		}
	} else {
		rc = read_line(buf, len, n);
	}
	if (rc == 1) {
		errorf("no password on standard input (give one line)");
		return -1;
	}
	if (rc < 0) {
		errorf("the password must be at most %d bytes without NUL bytes", AUTH_PASS_MAX);
		return -1;
	}
	if (*n == 0) {
		errorf("an empty password is refused");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ arguments */

/* An error about a name: "before'NAME'after", the name escaped. */
static void error_name(const char *before, const char *name, const char *after)
{
	size_t w;
	char *d = display(name, &w);

	errorf("%s'%s'%s", before, d ? d : "?", after);
	free(d);
}

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

/*
 * Split argv into options of spec and positional arguments (at most
 * maxpos; "--" ends the options, so a name may start with '-').
 * "--name VALUE" and "--name=VALUE" both work. --json is known to every
 * listing through spec. -1 on a usage error (printed).
 */
static int parse_args(int argc, char **argv, const struct opt *spec, int minpos, int maxpos,
		      struct args *a)
{
	int only_pos = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct opt *o = NULL;
		size_t nl;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			if (a->npos >= maxpos || a->npos >= 8) {
				error_name("unexpected argument ", arg, "");
				return -1;
			}
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = 1;
			continue;
		}
		nl = strcspn(arg, "=");
		for (const struct opt *s = spec; s && s->name; s++)
			if (strlen(s->name) == nl && !strncmp(s->name, arg, nl))
				o = s;
		if (!o) {
			error_name("unknown option ", arg, "");
			return -1;
		}
		if (!o->value) {
			if (arg[nl]) {
				errorf("%s takes no value", o->name);
				return -1;
			}
			*o->flag = 1;
		} else if (arg[nl] == '=') {
			*o->value = arg + nl + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			errorf("%s needs a value", o->name);
			return -1;
		}
	}
	if (a->npos < minpos) {
		errorf("missing argument");
		return -1;
	}
	return 0;
}

static int valid_name(const char *kind, const char *name)
{
	char *d;
	size_t w;

	if (account_valid_name(name))
		return 1;
	d = display(name, &w);
	errorf("invalid %s name '%s': 1 to %d bytes, no control characters, no ':'", kind,
	       d ? d : "?", AUTH_USER_MAX);
	free(d);
	return 0;
}

/* "what NAME how" on standard output, the name escaped. */
static void done_name(const char *what, const char *name, const char *how)
{
	size_t w;
	char *d = display(name, &w);

	printf("%s %s %s\n", what, d ? d : "?", how);
	free(d);
}

/* ------------------------------------------------------------ users */

/* Whether u can log in by Digest with the daemon's realm: its secrets
 * must have been made for that realm. */
static const char *user_digest(const struct cli *c, const struct store_user *u)
{
	return account_digest_name(account_digest_state(u, c->realm));
}

static const char *user_state(const struct store_user *u)
{
	if (!u->enabled)
		return "disabled";
	if (u->expires_at && u->expires_at <= time(NULL))
		return "expired";
	return "enabled";
}

struct listing {
	struct cli *c;
	struct table t;
	struct json_list j;
	size_t n;
};

static int user_row_cb(const struct store_user *u, void *ud)
{
	struct listing *l = ud;
	char exp[32], last[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_user(u, l->c->realm, time(NULL)));
		return 0;
	}
	return table_row(&l->t, (const char *const[]){ u->name, user_state(u),
		fmt_time(u->expires_at, 0, exp, sizeof(exp)),
		fmt_time(u->last_login_at, 0, last, sizeof(last)),
		user_digest(l->c, u), u->comment });
}

static void listing_begin(struct listing *l, struct cli *c, size_t ncols, const char *const *head)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	if (c->json)
		json_list_begin(&l->j);
	else
		table_init(&l->t, ncols, head);
}

static int listing_end(struct listing *l, int rc, const char *what)
{
	if (l->c->json) {
		if (json_list_end(&l->j) < 0 && rc >= 0)
			rc = -1;
	} else {
		table_fini(&l->t);
	}
	if (rc < 0)
		return db_failed(l->c, rc, what);
	return EXIT_DONE;
}

static int cmd_user_list(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	static const char *const head[] = { "NAME", "STATE", "EXPIRES", "LAST LOGIN", "DIGEST",
					    "COMMENT" };
	struct listing l;
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 1, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0 || cli_realm(c) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 6, head);
	rc = store_user_list(c->st, a.npos ? a.pos[0] : NULL, user_row_cb, &l);
	return listing_end(&l, rc, "list the users");
}

static int cmd_user_show(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	struct store_user u;
	struct args a;
	char buf[32];
	int rc;

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0 || cli_realm(c) < 0)
		return EXIT_FAILED;
	rc = store_user_get(c->st, a.pos[0], &u);
	if (rc == 1) {
		error_name("no user ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "read the user");
	if (c->json) {
		json_print(rowjson_user(&u, c->realm, time(NULL)));
		return EXIT_DONE;
	}
	{
		struct table t;
		char digest[STORE_REALM_MAX * 2 + 128];

		if (account_digest_usable(&u, c->realm))
			snprintf(digest, sizeof(digest), "yes (secrets for realm \"%s\")", u.ha1_realm);
		else if (account_digest_state(&u, c->realm) == ACCOUNT_DIGEST_UNKNOWN_REALM)
			snprintf(digest, sizeof(digest), "no: secrets of unknown realm (stored before "
				 "the realm was recorded); made anew at the user's next Basic or portal "
				 "login, or set the password anew");
		else if (u.ha1_sha256[0])
			snprintf(digest, sizeof(digest), "no: the secrets are for realm \"%s\", the "
				 "daemon's is \"%s\"; set the password anew", u.ha1_realm, c->realm);
		else
			snprintf(digest, sizeof(digest), "no (no Digest secrets stored)");
		static const char *const head[] = { "", "" };

		table_init(&t, 2, head);
		t.printed_head = 1;     /* a list of fields, no heading */
		table_row(&t, (const char *const[]){ "name:", u.name });
		table_row(&t, (const char *const[]){ "state:", user_state(&u) });
		table_row(&t, (const char *const[]){ "expires:", fmt_time(u.expires_at, 1, buf, sizeof(buf)) });
		table_row(&t, (const char *const[]){ "last login:",
			fmt_time(u.last_login_at, 1, buf, sizeof(buf)) });
		table_row(&t, (const char *const[]){ "created:", fmt_time(u.created_at, 1, buf, sizeof(buf)) });
		table_row(&t, (const char *const[]){ "updated:", fmt_time(u.updated_at, 1, buf, sizeof(buf)) });
		table_row(&t, (const char *const[]){ "digest:", digest });
		table_row(&t, (const char *const[]){ "comment:", u.comment });
		table_fini(&t);
	}
	return EXIT_DONE;
}

/* Hash a new password for user name; the scrypt runs before any
 * transaction is open, so the daemon's writers never wait for it. */
static int user_secret(struct cli *c, const char *name, struct account_secret *sec)
{
	char pw[AUTH_PASS_MAX + 2];
	size_t n;
	int rc = -1;

	if (cli_realm(c) < 0 || read_password(name, pw, sizeof(pw), &n) < 0)
		goto out;
	if (account_hash_password(c->st, c->realm, name, pw, n, sec) < 0) {
		errorf("cannot hash the password");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static int parse_expiry(const char *s, int64_t *out)
{
	if (!strcmp(s, "never")) {
		*out = 0;
		return 0;
	}
	if (parse_time(s, +1, out) < 0 || *out <= 0) {
		errorf("bad expiry '%s': YYYY-MM-DD[THH:MM] local time, a duration such as 30d, or never", s);
		return -1;
	}
	return 0;
}

static void warn_past_expiry(int64_t when)
{
	if (when && when <= time(NULL))
		fprintf(stderr, "portcullis: note: that time has passed; the user cannot log in\n");
}

static int cmd_user_add(struct cli *c, int argc, char **argv)
{
	const char *comment = "", *expires = NULL;
	const struct opt spec[] = { { "--comment", &comment, NULL }, { "--expires", &expires, NULL },
				    { NULL, NULL, NULL } };
	struct account_secret sec;
	struct store_user u;
	struct args a;
	char buf[32], detail[64];
	int rc;

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (!valid_name("user", a.pos[0]))
		return EXIT_USAGE;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", a.pos[0]);
	u.enabled = 1;
	if (strlen(comment) > STORE_COMMENT_MAX) {
		errorf("the comment is longer than %d bytes", STORE_COMMENT_MAX);
		return EXIT_USAGE;
	}
	snprintf(u.comment, sizeof(u.comment), "%s", comment);
	if (expires && parse_expiry(expires, &u.expires_at) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 1) < 0)
		return EXIT_FAILED;
	/* say so before asking for a password, not after */
	rc = store_user_get(c->st, u.name, &(struct store_user){ 0 });
	if (rc == 0) {
		error_name("user ", u.name, " exists already");
		return EXIT_FAILED;
	}
	if (user_secret(c, u.name, &sec) < 0)
		return EXIT_FAILED;
	memcpy(u.phc, sec.phc, sizeof(u.phc));
	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%.32s", sec.ha1_md5);
	memcpy(u.ha1_sha256, sec.ha1_sha256, sizeof(u.ha1_sha256));
	memcpy(u.ha1_realm, sec.ha1_realm, sizeof(u.ha1_realm));
	explicit_bzero(&sec, sizeof(sec));
	rc = store_begin(c->st);
	if (rc == 0)
		rc = store_user_add(c->st, &u);
	if (rc == 0)
		rc = commit_with_action(c, "user.add", u.name, u.comment);
	else
		store_rollback(c->st);
	explicit_bzero(&u.phc, sizeof(u.phc));
	if (rc == -EEXIST) {
		error_name("user ", u.name, " exists already");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "add the user");
	if (u.expires_at) {
		snprintf(detail, sizeof(detail), "added, expires %s",
			 fmt_time(u.expires_at, 0, buf, sizeof(buf)));
		done_name("user", u.name, detail);
	} else {
		done_name("user", u.name, "added");
	}
	warn_past_expiry(u.expires_at);
	return EXIT_DONE;
}

/* The user commands that change one user: passwd, enable, disable,
 * expiry, comment, del. */
static int cmd_user_change(struct cli *c, const char *sub, int argc, char **argv)
{
	int takes_value = !strcmp(sub, "expiry") || !strcmp(sub, "comment");
	struct account_secret sec;
	char action[32], detail[300] = "", buf[32];
	const char *name;
	int64_t when = 0;
	struct args a;
	int rc;

	memset(&sec, 0, sizeof(sec));
	if (parse_args(argc, argv, NULL, 1 + takes_value,
		       !strcmp(sub, "comment") ? 8 : 1 + takes_value, &a) < 0)
		return EXIT_USAGE;
	name = a.pos[0];
	if (!strcmp(sub, "expiry")) {
		if (parse_expiry(a.pos[1], &when) < 0)
			return EXIT_USAGE;
		fmt_time(when, 0, detail, sizeof(detail));
	} else if (!strcmp(sub, "comment")) {
		size_t off = 0;

		for (int i = 1; i < a.npos; i++)
			off += (size_t)snprintf(detail + off, off < sizeof(detail) ? sizeof(detail) - off : 0,
						"%s%s", i > 1 ? " " : "", a.pos[i]);
		if (off > STORE_COMMENT_MAX) {
			errorf("the comment is longer than %d bytes", STORE_COMMENT_MAX);
			return EXIT_USAGE;
		}
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_user_get(c->st, name, &(struct store_user){ 0 });
	if (rc == 1) {
		error_name("no user ", name, "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "read the user");
	if (!strcmp(sub, "passwd") && user_secret(c, name, &sec) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		if (!strcmp(sub, "passwd"))
			rc = store_user_set_password(c->st, name, sec.phc, sec.ha1_md5, sec.ha1_sha256,
						     sec.ha1_realm);
		else if (!strcmp(sub, "enable") || !strcmp(sub, "disable"))
			rc = store_user_set_enabled(c->st, name, !strcmp(sub, "enable"));
		else if (!strcmp(sub, "expiry"))
			rc = store_user_set_expiry(c->st, name, when);
		else if (!strcmp(sub, "comment"))
			rc = store_user_set_comment(c->st, name, detail);
		else
			rc = store_user_delete(c->st, name);
		snprintf(action, sizeof(action), "user.%s", sub);
		if (rc == 0)
			rc = commit_with_action(c, action, name, detail);
		else
			store_rollback(c->st);
	}
	explicit_bzero(&sec, sizeof(sec));
	if (rc == 1) {
		error_name("no user ", name, "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "change the user");
	if (!strcmp(sub, "passwd")) {
		done_name("user", name, "has a new password");
	} else if (!strcmp(sub, "enable")) {
		done_name("user", name, "enabled");
	} else if (!strcmp(sub, "disable")) {
		done_name("user", name, "disabled");
	} else if (!strcmp(sub, "del")) {
		done_name("user", name, "deleted");
	} else if (!strcmp(sub, "comment")) {
		done_name("user", name, "has a new comment");
	} else {
		snprintf(detail, sizeof(detail), "expires %s", fmt_time(when, 0, buf, sizeof(buf)));
		done_name("user", name, detail);
		warn_past_expiry(when);
	}
	return EXIT_DONE;
}

/* ------------------------------------------------------------ admins */

static int admin_row_cb(const struct store_admin *a, void *ud)
{
	struct listing *l = ud;
	char created[32], last[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_admin(a));
		return 0;
	}
	return table_row(&l->t, (const char *const[]){ a->name,
		fmt_time(a->created_at, 0, created, sizeof(created)),
		fmt_time(a->last_login_at, 0, last, sizeof(last)) });
}

static int cmd_admin_list(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	static const char *const head[] = { "NAME", "CREATED", "LAST LOGIN" };
	struct listing l;
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 3, head);
	rc = store_admin_list(c->st, admin_row_cb, &l);
	return listing_end(&l, rc, "list the admins");
}

/* admin add, passwd, del */
static int cmd_admin_change(struct cli *c, const char *sub, int argc, char **argv)
{
	char pw[AUTH_PASS_MAX + 2], phc[PASSWD_HASH_MAX] = "", action[32];
	const char *name;
	struct args a;
	size_t n;
	int rc;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	name = a.pos[0];
	if (!strcmp(sub, "add") && !valid_name("admin", name))
		return EXIT_USAGE;
	if (cli_open(c, !strcmp(sub, "add")) < 0)
		return EXIT_FAILED;
	rc = store_admin_get(c->st, name, &(struct store_admin){ 0 });
	if (rc < 0)
		return db_failed(c, rc, "read the admin");
	if (rc == 0 && !strcmp(sub, "add")) {
		error_name("admin ", name, " exists already");
		return EXIT_FAILED;
	}
	if (rc == 1 && strcmp(sub, "add")) {
		error_name("no admin ", name, "");
		return EXIT_FAILED;
	}
	if (strcmp(sub, "del")) {
		rc = read_password(name, pw, sizeof(pw), &n);
		if (rc == 0 && passwd_hash(pw, n, NULL, phc, sizeof(phc)) < 0) {
			errorf("cannot hash the password");
			rc = -1;
		}
		explicit_bzero(pw, sizeof(pw));
		if (rc < 0)
			return EXIT_FAILED;
	}
	rc = store_begin(c->st);
	if (rc == 0) {
		if (!strcmp(sub, "add"))
			rc = store_admin_add(c->st, name, phc);
		else if (!strcmp(sub, "passwd"))
			rc = store_admin_set_password(c->st, name, phc);
		else
			rc = store_admin_delete(c->st, name);
		snprintf(action, sizeof(action), "admin.%s", sub);
		if (rc == 0)
			rc = commit_with_action(c, action, name, "");
		else
			store_rollback(c->st);
	}
	explicit_bzero(phc, sizeof(phc));
	if (rc == -EEXIST) {
		error_name("admin ", name, " exists already");
		return EXIT_FAILED;
	}
	if (rc == 1) {
		error_name("no admin ", name, "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "change the admin");
	done_name("admin", name, !strcmp(sub, "add") ? "added" :
		  !strcmp(sub, "del") ? "deleted" : "has a new password");
	return EXIT_DONE;
}

/* ------------------------------------------------------------ whitelist */

static int wl_row_cb(const struct store_whitelist *w, void *ud)
{
	struct listing *l = ud;
	char added[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_whitelist(w));
		return 0;
	}
	return table_row(&l->t, (const char *const[]){ w->cidr,
		fmt_time(w->created_at, 0, added, sizeof(added)), w->comment });
}

static int cmd_whitelist_list(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	static const char *const head[] = { "CIDR", "ADDED", "COMMENT" };
	struct listing l;
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 3, head);
	rc = store_whitelist_list(c->st, wl_row_cb, &l);
	return listing_end(&l, rc, "list the whitelist");
}

/* Canonical text of an address or prefix; a bare address is /32 or /128. */
static int canonical_cidr(const char *text, char *out, size_t len)
{
	struct cidr c;

	if (cidr_parse(text, &c) < 0 || !cidr_format(&c, out, len)) {
		error_name("", text, " is not an address or prefix (e.g. 192.0.2.0/24, "
			   "2001:db8::/32, 192.0.2.7; host bits zero)");
		return -1;
	}
	return 0;
}

static int cmd_whitelist_change(struct cli *c, const char *sub, int argc, char **argv)
{
	int add = !strcmp(sub, "add");
	char canon[64], comment[STORE_COMMENT_MAX + 64] = "";
	struct args a;
	size_t off = 0;
	int rc;

	if (parse_args(argc, argv, NULL, 1, add ? 8 : 1, &a) < 0)
		return EXIT_USAGE;
	if (canonical_cidr(a.pos[0], canon, sizeof(canon)) < 0)
		return EXIT_USAGE;
	for (int i = 1; i < a.npos; i++)
		off += (size_t)snprintf(comment + off, off < sizeof(comment) ? sizeof(comment) - off : 0,
					"%s%s", i > 1 ? " " : "", a.pos[i]);
	if (off > STORE_COMMENT_MAX) {
		errorf("the comment is longer than %d bytes", STORE_COMMENT_MAX);
		return EXIT_USAGE;
	}
	if (cli_open(c, add) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = add ? store_whitelist_add(c->st, canon, comment) : store_whitelist_del(c->st, canon);
		if (rc == 0)
			rc = commit_with_action(c, add ? "whitelist.add" : "whitelist.del", canon, comment);
		else
			store_rollback(c->st);
	}
	if (rc == -EEXIST) {
		errorf("%s is on the whitelist already", canon);
		return EXIT_FAILED;
	}
	if (rc == 1) {
		errorf("%s is not on the whitelist%s", canon,
		       strcmp(canon, a.pos[0]) ? " (entries are compared in canonical form)" : "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, add ? "add to the whitelist" : "remove from the whitelist");
	printf("whitelist: %s %s\n", canon, add ? "added" : "removed");
	return EXIT_DONE;
}

/* ------------------------------------------------------------ audit */

static int audit_row_cb(const struct store_failure *f, void *ud)
{
	struct listing *l = ud;
	char when[40], client[64], count[24];
	size_t n;

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_failure(f));
		return 0;
	}
	fmt_time(f->time_ms / 1000, 1, when, sizeof(when) - 4);
	n = strlen(when);
	snprintf(when + n, sizeof(when) - n, ".%03d", (int)(f->time_ms % 1000));
	snprintf(client, sizeof(client), strchr(f->client_addr, ':') ? "[%s]:%d" : "%s:%d",
		 f->client_addr, f->client_port);
	/* one row stands for count identical failures, the first at when */
	snprintf(count, sizeof(count), "%lld", (long long)f->count);
	return table_row(&l->t, (const char *const[]){ when, client, f->mode, f->scheme, f->reason,
						       f->username, count, f->host, f->user_agent });
}

static int one_of(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, list[i]))
			return 1;
	return 0;
}

static int cmd_audit(struct cli *c, int argc, char **argv)
{
	const char *since = NULL, *until = NULL, *limit = NULL;
	struct store_failure_filter f = { 0 };
	const struct opt spec[] = {
		{ "--json", NULL, &c->json }, { "--since", &since, NULL }, { "--until", &until, NULL },
		{ "--user", &f.username, NULL }, { "--addr", &f.client_addr, NULL },
		{ "--reason", &f.reason, NULL }, { "--mode", &f.mode, NULL }, { "--limit", &limit, NULL },
		{ NULL, NULL, NULL },
	};
	static const char *const modes[] = { "explicit", "intercept", "portal", "admin" };
	static const char *const head[] = { "TIME", "CLIENT", "MODE", "SCHEME", "REASON", "USER",
					    "COUNT", "HOST", "USER-AGENT" };
	const char *reasons[METRICS_REASON_COUNT];
	char addr[64], user[STORE_NAME_MAX + 1];
	struct listing l;
	struct args a;
	int64_t t;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	f.limit = 100;
	for (int k = 0; k < 2; k++) {
		const char *v = k ? until : since;

		if (!v)
			continue;
		if (parse_time(v, -1, &t) < 0) {
			errorf("bad time '%s': YYYY-MM-DD[THH:MM[:SS]] local time, @UNIXTIME, or a "
			       "time ago: 30m, 2h, 7d", v);
			return EXIT_USAGE;
		}
		*(k ? &f.until_ms : &f.since_ms) = t * 1000;
	}
	if (f.username) {
		/* the name as a listing showed it: \xHH stands for the byte */
		size_t n = rowjson_unescape(f.username, user, sizeof(user));

		if (n == (size_t)-1 || n >= sizeof(user)) {
			errorf("--user: a name of at most %d bytes, without \\x00", STORE_NAME_MAX);
			return EXIT_USAGE;
		}
		f.username = user;
	}
	if (f.client_addr) {
		/* stored the way the daemon prints a socket address */
		if (canonical_cidr(f.client_addr, addr, sizeof(addr)) < 0)
			return EXIT_USAGE;
		if (strcmp(strchr(addr, '/'), strchr(addr, ':') ? "/128" : "/32")) {
			errorf("--addr takes one address, not a prefix");
			return EXIT_USAGE;
		}
		*strchr(addr, '/') = '\0';
		f.client_addr = addr;
	}
	for (int r = 0; r < METRICS_REASON_COUNT; r++)
		reasons[r] = metrics_reason_name((enum metrics_reason)r);
	if (f.reason && !one_of(f.reason, reasons, METRICS_REASON_COUNT)) {
		fprintf(stderr, "portcullis: unknown reason '%s'; one of:", f.reason);
		for (int r = 0; r < METRICS_REASON_COUNT; r++)
			fprintf(stderr, " %s", reasons[r]);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	if (f.mode && !one_of(f.mode, modes, 4)) {
		errorf("unknown mode '%s'; one of: explicit intercept portal admin", f.mode);
		return EXIT_USAGE;
	}
	if (limit) {
		char *e;
		long long n = strtoll(limit, &e, 10);

		if (e == limit || *e || n < 1 || n > AUDIT_LIMIT_MAX) {
			errorf("bad --limit '%s': 1 to %d", limit, AUDIT_LIMIT_MAX);
			return EXIT_USAGE;
		}
		f.limit = (size_t)n;
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 9, head);
	rc = store_failures_list(c->st, &f, audit_row_cb, &l);
	rc = listing_end(&l, rc, "read the audit trail");
	/* on stderr with --json too: a script reading stdout gets valid JSON
	 * and whoever runs it learns the list was cut */
	if (rc == EXIT_DONE && l.n == f.limit)
		fprintf(stderr, "portcullis: the newest %zu shown; --limit N or --until TIME for more\n",
			l.n);
	return rc;
}

/* ------------------------------------------------------------ admin log */

static int action_row_cb(const struct store_admin_action *x, void *ud)
{
	struct listing *l = ud;
	char when[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_action(x));
		return 0;
	}
	return table_row(&l->t, (const char *const[]){ fmt_time(x->time_ms / 1000, 1, when, sizeof(when)),
		x->admin, x->action, x->target, x->client_addr[0] ? x->client_addr : "-", x->detail });
}

static int cmd_actions(struct cli *c, int argc, char **argv)
{
	const char *limit = NULL;
	const struct opt spec[] = { { "--json", NULL, &c->json }, { "--limit", &limit, NULL },
				    { NULL, NULL, NULL } };
	static const char *const head[] = { "TIME", "ADMIN", "ACTION", "TARGET", "CLIENT", "DETAIL" };
	struct listing l;
	struct args a;
	size_t n = 100;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (limit) {
		char *e;
		long long v = strtoll(limit, &e, 10);

		if (e == limit || *e || v < 1 || v > AUDIT_LIMIT_MAX) {
			errorf("bad --limit '%s': 1 to %d", limit, AUDIT_LIMIT_MAX);
			return EXIT_USAGE;
		}
		n = (size_t)v;
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 6, head);
	rc = store_admin_action_list(c->st, 0, 0, n, action_row_cb, &l);
	return listing_end(&l, rc, "read the admin action log");
}

/* ------------------------------------------------------------ sessions */

static int session_row_cb(const struct store_session *s, void *ud)
{
	struct listing *l = ud;
	char start[32], seen[32], exp[32], idle[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, rowjson_session(s));
		return 0;
	}
	snprintf(idle, sizeof(idle), "%us", s->idle_timeout);
	return table_row(&l->t, (const char *const[]){ s->addr, s->mac[0] ? s->mac : "-", s->username,
		fmt_time(s->created_at, 0, start, sizeof(start)),
		fmt_time(s->last_seen_at, 0, seen, sizeof(seen)),
		fmt_time(s->expires_at, 0, exp, sizeof(exp)), idle });
}

static int cmd_session_list(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	static const char *const head[] = { "ADDRESS", "MAC", "USER", "STARTED", "LAST SEEN",
					    "EXPIRES", "IDLE" };
	struct listing l;
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	listing_begin(&l, c, 7, head);
	rc = store_session_list(c->st, session_row_cb, &l);
	return listing_end(&l, rc, "list the sessions");
}

static int cmd_session_kick(struct cli *c, int argc, char **argv)
{
	struct args a;
	char addr[64], *slash;
	int rc;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (canonical_cidr(a.pos[0], addr, sizeof(addr)) < 0)
		return EXIT_USAGE;
	/* sessions are kept by bare address */
	slash = strchr(addr, '/');
	if (strcmp(slash, strchr(addr, ':') ? "/128" : "/32")) {
		errorf("session kick takes one address, not a prefix");
		return EXIT_USAGE;
	}
	*slash = '\0';
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_session_delete(c->st, addr);
		if (rc == 0)
			rc = commit_with_action(c, "session.kick", addr, "");
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		errorf("no session for %s", addr);
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "end the session");
	printf("session of %s ended; the daemon drops it within a second\n", addr);
	return EXIT_DONE;
}

/* ------------------------------------------------------------ digest */

struct digest_count {
	const char *realm;
	size_t usable, other_realm, unknown_realm, none;
};

static int digest_count_cb(const struct store_user *u, void *ud)
{
	struct digest_count *n = ud;

	switch (account_digest_state(u, n->realm)) {
	case ACCOUNT_DIGEST_USABLE: n->usable++; break;
	case ACCOUNT_DIGEST_OTHER_REALM: n->other_realm++; break;
	case ACCOUNT_DIGEST_UNKNOWN_REALM: n->unknown_realm++; break;
	case ACCOUNT_DIGEST_NONE: n->none++; break;
	}
	return 0;
}

/*
 * digest [status|off|on]: whether the database keeps Digest secrets. Each
 * is as good as the password for a Digest login and costs one MD5 per
 * guess, so a site that needs no Digest may keep none: "off" drops every
 * one at once and stores none from then on (the daemon stops offering
 * Digest); "on" stores them again for passwords set from then on. Only
 * this command changes it; no configuration change or restart does.
 */
static int cmd_digest(struct cli *c, int argc, char **argv)
{
	const char *sub;
	struct digest_count n = { 0 };
	struct args a;
	int rc, kept;

	if (parse_args(argc, argv, NULL, 0, 1, &a) < 0)
		return EXIT_USAGE;
	sub = a.npos ? a.pos[0] : "status";
	if (strcmp(sub, "status") && strcmp(sub, "off") && strcmp(sub, "on")) {
		error_name("unknown digest command ", sub, "; status, off or on");
		return EXIT_USAGE;
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	if (!strcmp(sub, "status")) {
		if (cli_realm(c) < 0)
			return EXIT_FAILED;
		kept = store_digest_secrets_kept(c->st);
		n.realm = c->realm;
		rc = kept < 0 ? kept : store_user_list(c->st, NULL, digest_count_cb, &n);
		if (rc < 0)
			return db_failed(c, rc, "read the users");
		printf("Digest secrets: %s\n", kept ? "stored for passwords set (portcullis digest off "
		       "drops them)" : "none stored (portcullis digest on stores them again)");
		printf("realm: \"%s\" (from %s)\n", c->realm, c->realm_from);
		printf("users who can log in by Digest: %zu; with secrets for another realm: %zu; "
		       "of unknown realm: %zu; without: %zu\n", n.usable, n.other_realm,
		       n.unknown_realm, n.none);
		return EXIT_DONE;
	}
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_digest_secrets_keep(c->st, !strcmp(sub, "on"));
		if (rc == 0)
			rc = commit_with_action(c, !strcmp(sub, "on") ? "digest.on" : "digest.off", "", "");
		else
			store_rollback(c->st);
	}
	if (rc < 0)
		return db_failed(c, rc, "change the Digest setting");
	if (!strcmp(sub, "off"))
		printf("Digest secrets dropped and no longer stored; the daemon stops offering "
		       "Digest within a second (Basic and the portal work as before)\n");
	else
		printf("Digest secrets are stored again for passwords set from now on; a user "
		       "can log in by Digest once the password is set anew\n");
	return EXIT_DONE;
}

/* ------------------------------------------------------------ database */

static int cmd_backup(struct cli *c, int argc, char **argv)
{
	char err[512];
	struct args a;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	if (store_backup(c->st, a.pos[0], err, sizeof(err)) < 0) {
		errorf("%s", err);
		return EXIT_FAILED;
	}
	printf("backup of %s written to %s\n", c->db_path, a.pos[0]);
	return EXIT_DONE;
}

static int cmd_migrate(struct cli *c, int argc, char **argv)
{
	struct args a;

	if (parse_args(argc, argv, NULL, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 1) < 0)
		return EXIT_FAILED;
	printf("schema version %d\n", store_schema_version(c->st));
	return EXIT_DONE;
}

/* ------------------------------------------------------------ RADIUS */

/* Each Reply-Message line (radius_reply joins them with '\n'), escaped. */
static void print_reply_message(const char *text)
{
	char line[RADIUS_REPLY_MESSAGE_MAX + 1];

	while (*text) {
		size_t len = strcspn(text, "\n"), w;
		char *d;

		memcpy(line, text, len);
		line[len] = '\0';
		d = display(line, &w);
		printf("Reply-Message: %s\n", d ? d : "?");
		free(d);
		text += len + (text[len] == '\n');
	}
}

/*
 * portcullis radius test USER: the password from standard input (one
 * line; asked without echo on a terminal) checked against the servers of
 * the daemon's [radius] section, as the daemon would, and what the answer
 * said. Exit 0 on Access-Accept.
 */
static int cmd_radius_test(struct cli *c, int argc, char **argv)
{
	char err[700], pw[AUTH_PASS_MAX + 2];
	struct radius_client_query q = { 0 };
	struct radius_client *rc = NULL;
	struct radius_result res;
	struct config *cfg = NULL;
	struct args a;
	size_t n = 0;
	int ret = EXIT_FAILED, r;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (!a.pos[0][0] || strlen(a.pos[0]) > RADIUS_STRING_MAX) {
		errorf("a RADIUS user name is 1 to %d bytes", RADIUS_STRING_MAX);
		return EXIT_USAGE;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg || config_load(cfg, c->conf_path, err, sizeof(err)) < 0) {
		errorf("%s; the RADIUS servers are read from the daemon's configuration "
		       "(-c FILE names it)", cfg ? err : "out of memory");
		goto out;
	}
	rc = radius_client_new(cfg, err, sizeof(err));
	if (!rc) {
		errorf("%s", err);
		goto out;
	}
	r = isatty(STDIN_FILENO) ? read_tty_line("Password: ", pw, sizeof(pw), &n)
				 : read_line(pw, sizeof(pw), &n);
	if (r == 1) {
		errorf("no password on standard input (give one line)");
		goto out;
	}
	if (r < 0 || n > RADIUS_PASSWORD_MAX) {
		errorf("a RADIUS password is at most %d bytes, without NUL bytes", RADIUS_PASSWORD_MAX);
		goto out;
	}
	q.user = a.pos[0];
	q.user_len = strlen(a.pos[0]);
	q.password = pw;
	q.password_len = n;
	radius_client_authenticate(rc, &q, &res);
	if (res.refused)
		printf("refused %u answer%s that were not the server's (last from %s: %s)\n",
		       res.refused, res.refused == 1 ? "" : "s", res.refused_from,
		       radius_check_str(res.refusal));
	switch (res.outcome) {
	case RADIUS_OUTCOME_ACCEPT:
	case RADIUS_OUTCOME_REJECT:
		printf("%s from %s\n", res.outcome == RADIUS_OUTCOME_ACCEPT ? "Access-Accept" :
		       res.reply.code == RADIUS_ACCESS_CHALLENGE ? "Access-Challenge (not supported: "
		       "a reject)" : "Access-Reject", res.server);
		if (res.reply.session_timeout >= 0)
			printf("Session-Timeout: %ld\n", res.reply.session_timeout);
		if (res.reply.idle_timeout >= 0)
			printf("Idle-Timeout: %ld\n", res.reply.idle_timeout);
		if (res.reply.acct_interim_interval >= 0)
			printf("Acct-Interim-Interval: %ld\n", res.reply.acct_interim_interval);
		if (res.reply.class_len) {
			printf("Class: 0x");
			for (size_t i = 0; i < res.reply.class_len; i++)
				printf("%02x", res.reply.class_value[i]);
			printf("\n");
		}
		print_reply_message(res.reply.reply_message);
		if (res.outcome == RADIUS_OUTCOME_ACCEPT)
			ret = EXIT_DONE;
		break;
	case RADIUS_OUTCOME_UNREACHABLE:
		errorf("no RADIUS server answered (%zu asked, %u s timeout, %u retries each)",
		       cfg->n_radius_servers, cfg->radius_timeout, cfg->radius_retries);
		break;
	case RADIUS_OUTCOME_INVALID:
		errorf("the request could not be built");
		break;
	}
out:
	explicit_bzero(pw, sizeof(pw));
	radius_client_free(rc);
	free(cfg);
	return ret;
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
	{ "user", "list", "[--json] [SEARCH]", "list users, or those whose name contains SEARCH",
	  cmd_user_list, NULL },
	{ "user", "show", "[--json] NAME", "show one user", cmd_user_show, NULL },
	{ "admin", "add", "NAME", "add an admin panel account; password from standard input",
	  NULL, cmd_admin_change },
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
	{ "session", "list", "[--json]", "list intercept-mode sessions", cmd_session_list, NULL },
	{ "session", "kick", "ADDRESS", "end a client's session", cmd_session_kick, NULL },
	{ "digest", NULL, "[status|off|on]",
	  "whether Digest secrets are stored (off: drop them all, store none, offer no Digest)",
	  cmd_digest, NULL },
	{ "radius", "test", "USER", "check USER's password (one line from standard input) against\n"
	  "        the [radius] servers; exit 0 on Access-Accept, print the attributes",
	  cmd_radius_test, NULL },
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
			   "daemon's configuration, else %s. The daemon's configuration\n"
			   "(its database and Digest realm) is -c CONFFILE, else $PORTCULLIS_CONF,\n"
			   "else %s if it exists.\n"
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
