/* The portal's click-through terms and their acceptances (store.h). */
#include "store_int.h"

#include <errno.h>
#include <string.h>

static void read_terms(sqlite3_stmt *s, struct store_terms *t)
{
	memset(t, 0, sizeof(*t));
	t->version = sqlite3_column_int64(s, 0);
	col_text(s, 1, t->text, sizeof(t->text));
	t->created_at = sqlite3_column_int64(s, 2);
	col_text(s, 3, t->created_by, sizeof(t->created_by));
}

int store_terms_get(struct store *st, struct store_terms *out)
{
	sqlite3_stmt *s = stmt(st, S_TERMS_GET);
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_terms(s, out);
		sqlite3_reset(s);
		return 0;
	}
	return iterate_end(st, s, rc) < 0 ? -1 : 1;
}

int store_terms_set(struct store *st, const char *text, const char *admin, int64_t *version)
{
	sqlite3_stmt *s = stmt(st, S_TERMS_SET);
	int rc;

	if (!s)
		return -1;
	if (!text || strlen(text) > STORE_TERMS_MAX)
		return -EINVAL;
	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_s());
	rc = bind_free(s, 3, admin, STORE_NAME_MAX);
	if (rc < 0)
		return rc;
	rc = exec_insert(st, s);
	if (rc == 0)
		*version = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_terms_accept(struct store *st, int64_t time_ms, const char *client_addr,
		       const char *mac, int64_t version)
{
	sqlite3_stmt *s = stmt(st, S_TERMS_ACCEPT);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, time_ms);
	rc = bind_free(s, 2, client_addr, STORE_ADDR_MAX);
	if (rc == 0)
		rc = bind_free(s, 3, mac ? mac : "", 17);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 4, version);
	return exec_insert(st, s);
}

int store_terms_accepted(struct store *st, const char *client_addr, const char *mac,
			 int64_t version, int64_t since_ms)
{
	sqlite3_stmt *s = stmt(st, S_TERMS_ACCEPTED);
	int rc;

	if (!s)
		return -1;
	rc = bind_free(s, 1, client_addr, STORE_ADDR_MAX);
	if (rc == 0)
		rc = bind_free(s, 2, mac ? mac : "", 17);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 3, version);
	sqlite3_bind_int64(s, 4, since_ms);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sqlite3_reset(s);
		return 1;
	}
	return iterate_end(st, s, rc) < 0 ? -1 : 0;
}

static void read_acceptance(sqlite3_stmt *s, void *out)
{
	struct store_terms_acceptance *a = out;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->time_ms = sqlite3_column_int64(s, 1);
	col_text(s, 2, a->client_addr, sizeof(a->client_addr));
	col_text(s, 3, a->mac, sizeof(a->mac));
	a->version = sqlite3_column_int64(s, 4);
}

int store_terms_acceptances(struct store *st, int64_t before_id, size_t limit,
			    int (*cb)(const struct store_terms_acceptance *a, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_TERMS_ACCEPT_LIST);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before_id);
	sqlite3_bind_int64(s, 2, limit && limit < 10000 ? (int64_t)limit : 100);
	return ITERATE(st, s, struct store_terms_acceptance, read_acceptance, cb, ud);
}
