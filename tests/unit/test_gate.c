/*
 * gate: the verdicts every face gets, against a real store in a temporary
 * directory: a known user with the right and a wrong password, an unknown
 * user, disabled and expired accounts, the lockout after N failures, a
 * whitelisted address, a Digest answer, a cached answer that a password
 * change ends, and the order of the identity sources (with a source this
 * file registers through idsource.h, which answers from a table).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "gate.h"
#include "idsource.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "passwd.h"
#include "store.h"

static char dir[64];
static char path[128];
static struct config cfg;
static struct gate *gate;
static int db_serial;

/* ------------------------------------------------------------ a test source */

/* The answers of the source "table": one user, with what it says to the
 * right password and to any other; and how often it was asked. */
static struct {
	char user[32];
	char password[32];
	enum idsource_verdict right, wrong;
	unsigned asked;
} table;

static void table_check(struct idsource *src, const char *username, const char *password,
			size_t password_len, const struct idsource_peer *peer,
			struct idsource_answer *ans)
{
	(void)src;
	(void)peer;
	memset(ans, 0, sizeof(*ans));
	table.asked++;
	if (strcmp(username, table.user) != 0) {
		ans->verdict = IDSOURCE_NO_SUCH_USER;
		ans->reason = METRICS_REASON_UNKNOWN_USER;
		return;
	}
	if (password_len == strlen(table.password) &&
	    memcmp(password, table.password, password_len) == 0)
		ans->verdict = table.right;
	else
		ans->verdict = table.wrong;
	ans->reason = ans->verdict == IDSOURCE_WRONG_PASSWORD ? METRICS_REASON_WRONG_PASSWORD
							       : METRICS_REASON_DISABLED;
	if (ans->verdict == IDSOURCE_ACCEPT) {
		ans->attrs.session_timeout = 600;
		snprintf(ans->attrs.reply_message, sizeof(ans->attrs.reply_message), "welcome");
		idsource_attrs_add_group(&ans->attrs, "staff");
		idsource_attrs_add_group(&ans->attrs, "vpn");
	}
}

static void table_free(struct idsource *src)
{
	free(src);
}

static struct idsource *table_new(const struct idsource_env *env, char *err, size_t errlen)
{
	struct idsource *src = calloc(1, sizeof(*src));

	(void)env;
	if (!src) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	src->name = "table";
	src->check = table_check;
	src->free = table_free;
	return src;
}

/* ------------------------------------------------------------ helpers */

/* the lowest cost passwd_verify accepts: the tests check verdicts, not
 * the hash's strength */
static const struct passwd_params cheap = { .log2_n = 10, .r = 1, .p = 1 };

static void add_user(const char *name, const char *password, int enabled, int64_t expires_at)
{
	struct store *st;
	struct store_user u;
	char err[256];

	st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	assert_int_equal(passwd_hash(password, strlen(password), &cheap, u.phc, sizeof(u.phc)), 0);
	auth_digest_ha1(AUTH_DIGEST_MD5, name, cfg.realm, password, strlen(password), u.ha1_md5);
	auth_digest_ha1(AUTH_DIGEST_SHA256, name, cfg.realm, password, strlen(password),
			u.ha1_sha256);
	snprintf(u.ha1_realm, sizeof(u.ha1_realm), "%s", cfg.realm);
	u.enabled = enabled;
	u.expires_at = expires_at;
	assert_int_equal(store_user_add(st, &u), 0);
	store_close(st);
}

/* A new database with alice (enabled), dave (disabled) and eve (expired),
 * 192.0.2.0/24 whitelisted, and a gate on it asking sources. */
static void start(const char *sources)
{
	char err[256];
	struct store *st;

	snprintf(path, sizeof(path), "%s/gate%d.db", dir, ++db_serial);
	config_defaults(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", path);
	snprintf(cfg.auth_sources, sizeof(cfg.auth_sources), "%s", sources);
	cfg.lockout_threshold = 3;
	st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_whitelist_add(st, "192.0.2.0/24", "printers"), 0);
	store_close(st);
	add_user("alice", "right", 1, 0);
	add_user("dave", "right", 0, 0);
	add_user("eve", "right", 1, time(NULL) - 60);
	gate = gate_new(&cfg, err, sizeof(err));
	if (!gate)
		fail_msg("gate_new: %s", err);
}

static void stop(void)
{
	gate_stop_checks(gate);
	gate_free(gate);
	gate = NULL;
}

static struct sockaddr_in client_addr(const char *ip)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return sa;
}

struct waiter {
	struct loop *loop;
	int done;
	struct gate_result res;
};

static void done_cb(void *ud, const struct gate_result *res)
{
	struct waiter *w = ud;

	w->res = *res;
	w->done = 1;
	loop_stop(w->loop);
}

/* The verdict for a request with this Proxy-Authorization value (NULL:
 * none) from ip, waiting for a slow check on a loop of its own. */
/* whether check's requests come over TLS (the proxy's TLS listener) */
static int query_tls;

static struct gate_result check(const char *ip, const char *authorization, const char *target)
{
	struct sockaddr_in sa = client_addr(ip);
	struct gate_query q = {
		.mode = GATE_MODE_EXPLICIT,
		.client = (struct sockaddr *)&sa,
		.authorization = authorization,
		.authorization_len = authorization ? strlen(authorization) : 0,
		.method = "GET",
		.method_len = 3,
		.target = target,
		.target_len = strlen(target),
		.host = "example.org",
		.host_len = 11,
		.user_agent = "test_gate",
		.user_agent_len = 9,
		.tls = query_tls,
	};
	struct waiter w = { .loop = loop_new() };

	assert_non_null(w.loop);
	if (gate_check(gate, &q, &w.res, w.loop, done_cb, &w) == 1) {
		assert_int_equal(loop_run(w.loop), 0);
		assert_true(w.done);
	}
	loop_free(w.loop);
	return w.res;
}

static struct gate_result basic(const char *ip, const char *user, const char *password)
{
	char plain[128], header[256];
	int n = snprintf(plain, sizeof(plain), "%s:%s", user, password);

	snprintf(header, sizeof(header), "Basic ");
	EVP_EncodeBlock((unsigned char *)header + 6, (const unsigned char *)plain, n);
	return check(ip, header, "http://example.org/");
}

static enum gate_verdict form(const char *ip, const char *user, const char *password,
			      struct gate_login *login)
{
	struct sockaddr_in sa = client_addr(ip);
	unsigned retry_after;

	return gate_check_form_login(gate, GATE_MODE_PORTAL, (struct sockaddr *)&sa, NULL, user,
				     password, strlen(password), "test_gate", &retry_after, login);
}

/* ------------------------------------------------------------ verdicts */

static void test_known_unknown_and_accounts(void **state)
{
	struct gate_result r;

	(void)state;
	start("local");
	r = check("198.51.100.1", NULL, "http://example.org/");
	assert_int_equal(r.verdict, GATE_CHALLENGE);

	r = basic("198.51.100.1", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_string_equal(r.username, "alice");
	assert_int_equal(r.from_cache, 0);
	assert_int_not_equal(r.credential, 0);
	/* the local store says nothing beside "accept" */
	assert_int_equal(r.attrs.n_groups, 0);
	assert_int_equal(r.attrs.session_timeout, 0);

	r = basic("198.51.100.2", "alice", "wrong");
	assert_int_equal(r.verdict, GATE_FAIL);
	r = basic("198.51.100.3", "nobody", "right");
	assert_int_equal(r.verdict, GATE_FAIL);
	/* the right password does not open a disabled or an expired account */
	r = basic("198.51.100.4", "dave", "right");
	assert_int_equal(r.verdict, GATE_FAIL);
	r = basic("198.51.100.5", "eve", "right");
	assert_int_equal(r.verdict, GATE_FAIL);

	/* the portal's form login gives the same verdicts */
	assert_int_equal(form("198.51.100.6", "alice", "right", NULL), GATE_PASS);
	assert_int_equal(form("198.51.100.7", "alice", "wrong", NULL), GATE_FAIL);
	assert_int_equal(form("198.51.100.8", "nobody", "right", NULL), GATE_FAIL);
	assert_int_equal(form("198.51.100.9", "dave", "right", NULL), GATE_FAIL);
	assert_int_equal(form("198.51.100.10", "eve", "right", NULL), GATE_FAIL);
	/* an empty name is refused before any check */
	assert_int_equal(form("198.51.100.11", "", "right", NULL), GATE_FAIL);
	stop();
}

static void test_lockout_after_threshold(void **state)
{
	struct gate_result r;

	(void)state;
	start("local");
	/* threshold 3: three failures from one address, then 429 without a
	 * check, even with the right password */
	for (int i = 0; i < 3; i++) {
		r = basic("198.51.100.20", "nobody", "guess");
		assert_int_equal(r.verdict, GATE_FAIL);
	}
	r = basic("198.51.100.20", "alice", "right");
	assert_int_equal(r.verdict, GATE_LOCKED);
	assert_true(r.retry_after >= 1);
	/* another address is not locked out for it */
	r = basic("198.51.100.21", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	stop();
}

static void test_whitelist(void **state)
{
	struct sockaddr_in in = client_addr("192.0.2.77"), out = client_addr("192.0.3.1");

	(void)state;
	start("local");
	assert_int_equal(gate_whitelisted(gate, (struct sockaddr *)&in), 1);
	assert_int_equal(gate_whitelisted(gate, (struct sockaddr *)&out), 0);
	stop();
}

/* The value of name="..." in a challenge header, into out. */
static void param(const char *headers, const char *name, char *out, size_t len)
{
	char key[32];
	const char *p, *end;

	snprintf(key, sizeof(key), "%s=\"", name);
	p = strstr(headers, key);
	assert_non_null(p);
	p += strlen(key);
	end = strchr(p, '"');
	assert_non_null(end);
	assert_true((size_t)(end - p) < len);
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
}

/* nc: the request's count under the nonce (each once, or it is a replay) */
static struct gate_result digest(const char *ip, const char *user, const char *password,
				 const char *nonce, int nc)
{
	char header[1024], ha1[AUTH_HEX_MAX], response[AUTH_HEX_MAX];
	struct auth_credentials c;
	const char *fmt = "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"/\", "
			  "algorithm=SHA-256, qop=auth, nc=%08x, cnonce=\"0a4f113b\", "
			  "response=\"%s\"";

	/* parse the header once with a dummy response to get the fields the
	 * response is computed over */
	memset(response, '0', 64);
	response[64] = '\0';
	snprintf(header, sizeof(header), fmt, user, cfg.realm, nonce, nc, response);
	assert_int_equal(auth_parse_credentials(header, strlen(header), &c), AUTH_PARSE_OK);
	auth_digest_ha1(AUTH_DIGEST_SHA256, user, cfg.realm, password, strlen(password), ha1);
	auth_digest_response(AUTH_DIGEST_SHA256, ha1, &c, "GET", 3, response);
	auth_credentials_wipe(&c);
	snprintf(header, sizeof(header), fmt, user, cfg.realm, nonce, nc, response);
	return check(ip, header, "http://example.org/");
}

/* [auth] basic_over_tls_only: Basic neither offered nor taken in clear */
static void test_basic_over_tls_only(void **state)
{
	char headers[2048];
	struct gate_result r;

	(void)state;
	start("local");
	assert_true(gate_challenge_headers(gate, NULL, headers, sizeof(headers), 0, 0) > 0);
	assert_non_null(strstr(headers, "Basic"));
	cfg.basic_over_tls_only = 1;
	assert_int_equal(gate_reconfigure(gate, &cfg), 0);
	assert_true(gate_challenge_headers(gate, NULL, headers, sizeof(headers), 0, 0) > 0);
	assert_null(strstr(headers, "Basic"));
	assert_non_null(strstr(headers, "Digest"));
	assert_true(gate_challenge_headers(gate, NULL, headers, sizeof(headers), 0, 1) > 0);
	assert_non_null(strstr(headers, "Basic"));
	r = basic("198.51.100.40", "alice", "right");
	assert_int_equal(r.verdict, GATE_CHALLENGE);
	query_tls = 1;
	r = basic("198.51.100.40", "alice", "right");
	query_tls = 0;
	assert_int_equal(r.verdict, GATE_PASS);
	cfg.basic_over_tls_only = 0;
	stop();
}

static void test_digest(void **state)
{
	char headers[2048], nonce[128];
	struct gate_result r;

	(void)state;
	start("local");
	assert_true(gate_challenge_headers(gate, NULL, headers, sizeof(headers), 0, 0) > 0);
	assert_non_null(strstr(headers, "Digest"));
	param(headers, "nonce", nonce, sizeof(nonce));
	r = digest("198.51.100.30", "alice", "right", nonce, 1);
	assert_int_equal(r.verdict, GATE_PASS);
	assert_string_equal(r.username, "alice");
	/* the same count again is a replay */
	r = digest("198.51.100.30", "alice", "right", nonce, 1);
	assert_int_equal(r.verdict, GATE_FAIL);
	r = digest("198.51.100.30", "alice", "right", nonce, 2);
	assert_int_equal(r.verdict, GATE_PASS);
	r = digest("198.51.100.31", "alice", "wrong", nonce, 3);
	assert_int_equal(r.verdict, GATE_FAIL);
	r = digest("198.51.100.32", "dave", "right", nonce, 4);
	assert_int_equal(r.verdict, GATE_FAIL);
	r = digest("198.51.100.33", "nobody", "right", nonce, 5);
	assert_int_equal(r.verdict, GATE_FAIL);
	stop();
}

static void test_cache_ends_with_password_change(void **state)
{
	struct gate_result r;
	struct store *st;
	char err[256], phc[PASSWD_HASH_MAX];
	int ended = 0;

	(void)state;
	start("local");
	r = basic("198.51.100.40", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(r.from_cache, 0);
	r = basic("198.51.100.40", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(r.from_cache, 1);

	st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(passwd_hash("new", 3, &cheap, phc, sizeof(phc)), 0);
	assert_int_equal(store_user_set_password(st, "alice", phc, NULL, NULL, NULL), 0);
	store_close(st);
	/* the gate notices the change on its next round (at most 5 s here);
	 * from then on the old password is checked anew and refused */
	for (int i = 0; i < 50 && !ended; i++) {
		gate_flush(gate);
		usleep(100 * 1000);
		r = basic("198.51.100.41", "alice", "right");
		ended = r.verdict == GATE_FAIL;
		assert_true(r.verdict == GATE_FAIL || r.from_cache);
	}
	assert_true(ended);
	assert_int_equal(r.from_cache, 0);
	r = basic("198.51.100.42", "alice", "new");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(r.from_cache, 0);
	stop();
}

/* ------------------------------------------------------------ policy */

static void set_policy(const char *group, int priority, int denied, uint64_t quota_month,
		       const char *quota_class)
{
	struct store_policy *sp = calloc(1, sizeof(*sp));
	struct store *st;
	char err[256];

	assert_non_null(sp);
	st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	snprintf(sp->group, sizeof(sp->group), "%s", group);
	sp->priority = priority;
	sp->denied = denied;
	sp->quota.month_bytes = quota_month;
	snprintf(sp->quota_class, sizeof(sp->quota_class), "%s", quota_class);
	assert_int_equal(store_policy_set(st, sp), 0);
	store_close(st);
	free(sp);
}

/* The policy of a user comes from memory: the local memberships and the
 * groups a source gave (attrs), the first group by priority, else the
 * default one; a change in the database is seen on the gate's next round. */
static void test_policy_from_memory(void **state)
{
	struct idsource_attrs attrs;
	struct gate_policy gp;
	struct store *st;
	char err[256], cls[64];
	uint64_t q[3];
	int found = 0;

	(void)state;
	start("local");
	/* read with the policies: the quota classes the configuration has */
	snprintf(cfg.shaping_classes, sizeof(cfg.shaping_classes), "crawl=1mbit");
	assert_int_equal(gate_policy_find(gate, "alice", NULL, &gp), 0);
	assert_null(gp.pol);
	gate_policy_release(&gp);

	st = store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_group_add(st, "staff"), 0);
	assert_int_equal(store_group_member_add(st, "staff", "alice"), 0);
	store_close(st);
	set_policy("staff", 10, 0, 7000000, "crawl");
	set_policy("directory-guests", 5, 1, 0, "");
	set_policy("", 100, 1, 0, "");
	for (int i = 0; i < 50 && !found; i++) {
		gate_flush(gate);
		usleep(100 * 1000);
		found = gate_policy_find(gate, "alice", NULL, &gp);
		if (found)
			assert_string_equal(gp.pol->group, "staff");
		gate_policy_release(&gp);
	}
	assert_true(found);
	/* a directory's group of lower priority wins over the local one */
	memset(&attrs, 0, sizeof(attrs));
	assert_int_equal(idsource_attrs_add_group(&attrs, "directory-guests"), 0);
	assert_int_equal(gate_policy_find(gate, "alice", &attrs, &gp), 1);
	assert_string_equal(gp.pol->group, "directory-guests");
	assert_true(gp.pol->denied);
	gate_policy_release(&gp);
	/* in no group with a policy: the default */
	assert_int_equal(gate_policy_find(gate, "dave", NULL, &gp), 1);
	assert_string_equal(gp.pol->group, "");
	gate_policy_release(&gp);
	gate_policy_release(&gp);   /* released twice: nothing happens */
	assert_int_equal(gate_policy_class(gate, "dave", NULL, cls, sizeof(cls)), 0);
	assert_string_equal(cls, "");
	/* a policy's quotas, for the sessions of users without their own */
	assert_int_equal(gate_policy_quota(gate, "alice", &q[0], &q[1], &q[2], cls, sizeof(cls)), 1);
	assert_true(q[0] == 0 && q[1] == 0 && q[2] == 7000000);
	/* and its quota class, for those a used-up quota throttles */
	assert_string_equal(cls, "crawl");
	assert_int_equal(gate_policy_quota(gate, "dave", &q[0], &q[1], &q[2], cls, sizeof(cls)), 0);
	assert_true(q[2] == 0);
	assert_string_equal(cls, "");
	assert_int_equal(gate_policy_quota(gate, "dave", &q[0], &q[1], &q[2], NULL, 0), 0);
	/* a quota class the configuration does not have is none: the
	 * throttled go into [shaping] quota_class, not into no class */
	set_policy("staff", 10, 0, 7000000, "gone");
	found = 0;
	for (int i = 0; i < 50 && !found; i++) {
		gate_flush(gate);
		usleep(100 * 1000);
		if (gate_policy_find(gate, "alice", NULL, &gp) == 1)
			found = strcmp(gp.pol->quota_class, "gone") == 0;
		gate_policy_release(&gp);
	}
	assert_true(found);
	assert_int_equal(gate_policy_quota(gate, "alice", &q[0], &q[1], &q[2], cls, sizeof(cls)), 1);
	assert_string_equal(cls, "");
	stop();
}

/* ------------------------------------------------------------ source order */

static void table_says(const char *user, const char *password, enum idsource_verdict right,
		       enum idsource_verdict wrong)
{
	snprintf(table.user, sizeof(table.user), "%s", user);
	snprintf(table.password, sizeof(table.password), "%s", password);
	table.right = right;
	table.wrong = wrong;
	table.asked = 0;
}

static void test_sources_in_order(void **state)
{
	struct gate_result r;
	struct gate_login login;

	(void)state;
	/* local first: a user it accepts is never asked of the next */
	start("local,table");
	table_says("alice", "other", IDSOURCE_ACCEPT, IDSOURCE_WRONG_PASSWORD);
	r = basic("198.51.100.50", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(table.asked, 0);
	/* a name local does not know goes on to the next, whose attributes
	 * come back with the verdict */
	table_says("remote", "pw", IDSOURCE_ACCEPT, IDSOURCE_WRONG_PASSWORD);
	r = basic("198.51.100.51", "remote", "pw");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(table.asked, 1);
	assert_int_equal(r.attrs.session_timeout, 600);
	assert_string_equal(r.attrs.reply_message, "welcome");
	assert_int_equal(r.attrs.n_groups, 2);
	assert_string_equal(r.attrs.groups, "staff");
	assert_string_equal(r.attrs.groups + strlen("staff") + 1, "vpn");
	/* ... also when cached */
	r = basic("198.51.100.51", "remote", "pw");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(r.from_cache, 1);
	assert_int_equal(table.asked, 1);
	assert_int_equal(r.attrs.n_groups, 2);
	assert_string_equal(r.attrs.reply_message, "welcome");
	/* and through the portal */
	table_says("remote2", "pw", IDSOURCE_ACCEPT, IDSOURCE_WRONG_PASSWORD);
	assert_int_equal(form("198.51.100.52", "remote2", "pw", &login), GATE_PASS);
	assert_int_equal(login.attrs.session_timeout, 600);
	/* a wrong local password goes on too: the next source may accept it */
	table_says("alice", "other", IDSOURCE_ACCEPT, IDSOURCE_WRONG_PASSWORD);
	r = basic("198.51.100.53", "alice", "other");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(table.asked, 1);
	/* a disabled (or expired) local account is final, whatever the
	 * password and whatever a later source would say */
	table_says("dave", "other", IDSOURCE_ACCEPT, IDSOURCE_ACCEPT);
	r = basic("198.51.100.54", "dave", "right");
	assert_int_equal(r.verdict, GATE_FAIL);
	r = basic("198.51.100.55", "dave", "other");
	assert_int_equal(r.verdict, GATE_FAIL);
	table_says("eve", "other", IDSOURCE_ACCEPT, IDSOURCE_ACCEPT);
	r = basic("198.51.100.56", "eve", "other");
	assert_int_equal(r.verdict, GATE_FAIL);
	assert_int_equal(table.asked, 0);
	/* a source that cannot answer, for a name nobody else knows: 503 */
	table_says("ghost", "pw", IDSOURCE_UNREACHABLE, IDSOURCE_UNREACHABLE);
	r = basic("198.51.100.57", "ghost", "pw");
	assert_int_equal(r.verdict, GATE_UNAVAILABLE);
	/* ... and not remembered: asked again */
	r = basic("198.51.100.57", "ghost", "pw");
	assert_int_equal(r.verdict, GATE_UNAVAILABLE);
	assert_int_equal(table.asked, 2);
	/* but a wrong local password is not excused by it: a failure */
	table_says("alice", "other", IDSOURCE_UNREACHABLE, IDSOURCE_UNREACHABLE);
	r = basic("198.51.100.58", "alice", "wrong");
	assert_int_equal(r.verdict, GATE_FAIL);
	/* the source refusing the account ends the search */
	table_says("alice", "third", IDSOURCE_REFUSED, IDSOURCE_REFUSED);
	r = basic("198.51.100.59", "alice", "third");
	assert_int_equal(r.verdict, GATE_FAIL);
	stop();

	/* the other order: the table is asked first and decides alone */
	start("table,local");
	table_says("alice", "other", IDSOURCE_ACCEPT, IDSOURCE_NO_SUCH_USER);
	r = basic("198.51.100.60", "alice", "other");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(table.asked, 1);
	/* refused by the first: local, which would accept, is not asked */
	table_says("alice", "right", IDSOURCE_REFUSED, IDSOURCE_NO_SUCH_USER);
	r = basic("198.51.100.61", "alice", "right");
	assert_int_equal(r.verdict, GATE_FAIL);
	assert_int_equal(table.asked, 1);
	stop();
	/* the first does not know the name: local answers */
	start("table,local");
	table_says("bob", "other", IDSOURCE_ACCEPT, IDSOURCE_WRONG_PASSWORD);
	r = basic("198.51.100.62", "alice", "right");
	assert_int_equal(r.verdict, GATE_PASS);
	assert_int_equal(table.asked, 1);
	assert_int_equal(r.attrs.n_groups, 0);
	stop();
}

static int group_setup(void **state)
{
	(void)state;
	log_init(LOG_LEVEL_ERROR, 0);
	snprintf(dir, sizeof(dir), "/tmp/portcullis-test-gate-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return idsource_register("table", table_new);
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[400];

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_unknown_and_accounts),
		cmocka_unit_test(test_lockout_after_threshold),
		cmocka_unit_test(test_whitelist),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_basic_over_tls_only),
		cmocka_unit_test(test_cache_ends_with_password_change),
		cmocka_unit_test(test_sources_in_order),
		cmocka_unit_test(test_policy_from_memory),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
