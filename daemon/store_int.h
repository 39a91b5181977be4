/*
 * store_int — what the store's files (store*.c) share, and nothing else
 * includes: the connection, its prepared statements and the helpers that
 * bind, step and read them. The public interface is store.h.
 *
 *   store.c           the statement table, opening and migrations,
 *                     transactions, the shared helpers, meta, backup
 *   store_users.c     users and admin accounts
 *   store_sessions.c  the whitelist and intercept sessions
 *   store_audit.c     failed authentications and admin actions
 *   store_groups.c    local groups and their members
 *   store_vouchers.c  guest voucher rolls and codes, devices per account
 *   store_accounting.c  the RADIUS accounting queue and accounted sessions
 *   store_look.c      the portal's look (title, colours, logo)
 *
 * A new kind of row gets its statements in enum stmt and store.c's table,
 * and its functions in a store_KIND.c of its own.
 */
#ifndef PORTCULLIS_STORE_INT_H
#define PORTCULLIS_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Every fixed statement the store runs, prepared once per connection on
 * first use and kept. Parameters are always bound, never spliced. */
enum stmt {
	S_USER_GET, S_USER_ADD, S_USER_PASSWD, S_USER_ENABLED, S_USER_EXPIRY, S_USER_COMMENT,
	S_USER_DEL, S_USER_LOGIN, S_USER_LIST, S_USER_PAGE, S_USER_CLEAR_HA1, S_USER_BUMP,
	S_USER_REMAKE_HA1,
	S_ADMIN_GET, S_ADMIN_ADD, S_ADMIN_PASSWD, S_ADMIN_DEL, S_ADMIN_LOGIN, S_ADMIN_LIST,
	S_ADMIN_ROLE,
	S_WL_ADD, S_WL_DEL, S_WL_LIST,
	S_GROUP_ADD, S_GROUP_DEL, S_GROUP_GET, S_GROUP_LIST, S_GROUP_MEMBER_ADD,
	S_GROUP_MEMBER_DEL, S_USER_GROUPS, S_GROUP_MEMBERS,
	S_POLICY_SET, S_POLICY_GET, S_POLICY_DEL, S_POLICY_LIST, S_MEMBERSHIPS,
	S_SESS_UPSERT, S_SESS_GET, S_SESS_DEL, S_SESS_TOUCH, S_SESS_THROTTLE, S_SESS_LIST,
	S_SESS_COUNTS, S_HIST_ADD, S_HIST_BYTES, S_HIST_REASON, S_HIST_PRUNE, S_QUOTA_GET,
	S_QUOTA_SET, S_QUOTA_DEL,
	S_FAIL_INSERT, S_FAIL_ADD, S_FAIL_PRUNE, S_FAIL_HOURLY, S_FAIL_TOP_ADDR, S_FAIL_TOP_USER,
	S_ACTION_INSERT, S_ACTION_LIST, S_ACTION_PRUNE,
	S_GENS, S_META_GET, S_META_SET, S_META_DEL,
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_USER_VERSION,
	S_USER_CLASS_GET, S_USER_CLASS_SET, S_USER_CLASSES,
	/* guest vouchers (store_vouchers.c) and devices per account */
	S_VROLL_ADD, S_VROLL_LIST, S_VROLL_GET, S_VOUCHER_ADD, S_VOUCHER_FIND, S_VOUCHER_FIRST_USE,
	S_VOUCHER_LIST, S_VOUCHER_REVOKE, S_VROLL_REVOKE, S_VOUCHER_END_SESSIONS,
	S_USER_MAX_DEVICES_GET, S_USER_MAX_DEVICES_SET, S_SESS_OF_USER, S_SESS_USER_BYTES, S_SESS_DEL_DEVICE,
	S_VOUCHER_GET,
	/* the portal's click-through terms (store_terms.c) */
	S_TERMS_GET, S_TERMS_SET, S_TERMS_ACCEPT, S_TERMS_ACCEPTED, S_TERMS_ACCEPT_LIST,
	/* the portal's look (store_look.c) */
	S_LOOK_GET, S_LOOK_SET, S_LOOK_LOGO_GET, S_LOOK_LOGO_SET,
	S_COUNT,
};

/* The audit listing has one statement per combination of filters, so that
 * each can use its index (an "?x IS NULL OR" clause would defeat it). The
 * SQL text comes only from the fixed clauses in store_audit.c. */
enum {
	FL_SINCE = 1 << 0, FL_UNTIL = 1 << 1, FL_USER = 1 << 2, FL_ADDR = 1 << 3,
	FL_REASON = 1 << 4, FL_MODE = 1 << 5, FL_CURSOR = 1 << 6, FL_GUESTS = 1 << 7,
	FL_COUNT = 1 << 8,
};

struct store {
	sqlite3 *db;
	char *path;
	unsigned busy_ms;
	sqlite3_stmt *stmts[S_COUNT];
	sqlite3_stmt *fail_list[FL_COUNT];
};

/* The largest string a fixed char array field holds. */
#define FIELD_MAX(arr) (sizeof(arr) - 1)

/* Now, in unix seconds. */
int64_t now_s(void);
/* The statement, reset and with its bindings cleared; NULL on error. */
sqlite3_stmt *stmt(struct store *st, enum stmt which);
/* Bind a name-like key: NULL binds NULL, longer than max is -EINVAL. */
int bind_key(sqlite3_stmt *s, int i, const char *v, size_t max);
/* Bind free text cut to max bytes (NULL as ""). */
int bind_free(sqlite3_stmt *s, int i, const char *v, size_t max);
/* Optional column: NULL or "" binds NULL, else as bind_key. */
int bind_opt(sqlite3_stmt *s, int i, const char *v, size_t max);
/* Column i as text into dst (len bytes), cut at a UTF-8 boundary. */
void col_text(sqlite3_stmt *s, int i, char *dst, size_t len);
/* Run a statement that returns no rows: 0, 1 when it changed nothing, or
 * negative. Leaves it reset. */
int exec_change(struct store *st, sqlite3_stmt *s);
/* An insert: exec_change, where "no row changed" is an error. */
int exec_insert(struct store *st, sqlite3_stmt *s);
/* One row looked up by a text key: 0 found, 1 not found, negative. */
int get_row(struct store *st, enum stmt which, const char *key, size_t key_max,
	    void (*read_fn)(sqlite3_stmt *s, void *out), void *out);
/* A change addressed by a key alone (deletes). */
int by_key(struct store *st, enum stmt which, const char *key, size_t key_max);

/* Flags of key_int and key_text. */
enum { KEY_ZERO_IS_NULL = 1, KEY_STAMP = 2, KEY_TEXT_CUT = 4 };
/* Set one integer column of the row named by ?1 (see store.c). */
int key_int(struct store *st, enum stmt which, const char *key, size_t key_max,
	    int64_t v, unsigned flags);
/* Set one text column of the row named by ?1 (see store.c). */
int key_text(struct store *st, enum stmt which, const char *key, size_t key_max,
	     const char *text, size_t text_max, unsigned flags);
/* After stepping through rows: reset, and map the last step's result. */
int iterate_end(struct store *st, sqlite3_stmt *s, int rc);

/* Hand each row to read_fn then cb (typed, no cast); cb non-zero stops. */
#define ITERATE(st, s, type, read_fn, cb, ud) ({                \
	type row_;                                              \
	int rc_;                                                \
	while ((rc_ = sqlite3_step(s)) == SQLITE_ROW) {         \
		read_fn((s), &row_);                            \
		if ((cb)(&row_, (ud)))                          \
			break;                                  \
	}                                                       \
	iterate_end((st), (s), rc_);                            \
})

#endif
