#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "radius_dae.h"

static const uint8_t secret[] = "dae-shared-secret";
#define SECRET_LEN (sizeof(secret) - 1)

/* A request under construction: the attributes appended in order. */
struct pkt {
	uint8_t b[RADIUS_PACKET_MAX];
	size_t len;
	size_t ma;               /* offset of the Message-Authenticator value, 0: none */
};

static void start(struct pkt *p, uint8_t code, uint8_t id)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = code;
	p->b[1] = id;
	p->len = 20;
}

static void attr(struct pkt *p, uint8_t type, const void *v, size_t len)
{
	p->b[p->len] = type;
	p->b[p->len + 1] = (uint8_t)(2 + len);
	memcpy(p->b + p->len + 2, v, len);
	if (type == RADIUS_MESSAGE_AUTHENTICATOR)
		p->ma = p->len + 2;
	p->len += 2 + len;
}

static void attr_str(struct pkt *p, uint8_t type, const char *s)
{
	attr(p, type, s, strlen(s));
}

static void attr_u32(struct pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	attr(p, type, b, 4);
}

static void md5(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 16;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	EVP_MD_CTX_free(ctx);
}

/*
 * Sign as a RADIUS server does (what FreeRADIUS's radclient sends),
 * computed here independently of the codec: the length set, the
 * Message-Authenticator = HMAC-MD5 over the packet with the authenticator
 * and its own value zero (RFC 5176 §3.2), then the Request Authenticator
 * = MD5(packet with a zero authenticator + secret) (RFC 5176 §2.3).
 */
static void sign_with(struct pkt *p, const uint8_t *key, size_t keylen)
{
	unsigned n = 16;

	p->b[2] = (uint8_t)(p->len >> 8);
	p->b[3] = (uint8_t)p->len;
	memset(p->b + 4, 0, 16);
	if (p->ma) {
		memset(p->b + p->ma, 0, 16);
		assert_non_null(HMAC(EVP_md5(), key, (int)keylen, p->b, p->len, p->b + p->ma, &n));
	}
	md5(p->b, p->len, key, keylen, p->b + 4);
}

static void sign(struct pkt *p)
{
	sign_with(p, secret, SECRET_LEN);
}

static void disconnect_for(struct pkt *p, const char *user)
{
	static const uint8_t zero[16];

	start(p, RADIUS_DISCONNECT_REQUEST, 7);
	attr(p, RADIUS_MESSAGE_AUTHENTICATOR, zero, 16);
	attr_str(p, RADIUS_USER_NAME, user);
}

static void test_valid_disconnect_verified_and_parsed(void **state)
{
	static const uint8_t ip[4] = { 10, 201, 0, 2 };
	static const uint8_t want_mac[6] = { 0x02, 0xab, 0xcd, 0x00, 0x11, 0xff };
	struct radius_dae_request rq;
	struct pkt p;

	(void)state;
	disconnect_for(&p, "gina");
	attr(&p, RADIUS_FRAMED_IP_ADDRESS, ip, 4);
	attr_str(&p, RADIUS_CALLING_STATION_ID, "02-AB-cd-00-11-FF");
	attr_str(&p, RADIUS_NAS_IDENTIFIER, "gw-1");
	attr_u32(&p, 55, 1700000000);          /* Event-Timestamp: not acted on, fine */
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN), RADIUS_DAE_OK);
	/* padding after Length is not the packet's */
	assert_int_equal(radius_dae_verify_request(p.b, p.len + 30, secret, SECRET_LEN),
			 RADIUS_DAE_OK);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.code, RADIUS_DISCONNECT_REQUEST);
	assert_int_equal(rq.id, 7);
	assert_true(rq.has_user);
	assert_string_equal(rq.user, "gina");
	assert_true(rq.has_framed_ip);
	assert_memory_equal(rq.framed_ip, ip, 4);
	assert_true(rq.has_calling_mac);
	assert_memory_equal(rq.calling_mac, want_mac, 6);
	assert_true(rq.has_nas_identifier);
	assert_string_equal(rq.nas_identifier, "gw-1");
	assert_false(rq.has_session_id);
	assert_int_equal(rq.session_timeout, -1);
	assert_int_equal(rq.idle_timeout, -1);
	assert_int_equal(rq.unsupported, 0);
	assert_int_equal(rq.invalid, 0);
}

static void test_coa_limits_parsed(void **state)
{
	static const uint8_t zero[16];
	struct radius_dae_request rq;
	struct pkt p;

	(void)state;
	start(&p, RADIUS_COA_REQUEST, 200);
	attr_str(&p, RADIUS_USER_NAME, "gina");
	attr_u32(&p, RADIUS_SESSION_TIMEOUT, 5);
	attr_u32(&p, RADIUS_IDLE_TIMEOUT, 4000000000u);
	attr(&p, RADIUS_MESSAGE_AUTHENTICATOR, zero, 16);   /* last is allowed too */
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN), RADIUS_DAE_OK);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.code, RADIUS_COA_REQUEST);
	assert_int_equal(rq.session_timeout, 5);
	assert_int_equal(rq.idle_timeout, 4000000000L);
}

static void test_forged_requests_refused(void **state)
{
	static const uint8_t zero[16];
	struct pkt p;

	(void)state;
	/* another secret */
	disconnect_for(&p, "gina");
	sign_with(&p, (const uint8_t *)"guess", 5);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_BAD_AUTHENTICATOR);
	/* a byte changed after signing */
	disconnect_for(&p, "gina");
	sign(&p);
	p.b[p.len - 1] ^= 1;
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_BAD_AUTHENTICATOR);
	/* no Message-Authenticator: the MD5 authenticator alone is forgeable */
	start(&p, RADIUS_DISCONNECT_REQUEST, 1);
	attr_str(&p, RADIUS_USER_NAME, "gina");
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_NO_MESSAGE_AUTHENTICATOR);
	/* a Message-Authenticator that is not the HMAC, under a Request
	 * Authenticator computed over it (what a forger with the MD5 trick
	 * but without the secret's HMAC sends) */
	disconnect_for(&p, "gina");
	sign(&p);
	p.b[p.ma] ^= 0x80;
	memset(p.b + 4, 0, 16);
	md5(p.b, p.len, secret, SECRET_LEN, p.b + 4);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR);
	/* two of them */
	disconnect_for(&p, "gina");
	attr(&p, RADIUS_MESSAGE_AUTHENTICATOR, zero, 16);
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR);
	/* one of the wrong size */
	start(&p, RADIUS_DISCONNECT_REQUEST, 1);
	attr(&p, RADIUS_MESSAGE_AUTHENTICATOR, zero, 10);
	attr_str(&p, RADIUS_USER_NAME, "gina");
	p.ma = 0;      /* no room for an HMAC: left as it is */
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR);
	/* an Access-Request or an answer is no Dynamic Authorization request */
	disconnect_for(&p, "gina");
	p.b[0] = 1;
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_NOT_A_REQUEST);
	p.b[0] = RADIUS_DISCONNECT_ACK;
	sign(&p);
	assert_int_equal(radius_dae_verify_request(p.b, p.len, secret, SECRET_LEN),
			 RADIUS_DAE_NOT_A_REQUEST);
}

static void test_framing_lies_refused(void **state)
{
	struct radius_dae_request rq;
	struct pkt p;
	uint8_t b[RADIUS_PACKET_MAX + 8];

	(void)state;
	disconnect_for(&p, "gina");
	sign(&p);
	/* shorter than its Length */
	assert_int_equal(radius_dae_verify_request(p.b, p.len - 1, secret, SECRET_LEN),
			 RADIUS_DAE_MALFORMED);
	assert_int_equal(radius_dae_parse_request(p.b, p.len - 1, &rq), -1);
	assert_int_equal(radius_dae_verify_request(p.b, 19, secret, SECRET_LEN), RADIUS_DAE_MALFORMED);
	assert_int_equal(radius_dae_verify_request(p.b, 0, secret, SECRET_LEN), RADIUS_DAE_MALFORMED);
	/* an attribute of length 0 or 1 (would loop or underflow), one that
	 * runs past the end */
	memcpy(b, p.b, p.len);
	b[20 + 1] = 0;
	assert_int_equal(radius_dae_verify_request(b, p.len, secret, SECRET_LEN), RADIUS_DAE_MALFORMED);
	b[20 + 1] = 1;
	assert_int_equal(radius_dae_verify_request(b, p.len, secret, SECRET_LEN), RADIUS_DAE_MALFORMED);
	memcpy(b, p.b, p.len);
	b[p.len - 6 + 1] = 200;   /* User-Name "gina": its length now overruns */
	assert_int_equal(radius_dae_parse_request(b, p.len, &rq), -1);
	/* Length under the header, over the protocol's bound */
	memcpy(b, p.b, p.len);
	b[2] = 0;
	b[3] = 19;
	assert_int_equal(radius_dae_verify_request(b, p.len, secret, SECRET_LEN), RADIUS_DAE_MALFORMED);
	memset(b, 0, sizeof(b));
	b[0] = RADIUS_DISCONNECT_REQUEST;
	b[2] = (RADIUS_PACKET_MAX + 1) >> 8;
	b[3] = (RADIUS_PACKET_MAX + 1) & 0xff;
	assert_int_equal(radius_dae_verify_request(b, sizeof(b), secret, SECRET_LEN),
			 RADIUS_DAE_MALFORMED);
}

static void test_hostile_values_marked(void **state)
{
	struct radius_dae_request rq;
	struct pkt p;

	(void)state;
	/* a NUL inside the name: it would match another user's prefix */
	disconnect_for(&p, "gi");
	attr(&p, RADIUS_USER_NAME, "gina\0x", 6);
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.invalid, RADIUS_USER_NAME);
	/* Calling-Station-Id that is no MAC */
	disconnect_for(&p, "gina");
	attr_str(&p, RADIUS_CALLING_STATION_ID, "02-AB-CD-00-11-GG");
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.invalid, RADIUS_CALLING_STATION_ID);
	assert_false(rq.has_calling_mac);
	disconnect_for(&p, "gina");
	attr_str(&p, RADIUS_CALLING_STATION_ID, "02AB.CD00.11FF");
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.invalid, RADIUS_CALLING_STATION_ID);
	/* integers and addresses of the wrong size */
	disconnect_for(&p, "gina");
	attr(&p, RADIUS_SESSION_TIMEOUT, "\0\0\5", 3);
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.invalid, RADIUS_SESSION_TIMEOUT);
	disconnect_for(&p, "gina");
	attr(&p, RADIUS_FRAMED_IP_ADDRESS, "\12\0\0", 3);
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.invalid, RADIUS_FRAMED_IP_ADDRESS);
	assert_false(rq.has_framed_ip);
	/* an attribute this gateway does not act on (Filter-Id), and the
	 * Acct-Session-Id, read */
	disconnect_for(&p, "gina");
	attr_str(&p, 11, "guests");
	attr_str(&p, 44, "00000001");
	sign(&p);
	assert_int_equal(radius_dae_parse_request(p.b, p.len, &rq), 0);
	assert_int_equal(rq.unsupported, 11);
	assert_true(rq.has_session_id);
	assert_string_equal(rq.session_id, "00000001");
	assert_int_equal(rq.invalid, 0);
}

/* Check an answer as a server does, independently of the codec. */
static void check_answer(const uint8_t *a, size_t n, const struct pkt *req)
{
	uint8_t copy[RADIUS_PACKET_MAX], want[16];
	unsigned hn = 16;

	assert_true(n >= 20 + 18);
	assert_int_equal((size_t)a[2] << 8 | a[3], n);
	assert_int_equal(a[1], req->b[1]);
	/* Response Authenticator over the request's authenticator */
	memcpy(copy, a, n);
	memcpy(copy + 4, req->b + 4, 16);
	md5(copy, n, secret, SECRET_LEN, want);
	assert_memory_equal(want, a + 4, 16);
	/* Message-Authenticator first, HMAC with the request's authenticator */
	assert_int_equal(a[20], RADIUS_MESSAGE_AUTHENTICATOR);
	assert_int_equal(a[21], 18);
	memset(copy + 22, 0, 16);
	assert_non_null(HMAC(EVP_md5(), secret, (int)SECRET_LEN, copy, n, want, &hn));
	assert_memory_equal(want, a + 22, 16);
}

static void test_answers_signed(void **state)
{
	static const uint8_t zero[16];
	uint8_t a[RADIUS_PACKET_MAX];
	struct pkt p;
	int n;

	(void)state;
	disconnect_for(&p, "gina");
	sign(&p);
	n = radius_dae_build_answer(a, sizeof(a), p.b, p.len, 1, 0, secret, SECRET_LEN);
	assert_int_equal(n, 38);
	assert_int_equal(a[0], RADIUS_DISCONNECT_ACK);
	check_answer(a, (size_t)n, &p);

	/* a CoA's NAK with Error-Cause 503 and the Proxy-States in order */
	start(&p, RADIUS_COA_REQUEST, 99);
	attr_str(&p, 33, "hop-one");
	attr(&p, RADIUS_MESSAGE_AUTHENTICATOR, zero, 16);
	attr_str(&p, RADIUS_USER_NAME, "nobody");
	attr_str(&p, 33, "hop-two");
	sign(&p);
	n = radius_dae_build_answer(a, sizeof(a), p.b, p.len, 0, RADIUS_ERROR_SESSION_NOT_FOUND,
				    secret, SECRET_LEN);
	assert_int_equal(n, 20 + 18 + 6 + 9 + 9);
	assert_int_equal(a[0], RADIUS_COA_NAK);
	check_answer(a, (size_t)n, &p);
	assert_memory_equal(a + 38, "\x65\x06\x00\x00\x01\xf7", 6);
	assert_memory_equal(a + 44, "\x21\x09hop-one", 9);
	assert_memory_equal(a + 53, "\x21\x09hop-two", 9);

	/* no room, or nothing to answer */
	assert_int_equal(radius_dae_build_answer(a, 30, p.b, p.len, 1, 0, secret, SECRET_LEN), -1);
	assert_int_equal(radius_dae_build_answer(a, 40, p.b, p.len, 1, 0, secret, SECRET_LEN), -1);
	p.b[0] = RADIUS_COA_ACK;
	assert_int_equal(radius_dae_build_answer(a, sizeof(a), p.b, p.len, 1, 0, secret,
						 SECRET_LEN), -1);
	assert_int_equal(radius_dae_build_answer(a, sizeof(a), p.b, 10, 1, 0, secret, SECRET_LEN),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_disconnect_verified_and_parsed),
		cmocka_unit_test(test_coa_limits_parsed),
		cmocka_unit_test(test_forged_requests_refused),
		cmocka_unit_test(test_framing_lies_refused),
		cmocka_unit_test(test_hostile_values_marked),
		cmocka_unit_test(test_answers_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
