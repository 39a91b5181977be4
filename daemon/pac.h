/*
 * pac — the proxy auto-config file (/proxy.pac, /wpad.dat) that sends
 * browsers to the explicit proxy, with DIRECT for plain host names and
 * internal IPv4 ranges (loopback, RFC 1918, link-local, and the ranges
 * the administrator listed).
 *
 * A pure function: text in, text out, no I/O.
 */
#ifndef PORTCULLIS_PAC_H
#define PORTCULLIS_PAC_H

#include <stddef.h>

#include "cidr.h"

#define PAC_MAX 16384

/*
 * Write the PAC JavaScript into out (NUL-terminated). proxy is "host:port"
 * (a name, an IPv4 address or a bracketed IPv6 address); extra_direct lists
 * more ranges to reach directly (IPv6 ones are skipped: PAC's isInNet is
 * IPv4 only). Borrows everything. Returns the length, or -1 when proxy is
 * not a plain host:port (it would be pasted into script) or out is too small.
 */
long pac_build(char *out, size_t outlen, const char *proxy, const struct cidr *extra_direct,
	       size_t n_extra);

#endif
