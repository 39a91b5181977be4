#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"
#include "pool.h"

/* A job that holds its pool thread until released, and records how it
 * completed. */
struct test_job {
	struct pool_job job;
	int worked;
	int done;
	int cancelled;
	int *done_count;
};

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, started;

static void blocking_work(struct pool_job *pj)
{
	struct test_job *j = (struct test_job *)pj;

	pthread_mutex_lock(&gate_lock);
	started = 1;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	j->worked = 1;
}

static void record_done(struct pool_job *pj)
{
	struct test_job *j = (struct test_job *)pj;

	j->done = 1;
	j->cancelled = pj->cancelled;
	(*j->done_count)++;
}

static void *open_gate_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

/*
 * Shutdown with work in flight: pool_stop waits for the running job, then
 * completes the queued one as cancelled; both completions reach the loop
 * (which has stopped: loop_free runs them), so nothing a job holds is
 * leaked and nothing is posted to a freed loop.
 */
static void test_pool_stop_completes_running_and_queued_jobs(void **state)
{
	struct loop *loop = loop_new();
	struct pool *pool = pool_new("test", 1, 8);
	struct test_job running = { .worked = 0 }, queued = { .worked = 0 };
	int done_count = 0;
	pthread_t opener;

	(void)state;
	assert_non_null(loop);
	assert_non_null(pool);
	running.job.work = queued.job.work = blocking_work;
	running.job.done = queued.job.done = record_done;
	running.job.loop = queued.job.loop = loop;
	running.done_count = queued.done_count = &done_count;
	assert_int_equal(pool_submit(pool, &running.job), 0);
	pthread_mutex_lock(&gate_lock);
	while (!started)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	assert_int_equal(pool_submit(pool, &queued.job), 0);

	assert_int_equal(pthread_create(&opener, NULL, open_gate_later, NULL), 0);
	pool_stop(pool);
	pthread_join(opener, NULL);
	assert_int_equal(running.worked, 1);
	assert_int_equal(queued.worked, 0);
	/* refused once stopping */
	assert_int_equal(pool_submit(pool, &queued.job), -1);
	assert_int_equal(done_count, 0);   /* done runs on the loop, not here */

	loop_free(loop);
	assert_int_equal(done_count, 2);
	assert_int_equal(running.done, 1);
	assert_int_equal(running.cancelled, 0);
	assert_int_equal(queued.done, 1);
	assert_int_equal(queued.cancelled, 1);
	pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_stop_completes_running_and_queued_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
