/*
 * store_accounting — the RADIUS accounting queue and the accounted
 * sessions (store.h, migration 008). Its statements are prepared per call
 * rather than in store.c's table: accounting writes a handful of times a
 * second at most, and an interim round reuses one statement for all its
 * rows inside one transaction.
 */
#include "store_int.h"

#include <errno.h>
#include <string.h>

static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static int text_fits(const char *v, size_t max)
{
	return memchr(v, '\0', max + 1) != NULL;
}

static void bind_counts(sqlite3_stmt *s, int first, const struct store_acct_counts *c)
{
	sqlite3_bind_int64(s, first, (sqlite3_int64)c->in_octets);
	sqlite3_bind_int64(s, first + 1, (sqlite3_int64)c->out_octets);
	sqlite3_bind_int64(s, first + 2, (sqlite3_int64)c->in_packets);
	sqlite3_bind_int64(s, first + 3, (sqlite3_int64)c->out_packets);
	sqlite3_bind_int(s, first + 4, c->known ? 1 : 0);
}

static void read_counts(sqlite3_stmt *s, int first, struct store_acct_counts *c)
{
	c->in_octets = (uint64_t)sqlite3_column_int64(s, first);
	c->out_octets = (uint64_t)sqlite3_column_int64(s, first + 1);
	c->in_packets = (uint64_t)sqlite3_column_int64(s, first + 2);
	c->out_packets = (uint64_t)sqlite3_column_int64(s, first + 3);
	c->known = sqlite3_column_int(s, first + 4) != 0;
}

static void read_class(sqlite3_stmt *s, int i, uint8_t *out, size_t *len)
{
	const void *b = sqlite3_column_blob(s, i);
	int n = sqlite3_column_bytes(s, i);

	*len = 0;
	if (b && n > 0) {
		*len = (size_t)n < STORE_ACCT_CLASS_MAX ? (size_t)n : STORE_ACCT_CLASS_MAX;
		memcpy(out, b, *len);
	}
}

static int put_session(struct store *st, const struct store_acct_session *x)
{
	sqlite3_stmt *s;
	int rc;

	if (!text_fits(x->addr, STORE_ADDR_MAX) || !x->addr[0] ||
	    !text_fits(x->session_id, STORE_ACCT_SESSION_ID_MAX) ||
	    !text_fits(x->username, STORE_NAME_MAX) || !text_fits(x->mac, 17) ||
	    !text_fits(x->source, sizeof(x->source) - 1) || x->class_len > STORE_ACCT_CLASS_MAX)
		return -EINVAL;
	s = prepare(st, "INSERT OR REPLACE INTO acct_sessions (addr, session_id, username, class, "
			"mac, authentic, source, started_at, interval, updated_at, in_octets, "
			"out_octets, in_packets, out_packets, has_counters) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, x->addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, x->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, x->username, -1, SQLITE_STATIC);
	if (x->class_len)
		sqlite3_bind_blob(s, 4, x->class_value, (int)x->class_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, x->mac, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, x->authentic);
	sqlite3_bind_text(s, 7, x->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, x->started_at);
	sqlite3_bind_int64(s, 9, x->interval);
	sqlite3_bind_int64(s, 10, x->updated_at);
	bind_counts(s, 11, &x->counts);
	rc = exec_insert(st, s);
	sqlite3_finalize(s);
	return rc;
}

static int delete_session(struct store *st, const char *addr)
{
	sqlite3_stmt *s = prepare(st, "DELETE FROM acct_sessions WHERE addr = ?1");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	rc = exec_change(st, s);
	sqlite3_finalize(s);
	return rc < 0 ? rc : 0;
}

static int queue_records(struct store *st, const struct store_acct_record *recs, size_t n)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (n == 0)
		return 0;
	s = prepare(st, "INSERT INTO acct_queue (status_type, session_id, username, class, addr, "
			"mac, authentic, event_at, session_time, in_octets, out_octets, in_packets, "
			"out_packets, has_counters, terminate_cause) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	if (!s)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct store_acct_record *r = &recs[i];

		if (!text_fits(r->addr, STORE_ADDR_MAX) ||
		    !text_fits(r->session_id, STORE_ACCT_SESSION_ID_MAX) ||
		    !text_fits(r->username, STORE_NAME_MAX) || !text_fits(r->mac, 17) ||
		    r->class_len > STORE_ACCT_CLASS_MAX) {
			rc = -EINVAL;
			break;
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		sqlite3_bind_int(s, 1, r->status_type);
		sqlite3_bind_text(s, 2, r->session_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, r->username, -1, SQLITE_STATIC);
		if (r->class_len)
			sqlite3_bind_blob(s, 4, r->class_value, (int)r->class_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, r->addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, r->mac, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, r->authentic);
		sqlite3_bind_int64(s, 8, r->event_at);
		sqlite3_bind_int64(s, 9, r->session_time);
		bind_counts(s, 10, &r->counts);
		sqlite3_bind_int(s, 15, r->terminate_cause);
		rc = exec_insert(st, s);
	}
	sqlite3_finalize(s);
	return rc;
}

int store_acct_write(struct store *st, const char *del_addr,
		     const struct store_acct_session *sess, size_t n_sess,
		     const struct store_acct_record *recs, size_t n)
{
	int rc = store_begin(st);

	if (rc < 0)
		return rc;
	if (del_addr)
		rc = delete_session(st, del_addr);
	for (size_t i = 0; rc == 0 && i < n_sess; i++)
		rc = put_session(st, &sess[i]);
	if (rc == 0)
		rc = queue_records(st, recs, n);
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int store_acct_queue_peek(struct store *st, struct store_acct_record *out, size_t max)
{
	sqlite3_stmt *s = prepare(st, "SELECT id, status_type, session_id, username, class, addr, "
				      "mac, authentic, event_at, session_time, in_octets, "
				      "out_octets, in_packets, out_packets, has_counters, "
				      "terminate_cause, attempts FROM acct_queue ORDER BY id LIMIT ?1");
	size_t n = 0;
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_acct_record *r = &out[n++];

		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(s, 0);
		r->status_type = sqlite3_column_int(s, 1);
		col_text(s, 2, r->session_id, sizeof(r->session_id));
		col_text(s, 3, r->username, sizeof(r->username));
		read_class(s, 4, r->class_value, &r->class_len);
		col_text(s, 5, r->addr, sizeof(r->addr));
		col_text(s, 6, r->mac, sizeof(r->mac));
		r->authentic = sqlite3_column_int(s, 7);
		r->event_at = sqlite3_column_int64(s, 8);
		r->session_time = sqlite3_column_int64(s, 9);
		read_counts(s, 10, &r->counts);
		r->terminate_cause = sqlite3_column_int(s, 15);
		r->attempts = (unsigned)sqlite3_column_int(s, 16);
	}
	rc = iterate_end(st, s, n == max ? SQLITE_DONE : rc);
	sqlite3_finalize(s);
	return rc < 0 ? rc : (int)n;
}

int store_acct_queue_done(struct store *st, int64_t id)
{
	sqlite3_stmt *s = prepare(st, "DELETE FROM acct_queue WHERE id = ?1");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = exec_change(st, s);
	sqlite3_finalize(s);
	return rc;
}

int store_acct_queue_count(struct store *st)
{
	sqlite3_stmt *s = prepare(st, "SELECT count(*) FROM acct_queue");
	int rc, n = -1;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

int store_acct_queue_attempted(struct store *st, int64_t id)
{
	sqlite3_stmt *s = prepare(st, "UPDATE acct_queue SET attempts = attempts + 1 WHERE id = ?1");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = exec_change(st, s);
	sqlite3_finalize(s);
	return rc < 0 ? rc : 0;
}

static void read_session(sqlite3_stmt *s, struct store_acct_session *x)
{
	memset(x, 0, sizeof(*x));
	col_text(s, 0, x->addr, sizeof(x->addr));
	col_text(s, 1, x->session_id, sizeof(x->session_id));
	col_text(s, 2, x->username, sizeof(x->username));
	read_class(s, 3, x->class_value, &x->class_len);
	col_text(s, 4, x->mac, sizeof(x->mac));
	x->authentic = sqlite3_column_int(s, 5);
	col_text(s, 6, x->source, sizeof(x->source));
	x->started_at = sqlite3_column_int64(s, 7);
	x->interval = (unsigned)sqlite3_column_int64(s, 8);
	x->updated_at = sqlite3_column_int64(s, 9);
	read_counts(s, 10, &x->counts);
}

#define SESSION_COLUMNS "addr, session_id, username, class, mac, authentic, source, " \
	"started_at, interval, updated_at, in_octets, out_octets, in_packets, out_packets, " \
	"has_counters"

int store_acct_session_list(struct store *st,
			    int (*cb)(const struct store_acct_session *s, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(st, "SELECT " SESSION_COLUMNS " FROM acct_sessions");
	struct store_acct_session x;
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_session(s, &x);
		if (cb(&x, ud)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = iterate_end(st, s, rc);
	sqlite3_finalize(s);
	return rc;
}

int store_acct_session_get(struct store *st, const char *addr, struct store_acct_session *out)
{
	sqlite3_stmt *s = prepare(st, "SELECT " SESSION_COLUMNS " FROM acct_sessions WHERE addr = ?1");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_session(s, out);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}
