#include "admin_input.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "auth.h"
#include "cidr.h"
#include "look.h"
#include "store.h"

json_t *admin_input_object(const char *body, size_t len)
{
	json_error_t jerr;
	json_t *j;

	if (!body)
		return NULL;
	/* a repeated key would let two readers of the same body see two
	 * different values; refuse it like the HTTP parser refuses two
	 * Content-Length lines. Without JSON_ALLOW_NUL jansson refuses
	 * "\u0000", so every string handed out is the C string checked. */
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A string field: 0 with *out NULL when absent, 0 with *out set when it is
 * a string, -1 otherwise. */
static int field_str(json_t *body, const char *name, const char **out, size_t *len)
{
	json_t *v = json_object_get(body, name);

	*out = NULL;
	if (len)
		*len = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return 0;
}

static int refuse(struct admin_input_error *err, const char *field, const char *rule)
{
	err->field = field;
	err->rule = rule;
	return -1;
}

/* -1 with *err naming the first key of body that is not in allowed (a
 * NULL-terminated list); rule says what the route takes. */
static int refuse_unknown(json_t *body, const char *const *allowed, const char *rule,
			  struct admin_input_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], key))
			i++;
		if (!allowed[i])
			return refuse(err, key, rule);
	}
	return 0;
}

static const char *const login_fields[] = { "username", "password", NULL };
static const char *const user_fields[] = { "name", "password", "comment", "enabled", "expires_at",
					   NULL };
static const char *const user_delete_fields[] = { "name", "comment", NULL };
static const char *const whitelist_fields[] = { "cidr", "comment", NULL };
static const char *const session_fields[] = { "addr", NULL };

int admin_input_login(json_t *body, struct admin_input_login *out, struct admin_input_error *err)
{
	const char *user, *pw;
	size_t user_len, pw_len;

	/* any name within bounds goes on to the check, so that a failed login
	 * with a strange name is audited and counted like any other */
	memset(out, 0, sizeof(*out));
	if (refuse_unknown(body, login_fields, "unknown; expected username, password", err) < 0)
		return -1;
	if (field_str(body, "username", &user, &user_len) < 0 || !user || user_len > AUTH_USER_MAX)
		return refuse(err, "username", "required, a string of at most 256 bytes");
	if (field_str(body, "password", &pw, &pw_len) < 0 || !pw || pw_len > AUTH_PASS_MAX)
		return refuse(err, "password", "required, a string of at most 1024 bytes");
	out->username = user;
	out->password = pw;
	out->password_len = pw_len;
	return 0;
}

int admin_input_user(json_t *body, enum admin_input_user_op op, struct admin_input_user *out,
		     struct admin_input_error *err)
{
	json_t *enabled = json_object_get(body, "enabled");
	json_t *expires = json_object_get(body, "expires_at");
	size_t comment_len;

	memset(out, 0, sizeof(*out));
	out->enabled = -1;
	if (op == ADMIN_INPUT_USER_DELETE) {
		if (refuse_unknown(body, user_delete_fields, "unknown; expected name, comment", err) < 0)
			return -1;
	} else if (refuse_unknown(body, user_fields,
				  "unknown; expected name, password, comment, enabled, expires_at",
				  err) < 0) {
		return -1;
	}
	if (field_str(body, "name", &out->name, NULL) < 0 || !out->name ||
	    !account_valid_name(out->name))
		return refuse(err, "name", "1..256 bytes, no control characters, no ':'");
	if (field_str(body, "password", &out->password, &out->password_len) < 0 ||
	    (out->password && (out->password_len == 0 || out->password_len > AUTH_PASS_MAX)))
		return refuse(err, "password", "a non-empty string of at most 1024 bytes");
	if (op == ADMIN_INPUT_USER_CREATE && !out->password)
		return refuse(err, "password", "required");
	if (field_str(body, "comment", &out->comment, &comment_len) < 0 ||
	    comment_len > ADMIN_INPUT_COMMENT_MAX)
		return refuse(err, "comment", "a string of at most 256 bytes");
	if (enabled && !json_is_boolean(enabled))
		return refuse(err, "enabled", "true or false");
	if (expires && !json_is_null(expires) &&
	    (!json_is_integer(expires) || json_integer_value(expires) < 0))
		return refuse(err, "expires_at", "unix seconds, 0 or null for never");
	if (enabled)
		out->enabled = json_is_true(enabled);
	if (expires) {
		out->has_expires = 1;
		out->expires_at = json_is_integer(expires) ? json_integer_value(expires) : 0;
	}
	return 0;
}

int admin_input_whitelist(json_t *body, char *canon, size_t canon_len, const char **comment,
			  struct admin_input_error *err)
{
	const char *text;
	size_t comment_len;
	struct cidr c;

	if (refuse_unknown(body, whitelist_fields, "unknown; expected cidr, comment", err) < 0)
		return -1;
	if (field_str(body, "cidr", &text, NULL) < 0 || !text || cidr_parse(text, &c) < 0 ||
	    !cidr_format(&c, canon, canon_len))
		return refuse(err, "cidr", "an address or prefix such as 192.0.2.0/24 or 2001:db8::/32");
	if (field_str(body, "comment", comment, &comment_len) < 0 ||
	    comment_len > ADMIN_INPUT_COMMENT_MAX)
		return refuse(err, "comment", "a string of at most 256 bytes");
	return 0;
}

int admin_input_session_addr(json_t *body, char *canon, size_t canon_len,
			     struct admin_input_error *err)
{
	const char *text;
	struct cidr c;
	char *slash;

	if (refuse_unknown(body, session_fields, "unknown; expected addr", err) < 0)
		return -1;
	if (field_str(body, "addr", &text, NULL) < 0 || !text || cidr_parse(text, &c) < 0 ||
	    !cidr_format(&c, canon, canon_len) || !(slash = strchr(canon, '/')) ||
	    (unsigned)atoi(slash + 1) != (c.family == AF_INET ? 32u : 128u))
		return refuse(err, "addr", "a client address");
	*slash = '\0';
	return 0;
}

static const char *const terms_fields[] = { "text", NULL };

int admin_input_terms(json_t *body, const char **text, struct admin_input_error *err)
{
	size_t len;

	if (refuse_unknown(body, terms_fields, "unknown; expected text", err) < 0)
		return -1;
	if (field_str(body, "text", text, &len) < 0 || !*text)
		return refuse(err, "text", "required, a string");
	if (len > STORE_TERMS_MAX)
		return refuse(err, "text", "at most 16384 bytes");
	/* strlen stops at an escaped NUL (\u0000): len counts it */
	if (strlen(*text) != len)
		return refuse(err, "text", "no NUL character");
	for (const unsigned char *c = (const unsigned char *)*text; *c; c++)
		if ((*c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r') || *c == 0x7f)
			return refuse(err, "text", "no control characters but tab and line breaks");
	return 0;
}

/* 1 when the len bytes at name equal one of the comma-separated names,
 * ignoring case. */
static int host_listed(const char *name, size_t len, const char *names)
{
	const char *p = names;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == len && !strncasecmp(p, name, len))
			return 1;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

enum admin_input_host admin_input_host(const char *host, const char *names)
{
	struct in6_addr a6;
	struct in_addr a4;
	char buf[256];
	const char *rest;
	size_t len;

	if (!host || !*host)
		return ADMIN_INPUT_HOST_INVALID;
	if (host[0] == '[') {
		/* IP-literal (RFC 3986 §3.2.2); no zone identifier */
		const char *close = strchr(host, ']');

		len = close ? (size_t)(close - host - 1) : 0;
		if (!close || len == 0 || len >= sizeof(buf))
			return ADMIN_INPUT_HOST_INVALID;
		memcpy(buf, host + 1, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return ADMIN_INPUT_HOST_INVALID;
		rest = close + 1;
	} else {
		rest = host + strcspn(host, ":");
		len = (size_t)(rest - host);
		if (len == 0 || len >= sizeof(buf))
			return ADMIN_INPUT_HOST_INVALID;
		memcpy(buf, host, len);
		buf[len] = '\0';
	}
	/* port = *DIGIT (RFC 3986 §3.2.3); which port does not matter here */
	if (*rest == ':') {
		size_t digits = strspn(rest + 1, "0123456789");

		if (digits > 5 || rest[1 + digits])
			return ADMIN_INPUT_HOST_INVALID;
	} else if (*rest) {
		return ADMIN_INPUT_HOST_INVALID;
	}
	if (host[0] == '[' || inet_pton(AF_INET, buf, &a4) == 1)
		return ADMIN_INPUT_HOST_OURS;
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0 || strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != len)
		return ADMIN_INPUT_HOST_INVALID;
	if (!strcasecmp(buf, "localhost") || host_listed(buf, len, names))
		return ADMIN_INPUT_HOST_OURS;
	return ADMIN_INPUT_HOST_OTHER;
}

static const char *const look_fields[] = { "title", "accent", "background", "text", NULL };

int admin_input_look(json_t *body, struct admin_input_look *out, struct admin_input_error *err)
{
	const char **colours[] = { &out->accent, &out->background, &out->text };
	size_t len;

	memset(out, 0, sizeof(*out));
	if (refuse_unknown(body, look_fields, "unknown; expected title, accent, background, text",
			   err) < 0)
		return -1;
	if (field_str(body, "title", &out->title, &len) < 0)
		return refuse(err, "title", "a string");
	/* strlen stops at an escaped NUL (\u0000): len counts it */
	if (out->title && (strlen(out->title) != len || !look_title_ok(out->title)))
		return refuse(err, "title", "at most 80 bytes, no control characters");
	for (size_t i = 0; i < 3; i++) {
		if (field_str(body, look_fields[i + 1], colours[i], &len) < 0 ||
		    (*colours[i] && (strlen(*colours[i]) != len || !look_colour_ok(*colours[i]))))
			return refuse(err, look_fields[i + 1], "a colour as #rrggbb, or \"\" for the default");
	}
	if (!out->title && !out->accent && !out->background && !out->text)
		return refuse(err, "title", "at least one of title, accent, background, text");
	return 0;
}

int admin_input_bytes(const char *text, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t factor;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "k", 1000 }, { "K", 1000 }, { "kB", 1000 }, { "KB", 1000 },
		{ "M", 1000000 }, { "MB", 1000000 },
		{ "G", 1000000000 }, { "GB", 1000000000 },
		{ "T", 1000000000000 }, { "TB", 1000000000000 },
		{ "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
		{ "TiB", 1ull << 40 },
	};
	uint64_t v = 0;
	const char *p = text;

	if (strcmp(text, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) != 0)
			continue;
		if (v > (uint64_t)INT64_MAX / units[i].factor)
			return -1;
		*out = v * units[i].factor;
		return 0;
	}
	return -1;
}
