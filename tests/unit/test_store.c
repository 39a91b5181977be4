#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static char path[64];

static int setup(void **state)
{
	char err[256];

	snprintf(path, sizeof(path), "/tmp/portcullis-test-store-%d.db", getpid());
	*state = store_open(path, err, sizeof(err));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char p[96];

	store_close(*state);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static struct store_user user(const char *name)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.phc, sizeof(u.phc), "$scrypt$ln=15,r=8,p=1$x$y");
	u.enabled = 1;
	return u;
}

static void test_users(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;
	struct store_generations g1, g2;
	char err[256];
	struct store *again;

	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_add(st, &u), -EEXIST);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.phc, u.phc);
	assert_int_equal(got.enabled, 1);
	assert_int_equal(store_user_get(st, "nobody", &got), 1);

	assert_int_equal(store_generations(st, &g1), 0);
	assert_int_equal(store_user_touch_login(st, "alice", 1234), 0);
	assert_int_equal(store_generations(st, &g2), 0);
	assert_int_equal(g1.users, g2.users);       /* logins keep the cache */
	assert_int_equal(store_user_set_enabled(st, "alice", 0), 0);
	assert_int_equal(store_generations(st, &g2), 0);
	assert_true(g2.users > g1.users);           /* changes drop it */
	assert_int_equal(store_user_set_enabled(st, "nobody", 0), 1);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_int_equal(got.enabled, 0);
	assert_int_equal(got.last_login_at, 1234);

	/* re-opening runs no migration twice */
	again = store_open(path, err, sizeof(err));
	assert_non_null(again);
	assert_int_equal(store_schema_version(again), 1);
	store_close(again);
	assert_int_equal(store_user_delete(st, "alice"), 0);
	assert_int_equal(store_user_delete(st, "alice"), 1);
}

static void test_injection_is_data(void **state)
{
	struct store *st = *state;
	struct store_user u = user("x'); DROP TABLE users;--"), got;

	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_get(st, "x'); DROP TABLE users;--", &got), 0);
	assert_string_equal(got.name, "x'); DROP TABLE users;--");
}

static int count_cb(const struct store_failure *f, void *ud)
{
	int64_t *last = ud;

	/* newest first, strictly */
	if (last[1])
		assert_true(f->time_ms < last[1] || (f->time_ms == last[1] && f->id < last[2]));
	last[0]++;
	last[1] = f->time_ms;
	last[2] = f->id;
	return 0;
}

static void test_failures_keyset_paging(void **state)
{
	struct store *st = *state;
	struct store_failure rows[250];
	struct store_failure_filter f = { .limit = 40 };
	int64_t seen[3] = { 0 }, total = 0;

	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 250; i++) {
		rows[i].time_ms = 1000 + i / 3;    /* ties on time: id breaks them */
		snprintf(rows[i].client_addr, sizeof(rows[i].client_addr), "10.0.0.%d", i % 5);
		snprintf(rows[i].username, sizeof(rows[i].username), "u%d", i % 7);
		snprintf(rows[i].reason, sizeof(rows[i].reason), "wrong_password");
		snprintf(rows[i].mode, sizeof(rows[i].mode), "explicit");
	}
	assert_int_equal(store_failures_insert(st, rows, 250), 0);
	for (;;) {
		seen[0] = 0;
		assert_int_equal(store_failures_list(st, &f, count_cb, seen), 0);
		total += seen[0];
		if (seen[0] < 40)
			break;
		f.before_time_ms = seen[1];
		f.before_id = seen[2];
		seen[1] = 0;
	}
	assert_int_equal(total, 250);

	memset(&f, 0, sizeof(f));
	f.username = "u3";
	f.client_addr = "10.0.0.1";
	f.limit = 1000;
	seen[0] = seen[1] = 0;
	assert_int_equal(store_failures_list(st, &f, count_cb, seen), 0);
	assert_int_equal(seen[0], 7);     /* i = 3 mod 7 and 1 mod 5 */
	assert_int_equal(store_failures_prune(st, 1050), 0);
	memset(&f, 0, sizeof(f));
	f.limit = 1000;
	seen[0] = seen[1] = 0;
	assert_int_equal(store_failures_list(st, &f, count_cb, seen), 0);
	assert_int_equal(seen[0], 250 - 150);
}

static void test_meta_whitelist_sessions_backup(void **state)
{
	struct store *st = *state;
	char v[64], err[256], bpath[96];
	struct store_session s;
	struct store *copy;
	struct store_user got;

	assert_int_equal(store_meta_get(st, "digest_realm", v, sizeof(v)), 0);
	assert_string_equal(v, "Portcullis");
	assert_int_equal(store_meta_set(st, "k", "v"), 0);
	assert_int_equal(store_meta_get(st, "k", v, sizeof(v)), 0);
	assert_int_equal(store_meta_del(st, "k"), 0);
	assert_int_equal(store_meta_get(st, "k", v, sizeof(v)), 1);
	assert_int_equal(store_whitelist_add(st, "10.0.0.0/8", "lan"), 0);
	assert_int_equal(store_whitelist_add(st, "10.0.0.0/8", "lan"), -EEXIST);
	assert_int_equal(store_whitelist_del(st, "10.0.0.0/8"), 0);
	assert_int_equal(store_whitelist_del(st, "10.0.0.0/8"), 1);
	memset(&s, 0, sizeof(s));
	snprintf(s.addr, sizeof(s.addr), "10.0.0.9");
	snprintf(s.username, sizeof(s.username), "alice");
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_session_delete(st, "10.0.0.9"), 0);

	{
		struct store_user u = user("bob");

		assert_int_equal(store_user_add(st, &u), 0);
	}
	snprintf(bpath, sizeof(bpath), "%s.backup", path);
	assert_int_equal(store_backup(st, bpath, err, sizeof(err)), 0);
	copy = store_open(bpath, err, sizeof(err));
	assert_non_null(copy);
	assert_int_equal(store_user_get(copy, "bob", &got), 0);
	store_close(copy);
	unlink(bpath);
}

static void test_open_errors(void **state)
{
	char err[256];

	(void)state;
	assert_null(store_open("/nonexistent-dir/x.db", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injection_is_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_keyset_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_whitelist_sessions_backup, setup, teardown),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
