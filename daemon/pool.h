/*
 * pool — threads for work that may block: password hashing.
 *
 * A job's work function runs on a pool thread; its done function then runs
 * on the loop that submitted it, so the submitter never sees concurrency.
 * The queue is bounded: a full queue refuses the job (the caller answers
 * 503) instead of letting a flood of slow work pile up without limit.
 */
#ifndef PORTCULLIS_POOL_H
#define PORTCULLIS_POOL_H

#include <stddef.h>

#include "loop.h"

struct pool;

struct pool_job {
	struct pool_job *next;
	void (*work)(struct pool_job *job);   /* pool thread */
	void (*done)(struct pool_job *job);   /* loop thread, after work */
	struct loop *loop;
	int cancelled;                        /* the pool stopped before work ran */
	struct loop_call call;                /* pool's own */
};

/* threads >= 1; max_queued jobs waiting at most. name is for messages. */
struct pool *pool_new(const char *name, unsigned threads, size_t max_queued);
/*
 * Stop the threads and wait for them (idempotent). A job whose work is
 * running finishes it; a job still queued is not worked but completed with
 * cancelled set. Either way its done() is posted to its loop, so whatever
 * the job holds is released there (a loop that has stopped runs it when it
 * is freed). Later submissions are refused. Call it before freeing anything
 * the jobs complete on. Accepts NULL.
 */
void pool_stop(struct pool *pool);
/* pool_stop, then free; accepts NULL. */
void pool_free(struct pool *pool);

/* Queue job (borrowed until done() has run). 0, or -1 when the queue is
 * full or the pool is stopping. */
int pool_submit(struct pool *pool, struct pool_job *job);

/* The same; urgent 1 queues the job ahead of every job queued without it
 * (in order among themselves). */
int pool_submit_urgent(struct pool *pool, struct pool_job *job, int urgent);

#endif
