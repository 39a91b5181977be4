#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "policy.h"

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

static struct policy_time at(int wday, int h, int m)
{
	struct policy_time t = { wday, h * 60 + m };
	return t;
}

static void windows(struct policy *p, const char *text)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	assert_int_equal(policy_parse_windows(text, p->windows, &p->n_windows, err, sizeof(err)), 0);
}

static void test_window_weekdays(void **state)
{
	struct policy p;

	(void)state;
	windows(&p, "mon-fri 08:00-18:00");
	assert_true(policy_time_allowed(&p, at(MON, 8, 0)));
	assert_true(policy_time_allowed(&p, at(FRI, 17, 59)));
	assert_false(policy_time_allowed(&p, at(FRI, 18, 0)));
	assert_false(policy_time_allowed(&p, at(MON, 7, 59)));
	assert_false(policy_time_allowed(&p, at(SAT, 12, 0)));
	assert_false(policy_time_allowed(&p, at(SUN, 12, 0)));
}

static void test_window_across_midnight(void **state)
{
	struct policy p;

	(void)state;
	/* belongs to the day it starts on */
	windows(&p, "fri 22:00-02:00");
	assert_true(policy_time_allowed(&p, at(FRI, 22, 0)));
	assert_true(policy_time_allowed(&p, at(FRI, 23, 59)));
	assert_true(policy_time_allowed(&p, at(SAT, 0, 0)));
	assert_true(policy_time_allowed(&p, at(SAT, 1, 59)));
	assert_false(policy_time_allowed(&p, at(SAT, 2, 0)));
	assert_false(policy_time_allowed(&p, at(FRI, 1, 0)));   /* Thursday's night: none */
	/* Saturday night crosses into Sunday: the week wraps */
	windows(&p, "sat 23:00-01:00");
	assert_true(policy_time_allowed(&p, at(SUN, 0, 30)));
	assert_false(policy_time_allowed(&p, at(SUN, 1, 0)));
}

static void test_window_wrapping_days_and_whole_day(void **state)
{
	struct policy p;

	(void)state;
	windows(&p, "fri-mon 00:00-24:00");
	assert_true(policy_time_allowed(&p, at(SUN, 12, 0)));
	assert_true(policy_time_allowed(&p, at(MON, 23, 59)));
	assert_false(policy_time_allowed(&p, at(TUE, 0, 0)));
	assert_false(policy_time_allowed(&p, at(THU, 23, 59)));
	windows(&p, "");
	assert_true(policy_time_allowed(&p, at(WED, 3, 0)));
	assert_int_equal(policy_minutes_left(&p, at(WED, 3, 0)), -1);
	windows(&p, "daily 00:00-24:00");
	assert_int_equal(policy_minutes_left(&p, at(WED, 3, 0)), -1);
}

static void test_next_opening_and_minutes_left(void **state)
{
	struct policy p;
	struct policy_time o;
	char buf[32];

	(void)state;
	windows(&p, "mon-fri 08:00-18:00, sat 10:00-12:00");
	assert_int_equal(policy_next_opening(&p, at(FRI, 18, 0), &o), 16 * 60);
	assert_string_equal(policy_time_text(o, buf, sizeof(buf)), "Sat 10:00");
	assert_int_equal(policy_next_opening(&p, at(SAT, 12, 0), &o), 44 * 60);
	assert_string_equal(policy_time_text(o, buf, sizeof(buf)), "Mon 08:00");
	assert_int_equal(policy_minutes_left(&p, at(MON, 17, 30)), 30);
	assert_int_equal(policy_minutes_left(&p, at(MON, 18, 30)), 0);
	/* windows that touch make one stretch */
	windows(&p, "mon 08:00-12:00, mon 12:00-13:00");
	assert_int_equal(policy_minutes_left(&p, at(MON, 11, 0)), 120);
}

/* the refusal in parts (the portal words it in the person's language) */
static void test_refusal_parts(void **state)
{
	struct policy p;
	struct policy_time o;
	char buf[128];

	(void)state;
	windows(&p, "mon-fri 08:00-18:00");
	assert_int_equal(policy_refusal_at(&p, at(MON, 9, 0), &o), POLICY_ADMITS);
	assert_int_equal(policy_refusal_at(&p, at(FRI, 18, 0), &o), POLICY_OPENS);
	assert_int_equal(o.wday, MON);
	assert_int_equal(o.minute, 8 * 60);
	/* the English text is made from the same parts */
	assert_int_equal(policy_admits(&p, at(FRI, 18, 0), buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "access opens Mon 08:00"));
	p.denied = 1;
	assert_int_equal(policy_refusal_at(&p, at(MON, 9, 0), &o), POLICY_DENIED);
}

static void test_bad_windows(void **state)
{
	static const char *const bad[] = {
		"mon", "mon 8:00-9:00", "mon 08:00", "xyz 08:00-09:00", "mon-xyz 08:00-09:00",
		"mon 24:01-25:00", "mon 08:60-09:00", "mon 24:00-01:00", "mon 08:00-09:00x",
		"mon\001 08:00-09:00", "mon--fri 08:00-09:00", "-mon 08:00-09:00",
	};
	struct policy_window w[POLICY_WINDOWS_MAX];
	char err[256], many[2048] = "";
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(policy_parse_windows(bad[i], w, &n, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "time window"));
		assert_null(strchr(err, '\001'));
	}
	for (int i = 0; i <= POLICY_WINDOWS_MAX; i++)
		strcat(many, "mon 08:00-09:00,");
	assert_int_equal(policy_parse_windows(many, w, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
}

static void rules(struct policy_rule *r, size_t *n, const char *text)
{
	char err[256];

	assert_int_equal(policy_parse_rules(text, r, n, err, sizeof(err)), 0);
}

static void test_rules_hostile(void **state)
{
	static const char *const bad[] = {
		"*", "*.", "*example.org", "a.*.org", "exa mple.org\001", "..", ".org", "a..b",
		"10.0.0.0/33", "10.0.0.999", "::g/8", "host/", "é.org", "<script>", "a;b",
		"example.org\n", "*.*.org",
	};
	struct policy_rule r[POLICY_RULES_MAX];
	char err[256], label[80], long_name[400];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(policy_parse_rules(bad[i], r, &n, err, sizeof(err)), -1);
		assert_null(strchr(err, '\n'));
		assert_null(strchr(err, '\001'));
	}
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_int_equal(policy_parse_rules(label, r, &n, err, sizeof(err)), -1);
	label[63] = '\0';
	assert_int_equal(policy_parse_rules(label, r, &n, err, sizeof(err)), 0);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (size_t i = 10; i < sizeof(long_name) - 1; i += 10)
		long_name[i] = '.';
	assert_int_equal(policy_parse_rules(long_name, r, &n, err, sizeof(err)), -1);
}

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &sin->sin_addr), 1);
	return ss;
}

static void test_destinations_deny_list(void **state)
{
	struct policy p;
	const struct policy_rule *r = NULL;
	struct sockaddr_storage a;
	char buf[300];

	(void)state;
	memset(&p, 0, sizeof(p));
	rules(p.deny, &p.n_deny, "bad.example, *.ads.example 10.9.0.0/16");
	assert_int_equal(policy_check_host(&p, "BAD.example.", &r), POLICY_DEST_DENIED);
	assert_string_equal(policy_rule_text(r, buf, sizeof(buf)), "bad.example");
	assert_int_equal(policy_check_host(&p, "x.y.ads.example", &r), POLICY_DEST_DENIED);
	assert_string_equal(policy_rule_text(r, buf, sizeof(buf)), "*.ads.example");
	/* *.suffix is below the suffix, not the suffix itself */
	assert_int_equal(policy_check_host(&p, "ads.example", &r), POLICY_DEST_PASS);
	assert_int_equal(policy_check_host(&p, "notads.example", &r), POLICY_DEST_PASS);
	assert_int_equal(policy_check_host(&p, "good.example", &r), POLICY_DEST_PASS);
	a = v4("10.9.3.4");
	assert_int_equal(policy_check_address(&p, (struct sockaddr *)&a, 1, &r), POLICY_DEST_DENIED);
	assert_string_equal(policy_rule_text(r, buf, sizeof(buf)), "10.9.0.0/16");
	a = v4("10.8.3.4");
	assert_int_equal(policy_check_address(&p, (struct sockaddr *)&a, 1, &r), POLICY_DEST_PASS);
}

static void test_destinations_allow_list(void **state)
{
	struct policy p;
	struct sockaddr_storage a;

	(void)state;
	memset(&p, 0, sizeof(p));
	rules(p.allow, &p.n_allow, "intranet.example *.school.example");
	assert_int_equal(policy_check_host(&p, "intranet.example", NULL), POLICY_DEST_PASS);
	assert_int_equal(policy_check_host(&p, "www.school.example", NULL), POLICY_DEST_PASS);
	assert_int_equal(policy_check_host(&p, "elsewhere.example", NULL), POLICY_DEST_NOT_LISTED);
	assert_int_equal(policy_check_host(&p, "[::1]", NULL), POLICY_DEST_NOT_LISTED);
	rules(p.allow, &p.n_allow, "intranet.example 192.0.2.0/24");
	assert_int_equal(policy_check_host(&p, "elsewhere.example", NULL), POLICY_DEST_BY_ADDRESS);
	a = v4("192.0.2.7");
	assert_int_equal(policy_check_address(&p, (struct sockaddr *)&a, 0, NULL), POLICY_DEST_PASS);
	a = v4("198.51.100.7");
	assert_int_equal(policy_check_address(&p, (struct sockaddr *)&a, 0, NULL),
			 POLICY_DEST_NOT_LISTED);
	/* let through by its name: the allow ranges do not apply */
	assert_int_equal(policy_check_address(&p, (struct sockaddr *)&a, 1, NULL), POLICY_DEST_PASS);
	/* a deny rule wins over an allow rule */
	rules(p.deny, &p.n_deny, "intranet.example");
	assert_int_equal(policy_check_host(&p, "intranet.example", NULL), POLICY_DEST_DENIED);
}

static void test_select_first_matching_group(void **state)
{
	static struct policy list[3];
	const char groups[] = "students\0staff";

	(void)state;
	memset(list, 0, sizeof(list));
	strcpy(list[0].group, "students");
	list[0].priority = 20;
	strcpy(list[1].group, "staff");
	list[1].priority = 10;
	list[2].group[0] = '\0';
	assert_ptr_equal(policy_select(list, 3, groups, sizeof(groups), 2), &list[1]);
	assert_ptr_equal(policy_select(list, 3, groups, 9, 1), &list[0]);
	assert_ptr_equal(policy_select(list, 3, "guests", 7, 1), &list[2]);
	assert_ptr_equal(policy_select(list, 3, NULL, 0, 0), &list[2]);
	assert_null(policy_select(list, 2, "guests", 7, 1));
	/* a name cut short by the buffer's end is no group */
	assert_null(policy_select(list, 2, "staff", 5, 1));
}

/* The device limit: the user's own wins; else the first matching group's
 * policy's (by priority), even when a later group's is stricter, and a
 * first policy without a limit means none; else the default policy's;
 * with no policy at all, none. */
static void test_device_limit_precedence(void **state)
{
	static struct policy list[3];
	const char groups[] = "students\0staff";

	(void)state;
	memset(list, 0, sizeof(list));
	strcpy(list[0].group, "students");
	list[0].priority = 20;
	list[0].max_devices = 1;
	strcpy(list[1].group, "staff");
	list[1].priority = 10;
	list[1].max_devices = 3;
	list[2].group[0] = '\0';
	list[2].max_devices = 2;
	/* staff comes first by priority: its 3, not students' 1 */
	assert_int_equal(policy_device_limit(0, policy_select(list, 3, groups, sizeof(groups), 2)), 3);
	assert_int_equal(policy_device_limit(0, policy_select(list, 3, groups, 9, 1)), 1);
	/* the user's own limit wins, looser or stricter */
	assert_int_equal(policy_device_limit(5, policy_select(list, 3, groups, 9, 1)), 5);
	assert_int_equal(policy_device_limit(1, policy_select(list, 3, groups, sizeof(groups), 2)), 1);
	/* in no group with a policy: the default policy's */
	assert_int_equal(policy_device_limit(0, policy_select(list, 3, "guests", 7, 1)), 2);
	/* no default policy, no group: no limit, unless the user's own */
	assert_int_equal(policy_device_limit(0, policy_select(list, 2, "guests", 7, 1)), 0);
	assert_int_equal(policy_device_limit(4, policy_select(list, 2, "guests", 7, 1)), 4);
	/* the first matching policy sets no limit: none, the later group's not taken */
	list[1].max_devices = 0;
	assert_int_equal(policy_device_limit(0, policy_select(list, 3, groups, sizeof(groups), 2)), 0);
}

static void test_valid_class(void **state)
{
	(void)state;
	assert_true(policy_valid_class(""));
	assert_true(policy_valid_class("students-slow_1.0"));
	assert_false(policy_valid_class("a b"));
	assert_false(policy_valid_class("<b>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_weekdays),
		cmocka_unit_test(test_window_across_midnight),
		cmocka_unit_test(test_window_wrapping_days_and_whole_day),
		cmocka_unit_test(test_next_opening_and_minutes_left),
		cmocka_unit_test(test_refusal_parts),
		cmocka_unit_test(test_bad_windows),
		cmocka_unit_test(test_rules_hostile),
		cmocka_unit_test(test_destinations_deny_list),
		cmocka_unit_test(test_destinations_allow_list),
		cmocka_unit_test(test_select_first_matching_group),
		cmocka_unit_test(test_valid_class),
		cmocka_unit_test(test_device_limit_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
