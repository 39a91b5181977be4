/*
 * portcullis — manage a Portcullis database from a shell (SPEC §5, §10).
 *
 * Works on the same database as a running daemon: the daemon notices a
 * change through the generation counters within half a second. Every
 * change is recorded as an admin action by "cli:<unix user>".
 */
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "auth.h"
#include "cidr.h"
#include "log.h"
#include "passwd.h"
#include "store.h"

#define DEFAULT_DB "/var/lib/portcullis/portcullis.db"

static struct store *st;
static char actor[300];
static int json_out;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: portcullis [-d DBFILE] COMMAND ...\n"
		"  user add NAME [--comment TEXT] [--expires YYYY-MM-DD|never]   (password on stdin)\n"
		"  user passwd NAME | disable NAME | enable NAME | del NAME | show NAME\n"
		"  user expiry NAME YYYY-MM-DD[THH:MM]|never\n"
		"  user list [--json] [SEARCH]\n"
		"  admin add NAME | passwd NAME (password on stdin) | del NAME | list [--json]\n"
		"  whitelist add CIDR [COMMENT...] | del CIDR | list [--json]\n"
		"  audit [--json] [--since TIME] [--until TIME] [--user NAME] [--addr ADDRESS]\n"
		"        [--reason REASON] [--mode MODE] [--limit N]     failed authentications, newest first\n"
		"  session list [--json] | kick ADDRESS\n"
		"  backup FILE        consistent copy of the live database\n"
		"  migrate            apply schema migrations, print the version\n"
		"TIME is YYYY-MM-DD[THH:MM[:SS]] (local time) or relative: 30m, 2h, 7d.\n"
		"The database is -d DBFILE, else $PORTCULLIS_DB, else " DEFAULT_DB ".\n");
}

static int fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "portcullis: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* Names are whatever a client may one day type; shown escaped so that a
 * hostile one cannot forge terminal output. */
static const char *esc(const char *s, char *buf, size_t len)
{
	return log_escape(buf, len, s, strlen(s));
}

static void audit_action(const char *action, const char *target, const char *detail)
{
	if (store_admin_action_insert(st, (int64_t)time(NULL) * 1000, actor, action, target, detail, "") < 0)
		fprintf(stderr, "portcullis: warning: the admin action could not be recorded\n");
}

/* One line from stdin, or prompted twice without echo on a terminal. */
static int read_password(char *buf, size_t len)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, noecho;
	size_t n;

	if (tty) {
		char again[AUTH_PASS_MAX + 2];

		tcgetattr(STDIN_FILENO, &old);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &noecho);
		fprintf(stderr, "Password: ");
		if (!fgets(buf, (int)len, stdin))
			buf[0] = '\0';
		fprintf(stderr, "\nAgain: ");
		if (!fgets(again, sizeof(again), stdin))
			again[0] = '\0';
		fprintf(stderr, "\n");
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		if (strcmp(buf, again) != 0) {
			fprintf(stderr, "portcullis: the passwords differ\n");
			return -1;
		}
	} else if (!fgets(buf, (int)len, stdin)) {
		fprintf(stderr, "portcullis: no password on standard input\n");
		return -1;
	}
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(stdin)) {
		fprintf(stderr, "portcullis: password longer than %d bytes\n", AUTH_PASS_MAX);
		return -1;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "portcullis: empty password refused\n");
		return -1;
	}
	return 0;
}

/* Hash pw (and the Digest HA1s while Digest is on). */
static int hash_all(const char *name, const char *pw, char *phc, char *md5, char *sha)
{
	struct account_secret sec;

	if (account_hash_password(st, name, pw, strlen(pw), &sec) < 0) {
		fprintf(stderr, "portcullis: hashing failed\n");
		return -1;
	}
	memcpy(phc, sec.phc, sizeof(sec.phc));
	memcpy(md5, sec.ha1_md5, sizeof(sec.ha1_md5));
	memcpy(sha, sec.ha1_sha256, sizeof(sec.ha1_sha256));
	return 0;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" local time, or relative "30m"/"2h"/"7d" ago
 * (relative=1) / from now (relative=-1). Returns unix seconds or -1. */
static int64_t parse_time(const char *s, int direction)
{
	struct tm tm;
	char *end;
	long n;

	n = strtol(s, &end, 10);
	if (end != s && n >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
		int64_t mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;

		return (int64_t)time(NULL) + direction * n * mult;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -1;
	if (*end == 'T' || *end == ' ') {
		char *e2 = strptime(end + 1, "%H:%M", &tm);

		if (!e2)
			return -1;
		end = e2;
		if (*end == ':') {
			e2 = strptime(end + 1, "%S", &tm);
			if (!e2)
				return -1;
			end = e2;
		}
	}
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

/* ------------------------------------------------------------ users */

static json_t *user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:b, s:I, s:s, s:I, s:I, s:I, s:b}", "name", u->name,
			 "enabled", u->enabled, "expires_at", (json_int_t)u->expires_at,
			 "comment", u->comment, "created_at", (json_int_t)u->created_at,
			 "updated_at", (json_int_t)u->updated_at,
			 "last_login_at", (json_int_t)u->last_login_at,
			 "digest", u->ha1_sha256[0] != '\0');
}

static int user_list_cb(const struct store_user *u, void *ud)
{
	char name[1100], exp[32], last[32];

	if (ud) {
		json_array_append_new(ud, user_json(u));
		return 0;
	}
	fmt_time(u->expires_at, exp, sizeof(exp));
	fmt_time(u->last_login_at, last, sizeof(last));
	printf("%-24s %-8s %-19s %-19s %s\n", esc(u->name, name, sizeof(name)),
	       u->enabled ? "enabled" : "disabled", u->expires_at ? exp : "never", last,
	       esc(u->comment, name, sizeof(name)));
	return 0;
}

static int cmd_user(int argc, char **argv)
{
	const char *sub = argv[0], *name = argc > 1 ? argv[1] : NULL;
	char pw[AUTH_PASS_MAX + 2], phc[PASSWD_HASH_MAX], md5[AUTH_HEX_MAX], sha[AUTH_HEX_MAX];
	char buf[1100];
	int rc;

	if (!strcmp(sub, "list")) {
		const char *search = NULL;
		json_t *arr = NULL;

		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--json"))
				json_out = 1;
			else
				search = argv[i];
		}
		if (json_out)
			arr = json_array();
		else
			printf("%-24s %-8s %-19s %-19s %s\n", "NAME", "STATE", "EXPIRES", "LAST LOGIN", "COMMENT");
		if (store_user_list(st, search, user_list_cb, arr) < 0)
			return fail("%s", "cannot list users");
		if (arr)
			print_json(arr);
		return 0;
	}
	if (!name)
		return fail("user %s: NAME missing", sub), 2;
	if (!account_valid_name(name))
		return fail("invalid user name '%s' (1..256 bytes, no control characters, no ':')",
			    esc(name, buf, sizeof(buf)));
	if (!strcmp(sub, "add")) {
		struct store_user u;

		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", name);
		u.enabled = 1;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--comment") && i + 1 < argc) {
				snprintf(u.comment, sizeof(u.comment), "%s", argv[++i]);
			} else if (!strcmp(argv[i], "--expires") && i + 1 < argc) {
				i++;
				if (strcmp(argv[i], "never")) {
					u.expires_at = parse_time(argv[i], -1);
					if (u.expires_at < 0)
						return fail("bad date '%s'", argv[i]);
				}
			} else {
				return fail("user add: unexpected '%s'", argv[i]), 2;
			}
		}
		if (read_password(pw, sizeof(pw)) < 0 || hash_all(name, pw, phc, md5, sha) < 0)
			return 1;
		snprintf(u.phc, sizeof(u.phc), "%s", phc);
		/* an MD5 hex is 32 characters: it fits, md5 is only sized for SHA-256 */
		memcpy(u.ha1_md5, md5, sizeof(u.ha1_md5) - 1);
		u.ha1_md5[sizeof(u.ha1_md5) - 1] = '\0';
		snprintf(u.ha1_sha256, sizeof(u.ha1_sha256), "%s", sha);
		rc = store_user_add(st, &u);
		if (rc == -EEXIST)
			return fail("user '%s' exists already", esc(name, buf, sizeof(buf)));
		if (rc < 0)
			return fail("cannot add user '%s'", esc(name, buf, sizeof(buf)));
		audit_action("user.add", name, u.comment);
		printf("user %s added\n", esc(name, buf, sizeof(buf)));
		return 0;
	}
	if (!strcmp(sub, "show")) {
		struct store_user u;

		rc = store_user_get(st, name, &u);
		if (rc == 1)
			return fail("no user '%s'", esc(name, buf, sizeof(buf)));
		if (rc < 0)
			return fail("%s", "database error");
		if (json_out) {
			print_json(user_json(&u));
			return 0;
		}
		printf("%-24s %-8s %-19s %-19s %s\n", "NAME", "STATE", "EXPIRES", "LAST LOGIN", "COMMENT");
		return user_list_cb(&u, NULL);
	}
	if (!strcmp(sub, "passwd")) {
		if (read_password(pw, sizeof(pw)) < 0 || hash_all(name, pw, phc, md5, sha) < 0)
			return 1;
		rc = store_user_set_password(st, name, phc, md5, sha);
	} else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
		rc = store_user_set_enabled(st, name, !strcmp(sub, "enable"));
	} else if (!strcmp(sub, "del")) {
		rc = store_user_delete(st, name);
	} else if (!strcmp(sub, "expiry")) {
		int64_t when = 0;

		if (argc < 3)
			return fail("%s", "user expiry NAME DATE|never"), 2;
		if (strcmp(argv[2], "never")) {
			when = parse_time(argv[2], -1);
			if (when < 0)
				return fail("bad date '%s'", argv[2]);
		}
		rc = store_user_set_expiry(st, name, when);
	} else {
		return fail("unknown user command '%s'", sub), 2;
	}
	if (rc == 1)
		return fail("no user '%s'", esc(name, buf, sizeof(buf)));
	if (rc < 0)
		return fail("database error changing '%s'", esc(name, buf, sizeof(buf)));
	snprintf(pw, sizeof(pw), "user.%s", sub);
	audit_action(pw, name, argc > 2 ? argv[2] : "");
	printf("user %s: %s done\n", esc(name, buf, sizeof(buf)), sub);
	return 0;
}

/* ------------------------------------------------------------ admins */

static int admin_list_cb(const struct store_admin *a, void *ud)
{
	char name[1100], last[32];

	if (ud) {
		json_array_append_new(ud, json_pack("{s:s, s:I, s:I}", "name", a->name,
						    "created_at", (json_int_t)a->created_at,
						    "last_login_at", (json_int_t)a->last_login_at));
		return 0;
	}
	fmt_time(a->last_login_at, last, sizeof(last));
	printf("%-24s %s\n", esc(a->name, name, sizeof(name)), last);
	return 0;
}

static int cmd_admin(int argc, char **argv)
{
	const char *sub = argv[0], *name = argc > 1 ? argv[1] : NULL;
	char pw[AUTH_PASS_MAX + 2], phc[PASSWD_HASH_MAX], buf[1100], action[64];
	int rc;

	if (!strcmp(sub, "list")) {
		json_t *arr = NULL;

		if (argc > 1 && !strcmp(argv[1], "--json"))
			json_out = 1;
		if (json_out)
			arr = json_array();
		else
			printf("%-24s %s\n", "NAME", "LAST LOGIN");
		if (store_admin_list(st, admin_list_cb, arr) < 0)
			return fail("%s", "cannot list admins");
		if (arr)
			print_json(arr);
		return 0;
	}
	if (!name)
		return fail("admin %s: NAME missing", sub), 2;
	if (!account_valid_name(name))
		return fail("invalid admin name '%s'", esc(name, buf, sizeof(buf)));
	if (!strcmp(sub, "add") || !strcmp(sub, "passwd")) {
		if (read_password(pw, sizeof(pw)) < 0)
			return 1;
		if (passwd_hash(pw, strlen(pw), NULL, phc, sizeof(phc)) < 0)
			return fail("%s", "hashing failed");
		rc = !strcmp(sub, "add") ? store_admin_add(st, name, phc)
					 : store_admin_set_password(st, name, phc);
	} else if (!strcmp(sub, "del")) {
		rc = store_admin_delete(st, name);
	} else {
		return fail("unknown admin command '%s'", sub), 2;
	}
	if (rc == -EEXIST)
		return fail("admin '%s' exists already", esc(name, buf, sizeof(buf)));
	if (rc == 1)
		return fail("no admin '%s'", esc(name, buf, sizeof(buf)));
	if (rc < 0)
		return fail("%s", "database error");
	snprintf(action, sizeof(action), "admin.%s", sub);
	audit_action(action, name, "");
	printf("admin %s: %s done\n", esc(name, buf, sizeof(buf)), sub);
	return 0;
}

/* ------------------------------------------------------------ whitelist */

static int wl_list_cb(const struct store_whitelist *w, void *ud)
{
	char c[1100];

	if (ud) {
		json_array_append_new(ud, json_pack("{s:s, s:s, s:I}", "cidr", w->cidr, "comment",
						    w->comment, "created_at", (json_int_t)w->created_at));
		return 0;
	}
	printf("%-43s %s\n", w->cidr, esc(w->comment, c, sizeof(c)));
	return 0;
}

static int cmd_whitelist(int argc, char **argv)
{
	const char *sub = argv[0];
	struct cidr c;
	char canon[64], comment[257] = "";
	int rc;

	if (!strcmp(sub, "list")) {
		json_t *arr = NULL;

		if (argc > 1 && !strcmp(argv[1], "--json"))
			json_out = 1;
		if (json_out)
			arr = json_array();
		if (store_whitelist_list(st, wl_list_cb, arr) < 0)
			return fail("%s", "cannot list the whitelist");
		if (arr)
			print_json(arr);
		return 0;
	}
	if (argc < 2)
		return fail("whitelist %s: CIDR missing", sub), 2;
	if (cidr_parse(argv[1], &c) < 0 || !cidr_format(&c, canon, sizeof(canon)))
		return fail("not an address or prefix: '%s' (e.g. 192.0.2.0/24, 2001:db8::/32)", argv[1]);
	if (!strcmp(sub, "add")) {
		size_t off = 0;

		for (int i = 2; i < argc && off < sizeof(comment) - 1; i++)
			off += (size_t)snprintf(comment + off, sizeof(comment) - off, "%s%s",
						i > 2 ? " " : "", argv[i]);
		rc = store_whitelist_add(st, canon, comment);
		if (rc == -EEXIST)
			return fail("%s is on the whitelist already", canon);
	} else if (!strcmp(sub, "del")) {
		rc = store_whitelist_del(st, canon);
		if (rc == 1)
			return fail("%s is not on the whitelist", canon);
	} else {
		return fail("unknown whitelist command '%s'", sub), 2;
	}
	if (rc < 0)
		return fail("%s", "database error");
	audit_action(!strcmp(sub, "add") ? "whitelist.add" : "whitelist.del", canon, comment);
	printf("whitelist %s: %s done\n", canon, sub);
	return 0;
}

/* ------------------------------------------------------------ audit */

struct audit_out {
	json_t *arr;
	size_t n;
};

static int audit_cb(const struct store_failure *f, void *ud)
{
	struct audit_out *o = ud;
	char when[32], user[1100], host[800], ua[800];

	o->n++;
	if (o->arr) {
		json_array_append_new(o->arr, json_pack(
			"{s:I, s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}",
			"id", (json_int_t)f->id, "time_ms", (json_int_t)f->time_ms,
			"client_addr", f->client_addr, "client_port", f->client_port,
			"mode", f->mode, "scheme", f->scheme, "username", f->username,
			"reason", f->reason, "host", f->host, "user_agent", f->user_agent));
		return 0;
	}
	fmt_time(f->time_ms / 1000, when, sizeof(when));
	printf("%s %-39s %-9s %-6s %-15s %-24s %s %s\n", when, f->client_addr, f->mode, f->scheme,
	       f->reason, esc(f->username, user, sizeof(user)), esc(f->host, host, sizeof(host)),
	       esc(f->user_agent, ua, sizeof(ua)));
	return 0;
}

static int cmd_audit(int argc, char **argv)
{
	struct store_failure_filter flt = { 0 };
	struct audit_out o = { 0 };

	flt.limit = 100;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			json_out = 1;
			continue;
		}
		if (!v)
			return fail("audit: %s needs a value", a), 2;
		i++;
		if (!strcmp(a, "--since") || !strcmp(a, "--until")) {
			int64_t t = parse_time(v, 1);

			if (t < 0)
				return fail("bad time '%s'", v);
			if (a[2] == 's')
				flt.since_ms = t * 1000;
			else
				flt.until_ms = t * 1000;
		} else if (!strcmp(a, "--user")) {
			flt.username = v;
		} else if (!strcmp(a, "--addr")) {
			flt.client_addr = v;
		} else if (!strcmp(a, "--reason")) {
			flt.reason = v;
		} else if (!strcmp(a, "--mode")) {
			flt.mode = v;
		} else if (!strcmp(a, "--limit")) {
			long n = strtol(v, NULL, 10);

			if (n <= 0 || n > 1000000)
				return fail("bad limit '%s'", v);
			flt.limit = (size_t)n;
		} else {
			return fail("audit: unknown option '%s'", a), 2;
		}
	}
	if (json_out)
		o.arr = json_array();
	else
		printf("%-19s %-39s %-9s %-6s %-15s %-24s %s\n", "TIME", "CLIENT", "MODE", "SCHEME",
		       "REASON", "USERNAME", "HOST USER-AGENT");
	if (store_failures_list(st, &flt, audit_cb, &o) < 0)
		return fail("%s", "cannot read the audit trail");
	if (o.arr)
		print_json(o.arr);
	return 0;
}

/* ------------------------------------------------------------ sessions */

static int session_cb(const struct store_session *s, void *ud)
{
	char user[1100], start[32], seen[32];

	if (ud) {
		json_array_append_new(ud, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:i}", "addr", s->addr,
			"mac", s->mac, "username", s->username, "created_at", (json_int_t)s->created_at,
			"last_seen_at", (json_int_t)s->last_seen_at, "expires_at", (json_int_t)s->expires_at,
			"idle_timeout", (int)s->idle_timeout));
		return 0;
	}
	fmt_time(s->created_at, start, sizeof(start));
	fmt_time(s->last_seen_at, seen, sizeof(seen));
	printf("%-39s %-17s %-24s %s %s\n", s->addr, s->mac[0] ? s->mac : "-",
	       esc(s->username, user, sizeof(user)), start, seen);
	return 0;
}

static int cmd_session(int argc, char **argv)
{
	if (!strcmp(argv[0], "list")) {
		json_t *arr = NULL;

		if (argc > 1 && !strcmp(argv[1], "--json"))
			json_out = 1;
		if (json_out)
			arr = json_array();
		else
			printf("%-39s %-17s %-24s %-19s %s\n", "ADDRESS", "MAC", "USER", "STARTED", "LAST SEEN");
		if (store_session_list(st, session_cb, arr) < 0)
			return fail("%s", "cannot list sessions");
		if (arr)
			print_json(arr);
		return 0;
	}
	if (!strcmp(argv[0], "kick")) {
		struct cidr c;
		char canon[64];
		int rc;

		if (argc < 2)
			return fail("%s", "session kick ADDRESS"), 2;
		if (cidr_parse(argv[1], &c) < 0 || !cidr_format(&c, canon, sizeof(canon)))
			return fail("not an address: '%s'", argv[1]);
		/* sessions are stored by bare address */
		*strchr(canon, '/') = '\0';
		rc = store_session_delete(st, canon);
		if (rc == 1)
			return fail("no session for %s", canon);
		if (rc < 0)
			return fail("%s", "database error");
		audit_action("session.kick", canon, "");
		printf("session %s kicked\n", canon);
		return 0;
	}
	return fail("unknown session command '%s'", argv[0]), 2;
}

int main(int argc, char **argv)
{
	const char *db = getenv("PORTCULLIS_DB");
	char err[512];
	struct passwd *pw;
	int i = 1, rc;

	if (!db || !*db)
		db = DEFAULT_DB;
	if (argc > 2 && !strcmp(argv[1], "-d")) {
		db = argv[2];
		i = 3;
	}
	if (i < argc && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (int k = i; k < argc; k++)
		if (!strcmp(argv[k], "--json"))
			json_out = 1;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	pw = getpwuid(getuid());
	snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "unknown");
	st = store_open(db, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "portcullis: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[i], "migrate")) {
		printf("schema version %d\n", store_schema_version(st));
		rc = 0;
	} else if (!strcmp(argv[i], "backup")) {
		if (i + 1 >= argc)
			rc = fail("%s", "backup FILE"), rc = 2;
		else if (store_backup(st, argv[i + 1], err, sizeof(err)) < 0)
			rc = fail("%s", err);
		else {
			printf("backup written to %s\n", argv[i + 1]);
			rc = 0;
		}
	} else if (!strcmp(argv[i], "audit")) {
		rc = cmd_audit(argc - i - 1, argv + i + 1);
	} else if (i + 1 >= argc) {
		usage(stderr);
		rc = 2;
	} else if (!strcmp(argv[i], "user")) {
		rc = cmd_user(argc - i - 1, argv + i + 1);
	} else if (!strcmp(argv[i], "admin")) {
		rc = cmd_admin(argc - i - 1, argv + i + 1);
	} else if (!strcmp(argv[i], "whitelist")) {
		rc = cmd_whitelist(argc - i - 1, argv + i + 1);
	} else if (!strcmp(argv[i], "session")) {
		rc = cmd_session(argc - i - 1, argv + i + 1);
	} else {
		usage(stderr);
		rc = 2;
	}
	store_close(st);
	return rc;
}
