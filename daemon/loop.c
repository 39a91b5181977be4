#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_BATCH 256

struct loop_deferred {
	void (*fn)(void *);
	void *ptr;
};

struct loop {
	int epfd;
	struct loop_watch wake;      /* eventfd: posted calls and stop */
	struct loop_watch timer;     /* timerfd: the tick */
	volatile int stopping;
	int64_t now;
	loop_tick_cb tick_cb;
	void *tick_ud;
	loop_tick_cb batch_end_cb;
	void *batch_end_ud;

	pthread_mutex_t lock;        /* guards calls */
	struct loop_call *calls, **calls_tail;

	struct loop_deferred *deferred;
	size_t n_deferred, cap_deferred;
};

int64_t loop_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_now(const struct loop *loop)
{
	return loop->now;
}

static void loop_wake_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	uint64_t v;
	struct loop_call *c;

	(void)events;
	if (read(w->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("loop: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&loop->lock);
	c = loop->calls;
	loop->calls = NULL;
	loop->calls_tail = &loop->calls;
	pthread_mutex_unlock(&loop->lock);
	while (c) {
		struct loop_call *next = c->next;

		int allocated = c->allocated;

		c->fn(c->ud);
		if (allocated)
			free(c);
		c = next;
	}
}

static void loop_timer_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	uint64_t expirations;

	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (loop->tick_cb)
		loop->tick_cb(loop, loop->tick_ud);
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	int efd = -1, tfd = -1;

	if (!loop)
		return NULL;
	loop->epfd = -1;
	pthread_mutex_init(&loop->lock, NULL);
	loop->calls_tail = &loop->calls;
	loop->now = loop_mono_ms() / 1000;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->epfd < 0 || efd < 0 || tfd < 0)
		goto fail;
	if (timerfd_settime(tfd, 0, &its, NULL) < 0)
		goto fail;
	if (loop_watch_add(loop, &loop->wake, efd, EPOLLIN, loop_wake_cb) < 0)
		goto fail;
	efd = -1;
	if (loop_watch_add(loop, &loop->timer, tfd, EPOLLIN, loop_timer_cb) < 0)
		goto fail;
	return loop;
fail:
	log_error("loop: cannot create event loop: %s", strerror(errno));
	if (efd >= 0)
		close(efd);
	if (tfd >= 0)
		close(tfd);
	loop_free(loop);
	return NULL;
}

static void loop_run_deferred(struct loop *loop)
{
	/* a deferred free may defer another one: walk by index */
	for (size_t i = 0; i < loop->n_deferred; i++)
		loop->deferred[i].fn(loop->deferred[i].ptr);
	loop->n_deferred = 0;
}

void loop_free(struct loop *loop)
{
	struct loop_call *c;

	if (!loop)
		return;
	/* the loop's thread has ended: calls still posted (a pool job that
	 * completed late) run here, so what they complete is released, not
	 * leaked; the frees they defer run after them */
	while ((c = loop->calls) != NULL) {
		loop->calls = NULL;
		loop->calls_tail = &loop->calls;
		while (c) {
			struct loop_call *next = c->next;
			int allocated = c->allocated;

			c->fn(c->ud);
			if (allocated)
				free(c);
			c = next;
		}
	}
	loop_run_deferred(loop);
	if (loop->wake.added)
		close(loop->wake.fd);
	if (loop->timer.added)
		close(loop->timer.fd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->deferred);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int loop_run(struct loop *loop)
{
	struct epoll_event ev[LOOP_BATCH];

	while (!loop->stopping) {
		int n = epoll_wait(loop->epfd, ev, LOOP_BATCH, 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("loop: epoll_wait: %s", strerror(errno));
			return -1;
		}
		loop->now = loop_mono_ms() / 1000;
		for (int i = 0; i < n; i++) {
			struct loop_watch *w = ev[i].data.ptr;

			/* fd < 0: deleted by an earlier callback in this batch */
			if (w->fd >= 0 && w->added)
				w->cb(loop, w, ev[i].events);
		}
		loop_run_deferred(loop);
		if (loop->batch_end_cb)
			loop->batch_end_cb(loop, loop->batch_end_ud);
	}
	if (loop->batch_end_cb)
		loop->batch_end_cb(loop, loop->batch_end_ud);
	return 0;
}

void loop_stop(struct loop *loop)
{
	uint64_t one = 1;

	loop->stopping = 1;
	if (write(loop->wake.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("loop: eventfd write: %s", strerror(errno));
}

int loop_watch_add(struct loop *loop, struct loop_watch *w, int fd, uint32_t events,
		   loop_watch_cb cb)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->cb = cb;
	w->events = events;
	w->registered = 0;
	if (events) {
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -1;
		w->registered = 1;
	}
	w->added = 1;
	return 0;
}

int loop_watch_set(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	int rc;

	if (!w->added || w->events == events)
		return 0;
	if (!events) {
		rc = epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
		w->registered = 0;
	} else if (!w->registered) {
		rc = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev);
		w->registered = rc == 0;
	} else {
		rc = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
	}
	if (rc < 0)
		return -1;
	w->events = events;
	return 0;
}

void loop_watch_del(struct loop *loop, struct loop_watch *w)
{
	if (!w->added)
		return;
	if (w->registered)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = 0;
	w->registered = 0;
}

void loop_set_tick(struct loop *loop, loop_tick_cb cb, void *ud)
{
	loop->tick_cb = cb;
	loop->tick_ud = ud;
}

void loop_set_batch_end(struct loop *loop, loop_tick_cb cb, void *ud)
{
	loop->batch_end_cb = cb;
	loop->batch_end_ud = ud;
}

void loop_post_call(struct loop *loop, struct loop_call *c)
{
	uint64_t one = 1;

	c->next = NULL;
	pthread_mutex_lock(&loop->lock);
	*loop->calls_tail = c;
	loop->calls_tail = &c->next;
	pthread_mutex_unlock(&loop->lock);
	if (write(loop->wake.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("loop: eventfd write: %s", strerror(errno));
}

int loop_post(struct loop *loop, loop_call_cb fn, void *ud)
{
	struct loop_call *c = malloc(sizeof(*c));

	if (!c)
		return -1;
	c->fn = fn;
	c->ud = ud;
	c->allocated = 1;
	loop_post_call(loop, c);
	return 0;
}

void loop_defer_free(struct loop *loop, void (*fn)(void *), void *ptr)
{
	if (loop->n_deferred == loop->cap_deferred) {
		size_t cap = loop->cap_deferred ? loop->cap_deferred * 2 : 64;
		struct loop_deferred *d = realloc(loop->deferred, cap * sizeof(*d));

		if (!d) {
			/* cannot defer: leaking is safer than a use after free */
			log_error("loop: out of memory deferring a free");
			return;
		}
		loop->deferred = d;
		loop->cap_deferred = cap;
	}
	loop->deferred[loop->n_deferred].fn = fn;
	loop->deferred[loop->n_deferred].ptr = ptr;
	loop->n_deferred++;
}
