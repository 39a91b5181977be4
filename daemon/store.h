/*
 * store — the SQLite database: users, admins, local groups, whitelist,
 * sessions, the audit trail of failed authentications and of admin actions.
 *
 * Its files (store*.c, sharing the private store_int.h) are the only code
 * in the project that includes sqlite3.h. WAL, foreign keys,
 * a busy timeout and prepared statements only: no SQL is ever built from
 * data. The numbered migrations in db/migrations are compiled in (by
 * db/embed.sh) and applied at open, one transaction each, tracked in
 * PRAGMA user_version.
 *
 * A struct store is one connection: use it from ONE thread at a time (the
 * daemon opens one per thread that needs it; the connection is opened
 * without SQLite's own mutexes). Several processes (daemon and CLI) may
 * work on the same file at once: a writer waits up to the busy timeout.
 *
 * Strings: every function borrows its string arguments. Names (user, admin,
 * cidr, address, meta key) longer than their field are refused (-EINVAL)
 * rather than silently shortened into another name; free text (comment,
 * host, User-Agent, detail) is cut to its field at a UTF-8 character
 * boundary. Strings read back are always NUL-terminated and fit their field.
 * Times are unix seconds unless the name ends in _ms; 0 means never/unset.
 *
 * Return convention: 0 ok (found), 1 not found (nothing changed), negative
 * on error: -EEXIST duplicate name, -EINVAL an argument out of bounds,
 * -EBUSY database locked past the busy timeout, -ENOSPC disk full (callers
 * may keep the data and retry), -1 anything else.
 */
#ifndef PORTCULLIS_STORE_H
#define PORTCULLIS_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_BUSY_TIMEOUT_DEFAULT_MS 5000
#define STORE_NAME_MAX    256     /* user and admin names, bytes of UTF-8 */
#define STORE_COMMENT_MAX 256
#define STORE_ADDR_MAX    45      /* INET6_ADDRSTRLEN - 1 */
#define STORE_REALM_MAX   127     /* the Digest realm, bytes */

struct store;

struct store_migration {
	int version;              /* > 0, strictly increasing along the list */
	const char *sql;
};
/* The list generated from db/migrations/NNN_*.sql. */
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	char phc[192];            /* scrypt PHC string (passwd.h) */
	/* The Digest secrets, MD5 and SHA-256 of "name:realm:password": each
	 * lets whoever reads it log in as the user by Digest without knowing
	 * the password, and guesses against it cost one MD5. "" when none are
	 * stored (no realm known when the password was set, or the database
	 * keeps none: store_digest_secrets_keep). */
	char ha1_md5[33];
	char ha1_sha256[65];
	char ha1_realm[STORE_REALM_MAX + 1];   /* the realm of the two, "" with none or
						* not known (secrets stored before
						* migration 3) */
	int enabled;
	int64_t expires_at;       /* 0 never */
	char comment[STORE_COMMENT_MAX + 1];
	int64_t created_at, updated_at, last_login_at;   /* 0 never */
};

struct store_admin {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	char phc[192];
	int64_t created_at, updated_at, last_login_at;
	char role[16];            /* "admin", "frontdesk" or "auditor" */
};

struct store_whitelist {
	int64_t id;
	char cidr[64];            /* canonical text (cidr_format) */
	char comment[STORE_COMMENT_MAX + 1];
	int64_t created_at;
};

/* A logged-in intercept-mode client, keyed by address. */
/* What the kernel counted for a session (IP bytes and packets; in = sent
 * by the client, out = sent to it). */
struct store_counts {
	uint64_t bytes_in, packets_in, bytes_out, packets_out;
};

#define STORE_CLASS_MAX 31        /* a bandwidth class's name (shaper.h) */

struct store_session {
	int64_t id;
	char addr[STORE_ADDR_MAX + 1];
	char mac[18];             /* "aa:bb:cc:dd:ee:ff", "" when not on-link */
	char username[STORE_NAME_MAX + 1];
	int64_t created_at, last_seen_at, expires_at;
	unsigned idle_timeout;    /* seconds */
	int remote;               /* the login was checked by a remote identity
				   * source (a directory): no users row */
	struct store_counts counts;   /* as last written (a round, an end, a stop) */
	char bandwidth_class[STORE_CLASS_MAX + 1];   /* the device's class, "" unshaped */
	char source[64];          /* who checked the login: "local", "ldap",
				   * "radius ADDRESS:PORT"; "" not recorded */
	struct store_quota_use {  /* its use against the quota that holds it, as
				   * written with its counts */
		uint64_t used, bytes;   /* bytes; bytes 0: no quota holds it */
		char period[16];        /* "session", "day", "month", "voucher" */
		int64_t resets_at;      /* wall s the period starts again; 0 not
					 * by the clock (session, voucher) */
	} quota;
	uint64_t rate_in, rate_out;   /* bytes/s over about the last minute, as
				       * computed when the counts were written;
				       * 0 written at the daemon's stop */
	int64_t counts_at;        /* wall s the counts were last written, 0 never */
	char throttle_class[STORE_CLASS_MAX + 1];   /* while a used-up quota throttles
						     * it ([shaping] quota_action =
						     * throttle): the class its device
						     * is in instead; "" otherwise */
};

/* A session row's rate is current when it is 0 or was written within
 * STORE_RATE_FRESH_S of now: the daemon rewrites it every 10 s while it
 * changes, so an older non-zero rate is one a daemon that went away left. */
#define STORE_RATE_FRESH_S 30
int store_session_rate_current(const struct store_session *s, int64_t now);

/* A user's data quotas in bytes (in + out), 0: none. */
struct store_quota {
	uint64_t session_bytes, day_bytes, month_bytes;
};

struct store_failure {
	int64_t id;
	int64_t time_ms;
	char client_addr[STORE_ADDR_MAX + 1];
	int client_port;
	char mode[16];            /* explicit, intercept, portal, admin */
	char scheme[16];          /* basic, digest, form, none, other */
	char username[STORE_NAME_MAX + 1];   /* as presented, any bytes */
	char reason[24];          /* metrics_reason_name() */
	char host[256];
	char user_agent[257];
	int64_t count;            /* identical failures the row stands for (>= 1) */
	int64_t last_ms;          /* the last of them; time_ms is the first */
};

/* More failures for a row already written: count added, last_ms the
 * newest of them. */
struct store_failure_add {
	int64_t id;
	int64_t count;
	int64_t last_ms;
};

/*
 * Audit listing filter. Zero/NULL/"" fields do not filter. The keyset
 * cursor (before_time_ms, before_id) is the last row of the previous page:
 * rows strictly older, i.e. time_ms < before_time_ms, or equal time and
 * id < before_id; it is ignored while before_time_ms is 0.
 */
struct store_failure_filter {
	int64_t since_ms, until_ms;       /* since <= time_ms < until */
	const char *username, *client_addr, *reason, *mode;   /* exact match */
	int guests_only;                   /* only the rows of guests (store_user_is_guest) */
	int64_t before_time_ms, before_id;
	size_t limit;                      /* 0: 100 */
};

struct store_admin_action {
	int64_t id, time_ms;
	char admin[STORE_NAME_MAX + 1];   /* admin name, or "cli:<unix user>" */
	char action[64];                  /* "user.add", "whitelist.del", ... */
	char target[STORE_NAME_MAX + 1];
	char detail[512];
	char client_addr[STORE_ADDR_MAX + 1];
};

/* Counters bumped by triggers whenever the table changes (from any
 * process): poll them and reload what moved. A user's last_login_at and a
 * session's last_seen_at do not count as changes; a session upsert does. */
struct store_generations {
	int64_t users, whitelist, sessions, admins;
	int64_t policies;       /* group policies and local memberships */
};

struct store_options {
	unsigned busy_timeout_ms;          /* 0: STORE_BUSY_TIMEOUT_DEFAULT_MS */
	/* NULL: store_migrations (tests pass their own list) */
	const struct store_migration *migrations;
	size_t n_migrations;
};

/*
 * Open the database at path and apply pending migrations. A missing file
 * is created with mode 0600 (when root creates it, it is given to the owner
 * of its directory, so the daemon's user can open what root's CLI made);
 * a missing directory is an error. NULL with a message in err on failure:
 * cannot create or write, not a database, a schema newer than this program
 * knows, a migration that failed (it is rolled back whole).
 */
struct store *store_open(const char *path, char *err, size_t errlen);
struct store *store_open_opts(const char *path, const struct store_options *opts,
			      char *err, size_t errlen);
/* Finalizes every statement and closes; accepts NULL. */
void store_close(struct store *st);
/* Schema version (PRAGMA user_version) after migrations, -1 on error. */
int store_schema_version(struct store *st);
/* 0: the default. */
void store_set_busy_timeout(struct store *st, unsigned ms);

/*
 * Group several changes into one transaction (BEGIN IMMEDIATE, so the
 * write lock is taken up front and a busy database fails here, not half
 * way). Do no slow work (hashing) inside. store_failures_insert opens its
 * own transaction and must not be called inside one. store_commit rolls
 * back when it fails; store_rollback accepts a connection with no open
 * transaction.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* --- proxy users; names compare byte for byte (BINARY) */
int store_user_get(struct store *st, const char *name, struct store_user *out);
/* Sets created_at = updated_at = now; ignores u->id and the login time.
 * -EEXIST if the name exists; -EINVAL for an empty name or phc. */
int store_user_add(struct store *st, const struct store_user *u);
/* ha1_* NULL or "" store no Digest hash; with one, ha1_realm (the realm it
 * was computed for) is required (-EINVAL). store_user_add takes the same
 * from u. 0, 1 not found, negative. */
int store_user_set_password(struct store *st, const char *name, const char *phc,
			    const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm);
/* Store the Digest secrets made for ha1_realm (required, as both hashes
 * are) over a user's secrets of unknown realm (ha1_realm NULL, as
 * migration 3 leaves the secrets stored before it), only while the user's
 * password is still phc: a password set meanwhile wins. Leaves updated_at
 * alone. 0 stored, 1 nothing to replace (no such user, another password,
 * the realm known or no secrets), negative on error. */
int store_user_remake_digest(struct store *st, const char *name, const char *phc,
			     const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm);
int store_user_set_enabled(struct store *st, const char *name, int enabled);
int store_user_set_expiry(struct store *st, const char *name, int64_t expires_at);
int store_user_set_comment(struct store *st, const char *name, const char *comment);
/* The user's bandwidth class (shaper.h), "" none: 0 with out filled, 1
 * no such user, negative on error; set: 0, 1 no such user, negative. */
int store_user_class_get(struct store *st, const char *name, char out[STORE_CLASS_MAX + 1]);
int store_user_set_class(struct store *st, const char *name, const char *cls);
/* Every user with a class of its own (name, class), ordered by name; cb
 * non-zero stops. 0 or negative. */
int store_user_classes(struct store *st, int (*cb)(const char *user, const char *cls, void *ud),
		       void *ud);
int store_user_delete(struct store *st, const char *name);
/* Records a login; does not bump the users generation. */
int store_user_touch_login(struct store *st, const char *name, int64_t when);
/* Users ordered by name; search (NULL or "": all) is a byte substring of
 * the name. cb returns non-zero to stop. 0 or negative. */
int store_user_list(struct store *st, const char *search,
		    int (*cb)(const struct store_user *u, void *ud), void *ud);
/* One page of that list: names strictly after `after` (NULL or "": from
 * the first), at most limit (0: 100) rows; pass the last name back for the
 * next page. */
int store_user_list_page(struct store *st, const char *search, const char *after, size_t limit,
			 int (*cb)(const struct store_user *u, void *ud), void *ud);
/* Drop every stored Digest secret (and its realm). 0 or negative. */
int store_users_clear_ha1(struct store *st);
/*
 * Whether the database keeps Digest secrets: 1 yes (the default), 0 the
 * administrator chose that it keeps none, negative on error. Only
 * store_digest_secrets_keep changes it; no configuration does.
 */
int store_digest_secrets_kept(struct store *st);
/* keep 0: record "keep none" and drop every stored secret; 1: keep them
 * again for passwords set from now on. Moves the users generation either
 * way. Several statements: call it inside store_begin/store_commit. */
int store_digest_secrets_keep(struct store *st, int keep);

/* --- the portal's click-through terms: every saved version, and each
 * acceptance (when, which device, which version) */
#define STORE_TERMS_MAX 16384     /* bytes of UTF-8 */

struct store_terms {
	int64_t version;          /* 1, 2, ...; a new one at every save */
	char text[STORE_TERMS_MAX + 1];
	int64_t created_at;
	char created_by[STORE_NAME_MAX + 1];
};

struct store_terms_acceptance {
	int64_t id, time_ms;
	char client_addr[STORE_ADDR_MAX + 1];
	char mac[18];             /* "" when not on-link */
	int64_t version;
};

/* The latest version into *out: 0, 1 when none was ever saved, negative. */
int store_terms_get(struct store *st, struct store_terms *out);
/* Save text (borrowed, at most STORE_TERMS_MAX bytes: else -EINVAL) as a
 * new version by admin; *version gets its number. 0 or negative. */
int store_terms_set(struct store *st, const char *text, const char *admin, int64_t *version);
/* Record an acceptance. 0 or negative. */
int store_terms_accept(struct store *st, int64_t time_ms, const char *client_addr,
		       const char *mac, int64_t version);
/* 1 when the device (address and MAC, "" for none) accepted version at
 * since_ms or later, 0 when not, negative on error. */
int store_terms_accepted(struct store *st, const char *client_addr, const char *mac,
			 int64_t version, int64_t since_ms);
/* Newest first, ids below before_id (0: from the newest), at most limit. */
int store_terms_acceptances(struct store *st, int64_t before_id, size_t limit,
			    int (*cb)(const struct store_terms_acceptance *a, void *ud), void *ud);

/* --- the portal's look: one row the panel and the CLI set (migration 014);
 * the values are checked by look.h's rules before they come here */
struct store_look {
	char title[80 + 1];        /* "" the default */
	char accent[8], background[8], text[8];   /* "#rrggbb" or "" */
	char logo_type[16 + 1];    /* "" when there is no logo */
	int64_t version;           /* grows at every change */
	int64_t updated_at;
	char updated_by[STORE_NAME_MAX + 1];
};

/* The look into *out: 0 or negative (a database before migration 014
 * has none: negative). */
int store_look_get(struct store *st, struct store_look *out);
/* Change the given fields (borrowed; NULL keeps one) by admin; the
 * version grows. 0 or negative (-EINVAL: a value longer than its field). */
int store_look_set(struct store *st, const char *title, const char *accent,
		   const char *background, const char *text, const char *admin);
/* The logo: *data (malloc'd, the caller frees; NULL with *len 0 when there
 * is none), its type into type (17 bytes) and the look's version. 0 or
 * negative. */
int store_look_logo_get(struct store *st, void **data, size_t *len, char type[17],
			int64_t *version);
/* Store len bytes (borrowed) of type as the logo; data NULL removes it.
 * 0 or negative. */
int store_look_logo_set(struct store *st, const void *data, size_t len, const char *type,
			const char *admin);

/* --- guests: the users a front desk looks after, named by their kind:
 * "voucher:..." (a voucher's sessions) and "terms:..." (a device that
 * accepted the portal's terms). 1 when user (borrowed) is one. */
int store_user_is_guest(const char *user);

/* --- admin accounts (the panel), separate from proxy users */
int store_admin_get(struct store *st, const char *name, struct store_admin *out);
int store_admin_add(struct store *st, const char *name, const char *phc);
int store_admin_set_password(struct store *st, const char *name, const char *phc);
int store_admin_delete(struct store *st, const char *name);
int store_admin_touch_login(struct store *st, const char *name, int64_t when);
/* An account's role, one of "admin", "frontdesk", "auditor" (an account is
 * added as admin). 0, 1 when there is no such admin, -EINVAL for another
 * role, or a store error. */
int store_admin_set_role(struct store *st, const char *name, const char *role);
/* Ordered by name. */
int store_admin_list(struct store *st, int (*cb)(const struct store_admin *a, void *ud), void *ud);

/* --- local groups of local users; a group's name is a key like a user's */
struct store_group {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	int64_t created_at;
	int64_t members;
};

int store_group_add(struct store *st, const char *name);
/* Its memberships go with it. */
int store_group_delete(struct store *st, const char *name);
/* Ordered by name. */
int store_group_list(struct store *st, int (*cb)(const struct store_group *g, void *ud),
		     void *ud);
/* 0 added; -EEXIST a member already; -ENOENT no such group; -ESRCH no
 * such user. */
int store_group_member_add(struct store *st, const char *group, const char *user);
/* 0, or 1 when user was no member of group (or either does not exist). */
int store_group_member_delete(struct store *st, const char *group, const char *user);
/* The names of user's groups, ordered; cb non-zero stops. */
int store_user_groups(struct store *st, const char *user,
		      int (*cb)(const char *group, void *ud), void *ud);
/* The names of group's members, ordered. */
int store_group_members(struct store *st, const char *group,
			int (*cb)(const char *user, void *ud), void *ud);

/* --- group policies (policy.h evaluates them); the texts are kept as
 * given, checked by the caller with policy_parse_* before they are set */
#define STORE_POLICY_TEXT_MAX 4096
struct store_policy {
	char group[STORE_NAME_MAX + 1];      /* "": the default policy */
	int64_t priority;                    /* lower first */
	int denied;
	char windows[STORE_POLICY_TEXT_MAX + 1];
	int64_t session_lifetime, idle_timeout;   /* s; 0: the configuration's */
	char allow[STORE_POLICY_TEXT_MAX + 1];    /* destination rules */
	char deny[STORE_POLICY_TEXT_MAX + 1];
	char bandwidth_class[64];
	int64_t updated_at;
	struct store_quota quota;            /* bytes in + out; for the users who
					      * have none of their own */
	unsigned max_devices;                /* devices its users may have logged in
					      * at once; 0: no limit */
	char quota_class[64];                /* the class its users are throttled into
					      * at a used-up quota; "": [shaping]'s */
};

/* Set (add or replace) the policy of p->group. 0 or negative (-EINVAL: a
 * text too long). */
int store_policy_set(struct store *st, const struct store_policy *p);
/* 0 found, 1 none, negative. */
int store_policy_get(struct store *st, const char *group, struct store_policy *out);
/* 0, or 1 when group had no policy. */
int store_policy_delete(struct store *st, const char *group);
/* By priority, then group name; cb non-zero stops. */
int store_policy_list(struct store *st, int (*cb)(const struct store_policy *p, void *ud),
		      void *ud);
/* Every local membership (user, group), ordered by user. */
int store_memberships(struct store *st, int (*cb)(const char *user, const char *group, void *ud),
		      void *ud);

/* --- whitelist; cidr is the canonical text, the caller canonicalises */
int store_whitelist_add(struct store *st, const char *cidr, const char *comment);
int store_whitelist_del(struct store *st, const char *cidr);
/* Ordered by cidr text. */
int store_whitelist_list(struct store *st,
			 int (*cb)(const struct store_whitelist *w, void *ud), void *ud);

/* --- intercept-mode sessions, keyed by addr */
/* Insert, or replace every field of the session of that address. */
int store_session_upsert(struct store *st, const struct store_session *s);
int store_session_get(struct store *st, const char *addr, struct store_session *out);
int store_session_delete(struct store *st, const char *addr);
/* Sets last_seen_at; does not bump the sessions generation. */
int store_session_touch(struct store *st, const char *addr, int64_t when);
/* Sets throttle_class (NULL or "": not throttled); does not bump the
 * sessions generation. 0, 1 no such session, or negative. */
int store_session_throttle_set(struct store *st, const char *addr, const char *cls);
/* Oldest first. */
int store_session_list(struct store *st, int (*cb)(const struct store_session *s, void *ud),
		       void *ud);

/* --- what sessions counted, their history, quotas */
/* The counts of the n sessions (by addr; a row no longer there is
 * skipped), in one transaction; does not bump the sessions generation.
 * 0 or negative. */
int store_session_counts_write(struct store *st, const struct store_session *rows, size_t n);
/* A session that ended, with its counts and reason ("idle", "kicked",
 * "quota_exceeded"...), into session_history. 0 or negative. */
int store_session_history_add(struct store *st, const struct store_session *row,
			      const char *reason, int64_t ended_at);
/* Bytes (in + out) of user's sessions that ended at or after since. */
int store_session_history_bytes(struct store *st, const char *username, int64_t since,
				uint64_t *bytes);
/* Bytes (in + out) of user's open sessions, as their rows last hold them
 * (written every 10 s while they change). */
int store_session_user_bytes(struct store *st, const char *username, uint64_t *bytes);
/* The last session of the client at addr that ended at or after since:
 * 0 with reason filled (cut to len), 1 when none, negative. */
int store_session_history_reason(struct store *st, const char *addr, int64_t since, char *reason,
				 size_t len);
/* Delete history rows that ended before older_than; how many, or negative. */
int store_session_history_prune(struct store *st, int64_t older_than);
/* A user's quotas: 0 (all zero when none are set), 1 no such user, negative. */
int store_quota_get(struct store *st, const char *username, struct store_quota *out);
/* Set them (all zero removes them). 0, 1 no such user, negative. */
int store_quota_set(struct store *st, const char *username, const struct store_quota *q);

/* --- audit trail of failed authentications */
/* All n rows in one transaction: all or none (ids are assigned, rows[].id
 * is ignored). 0, -EBUSY, -ENOSPC or -1; on error nothing was written. */
int store_failures_insert(struct store *st, const struct store_failure *rows, size_t n);
/* The same, with each new row's id in ids[i] (ids may be NULL), and the
 * counts in adds added to their rows (a row no longer there is skipped),
 * all in one transaction. A count below 1 is written as 1. */
int store_failures_write(struct store *st, const struct store_failure *rows, size_t n,
			 int64_t *ids, const struct store_failure_add *adds, size_t n_adds);
/* Newest first (time_ms, then id), keyset paging (never OFFSET); f NULL
 * lists the newest 100. 0 or negative. */
int store_failures_list(struct store *st, const struct store_failure_filter *f,
			int (*cb)(const struct store_failure *r, void *ud), void *ud);
/* Failures counted in n_buckets consecutive buckets of bucket_ms from
 * since_ms (counts[0] is the oldest); counts is zeroed first. 0 or negative. */
int store_failures_histogram(struct store *st, int64_t since_ms, int64_t bucket_ms,
			     uint64_t *counts, size_t n_buckets);
/* The client addresses (by_username 0) or usernames (1) with the most
 * failures since since_ms, most first, at most limit (0: 10); value is
 * borrowed for the call. cb non-zero stops. 0 or negative. */
int store_failures_top(struct store *st, int by_username, int64_t since_ms, size_t limit,
		       int (*cb)(const char *value, uint64_t count, void *ud), void *ud);
/* Delete rows with time_ms < older_than_ms, in short batches so that other
 * writers are not held up. Rows deleted (>= 0), or negative. */
int store_failures_prune(struct store *st, int64_t older_than_ms);

/* --- audit trail of admin actions */
int store_admin_action_insert(struct store *st, int64_t time_ms, const char *admin,
			      const char *action, const char *target, const char *detail,
			      const char *client_addr);
/* Newest first; (before_time_ms, before_id) a keyset cursor as above
 * (before_time_ms 0: from the newest); limit 0: 100. */
int store_admin_action_list(struct store *st, int64_t before_time_ms, int64_t before_id,
			    size_t limit,
			    int (*cb)(const struct store_admin_action *a, void *ud), void *ud);
/* As store_failures_prune. */
int store_admin_actions_prune(struct store *st, int64_t older_than_ms);

/* --- change counters and small settings */
int store_generations(struct store *st, struct store_generations *out);
/* 0 with the value in out (cut to outlen - 1 bytes), 1 missing, negative. */
int store_meta_get(struct store *st, const char *key, char *out, size_t outlen);
int store_meta_set(struct store *st, const char *key, const char *value);
/* 0 (also when the key was missing) or negative. */
int store_meta_del(struct store *st, const char *key);

/* --- guest vouchers (voucher.h: the codes' rules). A roll is a batch of
 * codes made together; a code is stored as its lookup part (prefix, in
 * clear, unique) and the scrypt hash of the whole code (phc). */
#define STORE_VOUCHER_PREFIX_MAX 24
#define STORE_BANDWIDTH_CLASS_MAX 63

struct store_voucher_roll {
	int64_t id;
	char comment[STORE_COMMENT_MAX + 1];
	char alphabet[16];              /* voucher_alphabet_name() */
	int code_length;
	int64_t validity;               /* s, counted from a code's first use */
	int64_t expires_at;             /* the roll's end, for every code; 0 never */
	int64_t quota_bytes;            /* bytes (in + out) each code may use over all
					 * its devices' sessions; 0 none */
	char bandwidth_class[STORE_BANDWIDTH_CLASS_MAX + 1];   /* stored only */
	unsigned max_devices;           /* devices logged in at once with one code */
	int64_t revoked_at, created_at;
	/* store_voucher_roll_list only: codes, used once at least, expired
	 * (and not revoked), revoked */
	int64_t codes, used, expired, revoked;
	/* and the most bytes one code used since its first use (its ended
	 * sessions, its live ones as last written), and the codes that
	 * reached the quota */
	int64_t bytes_max, quota_reached;
};

struct store_voucher {
	int64_t id, roll_id, number;
	char prefix[STORE_VOUCHER_PREFIX_MAX + 1];
	char phc[192];
	int64_t first_used_at, revoked_at;   /* 0: not yet */
};

/* A new roll from r (id, revoked_at, created_at and the counts ignored);
 * its id into *id. 0 or negative. */
int store_voucher_roll_add(struct store *st, const struct store_voucher_roll *r, int64_t *id);
/* One code of roll_id: -EEXIST when the prefix is taken (draw another). */
int store_voucher_add(struct store *st, int64_t roll_id, int64_t number, const char *prefix,
		      const char *phc);
/* The code whose lookup part is prefix, and its roll: 0, 1 none, negative. */
int store_voucher_find(struct store *st, const char *prefix, struct store_voucher *v,
		       struct store_voucher_roll *r);
/* Code number of roll_id, and its roll: 0, 1 none, negative. */
int store_voucher_get(struct store *st, int64_t roll_id, int64_t number, struct store_voucher *v,
		      struct store_voucher_roll *r);
/* Record the first use at when, unless the code was used before; 0 (either
 * way) or negative. Read the code again for the time that counts. */
int store_voucher_first_use(struct store *st, int64_t id, int64_t when);
/* Rolls by id (roll_id 0: all, else that one) with their counts as of now. */
int store_voucher_roll_list(struct store *st, int64_t roll_id, int64_t now,
			    int (*cb)(const struct store_voucher_roll *r, void *ud), void *ud);
/* The codes of a roll, by number. */
int store_voucher_list(struct store *st, int64_t roll_id,
		       int (*cb)(const struct store_voucher *v, void *ud), void *ud);
/* Revoke code number of roll_id (number 0: the roll and all its codes) and
 * delete the sessions of the codes named, which ends them. 0, 1 no such
 * roll or code, negative. Several statements: call it inside
 * store_begin/store_commit. */
int store_voucher_revoke(struct store *st, int64_t roll_id, int64_t number);

/* --- devices per account: how many devices may be logged in at once under
 * one user's name (0: no limit) */
/* 0 with *max, 1 no such user, negative. */
int store_user_max_devices(struct store *st, const char *name, unsigned *max);
int store_user_set_max_devices(struct store *st, const char *name, unsigned max);
/* The sessions (one row per address) of username, oldest first. */
int store_session_list_user(struct store *st, const char *username,
			    int (*cb)(const struct store_session *s, void *ud), void *ud);
/* Delete the rows of one device of username: those with MAC mac, or when
 * mac is "" the row of address addr without a MAC. 0, 1 none, negative. */
int store_session_delete_device(struct store *st, const char *username, const char *mac,
				const char *addr);

/* Consistent copy of the live database into dest_path (SQLite online
 * backup; writers are not blocked). dest_path is created with mode 0600 or
 * overwritten; it may not be the database itself. 0, or -1 with a message. */
int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen);

/* --- RADIUS accounting (accounting.h): the records waiting for a
 * server's answer, oldest first, and the sessions whose Start was queued */
#define STORE_ACCT_SESSION_ID_MAX 64
#define STORE_ACCT_CLASS_MAX      253

struct store_acct_counts {
	int known;                /* 0: no counters (the values are 0) */
	uint64_t in_octets, out_octets, in_packets, out_packets;
};

struct store_acct_record {
	int64_t id;               /* the order of sending; set by the insert */
	int status_type;          /* 1 Start, 2 Stop, 3 Interim-Update (RFC 2866 §5.1) */
	char session_id[STORE_ACCT_SESSION_ID_MAX + 1];
	char username[STORE_NAME_MAX + 1];
	uint8_t class_value[STORE_ACCT_CLASS_MAX];
	size_t class_len;
	char addr[STORE_ADDR_MAX + 1];
	char mac[18];             /* "aa:bb:cc:dd:ee:ff", "" unknown */
	int authentic;            /* Acct-Authentic, 0 none */
	int64_t event_at;         /* wall s of the event */
	int64_t session_time;     /* s */
	struct store_acct_counts counts;
	int terminate_cause;      /* Stop: RFC 2866 §5.10; 0 none */
	unsigned attempts;        /* sends so far */
};

struct store_acct_session {
	char addr[STORE_ADDR_MAX + 1];
	char session_id[STORE_ACCT_SESSION_ID_MAX + 1];
	char username[STORE_NAME_MAX + 1];
	uint8_t class_value[STORE_ACCT_CLASS_MAX];
	size_t class_len;
	char mac[18];
	int authentic;
	char source[64];          /* who checked the login: "local", "radius 10.0.0.1:1812" */
	int64_t started_at;       /* wall s */
	unsigned interval;        /* s between Interim-Updates, 0 none */
	int64_t updated_at;       /* wall s of the last record with counts */
	struct store_acct_counts counts;   /* as of updated_at */
};

/* In one transaction: the row of del_addr deleted when it is not NULL,
 * the n_sess session rows written (each replacing one of the same addr),
 * and the n records queued (their ids assigned in order). 0 or negative. */
int store_acct_write(struct store *st, const char *del_addr,
		     const struct store_acct_session *sess, size_t n_sess,
		     const struct store_acct_record *recs, size_t n);
/* Up to max of the oldest queued records into out; how many, or negative. */
int store_acct_queue_peek(struct store *st, struct store_acct_record *out, size_t max);
/* The record is answered: deleted. 0, 1 not there, negative. */
int store_acct_queue_done(struct store *st, int64_t id);
/* Records queued, or negative. */
int store_acct_queue_count(struct store *st);
/* Count one more send of record id. 0 or negative. */
int store_acct_queue_attempted(struct store *st, int64_t id);
/* Every session row; cb non-zero stops. 0 or negative. */
int store_acct_session_list(struct store *st,
			    int (*cb)(const struct store_acct_session *s, void *ud), void *ud);
/* One session row: 0 found, 1 not, negative. */
int store_acct_session_get(struct store *st, const char *addr, struct store_acct_session *out);

#endif
