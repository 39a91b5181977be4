#include "store_int.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------ voucher rolls */

static void read_roll(sqlite3_stmt *s, struct store_voucher_roll *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, r->comment, sizeof(r->comment));
	col_text(s, 2, r->alphabet, sizeof(r->alphabet));
	r->code_length = sqlite3_column_int(s, 3);
	r->validity = sqlite3_column_int64(s, 4);
	r->expires_at = sqlite3_column_int64(s, 5);
	r->quota_bytes = sqlite3_column_int64(s, 6);
	col_text(s, 7, r->bandwidth_class, sizeof(r->bandwidth_class));
	r->max_devices = (unsigned)sqlite3_column_int64(s, 8);
	r->revoked_at = sqlite3_column_int64(s, 9);
	r->created_at = sqlite3_column_int64(s, 10);
}

static void read_roll_counted(sqlite3_stmt *s, void *out)
{
	struct store_voucher_roll *r = out;

	read_roll(s, r);
	r->codes = sqlite3_column_int64(s, 11);
	r->used = sqlite3_column_int64(s, 12);
	r->expired = sqlite3_column_int64(s, 13);
	r->revoked = sqlite3_column_int64(s, 14);
	r->bytes_max = sqlite3_column_int64(s, 15);
	r->quota_reached = sqlite3_column_int64(s, 16);
}

static void read_voucher(sqlite3_stmt *s, void *out)
{
	struct store_voucher *v = out;

	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(s, 0);
	v->roll_id = sqlite3_column_int64(s, 1);
	v->number = sqlite3_column_int64(s, 2);
	col_text(s, 3, v->prefix, sizeof(v->prefix));
	col_text(s, 4, v->phc, sizeof(v->phc));
	v->first_used_at = sqlite3_column_int64(s, 5);
	v->revoked_at = sqlite3_column_int64(s, 6);
}

int store_voucher_roll_add(struct store *st, const struct store_voucher_roll *r, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, S_VROLL_ADD);
	int rc;

	if (!s)
		return -1;
	if (!r->alphabet[0] || r->code_length <= 0 || r->validity <= 0)
		return -EINVAL;
	rc = bind_free(s, 1, r->comment, STORE_COMMENT_MAX);
	if (rc == 0)
		rc = bind_key(s, 2, r->alphabet, FIELD_MAX(r->alphabet));
	if (rc == 0)
		rc = bind_free(s, 7, r->bandwidth_class, STORE_BANDWIDTH_CLASS_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(s, 3, r->code_length);
	sqlite3_bind_int64(s, 4, r->validity);
	sqlite3_bind_int64(s, 5, r->expires_at);
	sqlite3_bind_int64(s, 6, r->quota_bytes);
	sqlite3_bind_int64(s, 8, r->max_devices);
	sqlite3_bind_int64(s, 9, now_s());
	rc = exec_insert(st, s);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_voucher_add(struct store *st, int64_t roll_id, int64_t number, const char *prefix,
		      const char *phc)
{
	sqlite3_stmt *s = stmt(st, S_VOUCHER_ADD);
	int rc;

	if (!s)
		return -1;
	if (!prefix || !prefix[0] || !phc || !phc[0])
		return -EINVAL;
	sqlite3_bind_int64(s, 1, roll_id);
	sqlite3_bind_int64(s, 2, number);
	rc = bind_key(s, 3, prefix, STORE_VOUCHER_PREFIX_MAX);
	if (rc == 0)
		rc = bind_key(s, 4, phc, 191);
	if (rc < 0)
		return rc;
	return exec_insert(st, s);
}

static void read_roll_plain(sqlite3_stmt *s, void *out)
{
	read_roll(s, out);
}

static int roll_of(struct store *st, const struct store_voucher *v, struct store_voucher_roll *r);

int store_voucher_find(struct store *st, const char *prefix, struct store_voucher *v,
		       struct store_voucher_roll *r)
{
	int rc = get_row(st, S_VOUCHER_FIND, prefix, STORE_VOUCHER_PREFIX_MAX, read_voucher, v);

	return rc != 0 ? rc : roll_of(st, v, r);
}

int store_voucher_get(struct store *st, int64_t roll_id, int64_t number, struct store_voucher *v,
		      struct store_voucher_roll *r)
{
	sqlite3_stmt *s = stmt(st, S_VOUCHER_GET);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, roll_id);
	sqlite3_bind_int64(s, 2, number);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_voucher(s, v);
	if (iterate_end(st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc) < 0)
		return -1;
	return rc == SQLITE_ROW ? roll_of(st, v, r) : 1;
}

/* The roll of code v: 0, 1 none, negative. */
static int roll_of(struct store *st, const struct store_voucher *v, struct store_voucher_roll *r)
{
	sqlite3_stmt *s;
	int rc;

	s = stmt(st, S_VROLL_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, v->roll_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_roll_plain(s, r);
	return iterate_end(st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc) < 0 ? -1 :
	       rc == SQLITE_ROW ? 0 : 1;
}

int store_voucher_first_use(struct store *st, int64_t id, int64_t when)
{
	sqlite3_stmt *s = stmt(st, S_VOUCHER_FIRST_USE);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, when);
	rc = exec_change(st, s);
	return rc < 0 ? rc : 0;
}

int store_voucher_roll_list(struct store *st, int64_t roll_id, int64_t now,
			    int (*cb)(const struct store_voucher_roll *r, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_VROLL_LIST);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, roll_id);
	return ITERATE(st, s, struct store_voucher_roll, read_roll_counted, cb, ud);
}

int store_voucher_list(struct store *st, int64_t roll_id,
		       int (*cb)(const struct store_voucher *v, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_VOUCHER_LIST);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, roll_id);
	return ITERATE(st, s, struct store_voucher, read_voucher, cb, ud);
}

int store_voucher_revoke(struct store *st, int64_t roll_id, int64_t number)
{
	sqlite3_stmt *s = stmt(st, S_VOUCHER_REVOKE);
	int rc, changed = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, roll_id);
	sqlite3_bind_int64(s, 2, number);
	sqlite3_bind_int64(s, 3, now_s());
	rc = exec_change(st, s);
	if (rc < 0)
		return rc;
	changed = rc == 0;
	if (number == 0) {
		s = stmt(st, S_VROLL_REVOKE);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, roll_id);
		sqlite3_bind_int64(s, 2, now_s());
		rc = exec_change(st, s);
		if (rc < 0)
			return rc;
		changed |= rc == 0;
	}
	/* sessions go even when the code was revoked before: a second revoke
	 * ends what a login raced in after the first */
	s = stmt(st, S_VOUCHER_END_SESSIONS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, roll_id);
	sqlite3_bind_int64(s, 2, number);
	rc = exec_change(st, s);
	if (rc < 0)
		return rc;
	if (changed || rc == 0)
		return 0;
	/* nothing changed: revoked already, or no such roll or code */
	s = stmt(st, S_VOUCHER_LIST);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, roll_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (number == 0 || sqlite3_column_int64(s, 2) == number)
			break;
	if (rc == SQLITE_ROW) {
		iterate_end(st, s, SQLITE_DONE);
		return 0;
	}
	rc = iterate_end(st, s, rc);
	return rc < 0 ? rc : 1;
}

/* ------------------------------------------------------------ devices per account */

static void read_max(sqlite3_stmt *s, void *out)
{
	int64_t v = sqlite3_column_int64(s, 0);

	*(unsigned *)out = v < 0 ? 0 : (unsigned)v;
}

int store_user_max_devices(struct store *st, const char *name, unsigned *max)
{
	return get_row(st, S_USER_MAX_DEVICES_GET, name, STORE_NAME_MAX, read_max, max);
}

int store_user_set_max_devices(struct store *st, const char *name, unsigned max)
{
	return key_int(st, S_USER_MAX_DEVICES_SET, name, STORE_NAME_MAX, max, KEY_STAMP);
}

static void read_session_row(sqlite3_stmt *s, void *out)
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

int store_session_list_user(struct store *st, const char *username,
			    int (*cb)(const struct store_session *s, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_SESS_OF_USER);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, username, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 0;
	if (rc < 0)
		return rc;
	return ITERATE(st, s, struct store_session, read_session_row, cb, ud);
}

int store_session_delete_device(struct store *st, const char *username, const char *mac,
				const char *addr)
{
	sqlite3_stmt *s = stmt(st, S_SESS_DEL_DEVICE);
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, username, STORE_NAME_MAX);
	if (rc == 0)
		rc = bind_key(s, 2, mac ? mac : "", 17);
	if (rc == 0)
		rc = bind_key(s, 3, addr ? addr : "", STORE_ADDR_MAX);
	if (rc == -EINVAL)
		return 1;
	if (rc < 0)
		return rc;
	return exec_change(st, s);
}
