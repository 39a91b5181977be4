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
	sqlite3_bind_int(s, 8, x->remote ? 1 : 0);
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
