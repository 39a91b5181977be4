#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "config.h"

static struct config cfg;
static char err[512];

static int parse(const char *text)
{
	err[0] = '\0';
	return config_parse(&cfg, "test.conf", text, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.n_proxy_listen, 1);
	assert_string_equal(cfg.proxy_listen[0].text, "127.0.0.1:3128");
	assert_int_equal(cfg.header_timeout, 10);
	/* 80 too: Node's undici tunnels http:// URLs as CONNECT host:80 */
	assert_int_equal(cfg.n_connect_ports, 2);
	assert_int_equal(cfg.connect_ports[0], 443);
	assert_int_equal(cfg.connect_ports[1], 80);
	assert_int_equal(cfg.schemes, CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5 | CONFIG_SCHEME_BASIC);
	assert_string_equal(cfg.realm, "Portcullis");
	assert_string_equal(cfg.db_path, "/var/lib/portcullis/portcullis.db");
	assert_true(cfg.admin_enabled);
	assert_false(cfg.portal_enabled);
	assert_string_equal(cfg.intercept_interface, "");
	/* /metrics: loopback only, no token */
	assert_int_equal(cfg.n_metrics_allow, 2);
	assert_string_equal(cfg.metrics_token_file, "");
}

static void test_values(void **state)
{
	(void)state;
	assert_int_equal(parse("[proxy]\nlisten = 10.0.0.1:3128, [::1]:8080 , *:3129\n"
			       "idle_timeout = 15m\ntunnel_idle_timeout = 1h\nconnect_ports = 443, 8443\n"
			       "deny_ranges = 10.0.0.0/8, fd00::/8\nvia = off\n"
			       "[auth]\nschemes = basic\nrealm = \"Corp # net\"  # comment\n"
			       "[admin]\nlisten =\n[portal]\nlisten = 10.0.0.1:8000\n"
			       "[intercept]\ninterface = lan0\n[log]\nlevel = debug\n"), 0);
	assert_int_equal(cfg.n_proxy_listen, 3);
	assert_int_equal(cfg.proxy_listen[1].sa.ss_family, AF_INET6);
	assert_int_equal(cfg.idle_timeout, 900);
	assert_int_equal(cfg.tunnel_idle_timeout, 3600);
	assert_int_equal(cfg.n_connect_ports, 2);
	assert_int_equal(cfg.n_deny_ranges, 2);
	assert_false(cfg.via);
	assert_int_equal(cfg.schemes, CONFIG_SCHEME_BASIC);
	assert_string_equal(cfg.realm, "Corp # net");
	assert_false(cfg.admin_enabled);
	assert_true(cfg.portal_enabled);
	assert_string_equal(cfg.intercept_interface, "lan0");
	assert_string_equal(cfg.log_level, "debug");
	assert_int_equal(parse("[auth]\nschemes = none\n"), 0);
	assert_int_equal(cfg.schemes, 0);
}

/* Errors say file, line and what was expected. */
static void test_errors(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[proxy]\nlisten = nowhere\n", "test.conf:2: proxy.listen: expected ADDRESS:PORT" },
		{ "[proxy]\nlisten = 1.2.3.4:70000\n", "test.conf:2:" },
		{ "[proxy]\nbogus = 1\n", "test.conf:2: unknown key 'bogus' in [proxy]" },
		{ "[nosuch]\n", "test.conf:1: unknown section [nosuch]" },
		{ "key = 1\n", "test.conf:1: key 'key' outside any [section]" },
		{ "[proxy]\nworkers\n", "test.conf:2: expected key = value" },
		{ "[proxy]\nworkers = 1\nworkers = 2\n", "test.conf:3: proxy.workers set twice" },
		{ "[proxy]\nworkers = 65\n", "proxy.workers: 65 is out of range 0..64" },
		{ "[proxy]\nworkers = -1\n", "proxy.workers: expected a number" },
		{ "[proxy]\nidle_timeout = 5x\n", "proxy.idle_timeout: expected a duration" },
		{ "[proxy]\nvia = maybe\n", "proxy.via: expected yes or no" },
		{ "[proxy]\nconnect_ports = 443,\n", "proxy.connect_ports" },
		{ "[proxy]\ndeny_ranges = 10.0.0.1/8\n", "proxy.deny_ranges" },
		{ "[auth]\nschemes = ntlm\n", "auth.schemes" },
		{ "[auth]\nschemes = none, basic\n", "auth.schemes" },
		{ "[auth]\nschemes =\n", "auth.schemes" },
		{ "[auth]\nrealm = a\"b\n", "auth.realm" },
		{ "[intercept]\ninterface = eth0;rm\n", "intercept.interface" },
		{ "[log]\nlevel = loud\n", "log.level" },
		{ "[db]\npath =\n", "db.path: must not be empty" },
		{ "[auth]\nrealm = \"open\n", "malformed quoted value" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].text) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(config_load(&cfg, "/nonexistent/portcullis.conf", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read /nonexistent/portcullis.conf"));
}

/* The shipped example parses, and documents exactly the keys there are. */
static void test_example_documents_every_key(void **state)
{
	FILE *f = fopen("etc/portcullis.conf", "r");
	char line[1024], section[64] = "", documented[128][160];
	size_t n_doc = 0;

	(void)state;
	assert_int_equal(config_load(&cfg, "etc/portcullis.conf", err, sizeof(err)), 0);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		const char *p = line;

		if (sscanf(line, "[%63[^]]]", section) == 1)
			continue;
		if (*p == '#')
			p++;
		if (sscanf(p, "%63[a-z_] =", key) == 1 && strstr(p, "=") && section[0] &&
		    strchr(p, '=') - p <= (long)strlen(key) + 1) {
			snprintf(documented[n_doc++], sizeof(documented[0]), "%s.%s", section, key);
		}
	}
	fclose(f);
	for (size_t i = 0; config_key_name(i); i++) {
		int found = 0;

		for (size_t j = 0; j < n_doc; j++)
			found |= !strcmp(documented[j], config_key_name(i));
		if (!found)
			fail_msg("%s is not documented in etc/portcullis.conf", config_key_name(i));
	}
	for (size_t j = 0; j < n_doc; j++) {
		int found = 0;

		for (size_t i = 0; config_key_name(i); i++)
			found |= !strcmp(documented[j], config_key_name(i));
		if (!found)
			fail_msg("etc/portcullis.conf documents unknown key %s", documented[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_example_documents_every_key),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
