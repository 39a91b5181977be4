/*
 * addrmap — an index from a client's IP address (binary: family and 4 or
 * 16 bytes) to a number, such as the position of the client's record in
 * an array, found in O(1) whatever the number of entries.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so probe chains never grow with churn). Addresses are hashed
 * with SipHash-2-4 under a key the caller draws at random, so clients that
 * choose their addresses cannot steer them into one probe chain.
 *
 * Pure: no I/O, no locking. Lookups read only, so concurrent lookups are
 * safe while nothing changes the map (e.g. under a read lock).
 */
#ifndef PORTCULLIS_ADDRMAP_H
#define PORTCULLIS_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDRMAP_KEY_LEN   16   /* SipHash key bytes */
#define ADDRMAP_MIN_SLOTS 16   /* slots of a new map; they double as it grows */

struct addrmap;

struct addrmap_addr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t bytes[16];   /* network byte order; v4 uses the first 4, the rest zero */
};

/* The address of sa (port and scope ignored), a v4-mapped IPv6 address
 * (::ffff:a.b.c.d) as the IPv4 address it carries, as cidr_addr_text shows
 * it. 0, or -1 for a family other than AF_INET/AF_INET6. */
int addrmap_addr_from_sockaddr(const struct sockaddr *sa, struct addrmap_addr *out);

/* An empty map hashing under key (copied). NULL when out of memory. */
struct addrmap *addrmap_new(const uint8_t key[ADDRMAP_KEY_LEN]);
/* Accepts NULL. */
void addrmap_free(struct addrmap *m);
/* Empty the map and keep its table (no allocation, so a map refilled
 * with about as many addresses does not fault its pages in again). */
void addrmap_clear(struct addrmap *m);

/* Room for n addresses in all without growing (one allocation instead
 * of a doubling at every power of two, for a map filled from a list of
 * known length). 0, or -1 out of memory; the map is then unchanged. */
int addrmap_reserve(struct addrmap *m, size_t n);
/* Map addr to value, replacing the value of an address already there
 * (which never allocates, so cannot fail). 0, or -1 when growing the
 * table ran out of memory; the map is then unchanged. */
int addrmap_put(struct addrmap *m, const struct addrmap_addr *addr, size_t value);
/* 1 with *value set if addr is in the map, else 0. value may be NULL. */
int addrmap_get(const struct addrmap *m, const struct addrmap_addr *addr, size_t *value);
/* Remove addr: 1 if it was there, 0 if not. Never allocates. */
int addrmap_del(struct addrmap *m, const struct addrmap_addr *addr);

/* Addresses in the map. */
size_t addrmap_count(const struct addrmap *m);
/* Slots allocated (a power of two, at least ADDRMAP_MIN_SLOTS); the table
 * doubles before it becomes more than half full. */
size_t addrmap_slots(const struct addrmap *m);
/* The slot at which addr's probe chain starts in the table as it is now;
 * exposed so that tests can build colliding chains. */
size_t addrmap_home(const struct addrmap *m, const struct addrmap_addr *addr);

#endif
