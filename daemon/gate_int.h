/*
 * gate_int.h — private to the gate's files: gate.c (admission, the one
 * password check, form and admin logins, whitelist, accounts, the
 * maintenance thread, life) and gate_request.c (the verdict on a proxy
 * request's credentials, Basic, Digest or Negotiate, answered at once or on the
 * verification threads) and gate_voucher.c (a guest's voucher code).
 * Nothing outside daemon/gate*.c includes it.
 */
#ifndef PORTCULLIS_GATE_INT_H
#define PORTCULLIS_GATE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "credcache.h"
#include "gate.h"
#include "idsource.h"
#include "loop.h"
#include "metrics.h"
#include "negotiate.h"
#include "snapshot.h"
#include "store.h"

#define GATE_MAX_THREADS   256
#define GATE_MAX_SOURCES   8
/* Basic checks in flight, found by their credentials so that the same
 * credentials sent again before the answer wait for it (gate_join) */
#define INFLIGHT_BUCKETS   256
#define INFLIGHT_WAITERS   256     /* per check; more are checked apart */

struct gate {
	const struct config *cfg;   /* as started: what only a restart changes */
	/* what a reload changes: the realm and schemes as a snapshot (the
	 * realm is a string), the plain numbers as atomics */
	struct snapshot_slot live;
	int live_ready;
	int republish_realm;              /* atomic: maint thread rewrites the realm */
	int digest_kept;                  /* atomic: the database keeps Digest secrets
					   * (store_digest_secrets_kept); Digest is
					   * offered only then */
	struct credcache *cache;

	/* lock_admin counts admin account names apart from proxy usernames:
	 * anyone who can reach the proxy could otherwise lock an
	 * administrator out of the panel by failing proxy logins as "admin" */
	struct lockout *lock_addr, *lock_user, *lock_admin;
	/* failures per address and username together: a success forgives
	 * only what that username failed from that address */
	struct lockout *lock_pair;
	struct auth_nonces *nonces;
	struct pool *pool;
	/* asked in this order ([auth] sources); digest_source: the first
	 * that keeps Digest secrets when every source keeps them, NULL:
	 * Digest is not offered */
	struct idsource *idsources[GATE_MAX_SOURCES];
	size_t n_idsources;
	struct idsource *digest_source;
	/* [kerberos]: the Negotiate acceptor; NULL: Negotiate is not offered */
	struct negotiate *negotiate;

	pthread_rwlock_t wl_lock;
	struct cidr *whitelist;
	size_t n_whitelist;

	/* the accounts that may still use what they were let through for
	 * (gate_user_usable): read by the maint thread when the users change */
	pthread_rwlock_t usable_lock;
	struct usable_user *usable;       /* sorted by name_hash */
	size_t n_usable;
	int usable_loaded;
	uint8_t usable_key[16];           /* SipHash of the names */

	/* explicit-proxy users' relayed bytes and data quotas (gate_usage.c) */
	pthread_mutex_t usage_lock;
	struct usage_user **usage;        /* hashed by name; NULL until the first */
	int64_t usage_flushed_at;         /* wall s: to session_history */
	int64_t usage_users_gen;          /* the users generation its quotas are of */
	uint64_t usage_policy_gen;        /* and the policies' (gate_policy_generation) */

	struct audit *audit;              /* written by the maint thread */
	pthread_t maint;
	int maint_started;

	struct store *store;              /* maint thread's own */
	struct store *thread_stores[GATE_MAX_THREADS];   /* the pool threads' */
	size_t n_thread_stores;
	struct store_generations gens;
	pthread_mutex_t stores_lock;      /* thread_stores */
	pthread_mutex_t wl_cb_lock;       /* wl_cb, wl_cb_ud; held while cb runs */
	gate_whitelist_cb wl_cb;          /* who follows the whitelist (intercept) */
	void *wl_cb_ud;
	gate_rate_cb rate_cb;             /* who knows the sessions' rates (intercept) */
	void *rate_cb_ud;
	uint64_t serial;                  /* for thread_store_gate */

	/* the group policies and local memberships (gate_policy.c): read
	 * by the maint thread when they change, replaced whole */
	pthread_rwlock_t policy_lock;
	struct policy_book *policy_book;
	uint64_t policy_generation;       /* atomic: gate_policy_generation */

	pthread_mutex_t inflight_lock;    /* inflight and the jobs' waiters */
	struct gate_job *inflight[INFLIGHT_BUCKETS];
};

struct usable_user {
	uint64_t name_hash;
	int64_t expires_at;               /* wall s; 0 never */
	uint64_t credential;              /* sessions_credential_stamp of the hash */
};

/* What the sources keep of a user changed (idsource_env.groups_changed). */
void gate_groups_changed_cb(void *ud);

static inline int64_t gate_mono_now(void)
{
	return loop_mono_ms() / 1000;
}

/* ---- admission (gate.c): the lockout checked and attempts counted */

/* 1 if the address or the username is locked out (*retry_after set);
 * *known (may be NULL): whether either has any failure on record. */
int gate_locked(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		const char *username, unsigned *retry_after, int *known);
/* Admit an attempt decided later: 0 admitted (gate_release or
 * gate_count_failure(admitted 1) must follow), 1 refused (*retry_after). */
int gate_admit(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
	       const char *username, unsigned *retry_after, unsigned *addr_pending);
/* End an admitted attempt that did not fail. */
void gate_release(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *username);
/* Count a failure towards the lockouts (audited as the lockout when it
 * starts one). */
void gate_count_failure(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
			const char *scheme, const char *username, enum metrics_reason cause,
			const char *host, const char *ua, int admitted);
/* A success: forgive this username's failures from this address, count
 * it, queue the login time. */
void gate_success(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *username, int lockout_known, int admitted);
/* Count, log and audit one failure. */
void gate_failure(struct gate *g, enum gate_mode mode, const struct sockaddr *client,
		  const char *scheme, const char *username, enum metrics_reason reason,
		  const char *host, const char *user_agent);

/* ---- verdicts (gate.c) */

/* The one password check: the identity sources in order, the answer
 * cached. e->key set by the caller; *attrs filled; peer (NULL: unknown)
 * told to the sources. 0, or -1 when no
 * answer can be had now (nothing cached). */
int gate_verify_password(struct gate *g, const char *username, const char *password,
			 size_t password_len, const struct idsource_peer *peer,
			 struct credcache_entry *e,
			 struct idsource_attrs *attrs);
/* The verdict a cached Basic answer gives now (the account may have
 * expired since), with its reason in *why. */
enum gate_verdict gate_basic_from_cache(const struct credcache_entry *e,
					enum metrics_reason *why);
/* The schemes offered under cfg to client (NULL: to anyone; else the
 * first range of [auth] schemes_by_source holding it decides), Digest
 * only while the database keeps its secrets and a source can answer it,
 * Negotiate only with the keytab read. */
unsigned gate_schemes(struct gate *g, const struct config *cfg, const struct sockaddr *client);
/* The calling thread's own connection to the store (opened on first use,
 * closed with the gate); NULL when the database cannot be opened. */
struct store *gate_thread_store(struct gate *g);
/* The realm in force into buf (idsource_env.realm; ud is the gate). */
void gate_realm_cb(void *ud, char *buf, size_t len);

/* ---- the policy book (gate_policy.c) */

/* Read the policies and memberships from st and publish them. 0 or -1
 * (the book read before stays). */
int gate_load_policies(struct gate *g, struct store *st);
/* Drop the book at the gate's end. */
void gate_free_policies(struct gate *g);

/* gate_usage.c: maint thread, each period; final: the last one, at a stop */
void gate_usage_round(struct gate *g, int final);
void gate_usage_free(struct gate *g);

#endif
