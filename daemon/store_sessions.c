#include "store_int.h"

#include <errno.h>
#include <string.h>

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
	x->remote = sqlite3_column_int(s, 8) != 0;
	x->counts.bytes_in = (uint64_t)sqlite3_column_int64(s, 9);
	x->counts.packets_in = (uint64_t)sqlite3_column_int64(s, 10);
	x->counts.bytes_out = (uint64_t)sqlite3_column_int64(s, 11);
	x->counts.packets_out = (uint64_t)sqlite3_column_int64(s, 12);
	col_text(s, 13, x->bandwidth_class, sizeof(x->bandwidth_class));
	col_text(s, 14, x->source, sizeof(x->source));
	x->quota.used = (uint64_t)sqlite3_column_int64(s, 15);
	x->quota.bytes = (uint64_t)sqlite3_column_int64(s, 16);
	col_text(s, 17, x->quota.period, sizeof(x->quota.period));
	x->quota.resets_at = sqlite3_column_int64(s, 18);
	x->rate_in = (uint64_t)sqlite3_column_int64(s, 19);
	x->rate_out = (uint64_t)sqlite3_column_int64(s, 20);
	x->counts_at = sqlite3_column_int64(s, 21);
	col_text(s, 22, x->throttle_class, sizeof(x->throttle_class));
}

/* SQLite integers are signed: a count past INT64_MAX (never, in practice)
 * is stored as INT64_MAX rather than as a negative number. */
static sqlite3_int64 count_value(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static void bind_counts(sqlite3_stmt *s, int first, const struct store_counts *c)
{
	sqlite3_bind_int64(s, first, count_value(c->bytes_in));
	sqlite3_bind_int64(s, first + 1, count_value(c->packets_in));
	sqlite3_bind_int64(s, first + 2, count_value(c->bytes_out));
	sqlite3_bind_int64(s, first + 3, count_value(c->packets_out));
}

int store_session_upsert(struct store *st, const struct store_session *x)
{
	sqlite3_stmt *s = stmt(st, S_SESS_UPSERT);
	int rc;

	if (!s)
		return -1;
	if (!memchr(x->addr, '\0', sizeof(x->addr)) || !x->addr[0] ||
	    !memchr(x->mac, '\0', sizeof(x->mac)) ||
	    !memchr(x->username, '\0', sizeof(x->username)) ||
	    !memchr(x->bandwidth_class, '\0', sizeof(x->bandwidth_class)) ||
	    !memchr(x->throttle_class, '\0', sizeof(x->throttle_class)) ||
	    !memchr(x->source, '\0', sizeof(x->source)))
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
	sqlite3_bind_int(s, 8, x->remote ? 1 : 0);
	bind_counts(s, 9, &x->counts);
	rc = bind_free(s, 13, x->bandwidth_class, FIELD_MAX(x->bandwidth_class));
	if (rc == 0)
		rc = bind_free(s, 14, x->source, FIELD_MAX(x->source));
	if (rc == 0)
		rc = bind_free(s, 15, x->throttle_class, FIELD_MAX(x->throttle_class));
	if (rc < 0)
		return rc;
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

int store_session_throttle_set(struct store *st, const char *addr, const char *cls)
{
	return key_text(st, S_SESS_THROTTLE, addr, STORE_ADDR_MAX, cls ? cls : "",
			STORE_CLASS_MAX, 0);
}

int store_session_list(struct store *st, int (*cb)(const struct store_session *s, void *ud),
		       void *ud)
{
	sqlite3_stmt *s = stmt(st, S_SESS_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_session, read_session, cb, ud);
}

/* ------------------------------------------------------------ counts, history, quotas */

int store_session_rate_current(const struct store_session *s, int64_t now)
{
	return (s->rate_in == 0 && s->rate_out == 0) || now - s->counts_at <= STORE_RATE_FRESH_S;
}

int store_session_counts_write(struct store *st, const struct store_session *rows, size_t n)
{
	sqlite3_stmt *s = stmt(st, S_SESS_COUNTS);
	int rc = 0;

	if (!s)
		return -1;
	if (n == 0)
		return 0;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = bind_key(s, 1, rows[i].addr, STORE_ADDR_MAX);
		if (rc == -EINVAL) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		bind_counts(s, 2, &rows[i].counts);
		sqlite3_bind_int64(s, 6, count_value(rows[i].quota.used));
		sqlite3_bind_int64(s, 7, count_value(rows[i].quota.bytes));
		sqlite3_bind_text(s, 8, rows[i].quota.period, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 9, rows[i].quota.resets_at);
		sqlite3_bind_int64(s, 10, count_value(rows[i].rate_in));
		sqlite3_bind_int64(s, 11, count_value(rows[i].rate_out));
		sqlite3_bind_int64(s, 12, rows[i].counts_at);
		rc = exec_change(st, s);
		if (rc > 0)
			rc = 0;
	}
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int store_session_history_add(struct store *st, const struct store_session *x,
			      const char *reason, int64_t ended_at)
{
	sqlite3_stmt *s = stmt(st, S_HIST_ADD);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, x->addr, FIELD_MAX(x->addr));
	if (rc == 0)
		rc = bind_key(s, 2, x->mac, FIELD_MAX(x->mac));
	if (rc == 0)
		rc = bind_key(s, 3, x->username, FIELD_MAX(x->username));
	if (rc == 0)
		rc = bind_key(s, 6, reason, 32);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 4, x->created_at);
	sqlite3_bind_int64(s, 5, ended_at);
	bind_counts(s, 7, &x->counts);
	return exec_insert(st, s);
}

/* The byte sum statement which answers for username (and since, for the
 * history's), into *bytes. */
static int user_bytes(struct store *st, enum stmt which, const char *username, int64_t since,
		      uint64_t *bytes)
{
	sqlite3_stmt *s = stmt(st, which);
	int rc;

	*bytes = 0;
	if (!s)
		return -1;
	rc = bind_key(s, 1, username, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 0;
	if (rc < 0)
		return rc;
	if (which == S_HIST_BYTES)
		sqlite3_bind_int64(s, 2, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(s, 0);

		*bytes = v > 0 ? (uint64_t)v : 0;
	}
	return iterate_end(st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

int store_session_history_bytes(struct store *st, const char *username, int64_t since,
				uint64_t *bytes)
{
	return user_bytes(st, S_HIST_BYTES, username, since, bytes);
}

int store_session_user_bytes(struct store *st, const char *username, uint64_t *bytes)
{
	return user_bytes(st, S_SESS_USER_BYTES, username, 0, bytes);
}

int store_session_history_reason(struct store *st, const char *addr, int64_t since, char *reason,
				 size_t len)
{
	sqlite3_stmt *s = stmt(st, S_HIST_REASON);
	int rc;

	if (len)
		reason[0] = '\0';
	if (!s)
		return -1;
	rc = bind_key(s, 1, addr, STORE_ADDR_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 2, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		col_text(s, 0, reason, len);
		rc = iterate_end(st, s, SQLITE_DONE);
		return rc < 0 ? rc : 0;
	}
	rc = iterate_end(st, s, rc);
	return rc < 0 ? rc : 1;
}

int store_session_history_prune(struct store *st, int64_t older_than)
{
	sqlite3_stmt *s = stmt(st, S_HIST_PRUNE);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, older_than);
	rc = exec_change(st, s);
	return rc < 0 ? rc : sqlite3_changes(st->db);
}

int store_quota_get(struct store *st, const char *username, struct store_quota *out)
{
	sqlite3_stmt *s = stmt(st, S_QUOTA_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	rc = bind_key(s, 1, username, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->session_bytes = (uint64_t)sqlite3_column_int64(s, 0);
		out->day_bytes = (uint64_t)sqlite3_column_int64(s, 1);
		out->month_bytes = (uint64_t)sqlite3_column_int64(s, 2);
		rc = iterate_end(st, s, SQLITE_DONE);
		return rc < 0 ? rc : 0;
	}
	rc = iterate_end(st, s, rc);
	return rc < 0 ? rc : 1;
}

int store_quota_set(struct store *st, const char *username, const struct store_quota *q)
{
	sqlite3_stmt *s;
	struct store_quota cur;
	int rc = store_quota_get(st, username, &cur);

	if (rc != 0)
		return rc;
	if (!q->session_bytes && !q->day_bytes && !q->month_bytes)
		return by_key(st, S_QUOTA_DEL, username, STORE_NAME_MAX) < 0 ? -1 : 0;
	s = stmt(st, S_QUOTA_SET);
	if (!s)
		return -1;
	rc = bind_key(s, 1, username, STORE_NAME_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 2, count_value(q->session_bytes));
	sqlite3_bind_int64(s, 3, count_value(q->day_bytes));
	sqlite3_bind_int64(s, 4, count_value(q->month_bytes));
	rc = exec_change(st, s);
	return rc < 0 ? rc : 0;
}
