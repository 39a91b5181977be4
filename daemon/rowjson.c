#include "rowjson.h"
#include "hex.h"

#include <stdlib.h>
#include <string.h>

#include "account.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629 section 4: no
 * overlongs, no surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* s points at a backslash: does "\xHH" start here? */
static int looks_escaped(const char *s)
{
	return s[1] == 'x' && hex_value(s[2]) >= 0 && hex_value(s[3]) >= 0;
}

json_t *rowjson_text(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), o = 0;
	char *out;
	json_t *j;

	/* the common case: valid UTF-8 with no backslash to mark */
	if (!strchr(s, '\\') && (j = json_string(s)))
		return j;
	out = malloc(n * 4 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq((const unsigned char *)s + i, n - i);

		if (k && !(s[i] == '\\' && looks_escaped(s + i))) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[(unsigned char)s[i] >> 4];
		out[o++] = hex[(unsigned char)s[i] & 15];
		i++;
	}
	out[o] = '\0';
	j = json_string(out);
	free(out);
	return j;
}

size_t rowjson_unescape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; s[i];) {
		char c = s[i];

		if (c == '\\' && looks_escaped(s + i)) {
			c = (char)(hex_value(s[i + 2]) << 4 | hex_value(s[i + 3]));
			if (!c)
				return (size_t)-1;
			i += 4;
		} else {
			i++;
		}
		if (o + 1 < outlen)
			out[o] = c;
		o++;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

/* Set key to v, which the object takes; 0, or -1 when v is NULL (out of
 * memory) or cannot be set. */
static int put(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

/* o, or NULL (and o freed) when one of its fields failed. */
static json_t *done(json_t *o, int failed)
{
	if (failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *rowjson_user(const struct store_user *u, const char *realm, int64_t now)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "name", rowjson_text(u->name)) |
	      put(o, "enabled", json_boolean(u->enabled)) |
	      put(o, "expires_at", json_integer(u->expires_at)) |
	      put(o, "comment", rowjson_text(u->comment)) |
	      put(o, "created_at", json_integer(u->created_at)) |
	      put(o, "updated_at", json_integer(u->updated_at)) |
	      put(o, "last_login_at", json_integer(u->last_login_at)) |
	      put(o, "expired", json_boolean(u->expires_at && u->expires_at <= now)) |
	      put(o, "digest", json_boolean(account_digest_usable(u, realm))) |
	      put(o, "digest_secrets",
		  json_string(account_digest_name(account_digest_state(u, realm))));
	return done(o, bad);
}

json_t *rowjson_admin(const struct store_admin *a)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "name", rowjson_text(a->name)) |
	      put(o, "created_at", json_integer(a->created_at)) |
	      put(o, "updated_at", json_integer(a->updated_at)) |
	      put(o, "last_login_at", json_integer(a->last_login_at)) |
	      put(o, "role", rowjson_text(a->role));
	return done(o, bad);
}

json_t *rowjson_whitelist(const struct store_whitelist *w)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "cidr", rowjson_text(w->cidr)) |
	      put(o, "comment", rowjson_text(w->comment)) |
	      put(o, "created_at", json_integer(w->created_at));
	return done(o, bad);
}

json_t *rowjson_policy(const struct store_policy *p)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "group", p->group[0] ? rowjson_text(p->group) : json_null()) |
	      put(o, "default", json_boolean(!p->group[0])) |
	      put(o, "priority", json_integer(p->priority)) |
	      put(o, "denied", json_boolean(p->denied)) |
	      put(o, "windows", rowjson_text(p->windows)) |
	      put(o, "session_lifetime", json_integer(p->session_lifetime)) |
	      put(o, "idle_timeout", json_integer(p->idle_timeout)) |
	      put(o, "allow_destinations", rowjson_text(p->allow)) |
	      put(o, "deny_destinations", rowjson_text(p->deny)) |
	      put(o, "bandwidth_class", rowjson_text(p->bandwidth_class)) |
	      put(o, "quota_session", json_integer((json_int_t)p->quota.session_bytes)) |
	      put(o, "quota_day", json_integer((json_int_t)p->quota.day_bytes)) |
	      put(o, "quota_month", json_integer((json_int_t)p->quota.month_bytes)) |
	      put(o, "max_devices", json_integer(p->max_devices)) |
	      put(o, "quota_class", rowjson_text(p->quota_class)) |
	      put(o, "updated_at", json_integer(p->updated_at));
	return done(o, bad);
}

json_t *rowjson_session(const struct store_session *s)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "addr", rowjson_text(s->addr)) |
	      put(o, "mac", rowjson_text(s->mac)) |
	      put(o, "username", rowjson_text(s->username)) |
	      put(o, "created_at", json_integer(s->created_at)) |
	      put(o, "last_seen_at", json_integer(s->last_seen_at)) |
	      put(o, "expires_at", json_integer(s->expires_at)) |
	      put(o, "idle_timeout", json_integer(s->idle_timeout)) |
	      put(o, "bytes_in", json_integer((json_int_t)s->counts.bytes_in)) |
	      put(o, "packets_in", json_integer((json_int_t)s->counts.packets_in)) |
	      put(o, "bytes_out", json_integer((json_int_t)s->counts.bytes_out)) |
	      put(o, "packets_out", json_integer((json_int_t)s->counts.packets_out)) |
	      put(o, "bandwidth_class", rowjson_text(s->bandwidth_class)) |
	      /* the class a used-up quota holds the device in instead, or null */
	      put(o, "throttled_class", s->throttle_class[0] ? rowjson_text(s->throttle_class)
							      : json_null()) |
	      put(o, "source", rowjson_text(s->source)) |
	      put(o, "quota_used", json_integer((json_int_t)s->quota.used)) |
	      put(o, "quota_bytes", json_integer((json_int_t)s->quota.bytes)) |
	      put(o, "quota_period", rowjson_text(s->quota.period)) |
	      put(o, "quota_resets_at", json_integer(s->quota.resets_at)) |
	      put(o, "counts_at", json_integer(s->counts_at)) |
	      put(o, "quota_throttled", json_boolean(s->quota.bytes && s->quota.used >= s->quota.bytes));
	return done(o, bad);
}

json_t *rowjson_failure(const struct store_failure *f)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "id", json_integer(f->id)) |
	      put(o, "time_ms", json_integer(f->time_ms)) |
	      put(o, "client_addr", rowjson_text(f->client_addr)) |
	      put(o, "client_port", json_integer(f->client_port)) |
	      put(o, "mode", rowjson_text(f->mode)) |
	      put(o, "scheme", rowjson_text(f->scheme)) |
	      put(o, "username", rowjson_text(f->username)) |
	      put(o, "reason", rowjson_text(f->reason)) |
	      put(o, "host", rowjson_text(f->host)) |
	      put(o, "user_agent", rowjson_text(f->user_agent)) |
	      put(o, "count", json_integer(f->count)) |
	      put(o, "last_ms", json_integer(f->last_ms));
	return done(o, bad);
}

json_t *rowjson_action(const struct store_admin_action *a)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "id", json_integer(a->id)) |
	      put(o, "time_ms", json_integer(a->time_ms)) |
	      put(o, "admin", rowjson_text(a->admin)) |
	      put(o, "action", rowjson_text(a->action)) |
	      put(o, "target", rowjson_text(a->target)) |
	      put(o, "detail", rowjson_text(a->detail)) |
	      put(o, "client_addr", rowjson_text(a->client_addr));
	return done(o, bad);
}

json_t *rowjson_top(const char *value, uint64_t count)
{
	json_t *o = json_object();
	int bad;

	if (!o)
		return NULL;
	bad = put(o, "value", rowjson_text(value)) |
	      put(o, "count", json_integer((json_int_t)count));
	return done(o, bad);
}
