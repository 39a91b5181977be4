#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"

struct pool {
	char name[16];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pool_job *head, **tail;
	struct pool_job *urgent, **urgent_tail;   /* taken before head */
	size_t queued, max_queued;
	int stopping;
	int joined;
	unsigned n_threads;
	pthread_t *threads;
};

static void pool_done_cb(void *ud)
{
	struct pool_job *job = ud;

	job->done(job);
}

static void pool_post_done(struct pool_job *job)
{
	job->call.fn = pool_done_cb;
	job->call.ud = job;
	job->call.allocated = 0;
	loop_post_call(job->loop, &job->call);
}

static void *pool_thread(void *arg)
{
	struct pool *pool = arg;

	for (;;) {
		struct pool_job *job;

		pthread_mutex_lock(&pool->lock);
		while (!pool->urgent && !pool->head && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		if (pool->stopping) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		if (pool->urgent) {
			job = pool->urgent;
			pool->urgent = job->next;
			if (!pool->urgent)
				pool->urgent_tail = &pool->urgent;
		} else {
			job = pool->head;
			pool->head = job->next;
			if (!pool->head)
				pool->tail = &pool->head;
		}
		pool->queued--;
		pthread_mutex_unlock(&pool->lock);

		job->work(job);
		pool_post_done(job);
	}
}

struct pool *pool_new(const char *name, unsigned threads, size_t max_queued)
{
	struct pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->tail = &pool->head;
	pool->urgent_tail = &pool->urgent;
	pool->max_queued = max_queued;
	pool->threads = calloc(threads, sizeof(*pool->threads));
	if (!pool->threads) {
		free(pool);
		return NULL;
	}
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, pool_thread, pool) != 0) {
			log_error("pool %s: cannot start thread", name);
			pool_free(pool);
			return NULL;
		}
		pool->n_threads++;
	}
	return pool;
}

void pool_stop(struct pool *pool)
{
	struct pool_job *job;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	if (pool->joined)
		return;
	for (unsigned i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	pool->joined = 1;
	/* the threads are gone: nobody else touches the queues */
	while ((job = pool->urgent) != NULL) {
		pool->urgent = job->next;
		pool->queued--;
		job->cancelled = 1;
		pool_post_done(job);
	}
	pool->urgent_tail = &pool->urgent;
	while ((job = pool->head) != NULL) {
		pool->head = job->next;
		pool->queued--;
		job->cancelled = 1;
		pool_post_done(job);
	}
	pool->tail = &pool->head;
}

void pool_free(struct pool *pool)
{
	if (!pool)
		return;
	pool_stop(pool);
	free(pool->threads);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	free(pool);
}

int pool_submit(struct pool *pool, struct pool_job *job)
{
	return pool_submit_urgent(pool, job, 0);
}

int pool_submit_urgent(struct pool *pool, struct pool_job *job, int urgent)
{
	int rc = -1;

	pthread_mutex_lock(&pool->lock);
	if (!pool->stopping && pool->queued < pool->max_queued) {
		struct pool_job ***tail = urgent ? &pool->urgent_tail : &pool->tail;

		job->next = NULL;
		job->cancelled = 0;
		**tail = job;
		*tail = &job->next;
		pool->queued++;
		pthread_cond_signal(&pool->cond);
		rc = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}
