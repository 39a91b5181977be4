#include "connlimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "lockout.h"

#define STRIPES 16

struct stripe {
	pthread_mutex_t lock;
	struct addrmap *open;     /* address -> connections open (never 0) */
};

struct connlimit {
	uint8_t key[ADDRMAP_KEY_LEN];
	struct stripe stripes[STRIPES];
	int64_t last_line;        /* atomic: second of the last refusal logged */
	uint64_t unlogged;        /* atomic: refusals since */
};

struct connlimit *connlimit_new(const uint8_t key[ADDRMAP_KEY_LEN])
{
	struct connlimit *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return NULL;
	memcpy(cl->key, key, ADDRMAP_KEY_LEN);
	for (int i = 0; i < STRIPES; i++) {
		pthread_mutex_init(&cl->stripes[i].lock, NULL);
		cl->stripes[i].open = addrmap_new(key);
		if (cl->stripes[i].open == NULL) {
			connlimit_free(cl);
			return NULL;
		}
	}
	return cl;
}

void connlimit_free(struct connlimit *cl)
{
	if (cl == NULL)
		return;
	for (int i = 0; i < STRIPES; i++) {
		addrmap_free(cl->stripes[i].open);
		pthread_mutex_destroy(&cl->stripes[i].lock);
	}
	memset(cl->key, 0, sizeof(cl->key));
	free(cl);
}

/* Connections are counted per client key (cidr_client_key): an IPv4
 * address, or an IPv6 /64, which one SLAAC host can fill with addresses. */
static int client_key(const struct sockaddr *client, struct addrmap_addr *a)
{
	struct cidr c;

	if (cidr_client_key(client, &c) < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->family = c.family;
	memcpy(a->bytes, c.addr, sizeof(a->bytes));
	return 0;
}

/* The stripe by a keyed hash too: which addresses share a mutex is no
 * more predictable than which share a probe chain. */
static struct stripe *stripe_of(struct connlimit *cl, const struct addrmap_addr *a)
{
	uint64_t h = lockout_siphash(cl->key, a, sizeof(*a));

	return &cl->stripes[h % STRIPES];
}

int connlimit_acquire(struct connlimit *cl, const struct sockaddr *client, unsigned max,
		      unsigned *open)
{
	struct addrmap_addr a;
	struct stripe *s;
	size_t n = 0;
	int rc = 0;

	if (open != NULL)
		*open = 0;
	if (client_key(client, &a) < 0)
		return -1;
	s = stripe_of(cl, &a);
	pthread_mutex_lock(&s->lock);
	addrmap_get(s->open, &a, &n);
	if (n >= max)
		rc = 1;
	else if (addrmap_put(s->open, &a, n + 1) < 0)
		rc = -1;
	else
		n++;
	pthread_mutex_unlock(&s->lock);
	if (open != NULL)
		*open = (unsigned)n;
	return rc;
}

void connlimit_release(struct connlimit *cl, const struct sockaddr *client)
{
	struct addrmap_addr a;
	struct stripe *s;
	size_t n;

	if (client_key(client, &a) < 0)
		return;
	s = stripe_of(cl, &a);
	pthread_mutex_lock(&s->lock);
	if (addrmap_get(s->open, &a, &n)) {
		if (n > 1)
			addrmap_put(s->open, &a, n - 1);   /* replaces: cannot fail */
		else
			addrmap_del(s->open, &a);
	}
	pthread_mutex_unlock(&s->lock);
}

unsigned connlimit_open(struct connlimit *cl, const struct sockaddr *client)
{
	struct addrmap_addr a;
	struct stripe *s;
	size_t n = 0;

	if (client_key(client, &a) < 0)
		return 0;
	s = stripe_of(cl, &a);
	pthread_mutex_lock(&s->lock);
	addrmap_get(s->open, &a, &n);
	pthread_mutex_unlock(&s->lock);
	return (unsigned)n;
}

void connlimit_size(struct connlimit *cl, size_t *addresses, size_t *slots)
{
	*addresses = *slots = 0;
	for (int i = 0; i < STRIPES; i++) {
		pthread_mutex_lock(&cl->stripes[i].lock);
		*addresses += addrmap_count(cl->stripes[i].open);
		*slots += addrmap_slots(cl->stripes[i].open);
		pthread_mutex_unlock(&cl->stripes[i].lock);
	}
}

int connlimit_note_refusal(struct connlimit *cl, int64_t now, uint64_t *refused)
{
	int64_t last = __atomic_load_n(&cl->last_line, __ATOMIC_RELAXED);

	__atomic_add_fetch(&cl->unlogged, 1, __ATOMIC_RELAXED);
	if (last == now ||
	    !__atomic_compare_exchange_n(&cl->last_line, &last, now, 0, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return 0;
	*refused = __atomic_exchange_n(&cl->unlogged, 0, __ATOMIC_RELAXED);
	return 1;
}
