#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"

/* Two connected stream pairs, non-blocking: bytes written to in[1] are
 * relayed from in[0] to out[0] and read at out[1]. */
static void pairs(int in[2], int out[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, in), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, out), 0);
}

static void close_all(int in[2], int out[2])
{
	close(in[0]); close(in[1]); close(out[0]); close(out[1]);
}

/* Bytes go through unchanged and in order; an emptied pipe goes back to
 * the cache and is taken again for the next burst (no new pipe). */
static void test_relay_moves_bytes_and_reuses_pipes(void **state)
{
	struct relay_cache cache = { .n = 0 };
	struct relay_pipe p;
	int in[2], out[2];
	char got[64];

	(void)state;
	pairs(in, out);
	relay_pipe_init(&p);
	assert_int_equal(write(in[1], "hello, ", 7), 7);
	assert_int_equal(relay_fill(&cache, &p, in[0], 1 << 20), 7);
	assert_int_equal(p.len, 7);
	assert_int_equal(relay_drain(&cache, &p, out[0]), 7);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.rfd, -1);          /* given back ... */
	assert_int_equal(cache.n, 1);         /* ... to the cache */
	assert_int_equal(write(in[1], "world", 5), 5);
	assert_int_equal(relay_fill(&cache, &p, in[0], 1 << 20), 5);
	assert_int_equal(cache.n, 0);         /* taken again */
	assert_int_equal(relay_drain(&cache, &p, out[0]), 5);
	assert_int_equal(read(out[1], got, sizeof(got)), 12);
	assert_memory_equal(got, "hello, world", 12);
	/* nothing to read: would block, and the pipe is not kept */
	assert_int_equal(relay_fill(&cache, &p, in[0], 1 << 20), -1);
	assert_int_equal(p.rfd, -1);
	/* the peer's end of input */
	close(in[1]);
	in[1] = -1;
	assert_int_equal(relay_fill(&cache, &p, in[0], 1 << 20), 0);
	close(in[0]); close(out[0]); close(out[1]);
	relay_cache_fini(&cache);
	assert_int_equal(cache.n, 0);
}

/* max bounds what is taken (a body's remaining length), and a full
 * destination leaves the rest in the pipe until it can take more. */
static void test_relay_respects_max_and_full_destination(void **state)
{
	struct relay_cache cache = { .n = 0 };
	struct relay_pipe p;
	int in[2], out[2], small = 4096;
	static char big[512 * 1024];
	ssize_t n;

	(void)state;
	pairs(in, out);
	relay_pipe_init(&p);
	assert_int_equal(write(in[1], "0123456789", 10), 10);
	assert_int_equal(relay_fill(&cache, &p, in[0], 4), 4);
	assert_int_equal(relay_drain(&cache, &p, out[0]), 4);
	assert_int_equal(relay_fill(&cache, &p, in[0], 100), 6);
	assert_int_equal(relay_drain(&cache, &p, out[0]), 6);

	/* fill the destination so it cannot take everything */
	setsockopt(out[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	memset(big, 'x', sizeof(big));
	while ((n = write(out[0], big, sizeof(big))) > 0)
		;
	assert_true(write(in[1], big, 8192) == 8192);
	n = relay_fill(&cache, &p, in[0], 1 << 20);
	assert_true(n > 0);
	assert_int_equal(relay_drain(&cache, &p, out[0]), -1);
	assert_int_equal(p.len, (size_t)n);   /* kept for later */
	/* the reader makes room: the rest goes through */
	while (read(out[1], big, sizeof(big)) > 0)
		;
	assert_true(relay_drain(&cache, &p, out[0]) > 0);
	assert_int_equal(p.len, 0);
	close_all(in, out);
	relay_cache_fini(&cache);
}

/* What relay_drain reports is what reached the destination, byte for
 * byte, through a destination that fills up again and again: the access
 * log counts a spliced body by these returns. */
static void test_relay_drain_counts_what_was_written(void **state)
{
	struct relay_cache cache = { .n = 0 };
	struct relay_pipe p;
	int in[2], out[2], small = 4096;
	static char chunk[16384], sink[65536];
	uint64_t sent = 0, counted = 0, received = 0;
	ssize_t n;

	(void)state;
	pairs(in, out);
	relay_pipe_init(&p);
	setsockopt(out[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	memset(chunk, 'y', sizeof(chunk));
	for (int round = 0; round < 200; round++) {
		if (sent < 1000000 && (n = write(in[1], chunk, sizeof(chunk))) > 0)
			sent += (uint64_t)n;
		n = relay_fill(&cache, &p, in[0], 1 << 20);
		assert_true(n >= -1);
		n = relay_drain(&cache, &p, out[0]);
		assert_true(n >= -1);
		if (n > 0)
			counted += (uint64_t)n;
		/* the reader takes only some of it, so the writer keeps hitting a
		 * full socket */
		if (round % 3 == 0 && (n = read(out[1], sink, 1000 + round * 37)) > 0)
			received += (uint64_t)n;
	}
	/* let the rest through */
	for (int round = 0; round < 10000 && (p.len || received < counted); round++) {
		n = relay_drain(&cache, &p, out[0]);
		if (n > 0)
			counted += (uint64_t)n;
		while ((n = read(out[1], sink, sizeof(sink))) > 0)
			received += (uint64_t)n;
	}
	assert_int_equal(p.len, 0);
	assert_true(counted > 100000);
	assert_int_equal(counted, received);
	close_all(in, out);
	relay_cache_fini(&cache);
}

/* Out of descriptors: no pipe, -3, and nothing has been read from the
 * socket, so the caller can relay through its buffers instead. */
static void test_relay_without_descriptors_reads_nothing(void **state)
{
	struct relay_cache cache = { .n = 0 };
	struct relay_pipe p;
	struct rlimit old, low;
	int in[2], out[2], fd;
	char got[8];

	(void)state;
	pairs(in, out);
	relay_pipe_init(&p);
	assert_int_equal(write(in[1], "abc", 3), 3);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* use up every descriptor below a low limit */
	low = old;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while ((fd = dup(0)) >= 0 && fd < 64)
		;
	assert_int_equal(relay_fill(&cache, &p, in[0], 1 << 20), -3);
	assert_int_equal(p.rfd, -1);
	for (int i = 63; i > out[1] && i > in[1]; i--)
		close(i);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(read(in[0], got, sizeof(got)), 3);
	close_all(in, out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_moves_bytes_and_reuses_pipes),
		cmocka_unit_test(test_relay_respects_max_and_full_destination),
		cmocka_unit_test(test_relay_drain_counts_what_was_written),
		cmocka_unit_test(test_relay_without_descriptors_reads_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
