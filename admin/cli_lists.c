/*
 * portcullis whitelist, audit, actions, session, digest, backup, migrate,
 * radius test: everything but users and admins.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cidr.h"
#include "cli.h"
#include "config.h"
#include "metrics.h"
#include "radius_client.h"
#include "rowjson.h"

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

int cmd_whitelist_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "CIDR", "ADDED", "COMMENT" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, 3, head);
	if (rc != EXIT_DONE)
		return rc;
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

int cmd_whitelist_change(struct cli *c, const char *sub, int argc, char **argv)
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

int cmd_audit(struct cli *c, int argc, char **argv)
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

int cmd_actions(struct cli *c, int argc, char **argv)
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
	char start[32], seen[32], exp[32], idle[32], in[24], out[24], quota[96], resets[32];
	char rate[48], rin[20], rout[20], cls[STORE_CLASS_MAX + 12];
	/* the rate as the daemon last wrote it, if that is current (null,
	 * "-": a daemon that went away left it) */
	int current = store_session_rate_current(s, (int64_t)time(NULL));

	l->n++;
	if (l->c->json) {
		json_t *o = rowjson_session(s);

		if (o) {
			json_object_set_new(o, "rate_in", current ? json_integer((json_int_t)s->rate_in)
								  : json_null());
			json_object_set_new(o, "rate_out", current ? json_integer((json_int_t)s->rate_out)
								   : json_null());
		}
		json_list_add(&l->j, o);
		return 0;
	}
	if (current)
		snprintf(rate, sizeof(rate), "%s / %s", fmt_rate(s->rate_in, rin, sizeof(rin)),
			 fmt_rate(s->rate_out, rout, sizeof(rout)));
	else
		snprintf(rate, sizeof(rate), "-");
	snprintf(idle, sizeof(idle), "%us", s->idle_timeout);
	snprintf(in, sizeof(in), "%llu", (unsigned long long)s->counts.bytes_in);
	snprintf(out, sizeof(out), "%llu", (unsigned long long)s->counts.bytes_out);
	/* used/quota, its period, and when it starts again */
	if (s->quota.bytes && s->quota.resets_at)
		snprintf(quota, sizeof(quota), "%llu/%llu %s, resets %s",
			 (unsigned long long)s->quota.used, (unsigned long long)s->quota.bytes,
			 s->quota.period, fmt_time(s->quota.resets_at, 0, resets, sizeof(resets)));
	else if (s->quota.bytes)
		snprintf(quota, sizeof(quota), "%llu/%llu %s", (unsigned long long)s->quota.used,
			 (unsigned long long)s->quota.bytes, s->quota.period);
	else
		snprintf(quota, sizeof(quota), "-");
	/* a session listed with its quota used up is throttled: a used-up
	 * quota ends a session otherwise */
	if (s->quota.bytes && s->quota.used >= s->quota.bytes)
		snprintf(quota + strlen(quota), sizeof(quota) - strlen(quota), " (throttled: quota used)");
	/* the class the device is shaped in now: a used-up quota's instead of
	 * its own while it throttles the device */
	if (s->throttle_class[0])
		snprintf(cls, sizeof(cls), "%s (quota)", s->throttle_class);
	else
		snprintf(cls, sizeof(cls), "%s", s->bandwidth_class[0] ? s->bandwidth_class : "-");
	return table_row(&l->t, (const char *const[]){ s->addr, s->mac[0] ? s->mac : "-", s->username,
		fmt_time(s->created_at, 0, start, sizeof(start)),
		fmt_time(s->last_seen_at, 0, seen, sizeof(seen)),
		fmt_time(s->expires_at, 0, exp, sizeof(exp)), idle, in, out, rate,
		cls, s->source[0] ? s->source : "-", quota });
}

int cmd_session_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "ADDRESS", "MAC", "USER", "STARTED", "LAST SEEN",
					    "EXPIRES", "IDLE", "BYTES IN", "BYTES OUT",
					    "RATE IN / OUT", "CLASS", "SOURCE", "QUOTA USED/BYTES" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, 13, head);
	if (rc != EXIT_DONE)
		return rc;
	rc = store_session_list(c->st, session_row_cb, &l);
	return listing_end(&l, rc, "list the sessions");
}

int cmd_session_kick(struct cli *c, int argc, char **argv)
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
int cmd_digest(struct cli *c, int argc, char **argv)
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

int cmd_backup(struct cli *c, int argc, char **argv)
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

int cmd_migrate(struct cli *c, int argc, char **argv)
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
int cmd_radius_test(struct cli *c, int argc, char **argv)
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
