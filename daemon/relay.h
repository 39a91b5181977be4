/*
 * relay — zero-copy relaying between two sockets through a pipe (splice(2)).
 *
 * Bytes move socket -> pipe -> socket inside the kernel and never enter
 * user space. A pipe exists only while bytes are in flight: it is taken
 * from a per-worker cache when a relay starts moving data and given back
 * as soon as it is empty, so an idle tunnel holds no pipe (and no
 * descriptors beyond its two sockets), and a busy one makes no pipe2 or
 * close calls. Single-threaded: each worker owns its cache.
 */
#ifndef PORTCULLIS_RELAY_H
#define PORTCULLIS_RELAY_H

#include <stddef.h>
#include <sys/types.h>

#define RELAY_CACHE_MAX 16        /* empty pipes a worker keeps for reuse */
#define RELAY_PIPE_SIZE (256 * 1024)  /* asked of the kernel per pipe */

struct relay_pipe {
	int rfd, wfd;             /* -1 when no pipe is held */
	size_t len;               /* bytes in the pipe */
};

struct relay_cache {
	int fds[RELAY_CACHE_MAX][2];
	size_t n;
};

/* An empty relay_pipe (holds nothing). */
void relay_pipe_init(struct relay_pipe *p);
/* Give the pipe back to the cache (or close it when the cache is full or
 * bytes are still in it). Accepts a pipe that holds nothing. */
void relay_pipe_release(struct relay_cache *cache, struct relay_pipe *p);

/* Close every cached pipe. */
void relay_cache_fini(struct relay_cache *cache);

/*
 * Move up to max bytes from socket from into the pipe, taking a pipe from
 * the cache first if p holds none. Returns the bytes moved, 0 at end of
 * input, -1 when nothing can move now (would block, pipe full), -2 on an
 * error reading from (errno set) and -3 when no pipe could be had (out of
 * descriptors): nothing was read, the caller relays by other means.
 */
ssize_t relay_fill(struct relay_cache *cache, struct relay_pipe *p, int from, size_t max);

/*
 * Move what the pipe holds into socket to; an emptied pipe goes back to
 * the cache. Returns the bytes moved, -1 when nothing can move now and -2
 * on an error (errno set).
 */
ssize_t relay_drain(struct relay_cache *cache, struct relay_pipe *p, int to);

#endif
