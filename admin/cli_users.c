/*
 * portcullis user ... and portcullis admin ...: proxy users and admin panel
 * accounts.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "admin_input.h"
#include "auth.h"
#include "cli.h"
#include "config.h"
#include "passwd.h"
#include "rowjson.h"
#include "shaper.h"

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

int cmd_user_list(struct cli *c, int argc, char **argv)
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

int cmd_user_show(struct cli *c, int argc, char **argv)
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

int cmd_user_add(struct cli *c, int argc, char **argv)
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
int cmd_user_change(struct cli *c, const char *sub, int argc, char **argv)
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

/* user set NAME --class CLASS|none: a class the configuration names (when
 * there is a configuration to ask), "none" for the default class. */
int cmd_user_set(struct cli *c, int argc, char **argv)
{
	const char *cls = NULL;
	const struct opt spec[] = { { "--class", &cls, NULL }, { NULL, NULL, NULL } };
	struct shaper_classes classes;
	char why[160], detail[64];
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (!cls) {
		errorf("user set: say what to set (--class CLASS|none)");
		return EXIT_USAGE;
	}
	if (!strcmp(cls, "none"))
		cls = "";
	if (cls[0] && (strlen(cls) > SHAPER_NAME_MAX ||
		       strspn(cls, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789_.-") != strlen(cls))) {
		errorf("a class name is 1 to %d letters, digits, '_', '.' or '-'", SHAPER_NAME_MAX);
		return EXIT_USAGE;
	}
	rc = cls[0] ? cli_config(c, "the classes are in its [shaping] section") : 0;
	if (rc < 0)
		return EXIT_FAILED;
	if (rc == 1 && cls[0] &&
	    (shaper_classes_parse(c->cfg->shaping_classes, &classes, why, sizeof(why)) < 0 ||
	     !shaper_class_find(&classes, cls))) {
		error_name("no class ", cls, " in [shaping] classes");
		return EXIT_FAILED;
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_user_set_class(c->st, a.pos[0], cls);
		snprintf(detail, sizeof(detail), "class %s", cls[0] ? cls : "none");
		if (rc == 0)
			rc = commit_with_action(c, "user.class", a.pos[0], detail);
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		error_name("no user ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "change the user");
	done_name("user", a.pos[0], cls[0] ? "has a new bandwidth class" : "has the default class");
	return EXIT_DONE;
}

/* ------------------------------------------------------------ quotas */

int cmd_user_quota(struct cli *c, int argc, char **argv)
{
	const char *session = NULL, *day = NULL, *month = NULL;
	const struct opt spec[] = { { "--session", &session, NULL }, { "--day", &day, NULL },
				    { "--month", &month, NULL }, { NULL, NULL, NULL } };
	const char *given[3], *names[3] = { "--session", "--day", "--month" };
	struct store_quota q;
	uint64_t *slot[3] = { &q.session_bytes, &q.day_bytes, &q.month_bytes };
	char detail[128];
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	given[0] = session;
	given[1] = day;
	given[2] = month;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_quota_get(c->st, a.pos[0], &q);
	if (rc == 1) {
		error_name("no user ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "read the user's quotas");
	if (!session && !day && !month) {
		printf("session %llu\nday %llu\nmonth %llu\n", (unsigned long long)q.session_bytes,
		       (unsigned long long)q.day_bytes, (unsigned long long)q.month_bytes);
		return EXIT_DONE;
	}
	for (int i = 0; i < 3; i++) {
		if (given[i] && admin_input_bytes(given[i], slot[i]) < 0) {
			errorf("%s %s", names[i], CLI_BYTES_RULE);
			return EXIT_USAGE;
		}
	}
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_quota_set(c->st, a.pos[0], &q);
		snprintf(detail, sizeof(detail), "session %llu day %llu month %llu",
			 (unsigned long long)q.session_bytes, (unsigned long long)q.day_bytes,
			 (unsigned long long)q.month_bytes);
		if (rc == 0)
			rc = commit_with_action(c, "user.quota", a.pos[0], detail);
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		error_name("no user ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "change the user's quotas");
	done_name("user", a.pos[0], "has new data quotas");
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
	return table_row(&l->t, (const char *const[]){ a->name, a->role,
		fmt_time(a->created_at, 0, created, sizeof(created)),
		fmt_time(a->last_login_at, 0, last, sizeof(last)) });
}

int cmd_admin_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "ROLE", "CREATED", "LAST LOGIN" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, 4, head);
	if (rc != EXIT_DONE)
		return rc;
	rc = store_admin_list(c->st, admin_row_cb, &l);
	return listing_end(&l, rc, "list the admins");
}

/* The roles of an admin account (store_admin_set_role). */
static int valid_role(const char *role)
{
	if (!strcmp(role, "admin") || !strcmp(role, "frontdesk") || !strcmp(role, "auditor"))
		return 1;
	errorf("--role is admin, frontdesk or auditor");
	return 0;
}

/* admin add, passwd, set, del */
int cmd_admin_change(struct cli *c, const char *sub, int argc, char **argv)
{
	char pw[AUTH_PASS_MAX + 2], phc[PASSWD_HASH_MAX] = "", action[32], detail[32] = "";
	const char *name, *role = NULL;
	const struct opt with_role[] = { { "--role", &role, NULL }, { NULL, NULL, NULL } };
	int set = !strcmp(sub, "set"), add = !strcmp(sub, "add");
	struct args a;
	size_t n;
	int rc;

	if (parse_args(argc, argv, add || set ? with_role : NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	name = a.pos[0];
	if (add && !valid_name("admin", name))
		return EXIT_USAGE;
	if (set && !role) {
		errorf("admin set needs --role ROLE");
		return EXIT_USAGE;
	}
	if (role && !valid_role(role))
		return EXIT_USAGE;
	if (role)
		snprintf(detail, sizeof(detail), "role %s", role);
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
	if (strcmp(sub, "del") && !set) {
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
		if (add)
			rc = store_admin_add(c->st, name, phc);
		else if (!strcmp(sub, "passwd"))
			rc = store_admin_set_password(c->st, name, phc);
		else if (!set)
			rc = store_admin_delete(c->st, name);
		/* an account is added as admin: another role in the same
		 * transaction, so it never has more rights than asked */
		if ((rc == 0 || set) && role)
			rc = store_admin_set_role(c->st, name, role);
		snprintf(action, sizeof(action), "admin.%s", sub);
		if (rc == 0)
			rc = commit_with_action(c, action, name, detail);
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
	if (role)
		snprintf(detail, sizeof(detail), "%s with role %s", add ? "added" : "set", role);
	done_name("admin", name, add ? (role ? detail : "added") :
		  set ? detail : !strcmp(sub, "del") ? "deleted" : "has a new password");
	return EXIT_DONE;
}
