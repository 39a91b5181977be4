/* The portal's look: its one row (store.h). */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_look_get(struct store *st, struct store_look *out)
{
	sqlite3_stmt *s = stmt(st, S_LOOK_GET);
	int rc;

	if (!s)
		return -1;
	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		col_text(s, 0, out->title, sizeof(out->title));
		col_text(s, 1, out->accent, sizeof(out->accent));
		col_text(s, 2, out->background, sizeof(out->background));
		col_text(s, 3, out->text, sizeof(out->text));
		col_text(s, 4, out->logo_type, sizeof(out->logo_type));
		out->version = sqlite3_column_int64(s, 5);
		out->updated_at = sqlite3_column_int64(s, 6);
		col_text(s, 7, out->updated_by, sizeof(out->updated_by));
		sqlite3_reset(s);
		return 0;
	}
	/* the migration made the row: its absence is an error */
	return iterate_end(st, s, rc) < 0 ? -1 : -ENOENT;
}

int store_look_set(struct store *st, const char *title, const char *accent,
		   const char *background, const char *text, const char *admin)
{
	sqlite3_stmt *s = stmt(st, S_LOOK_SET);
	struct store_look l;
	int rc;

	if (!s)
		return -1;
	rc = bind_key(s, 1, title, FIELD_MAX(l.title));
	if (rc == 0)
		rc = bind_key(s, 2, accent, FIELD_MAX(l.accent));
	if (rc == 0)
		rc = bind_key(s, 3, background, FIELD_MAX(l.background));
	if (rc == 0)
		rc = bind_key(s, 4, text, FIELD_MAX(l.text));
	if (rc == 0) {
		sqlite3_bind_int64(s, 5, now_s());
		rc = bind_free(s, 6, admin, STORE_NAME_MAX);
	}
	if (rc < 0)
		return rc;
	return exec_insert(st, s);
}

int store_look_logo_get(struct store *st, void **data, size_t *len, char type[17],
			int64_t *version)
{
	sqlite3_stmt *s = stmt(st, S_LOOK_LOGO_GET);
	int rc;

	*data = NULL;
	*len = 0;
	type[0] = '\0';
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		return iterate_end(st, s, rc) < 0 ? -1 : -ENOENT;
	if (sqlite3_column_type(s, 0) == SQLITE_BLOB && sqlite3_column_bytes(s, 0) > 0) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		*data = malloc(n);
		if (!*data) {
			sqlite3_reset(s);
			return -ENOMEM;
		}
		memcpy(*data, sqlite3_column_blob(s, 0), n);
		*len = n;
		col_text(s, 1, type, 17);
	}
	*version = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	return 0;
}

int store_look_logo_set(struct store *st, const void *data, size_t len, const char *type,
			const char *admin)
{
	sqlite3_stmt *s = stmt(st, S_LOOK_LOGO_SET);
	int rc;

	if (!s)
		return -1;
	if (data && (len == 0 || len > 1024 * 1024))
		return -EINVAL;
	if (data)
		sqlite3_bind_blob(s, 1, data, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	rc = bind_free(s, 2, data ? type : "", 16);
	if (rc == 0) {
		sqlite3_bind_int64(s, 3, now_s());
		rc = bind_free(s, 4, admin, STORE_NAME_MAX);
	}
	if (rc < 0)
		return rc;
	return exec_insert(st, s);
}
