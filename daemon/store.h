/*
 * store — the SQLite database: users, admins, whitelist, sessions, the audit
 * trail of failed authentications and of admin actions.
 *
 * The only code in the project that includes sqlite3.h. WAL, foreign keys,
 * a busy timeout and prepared statements only: no SQL is ever built from
 * data. The numbered migrations in db/ are compiled in and applied at open.
 *
 * A struct store is a connection: use it from one thread at a time (the
 * daemon opens one per thread that needs it). Strings read back are always
 * NUL-terminated and truncated to their field.
 *
 * Return convention: 0 ok (found), 1 not found, -1 error; -EEXIST for a
 * duplicate name; -EBUSY (database locked) and -ENOSPC (disk full) where a
 * caller may want to wait and retry.
 */
#ifndef PORTCULLIS_STORE_H
#define PORTCULLIS_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_migration {
	int version;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

struct store_user {
	int64_t id;
	char name[257];
	char phc[192];
	char ha1_md5[33];
	char ha1_sha256[65];
	int enabled;
	int64_t expires_at;       /* unix s; 0 never */
	char comment[257];
	int64_t created_at, updated_at, last_login_at;   /* unix s; 0 never */
};

struct store_admin {
	int64_t id;
	char name[257];
	char phc[192];
	int64_t created_at, updated_at, last_login_at;
};

struct store_whitelist {
	int64_t id;
	char cidr[64];
	char comment[257];
	int64_t created_at;
};

struct store_session {
	int64_t id;
	char addr[46];
	char mac[18];
	char username[257];
	int64_t created_at, last_seen_at, expires_at;
	unsigned idle_timeout;
};

struct store_failure {
	int64_t id;
	int64_t time_ms;
	char client_addr[46];
	int client_port;
	char mode[16];            /* explicit, intercept, portal, admin */
	char scheme[16];          /* basic, digest, form, none, other */
	char username[257];
	char reason[24];
	char host[256];
	char user_agent[257];
};

struct store_failure_filter {
	int64_t since_ms, until_ms;       /* 0: unbounded */
	const char *username, *client_addr, *reason, *mode;   /* NULL: any */
	int64_t before_time_ms, before_id; /* keyset cursor: strictly older; 0: from the newest */
	size_t limit;                      /* 0: 100 */
};

struct store_admin_action {
	int64_t id, time_ms;
	char admin[257];
	char action[64];
	char target[257];
	char detail[512];
	char client_addr[46];
};

struct store_generations {
	int64_t users, whitelist, sessions, admins;
};

/* Open (creating the file, mode 0600; not its directory) and migrate.
 * NULL with a message in err on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
/* Schema version after migrations. */
int store_schema_version(struct store *st);

int store_user_get(struct store *st, const char *name, struct store_user *out);
int store_user_add(struct store *st, const struct store_user *u);
int store_user_set_password(struct store *st, const char *name, const char *phc,
			    const char *ha1_md5, const char *ha1_sha256);
int store_user_set_enabled(struct store *st, const char *name, int enabled);
int store_user_set_expiry(struct store *st, const char *name, int64_t expires_at);
int store_user_set_comment(struct store *st, const char *name, const char *comment);
int store_user_delete(struct store *st, const char *name);
int store_user_touch_login(struct store *st, const char *name, int64_t when);
/* Users ordered by name; search (NULL: all) is a substring of the name.
 * cb returns non-zero to stop. */
int store_user_list(struct store *st, const char *search,
		    int (*cb)(const struct store_user *u, void *ud), void *ud);
/* Drop every stored Digest HA1 (Digest turned off). */
int store_users_clear_ha1(struct store *st);

int store_admin_get(struct store *st, const char *name, struct store_admin *out);
int store_admin_add(struct store *st, const char *name, const char *phc);
int store_admin_set_password(struct store *st, const char *name, const char *phc);
int store_admin_delete(struct store *st, const char *name);
int store_admin_touch_login(struct store *st, const char *name, int64_t when);
int store_admin_list(struct store *st, int (*cb)(const struct store_admin *a, void *ud), void *ud);

int store_whitelist_add(struct store *st, const char *cidr, const char *comment);
int store_whitelist_del(struct store *st, const char *cidr);
int store_whitelist_list(struct store *st,
			 int (*cb)(const struct store_whitelist *w, void *ud), void *ud);

int store_session_upsert(struct store *st, const struct store_session *s);
int store_session_delete(struct store *st, const char *addr);
int store_session_touch(struct store *st, const char *addr, int64_t when);
int store_session_list(struct store *st, int (*cb)(const struct store_session *s, void *ud),
		       void *ud);

/* All rows in one transaction: all or none. */
int store_failures_insert(struct store *st, const struct store_failure *rows, size_t n);
/* Newest first, keyset paging (never OFFSET). */
int store_failures_list(struct store *st, const struct store_failure_filter *f,
			int (*cb)(const struct store_failure *r, void *ud), void *ud);
int store_failures_prune(struct store *st, int64_t older_than_ms);

int store_admin_action_insert(struct store *st, int64_t time_ms, const char *admin,
			      const char *action, const char *target, const char *detail,
			      const char *client_addr);
int store_admin_action_list(struct store *st, int64_t before_time_ms, int64_t before_id,
			    size_t limit,
			    int (*cb)(const struct store_admin_action *a, void *ud), void *ud);

int store_generations(struct store *st, struct store_generations *out);
int store_meta_get(struct store *st, const char *key, char *out, size_t outlen);
int store_meta_set(struct store *st, const char *key, const char *value);
int store_meta_del(struct store *st, const char *key);

/* Consistent copy of the live database into dest (SQLite online backup). */
int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen);

#endif
