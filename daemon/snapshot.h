/*
 * snapshot — the running configuration, shared by threads as an immutable,
 * reference-counted copy.
 *
 * A reload (SIGHUP) never edits the configuration a thread is reading: it
 * builds a new snapshot and publishes it in a slot. A reader takes a
 * reference from the slot for one piece of work (a request, a batch) and
 * lets go of it afterwards; the snapshot it read stays whole until the last
 * reference is gone, however many reloads happen meanwhile. Event-loop
 * workers keep one reference each and switch between events, so their hot
 * path takes no lock.
 */
#ifndef PORTCULLIS_SNAPSHOT_H
#define PORTCULLIS_SNAPSHOT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct snapshot {
	struct config cfg;     /* never changed once published */
	int refs;              /* atomic */
};

/* A place where the current snapshot is published. */
struct snapshot_slot {
	pthread_mutex_t lock;
	struct snapshot *current;
	uint64_t generation;   /* atomic: bumped by every publish */
};

/* A copy of cfg with one reference, owned by the caller; NULL if out of
 * memory. */
struct snapshot *snapshot_new(const struct config *cfg);
/* Another reference to s (returns s). */
struct snapshot *snapshot_hold(struct snapshot *s);
/* Drop one reference; the last one frees s. Accepts NULL. */
void snapshot_release(struct snapshot *s);

/* Publish s in slot; takes ownership of the caller's reference to s. */
void snapshot_slot_init(struct snapshot_slot *slot, struct snapshot *s);
/* Release the slot's reference. */
void snapshot_slot_fini(struct snapshot_slot *slot);
/* Replace the published snapshot; takes ownership of the caller's
 * reference to s. Threads holding the old one keep it until they release. */
void snapshot_slot_publish(struct snapshot_slot *slot, struct snapshot *s);
/* A reference to the published snapshot, which the caller must release. */
struct snapshot *snapshot_slot_get(struct snapshot_slot *slot);
/* The generation of the published snapshot (cheap: no lock), to tell
 * whether a held snapshot is still the current one. */
uint64_t snapshot_slot_generation(struct snapshot_slot *slot);

#endif
