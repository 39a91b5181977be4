/*
 * rowjson — the stored rows as JSON objects: one serializer for the CLI's
 * --json output and the admin panel's API, so that both show the same
 * fields and the same text for every row.
 *
 * Stored strings are whatever bytes a client sent (a username in the audit
 * trail, a name made with the CLI). JSON text is UTF-8 (RFC 8259 section
 * 8.1), so a row is never dropped or cut for its bytes: each byte that is
 * not part of valid UTF-8 (RFC 3629) is shown as the four characters \xHH,
 * and a backslash that would read as such an escape as \x5c. Everything
 * else is shown as stored; the text names the bytes exactly, and
 * rowjson_unescape gives them back (a name sent back as a filter or a
 * paging cursor).
 *
 * Every function borrows its arguments and returns a new reference, or
 * NULL when out of memory.
 */
#ifndef PORTCULLIS_ROWJSON_H
#define PORTCULLIS_ROWJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* s as a JSON string, escaped as above. */
json_t *rowjson_text(const char *s);

/*
 * The bytes that rowjson_text showed as s: each \xHH (two hex digits, any
 * case) becomes the byte HH, everything else is kept. Writes at most
 * outlen - 1 bytes and a NUL into out; returns the length of the whole
 * result, so a value >= outlen means it did not fit. A NUL byte (\x00)
 * is refused: (size_t)-1. out may be s itself (the result is never
 * longer).
 */
size_t rowjson_unescape(const char *s, char *out, size_t outlen);

/* A proxy user, never its secrets. "digest" is true when the user has
 * Digest secrets for realm (NULL: for none), i.e. can log in by Digest;
 * "expired" is judged at now (unix seconds). */
json_t *rowjson_user(const struct store_user *u, const char *realm, int64_t now);
json_t *rowjson_admin(const struct store_admin *a);
json_t *rowjson_whitelist(const struct store_whitelist *w);
json_t *rowjson_session(const struct store_session *s);
json_t *rowjson_failure(const struct store_failure *f);
json_t *rowjson_action(const struct store_admin_action *a);
/* A group policy; "group" is null and "default" true for the default one. */
json_t *rowjson_policy(const struct store_policy *p);
/* One entry of a "most failures" list: {"value": ..., "count": ...}. */
json_t *rowjson_top(const char *value, uint64_t count);

#endif
