/*
 * store: local groups and their members, against a real database file.
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
#include <unistd.h>

#include "store.h"

#define STORE_FIXTURE_DIR "/tmp/portcullis-test-groups-XXXXXX"
#include "store_fixture.h"

static void add_user(struct store *st, const char *name)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.phc, sizeof(u.phc), "$scrypt$ln=1,r=1,p=1$c2FsdA$aGFzaA");
	u.enabled = 1;
	assert_int_equal(store_user_add(st, &u), 0);
}

struct names {
	char v[8][300];
	size_t n;
};

static int name_cb(const char *name, void *ud)
{
	struct names *l = ud;

	if (l->n < 8)
		snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", name);
	return 0;
}

static int group_cb(const struct store_group *g, void *ud)
{
	struct names *l = ud;

	if (l->n < 8)
		snprintf(l->v[l->n++], sizeof(l->v[0]), "%s:%lld", g->name, (long long)g->members);
	return 0;
}

static void test_groups_and_members(void **state)
{
	struct store *st = *state;
	struct names l;

	add_user(st, "alice");
	add_user(st, "bob");
	assert_int_equal(store_group_add(st, "staff"), 0);
	assert_int_equal(store_group_add(st, "staff"), -EEXIST);
	assert_int_equal(store_group_add(st, "guests"), 0);
	assert_int_equal(store_group_add(st, ""), -EINVAL);
	assert_int_equal(store_group_member_add(st, "staff", "alice"), 0);
	assert_int_equal(store_group_member_add(st, "staff", "alice"), -EEXIST);
	assert_int_equal(store_group_member_add(st, "staff", "bob"), 0);
	assert_int_equal(store_group_member_add(st, "guests", "alice"), 0);
	assert_int_equal(store_group_member_add(st, "nosuch", "alice"), -ENOENT);
	assert_int_equal(store_group_member_add(st, "staff", "nobody"), -ESRCH);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_group_list(st, group_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "guests:1");
	assert_string_equal(l.v[1], "staff:2");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_groups(st, "alice", name_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "guests");
	assert_string_equal(l.v[1], "staff");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_group_members(st, "staff", name_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "alice");
	assert_string_equal(l.v[1], "bob");

	assert_int_equal(store_group_member_delete(st, "staff", "bob"), 0);
	assert_int_equal(store_group_member_delete(st, "staff", "bob"), 1);
	/* a deleted user's memberships go with it, and a deleted group's */
	assert_int_equal(store_user_delete(st, "alice"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_group_members(st, "staff", name_cb, &l), 0);
	assert_int_equal(l.n, 0);
	add_user(st, "alice");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_groups(st, "alice", name_cb, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_group_member_add(st, "guests", "bob"), 0);
	assert_int_equal(store_group_delete(st, "guests"), 0);
	assert_int_equal(store_group_delete(st, "guests"), 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_groups(st, "bob", name_cb, &l), 0);
	assert_int_equal(l.n, 0);
}

/* names are data: quotes and SQL in a name are stored as written */
static void test_group_names_are_data(void **state)
{
	struct store *st = *state;
	struct names l;

	add_user(st, "o'brien");
	assert_int_equal(store_group_add(st, "x'); DROP TABLE users; --"), 0);
	assert_int_equal(store_group_member_add(st, "x'); DROP TABLE users; --", "o'brien"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_groups(st, "o'brien", name_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "x'); DROP TABLE users; --");
}

static int policy_cb(const struct store_policy *p, void *ud)
{
	struct names *l = ud;

	if (l->n < 8)
		snprintf(l->v[l->n++], sizeof(l->v[0]), "%s:%lld", p->group[0] ? p->group : "*",
			 (long long)p->priority);
	return 0;
}

static int membership_cb(const char *user, const char *group, void *ud)
{
	struct names *l = ud;

	if (l->n < 8)
		snprintf(l->v[l->n++], sizeof(l->v[0]), "%s:%s", user, group);
	return 0;
}

/* policies by priority then name, the default one ("") among them; a
 * change of a policy or of a local membership moves the generation the
 * daemon polls, and the texts are kept as given */
static void test_policies(void **state)
{
	struct store *st = *state;
	struct store_policy *p = calloc(1, sizeof(*p)), *got = calloc(1, sizeof(*got));
	struct store_generations g0, g1;
	struct names l;

	assert_non_null(p);
	assert_non_null(got);
	add_user(st, "alice");
	assert_int_equal(store_group_add(st, "staff"), 0);
	assert_int_equal(store_generations(st, &g0), 0);
	snprintf(p->group, sizeof(p->group), "staff");
	p->priority = 20;
	snprintf(p->windows, sizeof(p->windows), "mon-fri 08:00-18:00");
	snprintf(p->deny, sizeof(p->deny), "'; DROP TABLE users; --");
	p->quota.day_bytes = 5000000000ull;
	assert_int_equal(store_policy_set(st, p), 0);
	memset(&p->quota, 0, sizeof(p->quota));
	p->group[0] = '\0';
	p->priority = 100;
	assert_int_equal(store_policy_set(st, p), 0);
	snprintf(p->group, sizeof(p->group), "guests");
	p->priority = 20;
	p->denied = 1;
	assert_int_equal(store_policy_set(st, p), 0);
	assert_int_equal(store_generations(st, &g1), 0);
	assert_true(g1.policies > g0.policies);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_policy_list(st, policy_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "guests:20");
	assert_string_equal(l.v[1], "staff:20");
	assert_string_equal(l.v[2], "*:100");

	assert_int_equal(store_policy_get(st, "staff", got), 0);
	assert_string_equal(got->deny, "'; DROP TABLE users; --");
	assert_string_equal(got->windows, "mon-fri 08:00-18:00");
	assert_true(got->quota.day_bytes == 5000000000ull);
	assert_true(got->quota.session_bytes == 0 && got->quota.month_bytes == 0);
	assert_int_equal(store_policy_get(st, "", got), 0);
	assert_int_equal(got->priority, 100);
	assert_int_equal(store_policy_get(st, "nobody", got), 1);

	/* set again: replaced, not added */
	p->denied = 0;
	assert_int_equal(store_policy_set(st, p), 0);
	assert_int_equal(store_policy_get(st, "guests", got), 0);
	assert_int_equal(got->denied, 0);

	g0 = g1;
	assert_int_equal(store_group_member_add(st, "staff", "alice"), 0);
	assert_int_equal(store_generations(st, &g1), 0);
	assert_true(g1.policies > g0.policies);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_memberships(st, membership_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "alice:staff");

	assert_int_equal(store_policy_delete(st, "guests"), 0);
	assert_int_equal(store_policy_delete(st, "guests"), 1);
	free(p);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groups_and_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_names_are_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_groups", tests, group_setup, group_teardown);
}
