#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clienthello.h"

/* Build a ClientHello handshake message (RFC 8446 §4.1.2) with the given
 * server name ("" for no server_name extension) and extra padding
 * extension bytes; returns its length. */
static size_t build_hello(uint8_t *out, const char *sni, size_t pad)
{
	uint8_t *p = out + 4;
	size_t body, ext_start, exts;

	*p++ = 3; *p++ = 3;                 /* legacy_version TLS 1.2 */
	memset(p, 0xab, 32); p += 32;       /* random */
	*p++ = 0;                           /* empty session id */
	*p++ = 0; *p++ = 2; *p++ = 0x13; *p++ = 0x01;   /* one cipher suite */
	*p++ = 1; *p++ = 0;                 /* null compression */
	ext_start = (size_t)(p - out);
	p += 2;
	if (sni[0]) {
		size_t n = strlen(sni);

		*p++ = 0; *p++ = 0;                              /* server_name */
		*p++ = (uint8_t)((n + 5) >> 8); *p++ = (uint8_t)(n + 5);
		*p++ = (uint8_t)((n + 3) >> 8); *p++ = (uint8_t)(n + 3);
		*p++ = 0;                                        /* host_name */
		*p++ = (uint8_t)(n >> 8); *p++ = (uint8_t)n;
		memcpy(p, sni, n); p += n;
	}
	if (pad) {
		*p++ = 0; *p++ = 21;                             /* padding */
		*p++ = (uint8_t)(pad >> 8); *p++ = (uint8_t)pad;
		memset(p, 0, pad); p += pad;
	}
	exts = (size_t)(p - out) - ext_start - 2;
	out[ext_start] = (uint8_t)(exts >> 8);
	out[ext_start + 1] = (uint8_t)exts;
	body = (size_t)(p - out) - 4;
	out[0] = 1;
	out[1] = (uint8_t)(body >> 16); out[2] = (uint8_t)(body >> 8); out[3] = (uint8_t)body;
	return body + 4;
}

/* Wrap msg into records of at most frag bytes each. */
static size_t recordify(uint8_t *out, const uint8_t *msg, size_t len, size_t frag)
{
	size_t o = 0;

	for (size_t off = 0; off < len; off += frag) {
		size_t n = len - off < frag ? len - off : frag;

		out[o++] = 22; out[o++] = 3; out[o++] = 1;
		out[o++] = (uint8_t)(n >> 8); out[o++] = (uint8_t)n;
		memcpy(out + o, msg + off, n);
		o += n;
	}
	return o;
}

static struct clienthello ch;
static uint8_t msg[40000], rec[50000];

static void test_sni_one_record(void **state)
{
	size_t n, r;

	(void)state;
	n = build_hello(msg, "www.example.org", 0);
	r = recordify(rec, msg, n, 16384);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_OK);
	assert_string_equal(ch.sni, "www.example.org");
	assert_int_equal(ch.consumed, r);
	assert_int_equal(ch.legacy_version, 0x0303);
}

static void test_every_prefix_is_incomplete(void **state)
{
	size_t n, r;

	(void)state;
	n = build_hello(msg, "a.test", 100);
	r = recordify(rec, msg, n, 16384);
	for (size_t i = 0; i < r; i++)
		assert_int_equal(clienthello_parse(rec, i, &ch), CLIENTHELLO_INCOMPLETE);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_OK);
}

static void test_split_over_records(void **state)
{
	size_t n, r;

	(void)state;
	/* 3-byte records split the handshake header itself */
	n = build_hello(msg, "split.example", 50);
	r = recordify(rec, msg, n, 3);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_OK);
	assert_string_equal(ch.sni, "split.example");
	assert_int_equal(clienthello_parse(rec, r - 1, &ch), CLIENTHELLO_INCOMPLETE);
}

static void test_no_sni(void **state)
{
	size_t n, r;

	(void)state;
	n = build_hello(msg, "", 10);
	r = recordify(rec, msg, n, 16384);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_OK);
	assert_string_equal(ch.sni, "");
}

static void test_not_tls(void **state)
{
	(void)state;
	assert_int_equal(clienthello_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &ch),
			 CLIENTHELLO_NOT_TLS);
	/* judged on the first byte, before a whole record header is there */
	assert_int_equal(clienthello_parse((const uint8_t *)"G", 1, &ch), CLIENTHELLO_NOT_TLS);
	assert_int_equal(clienthello_parse((const uint8_t *)"\x16\x01", 2, &ch), CLIENTHELLO_NOT_TLS);
	assert_int_equal(clienthello_parse((const uint8_t *)"", 0, &ch), CLIENTHELLO_INCOMPLETE);
}

static void test_too_large(void **state)
{
	size_t n, r;

	(void)state;
	n = build_hello(msg, "big.example", CLIENTHELLO_MAX);
	r = recordify(rec, msg, n, 16384);
	/* refused as soon as the header says so, without waiting for the rest */
	assert_int_equal(clienthello_parse(rec, 5 + 4, &ch), CLIENTHELLO_TOO_LARGE);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_TOO_LARGE);
}

static void test_bad_lengths(void **state)
{
	size_t n, r;

	(void)state;
	n = build_hello(msg, "x.example", 0);
	/* server name list longer than its extension */
	msg[4 + 2 + 32 + 1 + 4 + 2 + 2 + 4 + 1] = 0x40;
	r = recordify(rec, msg, n, 16384);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_MALFORMED);

	/* not a ClientHello (ServerHello type) */
	n = build_hello(msg, "x.example", 0);
	msg[0] = 2;
	r = recordify(rec, msg, n, 16384);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_MALFORMED);

	/* bytes after the message inside its record */
	n = build_hello(msg, "x.example", 0);
	msg[n] = 0;
	r = recordify(rec, msg, n + 1, 16384);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_MALFORMED);

	/* an oversized record length */
	memcpy(rec, "\x16\x03\x01\x50\x00", 5);
	assert_int_equal(clienthello_parse(rec, 5, &ch), CLIENTHELLO_MALFORMED);
}

static void test_sni_must_be_a_host_name(void **state)
{
	static const char *const bad[] = { "evil.example\n1.2.3.4 - forged", "a b", "x/y",
					   "caf\xc3\xa9.example", "<b>" };
	size_t n, r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = build_hello(msg, bad[i], 0);
		r = recordify(rec, msg, n, 16384);
		assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_MALFORMED);
	}
}

/* A ClientHello that openssl s_client really sent (tests/fuzz corpus). */
static void test_real_openssl_hello(void **state)
{
	FILE *f = fopen("tests/fuzz/corpus/clienthello/openssl-s_client.bin", "rb");
	size_t r;

	(void)state;
	assert_non_null(f);
	r = fread(rec, 1, sizeof(rec), f);
	fclose(f);
	assert_int_equal(clienthello_parse(rec, r, &ch), CLIENTHELLO_OK);
	assert_string_equal(ch.sni, "origin.test");
	assert_int_equal(ch.consumed, r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni_one_record),
		cmocka_unit_test(test_every_prefix_is_incomplete),
		cmocka_unit_test(test_split_over_records),
		cmocka_unit_test(test_no_sni),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_sni_must_be_a_host_name),
		cmocka_unit_test(test_real_openssl_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
