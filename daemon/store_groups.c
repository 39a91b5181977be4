#include "store_int.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------ local groups */

static void read_group(sqlite3_stmt *s, void *out)
{
	struct store_group *g = out;

	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(s, 0);
	col_text(s, 1, g->name, sizeof(g->name));
	g->created_at = sqlite3_column_int64(s, 2);
	g->members = sqlite3_column_int64(s, 3);
}

static void read_id(sqlite3_stmt *s, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(s, 0);
}

int store_group_add(struct store *st, const char *name)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_ADD);
	int rc;

	if (!s)
		return -1;
	if (!name || !name[0])
		return -EINVAL;
	rc = bind_key(s, 1, name, STORE_NAME_MAX);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 2, now_s());
	return exec_insert(st, s);
}

int store_group_delete(struct store *st, const char *name)
{
	return by_key(st, S_GROUP_DEL, name, STORE_NAME_MAX);
}

int store_group_list(struct store *st, int (*cb)(const struct store_group *g, void *ud),
		     void *ud)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_group, read_group, cb, ud);
}

/* A statement of two names, group then user: 0 bound, or negative. */
static int bind_pair(sqlite3_stmt *s, const char *group, const char *user)
{
	int rc = bind_key(s, 1, group, STORE_NAME_MAX);

	return rc < 0 ? rc : bind_key(s, 2, user, STORE_NAME_MAX);
}

int store_group_member_add(struct store *st, const char *group, const char *user)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_MEMBER_ADD);
	struct store_user u;
	int64_t id;
	int rc;

	if (!s)
		return -1;
	rc = bind_pair(s, group, user);
	if (rc == -EINVAL)
		return -ENOENT;
	if (rc < 0)
		return rc;
	rc = exec_change(st, s);
	if (rc != 1)
		return rc;
	/* nothing inserted: say which of the two is missing */
	rc = get_row(st, S_GROUP_GET, group, STORE_NAME_MAX, read_id, &id);
	if (rc != 0)
		return rc == 1 ? -ENOENT : rc;
	rc = store_user_get(st, user, &u);
	memset(&u, 0, sizeof(u));
	if (rc < 0)
		return rc == -EINVAL ? -ESRCH : rc;
	return rc == 1 ? -ESRCH : -1;
}

int store_group_member_delete(struct store *st, const char *group, const char *user)
{
	sqlite3_stmt *s = stmt(st, S_GROUP_MEMBER_DEL);
	int rc;

	if (!s)
		return -1;
	rc = bind_pair(s, group, user);
	if (rc == -EINVAL)
		return 1;
	if (rc < 0)
		return rc;
	return exec_change(st, s);
}

/* Names one a row (column 0) handed to cb. */
static int names(struct store *st, enum stmt which, const char *key,
		 int (*cb)(const char *name, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, which);
	char name[STORE_NAME_MAX + 1];
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, key, STORE_NAME_MAX);
	if (rc == -EINVAL)
		return 0;       /* no such name: no rows */
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		col_text(s, 0, name, sizeof(name));
		if (cb(name, ud))
			break;
	}
	return iterate_end(st, s, rc);
}

int store_user_groups(struct store *st, const char *user,
		      int (*cb)(const char *group, void *ud), void *ud)
{
	return names(st, S_USER_GROUPS, user, cb, ud);
}

int store_group_members(struct store *st, const char *group,
			int (*cb)(const char *user, void *ud), void *ud)
{
	return names(st, S_GROUP_MEMBERS, group, cb, ud);
}
