/* store_policies — the group policies and the local memberships as the
 * gate reads them. */
#include "store_int.h"

#include <errno.h>
#include <string.h>

/* A stored byte count; a negative one (written by hand) is none. */
static uint64_t col_bytes(sqlite3_stmt *s, int col)
{
	int64_t v = sqlite3_column_int64(s, col);

	return v > 0 ? (uint64_t)v : 0;
}

/* A byte count as SQLite stores it (a signed 64-bit integer). */
static sqlite3_int64 bytes_value(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static void read_policy(sqlite3_stmt *s, void *out)
{
	struct store_policy *p = out;
	int64_t v;

	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->group, sizeof(p->group));
	p->priority = sqlite3_column_int64(s, 1);
	p->denied = sqlite3_column_int(s, 2) != 0;
	col_text(s, 3, p->windows, sizeof(p->windows));
	p->session_lifetime = sqlite3_column_int64(s, 4);
	p->idle_timeout = sqlite3_column_int64(s, 5);
	col_text(s, 6, p->allow, sizeof(p->allow));
	col_text(s, 7, p->deny, sizeof(p->deny));
	col_text(s, 8, p->bandwidth_class, sizeof(p->bandwidth_class));
	p->updated_at = sqlite3_column_int64(s, 9);
	p->quota.session_bytes = col_bytes(s, 10);
	p->quota.day_bytes = col_bytes(s, 11);
	p->quota.month_bytes = col_bytes(s, 12);
	v = sqlite3_column_int64(s, 13);
	p->max_devices = v > 0 && v <= UINT32_MAX ? (unsigned)v : 0;
	col_text(s, 14, p->quota_class, sizeof(p->quota_class));
}

int store_policy_set(struct store *st, const struct store_policy *p)
{
	sqlite3_stmt *s = stmt(st, S_POLICY_SET);
	int rc;

	if (!s)
		return -1;
	if ((rc = bind_key(s, 1, p->group, STORE_NAME_MAX)) < 0 ||
	    (rc = bind_key(s, 4, p->windows, STORE_POLICY_TEXT_MAX)) < 0 ||
	    (rc = bind_key(s, 7, p->allow, STORE_POLICY_TEXT_MAX)) < 0 ||
	    (rc = bind_key(s, 8, p->deny, STORE_POLICY_TEXT_MAX)) < 0 ||
	    (rc = bind_key(s, 9, p->bandwidth_class, FIELD_MAX(p->bandwidth_class))) < 0 ||
	    (rc = bind_key(s, 15, p->quota_class, FIELD_MAX(p->quota_class))) < 0) {
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_bind_int64(s, 2, p->priority);
	sqlite3_bind_int(s, 3, p->denied != 0);
	sqlite3_bind_int64(s, 5, p->session_lifetime);
	sqlite3_bind_int64(s, 6, p->idle_timeout);
	sqlite3_bind_int64(s, 10, now_s());
	sqlite3_bind_int64(s, 11, bytes_value(p->quota.session_bytes));
	sqlite3_bind_int64(s, 12, bytes_value(p->quota.day_bytes));
	sqlite3_bind_int64(s, 13, bytes_value(p->quota.month_bytes));
	sqlite3_bind_int64(s, 14, p->max_devices);
	return exec_insert(st, s);
}

int store_policy_get(struct store *st, const char *group, struct store_policy *out)
{
	return get_row(st, S_POLICY_GET, group, STORE_NAME_MAX, read_policy, out);
}

int store_policy_delete(struct store *st, const char *group)
{
	return by_key(st, S_POLICY_DEL, group, STORE_NAME_MAX);
}

int store_policy_list(struct store *st, int (*cb)(const struct store_policy *p, void *ud),
		      void *ud)
{
	sqlite3_stmt *s = stmt(st, S_POLICY_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_policy, read_policy, cb, ud);
}

struct membership {
	char user[STORE_NAME_MAX + 1];
	char group[STORE_NAME_MAX + 1];
};

static void read_membership(sqlite3_stmt *s, void *out)
{
	struct membership *m = out;

	col_text(s, 0, m->user, sizeof(m->user));
	col_text(s, 1, m->group, sizeof(m->group));
}

struct membership_cb {
	int (*cb)(const char *user, const char *group, void *ud);
	void *ud;
};

static int membership_row(const struct membership *m, void *ud)
{
	struct membership_cb *c = ud;

	return c->cb(m->user, m->group, c->ud);
}

int store_memberships(struct store *st, int (*cb)(const char *user, const char *group, void *ud),
		      void *ud)
{
	sqlite3_stmt *s = stmt(st, S_MEMBERSHIPS);
	struct membership_cb c = { cb, ud };

	if (!s)
		return -1;
	return ITERATE(st, s, struct membership, read_membership, membership_row, &c);
}
