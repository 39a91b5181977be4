#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Rows a prune deletes per statement: each batch is its own short write
 * transaction, so the daemon's audit writer and the CLI get the lock in
 * between instead of waiting for millions of rows to go. */
#define PRUNE_BATCH 5000

/* Every fixed statement the store runs, prepared once per connection on
 * first use and kept. Parameters are always bound, never spliced. */
enum stmt {
	S_USER_GET, S_USER_ADD, S_USER_PASSWD, S_USER_ENABLED, S_USER_EXPIRY, S_USER_COMMENT,
	S_USER_DEL, S_USER_LOGIN, S_USER_LIST, S_USER_PAGE, S_USER_CLEAR_HA1, S_USER_BUMP,
	S_USER_REMAKE_HA1,
	S_ADMIN_GET, S_ADMIN_ADD, S_ADMIN_PASSWD, S_ADMIN_DEL, S_ADMIN_LOGIN, S_ADMIN_LIST,
	S_WL_ADD, S_WL_DEL, S_WL_LIST,
	S_SESS_UPSERT, S_SESS_GET, S_SESS_DEL, S_SESS_TOUCH, S_SESS_LIST,
	S_FAIL_INSERT, S_FAIL_ADD, S_FAIL_PRUNE, S_FAIL_HOURLY, S_FAIL_TOP_ADDR, S_FAIL_TOP_USER,
	S_ACTION_INSERT, S_ACTION_LIST, S_ACTION_PRUNE,
	S_GENS, S_META_GET, S_META_SET, S_META_DEL,
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_USER_VERSION,
	S_COUNT,
};

#define USER_COLS "id, name, phc, ha1_md5, ha1_sha256, enabled, expires_at, comment, " \
		  "created_at, updated_at, last_login_at, ha1_realm"
#define ADMIN_COLS "id, name, phc, created_at, updated_at, last_login_at"
#define SESS_COLS "id, addr, mac, username, created_at, last_seen_at, expires_at, idle_timeout"
#define FAIL_COLS "id, time_ms, client_addr, client_port, mode, scheme, username, reason, " \
		  "host, user_agent, count, last_ms"

/*
 * Whether the database keeps Digest secrets, evaluated inside the statement
 * that would store one: the CLI and the panel hash a password (and read
 * the setting) before they write, and a `portcullis digest off` committed
 * in between must not be followed by a new secret stored. One statement
 * is atomic, so the setting and the write cannot be split.
 */
#define HA1_KEPT "NOT EXISTS (SELECT 1 FROM meta WHERE key = 'digest_secrets' AND value = 'off')"
#define IF_HA1_KEPT(p) "CASE WHEN " HA1_KEPT " THEN " p " END"

static const char *const stmt_sql[S_COUNT] = {
	[S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE name = ?1",
	[S_USER_ADD] = "INSERT INTO users (name, phc, ha1_md5, ha1_sha256, ha1_realm, enabled, expires_at, "
		       "comment, created_at, updated_at) VALUES (?1, ?2, " IF_HA1_KEPT("?3") ", "
		       IF_HA1_KEPT("?4") ", " IF_HA1_KEPT("?5") ", ?6, ?7, ?8, ?9, ?9)",
	[S_USER_PASSWD] = "UPDATE users SET phc = ?2, ha1_md5 = " IF_HA1_KEPT("?3") ", "
			  "ha1_sha256 = " IF_HA1_KEPT("?4") ", ha1_realm = " IF_HA1_KEPT("?5") ", "
			  "updated_at = ?6 WHERE name = ?1",
	[S_USER_ENABLED] = "UPDATE users SET enabled = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_EXPIRY] = "UPDATE users SET expires_at = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_COMMENT] = "UPDATE users SET comment = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_DEL] = "DELETE FROM users WHERE name = ?1",
	[S_USER_LOGIN] = "UPDATE users SET last_login_at = ?2 WHERE name = ?1",
	/* instr, not LIKE: no wildcards or case folding to escape */
	[S_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE ?1 IS NULL OR instr(name, ?1) > 0 "
			"ORDER BY name",
	/* keyset page: name > ?2 walks the UNIQUE(name) index, never OFFSET */
	[S_USER_PAGE] = "SELECT " USER_COLS " FROM users WHERE (?1 IS NULL OR instr(name, ?1) > 0) "
			"AND name > ?2 ORDER BY name LIMIT ?3",
	[S_USER_CLEAR_HA1] = "UPDATE users SET ha1_md5 = NULL, ha1_sha256 = NULL, ha1_realm = NULL "
			     "WHERE ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL OR ha1_realm IS NOT NULL",
	[S_USER_BUMP] = "UPDATE generations SET value = value + 1 WHERE name = 'users'",
	/* only over secrets of unknown realm, and only while the password is
	 * the one just checked */
	[S_USER_REMAKE_HA1] = "UPDATE users SET ha1_md5 = ?3, ha1_sha256 = ?4, ha1_realm = ?5 "
			      "WHERE name = ?1 AND phc = ?2 AND ha1_realm IS NULL "
			      "AND (ha1_md5 IS NOT NULL OR ha1_sha256 IS NOT NULL) AND " HA1_KEPT,
	[S_ADMIN_GET] = "SELECT " ADMIN_COLS " FROM admins WHERE name = ?1",
	[S_ADMIN_ADD] = "INSERT INTO admins (name, phc, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
	[S_ADMIN_PASSWD] = "UPDATE admins SET phc = ?2, updated_at = ?3 WHERE name = ?1",
	[S_ADMIN_DEL] = "DELETE FROM admins WHERE name = ?1",
	[S_ADMIN_LOGIN] = "UPDATE admins SET last_login_at = ?2 WHERE name = ?1",
	[S_ADMIN_LIST] = "SELECT " ADMIN_COLS " FROM admins ORDER BY name",
	[S_WL_ADD] = "INSERT INTO whitelist (cidr, comment, created_at) VALUES (?1, ?2, ?3)",
	[S_WL_DEL] = "DELETE FROM whitelist WHERE cidr = ?1",
	[S_WL_LIST] = "SELECT id, cidr, comment, created_at FROM whitelist ORDER BY cidr",
	[S_SESS_UPSERT] = "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, "
			  "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(addr) DO UPDATE SET "
			  "mac = excluded.mac, username = excluded.username, created_at = excluded.created_at, "
			  "last_seen_at = excluded.last_seen_at, idle_timeout = excluded.idle_timeout, "
			  "expires_at = excluded.expires_at",
	[S_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE addr = ?1",
	[S_SESS_DEL] = "DELETE FROM sessions WHERE addr = ?1",
	[S_SESS_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE addr = ?1",
	[S_SESS_LIST] = "SELECT " SESS_COLS " FROM sessions ORDER BY created_at, id",
	[S_FAIL_INSERT] = "INSERT INTO failures (time_ms, client_addr, client_port, mode, scheme, username, "
			  "reason, host, user_agent, count, last_ms) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[S_FAIL_ADD] = "UPDATE failures SET count = count + ?2, last_ms = max(coalesce(last_ms, time_ms), ?3) "
		       "WHERE id = ?1",
	/* oldest first through the (time_ms, id) index, a batch at a time */
	[S_FAIL_PRUNE] = "DELETE FROM failures WHERE id IN (SELECT id FROM failures WHERE time_ms < ?1 "
			 "ORDER BY time_ms LIMIT ?2)",
	/* the (time_ms, id) index bounds these to the window asked for */
	[S_FAIL_HOURLY] = "SELECT (time_ms - ?1) / ?2, sum(count) FROM failures "
			  "WHERE time_ms >= ?1 AND time_ms < ?1 + ?2 * ?3 GROUP BY 1",
	[S_FAIL_TOP_ADDR] = "SELECT client_addr, sum(count) AS n FROM failures WHERE time_ms >= ?1 "
			    "GROUP BY client_addr ORDER BY n DESC, client_addr LIMIT ?2",
	[S_FAIL_TOP_USER] = "SELECT username, sum(count) AS n FROM failures WHERE time_ms >= ?1 "
			    "GROUP BY username ORDER BY n DESC, username LIMIT ?2",
	[S_ACTION_INSERT] = "INSERT INTO admin_actions (time_ms, admin, action, target, detail, client_addr) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ACTION_LIST] = "SELECT id, time_ms, admin, action, target, detail, client_addr FROM admin_actions "
			  "WHERE ?1 = 0 OR (time_ms, id) < (?1, ?2) "
			  "ORDER BY time_ms DESC, id DESC LIMIT ?3",
	[S_ACTION_PRUNE] = "DELETE FROM admin_actions WHERE id IN (SELECT id FROM admin_actions "
			   "WHERE time_ms < ?1 ORDER BY time_ms LIMIT ?2)",
	[S_GENS] = "SELECT name, value FROM generations",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
		       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[S_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	/* IMMEDIATE: take the write lock now, so that a busy database fails
	 * at the start (after the busy timeout) and never half way through */
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_USER_VERSION] = "PRAGMA user_version",
};

/* The audit listing has one statement per combination of filters, so that
 * each can use its index (an "?x IS NULL OR" clause would defeat it). The
 * SQL text comes only from the fixed clauses below. */
enum {
	FL_SINCE = 1 << 0, FL_UNTIL = 1 << 1, FL_USER = 1 << 2, FL_ADDR = 1 << 3,
	FL_REASON = 1 << 4, FL_MODE = 1 << 5, FL_CURSOR = 1 << 6, FL_COUNT = 1 << 7,
};

struct store {
	sqlite3 *db;
	char *path;
	unsigned busy_ms;
	sqlite3_stmt *stmts[S_COUNT];
	sqlite3_stmt *fail_list[FL_COUNT];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* SQLite result (extended codes are on) to the store's convention. */
static int rc_to_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -1;
	default:
		return -1;
	}
}

/* A failed step worth a log line: not a duplicate (an answer, not a fault). */
static void log_step_error(struct store *st, int rc)
{
	if (rc != SQLITE_CONSTRAINT_UNIQUE && rc != SQLITE_CONSTRAINT_PRIMARYKEY)
		log_warn("store: %s: %s", st->path, sqlite3_errmsg(st->db));
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

/* Length of s cut to at most max bytes without splitting a UTF-8
 * sequence (a valid string stays valid; other bytes are cut anywhere). */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	/* s[len] is the first byte left out: step back while it continues a
	 * sequence, at most the 3 continuation bytes UTF-8 allows */
	for (int i = 0; i < 3 && len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80; i++)
		len--;
	if (((unsigned char)s[len] & 0xc0) == 0x80)
		len = max;    /* not UTF-8 at all */
	return len;
}

/* Bind a name-like key: NULL binds NULL, longer than max is refused. */
static int bind_key(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	size_t n;

	if (!v)
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	n = strnlen(v, max + 1);
	if (n > max)
		return -EINVAL;
	return sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

/* Bind free text cut to max bytes (NULL as ""): what is stored is what
 * will be read back into a field of max + 1 bytes. */
static int bind_free(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	size_t n;

	if (!v)
		v = "";
	n = utf8_cut(v, strnlen(v, max + 1), max);
	return sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

/* Optional column: NULL or "" binds NULL. */
static int bind_opt(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	if (!v || !v[0])
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	return bind_key(s, i, v, max);
}

#define FIELD_MAX(arr) (sizeof(arr) - 1)

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	size_t n;

	if (!len)
		return;
	if (!t) {
		dst[0] = '\0';
		return;
	}
	n = utf8_cut(t, (size_t)sqlite3_column_bytes(s, i), len - 1);
	memcpy(dst, t, n);
	dst[n] = '\0';
}

/* Run a statement that returns no rows: 0, 1 when it changed nothing (a
 * name that does not exist), or negative. Leaves it reset. */
static int exec_change(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_step_error(st, rc);
		return rc_to_errno(rc);
	}
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

/* An insert: exec_change, where "no row changed" cannot mean anything. */
static int exec_insert(struct store *st, sqlite3_stmt *s)
{
	int rc = exec_change(st, s);

	return rc == 1 ? -1 : rc;
}

static int tx(struct store *st, enum stmt which)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_step_error(st, rc);
		return rc_to_errno(rc);
	}
	return 0;
}

int store_begin(struct store *st)
{
	return tx(st, S_BEGIN);
}

int store_commit(struct store *st)
{
	int rc = tx(st, S_COMMIT);

	/* a COMMIT that failed busy leaves the transaction open */
	if (rc < 0)
		store_rollback(st);
	return rc;
}

void store_rollback(struct store *st)
{
	/* SQLite may have rolled back by itself (SQLITE_FULL, IOERR) */
	if (!sqlite3_get_autocommit(st->db))
		tx(st, S_ROLLBACK);
}

/* ------------------------------------------------------------ open */

/*
 * Step s, retrying while the database is busy, up to the busy timeout.
 * The busy handler does not cover everything at open: switching a fresh
 * file to WAL, or reading while another connection recovers the WAL,
 * answers SQLITE_BUSY at once; the daemon's threads and a CLI opening
 * together meet exactly that.
 */
static int step_patiently(struct store *st, sqlite3_stmt *s)
{
	unsigned waited = 0;
	int rc;

	while (((rc = sqlite3_step(s)) & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		if (waited >= st->busy_ms)
			break;
		sqlite3_reset(s);
		sqlite3_sleep(10);
		waited += 10;
	}
	return rc;
}

static int user_version(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_USER_VERSION);
	int v = -1;

	if (!s)
		return -1;
	if (step_patiently(st, s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return v;
}

/*
 * Apply the migrations above the file's user_version, each in its own
 * transaction with the user_version bump. The version is read again under
 * the write lock: the daemon's threads (and a CLI) may open a fresh file at
 * the same moment, and only one of them may run a migration.
 */
static int store_migrate(struct store *st, const struct store_migration *list, size_t n,
			 char *err, size_t errlen)
{
	int version, latest = 0;

	for (size_t i = 0; i < n; i++) {
		if (list[i].version <= latest) {
			snprintf(err, errlen, "migration list out of order at version %d", list[i].version);
			return -1;
		}
		latest = list[i].version;
	}
	version = user_version(st);
	if (version < 0)
		goto fail_db;
	if (version > latest) {
		snprintf(err, errlen, "%s has schema version %d, newer than this program knows (%d)",
			 st->path, version, latest);
		return -1;
	}
	for (size_t i = 0; i < n && version < latest; i++) {
		const struct store_migration *m = &list[i];
		char pragma[64];
		char *msg = NULL;
		int rc;

		if (m->version <= version)
			continue;
		rc = store_begin(st);
		if (rc < 0)
			goto fail_db;
		version = user_version(st);
		if (version < 0) {
			store_rollback(st);
			goto fail_db;
		}
		if (m->version <= version) {    /* another connection was faster */
			store_rollback(st);
			continue;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", m->version);
		if (sqlite3_exec(st->db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: migration %d failed: %s", st->path, m->version,
				 msg ? msg : sqlite3_errmsg(st->db));
			sqlite3_free(msg);
			store_rollback(st);
			return -1;
		}
		if (store_commit(st) < 0)
			goto fail_db;
		version = m->version;
	}
	return 0;
fail_db:
	snprintf(err, errlen, "%s: cannot migrate the schema: %s", st->path, sqlite3_errmsg(st->db));
	return -1;
}

/*
 * Create a missing database file with mode 0600 whatever the umask. It is
 * made under a temporary name and linked into place once closed: closing
 * any descriptor of a file drops every POSIX lock this process holds on
 * it, and another thread's SQLite connection may already be using a file
 * of that name (its locks would silently go, "disk I/O error" later).
 * link() never replaces a file that another opener created first.
 */
static int create_file(const char *path, char *err, size_t errlen)
{
	struct stat dir_st;
	char *tmp = NULL, *copy = NULL;
	int fd = -1, rc = -1;

	if (access(path, F_OK) == 0)
		return 0;
	if (asprintf(&tmp, "%s.new-XXXXXX", path) < 0)
		tmp = NULL;
	copy = strdup(path);
	if (!tmp || !copy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);     /* mode 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
		goto out;
	}
	/* root running the CLI before the daemon's first start must not leave
	 * a file the daemon's user cannot open: give it to the owner of the
	 * state directory (SQLite does the same for its -wal and -shm files) */
	if (geteuid() == 0 && stat(dirname(copy), &dir_st) == 0 && dir_st.st_uid != 0 &&
	    fchown(fd, dir_st.st_uid, dir_st.st_gid) < 0)
		log_warn("store: cannot give %s to uid %u: %s", path, (unsigned)dir_st.st_uid,
			 strerror(errno));
	close(fd);
	if (link(tmp, path) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		unlink(tmp);
	free(tmp);
	free(copy);
	return rc;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	return store_open_opts(path, NULL, err, errlen);
}

struct store *store_open_opts(const char *path, const struct store_options *opts,
			      char *err, size_t errlen)
{
	const struct store_migration *list = store_migrations;
	size_t n = store_n_migrations;
	unsigned busy = STORE_BUSY_TIMEOUT_DEFAULT_MS;
	struct store *st;
	sqlite3_stmt *s = NULL;
	const char *mode;
	char *msg = NULL;
	int rc;

	if (opts && opts->migrations) {
		list = opts->migrations;
		n = opts->n_migrations;
	}
	if (opts && opts->busy_timeout_ms)
		busy = opts->busy_timeout_ms;
	if (!path || !path[0]) {
		snprintf(err, errlen, "no database path");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(st);
		return NULL;
	}
	if (create_file(path, err, errlen) < 0)
		goto fail;
	/* SQLite only says "unable to open database file" */
	if (access(path, R_OK | W_OK) < 0) {
		snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
		goto fail;
	}
	/* no SQLITE_OPEN_CREATE: the file was made above with its mode */
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* READWRITE silently opens a write-protected file read-only */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		snprintf(err, errlen, "database %s is not writable by this user", path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	st->busy_ms = busy;
	sqlite3_busy_timeout(st->db, (int)busy);
	/* the first read of the file: "not a database" shows here */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    step_patiently(st, s) != SQLITE_ROW) {
		snprintf(err, errlen, "database %s: %s", path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		goto fail;
	}
	/* a file system without shared memory keeps another journal mode:
	 * it works, only readers and the writer block each other */
	mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcmp(mode, "wal") != 0)
		log_warn("store: %s: journal mode %s, not WAL", path, mode ? mode : "unknown");
	sqlite3_finalize(s);
	if (sqlite3_exec(st->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (store_migrate(st, list, n, err, errlen) < 0)
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
	free(st->path);
	free(st);
}

int store_schema_version(struct store *st)
{
	return user_version(st);
}

void store_set_busy_timeout(struct store *st, unsigned ms)
{
	st->busy_ms = ms ? ms : STORE_BUSY_TIMEOUT_DEFAULT_MS;
	sqlite3_busy_timeout(st->db, (int)st->busy_ms);
}

/* ------------------------------------------------------------ helpers */

/* One row looked up by a text key: 0 found, 1 not found, negative. */
static int get_row(struct store *st, enum stmt which, const char *key, size_t key_max,
		   void (*read_fn)(sqlite3_stmt *s, void *out), void *out)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	if (!key || strnlen(key, key_max + 1) > key_max)
		return 1;    /* cannot be stored, so is not */
	if (bind_key(s, 1, key, key_max) < 0)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_fn(s, out);
	else if (rc != SQLITE_DONE)
		log_step_error(st, rc);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : rc_to_errno(rc);
}

/* A change addressed by a key alone (deletes). */
static int by_key(struct store *st, enum stmt which, const char *key, size_t key_max)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, key, key_max);
	if (rc == -EINVAL)
		return 1;    /* a key that long cannot exist */
	return rc < 0 ? rc : exec_change(st, s);
}

/* A change addressed by a key with one integer (?2) and now (?3). */
/* Flags of key_int. */
enum { KEY_ZERO_IS_NULL = 1, KEY_STAMP = 2 };

/* The statements that set one integer column of the row named by ?1: the
 * value is ?2 (NULL for 0 with KEY_ZERO_IS_NULL), and with KEY_STAMP ?3 is
 * now (updated_at). A name too long to exist is simply not found. */
static int key_int(struct store *st, enum stmt which, const char *key, size_t key_max,
		   int64_t v, unsigned flags)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, key, key_max);
	if (rc == -EINVAL)
		return 1;
	if (rc < 0)
		return rc;
	if ((flags & KEY_ZERO_IS_NULL) && v == 0)
		sqlite3_bind_null(s, 2);
	else
		sqlite3_bind_int64(s, 2, v);
	if (flags & KEY_STAMP)
		sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

/* After stepping through rows: reset at once (a statement left stepping
 * holds a read snapshot, and the WAL cannot be checkpointed past it) and
 * map the last step's result. */
static int iterate_end(struct store *st, sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_step_error(st, rc);
		return rc_to_errno(rc);
	}
	return 0;
}

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
	col_text(s, 11, u->ha1_realm, sizeof(u->ha1_realm));
}

int store_user_get(struct store *st, const char *name, struct store_user *out)
{
	return get_row(st, S_USER_GET, name, STORE_NAME_MAX, read_user, out);
}

/* Binds for a password change or a new user; negative if one is too long.
 * The realm is stored only with a Digest secret: without one it names
 * nothing. */
static int bind_secret(sqlite3_stmt *s, int i, const char *phc, const char *md5, const char *sha,
		       const char *realm)
{
	struct store_user u;
	int has_ha1 = (md5 && md5[0]) || (sha && sha[0]);
	int rc;

	if (!phc || !phc[0])
		return -EINVAL;
	if (has_ha1 && (!realm || !realm[0]))
		return -EINVAL;
	rc = bind_key(s, i, phc, FIELD_MAX(u.phc));
	if (rc == 0)
		rc = bind_opt(s, i + 1, md5, FIELD_MAX(u.ha1_md5));
	if (rc == 0)
		rc = bind_opt(s, i + 2, sha, FIELD_MAX(u.ha1_sha256));
	if (rc == 0)
		rc = bind_opt(s, i + 3, has_ha1 ? realm : NULL, FIELD_MAX(u.ha1_realm));
	return rc;
}

int store_user_add(struct store *st, const struct store_user *u)
{
	sqlite3_stmt *s = stmt(st, S_USER_ADD);
	int rc;

	if (!s)
		return -1;
	/* the struct's arrays need not be NUL-terminated: bound by size */
	if (!memchr(u->name, '\0', sizeof(u->name)) || !u->name[0] ||
	    !memchr(u->phc, '\0', sizeof(u->phc)) ||
	    !memchr(u->ha1_md5, '\0', sizeof(u->ha1_md5)) ||
	    !memchr(u->ha1_sha256, '\0', sizeof(u->ha1_sha256)) ||
	    !memchr(u->ha1_realm, '\0', sizeof(u->ha1_realm)))
		return -EINVAL;
	rc = bind_key(s, 1, u->name, STORE_NAME_MAX);
	if (rc == 0)
		rc = bind_secret(s, 2, u->phc, u->ha1_md5, u->ha1_sha256, u->ha1_realm);
	if (rc == 0)
		rc = bind_free(s, 8, u->comment, STORE_COMMENT_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(s, 6, u->enabled ? 1 : 0);
	if (u->expires_at)
		sqlite3_bind_int64(s, 7, u->expires_at);
	sqlite3_bind_int64(s, 9, now_s());
	return exec_insert(st, s);
}

int store_user_set_password(struct store *st, const char *name, const char *phc,
			    const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm)
{
	sqlite3_stmt *s = stmt(st, S_USER_PASSWD);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc == 0)
		rc = bind_secret(s, 2, phc, ha1_md5, ha1_sha256, ha1_realm);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 6, now_s());
	return exec_change(st, s);
}

int store_user_remake_digest(struct store *st, const char *name, const char *phc,
			     const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm)
{
	sqlite3_stmt *s = stmt(st, S_USER_REMAKE_HA1);
	int rc;

	if (!s)
		return -1;
	if (!ha1_md5 || !ha1_md5[0] || !ha1_sha256 || !ha1_sha256[0])
		return -EINVAL;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc == 0)
		rc = bind_secret(s, 2, phc, ha1_md5, ha1_sha256, ha1_realm);
	if (rc < 0)
		return rc;
	return exec_change(st, s);
}

int store_user_set_enabled(struct store *st, const char *name, int enabled)
{
	return key_int(st, S_USER_ENABLED, name, STORE_NAME_MAX, enabled ? 1 : 0, KEY_STAMP);
}

int store_user_set_expiry(struct store *st, const char *name, int64_t expires_at)
{
	return key_int(st, S_USER_EXPIRY, name, STORE_NAME_MAX, expires_at,
		       KEY_STAMP | KEY_ZERO_IS_NULL);
}

int store_user_set_comment(struct store *st, const char *name, const char *comment)
{
	sqlite3_stmt *s = stmt(st, S_USER_COMMENT);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc == 0)
		rc = bind_free(s, 2, comment, STORE_COMMENT_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

int store_user_delete(struct store *st, const char *name)
{
	return by_key(st, S_USER_DEL, name, STORE_NAME_MAX);
}

int store_user_touch_login(struct store *st, const char *name, int64_t when)
{
	return key_int(st, S_USER_LOGIN, name, STORE_NAME_MAX, when, 0);
}

int store_users_clear_ha1(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_USER_CLEAR_HA1);
	int rc;

	if (!s)
		return -1;
	rc = exec_change(st, s);
	return rc < 0 ? rc : 0;
}

int store_digest_secrets_kept(struct store *st)
{
	char v[8];
	int rc = store_meta_get(st, "digest_secrets", v, sizeof(v));

	if (rc < 0)
		return rc;
	return rc == 1 || strcmp(v, "off") != 0;
}

int store_digest_secrets_keep(struct store *st, int keep)
{
	sqlite3_stmt *s;
	int rc = keep ? store_meta_del(st, "digest_secrets") : store_meta_set(st, "digest_secrets", "off");

	if (rc == 0 && !keep)
		rc = store_users_clear_ha1(st);
	if (rc < 0)
		return rc;
	/* the users generation moves even when no row did, so a running
	 * daemon learns of the setting within its poll */
	s = stmt(st, S_USER_BUMP);
	if (!s)
		return -1;
	rc = exec_change(st, s);
	return rc < 0 ? rc : 0;
}

int store_user_list(struct store *st, const char *search,
		    int (*cb)(const struct store_user *u, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_USER_LIST);

	if (!s)
		return -1;
	if (search && search[0] &&
	    sqlite3_bind_text(s, 1, search, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return -1;
	return ITERATE(st, s, struct store_user, read_user, cb, ud);
}

int store_user_list_page(struct store *st, const char *search, const char *after, size_t limit,
			 int (*cb)(const struct store_user *u, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_USER_PAGE);

	if (!s)
		return -1;
	if (search && search[0] &&
	    sqlite3_bind_text(s, 1, search, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_text(s, 2, after ? after : "", -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 3, limit && limit < INT64_MAX ? (int64_t)limit : 100);
	return ITERATE(st, s, struct store_user, read_user, cb, ud);
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
	return get_row(st, S_ADMIN_GET, name, STORE_NAME_MAX, read_admin, out);
}

int store_admin_add(struct store *st, const char *name, const char *phc)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_ADD);
	struct store_admin a;
	int rc;

	if (!s)
		return -1;
	if (!name || !name[0] || !phc || !phc[0])
		return -EINVAL;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc == 0)
		rc = bind_key(s, 2, phc, FIELD_MAX(a.phc));
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 3, now_s());
	return exec_insert(st, s);
}

int store_admin_set_password(struct store *st, const char *name, const char *phc)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_PASSWD);
	struct store_admin a;
	int rc;

	if (!s)
		return -1;
	if (!phc || !phc[0])
		return -EINVAL;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc == 0)
		rc = bind_key(s, 2, phc, FIELD_MAX(a.phc));
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

int store_admin_delete(struct store *st, const char *name)
{
	return by_key(st, S_ADMIN_DEL, name, STORE_NAME_MAX);
}

int store_admin_touch_login(struct store *st, const char *name, int64_t when)
{
	return key_int(st, S_ADMIN_LOGIN, name, STORE_NAME_MAX, when, 0);
}

int store_admin_list(struct store *st, int (*cb)(const struct store_admin *a, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_admin, read_admin, cb, ud);
}

/* ------------------------------------------------------------ whitelist */

static void read_whitelist(sqlite3_stmt *s, void *out)
{
	struct store_whitelist *w = out;

	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, w->cidr, sizeof(w->cidr));
	col_text(s, 2, w->comment, sizeof(w->comment));
	w->created_at = sqlite3_column_int64(s, 3);
}

int store_whitelist_add(struct store *st, const char *cidr, const char *comment)
{
	sqlite3_stmt *s = stmt(st, S_WL_ADD);
	struct store_whitelist w;
	int rc;

	if (!s)
		return -1;
	if (!cidr || !cidr[0])
		return -EINVAL;
	rc = bind_key(s, 1, cidr, FIELD_MAX(w.cidr));
	if (rc == 0)
		rc = bind_free(s, 2, comment, STORE_COMMENT_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 3, now_s());
	return exec_insert(st, s);
}

int store_whitelist_del(struct store *st, const char *cidr)
{
	struct store_whitelist w;

	return by_key(st, S_WL_DEL, cidr, FIELD_MAX(w.cidr));
}

int store_whitelist_list(struct store *st,
			 int (*cb)(const struct store_whitelist *w, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_WL_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_whitelist, read_whitelist, cb, ud);
}

/* ------------------------------------------------------------ sessions */

static void read_session(sqlite3_stmt *s, void *out)
{
	struct store_session *x = out;

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
	int rc;

	if (!s)
		return -1;
	if (!memchr(x->addr, '\0', sizeof(x->addr)) || !x->addr[0] ||
	    !memchr(x->mac, '\0', sizeof(x->mac)) ||
	    !memchr(x->username, '\0', sizeof(x->username)))
		return -EINVAL;
	rc = bind_key(s, 1, x->addr, FIELD_MAX(x->addr));
	if (rc == 0)
		rc = bind_key(s, 2, x->mac, FIELD_MAX(x->mac));
	if (rc == 0)
		rc = bind_key(s, 3, x->username, FIELD_MAX(x->username));
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 4, x->created_at);
	sqlite3_bind_int64(s, 5, x->last_seen_at);
	sqlite3_bind_int64(s, 6, x->idle_timeout);
	sqlite3_bind_int64(s, 7, x->expires_at);
	return exec_insert(st, s);
}

int store_session_get(struct store *st, const char *addr, struct store_session *out)
{
	return get_row(st, S_SESS_GET, addr, STORE_ADDR_MAX, read_session, out);
}

int store_session_delete(struct store *st, const char *addr)
{
	return by_key(st, S_SESS_DEL, addr, STORE_ADDR_MAX);
}

int store_session_touch(struct store *st, const char *addr, int64_t when)
{
	return key_int(st, S_SESS_TOUCH, addr, STORE_ADDR_MAX, when, 0);
}

int store_session_list(struct store *st, int (*cb)(const struct store_session *s, void *ud),
		       void *ud)
{
	sqlite3_stmt *s = stmt(st, S_SESS_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_session, read_session, cb, ud);
}

/* ------------------------------------------------------------ audit */

static int bind_failure(sqlite3_stmt *s, const struct store_failure *f)
{
	int rc;

	/* fixed arrays filled by the daemon: bound by their size, so one
	 * without its NUL cannot be read past */
	sqlite3_bind_int64(s, 1, f->time_ms);
	sqlite3_bind_int(s, 3, f->client_port);
	rc = bind_free(s, 2, f->client_addr, FIELD_MAX(f->client_addr));
	if (rc == 0)
		rc = bind_free(s, 4, f->mode, FIELD_MAX(f->mode));
	if (rc == 0)
		rc = bind_free(s, 5, f->scheme, FIELD_MAX(f->scheme));
	if (rc == 0)
		rc = bind_free(s, 6, f->username, FIELD_MAX(f->username));
	if (rc == 0)
		rc = bind_free(s, 7, f->reason, FIELD_MAX(f->reason));
	if (rc == 0)
		rc = bind_free(s, 8, f->host, FIELD_MAX(f->host));
	if (rc == 0)
		rc = bind_free(s, 9, f->user_agent, FIELD_MAX(f->user_agent));
	/* a row stands for at least the one failure that made it */
	sqlite3_bind_int64(s, 10, f->count > 1 ? f->count : 1);
	sqlite3_bind_int64(s, 11, f->last_ms > f->time_ms ? f->last_ms : f->time_ms);
	return rc;
}

int store_failures_insert(struct store *st, const struct store_failure *rows, size_t n)
{
	return store_failures_write(st, rows, n, NULL, NULL, 0);
}

int store_failures_write(struct store *st, const struct store_failure *rows, size_t n,
			 int64_t *ids, const struct store_failure_add *adds, size_t n_adds)
{
	int rc;

	if (n == 0 && n_adds == 0)
		return 0;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *s = stmt(st, S_FAIL_INSERT);

		if (!s)
			rc = -1;
		else if ((rc = bind_failure(s, &rows[i])) == 0)
			rc = exec_insert(st, s);
		if (rc == 0 && ids)
			ids[i] = sqlite3_last_insert_rowid(st->db);
	}
	for (size_t i = 0; i < n_adds && rc == 0; i++) {
		sqlite3_stmt *s = stmt(st, S_FAIL_ADD);

		if (!s) {
			rc = -1;
		} else {
			sqlite3_bind_int64(s, 1, adds[i].id);
			sqlite3_bind_int64(s, 2, adds[i].count);
			sqlite3_bind_int64(s, 3, adds[i].last_ms);
			rc = exec_change(st, s);
			/* a row pruned meanwhile has nothing to add to */
			if (rc == 1)
				rc = 0;
		}
	}
	if (rc == 0)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

static void read_failure(sqlite3_stmt *s, void *out)
{
	struct store_failure *f = out;

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
	f->count = sqlite3_column_int64(s, 10);
	f->last_ms = sqlite3_column_type(s, 11) == SQLITE_NULL ? f->time_ms
							       : sqlite3_column_int64(s, 11);
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
		/* a row value, so the (time_ms DESC, id DESC) order is one
		 * range scan of the index wherever the last page ended */
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

static int set(const char *v)
{
	return v && v[0];
}

int store_failures_list(struct store *st, const struct store_failure_filter *filter,
			int (*cb)(const struct store_failure *r, void *ud), void *ud)
{
	static const struct store_failure_filter none;
	const struct store_failure_filter *f = filter ? filter : &none;
	unsigned mask = (f->since_ms ? FL_SINCE : 0) | (f->until_ms ? FL_UNTIL : 0) |
			(set(f->username) ? FL_USER : 0) | (set(f->client_addr) ? FL_ADDR : 0) |
			(set(f->reason) ? FL_REASON : 0) | (set(f->mode) ? FL_MODE : 0) |
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
	bind_named_int(s, ":bid", f->before_id);
	bind_named_int(s, ":limit", f->limit && f->limit < INT64_MAX ? (int64_t)f->limit : 100);
	return ITERATE(st, s, struct store_failure, read_failure, cb, ud);
}

int store_failures_histogram(struct store *st, int64_t since_ms, int64_t bucket_ms,
			     uint64_t *counts, size_t n_buckets)
{
	sqlite3_stmt *s = stmt(st, S_FAIL_HOURLY);
	int rc;

	if (!s)
		return -1;
	if (bucket_ms <= 0 || n_buckets == 0 || n_buckets > INT32_MAX)
		return -EINVAL;
	memset(counts, 0, n_buckets * sizeof(*counts));
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int64(s, 2, bucket_ms);
	sqlite3_bind_int64(s, 3, (int64_t)n_buckets);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(s, 0);

		if (b >= 0 && (uint64_t)b < n_buckets)
			counts[b] = (uint64_t)sqlite3_column_int64(s, 1);
	}
	return iterate_end(st, s, rc);
}

int store_failures_top(struct store *st, int by_username, int64_t since_ms, size_t limit,
		       int (*cb)(const char *value, uint64_t count, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, by_username ? S_FAIL_TOP_USER : S_FAIL_TOP_ADDR);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int64(s, 2, limit && limit < INT64_MAX ? (int64_t)limit : 10);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char value[STORE_NAME_MAX + 1];

		col_text(s, 0, value, sizeof(value));
		if (cb(value, (uint64_t)sqlite3_column_int64(s, 1), ud))
			break;
	}
	return iterate_end(st, s, rc);
}

/* Delete in batches until one comes back short; rows deleted or negative. */
static int prune(struct store *st, enum stmt which, int64_t older_than_ms)
{
	int64_t total = 0;

	for (;;) {
		sqlite3_stmt *s = stmt(st, which);
		int rc, n;

		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, older_than_ms);
		sqlite3_bind_int(s, 2, PRUNE_BATCH);
		rc = exec_change(st, s);
		if (rc < 0)
			return rc;
		n = rc == 1 ? 0 : sqlite3_changes(st->db);
		total += n;
		if (n < PRUNE_BATCH)
			break;
	}
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

int store_failures_prune(struct store *st, int64_t older_than_ms)
{
	return prune(st, S_FAIL_PRUNE, older_than_ms);
}

int store_admin_action_insert(struct store *st, int64_t time_ms, const char *admin,
			      const char *action, const char *target, const char *detail,
			      const char *client_addr)
{
	sqlite3_stmt *s = stmt(st, S_ACTION_INSERT);
	struct store_admin_action a;
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, time_ms);
	rc = bind_free(s, 2, admin, FIELD_MAX(a.admin));
	if (rc == 0)
		rc = bind_free(s, 3, action, FIELD_MAX(a.action));
	if (rc == 0)
		rc = bind_free(s, 4, target, FIELD_MAX(a.target));
	if (rc == 0)
		rc = bind_free(s, 5, detail, FIELD_MAX(a.detail));
	if (rc == 0)
		rc = bind_free(s, 6, client_addr, FIELD_MAX(a.client_addr));
	if (rc < 0)
		return rc;
	return exec_insert(st, s);
}

static void read_action(sqlite3_stmt *s, void *out)
{
	struct store_admin_action *a = out;

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
	sqlite3_bind_int64(s, 3, limit && limit < INT64_MAX ? (int64_t)limit : 100);
	return ITERATE(st, s, struct store_admin_action, read_action, cb, ud);
}

int store_admin_actions_prune(struct store *st, int64_t older_than_ms)
{
	return prune(st, S_ACTION_PRUNE, older_than_ms);
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
	if (rc != SQLITE_DONE) {
		log_step_error(st, rc);
		return rc_to_errno(rc);
	}
	return 0;
}

struct meta_out {
	char *buf;
	size_t len;
};

static void read_meta(sqlite3_stmt *s, void *out)
{
	struct meta_out *m = out;

	col_text(s, 0, m->buf, m->len);
}

#define META_KEY_MAX 128

int store_meta_get(struct store *st, const char *key, char *out, size_t outlen)
{
	struct meta_out m = { out, outlen };

	if (!outlen)
		return -EINVAL;
	return get_row(st, S_META_GET, key, META_KEY_MAX, read_meta, &m);
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(st, S_META_SET);
	int rc;

	if (!s)
		return -1;
	if (!key || !key[0] || !value)
		return -EINVAL;
	rc = bind_key(s, 1, key, META_KEY_MAX);
	if (rc < 0)
		return rc;
	if (sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return -1;
	return exec_insert(st, s);
}

int store_meta_del(struct store *st, const char *key)
{
	int rc = by_key(st, S_META_DEL, key, META_KEY_MAX);

	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ backup */

int store_backup(struct store *st, const char *dest_path, char *err, size_t errlen)
{
	struct stat src_st, dst_st;
	sqlite3 *dest = NULL;
	sqlite3_backup *b;
	int created = 0, rc, waited_ms = 0;

	if (stat(st->path, &src_st) == 0 && stat(dest_path, &dst_st) == 0 &&
	    src_st.st_dev == dst_st.st_dev && src_st.st_ino == dst_st.st_ino) {
		snprintf(err, errlen, "%s is the database itself", dest_path);
		return -1;
	}
	if (access(dest_path, F_OK) < 0) {
		int fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dest_path, strerror(errno));
			return -1;
		}
		close(fd);
		created = 1;
	} else {
		/* A copy holds the password hashes and any Digest secrets (each
		 * as good as the password for Digest): an old file that others
		 * may read is made the owner's alone before anything is copied
		 * into it. */
		int fd = open(dest_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0 || fstat(fd, &dst_st) < 0 ||
		    ((dst_st.st_mode & 077) && fchmod(fd, dst_st.st_mode & 0700) < 0)) {
			snprintf(err, errlen, "cannot make %s private: %s", dest_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	if (sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", dest_path,
			 dest ? sqlite3_errmsg(dest) : "out of memory");
		goto fail;
	}
	b = sqlite3_backup_init(dest, "main", st->db, "main");
	if (!b) {
		snprintf(err, errlen, "backup to %s: %s", dest_path, sqlite3_errmsg(dest));
		goto fail;
	}
	/* All pages in one step: in WAL mode that is one read snapshot, which
	 * does not block the daemon's writers, while a copy in small steps
	 * would start over each time the daemon writes an audit batch. */
	for (;;) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
		    waited_ms >= (int)st->busy_ms)
			break;
		sqlite3_sleep(50);
		waited_ms += 50;
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup to %s: %s", dest_path, sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_close(dest) != SQLITE_OK) {
		dest = NULL;
		snprintf(err, errlen, "backup to %s: cannot close the copy", dest_path);
		goto fail;
	}
	return 0;
fail:
	sqlite3_close(dest);
	if (created)
		unlink(dest_path);
	return -1;
}
