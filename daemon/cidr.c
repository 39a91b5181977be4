#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* 1 if the first prefix bits of a and b are equal. */
static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* 1 if any bit after the first prefix bits is set. */
static int host_bits_set(const uint8_t *addr, unsigned bytes, unsigned prefix)
{
	for (unsigned bit = prefix; bit < bytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return 1;
	return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	unsigned prefix = 0, max;
	size_t alen;
	struct cidr c;

	memset(&c, 0, sizeof(c));
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	/* inet_pton takes neither spaces, zone ids nor the shortened v4 forms
	 * ("10.1") that inet_aton would, so what is accepted is unambiguous */
	if (inet_pton(AF_INET, addr, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	if (slash) {
		const char *p = slash + 1;

		/* decimal, no sign, no leading zeros: "/08" is a typo, not 8 */
		if (*p == '\0' || (p[0] == '0' && p[1] != '\0'))
			return -1;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			prefix = prefix * 10 + (unsigned)(*p - '0');
			if (prefix > max)
				return -1;
		}
	} else {
		prefix = max;
	}
	if (host_bits_set(c.addr, max / 8, prefix))
		return -1;
	/* an IPv4-mapped prefix (::ffff:a.b.c.d/96+) means IPv4 addresses;
	 * keep it as IPv4 so that it matches v4 clients, mapped or not */
	if (c.family == AF_INET6 && prefix >= 96 &&
	    memcmp(c.addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		memmove(c.addr, c.addr + 12, 4);
		memset(c.addr + 4, 0, 12);
		c.family = AF_INET;
		prefix -= 96;
	}
	c.prefix = (uint8_t)prefix;
	*out = c;
	return 0;
}

const char *cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (len == 0)
		return NULL;
	buf[0] = '\0';
	if ((c->family != AF_INET && c->family != AF_INET6) ||
	    inet_ntop(c->family, c->addr, addr, sizeof(addr)) == NULL)
		return NULL;
	n = snprintf(buf, len, "%s/%u", addr, (unsigned)c->prefix);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return NULL;
	}
	return buf;
}

/*
 * The address of sa as family + bytes, a v4-mapped IPv6 address turned
 * into the IPv4 address it carries. 0, or -1 for other families.
 */
static int sockaddr_bytes(const struct sockaddr *sa, int *family, uint8_t addr[16])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		*family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			*family = AF_INET;
			memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, sin6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

int cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int family;

	if (sa == NULL || sockaddr_bytes(sa, &family, addr) < 0 || family != c->family)
		return 0;
	return prefix_equal(addr, c->addr, c->prefix);
}

int cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_match(&list[i], sa))
			return 1;
	return 0;
}

const char *cidr_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	uint8_t addr[16];
	int family;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (sa == NULL || sockaddr_bytes(sa, &family, addr) < 0 ||
	    inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

int cidr_from_addr(const struct sockaddr *sa, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL || sockaddr_bytes(sa, &out->family, out->addr) < 0)
		return -1;
	out->prefix = out->family == AF_INET ? 32 : 128;
	return 0;
}

int cidr_client_key(const struct sockaddr *sa, struct cidr *out)
{
	if (cidr_from_addr(sa, out) < 0)
		return -1;
	if (out->family == AF_INET6) {
		memset(out->addr + 8, 0, 8);
		out->prefix = 64;
	}
	return 0;
}

const char *cidr_client_key_text(const struct sockaddr *sa, char *buf, size_t len)
{
	struct cidr key;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (cidr_client_key(sa, &key) < 0)
		return buf;
	if (key.family == AF_INET) {
		if (inet_ntop(AF_INET, key.addr, buf, (socklen_t)len) == NULL)
			buf[0] = '\0';
		return buf;
	}
	cidr_format(&key, buf, len);   /* leaves "" when buf is too small */
	return buf;
}

uint16_t cidr_addr_port(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}
