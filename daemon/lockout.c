#include "lockout.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * The table is split into buckets of PROBE consecutive slots; a key lives
 * in the bucket its hash selects, anywhere within it. Buckets share
 * STRIPES mutexes, so threads checking different keys rarely wait on each
 * other and each operation touches one lock and one cache-friendly bucket.
 *
 * When a new key arrives at a full bucket something must be forgotten.
 * In order of preference:
 *   1. an entry whose window and lockout have both run out (it means
 *      nothing any more);
 *   2. the unlocked entry with the fewest failures, the least recently
 *      failed first among equals (a counter, not the time: thousands of
 *      failures can arrive within one second);
 *   3. if every entry is locked, the lockout that ends soonest.
 * The trade-off: a spray of distinct keys (one failure each) only ever
 * displaces other one-failure entries, so a key that is being hammered
 * climbs above them and stays until it is locked; and locks are the last
 * thing forgotten. A key is lost only while it has one failure and PROBE
 * newer keys land in its bucket before its next failure: an attacker who
 * wants its own counter forgotten must spend on the order of the table's
 * size in other failures between two guesses, which slows its guessing
 * more than the lockout would. To displace a key with more failures it
 * must fill buckets with entries of as many failures, which costs more
 * failures than the table has slots, inside one window, each one logged.
 * Rule 3 means a table full of lockouts releases the oldest early rather
 * than stop counting new keys: counting an attacker's next key matters
 * more than serving out an old lockout in full.
 *
 * An entry with attempts pending (admitted, not yet settled) is never
 * forgotten: its pending count is what bounds the key's attempts in
 * flight. A bucket whose PROBE entries all have attempts pending admits no
 * new key until one settles.
 */
#define PROBE     8
#define STRIPES   64

struct slot {
	uint64_t hash;            /* 0: empty */
	uint32_t failures;        /* in the window that started at window_start */
	uint32_t touched;         /* table clock at the last failure */
	int64_t window_start;
	int64_t locked_until;     /* locked while now < locked_until */
	uint32_t pending;         /* attempts admitted and not yet settled */
};

struct lockout {
	uint8_t sipkey[16];
	unsigned threshold;
	unsigned window;
	unsigned duration;
	size_t n_buckets;         /* power of two */
	uint32_t clock;           /* counts failures; orders entries by recency */
	struct slot *slots;       /* n_buckets * PROBE */
	pthread_mutex_t stripes[STRIPES];
};

/* ------------------------------------------------------------ SipHash */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                        \
	do {                                                            \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                  \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                  \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

uint64_t lockout_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = load_le64(in + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ------------------------------------------------------------ table */

struct lockout *lockout_new(size_t slots, unsigned threshold, unsigned window_s,
			    unsigned duration_s, const uint8_t key[LOCKOUT_KEY_LEN])
{
	struct lockout *l;
	size_t n = PROBE;
	int i;

	if (slots > LOCKOUT_SLOTS_MAX)
		return NULL;
	while (n < slots)
		n <<= 1;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	/* fold the whole secret into SipHash's 128-bit key */
	for (i = 0; i < LOCKOUT_KEY_LEN; i++)
		l->sipkey[i % 16] ^= key[i];
	l->threshold = threshold;
	l->window = window_s;
	l->duration = duration_s;
	l->n_buckets = n / PROBE;
	l->slots = calloc(n, sizeof(*l->slots));
	if (l->slots == NULL)
		goto fail;
	for (i = 0; i < STRIPES; i++) {
		if (pthread_mutex_init(&l->stripes[i], NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&l->stripes[i]);
			goto fail;
		}
	}
	return l;
fail:
	free(l->slots);
	free(l);
	return NULL;
}

void lockout_free(struct lockout *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&l->stripes[i]);
	free(l->slots);
	memset(l->sipkey, 0, sizeof(l->sipkey));
	free(l);
}

size_t lockout_memory(const struct lockout *l)
{
	return sizeof(*l) + l->n_buckets * PROBE * sizeof(*l->slots);
}

/* Lock the key's stripe and return its bucket; *hash is never 0. */
static struct slot *bucket_lock(struct lockout *l, const void *key, size_t keylen,
				uint64_t *hash)
{
	uint64_t h = lockout_siphash(l->sipkey, key, keylen);
	size_t b;

	if (h == 0)
		h = 1;
	b = (size_t)(h & (l->n_buckets - 1));
	pthread_mutex_lock(&l->stripes[b % STRIPES]);
	*hash = h;
	return &l->slots[b * PROBE];
}

static void bucket_unlock(struct lockout *l, const struct slot *bucket)
{
	size_t b = (size_t)(bucket - l->slots) / PROBE;

	pthread_mutex_unlock(&l->stripes[b % STRIPES]);
}

static struct slot *bucket_find(struct slot *bucket, uint64_t h)
{
	for (int i = 0; i < PROBE; i++)
		if (bucket[i].hash == h)
			return &bucket[i];
	return NULL;
}

/* The limits change on a reload while other threads count: each is read
 * whole (a check may see one old and one new limit for that one call). */
static unsigned limit(const unsigned *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

void lockout_set_limits(struct lockout *l, unsigned threshold, unsigned window_s,
			unsigned duration_s)
{
	__atomic_store_n(&l->threshold, threshold, __ATOMIC_RELAXED);
	__atomic_store_n(&l->window, window_s, __ATOMIC_RELAXED);
	__atomic_store_n(&l->duration, duration_s, __ATOMIC_RELAXED);
}

/* The slot to give a new key; see the comment at the top for the order. */
static struct slot *bucket_victim(const struct lockout *l, struct slot *bucket,
				  int64_t now)
{
	struct slot *fewest = NULL, *soonest = NULL;

	for (int i = 0; i < PROBE; i++) {
		struct slot *s = &bucket[i];
		int locked = now < s->locked_until;

		if (s->hash == 0)
			return s;
		if (s->pending > 0)
			continue;
		if (!locked && now - s->window_start >= (int64_t)limit(&l->window))
			return s;
		if (locked) {
			if (soonest == NULL || s->locked_until < soonest->locked_until)
				soonest = s;
		} else if (fewest == NULL || s->failures < fewest->failures ||
			   (s->failures == fewest->failures &&
			    (int32_t)(s->touched - fewest->touched) < 0)) {
			fewest = s;
		}
	}
	return fewest ? fewest : soonest;
}

int lockout_check(struct lockout *l, const void *key, size_t keylen, int64_t now,
		  unsigned *retry_after)
{
	return lockout_check_known(l, key, keylen, now, retry_after, NULL);
}

/* Failures s holds in the window that is current at now. */
static uint32_t window_failures(const struct lockout *l, const struct slot *s, int64_t now)
{
	if (now - s->window_start >= (int64_t)limit(&l->window) || now < s->window_start)
		return 0;
	return s->failures;
}

/* Whether s refuses an attempt at now: LOCKOUT_LOCKED with *retry_after
 * the seconds left, LOCKOUT_BUSY when the failures counted and the
 * attempts pending together reach the threshold (one more could be the
 * failure that locks: it waits until those are settled), else 0. */
static int slot_refuses(const struct lockout *l, const struct slot *s, int64_t now,
			unsigned *retry_after)
{
	unsigned threshold = limit(&l->threshold);

	if (now < s->locked_until) {
		int64_t left = s->locked_until - now;

		*retry_after = left > (int64_t)limit(&l->duration) ? limit(&l->duration)
							   : (unsigned)left;
		if (*retry_after == 0)
			*retry_after = 1;
		return LOCKOUT_LOCKED;
	}
	if (threshold != 0 && (uint64_t)window_failures(l, s, now) + s->pending >= threshold) {
		*retry_after = 1;
		return LOCKOUT_BUSY;
	}
	return 0;
}

int lockout_check_known(struct lockout *l, const void *key, size_t keylen, int64_t now,
			unsigned *retry_after, int *known)
{
	struct slot *bucket, *s;
	uint64_t h;
	unsigned ra = 0;
	int refused = 0;

	if (known != NULL)
		*known = 0;
	if (limit(&l->threshold) == 0)
		return 0;
	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	if (known != NULL)
		*known = s != NULL;
	if (s != NULL)
		refused = slot_refuses(l, s, now, &ra) != 0;
	bucket_unlock(l, bucket);
	if (refused && retry_after != NULL)
		*retry_after = ra;
	return refused;
}

/* Count a failure on s (its stripe held); 1 if it started a lockout. */
static int slot_fail(struct lockout *l, struct slot *s, int64_t now)
{
	if (now < s->locked_until)
		return 0;
	s->touched = __atomic_add_fetch(&l->clock, 1, __ATOMIC_RELAXED);
	/* a fixed window from the first failure: failures spread wider than
	 * window_s never add up to a lockout */
	if (now - s->window_start >= (int64_t)limit(&l->window) || now < s->window_start) {
		s->window_start = now;
		s->failures = 0;
	}
	s->failures++;
	if (s->failures >= limit(&l->threshold)) {
		s->locked_until = now + (int64_t)limit(&l->duration);
		s->failures = 0;
		s->window_start = now;
		return limit(&l->duration) > 0;
	}
	return 0;
}

/* The key's entry, made when it has none; NULL when its bucket has no
 * entry to give (every one has attempts pending). */
static struct slot *slot_get(struct lockout *l, struct slot *bucket, uint64_t h, int64_t now)
{
	struct slot *s = bucket_find(bucket, h);

	if (s != NULL)
		return s;
	s = bucket_victim(l, bucket, now);
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->hash = h;
	s->window_start = now;
	return s;
}

int lockout_fail(struct lockout *l, const void *key, size_t keylen, int64_t now)
{
	struct slot *bucket, *s;
	uint64_t h;
	int started = 0;

	if (limit(&l->threshold) == 0)
		return 0;
	bucket = bucket_lock(l, key, keylen, &h);
	s = slot_get(l, bucket, h, now);
	if (s != NULL)
		started = slot_fail(l, s, now);
	bucket_unlock(l, bucket);
	return started;
}

int lockout_admit(struct lockout *l, const void *key, size_t keylen, int64_t now,
		  unsigned max_pending, unsigned *retry_after, unsigned *pending)
{
	struct slot *bucket, *s;
	uint64_t h;
	unsigned ra = 1;
	int verdict = LOCKOUT_BUSY;

	bucket = bucket_lock(l, key, keylen, &h);
	s = slot_get(l, bucket, h, now);
	if (s != NULL) {
		verdict = slot_refuses(l, s, now, &ra);
		if (verdict == 0 && s->pending >= max_pending) {
			verdict = LOCKOUT_BUSY;
			ra = 1;
		}
		if (verdict == 0)
			s->pending++;
		if (pending != NULL)
			*pending = s->pending;
	}
	bucket_unlock(l, bucket);
	if (verdict != 0 && retry_after != NULL)
		*retry_after = ra;
	return verdict;
}

int lockout_settle(struct lockout *l, const void *key, size_t keylen, int64_t now, int failed)
{
	struct slot *bucket, *s;
	uint64_t h;
	int started = 0;

	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	if (s != NULL) {
		if (s->pending > 0)
			s->pending--;
		if (failed && limit(&l->threshold) != 0)
			started = slot_fail(l, s, now);
	}
	bucket_unlock(l, bucket);
	return started;
}

void lockout_success(struct lockout *l, const void *key, size_t keylen)
{
	struct slot *bucket, *s;
	uint64_t h;

	if (limit(&l->threshold) == 0)
		return;
	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	/* without the time we cannot tell whether a lockout is still in
	 * force, so an entry that was ever locked keeps locked_until (an
	 * expired one means nothing) and only loses its count */
	if (s != NULL) {
		if (s->locked_until != 0 || s->pending != 0)
			s->failures = 0;
		else
			memset(s, 0, sizeof(*s));
	}
	bucket_unlock(l, bucket);
}

void lockout_forgive(struct lockout *l, const void *key, size_t keylen, int64_t now, unsigned n)
{
	struct slot *bucket, *s;
	uint64_t h;

	if (n == 0 || limit(&l->threshold) == 0)
		return;
	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	if (s != NULL) {
		uint32_t have = window_failures(l, s, now);

		s->failures = have > n ? have - n : 0;
	}
	bucket_unlock(l, bucket);
}

unsigned lockout_take(struct lockout *l, const void *key, size_t keylen, int64_t now)
{
	struct slot *bucket, *s;
	uint64_t h;
	unsigned n = 0;

	if (limit(&l->threshold) == 0)
		return 0;
	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	if (s != NULL) {
		n = window_failures(l, s, now);
		if (s->pending != 0 || now < s->locked_until)
			s->failures = 0;
		else
			memset(s, 0, sizeof(*s));
	}
	bucket_unlock(l, bucket);
	return n;
}

void lockout_clear(struct lockout *l, const void *key, size_t keylen)
{
	struct slot *bucket, *s;
	uint64_t h;

	bucket = bucket_lock(l, key, keylen, &h);
	s = bucket_find(bucket, h);
	/* attempts still in flight settle against the entry: their count
	 * survives an administrator's unlock */
	if (s != NULL) {
		uint32_t pending = s->pending;

		memset(s, 0, sizeof(*s));
		if (pending != 0) {
			s->hash = h;
			s->pending = pending;
		}
	}
	bucket_unlock(l, bucket);
}
