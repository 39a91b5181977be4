/*
 * The verdict on a proxy request's credentials (the Proxy-Authorization
 * header, Basic or Digest): answered at once from the credential cache,
 * the lockout or a malformed header, else on the verification threads
 * and completed on the caller's loop.
 */
#include "gate_int.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cidr.h"
#include "http.h"
#include "log.h"
#include "pool.h"
#include "sessions.h"

struct gate_job {
	struct pool_job job;
	struct gate *g;
	enum gate_mode mode;
	struct sockaddr_storage client;
	char method[32];
	char host[256];
	char user_agent[257];
	struct auth_credentials creds;
	uint8_t *token;               /* Negotiate: the decoded token, owned */
	size_t token_len;
	int admitted;                 /* counted in flight by gate_admit */
	enum metrics_reason why;      /* of a failure, decided on the pool thread */
	struct gate_result res;
	gate_done_cb cb;
	void *ud;
	/* a Basic check is in g->inflight under its credentials' cache key
	 * and its client's address key until job_done */
	int in_flight_table;
	uint8_t key[32];
	char client_key[64];
	struct gate_job *inflight_next;
	struct gate_waiter *waiters;
	unsigned n_waiters;
};

/* A request that sent the same credentials from the same client as a
 * check in flight: it takes that check's verdict instead of a check (and
 * an admission slot) of its own. */
struct gate_waiter {
	struct loop_call call;
	struct gate_waiter *next;
	struct loop *loop;
	gate_done_cb cb;
	void *ud;
	struct sockaddr_storage client;
	char host[256];
	char user_agent[257];
	int lockout_known;
	struct gate_result res;
};

static const char *scheme_name(const struct auth_credentials *c)
{
	switch (c->scheme) {
	case AUTH_SCHEME_BASIC: return "basic";
	case AUTH_SCHEME_DIGEST: return "digest";
	case AUTH_SCHEME_NEGOTIATE: return "negotiate";
	case AUTH_SCHEME_NONE: return "none";
	default: return "other";
	}
}

/* Digest: is creds' response right for this account record? */
static int digest_matches(const struct credcache_entry *u, const struct auth_credentials *c,
			  const char *method)
{
	char expect[AUTH_HEX_MAX];
	const char *ha1 = c->alg == AUTH_DIGEST_SHA256 ? u->ha1_sha256 : u->ha1_md5;

	if (!ha1[0])
		return 0;
	auth_digest_response(c->alg, ha1, c, method, strlen(method), expect);
	return auth_secret_equal(expect, c->response);
}

/*
 * Decide a Digest request given the account record. Runs on a loop thread
 * (cache hit) or a pool thread; both only hash a few hundred bytes.
 */
static enum gate_verdict digest_decide(struct gate *g, const struct credcache_entry *u,
				       const struct auth_credentials *c, const char *method,
				       enum metrics_reason *why)
{
	int64_t now = gate_mono_now();
	enum auth_nonce_check nc;

	if (!u->exists) {
		*why = METRICS_REASON_UNKNOWN_USER;
		return GATE_FAIL;
	}
	if (!u->ha1_md5[0] && !u->ha1_sha256[0]) {
		/* No secret for this realm (none kept, made for another realm, or
		 * of unknown realm): no response can match, so nothing is being
		 * guessed. The client is challenged again and nothing counts
		 * against the user, whose own client may well prefer Digest. */
		char euser[3 * 64 + 8];

		log_escape(euser, sizeof(euser), c->username, strlen(c->username));
		log_notice("digest login: user=\"%s\" has no Digest secret for this realm; "
			   "challenged again (a Basic or portal login, or a new password, makes one)",
			   euser);
		return GATE_CHALLENGE;
	}
	if (!digest_matches(u, c, method)) {
		*why = METRICS_REASON_WRONG_PASSWORD;
		return GATE_FAIL;
	}
	/* RFC 7616 §3.3: a right response with a nonce that is no longer (or
	 * never was, e.g. before a restart) ours is answered stale=true so the
	 * client retries without asking its user. */
	nc = auth_nonce_check(g->nonces, c->nonce, c->nc, now);
	if (nc == AUTH_NONCE_STALE || nc == AUTH_NONCE_INVALID) {
		*why = METRICS_REASON_STALE_NONCE;
		return GATE_STALE;
	}
	if (nc == AUTH_NONCE_REPLAY) {
		*why = METRICS_REASON_REPLAYED_NONCE;
		return GATE_FAIL;
	}
	if (!u->enabled) {
		*why = METRICS_REASON_DISABLED;
		return GATE_FAIL;
	}
	if (u->account_expires && u->account_expires <= loop_wall_ms() / 1000) {
		*why = METRICS_REASON_EXPIRED;
		return GATE_FAIL;
	}
	return GATE_PASS;
}

/* A Digest record as a cache entry (exists 0: no such user). */
static void digest_entry(struct credcache_entry *e, const char *username,
			 const struct idsource_digest *d, int found)
{
	memset(e, 0, sizeof(*e));
	e->exists = found;
	if (!found)
		return;
	snprintf(e->username, sizeof(e->username), "%s", username);
	e->enabled = d->enabled;
	e->account_expires = d->expires_at;
	e->credential = d->credential;
	snprintf(e->ha1_md5, sizeof(e->ha1_md5), "%s", d->ha1_md5);
	snprintf(e->ha1_sha256, sizeof(e->ha1_sha256), "%s", d->ha1_sha256);
}

/* Negotiate (RFC 4559): the token checked by GSS-API, the principal
 * mapped to a username. Runs on a verification thread. */
/* Whether a remembered success of a remote source's user still stands:
 * not when that source has since found the account disabled or gone (a
 * directory's refresh), which then answers the password check itself. */
static int cached_still_usable(struct gate *g, const char *username,
			       const struct credcache_entry *e)
{
	return !e->ok || e->credential != SESSIONS_CREDENTIAL_REMOTE ||
	       gate_user_usable(g, username, e->credential);
}

static void job_negotiate(struct gate_job *j)
{
	struct gate *g = j->g;
	char principal[NEGOTIATE_PRINCIPAL_MAX], detail[256], eprincipal[3 * 128 + 8];
	enum negotiate_result r;

	r = negotiate_accept(g->negotiate, j->token, j->token_len, principal, sizeof(principal),
			     detail, sizeof(detail));
	j->res.verdict = GATE_FAIL;
	switch (r) {
	case NEGOTIATE_OK:
		if (negotiate_username(principal, g->cfg->kerberos_strip_realm, j->res.username,
				       sizeof(j->res.username)) < 0) {
			log_escape(eprincipal, sizeof(eprincipal), principal, strlen(principal));
			log_notice("negotiate: principal \"%s\" makes no username", eprincipal);
			j->why = METRICS_REASON_KERBEROS_BAD_TOKEN;
			return;
		}
		/* the groups of a directory that knows the name, for the
		 * per-group policy (local groups follow the name anyway) */
		for (size_t i = 0; i < g->n_idsources; i++) {
			struct idsource *src = g->idsources[i];
			int rc;

			if (!src->lookup_groups)
				continue;
			rc = src->lookup_groups(src, j->res.username, &j->res.attrs);
			if (rc < 0) {
				/* a group policy could not be applied as it says */
				log_warn("negotiate: the groups of a Kerberos user cannot be read "
					 "from %s; answering 503 until it is back", src->name);
				j->res.verdict = GATE_UNAVAILABLE;
				return;
			}
			if (rc == 1)
				break;
		}
		j->res.verdict = GATE_PASS;
		j->res.negotiated = 1;
		/* the KDC's user, no local account to follow */
		j->res.credential = SESSIONS_CREDENTIAL_REMOTE;
		return;
	case NEGOTIATE_SKEW:
		j->why = METRICS_REASON_KERBEROS_SKEW;
		break;
	case NEGOTIATE_EXPIRED:
		j->why = METRICS_REASON_KERBEROS_EXPIRED;
		break;
	case NEGOTIATE_BAD_TOKEN:
		j->why = METRICS_REASON_KERBEROS_BAD_TOKEN;
		break;
	case NEGOTIATE_ERROR:
		j->res.verdict = GATE_UNAVAILABLE;
		log_warn("negotiate: cannot check tokens (%s); answering 503", detail);
		return;
	}
	log_notice("negotiate: token refused (%s): %s", metrics_reason_name(j->why), detail);
}

static void job_work(struct pool_job *pj)
{
	struct gate_job *j = (struct gate_job *)pj;
	struct gate *g = j->g;
	uint64_t epoch = credcache_epoch(g->cache);
	struct credcache_entry e;
	enum metrics_reason why = METRICS_REASON_MALFORMED;
	/* an explicit proxy sees no MAC: the client may be routers away */
	struct idsource_peer peer = { .client = (struct sockaddr *)&j->client };

	j->res.verdict = GATE_UNAVAILABLE;
	snprintf(j->res.username, sizeof(j->res.username), "%s", j->creds.username);
	if (j->creds.scheme == AUTH_SCHEME_NEGOTIATE) {
		job_negotiate(j);
	} else if (j->creds.scheme == AUTH_SCHEME_BASIC) {
		/* a burst of new connections with the same credentials queues many
		 * jobs at once: the first finished fills the cache for the rest */
		credcache_key(g->cache, CREDCACHE_BASIC, j->creds.username, strlen(j->creds.username),
			  j->creds.password, j->creds.password_len, e.key);
		if (credcache_get(g->cache, e.key, &e, &j->res.attrs) &&
		    cached_still_usable(g, j->creds.username, &e)) {
			j->res.from_cache = 1;
			j->res.verdict = gate_basic_from_cache(&e, &j->why);
		} else if (gate_verify_password(g, j->creds.username, j->creds.password,
						j->creds.password_len, &peer, &e,
						&j->res.attrs) < 0) {
			log_warn("gate: cannot check credentials (an identity source cannot "
				 "answer); answering 503 until it is back");
		} else {
			j->res.verdict = e.ok ? GATE_PASS : GATE_FAIL;
			j->why = e.failure;
		}
		j->res.credential = e.credential;
	} else if (g->digest_source) {
		struct idsource_digest d;
		char realm[STORE_REALM_MAX + 1];
		int rc;

		gate_realm_cb(g, realm, sizeof(realm));
		rc = g->digest_source->digest_record(g->digest_source, j->creds.username, realm, &d);
		if (rc < 0) {
			log_warn("gate: cannot read user record; answering 503 until the database is back");
		} else {
			digest_entry(&e, j->creds.username, &d, rc == 0);
			OPENSSL_cleanse(&d, sizeof(d));
			credcache_key(g->cache, CREDCACHE_USER, j->creds.username, strlen(j->creds.username), NULL, 0,
				  e.key);
			credcache_put(g->cache, &e, epoch, NULL);
			j->res.verdict = digest_decide(g, &e, &j->creds, j->method, &why);
			j->res.credential = e.credential;
			j->why = why;
		}
	}
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(j->creds.password, sizeof(j->creds.password));
}


/* Apply a final verdict: count, audit, lockout bookkeeping. */
static void gate_conclude(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
			  const struct auth_credentials *c, enum metrics_reason why,
			  struct gate_result *res, const char *host, const char *ua, int lockout_known,
			  int admitted)
{
	const char *scheme = scheme_name(c);

	switch (res->verdict) {
	case GATE_PASS:
		gate_success(g, mode, client, res->username, lockout_known, admitted);
		break;
	case GATE_STALE:
		/* the normal renewal of a Digest nonce: audited, never counted
		 * towards a lockout */
		gate_failure(g, mode, client, scheme, c->username, why, host, ua);
		if (admitted)
			gate_release(g, mode, client, c->username);
		break;
	case GATE_FAIL:
		gate_failure(g, mode, client, scheme, c->username, why, host, ua);
		gate_count_failure(g, mode, client, scheme, c->username, why, host, ua, admitted);
		break;
	default:
		if (admitted)
			gate_release(g, mode, client, c->username);
		break;
	}
}

static void waiter_call_cb(void *ud)
{
	struct gate_waiter *w = ud;

	w->cb(w->ud, &w->res);
	free(w);
}

/* Take j out of the table of checks in flight and give each request that
 * waited for it the verdict, counted and audited as its own attempt, on
 * the waiter's own loop. */
static void inflight_finish(struct gate_job *j)
{
	struct gate *g = j->g;
	struct gate_waiter *w, *next;
	struct gate_job **pp;

	if (!j->in_flight_table)
		return;
	pthread_mutex_lock(&g->inflight_lock);
	for (pp = &g->inflight[j->key[0] % INFLIGHT_BUCKETS]; *pp; pp = &(*pp)->inflight_next)
		if (*pp == j) {
			*pp = j->inflight_next;
			break;
		}
	w = j->waiters;
	j->waiters = NULL;
	pthread_mutex_unlock(&g->inflight_lock);
	for (; w; w = next) {
		next = w->next;
		w->res = j->res;
		if (!j->job.cancelled)
			gate_conclude(g, j->mode, (struct sockaddr *)&w->client, &j->creds, j->why,
				      &w->res, w->host, w->user_agent, w->lockout_known, 0);
		w->call.fn = waiter_call_cb;
		w->call.ud = w;
		loop_post_call(w->loop, &w->call);
	}
}

/* 1 when a Basic check of the same credentials from the same client is in
 * flight and the request now waits for its verdict: cb(ud, res) runs on
 * loop exactly once, as for a check of its own. Without this, a client
 * that opens many connections at once (a browser, or an office behind one
 * address) met the bound on its checks in flight with the same right
 * password at every start and every cache expiry, and got 429s. */
static int gate_join(struct gate *g, const struct gate_query *q, const uint8_t key[32],
		     int lockout_known, struct loop *loop, gate_done_cb cb, void *ud)
{
	char client_key[64];
	struct gate_waiter *w;
	struct gate_job *j;

	cidr_client_key_text(q->client, client_key, sizeof(client_key));
	w = calloc(1, sizeof(*w));
	if (!w)
		return 0;
	pthread_mutex_lock(&g->inflight_lock);
	for (j = g->inflight[key[0] % INFLIGHT_BUCKETS]; j; j = j->inflight_next)
		if (j->mode == q->mode && memcmp(j->key, key, 32) == 0 &&
		    strcmp(j->client_key, client_key) == 0 && j->n_waiters < INFLIGHT_WAITERS)
			break;
	if (j) {
		w->loop = loop;
		w->cb = cb;
		w->ud = ud;
		memcpy(&w->client, q->client,
		       q->client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in));
		http_text_copy(w->host, sizeof(w->host), q->host ? q->host : "", q->host_len);
		http_text_copy(w->user_agent, sizeof(w->user_agent),
			       q->user_agent ? q->user_agent : "", q->user_agent_len);
		w->lockout_known = lockout_known;
		w->next = j->waiters;
		j->waiters = w;
		j->n_waiters++;
	}
	pthread_mutex_unlock(&g->inflight_lock);
	if (!j)
		free(w);
	return j != NULL;
}

static void job_done(struct pool_job *pj)
{
	struct gate_job *j = (struct gate_job *)pj;

	if (pj->cancelled) {
		/* the gate stopped before the check ran: nothing was decided */
		j->res.verdict = GATE_UNAVAILABLE;
		if (j->admitted)
			gate_release(j->g, j->mode, (struct sockaddr *)&j->client, j->creds.username);
	} else {
		gate_conclude(j->g, j->mode, (struct sockaddr *)&j->client, &j->creds,
			      j->why, &j->res, j->host, j->user_agent, 1, j->admitted);
	}
	inflight_finish(j);
	j->cb(j->ud, &j->res);
	OPENSSL_cleanse(&j->creds, sizeof(j->creds));
	free(j->token);
	free(j);
}

/* token: a Negotiate token (token_len bytes) the job takes ownership of,
 * or NULL */
static int gate_submit(struct gate *g, const struct gate_query *q,
		       const struct auth_credentials *c, const uint8_t *key,
		       uint8_t *token, size_t token_len,
		       struct gate_result *res, struct loop *loop, gate_done_cb cb, void *ud)
{
	struct gate_job *j = calloc(1, sizeof(*j));
	unsigned pending = 0;

	if (!j) {
		free(token);
		res->verdict = GATE_UNAVAILABLE;
		return 0;
	}
	j->token = token;
	j->token_len = token_len;
	j->g = g;
	j->mode = q->mode;
	memcpy(&j->client, q->client,
	       q->client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	http_text_copy(j->method, sizeof(j->method), q->method ? q->method : "", q->method_len);
	http_text_copy(j->host, sizeof(j->host), q->host ? q->host : "", q->host_len);
	http_text_copy(j->user_agent, sizeof(j->user_agent), q->user_agent ? q->user_agent : "",
		     q->user_agent_len);
	j->creds = *c;
	j->creds.token = NULL;    /* borrowed from the request: the job has its own */
	j->cb = cb;
	j->ud = ud;
	j->job.work = job_work;
	j->job.done = job_done;
	j->job.loop = loop;
	if (gate_admit(g, q->mode, q->client, c->username, &res->retry_after, &pending)) {
		OPENSSL_cleanse(&j->creds, sizeof(j->creds));
		free(j->token);
		free(j);
		res->verdict = GATE_LOCKED;
		return 0;
	}
	j->admitted = 1;
	if (key) {
		/* before the pool can run it, so a request that follows finds it */
		memcpy(j->key, key, sizeof(j->key));
		cidr_client_key_text(q->client, j->client_key, sizeof(j->client_key));
		j->in_flight_table = 1;
		pthread_mutex_lock(&g->inflight_lock);
		j->inflight_next = g->inflight[key[0] % INFLIGHT_BUCKETS];
		g->inflight[key[0] % INFLIGHT_BUCKETS] = j;
		pthread_mutex_unlock(&g->inflight_lock);
	}
	/* the verify threads serve each address's first check in flight
	 * before the others: a client with many checks queued delays another
	 * client's login by at most the checks already running */
	if (pool_submit_urgent(g->pool, &j->job, pending == 1) < 0) {
		log_warn("gate: verification queue full, answering 503");
		j->job.cancelled = 1;
		j->res.verdict = GATE_UNAVAILABLE;
		inflight_finish(j);
		gate_release(g, q->mode, q->client, c->username);
		OPENSSL_cleanse(&j->creds, sizeof(j->creds));
		free(j->token);
		free(j);
		res->verdict = GATE_UNAVAILABLE;
		return 0;
	}
	return 1;
}

/* The Digest uri names the request target as sent, or (as curl and
 * browsers send it through a proxy) just its path of an absolute URL. */
static int digest_uri_matches(const char *uri, const char *target, size_t target_len)
{
	size_t ulen = strlen(uri);
	const char *sep;

	if (ulen == target_len && memcmp(uri, target, ulen) == 0)
		return 1;
	if (ulen == 0 || uri[0] != '/' || ulen >= target_len ||
	    memcmp(target + target_len - ulen, uri, ulen) != 0)
		return 0;
	/* what precedes must be exactly "scheme://authority" */
	sep = memmem(target, target_len - ulen, "://", 3);
	return sep && !memchr(sep + 3, '/', (size_t)(target + target_len - ulen - sep - 3));
}

/* Whether the running configuration offers the scheme of c to client
 * (and, for Digest, in its realm). */
static int gate_scheme_offered(struct gate *g, const struct auth_credentials *c,
			       const struct sockaddr *client)
{
	struct snapshot *s = snapshot_slot_get(&g->live);
	const struct config *cfg = &s->cfg;
	unsigned schemes = gate_schemes(g, cfg, client);
	int ok;

	if (c->scheme == AUTH_SCHEME_NEGOTIATE)
		ok = (schemes & CONFIG_SCHEME_NEGOTIATE) && g->negotiate;
	else if (c->scheme == AUTH_SCHEME_BASIC)
		ok = (schemes & CONFIG_SCHEME_BASIC) != 0;
	else
		ok = (schemes & (c->alg == AUTH_DIGEST_SHA256 ? CONFIG_SCHEME_DIGEST_SHA256
							      : CONFIG_SCHEME_DIGEST_MD5)) &&
		     strcmp(c->realm, cfg->realm) == 0 && g->digest_source;
	snapshot_release(s);
	return ok;
}

/* With [auth] basic_over_tls_only, Basic (the password in clear, RFC 7617
 * §4) is neither offered nor taken on a plain connection to the proxy. */
static int gate_basic_refused(struct gate *g, const struct gate_query *q)
{
	struct snapshot *s;
	int refused;

	if (q->tls || q->mode != GATE_MODE_EXPLICIT)
		return 0;
	s = snapshot_slot_get(&g->live);
	refused = s->cfg.basic_over_tls_only;
	snapshot_release(s);
	return refused;
}

/* gate_check with the credentials parsed. */
static int gate_check_creds(struct gate *g, const struct gate_query *q,
			    struct auth_credentials *c, struct gate_result *res,
			    struct loop *loop, gate_done_cb cb, void *ud)
{
	char host[256], ua[257], method[32];
	struct credcache_entry e;
	uint8_t key[32];
	enum metrics_reason why;
	int known;

	http_text_copy(host, sizeof(host), q->host ? q->host : "", q->host_len);
	http_text_copy(ua, sizeof(ua), q->user_agent ? q->user_agent : "", q->user_agent_len);
	http_text_copy(method, sizeof(method), q->method ? q->method : "", q->method_len);
	http_text_copy(res->username, sizeof(res->username), c->username, strlen(c->username));

	/* Basic that came in clear where it is refused is not looked at: the
	 * client is challenged as if it had sent nothing, for Digest */
	if (c->scheme == AUTH_SCHEME_BASIC && gate_basic_refused(g, q)) {
		metrics_inc(challenges);
		res->verdict = GATE_CHALLENGE;
		return 0;
	}
	if (gate_locked(g, q->mode, q->client, c->username, &res->retry_after, &known)) {
		metrics_inc(locked_refusals);
		res->verdict = GATE_LOCKED;
		return 0;
	}

	if (c->scheme == AUTH_SCHEME_NEGOTIATE) {
		uint8_t *token;
		long n;

		if (!gate_scheme_offered(g, c, q->client))
			goto malformed;
		token = malloc(c->token_len / 4 * 3 + 1);
		if (!token) {
			res->verdict = GATE_UNAVAILABLE;
			return 0;
		}
		n = auth_negotiate_token(c, token, c->token_len / 4 * 3 + 1);
		if (n <= 0) {
			free(token);
			goto malformed;
		}
		return gate_submit(g, q, c, NULL, token, (size_t)n, res, loop, cb, ud);
	}
	if (c->scheme == AUTH_SCHEME_BASIC) {
		if (!gate_scheme_offered(g, c, q->client))
			goto malformed;
		credcache_key(g->cache, CREDCACHE_BASIC, c->username, strlen(c->username), c->password,
			  c->password_len, key);
		if (credcache_get(g->cache, key, &e, &res->attrs) &&
		    cached_still_usable(g, c->username, &e)) {
			res->from_cache = 1;
			res->verdict = gate_basic_from_cache(&e, &why);
			res->credential = e.credential;
			gate_conclude(g, q->mode, q->client, c, why, res, host, ua, known, 0);
			return 0;
		}
		if (gate_join(g, q, key, known, loop, cb, ud))
			return 1;
		return gate_submit(g, q, c, key, NULL, 0, res, loop, cb, ud);
	}

	/* Digest (RFC 7616) */
	if (!gate_scheme_offered(g, c, q->client))
		goto malformed;
	/* the uri parameter must name this request (§3.4.6), so a captured
	 * header cannot be replayed against another resource */
	if (!digest_uri_matches(c->uri, q->target, q->target_len))
		goto malformed;
	credcache_key(g->cache, CREDCACHE_USER, c->username, strlen(c->username), NULL, 0, key);
	if (credcache_get(g->cache, key, &e, NULL)) {
		res->from_cache = 1;
		res->verdict = digest_decide(g, &e, c, method, &why);
		res->credential = e.credential;
		if (res->verdict == GATE_PASS)
			metrics_inc(auth_cache_hits);
		gate_conclude(g, q->mode, q->client, c, why, res, host, ua, known, 0);
		return 0;
	}
	return gate_submit(g, q, c, NULL, NULL, 0, res, loop, cb, ud);

malformed:
	res->verdict = GATE_FAIL;
	gate_conclude(g, q->mode, q->client, c, METRICS_REASON_MALFORMED, res, host, ua, 1,
		      0);
	return 0;
}

/* gate_check's parsed credentials: nothing gate_check calls calls it
 * again, so one per thread is enough */
static __thread struct auth_credentials check_creds;

int gate_check(struct gate *g, const struct gate_query *q, struct gate_result *res,
	       struct loop *loop, gate_done_cb cb, void *ud)
{
	struct auth_credentials *c;
	enum auth_parse p;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!q->authorization) {
		metrics_inc(challenges);
		res->verdict = GATE_CHALLENGE;
		return 0;
	}
	/* struct auth_credentials is a few KiB: off small loop stacks, and
	 * not allocated per request either; a slow check takes a copy */
	c = &check_creds;
	p = auth_parse_credentials(q->authorization, q->authorization_len, c);
	if (p != AUTH_PARSE_OK) {
		char host[256], ua[257];

		http_text_copy(host, sizeof(host), q->host ? q->host : "", q->host_len);
		http_text_copy(ua, sizeof(ua), q->user_agent ? q->user_agent : "", q->user_agent_len);
		http_text_copy(res->username, sizeof(res->username), c->username, strlen(c->username));
		res->verdict = GATE_FAIL;
		gate_conclude(g, q->mode, q->client, c, METRICS_REASON_MALFORMED, res, host, ua, 1, 0);
		rc = 0;
	} else {
		rc = gate_check_creds(g, q, c, res, loop, cb, ud);
	}
	auth_credentials_wipe(c);
	return rc;
}

