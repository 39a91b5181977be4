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
#include "shaper.h"

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
	assert_string_equal(cfg.auth_sources, "local");
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
	assert_int_equal(parse("[proxy]\nlisten = 10.0.0.1:3128, [::1]:8080 , *:3139\n"
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
	assert_int_equal(parse("[auth]\nsources =  local \n"), 0);
	assert_string_equal(cfg.auth_sources, "local");
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
		{ "[auth]\nschemes = negotiate,basic\n", "set kerberos.keytab" },
		{ "[auth]\nschemes_by_source = 10.0.0.0/8:negotiate\n", "set kerberos.keytab" },
		{ "[auth]\nschemes_by_source = 10.0.0.0/8\n", "auth.schemes_by_source: expected RANGE:SCHEMES" },
		{ "[auth]\nschemes_by_source = 10.0.0.1/8:basic\n", "auth.schemes_by_source" },
		{ "[auth]\nschemes_by_source = 10.0.0.0/8:ntlm\n", "auth.schemes_by_source" },
		{ "[auth]\nschemes_by_source = 10.0.0.0/8:none\n", "auth.schemes_by_source" },
		{ "[auth]\nschemes_by_source = 10.0.0.0/8:basic;\n", "auth.schemes_by_source" },
		{ "[auth]\nschemes = none, basic\n", "auth.schemes" },
		{ "[auth]\nschemes =\n", "auth.schemes" },
		{ "[auth]\nrealm = a\"b\n", "auth.realm" },
		{ "[auth]\nsources = ntlm\n", "auth.sources: expected identity source names" },
		{ "[auth]\nsources = local, local\n", "auth.sources" },
		{ "[auth]\nsources =\n", "auth.sources" },
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

static void load(struct config *c, const char *text)
{
	if (config_parse(c, "test.conf", text, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* What needs new listeners, threads or a database keeps its running value
 * and is named; what a reload can apply is taken from the new file. */
static void test_restart_keys_kept_and_named(void **state)
{
	static struct config running, fresh;
	char changed[256];

	(void)state;
	load(&running, "[proxy]\nlisten = 127.0.0.1:3128\nidle_timeout = 60s\n"
		       "[db]\npath = /a.db\n[admin]\nlisten = 127.0.0.1:8080\n");
	load(&fresh, "[proxy]\nlisten = 127.0.0.1:3129\nidle_timeout = 5s\n"
		     "[auth]\nrealm = New\n[db]\npath = /b.db\naudit_retention_days = 7\n"
		     "[admin]\nlisten = 127.0.0.1:8080\n[log]\nlevel = debug\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &running, changed, sizeof(changed)), 2);
	assert_string_equal(changed, "proxy.listen, db.path");
	assert_string_equal(fresh.proxy_listen[0].text, "127.0.0.1:3128");
	assert_string_equal(fresh.db_path, "/a.db");
	/* reloadable keys apply */
	assert_int_equal(fresh.idle_timeout, 5);
	assert_string_equal(fresh.realm, "New");
	assert_int_equal(fresh.audit_retention_days, 7);
	assert_string_equal(fresh.log_level, "debug");

	/* the same file again changes nothing that needs a restart */
	load(&fresh, "[proxy]\nlisten = 127.0.0.1:3128\n[db]\npath = /a.db\n"
		     "[admin]\nlisten = 127.0.0.1:8080\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &running, changed, sizeof(changed)), 0);
	assert_string_equal(changed, "");

	/* turning the admin listener off, and a list cut short to fit */
	load(&fresh, "[proxy]\nlisten = 127.0.0.1:3129\nworkers = 3\n[db]\npath = /b.db\n"
		     "[admin]\nlisten =\n[portal]\nlisten = 127.0.0.1:8000\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &running, changed, 24), 5);
	assert_string_equal(changed, "proxy.listen, ...");
	assert_true(fresh.admin_enabled);
	assert_string_equal(fresh.admin_listen.text, "127.0.0.1:8080");
	assert_false(fresh.portal_enabled);
	assert_int_equal(fresh.workers, running.workers);

	/* the admin listener reads its host names at start only */
	load(&fresh, "[proxy]\nlisten = 127.0.0.1:3128\n[db]\npath = /a.db\n"
		     "[admin]\nlisten = 127.0.0.1:8080\nhostnames = gw.lan\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &running, changed, sizeof(changed)), 1);
	assert_string_equal(changed, "admin.hostnames");
	assert_string_equal(fresh.admin_hostnames, "");

	/* lists compare by their entries; the intercept table is built at
	 * start, so its timeouts too wait for a restart */
	load(&running, "[intercept]\ninterface = lan0\nsession_lifetime = 1h\n"
		       "[portal]\nlisten = 10.0.0.1:8000\npac_direct = 10.0.0.0/8\n");
	load(&fresh, "[intercept]\ninterface = lan0\nsession_lifetime = 2h\n"
		     "[portal]\nlisten = 10.0.0.1:8000\npac_direct = 10.0.0.0/8, 10.1.0.0/16\n"
		     "[proxy]\nconnect_ports = 443\n");
	assert_int_equal(config_keep_restart_keys(&fresh, &running, changed, sizeof(changed)), 2);
	assert_string_equal(changed, "intercept.session_lifetime, portal.pac_direct");
	assert_int_equal(fresh.session_lifetime, 3600);
	assert_int_equal(fresh.n_pac_direct, 1);
	assert_int_equal(fresh.n_connect_ports, 1);
}

/* Each rule between keys refuses a combination that cannot work, and says
 * which keys and why. */
static void test_cross_section_rules(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "[admin]\ntls = yes\ntls_cert = /c.pem\n",
		  "test.conf: admin.tls_cert and admin.tls_key go together" },
		{ "[portal]\nlisten = 10.0.0.1:8000\ntls_key = /k.pem\n",
		  "test.conf: portal.tls_cert and portal.tls_key go together" },
		{ "[intercept]\ninterface = lan0\n",
		  "test.conf: intercept mode needs the login portal: set [portal] listen" },
		{ "[portal]\nlisten = *:8000\n",
		  "test.conf: [portal] listen is a wildcard address: set [portal] url" },
		{ "[portal]\nlisten = 0.0.0.0:8000\n", "[portal] listen is a wildcard address" },
		{ "[proxy]\nlisten = 127.0.0.1:3128, 127.0.0.1:3128\n",
		  "test.conf: proxy.listen: 127.0.0.1:3128 and 127.0.0.1:3128 take the same port" },
		{ "[proxy]\nlisten = *:8080\n",
		  "test.conf: proxy.listen (*:8080) and admin.listen (127.0.0.1:8080) take the same port" },
		{ "[admin]\nlisten = 10.0.0.1:8000\n[portal]\nlisten = 10.0.0.1:8000\n",
		  "admin.listen (10.0.0.1:8000) and portal.listen (10.0.0.1:8000) take the same port" },
		{ "[intercept]\ninterface = lan0\nhttp_port = 3128\n[portal]\nlisten = 10.0.0.1:8000\n",
		  "proxy.listen (127.0.0.1:3128) and intercept.http_port (*:3128) take the same port" },
		{ "[intercept]\ninterface = lan0\nhttp_port = 3130\n[portal]\nlisten = 10.0.0.1:8000\n",
		  "intercept.http_port (*:3130) and intercept.https_port (*:3130) take the same port" },
		/* Disconnect and CoA: portal sessions, the secret, the senders */
		{ "[radius]\nsecret_file = /s\ndae_listen = 10.0.0.1:3799\ndae_clients = 10.0.0.2\n",
		  "[radius] dae_listen acts on portal sessions: it needs intercept mode" },
		{ "[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
		  "[radius]\ndae_listen = 10.0.0.1:3799\ndae_clients = 10.0.0.2\n",
		  "[radius] dae_listen needs the shared secret: set [radius] secret_file" },
		{ "[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
		  "[radius]\nsecret_file = /s\ndae_listen = 10.0.0.1:3799\n",
		  "[radius] dae_listen needs dae_clients" },
		/* [shaping]: a LAN side to shape on, intercept mode's own */
		{ "[shaping]\nenabled = yes\nclasses = a=2mbit\n",
		  "[shaping] enabled needs the LAN interface: set [intercept] interface, or "
		  "[shaping] interface for the explicit proxy alone" },
		{ "[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
		  "[shaping]\nenabled = yes\nclasses = a=2mbit\ninterface = lan1\n",
		  "shaping.interface: intercept mode shapes on its own interface (lan0)" },
		{ "[shaping]\nenabled = yes\nclasses = a=2mbit\ninterface = lan0\n"
		  "upload_interface = lan0\n",
		  "shaping.upload_interface is the LAN interface" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].text) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
	}
	/* and what does go together passes: the explicit proxy alone shapes
	 * on [shaping] interface */
	assert_int_equal(parse("[shaping]\nenabled = yes\nclasses = a=2mbit\ninterface = lan0\n"), 0);
	assert_string_equal(shaper_lan_interface(&cfg), "lan0");
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
			       "[shaping]\nenabled = yes\nclasses = a=2mbit\n"), 0);
	assert_string_equal(shaper_lan_interface(&cfg), "lan0");
	assert_int_equal(parse("[admin]\ntls = yes\n"), 0);
	assert_int_equal(parse("[admin]\ntls = yes\ntls_cert = /c.pem\ntls_key = /k.pem\n"), 0);
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"), 0);
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nurl = https://gw.lan/\n"), 0);
	assert_int_equal(parse("[portal]\nlisten = *:8000\nurl = http://gw.lan:8000/\n"), 0);
	/* the same port on two different addresses */
	assert_int_equal(parse("[proxy]\nlisten = 127.0.0.1:8080, [::1]:3128\n"
			       "[admin]\nlisten = 127.0.0.2:8080\n"), 0);
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
			       "[radius]\nsecret_file = /s\ndae_listen = 10.0.0.1:3799\n"
			       "dae_clients = 10.0.0.2/32, 10.0.0.3\n"), 0);
	assert_true(cfg.radius_dae_enabled);
	assert_int_equal(cfg.n_radius_dae_clients, 2);
	/* off by default */
	assert_int_equal(parse(""), 0);
	assert_false(cfg.radius_dae_enabled);
	/* the intercept ports are not listened on without an interface */
	assert_int_equal(parse("[proxy]\nlisten = *:3129\n"), 0);
	/* a quota that throttles needs the shaper, and a class to throttle to */
	assert_int_equal(parse("[shaping]\nquota_action = slow\n"), -1);
	assert_non_null(strstr(err, "shaping.quota_action: end or throttle"));
	assert_int_equal(parse("[shaping]\nquota_action = throttle\nquota_class = slow\n"), -1);
	assert_non_null(strstr(err, "needs [shaping] enabled = yes"));
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
			       "[shaping]\nenabled = yes\nclasses = slow=1mbit\n"
			       "quota_action = throttle\nquota_class = nope\n"), -1);
	assert_non_null(strstr(err, "shaping.quota_class"));
	assert_int_equal(parse("[intercept]\ninterface = lan0\n[portal]\nlisten = 10.0.0.1:8000\n"
			       "[shaping]\nenabled = yes\nclasses = slow=1mbit\n"
			       "quota_action = throttle\nquota_class = slow\n"), 0);
	/* the explicit proxy alone throttles its users with the shaper too */
	assert_int_equal(parse("[shaping]\nenabled = yes\ninterface = lan0\nclasses = slow=1mbit\n"
			       "quota_action = throttle\nquota_class = slow\n"), 0);
	/* config_validate alone, as the loader runs it */
	config_defaults(&cfg);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
	snprintf(cfg.intercept_interface, sizeof(cfg.intercept_interface), "lan0");
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "intercept mode needs the login portal: set [portal] listen");
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

/* portcullis.conf(5) marks "(restart)" exactly the keys a reload keeps. */
static void test_manual_marks_restart_keys(void **state)
{
	FILE *f = fopen("man/portcullis.conf.5", "r");
	char line[1024], section[64] = "", key[160] = "", prev[1024] = "";
	char marked[128][160];
	size_t n_marked = 0, n_keys = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (sscanf(line, ".SS [%63[^]]]", section) == 1) {
			key[0] = '\0';
		} else if (!strncmp(line, ".SH", 3)) {
			section[0] = key[0] = '\0';
		} else if (section[0] && !strcmp(prev, ".TP\n") &&
			   (sscanf(line, ".BR %63[a-z_]", name) == 1 ||
			    sscanf(line, ".B %63[a-z_]", name) == 1)) {
			snprintf(key, sizeof(key), "%s.%s", section, name);
			n_keys++;
		} else if (key[0] && strstr(line, "(restart")) {
			assert_true(n_marked < sizeof(marked) / sizeof(marked[0]));
			snprintf(marked[n_marked++], sizeof(marked[0]), "%s", key);
			key[0] = '\0';
		}
		snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	assert_true(n_keys > 40);
	for (size_t i = 0; config_key_name(i); i++) {
		int found = 0;

		for (size_t j = 0; j < n_marked; j++)
			found |= !strcmp(marked[j], config_key_name(i));
		if (found != config_key_needs_restart(i))
			fail_msg("%s: the manual %s (restart), the key table says it %s", config_key_name(i),
				 found ? "marks it" : "does not mark it",
				 config_key_needs_restart(i) ? "waits for a restart" : "changes on a reload");
	}
}

static void test_kerberos_keys(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	(void)state;
	assert_int_equal(parse(""), 0);
	assert_string_equal(cfg.kerberos_keytab, "");
	assert_true(cfg.kerberos_strip_realm);
	assert_int_equal(cfg.n_schemes_by_source, 0);
	assert_int_equal(parse("[auth]\nschemes = negotiate, digest, basic\n"
			       "schemes_by_source = 10.0.0.0/8:negotiate,basic; fd00::/8:digest; "
			       "0.0.0.0/0:basic\n"
			       "[kerberos]\nkeytab = /etc/portcullis/http.keytab\n"
			       "principal = HTTP/gw.example.org@EXAMPLE.ORG\nstrip_realm = no\n"), 0);
	assert_int_equal(cfg.schemes, CONFIG_SCHEME_NEGOTIATE | CONFIG_SCHEME_DIGEST_SHA256 |
			 CONFIG_SCHEME_DIGEST_MD5 | CONFIG_SCHEME_BASIC);
	assert_int_equal(cfg.n_schemes_by_source, 3);
	assert_int_equal(cfg.schemes_by_source[0].schemes, CONFIG_SCHEME_NEGOTIATE | CONFIG_SCHEME_BASIC);
	assert_int_equal(cfg.schemes_by_source[1].schemes,
			 CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5);
	assert_int_equal(cfg.schemes_by_source[2].schemes, CONFIG_SCHEME_BASIC);
	in.sin_addr.s_addr = htonl(0x0a010203);
	assert_true(cidr_match(&cfg.schemes_by_source[0].range, (struct sockaddr *)&in));
	in.sin_addr.s_addr = htonl(0xc0000201);
	assert_false(cidr_match(&cfg.schemes_by_source[0].range, (struct sockaddr *)&in));
	assert_true(cidr_match(&cfg.schemes_by_source[2].range, (struct sockaddr *)&in));
	assert_string_equal(cfg.kerberos_keytab, "/etc/portcullis/http.keytab");
	assert_string_equal(cfg.kerberos_principal, "HTTP/gw.example.org@EXAMPLE.ORG");
	assert_false(cfg.kerberos_strip_realm);
}

static void test_radius_keys(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.n_radius_servers, 0);
	assert_int_equal(cfg.radius_timeout, 3);
	assert_int_equal(cfg.radius_retries, 2);
	assert_false(cfg.radius_unreachable_local);
	assert_int_equal(parse("[radius]\nservers = 192.0.2.1:1812, [2001:db8::2]:11812\n"
			       "secret_file = /etc/portcullis/radius.secret\nnas_identifier = gw-east\n"
			       "timeout = 2s\nretries = 0\nunreachable = local\n"), 0);
	assert_int_equal(cfg.n_radius_servers, 2);
	assert_string_equal(cfg.radius_servers[1].text, "[2001:db8::2]:11812");
	assert_int_equal(cfg.radius_servers[1].sa.ss_family, AF_INET6);
	assert_string_equal(cfg.radius_nas_identifier, "gw-east");
	assert_int_equal(cfg.radius_timeout, 2);
	assert_int_equal(cfg.radius_retries, 0);
	assert_true(cfg.radius_unreachable_local);
	/* a server is one host: no "*", no missing port, no name */
	assert_int_equal(parse("[radius]\nservers = *:1812\n"), -1);
	assert_non_null(strstr(err, "radius.servers: expected ADDRESS:PORT"));
	assert_int_equal(parse("[radius]\nservers = 192.0.2.1\n"), -1);
	assert_int_equal(parse("[radius]\nservers = radius.example.org:1812\n"), -1);
	assert_int_equal(parse("[radius]\nservers = 192.0.2.1:1812,\n"), -1);
	assert_int_equal(parse("[radius]\nunreachable = open\n"), -1);
	assert_non_null(strstr(err, "expected refuse or local"));
	assert_int_equal(parse("[radius]\ntimeout = 0\n"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_restart_keys_kept_and_named),
		cmocka_unit_test(test_cross_section_rules),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_example_documents_every_key),
		cmocka_unit_test(test_manual_marks_restart_keys),
		cmocka_unit_test(test_kerberos_keys),
		cmocka_unit_test(test_radius_keys),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
