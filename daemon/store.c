#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define USER_COLS "id, name, phc, ha1_md5, ha1_sha256, enabled, expires_at, comment, " \
		  "created_at, updated_at, last_login_at, ha1_realm"
#define ADMIN_COLS "id, name, phc, created_at, updated_at, last_login_at, role"
#define POLICY_COLS "group_name, priority, denied, windows, session_lifetime, idle_timeout, " \
	"allow_destinations, deny_destinations, bandwidth_class, updated_at, " \
	"quota_session, quota_day, quota_month, max_devices, quota_class"
#define VROLL_COLS "r.id, r.comment, r.alphabet, r.code_length, r.validity, r.expires_at, " \
		   "r.quota_bytes, r.bandwidth_class, r.max_devices, r.revoked_at, r.created_at"
#define VOUCHER_COLS "id, roll_id, number, prefix, phc, first_used_at, revoked_at"
/* The bytes code v used since its first use: its sessions that ended, and
 * its live ones as last written (the quota's count, sessions.h) */
#define VOUCHER_NAME "('voucher:' || v.roll_id || '-' || v.number)"
#define VOUCHER_BYTES "((SELECT coalesce(sum(h.bytes_in + h.bytes_out), 0) FROM session_history h " \
	"WHERE h.username = " VOUCHER_NAME " AND h.ended_at >= v.first_used_at) + " \
	"(SELECT coalesce(sum(x.bytes_in + x.bytes_out), 0) FROM sessions x " \
	"WHERE x.username = " VOUCHER_NAME "))"
#define SESS_COLS "id, addr, mac, username, created_at, last_seen_at, expires_at, idle_timeout, remote, " \
	"bytes_in, packets_in, bytes_out, packets_out, bandwidth_class, source, " \
	"quota_used, quota_bytes, quota_period, quota_resets_at, rate_in, rate_out, counts_at, " \
	"throttle_class"

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
	[S_USER_CLASS_GET] = "SELECT bandwidth_class FROM users WHERE name = ?1",
	[S_USER_CLASS_SET] = "UPDATE users SET bandwidth_class = ?2, updated_at = ?3 WHERE name = ?1",
	[S_USER_CLASSES] = "SELECT name, bandwidth_class FROM users WHERE bandwidth_class != '' "
			   "ORDER BY name",
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
	[S_ADMIN_ROLE] = "UPDATE admins SET role = ?2, updated_at = ?3 WHERE name = ?1",
	[S_TERMS_GET] = "SELECT version, text, created_at, created_by FROM terms "
			"ORDER BY version DESC LIMIT 1",
	[S_TERMS_SET] = "INSERT INTO terms (text, created_at, created_by) VALUES (?1, ?2, ?3)",
	[S_TERMS_ACCEPT] = "INSERT INTO terms_acceptances (time_ms, client_addr, mac, version) "
			   "VALUES (?1, ?2, ?3, ?4)",
	[S_TERMS_ACCEPTED] = "SELECT 1 FROM terms_acceptances WHERE client_addr = ?1 AND mac = ?2 "
			     "AND version = ?3 AND time_ms >= ?4 LIMIT 1",
	[S_TERMS_ACCEPT_LIST] = "SELECT id, time_ms, client_addr, mac, version FROM terms_acceptances "
				"WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2",
	[S_LOOK_GET] = "SELECT title, accent, background, text_colour, logo_type, version, "
		       "updated_at, updated_by FROM portal_look WHERE id = 1",
	/* a NULL parameter keeps the column as it is */
	[S_LOOK_SET] = "UPDATE portal_look SET title = coalesce(?1, title), "
		       "accent = coalesce(?2, accent), background = coalesce(?3, background), "
		       "text_colour = coalesce(?4, text_colour), version = version + 1, "
		       "updated_at = ?5, updated_by = ?6 WHERE id = 1",
	[S_LOOK_LOGO_GET] = "SELECT logo, logo_type, version FROM portal_look WHERE id = 1",
	[S_LOOK_LOGO_SET] = "UPDATE portal_look SET logo = ?1, logo_type = ?2, version = version + 1, "
			    "updated_at = ?3, updated_by = ?4 WHERE id = 1",
	[S_WL_ADD] = "INSERT INTO whitelist (cidr, comment, created_at) VALUES (?1, ?2, ?3)",
	[S_WL_DEL] = "DELETE FROM whitelist WHERE cidr = ?1",
	[S_WL_LIST] = "SELECT id, cidr, comment, created_at FROM whitelist ORDER BY cidr",
	[S_GROUP_ADD] = "INSERT INTO local_groups (name, created_at) VALUES (?1, ?2)",
	[S_GROUP_DEL] = "DELETE FROM local_groups WHERE name = ?1",
	[S_GROUP_GET] = "SELECT id FROM local_groups WHERE name = ?1",
	[S_GROUP_LIST] = "SELECT g.id, g.name, g.created_at, "
		"(SELECT count(*) FROM local_group_members m WHERE m.group_id = g.id) "
		"FROM local_groups g ORDER BY g.name",
	[S_GROUP_MEMBER_ADD] = "INSERT INTO local_group_members (group_id, user_id) "
		"SELECT g.id, u.id FROM local_groups g, users u WHERE g.name = ?1 AND u.name = ?2",
	[S_GROUP_MEMBER_DEL] = "DELETE FROM local_group_members WHERE "
		"group_id = (SELECT id FROM local_groups WHERE name = ?1) AND "
		"user_id = (SELECT id FROM users WHERE name = ?2)",
	[S_USER_GROUPS] = "SELECT g.name FROM local_groups g JOIN local_group_members m "
		"ON m.group_id = g.id JOIN users u ON u.id = m.user_id WHERE u.name = ?1 "
		"ORDER BY g.name",
	[S_GROUP_MEMBERS] = "SELECT u.name FROM users u JOIN local_group_members m "
		"ON m.user_id = u.id JOIN local_groups g ON g.id = m.group_id WHERE g.name = ?1 "
		"ORDER BY u.name",
	[S_POLICY_SET] = "INSERT INTO group_policies (group_name, priority, denied, windows, "
		"session_lifetime, idle_timeout, allow_destinations, deny_destinations, "
		"bandwidth_class, updated_at, quota_session, quota_day, quota_month, max_devices, "
		"quota_class) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
		"ON CONFLICT(group_name) DO UPDATE SET priority = excluded.priority, "
		"denied = excluded.denied, windows = excluded.windows, "
		"session_lifetime = excluded.session_lifetime, idle_timeout = excluded.idle_timeout, "
		"allow_destinations = excluded.allow_destinations, "
		"deny_destinations = excluded.deny_destinations, "
		"bandwidth_class = excluded.bandwidth_class, updated_at = excluded.updated_at, "
		"quota_session = excluded.quota_session, quota_day = excluded.quota_day, "
		"quota_month = excluded.quota_month, max_devices = excluded.max_devices, "
		"quota_class = excluded.quota_class",
	[S_POLICY_GET] = "SELECT " POLICY_COLS " FROM group_policies WHERE group_name = ?1",
	[S_POLICY_DEL] = "DELETE FROM group_policies WHERE group_name = ?1",
	[S_POLICY_LIST] = "SELECT " POLICY_COLS " FROM group_policies ORDER BY priority, group_name",
	[S_MEMBERSHIPS] = "SELECT u.name, g.name FROM local_group_members m "
		"JOIN users u ON u.id = m.user_id JOIN local_groups g ON g.id = m.group_id "
		"ORDER BY u.name, g.name",
	[S_SESS_UPSERT] = "INSERT INTO sessions (addr, mac, username, created_at, last_seen_at, idle_timeout, "
			  "expires_at, remote, bytes_in, packets_in, bytes_out, packets_out, bandwidth_class, "
			  "source, throttle_class) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
			  "ON CONFLICT(addr) DO UPDATE SET "
			  "mac = excluded.mac, username = excluded.username, created_at = excluded.created_at, "
			  "last_seen_at = excluded.last_seen_at, idle_timeout = excluded.idle_timeout, "
			  "expires_at = excluded.expires_at, remote = excluded.remote, "
			  "bytes_in = excluded.bytes_in, packets_in = excluded.packets_in, "
			  "bytes_out = excluded.bytes_out, packets_out = excluded.packets_out, "
			  "bandwidth_class = excluded.bandwidth_class, source = excluded.source, "
			  "throttle_class = excluded.throttle_class",
	[S_SESS_GET] = "SELECT " SESS_COLS " FROM sessions WHERE addr = ?1",
	[S_SESS_DEL] = "DELETE FROM sessions WHERE addr = ?1",
	[S_SESS_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE addr = ?1",
	[S_SESS_THROTTLE] = "UPDATE sessions SET throttle_class = ?2 WHERE addr = ?1",
	[S_SESS_LIST] = "SELECT " SESS_COLS " FROM sessions ORDER BY created_at, id",
	[S_SESS_COUNTS] = "UPDATE sessions SET bytes_in = ?2, packets_in = ?3, bytes_out = ?4, "
			  "packets_out = ?5, quota_used = ?6, quota_bytes = ?7, quota_period = ?8, "
			  "quota_resets_at = ?9, rate_in = ?10, rate_out = ?11, counts_at = ?12 "
			  "WHERE addr = ?1",
	[S_HIST_ADD] = "INSERT INTO session_history (addr, mac, username, created_at, ended_at, reason, "
		       "bytes_in, packets_in, bytes_out, packets_out) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_HIST_BYTES] = "SELECT coalesce(sum(bytes_in + bytes_out), 0) FROM session_history "
			 "WHERE username = ?1 AND ended_at >= ?2",
	[S_HIST_REASON] = "SELECT reason FROM session_history WHERE addr = ?1 AND ended_at >= ?2 "
			  "ORDER BY ended_at DESC, id DESC LIMIT 1",
	[S_HIST_PRUNE] = "DELETE FROM session_history WHERE ended_at < ?1",
	[S_QUOTA_GET] = "SELECT q.session_bytes, q.day_bytes, q.month_bytes, u.id FROM users u "
			"LEFT JOIN user_quotas q ON q.user_id = u.id WHERE u.name = ?1",
	[S_QUOTA_SET] = "INSERT INTO user_quotas (user_id, session_bytes, day_bytes, month_bytes) "
			"SELECT id, ?2, ?3, ?4 FROM users WHERE name = ?1 ON CONFLICT(user_id) DO UPDATE SET "
			"session_bytes = excluded.session_bytes, day_bytes = excluded.day_bytes, "
			"month_bytes = excluded.month_bytes",
	[S_QUOTA_DEL] = "DELETE FROM user_quotas WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
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
	/* guest vouchers; a roll's counts as of ?1 (now) */
	[S_VROLL_ADD] = "INSERT INTO voucher_rolls (comment, alphabet, code_length, validity, expires_at, "
			"quota_bytes, bandwidth_class, max_devices, created_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_VROLL_LIST] = "SELECT " VROLL_COLS ", "
		"(SELECT count(*) FROM vouchers v WHERE v.roll_id = r.id), "
		"(SELECT count(*) FROM vouchers v WHERE v.roll_id = r.id AND v.first_used_at > 0), "
		"(SELECT count(*) FROM vouchers v WHERE v.roll_id = r.id AND v.revoked_at = 0 AND r.revoked_at = 0 "
		"AND ((r.expires_at > 0 AND r.expires_at <= ?1) OR "
		"(v.first_used_at > 0 AND v.first_used_at + r.validity <= ?1))), "
		"(SELECT count(*) FROM vouchers v WHERE v.roll_id = r.id AND (v.revoked_at > 0 OR r.revoked_at > 0)), "
		"(SELECT coalesce(max(" VOUCHER_BYTES "), 0) FROM vouchers v WHERE v.roll_id = r.id "
		"AND v.first_used_at > 0), "
		"(SELECT count(*) FROM vouchers v WHERE v.roll_id = r.id AND r.quota_bytes > 0 "
		"AND v.first_used_at > 0 AND " VOUCHER_BYTES " >= r.quota_bytes) "
		"FROM voucher_rolls r WHERE ?2 = 0 OR r.id = ?2 ORDER BY r.id",
	[S_VROLL_GET] = "SELECT " VROLL_COLS " FROM voucher_rolls r WHERE r.id = ?1",
	[S_VOUCHER_ADD] = "INSERT INTO vouchers (roll_id, number, prefix, phc) VALUES (?1, ?2, ?3, ?4)",
	[S_VOUCHER_FIND] = "SELECT " VOUCHER_COLS " FROM vouchers WHERE prefix = ?1",
	/* only the first use starts the clock */
	[S_VOUCHER_FIRST_USE] = "UPDATE vouchers SET first_used_at = ?2 WHERE id = ?1 AND first_used_at = 0",
	[S_VOUCHER_LIST] = "SELECT " VOUCHER_COLS " FROM vouchers WHERE roll_id = ?1 ORDER BY number",
	[S_VOUCHER_REVOKE] = "UPDATE vouchers SET revoked_at = ?3 WHERE roll_id = ?1 "
			     "AND (?2 = 0 OR number = ?2) AND revoked_at = 0",
	[S_VROLL_REVOKE] = "UPDATE voucher_rolls SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
	/* the sessions of the codes named: their user is "voucher:ROLL-NUMBER" */
	[S_VOUCHER_END_SESSIONS] = "DELETE FROM sessions WHERE username IN (SELECT 'voucher:' || roll_id || '-' "
				   "|| number FROM vouchers WHERE roll_id = ?1 AND (?2 = 0 OR number = ?2))",
	[S_USER_MAX_DEVICES_GET] = "SELECT max_devices FROM users WHERE name = ?1",
	[S_USER_MAX_DEVICES_SET] = "UPDATE users SET max_devices = ?2, updated_at = ?3 WHERE name = ?1",
	[S_SESS_OF_USER] = "SELECT " SESS_COLS " FROM sessions WHERE username = ?1 ORDER BY created_at, id",
	[S_SESS_USER_BYTES] = "SELECT coalesce(sum(bytes_in + bytes_out), 0) FROM sessions "
			      "WHERE username = ?1",
	/* a device: its MAC, or its address when it has none */
	[S_SESS_DEL_DEVICE] = "DELETE FROM sessions WHERE username = ?1 AND "
			      "((?2 <> '' AND mac = ?2) OR (?2 = '' AND mac = '' AND addr = ?3))",
	[S_VOUCHER_GET] = "SELECT " VOUCHER_COLS " FROM vouchers WHERE roll_id = ?1 AND number = ?2",
};

int64_t now_s(void)
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
sqlite3_stmt *stmt(struct store *st, enum stmt which)
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
int bind_key(sqlite3_stmt *s, int i, const char *v, size_t max)
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
int bind_free(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	size_t n;

	if (!v)
		v = "";
	n = utf8_cut(v, strnlen(v, max + 1), max);
	return sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

/* Optional column: NULL or "" binds NULL. */
int bind_opt(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	if (!v || !v[0])
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	return bind_key(s, i, v, max);
}

void col_text(sqlite3_stmt *s, int i, char *dst, size_t len)
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
int exec_change(struct store *st, sqlite3_stmt *s)
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
int exec_insert(struct store *st, sqlite3_stmt *s)
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
int get_row(struct store *st, enum stmt which, const char *key, size_t key_max,
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

/* The statement which with ?1 bound to key, into *out: 0, 1 when the key
 * is too long to name a row (a key that long cannot exist), negative. */
static int keyed_stmt(struct store *st, enum stmt which, const char *key, size_t key_max,
		      sqlite3_stmt **out)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, key, key_max);
	if (rc == -EINVAL)
		return 1;
	*out = s;
	return rc;
}

/* A change addressed by a key alone (deletes). */
int by_key(struct store *st, enum stmt which, const char *key, size_t key_max)
{
	sqlite3_stmt *s;
	int rc = keyed_stmt(st, which, key, key_max, &s);

	return rc ? rc : exec_change(st, s);
}

/* The statements that set one integer column of the row named by ?1: the
 * value is ?2 (NULL for 0 with KEY_ZERO_IS_NULL), and with KEY_STAMP ?3 is
 * now (updated_at). A name too long to exist is simply not found. */
int key_int(struct store *st, enum stmt which, const char *key, size_t key_max,
	    int64_t v, unsigned flags)
{
	sqlite3_stmt *s;
	int rc = keyed_stmt(st, which, key, key_max, &s);

	if (rc)
		return rc;
	if ((flags & KEY_ZERO_IS_NULL) && v == 0)
		sqlite3_bind_null(s, 2);
	else
		sqlite3_bind_int64(s, 2, v);
	if (flags & KEY_STAMP)
		sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

/* Set one text column (?2) of the row named by ?1, and ?3 to now with
 * KEY_STAMP. KEY_TEXT_CUT: free text cut to text_max (bind_free); else
 * text longer than text_max is -EINVAL. A key too long to name a row is
 * "no such row": 1. */
int key_text(struct store *st, enum stmt which, const char *key, size_t key_max,
	     const char *text, size_t text_max, unsigned flags)
{
	sqlite3_stmt *s;
	int rc = keyed_stmt(st, which, key, key_max, &s);

	if (rc)
		return rc;
	rc = (flags & KEY_TEXT_CUT) ? bind_free(s, 2, text, text_max) :
				      bind_key(s, 2, text, text_max);
	if (rc < 0)
		return rc;
	if (flags & KEY_STAMP)
		sqlite3_bind_int64(s, 3, now_s());
	return exec_change(st, s);
}

/* After stepping through rows: reset at once (a statement left stepping
 * holds a read snapshot, and the WAL cannot be checkpointed past it) and
 * map the last step's result. */
int iterate_end(struct store *st, sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_step_error(st, rc);
		return rc_to_errno(rc);
	}
	return 0;
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
		else if (strcmp(name, "policies") == 0)
			out->policies = v;
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
