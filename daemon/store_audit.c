#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Rows a prune deletes per statement: each batch is its own short write
 * transaction, so the daemon's audit writer and the CLI get the lock in
 * between instead of waiting for millions of rows to go. */
#define PRUNE_BATCH 5000

#define FAIL_COLS "id, time_ms, client_addr, client_port, mode, scheme, username, reason, " \
		  "host, user_agent, count, last_ms"

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

/* The prefixes that make a username a guest's; GUESTS_SQL says the same to
 * SQLite (substr, not LIKE: no wildcards or case folding). */
#define GUEST_VOUCHER "voucher:"
#define GUEST_TERMS   "terms:"
#define GUESTS_SQL " AND (substr(username, 1, 8) = '" GUEST_VOUCHER "' OR " \
		   "substr(username, 1, 6) = '" GUEST_TERMS "')"

int store_user_is_guest(const char *user)
{
	return user && (!strncmp(user, GUEST_VOUCHER, strlen(GUEST_VOUCHER)) ||
			!strncmp(user, GUEST_TERMS, strlen(GUEST_TERMS)));
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
		{ FL_GUESTS, GUESTS_SQL },
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
			(f->before_time_ms ? FL_CURSOR : 0) | (f->guests_only ? FL_GUESTS : 0);
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
