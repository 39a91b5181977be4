#include "addrmap.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lockout.h"

/*
 * A slot is empty when family is 0. The hash is kept with the entry so that
 * growing and backward shifts need not run SipHash again, and so that most
 * mismatches in a probe chain are rejected without comparing addresses.
 */
struct slot {
	uint64_t hash;
	size_t value;
	int family;
	uint8_t bytes[16];
};

struct addrmap {
	uint8_t key[ADDRMAP_KEY_LEN];
	struct slot *slots;
	size_t mask;                  /* slots - 1 */
	size_t count;
};

int addrmap_addr_from_sockaddr(const struct sockaddr *sa, struct addrmap_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* a dual-stack listener sees v4 clients as ::ffff:a.b.c.d; they
		 * are the same client as a.b.c.d (RFC 4291 §2.5.5.2) */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			out->family = AF_INET;
			memcpy(out->bytes, a6->s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->bytes, a6->s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

static uint64_t addr_hash(const struct addrmap *m, const struct addrmap_addr *a)
{
	uint8_t buf[17];
	size_t n = a->family == AF_INET ? 4 : 16;

	/* the family goes in too: 10.0.0.1 and 0a00:0001:: must differ */
	buf[0] = a->family == AF_INET ? 4 : 6;
	memcpy(buf + 1, a->bytes, n);
	return lockout_siphash(m->key, buf, n + 1);
}

static int slot_holds(const struct slot *s, uint64_t hash, const struct addrmap_addr *a)
{
	return s->family == a->family && s->hash == hash && memcmp(s->bytes, a->bytes, 16) == 0;
}

/* The slot holding a, or the empty slot ending its probe chain. The table
 * is never full, so the probe ends. */
static size_t probe(const struct addrmap *m, uint64_t hash, const struct addrmap_addr *a)
{
	size_t i = (size_t)hash & m->mask;

	while (m->slots[i].family != 0 && !slot_holds(&m->slots[i], hash, a))
		i = (i + 1) & m->mask;
	return i;
}

struct addrmap *addrmap_new(const uint8_t key[ADDRMAP_KEY_LEN])
{
	struct addrmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->slots = calloc(ADDRMAP_MIN_SLOTS, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	memcpy(m->key, key, ADDRMAP_KEY_LEN);
	m->mask = ADDRMAP_MIN_SLOTS - 1;
	return m;
}

void addrmap_free(struct addrmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

void addrmap_clear(struct addrmap *m)
{
	memset(m->slots, 0, (m->mask + 1) * sizeof(*m->slots));
	m->count = 0;
}

/* The table, rehashed into n slots (a power of two above twice count). */
static int resize(struct addrmap *m, size_t n)
{
	size_t old_n = m->mask + 1;
	struct slot *old = m->slots, *ns;

	if (n > SIZE_MAX / sizeof(*ns))
		return -1;
	ns = calloc(n, sizeof(*ns));
	if (ns == NULL)
		return -1;
	m->slots = ns;
	m->mask = n - 1;
	for (size_t i = 0; i < old_n; i++) {
		size_t j;

		if (old[i].family == 0)
			continue;
		j = (size_t)old[i].hash & m->mask;
		while (ns[j].family != 0)
			j = (j + 1) & m->mask;
		ns[j] = old[i];
	}
	free(old);
	return 0;
}

static int grow(struct addrmap *m)
{
	return resize(m, (m->mask + 1) * 2);
}

int addrmap_reserve(struct addrmap *m, size_t n)
{
	size_t slots = m->mask + 1;

	/* the same bound as addrmap_put's: at most half full */
	while (n * 2 > slots) {
		if (slots > SIZE_MAX / 2)
			return -1;
		slots *= 2;
	}
	return slots == m->mask + 1 ? 0 : resize(m, slots);
}

int addrmap_put(struct addrmap *m, const struct addrmap_addr *addr, size_t value)
{
	uint64_t hash = addr_hash(m, addr);
	size_t i = probe(m, hash, addr);

	if (m->slots[i].family != 0) {
		m->slots[i].value = value;
		return 0;
	}
	/* at most half full: probe chains stay short (about 1.5 slots for a
	 * hit, 2.5 for a miss at that load with linear probing) */
	if ((m->count + 1) * 2 > m->mask + 1) {
		if (grow(m) < 0)
			return -1;
		i = probe(m, hash, addr);
	}
	m->slots[i].hash = hash;
	m->slots[i].value = value;
	m->slots[i].family = addr->family;
	memcpy(m->slots[i].bytes, addr->bytes, 16);
	m->count++;
	return 0;
}

int addrmap_get(const struct addrmap *m, const struct addrmap_addr *addr, size_t *value)
{
	size_t i = probe(m, addr_hash(m, addr), addr);

	if (m->slots[i].family == 0)
		return 0;
	if (value)
		*value = m->slots[i].value;
	return 1;
}

int addrmap_del(struct addrmap *m, const struct addrmap_addr *addr)
{
	size_t hole = probe(m, addr_hash(m, addr), addr), j;

	if (m->slots[hole].family == 0)
		return 0;
	/*
	 * Backward-shift deletion: walk the run after the hole; an entry whose
	 * home lies cyclically at or before the hole would become unreachable
	 * once the hole is empty (its probe would stop there), so it moves into
	 * the hole and leaves a new hole behind. The run ends at an empty slot.
	 */
	j = hole;
	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (m->slots[j].family == 0)
			break;
		home = (size_t)m->slots[j].hash & m->mask;
		if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
	m->count--;
	return 1;
}

size_t addrmap_count(const struct addrmap *m)
{
	return m->count;
}

size_t addrmap_slots(const struct addrmap *m)
{
	return m->mask + 1;
}

size_t addrmap_home(const struct addrmap *m, const struct addrmap_addr *addr)
{
	return (size_t)addr_hash(m, addr) & m->mask;
}
