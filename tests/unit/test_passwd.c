#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "passwd.h"

/* RFC 7914 §12, third vector: P="pleaseletmein", S="SodiumChloride",
 * N=16384, r=8, p=1, dkLen=64 — written as a PHC string. */
#define RFC7914_PHC                                                     \
	"$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$"                    \
	"cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw"

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void test_known_answer(void **state)
{
	(void)state;
	assert_int_equal(passwd_verify("pleaseletmein", 13, RFC7914_PHC), 1);
	assert_int_equal(passwd_verify("pleaseletmeiN", 13, RFC7914_PHC), 0);
	assert_int_equal(passwd_verify("pleaseletmein", 12, RFC7914_PHC), 0);
	assert_int_equal(passwd_verify("pleaseletmein!", 14, RFC7914_PHC), 0);
}

static void test_hash_format_and_verify(void **state)
{
	static const char pw[] = "correct horse: battery @ staple";
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];
	struct timespec t0, t1, t2;
	const char *p;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(passwd_hash(pw, strlen(pw), &passwd_default_params, h1,
				     sizeof(h1)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(passwd_verify(pw, strlen(pw), h1), 1);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	print_message("scrypt ln=15,r=8,p=1: hash %.1f ms, verify %.1f ms\n",
		      elapsed_ms(&t0, &t1), elapsed_ms(&t1, &t2));

	/* $scrypt$ln=15,r=8,p=1$<22 chars of salt>$<43 chars of hash> */
	assert_int_equal(strncmp(h1, "$scrypt$ln=15,r=8,p=1$", 22), 0);
	p = h1 + 22;
	assert_int_equal(strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789+/"), 22);
	assert_int_equal(p[22], '$');
	p += 23;
	assert_int_equal(strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789+/"), 43);
	assert_int_equal(strlen(p), 43);

	assert_int_equal(passwd_verify("correct horse: battery @ stapl", 30, h1), 0);
	assert_int_equal(passwd_verify("", 0, h1), 0);

	/* a fresh salt every time */
	assert_int_equal(passwd_hash(pw, strlen(pw), NULL, h2, sizeof(h2)), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(passwd_verify(pw, strlen(pw), h2), 1);
}

static void test_binary_and_empty_passwords(void **state)
{
	static const struct passwd_params fast = { .log2_n = 10, .r = 8, .p = 1 };
	char h[PASSWD_HASH_MAX];

	(void)state;
	/* the length counts, not a NUL */
	assert_int_equal(passwd_hash("a\0b", 3, &fast, h, sizeof(h)), 0);
	assert_int_equal(strncmp(h, "$scrypt$ln=10,r=8,p=1$", 22), 0);
	assert_int_equal(passwd_verify("a\0b", 3, h), 1);
	assert_int_equal(passwd_verify("a\0c", 3, h), 0);
	assert_int_equal(passwd_verify("a", 1, h), 0);

	assert_int_equal(passwd_hash("", 0, &fast, h, sizeof(h)), 0);
	assert_int_equal(passwd_verify("", 0, h), 1);
	assert_int_equal(passwd_verify(" ", 1, h), 0);

	/* UTF-8 */
	assert_int_equal(passwd_hash("p\xc3\xa4ss", 5, &fast, h, sizeof(h)), 0);
	assert_int_equal(passwd_verify("p\xc3\xa4ss", 5, h), 1);
	assert_int_equal(passwd_verify("pass", 4, h), 0);
}

static void test_hash_errors(void **state)
{
	static const struct passwd_params bad[] = {
		{ 9, 8, 1 }, { 21, 8, 1 }, { 15, 0, 1 }, { 15, 33, 1 },
		{ 15, 8, 0 }, { 15, 8, 17 },
		{ 20, 8, 1 },    /* 1 GiB */
	};
	static const struct passwd_params fast = { .log2_n = 10, .r = 1, .p = 1 };
	char h[PASSWD_HASH_MAX];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(passwd_hash("x", 1, &bad[i], h, sizeof(h)), -1);
		assert_string_equal(h, "");
	}
	/* the output must fit, with its NUL */
	assert_int_equal(passwd_hash("x", 1, &fast, h, sizeof(h)), 0);
	len = strlen(h);
	assert_int_equal(passwd_hash("x", 1, &fast, h, len), -1);
	assert_string_equal(h, "");
	assert_int_equal(passwd_hash("x", 1, &fast, h, len + 1), 0);
	assert_int_equal(strlen(h), len);
	assert_int_equal(passwd_verify("x", 1, h), 1);
}

static void test_verify_malformed(void **state)
{
	static const char salt[] = "U29kaXVtQ2hsb3JpZGU";
	static const char hash[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char *const bad[] = {
		"",
		"$scrypt$",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$scrypt$ln=14,r=8$%s$%s",
		"$scrypt$ln=14,r=8,p=1,x=2$%s$%s",
		"$scrypt$ln=014,r=8,p=1$%s$%s",          /* leading zero */
		"$scrypt$ln=+14,r=8,p=1$%s$%s",
		"$scrypt$ln=14 ,r=8,p=1$%s$%s",
		"$scrypt$r=8,ln=14,p=1$%s$%s",           /* order is fixed */
		"$SCRYPT$ln=14,r=8,p=1$%s$%s",
		"$scrypt$ln=14,r=8,p=1$%s$%s$",          /* trailing garbage */
		"$scrypt$ln=14,r=8,p=1$%s$%s=",          /* padding */
		"$scrypt$ln=14,r=8,p=1$%s==$%s",
		"$scrypt$ln=14,r=8,p=1$%s$%s\n",
		"$scrypt$ln=14,r=8,p=1$%s$ %s",
		"$scrypt$ln=14,r=8,p=1$%s$%s*",
		"$scrypt$ln=14,r=8,p=1$$%s",             /* no salt */
		"$scrypt$ln=14,r=8,p=1$%s$",             /* no hash */
		"$scrypt$ln=14,r=8,p=1$c2FsdA$%s",       /* 4-byte salt */
		"$scrypt$ln=14,r=8,p=1$%s$c2hvcnQ",      /* 5-byte hash */
		"$scrypt$ln=14,r=8,p=1$%s$%sAA",         /* length 1 mod 4 */
		"$scrypt$ln=14,r=8,p=1$%s$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", /* bits after the end */
		/* out of bounds: refused before any work is done */
		"$scrypt$ln=9,r=8,p=1$%s$%s",
		"$scrypt$ln=21,r=8,p=1$%s$%s",
		"$scrypt$ln=63,r=8,p=1$%s$%s",
		"$scrypt$ln=4294967297,r=8,p=1$%s$%s",
		"$scrypt$ln=14,r=0,p=1$%s$%s",
		"$scrypt$ln=14,r=33,p=1$%s$%s",
		"$scrypt$ln=14,r=8,p=0$%s$%s",
		"$scrypt$ln=14,r=8,p=17$%s$%s",
		"$scrypt$ln=20,r=32,p=16$%s$%s",         /* 4 GiB, hours of work */
		"$scrypt$ln=19,r=16,p=1$%s$%s",          /* 1 GiB */
		"$scrypt$ln=17,r=8,p=16$%s$%s",          /* 2^24 units of work */
	};
	char phc[512];
	struct timespec t0, t1;

	(void)state;
	/* the good string these are bent from, with a valid (wrong) hash */
	snprintf(phc, sizeof(phc), "$scrypt$ln=14,r=8,p=1$%s$%s", salt, hash);
	assert_int_equal(passwd_verify("x", 1, phc), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(phc, sizeof(phc), bad[i], salt, hash);
		if (passwd_verify("pleaseletmein", 13, phc) != -1)
			fail_msg("accepted: %s", phc);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* nothing above may have run scrypt */
	assert_true(elapsed_ms(&t0, &t1) < 20.0);
	assert_int_equal(passwd_verify("x", 1, NULL), -1);
}

static void test_needs_rehash(void **state)
{
	static const struct passwd_params stronger = { .log2_n = 16, .r = 8, .p = 1 };
	static const struct passwd_params fast = { .log2_n = 10, .r = 8, .p = 1 };
	char h[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_needs_rehash(RFC7914_PHC, NULL), 1);   /* ln=14, 14-byte salt */
	assert_int_equal(passwd_needs_rehash(RFC7914_PHC, &fast), 1);  /* salt only */
	assert_int_equal(passwd_hash("x", 1, &fast, h, sizeof(h)), 0);
	assert_int_equal(passwd_needs_rehash(h, &fast), 0);
	assert_int_equal(passwd_needs_rehash(h, NULL), 1);
	assert_int_equal(passwd_needs_rehash(h, &stronger), 1);
	assert_int_equal(passwd_needs_rehash("$scrypt$garbage", NULL), 1);
}

static void test_generate(void **state)
{
	enum { N = 62000 };
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *buf = malloc(N + 1);
	char a[17], b[17];
	unsigned count[256] = { 0 };

	(void)state;
	assert_non_null(buf);
	memset(a, 'X', sizeof(a));
	assert_int_equal(passwd_generate(a, 16), 0);
	assert_int_equal(strlen(a), 16);
	assert_int_equal(strspn(a, alphabet), 16);
	assert_int_equal(passwd_generate(b, 16), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(passwd_generate(a, 0), 0);
	assert_string_equal(a, "");

	/*
	 * Every character equally likely. Expected 1000 of each; a plain
	 * "byte % 62" would give the first eight characters 5/256 each
	 * instead of 4/256 (about 1220 instead of 976), which these bounds
	 * (some five standard deviations either way) catch.
	 */
	assert_int_equal(passwd_generate(buf, N), 0);
	assert_int_equal(strlen(buf), N);
	for (size_t i = 0; i < N; i++)
		count[(unsigned char)buf[i]]++;
	for (size_t i = 0; i < 62; i++) {
		unsigned c = count[(unsigned char)alphabet[i]];

		if (c < 850 || c > 1150)
			fail_msg("'%c' drawn %u times of %d", alphabet[i], c, N);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_hash_format_and_verify),
		cmocka_unit_test(test_binary_and_empty_passwords),
		cmocka_unit_test(test_hash_errors),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_generate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
