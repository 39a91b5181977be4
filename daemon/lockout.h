/*
 * lockout — brute-force counters in bounded memory.
 *
 * Counts authentication failures per key (a client address, a username:
 * any bytes) inside a fixed window; threshold failures within window_s
 * seconds lock the key for duration_s seconds. The table is a fixed array
 * allocated at creation, so whatever an attacker sends the memory stays
 * the same: when it is full, the least useful entry is forgotten (see
 * lockout.c for the order). Keys are hashed with SipHash-2-4 under a secret
 * key, so an attacker cannot choose keys that crowd out a victim's counter.
 *
 * An attempt can also be admitted before it is decided (lockout_admit) and
 * settled when it is (lockout_settle): the attempts in flight count
 * towards the threshold, so a key gets no more guesses than the threshold
 * however many it sends at once, and no key can have more than a given
 * number in flight (the bound on slow work one client can queue).
 *
 * Use one table per kind of key (addresses, usernames). Thread-safe.
 */
#ifndef PORTCULLIS_LOCKOUT_H
#define PORTCULLIS_LOCKOUT_H

#include <stddef.h>
#include <stdint.h>

#define LOCKOUT_KEY_LEN   32      /* bytes of the hashing secret */
#define LOCKOUT_SLOTS_MAX (1u << 24)

struct lockout;

/*
 * slots: entries to keep, rounded up to a power of two (at least 8, at
 * most LOCKOUT_SLOTS_MAX; each takes 40 bytes). threshold 0 turns the
 * counting of failures off: every key is allowed (lockout_admit still
 * bounds the attempts in flight). key: LOCKOUT_KEY_LEN random bytes
 * (copied). NULL on allocation failure or slots > LOCKOUT_SLOTS_MAX.
 */
struct lockout *lockout_new(size_t slots, unsigned threshold, unsigned window_s,
			    unsigned duration_s, const uint8_t key[LOCKOUT_KEY_LEN]);
void lockout_free(struct lockout *l);

/* Change the limits (a reload). Counts and lockouts in force are kept; a
 * threshold of 0 turns the table off from now on. Thread-safe. */
void lockout_set_limits(struct lockout *l, unsigned threshold, unsigned window_s,
			unsigned duration_s);

/* 0 if key[0..keylen) may try; 1 if it is locked, with *retry_after set to
 * the seconds left (at least 1), or if its failures and its attempts in
 * flight already reach the threshold (*retry_after 1). retry_after may be
 * NULL. */
int lockout_check(struct lockout *l, const void *key, size_t keylen, int64_t now,
		  unsigned *retry_after);
/* The same, and *known (when not NULL) is 1 if the key has an entry at
 * all (failures counted, or a lockout in force or past), 0 if it has
 * none: then lockout_success would have nothing to forget. */
int lockout_check_known(struct lockout *l, const void *key, size_t keylen, int64_t now,
			unsigned *retry_after, int *known);

/* Count a failure at now. Returns 1 if THIS failure started a lockout (so
 * the caller audits the lockout exactly once), else 0. A failure reported
 * while the key is already locked changes nothing. */
int lockout_fail(struct lockout *l, const void *key, size_t keylen, int64_t now);

#define LOCKOUT_LOCKED 1   /* lockout in force */
#define LOCKOUT_BUSY   2   /* too many attempts in flight */

/*
 * Admit one attempt whose outcome is not known yet (a password check
 * queued for a thread): 0 if admitted, and then lockout_settle must follow
 * exactly once; LOCKOUT_LOCKED with *retry_after the seconds left;
 * LOCKOUT_BUSY (*retry_after 1) when the key already has max_pending
 * attempts in flight, or its failures in the window plus its attempts in
 * flight reach the threshold. retry_after may be NULL. *pending (may be
 * NULL) is set to the key's attempts in flight, this one included.
 */
int lockout_admit(struct lockout *l, const void *key, size_t keylen, int64_t now,
		  unsigned max_pending, unsigned *retry_after, unsigned *pending);
/* Settle an admitted attempt: failed 1 counts it as a failure at now (the
 * return value as for lockout_fail), 0 just ends it (a success, or no
 * verdict). */
int lockout_settle(struct lockout *l, const void *key, size_t keylen, int64_t now, int failed);

/* Take n failures off the key's count in the current window (a success
 * forgiving the failures it accounts for); a lockout in force stays. */
void lockout_forgive(struct lockout *l, const void *key, size_t keylen, int64_t now,
		     unsigned n);
/* The key's failures in the current window, forgotten as they are read. */
unsigned lockout_take(struct lockout *l, const void *key, size_t keylen, int64_t now);

/* A success forgets the key's failures, but does not lift a lockout in
 * force (a success racing with the failure that locked the key must not
 * undo it). */
void lockout_success(struct lockout *l, const void *key, size_t keylen);

/* Forget the key's failures and any lockout (an administrator's unlock);
 * its attempts in flight stay counted until they settle. */
void lockout_clear(struct lockout *l, const void *key, size_t keylen);

/* Bytes the table uses; fixed at creation. */
size_t lockout_memory(const struct lockout *l);

/* SipHash-2-4 (Aumasson & Bernstein) of data under a 16-byte key, as the
 * table uses it; exposed so that it can be checked against the reference
 * vectors. */
uint64_t lockout_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
