#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secretfile.h"

static char dir[] = "/tmp/test_secretfile.XXXXXX";
static char path[256];
static char err[512];

static void write_secret(const char *content, size_t n, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_owner_only_file_read(void **state)
{
	char buf[64];

	(void)state;
	write_secret("s3cret\n", 7, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), 6);
	assert_string_equal(buf, "s3cret");
	write_secret("s3cret\r\n", 8, 0400);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), 6);
	assert_string_equal(buf, "s3cret");
	/* no line end at all */
	write_secret("s3cret", 6, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), 6);
	assert_string_equal(buf, "s3cret");
	/* blanks inside the secret are the secret's */
	write_secret(" a b \n\n", 7, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), 5);
	assert_string_equal(buf, " a b ");
}

static void test_group_or_world_readable_refused(void **state)
{
	char buf[64];

	(void)state;
	write_secret("s3cret\n", 7, 0640);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0640"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(buf[0], 0);
	write_secret("s3cret\n", 7, 0604);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	write_secret("s3cret\n", 7, 0610);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
}

static void test_bad_content_refused(void **state)
{
	char buf[8];

	(void)state;
	write_secret("\n", 1, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	write_secret("", 0, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	write_secret("one\ntwo\n", 8, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one line"));
	write_secret("a\0b\n", 4, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	/* 7 bytes fit in 8; 8 do not, and are not cut to 7 */
	write_secret("1234567\n", 8, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), 7);
	assert_string_equal(buf, "1234567");
	write_secret("12345678\n", 9, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	write_secret("12345678", 8, 0600);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	/* not a file */
	assert_int_equal(secretfile_read(dir, buf, sizeof(buf), err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(secretfile_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_only_file_read),
		cmocka_unit_test(test_group_or_world_readable_refused),
		cmocka_unit_test(test_bad_content_refused),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/secret", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rmdir(dir);
	return rc;
}
