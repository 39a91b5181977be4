#include "credcache.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lockout.h"
#include "loop.h"

#define CACHE_SLOTS        16384    /* power of two */
#define CACHE_STRIPES      64
#define CACHE_PROBE        8

struct credcache {
	struct credcache_entry *slots;    /* CACHE_SLOTS */
	pthread_mutex_t stripes[CACHE_STRIPES];
	uint8_t key[32];                  /* two SipHash keys */
	unsigned ttl;                     /* atomic */
	uint64_t epoch;                   /* atomic */
};

static int64_t mono_now(void)
{
	return loop_mono_ms() / 1000;
}

/*
 * The cache key: 128 bits of keyed hash (two SipHash-2-4 under independent
 * secret keys) of kind, username and password. Finding another password
 * with the same key means guessing against a secret online, 2^64 tries at
 * the least; and it is ten times cheaper than an HMAC on the hot path.
 */
void credcache_key(const struct credcache *c, enum credcache_kind kind, const char *a,
		   size_t alen, const char *b, size_t blen, uint8_t out[32])
{
	char buf[1 + AUTH_USER_MAX + 1 + AUTH_PASS_MAX];
	size_t n = 0;
	uint64_t h1, h2;

	if (alen > AUTH_USER_MAX)
		alen = AUTH_USER_MAX;
	if (blen > AUTH_PASS_MAX)
		blen = AUTH_PASS_MAX;
	buf[n++] = (char)kind;
	memcpy(buf + n, a, alen);
	n += alen;
	if (b) {
		buf[n++] = ':';
		memcpy(buf + n, b, blen);
		n += blen;
	}
	h1 = lockout_siphash(c->key, buf, n);
	h2 = lockout_siphash(c->key + 16, buf, n);
	OPENSSL_cleanse(buf, n);
	memset(out, 0, 32);
	memcpy(out, &h1, 8);
	memcpy(out + 8, &h2, 8);
}

static size_t slot_index(const uint8_t key[32])
{
	size_t i;

	memcpy(&i, key, sizeof(i));
	return i & (CACHE_SLOTS - 1);
}

int credcache_get(struct credcache *c, const uint8_t key[32], struct credcache_entry *out,
		  struct idsource_attrs *attrs)
{
	uint64_t epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
	size_t base = slot_index(key);
	pthread_mutex_t *m = &c->stripes[(base / CACHE_PROBE) % CACHE_STRIPES];
	int64_t now = mono_now();
	int found = 0;

	if (__atomic_load_n(&c->ttl, __ATOMIC_RELAXED) == 0)
		return 0;
	/* the key is a keyed hash of a valid password: compared in constant time */
	pthread_mutex_lock(m);
	for (size_t i = 0; i < CACHE_PROBE; i++) {
		struct credcache_entry *e = &c->slots[(base & ~(size_t)(CACHE_PROBE - 1)) + i];

		if (e->epoch == epoch && e->until > now && CRYPTO_memcmp(e->key, key, 32) == 0) {
			*out = *e;
			out->attrs = NULL;
			if (attrs && e->attrs)
				*attrs = *e->attrs;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(m);
	return found;
}

static int attrs_empty(const struct idsource_attrs *a)
{
	return !a->session_timeout && !a->idle_timeout && !a->accounting_interval &&
	       !a->reply_message[0] && !a->class_len && !a->n_groups;
}

/* Entries live in groups of CACHE_PROBE slots sharing one mutex; a new entry
 * replaces a dead one, else the one that expires first. */
void credcache_put(struct credcache *c, const struct credcache_entry *in, uint64_t epoch,
		   const struct idsource_attrs *attrs)
{
	size_t base = slot_index(in->key) & ~(size_t)(CACHE_PROBE - 1);
	pthread_mutex_t *m = &c->stripes[(base / CACHE_PROBE) % CACHE_STRIPES];
	int64_t now = mono_now();
	struct credcache_entry *victim = NULL;
	struct idsource_attrs *copy = NULL, *old;
	unsigned ttl = __atomic_load_n(&c->ttl, __ATOMIC_RELAXED);

	if (ttl == 0)
		return;
	if (attrs && !attrs_empty(attrs)) {
		/* without its attributes the answer is not worth keeping */
		copy = malloc(sizeof(*copy));
		if (!copy)
			return;
		*copy = *attrs;
	}
	pthread_mutex_lock(m);
	for (size_t i = 0; i < CACHE_PROBE; i++) {
		struct credcache_entry *e = &c->slots[base + i];

		if (memcmp(e->key, in->key, 32) == 0 || e->epoch != epoch || e->until <= now) {
			victim = e;
			break;
		}
		if (!victim || e->until < victim->until)
			victim = e;
	}
	old = victim->attrs;
	*victim = *in;
	victim->attrs = copy;
	victim->epoch = epoch;
	victim->until = now + ttl;
	pthread_mutex_unlock(m);
	free(old);
}

uint64_t credcache_epoch(struct credcache *c)
{
	return __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
}

void credcache_drop(struct credcache *c)
{
	__atomic_add_fetch(&c->epoch, 1, __ATOMIC_RELEASE);
}

int credcache_set_ttl(struct credcache *c, unsigned ttl)
{
	return __atomic_exchange_n(&c->ttl, ttl, __ATOMIC_RELAXED) != ttl;
}

struct credcache *credcache_new(unsigned ttl, char *err, size_t errlen)
{
	struct credcache *c = calloc(1, sizeof(*c));

	if (!c || !(c->slots = calloc(CACHE_SLOTS, sizeof(*c->slots)))) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	if (getrandom(c->key, sizeof(c->key), 0) != sizeof(c->key)) {
		snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
		free(c->slots);
		free(c);
		return NULL;
	}
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->stripes[i], NULL);
	c->ttl = ttl;
	c->epoch = 1;
	return c;
}

void credcache_free(struct credcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(c->slots[i].attrs);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c->slots);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->stripes[i]);
	free(c);
}
