#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounting.h"
#include "radius.h"
#include "store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/portcullis-test-accounting.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/db", dir);
	*state = store_open(path, err, sizeof(err));
	if (!*state)
		fprintf(stderr, "store_open: %s\n", err);
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
	rmdir(dir);
	return 0;
}

static void make_record(struct store_acct_record *r, int status, const char *sid, int64_t at)
{
	memset(r, 0, sizeof(*r));
	r->status_type = status;
	snprintf(r->session_id, sizeof(r->session_id), "%s", sid);
	snprintf(r->username, sizeof(r->username), "alice");
	snprintf(r->addr, sizeof(r->addr), "10.0.0.7");
	memcpy(r->class_value, "\x00\x01class", 7);
	r->class_len = 7;
	r->event_at = at;
	r->counts.known = 1;
	r->counts.out_octets = 5ull << 32;
}

/* Records come back oldest first, whole, and go when answered; a session
 * row written with them goes with its Stop. */
static void test_queue_in_order_until_answered(void **state)
{
	struct store *st = *state;
	struct store_acct_record recs[3], got[8];
	struct store_acct_session x, back;
	int n;

	memset(&x, 0, sizeof(x));
	snprintf(x.addr, sizeof(x.addr), "10.0.0.7");
	snprintf(x.session_id, sizeof(x.session_id), "gw-1");
	snprintf(x.username, sizeof(x.username), "alice");
	x.started_at = 100;
	x.interval = 60;
	make_record(&recs[0], RADIUS_ACCT_START, "gw-1", 100);
	assert_int_equal(store_acct_write(st, NULL, &x, 1, recs, 1), 0);
	make_record(&recs[1], RADIUS_ACCT_INTERIM, "gw-1", 160);
	make_record(&recs[2], RADIUS_ACCT_STOP, "gw-1", 170);
	recs[2].terminate_cause = RADIUS_TERM_ADMIN_RESET;
	assert_int_equal(store_acct_session_get(st, "10.0.0.7", &back), 0);
	assert_string_equal(back.session_id, "gw-1");
	assert_int_equal(store_acct_write(st, "10.0.0.7", NULL, 0, recs + 1, 2), 0);
	assert_int_equal(store_acct_session_get(st, "10.0.0.7", &back), 1);
	assert_int_equal(store_acct_queue_count(st), 3);
	n = store_acct_queue_peek(st, got, 8);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].status_type, RADIUS_ACCT_START);
	assert_int_equal(got[1].status_type, RADIUS_ACCT_INTERIM);
	assert_int_equal(got[2].status_type, RADIUS_ACCT_STOP);
	assert_true(got[0].id < got[1].id && got[1].id < got[2].id);
	assert_int_equal(got[2].terminate_cause, RADIUS_TERM_ADMIN_RESET);
	assert_int_equal(got[1].class_len, 7);
	assert_memory_equal(got[1].class_value, "\x00\x01class", 7);
	assert_true(got[1].counts.known);
	assert_true(got[1].counts.out_octets == 5ull << 32);
	/* the second answered first: the first is still the oldest */
	assert_int_equal(store_acct_queue_done(st, got[1].id), 0);
	assert_int_equal(store_acct_queue_done(st, got[1].id), 1);
	n = store_acct_queue_peek(st, got, 1);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].status_type, RADIUS_ACCT_START);
	assert_int_equal(store_acct_queue_count(st), 2);
}

static void test_causes(void **state)
{
	(void)state;
	assert_int_equal(accounting_cause("kicked"), RADIUS_TERM_ADMIN_RESET);
	assert_int_equal(accounting_cause("idle"), RADIUS_TERM_IDLE_TIMEOUT);
	assert_int_equal(accounting_cause("expired"), RADIUS_TERM_SESSION_TIMEOUT);
	assert_int_equal(accounting_cause("user_disabled"), RADIUS_TERM_ADMIN_RESET);
	assert_int_equal(accounting_cause("address_gone"), RADIUS_TERM_LOST_CARRIER);
	assert_int_equal(accounting_cause("restart_lost"), RADIUS_TERM_NAS_REBOOT);
	assert_int_equal(accounting_cause("logout"), RADIUS_TERM_USER_REQUEST);
	assert_int_equal(accounting_cause("something new"), RADIUS_TERM_NAS_REQUEST);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The cost of one Interim-Update round with 10 000 live sessions, in its
 * two parts: the records queued in one transaction (what the round does),
 * and each built and signed as an Accounting-Request (what sending does).
 * Printed for the benchmark notes; the test checks the work was done.
 */
#define LIVE 10000
static void test_interim_round_of_10000_sessions(void **state)
{
	struct store *st = *state;
	static struct store_acct_session sess[LIVE];
	static struct store_acct_record recs[LIVE];
	uint8_t pkt[RADIUS_PACKET_MAX];
	double t0, t1, t2;
	int before = store_acct_queue_count(st);

	for (int i = 0; i < LIVE; i++) {
		memset(&sess[i], 0, sizeof(sess[i]));
		snprintf(sess[i].addr, sizeof(sess[i].addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
			 i & 255);
		snprintf(sess[i].session_id, sizeof(sess[i].session_id), "gw-%08x-%08x", i, i * 7);
		snprintf(sess[i].username, sizeof(sess[i].username), "user%d", i);
		sess[i].started_at = 1000;
		sess[i].updated_at = 1600;
		sess[i].interval = 600;
		make_record(&recs[i], RADIUS_ACCT_INTERIM, sess[i].session_id, 1600);
		memcpy(recs[i].addr, sess[i].addr, sizeof(recs[i].addr));
	}
	t0 = cpu_seconds();
	assert_int_equal(store_acct_write(st, NULL, sess, LIVE, recs, LIVE), 0);
	t1 = cpu_seconds();
	for (int i = 0; i < LIVE; i++) {
		struct radius_accounting a = {
			.status_type = RADIUS_ACCT_INTERIM, .session_id = recs[i].session_id,
			.user = recs[i].username, .class_value = recs[i].class_value,
			.class_len = recs[i].class_len, .nas_identifier = "gw",
			.session_time = 600, .has_counters = 1,
			.output_octets = recs[i].counts.out_octets,
		};

		assert_true(radius_build_accounting_request(pkt, sizeof(pkt), (uint8_t)i, &a,
							    (const uint8_t *)"secret", 6) > 20);
	}
	t2 = cpu_seconds();
	assert_int_equal(store_acct_queue_count(st), before + LIVE);
	fprintf(stderr, "interim round of %d sessions: queued in %.3f s CPU, built and signed "
		"in %.3f s CPU\n", LIVE, t1 - t0, t2 - t1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_in_order_until_answered, setup, teardown),
		cmocka_unit_test(test_causes),
		cmocka_unit_test_setup_teardown(test_interim_round_of_10000_sessions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
