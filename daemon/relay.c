#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void relay_pipe_init(struct relay_pipe *p)
{
	p->rfd = p->wfd = -1;
	p->len = 0;
}

void relay_pipe_release(struct relay_cache *cache, struct relay_pipe *p)
{
	if (p->rfd < 0)
		return;
	if (p->len == 0 && cache->n < RELAY_CACHE_MAX) {
		cache->fds[cache->n][0] = p->rfd;
		cache->fds[cache->n][1] = p->wfd;
		cache->n++;
	} else {
		/* bytes left in it belong to a relay that is being torn down */
		close(p->rfd);
		close(p->wfd);
	}
	relay_pipe_init(p);
}

void relay_cache_fini(struct relay_cache *cache)
{
	while (cache->n > 0) {
		cache->n--;
		close(cache->fds[cache->n][0]);
		close(cache->fds[cache->n][1]);
	}
}

static int relay_pipe_take(struct relay_cache *cache, struct relay_pipe *p)
{
	int fds[2];

	if (cache->n > 0) {
		cache->n--;
		p->rfd = cache->fds[cache->n][0];
		p->wfd = cache->fds[cache->n][1];
	} else {
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
			return -1;
		p->rfd = fds[0];
		p->wfd = fds[1];
		/* a socket's data lands in the pipe one buffer slot per page or
		 * fragment: 16 slots (the default) carry about 40 KiB a splice;
		 * 64 move a whole GRO-merged burst. Where the size cannot be
		 * raised (the per-user pipe quota) the default still works. */
		fcntl(p->wfd, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	}
	p->len = 0;
	return 0;
}

ssize_t relay_fill(struct relay_cache *cache, struct relay_pipe *p, int from, size_t max)
{
	ssize_t n;

	if (p->rfd < 0 && relay_pipe_take(cache, p) < 0)
		return -3;
	/* SPLICE_F_NONBLOCK: the pipe must not block us even if the socket
	 * was opened blocking; the sockets here are non-blocking anyway */
	n = splice(from, NULL, p->wfd, NULL, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0) {
		if (p->len == 0)
			relay_pipe_release(cache, p);
		return errno == EAGAIN || errno == EINTR ? -1 : -2;
	}
	if (n == 0 && p->len == 0)
		relay_pipe_release(cache, p);
	p->len += (size_t)n;
	return n;
}

ssize_t relay_drain(struct relay_cache *cache, struct relay_pipe *p, int to)
{
	size_t moved = 0;

	while (p->len > 0) {
		ssize_t n = splice(p->rfd, NULL, to, NULL, p->len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -2;
		}
		if (n == 0)
			break;
		p->len -= (size_t)n;
		moved += (size_t)n;
	}
	if (p->len == 0)
		relay_pipe_release(cache, p);
	return moved ? (ssize_t)moved : (p->len ? -1 : 0);
}
