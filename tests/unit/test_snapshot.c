#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "snapshot.h"

static char err[512];

static void load(struct config *cfg, const char *text)
{
	if (config_parse(cfg, "test.conf", text, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* A reader keeps the snapshot it took, whole, across a publish. */
static void test_reader_keeps_its_snapshot(void **state)
{
	struct config a, b;
	struct snapshot_slot slot;
	struct snapshot *held;
	uint64_t gen;

	(void)state;
	load(&a, "[auth]\nrealm = First\n");
	load(&b, "[auth]\nrealm = Second\n");
	snapshot_slot_init(&slot, snapshot_new(&a));
	gen = snapshot_slot_generation(&slot);
	held = snapshot_slot_get(&slot);
	snapshot_slot_publish(&slot, snapshot_new(&b));
	assert_true(snapshot_slot_generation(&slot) != gen);
	assert_string_equal(held->cfg.realm, "First");
	snapshot_release(held);
	held = snapshot_slot_get(&slot);
	assert_string_equal(held->cfg.realm, "Second");
	snapshot_release(held);
	snapshot_slot_fini(&slot);
}

/* Readers on several threads while the main thread publishes: every
 * snapshot a reader sees is one of the published ones, whole (run under
 * the sanitizer build, a use after free would be reported). */
struct reader_ctx {
	struct snapshot_slot *slot;
	int bad;
};

static void *reader(void *arg)
{
	struct reader_ctx *r = arg;

	for (int i = 0; i < 20000; i++) {
		struct snapshot *s = snapshot_slot_get(r->slot);

		if (s->cfg.idle_timeout != s->cfg.header_timeout * 2)
			r->bad++;
		snapshot_release(s);
	}
	return NULL;
}

static void test_concurrent_publish(void **state)
{
	struct snapshot_slot slot;
	struct reader_ctx ctx[3];
	pthread_t t[3];
	struct config c;

	(void)state;
	load(&c, "[proxy]\nheader_timeout = 1\nidle_timeout = 2\n");
	snapshot_slot_init(&slot, snapshot_new(&c));
	for (int i = 0; i < 3; i++) {
		ctx[i].slot = &slot;
		ctx[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, reader, &ctx[i]), 0);
	}
	for (unsigned n = 2; n < 2000; n++) {
		c.header_timeout = n;
		c.idle_timeout = 2 * n;
		snapshot_slot_publish(&slot, snapshot_new(&c));
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(ctx[i].bad, 0);
	}
	snapshot_slot_fini(&slot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_keeps_its_snapshot),
		cmocka_unit_test(test_concurrent_publish),
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
