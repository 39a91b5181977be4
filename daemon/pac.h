/*
 * pac — the proxy auto-config file (/proxy.pac, /wpad.dat) that sends
 * browsers to the explicit proxy, with DIRECT for plain host names,
 * loopback and link-local addresses, and the ranges given (by default the
 * prefixes of the LAN the proxy serves: pac_lan_prefixes).
 *
 * Pure functions: data in, text or prefixes out, no I/O.
 */
#ifndef PORTCULLIS_PAC_H
#define PORTCULLIS_PAC_H

#include <ifaddrs.h>
#include <stddef.h>

#include "cidr.h"

#define PAC_MAX 16384

/*
 * Write the PAC JavaScript into out (NUL-terminated). proxy is "host:port"
 * (a name, an IPv4 address or a bracketed IPv6 address); https_proxy the
 * same for the proxy's TLS listener (NULL or "": none), offered first as
 * "HTTPS host:port" with the plain proxy after it; direct lists the
 * ranges to reach directly besides loopback and link-local (IPv6 ones are
 * skipped: PAC's isInNet is IPv4 only). Borrows everything. Returns the
 * length, or -1 when a proxy is not a plain host:port (it would be pasted
 * into script) or out is too small.
 */
long pac_build(char *out, size_t outlen, const char *proxy, const char *https_proxy,
	       const struct cidr *direct, size_t n_direct);

/*
 * The LAN's own prefixes, from an interface address list as getifaddrs(3)
 * gives it (borrowed): the prefix (address and netmask) of every address
 * that is one of the n_listen listen addresses (sockaddrs, port ignored),
 * and of every address of the interface named lan_ifname (NULL or "" for
 * none). Loopback and link-local prefixes and wildcard listen addresses
 * give nothing. Writes at most max prefixes, each once; returns how many.
 */
size_t pac_lan_prefixes(const struct ifaddrs *list, const struct sockaddr *const *listen,
			size_t n_listen, const char *lan_ifname, struct cidr *out, size_t max);

#endif
