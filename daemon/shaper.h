/*
 * shaper — bandwidth classes for intercept mode's logged-in devices and
 * the explicit proxy's users, shaped in the kernel: HTB with fq_codel,
 * programmed through rtnetlink (libnl-route-3; shaper.c is the only file
 * that includes it), devices steered into their class by the shaping
 * table's map (nft.h), users by their sockets' priority (below).
 *
 * The shape, per device (each device gets its class's rate, whoever else
 * is in the class):
 *
 *   LAN interface (download)        root qdisc htb 1:, no default class
 *     class 1:N  rate/ceil of the device's class    one per device
 *       qdisc fq_codel N:                            fair queueing inside it
 *   upload interface (upload; optional, the WAN side): the same tree
 *
 * A device is an address: its session's addresses each get a leaf
 * (1:N, N from SHAPER_MINOR_FIRST, the same N on both interfaces), and the
 * map sends packets to the address (LAN side) or from it (WAN side) to
 * class 1:N. Traffic of addresses without a class (no session, or a user
 * with none and no default class) is not in the map and goes out of HTB's
 * direct queue, unshaped. Upload is shaped as it leaves on the upload
 * interface, after routing, before source NAT; without one, upload is not
 * shaped.
 *
 * shaper_new replaces the qdiscs and the table a previous run left
 * behind; shaper_free removes both. Thread-safe: one lock inside.
 *
 * The pure parts (rates, the class list, leaf numbers) are unit-tested.
 */
#ifndef PORTCULLIS_SHAPER_H
#define PORTCULLIS_SHAPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SHAPER_CLASSES_MAX  32
#define SHAPER_NAME_MAX     31          /* a class's name */
#define SHAPER_MINOR_FIRST  2           /* leaf 1:N, N = 2 .. */
#define SHAPER_LEAVES_MAX   32000       /* .. 32001: devices shaped at once */
#define SHAPER_RATE_MIN     8000ULL     /* bit/s */
#define SHAPER_RATE_MAX     100000000000ULL

struct config;

struct shaper_class {
	char name[SHAPER_NAME_MAX + 1];  /* [A-Za-z0-9_.-], as a group policy's */
	uint64_t rate;                  /* bit/s guaranteed */
	uint64_t ceil;                  /* bit/s at most (borrowing); >= rate */
};

struct shaper_classes {
	struct shaper_class list[SHAPER_CLASSES_MAX];
	size_t n;
};

/*
 * "8mbit" -> 8000000 (bit/s). Units (SI, as tc(8) writes them): bit,
 * kbit, mbit, gbit; a bare number is bit/s. 0, or -1 for anything else or
 * a rate outside SHAPER_RATE_MIN .. SHAPER_RATE_MAX.
 */
int shaper_rate_parse(const char *text, uint64_t *bits_per_s);

/*
 * The [shaping] classes value: "NAME=RATE[/CEIL], ..." (CEIL defaults to
 * RATE and may not be below it; names unique). 0, or -1 with a message
 * naming the bad entry.
 */
int shaper_classes_parse(const char *text, struct shaper_classes *out, char *err, size_t errlen);
/* The class of that name, or NULL. */
const struct shaper_class *shaper_class_find(const struct shaper_classes *c, const char *name);
/* The class a device or explicit-proxy user throttled at a used-up data
 * quota ([shaping] quota_action = throttle) goes into: its group policy's
 * quota class when it has one (policy_class not NULL or ""), else
 * [shaping] quota_class (config_class). The one place both modes ask. Pure. */
const char *shaper_throttle_class(const char *policy_class, const char *config_class);

/*
 * Leaf numbers: used[i] says whether leaf SHAPER_MINOR_FIRST + i is taken.
 * The free one at or after *cursor (wrapping), marked used, *cursor moved
 * past it, so a number just given back is not reused at once (its
 * qdiscs may still be going). Its minor, or -1 when all are taken. Pure.
 */
int shaper_leaf_alloc(uint8_t *used, size_t count, size_t *cursor);

/*
 * A class's burst (HTB's buffer and cbuffer, bytes): what its rate (or
 * ceil) sends in SHAPER_BURST_MS, at least two full frames. Big enough
 * that a fast class is not throttled after each (GSO) packet, small
 * beside what a rate is measured over (the 5 ms are 0.1 % of 5 s). Pure.
 */
#define SHAPER_BURST_MS     5
#define SHAPER_BURST_MIN    3028u
uint32_t shaper_burst_bytes(uint64_t bits_per_s);
/* Its quantum (bytes a class sends in its turn when it borrows): a tenth
 * of its rate's bytes per second, as HTB's r2q 10 gives, kept within
 * SHAPER_QUANTUM_MIN .. SHAPER_QUANTUM_MAX (the bounds outside which the
 * kernel warns). Pure. */
#define SHAPER_QUANTUM_MIN  1600u
#define SHAPER_QUANTUM_MAX  200000u
uint32_t shaper_quantum_bytes(uint64_t bits_per_s);

struct shaper;

/* The LAN interface downloads are shaped on: [intercept] interface, else
 * [shaping] interface (the explicit proxy alone). */
const char *shaper_lan_interface(const struct config *cfg);

/* Install (replacing leftovers) the qdiscs on cfg's LAN interface
 * (shaper_lan_interface) and upload interface and the shaping table. cfg borrowed for the
 * object's life. NULL with a message on failure. */
struct shaper *shaper_new(const struct config *cfg, char *err, size_t errlen);
/* Remove the qdiscs and the table. Accepts NULL. */
void shaper_free(struct shaper *sh);

/*
 * Put addr into class_name (NULL or "": the default class; no default:
 * no class). A device in another class moves; one already there costs a
 * lookup. An unknown class name counts as none (the default class, else
 * no class: unshaped), silently: callers pass a configured name
 * (shaper_class_effective, shaper_throttle_class over checked policies).
 * 0, or -1 (a kernel refusal, logged). Accepts sh NULL.
 */
int shaper_device_set(struct shaper *sh, const struct sockaddr *addr, const char *class_name);
/* addr leaves its class (its session ended). Accepts sh NULL. */
void shaper_device_clear(struct shaper *sh, const struct sockaddr *addr);
/* The name of the class a user with class_name set ("" or NULL: none)
 * is shaped into under cfg: class_name when it names a class, else the
 * default class, else "" (unshaped). Pure (parses cfg's classes). */
void shaper_class_effective(const struct config *cfg, const char *class_name, char *out,
			    size_t len);

/*
 * Explicit-proxy users. The relayed traffic of a user of the explicit
 * proxy is shaped per user, not per address: the user gets a leaf of the
 * same tree (a leaf number from the devices' pool), and the proxy sets
 * SO_PRIORITY on the user's client and upstream sockets to the leaf's
 * class id. A socket's packets carry its priority (skb->priority), and HTB
 * takes it as the class when it names a leaf (sch_htb.c htb_classify), so
 * they go through the user's leaf on the LAN interface (download) and on
 * the upload interface (upload), at no cost per byte. A priority naming
 * no class (the user in no class) goes out of HTB's direct queue. A device
 * that also has a portal session is shaped as that device (the shaping
 * table's map sets the priority of what goes to its address).
 *
 * shaper_user_hold: the class id (major 1) to set on a socket of
 * username, whose class is class_name (NULL or "": the default class; none
 * either: a leaf number without a kernel class, so that a class given
 * later applies to the sockets already marked). The leaf is made on the
 * first hold; each hold is counted. 0 when no leaf number is left (the
 * socket is not marked). Accepts sh NULL (0). The first hold of a user
 * asks the kernel, a netlink round trip; later ones cost a lookup.
 */
uint32_t shaper_user_hold(struct shaper *sh, const char *username, const char *class_name);
/* One hold given back (its connection closed): id as shaper_user_hold
 * returned it; 0 is ignored. Accepts sh NULL. */
void shaper_user_drop(struct shaper *sh, uint32_t id);
/* The class name (NULL or "": the default) username is in now. */
typedef void (*shaper_class_of_cb)(void *ud, const char *username, char *out, size_t len);
/*
 * Once a second or so: a user held by nobody for idle_s seconds leaves
 * its leaf (the number is free again); every other user's leaf is put in
 * the class class_of says, so a class change reaches the open
 * connections (their sockets keep the leaf; the leaf's rate changes).
 * class_of is called without the shaper's lock. Accepts sh NULL.
 */
void shaper_users_sweep(struct shaper *sh, unsigned idle_s, shaper_class_of_cb class_of,
			void *ud);
/* Users with a leaf now (held or idle). */
size_t shaper_users_count(struct shaper *sh);

#endif
