#include "proxy.h"
#include "proxy_int.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "connlimit.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "intercept.h"

/* ------------------------------------------------------------ accept and timers */

static void refuse_busy(int fd, const char *which)
{
	static const char busy[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
		"Content-Length: 22\r\nConnection: close\r\nRetry-After: 5\r\n\r\n"
		"Too many connections.\n";

	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("proxy: refusal not sent: %s", strerror(errno));
	log_debug("proxy: connection refused by the %s limit", which);
	close(fd);
	metrics_inc(connections_refused);
}

static void worker_accept_cb(struct loop *loop, struct loop_watch *lw, uint32_t events)
{
	struct listener *l = (struct listener *)lw;
	struct worker *w = l->w;
	struct proxy *p = w->p;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH && !w->draining; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lw->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		unsigned open;
		uint64_t refused;
		int one = 1, rc;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: pause accepting instead of spinning on a
				 * listener that stays readable; the tick resumes it */
				log_warn("proxy: %s; accepting paused for a second", strerror(errno));
				for (size_t k = 0; k < w->n_listeners; k++)
					loop_watch_set(loop, &w->listeners[k].watch, 0);
				w->accept_paused = 1;
			}
			return;
		}
		metrics_inc(connections_total);
		if (__atomic_add_fetch(&p->open_conns, 1, __ATOMIC_RELAXED) > (int64_t)w->cfg->max_connections) {
			__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
			refuse_busy(fd, "total");
			continue;
		}
		rc = connlimit_acquire(p->per_client, (struct sockaddr *)&ss,
				       w->cfg->max_connections_per_client, &open);
		if (rc != 0) {
			__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
			refuse_busy(fd, "per-client");
			if (rc > 0) {
				metrics_inc(connections_refused_per_client);
				if (connlimit_note_refusal(p->per_client, loop_now(loop), &refused)) {
					char addr[INET6_ADDRSTRLEN], key[64];

					cidr_addr_text((struct sockaddr *)&ss, addr, sizeof(addr));
					cidr_client_key_text((struct sockaddr *)&ss, key, sizeof(key));
					/* an IPv6 client is counted by its /64: say which */
					log_warn("proxy: connection from %s refused: %u open from %s, "
						 "max_connections_per_client = %u (%llu such refusals since the "
						 "last line)", addr, open,
						 strcmp(addr, key) ? key : "that address",
						 w->cfg->max_connections_per_client,
						 (unsigned long long)refused);
				}
			}
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
			connlimit_release(p->per_client, (struct sockaddr *)&ss);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->id = __atomic_add_fetch(&p->next_id, 1, __ATOMIC_RELAXED);
		c->w = w;
		c->peer = ss;
		cidr_addr_text((struct sockaddr *)&ss, c->peer_text, sizeof(c->peer_text));
		c->uw.fd = -1;
		relay_pipe_init(&c->up_pipe);
		relay_pipe_init(&c->cl_pipe);
		c->state = CS_IDLE;
		c->kind = l->kind;
		if (l->tls) {
			/* the handshake runs on this loop like any other I/O; the
			 * client half's bytes are ciphertext in the kernel, so
			 * they go through the buffers, never a splice */
			c->tls = tls_conn_new(p->tls, fd);
			if (!c->tls) {
				close(fd);
				__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
				connlimit_release(p->per_client, (struct sockaddr *)&ss);
				free(c);
				continue;
			}
			c->state = CS_HANDSHAKE;
			c->tls_want = EPOLLIN;
			c->no_splice = 1;
		}
		c->deadline = loop_now(loop) + w->cfg->header_timeout;
		if (l->kind != CK_EXPLICIT) {
			struct sockaddr_storage local;
			socklen_t llen = sizeof(local);

			if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
			    original_dst(fd, &local, &c->orig_dst) < 0) {
				log_info("intercept: connection without an original destination refused");
				close(fd);
				__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
				connlimit_release(p->per_client, (struct sockaddr *)&ss);
				free(c);
				continue;
			}
			if (l->kind == CK_TLS)
				c->state = CS_PEEK;
			/* the MAC the connection's first frame came from, as the
			 * kernel labelled the connection: a session is bound to it.
			 * Not the neighbour table, which any LAN host rewrites with
			 * one forged ARP request for as long as a handshake takes */
			if (w->macs) {
				int mrc = intercept_macs_client_mac(w->macs, (struct sockaddr *)&ss,
								    (struct sockaddr *)&c->orig_dst,
								    c->mac);

				/* no MAC: no session passes on this connection
				 * (the portal's challenge); said, so a logged-in
				 * client sent to the portal can be explained */
				if (mrc != 0) {
					memset(c->mac, 0, sizeof(c->mac));
					log_info("conn %llu: intercepted from %s: %s", (unsigned long long)c->id,
						 c->peer_text, mrc < 0 ? "the kernel's connection table "
						 "did not answer for its MAC" : "the kernel has no MAC for "
						 "the connection");
				}
			}
		}
		if (loop_watch_add(loop, &c->cw, fd, EPOLLIN, conn_client_cb) < 0) {
			tls_conn_free(c->tls);
			close(fd);
			__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
			connlimit_release(p->per_client, (struct sockaddr *)&ss);
			free(c);
			continue;
		}
		metrics_add(connections_open, 1);
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
	}
}

static void conn_timeout(struct conn *c)
{
	switch (c->state) {
	case CS_IDLE:
		conn_close(c, "idle timeout");
		break;
	case CS_HEAD:
		if (!c->x)
			c->x = calloc(1, sizeof(*c->x));
		if (c->x)
			c->x->start_ms = loop_wall_ms();
		conn_respond(c, 408, "NONE", NULL, "Request timeout: the request head did not arrive in time.\n", 0);
		c->client_eof = 1;
		conn_process(c);
		break;
	case CS_CONNECT:
	case CS_RESOLVE:
		if (c->state == CS_CONNECT && c->x->next_addr < c->x->n_addrs) {
			snprintf(c->x->connect_error, sizeof(c->x->connect_error), "connection timed out");
			conn_close_upstream(c);
			conn_connect_next(c);
			conn_process(c);
			break;
		}
		if (c->state == CS_CONNECT)
			conn_close_upstream(c);
		metrics_inc(upstream_errors);
		/* the lookup runs on to fill the cache, without us */
		resolve_cancel(c->lookup);
		c->lookup = NULL;
		c->close_after = 1;
		conn_respond(c, 504, "TCP_MISS", NULL, c->state == CS_RESOLVE ?
			     "Gateway timeout: the origin's name could not be resolved in time.\n" :
			     "Gateway timeout: the origin did not accept the connection in time.\n", 0);
		conn_process(c);
		break;
	case CS_EXCHANGE:
		if (c->x && !c->x->response_started) {
			conn_close_upstream(c);
			metrics_inc(upstream_errors);
			conn_respond(c, 504, "TCP_MISS", NULL,
				     "Gateway timeout: the origin did not answer in time.\n", 0);
			conn_process(c);
		} else {
			if (conn_cuts_response(c))
				conn_cut_response(c, "TCP_MISS_TIMEDOUT");
			conn_close(c, "upstream idle timeout");
		}
		break;
	case CS_TUNNEL:
		conn_close(c, "tunnel idle timeout");
		break;
	case CS_AUTH:
		break;    /* bounded by the pool; the gate answers */
	case CS_PEEK:
		conn_close(c, "no ClientHello in time");
		break;
	case CS_HANDSHAKE:
		log_info("conn %llu: no TLS handshake from %s in time", (unsigned long long)c->id,
			 c->peer_text);
		conn_close(c, "TLS handshake timed out");
		break;
	default:
		conn_close(c, "timeout");
		break;
	}
}

/* Whether what let c's exchange through still holds: no user named means
 * the whitelist did (explicit and intercepted alike); an intercepted
 * client that has logged in since may keep it on its session. */
static int conn_authorisation_holds(struct conn *c)
{
	struct gate *g = c->w->p->gate;
	struct intercept *ix = c->w->p->ix;
	const struct sockaddr *peer = (const struct sockaddr *)&c->peer;

	if (!c->x->user[0])
		return gate_whitelisted(g, peer) ||
		       (c->kind != CK_EXPLICIT && intercept_session_alive(ix, peer));
	if (c->kind != CK_EXPLICIT)
		return intercept_session_alive(ix, peer);
	return gate_user_usable(g, c->x->user, c->x->credential) &&
	       !gate_usage_over(g, c->x->user, NULL);
}

static void worker_tick_cb(struct loop *loop, void *ud)
{
	struct worker *w = ud;
	int64_t now = loop_now(loop);
	struct conn *c, *next;
	uint64_t gen = snapshot_slot_generation(&w->p->live);

	__atomic_store_n(&w->heartbeat_ms, loop_mono_ms(), __ATOMIC_RELAXED);
	if (now - w->self_loaded >= SELF_REFRESH_S)
		worker_load_self(w);
	resolve_channel_tick(w->dns, now);
	worker_shape_sweep(w);

	if (gen != w->snap_generation) {
		/* connections already waiting keep their deadlines; new ones
		 * and the next phase of each use the new values */
		snapshot_release(w->snap);
		w->snap = snapshot_slot_get(&w->p->live);
		w->cfg = &w->snap->cfg;
		w->snap_generation = gen;
	}
	if (w->accept_paused && !w->draining) {
		for (size_t k = 0; k < w->n_listeners; k++)
			loop_watch_set(loop, &w->listeners[k].watch, EPOLLIN);
		w->accept_paused = 0;
	}
	for (c = w->conns; c; c = next) {
		next = c->next;
		conn_usage_report(c);
		/* an end of authorisation ends what it let through: a kicked
		 * or expired session its intercepted connections (the kernel
		 * cuts the forwarded ones), a disabled, deleted or expired user
		 * its explicit tunnels and transfers, a removed whitelist entry
		 * what it passed without credentials */
		if (c->x && (c->state == CS_TUNNEL || c->state == CS_EXCHANGE) &&
		    !conn_authorisation_holds(c)) {
			const char *why = c->x->user[0] && c->kind != CK_EXPLICIT ? "session ended"
					  : !c->x->user[0] ? "no longer whitelisted"
					  : gate_usage_over(w->p->gate, c->x->user, NULL)
						  ? "data quota used up" : "user no longer allowed";

			if (strcmp(why, "data quota used up") == 0) {
				char user[3 * 64 + 8];

				log_escape(user, sizeof(user), c->x->user, strlen(c->x->user));
				log_notice("conn %llu: closed: user \"%s\" has used up a data quota",
					   (unsigned long long)c->id, user);
			}
			conn_close(c, why);
			continue;
		}
		if (c->deadline && c->deadline <= now && c->state != CS_AUTH)
			conn_timeout(c);
		else if (w->draining && c->state == CS_IDLE)
			conn_close(c, "shutting down");
	}
}

/* ------------------------------------------------------------ workers */

static void worker_batch_end_cb(struct loop *loop, void *ud)
{
	struct worker *w = ud;

	(void)loop;
	accesslog_flush(w->p->log, &w->log_batch);
}

/* A listener on a; with device, one that takes only connections that
 * arrived through that interface (SO_BINDTODEVICE), whatever address they
 * were sent to. */
static int listen_socket(const struct config_addr *a, const char *device, char *err,
			 size_t errlen)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", a->text, strerror(errno));
		return -1;
	}
	if (device && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0) {
		snprintf(err, errlen, "cannot bind %s to interface %s: %s", a->text, device,
			 strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6) {
		int zero = 0;

		/* "*:port" is IPv6 any; it should take IPv4 clients too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (loop_run(w->loop) < 0)
		log_error("proxy: worker %u stopped on an error", w->index);
	return NULL;
}

struct proxy *proxy_new(const struct config *cfg, struct gate *gate, struct intercept *ix,
			struct accesslog *log, struct tls_server *tls_server, char *err, size_t errlen)
{
	struct proxy *p = calloc(1, sizeof(*p));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->gate = gate;
	p->ix = ix;
	{
		struct snapshot *s = snapshot_new(cfg);

		if (!s) {
			snprintf(err, errlen, "out of memory");
			free(p);
			return NULL;
		}
		snapshot_slot_init(&p->live, s);
		p->live_ready = 1;
	}
	p->log = log;
	p->tls = tls_server;
	if (cfg->n_proxy_tls_listen && !tls_server) {
		snprintf(err, errlen, "proxy.tls_listen without a certificate");
		goto fail;
	}
	p->n_workers = cfg->workers ? cfg->workers : (ncpu > 0 ? (unsigned)ncpu : 1);
	p->workers = calloc(p->n_workers, sizeof(*p->workers));
	{
		uint8_t key[ADDRMAP_KEY_LEN];

		if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
			snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
			goto fail;
		}
		p->per_client = connlimit_new(key);
		memset(key, 0, sizeof(key));
	}
	if (!p->workers || !p->per_client) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->resolver = resolver_new(cfg->dns_cache_size, err, errlen);
	if (!p->resolver)
		goto fail;
	for (size_t i = 0; i < BUILTIN_DENY_COUNT; i++)
		if (cidr_parse(builtin_deny[i], &p->builtin_deny[i]) < 0)
			abort();    /* a typo in the table above */
	if (cfg->intercept_interface[0] && config_portal_url(cfg, p->portal_url, sizeof(p->portal_url),
							    err, errlen) < 0)
		goto fail;
	for (unsigned i = 0; i < p->n_workers; i++) {
		struct worker *w = &p->workers[i];

		w->p = p;
		w->index = i;
		w->snap = snapshot_slot_get(&p->live);
		w->cfg = &w->snap->cfg;
		w->snap_generation = snapshot_slot_generation(&p->live);
		w->loop = loop_new();
		if (!w->loop) {
			snprintf(err, errlen, "cannot create an event loop");
			goto fail;
		}
		w->dns = resolve_channel_new(p->resolver, w->loop, err, errlen);
		if (!w->dns)
			goto fail;
		worker_load_self(w);
		loop_set_tick(w->loop, worker_tick_cb, w);
		loop_set_batch_end(w->loop, worker_batch_end_cb, w);
		if (ix) {
			w->macs = intercept_macs_open(ix, err, errlen);
			if (!w->macs)
				goto fail;
		}
		/* the plain listeners, then the TLS ones, then the intercept pair */
		size_t n_explicit = cfg->n_proxy_listen + cfg->n_proxy_tls_listen;

		for (size_t k = 0; k < n_explicit + (cfg->intercept_interface[0] ? 2 : 0); k++) {
			struct config_addr ia;
			const struct config_addr *a = k < cfg->n_proxy_listen ? &cfg->proxy_listen[k]
						      : &cfg->proxy_tls_listen[k - cfg->n_proxy_listen];
			int fd;

			w->listeners[k].tls = k >= cfg->n_proxy_listen && k < n_explicit;
			if (k >= n_explicit) {
				/* the intercept pair: any address, both families, but
				 * only what came in through the LAN interface (the
				 * nftables redirect brings LAN traffic here): from
				 * the WAN side these ports are closed */
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ia.sa;
				int tls = k == n_explicit + 1;

				memset(&ia, 0, sizeof(ia));
				s6->sin6_family = AF_INET6;
				s6->sin6_addr = in6addr_any;
				s6->sin6_port = htons(tls ? cfg->intercept_https_port : cfg->intercept_http_port);
				ia.len = sizeof(*s6);
				snprintf(ia.text, sizeof(ia.text), "*:%u",
					 tls ? cfg->intercept_https_port : cfg->intercept_http_port);
				a = &ia;
				w->listeners[k].kind = tls ? CK_TLS : CK_HTTP;
			}
			fd = listen_socket(a, k >= n_explicit ? cfg->intercept_interface : NULL,
					   err, errlen);
			if (fd < 0)
				goto fail;
			w->listeners[k].w = w;
			if (loop_watch_add(w->loop, &w->listeners[k].watch, fd, EPOLLIN, worker_accept_cb) < 0) {
				close(fd);
				snprintf(err, errlen, "epoll: %s", strerror(errno));
				goto fail;
			}
			w->n_listeners++;
		}
	}
	return p;
fail:
	proxy_free(p);
	return NULL;
}

int proxy_start(struct proxy *p)
{
	for (unsigned i = 0; i < p->n_workers; i++) {
		p->workers[i].heartbeat_ms = loop_mono_ms();
		if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
			log_error("proxy: cannot start worker thread %u", i);
			return -1;
		}
	}
	return 0;
}

static void worker_begin_drain(void *ud)
{
	struct worker *w = ud;

	w->draining = 1;
	for (size_t k = 0; k < w->n_listeners; k++) {
		loop_watch_del(w->loop, &w->listeners[k].watch);
		close(w->listeners[k].watch.fd);
		w->listeners[k].watch.fd = -1;
	}
	w->n_listeners = 0;
	/* idle keep-alive connections have nothing in flight: close them now
	 * rather than at the next tick */
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == CS_IDLE)
			conn_close(c, "shutting down");
	}
}

static void worker_close_all(void *ud)
{
	struct worker *w = ud;

	while (w->conns)
		conn_close(w->conns, "shutting down");
	loop_stop(w->loop);
}

void proxy_stop(struct proxy *p, unsigned grace)
{
	int64_t until = loop_mono_ms() + (int64_t)grace * 1000;

	for (unsigned i = 0; i < p->n_workers; i++)
		loop_post(p->workers[i].loop, worker_begin_drain, &p->workers[i]);
	/* in-flight exchanges get up to grace seconds; idle ones close on the tick */
	while (loop_mono_ms() < until && __atomic_load_n(&p->open_conns, __ATOMIC_RELAXED) > 0)
		usleep(50 * 1000);
	for (unsigned i = 0; i < p->n_workers; i++)
		loop_post(p->workers[i].loop, worker_close_all, &p->workers[i]);
	for (unsigned i = 0; i < p->n_workers; i++)
		if (p->workers[i].thread)
			pthread_join(p->workers[i].thread, NULL);
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; p->workers && i < p->n_workers; i++) {
		struct worker *w = &p->workers[i];

		for (size_t k = 0; k < w->n_listeners; k++)
			if (w->listeners[k].watch.fd >= 0)
				close(w->listeners[k].watch.fd);
		/* lookups complete on the loop: they end before it goes */
		resolve_channel_free(w->dns);
		loop_free(w->loop);
		relay_cache_fini(&w->pipes);
		snapshot_release(w->snap);
		intercept_macs_close(w->macs);
		free(w->self);
	}
	resolver_free(p->resolver);
	free(p->workers);
	connlimit_free(p->per_client);
	if (p->live_ready)
		snapshot_slot_fini(&p->live);
	free(p);
}

int proxy_reconfigure(struct proxy *p, const struct config *cfg)
{
	struct snapshot *s = snapshot_new(cfg);

	if (!s)
		return -1;
	snapshot_slot_publish(&p->live, s);
	return 0;
}

int proxy_alive(struct proxy *p, int64_t max_age_ms)
{
	int64_t now = loop_mono_ms();

	for (unsigned i = 0; i < p->n_workers; i++)
		if (now - __atomic_load_n(&p->workers[i].heartbeat_ms, __ATOMIC_RELAXED) > max_age_ms)
			return 0;
	return 1;
}

void proxy_set_shaper(struct proxy *p, struct shaper *sh)
{
	p->shaper = sh;
}

unsigned proxy_workers(const struct proxy *p)
{
	return p->n_workers;
}
