/*
 * connlimit — client connections open per address, counted exactly.
 *
 * "Address" is the client's key (cidr_client_key): an IPv4 address, or an
 * IPv6 /64, since one host on a SLAAC LAN owns the whole /64.
 * Each address has its own count (no two addresses ever share one, so no
 * client can use up another's allowance), in a map keyed with SipHash
 * under a random key (addrmap), split into stripes with a mutex each so
 * that the proxy's event loops rarely wait on each other. An address has
 * an entry only while it has connections open (its last close removes
 * it), so the entries are bounded by the connections open at once
 * (proxy.max_connections), never by the addresses seen; a stripe's table
 * keeps the size of its busiest moment (addrmap does not shrink).
 * Thread-safe.
 */
#ifndef PORTCULLIS_CONNLIMIT_H
#define PORTCULLIS_CONNLIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#include "addrmap.h"

struct connlimit;

/* key: ADDRMAP_KEY_LEN random bytes (copied). NULL when out of memory. */
struct connlimit *connlimit_new(const uint8_t key[ADDRMAP_KEY_LEN]);
/* Accepts NULL. */
void connlimit_free(struct connlimit *cl);

/*
 * Count one more connection from client's address unless it already has
 * max open: 0 counted (connlimit_release must follow, with the same
 * address); 1 refused, at the limit; -1 refused, out of memory or not an
 * IP address. *open (may be NULL) is the address's count, this one
 * included when it was counted.
 */
int connlimit_acquire(struct connlimit *cl, const struct sockaddr *client, unsigned max,
		      unsigned *open);
void connlimit_release(struct connlimit *cl, const struct sockaddr *client);

/* A refusal at now (seconds, any clock): 1 when it is time for a log line
 * (the first refusal in a second), with *refused the refusals since the
 * last line, this one included; 0 when the line would come too soon (the
 * refusal is counted for the next line). One line a second at most, so a
 * client hammering the limit cannot flood the log. */
int connlimit_note_refusal(struct connlimit *cl, int64_t now, uint64_t *refused);

/* Connections open from client's address now. */
unsigned connlimit_open(struct connlimit *cl, const struct sockaddr *client);

/* Addresses with an entry now, and the slots the stripes' tables hold (for
 * the test that measures the bound). */
void connlimit_size(struct connlimit *cl, size_t *addresses, size_t *slots);

#endif
