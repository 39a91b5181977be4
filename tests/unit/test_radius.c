#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "radius.h"

/* RFC 2865 §7.1: user nemo, password arctangent, secret xyzzy5461 */
static const uint8_t rfc_secret[] = "xyzzy5461";
#define RFC_SECRET_LEN 9
static const uint8_t rfc_request_auth[16] = {
	0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
	0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a,
};
static const uint8_t rfc_hidden_password[16] = {
	0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce,
	0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee,
};
/* its Access-Accept: Service-Type Login, Login-Service Telnet,
 * Login-IP-Host 192.168.1.3; no Message-Authenticator */
static const uint8_t rfc_accept[] = {
	0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24, 0xba, 0x2a,
	0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2, 0x06, 0x06, 0x00, 0x00,
	0x00, 0x01, 0x0f, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8,
	0x01, 0x03,
};

static const uint8_t secret[] = "s3cret-shared";
#define SECRET_LEN (sizeof(secret) - 1)
static const uint8_t req_auth[16] = "0123456789abcdef";

/* The value of the first attribute of type in pkt, or NULL. */
static const uint8_t *find_attr(const uint8_t *pkt, size_t len, uint8_t type, size_t *vlen)
{
	for (size_t pos = 20; pos + 2 <= len && pkt[pos + 1] >= 2; pos += pkt[pos + 1])
		if (pkt[pos] == type) {
			*vlen = pkt[pos + 1] - 2u;
			return pkt + pos + 2;
		}
	return NULL;
}

/* The first attribute of type in pkt is there and its value is the len
 * bytes of expect. */
static void assert_attr(const uint8_t *pkt, size_t n, uint8_t type, const void *expect, size_t len)
{
	size_t vlen;
	const uint8_t *v = find_attr(pkt, n, type, &vlen);

	if (!v)
		fail_msg("no attribute %u", type);
	assert_int_equal(vlen, len);
	assert_memory_equal(v, expect, len);
}

static void hmac_md5(const uint8_t *key, size_t keylen, const uint8_t *p, size_t len, uint8_t out[16])
{
	unsigned n = 16;

	assert_non_null(HMAC(EVP_md5(), key, (int)keylen, p, len, out, &n));
}

/*
 * An answer as a server would send it, computed here independently of the
 * codec: attrs appended after a Message-Authenticator (unless with_ma is
 * 0), the Message-Authenticator over the packet with the Request
 * Authenticator (RFC 3579 §3.2), then the Response Authenticator (RFC 2865
 * §3). Returns the length.
 */
static size_t make_answer(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t *attrs,
			  size_t attrs_len, int with_ma, const uint8_t *key, size_t keylen)
{
	size_t n = 20, ma = 0;
	uint8_t md[16];
	unsigned mdlen = 16;
	EVP_MD_CTX *ctx;

	pkt[0] = code;
	pkt[1] = id;
	memcpy(pkt + 4, req_auth, 16);
	if (with_ma) {
		pkt[n] = 80;
		pkt[n + 1] = 18;
		memset(pkt + n + 2, 0, 16);
		ma = n + 2;
		n += 18;
	}
	memcpy(pkt + n, attrs, attrs_len);
	n += attrs_len;
	pkt[2] = (uint8_t)(n >> 8);
	pkt[3] = (uint8_t)n;
	if (with_ma) {
		hmac_md5(key, keylen, pkt, n, md);
		memcpy(pkt + ma, md, 16);
	}
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_true(EVP_DigestInit_ex(ctx, EVP_md5(), NULL));
	assert_true(EVP_DigestUpdate(ctx, pkt, n));
	assert_true(EVP_DigestUpdate(ctx, key, keylen));
	assert_true(EVP_DigestFinal_ex(ctx, md, &mdlen));
	EVP_MD_CTX_free(ctx);
	memcpy(pkt + 4, md, 16);
	return n;
}

static void test_rfc2865_password_hiding(void **state)
{
	struct sockaddr_in nas = { .sin_family = AF_INET };
	struct radius_request rq = {
		.user = "nemo", .user_len = 4, .password = "arctangent", .password_len = 10,
		.nas_address = (struct sockaddr *)&nas,
	};
	uint8_t pkt[4096];
	int n;

	(void)state;
	inet_pton(AF_INET, "192.168.1.16", &nas.sin_addr);
	n = radius_build_access_request(pkt, sizeof(pkt), 0, rfc_request_auth, &rq, rfc_secret,
					RFC_SECRET_LEN);
	assert_true(n > 20);
	assert_int_equal(pkt[0], 1);
	assert_int_equal(pkt[1], 0);
	assert_int_equal((pkt[2] << 8 | pkt[3]), n);
	assert_memory_equal(pkt + 4, rfc_request_auth, 16);
	assert_attr(pkt, (size_t)n, 2, rfc_hidden_password, 16);
	assert_attr(pkt, (size_t)n, 1, "nemo", 4);
	assert_attr(pkt, (size_t)n, 4, "\xc0\xa8\x01\x10", 4);
}

static void test_rfc2865_response_authenticator(void **state)
{
	uint8_t pkt[sizeof(rfc_accept)];

	(void)state;
	/* the RFC's accept is genuine but carries no Message-Authenticator:
	 * the authenticator passes, and the answer is still refused */
	assert_int_equal(radius_verify_answer(rfc_accept, sizeof(rfc_accept), 0, rfc_request_auth,
					      rfc_secret, RFC_SECRET_LEN),
			 RADIUS_NO_MESSAGE_AUTHENTICATOR);
	memcpy(pkt, rfc_accept, sizeof(pkt));
	pkt[25] ^= 1;
	assert_int_equal(radius_verify_answer(pkt, sizeof(pkt), 0, rfc_request_auth, rfc_secret,
					      RFC_SECRET_LEN),
			 RADIUS_BAD_AUTHENTICATOR);
	assert_int_equal(radius_verify_answer(rfc_accept, sizeof(rfc_accept), 0, rfc_request_auth,
					      (const uint8_t *)"xyzzy5460", 9),
			 RADIUS_BAD_AUTHENTICATOR);
}

static void test_long_password_chains_blocks(void **state)
{
	/* 20 bytes: two blocks, the second XORed with MD5(secret + the first
	 * block of ciphertext) */
	struct radius_request rq = {
		.user = "u", .user_len = 1, .password = "abcdefghijklmnopqrst", .password_len = 20,
	};
	uint8_t pkt[4096], b[16], plain[32] = "abcdefghijklmnopqrst";
	unsigned blen = 16;
	const uint8_t *v;
	size_t vlen;
	EVP_MD_CTX *ctx;
	int n;

	(void)state;
	n = radius_build_access_request(pkt, sizeof(pkt), 7, req_auth, &rq, secret, SECRET_LEN);
	assert_true(n > 0);
	v = find_attr(pkt, (size_t)n, 2, &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 32);
	for (int blk = 0; blk < 2; blk++) {
		ctx = EVP_MD_CTX_new();
		assert_true(EVP_DigestInit_ex(ctx, EVP_md5(), NULL));
		assert_true(EVP_DigestUpdate(ctx, secret, SECRET_LEN));
		assert_true(EVP_DigestUpdate(ctx, blk ? v : req_auth, 16));
		assert_true(EVP_DigestFinal_ex(ctx, b, &blen));
		EVP_MD_CTX_free(ctx);
		for (int i = 0; i < 16; i++)
			assert_int_equal(v[blk * 16 + i] ^ b[i], plain[blk * 16 + i]);
	}
}

static void test_request_attributes_and_message_authenticator(void **state)
{
	static const uint8_t client_mac[6] = { 0x02, 0xab, 0xcd, 0x00, 0x01, 0xfe };
	static const uint8_t nas_mac[6] = { 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct sockaddr_in6 nas = { .sin6_family = AF_INET6 }, client = { .sin6_family = AF_INET6 };
	struct radius_request rq = {
		.user = "alice", .user_len = 5, .password = "", .password_len = 0,
		.nas_identifier = "gw-east", .nas_address = (struct sockaddr *)&nas,
		.client = (struct sockaddr *)&client, .client_mac = client_mac, .nas_mac = nas_mac,
		.service_type = RADIUS_SERVICE_LOGIN, .nas_port_type = RADIUS_PORT_TYPE_ETHERNET,
	};
	uint8_t pkt[4096], copy[4096], md[16];
	const uint8_t *v;
	size_t vlen;
	int n;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &nas.sin6_addr);
	inet_pton(AF_INET6, "::ffff:10.0.0.9", &client.sin6_addr);
	n = radius_build_access_request(pkt, sizeof(pkt), 200, req_auth, &rq, secret, SECRET_LEN);
	assert_true(n > 0);
	assert_int_equal(pkt[1], 200);
	/* the Message-Authenticator is the first attribute */
	assert_int_equal(pkt[20], 80);
	assert_int_equal(pkt[21], 18);
	memcpy(copy, pkt, (size_t)n);
	memset(copy + 22, 0, 16);
	hmac_md5(secret, SECRET_LEN, copy, (size_t)n, md);
	assert_memory_equal(pkt + 22, md, 16);
	/* an empty password is one block of NULs, hidden */
	v = find_attr(pkt, (size_t)n, 2, &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 16);
	assert_attr(pkt, (size_t)n, 32, "gw-east", 7);
	assert_attr(pkt, (size_t)n, 95, nas.sin6_addr.s6_addr, 16);
	assert_null(find_attr(pkt, (size_t)n, 4, &vlen));
	/* a mapped client address is an IPv4 Framed-IP-Address */
	assert_attr(pkt, (size_t)n, 8, "\x0a\x00\x00\x09", 4);
	assert_attr(pkt, (size_t)n, 31, "02-AB-CD-00-01-FE", 17);
	assert_attr(pkt, (size_t)n, 30, "0A-0B-0C-0D-0E-0F", 17);
	assert_attr(pkt, (size_t)n, 61, "\x00\x00\x00\x0f", 4);
	assert_attr(pkt, (size_t)n, 6, "\x00\x00\x00\x01", 4);
}

static void test_build_refuses_out_of_range(void **state)
{
	char longpw[130], longuser[260];
	struct radius_request rq = { .user = "u", .user_len = 1, .password = longpw };
	uint8_t pkt[4096];

	(void)state;
	memset(longpw, 'p', sizeof(longpw));
	memset(longuser, 'u', sizeof(longuser));
	rq.password_len = 128;
	assert_true(radius_build_access_request(pkt, sizeof(pkt), 1, req_auth, &rq, secret, SECRET_LEN) > 0);
	rq.password_len = 129;
	assert_int_equal(radius_build_access_request(pkt, sizeof(pkt), 1, req_auth, &rq, secret, SECRET_LEN), -1);
	rq.password_len = 4;
	rq.user = longuser;
	rq.user_len = 254;
	assert_int_equal(radius_build_access_request(pkt, sizeof(pkt), 1, req_auth, &rq, secret, SECRET_LEN), -1);
	rq.user_len = 0;
	assert_int_equal(radius_build_access_request(pkt, sizeof(pkt), 1, req_auth, &rq, secret, SECRET_LEN), -1);
	rq.user_len = 253;
	assert_true(radius_build_access_request(pkt, sizeof(pkt), 1, req_auth, &rq, secret, SECRET_LEN) > 0);
	/* a buffer too small for the packet */
	assert_int_equal(radius_build_access_request(pkt, 100, 1, req_auth, &rq, secret, SECRET_LEN), -1);
	assert_int_equal(radius_build_access_request(pkt, 10, 1, req_auth, &rq, secret, SECRET_LEN), -1);
}

/* Session-Timeout 3600, Idle-Timeout 300, Acct-Interim-Interval 60,
 * Class "grp=staff", two Reply-Messages, the second with a newline and an
 * ESC in it */
static const uint8_t accept_attrs[] = {
	27, 6, 0, 0, 0x0e, 0x10,
	28, 6, 0, 0, 0x01, 0x2c,
	85, 6, 0, 0, 0, 60,
	25, 11, 'g', 'r', 'p', '=', 's', 't', 'a', 'f', 'f',
	18, 7, 'H', 'e', 'l', 'l', 'o',
	18, 8, 'a', '\n', 'b', 0x1b, '<', '>',
};

static void test_valid_answer_verified_and_parsed(void **state)
{
	uint8_t pkt[4096];
	struct radius_reply r;
	size_t n;

	(void)state;
	n = make_answer(pkt, 2, 42, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 42, req_auth, secret, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_parse_reply(pkt, n, &r), 0);
	assert_int_equal(r.code, RADIUS_ACCESS_ACCEPT);
	assert_int_equal(r.session_timeout, 3600);
	assert_int_equal(r.idle_timeout, 300);
	assert_int_equal(r.acct_interim_interval, 60);
	assert_int_equal(r.class_len, 9);
	assert_memory_equal(r.class_value, "grp=staff", 9);
	assert_string_equal(r.reply_message, "Hello\na b <>");
	/* octets past the Length field are padding (RFC 2865 §3) */
	memset(pkt + n, 0xee, 10);
	assert_int_equal(radius_verify_answer(pkt, n + 10, 42, req_auth, secret, SECRET_LEN), RADIUS_OK);
	/* a reject is an answer too */
	n = make_answer(pkt, 3, 42, accept_attrs + 29, 7, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 42, req_auth, secret, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_parse_reply(pkt, n, &r), 0);
	assert_int_equal(r.code, RADIUS_ACCESS_REJECT);
	assert_int_equal(r.session_timeout, -1);
	assert_int_equal(r.class_len, 0);
	assert_string_equal(r.reply_message, "Hello");
}

static void test_forged_answers_refused(void **state)
{
	uint8_t pkt[4096];
	size_t n;

	(void)state;
	/* no Message-Authenticator, authenticator right: BlastRADIUS */
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 0, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_NO_MESSAGE_AUTHENTICATOR);
	/* signed with another secret */
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 1,
			(const uint8_t *)"other", 5);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_AUTHENTICATOR);
	/* a Message-Authenticator that is wrong, with a Response Authenticator
	 * recomputed over it (what an attacker who can forge MD5 sends) */
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	pkt[22] ^= 0x80;
	{
		uint8_t md[16];
		unsigned mdlen = 16;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		memcpy(pkt + 4, req_auth, 16);
		assert_true(EVP_DigestInit_ex(ctx, EVP_md5(), NULL));
		assert_true(EVP_DigestUpdate(ctx, pkt, n));
		assert_true(EVP_DigestUpdate(ctx, secret, SECRET_LEN));
		assert_true(EVP_DigestFinal_ex(ctx, md, &mdlen));
		EVP_MD_CTX_free(ctx);
		memcpy(pkt + 4, md, 16);
	}
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_MESSAGE_AUTHENTICATOR);
	/* another request's identifier, another request's authenticator */
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 2, req_auth, secret, SECRET_LEN), RADIUS_WRONG_ID);
	assert_int_equal(radius_verify_answer(pkt, n, 1, rfc_request_auth, secret, SECRET_LEN),
			 RADIUS_BAD_AUTHENTICATOR);
	/* one changed attribute byte */
	pkt[n - 1] ^= 1;
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_AUTHENTICATOR);
	/* codes that do not answer an Access-Request */
	n = make_answer(pkt, 1, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_NOT_AN_ANSWER);
	n = make_answer(pkt, 5, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_NOT_AN_ANSWER);
}

static void test_two_or_short_message_authenticators_refused(void **state)
{
	uint8_t attrs[64], pkt[4096];
	size_t n;

	(void)state;
	/* a second Message-Authenticator after the valid one */
	attrs[0] = 80;
	attrs[1] = 18;
	memset(attrs + 2, 0, 16);
	n = make_answer(pkt, 2, 1, attrs, 18, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_MESSAGE_AUTHENTICATOR);
	/* one of 4 bytes */
	attrs[1] = 6;
	n = make_answer(pkt, 2, 1, attrs, 6, 0, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_MESSAGE_AUTHENTICATOR);
}

static void test_framing_lies_refused(void **state)
{
	uint8_t pkt[4096];
	struct radius_reply r;
	size_t n;

	(void)state;
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	/* shorter than the header, shorter than its Length */
	assert_int_equal(radius_verify_answer(pkt, 19, 1, req_auth, secret, SECRET_LEN), RADIUS_MALFORMED);
	assert_int_equal(radius_verify_answer(pkt, n - 1, 1, req_auth, secret, SECRET_LEN), RADIUS_MALFORMED);
	assert_int_equal(radius_parse_reply(pkt, n - 1, &r), -1);
	assert_int_equal(radius_verify_answer(pkt, 0, 1, req_auth, secret, SECRET_LEN), RADIUS_MALFORMED);
	/* a Length below the header's or past 4096 */
	pkt[2] = 0;
	pkt[3] = 19;
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN), RADIUS_MALFORMED);
	pkt[2] = 0x10;
	pkt[3] = 0x01;
	assert_int_equal(radius_verify_answer(pkt, sizeof(pkt), 1, req_auth, secret, SECRET_LEN),
			 RADIUS_MALFORMED);
	/* a Length that ends inside an attribute */
	n = make_answer(pkt, 2, 1, accept_attrs, sizeof(accept_attrs), 1, secret, SECRET_LEN);
	pkt[3] = (uint8_t)(n - 3);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN), RADIUS_MALFORMED);
	/* attribute lengths of 0, 1 and past the end */
	for (int bad = 0; bad < 3; bad++) {
		uint8_t attrs[] = { 27, 6, 0, 0, 0, 1, 18, 3, 'x' };

		attrs[1] = bad == 0 ? 0 : bad == 1 ? 1 : 10;
		n = make_answer(pkt, 2, 1, attrs, sizeof(attrs), 1, secret, SECRET_LEN);
		assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
				 RADIUS_MALFORMED);
		assert_int_equal(radius_parse_reply(pkt, n, &r), -1);
	}
	/* a lone type byte at the end */
	{
		uint8_t attrs[] = { 18, 3, 'x', 27 };

		n = make_answer(pkt, 2, 1, attrs, sizeof(attrs), 1, secret, SECRET_LEN);
		assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN),
				 RADIUS_MALFORMED);
	}
}

/* The attribute walk both codecs share: every attribute in order, with
 * its value and length; the padding past Length never read; a packet whose
 * framing lies never walked. */
static void test_attribute_walk(void **state)
{
	static const uint8_t attrs[] = { 27, 6, 0, 0, 0x0e, 0x10, 18, 2, 25, 5, 'a', 'b', 'c',
					 28, 5, 0, 0, 1 };
	static const uint8_t types[] = { 80, 27, 18, 25, 28 };
	static const size_t lens[] = { 16, 4, 0, 3, 3 };
	static const long u32s[] = { -1, 3600, -1, -1, -1 };
	struct radius_attr_iter it;
	struct radius_attr a;
	uint8_t pkt[256];
	size_t n, i = 0;

	(void)state;
	n = make_answer(pkt, 2, 1, attrs, sizeof(attrs), 1, secret, SECRET_LEN);
	/* padding past Length that looks like one more attribute */
	pkt[n] = 27;
	pkt[n + 1] = 6;
	assert_int_equal(radius_attr_begin(&it, pkt, n + 6), 0);
	while (radius_attr_next(&it, &a)) {
		assert_true(i < sizeof(types));
		assert_int_equal(a.type, types[i]);
		assert_int_equal(a.len, lens[i]);
		assert_int_equal(radius_attr_u32(&a), u32s[i]);
		i++;
	}
	assert_int_equal(i, sizeof(types));
	assert_memory_equal(a.value, "\0\0\1", 3);
	assert_int_equal(radius_attr_next(&it, &a), 0);
	/* an attribute running past Length */
	pkt[3] = (uint8_t)(n - 1);
	assert_int_equal(radius_attr_begin(&it, pkt, n), -1);
	assert_int_equal(radius_attr_next(&it, &a), 0);
}

static void test_parse_ignores_wrong_sized_integers(void **state)
{
	static const uint8_t attrs[] = { 27, 5, 0, 0, 1, 28, 7, 0, 0, 0, 1, 2, 18, 2 };
	uint8_t pkt[256];
	struct radius_reply r;
	size_t n;

	(void)state;
	n = make_answer(pkt, 2, 1, attrs, sizeof(attrs), 1, secret, SECRET_LEN);
	assert_int_equal(radius_parse_reply(pkt, n, &r), 0);
	assert_int_equal(r.session_timeout, -1);
	assert_int_equal(r.idle_timeout, -1);
	assert_string_equal(r.reply_message, "");
}

static void test_reply_message_bounded(void **state)
{
	uint8_t attrs[4000], pkt[4096];
	struct radius_reply r;
	size_t n, pos = 0;

	(void)state;
	for (int i = 0; i < 15; i++) {
		attrs[pos] = 18;
		attrs[pos + 1] = 255;
		memset(attrs + pos + 2, 'a' + i, 253);
		pos += 255;
	}
	n = make_answer(pkt, 2, 1, attrs, pos, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 1, req_auth, secret, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_parse_reply(pkt, n, &r), 0);
	assert_int_equal(strlen(r.reply_message), RADIUS_REPLY_MESSAGE_MAX);
	assert_int_equal(r.reply_message[253], '\n');
}

/* An attribute's 32-bit value, or -1 when absent or not 4 bytes. */
static long attr_u32(const uint8_t *pkt, size_t len, uint8_t type)
{
	size_t vlen;
	const uint8_t *v = find_attr(pkt, len, type, &vlen);

	if (!v || vlen != 4)
		return -1;
	return (long)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]);
}

static void md5_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned mdlen = 16;

	assert_non_null(ctx);
	assert_true(EVP_DigestInit_ex(ctx, EVP_md5(), NULL));
	assert_true(EVP_DigestUpdate(ctx, a, alen));
	assert_true(EVP_DigestUpdate(ctx, b, blen));
	assert_true(EVP_DigestFinal_ex(ctx, out, &mdlen));
	EVP_MD_CTX_free(ctx);
}

/*
 * The authenticators of a computed-authenticator request, checked here
 * independently of the codec: the Message-Authenticator is HMAC-MD5 over
 * the packet with the authenticator and its own value zeroed, the Request
 * Authenticator MD5 over the packet with the authenticator zeroed (and the
 * Message-Authenticator in place) followed by the secret (RFC 2866 §3).
 */
static void assert_request_signed(const uint8_t *pkt, size_t n, const uint8_t *key, size_t keylen)
{
	uint8_t copy[4096], md[16];
	size_t vlen;
	const uint8_t *ma = find_attr(pkt, n, 80, &vlen);

	assert_non_null(ma);
	assert_int_equal(vlen, 16);
	memcpy(copy, pkt, n);
	memset(copy + 4, 0, 16);
	md5_two(copy, n, key, keylen, md);
	assert_memory_equal(md, pkt + 4, 16);
	memset(copy + (ma - pkt), 0, 16);
	hmac_md5(key, keylen, copy, n, md);
	assert_memory_equal(md, ma, 16);
}

static void test_accounting_start_attributes_and_authenticators(void **state)
{
	struct sockaddr_in client = { .sin_family = AF_INET }, nas = { .sin_family = AF_INET };
	static const uint8_t mac[6] = { 0x02, 0xab, 0xcd, 0x00, 0x01, 0xfe };
	static const uint8_t cls[] = "billing-7";
	struct radius_accounting a = {
		.status_type = RADIUS_ACCT_START, .session_id = "gw1-0000002a-9f3c",
		.user = "alice", .class_value = cls, .class_len = 9,
		.nas_identifier = "gw1", .nas_address = (struct sockaddr *)&nas,
		.client = (struct sockaddr *)&client, .client_mac = mac,
		.nas_port_type = RADIUS_PORT_TYPE_ETHERNET, .authentic = RADIUS_AUTHENTIC_RADIUS,
		.event_timestamp = 1764950400u,
		/* counters are for Stop and Interim only */
		.session_time = 99, .has_counters = 1, .input_octets = 5,
		.terminate_cause = RADIUS_TERM_USER_REQUEST,
	};
	uint8_t pkt[4096];
	int n;

	(void)state;
	inet_pton(AF_INET, "10.0.0.7", &client.sin_addr);
	inet_pton(AF_INET, "192.0.2.1", &nas.sin_addr);
	n = radius_build_accounting_request(pkt, sizeof(pkt), 42, &a, secret, SECRET_LEN);
	assert_true(n > 20);
	assert_int_equal(pkt[0], 4);
	assert_int_equal(pkt[1], 42);
	assert_int_equal((pkt[2] << 8 | pkt[3]), n);
	/* the Message-Authenticator first */
	assert_int_equal(pkt[20], 80);
	assert_request_signed(pkt, (size_t)n, secret, SECRET_LEN);
	assert_int_equal(attr_u32(pkt, (size_t)n, 40), RADIUS_ACCT_START);
	assert_attr(pkt, (size_t)n, 44, "gw1-0000002a-9f3c", 17);
	assert_attr(pkt, (size_t)n, 1, "alice", 5);
	assert_attr(pkt, (size_t)n, 25, "billing-7", 9);
	assert_attr(pkt, (size_t)n, 31, "02-AB-CD-00-01-FE", 17);
	assert_attr(pkt, (size_t)n, 8, "\x0a\x00\x00\x07", 4);
	assert_attr(pkt, (size_t)n, 4, "\xc0\x00\x02\x01", 4);
	assert_int_equal(attr_u32(pkt, (size_t)n, 55), 1764950400L);
	assert_int_equal(attr_u32(pkt, (size_t)n, 41), 0);
	assert_int_equal(attr_u32(pkt, (size_t)n, 45), RADIUS_AUTHENTIC_RADIUS);
	assert_int_equal(attr_u32(pkt, (size_t)n, 61), RADIUS_PORT_TYPE_ETHERNET);
	assert_int_equal(attr_u32(pkt, (size_t)n, 46), -1);
	assert_int_equal(attr_u32(pkt, (size_t)n, 42), -1);
	assert_int_equal(attr_u32(pkt, (size_t)n, 49), -1);
	assert_int_equal(radius_verify_request(pkt, (size_t)n, secret, SECRET_LEN, 1), RADIUS_OK);
	assert_int_equal(radius_verify_request(pkt, (size_t)n, (const uint8_t *)"other", 5, 1),
			 RADIUS_BAD_AUTHENTICATOR);
	pkt[n - 1] ^= 1;
	assert_int_equal(radius_verify_request(pkt, (size_t)n, secret, SECRET_LEN, 1),
			 RADIUS_BAD_AUTHENTICATOR);
}

static void test_accounting_stop_counters_and_gigawords(void **state)
{
	struct radius_accounting a = {
		.status_type = RADIUS_ACCT_STOP, .session_id = "s1", .user = "bob",
		.delay_time = 30, .session_time = 3600, .has_counters = 1,
		.input_octets = 1234, .output_octets = 5ull * 4294967296ull + 17,
		.input_packets = 10, .output_packets = 4000000,
		.terminate_cause = RADIUS_TERM_IDLE_TIMEOUT,
	};
	uint8_t pkt[4096];
	int n;

	(void)state;
	n = radius_build_accounting_request(pkt, sizeof(pkt), 7, &a, secret, SECRET_LEN);
	assert_true(n > 20);
	assert_request_signed(pkt, (size_t)n, secret, SECRET_LEN);
	assert_int_equal(attr_u32(pkt, (size_t)n, 40), RADIUS_ACCT_STOP);
	assert_int_equal(attr_u32(pkt, (size_t)n, 41), 30);
	assert_int_equal(attr_u32(pkt, (size_t)n, 46), 3600);
	assert_int_equal(attr_u32(pkt, (size_t)n, 42), 1234);
	assert_int_equal(attr_u32(pkt, (size_t)n, 52), -1);
	assert_int_equal(attr_u32(pkt, (size_t)n, 43), 17);
	assert_int_equal(attr_u32(pkt, (size_t)n, 53), 5);
	assert_int_equal(attr_u32(pkt, (size_t)n, 47), 10);
	assert_int_equal(attr_u32(pkt, (size_t)n, 48), 4000000);
	assert_int_equal(attr_u32(pkt, (size_t)n, 49), RADIUS_TERM_IDLE_TIMEOUT);
	/* an Interim-Update has no cause; without counters, no octets */
	a.status_type = RADIUS_ACCT_INTERIM;
	a.has_counters = 0;
	n = radius_build_accounting_request(pkt, sizeof(pkt), 8, &a, secret, SECRET_LEN);
	assert_true(n > 20);
	assert_int_equal(attr_u32(pkt, (size_t)n, 40), RADIUS_ACCT_INTERIM);
	assert_int_equal(attr_u32(pkt, (size_t)n, 46), 3600);
	assert_int_equal(attr_u32(pkt, (size_t)n, 49), -1);
	assert_int_equal(attr_u32(pkt, (size_t)n, 42), -1);
	assert_int_equal(attr_u32(pkt, (size_t)n, 43), -1);
}

static void test_accounting_build_refuses_out_of_range(void **state)
{
	char long_name[300];
	struct radius_accounting a = { .status_type = RADIUS_ACCT_START, .session_id = "s",
				       .user = "u" };
	uint8_t pkt[4096];

	(void)state;
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_true(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN) > 0);
	a.status_type = 4;
	assert_int_equal(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN), -1);
	a.status_type = RADIUS_ACCT_START;
	a.session_id = "";
	assert_int_equal(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN), -1);
	a.session_id = long_name;
	assert_int_equal(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN), -1);
	a.session_id = "s";
	a.user = NULL;
	assert_int_equal(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN), -1);
	a.user = long_name;
	assert_int_equal(radius_build_accounting_request(pkt, sizeof(pkt), 1, &a, secret, SECRET_LEN), -1);
	a.user = "u";
	/* too small a buffer */
	assert_int_equal(radius_build_accounting_request(pkt, 40, 1, &a, secret, SECRET_LEN), -1);
}

static void test_accounting_response_verified(void **state)
{
	uint8_t pkt[4096], copy[4096];
	size_t n;

	(void)state;
	/* no attributes, no Message-Authenticator: RFC 2866 §4.2 allows it */
	n = make_answer(pkt, 5, 3, (const uint8_t *)"", 0, 0, secret, SECRET_LEN);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_OK);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 4, req_auth, secret, SECRET_LEN),
			 RADIUS_WRONG_ID);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 3, rfc_request_auth, secret,
							   SECRET_LEN),
			 RADIUS_BAD_AUTHENTICATOR);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 3, req_auth,
							   (const uint8_t *)"other", 5),
			 RADIUS_BAD_AUTHENTICATOR);
	/* with one: it must be right */
	n = make_answer(pkt, 5, 3, (const uint8_t *)"", 0, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_OK);
	memcpy(copy, pkt, n);
	copy[22] ^= 1;
	memcpy(copy + 4, req_auth, 16);
	md5_two(copy, n, secret, SECRET_LEN, copy + 4);
	assert_int_equal(radius_verify_accounting_response(copy, n, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_BAD_MESSAGE_AUTHENTICATOR);
	/* an Access-Accept is not an Accounting-Response, nor the reverse */
	n = make_answer(pkt, 2, 3, (const uint8_t *)"", 0, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_accounting_response(pkt, n, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_NOT_AN_ANSWER);
	n = make_answer(pkt, 5, 3, (const uint8_t *)"", 0, 1, secret, SECRET_LEN);
	assert_int_equal(radius_verify_answer(pkt, n, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_NOT_AN_ANSWER);
	/* short */
	assert_int_equal(radius_verify_accounting_response(pkt, 19, 3, req_auth, secret, SECRET_LEN),
			 RADIUS_MALFORMED);
}

static void test_sign_response_matches_independent(void **state)
{
	uint8_t mine[4096], theirs[4096];
	size_t n;

	(void)state;
	/* a Disconnect-ACK (41) with a Message-Authenticator, as a server
	 * signs it, against the codec's signing of the same bytes */
	n = make_answer(theirs, 41, 9, (const uint8_t *)"", 0, 1, secret, SECRET_LEN);
	memcpy(mine, theirs, n);
	memset(mine + 4, 0, 16);
	memset(mine + 22, 0, 16);
	assert_int_equal(radius_sign_response(mine, n, req_auth, secret, SECRET_LEN), 0);
	assert_memory_equal(mine, theirs, n);
	/* a request signed by radius_sign_request verifies; with the
	 * Message-Authenticator required and absent it does not */
	mine[0] = 40;
	memset(mine + 4, 0, 16);
	assert_int_equal(radius_sign_request(mine, n, secret, SECRET_LEN), 0);
	assert_request_signed(mine, n, secret, SECRET_LEN);
	assert_int_equal(radius_verify_request(mine, n, secret, SECRET_LEN, 1), RADIUS_OK);
	mine[2] = 0;
	mine[3] = 20;
	assert_int_equal(radius_sign_request(mine, 20, secret, SECRET_LEN), 0);
	assert_int_equal(radius_verify_request(mine, 20, secret, SECRET_LEN, 0), RADIUS_OK);
	assert_int_equal(radius_verify_request(mine, 20, secret, SECRET_LEN, 1),
			 RADIUS_NO_MESSAGE_AUTHENTICATOR);
	assert_int_equal(radius_verify_request(mine, 19, secret, SECRET_LEN, 0), RADIUS_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2865_password_hiding),
		cmocka_unit_test(test_rfc2865_response_authenticator),
		cmocka_unit_test(test_long_password_chains_blocks),
		cmocka_unit_test(test_request_attributes_and_message_authenticator),
		cmocka_unit_test(test_build_refuses_out_of_range),
		cmocka_unit_test(test_valid_answer_verified_and_parsed),
		cmocka_unit_test(test_forged_answers_refused),
		cmocka_unit_test(test_two_or_short_message_authenticators_refused),
		cmocka_unit_test(test_framing_lies_refused),
		cmocka_unit_test(test_attribute_walk),
		cmocka_unit_test(test_parse_ignores_wrong_sized_integers),
		cmocka_unit_test(test_reply_message_bounded),
		cmocka_unit_test(test_accounting_start_attributes_and_authenticators),
		cmocka_unit_test(test_accounting_stop_counters_and_gigawords),
		cmocka_unit_test(test_accounting_build_refuses_out_of_range),
		cmocka_unit_test(test_accounting_response_verified),
		cmocka_unit_test(test_sign_response_matches_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
