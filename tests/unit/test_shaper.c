#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"
#include "shaper.h"

static void test_rate_units(void **state)
{
	uint64_t r = 0;

	(void)state;
	assert_int_equal(shaper_rate_parse("8mbit", &r), 0);
	assert_true(r == 8000000);
	assert_int_equal(shaper_rate_parse("2Mbit", &r), 0);
	assert_true(r == 2000000);
	assert_int_equal(shaper_rate_parse("64kbit", &r), 0);
	assert_true(r == 64000);
	assert_int_equal(shaper_rate_parse("1gbit", &r), 0);
	assert_true(r == 1000000000);
	assert_int_equal(shaper_rate_parse("9000", &r), 0);
	assert_true(r == 9000);
	assert_int_equal(shaper_rate_parse("100gbit", &r), 0);
	assert_true(r == 100000000000ULL);
}

static void test_rate_refused(void **state)
{
	const char *bad[] = { "", "mbit", "8 mbit", "8mbps", "8MB", "-1mbit", "7999bit", "101gbit",
			      "99999999999999999999999gbit", "8.5mbit", "8mbitx", NULL };
	uint64_t r = 42;

	(void)state;
	assert_int_equal(shaper_rate_parse(NULL, &r), -1);
	for (size_t i = 0; bad[i]; i++) {
		if (shaper_rate_parse(bad[i], &r) != -1)
			fail_msg("\"%s\" was taken as a rate", bad[i]);
	}
	assert_true(r == 42);
}

static void test_classes(void **state)
{
	struct shaper_classes c;
	char err[160];
	const struct shaper_class *k;

	(void)state;
	assert_int_equal(shaper_classes_parse(" fast=8mbit/10mbit ,slow = 2mbit,", &c, err,
					      sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	k = shaper_class_find(&c, "fast");
	assert_non_null(k);
	assert_true(k->rate == 8000000 && k->ceil == 10000000);
	k = shaper_class_find(&c, "slow");
	assert_non_null(k);
	assert_true(k->rate == 2000000 && k->ceil == 2000000);
	assert_null(shaper_class_find(&c, "Fast"));
	/* a group policy's class names may hold a dot */
	assert_int_equal(shaper_classes_parse("guest.v2=1mbit", &c, err, sizeof(err)), 0);
	assert_non_null(shaper_class_find(&c, "guest.v2"));
	assert_null(shaper_class_find(&c, NULL));
	assert_int_equal(shaper_classes_parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(shaper_classes_parse(NULL, &c, err, sizeof(err)), 0);
}

/* a throttled device or explicit user: its policy's quota class, else
 * [shaping] quota_class */
static void test_throttle_class(void **state)
{
	(void)state;
	assert_string_equal(shaper_throttle_class("crawl", "slow"), "crawl");
	assert_string_equal(shaper_throttle_class("", "slow"), "slow");
	assert_string_equal(shaper_throttle_class(NULL, "slow"), "slow");
}

static void test_classes_refused(void **state)
{
	struct {
		const char *text, *why;
	} bad[] = {
		{ "fast", "expected NAME=RATE" },
		{ "=8mbit", "a name is" },
		{ "a b=8mbit", "a name is" },
		{ "x<script>=8mbit", "a name is" },
		{ "fast=8mbit/2mbit", "ceil is below its rate" },
		{ "fast=8mbit, fast=2mbit", "named twice" },
		{ "fast=fast", "a rate is" },
		{ "fast=8mbit/", "a rate is" },
		{ "abcdefghijklmnopqrstuvwxyz0123456=8mbit", "a name is" },
	};
	struct shaper_classes c;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (shaper_classes_parse(bad[i].text, &c, err, sizeof(err)) != -1)
			fail_msg("\"%s\" was taken", bad[i].text);
		if (!strstr(err, bad[i].why))
			fail_msg("\"%s\": \"%s\" does not say \"%s\"", bad[i].text, err, bad[i].why);
	}
}

static void test_classes_bounded(void **state)
{
	char text[SHAPER_CLASSES_MAX * 16 + 32] = "";
	struct shaper_classes c;
	char err[160];
	size_t off = 0;

	(void)state;
	for (int i = 0; i <= SHAPER_CLASSES_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "c%d=1mbit,", i);
	assert_int_equal(shaper_classes_parse(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
}

static void test_leaf_numbers(void **state)
{
	uint8_t used[4] = { 0 };
	size_t cursor = 0;

	(void)state;
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), SHAPER_MINOR_FIRST);
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), SHAPER_MINOR_FIRST + 1);
	/* one given back is not the next one handed out */
	used[0] = 0;
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), SHAPER_MINOR_FIRST + 2);
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), SHAPER_MINOR_FIRST + 3);
	/* wraps to the free one */
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), SHAPER_MINOR_FIRST);
	assert_int_equal(shaper_leaf_alloc(used, 4, &cursor), -1);
	/* the leaf numbers never reach the root's (1:) major or overflow 16 bits */
	assert_true(SHAPER_MINOR_FIRST + SHAPER_LEAVES_MAX - 1 < 0x8000);
	assert_true(SHAPER_MINOR_FIRST > 1);
}

static void test_burst_and_quantum(void **state)
{
	(void)state;
	/* 5 ms of the rate: 6.25 MB at 10 gbit (libnl's own default was 0) */
	assert_int_equal(shaper_burst_bytes(10000000000ULL), 6250000);
	assert_int_equal(shaper_burst_bytes(100000000ULL), 62500);
	/* never below two full frames, and 100 gbit still fits */
	assert_int_equal(shaper_burst_bytes(2000000ULL), SHAPER_BURST_MIN);
	assert_int_equal(shaper_burst_bytes(SHAPER_RATE_MIN), SHAPER_BURST_MIN);
	assert_int_equal(shaper_burst_bytes(SHAPER_RATE_MAX), 62500000);
	/* a tenth of the bytes per second, within the kernel's bounds */
	assert_int_equal(shaper_quantum_bytes(8000000ULL), 100000);
	assert_int_equal(shaper_quantum_bytes(10000000000ULL), SHAPER_QUANTUM_MAX);
	assert_int_equal(shaper_quantum_bytes(SHAPER_RATE_MIN), SHAPER_QUANTUM_MIN);
}

static void test_table_batch(void **state)
{
	char *buf = malloc(NFT_BATCH_MAX);
	long lan, both;

	(void)state;
	assert_non_null(buf);
	lan = nft_build_shape_batch("eth1", NULL, 1, buf, NFT_BATCH_MAX);
	both = nft_build_shape_batch("eth1", "eth0", 1, buf, NFT_BATCH_MAX);
	assert_true(lan > 0);
	assert_true(both > lan);   /* the upload rules */
	assert_int_equal(nft_build_shape_batch("", NULL, 1, buf, NFT_BATCH_MAX), -1);
	assert_int_equal(nft_build_shape_batch(NULL, NULL, 1, buf, NFT_BATCH_MAX), -1);
	assert_int_equal(nft_build_shape_batch("an-interface-name-too-long", NULL, 1, buf,
					       NFT_BATCH_MAX), -1);
	assert_int_equal(nft_build_shape_batch("eth1", NULL, 1, buf, 64), -1);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_units),
		cmocka_unit_test(test_rate_refused),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_throttle_class),
		cmocka_unit_test(test_classes_refused),
		cmocka_unit_test(test_burst_and_quantum),
		cmocka_unit_test(test_classes_bounded),
		cmocka_unit_test(test_leaf_numbers),
		cmocka_unit_test(test_table_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
