/*
 * resolve — asynchronous name lookups (c-ares) on the worker event loops.
 *
 * A lookup never blocks a loop and never holds a thread: each loop has its
 * own c-ares channel whose sockets and timer the loop watches, so a
 * nameserver that does not answer costs one query's memory until the
 * resolver's own timeout, and other names keep resolving meanwhile.
 *
 * Shared by every loop: a cache of answers (each kept for its records'
 * TTL, at most RESOLVE_TTL_MAX, in a table of bounded size) and a count of
 * the lookups each client address has in flight, so that one client's
 * stalled names cannot take the room everyone else's lookups need.
 *
 * The nameservers and options come from /etc/resolv.conf: read at start,
 * and again for new lookups when the file changes (resolve_channel_tick).
 */
#ifndef PORTCULLIS_RESOLVE_H
#define PORTCULLIS_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#include "loop.h"

#define RESOLVE_MAX_ADDRS      8
#define RESOLVE_TTL_MAX        3600     /* s: longer TTLs are cut to this */
#define RESOLVE_CHANNEL_MAX    4096     /* lookups in flight on one loop */

struct resolver;         /* shared: the cache and the per-client counts */
struct resolve_channel;  /* one per event loop */
struct resolve_query;    /* one lookup in flight */

enum resolve_status {
	RESOLVE_OK,          /* n >= 1 addresses */
	RESOLVE_NOTFOUND,    /* no such name, or no address for it */
	RESOLVE_FAILED,      /* the nameservers failed or did not answer */
	RESOLVE_REFUSED,     /* not started: too many lookups in flight */
	RESOLVE_CANCELLED,   /* the channel was freed first */
};

struct resolve_answer {
	enum resolve_status status;
	const char *error;                 /* static text: why, for a message */
	int from_cache;
	size_t n;
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];   /* port 0 */
};

/* Runs on the channel's loop, exactly once per pending lookup unless it was
 * cancelled; answer is borrowed for the call. */
typedef void (*resolve_done_cb)(void *ud, const struct resolve_answer *answer);

/* cache_entries 0: no cache. NULL with err set on failure. */
struct resolver *resolver_new(size_t cache_entries, char *err, size_t errlen);
/* After every channel has been freed. Accepts NULL. */
void resolver_free(struct resolver *r);

/* A c-ares channel on loop (borrowed; used from its thread only). */
struct resolve_channel *resolve_channel_new(struct resolver *r, struct loop *loop,
					    char *err, size_t errlen);
/* Ends the lookups in flight (callbacks still attached get
 * RESOLVE_CANCELLED) and closes the channel's sockets. Call it on the
 * loop's thread or after that thread has ended, before loop_free. Accepts
 * NULL. */
void resolve_channel_free(struct resolve_channel *ch);

/*
 * Look host up (a DNS name, not an address literal) for client, which may
 * have at most per_client lookups in flight at once (0: no bound).
 * Returns 0 when the answer is known at once (the cache, the hosts file,
 * or a refusal: RESOLVE_REFUSED when client or the channel has too many
 * lookups in flight), with *answer filled; or 1 when the lookup is in
 * flight: *query is set, and cb(ud, answer) runs later on the loop unless
 * resolve_cancel(*query) comes first. Only one thread (the loop's) calls
 * this for a channel.
 */
int resolve_lookup(struct resolve_channel *ch, const char *host, const struct sockaddr *client,
		   unsigned per_client, struct resolve_answer *answer,
		   resolve_done_cb cb, void *ud, struct resolve_query **query);

/* The caller no longer wants the answer: cb will not be called. The query
 * itself runs to its end (its answer still fills the cache, and it still
 * counts for its client until then). */
void resolve_cancel(struct resolve_query *q);

/* From the loop's tick (now: monotonic s): notices a changed resolv.conf
 * and frees what is no longer needed. */
void resolve_channel_tick(struct resolve_channel *ch, int64_t now);

#endif
