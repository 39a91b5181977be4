#include "connguard.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "log.h"

struct guarded {
	struct guarded *prev, *next;
	int fd;                 /* -1: admitted by the accept check, not started yet */
	int64_t pending_until_ms;   /* while fd is -1: forgotten after this */
	uint8_t key[17];        /* family byte, then the IPv4 address or the IPv6 /64 */
	int64_t deadline_ms;    /* 0 while a complete request is being answered */
	char addr[46];
};

struct connguard {
	char name[16];
	unsigned per_address;
	int64_t deadline_ms;
	pthread_mutex_t lock;   /* guards the list and stop */
	pthread_cond_t wake;
	struct guarded *head;
	int stop;
	pthread_t watchdog;
	int started;
	int64_t refusals_logged_ms;   /* when refusals were last logged */
	unsigned refusals;            /* since then */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One client: its per-address key (cidr_client_key) as family byte and the
 * IPv4 address or the IPv6 /64. */
static int address_key(const struct sockaddr *sa, uint8_t key[17])
{
	struct cidr c;

	memset(key, 0, 17);
	if (cidr_client_key(sa, &c) < 0)
		return -1;
	key[0] = c.family == AF_INET ? 4 : 6;
	memcpy(key + 1, c.addr, c.family == AF_INET ? 4 : 8);
	return 0;
}

/* Take c out of g's list; g->lock held. */
static void unlink_guarded(struct connguard *g, struct guarded *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* How long an admitted connection may take to be started by
 * libmicrohttpd before its place is given back (it may refuse a connection
 * after the accept check, for its own limits, without telling us). */
#define PENDING_MS 2000

static void *watchdog_main(void *arg)
{
	struct connguard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		int64_t now = mono_ms();

		for (struct guarded *c = g->head, *next; c; c = next) {
			next = c->next;
			if (c->fd < 0) {
				if (now >= c->pending_until_ms) {
					unlink_guarded(g, c);
					free(c);
				}
				continue;
			}
			if (c->deadline_ms && now >= c->deadline_ms) {
				/* the entry leaves the list (under this lock) before
				 * libmicrohttpd closes the descriptor: it is still this
				 * connection's; the listener sees the end and closes */
				log_info("%s: %s sent no complete request within %lld s: connection closed",
					 g->name, c->addr, (long long)(g->deadline_ms / 1000));
				shutdown(c->fd, SHUT_RDWR);
				c->deadline_ms = 0;
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct connguard *connguard_new(const char *name, unsigned per_address, unsigned deadline_s,
				char *err, size_t errlen)
{
	struct connguard *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->per_address = per_address;
	g->deadline_ms = (int64_t)deadline_s * 1000;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	if (pthread_create(&g->watchdog, NULL, watchdog_main, g) != 0) {
		snprintf(err, errlen, "%s: cannot start its connection watchdog", name);
		connguard_free(g);
		return NULL;
	}
	g->started = 1;
	return g;
}

void connguard_free(struct connguard *g)
{
	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->watchdog, NULL);
	}
	while (g->head) {
		struct guarded *c = g->head;

		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

enum MHD_Result connguard_accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct connguard *g = cls;
	uint8_t key[17];
	unsigned n = 0;
	int64_t now = mono_ms();
	unsigned refused = 0;

	(void)addrlen;
	if (address_key(addr, key) < 0)
		return MHD_NO;
	pthread_mutex_lock(&g->lock);
	for (struct guarded *c = g->head; c; c = c->next)
		if (!memcmp(c->key, key, sizeof(key)))
			n++;
	if (n < g->per_address) {
		/* the place is taken now, not when the connection starts: the
		 * listener's threads accept in parallel, and counting only
		 * started connections let two of them admit one too many */
		struct guarded *p = calloc(1, sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&g->lock);
			return MHD_NO;
		}
		p->fd = -1;
		p->pending_until_ms = now + PENDING_MS;
		memcpy(p->key, key, sizeof(key));
		p->next = g->head;
		if (g->head)
			g->head->prev = p;
		g->head = p;
	} else {
		g->refusals++;
		/* one line in ten seconds at most: refusals come as fast as a
		 * client can connect */
		if (now - g->refusals_logged_ms >= 10000) {
			refused = g->refusals;
			g->refusals = 0;
			g->refusals_logged_ms = now;
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (n >= g->per_address) {
		char text[46];

		if (refused)
			log_notice("%s: %s already holds %u connections (the most one address may): "
				   "refused (%u refusals since the last such line)", g->name,
				   cidr_addr_text(addr, text, sizeof(text)), n, refused);
		return MHD_NO;
	}
	return MHD_YES;
}

void connguard_notify_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
			 enum MHD_ConnectionNotificationCode toe)
{
	struct connguard *g = cls;
	struct guarded *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ca = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		uint8_t key[17];

		if (!fd || !ca || address_key(ca->client_addr, key) < 0) {
			/* unguarded: counted nowhere, never cut (its pending place
			 * is given back by the watchdog) */
			*socket_context = NULL;
			return;
		}
		pthread_mutex_lock(&g->lock);
		/* the place its accept check took, if it is still there */
		for (c = g->head; c; c = c->next)
			if (c->fd < 0 && !memcmp(c->key, key, sizeof(key)))
				break;
		if (!c && (c = calloc(1, sizeof(*c))) != NULL) {
			memcpy(c->key, key, sizeof(key));
			c->next = g->head;
			if (g->head)
				g->head->prev = c;
			g->head = c;
		}
		if (c) {
			c->fd = fd->connect_fd;
			cidr_addr_text(ca->client_addr, c->addr, sizeof(c->addr));
			c->deadline_ms = mono_ms() + g->deadline_ms;
		}
		pthread_mutex_unlock(&g->lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_guarded(g, c);
	pthread_mutex_unlock(&g->lock);
	free(c);
	*socket_context = NULL;
}

static void set_deadline(struct connguard *g, struct MHD_Connection *conn, int arm)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct guarded *c = ci ? ci->socket_context : NULL;

	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline_ms = arm ? mono_ms() + g->deadline_ms : 0;
	pthread_mutex_unlock(&g->lock);
}

void connguard_request_received(struct connguard *g, struct MHD_Connection *conn)
{
	set_deadline(g, conn, 0);
}

void connguard_request_done(struct connguard *g, struct MHD_Connection *conn)
{
	set_deadline(g, conn, 1);
}
