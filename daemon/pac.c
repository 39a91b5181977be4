#include "pac.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* never through the proxy: it refuses loopback and link-local destinations */
static const char *const always_direct[] = { "127.0.0.0/8", "169.254.0.0/16" };

struct out {
	char *p;
	size_t len, used;
	int overflow;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->overflow = 1;
		return;
	}
	o->used += (size_t)n;
}

/* host:port with a host of letters, digits, '-', '.' (or [v6]) and a
 * numeric port: nothing that could end a JavaScript string */
static int proxy_ok(const char *proxy)
{
	const char *colon = strrchr(proxy, ':');
	size_t hlen;

	if (!colon || colon == proxy || !colon[1] || strlen(colon + 1) > 5)
		return 0;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	hlen = (size_t)(colon - proxy);
	if (proxy[0] == '[') {
		if (proxy[hlen - 1] != ']' || hlen < 3)
			return 0;
		for (size_t i = 1; i + 1 < hlen; i++)
			if (!strchr("0123456789abcdefABCDEF:.", proxy[i]))
				return 0;
		return 1;
	}
	for (size_t i = 0; i < hlen; i++) {
		char c = proxy[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static void put_range(struct out *o, const struct cidr *c)
{
	char net[INET_ADDRSTRLEN];
	uint32_t mask = c->prefix ? 0xffffffffu << (32 - c->prefix) : 0;

	if (c->family != AF_INET || !inet_ntop(AF_INET, c->addr, net, sizeof(net)))
		return;
	put(o, "\tif (isInNet(host, \"%s\", \"%u.%u.%u.%u\")) return \"DIRECT\";\n", net,
	    mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff);
}

long pac_build(char *outbuf, size_t outlen, const char *proxy, const char *https_proxy,
	       const struct cidr *direct, size_t n_direct)
{
	struct out o = { outbuf, outlen, 0, 0 };

	if (!outlen || !proxy_ok(proxy) || (https_proxy && *https_proxy && !proxy_ok(https_proxy)))
		return -1;
	outbuf[0] = '\0';
	put(&o, "// Proxy auto-config from Portcullis: web traffic goes through the\n"
		"// authenticating proxy; local names and internal addresses go direct.\n"
		"function FindProxyForURL(url, host) {\n"
		"\tif (isPlainHostName(host) || dnsDomainIs(host, \".local\")) return \"DIRECT\";\n"
		"\t// only address literals are tested: a DNS lookup here would stall the browser\n"
		"\tif (/^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/.test(host)) {\n");
	for (size_t i = 0; i < sizeof(always_direct) / sizeof(always_direct[0]); i++) {
		struct cidr c;

		if (cidr_parse(always_direct[i], &c) == 0) {
			put(&o, "\t");
			put_range(&o, &c);
		}
	}
	for (size_t i = 0; i < n_direct; i++) {
		if (direct[i].family != AF_INET)
			continue;
		put(&o, "\t");
		put_range(&o, &direct[i]);
	}
	/* TLS to the proxy first, so that credentials never go in clear; the
	 * plain proxy for a browser that cannot (a PAC result is a list tried
	 * in order) */
	if (https_proxy && *https_proxy)
		put(&o, "\t}\n\treturn \"HTTPS %s; PROXY %s\";\n}\n", https_proxy, proxy);
	else
		put(&o, "\t}\n\treturn \"PROXY %s\";\n}\n", proxy);
	return o.overflow ? -1 : (long)o.used;
}

/* the prefix length of a netmask, -1 when its ones are not contiguous */
static int mask_bits(const uint8_t *mask, size_t len)
{
	int bits = 0;
	size_t i = 0;

	for (; i < len && mask[i] == 0xff; i++)
		bits += 8;
	if (i < len) {
		uint8_t m = mask[i];

		while (m & 0x80) {
			bits++;
			m = (uint8_t)(m << 1);
		}
		if (m)
			return -1;
		for (i++; i < len; i++)
			if (mask[i])
				return -1;
	}
	return bits;
}

/* the same address, port and scope aside */
static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	struct cidr ca, cb;

	return cidr_from_addr(a, &ca) == 0 && cidr_from_addr(b, &cb) == 0 &&
	       ca.family == cb.family && memcmp(ca.addr, cb.addr, sizeof(ca.addr)) == 0;
}

/* the prefix of an interface address: its address with the host bits
 * cleared; -1 for another family or a bad netmask */
static int prefix_of(const struct ifaddrs *i, struct cidr *out)
{
	const uint8_t *mask;
	size_t len;
	int bits;

	if (!i->ifa_addr || !i->ifa_netmask || cidr_from_addr(i->ifa_addr, out) < 0)
		return -1;
	if (i->ifa_addr->sa_family == AF_INET) {
		mask = (const uint8_t *)&((const struct sockaddr_in *)i->ifa_netmask)->sin_addr;
		len = 4;
	} else if (i->ifa_addr->sa_family == AF_INET6 && out->family == AF_INET6) {
		mask = ((const struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr.s6_addr;
		len = 16;
	} else {
		return -1;
	}
	bits = mask_bits(mask, len);
	if (bits < 0)
		return -1;
	for (size_t b = 0; b < len; b++)
		out->addr[b] &= mask[b];
	out->prefix = (uint8_t)bits;
	return 0;
}

/* loopback (127/8, ::1) and link-local (169.254/16, fe80::/10): direct
 * already, or not a LAN one could name */
static int local_only(const struct cidr *c)
{
	if (c->family == AF_INET)
		return c->addr[0] == 127 || (c->addr[0] == 169 && c->addr[1] == 254);
	return (c->addr[0] == 0xfe && (c->addr[1] & 0xc0) == 0x80) ||
	       (c->prefix == 128 && c->addr[15] == 1 &&
		!memcmp(c->addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15));
}

size_t pac_lan_prefixes(const struct ifaddrs *list, const struct sockaddr *const *listen,
			size_t n_listen, const char *lan_ifname, struct cidr *out, size_t max)
{
	size_t n = 0;

	for (const struct ifaddrs *i = list; i && n < max; i = i->ifa_next) {
		struct cidr c;
		int wanted = lan_ifname && lan_ifname[0] && i->ifa_name &&
			     strcmp(i->ifa_name, lan_ifname) == 0;
		size_t k;

		for (size_t l = 0; !wanted && l < n_listen; l++)
			wanted = i->ifa_addr && same_addr(i->ifa_addr, listen[l]);
		if (!wanted || prefix_of(i, &c) < 0 || local_only(&c))
			continue;
		for (k = 0; k < n; k++)
			if (out[k].family == c.family && out[k].prefix == c.prefix &&
			    !memcmp(out[k].addr, c.addr, sizeof(c.addr)))
				break;
		if (k == n)
			out[n++] = c;
	}
	return n;
}
