/*
 * Intercept-mode session lookups: the address index (addrmap, what
 * sessions.c uses now) against the scan it replaced (the client's address
 * as text, compared with every session's). Records are the size of
 * sessions.c's entry so that the scan touches as much memory as it did.
 * Figures only: lookups per second for 1 000, 10 000 and 100 000 sessions,
 * three quarters of them hits. Each run is bounded in count.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addrmap.h"
#include "cidr.h"
#include "store.h"

struct record {                        /* the layout of sessions.c's entry */
	char addr[STORE_ADDR_MAX + 1];
	struct sockaddr_storage sa;
	uint8_t mac[6];
	char user[STORE_NAME_MAX + 1];
	int64_t created_at, expires_at;
	unsigned idle;
	int64_t last_seen, refreshed_at;
};

/* The i-th client: even i in 10.0.0.0/8, odd i in fd00:201::/64. */
static void client(uint32_t i, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (i % 2 == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(0x0a000000u | (i / 2));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		uint32_t v = htonl(i / 2);

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "fd00:201::", &s6->sin6_addr);
		memcpy(s6->sin6_addr.s6_addr + 12, &v, 4);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What sessions_lookup did before: text, then a scan. */
static const struct record *scan(const struct record *r, size_t n, const struct sockaddr *sa)
{
	char addr[64];

	cidr_addr_text(sa, addr, sizeof(addr));
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].addr, addr) == 0)
			return &r[i];
	return NULL;
}

static const struct record *indexed(const struct addrmap *m, const struct record *r,
				    const struct sockaddr *sa)
{
	struct addrmap_addr key;
	size_t i;

	if (addrmap_addr_from_sockaddr(sa, &key) < 0 || !addrmap_get(m, &key, &i))
		return NULL;
	return &r[i];
}

static int run(size_t n)
{
	static const uint8_t key[ADDRMAP_KEY_LEN] = "bench-sessions-k";
	struct record *r = calloc(n, sizeof(*r));
	struct sockaddr_storage *probes = NULL;
	struct addrmap *m = addrmap_new(key);
	size_t nprobes = 4096, scan_hits = 0, hits = 0, scan_lookups, index_lookups = 4000000;
	double t0, t_scan, t_index;
	uint32_t rng = 2463534242u;
	int rc = -1;

	probes = calloc(nprobes, sizeof(*probes));
	if (!r || !m || !probes)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct addrmap_addr a;

		client((uint32_t)i, &r[i].sa);
		cidr_addr_text((struct sockaddr *)&r[i].sa, r[i].addr, sizeof(r[i].addr));
		if (addrmap_addr_from_sockaddr((struct sockaddr *)&r[i].sa, &a) < 0 ||
		    addrmap_put(m, &a, i) < 0)
			goto out;
	}
	/* random clients, one in four without a session */
	for (size_t i = 0; i < nprobes; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		client((uint32_t)(rng % (n + n / 3)), &probes[i]);
	}
	/* the scan costs about n/2 comparisons a lookup: keep it near 5e7 */
	scan_lookups = 100000000 / n;
	t0 = now_s();
	for (size_t i = 0; i < scan_lookups; i++)
		scan_hits += scan(r, n, (struct sockaddr *)&probes[i % nprobes]) != NULL;
	t_scan = now_s() - t0;
	t0 = now_s();
	for (size_t i = 0; i < index_lookups; i++)
		hits += indexed(m, r, (struct sockaddr *)&probes[i % nprobes]) != NULL;
	t_index = now_s() - t0;
	printf("  %7zu sessions: text scan %10.0f lookups/s   index %10.0f lookups/s   x%-6.0f"
	       "  hits %.0f%% / %.0f%%\n",
	       n, (double)scan_lookups / t_scan, (double)index_lookups / t_index,
	       ((double)index_lookups / t_index) / ((double)scan_lookups / t_scan),
	       100.0 * (double)scan_hits / (double)scan_lookups,
	       100.0 * (double)hits / (double)index_lookups);
	rc = 0;
out:
	free(r);
	free(probes);
	addrmap_free(m);
	return rc;
}

int main(void)
{
	static const size_t sizes[] = { 1000, 10000, 100000 };

	printf("== intercept session lookups (one thread)\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (run(sizes[i]) < 0) {
			fprintf(stderr, "sessions_lookup: out of memory\n");
			return 1;
		}
	return 0;
}
