#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "config.h"

/* RFC 7616 §3.9.1 */
#define RFC_USER    "Mufasa"
#define RFC_PASS    "Circle of Life"
#define RFC_REALM   "http-auth@example.org"
#define RFC_NONCE   "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE  "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE  "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_URI     "/dir/index.html"
#define RFC_MD5     "8ca523f5e9506fed4657c9700eebdbec"
#define RFC_SHA256  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static enum auth_parse parse(const char *value, struct auth_credentials *c)
{
	return auth_parse_credentials(value, strlen(value), c);
}

/* "Basic " + base64(raw[0..len)), encoded by OpenSSL, not by the code under
 * test. */
static char *basic_header(const char *raw, size_t len)
{
	char *out = malloc(6 + 4 * (len / 3 + 1) + 1);

	assert_non_null(out);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)raw, (int)len);
	return out;
}

static enum auth_parse parse_basic_raw(const char *raw, size_t len,
				       struct auth_credentials *c)
{
	char *h = basic_header(raw, len);
	enum auth_parse rc = parse(h, c);

	free(h);
	return rc;
}

/* ------------------------------------------------------------ Basic */

static void test_basic_ok(void **state)
{
	struct auth_credentials c;

	(void)state;
	/* RFC 7617 §2 example */
	assert_int_equal(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &c), AUTH_PARSE_OK);
	assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
	assert_string_equal(c.username, "Aladdin");
	assert_string_equal(c.password, "open sesame");
	assert_int_equal(c.password_len, 11);

	/* scheme is case-insensitive, surrounding whitespace tolerated */
	assert_int_equal(parse("  bAsIc   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ", &c),
			 AUTH_PARSE_OK);
	assert_string_equal(c.username, "Aladdin");
}

static void test_basic_password_characters(void **state)
{
	static const char raw[] = "user:pa:ss @ wörd\x01\"\\";
	static const char utf8[] = "J\xc3\xbcrgen:p\xc3\xa4ss\xe2\x82\xac";
	struct auth_credentials c;

	(void)state;
	/* split at the FIRST colon: the rest, colons included, is the password */
	assert_int_equal(parse_basic_raw(raw, sizeof(raw) - 1, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "user");
	assert_string_equal(c.password, "pa:ss @ wörd\x01\"\\");
	assert_int_equal(c.password_len, sizeof(raw) - 1 - 5);

	assert_int_equal(parse_basic_raw(utf8, sizeof(utf8) - 1, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "J\xc3\xbcrgen");
	assert_string_equal(c.password, "p\xc3\xa4ss\xe2\x82\xac");

	/* an empty password is a password */
	assert_int_equal(parse_basic_raw("bob:", 4, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "bob");
	assert_int_equal(c.password_len, 0);
}

static void test_basic_bad_user_pass(void **state)
{
	struct auth_credentials c;

	(void)state;
	assert_int_equal(parse_basic_raw("nocolon", 7, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
	assert_int_equal(parse_basic_raw(":password", 9, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse_basic_raw("a\nb:pw", 6, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse_basic_raw("a\tb:pw", 6, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse_basic_raw("a\x7f:pw", 5, &c), AUTH_PARSE_MALFORMED);
	/* NUL anywhere, user or password */
	assert_int_equal(parse_basic_raw("a\0b:pw", 6, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse_basic_raw("ab:p\0w", 6, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(c.password_len, 0);
	assert_string_equal(c.password, "");
}

static void test_basic_limits(void **state)
{
	char raw[AUTH_USER_MAX + AUTH_PASS_MAX + 8];
	struct auth_credentials c;

	(void)state;
	memset(raw, 'u', AUTH_USER_MAX);
	raw[AUTH_USER_MAX] = ':';
	memset(raw + AUTH_USER_MAX + 1, 'p', AUTH_PASS_MAX);
	assert_int_equal(parse_basic_raw(raw, AUTH_USER_MAX + 1 + AUTH_PASS_MAX, &c),
			 AUTH_PARSE_OK);
	assert_int_equal(strlen(c.username), AUTH_USER_MAX);
	assert_int_equal(c.password_len, AUTH_PASS_MAX);

	/* one byte too many in the password */
	memset(raw + AUTH_USER_MAX + 1, 'p', AUTH_PASS_MAX + 1);
	assert_int_equal(parse_basic_raw(raw, AUTH_USER_MAX + 2 + AUTH_PASS_MAX, &c),
			 AUTH_PARSE_MALFORMED);

	/* one byte too many in the username */
	memset(raw, 'u', AUTH_USER_MAX + 1);
	raw[AUTH_USER_MAX + 1] = ':';
	raw[AUTH_USER_MAX + 2] = 'p';
	assert_int_equal(parse_basic_raw(raw, AUTH_USER_MAX + 3, &c), AUTH_PARSE_MALFORMED);
}

static void test_basic_bad_base64(void **state)
{
	static const char *const bad[] = {
		"Basic YTpi*A==",          /* bad character */
		"Basic YTpiYw",            /* "a:bc" without its padding */
		"Basic YTpiYw=",           /* wrong padding */
		"Basic YTpiYw===",
		"Basic YTpi=Yw=",          /* padding inside */
		"Basic YQ==YTpi",          /* data after padding */
		"Basic YTpiZB==",          /* non-zero bits after the last byte */
		"Basic YTpi xyz",          /* trailing garbage */
		"Basic YTpi,",
		"Basic YTpi, realm=\"x\"",
		"Basic YTp",               /* length 1 mod 4 */
		"Basic ====",
		"Basic",                   /* no credentials */
		"Basic ",
		"Basic\tYTpi",             /* RFC 9110 §11.4: 1*SP */
		"Basic:YTpi",
	};
	struct auth_credentials c;

	(void)state;
	/* the good twin of the cases above */
	assert_int_equal(parse("Basic YTpiYw==", &c), AUTH_PARSE_OK);
	assert_string_equal(c.password, "bc");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &c) != AUTH_PARSE_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
	}
}

static void test_scheme(void **state)
{
	struct auth_credentials c;

	(void)state;
	assert_int_equal(parse("Bearer abc", &c), AUTH_PARSE_UNSUPPORTED);
	assert_int_equal(c.scheme, AUTH_SCHEME_OTHER);
	assert_int_equal(parse("NTLM TlRMTVNTUAABAAAA", &c), AUTH_PARSE_UNSUPPORTED);
	assert_int_equal(c.scheme, AUTH_SCHEME_OTHER);
	/* a scheme that merely starts like ours */
	assert_int_equal(parse("Basically YTpi", &c), AUTH_PARSE_UNSUPPORTED);
	assert_int_equal(parse("", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(c.scheme, AUTH_SCHEME_NONE);
	assert_int_equal(parse("   ", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("\"Basic\" YTpi", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(c.scheme, AUTH_SCHEME_NONE);
	/* the length is respected: nothing after len is read */
	assert_int_equal(auth_parse_credentials("Basic YTpiYw==garbage", 14, &c),
			 AUTH_PARSE_OK);
}

/* ------------------------------------------------------------ Negotiate */

static void test_negotiate(void **state)
{
	struct auth_credentials c;
	uint8_t out[16];

	(void)state;
	/* RFC 4559 §4.2: the token in padded base64, any case of the scheme */
	assert_int_equal(parse("Negotiate YIIGAQ==", &c), AUTH_PARSE_OK);
	assert_int_equal(c.scheme, AUTH_SCHEME_NEGOTIATE);
	assert_int_equal(c.token_len, 8);
	assert_memory_equal(c.token, "YIIGAQ==", 8);
	assert_int_equal(auth_negotiate_token(&c, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x60\x82\x06\x01", 4);
	assert_int_equal(parse("negotiate  YIIGAQ== ", &c), AUTH_PARSE_OK);
	/* too small an output buffer */
	assert_int_equal(auth_negotiate_token(&c, out, 3), -1);
	/* no token, unpadded, bad characters, a token68 of base64url, a
	 * second token, padding in the middle */
	assert_int_equal(parse("Negotiate", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate ", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate YIIGA", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate YII*AQ==", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate YII_AQ==", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate YIIGAQ== YIIG", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate YI==AQ==", &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(parse("Negotiate ====", &c), AUTH_PARSE_MALFORMED);
	/* strict: bits left over must be zero */
	assert_int_equal(parse("Negotiate YIIGAR==", &c), AUTH_PARSE_OK);
	assert_int_equal(auth_negotiate_token(&c, out, sizeof(out)), -1);
	/* not a Negotiate credential */
	assert_int_equal(parse("Basic YTpiYw==", &c), AUTH_PARSE_OK);
	assert_int_equal(auth_negotiate_token(&c, out, sizeof(out)), -1);
}

static void test_negotiate_limit(void **state)
{
	size_t n = AUTH_TOKEN_B64_MAX + 4;
	char *v = malloc(10 + n + 1);
	struct auth_credentials c;

	(void)state;
	assert_non_null(v);
	memcpy(v, "Negotiate ", 10);
	memset(v + 10, 'A', n);
	v[10 + n] = '\0';
	assert_int_equal(auth_parse_credentials(v, 10 + n, &c), AUTH_PARSE_MALFORMED);
	assert_int_equal(auth_parse_credentials(v, 10 + AUTH_TOKEN_B64_MAX, &c), AUTH_PARSE_OK);
	free(v);
}

/* ------------------------------------------------------------ Digest */

#define RFC_DIGEST(alg, resp)                                           \
	"Digest username=\"" RFC_USER "\", realm=\"" RFC_REALM "\", "   \
	"uri=\"" RFC_URI "\", algorithm=" alg ", nonce=\"" RFC_NONCE    \
	"\", nc=00000001, cnonce=\"" RFC_CNONCE "\", qop=auth, "        \
	"response=\"" resp "\", opaque=\"" RFC_OPAQUE "\""

static void check_rfc_fields(const struct auth_credentials *c)
{
	assert_int_equal(c->scheme, AUTH_SCHEME_DIGEST);
	assert_string_equal(c->username, RFC_USER);
	assert_string_equal(c->realm, RFC_REALM);
	assert_string_equal(c->uri, RFC_URI);
	assert_string_equal(c->nonce, RFC_NONCE);
	assert_string_equal(c->cnonce, RFC_CNONCE);
	assert_string_equal(c->opaque, RFC_OPAQUE);
	assert_string_equal(c->qop, "auth");
	assert_int_equal(c->nc, 1);
	assert_int_equal(c->userhash, 0);
}

static void test_digest_rfc7616_sha256(void **state)
{
	struct auth_credentials c;
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX];

	(void)state;
	assert_int_equal(parse(RFC_DIGEST("SHA-256", RFC_SHA256), &c), AUTH_PARSE_OK);
	check_rfc_fields(&c);
	assert_int_equal(c.alg, AUTH_DIGEST_SHA256);
	assert_string_equal(c.response, RFC_SHA256);

	auth_digest_ha1(AUTH_DIGEST_SHA256, RFC_USER, RFC_REALM, RFC_PASS,
			strlen(RFC_PASS), ha1);
	assert_int_equal(strlen(ha1), 64);
	auth_digest_response(AUTH_DIGEST_SHA256, ha1, &c, "GET", 3, resp);
	assert_string_equal(resp, RFC_SHA256);
	assert_true(auth_secret_equal(resp, c.response));

	/* another method or another password gives another answer */
	auth_digest_response(AUTH_DIGEST_SHA256, ha1, &c, "POST", 4, resp);
	assert_false(auth_secret_equal(resp, c.response));
	auth_digest_ha1(AUTH_DIGEST_SHA256, RFC_USER, RFC_REALM, "Circle of life", 14, ha1);
	auth_digest_response(AUTH_DIGEST_SHA256, ha1, &c, "GET", 3, resp);
	assert_false(auth_secret_equal(resp, c.response));
}

static void test_digest_rfc7616_md5(void **state)
{
	struct auth_credentials c;
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX];

	(void)state;
	assert_int_equal(parse(RFC_DIGEST("MD5", RFC_MD5), &c), AUTH_PARSE_OK);
	check_rfc_fields(&c);
	assert_int_equal(c.alg, AUTH_DIGEST_MD5);

	auth_digest_ha1(AUTH_DIGEST_MD5, RFC_USER, RFC_REALM, RFC_PASS,
			strlen(RFC_PASS), ha1);
	/* the RFC's printed HA1 is an erratum; this is MD5 of the A1 string */
	assert_string_equal(ha1, "3d78807defe7de2157e2b0b6573a855f");
	auth_digest_response(AUTH_DIGEST_MD5, ha1, &c, "GET", 3, resp);
	assert_string_equal(resp, RFC_MD5);

	/* only password_len bytes of the password count */
	auth_digest_ha1(AUTH_DIGEST_MD5, RFC_USER, RFC_REALM, RFC_PASS "XYZ",
			strlen(RFC_PASS), ha1);
	assert_string_equal(ha1, "3d78807defe7de2157e2b0b6573a855f");

	/* without algorithm= it is MD5 (RFC 7616 §3.4) */
	assert_int_equal(parse("Digest username=\"Mufasa\", realm=\"r\", nonce=\"n\", "
			       "uri=\"/\", nc=00000001, cnonce=\"c\", qop=auth, "
			       "response=\"" RFC_MD5 "\"", &c), AUTH_PARSE_OK);
	assert_int_equal(c.alg, AUTH_DIGEST_MD5);
}

static void test_digest_syntax_variants(void **state)
{
	struct auth_credentials c;

	(void)state;
	/* lower-case scheme and keys, quoted qop/nc/algorithm, token values,
	 * spaces around '=', empty list elements, unknown params, upper-case
	 * response hex (lowered) */
	assert_int_equal(parse("digest ,USERNAME = \"Mufasa\" ,, Realm=\"" RFC_REALM "\","
			       "nonce=\"" RFC_NONCE "\",uri=\"" RFC_URI "\","
			       "Algorithm=\"sha-256\",qop=\"auth\",nc=\"00000001\","
			       "cnonce=\"" RFC_CNONCE "\", foo=bar, x=\"y,z\","
			       "response=\"753927FA0E85D155564E2E272A28D1802CA10DAF"
			       "4496794697CF8DB5856CB6C1\",", &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "Mufasa");
	assert_int_equal(c.alg, AUTH_DIGEST_SHA256);
	assert_string_equal(c.response, RFC_SHA256);
	assert_string_equal(c.opaque, "");

	/* quoted-pair unescaping (RFC 9110 §5.6.4) */
	assert_int_equal(parse("Digest username=\"Mu\\\"fa\\\\sa\\x\", realm=\"a\\\"b\", "
			       "nonce=n, uri=\"/\", nc=0000000a, cnonce=c, qop=auth, "
			       "response=" RFC_MD5, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "Mu\"fa\\sax");
	assert_string_equal(c.realm, "a\"b");
	assert_string_equal(c.nonce, "n");
	assert_int_equal(c.nc, 10);

	/* username with UTF-8 in a quoted-string (obs-text) */
	assert_int_equal(parse("Digest username=\"J\xc3\xa4s\xc3\xb8n\", realm=r, "
			       "nonce=n, uri=\"/\", nc=ffffffff, cnonce=c, qop=auth, "
			       "response=" RFC_MD5, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "J\xc3\xa4s\xc3\xb8n");
	assert_int_equal(c.nc, 0xffffffffu);
}

#define DIGEST_TAIL "realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, qop=auth, " \
		    "response=" RFC_MD5

static void test_digest_username_ext(void **state)
{
	static const char *const bad[] = {
		"Digest username*=\"UTF-8''Jason\", " DIGEST_TAIL,    /* quoted */
		"Digest username*=ISO-8859-1''J%E4son, " DIGEST_TAIL, /* charset */
		"Digest username*=UTF-8'Jason, " DIGEST_TAIL,         /* one quote */
		"Digest username*=UTF-8''J%4, " DIGEST_TAIL,          /* short %XX */
		"Digest username*=UTF-8''J%G4, " DIGEST_TAIL,
		"Digest username*=UTF-8''J%00n, " DIGEST_TAIL,        /* NUL */
		"Digest username*=UTF-8''J%0An, " DIGEST_TAIL,        /* LF */
		"Digest username*=UTF-8''J'n, " DIGEST_TAIL,          /* not attr-char */
		"Digest username*=UTF-8'', " DIGEST_TAIL,             /* empty */
		"Digest username=\"J\", username*=UTF-8''J, " DIGEST_TAIL,
	};
	struct auth_credentials c;

	(void)state;
	/* RFC 7616 §3.9.2 */
	assert_int_equal(parse("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, "
			       DIGEST_TAIL, &c), AUTH_PARSE_OK);
	assert_string_equal(c.username, "J\xc3\xa4s\xc3\xb8n Doe");
	assert_int_equal(parse("Digest username*=utf-8'en'%41b~c, " DIGEST_TAIL, &c),
			 AUTH_PARSE_OK);
	assert_string_equal(c.username, "Ab~c");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &c) != AUTH_PARSE_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
}

static void test_digest_malformed(void **state)
{
	static const char *const bad[] = {
		/* each required field missing */
		"Digest realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, qop=auth, "
			"response=" RFC_MD5,
		"Digest username=u, nonce=n, uri=\"/\", nc=00000001, cnonce=c, qop=auth, "
			"response=" RFC_MD5,
		"Digest username=u, realm=r, uri=\"/\", nc=00000001, cnonce=c, qop=auth, "
			"response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, nc=00000001, cnonce=c, qop=auth, "
			"response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth",
		/* qop=auth needs nc and cnonce */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", cnonce=c, qop=auth, "
			"response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, qop=auth, "
			"response=" RFC_MD5,
		/* empty values */
		"Digest username=\"\", " DIGEST_TAIL,
		"Digest username=u, realm=r, nonce=\"\", uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		/* nc is exactly 8 lower-case hex digits, not zero */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=0000001, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=000000001, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=0000000A, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=0000000g, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000000, cnonce=c, "
			"qop=auth, response=" RFC_MD5,
		/* response: hex of the algorithm's length */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth, response=" RFC_MD5 "0",
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth, algorithm=SHA-256, response=" RFC_MD5,
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth, response=8ca523f5e9506fed4657c9700eebdbeg",
		/* duplicates, whatever their case */
		"Digest username=u, Username=v, " DIGEST_TAIL,
		"Digest username=u, " DIGEST_TAIL ", nc=00000002",
		/* syntax */
		"Digest username=\"u, " DIGEST_TAIL,                   /* open quote */
		"Digest username u, " DIGEST_TAIL,                     /* no '=' */
		"Digest username=u " DIGEST_TAIL,                      /* no comma */
		"Digest username=, " DIGEST_TAIL,                      /* no value */
		"Digest =u, " DIGEST_TAIL,
		"Digest username=u;, " DIGEST_TAIL,
		"Digest username=\"a\rb\", " DIGEST_TAIL,              /* CTL */
		"Digest username=\"a\\\nb\", " DIGEST_TAIL,            /* escaped CTL */
		"Digest username=\"a\tb\", " DIGEST_TAIL,              /* HTAB in a name */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth, response=\"" RFC_MD5 "\\",          /* trailing \ */
		"Digest " ,
		"Digest",
		"Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ==",                 /* token68 */
		/* qop values we do not know */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=bogus, response=" RFC_MD5,
		"Digest username=u, userhash=maybe, " DIGEST_TAIL,
	};
	struct auth_credentials c;

	(void)state;
	assert_int_equal(parse("Digest username=u, " DIGEST_TAIL, &c), AUTH_PARSE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &c) != AUTH_PARSE_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(c.scheme, AUTH_SCHEME_DIGEST);
	}
	/* the username survives a malformed header, for the audit record */
	assert_int_equal(parse("Digest username=\"mallory\", realm=r, qop=auth", &c),
			 AUTH_PARSE_MALFORMED);
	assert_string_equal(c.username, "mallory");
}

static void test_digest_unsupported(void **state)
{
	static const char *const unsupported[] = {
		"Digest username=u, algorithm=MD5-sess, " DIGEST_TAIL,
		"Digest username=u, algorithm=SHA-256-sess, " DIGEST_TAIL,
		"Digest username=u, algorithm=SHA-512-256, " DIGEST_TAIL,
		"Digest username=u, algorithm=\"SHA-512-256-sess\", " DIGEST_TAIL,
		"Digest username=u, userhash=true, " DIGEST_TAIL,
		/* qop=auth-int, and RFC 2069 style without qop */
		"Digest username=u, realm=r, nonce=n, uri=\"/\", nc=00000001, cnonce=c, "
			"qop=auth-int, response=" RFC_MD5,
		"Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
			"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
			"response=\"1949323746fe6a43ef61f9606e7febea\"",
	};
	struct auth_credentials c;

	(void)state;
	assert_int_equal(parse("Digest username=u, userhash=false, " DIGEST_TAIL, &c),
			 AUTH_PARSE_OK);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (parse(unsupported[i], &c) != AUTH_PARSE_UNSUPPORTED)
			fail_msg("not refused as unsupported: %s", unsupported[i]);
		assert_int_equal(c.scheme, AUTH_SCHEME_DIGEST);
	}
	assert_int_equal(parse("Digest username=u, userhash=TRUE, " DIGEST_TAIL, &c),
			 AUTH_PARSE_UNSUPPORTED);
	assert_int_equal(c.userhash, 1);
}

static void test_digest_limits(void **state)
{
	static char h[4096];
	struct auth_credentials c;
	char *p;

	(void)state;
	/* a username of AUTH_USER_MAX bytes fits, one more does not */
	p = h + sprintf(h, "Digest username=\"");
	memset(p, 'u', AUTH_USER_MAX);
	sprintf(p + AUTH_USER_MAX, "\", " DIGEST_TAIL);
	assert_int_equal(parse(h, &c), AUTH_PARSE_OK);
	assert_int_equal(strlen(c.username), AUTH_USER_MAX);
	p = h + sprintf(h, "Digest username=\"");
	memset(p, 'u', AUTH_USER_MAX + 1);
	sprintf(p + AUTH_USER_MAX + 1, "\", " DIGEST_TAIL);
	assert_int_equal(parse(h, &c), AUTH_PARSE_MALFORMED);

	/* uri fills its field exactly, then overflows it */
	p = h + sprintf(h, "Digest username=u, uri=\"/");
	memset(p, 'x', sizeof(c.uri) - 2);
	sprintf(p + sizeof(c.uri) - 2, "\", realm=r, nonce=n, nc=00000001, cnonce=c, "
		"qop=auth, response=" RFC_MD5);
	assert_int_equal(parse(h, &c), AUTH_PARSE_OK);
	assert_int_equal(strlen(c.uri), sizeof(c.uri) - 1);
	p = h + sprintf(h, "Digest username=u, uri=\"/");
	memset(p, 'x', sizeof(c.uri) - 1);
	sprintf(p + sizeof(c.uri) - 1, "\", realm=r, nonce=n, nc=00000001, cnonce=c, "
		"qop=auth, response=" RFC_MD5);
	assert_int_equal(parse(h, &c), AUTH_PARSE_MALFORMED);

	/* a nonce longer than any of ours */
	p = h + sprintf(h, "Digest username=u, nonce=");
	memset(p, 'n', AUTH_NONCE_MAX + 1);
	sprintf(p + AUTH_NONCE_MAX + 1, ", realm=r, uri=\"/\", nc=00000001, cnonce=c, "
		"qop=auth, response=" RFC_MD5);
	assert_int_equal(parse(h, &c), AUTH_PARSE_MALFORMED);
}

/* ------------------------------------------------------------ misc */

static void test_secret_equal(void **state)
{
	(void)state;
	assert_true(auth_secret_equal("", ""));
	assert_true(auth_secret_equal("abc", "abc"));
	assert_false(auth_secret_equal("abc", "abd"));
	assert_false(auth_secret_equal("xbc", "abc"));
	assert_false(auth_secret_equal("abc", "abcd"));
	assert_false(auth_secret_equal("abcd", "abc"));
	assert_false(auth_secret_equal("", "a"));
	assert_false(auth_secret_equal(RFC_SHA256, RFC_MD5));
}

/* ------------------------------------------------------------ nonces */

static void test_nonce_roundtrip(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 1024);
	char nonce[AUTH_NONCE_MAX + 1], other[AUTH_NONCE_MAX + 1];

	(void)state;
	assert_non_null(n);
	auth_nonce_make(n, 1000000, nonce);
	assert_int_equal(strlen(nonce), 32);
	assert_int_equal(strspn(nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_"), 32);
	auth_nonce_make(n, 1000001, other);
	assert_string_not_equal(nonce, other);

	assert_int_equal(auth_nonce_peek(n, nonce, 1000000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_peek(n, nonce, 1000300), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_peek(n, nonce, 1000301), AUTH_NONCE_STALE);
	/* a clock stepped back by more than the lifetime */
	assert_int_equal(auth_nonce_peek(n, nonce, 1000000 - 301), AUTH_NONCE_STALE);
	assert_int_equal(auth_nonce_check(n, nonce, 1, 1000301), AUTH_NONCE_STALE);
	assert_int_equal(auth_nonce_check(n, nonce, 1, 1000010), AUTH_NONCE_VALID);
	auth_nonces_free(n);
	auth_nonces_free(NULL);
}

static void test_nonce_forged(void **state)
{
	static const uint8_t secret2[32] = "another secret, 32 bytes long..";
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	struct auth_nonces *n2 = auth_nonces_new(secret2, 300, 64);
	char nonce[AUTH_NONCE_MAX + 1], bad[AUTH_NONCE_MAX + 8];

	(void)state;
	assert_non_null(n);
	assert_non_null(n2);
	auth_nonce_make(n2, 5000, nonce);
	assert_int_equal(auth_nonce_peek(n2, nonce, 5000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_peek(n, nonce, 5000), AUTH_NONCE_INVALID);
	assert_int_equal(auth_nonce_check(n, nonce, 1, 5000), AUTH_NONCE_INVALID);

	auth_nonce_make(n, 5000, nonce);
	for (size_t i = 0; i < 32; i++) {
		strcpy(bad, nonce);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(auth_nonce_peek(n, bad, 5000), AUTH_NONCE_INVALID);
	}
	/* the timestamp cannot be moved forward without the secret */
	strcpy(bad, nonce);
	bad[10] = bad[10] == 'z' ? 'y' : 'z';
	assert_int_equal(auth_nonce_check(n, bad, 1, 5000), AUTH_NONCE_INVALID);
	snprintf(bad, sizeof(bad), "%sA", nonce);
	assert_int_equal(auth_nonce_peek(n, bad, 5000), AUTH_NONCE_INVALID);
	bad[31] = '\0';
	assert_int_equal(auth_nonce_peek(n, bad, 5000), AUTH_NONCE_INVALID);
	assert_int_equal(auth_nonce_peek(n, "", 5000), AUTH_NONCE_INVALID);
	assert_int_equal(auth_nonce_peek(n, RFC_NONCE, 5000), AUTH_NONCE_INVALID);
	strcpy(bad, nonce);
	bad[5] = '+';      /* standard alphabet, not base64url */
	assert_int_equal(auth_nonce_peek(n, bad, 5000), AUTH_NONCE_INVALID);
	auth_nonces_free(n);
	auth_nonces_free(n2);
}

static void test_nonce_replay(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 1024);
	char nonce[AUTH_NONCE_MAX + 1], other[AUTH_NONCE_MAX + 1];

	(void)state;
	assert_non_null(n);
	auth_nonce_make(n, 1000, nonce);
	auth_nonce_make(n, 1001, other);
	assert_int_equal(auth_nonce_check(n, nonce, 1, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 1, 1000), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_check(n, nonce, 2, 1000), AUTH_NONCE_VALID);
	/* peek does no bookkeeping */
	assert_int_equal(auth_nonce_peek(n, nonce, 1000), AUTH_NONCE_VALID);
	/* out of order inside the window, each once */
	assert_int_equal(auth_nonce_check(n, nonce, 5, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 3, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 4, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 3, 1000), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_check(n, nonce, 5, 1000), AUTH_NONCE_REPLAY);
	/* the same count on another nonce is fine */
	assert_int_equal(auth_nonce_check(n, other, 5, 1001), AUTH_NONCE_VALID);

	/* window of 64 below the highest count seen */
	assert_int_equal(auth_nonce_check(n, nonce, 100, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 37, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 36, 1000), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_check(n, nonce, 6, 1000), AUTH_NONCE_REPLAY);
	/* a jump far ahead clears the window */
	assert_int_equal(auth_nonce_check(n, nonce, 1000, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 999, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 100, 1000), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_check(n, nonce, 0xffffffffu, 1000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce, 0xffffffffu, 1000), AUTH_NONCE_REPLAY);
	assert_int_equal(auth_nonce_check(n, nonce, 0, 1000), AUTH_NONCE_INVALID);
	auth_nonces_free(n);
}

/* A table of one bucket (4 entries) makes the eviction rules visible. */
static void test_nonce_eviction(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 4);
	char nonce[8][AUTH_NONCE_MAX + 1];

	(void)state;
	assert_non_null(n);
	for (int i = 0; i < 8; i++)
		auth_nonce_make(n, 1000 + i, nonce[i]);
	for (int i = 0; i < 4; i++)
		assert_int_equal(auth_nonce_check(n, nonce[i], 1, 1010), AUTH_NONCE_VALID);
	/* a fifth nonce pushes out the oldest (1000) */
	assert_int_equal(auth_nonce_check(n, nonce[4], 1, 1010), AUTH_NONCE_VALID);
	/* the others are still tracked */
	for (int i = 1; i < 5; i++)
		assert_int_equal(auth_nonce_check(n, nonce[i], 1, 1010), AUTH_NONCE_REPLAY);
	/* the forgotten one cannot be replayed: it is answered stale, and the
	 * client starts over with a fresh nonce */
	assert_int_equal(auth_nonce_check(n, nonce[0], 1, 1010), AUTH_NONCE_STALE);
	assert_int_equal(auth_nonce_check(n, nonce[0], 2, 1010), AUTH_NONCE_STALE);
	/* newer nonces than anything forgotten are still accepted */
	assert_int_equal(auth_nonce_check(n, nonce[5], 1, 1010), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce[5], 2, 1010), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce[5], 2, 1010), AUTH_NONCE_REPLAY);
	/* nonce[1] was pushed out by nonce[5] */
	assert_int_equal(auth_nonce_check(n, nonce[1], 7, 1010), AUTH_NONCE_STALE);
	auth_nonces_free(n);

	/* a table of size 0 still works (one bucket) */
	n = auth_nonces_new(secret, 300, 0);
	assert_non_null(n);
	assert_int_equal(auth_nonce_check(n, nonce[0], 1, 1010), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, nonce[0], 1, 1010), AUTH_NONCE_REPLAY);
	auth_nonces_free(n);
}

#define RACE_THREADS 8
#define RACE_NONCES  64
#define RACE_COUNTS  64

struct race {
	struct auth_nonces *n;
	char (*nonces)[AUTH_NONCE_MAX + 1];
	int valid;
};

static void *race_cb(void *arg)
{
	struct race *r = arg;

	for (uint32_t nc = 1; nc <= RACE_COUNTS; nc++)
		for (int i = 0; i < RACE_NONCES; i++)
			if (auth_nonce_check(r->n, r->nonces[i], nc, 2000) ==
			    AUTH_NONCE_VALID)
				r->valid++;
	return NULL;
}

/* Several threads present the same nonces and counts: each pair is
 * accepted exactly once. */
static void test_nonce_threads(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 1 << 14);
	static char nonces[RACE_NONCES][AUTH_NONCE_MAX + 1];
	struct race r[RACE_THREADS];
	pthread_t t[RACE_THREADS];
	int total = 0;

	(void)state;
	assert_non_null(n);
	/* distinct timestamps, so no nonce is taken for an evicted one */
	for (int i = 0; i < RACE_NONCES; i++)
		auth_nonce_make(n, 2000 - i, nonces[i]);
	for (int i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct race){ .n = n, .nonces = nonces };
		assert_int_equal(pthread_create(&t[i], NULL, race_cb, &r[i]), 0);
	}
	for (int i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i], NULL);
		total += r[i].valid;
	}
	assert_int_equal(total, RACE_NONCES * RACE_COUNTS);
	auth_nonces_free(n);
}

/* ------------------------------------------------------------ challenge */

/* opaque="..." of the first line, which must be 32 hex digits */
static void get_opaque(const char *buf, char out[33])
{
	const char *p = strstr(buf, "opaque=\"");

	assert_non_null(p);
	p += 8;
	assert_int_equal(strspn(p, "0123456789abcdef"), 32);
	assert_int_equal(p[32], '"');
	memcpy(out, p, 32);
	out[32] = '\0';
}

/* The nonce of the first challenge line in buf. */
static void get_nonce(const char *buf, char *out)
{
	const char *p = strstr(buf, "nonce=\"");
	const char *q;

	assert_non_null(p);
	p += 7;
	q = strchr(p, '"');
	assert_non_null(q);
	assert_true(q - p <= AUTH_NONCE_MAX);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
}

/* Two clients challenged in the same second must get different nonces,
 * or the second one's nc=00000001 is refused as a replay. */
static void test_nonces_unique_within_a_second(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	char a[AUTH_NONCE_MAX + 1], b[AUTH_NONCE_MAX + 1];

	(void)state;
	auth_nonce_make(n, 7000, a);
	auth_nonce_make(n, 7000, b);
	assert_string_not_equal(a, b);
	assert_int_equal(auth_nonce_check(n, a, 1, 7000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, b, 1, 7000), AUTH_NONCE_VALID);
	assert_int_equal(auth_nonce_check(n, a, 1, 7000), AUTH_NONCE_REPLAY);
	auth_nonces_free(n);
}

static void test_challenge_all(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	unsigned all = CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5 |
		       CONFIG_SCHEME_BASIC;
	char buf[1024], want[1024], nonce[AUTH_NONCE_MAX + 1], opaque[33];
	int len;

	(void)state;
	assert_non_null(n);
	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate", all,
				     "Portcullis", n, 7000, 0);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	get_opaque(buf, opaque);
	get_nonce(buf, nonce);
	snprintf(want, sizeof(want),
		 "Proxy-Authenticate: Digest realm=\"Portcullis\", qop=\"auth\", "
		 "algorithm=SHA-256, nonce=\"%s\", opaque=\"%s\"\r\n"
		 "Proxy-Authenticate: Digest realm=\"Portcullis\", qop=\"auth\", "
		 "algorithm=MD5, nonce=\"%s\", opaque=\"%s\"\r\n"
		 "Proxy-Authenticate: Basic realm=\"Portcullis\", charset=\"UTF-8\"\r\n",
		 nonce, opaque, nonce, opaque);
	assert_string_equal(buf, want);

	/* stale=true on the Digest challenges only; another header name */
	len = auth_challenge_headers(buf, sizeof(buf), "WWW-Authenticate", all,
				     "Portcullis", n, 7000, 1);
	get_nonce(buf, nonce);
	snprintf(want, sizeof(want),
		 "WWW-Authenticate: Digest realm=\"Portcullis\", qop=\"auth\", "
		 "algorithm=SHA-256, nonce=\"%s\", opaque=\"%s\", stale=true\r\n"
		 "WWW-Authenticate: Digest realm=\"Portcullis\", qop=\"auth\", "
		 "algorithm=MD5, nonce=\"%s\", opaque=\"%s\", stale=true\r\n"
		 "WWW-Authenticate: Basic realm=\"Portcullis\", charset=\"UTF-8\"\r\n",
		 nonce, opaque, nonce, opaque);
	assert_string_equal(buf, want);
	assert_int_equal(len, (int)strlen(want));

	/* the challenge's nonce is one we accept */
	assert_int_equal(auth_nonce_peek(n, nonce, 7000), AUTH_NONCE_VALID);
	auth_nonces_free(n);
}

static void test_challenge_subsets(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	char buf[1024];
	int len;

	(void)state;
	assert_non_null(n);
	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
				     CONFIG_SCHEME_BASIC, "a \"quoted\\\" realm", n, 1, 1);
	assert_string_equal(buf, "Proxy-Authenticate: Basic realm=\"a \\\"quoted\\\\\\\" "
			    "realm\", charset=\"UTF-8\"\r\n");
	assert_int_equal(len, (int)strlen(buf));
	/* Negotiate before the others (RFC 4559 §4.1: no parameters) */
	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
				     CONFIG_SCHEME_NEGOTIATE | CONFIG_SCHEME_BASIC, "r", NULL, 1, 0);
	assert_string_equal(buf, "Proxy-Authenticate: Negotiate\r\n"
			    "Proxy-Authenticate: Basic realm=\"r\", charset=\"UTF-8\"\r\n");
	assert_int_equal(len, (int)strlen(buf));
	/* Basic needs no nonces */
	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
				     CONFIG_SCHEME_BASIC, "r", NULL, 1, 0);
	assert_string_equal(buf, "Proxy-Authenticate: Basic realm=\"r\", charset=\"UTF-8\"\r\n");

	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
				     CONFIG_SCHEME_DIGEST_MD5, "r", n, 1, 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "algorithm=MD5"));
	assert_null(strstr(buf, "SHA-256"));
	assert_null(strstr(buf, "Basic"));
	assert_null(strstr(buf, "stale"));
	assert_int_equal(strchr(buf, '\n') - buf + 1, len);   /* one line */

	len = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate", 0, "r", n,
				     1, 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");

	/* Digest without nonces, or a realm that would split the header */
	assert_int_equal(auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
						CONFIG_SCHEME_DIGEST_SHA256, "r", NULL, 1, 0), -1);
	assert_int_equal(auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
						CONFIG_SCHEME_BASIC, "r\r\nX-Evil: 1", n, 1, 0),
			 -1);
	auth_nonces_free(n);
}

static void test_challenge_buffer_size(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	unsigned all = CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5 |
		       CONFIG_SCHEME_BASIC;
	char buf[1024];
	int need;

	(void)state;
	assert_non_null(n);
	need = auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate", all, "R",
				      n, 9, 1);
	assert_true(need > 0);
	for (int len = 0; len <= need; len++) {
		char *small = malloc((size_t)len + 1);

		assert_non_null(small);
		assert_int_equal(auth_challenge_headers(small, (size_t)len,
							"Proxy-Authenticate", all, "R",
							n, 9, 1), -1);
		free(small);
	}
	assert_int_equal(auth_challenge_headers(buf, (size_t)need + 1,
						"Proxy-Authenticate", all, "R", n, 9, 1),
			 need);
	auth_nonces_free(n);
}

/*
 * The whole Digest exchange as a client and the gate would do it: take
 * the nonce from the challenge, answer it, parse the answer, check it.
 */
static void test_digest_exchange(void **state)
{
	struct auth_nonces *n = auth_nonces_new(secret, 300, 64);
	struct auth_credentials c;
	char buf[1024], nonce[AUTH_NONCE_MAX + 1], ha1[AUTH_HEX_MAX];
	char resp[AUTH_HEX_MAX], header[2048];
	const char *p;

	(void)state;
	assert_non_null(n);
	assert_true(auth_challenge_headers(buf, sizeof(buf), "Proxy-Authenticate",
					   CONFIG_SCHEME_DIGEST_SHA256, "gw", n, 100, 0) > 0);
	p = strstr(buf, "nonce=\"");
	assert_non_null(p);
	p += 7;
	memcpy(nonce, p, (size_t)(strchr(p, '"') - p));
	nonce[strchr(p, '"') - p] = '\0';

	/* the client's side, with the generic functions */
	memset(&c, 0, sizeof(c));
	strcpy(c.nonce, nonce);
	strcpy(c.uri, "example.com:443");
	strcpy(c.cnonce, "0a4f113b");
	strcpy(c.qop, "auth");
	c.nc = 1;
	auth_digest_ha1(AUTH_DIGEST_SHA256, "alice", "gw", "s3cr3t: x", 9, ha1);
	auth_digest_response(AUTH_DIGEST_SHA256, ha1, &c, "CONNECT", 7, resp);
	snprintf(header, sizeof(header),
		 "Digest username=\"alice\", realm=\"gw\", nonce=\"%s\", "
		 "uri=\"example.com:443\", algorithm=SHA-256, response=\"%s\", "
		 "qop=auth, nc=00000001, cnonce=\"0a4f113b\"", nonce, resp);

	/* the gate's side */
	assert_int_equal(parse(header, &c), AUTH_PARSE_OK);
	assert_int_equal(auth_nonce_peek(n, c.nonce, 110), AUTH_NONCE_VALID);
	auth_digest_ha1(c.alg, c.username, c.realm, "s3cr3t: x", 9, ha1);
	auth_digest_response(c.alg, ha1, &c, "CONNECT", 7, resp);
	assert_true(auth_secret_equal(resp, c.response));
	assert_int_equal(auth_nonce_check(n, c.nonce, c.nc, 110), AUTH_NONCE_VALID);
	/* the same request again is a replay */
	assert_int_equal(auth_nonce_check(n, c.nonce, c.nc, 111), AUTH_NONCE_REPLAY);
	auth_nonces_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_ok),
		cmocka_unit_test(test_basic_password_characters),
		cmocka_unit_test(test_basic_bad_user_pass),
		cmocka_unit_test(test_basic_limits),
		cmocka_unit_test(test_basic_bad_base64),
		cmocka_unit_test(test_scheme),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_limit),
		cmocka_unit_test(test_digest_rfc7616_sha256),
		cmocka_unit_test(test_digest_rfc7616_md5),
		cmocka_unit_test(test_digest_syntax_variants),
		cmocka_unit_test(test_digest_username_ext),
		cmocka_unit_test(test_digest_malformed),
		cmocka_unit_test(test_digest_unsupported),
		cmocka_unit_test(test_digest_limits),
		cmocka_unit_test(test_secret_equal),
		cmocka_unit_test(test_nonce_roundtrip),
		cmocka_unit_test(test_nonce_forged),
		cmocka_unit_test(test_nonce_replay),
		cmocka_unit_test(test_nonce_eviction),
		cmocka_unit_test(test_nonce_threads),
		cmocka_unit_test(test_challenge_all),
		cmocka_unit_test(test_nonces_unique_within_a_second),
		cmocka_unit_test(test_challenge_subsets),
		cmocka_unit_test(test_challenge_buffer_size),
		cmocka_unit_test(test_digest_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
