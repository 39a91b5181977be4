#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlscert.h"

static char dir[64];
static char cert[128], key[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/portcullis-tlscert.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cert, sizeof(cert), "%s/admin-tls.crt", dir);
	snprintf(key, sizeof(key), "%s/admin-tls.key", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(cert);
	unlink(key);
	snprintf(p, sizeof(p), "%s/elsewhere", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void test_default_paths(void **state)
{
	char c[64], k[64], small[8];

	(void)state;
	assert_int_equal(tlscert_default_paths("/var/lib/portcullis/portcullis.db", "admin", c, sizeof(c), k,
					       sizeof(k)), 0);
	assert_string_equal(c, "/var/lib/portcullis/admin-tls.crt");
	assert_string_equal(k, "/var/lib/portcullis/admin-tls.key");
	assert_int_equal(tlscert_default_paths("p.db", "admin", c, sizeof(c), k, sizeof(k)), 0);
	assert_string_equal(c, "./admin-tls.crt");
	assert_int_equal(tlscert_default_paths("/p.db", "admin", c, sizeof(c), k, sizeof(k)), 0);
	assert_string_equal(k, "/admin-tls.key");
	/* too long is an error, never a shortened path */
	assert_int_equal(tlscert_default_paths("/var/lib/p.db", "admin", small, sizeof(small), k, sizeof(k)), -1);
}

static void fingerprint_of(const char *path, char *fp, size_t len)
{
	char err[256], *pem = NULL;

	assert_int_equal(tlscert_read_pem(path, &pem, err, sizeof(err)), 0);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(tlscert_fingerprint(pem, fp, len), 0);
	free(pem);
}

static void test_generate_once_then_keep(void **state)
{
	char err[256], fp1[128], fp2[128], *pem = NULL;
	struct stat sb;

	(void)state;
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "DNS:localhost,IP:127.0.0.1", err, sizeof(err)), 1);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(cert, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	fingerprint_of(cert, fp1, sizeof(fp1));
	assert_int_equal(strlen(fp1), 32 * 3 - 1);     /* SHA-256 as AB:CD:... */
	assert_int_equal(tlscert_read_pem(key, &pem, err, sizeof(err)), 0);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	free(pem);

	/* the second start keeps the pair */
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "DNS:localhost", err, sizeof(err)), 0);
	fingerprint_of(cert, fp2, sizeof(fp2));
	assert_string_equal(fp1, fp2);
}

static void test_half_a_pair_is_an_error(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "DNS:localhost", err, sizeof(err)), 1);
	assert_int_equal(unlink(cert), 0);
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "DNS:localhost", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "admin-tls.key exists without"));
	assert_int_equal(access(cert, F_OK), -1);      /* nothing new was written */
}

static void test_key_never_written_through_a_symlink(void **state)
{
	char err[256], target[160];

	(void)state;
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	/* a dangling link planted where the key goes */
	assert_int_equal(symlink(target, key), 0);
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "DNS:localhost", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(access(cert, F_OK), -1);
}

static void test_bad_inputs(void **state)
{
	char err[256], fp[128], *pem = (char *)1;
	FILE *f;

	(void)state;
	assert_int_equal(tlscert_read_pem(cert, &pem, err, sizeof(err)), -1);   /* missing */
	assert_null(pem);
	f = fopen(cert, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(tlscert_read_pem(cert, &pem, err, sizeof(err)), -1);   /* empty */
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(tlscert_fingerprint("not a certificate", fp, sizeof(fp)), -1);
	/* a subjectAltName OpenSSL cannot parse: no files left behind */
	unlink(cert);
	assert_int_equal(tlscert_ensure(cert, key, "Portcullis admin panel", "IP:not-an-address", err, sizeof(err)), -1);
	assert_int_equal(access(key, F_OK), -1);
	assert_int_equal(access(cert, F_OK), -1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_paths),
		T(test_generate_once_then_keep),
		T(test_half_a_pair_is_an_error),
		T(test_key_never_written_through_a_symlink),
		T(test_bad_inputs),
	};
#undef T

	return cmocka_run_group_tests_name("tlscert", tests, NULL, NULL);
}
