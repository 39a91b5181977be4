#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"

static struct sockaddr_in client(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };

	inet_pton(AF_INET, "10.201.0.2", &sin.sin_addr);
	return sin;
}

static void test_squid_native_line(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1732451234567, .duration_ms = 12,
		.client = (struct sockaddr *)&sin, .tag = "TCP_MISS", .status = 200,
		.bytes = 1270, .method = "GET", .method_len = 3,
		.url = "http://10.202.0.2/1k", .url_len = 20, .user = "alice",
		.hierarchy = "HIER_DIRECT", .peer = "10.202.0.2",
		.content_type = "text/html", .content_type_len = 9,
	};
	char line[1024];

	(void)state;
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_string_equal(line, "1732451234.567     12 10.201.0.2 TCP_MISS/200 1270 GET "
			    "http://10.202.0.2/1k alice HIER_DIRECT/10.202.0.2 text/html\n");
}

static void test_empty_fields_are_dashes(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin, .tag = "TCP_DENIED",
		.status = 407, .bytes = 300, .method = "GET", .method_len = 3,
		.url = "http://a/", .url_len = 9, .hierarchy = "HIER_NONE",
	};
	char line[1024];

	(void)state;
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_string_equal(line, "1.000      0 10.201.0.2 TCP_DENIED/407 300 GET http://a/ - HIER_NONE/- -\n");
}

/* A username is whatever the client sent: it must not add fields or lines. */
static void test_hostile_user_is_escaped(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin, .tag = "TCP_DENIED",
		.status = 407, .method = "GET", .method_len = 3, .url = "http://a/", .url_len = 9,
		.user = "eve x\n1.000 0 6.6.6.6 TCP_MISS/200%", .hierarchy = "HIER_NONE",
	};
	char line[1024];
	int n;

	(void)state;
	n = accesslog_format(line, sizeof(line), &e);
	assert_true(n > 0);
	assert_non_null(strstr(line, " eve%20x%0A1.000%200%206.6.6.6%20TCP_MISS/200%25 "));
	assert_int_equal(strchr(line, '\n') - line, n - 1);
}

static void test_ipv6_client(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin6, .tag = "TCP_TUNNEL",
		.status = 200, .method = "CONNECT", .method_len = 7,
		.url = "10.202.0.2:443", .url_len = 14, .user = "bob", .hierarchy = "HIER_DIRECT",
		.peer = "10.202.0.2",
	};
	char line[1024];

	(void)state;
	inet_pton(AF_INET6, "fd00:201::2", &sin6.sin6_addr);
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_non_null(strstr(line, " fd00:201::2 TCP_TUNNEL/200 0 CONNECT 10.202.0.2:443 bob HIER_DIRECT/10.202.0.2 -\n"));
}

/* The address text a connection made once at accept is used as given; a
 * wall clock stepped back gives a duration of 0, not a negative number */
static void test_client_text_and_clock_step(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1732451234005, .duration_ms = -40,
		.client = (struct sockaddr *)&sin, .client_text = "fd00:201::2",
		.tag = "TCP_DENIED", .status = 429, .bytes = 42, .method = "GET", .method_len = 3,
		.url = "http://a/", .url_len = 9, .hierarchy = "HIER_NONE",
		.content_type = "text/plain", .content_type_len = 10,
	};
	char line[1024];

	(void)state;
	assert_true(accesslog_format(line, sizeof(line), &e) > 0);
	assert_string_equal(line, "1732451234.005      0 fd00:201::2 TCP_DENIED/429 42 GET http://a/ - "
			    "HIER_NONE/- text/plain\n");
}

/* A URL too long for the line is cut, but every field after it is still
 * there: the line keeps its ten fields and ends with one newline */
static void test_long_url_keeps_fields(void **state)
{
	struct sockaddr_in sin = client();
	static char url[4000];
	struct accesslog_entry e = {
		.start_ms = 1000, .client = (struct sockaddr *)&sin, .tag = "TCP_MISS",
		.status = 200, .method = "GET", .method_len = 3, .url = url, .user = "alice",
		.hierarchy = "HIER_DIRECT", .peer = "10.202.0.2",
		.content_type = "text/html", .content_type_len = 9,
	};
	char line[1024];
	int n, fields = 0;

	(void)state;
	memset(url, ' ', sizeof(url));     /* each one escaped to three bytes */
	e.url_len = sizeof(url);
	n = accesslog_format(line, sizeof(line), &e);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_int_equal(strchr(line, '\n') - line, n - 1);
	for (int i = 0; i < n; i++)
		fields += line[i] != ' ' && (i == 0 || line[i - 1] == ' ');
	assert_int_equal(fields, 10);
	assert_non_null(strstr(line, "%20 alice HIER_DIRECT/10.202.0.2 text/html\n"));
}

static size_t file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return (size_t)n;
}

/* Queued lines reach the file only when flushed, whole and in order; a
 * batch that would overflow writes itself out first, losing nothing. */
static void test_batch_writes_whole_lines(void **state)
{
	char path[] = "/tmp/portcullis-accesslog-test.XXXXXX";
	int fd = mkstemp(path);
	struct sockaddr_in sin = client();
	char url[4096], line[8192];
	struct accesslog_entry e = {
		.start_ms = 1732451234567, .duration_ms = 1,
		.client = (struct sockaddr *)&sin, .tag = "TCP_MISS", .status = 200,
		.bytes = 10, .method = "GET", .method_len = 3, .url = url,
		.hierarchy = "HIER_DIRECT", .peer = "10.202.0.2",
	};
	struct accesslog_batch *b = calloc(1, sizeof(*b));
	struct accesslog *log;
	char err[256];
	size_t one, n = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	log = accesslog_open(path, err, sizeof(err));
	assert_non_null(log);
	assert_non_null(b);
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	e.url_len = strlen(url);
	one = (size_t)accesslog_format(line, sizeof(line), &e);

	accesslog_queue(log, b, &e);
	accesslog_queue(log, b, &e);
	assert_int_equal(file_size(path), 0);
	accesslog_flush(log, b);
	assert_int_equal(file_size(path), 2 * one);
	assert_int_equal(b->len, 0);
	/* more than a batch holds: every line arrives, each one whole */
	for (int i = 0; i < 20; i++)
		accesslog_queue(log, b, &e);
	assert_true(file_size(path) > 2 * one);
	accesslog_flush(log, b);
	assert_int_equal(file_size(path), 22 * one);
	{
		FILE *f = fopen(path, "r");
		char *got = malloc(one + 1);

		assert_non_null(f);
		assert_non_null(got);
		while (fread(got, 1, one, f) == one) {
			got[one] = '\0';
			assert_string_equal(got, line);
			n++;
		}
		fclose(f);
		free(got);
	}
	assert_int_equal(n, 22);
	accesslog_close(log);
	free(b);
	unlink(path);
}

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* A reload can turn the log on, move it, and a path that cannot be opened
 * leaves it writing where it did. */
static void test_set_path_on_reload(void **state)
{
	struct sockaddr_in sin = client();
	struct accesslog_entry e = {
		.start_ms = 1732451234567, .client = (struct sockaddr *)&sin, .tag = "TCP_MISS",
		.status = 200, .method = "GET", .method_len = 3, .url = "http://a/", .url_len = 9,
	};
	char dir[] = "/tmp/portcullis-alog.XXXXXX", a[128], b[128], err[256];
	struct accesslog *log;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.log", dir);
	snprintf(b, sizeof(b), "%s/b.log", dir);
	log = accesslog_open("", err, sizeof(err));
	assert_non_null(log);
	accesslog_write(log, &e);              /* off: goes nowhere */
	assert_int_equal(accesslog_set_path(log, a, err, sizeof(err)), 0);
	accesslog_write(log, &e);
	assert_int_equal(lines_in(a), 1);
	assert_int_equal(accesslog_set_path(log, "/nonexistent-dir/x.log", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open access log /nonexistent-dir/x.log"));
	accesslog_write(log, &e);
	assert_int_equal(lines_in(a), 2);
	assert_int_equal(accesslog_set_path(log, b, err, sizeof(err)), 0);
	accesslog_write(log, &e);
	assert_int_equal(lines_in(a), 2);
	assert_int_equal(lines_in(b), 1);
	/* logrotate moved the file away: the reopen starts a new one */
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(accesslog_reopen(log), 0);
	accesslog_write(log, &e);
	assert_int_equal(lines_in(b), 1);
	accesslog_close(log);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_squid_native_line),
		cmocka_unit_test(test_empty_fields_are_dashes),
		cmocka_unit_test(test_hostile_user_is_escaped),
		cmocka_unit_test(test_ipv6_client),
		cmocka_unit_test(test_client_text_and_clock_step),
		cmocka_unit_test(test_long_url_keeps_fields),
		cmocka_unit_test(test_batch_writes_whole_lines),
		cmocka_unit_test(test_set_path_on_reload),
	};

	return cmocka_run_group_tests_name("accesslog", tests, NULL, NULL);
}
