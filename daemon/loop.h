/*
 * loop — one epoll event loop per worker thread.
 *
 * The loop knows nothing about HTTP. It offers file descriptor watches,
 * a once-a-second tick (connections keep their own deadlines and are swept
 * from the tick: with tens of thousands of connections a scan per second is
 * cheaper than a timer per connection), calls posted from other threads, and
 * deferred frees: an object whose watch may still have an event pending in
 * the current epoll batch is freed only after the batch, never inside a
 * callback that may still be using it.
 */
#ifndef PORTCULLIS_LOOP_H
#define PORTCULLIS_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_watch;

typedef void (*loop_watch_cb)(struct loop *loop, struct loop_watch *w, uint32_t events);
typedef void (*loop_tick_cb)(struct loop *loop, void *ud);
typedef void (*loop_call_cb)(void *ud);

/* Embedded in the object that owns the descriptor. */
struct loop_watch {
	int fd;
	uint32_t events;        /* EPOLLIN/EPOLLOUT currently requested */
	int added;              /* between loop_watch_add and loop_watch_del */
	int registered;         /* in the epoll set (not while events is 0) */
	loop_watch_cb cb;
};

struct loop *loop_new(void);
/* After loop_run has returned (or never ran): calls still posted run here,
 * on the calling thread, then the deferred frees. Whatever posts to the
 * loop (a pool) must have stopped first. Accepts NULL. */
void loop_free(struct loop *loop);

/* Run until loop_stop(); returns 0, or -1 if epoll itself failed. */
int loop_run(struct loop *loop);
/* Thread-safe: ask the loop to return from loop_run after this iteration. */
void loop_stop(struct loop *loop);

/* Start watching fd with events (EPOLLIN|EPOLLOUT; EPOLLRDHUP is implied
 * off). 0 or -1. */
int loop_watch_add(struct loop *loop, struct loop_watch *w, int fd, uint32_t events,
		   loop_watch_cb cb);
/* Change the requested events; a no-op when unchanged. With no events the
 * descriptor leaves the epoll set, so a hung-up peer we are not reading
 * from cannot wake the loop again and again (EPOLLHUP is always reported). */
int loop_watch_set(struct loop *loop, struct loop_watch *w, uint32_t events);
/* Stop watching (the caller still owns and closes fd). */
void loop_watch_del(struct loop *loop, struct loop_watch *w);

/* Called once a second on the loop thread. */
void loop_set_tick(struct loop *loop, loop_tick_cb cb, void *ud);

/* Called after each batch of events (and its deferred frees), before the
 * loop waits again, and once more when loop_run returns: where work
 * gathered during a batch is written out in one go. */
void loop_set_batch_end(struct loop *loop, loop_tick_cb cb, void *ud);

/* Thread-safe: run fn(ud) on the loop thread soon. 0 or -1 (out of memory). */
int loop_post(struct loop *loop, loop_call_cb fn, void *ud);

/* The same without allocating: node is borrowed until fn has been called. */
struct loop_call {
	struct loop_call *next;
	loop_call_cb fn;
	void *ud;
	int allocated;
};
void loop_post_call(struct loop *loop, struct loop_call *node);

/* Free ptr with fn(ptr) after the current batch of events (loop thread
 * only). Takes ownership of ptr. */
void loop_defer_free(struct loop *loop, void (*fn)(void *), void *ptr);

/* Monotonic seconds, cached per loop iteration (cheap). */
int64_t loop_now(const struct loop *loop);

/* Monotonic and wall clock in milliseconds, read now. */
int64_t loop_mono_ms(void);
int64_t loop_wall_ms(void);

#endif
