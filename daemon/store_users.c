#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* The secrets (?2..?5) of the user named by ?1, and with stamp ?6 now:
 * 0, 1 no such user, negative. */
static int set_secret(struct store *st, enum stmt which, const char *name, const char *phc,
		      const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm,
		      int stamp)
{
	sqlite3_stmt *s = stmt(st, which);
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
	if (stamp)
		sqlite3_bind_int64(s, 6, now_s());
	return exec_change(st, s);
}

int store_user_set_password(struct store *st, const char *name, const char *phc,
			    const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm)
{
	return set_secret(st, S_USER_PASSWD, name, phc, ha1_md5, ha1_sha256, ha1_realm, 1);
}

int store_user_remake_digest(struct store *st, const char *name, const char *phc,
			     const char *ha1_md5, const char *ha1_sha256, const char *ha1_realm)
{
	if (!ha1_md5 || !ha1_md5[0] || !ha1_sha256 || !ha1_sha256[0])
		return -EINVAL;
	return set_secret(st, S_USER_REMAKE_HA1, name, phc, ha1_md5, ha1_sha256, ha1_realm, 0);
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
	return key_text(st, S_USER_COMMENT, name, STORE_NAME_MAX, comment, STORE_COMMENT_MAX,
			KEY_STAMP | KEY_TEXT_CUT);
}

static void read_class(sqlite3_stmt *s, void *out)
{
	const unsigned char *v = sqlite3_column_text(s, 0);

	snprintf(out, STORE_CLASS_MAX + 1, "%s", v ? (const char *)v : "");
}

int store_user_class_get(struct store *st, const char *name, char out[STORE_CLASS_MAX + 1])
{
	out[0] = '\0';
	return get_row(st, S_USER_CLASS_GET, name, STORE_NAME_MAX, read_class, out);
}

int store_user_set_class(struct store *st, const char *name, const char *cls)
{
	return key_text(st, S_USER_CLASS_SET, name, STORE_NAME_MAX, cls, STORE_CLASS_MAX,
			KEY_STAMP | KEY_TEXT_CUT);
}

struct user_class {
	char user[STORE_NAME_MAX + 1];
	char cls[STORE_CLASS_MAX + 1];
};

static void read_user_class(sqlite3_stmt *s, void *out)
{
	struct user_class *u = out;

	col_text(s, 0, u->user, sizeof(u->user));
	col_text(s, 1, u->cls, sizeof(u->cls));
}

struct user_class_cb {
	int (*cb)(const char *user, const char *cls, void *ud);
	void *ud;
};

static int user_class_row(const struct user_class *u, void *ud)
{
	struct user_class_cb *c = ud;

	return c->cb(u->user, u->cls, c->ud);
}

int store_user_classes(struct store *st, int (*cb)(const char *user, const char *cls, void *ud),
		       void *ud)
{
	sqlite3_stmt *s = stmt(st, S_USER_CLASSES);
	struct user_class_cb c = { cb, ud };

	if (!s)
		return -1;
	return ITERATE(st, s, struct user_class, read_user_class, user_class_row, &c);
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
	col_text(s, 6, a->role, sizeof(a->role));
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
	struct store_admin a;

	if (!phc || !phc[0])
		return -EINVAL;
	return key_text(st, S_ADMIN_PASSWD, name, STORE_NAME_MAX, phc, FIELD_MAX(a.phc), KEY_STAMP);
}

int store_admin_delete(struct store *st, const char *name)
{
	return by_key(st, S_ADMIN_DEL, name, STORE_NAME_MAX);
}

int store_admin_touch_login(struct store *st, const char *name, int64_t when)
{
	return key_int(st, S_ADMIN_LOGIN, name, STORE_NAME_MAX, when, 0);
}

int store_admin_set_role(struct store *st, const char *name, const char *role)
{
	struct store_admin a;

	/* the schema's CHECK holds the same list */
	if (!role || (strcmp(role, "admin") && strcmp(role, "frontdesk") && strcmp(role, "auditor")))
		return -EINVAL;
	return key_text(st, S_ADMIN_ROLE, name, STORE_NAME_MAX, role, FIELD_MAX(a.role), KEY_STAMP);
}

int store_admin_list(struct store *st, int (*cb)(const struct store_admin *a, void *ud), void *ud)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_LIST);

	if (!s)
		return -1;
	return ITERATE(st, s, struct store_admin, read_admin, cb, ud);
}
