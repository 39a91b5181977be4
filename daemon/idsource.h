/*
 * idsource — where the gate asks whether a username and password are valid.
 *
 * An identity source is one small vtable: a name, what it can do, a
 * blocking check, and its destructor. The gate creates the sources named
 * in [auth] sources, in that order, and asks them on its verification
 * threads (never on an event loop): a check may block on the disk or the
 * network. The gate owns them and frees them after those threads are
 * joined.
 *
 * Adding a source: one file that implements this header (its constructor
 * takes a const struct idsource_env *), and one line in the table in
 * idsource.c that names it.
 *
 * The order of the answers (what the gate makes of several):
 * - ACCEPT ends the search: the user is in;
 * - REFUSED (account disabled, expired, locked) ends it too, and so does
 *   any answer with final set: that source knows the account and forbids
 *   it whatever a later source would say (the local store sets final for a
 *   disabled or expired account whether or not the password was right);
 * - NO_SUCH_USER, WRONG_PASSWORD and UNREACHABLE go on to the next source.
 * When no source accepts, the answer is the first WRONG_PASSWORD, else the
 * first UNREACHABLE (the gate answers 503: the user may be that source's),
 * else NO_SUCH_USER. A wrong password outranks an unreachable source so
 * that guesses at a local account keep counting towards the lockout while
 * a remote source is down.
 */
#ifndef PORTCULLIS_IDSOURCE_H
#define PORTCULLIS_IDSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "metrics.h"

struct config;
struct sockaddr;
struct store;

enum idsource_verdict {
	IDSOURCE_ACCEPT,
	IDSOURCE_WRONG_PASSWORD,
	IDSOURCE_NO_SUCH_USER,
	IDSOURCE_REFUSED,          /* account disabled, expired or locked */
	IDSOURCE_UNREACHABLE,      /* cannot answer now (database, server down) */
};

/* capability flags */
#define IDSOURCE_CAN_DIGEST 0x1u   /* keeps Digest secrets (digest_record) */

#define IDSOURCE_REPLY_MAX  253    /* a RADIUS attribute's value at most */
#define IDSOURCE_CLASS_MAX  253
#define IDSOURCE_GROUPS_MAX 512    /* bytes of group names, NUL-separated */

/*
 * What a remote source may say about a session beside "accept", handed
 * back in gate_result for the portal, the proxy and the sessions to use.
 * All zero / empty: nothing said (the local store says nothing).
 */
struct idsource_attrs {
	unsigned session_timeout;      /* s; 0: not given */
	unsigned idle_timeout;         /* s; 0: not given */
	unsigned accounting_interval;  /* s; 0: not given */
	char reply_message[IDSOURCE_REPLY_MAX + 1];   /* text, NUL-terminated */
	uint8_t class_blob[IDSOURCE_CLASS_MAX];       /* opaque, to be sent back */
	size_t class_len;
	char source[64];                   /* who checked it, when not the local
					    * store: "ldap", "radius ADDRESS:PORT" */
	char groups[IDSOURCE_GROUPS_MAX];  /* names, each NUL-terminated, back to back */
	size_t groups_len;                 /* bytes used in groups */
	unsigned n_groups;
};

/* Append a group name to a; 0, or -1 when it does not fit (a unchanged). */
int idsource_attrs_add_group(struct idsource_attrs *a, const char *name);

struct idsource_answer {
	enum idsource_verdict verdict;
	int final;                     /* see the top of this file */
	enum metrics_reason reason;    /* of a refusal: for metrics and the audit */
	uint64_t credential;           /* ACCEPT: which stored password it was
					* (sessions_credential_stamp), 0: not
					* a stored one, SESSIONS_CREDENTIAL_REMOTE:
					* a remote source's user, no local
					* account to follow */
	int64_t expires_at;            /* ACCEPT: account expiry, wall s; 0 never */
	struct idsource_attrs attrs;   /* ACCEPT */
};

/*
 * Who sends the credentials, for a source that tells its server (RADIUS
 * Framed-IP-Address, Calling-Station-Id); borrowed for the check. The
 * gate's verified-login cache is keyed on the username and password only:
 * a server whose answer depends on these (a users-file check item) sees
 * the first client's; a later client with the same credentials within
 * [auth] cache_ttl is answered from the cache.
 */
struct idsource_peer {
	const struct sockaddr *client;   /* NULL: unknown */
	const uint8_t *mac;              /* 6 bytes, NULL: unknown (not intercepted) */
};

/* A Digest record (RFC 7616): the secrets kept for the gate's realm. */
struct idsource_digest {
	int enabled;
	int64_t expires_at;            /* wall s; 0 never */
	uint64_t credential;
	char ha1_md5[33];              /* "": none for this realm */
	char ha1_sha256[65];
};

struct idsource {
	const char *name;
	unsigned caps;                 /* IDSOURCE_CAN_* */
	/*
	 * Check username's password (password_len bytes, not NUL-terminated),
	 * filling *ans. Blocking; called on the gate's verification threads,
	 * several at once. Must take the same time for a name it does not
	 * know as for one it knows, so that the answer's time tells nothing.
	 * Never keeps the password. peer may be NULL (nobody known).
	 */
	void (*check)(struct idsource *src, const char *username, const char *password,
		      size_t password_len, const struct idsource_peer *peer,
		      struct idsource_answer *ans);
	/*
	 * IDSOURCE_CAN_DIGEST only: username's Digest record for realm. 0
	 * found, 1 no such user, -1 cannot answer now. Blocking, like check.
	 */
	int (*digest_record)(struct idsource *src, const char *username, const char *realm,
			     struct idsource_digest *out);
	/*
	 * Optional (NULL: none): the groups this source last read for
	 * username, into attrs' groups (the rest of attrs untouched). 1 when
	 * it has them, 0 when not. From memory only: called on the request
	 * path, on loops and on threads at once.
	 */
	int (*cached_groups)(struct idsource *src, const char *username,
			     struct idsource_attrs *attrs);
	/*
	 * Optional (NULL: none): read the groups of username, whom something
	 * else proved (a Negotiate ticket), into attrs' groups, and keep them
	 * as cached_groups does for a user this source let in. 1 found, 0 no
	 * such user, -1 cannot answer now. Blocking, like check.
	 */
	int (*lookup_groups)(struct idsource *src, const char *username,
			     struct idsource_attrs *attrs);
	/*
	 * Optional (NULL: none): 1 when this source's last look at username
	 * (a password check, a refresh of its groups) found the account
	 * refused (*why: METRICS_REASON_DISABLED, _ACCOUNT_LOCKED, _EXPIRED)
	 * or gone (METRICS_REASON_UNKNOWN_USER); 0 otherwise. From memory
	 * only, as cached_groups; counts as a use of what it keeps of the
	 * user, so that it is refreshed.
	 */
	int (*refused)(struct idsource *src, const char *username, enum metrics_reason *why);
	/*
	 * Optional (NULL: none): have username's groups read soon, off the
	 * calling thread, for a user this source let in before a restart
	 * (cached_groups answers 0 until then). Never blocks.
	 */
	void (*want_groups)(struct idsource *src, const char *username);
	void (*free)(struct idsource *src);   /* accepts NULL */
};

/* What the gate lends the sources it creates; borrowed for their life. */
struct idsource_env {
	const struct config *cfg;
	/* the calling thread's own database connection (a struct store is
	 * single-threaded), NULL when it cannot be opened */
	struct store *(*thread_store)(void *ud);
	/* the realm now in force (it changes on a reload) into buf */
	void (*realm)(void *ud, char *buf, size_t len);
	/* what the source keeps of a user (groups, account refused) changed:
	 * the policy of that user's sessions is to be judged again */
	void (*groups_changed)(void *ud);
	void *ud;
};

typedef struct idsource *(*idsource_create_fn)(const struct idsource_env *env, char *err,
					       size_t errlen);

/* Whether name is a source this build knows (for the configuration). */
int idsource_known(const char *name);

/*
 * Make a source that is not in the table known under name (the unit
 * tests register their own to test the gate's ordering). Call it before
 * the configuration is read, from one thread. 0, or -1 when name is taken
 * or IDSOURCE_EXTRA_MAX are registered.
 */
#define IDSOURCE_EXTRA_MAX 4
int idsource_register(const char *name, idsource_create_fn create);

/* Create the source called name; NULL with a message in err. */
struct idsource *idsource_new(const char *name, const struct idsource_env *env, char *err,
			      size_t errlen);

/* The local SQLite store (idsource_local.c). */
struct idsource *idsource_local_new(const struct idsource_env *env, char *err, size_t errlen);

/* An LDAP directory, the [ldap] section (idsource_ldap.c, directory.h). */
struct idsource *idsource_ldap_new(const struct idsource_env *env, char *err, size_t errlen);

/*
 * RADIUS servers (idsource_radius.c, the [radius] section): Access-Request
 * with the password (PAP); Access-Accept is ACCEPT with the attributes it
 * carried, Access-Reject WRONG_PASSWORD (RADIUS does not say whether the
 * name exists), no valid answer UNREACHABLE, or with [radius] unreachable
 * = local the local store's answer, final. Answers that were not the
 * server's and no valid one: REFUSED, reason forged_answer. Never Digest.
 */
struct idsource *idsource_radius_new(const struct idsource_env *env, char *err, size_t errlen);

/*
 * The check every password goes through, known user or not: verify
 * password against phc, or, with phc NULL (no such user), against a hash
 * of the same cost made at start, so that both take the same time. 1
 * right, 0 wrong (always 0 with phc NULL).
 */
int idsource_verify_password(const char *phc, const char *password, size_t password_len);

/* Make the stand-in hash (once; later calls do nothing). 0 or -1. Call it
 * before the first idsource_verify_password. */
int idsource_verify_init(void);

#endif
