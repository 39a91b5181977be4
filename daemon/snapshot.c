#include "snapshot.h"

#include <stdlib.h>

struct snapshot *snapshot_new(const struct config *cfg)
{
	struct snapshot *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->refs = 1;
	return s;
}

struct snapshot *snapshot_hold(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snapshot_release(struct snapshot *s)
{
	/* acquire-release: whoever frees must see every other holder's reads
	 * finished (the usual reference-count ordering) */
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

void snapshot_slot_init(struct snapshot_slot *slot, struct snapshot *s)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->current = s;
	slot->generation = 1;
}

void snapshot_slot_fini(struct snapshot_slot *slot)
{
	snapshot_release(slot->current);
	slot->current = NULL;
	pthread_mutex_destroy(&slot->lock);
}

void snapshot_slot_publish(struct snapshot_slot *slot, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = s;
	__atomic_add_fetch(&slot->generation, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot->lock);
	snapshot_release(old);
}

/* The lock makes "read the pointer, take a reference" one step: without it
 * a publish between the two could free the snapshot being held. */
struct snapshot *snapshot_slot_get(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = snapshot_hold(slot->current);
	pthread_mutex_unlock(&slot->lock);
	return s;
}

uint64_t snapshot_slot_generation(struct snapshot_slot *slot)
{
	return __atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE);
}
