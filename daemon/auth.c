/*
 * Slightly over a thousand lines: the Authorization header parsers (Basic,
 * Digest), their hashes and the nonce table, kept together because the
 * Digest checks need all three; none of it does I/O.
 */
#include "auth.h"
#include "hex.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"

/* A nonce is base64url(timestamp[8] || HMAC-SHA256(secret, timestamp)[0..16]),
 * 24 bytes, 32 characters without padding. */
#define NONCE_TS_LEN    8
#define NONCE_MAC_LEN   16
#define NONCE_RAW_LEN   (NONCE_TS_LEN + NONCE_MAC_LEN)
#define NONCE_TEXT_LEN  32
#define NONCE_WAYS      4     /* entries per replay-table bucket */
#define NONCE_WINDOW    64    /* nonce counts tracked below the highest seen */

#define DIGEST_VALUE_MAX 2048 /* longest auth-param value we accept (uri) */

/* ------------------------------------------------------------ base64 */

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(const char *alphabet, char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(alphabet, c);
	return p ? (int)(p - alphabet) : -1;
}

/*
 * Strict base64 (RFC 4648 §4/§5). With padded, the length must be a
 * multiple of 4 with at most two '=' at the end; without, no '=' at all and
 * a length that is not 1 mod 4. Bits left over in the last character must
 * be zero (§3.5), so every byte string has exactly one accepted encoding.
 * Returns the decoded length or -1.
 */
static long b64_decode(const char *alphabet, int padded, const char *in,
		       size_t inlen, uint8_t *out, size_t outmax)
{
	size_t pad = 0, n, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (padded) {
		if (inlen % 4 != 0)
			return -1;
		while (pad < 2 && pad < inlen && in[inlen - 1 - pad] == '=')
			pad++;
	}
	n = inlen - pad;
	if (n % 4 == 1)
		return -1;
	if (n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) > outmax)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(alphabet, in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (long)o;
}

/* Unpadded encoding into out (NUL-terminated); out >= 4 * ceil(len/3) + 1. */
static void b64_encode_nopad(const char *alphabet, const uint8_t *in, size_t len,
			     char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* ------------------------------------------------------------ lexing */

/* tchar, RFC 9110 §5.6.2 */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* token68 characters before any trailing '=' (RFC 9110 §11.2) */
static int is_token68_char(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..len) with the NUL-terminated lit. */
static int span_ieq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	if (n != len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

/* Usernames may hold any byte but control characters: NUL cannot be carried
 * in our strings, and CR/LF or escape bytes have no business in a name that
 * ends up in logs and audit records. */
static int username_ok(const char *s, size_t len)
{
	if (len == 0 || len > AUTH_USER_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (is_ctl((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ Basic */

/* RFC 7617 §2: credentials are token68 = base64(user-id ":" password). */
static enum auth_parse parse_basic(const char *p, size_t len,
				   struct auth_credentials *creds)
{
	/* user, colon, password: anything longer cannot fit our fields */
	uint8_t raw[AUTH_USER_MAX + 1 + AUTH_PASS_MAX + 3];
	enum auth_parse rc = AUTH_PARSE_MALFORMED;
	const uint8_t *colon;
	size_t userlen, passlen, i = 0;
	long n;

	while (i < len && is_token68_char((unsigned char)p[i]))
		i++;
	while (i < len && p[i] == '=')
		i++;
	if (i == 0 || i != len)
		return AUTH_PARSE_MALFORMED;
	n = b64_decode(b64_std, 1, p, len, raw, sizeof(raw));
	if (n < 0)
		goto out;
	if (memchr(raw, '\0', (size_t)n) != NULL)
		goto out;
	/* §2: split at the first colon, so the password may contain colons */
	colon = memchr(raw, ':', (size_t)n);
	if (colon == NULL)
		goto out;
	userlen = (size_t)(colon - raw);
	passlen = (size_t)n - userlen - 1;
	if (!username_ok((const char *)raw, userlen))
		goto out;
	memcpy(creds->username, raw, userlen);
	creds->username[userlen] = '\0';
	if (passlen > AUTH_PASS_MAX)
		goto out;
	memcpy(creds->password, colon + 1, passlen);
	creds->password[passlen] = '\0';
	creds->password_len = passlen;
	rc = AUTH_PARSE_OK;
out:
	/* a failed decode may have written any part of raw */
	OPENSSL_cleanse(raw, n < 0 ? sizeof(raw) : (size_t)n);
	return rc;
}

/* ------------------------------------------------------------ Digest */

enum digest_param {
	DP_USERNAME,
	DP_USERNAME_EXT,
	DP_REALM,
	DP_NONCE,
	DP_URI,
	DP_RESPONSE,
	DP_ALGORITHM,
	DP_CNONCE,
	DP_OPAQUE,
	DP_QOP,
	DP_NC,
	DP_USERHASH,
	DP_UNKNOWN,
};

static const char *const digest_param_names[] = {
	[DP_USERNAME] = "username",
	[DP_USERNAME_EXT] = "username*",
	[DP_REALM] = "realm",
	[DP_NONCE] = "nonce",
	[DP_URI] = "uri",
	[DP_RESPONSE] = "response",
	[DP_ALGORITHM] = "algorithm",
	[DP_CNONCE] = "cnonce",
	[DP_OPAQUE] = "opaque",
	[DP_QOP] = "qop",
	[DP_NC] = "nc",
	[DP_USERHASH] = "userhash",
};

static enum digest_param digest_param_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < DP_UNKNOWN; i++)
		if (span_ieq(name, len, digest_param_names[i]))
			return (enum digest_param)i;
	return DP_UNKNOWN;
}

/*
 * quoted-string (RFC 9110 §5.6.4) starting at p[*pos] == '"'; the unescaped
 * value goes to out (NUL-terminated). Control characters other than HTAB are
 * not allowed, escaped or not. -1 on bad syntax or if out is too small.
 */
static int lex_quoted(const char *p, size_t len, size_t *pos, char *out,
		      size_t outmax, size_t *outlen)
{
	size_t i = *pos + 1, o = 0;

	for (;;) {
		unsigned char c;

		if (i >= len)
			return -1;
		c = (unsigned char)p[i++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i >= len)
				return -1;
			c = (unsigned char)p[i++];
		}
		if (is_ctl(c) && c != '\t')
			return -1;
		if (o + 1 >= outmax)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	*pos = i;
	return 0;
}

/* Copy a value into a fixed field; -1 if it does not fit. */
static int set_field(char *field, size_t fieldsize, const char *val, size_t len)
{
	if (len >= fieldsize)
		return -1;
	memcpy(field, val, len);
	field[len] = '\0';
	return 0;
}

/*
 * username* (RFC 7616 §3.4.4) is an ext-value (RFC 8187 §3.2):
 * charset "'" [ language ] "'" value-chars, where value-chars is attr-char
 * or %HH. Only UTF-8 is accepted (RFC 8187 §3.2.1 requires recipients to
 * support it; ISO-8859-1 is not one we offer).
 */
static int decode_ext_value(const char *v, size_t len, char *out, size_t outmax,
			    size_t *outlen)
{
	const char *q1, *q2;
	size_t i, o = 0;

	q1 = memchr(v, '\'', len);
	if (q1 == NULL || !span_ieq(v, (size_t)(q1 - v), "UTF-8"))
		return -1;
	q2 = memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - v));
	if (q2 == NULL)
		return -1;
	for (const char *l = q1 + 1; l < q2; l++)
		if (!((*l >= 'a' && *l <= 'z') || (*l >= 'A' && *l <= 'Z') ||
		      (*l >= '0' && *l <= '9') || *l == '-'))
			return -1;
	for (i = (size_t)(q2 + 1 - v); i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_value((unsigned char)v[i + 1]);
			lo = hex_value((unsigned char)v[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') ||
			     (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL))) {
			return -1;
		}
		if (o + 1 >= outmax)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

/* RFC 7616 §3.4: nc-value = 8LHEX */
static int parse_nc(const char *v, size_t len, uint32_t *nc)
{
	uint32_t x = 0;

	if (len != 8)
		return -1;
	for (size_t i = 0; i < 8; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		x = x << 4 | (uint32_t)hex_value(c);
	}
	*nc = x;
	return 0;
}

static size_t digest_hex_len(enum auth_digest_alg alg)
{
	return alg == AUTH_DIGEST_SHA256 ? 64 : 32;
}

/*
 * credentials = "Digest" 1*SP #auth-param (RFC 9110 §11.4, RFC 7616 §3.4).
 * Syntax errors are found first (MALFORMED); then what we do not support
 * (UNSUPPORTED); then what is missing or of the wrong shape (MALFORMED).
 */
static enum auth_parse parse_digest(const char *p, size_t len,
				    struct auth_credentials *creds)
{
	char val[DIGEST_VALUE_MAX + 1];
	size_t username_len = 0;
	unsigned seen = 0;
	size_t i = 0;
	int alg_ok = 1, qop_int = 0;

	for (;;) {
		size_t name_start, name_len, val_len;
		enum digest_param dp;
		int quoted;

		/* empty list elements are allowed (RFC 9110 §5.6.1.2) */
		while (i < len && (is_ows(p[i]) || p[i] == ','))
			i++;
		if (i >= len)
			break;
		name_start = i;
		while (i < len && is_tchar((unsigned char)p[i]))
			i++;
		name_len = i - name_start;
		if (name_len == 0)
			return AUTH_PARSE_MALFORMED;
		while (i < len && is_ows(p[i]))
			i++;
		if (i >= len || p[i] != '=')
			return AUTH_PARSE_MALFORMED;
		i++;
		while (i < len && is_ows(p[i]))
			i++;
		quoted = i < len && p[i] == '"';
		if (quoted) {
			if (lex_quoted(p, len, &i, val, sizeof(val), &val_len) < 0)
				return AUTH_PARSE_MALFORMED;
		} else {
			size_t vs = i;

			while (i < len && is_tchar((unsigned char)p[i]))
				i++;
			val_len = i - vs;
			if (val_len == 0 || val_len >= sizeof(val))
				return AUTH_PARSE_MALFORMED;
			memcpy(val, p + vs, val_len);
			val[val_len] = '\0';
		}
		while (i < len && is_ows(p[i]))
			i++;
		if (i < len && p[i] != ',')
			return AUTH_PARSE_MALFORMED;

		dp = digest_param_lookup(p + name_start, name_len);
		if (dp == DP_UNKNOWN)
			continue;     /* RFC 7616 §3.4: unknown directives are ignored */
		if (seen & (1u << dp))
			return AUTH_PARSE_MALFORMED;
		seen |= 1u << dp;

		switch (dp) {
		case DP_USERNAME:
			if (set_field(creds->username, sizeof(creds->username), val,
				      val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			username_len = val_len;
			break;
		case DP_USERNAME_EXT:
			/* an ext-value is never quoted (RFC 8187 §3.2) */
			if (quoted || decode_ext_value(val, val_len, creds->username,
						       sizeof(creds->username),
						       &username_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_REALM:
			if (set_field(creds->realm, sizeof(creds->realm), val, val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_NONCE:
			if (set_field(creds->nonce, sizeof(creds->nonce), val, val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_URI:
			if (set_field(creds->uri, sizeof(creds->uri), val, val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_RESPONSE:
			if (set_field(creds->response, sizeof(creds->response), val,
				      val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_CNONCE:
			if (set_field(creds->cnonce, sizeof(creds->cnonce), val, val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_OPAQUE:
			if (set_field(creds->opaque, sizeof(creds->opaque), val, val_len) < 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_ALGORITHM:
			if (span_ieq(val, val_len, "MD5"))
				creds->alg = AUTH_DIGEST_MD5;
			else if (span_ieq(val, val_len, "SHA-256"))
				creds->alg = AUTH_DIGEST_SHA256;
			else
				alg_ok = 0;    /* -sess variants, SHA-512-256, ... */
			break;
		case DP_QOP:
			if (span_ieq(val, val_len, "auth"))
				strcpy(creds->qop, "auth");
			else if (span_ieq(val, val_len, "auth-int"))
				qop_int = 1;
			else
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_NC:
			if (parse_nc(val, val_len, &creds->nc) < 0 || creds->nc == 0)
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_USERHASH:
			if (span_ieq(val, val_len, "true"))
				creds->userhash = 1;
			else if (!span_ieq(val, val_len, "false"))
				return AUTH_PARSE_MALFORMED;
			break;
		case DP_UNKNOWN:
			break;
		}
	}

	/* §3.4.4: username and username* are mutually exclusive */
	if ((seen & (1u << DP_USERNAME)) && (seen & (1u << DP_USERNAME_EXT)))
		return AUTH_PARSE_MALFORMED;

	if (!alg_ok || creds->userhash || qop_int)
		return AUTH_PARSE_UNSUPPORTED;
	/* without qop this is RFC 2069 Digest, which has no nonce count and
	 * no client nonce: we require qop=auth */
	if (!(seen & (1u << DP_QOP)))
		return AUTH_PARSE_UNSUPPORTED;

	if (!username_ok(creds->username, username_len) ||
	    !(seen & (1u << DP_REALM)) || creds->nonce[0] == '\0' ||
	    creds->uri[0] == '\0' || creds->cnonce[0] == '\0' ||
	    !(seen & (1u << DP_NC)))
		return AUTH_PARSE_MALFORMED;
	if (strlen(creds->response) != digest_hex_len(creds->alg))
		return AUTH_PARSE_MALFORMED;
	for (char *r = creds->response; *r; r++) {
		if (hex_value((unsigned char)*r) < 0)
			return AUTH_PARSE_MALFORMED;
		*r = (char)lower((unsigned char)*r);
	}
	return AUTH_PARSE_OK;
}

/* ------------------------------------------------------------ Negotiate */

/* RFC 4559 §4.2: credentials = "Negotiate" SP gssapi-data, the token in
 * base64 (RFC 4648 §4, padded). Only the syntax is checked here; the
 * token's bytes are for GSS-API. */
static enum auth_parse parse_negotiate(const char *p, size_t len,
				       struct auth_credentials *creds)
{
	size_t i = 0, pad = 0;

	if (len == 0 || len > AUTH_TOKEN_B64_MAX || len % 4 != 0)
		return AUTH_PARSE_MALFORMED;
	while (i < len && b64_value(b64_std, p[i]) >= 0)
		i++;
	while (i < len && p[i] == '=' && pad < 2) {
		i++;
		pad++;
	}
	if (i != len || i == pad)
		return AUTH_PARSE_MALFORMED;
	creds->token = p;
	creds->token_len = len;
	return AUTH_PARSE_OK;
}

long auth_negotiate_token(const struct auth_credentials *creds, uint8_t *out, size_t outmax)
{
	if (creds->scheme != AUTH_SCHEME_NEGOTIATE || !creds->token)
		return -1;
	return b64_decode(b64_std, 1, creds->token, creds->token_len, out, outmax);
}

enum auth_parse auth_parse_credentials(const char *value, size_t len,
				       struct auth_credentials *creds)
{
	enum auth_parse rc;
	size_t i = 0, scheme_len;

	memset(creds, 0, sizeof(*creds));
	creds->scheme = AUTH_SCHEME_NONE;
	creds->alg = AUTH_DIGEST_MD5;     /* RFC 7616 §3.4: absent means MD5 */

	while (len > 0 && is_ows(value[len - 1]))
		len--;
	while (i < len && is_ows(value[i]))
		i++;
	value += i;
	len -= i;

	i = 0;
	while (i < len && is_tchar((unsigned char)value[i]))
		i++;
	scheme_len = i;
	if (scheme_len == 0)
		return AUTH_PARSE_MALFORMED;
	if (span_ieq(value, scheme_len, "Basic"))
		creds->scheme = AUTH_SCHEME_BASIC;
	else if (span_ieq(value, scheme_len, "Digest"))
		creds->scheme = AUTH_SCHEME_DIGEST;
	else if (span_ieq(value, scheme_len, "Negotiate"))
		creds->scheme = AUTH_SCHEME_NEGOTIATE;
	else {
		creds->scheme = AUTH_SCHEME_OTHER;
		return AUTH_PARSE_UNSUPPORTED;
	}
	/* RFC 9110 §11.4: auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
	if (i >= len || value[i] != ' ')
		return AUTH_PARSE_MALFORMED;
	while (i < len && value[i] == ' ')
		i++;
	if (creds->scheme == AUTH_SCHEME_BASIC)
		rc = parse_basic(value + i, len - i, creds);
	else if (creds->scheme == AUTH_SCHEME_NEGOTIATE)
		rc = parse_negotiate(value + i, len - i, creds);
	else
		rc = parse_digest(value + i, len - i, creds);
	if (rc != AUTH_PARSE_OK) {
		/* keep the username for the audit record, but never a password */
		OPENSSL_cleanse(creds->password, sizeof(creds->password));
		creds->password_len = 0;
	}
	return rc;
}

void auth_credentials_wipe(struct auth_credentials *creds)
{
	/* password_len <= AUTH_PASS_MAX, and the terminating NUL follows */
	OPENSSL_cleanse(creds->password, creds->password_len + 1);
	creds->password_len = 0;
	OPENSSL_cleanse(creds->response, sizeof(creds->response));
}

/* ------------------------------------------------------------ hashes */

struct span {
	const void *p;
	size_t len;
};

/* Lower-case hex of H(parts joined by ':'); out >= 65. On an internal
 * failure out is "" so that no comparison can succeed. */
static void digest_hex(enum auth_digest_alg alg, const struct span *parts,
		       size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	out[0] = '\0';
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return;
	ok = EVP_DigestInit_ex(ctx, alg == AUTH_DIGEST_SHA256 ? EVP_sha256() : EVP_md5(),
			       NULL);
	for (size_t i = 0; ok && i < n; i++) {
		if (i > 0)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok && parts[i].len > 0)
			ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen * 2 + 1 > AUTH_HEX_MAX)
		return;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
}

/* RFC 7616 §3.4.2: A1 = unq(username) ":" unq(realm) ":" passwd */
void auth_digest_ha1(enum auth_digest_alg alg, const char *user,
		     const char *realm, const char *password, size_t password_len,
		     char *out)
{
	struct span parts[] = {
		{ user, strlen(user) },
		{ realm, strlen(realm) },
		{ password, password_len },
	};

	digest_hex(alg, parts, 3, out);
}

/* RFC 7616 §3.4.1 with qop=auth:
 *   response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)), A2 = method ":" uri
 * where nc is the 8 lower-case hex digits the client sent (§3.4). */
void auth_digest_response(enum auth_digest_alg alg, const char *ha1_hex,
			  const struct auth_credentials *creds,
			  const char *method, size_t method_len, char *out)
{
	char ha2[AUTH_HEX_MAX];
	char nc[9];
	struct span a2[] = {
		{ method, method_len },
		{ creds->uri, strlen(creds->uri) },
	};

	out[0] = '\0';
	digest_hex(alg, a2, 2, ha2);
	if (ha2[0] == '\0')
		return;
	snprintf(nc, sizeof(nc), "%08x", (unsigned int)creds->nc);
	struct span kd[] = {
		{ ha1_hex, strlen(ha1_hex) },
		{ creds->nonce, strlen(creds->nonce) },
		{ nc, 8 },
		{ creds->cnonce, strlen(creds->cnonce) },
		{ creds->qop, strlen(creds->qop) },
		{ ha2, strlen(ha2) },
	};
	digest_hex(alg, kd, 6, out);
}

/*
 * Time depends only on the two lengths, never on where the contents differ.
 * The shorter string is read as if padded with NULs; a length mismatch is
 * folded in at the end rather than returned early.
 */
int auth_secret_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la > lb ? la : lb;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		unsigned char cb = i < lb ? (unsigned char)b[i] : 0;

		diff |= (unsigned char)(ca ^ cb);
	}
	return (diff == 0) & (la == lb);
}

/* ------------------------------------------------------------ nonces */

/* One nonce we have seen a valid response for. seen bit i means nonce
 * count max_nc - i was used (RFC 7616 §3.3: the server checks that the
 * count has not been used before). */
struct nonce_entry {
	uint8_t raw[NONCE_RAW_LEN];
	int used;
	int64_t ts;
	uint32_t max_nc;
	uint64_t seen;
};

/*
 * evicted_ts is the newest timestamp of any entry dropped from this bucket.
 * A nonce absent from its bucket whose timestamp is not newer than that
 * might have been dropped after use, so accepting it would reopen its used
 * counts to replay: it is answered STALE instead (the client retries with a
 * fresh nonce without asking the user). A newer one cannot have been here.
 */
struct nonce_bucket {
	struct nonce_entry way[NONCE_WAYS];
	int has_evicted;
	int64_t evicted_ts;
};

struct auth_nonces {
	uint8_t secret[32];
	unsigned lifetime;
	char opaque[33];
	pthread_mutex_t lock;
	size_t n_buckets;
	struct nonce_bucket *buckets;
};

void auth_nonces_set_lifetime(struct auth_nonces *n, unsigned lifetime)
{
	__atomic_store_n(&n->lifetime, lifetime, __ATOMIC_RELAXED);
}

struct auth_nonces *auth_nonces_new(const uint8_t secret[32], unsigned lifetime,
				    size_t table_size)
{
	static const char label[] = "portcullis digest opaque";
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct auth_nonces *n;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	memcpy(n->secret, secret, sizeof(n->secret));
	n->lifetime = lifetime;
	n->n_buckets = table_size / NONCE_WAYS;
	if (n->n_buckets == 0)
		n->n_buckets = 1;
	n->buckets = calloc(n->n_buckets, sizeof(*n->buckets));
	if (n->buckets == NULL)
		goto fail;
	/* opaque only has to come back unchanged (RFC 7616 §3.3); derive it
	 * from the secret so every worker and every restart agrees on it */
	if (HMAC(EVP_sha256(), n->secret, sizeof(n->secret),
		 (const unsigned char *)label, sizeof(label) - 1, mac, &maclen) == NULL ||
	    maclen < 16)
		goto fail;
	for (int i = 0; i < 16; i++) {
		n->opaque[2 * i] = hex[mac[i] >> 4];
		n->opaque[2 * i + 1] = hex[mac[i] & 15];
	}
	n->opaque[32] = '\0';
	if (pthread_mutex_init(&n->lock, NULL) != 0)
		goto fail;
	return n;
fail:
	free(n->buckets);
	OPENSSL_cleanse(n, sizeof(*n));
	free(n);
	return NULL;
}

void auth_nonces_free(struct auth_nonces *n)
{
	if (n == NULL)
		return;
	pthread_mutex_destroy(&n->lock);
	free(n->buckets);
	OPENSSL_cleanse(n, sizeof(*n));
	free(n);
}

static int nonce_mac(const struct auth_nonces *n, const uint8_t ts[NONCE_TS_LEN],
		     uint8_t out[NONCE_MAC_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), n->secret, sizeof(n->secret), ts, NONCE_TS_LEN,
		 mac, &maclen) == NULL || maclen < NONCE_MAC_LEN)
		return -1;
	memcpy(out, mac, NONCE_MAC_LEN);
	return 0;
}

void auth_nonce_make(struct auth_nonces *n, int64_t now, char *out)
{
	static uint32_t counter;
	uint8_t raw[NONCE_RAW_LEN];
	/* seconds in the upper 40 bits, a counter in the lower 24: two nonces
	 * made in the same second must differ, or the second client's nc=1
	 * would look like a replay of the first's */
	uint64_t t = (uint64_t)now << 24 |
		     (__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) & 0xffffff);

	for (int i = 0; i < NONCE_TS_LEN; i++)
		raw[i] = (uint8_t)(t >> (56 - 8 * i));
	if (nonce_mac(n, raw, raw + NONCE_TS_LEN) < 0) {
		out[0] = '\0';
		return;
	}
	b64_encode_nopad(b64_url, raw, sizeof(raw), out);
}

/* Authenticity, then age; raw and ts are filled for the replay table. */
static enum auth_nonce_check nonce_verify(struct auth_nonces *n, const char *nonce,
					  int64_t now, uint8_t raw[NONCE_RAW_LEN],
					  int64_t *ts)
{
	uint8_t mac[NONCE_MAC_LEN];
	uint64_t t = 0, age;

	if (strnlen(nonce, NONCE_TEXT_LEN + 1) != NONCE_TEXT_LEN ||
	    b64_decode(b64_url, 0, nonce, NONCE_TEXT_LEN, raw, NONCE_RAW_LEN) !=
	    NONCE_RAW_LEN)
		return AUTH_NONCE_INVALID;
	if (nonce_mac(n, raw, mac) < 0 ||
	    CRYPTO_memcmp(mac, raw + NONCE_TS_LEN, NONCE_MAC_LEN) != 0)
		return AUTH_NONCE_INVALID;
	for (int i = 0; i < NONCE_TS_LEN; i++)
		t = t << 8 | raw[i];
	t >>= 24;    /* drop the counter (see auth_nonce_make) */
	*ts = (int64_t)t;
	/* both ways: a nonce from the future means the clock was stepped back
	 * (unsigned arithmetic gives the exact distance between two int64) */
	if (now >= *ts)
		age = (uint64_t)now - t;
	else
		age = t - (uint64_t)now;
	if (age > __atomic_load_n(&n->lifetime, __ATOMIC_RELAXED))
		return AUTH_NONCE_STALE;
	return AUTH_NONCE_VALID;
}

enum auth_nonce_check auth_nonce_peek(struct auth_nonces *n, const char *nonce,
				      int64_t now)
{
	uint8_t raw[NONCE_RAW_LEN];
	int64_t ts;

	return nonce_verify(n, nonce, now, raw, &ts);
}

/* Record nc for an entry; REPLAY if it was used or fell out of the window. */
static enum auth_nonce_check nonce_count_use(struct nonce_entry *e, uint32_t nc)
{
	uint32_t d;

	if (nc > e->max_nc) {
		d = nc - e->max_nc;
		e->seen = d >= NONCE_WINDOW ? 0 : e->seen << d;
		e->seen |= 1;
		e->max_nc = nc;
		return AUTH_NONCE_VALID;
	}
	d = e->max_nc - nc;
	if (d >= NONCE_WINDOW || (e->seen & (UINT64_C(1) << d)))
		return AUTH_NONCE_REPLAY;
	e->seen |= UINT64_C(1) << d;
	return AUTH_NONCE_VALID;
}

enum auth_nonce_check auth_nonce_check(struct auth_nonces *n, const char *nonce,
				       uint32_t nc, int64_t now)
{
	uint8_t raw[NONCE_RAW_LEN];
	struct nonce_bucket *b;
	struct nonce_entry *victim = NULL;
	enum auth_nonce_check rc;
	uint64_t h = 0;
	int64_t ts;

	rc = nonce_verify(n, nonce, now, raw, &ts);
	if (rc != AUTH_NONCE_VALID)
		return rc;
	if (nc == 0)
		return AUTH_NONCE_INVALID;   /* counts start at 1 (RFC 7616 §3.4) */
	/* the MAC bytes are unpredictable without the secret, so they spread
	 * nonces over the buckets without an attacker choosing where */
	for (int i = 0; i < 8; i++)
		h = h << 8 | raw[NONCE_TS_LEN + i];
	b = &n->buckets[h % n->n_buckets];

	pthread_mutex_lock(&n->lock);
	for (int w = 0; w < NONCE_WAYS; w++) {
		struct nonce_entry *e = &b->way[w];

		if (e->used && memcmp(e->raw, raw, NONCE_RAW_LEN) == 0) {
			rc = nonce_count_use(e, nc);
			goto out;
		}
	}
	if (b->has_evicted && ts <= b->evicted_ts) {
		rc = AUTH_NONCE_STALE;
		goto out;
	}
	/* the oldest nonce expires first, so it is the cheapest to forget */
	for (int w = 0; w < NONCE_WAYS; w++) {
		struct nonce_entry *e = &b->way[w];

		if (!e->used) {
			victim = e;
			break;
		}
		if (victim == NULL || e->ts < victim->ts)
			victim = e;
	}
	if (victim->used) {
		if (!b->has_evicted || victim->ts > b->evicted_ts)
			b->evicted_ts = victim->ts;
		b->has_evicted = 1;
	}
	memcpy(victim->raw, raw, NONCE_RAW_LEN);
	victim->used = 1;
	victim->ts = ts;
	victim->max_nc = nc;
	victim->seen = 1;
	rc = AUTH_NONCE_VALID;
out:
	pthread_mutex_unlock(&n->lock);
	return rc;
}

/* ------------------------------------------------------------ challenge */

/* realm as a quoted-string (RFC 9110 §5.6.4): '"' and '\' escaped; control
 * characters cannot be carried and would split the header, so refuse them. */
static int quote_realm(const char *realm, char *out, size_t outmax)
{
	size_t o = 0;

	for (const char *r = realm; *r; r++) {
		unsigned char c = (unsigned char)*r;

		if (is_ctl(c) && c != '\t')
			return -1;
		if (o + 3 > outmax)
			return -1;
		if (c == '"' || c == '\\')
			out[o++] = '\\';
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int auth_challenge_headers(char *buf, size_t len, const char *header_name,
			   unsigned schemes, const char *realm,
			   struct auth_nonces *nonces, int64_t now, int stale)
{
	/* strongest first (RFC 7616 §3.7: the client uses the first it supports) */
	static const struct {
		unsigned bit;
		const char *alg;
	} digests[] = {
		{ CONFIG_SCHEME_DIGEST_SHA256, "SHA-256" },
		{ CONFIG_SCHEME_DIGEST_MD5, "MD5" },
	};
	char qrealm[2 * 128 + 1];
	char nonce[AUTH_NONCE_MAX + 1];
	size_t off = 0;
	int n;

	if (len == 0 || quote_realm(realm, qrealm, sizeof(qrealm)) < 0)
		return -1;
	buf[0] = '\0';
	if (schemes & (CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5)) {
		if (nonces == NULL)
			return -1;
		auth_nonce_make(nonces, now, nonce);
		if (nonce[0] == '\0')
			return -1;
	}
	if (schemes & CONFIG_SCHEME_NEGOTIATE) {
		/* RFC 4559 §4.1: no parameters; offered first, since a client
		 * that can use it takes it without asking its user */
		n = snprintf(buf + off, len - off, "%s: Negotiate\r\n", header_name);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		if (!(schemes & digests[i].bit))
			continue;
		n = snprintf(buf + off, len - off,
			     "%s: Digest realm=\"%s\", qop=\"auth\", algorithm=%s, "
			     "nonce=\"%s\", opaque=\"%s\"%s\r\n",
			     header_name, qrealm, digests[i].alg, nonce, nonces->opaque,
			     stale ? ", stale=true" : "");
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	if (schemes & CONFIG_SCHEME_BASIC) {
		/* RFC 7617 §2.1: charset="UTF-8" */
		n = snprintf(buf + off, len - off,
			     "%s: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
			     header_name, qrealm);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}
