/*
 * voucher: the code generator (alphabet, length, no bias, no repeats),
 * reading typed codes, durations and validity arithmetic with a fixed
 * clock; voucher_roll and the store: codes stored hashed, found by their
 * lookup part, first use, revocation ending the sessions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "passwd.h"
#include "store.h"
#include "voucher.h"
#include "voucher_roll.h"

static int real_random(void *ud, uint8_t *buf, size_t n)
{
	(void)ud;
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int failing_random(void *ud, uint8_t *buf, size_t n)
{
	(void)ud;
	(void)buf;
	(void)n;
	return -1;
}

static void test_alphabets_and_lengths(void **state)
{
	char code[VOUCHER_LEN_MAX + 1];

	(void)state;
	for (size_t len = VOUCHER_LEN_MIN; len <= VOUCHER_LEN_MAX; len++) {
		assert_int_equal(voucher_generate(VOUCHER_NUMERIC, len, code, real_random, NULL), 0);
		assert_int_equal(strlen(code), len);
		assert_int_equal(strspn(code, "0123456789"), len);
		assert_int_equal(voucher_generate(VOUCHER_SAFE, len, code, real_random, NULL), 0);
		assert_int_equal(strlen(code), len);
		/* no look-alikes */
		assert_null(strpbrk(code, "0O1IL2Z5S8Babcdefghijklmnopqrstuvwxyz"));
	}
	assert_int_equal(voucher_generate(VOUCHER_SAFE, VOUCHER_LEN_MIN - 1, code, real_random, NULL), -1);
	assert_int_equal(voucher_generate(VOUCHER_SAFE, VOUCHER_LEN_MAX + 1, code, real_random, NULL), -1);
	assert_int_equal(voucher_generate(VOUCHER_SAFE, 10, code, failing_random, NULL), -1);
}

/* First call: only bytes that would favour the first characters
 * (250..255 for 25 characters); then only 1s. */
static int biased_random(void *ud, uint8_t *buf, size_t n)
{
	int *calls = ud;

	for (size_t i = 0; i < n; i++)
		buf[i] = *calls == 0 ? (uint8_t)(250 + i % 6) : 1;
	(*calls)++;
	return 0;
}

/* Bytes at or above the largest multiple of the alphabet's size are
 * drawn again, and the characters come equally often. */
static void test_no_bias(void **state)
{
	const char *chars = voucher_alphabet_chars(VOUCHER_SAFE);
	size_t n = strlen(chars), counts[256] = { 0 }, total = 0;
	char code[VOUCHER_LEN_MAX + 1];
	int calls = 0;

	(void)state;
	assert_int_equal(n, 25);
	assert_int_equal(voucher_generate(VOUCHER_SAFE, 10, code, biased_random, &calls), 0);
	assert_int_equal(calls, 2);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(code[i], chars[1]);
	for (int i = 0; i < 4000; i++) {
		assert_int_equal(voucher_generate(VOUCHER_SAFE, 24, code, real_random, NULL), 0);
		for (size_t j = 0; j < 24; j++)
			counts[(unsigned char)code[j]]++;
		total += 24;
	}
	/* 3840 expected of each; a biased byte mapping would give 4 of the
	 * characters 10 % more; 8 % is five standard deviations */
	for (const char *c = chars; *c; c++) {
		assert_true(counts[(unsigned char)*c] > total / n * 92 / 100);
		assert_true(counts[(unsigned char)*c] < total / n * 108 / 100);
	}
}

static void test_unique(void **state)
{
	enum { N = 2000 };
	static char codes[N][VOUCHER_LEN_MAX + 1];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(voucher_generate(VOUCHER_SAFE, 10, codes[i], real_random, NULL), 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
	}
}

static void test_normalize(void **state)
{
	char out[VOUCHER_LEN_MAX + 1];

	(void)state;
	assert_int_equal(voucher_normalize(" x6ru-t4xq aq ", out, sizeof(out)), 0);
	assert_string_equal(out, "X6RUT4XQAQ");
	assert_int_equal(voucher_normalize("1234-5678", out, sizeof(out)), 0);
	assert_string_equal(out, "12345678");
	assert_int_equal(voucher_normalize("1234567", out, sizeof(out)), -1);        /* short */
	assert_int_equal(voucher_normalize("1234567890123456789012345", out, sizeof(out)), -1);
	assert_int_equal(voucher_normalize("12345678'; --", out, sizeof(out)), -1);
	assert_int_equal(voucher_normalize("<b>12345678</b>", out, sizeof(out)), -1);
}

static void test_durations(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(voucher_parse_duration("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(voucher_parse_duration("1d", &s), 0);
	assert_int_equal(s, 86400);
	assert_int_equal(voucher_parse_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(voucher_parse_duration("3s", &s), 0);
	assert_int_equal(s, 3);
	assert_int_equal(voucher_parse_duration("90m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(voucher_parse_duration("365d", &s), 0);
	assert_int_equal(voucher_parse_duration("366d", &s), -1);
	assert_int_equal(voucher_parse_duration("0h", &s), -1);
	assert_int_equal(voucher_parse_duration("-1h", &s), -1);
	assert_int_equal(voucher_parse_duration("2", &s), -1);
	assert_int_equal(voucher_parse_duration("2hh", &s), -1);
	assert_int_equal(voucher_parse_duration("99999999999999999999d", &s), -1);
}

/* A voucher session's name gives its roll and number; anything else,
 * a user's name among them, gives none. */
static void test_user_parse(void **state)
{
	int64_t roll = 0, number = 0;

	(void)state;
	assert_int_equal(voucher_user_parse("voucher:12-345", &roll, &number), 0);
	assert_int_equal(roll, 12);
	assert_int_equal(number, 345);
	assert_int_equal(voucher_user_parse("alice", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:1", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:1-", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:01-2", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:1-2x", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:-1-2", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:1-2-3", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("voucher:9999999999999999999-1", &roll, &number), -1);
	assert_int_equal(voucher_user_parse("Voucher:1-2", &roll, &number), -1);
	assert_int_equal(voucher_user_parse(NULL, &roll, &number), -1);
}

/* A fixed clock: validity counted from the first use, cut by the roll's
 * expiry, nothing left after either. */
static void test_validity(void **state)
{
	const int64_t t0 = 1800000000;
	int64_t left;

	(void)state;
	/* first use now: the whole validity */
	assert_int_equal(voucher_ends_at(0, t0, 7200, 0, &left), t0 + 7200);
	assert_int_equal(left, 7200);
	/* used an hour ago */
	assert_int_equal(voucher_ends_at(t0 - 3600, t0, 7200, 0, &left), t0 + 3600);
	assert_int_equal(left, 3600);
	/* the roll expires first */
	assert_int_equal(voucher_ends_at(t0, t0, 86400, t0 + 600, &left), t0 + 600);
	assert_int_equal(left, 600);
	/* over: exactly at the end, and after */
	voucher_ends_at(t0 - 7200, t0, 7200, 0, &left);
	assert_int_equal(left, 0);
	voucher_ends_at(t0 - 9000, t0, 7200, 0, &left);
	assert_int_equal(left, 0);
	voucher_ends_at(0, t0, 7200, t0 - 1, &left);
	assert_int_equal(left, 0);
}

/* ------------------------------------------------------------ the store */

static char dir[] = "/tmp/portcullis-test-voucher-XXXXXX";
static char path[128];

static int setup(void **state)
{
	char err[256];

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	*state = store_open(path, err, sizeof(err));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char p[160];

	store_close(*state);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return rmdir(dir);
}

static int count_cb(const struct store_voucher_roll *r, void *ud)
{
	*(struct store_voucher_roll *)ud = *r;
	return 0;
}

static void test_roll_stored_hashed(void **state)
{
	struct store *st = *state;
	struct store_voucher_roll r, got, counted;
	struct store_voucher v;
	struct store_session s;
	voucher_code codes[4];
	char err[256], prefix[VOUCHER_LEN_MAX + 1];
	int64_t id = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.alphabet, sizeof(r.alphabet), "numeric");
	r.code_length = 8;
	r.validity = 3600;
	r.max_devices = 2;
	assert_int_equal(voucher_roll_create(st, &r, 4, codes, &id, err, sizeof(err)), 0);
	assert_true(id > 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(strlen(codes[i]), 8);
		memcpy(prefix, codes[i], 4);
		prefix[4] = '\0';
		assert_int_equal(store_voucher_find(st, prefix, &v, &got), 0);
		assert_int_equal(v.number, i + 1);
		assert_int_equal(got.max_devices, 2);
		/* the hash, never the code */
		assert_null(strstr(v.phc, codes[i]));
		assert_int_equal(passwd_verify(codes[i], 8, v.phc), 1);
		assert_int_equal(passwd_verify("00000000", 8, v.phc), 0);
	}
	/* the first use counts, a later one does not move it */
	memcpy(prefix, codes[0], 4);
	prefix[4] = '\0';
	assert_int_equal(store_voucher_find(st, prefix, &v, &got), 0);
	assert_int_equal(store_voucher_first_use(st, v.id, 1000), 0);
	assert_int_equal(store_voucher_first_use(st, v.id, 2000), 0);
	assert_int_equal(store_voucher_find(st, prefix, &v, &got), 0);
	assert_int_equal(v.first_used_at, 1000);
	/* counts: one used (and expired long ago), three unused */
	assert_int_equal(store_voucher_roll_list(st, id, 1000 + 60, count_cb, &counted), 0);
	assert_int_equal(counted.codes, 4);
	assert_int_equal(counted.used, 1);
	assert_int_equal(counted.expired, 0);
	assert_int_equal(store_voucher_roll_list(st, id, 1000 + 3600, count_cb, &counted), 0);
	assert_int_equal(counted.expired, 1);
	/* revoking a code ends its sessions, and only its */
	memset(&s, 0, sizeof(s));
	snprintf(s.addr, sizeof(s.addr), "10.0.0.5");
	snprintf(s.username, sizeof(s.username), "voucher:%lld-1", (long long)id);
	s.created_at = s.expires_at = 5;
	assert_int_equal(store_session_upsert(st, &s), 0);
	snprintf(s.addr, sizeof(s.addr), "10.0.0.6");
	snprintf(s.username, sizeof(s.username), "voucher:%lld-2", (long long)id);
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_voucher_revoke(st, id, 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_session_get(st, "10.0.0.5", &s), 1);
	assert_int_equal(store_session_get(st, "10.0.0.6", &s), 0);
	/* the roll: the rest */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_voucher_revoke(st, id, 0), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_session_get(st, "10.0.0.6", &s), 1);
	assert_int_equal(store_voucher_roll_list(st, id, 1000, count_cb, &counted), 0);
	assert_int_equal(counted.revoked, 4);
	assert_int_equal(store_voucher_revoke(st, id + 1, 0), 1);
	/* bad settings refused */
	r.code_length = 4;
	assert_int_equal(voucher_roll_create(st, &r, 1, codes, &id, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alphabets_and_lengths),
		cmocka_unit_test(test_no_bias),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_user_parse),
		cmocka_unit_test_setup_teardown(test_roll_stored_hashed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
