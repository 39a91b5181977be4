#include "pac.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const internal[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
};

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

long pac_build(char *outbuf, size_t outlen, const char *proxy, const struct cidr *extra_direct,
	       size_t n_extra)
{
	struct out o = { outbuf, outlen, 0, 0 };

	if (!outlen || !proxy_ok(proxy))
		return -1;
	outbuf[0] = '\0';
	put(&o, "// Proxy auto-config from Portcullis: web traffic goes through the\n"
		"// authenticating proxy; local names and internal addresses go direct.\n"
		"function FindProxyForURL(url, host) {\n"
		"\tif (isPlainHostName(host) || dnsDomainIs(host, \".local\")) return \"DIRECT\";\n"
		"\t// only address literals are tested: a DNS lookup here would stall the browser\n"
		"\tif (/^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/.test(host)) {\n");
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		struct cidr c;

		if (cidr_parse(internal[i], &c) == 0) {
			put(&o, "\t");
			put_range(&o, &c);
		}
	}
	for (size_t i = 0; i < n_extra; i++) {
		if (extra_direct[i].family != AF_INET)
			continue;
		put(&o, "\t");
		put_range(&o, &extra_direct[i]);
	}
	put(&o, "\t}\n\treturn \"PROXY %s\";\n}\n", proxy);
	return o.overflow ? -1 : (long)o.used;
}
