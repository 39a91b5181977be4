/*
 * Slightly over a thousand lines, on purpose: the key table (one line per
 * key, the restart flag with it) and the rules between keys belong
 * together, so a new key and its checks are read and reviewed in one file.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idsource.h"
#include "lang.h"
#include "shaper.h"

/* where make install puts the web assets: $(PREFIX)/share/portcullis/web,
 * given by the Makefile so that the default follows PREFIX */
#ifndef PORTCULLIS_WEB_ROOT
#define PORTCULLIS_WEB_ROOT "/usr/share/portcullis/web"
#endif

enum config_type {
	T_LISTEN_LIST,   /* address list (proxy.listen) */
	T_ADDR_OPT,      /* one address, "" disables */
	T_UINT,
	T_DURATION,      /* seconds; suffixes s m h d */
	T_BOOL,
	T_STRING,
	T_PORT,
	T_PORTS,
	T_CIDRS,
	T_SCHEMES,
	T_LEVEL,
	T_IFNAME,
	T_REALM,
	T_HOSTNAMES,     /* DNS names, comma-separated; stored lower-case, joined by ',' */
	T_SERVERS,       /* ADDRESS:PORT list of servers to send to; "" none */
	T_UNREACHABLE,   /* refuse | local */
	T_SOURCES,       /* identity source names, comma-separated, each once */
	T_SCHEME_RANGES, /* RANGE:SCHEMES; RANGE:SCHEMES; ... */
};

/* When a changed value takes effect. RESTART: what the daemon reads once at
 * start (listeners, threads, the database, the admin panel, the intercept
 * table, the portal); a reload keeps the running value and names the key.
 * RELOAD: a reload applies it. A new key says which, on its own line. */
enum config_apply {
	RELOAD,
	RESTART,
};

struct config_key {
	const char *section, *key;
	enum config_type type;
	size_t offset;       /* into struct config */
	size_t aux;          /* offset of a count or flag, or a size */
	unsigned long min, max;
	const char *def;
	enum config_apply apply;
};

#define OFF(f) offsetof(struct config, f)
#define SZ(f) sizeof(((struct config *)0)->f)

/* One line per key: section, key, type, field, aux, bounds, default, when a
 * change takes effect. */
static const struct config_key keys[] = {
	{ "proxy", "listen", T_LISTEN_LIST, OFF(proxy_listen), OFF(n_proxy_listen), 0, 0, "127.0.0.1:3128", RESTART },
	{ "proxy", "workers", T_UINT, OFF(workers), 0, 0, 64, "0", RESTART },
	{ "proxy", "max_connections", T_UINT, OFF(max_connections), 0, 16, 1000000, "10000", RELOAD },
	{ "proxy", "max_connections_per_client", T_UINT, OFF(max_connections_per_client), 0, 1, 1000000, "4096", RELOAD },
	{ "proxy", "header_timeout", T_DURATION, OFF(header_timeout), 0, 1, 3600, "10s", RELOAD },
	{ "proxy", "idle_timeout", T_DURATION, OFF(idle_timeout), 0, 1, 86400, "60s", RELOAD },
	{ "proxy", "connect_timeout", T_DURATION, OFF(connect_timeout), 0, 1, 600, "10s", RELOAD },
	{ "proxy", "upstream_timeout", T_DURATION, OFF(upstream_timeout), 0, 1, 86400, "60s", RELOAD },
	{ "proxy", "tunnel_idle_timeout", T_DURATION, OFF(tunnel_idle_timeout), 0, 1, 604800, "600s", RELOAD },
	{ "proxy", "connect_ports", T_PORTS, OFF(connect_ports), OFF(n_connect_ports), 0, 0, "443, 80", RELOAD },
	{ "proxy", "deny_ranges", T_CIDRS, OFF(deny_ranges), OFF(n_deny_ranges), 0, 0, "", RELOAD },
	{ "proxy", "gateway_ports", T_PORTS, OFF(gateway_ports), OFF(n_gateway_ports), 0, 0, "", RELOAD },
	{ "proxy", "via", T_BOOL, OFF(via), 0, 0, 1, "yes", RELOAD },
	{ "proxy", "access_log", T_STRING, OFF(access_log), SZ(access_log), 0, 0, "", RELOAD },
	{ "proxy", "dns_cache_size", T_UINT, OFF(dns_cache_size), 0, 0, 1000000, "4096", RESTART },
	{ "proxy", "max_lookups_per_client", T_UINT, OFF(max_lookups_per_client), 0, 1, 100000, "32", RELOAD },
	{ "proxy", "tls_listen", T_LISTEN_LIST, OFF(proxy_tls_listen), OFF(n_proxy_tls_listen), 0, 0, "", RESTART },
	{ "proxy", "tls_cert", T_STRING, OFF(proxy_tls_cert), SZ(proxy_tls_cert), 0, 0, "", RESTART },
	{ "proxy", "tls_key", T_STRING, OFF(proxy_tls_key), SZ(proxy_tls_key), 0, 0, "", RESTART },
	{ "auth", "schemes", T_SCHEMES, OFF(schemes), 0, 0, 0, "digest,basic", RELOAD },
	{ "auth", "realm", T_REALM, OFF(realm), SZ(realm), 0, 0, "Portcullis", RELOAD },
	{ "auth", "cache_ttl", T_DURATION, OFF(cache_ttl), 0, 0, 86400, "300s", RELOAD },
	{ "auth", "nonce_lifetime", T_DURATION, OFF(nonce_lifetime), 0, 10, 86400, "300s", RELOAD },
	{ "auth", "lockout_threshold", T_UINT, OFF(lockout_threshold), 0, 0, 1000000, "10", RELOAD },
	{ "auth", "lockout_window", T_DURATION, OFF(lockout_window), 0, 1, 86400, "300s", RELOAD },
	{ "auth", "lockout_duration", T_DURATION, OFF(lockout_duration), 0, 1, 604800, "300s", RELOAD },
	{ "auth", "basic_over_tls_only", T_BOOL, OFF(basic_over_tls_only), 0, 0, 1, "no", RELOAD },
	{ "auth", "schemes_by_source", T_SCHEME_RANGES, OFF(schemes_by_source), OFF(n_schemes_by_source), 0, 0, "", RELOAD },
	{ "auth", "sources", T_SOURCES, OFF(auth_sources), SZ(auth_sources), 0, 0, "local", RESTART },
	{ "db", "path", T_STRING, OFF(db_path), SZ(db_path), 1, 0, "/var/lib/portcullis/portcullis.db", RESTART },
	{ "db", "audit_retention_days", T_UINT, OFF(audit_retention_days), 0, 1, 36500, "90", RELOAD },
	{ "db", "audit_queue_size", T_UINT, OFF(audit_queue_size), 0, 16, 10000000, "10000", RESTART },
	{ "admin", "listen", T_ADDR_OPT, OFF(admin_listen), OFF(admin_enabled), 0, 0, "127.0.0.1:8080", RESTART },
	{ "admin", "tls", T_BOOL, OFF(admin_tls), 0, 0, 1, "no", RESTART },
	{ "admin", "tls_cert", T_STRING, OFF(admin_tls_cert), SZ(admin_tls_cert), 0, 0, "", RESTART },
	{ "admin", "tls_key", T_STRING, OFF(admin_tls_key), SZ(admin_tls_key), 0, 0, "", RESTART },
	{ "admin", "web_root", T_STRING, OFF(web_root), SZ(web_root), 0, 0, PORTCULLIS_WEB_ROOT, RESTART },
	{ "admin", "hostnames", T_HOSTNAMES, OFF(admin_hostnames), SZ(admin_hostnames), 0, 0, "", RESTART },
	{ "admin", "metrics_allow", T_CIDRS, OFF(metrics_allow), OFF(n_metrics_allow), 0, 0, "127.0.0.0/8, ::1/128", RESTART },
	{ "admin", "metrics_token_file", T_STRING, OFF(metrics_token_file), SZ(metrics_token_file), 0, 0, "", RESTART },
	{ "intercept", "interface", T_IFNAME, OFF(intercept_interface), SZ(intercept_interface), 0, 0, "", RESTART },
	{ "intercept", "http_port", T_PORT, OFF(intercept_http_port), 0, 1, 65535, "3129", RESTART },
	{ "intercept", "https_port", T_PORT, OFF(intercept_https_port), 0, 1, 65535, "3130", RESTART },
	{ "intercept", "session_idle_timeout", T_DURATION, OFF(session_idle_timeout), 0, 5, 604800, "30m", RESTART },
	{ "intercept", "session_lifetime", T_DURATION, OFF(session_lifetime), 0, 10, 31536000, "12h", RESTART },
	{ "intercept", "bypass", T_BOOL, OFF(intercept_bypass), 0, 0, 1, "no", RESTART },
	{ "intercept", "mark", T_UINT, OFF(intercept_mark), 0, 1, 4294967295UL, "1885536256", RESTART },
	{ "intercept", "fail_open", T_BOOL, OFF(intercept_fail_open), 0, 0, 1, "no", RESTART },
	{ "shaping", "enabled", T_BOOL, OFF(shaping_enabled), 0, 0, 1, "no", RESTART },
	{ "shaping", "classes", T_STRING, OFF(shaping_classes), SZ(shaping_classes), 0, 0, "", RESTART },
	{ "shaping", "default_class", T_STRING, OFF(shaping_default_class), SZ(shaping_default_class), 0, 0, "", RESTART },
	{ "shaping", "upload_interface", T_IFNAME, OFF(shaping_upload_interface), SZ(shaping_upload_interface), 0, 0, "", RESTART },
	{ "shaping", "interface", T_IFNAME, OFF(shaping_interface), SZ(shaping_interface), 0, 0, "", RESTART },
	{ "shaping", "quota_action", T_STRING, OFF(shaping_quota_action), SZ(shaping_quota_action), 0, 0, "end", RESTART },
	{ "shaping", "quota_class", T_STRING, OFF(shaping_quota_class), SZ(shaping_quota_class), 0, 0, "", RESTART },
	{ "portal", "listen", T_ADDR_OPT, OFF(portal_listen), OFF(portal_enabled), 0, 0, "", RESTART },
	{ "portal", "url", T_STRING, OFF(portal_url), SZ(portal_url), 0, 0, "", RESTART },
	{ "portal", "tls_cert", T_STRING, OFF(portal_tls_cert), SZ(portal_tls_cert), 0, 0, "", RESTART },
	{ "portal", "tls_key", T_STRING, OFF(portal_tls_key), SZ(portal_tls_key), 0, 0, "", RESTART },
	{ "portal", "pac_proxy", T_STRING, OFF(pac_proxy), SZ(pac_proxy), 0, 0, "", RESTART },
	{ "portal", "pac_direct", T_CIDRS, OFF(pac_direct), OFF(n_pac_direct), 0, 0, "", RESTART },
	{ "portal", "terms", T_STRING, OFF(portal_terms), SZ(portal_terms), 0, 0, "off", RESTART },
	{ "portal", "terms_lifetime", T_DURATION, OFF(portal_terms_lifetime), 0, 60, 31536000, "24h", RESTART },
	{ "portal", "language", T_STRING, OFF(portal_language), SZ(portal_language), 0, 0, "en", RESTART },
	{ "portal", "lang_dir", T_STRING, OFF(portal_lang_dir), SZ(portal_lang_dir), 0, 0, "", RESTART },
	{ "ldap", "uri", T_STRING, OFF(ldap_uri), SZ(ldap_uri), 0, 0, "", RESTART },
	{ "ldap", "allow_plaintext", T_BOOL, OFF(ldap_allow_plaintext), 0, 0, 1, "no", RESTART },
	{ "ldap", "ca_file", T_STRING, OFF(ldap_ca_file), SZ(ldap_ca_file), 0, 0, "", RESTART },
	{ "ldap", "base", T_STRING, OFF(ldap_base), SZ(ldap_base), 0, 0, "", RESTART },
	{ "ldap", "user_filter", T_STRING, OFF(ldap_user_filter), SZ(ldap_user_filter), 0, 0, "(uid=%s)", RESTART },
	{ "ldap", "bind_dn", T_STRING, OFF(ldap_bind_dn), SZ(ldap_bind_dn), 0, 0, "", RESTART },
	{ "ldap", "bind_password_file", T_STRING, OFF(ldap_bind_password_file), SZ(ldap_bind_password_file), 0, 0, "", RESTART },
	{ "ldap", "timeout", T_DURATION, OFF(ldap_timeout), 0, 1, 300, "5s", RESTART },
	{ "ldap", "connections", T_UINT, OFF(ldap_connections), 0, 1, 64, "4", RESTART },
	{ "ldap", "group_attribute", T_STRING, OFF(ldap_group_attribute), SZ(ldap_group_attribute), 0, 0, "", RESTART },
	{ "ldap", "group_base", T_STRING, OFF(ldap_group_base), SZ(ldap_group_base), 0, 0, "", RESTART },
	{ "ldap", "group_filter", T_STRING, OFF(ldap_group_filter), SZ(ldap_group_filter), 0, 0, "", RESTART },
	{ "ldap", "group_cache_ttl", T_DURATION, OFF(ldap_group_cache_ttl), 0, 1, 86400, "5m", RESTART },
	{ "log", "level", T_LEVEL, OFF(log_level), SZ(log_level), 0, 0, "info", RELOAD },
	{ "radius", "servers", T_SERVERS, OFF(radius_servers), OFF(n_radius_servers), 0, 0, "", RESTART },
	{ "radius", "secret_file", T_STRING, OFF(radius_secret_file), SZ(radius_secret_file), 0, 0, "", RESTART },
	{ "radius", "nas_identifier", T_STRING, OFF(radius_nas_identifier), SZ(radius_nas_identifier), 0, 0, "", RESTART },
	{ "radius", "timeout", T_DURATION, OFF(radius_timeout), 0, 1, 60, "3s", RESTART },
	{ "radius", "retries", T_UINT, OFF(radius_retries), 0, 0, 10, "2", RESTART },
	{ "radius", "unreachable", T_UNREACHABLE, OFF(radius_unreachable_local), 0, 0, 0, "refuse", RESTART },
	{ "radius", "dae_listen", T_ADDR_OPT, OFF(radius_dae_listen), OFF(radius_dae_enabled), 0, 0, "", RESTART },
	{ "radius", "dae_clients", T_CIDRS, OFF(radius_dae_clients), OFF(n_radius_dae_clients), 0, 0, "", RESTART },
	/* RADIUS accounting (RFC 2866), accounting.h */
	{ "radius", "accounting_servers", T_SERVERS, OFF(radius_accounting_servers), OFF(n_radius_accounting_servers), 0, 0, "", RESTART },
	{ "radius", "accounting_interval", T_DURATION, OFF(radius_accounting_interval), 0, 0, 86400, "5m", RESTART },
	{ "kerberos", "keytab", T_STRING, OFF(kerberos_keytab), SZ(kerberos_keytab), 0, 0, "", RESTART },
	{ "kerberos", "principal", T_STRING, OFF(kerberos_principal), SZ(kerberos_principal), 0, 0, "", RESTART },
	{ "kerberos", "strip_realm", T_BOOL, OFF(kerberos_strip_realm), 0, 0, 1, "yes", RESTART },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

const char *config_key_name(size_t i)
{
	static char names[N_KEYS][64];

	if (i >= N_KEYS)
		return NULL;
	if (!names[i][0])
		snprintf(names[i], sizeof(names[i]), "%s.%s", keys[i].section, keys[i].key);
	return names[i];
}

/* "1.2.3.4:80", "[::1]:80", "*:80" (all addresses, dual-stack). */
static int parse_addr(const char *text, struct config_addr *out)
{
	char host[64];
	const char *colon;
	size_t hlen;
	unsigned long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(out->text))
		return -1;
	snprintf(out->text, sizeof(out->text), "%s", text);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return -1;
		hlen = (size_t)(close - text - 1);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, text + 1, hlen);
		host[hlen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return -1;
		hlen = (size_t)(colon - text);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, text, hlen);
		host[hlen] = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || port == 0 || port > 65535)
		return -1;
	if (strcmp(host, "*") == 0) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*s6);
	} else if (text[0] != '[') {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*s6);
	}
	return 0;
}

static int parse_uint(const char *v, unsigned long *out, int duration)
{
	char *end;
	unsigned long n, mult = 1;

	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v)
		return -1;
	if (duration && *end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -1;
		}
		end++;
	}
	if (*end)
		return -1;
	if (n > 0xffffffffUL / mult)
		return -1;
	*out = n * mult;
	return 0;
}

/* Split a comma-separated value into trimmed items; fn gets each. */
static int each_item(const char *v, int (*fn)(const char *item, void *ud), void *ud)
{
	char item[128];
	const char *p = v;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(item))
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (fn(item, ud) < 0)
			return -1;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return -1;     /* trailing comma */
	}
	return 0;
}

struct list_ctx {
	struct config *cfg;
	const struct config_key *k;
	size_t n;
};

static int listen_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	struct config_addr *a = (struct config_addr *)((char *)l->cfg + l->k->offset);

	if (l->n == CONFIG_MAX_LISTEN || parse_addr(item, &a[l->n]) < 0)
		return -1;
	l->n++;
	return 0;
}

/* A server's address: a listen address that names one host (not "*"). */
static int server_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	struct config_addr *a = (struct config_addr *)((char *)l->cfg + l->k->offset);

	if (l->n == CONFIG_MAX_RADIUS || item[0] == '*' || parse_addr(item, &a[l->n]) < 0)
		return -1;
	l->n++;
	return 0;
}

static int port_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	uint16_t *ports = (uint16_t *)((char *)l->cfg + l->k->offset);
	unsigned long v;

	if (l->n == CONFIG_MAX_PORTS || parse_uint(item, &v, 0) < 0 || v == 0 || v > 65535)
		return -1;
	ports[l->n++] = (uint16_t)v;
	return 0;
}

static int cidr_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	struct cidr *c = (struct cidr *)((char *)l->cfg + l->k->offset);

	if (l->n == CONFIG_MAX_RANGES || cidr_parse(item, &c[l->n]) < 0)
		return -1;
	l->n++;
	return 0;
}

/* A DNS name (RFC 1123 §2.1: labels of letters, digits and '-', not at
 * either end, 1..63 bytes; 253 in all; one trailing dot allowed), appended
 * in lower case; l->n is the length used so far. */
static int hostname_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	char *out = (char *)l->cfg + l->k->offset;
	size_t len = strlen(item), label = 0;

	if (len && item[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || l->n + len + 2 > l->k->aux)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? item[i] : '.';

		if (ch == '.') {
			if (label == 0 || label > 63 || item[i - 1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      (ch == '-' && label > 0)))
			return -1;
		label++;
	}
	if (l->n)
		out[l->n++] = ',';
	for (size_t i = 0; i < len; i++)
		out[l->n++] = (item[i] >= 'A' && item[i] <= 'Z') ? (char)(item[i] - 'A' + 'a') : item[i];
	out[l->n] = '\0';
	return 0;
}

static int scheme_item(const char *item, void *ud)
{
	unsigned *mask = ud;

	if (strcmp(item, "digest") == 0)
		*mask |= CONFIG_SCHEME_DIGEST_SHA256 | CONFIG_SCHEME_DIGEST_MD5;
	else if (strcmp(item, "digest-sha256") == 0)
		*mask |= CONFIG_SCHEME_DIGEST_SHA256;
	else if (strcmp(item, "digest-md5") == 0)
		*mask |= CONFIG_SCHEME_DIGEST_MD5;
	else if (strcmp(item, "basic") == 0)
		*mask |= CONFIG_SCHEME_BASIC;
	else if (strcmp(item, "negotiate") == 0)
		*mask |= CONFIG_SCHEME_NEGOTIATE;
	else if (strcmp(item, "none") == 0)
		*mask |= 0x80000000u;
	else
		return -1;
	return 0;
}

/* schemes_by_source: entries separated by ';', each RANGE:SCHEMES split
 * at its last ':' (an IPv6 range holds colons, a scheme list none). */
static int scheme_ranges_parse(const char *v, struct config_scheme_range *out, size_t *n)
{
	const char *p = v;

	*n = 0;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		char entry[256], *colon, *range;
		unsigned mask = 0;

		if (len >= sizeof(entry) || *n >= CONFIG_MAX_SCHEME_RANGES)
			return -1;
		memcpy(entry, p, len);
		entry[len] = '\0';
		range = entry;
		while (*range == ' ' || *range == '\t')
			range++;
		colon = strrchr(range, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		if (cidr_parse(range, &out[*n].range) < 0 || !colon[1] ||
		    each_item(colon + 1, scheme_item, &mask) < 0 || (mask & 0x80000000u))
			return -1;
		out[(*n)++].schemes = mask;
		if (!semi)
			break;
		p = semi + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return -1;     /* trailing ';' */
	}
	return 0;
}

/* An identity source this build knows, not named before; appended to the
 * list joined by ','; l->n is the length used so far. */
static int source_item(const char *item, void *ud)
{
	struct list_ctx *l = ud;
	char *out = (char *)l->cfg + l->k->offset;
	size_t len = strlen(item);

	if (!idsource_known(item) || len > CONFIG_SOURCE_NAME_MAX || l->n + len + 2 > l->k->aux)
		return -1;
	for (const char *p = out; *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && memcmp(p, item, len) == 0)
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	if (l->n)
		out[l->n++] = ',';
	memcpy(out + l->n, item, len + 1);
	l->n += len;
	return 0;
}

/* Apply value to key k; on error a message (without file:line) in err. */
static int set_value(struct config *cfg, const struct config_key *k, const char *v,
		     char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	unsigned long n;

	switch (k->type) {
	case T_LISTEN_LIST: {
		struct list_ctx l = { cfg, k, 0 };

		/* a list whose default is empty (proxy.tls_listen) may be empty */
		if ((!*v && k->def[0]) || each_item(v, listen_item, &l) < 0)
			goto expected_addr;
		*(size_t *)((char *)cfg + k->aux) = l.n;
		return 0;
	}
	case T_ADDR_OPT:
		if (!*v) {
			*(int *)((char *)cfg + k->aux) = 0;
			return 0;
		}
		if (parse_addr(v, (struct config_addr *)field) < 0)
			goto expected_addr;
		*(int *)((char *)cfg + k->aux) = 1;
		return 0;
	case T_UINT:
	case T_DURATION:
	case T_PORT:
		if (parse_uint(v, &n, k->type == T_DURATION) < 0) {
			snprintf(err, errlen, "%s.%s: expected %s, got '%s'", k->section, k->key,
				 k->type == T_DURATION ? "a duration (90, 90s, 15m, 1h, 1d)" : "a number", v);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(err, errlen, "%s.%s: %lu is out of range %lu..%lu", k->section, k->key,
				 n, k->min, k->max);
			return -1;
		}
		if (k->type == T_PORT)
			*(uint16_t *)field = (uint16_t)n;
		else
			*(unsigned *)field = (unsigned)n;
		return 0;
	case T_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(int *)field = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
			*(int *)field = 0;
		else {
			snprintf(err, errlen, "%s.%s: expected yes or no, got '%s'", k->section, k->key, v);
			return -1;
		}
		return 0;
	case T_STRING:
	case T_REALM:
	case T_IFNAME:
	case T_LEVEL:
		if (strlen(v) >= k->aux) {
			snprintf(err, errlen, "%s.%s: longer than %zu bytes", k->section, k->key, k->aux - 1);
			return -1;
		}
		if (k->min && !*v) {
			snprintf(err, errlen, "%s.%s: must not be empty", k->section, k->key);
			return -1;
		}
		if (k->type == T_REALM) {
			if (!*v)
				goto bad_realm;
			for (const char *p = v; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)
					goto bad_realm;
		}
		if (k->type == T_IFNAME) {
			if (strlen(v) > 15)
				goto bad_ifname;
			for (const char *p = v; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
					goto bad_ifname;
		}
		if (k->type == T_LEVEL && strcmp(v, "error") && strcmp(v, "warning") &&
		    strcmp(v, "notice") && strcmp(v, "info") && strcmp(v, "debug")) {
			snprintf(err, errlen, "%s.%s: expected error, warning, notice, info or debug, got '%s'",
				 k->section, k->key, v);
			return -1;
		}
		snprintf(field, k->aux, "%s", v);
		return 0;
	case T_PORTS: {
		struct list_ctx l = { cfg, k, 0 };

		if (*v && each_item(v, port_item, &l) < 0) {
			snprintf(err, errlen, "%s.%s: expected ports 1..65535 separated by commas, got '%s'",
				 k->section, k->key, v);
			return -1;
		}
		*(size_t *)((char *)cfg + k->aux) = l.n;
		return 0;
	}
	case T_SCHEME_RANGES:
		if (scheme_ranges_parse(v, (struct config_scheme_range *)field,
					(size_t *)((char *)cfg + k->aux)) < 0) {
			*(size_t *)((char *)cfg + k->aux) = 0;
			snprintf(err, errlen, "%s.%s: expected RANGE:SCHEMES entries separated by ';' "
				 "(10.0.0.0/8:negotiate,basic; 0.0.0.0/0:digest,basic; at most %d), got '%s'",
				 k->section, k->key, CONFIG_MAX_SCHEME_RANGES, v);
			return -1;
		}
		return 0;
	case T_CIDRS: {
		struct list_ctx l = { cfg, k, 0 };

		if (*v && each_item(v, cidr_item, &l) < 0) {
			snprintf(err, errlen, "%s.%s: expected address/prefix ranges separated by commas "
				 "(at most %d), got '%s'", k->section, k->key, CONFIG_MAX_RANGES, v);
			return -1;
		}
		*(size_t *)((char *)cfg + k->aux) = l.n;
		return 0;
	}
	case T_HOSTNAMES: {
		struct list_ctx l = { cfg, k, 0 };

		field[0] = '\0';
		if (*v && each_item(v, hostname_item, &l) < 0) {
			snprintf(err, errlen, "%s.%s: expected host names such as gw.example.org "
				 "separated by commas (at most %zu bytes in all), got '%s'", k->section,
				 k->key, k->aux - 1, v);
			return -1;
		}
		return 0;
	}
	case T_SOURCES: {
		struct list_ctx l = { cfg, k, 0 };

		field[0] = '\0';
		if (!*v || each_item(v, source_item, &l) < 0) {
			snprintf(err, errlen, "%s.%s: expected identity source names (such as local), "
				 "each once, separated by commas, got '%s'", k->section, k->key, v);
			return -1;
		}
		return 0;
	}
	case T_SERVERS: {
		struct list_ctx l = { cfg, k, 0 };

		if (*v && each_item(v, server_item, &l) < 0) {
			snprintf(err, errlen, "%s.%s: expected ADDRESS:PORT (192.0.2.1:1812, "
				 "[2001:db8::1]:1812) separated by commas (at most %d), got '%s'",
				 k->section, k->key, CONFIG_MAX_RADIUS, v);
			return -1;
		}
		*(size_t *)((char *)cfg + k->aux) = l.n;
		return 0;
	}
	case T_UNREACHABLE:
		if (!strcmp(v, "refuse") || !strcmp(v, "local")) {
			*(int *)field = !strcmp(v, "local");
			return 0;
		}
		snprintf(err, errlen, "%s.%s: expected refuse or local, got '%s'", k->section, k->key, v);
		return -1;
	case T_SCHEMES: {
		unsigned mask = 0;

		if (!*v || each_item(v, scheme_item, &mask) < 0 ||
		    ((mask & 0x80000000u) && mask != 0x80000000u)) {
			snprintf(err, errlen, "%s.%s: expected negotiate, digest, digest-sha256, digest-md5, "
				 "basic (comma-separated) or none, got '%s'", k->section, k->key, v);
			return -1;
		}
		*(unsigned *)field = mask & ~0x80000000u;
		return 0;
	}
	}
	return -1;
expected_addr:
	snprintf(err, errlen, "%s.%s: expected ADDRESS:PORT (1.2.3.4:3128, [::1]:3128, *:3128), got '%s'",
		 k->section, k->key, v);
	return -1;
bad_realm:
	snprintf(err, errlen, "%s.%s: 1..127 printable characters without '\"' or '\\'", k->section, k->key);
	return -1;
bad_ifname:
	snprintf(err, errlen, "%s.%s: not an interface name: '%s'", k->section, k->key, v);
	return -1;
}

void config_defaults(struct config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_KEYS; i++)
		if (set_value(cfg, &keys[i], keys[i].def, err, sizeof(err)) < 0)
			abort();    /* a bad default is a programming error */
}

static void trim(char **s)
{
	char *p = *s, *e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*e = '\0';
	*s = p;
}

/* Unquote "..." with \" and \\ escapes in place; or cut an unquoted
 * value at an inline comment (" #" or " ;"). */
static int value_text(char *v, char **out)
{
	if (*v == '"') {
		char *w = v, *r = v + 1;

		while (*r && *r != '"') {
			if (*r == '\\') {
				r++;
				if (*r != '"' && *r != '\\')
					return -1;
			}
			*w++ = *r++;
		}
		if (*r != '"')
			return -1;
		r++;
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r && *r != '#' && *r != ';')
			return -1;
		*w = '\0';
		*out = v;
		return 0;
	}
	for (char *p = v; *p; p++) {
		if ((*p == '#' || *p == ';') && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	trim(&v);
	*out = v;
	return 0;
}

int config_parse(struct config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	char section[32] = "";
	unsigned char seen[N_KEYS] = { 0 };
	const char *p = text;
	int lineno = 0;
	char msg[384];

	config_defaults(cfg);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[4097], *s, *eq, *key, *val;
		const struct config_key *k = NULL;
		size_t ki;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%d: line longer than 4096 bytes", name, lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;
		s = line;
		trim(&s);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (!close || close[1] || close - s - 1 >= (long)sizeof(section)) {
				snprintf(err, errlen, "%s:%d: malformed section header", name, lineno);
				return -1;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", s + 1);
			for (ki = 0; ki < N_KEYS; ki++)
				if (!strcmp(keys[ki].section, section))
					break;
			if (ki == N_KEYS) {
				snprintf(err, errlen, "%s:%d: unknown section [%s]", name, lineno, section);
				return -1;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value", name, lineno);
			return -1;
		}
		*eq = '\0';
		key = s;
		trim(&key);
		val = eq + 1;
		trim(&val);
		if (!section[0]) {
			snprintf(err, errlen, "%s:%d: key '%s' outside any [section]", name, lineno, key);
			return -1;
		}
		for (ki = 0; ki < N_KEYS; ki++) {
			if (!strcmp(keys[ki].section, section) && !strcmp(keys[ki].key, key)) {
				k = &keys[ki];
				break;
			}
		}
		if (!k) {
			snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", name, lineno, key, section);
			return -1;
		}
		if (seen[ki]) {
			snprintf(err, errlen, "%s:%d: %s.%s set twice", name, lineno, section, key);
			return -1;
		}
		seen[ki] = 1;
		if (value_text(val, &val) < 0) {
			snprintf(err, errlen, "%s:%d: malformed quoted value", name, lineno);
			return -1;
		}
		if (set_value(cfg, k, val, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			return -1;
		}
	}
	if (config_validate(cfg, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", name, msg);
		return -1;
	}
	return 0;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *t;

			if (cap > 16 * 1024 * 1024) {
				snprintf(err, errlen, "%s: file too large", path);
				goto fail;
			}
			t = realloc(text, cap ? cap * 2 : 8192);
			if (!t) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			text = t;
			cap = cap ? cap * 2 : 8192;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: NUL byte in the file", path);
		goto fail;
	}
	fclose(f);
	rc = config_parse(cfg, path, text, err, errlen);
	free(text);
	return rc;
fail:
	fclose(f);
	free(text);
	return -1;
}

/* ------------------------------------------------------------ cross-section rules */

/* 0.0.0.0 or ::, as cidr_from_addr gives them (unused bytes zero). */
static int addr_is_any(const struct cidr *c)
{
	static const uint8_t zero[sizeof(((struct cidr *)0)->addr)];

	return memcmp(c->addr, zero, sizeof(zero)) == 0;
}

/* Two listening addresses that one socket bind would both take: the same
 * port, and the same address or either a wildcard ("*:PORT" listens on
 * both families). */
static int listeners_overlap(const struct config_addr *a, const struct config_addr *b)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->sa;
	const struct sockaddr *sb = (const struct sockaddr *)&b->sa;
	struct cidr ca, cb;

	if (cidr_addr_port(sa) != cidr_addr_port(sb))
		return 0;
	if (cidr_from_addr(sa, &ca) < 0 || cidr_from_addr(sb, &cb) < 0)
		return 0;
	if (addr_is_any(&ca) || addr_is_any(&cb))
		return 1;
	return ca.family == cb.family && memcmp(ca.addr, cb.addr, sizeof(ca.addr)) == 0;
}

/* Every socket the daemon listens on, named by its key; the intercept
 * pair listens on every address (only LAN traffic is let in). */
struct listener {
	const char *key;
	struct config_addr addr;
};

static size_t listeners(const struct config *cfg, struct listener *out)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_proxy_listen; i++)
		out[n++] = (struct listener){ "proxy.listen", cfg->proxy_listen[i] };
	for (size_t i = 0; i < cfg->n_proxy_tls_listen; i++)
		out[n++] = (struct listener){ "proxy.tls_listen", cfg->proxy_tls_listen[i] };
	if (cfg->admin_enabled)
		out[n++] = (struct listener){ "admin.listen", cfg->admin_listen };
	if (cfg->portal_enabled)
		out[n++] = (struct listener){ "portal.listen", cfg->portal_listen };
	if (cfg->intercept_interface[0]) {
		const char *names[2] = { "intercept.http_port", "intercept.https_port" };
		uint16_t ports[2] = { cfg->intercept_http_port, cfg->intercept_https_port };

		for (int i = 0; i < 2; i++) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out[n].addr.sa;

			memset(&out[n].addr, 0, sizeof(out[n].addr));
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = htons(ports[i]);
			out[n].addr.len = sizeof(*s6);
			snprintf(out[n].addr.text, sizeof(out[n].addr.text), "*:%u", ports[i]);
			out[n++].key = names[i];
		}
	}
	return n;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
	struct listener l[2 * CONFIG_MAX_LISTEN + 4];
	size_t n;

	if (cfg->admin_tls && (!cfg->admin_tls_cert[0]) != (!cfg->admin_tls_key[0])) {
		snprintf(err, errlen, "admin.tls_cert and admin.tls_key go together");
		return -1;
	}
	/* Negotiate needs the gateway's keys */
	if (!cfg->kerberos_keytab[0]) {
		int wants = (cfg->schemes & CONFIG_SCHEME_NEGOTIATE) != 0;

		for (size_t i = 0; i < cfg->n_schemes_by_source; i++)
			wants |= (cfg->schemes_by_source[i].schemes & CONFIG_SCHEME_NEGOTIATE) != 0;
		if (wants) {
			snprintf(err, errlen, "auth.schemes offers negotiate: set kerberos.keytab "
				 "(and kerberos.principal)");
			return -1;
		}
	}
	if ((!cfg->proxy_tls_cert[0]) != (!cfg->proxy_tls_key[0])) {
		snprintf(err, errlen, "proxy.tls_cert and proxy.tls_key go together");
		return -1;
	}
	if (cfg->portal_enabled && (!cfg->portal_tls_cert[0]) != (!cfg->portal_tls_key[0])) {
		snprintf(err, errlen, "portal.tls_cert and portal.tls_key go together");
		return -1;
	}
	if (strcmp(cfg->portal_terms, "off") && strcmp(cfg->portal_terms, "alone") &&
	    strcmp(cfg->portal_terms, "before_login")) {
		snprintf(err, errlen, "portal.terms is off, alone or before_login");
		return -1;
	}
	if (!lang_tag_ok(cfg->portal_language)) {
		snprintf(err, errlen, "portal.language is a language tag, such as en, de or pt-br");
		return -1;
	}
	/* an intercepted client is sent to the portal to log in */
	if (cfg->intercept_interface[0] && !cfg->portal_enabled && !cfg->portal_url[0]) {
		snprintf(err, errlen, "intercept mode needs the login portal: set [portal] listen");
		return -1;
	}
	/* a used-up quota ends the session (refuses the explicit user), or
	 * throttles it: the shaper moves the device (the user's leaf) into
	 * quota_class, so throttling needs shaping on */
	if (strcmp(cfg->shaping_quota_action, "end") != 0 &&
	    strcmp(cfg->shaping_quota_action, "throttle") != 0) {
		snprintf(err, errlen, "shaping.quota_action: end or throttle");
		return -1;
	}
	if (strcmp(cfg->shaping_quota_action, "throttle") == 0 && !cfg->shaping_enabled) {
		snprintf(err, errlen, "shaping.quota_action = throttle needs [shaping] enabled = yes: "
			 "a throttled device or explicit-proxy user is moved into quota_class by "
			 "the shaper; without it, use quota_action = end");
		return -1;
	}
	/* [shaping]: the classes parse, the default names one of them, and
	 * the devices it shapes are intercept mode's */
	if (cfg->shaping_enabled) {
		struct shaper_classes cl;
		char why[160];

		/* the LAN side is intercept mode's interface; an explicit
		 * proxy alone names it */
		if (!cfg->intercept_interface[0] && !cfg->shaping_interface[0]) {
			snprintf(err, errlen, "[shaping] enabled needs the LAN interface: set "
				 "[intercept] interface, or [shaping] interface for the explicit "
				 "proxy alone");
			return -1;
		}
		if (cfg->intercept_interface[0] && cfg->shaping_interface[0] &&
		    strcmp(cfg->shaping_interface, cfg->intercept_interface) != 0) {
			snprintf(err, errlen, "shaping.interface: intercept mode shapes on its own "
				 "interface (%s); leave it out", cfg->intercept_interface);
			return -1;
		}
		if (shaper_classes_parse(cfg->shaping_classes, &cl, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "shaping.classes: %s", why);
			return -1;
		}
		if (cfg->shaping_default_class[0] &&
		    !shaper_class_find(&cl, cfg->shaping_default_class)) {
			snprintf(err, errlen, "shaping.default_class: no class named '%s' in "
				 "shaping.classes", cfg->shaping_default_class);
			return -1;
		}
		if (strcmp(cfg->shaping_quota_action, "throttle") == 0 &&
		    !shaper_class_find(&cl, cfg->shaping_quota_class)) {
			snprintf(err, errlen, "shaping.quota_class: quota_action = throttle needs a "
				 "class named in shaping.classes ('%s' is not)", cfg->shaping_quota_class);
			return -1;
		}
		if (strcmp(cfg->shaping_upload_interface, shaper_lan_interface(cfg)) == 0) {
			snprintf(err, errlen, "shaping.upload_interface is the LAN interface: name "
				 "the WAN side's");
			return -1;
		}
	}
	/* the portal's URL is derived from its address unless given */
	if (cfg->portal_enabled && !cfg->portal_url[0]) {
		struct cidr c;

		if (cidr_from_addr((const struct sockaddr *)&cfg->portal_listen.sa, &c) == 0 &&
		    addr_is_any(&c)) {
			snprintf(err, errlen, "[portal] listen is a wildcard address: set [portal] url "
				 "to the address clients reach it at");
			return -1;
		}
	}
	/* Disconnect and CoA act on portal sessions, are signed with the
	 * shared secret, and come only from the servers named */
	if (cfg->radius_dae_enabled) {
		if (!cfg->intercept_interface[0]) {
			snprintf(err, errlen, "[radius] dae_listen acts on portal sessions: it needs "
				 "intercept mode ([intercept] interface)");
			return -1;
		}
		if (!cfg->radius_secret_file[0]) {
			snprintf(err, errlen, "[radius] dae_listen needs the shared secret: set [radius] "
				 "secret_file");
			return -1;
		}
		if (!cfg->n_radius_dae_clients) {
			snprintf(err, errlen, "[radius] dae_listen needs dae_clients: the addresses "
				 "Disconnect and CoA requests may come from");
			return -1;
		}
	}
	/* The proxy's sockets share their port between workers (SO_REUSEPORT):
	 * the kernel would spread connections across two listeners on one
	 * port, plain HTTP to the TLS one and the other way round. */
	n = listeners(cfg, l);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (!listeners_overlap(&l[i].addr, &l[j].addr))
				continue;
			if (l[i].key == l[j].key)
				snprintf(err, errlen, "%s: %s and %s take the same port", l[i].key,
					 l[i].addr.text, l[j].addr.text);
			else
				snprintf(err, errlen, "%s (%s) and %s (%s) take the same port", l[i].key,
					 l[i].addr.text, l[j].key, l[j].addr.text);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ reload */

/* Whether key k has another value in a than in b. Addresses compare as
 * addresses, not as written; lists by their entries in use. */
static int key_differs(const struct config_key *k, const struct config *a, const struct config *b)
{
	const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
	size_t na, nb;

	switch (k->type) {
	case T_LISTEN_LIST:
	case T_SERVERS:
		na = *(const size_t *)((const char *)a + k->aux);
		nb = *(const size_t *)((const char *)b + k->aux);
		if (na != nb)
			return 1;
		for (size_t i = 0; i < na; i++) {
			const struct config_addr *x = (const struct config_addr *)fa + i;
			const struct config_addr *y = (const struct config_addr *)fb + i;

			if (x->len != y->len || memcmp(&x->sa, &y->sa, x->len) != 0)
				return 1;
		}
		return 0;
	case T_ADDR_OPT: {
		const struct config_addr *x = (const struct config_addr *)fa;
		const struct config_addr *y = (const struct config_addr *)fb;
		int on = *(const int *)((const char *)a + k->aux);

		if (on != *(const int *)((const char *)b + k->aux))
			return 1;
		return on && (x->len != y->len || memcmp(&x->sa, &y->sa, x->len) != 0);
	}
	case T_UINT:
	case T_DURATION:
	case T_SCHEMES:
		return *(const unsigned *)fa != *(const unsigned *)fb;
	case T_BOOL:
	case T_UNREACHABLE:
		return *(const int *)fa != *(const int *)fb;
	case T_PORT:
		return *(const uint16_t *)fa != *(const uint16_t *)fb;
	case T_STRING:
	case T_REALM:
	case T_IFNAME:
	case T_LEVEL:
	case T_HOSTNAMES:
	case T_SOURCES:
		return strcmp(fa, fb) != 0;
	case T_PORTS:
	case T_CIDRS:
		na = *(const size_t *)((const char *)a + k->aux);
		nb = *(const size_t *)((const char *)b + k->aux);
		return na != nb ||
		       memcmp(fa, fb, na * (k->type == T_PORTS ? sizeof(uint16_t) : sizeof(struct cidr))) != 0;
	case T_SCHEME_RANGES:
		na = *(const size_t *)((const char *)a + k->aux);
		nb = *(const size_t *)((const char *)b + k->aux);
		return na != nb || memcmp(fa, fb, na * sizeof(struct config_scheme_range)) != 0;
	}
	abort();    /* a type without a comparison is a programming error */
}

/* Copy key k's value (and its count or on/off flag) from src into dst. */
static void key_copy(const struct config_key *k, struct config *dst, const struct config *src)
{
	size_t size = 0;

	/* no default: a new type without its size here is a compile error
	 * (-Wswitch), not an abort at the first reload */
	switch (k->type) {
	case T_LISTEN_LIST: size = CONFIG_MAX_LISTEN * sizeof(struct config_addr); break;
	case T_SERVERS:     size = CONFIG_MAX_RADIUS * sizeof(struct config_addr); break;
	case T_ADDR_OPT:    size = sizeof(struct config_addr); break;
	case T_UINT:
	case T_DURATION:
	case T_SCHEMES:     size = sizeof(unsigned); break;
	case T_BOOL:
	case T_UNREACHABLE: size = sizeof(int); break;
	case T_PORT:        size = sizeof(uint16_t); break;
	case T_STRING:
	case T_REALM:
	case T_IFNAME:
	case T_LEVEL:
	case T_HOSTNAMES:
	case T_SOURCES:     size = k->aux; break;
	case T_PORTS:       size = CONFIG_MAX_PORTS * sizeof(uint16_t); break;
	case T_CIDRS:       size = CONFIG_MAX_RANGES * sizeof(struct cidr); break;
	case T_SCHEME_RANGES: size = CONFIG_MAX_SCHEME_RANGES * sizeof(struct config_scheme_range); break;
	}
	memcpy((char *)dst + k->offset, (const char *)src + k->offset, size);
	if (k->type == T_LISTEN_LIST || k->type == T_SERVERS || k->type == T_PORTS ||
	    k->type == T_CIDRS || k->type == T_SCHEME_RANGES)
		memcpy((char *)dst + k->aux, (const char *)src + k->aux, sizeof(size_t));
	else if (k->type == T_ADDR_OPT)
		memcpy((char *)dst + k->aux, (const char *)src + k->aux, sizeof(int));
}

/* Append name to the comma-separated list in buf (len bytes), or "..."
 * once the next name would not fit. */
static void note_changed(char *buf, size_t len, const char *name)
{
	size_t used;

	if (len == 0)
		return;
	used = strlen(buf);
	if (used >= 3 && strcmp(buf + used - 3, "...") == 0)
		return;
	/* room for ", ", the name, a later ", ..." and the terminator */
	if (used + 2 + strlen(name) + 6 > len) {
		if (used + 6 <= len)
			snprintf(buf + used, len - used, "%s...", used ? ", " : "");
		return;
	}
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

int config_keep_restart_keys(struct config *fresh, const struct config *running,
			     char *changed, size_t changed_len)
{
	int n = 0;

	if (changed_len)
		changed[0] = '\0';
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].apply != RESTART)
			continue;
		if (key_differs(&keys[i], fresh, running)) {
			note_changed(changed, changed_len, config_key_name(i));
			n++;
		}
		key_copy(&keys[i], fresh, running);
	}
	return n;
}

int config_key_needs_restart(size_t i)
{
	return i < N_KEYS && keys[i].apply == RESTART;
}

int config_portal_url(const struct config *cfg, char *out, size_t outlen, char *err, size_t errlen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->portal_listen.sa;
	char host[64];
	int tls = cfg->portal_tls_cert[0] != '\0';
	int n;

	if (cfg->portal_url[0]) {
		n = snprintf(out, outlen, "%s", cfg->portal_url);
		return n < 0 || (size_t)n >= outlen ? -1 : 0;
	}
	if (!cfg->portal_enabled) {
		snprintf(err, errlen, "intercept mode needs the login portal: set [portal] listen");
		return -1;
	}
	cidr_addr_text(sa, host, sizeof(host));
	if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
		snprintf(err, errlen, "[portal] listen is a wildcard address: set [portal] url to the "
			 "address clients reach it at");
		return -1;
	}
	n = snprintf(out, outlen, "%s://%s%s%s:%u/", tls ? "https" : "http",
		     sa->sa_family == AF_INET6 ? "[" : "", host, sa->sa_family == AF_INET6 ? "]" : "",
		     cidr_addr_port(sa));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
