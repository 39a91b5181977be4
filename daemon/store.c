#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define BUSY_TIMEOUT_MS 5000

/* Every statement the store runs, prepared once per connection on first
 * use. Parameters are always bound, never spliced. */
enum stmt {
	S_USER_GET, S_USER_ADD, S_USER_PASSWD, S_USER_ENABLED, S_USER_EXPIRY, S_USER_COMMENT,
	S_USER_DEL, S_USER_LOGIN, S_USER_LIST, S_USER_CLEAR_HA1,
	S_ADMIN_GET, S_ADMIN_ADD, S_ADMIN_PASSWD, S_ADMIN_DEL, S_ADMIN_LOGIN, S_ADMIN_LIST,
	S_WL_ADD, S_WL_DEL, S_WL_LIST,
	S_SESS_UPSERT, S_SESS_DEL, S_SESS_TOUCH, S_SESS_LIST,
	S_FAIL_INSERT, S_FAIL_PRUNE,
	S_ACTION_INSERT, S_ACTION_LIST,
	S_GENS, S_META_GET, S_META_SET, S_META_DEL,
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_COUNT,
};

#define USER_COLS "id, name, phc, ha1_md5, ha1_sha256, enabled, expires_at, comment, " \
		  "created_at, updated_at, last_login_at"
#define FAIL_COLS "id, time_ms, client_addr, client_port, mode, scheme, username, reason, " \
		  "host, user_agent"

static const char *const stmt_sql[S_COUNT] = {
	[S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[S_USER_ADD] = "INSERT INTO users (name, phc, ha1_md5, ha1_sha256, enabled, expires_at, comment, "
		       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	[S_USER_PASSWD] = "UPDATE users SET phc = ?2, ha1_md5 = ?3, ha1_sha256 = ?4, updated_at = ?5 "
			  "WHERE name = ?1",
	[S_USER_ENABLED] = "UPDATE users SET enabled = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_EXPIRY] = "UPDATE users SET expires_at = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_COMMENT] = "UPDATE users SET comment = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_DEL] = "DELETE FROM users WHERE name = ?1",
	[S_USER_LOGIN] = "UPDATE users SET last_login_at = ?2 WHERE name = ?1",
	[S_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE ?1 IS NULL OR instr(name, ?1) > 0 "
			"ORDER BY name",
	[S_USER_CLEAR_HA1] = "UPDATE users SET ha1_md5 = NULL, ha1_sha256 = NULL "
			     "WHERE ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL",
	[S_ADMIN_GET] = "SELECT id, name, phc, created_at, updated_at, last_login_at FROM admins WHERE name = ?1",
	[S_ADMIN_ADD] = "INSERT INTO admins (name, phc, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
	[S_ADMIN_PASSWD] = "UPDATE admins SET phc = ?2, updated_at = ?3 WHERE name = ?1",
	[S_ADMIN_DEL] = "DELETE FROM admins WHERE name = ?1",
	[S_ADMIN_LOGIN] = "UPDATE admins SET last_login_at = ?2 WHERE name = ?1",
	[S_ADMIN_LIST] = "SELECT id, name, phc, created_at, updated_at, last_login_at FROM admins ORDER BY name",
	[S_WL_ADD] = "INSERT INTO whitelist (cidr, comment, created_at) VALUES (?1, ?2, ?3)",
	[S_WL_DEL] = "DELETE FROM whitelist WHERE cidr = ?1",
	[S_WL_LIST] = "SELECT id, cidr, comment, created_at FROM whitelist ORDER BY cidr",
	[S_SESS_UPSERT] = "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, "
			  "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(addr) DO UPDATE SET "
			  "mac = excluded.mac, username = excluded.username, created_at = excluded.created_at, "
			  "last_seen_at = excluded.last_seen_at, idle_timeout = excluded.idle_timeout, "
			  "expires_at = excluded.expires_at",
	[S_SESS_DEL] = "DELETE FROM sessions WHERE addr = ?1",
	[S_SESS_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE addr = ?1",
	[S_SESS_LIST] = "SELECT id, addr, mac, username, created_at, last_seen_at, expires_at, idle_timeout "
			"FROM sessions ORDER BY created_at",
	[S_FAIL_INSERT] = "INSERT INTO failures (time_ms, client_addr, client_port, mode, scheme, username, "
			  "reason, host, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_FAIL_PRUNE] = "DELETE FROM failures WHERE time_ms < ?1",
	[S_ACTION_INSERT] = "INSERT INTO admin_actions (time_ms, admin, action, target, detail, client_addr) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ACTION_LIST] = "SELECT id, time_ms, admin, action, target, detail, client_addr FROM admin_actions "
			  "WHERE (?1 = 0 OR time_ms < ?1 OR (time_ms = ?1 AND id < ?2)) "
			  "ORDER BY time_ms DESC, id DESC LIMIT ?3",
	[S_GENS] = "SELECT name, value FROM generations",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
		       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
};

/* The audit listing has one statement per combination of filters, so each
 * can use its index (an "x IS NULL OR" clause would defeat it). */
enum {
	FL_SINCE = 1 << 0, FL_UNTIL = 1 << 1, FL_USER = 1 << 2, FL_ADDR = 1 << 3,
	FL_REASON = 1 << 4, FL_MODE = 1 << 5, FL_CURSOR = 1 << 6, FL_COUNT = 1 << 7,
};

struct store {
	sqlite3 *db;
	char path[512];
	sqlite3_stmt *stmts[S_COUNT];
	sqlite3_stmt *fail_list[FL_COUNT];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int rc_to_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -1;
	}
}

/* The statement, reset and with its bindings cleared; NULL on error. */
static sqlite3_stmt *stmt(struct store *st, enum stmt which)
{
	sqlite3_stmt *s = st->stmts[which];

	if (!s) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmts[which], NULL) != SQLITE_OK) {
			log_error("store: cannot prepare a statement: %s", sqlite3_errmsg(st->db));
			return NULL;
		}
		return st->stmts[which];
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Text of an empty string as NULL: optional columns. */
static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	bind_text(s, i, v && v[0] ? v : NULL);
}

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (!t) {
		dst[0] = '\0';
		return;
	}
	if ((size_t)n >= len)
		n = (int)len - 1;
	memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
}

/* Run a statement that returns no rows; 0, 1 when it changed nothing
 * (a name that does not exist), or a negative error. */
static int exec_change(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) != SQLITE_CONSTRAINT)
			log_warn("store: %s", sqlite3_errmsg(st->db));
		return rc_to_errno(rc);
	}
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

/* exec_change already mapped the error; a 1 (no row) cannot happen on an
 * insert, so whatever it returned that was not 0 is in errcode. */
static int insert_failed(struct store *st)
{
	int rc = sqlite3_errcode(st->db);

	return rc == SQLITE_DONE || rc == SQLITE_OK ? -1 : rc_to_errno(rc);
}

static int store_migrate(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int version = 0, latest = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	for (size_t i = 0; i < store_n_migrations; i++)
		if (store_migrations[i].version > latest)
			latest = store_migrations[i].version;
	if (version > latest) {
		snprintf(err, errlen, "%s has schema version %d, newer than this program knows (%d)",
			 st->path, version, latest);
		return -1;
	}
	for (size_t i = 0; i < store_n_migrations; i++) {
		const struct store_migration *m = &store_migrations[i];
		char pragma[64];
		char *msg = NULL;

		if (m->version <= version)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", m->version);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: migration %d failed: %s", st->path, m->version,
				 msg ? msg : sqlite3_errmsg(st->db));
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		version = m->version;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
	return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	char *msg = NULL;
	int fd;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	/* create it ourselves so that the mode is 0600 whatever the umask; but
	 * only when it does not exist: closing any descriptor of a file drops
	 * every POSIX lock this process holds on it, including the locks of
	 * the other threads' SQLite connections (a "disk I/O error" later) */
	if (access(path, F_OK) < 0) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
			free(st);
			return NULL;
		}
		if (fd >= 0)
			close(fd);
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; "
			 "PRAGMA synchronous = NORMAL;", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (store_migrate(st, err, errlen) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	for (int i = 0; i < FL_COUNT; i++)
		sqlite3_finalize(st->fail_list[i]);
	sqlite3_close(st->db);
	free(st);
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ------------------------------------------------------------ users */

static void read_user(sqlite3_stmt *s, void *out)
{
	struct store_user *u = out;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, u->name, sizeof(u->name));
	col_text(s, 2, u->phc, sizeof(u->phc));
	col_text(s, 3, u->ha1_md5, sizeof(u->ha1_md5));
	col_text(s, 4, u->ha1_sha256, sizeof(u->ha1_sha256));
	u->enabled = sqlite3_column_int(s, 5);
	u->expires_at = sqlite3_column_int64(s, 6);
	col_text(s, 7, u->comment, sizeof(u->comment));
	u->created_at = sqlite3_column_int64(s, 8);
	u->updated_at = sqlite3_column_int64(s, 9);
	u->last_login_at = sqlite3_column_int64(s, 10);
}

/* One row looked up by a text key: 0 found, 1 not found, negative error. */
static int get_row(struct store *st, enum stmt which, const char *key,
		   void (*read_fn)(sqlite3_stmt *s, void *out), void *out)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_fn(s, out);
	else if (rc != SQLITE_DONE)
		log_warn("store: %s", sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : rc_to_errno(rc);
}

int store_user_get(struct store *st, const char *name, struct store_user *out)
{
	return get_row(st, S_USER_GET, name, read_user, out);
}

int store_user_add(struct store *st, const struct store_user *u)
{
	sqlite3_stmt *s = stmt(st, S_USER_ADD);

	if (!s)
		return -1;
	bind_text(s, 1, u->name);
	bind_text(s, 2, u->phc);
	bind_opt(s, 3, u->ha1_md5);
	bind_opt(s, 4, u->ha1_sha256);
	sqlite3_bind_int(s, 5, u->enabled);
	if (u->expires_at)
		sqlite3_bind_int64(s, 6, u->expires_at);
	bind_text(s, 7, u->comment);
	sqlite3_bind_int64(s, 8, now_s());
	return exec_change(st, s) == 0 ? 0 : insert_failed(st);
}

int store_user_set_password(struct store *st, const char *name, const char *phc,
			    const char *ha1_md5, const char *ha1_sha256)
{
	sqlite3_stmt *s = stmt(st, S_USER_PASSWD);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, phc);
	bind_opt(s, 3, ha1_md5);
	bind_opt(s, 4, ha1_sha256);
	sqlite3_bind_int64(s, 5, now_s());
	return exec_change(st, s);
}

static int user_set_int(struct store *st, enum stmt which, const char *name, int64_t v, int null0)
{
	sqlite3_stmt *s = stmt(st, which);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	if (null0 && v == 0)
		sqlite3_bind_null(s, 2);
	else
		sqlite3_bind_int64(s, 2, v);
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

int store_user_set_enabled(struct store *st, const char *name, int enabled)
{
	return user_set_int(st, S_USER_ENABLED, name, enabled ? 1 : 0, 0);
}

int store_user_set_expiry(struct store *st, const char *name, int64_t expires_at)
{
	return user_set_int(st, S_USER_EXPIRY, name, expires_at, 1);
}

int store_user_set_comment(struct store *st, const char *name, const char *comment)
{
	sqlite3_stmt *s = stmt(st, S_USER_COMMENT);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, comment ? comment : "");
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

static int by_name(struct store *st, enum stmt which, const char *name)
{
	sqlite3_stmt *s = stmt(st, which);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	return exec_change(st, s);
}

static int name_and_time(struct store *st, enum stmt which, const char *name, int64_t when)
{
	sqlite3_stmt *s = stmt(st, which);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, when);
	return exec_change(st, s);
}

int store_user_delete(struct store *st, const char *name)
{
	return by_name(st, S_USER_DEL, name);
}

int store_user_touch_login(struct store *st, const char *name, int64_t when)
{
	return name_and_time(st, S_USER_LOGIN, name, when);
}

int store_users_clear_ha1(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_USER_CLEAR_HA1);

	return s && exec_change(st, s) >= 0 ? 0 : -1;
}

/* Step through rows, handing each to read_fn + cb; cb non-zero stops. */
#define STORE_ITERATE(st, s, type, read_fn, cb, ud)                    \
	do {                                                           \
		type row_;                                             \
		int rc_;                                               \
		while ((rc_ = sqlite3_step(s)) == SQLITE_ROW) {        \
			read_fn(s, &row_);                             \
			if (cb(&row_, ud))                             \
				break;                                 \
		}                                                      \
		sqlite3_reset(s);                                      \
		if (rc_ != SQLITE_ROW && rc_ != SQLITE_DONE)           \
			return rc_to_errno(rc_);                       \
		return 0;                                              \
	} while (0)

int store_user_list(struct store *st, const char *search,
		    int (*cb)(const struct store_user *u, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_USER_LIST);

	if (!s)
		return -1;
	bind_opt(s, 1, search);
	STORE_ITERATE(st, s, struct store_user, read_user, cb, ud);
}

/* ------------------------------------------------------------ admins */

static void read_admin(sqlite3_stmt *s, void *out)
{
	struct store_admin *a = out;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, a->name, sizeof(a->name));
	col_text(s, 2, a->phc, sizeof(a->phc));
	a->created_at = sqlite3_column_int64(s, 3);
	a->updated_at = sqlite3_column_int64(s, 4);
	a->last_login_at = sqlite3_column_int64(s, 5);
}

int store_admin_get(struct store *st, const char *name, struct store_admin *out)
{
	return get_row(st, S_ADMIN_GET, name, read_admin, out);
}

int store_admin_add(struct store *st, const char *name, const char *phc)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_ADD);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, phc);
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s) == 0 ? 0 : insert_failed(st);
}

int store_admin_set_password(struct store *st, const char *name, const char *phc)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_PASSWD);

	if (!s)
		return -1;
	bind_text(s, 1, name);
	bind_text(s, 2, phc);
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

int store_admin_delete(struct store *st, const char *name)
{
	return by_name(st, S_ADMIN_DEL, name);
}

int store_admin_touch_login(struct store *st, const char *name, int64_t when)
{
	return name_and_time(st, S_ADMIN_LOGIN, name, when);
}

int store_admin_list(struct store *st, int (*cb)(const struct store_admin *a, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_LIST);

	if (!s)
		return -1;
	STORE_ITERATE(st, s, struct store_admin, read_admin, cb, ud);
}

/* ------------------------------------------------------------ whitelist */

static void read_whitelist(sqlite3_stmt *s, struct store_whitelist *w)
{
	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, w->cidr, sizeof(w->cidr));
	col_text(s, 2, w->comment, sizeof(w->comment));
	w->created_at = sqlite3_column_int64(s, 3);
}

int store_whitelist_add(struct store *st, const char *cidr, const char *comment)
{
	sqlite3_stmt *s = stmt(st, S_WL_ADD);

	if (!s)
		return -1;
	bind_text(s, 1, cidr);
	bind_text(s, 2, comment ? comment : "");
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s) == 0 ? 0 : insert_failed(st);
}

int store_whitelist_del(struct store *st, const char *cidr)
{
	return by_name(st, S_WL_DEL, cidr);
}

int store_whitelist_list(struct store *st,
			 int (*cb)(const struct store_whitelist *w, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_WL_LIST);

	if (!s)
		return -1;
	STORE_ITERATE(st, s, struct store_whitelist, read_whitelist, cb, ud);
}

/* ------------------------------------------------------------ sessions */

static void read_session(sqlite3_stmt *s, struct store_session *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, x->addr, sizeof(x->addr));
	col_text(s, 2, x->mac, sizeof(x->mac));
	col_text(s, 3, x->username, sizeof(x->username));
	x->created_at = sqlite3_column_int64(s, 4);
	x->last_seen_at = sqlite3_column_int64(s, 5);
	x->expires_at = sqlite3_column_int64(s, 6);
	x->idle_timeout = (unsigned)sqlite3_column_int64(s, 7);
}

int store_session_upsert(struct store *st, const struct store_session *x)
{
	sqlite3_stmt *s = stmt(st, S_SESS_UPSERT);

	if (!s)
		return -1;
	bind_text(s, 1, x->addr);
	bind_text(s, 2, x->mac);
	bind_text(s, 3, x->username);
	sqlite3_bind_int64(s, 4, x->created_at);
	sqlite3_bind_int64(s, 5, x->last_seen_at);
	sqlite3_bind_int64(s, 6, x->idle_timeout);
	sqlite3_bind_int64(s, 7, x->expires_at);
	return exec_change(st, s) >= 0 ? 0 : -1;
}

int store_session_delete(struct store *st, const char *addr)
{
	return by_name(st, S_SESS_DEL, addr);
}

int store_session_touch(struct store *st, const char *addr, int64_t when)
{
	return name_and_time(st, S_SESS_TOUCH, addr, when);
}

int store_session_list(struct store *st, int (*cb)(const struct store_session *s, void *ud),
		       void *ud)
{
	sqlite3_stmt *s = stmt(st, S_SESS_LIST);

	if (!s)
		return -1;
	STORE_ITERATE(st, s, struct store_session, read_session, cb, ud);
}

/* ------------------------------------------------------------ audit */

static int tx(struct store *st, enum stmt which)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : rc_to_errno(rc);
}

int store_failures_insert(struct store *st, const struct store_failure *rows, size_t n)
{
	int rc = tx(st, S_BEGIN);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct store_failure *f = &rows[i];
		sqlite3_stmt *s = stmt(st, S_FAIL_INSERT);

		if (!s) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, f->time_ms);
		bind_text(s, 2, f->client_addr);
		sqlite3_bind_int(s, 3, f->client_port);
		bind_text(s, 4, f->mode);
		bind_text(s, 5, f->scheme);
		bind_text(s, 6, f->username);
		bind_text(s, 7, f->reason);
		bind_text(s, 8, f->host);
		bind_text(s, 9, f->user_agent);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			rc = rc_to_errno(rc);
			break;
		}
		rc = 0;
	}
	if (rc == 0)
		rc = tx(st, S_COMMIT);
	if (rc < 0)
		tx(st, S_ROLLBACK);
	return rc;
}

static void read_failure(sqlite3_stmt *s, struct store_failure *f)
{
	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(s, 0);
	f->time_ms = sqlite3_column_int64(s, 1);
	col_text(s, 2, f->client_addr, sizeof(f->client_addr));
	f->client_port = sqlite3_column_int(s, 3);
	col_text(s, 4, f->mode, sizeof(f->mode));
	col_text(s, 5, f->scheme, sizeof(f->scheme));
	col_text(s, 6, f->username, sizeof(f->username));
	col_text(s, 7, f->reason, sizeof(f->reason));
	col_text(s, 8, f->host, sizeof(f->host));
	col_text(s, 9, f->user_agent, sizeof(f->user_agent));
}

/* The statement for a combination of filters: fixed text chosen by the
 * mask, values always bound. */
static sqlite3_stmt *fail_list_stmt(struct store *st, unsigned mask)
{
	static const struct { unsigned bit; const char *sql; } clauses[] = {
		{ FL_SINCE, " AND time_ms >= :since" },
		{ FL_UNTIL, " AND time_ms < :until" },
		{ FL_USER, " AND username = :user" },
		{ FL_ADDR, " AND client_addr = :addr" },
		{ FL_REASON, " AND reason = :reason" },
		{ FL_MODE, " AND mode = :mode" },
		/* a row value, so the (time_ms DESC, id DESC) order is a range scan */
		{ FL_CURSOR, " AND (time_ms, id) < (:bt, :bid)" },
	};
	char sql[1024];
	size_t off;

	if (st->fail_list[mask]) {
		sqlite3_reset(st->fail_list[mask]);
		sqlite3_clear_bindings(st->fail_list[mask]);
		return st->fail_list[mask];
	}
	off = (size_t)snprintf(sql, sizeof(sql), "SELECT " FAIL_COLS " FROM failures WHERE 1");
	for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++)
		if (mask & clauses[i].bit)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s", clauses[i].sql);
	snprintf(sql + off, sizeof(sql) - off, " ORDER BY time_ms DESC, id DESC LIMIT :limit");
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->fail_list[mask],
			       NULL) != SQLITE_OK) {
		log_error("store: cannot prepare the audit listing: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	return st->fail_list[mask];
}

static void bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_named_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

int store_failures_list(struct store *st, const struct store_failure_filter *f,
			int (*cb)(const struct store_failure *r, void *ud), void *ud)
{
	unsigned mask = (f->since_ms ? FL_SINCE : 0) | (f->until_ms ? FL_UNTIL : 0) |
			(f->username && *f->username ? FL_USER : 0) |
			(f->client_addr && *f->client_addr ? FL_ADDR : 0) |
			(f->reason && *f->reason ? FL_REASON : 0) | (f->mode && *f->mode ? FL_MODE : 0) |
			(f->before_time_ms ? FL_CURSOR : 0);
	sqlite3_stmt *s = fail_list_stmt(st, mask);

	if (!s)
		return -1;
	bind_named_int(s, ":since", f->since_ms);
	bind_named_int(s, ":until", f->until_ms);
	bind_named_text(s, ":user", f->username);
	bind_named_text(s, ":addr", f->client_addr);
	bind_named_text(s, ":reason", f->reason);
	bind_named_text(s, ":mode", f->mode);
	bind_named_int(s, ":bt", f->before_time_ms);
	bind_named_int(s, ":bid", f->before_id ? f->before_id : INT64_MAX);
	bind_named_int(s, ":limit", f->limit ? (int64_t)f->limit : 100);
	STORE_ITERATE(st, s, struct store_failure, read_failure, cb, ud);
}

int store_failures_prune(struct store *st, int64_t older_than_ms)
{
	sqlite3_stmt *s = stmt(st, S_FAIL_PRUNE);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, older_than_ms);
	return exec_change(st, s) >= 0 ? 0 : -1;
}

int store_admin_action_insert(struct store *st, int64_t time_ms, const char *admin,
			      const char *action, const char *target, const char *detail,
			      const char *client_addr)
{
	sqlite3_stmt *s = stmt(st, S_ACTION_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, time_ms);
	bind_text(s, 2, admin);
	bind_text(s, 3, action);
	bind_text(s, 4, target ? target : "");
	bind_text(s, 5, detail ? detail : "");
	bind_text(s, 6, client_addr ? client_addr : "");
	return exec_change(st, s) >= 0 ? 0 : -1;
}

static void read_action(sqlite3_stmt *s, struct store_admin_action *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->time_ms = sqlite3_column_int64(s, 1);
	col_text(s, 2, a->admin, sizeof(a->admin));
	col_text(s, 3, a->action, sizeof(a->action));
	col_text(s, 4, a->target, sizeof(a->target));
	col_text(s, 5, a->detail, sizeof(a->detail));
	col_text(s, 6, a->client_addr, sizeof(a->client_addr));
}

int store_admin_action_list(struct store *st, int64_t before_time_ms, int64_t before_id,
			    size_t limit,
			    int (*cb)(const struct store_admin_action *a, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_ACTION_LIST);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before_time_ms);
	sqlite3_bind_int64(s, 2, before_id);
	sqlite3_bind_int64(s, 3, limit ? (int64_t)limit : 100);
	STORE_ITERATE(st, s, struct store_admin_action, read_action, cb, ud);
}

/* ------------------------------------------------------------ meta */

int store_generations(struct store *st, struct store_generations *out)
{
	sqlite3_stmt *s = stmt(st, S_GENS);
	int rc;

	if (!s)
		return -1;
	memset(out, 0, sizeof(*out));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		int64_t v = sqlite3_column_int64(s, 1);

		if (!name)
			continue;
		if (strcmp(name, "users") == 0)
			out->users = v;
		else if (strcmp(name, "whitelist") == 0)
			out->whitelist = v;
		else if (strcmp(name, "sessions") == 0)
			out->sessions = v;
		else if (strcmp(name, "admins") == 0)
			out->admins = v;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : rc_to_errno(rc);
}

int store_meta_get(struct store *st, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *s = stmt(st, S_META_GET);
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, out, outlen);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : rc_to_errno(rc);
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(st, S_META_SET);

	if (!s)
		return -1;
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return exec_change(st, s) >= 0 ? 0 : -1;
}

int store_meta_del(struct store *st, const char *key)
{
	return by_name(st, S_META_DEL, key) >= 0 ? 0 : -1;
}

int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen)
{
	sqlite3 *dest = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create %s: %s", dest_path,
			 dest ? sqlite3_errmsg(dest) : "out of memory");
		sqlite3_close(dest);
		return -1;
	}
	chmod(dest_path, 0600);
	b = sqlite3_backup_init(dest, "main", st->db, "main");
	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dest));
		sqlite3_close(dest);
		return -1;
	}
	/* copy in steps so that a busy daemon is never blocked for long */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dest);
		return -1;
	}
	sqlite3_close(dest);
	return 0;
}
