#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/prctl.h>
#include <sys/resource.h>

#include "process.h"

/* After process_harden the process cannot leave a core file, and may use
 * every descriptor its hard limit allows. */
static void test_harden(void **state)
{
	struct rlimit core, fds;
	unsigned long max_fds = 0;
	char err[256];

	(void)state;
	/* start from the opposite, so the test cannot pass by luck */
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &fds), 0);
	if (fds.rlim_max > 256) {
		fds.rlim_cur = 256;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &fds), 0);
	}
	assert_int_equal(process_harden(&max_fds, err, sizeof(err)), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &core), 0);
	assert_int_equal(core.rlim_cur, 0);
	assert_int_equal(core.rlim_max, 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &fds), 0);
	assert_int_equal(fds.rlim_cur, fds.rlim_max);
	assert_int_equal(max_fds, fds.rlim_cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_harden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
