/*
 * gate — the one place that answers "may this client pass?".
 *
 * Every face (explicit proxy, intercept, portal, admin) asks the gate:
 * is this address whitelisted, are these credentials valid, is this client
 * locked out; and it tells the gate about failures, which the gate counts,
 * logs (one line per failure, for fail2ban) and audits (audit.h: queued,
 * written in batches by the gate's own thread so request handling never
 * waits on the database). Beneath it sit the identity sources (idsource.h:
 * asked in the order of [auth] sources), the credential cache
 * (credcache.h), the lockout counters and the Digest nonces; callers see
 * none of them, only what a source said of a user it let in (struct
 * idsource_attrs in gate_result and gate_login).
 *
 * A slow check (scrypt, or a user record not in the cache) runs on the
 * gate's thread pool and completes on the caller's loop.
 */
#ifndef PORTCULLIS_GATE_H
#define PORTCULLIS_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth.h"
#include "idsource.h"
#include "policy.h"
#include "pool.h"

struct cidr;
struct config;
struct loop;
struct gate;

enum gate_mode {
	GATE_MODE_EXPLICIT,
	GATE_MODE_INTERCEPT,
	GATE_MODE_PORTAL,
	GATE_MODE_ADMIN,
};

enum gate_verdict {
	GATE_PASS,          /* credentials valid (or whitelisted) */
	GATE_CHALLENGE,     /* no credentials: the normal first leg, not audited */
	GATE_FAIL,          /* bad credentials: challenge again (audited) */
	GATE_STALE,         /* Digest nonce stale: challenge with stale=true */
	GATE_LOCKED,        /* locked out: 429 with retry_after */
	GATE_UNAVAILABLE,   /* cannot check now (database down, pool full): 503 */
};

/* What the gate needs to know about a request; all borrowed for the call. */
struct gate_query {
	enum gate_mode mode;
	const struct sockaddr *client;
	const char *authorization;       /* Proxy-Authorization value or NULL */
	size_t authorization_len;
	const char *method;              /* for Digest */
	size_t method_len;
	const char *target;              /* request-target, for Digest's uri */
	size_t target_len;
	const char *host;                /* for the audit record */
	size_t host_len;
	const char *user_agent;
	size_t user_agent_len;
	int tls;                         /* came over TLS: Basic is taken even with
					  * [auth] basic_over_tls_only */
};

struct gate_result {
	enum gate_verdict verdict;
	char username[AUTH_USER_MAX + 1];   /* set for PASS (and failures) */
	unsigned retry_after;               /* LOCKED */
	int from_cache;
	uint64_t credential;                /* PASS: which stored password hash the
					     * credentials were checked against (0:
					     * unknown), for gate_user_usable */
	int negotiated;                     /* PASS by Negotiate (RFC 4559): the
					     * connection stays authenticated */
	struct idsource_attrs attrs;        /* PASS: what the identity source said
					     * beside "accept" (session and idle
					     * timeouts, Reply-Message, Class,
					     * groups); zero: nothing */
};

typedef void (*gate_done_cb)(void *ud, const struct gate_result *res);

/* Opens the store, loads the whitelist, starts the gate's threads.
 * NULL with a message in err on failure. cfg is borrowed for the gate's life. */
struct gate *gate_new(const struct config *cfg, char *err, size_t errlen);
void gate_free(struct gate *g);

/* 1 if the address is on the whitelist. */
int gate_whitelisted(struct gate *g, const struct sockaddr *client);

/* 1 while username's account may still use what it was let through for:
 * it exists, is enabled, has not expired and, when credential is not 0
 * (gate_result.credential of the check that let it through), still has
 * the password it was checked against (as the database said at the last
 * change the gate saw; 1 when it could never be read). A name checked
 * with SESSIONS_CREDENTIAL_REMOTE (a RADIUS or directory user, asked
 * again only at the next check): 1. In memory, cheap: for a loop's
 * tick. */
int gate_user_usable(struct gate *g, const char *username, uint64_t credential);

/*
 * Check the credentials in q. Returns 0 with *res filled when the answer is
 * known at once (no credentials, cached, locked out, malformed), or 1 when
 * the check went to the pool: cb(ud, res) will then run on loop exactly
 * once, and the caller must keep ud alive until it has.
 */
int gate_check(struct gate *g, const struct gate_query *q, struct gate_result *res,
	       struct loop *loop, gate_done_cb cb, void *ud);

/*
 * Check an administrator's name and password (admin accounts, not proxy
 * users). Blocks for a scrypt: call it from a thread that may block (the
 * admin server's). Failures are audited with mode admin and count towards
 * the lockout like any other; *retry_after is set for GATE_LOCKED.
 */
enum gate_verdict gate_check_admin(struct gate *g, const struct sockaddr *client,
				   const char *username, const char *password, size_t password_len,
				   const char *user_agent, unsigned *retry_after);

/* What a form login proved, for the session intercept_session_start starts. */
struct gate_login {
	int from_memory;      /* checked against the credential cache: the
			       * database could not be read */
	uint64_t credential;  /* which stored password hash it was checked
			       * against: the session ends when it changes */
	struct idsource_attrs attrs;   /* as in gate_result */
};

/*
 * A username and password typed into a form (the portal), checked at once:
 * blocks for a scrypt, so call it from a thread that may block. Failures
 * are audited with mode and count towards the lockout like any other;
 * *retry_after is set for GATE_LOCKED; *login (may be NULL) is filled for
 * GATE_PASS. When an identity source cannot answer (the database cannot
 * be read), credentials the gate verified before and still holds in its
 * cache (a proxy request, an earlier portal login, within [auth]
 * cache_ttl) are checked against the cache; others cannot be checked and
 * get GATE_UNAVAILABLE. client_mac (6 bytes, NULL: unknown) is the MAC
 * the client's connection came from, told to a source that sends it on
 * (RADIUS Calling-Station-Id).
 */
enum gate_verdict gate_check_form_login(struct gate *g, enum gate_mode mode,
					const struct sockaddr *client, const uint8_t *client_mac,
					const char *username, const char *password,
					size_t password_len, const char *user_agent,
					unsigned *retry_after, struct gate_login *login);

/* What a voucher code let in, for the session it starts. */
struct gate_voucher {
	char username[64];    /* "voucher:ROLL-NUMBER", the session's user */
	int64_t roll_id, number;
	unsigned lifetime;    /* s left of the code's validity (its roll's expiry
			       * included) */
	unsigned max_devices; /* devices logged in at once with the code */
	char bandwidth_class[64];  /* the roll's, "" none */
	struct gate_login login;   /* for intercept_session_start: no local
				    * account behind it, the lifetime above */
};

/* Why a code was refused (GATE_FAIL). */
enum gate_voucher_refusal {
	GATE_VOUCHER_UNKNOWN,
	GATE_VOUCHER_EXPIRED,
	GATE_VOUCHER_REVOKED,
	GATE_VOUCHER_QUOTA,     /* its roll's data quota: the bytes of every
				 * session the code had, on all its devices */
};

/*
 * A voucher code a guest typed into the portal, checked at once: blocks
 * for a scrypt (also when the code is unknown, so that the time says
 * nothing), so call it from a thread that may block. Its first use starts
 * its validity. Failures are audited with mode portal and user "voucher"
 * (or the code's name once its lookup part matched one) and count towards
 * the address's lockout like wrong passwords; never towards a username's,
 * which every guest would share. GATE_PASS with *out filled; GATE_FAIL
 * with *why; GATE_LOCKED with *retry_after; GATE_UNAVAILABLE when the
 * database cannot be read.
 */
enum gate_verdict gate_check_voucher(struct gate *g, const struct sockaddr *client,
				     const char *typed, const char *user_agent,
				     unsigned *retry_after, struct gate_voucher *out,
				     enum gate_voucher_refusal *why);

/*
 * Whether the code behind a voucher session's name ("voucher:ROLL-NUMBER")
 * may still start a session now: not revoked (the code or its roll), not
 * expired, its data quota not used up. For a choice made after the code
 * was checked (the portal's device choice): the state may have changed
 * since. GATE_PASS; GATE_FAIL with *why (GATE_VOUCHER_UNKNOWN: no such
 * code, or not a voucher's name); GATE_UNAVAILABLE when the database
 * cannot be read. Blocks on the store.
 */
enum gate_verdict gate_voucher_usable(struct gate *g, const char *username,
				      enum gate_voucher_refusal *why);

/*
 * Whoever must follow the whitelist (in intercept mode, the kernel's sets:
 * intercept_whitelist_cb): cb(ud, list, n, old, n_old) runs once at once
 * with the list the gate holds (old NULL, n_old 0), then on the gate's
 * maintenance thread after every reload, with the list before it. It
 * borrows the lists for the call and must not call back into the gate's
 * whitelist functions. One at a time: a later call replaces it, cb NULL
 * removes it, and once that returns cb is not running and is not called
 * again.
 */
typedef void (*gate_whitelist_cb)(void *ud, const struct cidr *list, size_t n,
				  const struct cidr *old, size_t n_old);
void gate_on_whitelist(struct gate *g, gate_whitelist_cb cb, void *ud);

/*
 * Who knows each session's current rate (in intercept mode, the sessions'
 * counter reads: intercept_session_rate_cb), for the admin API:
 * cb(ud, addr, &in, &out) gives the bytes/s over about the last minute of
 * the session on addr (canonical text), 0, or -1 without one. Not locked:
 * set before the admin listener starts, removed (cb NULL) after it stopped.
 * gate_session_rate asks it: -1 when none is set.
 */
typedef int (*gate_rate_cb)(void *ud, const char *addr, uint64_t *rate_in, uint64_t *rate_out);
void gate_on_session_rate(struct gate *g, gate_rate_cb cb, void *ud);
int gate_session_rate(struct gate *g, const char *addr, uint64_t *rate_in, uint64_t *rate_out);

/* Build the Proxy-Authenticate lines for a 407 (see auth_challenge_headers)
 * for client ([auth] schemes_by_source; NULL: [auth] schemes); tls says
 * whether the client came over TLS: on a plain connection, with [auth]
 * basic_over_tls_only, Basic is not offered. */
int gate_challenge_headers(struct gate *g, const struct sockaddr *client, char *buf, size_t len,
			   int stale, int tls);

/*
 * Apply a reloaded configuration (SIGHUP): schemes, realm, credential cache
 * TTL, Digest nonce lifetime, lockout limits, audit retention. cfg is
 * borrowed for the call (copied); its other fields are ignored, they need a
 * restart. Checks in progress finish under the settings they started with.
 * 0, or -1 out of memory (nothing changed).
 */
int gate_reconfigure(struct gate *g, const struct config *cfg);

/*
 * Stop the slow-check threads and wait for them: a check in progress
 * finishes, a queued one is answered GATE_UNAVAILABLE, each through its
 * callback posted to its loop; later checks are answered GATE_UNAVAILABLE
 * at once. Call it before the loops that checks complete on are freed.
 * Accepts NULL.
 */
void gate_stop_checks(struct gate *g);

/*
 * Per-group policy (policy.h). The policy that applies to username, a
 * user of the groups in attrs (what its identity source said; may be
 * NULL) and of its local groups: 1 with out set, or 0 when none applies
 * (out->pol NULL). Answered from memory (the policies and the local
 * memberships as the database last said them): no database read; cheap
 * enough for every request. out holds a reference on what out->pol
 * points into until gate_policy_release.
 */
struct policy_book;
struct gate_policy {
	struct policy_book *book;
	const struct policy *pol;
};
int gate_policy_find(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		     struct gate_policy *out);
/* Accepts a gate_policy that found nothing, and one released already. */
void gate_policy_release(struct gate_policy *gp);
/* The bandwidth class name of username's policy into buf ("" none): 1 when
 * it has one. For fair share; as gate_policy_find. */
int gate_policy_class(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		      char *buf, size_t len);
/*
 * Explicit-proxy users' data use. The proxy adds what it relayed for a
 * user (in: from the client, out: to it; HTTP heads and bodies, tunnel
 * bytes) as it goes, at least once a second; the maintenance thread
 * writes it to session_history every minute and at a stop (rows with
 * reason "explicit", one per user and minute), where the user's day and month
 * quotas (the user's own, else its group policy's, as for a portal
 * session) count it as they count ended portal sessions,
 * and checks it against them every 250 ms with what is not written yet:
 * a user who has used up the day's or month's quota is over it until the
 * period starts again (local midnight; the first of the month). A
 * session quota is a portal session's: the explicit proxy has none.
 * Any thread.
 */
void gate_usage_add(struct gate *g, const char *username, const struct sockaddr *client,
		    uint64_t bytes_in, uint64_t bytes_out);
/* 1 when username has used up a quota and is refused for it ([shaping]
 * quota_action = end), with *until (wall s; may be NULL) when the period
 * starts again; 0 otherwise. From memory. */
int gate_usage_over(struct gate *g, const char *username, int64_t *until);
/* With quota_action = throttle a user who has used up a quota is not
 * refused: 1 while username is (its connections are shaped into the
 * quota class, gate_user_shape_class), 0 otherwise. From memory. */
int gate_usage_throttled(struct gate *g, const char *username);

/* A user's data use against the quotas that hold it, for the panel. */
enum gate_quota_from {
	GATE_QUOTA_NONE,
	GATE_QUOTA_OWN,         /* the user's own (any of the three set) */
	GATE_QUOTA_POLICY,      /* else its group policy's */
};
struct gate_quota_use {
	enum gate_quota_from from;
	uint64_t session_bytes, day_bytes, month_bytes;   /* the quotas; 0 none */
	uint64_t day_used, month_used;      /* bytes in + out in the local day and
					     * month so far (of a quota that is set):
					     * what session_history holds of it, the
					     * open sessions as their rows hold them
					     * (up to 10 s old), and the explicit
					     * proxy's bytes not written yet */
	int64_t day_resets_at, month_resets_at;  /* wall s the next local day and
						  * month start */
};
/* username's use (st the caller's own connection; now wall s): 0, or -1
 * the store did not answer. Any thread. */
int gate_user_quota_use(struct gate *g, struct store *st, const char *username, int64_t now,
			struct gate_quota_use *out);

/* The bandwidth class username is shaped into ("" none; the caller applies
 * the default class): the user's own (user set --class), else its
 * policy's. 1 when it has one. From memory, read again within half a
 * second of a change to either. */
int gate_user_class(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		    char *buf, size_t len);
/* The class username's explicit-proxy connections are shaped into now:
 * while a used-up quota throttles the user (gate_usage_throttled), its
 * policy's quota class or else [shaping] quota_class
 * (shaper_throttle_class); otherwise gate_user_class's. */
void gate_user_shape_class(struct gate *g, const char *username,
			   const struct idsource_attrs *attrs, char *buf, size_t len);
/* The data quotas (bytes in + out per session, local day, local month; 0
 * none) of username's policy, the groups as the gate knows them without a
 * login (its local groups, a directory's cached ones): 1 when one is set.
 * quota_class (may be NULL) gets the policy's quota class ("" none, and
 * "" when [shaping] classes has no class of that name, logged once per
 * policy: shaper_throttle_class then gives quota_class), whether or not a
 * quota is set. For the
 * sessions' quota check (sessions_quota_policy); as gate_policy_find. */
int gate_policy_quota(struct gate *g, const char *username, uint64_t *session, uint64_t *day,
		      uint64_t *month, char *quota_class, size_t len);
/* A portal login's policy (the one of username and login->attrs' groups),
 * after GATE_PASS: 1 admitted, with login->attrs' session and idle
 * timeouts set to the shorter of the source's (or the configuration's)
 * and the policy's, and the session cut to end when the policy's time
 * window closes; 0 refused (a denied group, outside its windows) with the
 * reason for the person in why, counted in policy_refusals. */
struct gate_login;
int gate_policy_login(struct gate *g, const char *username, struct gate_login *login, char *why,
		      size_t len);
/* A refusal of gate_policy_login in parts, for a face that words it in
 * the person's language: what refused (kind), when access opens (with
 * POLICY_OPENS) and whose policy it is. */
struct gate_policy_refusal {
	enum policy_refusal kind;
	struct policy_time opens;
	char group[POLICY_GROUP_MAX + 1];   /* "": the default policy */
};
/* As gate_policy_login; refusal (NULL: not wanted) gets the parts when it
 * refuses. */
int gate_policy_login_why(struct gate *g, const char *username, struct gate_login *login,
			  char *why, size_t len, struct gate_policy_refusal *refusal);
/* The devices username may have logged in at once (0: no limit): its own
 * limit own (user devices; 0 none set) when it has one, else its policy's
 * (policy set --devices; as gate_policy_find, attrs NULL: the groups the
 * sources and the local memberships know), else none. */
unsigned gate_device_limit(struct gate *g, const char *username, unsigned own,
			   const struct idsource_attrs *attrs);
/*
 * What username's policy and identity source say now of a portal session
 * checked by source ("" or NULL: the local store) that started at
 * created_at (wall s), for the sessions' maintenance round. From memory:
 * a directory user's groups as its source last read them (a user whose
 * groups it has not read yet, a session restored after a restart, is
 * GATE_STANDING_UNKNOWN, and the source is asked to read them off this
 * thread). GATE_STANDING_KEEP fills *ends_by (wall s: the policy's
 * lifetime from created_at, the close of its time window; 0 none) and
 * *idle (s; 0 none).
 */
enum gate_standing {
	GATE_STANDING_KEEP,
	GATE_STANDING_UNKNOWN,
	GATE_STANDING_DENIED,        /* the policy's group may not go online */
	GATE_STANDING_HOURS,         /* outside the policy's time windows */
	GATE_STANDING_DISABLED,      /* the source refuses the account now */
	GATE_STANDING_GONE,          /* the source no longer knows the account */
};
enum gate_standing gate_policy_standing(struct gate *g, const char *username, const char *source,
					int64_t created_at, int64_t *ends_by, unsigned *idle);
/* The groups an identity source keeps for username (a directory's, as it
 * last read them at a login or a refresh) into attrs' groups, with the
 * source's name in attrs->source: 1, or 0 when no source keeps any. From
 * memory; for the admin panel's user page. */
int gate_source_groups(struct gate *g, const char *username, struct idsource_attrs *attrs);
/* Changes whenever what gate_policy_standing answers may have changed: the
 * policies or the local memberships were read again, a source read a
 * user's groups or account with a different answer. */
uint64_t gate_policy_generation(struct gate *g);
/* Why username's portal session was ended, for the person: 1 when its
 * policy refuses it now (refusal filled, as gate_policy_login_why's), 0
 * when it does not (the policy changed again since, or a directory ended
 * the session). */
struct gate_policy_refusal;
int gate_policy_end_why(struct gate *g, const char *username, struct gate_policy_refusal *refusal);
/* A stored policy as policy.h's, for the gate and the CLI alike: 0, or -1
 * with a message in err when a text does not parse (p then refuses its
 * users: a restriction that cannot be read is not lifted). */
struct store_policy;
int gate_policy_from_store(const struct store_policy *sp, struct policy *p, char *err,
			   size_t errlen);

/* Flush the audit queue now (at shutdown). */
void gate_flush(struct gate *g);

#endif
