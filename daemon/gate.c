/*
 * Slightly over a thousand lines: the gate's answers that share its locks
 * and tables (lockouts, whitelist, accounts, admins) and its life. The
 * proxy's request path is gate_request.c, the cache credcache.c, the audit
 * queue audit.c; the identity sources are idsource_*.c.
 */
#include "gate_int.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "audit.h"
#include "cidr.h"
#include "config.h"
#include "credcache.h"
#include "http.h"
#include "idsource.h"
#include "lockout.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "passwd.h"
#include "sessions.h"
#include "snapshot.h"
#include "store.h"

#define LOCKOUT_SLOTS      65536
/* slow checks (a scrypt, a user record read) one address, and one address
 * for one username, may have queued or running at once: what one client
 * can make the verify threads do ahead of everyone else. A bare username
 * has no such bound: any LAN host can send checks for any name, and a
 * bound shared by all of them would let one host refuse another user's
 * own logins (the username's lockout by failures is another matter: it
 * is the documented price of counting guesses per account). */
#define SLOW_CHECKS_PER_ADDRESS 8
#define SLOW_CHECKS_PER_PAIR    8
#define ADMIN_LOCKOUT_SLOTS 4096   /* admin names: few, and only from the admin listener */
#define NONCE_TABLE        16384
#define MAINT_PERIOD_MS    250
/* A store handle per pool thread: a struct store is single-threaded. The
 * gate remembers them to close them after the pool's threads are joined.
 * thread_store_gate: the serial of the gate that opened it: a thread that
 * outlives a gate (the one that freed it) must not use the handle that
 * gate closed. */
static __thread struct store *thread_store;
static __thread uint64_t thread_store_gate;
static uint64_t gate_serials;             /* atomic */

/* ------------------------------------------------------------ failures */

static const char *mode_name(enum gate_mode m)
{
	switch (m) {
	case GATE_MODE_EXPLICIT: return "explicit";
	case GATE_MODE_INTERCEPT: return "intercept";
	case GATE_MODE_PORTAL: return "portal";
	case GATE_MODE_ADMIN: return "admin";
	}
	return "explicit";
}

void gate_failure(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *scheme, const char *username, enum metrics_reason reason,
		  const char *host, const char *user_agent)
{
	audit_failure(g->audit, mode_name(mode), client, scheme, username, reason, host,
		      user_agent, audit_reason_names_account(reason));
}

/* ------------------------------------------------------------ lockouts */

/* *known (may be NULL): whether the address or the username has any
 * failures or lockout on record at all. */
static struct lockout *user_table(struct gate *g, enum gate_mode mode)
{
	return mode == GATE_MODE_ADMIN ? g->lock_admin : g->lock_user;
}

/* The pair table's key: the address and the username, and which kind of
 * name it is (an admin account's or a proxy user's). Returns its length. */
static size_t pair_key(char *buf, size_t len, enum gate_mode mode, const char *addr,
		       const char *username)
{
	int n = snprintf(buf, len, "%c%s", mode == GATE_MODE_ADMIN ? 'A' : 'U', addr);
	size_t ulen = strlen(username);

	if (n < 0 || (size_t)n + 1 + ulen > len)
		ulen = 0;       /* cannot happen: the buffer holds both at their longest */
	buf[n] = '\0';
	memcpy(buf + n + 1, username, ulen);
	return (size_t)n + 1 + ulen;
}

int gate_locked(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		const char *username, unsigned *retry_after, int *known)
{
	char addr[64];
	unsigned ra_addr = 0, ra_user = 0;
	int locked = 0, addr_known = 0, user_known = 0;
	int64_t now = gate_mono_now();

	cidr_client_key_text(client, addr, sizeof(addr));
	if (lockout_check_known(g->lock_addr, addr, strlen(addr), now, &ra_addr,
				&addr_known))
		locked = 1;
	if (username[0] &&
	    lockout_check_known(user_table(g, mode), username, strlen(username), now,
				&ra_user, &user_known))
		locked = 1;
	if (known)
		*known = addr_known || user_known;
	*retry_after = ra_addr > ra_user ? ra_addr : ra_user;
	if (*retry_after == 0)
		*retry_after = 1;
	return locked;
}

/*
 * Admit an attempt that will be decided later (a slow check) or elsewhere
 * (a blocking form login): the lockout is checked and the attempt counted
 * as in flight in one step under the counters' locks, so concurrent
 * attempts from one address (or at one username) get no more guesses than
 * the threshold between them; at most SLOW_CHECKS_PER_ADDRESS are in
 * flight from the address and SLOW_CHECKS_PER_PAIR from it for the
 * username, however many other hosts send for that username. 0 admitted:
 * gate_release or gate_count_failure(admitted 1) must follow, and
 * *addr_pending (may be NULL) is the address's attempts in flight, this
 * one included. 1 refused, with *retry_after (429).
 */
int gate_admit(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
	       const char *username, unsigned *retry_after, unsigned *addr_pending)
{
	char addr[64], pair[1 + 64 + 1 + AUTH_USER_MAX];
	size_t pair_len = 0;
	int64_t now = gate_mono_now();

	cidr_client_key_text(client, addr, sizeof(addr));
	*retry_after = 1;
	if (lockout_admit(g->lock_addr, addr, strlen(addr), now, SLOW_CHECKS_PER_ADDRESS,
			  retry_after, addr_pending) != 0)
		goto refused;
	if (!username[0])
		return 0;
	pair_len = pair_key(pair, sizeof(pair), mode, addr, username);
	if (lockout_admit(g->lock_pair, pair, pair_len, now, SLOW_CHECKS_PER_PAIR, retry_after,
			  NULL) != 0) {
		lockout_settle(g->lock_addr, addr, strlen(addr), now, 0);
		goto refused;
	}
	/* the username's failures and attempts in flight are held against
	 * its threshold; their number in flight is not bounded here */
	if (lockout_admit(user_table(g, mode), username, strlen(username), now, UINT_MAX,
			  retry_after, NULL) != 0) {
		lockout_settle(g->lock_pair, pair, pair_len, now, 0);
		lockout_settle(g->lock_addr, addr, strlen(addr), now, 0);
		goto refused;
	}
	return 0;
refused:
	metrics_inc(locked_refusals);
	return 1;
}

/* End an admitted attempt that did not fail (a success, a stale nonce, no
 * verdict). */
void gate_release(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *username)
{
	char addr[64], pair[1 + 64 + 1 + AUTH_USER_MAX];
	int64_t now = gate_mono_now();

	cidr_client_key_text(client, addr, sizeof(addr));
	lockout_settle(g->lock_addr, addr, strlen(addr), now, 0);
	if (username[0]) {
		lockout_settle(g->lock_pair, pair, pair_key(pair, sizeof(pair), mode, addr, username),
			       now, 0);
		lockout_settle(user_table(g, mode), username, strlen(username), now, 0);
	}
}

/* After a failure: count it against the address, the username and the
 * two together (admitted: it was counted in flight by gate_admit, and is
 * settled as a failure); the failure that starts a lockout is audited as
 * the lockout itself. */
void gate_count_failure(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
			const char *scheme, const char *username, enum metrics_reason cause,
			const char *host, const char *ua, int admitted)
{
	char addr[64], pair[1 + 64 + 1 + AUTH_USER_MAX];
	int started;
	int64_t now = gate_mono_now();

	cidr_client_key_text(client, addr, sizeof(addr));
	if (admitted) {
		started = lockout_settle(g->lock_addr, addr, strlen(addr), now, 1);
		if (username[0])
			started |= lockout_settle(user_table(g, mode), username, strlen(username),
						  now, 1);
	} else {
		started = lockout_fail(g->lock_addr, addr, strlen(addr), now);
		if (username[0])
			started |= lockout_fail(user_table(g, mode), username, strlen(username), now);
	}
	if (username[0] && admitted)
		lockout_settle(g->lock_pair, pair, pair_key(pair, sizeof(pair), mode, addr, username),
			       now, 1);
	else if (username[0])
		lockout_fail(g->lock_pair, pair, pair_key(pair, sizeof(pair), mode, addr, username),
			     now);
	if (started) {
		metrics_inc(lockouts);
		audit_failure(g->audit, mode_name(mode), client, scheme, username,
			      METRICS_REASON_LOCKED_OUT, host, ua, audit_reason_names_account(cause));
	}
}

/*
 * A success forgives what this username failed from this address (its
 * typos), and nothing else: another name's failures from the address, and
 * this name's failures from other addresses, still count. Otherwise the
 * holder of any account could guess at others' from one address forever,
 * resetting the address's count with a login of its own between guesses.
 * A lockout in force stays.
 *
 * lockout_known 0: the check just before found no failures on record for
 * the address or the user, so there is nothing to forgive; the hashed
 * lookups under the counters' locks are saved. A failure that another
 * thread counts in between stays counted, which errs on the safe side.
 */
static void gate_forgive(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
			 const char *username, int lockout_known, int admitted)
{
	char addr[64], pair[1 + 64 + 1 + AUTH_USER_MAX];
	int64_t now = gate_mono_now();
	unsigned n;

	if (admitted)
		gate_release(g, mode, client, username);
	if (!lockout_known && !admitted)
		return;
	cidr_client_key_text(client, addr, sizeof(addr));
	n = lockout_take(g->lock_pair, pair, pair_key(pair, sizeof(pair), mode, addr, username),
			 now);
	lockout_forgive(g->lock_addr, addr, strlen(addr), now, n);
	lockout_forgive(user_table(g, mode), username, strlen(username), now, n);
}

void gate_success(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *username, int lockout_known, int admitted)
{
	gate_forgive(g, mode, client, username, lockout_known, admitted);
	metrics_inc(auth_ok);
	audit_login(g->audit, username);
}

/* ------------------------------------------------------------ verdicts */

struct store *gate_thread_store(struct gate *g)
{
	char err[256];

	if (thread_store_gate != g->serial)
		thread_store = NULL;    /* another gate's, closed with it */
	if (!thread_store) {
		thread_store_gate = g->serial;
		thread_store = store_open(g->cfg->db_path, err, sizeof(err));
		if (!thread_store) {
			log_error("gate: cannot open the database: %s", err);
			return NULL;
		}
		pthread_mutex_lock(&g->stores_lock);
		if (g->n_thread_stores < GATE_MAX_THREADS) {
			g->thread_stores[g->n_thread_stores++] = thread_store;
		} else {
			pthread_mutex_unlock(&g->stores_lock);
			store_close(thread_store);
			thread_store = NULL;
			log_error("gate: more verification threads than expected");
			return NULL;
		}
		pthread_mutex_unlock(&g->stores_lock);
	}
	return thread_store;
}

/* The realm in force, for the sources (idsource_env.realm). */
void gate_realm_cb(void *ud, char *buf, size_t len)
{
	struct gate *g = ud;
	struct snapshot *s = snapshot_slot_get(&g->live);

	snprintf(buf, len, "%s", s->cfg.realm);
	snapshot_release(s);
}

static struct store *gate_thread_store_cb(void *ud)
{
	return gate_thread_store(ud);
}

/*
 * The one password check: ask the sources in their order (idsource.h
 * says what several answers make), fill *e (its key already set) with
 * the verdict and cache it, and *attrs (may be NULL) with what the source
 * that accepted said. A refusal is cached too, so the same wrong password
 * sent again and again costs a hash lookup rather than a scrypt each
 * time; but not when a source could not answer: it might have accepted.
 * 0, or -1 when the answer hangs on a source that cannot answer now
 * (nothing cached).
 */
int gate_verify_password(struct gate *g, const char *username, const char *password,
			 size_t password_len, const struct idsource_peer *peer,
			 struct credcache_entry *e,
			 struct idsource_attrs *attrs)
{
	uint64_t epoch = credcache_epoch(g->cache);
	struct idsource_answer ans;
	enum metrics_reason wrong = METRICS_REASON_COUNT;    /* none yet */
	int unreachable = 0, decided = 0;
	uint8_t key[32];

	memcpy(key, e->key, sizeof(key));
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, sizeof(key));
	snprintf(e->username, sizeof(e->username), "%s", username);
	e->failure = METRICS_REASON_UNKNOWN_USER;
	if (attrs)
		memset(attrs, 0, sizeof(*attrs));
	for (size_t i = 0; i < g->n_idsources && !decided; i++) {
		g->idsources[i]->check(g->idsources[i], username, password, password_len, peer,
					  &ans);
		switch (ans.verdict) {
		case IDSOURCE_ACCEPT:
			e->ok = 1;
			e->account_expires = ans.expires_at;
			e->credential = ans.credential;
			if (attrs)
				*attrs = ans.attrs;
			decided = 1;
			break;
		case IDSOURCE_REFUSED:
			e->failure = ans.reason;
			decided = 1;
			break;
		case IDSOURCE_WRONG_PASSWORD:
			if (ans.final) {
				e->failure = ans.reason;
				decided = 1;
			} else if (wrong == METRICS_REASON_COUNT) {
				wrong = ans.reason;
			}
			break;
		case IDSOURCE_UNREACHABLE:
			unreachable = 1;
			break;
		case IDSOURCE_NO_SUCH_USER:
			break;
		}
	}
	OPENSSL_cleanse(&ans, sizeof(ans));
	if (!decided && wrong != METRICS_REASON_COUNT)
		e->failure = wrong;
	else if (!decided && unreachable)
		return -1;
	if (e->ok || !unreachable)
		credcache_put(g->cache, e, epoch, e->ok ? attrs : NULL);
	return 0;
}

/* The verdict a cached Basic entry gives; the account may have expired
 * since it was cached. */
enum gate_verdict gate_basic_from_cache(const struct credcache_entry *e, enum metrics_reason *why)
{
	*why = e->failure;
	if (e->ok && e->account_expires && e->account_expires <= loop_wall_ms() / 1000) {
		*why = METRICS_REASON_EXPIRED;
		return GATE_FAIL;
	}
	if (!e->ok)
		return GATE_FAIL;
	metrics_inc(auth_cache_hits);
	return GATE_PASS;
}

/* The schemes offered: the configuration's, less Digest while the
 * database keeps no Digest secrets (no user could answer it). A 407
 * carries at least one challenge (RFC 9110 section 11.7.1): with Digest
 * the only scheme it stays offered, and every answer fails. */
unsigned gate_schemes(struct gate *g, const struct config *cfg, const struct sockaddr *client)
{
	unsigned configured = cfg->schemes, schemes;

	for (size_t i = 0; client && i < cfg->n_schemes_by_source; i++)
		if (cidr_match(&cfg->schemes_by_source[i].range, client)) {
			configured = cfg->schemes_by_source[i].schemes;
			break;
		}
	schemes = configured;
	if (!__atomic_load_n(&g->digest_kept, __ATOMIC_ACQUIRE) || !g->digest_source)
		schemes &= ~(unsigned)(CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5);
	if (!g->negotiate)
		schemes &= ~(unsigned)CONFIG_SCHEME_NEGOTIATE;
	return schemes ? schemes : configured;
}

/* ------------------------------------------------------------ admins */

enum gate_verdict gate_check_admin(struct gate *g, const struct sockaddr *client,
				   const char *username, const char *password, size_t password_len,
				   const char *user_agent, unsigned *retry_after)
{
	struct store *st = gate_thread_store(g);
	struct store_admin a;
	enum metrics_reason why;
	int rc;

	*retry_after = 0;
	if (gate_admit(g, GATE_MODE_ADMIN, client, username, retry_after, NULL))
		return GATE_LOCKED;
	rc = st ? store_admin_get(st, username, &a) : -1;
	if (rc < 0) {
		gate_release(g, GATE_MODE_ADMIN, client, username);
		return GATE_UNAVAILABLE;
	}
	if (!idsource_verify_password(rc == 0 ? a.phc : NULL, password, password_len)) {
		why = rc == 1 ? METRICS_REASON_UNKNOWN_USER : METRICS_REASON_WRONG_PASSWORD;
	} else {
		gate_forgive(g, GATE_MODE_ADMIN, client, username, 1, 1);
		store_admin_touch_login(st, username, loop_wall_ms() / 1000);
		return GATE_PASS;
	}
	gate_failure(g, GATE_MODE_ADMIN, client, "form", username, why, "", user_agent);
	gate_count_failure(g, GATE_MODE_ADMIN, client, "form", username, why, "", user_agent,
			   1);
	return GATE_FAIL;
}

/* ------------------------------------------------------------ whitelist */

int gate_whitelisted(struct gate *g, const struct sockaddr *client)
{
	int hit;

	pthread_rwlock_rdlock(&g->wl_lock);
	hit = cidr_match_any(g->whitelist, g->n_whitelist, client);
	pthread_rwlock_unlock(&g->wl_lock);
	return hit;
}

struct wl_load {
	struct cidr *list;
	size_t n, cap;
};

static int wl_load_cb(const struct store_whitelist *w, void *ud)
{
	struct wl_load *l = ud;
	struct cidr c;

	if (cidr_parse(w->cidr, &c) < 0) {
		log_warn("whitelist: ignoring unparsable entry '%s'", w->cidr);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct cidr *nl = realloc(l->list, cap * sizeof(*nl));

		if (!nl)
			return -1;
		l->list = nl;
		l->cap = cap;
	}
	l->list[l->n++] = c;
	return 0;
}

static int gate_load_whitelist(struct gate *g, struct store *st)
{
	struct wl_load l = { 0 };
	struct cidr *old;

	if (store_whitelist_list(st, wl_load_cb, &l) < 0) {
		free(l.list);
		return -1;
	}
	pthread_rwlock_wrlock(&g->wl_lock);
	old = g->whitelist;
	g->whitelist = l.list;
	g->n_whitelist = l.n;
	pthread_rwlock_unlock(&g->wl_lock);
	free(old);
	return 0;
}

/* The list before (old, n_old; NULL, 0 at the registration) and the one
 * loaded now to whoever follows the whitelist. Maintenance thread (the
 * whitelist's only writer) or the registration. */
static void gate_whitelist_tell(struct gate *g, const struct cidr *old, size_t n_old)
{
	pthread_mutex_lock(&g->wl_cb_lock);
	if (g->wl_cb) {
		pthread_rwlock_rdlock(&g->wl_lock);
		g->wl_cb(g->wl_cb_ud, g->whitelist, g->n_whitelist, old, n_old);
		pthread_rwlock_unlock(&g->wl_lock);
	}
	pthread_mutex_unlock(&g->wl_cb_lock);
}

void gate_on_whitelist(struct gate *g, gate_whitelist_cb cb, void *ud)
{
	pthread_mutex_lock(&g->wl_cb_lock);
	g->wl_cb = cb;
	g->wl_cb_ud = ud;
	pthread_mutex_unlock(&g->wl_cb_lock);
	if (cb)
		gate_whitelist_tell(g, NULL, 0);
}

void gate_on_session_rate(struct gate *g, gate_rate_cb cb, void *ud)
{
	g->rate_cb = cb;
	g->rate_cb_ud = ud;
}

int gate_session_rate(struct gate *g, const char *addr, uint64_t *rate_in, uint64_t *rate_out)
{
	if (!g || !g->rate_cb)
		return -1;
	return g->rate_cb(g->rate_cb_ud, addr, rate_in, rate_out);
}

/* ------------------------------------------------------------ accounts */

static uint64_t usable_hash(const struct gate *g, const char *name)
{
	return lockout_siphash(g->usable_key, name, strlen(name));
}

static int usable_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct usable_user *)a)->name_hash;
	uint64_t y = ((const struct usable_user *)b)->name_hash;

	return x < y ? -1 : x > y;
}

struct usable_load {
	const struct gate *g;
	struct usable_user *list;
	size_t n, cap;
	int failed;
};

static int usable_load_cb(const struct store_user *u, void *ud)
{
	struct usable_load *l = ud;

	if (!u->enabled)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct usable_user *nl = realloc(l->list, cap * sizeof(*nl));

		if (!nl) {
			l->failed = 1;
			return -1;
		}
		l->list = nl;
		l->cap = cap;
	}
	l->list[l->n].name_hash = usable_hash(l->g, u->name);
	l->list[l->n].expires_at = u->expires_at;
	l->list[l->n].credential = sessions_credential_stamp(u->phc);
	l->n++;
	return 0;
}

/* Read the enabled accounts; on failure the last list read stays. */
static int gate_load_usable(struct gate *g, struct store *st)
{
	struct usable_load l = { .g = g };
	struct usable_user *old;

	/* a partial list would end the tunnels of the accounts it misses */
	if (store_user_list(st, NULL, usable_load_cb, &l) < 0 || l.failed) {
		free(l.list);
		return -1;
	}
	if (l.n)
		qsort(l.list, l.n, sizeof(*l.list), usable_cmp);
	pthread_rwlock_wrlock(&g->usable_lock);
	old = g->usable;
	g->usable = l.list;
	g->n_usable = l.n;
	g->usable_loaded = 1;
	pthread_rwlock_unlock(&g->usable_lock);
	free(old);
	return 0;
}

int gate_user_usable(struct gate *g, const char *username, uint64_t credential)
{
	struct usable_user key = { .name_hash = usable_hash(g, username) };
	const struct usable_user *u;
	int usable;

	if (credential == SESSIONS_CREDENTIAL_REMOTE) {
		/* a remote source's user: no local account to follow, but the
		 * source's own last look (a directory that disabled or removed
		 * the account since) */
		for (size_t i = 0; i < g->n_idsources; i++) {
			struct idsource *src = g->idsources[i];
			enum metrics_reason why;

			if (src->refused && src->refused(src, username, &why))
				return 0;
		}
		return 1;
	}
	pthread_rwlock_rdlock(&g->usable_lock);
	if (!g->usable_loaded) {
		pthread_rwlock_unlock(&g->usable_lock);
		return 1;    /* never read: nothing is known to have ended */
	}
	u = g->n_usable ? bsearch(&key, g->usable, g->n_usable, sizeof(key), usable_cmp) : NULL;
	/* a new password (set by the administrator, or a reset) ends what
	 * the old one let through, as it ends an intercept session */
	usable = u && (u->expires_at == 0 || u->expires_at > loop_wall_ms() / 1000) &&
		 (credential == 0 || credential == u->credential);
	pthread_rwlock_unlock(&g->usable_lock);
	return usable;
}

/*
 * The database cannot be read: authenticated traffic is still served
 * from memory (a broken disk must not lock the LAN out), and a portal login is how an intercepted client gets back
 * to it. Credentials the gate verified before are in the cache, keyed by a
 * keyed hash of name and password, and say the same as the store did then
 * (the cache is dropped whenever a user changes); anything else cannot be
 * checked without the store.
 */
static enum gate_verdict form_login_from_memory(struct gate *g, enum gate_mode mode,
						const struct sockaddr *client, const char *username,
						const char *password, size_t password_len,
						const char *user_agent, struct gate_login *login)
{
	char addr[64], euser[3 * 64 + 8];
	struct credcache_entry e;
	enum metrics_reason why;
	uint8_t key[32];

	cidr_addr_text(client, addr, sizeof(addr));
	log_escape(euser, sizeof(euser), username, strlen(username));
	credcache_key(g->cache, CREDCACHE_BASIC, username, strlen(username), password, password_len, key);
	if (!credcache_get(g->cache, key, &e, login ? &login->attrs : NULL)) {
		log_warn("%s login: client=%s user=\"%s\": the database cannot be read and these "
			 "credentials are not in the memory cache; they cannot be checked until it is back",
			 mode_name(mode), addr, euser);
		gate_release(g, mode, client, username);
		return GATE_UNAVAILABLE;
	}
	if (gate_basic_from_cache(&e, &why) == GATE_PASS) {
		log_notice("%s login: client=%s user=\"%s\": the database cannot be read; credentials "
			   "checked against the memory cache", mode_name(mode), addr, euser);
		gate_success(g, mode, client, username, 1, 1);
		if (login) {
			login->from_memory = 1;
			login->credential = e.credential;
		}
		return GATE_PASS;
	}
	gate_failure(g, mode, client, "form", username, why, "", user_agent);
	gate_count_failure(g, mode, client, "form", username, why, "", user_agent, 1);
	return GATE_FAIL;
}

enum gate_verdict gate_check_form_login(struct gate *g, enum gate_mode mode,
					const struct sockaddr *client, const uint8_t *client_mac,
					const char *username, const char *password,
					size_t password_len, const char *user_agent,
					unsigned *retry_after, struct gate_login *login)
{
	struct idsource_peer peer = { .client = client, .mac = client_mac };
	struct gate_login scratch;
	struct credcache_entry e;
	enum metrics_reason why = METRICS_REASON_MALFORMED;

	*retry_after = 0;
	if (!login)
		login = &scratch;
	memset(login, 0, sizeof(*login));
	if (gate_admit(g, mode, client, username, retry_after, NULL))
		return GATE_LOCKED;
	if (username[0] && password_len <= AUTH_PASS_MAX && strlen(username) <= AUTH_USER_MAX) {
		/* the answer is cached as a proxy check's is: the next login (or
		 * proxy request) with these credentials is answered from memory,
		 * also when the database cannot be read then */
		credcache_key(g->cache, CREDCACHE_BASIC, username, strlen(username), password, password_len, e.key);
		if (gate_verify_password(g, username, password, password_len, &peer, &e,
					 &login->attrs) < 0)
			return form_login_from_memory(g, mode, client, username, password, password_len,
						      user_agent, login);
		why = e.failure;
		if (e.ok) {
			gate_success(g, mode, client, username, 1, 1);
			login->credential = e.credential;
			return GATE_PASS;
		}
	}
	gate_failure(g, mode, client, "form", username, why, "", user_agent);
	gate_count_failure(g, mode, client, "form", username, why, "", user_agent, 1);
	return GATE_FAIL;
}

/* ------------------------------------------------------------ maintenance */

/* Whether the database keeps Digest secrets, as the administrator set it
 * (portcullis digest on|off); read at start and whenever users change. */
static void gate_read_digest_kept(struct gate *g)
{
	int kept = store_digest_secrets_kept(g->store);
	int was;

	if (kept < 0)
		return;
	was = __atomic_exchange_n(&g->digest_kept, kept, __ATOMIC_ACQ_REL);
	if (was != kept || g->gens.users == 0) {
		struct snapshot *s = snapshot_slot_get(&g->live);

		if (!kept && !(s->cfg.schemes & CONFIG_SCHEME_BASIC) &&
		    (s->cfg.schemes & (CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5)))
			log_warn("auth: the database keeps no Digest secrets (portcullis digest "
				 "off) and Digest is the only scheme: no proxy login can succeed; "
				 "add basic to [auth] schemes");
		else if (!kept && (s->cfg.schemes & (CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5)))
			log_notice("auth: the database keeps no Digest secrets "
				   "(portcullis digest off): Digest is not offered");
		else if (kept && !was && g->gens.users)
			log_notice("auth: the database keeps Digest secrets again; Digest works "
				   "for each user once the password is set anew");
		snapshot_release(s);
	}
}

static void maint_poll_generations(struct gate *g)
{
	struct store_generations now;

	if (store_generations(g->store, &now) < 0)
		return;
	if (now.users != g->gens.users) {
		credcache_drop(g->cache);
		log_info("users changed: cached credentials dropped");
		gate_read_digest_kept(g);
		if (gate_load_usable(g, g->store) < 0)
			log_warn("users changed but cannot be read: open tunnels are checked "
				 "against the last list read");
	}
	if (now.whitelist != g->gens.whitelist) {
		size_t n_old = g->n_whitelist;
		struct cidr *old = n_old ? malloc(n_old * sizeof(*old)) : NULL;

		if (old)
			memcpy(old, g->whitelist, n_old * sizeof(*old));
		if (gate_load_whitelist(g, g->store) == 0) {
			log_info("whitelist reloaded: %zu entries", g->n_whitelist);
			gate_whitelist_tell(g, old, old ? n_old : 0);
		}
		free(old);
	}
	if ((now.policies != g->gens.policies || now.users != g->gens.users) &&
	    gate_load_policies(g, g->store) < 0)
		log_warn("policies changed but cannot be read: the ones read before apply");
	g->gens = now;
}

static int gate_publish_realm(const struct config *cfg, struct store *st);

/* The store is the maint thread's: a reload that changed the realm or the
 * schemes asks this thread to record them for the CLI. */
static void maint_republish_realm(struct gate *g)
{
	struct snapshot *s = snapshot_slot_get(&g->live);

	if (gate_publish_realm(&s->cfg, g->store) < 0)
		log_warn("auth: cannot record the new realm in the database; the CLI may "
			 "store Digest hashes for the old one until the next reload");
	snapshot_release(s);
}

static void *maint_thread(void *arg)
{
	struct gate *g = arg;
	int64_t last_gen = 0, last_prune = 0;

	for (;;) {
		int flush, stopping = audit_wait(g->audit, MAINT_PERIOD_MS, &flush);
		int64_t now;

		audit_write(g->audit, g->store);
		if (__atomic_exchange_n(&g->republish_realm, 0, __ATOMIC_ACQ_REL))
			maint_republish_realm(g);
		now = loop_mono_ms();
		if (now - last_gen >= 500 || flush) {
			maint_poll_generations(g);
			last_gen = now;
		}
		if (now - last_prune >= 3600 * 1000 || last_prune == 0) {
			audit_prune(g->audit, g->store);
			last_prune = now;
		}
		gate_usage_round(g, stopping);
		if (stopping)
			return NULL;
	}
}

void gate_flush(struct gate *g)
{
	audit_request_flush(g->audit);
}

/* ------------------------------------------------------------ life */

int gate_challenge_headers(struct gate *g, const struct sockaddr *client, char *buf, size_t len,
			   int stale, int tls)
{
	struct snapshot *s = snapshot_slot_get(&g->live);
	unsigned schemes = gate_schemes(g, &s->cfg, client);
	int n;

	if (!tls && s->cfg.basic_over_tls_only)
		schemes &= ~(unsigned)CONFIG_SCHEME_BASIC;
	n = auth_challenge_headers(buf, len, "Proxy-Authenticate", schemes, s->cfg.realm, g->nonces,
				   gate_mono_now(), stale);

	snapshot_release(s);
	return n;
}

/*
 * Record the realm in the database, for the admin panel and for a CLI
 * that cannot read the configuration. Whatever the schemes, no stored
 * secret is touched: a configuration change never destroys credentials
 * (Digest turned off and on again works as before; only
 * `portcullis digest off` drops the secrets).
 */
static int gate_publish_realm(const struct config *cfg, struct store *st)
{
	char old[STORE_REALM_MAX + 1];

	if (store_meta_get(st, "digest_realm", old, sizeof(old)) == 0 &&
	    strcmp(old, cfg->realm) != 0)
		log_warn("auth: the realm changed from \"%s\" to \"%s\"; a user's Digest secrets "
			 "are for the realm they were made in: Digest works for a user again once "
			 "the password is set anew (Basic is unaffected)", old, cfg->realm);
	return store_meta_set(st, "digest_realm", cfg->realm);
}

/* The pair table only counts (it is never checked): a threshold it never
 * reaches, or 0 when lockouts are off. */
static unsigned pair_threshold(const struct config *cfg)
{
	return cfg->lockout_threshold ? UINT_MAX : 0;
}

/* Create the identity sources [auth] sources names, in its order. */
static int gate_open_sources(struct gate *g, const struct config *cfg, char *err, size_t errlen)
{
	struct idsource_env env = {
		.cfg = cfg, .thread_store = gate_thread_store_cb, .realm = gate_realm_cb,
		.groups_changed = gate_groups_changed_cb, .ud = g,
	};
	const char *p = cfg->auth_sources;

	while (*p) {
		char name[CONFIG_SOURCE_NAME_MAX + 1];
		size_t len = strcspn(p, ",");
		struct idsource *src;

		if (len > CONFIG_SOURCE_NAME_MAX || g->n_idsources == GATE_MAX_SOURCES) {
			snprintf(err, errlen, "auth.sources: too many or too long names");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		src = idsource_new(name, &env, err, errlen);
		if (!src)
			return -1;
		g->idsources[g->n_idsources++] = src;
		if (!g->digest_source && (src->caps & IDSOURCE_CAN_DIGEST))
			g->digest_source = src;
		p += len;
		if (*p == ',')
			p++;
	}
	if (g->n_idsources == 0) {
		snprintf(err, errlen, "auth.sources: no identity source");
		return -1;
	}
	/* Digest is offered only when every source can answer it: a client
	 * picks the strongest scheme offered, and the users of a source that
	 * keeps no Digest secrets (RADIUS) could then never log in */
	for (size_t i = 0; i < g->n_idsources; i++)
		if (!(g->idsources[i]->caps & IDSOURCE_CAN_DIGEST))
			g->digest_source = NULL;
	return 0;
}

struct gate *gate_new(const struct config *cfg, char *err, size_t errlen)
{
	struct gate *g = calloc(1, sizeof(*g));
	uint8_t secret[32], lkey[32];
	unsigned threads;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->cfg = cfg;
	g->serial = __atomic_add_fetch(&gate_serials, 1, __ATOMIC_RELAXED);
	{
		struct snapshot *s = snapshot_new(cfg);

		if (!s) {
			snprintf(err, errlen, "out of memory");
			free(g);
			return NULL;
		}
		snapshot_slot_init(&g->live, s);
		g->live_ready = 1;
	}
	pthread_rwlock_init(&g->wl_lock, NULL);
	pthread_mutex_init(&g->wl_cb_lock, NULL);
	pthread_rwlock_init(&g->usable_lock, NULL);
	pthread_mutex_init(&g->usage_lock, NULL);
	pthread_rwlock_init(&g->policy_lock, NULL);
	pthread_mutex_init(&g->stores_lock, NULL);
	pthread_mutex_init(&g->inflight_lock, NULL);

	g->cache = credcache_new(cfg->cache_ttl, err, errlen);
	if (!g->cache)
		goto fail;
	g->audit = audit_new(cfg->audit_queue_size, cfg->audit_retention_days, err, errlen);
	if (!g->audit)
		goto fail;
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret) ||
	    getrandom(lkey, sizeof(lkey), 0) != sizeof(lkey)) {
		snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
		goto fail;
	}
	g->nonces = auth_nonces_new(secret, cfg->nonce_lifetime, NONCE_TABLE);
	g->lock_addr = lockout_new(LOCKOUT_SLOTS, cfg->lockout_threshold, cfg->lockout_window,
				   cfg->lockout_duration, lkey);
	lkey[0] ^= 0x5a;
	g->lock_user = lockout_new(LOCKOUT_SLOTS, cfg->lockout_threshold, cfg->lockout_window,
				   cfg->lockout_duration, lkey);
	lkey[1] ^= 0x5a;
	g->lock_admin = lockout_new(ADMIN_LOCKOUT_SLOTS, cfg->lockout_threshold,
				    cfg->lockout_window, cfg->lockout_duration, lkey);
	lkey[2] ^= 0x5a;
	g->lock_pair = lockout_new(LOCKOUT_SLOTS, pair_threshold(cfg), cfg->lockout_window,
				   cfg->lockout_duration, lkey);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(lkey, sizeof(lkey));
	if (!g->nonces || !g->lock_addr || !g->lock_user ||
	    !g->lock_admin || !g->lock_pair) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (idsource_verify_init() < 0) {
		snprintf(err, errlen, "cannot hash with scrypt");
		goto fail;
	}
	if (gate_open_sources(g, cfg, err, errlen) < 0)
		goto fail;
	if (cfg->kerberos_keytab[0]) {
		g->negotiate = negotiate_new(cfg->kerberos_keytab, cfg->kerberos_principal, err, errlen);
		if (!g->negotiate)
			goto fail;
	}

	g->store = store_open(cfg->db_path, err, errlen);
	if (!g->store)
		goto fail;
	if (gate_publish_realm(cfg, g->store) < 0 || gate_load_whitelist(g, g->store) < 0 ||
	    store_digest_secrets_kept(g->store) < 0) {
		snprintf(err, errlen, "cannot read or write the database %s", cfg->db_path);
		goto fail;
	}
	gate_read_digest_kept(g);
	if (getrandom(g->usable_key, sizeof(g->usable_key), 0) != sizeof(g->usable_key)) {
		snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
		goto fail;
	}
	if (gate_load_usable(g, g->store) < 0)
		log_warn("cannot read the users: open tunnels are not checked until they change");
	if (gate_load_policies(g, g->store) < 0) {
		snprintf(err, errlen, "cannot read the group policies from %s", cfg->db_path);
		goto fail;
	}
	if (store_generations(g->store, &g->gens) < 0) {
		snprintf(err, errlen, "cannot read or write the database %s", cfg->db_path);
		goto fail;
	}
	/* scrypt is memory-hard: one thread per core is what the machine can
	 * hash at once; more would only queue inside the kernel */
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		threads = ncpu > 0 ? (unsigned)ncpu : 2;
	}
	g->pool = pool_new("verify", threads, 4096);
	if (!g->pool) {
		snprintf(err, errlen, "cannot start verification threads");
		goto fail;
	}
	if (pthread_create(&g->maint, NULL, maint_thread, g) != 0) {
		snprintf(err, errlen, "cannot start the audit writer thread");
		goto fail;
	}
	g->maint_started = 1;
	return g;
fail:
	gate_free(g);
	return NULL;
}

int gate_reconfigure(struct gate *g, const struct config *cfg)
{
	struct snapshot *fresh = snapshot_new(cfg), *old;
	int auth_changed, ttl_changed;

	if (!fresh)
		return -1;
	old = snapshot_slot_get(&g->live);
	auth_changed = old->cfg.schemes != cfg->schemes || strcmp(old->cfg.realm, cfg->realm) != 0;
	snapshot_release(old);
	snapshot_slot_publish(&g->live, fresh);
	ttl_changed = credcache_set_ttl(g->cache, cfg->cache_ttl);
	audit_set_retention(g->audit, cfg->audit_retention_days);
	auth_nonces_set_lifetime(g->nonces, cfg->nonce_lifetime);
	lockout_set_limits(g->lock_addr, cfg->lockout_threshold, cfg->lockout_window,
			   cfg->lockout_duration);
	lockout_set_limits(g->lock_user, cfg->lockout_threshold, cfg->lockout_window,
			   cfg->lockout_duration);
	lockout_set_limits(g->lock_admin, cfg->lockout_threshold, cfg->lockout_window,
			   cfg->lockout_duration);
	lockout_set_limits(g->lock_pair, pair_threshold(cfg), cfg->lockout_window,
			   cfg->lockout_duration);
	/* a shorter TTL must bind entries cached under the longer one too */
	if (ttl_changed || auth_changed)
		credcache_drop(g->cache);
	if (auth_changed) {
		__atomic_store_n(&g->republish_realm, 1, __ATOMIC_RELEASE);
		gate_flush(g);
	}
	return 0;
}

void gate_stop_checks(struct gate *g)
{
	if (g && g->pool)
		pool_stop(g->pool);
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	pool_free(g->pool);
	if (g->maint_started) {
		audit_stop(g->audit);
		pthread_join(g->maint, NULL);
	}
	audit_free(g->audit);
	for (size_t i = 0; i < g->n_idsources; i++)
		g->idsources[i]->free(g->idsources[i]);
	negotiate_free(g->negotiate);
	for (size_t i = 0; i < g->n_thread_stores; i++)
		store_close(g->thread_stores[i]);
	store_close(g->store);
	lockout_free(g->lock_addr);
	lockout_free(g->lock_user);
	lockout_free(g->lock_admin);
	lockout_free(g->lock_pair);
	auth_nonces_free(g->nonces);
	credcache_free(g->cache);
	free(g->whitelist);
	free(g->usable);
	gate_free_policies(g);
	pthread_rwlock_destroy(&g->policy_lock);
	pthread_rwlock_destroy(&g->wl_lock);
	pthread_mutex_destroy(&g->wl_cb_lock);
	pthread_rwlock_destroy(&g->usable_lock);
	gate_usage_free(g);
	pthread_mutex_destroy(&g->usage_lock);
	pthread_mutex_destroy(&g->stores_lock);
	pthread_mutex_destroy(&g->inflight_lock);
	if (g->live_ready)
		snapshot_slot_fini(&g->live);
	free(g);
}
