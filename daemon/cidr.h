/*
 * cidr — IPv4/IPv6 addresses and prefixes, parsed and matched.
 *
 * IPv4 is kept as IPv4 (family AF_INET); an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) given to cidr_match is compared as the IPv4 address it
 * carries, so a dual-stack listener cannot be used to bypass a v4 rule.
 */
#ifndef PORTCULLIS_CIDR_H
#define PORTCULLIS_CIDR_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

struct cidr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network byte order; v4 uses the first 4 bytes */
	uint8_t prefix;      /* 0..32 or 0..128 */
};

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (full-length prefix).
 * Host bits set beyond the prefix are an error (0 ok, -1 error); so are
 * spaces, zone ids, short v4 forms ("10.1") and prefixes with leading zeros.
 * A v4-mapped prefix (::ffff:10.0.0.0/104) is stored as IPv4 (10.0.0.0/8). */
int cidr_parse(const char *text, struct cidr *out);

/* Canonical text, e.g. "10.0.0.0/8"; buf at least 64 bytes. Returns buf,
 * or NULL if it is too small (buf is then ""). */
const char *cidr_format(const struct cidr *c, char *buf, size_t len);

/* 1 if sa (AF_INET or AF_INET6 sockaddr) is inside c, else 0. */
int cidr_match(const struct cidr *c, const struct sockaddr *sa);

/* 1 if sa is inside any of the n prefixes. */
int cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa);

/* Address of sa as text without port ("192.0.2.1", "2001:db8::1"); mapped
 * v4 addresses are shown as v4. buf at least 46 bytes. Always returns buf,
 * "" for a family other than AF_INET/AF_INET6 or a buffer too small. */
const char *cidr_addr_text(const struct sockaddr *sa, char *buf, size_t len);

/* The one-address prefix of sa (/32 or /128; a v4-mapped address as
 * IPv4). 0, or -1 for another family. */
int cidr_from_addr(const struct sockaddr *sa, struct cidr *out);

/* The key under which every per-address limit (lockout, slow checks in
 * flight, audit rows per source, connection caps) counts a client: an
 * IPv4 address (or an IPv4-mapped IPv6 one) whole, as a /32; an IPv6
 * address by its /64, because a host on a SLAAC LAN owns a whole /64 and
 * can take a new address in it for every attempt (RFC 4862, RFC 8981).
 * 0, or -1 for another family. */
int cidr_client_key(const struct sockaddr *sa, struct cidr *out);

/* That key as text: "192.0.2.1" for IPv4, "2001:db8:1:2::/64" for IPv6.
 * buf at least 64 bytes. Always returns buf, "" for another family. */
const char *cidr_client_key_text(const struct sockaddr *sa, char *buf, size_t len);

/* Port of sa in host order (0 for other families). */
uint16_t cidr_addr_port(const struct sockaddr *sa);

#endif
