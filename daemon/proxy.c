#include "proxy.h"
#include "form.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accesslog.h"
#include "cidr.h"
#include "clienthello.h"
#include "config.h"
#include "connlimit.h"
#include "gate.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "nft.h"
#include "relay.h"
#include "resolve.h"
#include "returnto.h"
#include "snapshot.h"

#define BUF_SIZE        (32 * 1024)
#define HEAD_BUF_MAX    (HTTP_MAX_HEAD + 1024)
#define MAX_ADDRS       RESOLVE_MAX_ADDRS
#define ACCEPT_BATCH    64
#define DISCARD_MAX     (1024 * 1024)   /* body of a refused request we read past */
#define VIA_TEXT        "1.1 portcullis"
#define TUNNEL_ROUNDS   16              /* pipe fills per direction per wakeup */
#define BUILTIN_DENY_COUNT 9
#define SELF_REFRESH_S  2               /* this host's addresses re-read */

struct buf {
	char *data;
	size_t cap, start, end;
};

enum conn_state {
	CS_IDLE,        /* waiting for a request (keep-alive) */
	CS_HEAD,        /* part of a request head has arrived */
	CS_AUTH,        /* the gate is checking credentials */
	CS_RESOLVE,     /* name lookup in flight */
	CS_CONNECT,     /* upstream connect in progress */
	CS_EXCHANGE,    /* request forwarded; relaying body and response */
	CS_TUNNEL,      /* CONNECT or protocol upgrade: bytes both ways */
	CS_RESPOND,     /* writing a response of our own */
	CS_DISCARD,     /* reading past the body of a refused request */
	CS_PEEK,        /* intercepted TLS: reading the ClientHello */
};

/* Which listener accepted the connection. */
enum conn_kind {
	CK_EXPLICIT,    /* the explicit proxy port (RFC 9110 proxying) */
	CK_HTTP,        /* intercepted port 80 (nftables redirect) */
	CK_TLS,         /* intercepted port 443: spliced, never decrypted */
};

enum resp_state { RS_HEAD, RS_BODY, RS_DONE };

/* Per-request state; exists only while a request is being handled, so an
 * idle keep-alive connection holds no more than struct conn. */
struct exchange {
	int64_t start_ms;
	enum http_method method;
	char method_text[24];
	char url[2048];
	char host[256];
	uint16_t port;
	char user[AUTH_USER_MAX + 1];
	uint64_t credential;          /* of the password user was checked against */
	char peer[64];
	char content_type[128];
	int status;
	const char *tag;
	uint64_t bytes_to_client;
	int client_minor;
	int client_keepalive;     /* client wants the connection kept */
	int upgrade;              /* request asks for a protocol upgrade */
	/* request body framing */
	enum http_body req_body;
	uint64_t req_remaining;
	struct http_chunked req_chunked;
	int req_done;
	/* the head sent upstream, kept for one retry on a stale reused connection */
	char *uhead;
	size_t uhead_len, uhead_off;
	int reused;
	int response_started;
	/* response framing */
	enum resp_state rs;
	enum http_body resp_body;
	uint64_t resp_remaining;
	struct http_chunked resp_chunked;
	int dechunk;              /* HTTP/1.0 client: pass chunk data only */
	int upstream_keep;        /* upstream connection reusable afterwards */
	int cut;                  /* the response ends short: logged and told so */
	/* DNS */
	struct sockaddr_storage addrs[MAX_ADDRS];
	size_t n_addrs, next_addr;
	char connect_error[160];
};

struct worker;

struct conn {
	uint64_t id;
	struct worker *w;
	struct conn *prev, *next;
	struct loop_watch cw, uw;
	struct sockaddr_storage peer;
	char peer_text[INET6_ADDRSTRLEN];   /* peer as text, made once at accept */
	enum conn_state state;
	int64_t deadline;         /* monotonic s */
	int client_eof, upstream_eof;
	int close_after;          /* close once to_cl is flushed */
	int pending;              /* a gate job holds a pointer to us */
	struct resolve_query *lookup;       /* our name lookup in flight */
	int no_splice;            /* no pipe could be had: relay through buffers */
	int closed;
	struct buf cbuf, to_up, ubuf, to_cl;
	/* a tunnel's bytes in flight in the kernel, once its buffers are empty */
	struct relay_pipe up_pipe, cl_pipe;
	struct exchange *x;
	/* a kept-alive upstream connection and what it is connected to */
	char up_host[256];
	uint16_t up_port;
	char up_peer[64];         /* its address, for the access log */
	enum conn_kind kind;
	struct sockaddr_storage orig_dst;   /* intercepted: where the client was going */
	uint8_t mac[6];                     /* intercepted: the client's MAC, 0 unknown */
};

struct listener {
	struct loop_watch watch;
	struct worker *w;
	enum conn_kind kind;
};

struct worker {
	struct proxy *p;
	/* the configuration this worker runs with: its own reference, switched
	 * on the tick after a reload, so requests read it without a lock */
	struct snapshot *snap;
	const struct config *cfg;
	uint64_t snap_generation;
	int64_t heartbeat_ms;     /* atomic: monotonic time of the last tick */
	unsigned index;
	struct loop *loop;
	pthread_t thread;
	struct listener listeners[CONFIG_MAX_LISTEN + 2];   /* + the intercept pair */
	size_t n_listeners;
	int accept_paused;
	struct conn *conns;
	int draining;
	struct nft *neigh;        /* intercept mode: connections' MACs */
	struct resolve_channel *dns;        /* name lookups on this loop */
	/* scratch for parsing: one conn at a time runs on a worker */
	struct http_request req;
	struct http_response resp;
	/* access log lines of the current batch of events, one write at its end */
	struct accesslog_batch log_batch;
	struct relay_cache pipes;       /* empty pipes for tunnels */
	/* this host's addresses, re-read on the tick every SELF_REFRESH_S: an
	 * address that comes later (DHCP on the uplink) must not become a way
	 * to the gateway's own listeners */
	struct cidr *self;
	size_t n_self;
	int64_t self_loaded;            /* monotonic s */
};

struct proxy {
	const struct config *cfg;         /* as started: listeners, workers */
	struct snapshot_slot live;        /* reloadable settings */
	int live_ready;
	struct gate *gate;
	struct accesslog *log;
	struct resolver *resolver;        /* the lookups' cache and per-client counts */
	struct worker *workers;
	unsigned n_workers;
	uint64_t next_id;                 /* atomic */
	int64_t open_conns;               /* atomic */
	struct connlimit *per_client;     /* connections open per address */
	struct cidr builtin_deny[BUILTIN_DENY_COUNT];   /* parsed once */
	char portal_url[300];             /* intercept: where the challenge sends clients */
};

static void conn_close(struct conn *c, const char *why);
static void conn_process(struct conn *c);
static void conn_update(struct conn *c);
static void conn_client_cb(struct loop *loop, struct loop_watch *w, uint32_t events);
static void conn_upstream_cb(struct loop *loop, struct loop_watch *w, uint32_t events);
static void conn_connect_next(struct conn *c);
static void conn_refuse_destination(struct conn *c, const char *why);
static int tunnel_splices_up(const struct conn *c);
static int tunnel_splices_down(const struct conn *c);
static int body_splices(const struct conn *c);

/* ------------------------------------------------------------ buffers */

static size_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Make room for at least want bytes at the end, up to max capacity.
 * Returns the free space (maybe less than want), or 0 if none at all. */
static size_t buf_room(struct buf *b, size_t want, size_t max)
{
	if (!b->data) {
		size_t cap = want > BUF_SIZE ? want : BUF_SIZE;

		if (cap > max)
			cap = max;
		b->data = malloc(cap);
		if (!b->data)
			return 0;
		b->cap = cap;
		b->start = b->end = 0;
	}
	if (b->start == b->end)
		b->start = b->end = 0;
	if (b->cap - b->end < want && b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	if (b->cap - b->end < want && b->cap < max) {
		size_t cap = b->end + want > max ? max : b->end + want;
		char *d = realloc(b->data, cap);

		if (d) {
			b->data = d;
			b->cap = cap;
		}
	}
	return b->cap - b->end;
}

static int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_room(b, n, n + BUF_SIZE + HEAD_BUF_MAX) < n)
		return -1;
	memcpy(b->data + b->end, p, n);
	b->end += n;
	return 0;
}

/* Release an empty buffer so idle connections cost almost nothing. */
static void buf_trim(struct buf *b)
{
	if (b->data && b->start == b->end)
		buf_free(b);
}

/*
 * Chunk data passed on as a chunk of our own, and at the body's end the
 * last chunk with an empty trailer section: the next hop reads framing we
 * wrote, never the sender's extensions, trailers or spelling of a size
 * line (RFC 9112 §7.1; the decoder has checked and dropped those).
 */
static int buf_append_chunk(struct buf *b, const char *data, size_t len, int last)
{
	char line[HTTP_CHUNK_LINE_MAX];

	if (len && (buf_append(b, line, http_chunk_line(line, len)) < 0 ||
		    buf_append(b, data, len) < 0 || buf_append(b, "\r\n", 2) < 0))
		return -1;
	if (last && buf_append(b, "0\r\n\r\n", 5) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static void span_copy(char *dst, size_t dstlen, struct http_span s)
{
	size_t n = s.len < dstlen - 1 ? s.len : dstlen - 1;

	if (n)      /* an absent span has no pointer (origin-form Host) */
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* ------------------------------------------------------------ policy */

static const char *const builtin_deny[BUILTIN_DENY_COUNT] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "fe80::/10", "ff00::/8",
};
/* what each of builtin_deny is, for the 403's text */
static const char *const builtin_deny_reason[BUILTIN_DENY_COUNT] = {
	"an unspecified address", "a loopback address", "a link-local address",
	"a multicast address", "a reserved address",
	"an unspecified address", "a loopback address", "a link-local address",
	"a multicast address",
};

static int port_listed(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* Why the proxy will not connect to port on one of this gateway's own
 * addresses, or NULL: only the ports listed in gateway_ports are open
 * there, and never the daemon's own listeners. */
static const char *self_port_refused(const struct config *cfg, uint16_t port)
{
	for (size_t j = 0; j < cfg->n_proxy_listen; j++)
		if (cidr_addr_port((const struct sockaddr *)&cfg->proxy_listen[j].sa) == port)
			return "the proxy itself";
	if (cfg->admin_enabled &&
	    cidr_addr_port((const struct sockaddr *)&cfg->admin_listen.sa) == port)
		return "the admin panel";
	if (cfg->portal_enabled &&
	    cidr_addr_port((const struct sockaddr *)&cfg->portal_listen.sa) == port)
		return "the login portal";
	if (cfg->intercept_interface[0] &&
	    (port == cfg->intercept_http_port || port == cfg->intercept_https_port))
		return "the intercept listeners";
	if (!port_listed(cfg->gateway_ports, cfg->n_gateway_ports, port))
		return "an address of this gateway";
	return NULL;
}

/*
 * Why the proxy will not connect to ss:port, or NULL: the one reason that
 * applies, said in the 403. The proxy must not be a way into the gateway
 * itself (every address it has, any port: its SSH, its mail relay, what
 * listens on its uplink), nor into what lies behind loopback and
 * link-local (cloud metadata services). Only the ports listed in
 * gateway_ports are open on the gateway's own addresses, and never its
 * own listeners.
 */
static const char *dest_refused(struct worker *w, const struct sockaddr_storage *ss,
				uint16_t port)
{
	const struct config *cfg = w->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)ss;

	for (size_t i = 0; i < BUILTIN_DENY_COUNT; i++)
		if (cidr_match(&w->p->builtin_deny[i], sa))
			return builtin_deny_reason[i];
	if (cidr_match_any(w->self, w->n_self, sa)) {
		const char *why = self_port_refused(cfg, port);

		if (why)
			return why;
	}
	if (cidr_match_any(cfg->deny_ranges, cfg->n_deny_ranges, sa))
		return "in a range this gateway denies (deny_ranges)";
	return NULL;
}

static int connect_port_allowed(const struct config *cfg, uint16_t port)
{
	return port_listed(cfg->connect_ports, cfg->n_connect_ports, port);
}

/* Re-read this host's addresses into w->self. On failure the list read
 * before stays (an empty one only at the very start). */
static void worker_load_self(struct worker *w)
{
	struct ifaddrs *ifa, *i;
	struct cidr *list;
	size_t n = 0;

	w->self_loaded = loop_now(w->loop);
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		freeifaddrs(ifa);
		return;
	}
	n = 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && cidr_from_addr(i->ifa_addr, &list[n]) == 0)
			n++;
	freeifaddrs(ifa);
	free(w->self);
	w->self = list;
	w->n_self = n;
}

/* ------------------------------------------------------------ responses */

static void exchange_free(struct exchange *x)
{
	if (!x)
		return;
	free(x->uhead);
	free(x);
}

static void conn_log_exchange(struct conn *c)
{
	struct exchange *x = c->x;
	struct accesslog_entry e;

	if (!x || !x->tag)
		return;
	memset(&e, 0, sizeof(e));
	e.start_ms = x->start_ms;
	e.duration_ms = loop_wall_ms() - x->start_ms;
	e.client = (const struct sockaddr *)&c->peer;
	e.client_text = c->peer_text;
	e.tag = x->tag;
	e.status = x->status;
	e.bytes = x->bytes_to_client;
	e.method = x->method_text;
	e.method_len = strlen(x->method_text);
	e.url = x->url;
	e.url_len = strlen(x->url);
	e.user = x->user;
	e.hierarchy = x->peer[0] ? "HIER_DIRECT" : "HIER_NONE";
	e.peer = x->peer;
	e.content_type = x->content_type;
	e.content_type_len = strlen(x->content_type);
	accesslog_queue(c->w->p->log, &c->w->log_batch, &e);
}

/*
 * Queue a response of our own. extra_headers (may be NULL) is a block of
 * complete header lines. keep: the connection may serve another request
 * afterwards (a 407 must keep it, so that clients probing
 * without credentials answer on the same connection).
 */
static void conn_respond_typed(struct conn *c, int status, const char *tag, const char *ctype,
			       const char *extra_headers, const char *body, int keep)
{
	char head[8192];
	struct http_text h = { .p = head, .cap = sizeof(head) };
	size_t blen = body ? strlen(body) : 0;

	if (c->kind == CK_TLS) {
		/* an intercepted TLS client cannot read HTTP text: it is logged
		 * and the connection closed */
		if (c->x) {
			c->x->status = status;
			c->x->tag = tag;
		}
		conn_close(c, body);
		return;
	}
	if (!keep)
		c->close_after = 1;
	http_text_str(&h, "HTTP/1.1 ");
	http_text_uint(&h, (unsigned)status, 3);
	http_text_str(&h, " ");
	http_text_str(&h, http_status_reason(status));
	http_text_str(&h, "\r\nServer: portcullis\r\nContent-Type: ");
	http_text_str(&h, ctype);
	http_text_str(&h, "\r\nContent-Length: ");
	http_text_uint(&h, blen, 0);
	http_text_str(&h, "\r\nCache-Control: no-store\r\n");
	if (extra_headers)
		http_text_str(&h, extra_headers);
	if (c->close_after)
		http_text_str(&h, "Connection: close\r\n");
	http_text_str(&h, "\r\n");
	if (h.over) {
		conn_close(c, "response head too large");
		return;
	}
	if (buf_append(&c->to_cl, head, h.len) < 0 || (blen && buf_append(&c->to_cl, body, blen) < 0)) {
		conn_close(c, "out of memory");
		return;
	}
	if (c->x) {
		c->x->status = status;
		c->x->tag = tag;
		http_text_copy(c->x->content_type, sizeof(c->x->content_type), ctype, strcspn(ctype, ";"));
	}
	c->state = CS_RESPOND;
}

static void conn_respond(struct conn *c, int status, const char *tag, const char *extra_headers,
			 const char *body, int keep)
{
	conn_respond_typed(c, status, tag, "text/plain; charset=utf-8", extra_headers, body, keep);
}

static void conn_error(struct conn *c, int status, const char *body)
{
	const char *tag = status == 400 || status == 505 || status == 431 || status == 414 ? "NONE"
			  : status == 502 || status == 504 || status == 503 ? "TCP_MISS" : "TCP_DENIED";

	switch (status) {
	case 400: case 431: case 505: metrics_inc(bad_requests); break;
	case 403: metrics_inc(denied); break;
	case 502: case 504: metrics_inc(upstream_errors); break;
	}
	conn_respond(c, status, tag, NULL, body, 0);
}

/* ------------------------------------------------------------ connection life */

static void conn_free_cb(void *ptr)
{
	struct conn *c = ptr;

	buf_free(&c->cbuf);
	buf_free(&c->to_up);
	buf_free(&c->ubuf);
	buf_free(&c->to_cl);
	exchange_free(c->x);
	free(c);
}

static void conn_close_upstream(struct conn *c)
{
	struct loop *loop = c->w->loop;

	if (c->uw.added)
		loop_watch_del(loop, &c->uw);
	if (c->uw.fd >= 0) {
		close(c->uw.fd);
		c->uw.fd = -1;
	}
	c->upstream_eof = 0;
	c->up_host[0] = '\0';
	c->up_port = 0;
	c->up_peer[0] = '\0';
	buf_free(&c->ubuf);
	buf_free(&c->to_up);
}

/* Whether closing c now leaves a response short: its head has gone (or is
 * queued) and not all of its body has reached the client. */
static int conn_cuts_response(const struct conn *c)
{
	const struct exchange *x = c->x;

	return x && c->state == CS_EXCHANGE && x->rs != RS_HEAD &&
	       (x->rs == RS_BODY || buf_len(&c->to_cl) || c->cl_pipe.len);
}

/*
 * c's response ends short of its end. The access log says so as Squid
 * does: TCP_MISS_ABORTED/200 or TCP_MISS_TIMEDOUT/200, the status the
 * client was sent and a tag saying it did not get all of it. A client that
 * reads the body until the connection closes (an HTTP/1.0 client's
 * dechunked body, an origin's close-delimited one) would take a plain
 * close for the end of a complete body: it gets a reset instead, the error
 * on the connection that marks such a response incomplete (RFC 9112 §8).
 */
static void conn_cut_response(struct conn *c, const char *tag)
{
	struct exchange *x = c->x;

	if (x->cut)
		return;
	x->cut = 1;
	x->tag = tag;
	if (x->dechunk || x->resp_body == HTTP_BODY_CLOSE) {
		struct linger lg = { 1, 0 };

		setsockopt(c->cw.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
}

static void conn_close(struct conn *c, const char *why)
{
	struct proxy *p = c->w->p;
	char addr[64];

	if (c->closed)
		return;
	c->closed = 1;
	log_debug("conn %llu: closed (%s)", (unsigned long long)c->id,
		  why ? why : "done");
	if (conn_cuts_response(c))
		conn_cut_response(c, "TCP_MISS_ABORTED");
	if (c->x && c->x->tag)
		conn_log_exchange(c);
	if (c->cw.added)
		loop_watch_del(c->w->loop, &c->cw);
	if (c->cw.fd >= 0)
		close(c->cw.fd);
	c->cw.fd = -1;
	conn_close_upstream(c);
	resolve_cancel(c->lookup);
	c->lookup = NULL;
	relay_pipe_release(&c->w->pipes, &c->up_pipe);
	relay_pipe_release(&c->w->pipes, &c->cl_pipe);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	__atomic_sub_fetch(&p->open_conns, 1, __ATOMIC_RELAXED);
	connlimit_release(p->per_client, (struct sockaddr *)&c->peer);
	metrics_add(connections_open, -1);
	(void)addr;
	/* a gate job still points at us: its completion frees */
	if (!c->pending)
		loop_defer_free(c->w->loop, conn_free_cb, c);
}

/* The exchange is over: log it and get ready for the next request. */
static void conn_finish_exchange(struct conn *c)
{
	struct exchange *x = c->x;
	/* while draining, a finished exchange ends its connection: no new
	 * request may start on it */
	int keep = x && x->client_keepalive && !c->close_after && !c->w->draining;

	conn_log_exchange(c);
	if (x && x->response_started && !x->upstream_keep && c->uw.fd >= 0)
		conn_close_upstream(c);
	exchange_free(x);
	c->x = NULL;
	if (!keep) {
		c->close_after = 1;
		if (buf_len(&c->to_cl) == 0)
			conn_close(c, NULL);
		else
			c->state = CS_RESPOND;   /* closes once the rest is written */
		return;
	}
	c->state = CS_IDLE;
	c->deadline = loop_now(c->w->loop) + c->w->cfg->idle_timeout;
	buf_trim(&c->to_up);
	buf_trim(&c->ubuf);
}

/* ------------------------------------------------------------ I/O */

/* Write what is queued for the client; 0 ok (maybe partial), -1 closed. */
static int conn_flush_client(struct conn *c)
{
	while (buf_len(&c->to_cl)) {
		ssize_t n = send(c->cw.fd, c->to_cl.data + c->to_cl.start, buf_len(&c->to_cl),
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			conn_close(c, "client write failed");
			return -1;
		}
		c->to_cl.start += (size_t)n;
		metrics_add(bytes_to_clients, (uint64_t)n);
		/* the access log's bytes are what the client was sent, head
		 * and body, as Squid counts them */
		if (c->x)
			c->x->bytes_to_client += (uint64_t)n;
	}
	buf_trim(&c->to_cl);
	return 0;
}

static int conn_flush_upstream(struct conn *c)
{
	struct exchange *x = c->x;

	if (c->uw.fd < 0 || c->state == CS_CONNECT)
		return 0;
	while (x && x->uhead && x->uhead_off < x->uhead_len) {
		ssize_t n = send(c->uw.fd, x->uhead + x->uhead_off, x->uhead_len - x->uhead_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		x->uhead_off += (size_t)n;
	}
	while (buf_len(&c->to_up)) {
		ssize_t n = send(c->uw.fd, c->to_up.data + c->to_up.start, buf_len(&c->to_up),
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->to_up.start += (size_t)n;
	}
	buf_trim(&c->to_up);
	return 0;
}

/* Read from fd into b; returns bytes, 0 on EOF, -1 would block, -2 error. */
static ssize_t read_into(int fd, struct buf *b, size_t max)
{
	size_t room = buf_room(b, BUF_SIZE, max);
	ssize_t n;

	if (room == 0)
		return -1;
	n = recv(fd, b->data + b->end, room, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : -2;
	b->end += (size_t)n;
	return n;
}

/* ------------------------------------------------------------ upstream side */

static int upstream_head_is_hop(const struct http_response *r, struct http_span name, int upgrade)
{
	if (http_span_ieq(name, "transfer-encoding"))
		return 0;
	if (upgrade && http_span_ieq(name, "upgrade"))
		return 0;
	return http_header_is_hop(r->headers, r->n_headers, name);
}

/* Rewrite the response head for the client (RFC 9110 §7.6). */
static int conn_send_response_head(struct conn *c, const struct http_response *r)
{
	struct exchange *x = c->x;
	const struct config *cfg = c->w->cfg;
	char line[32];
	struct http_text st = { .p = line, .cap = sizeof(line) };
	int upgrade = r->status == 101;

	http_text_str(&st, "HTTP/1.1 ");
	http_text_uint(&st, (unsigned)r->status, 3);
	http_text_put(&st, " ", 1);
	if (buf_append(&c->to_cl, line, st.len) < 0 ||
	    buf_append(&c->to_cl, r->reason.p, r->reason.len) < 0 ||
	    buf_append(&c->to_cl, "\r\n", 2) < 0)
		return -1;
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct http_header *h = &r->headers[i];

		if (upstream_head_is_hop(r, h->name, upgrade))
			continue;
		if (x->dechunk && http_span_ieq(h->name, "transfer-encoding"))
			continue;
		if (buf_append(&c->to_cl, h->name.p, h->name.len) < 0 ||
		    buf_append(&c->to_cl, ": ", 2) < 0 ||
		    buf_append(&c->to_cl, h->value.p, h->value.len) < 0 ||
		    buf_append(&c->to_cl, "\r\n", 2) < 0)
			return -1;
	}
	if (cfg->via && buf_append(&c->to_cl, "Via: " VIA_TEXT "\r\n", strlen("Via: " VIA_TEXT "\r\n")) < 0)
		return -1;
	if (upgrade) {
		if (buf_append(&c->to_cl, "Connection: Upgrade\r\n", 21) < 0)
			return -1;
	} else if (r->status >= 200) {
		if (!x->client_keepalive || r->body == HTTP_BODY_CLOSE || x->dechunk) {
			x->client_keepalive = 0;
			if (buf_append(&c->to_cl, "Connection: close\r\n", 19) < 0)
				return -1;
		} else if (x->client_minor == 0) {
			if (buf_append(&c->to_cl, "Connection: keep-alive\r\n", 24) < 0)
				return -1;
		}
	}
	return buf_append(&c->to_cl, "\r\n", 2);
}

/* Move response bytes from ubuf to to_cl as the framing allows. */
static void conn_relay_response(struct conn *c)
{
	struct worker *w = c->w;
	struct exchange *x = c->x;

	while (x && x->rs != RS_DONE && buf_len(&c->ubuf)) {
		if (x->rs == RS_HEAD) {
			struct http_response *r = &w->resp;
			size_t head_len;
			enum http_parse pr = http_response_parse(c->ubuf.data + c->ubuf.start,
								 buf_len(&c->ubuf), x->method, r, &head_len);

			if (pr == HTTP_PARSE_INCOMPLETE)
				return;
			if (pr != HTTP_PARSE_OK) {
				log_info("conn %llu: bad response from %s: %s", (unsigned long long)c->id,
					 x->peer, r->error ? r->error : "malformed");
				x->upstream_keep = 0;
				if (!x->response_started) {
					conn_close_upstream(c);
					conn_error(c, 502, "Bad gateway: the origin sent a malformed response.\n");
				} else {
					conn_close(c, "malformed response");
				}
				return;
			}
			x->response_started = 1;
			x->status = r->status;
			if (r->status >= 200 && r->status != 101)
				x->tag = "TCP_MISS";
			if (r->status < 200 && r->status != 101) {
				/* interim (100 Continue, 103): forward and wait for the final one */
				if (conn_send_response_head(c, r) < 0)
					goto oom;
				c->ubuf.start += head_len;
				continue;
			}
			{
				const struct http_header *ct = http_header_find(r->headers, r->n_headers,
										"content-type");
				if (ct)
					span_copy(x->content_type, sizeof(x->content_type), ct->value);
			}
			x->resp_body = r->body;
			x->resp_remaining = r->content_length;
			x->dechunk = r->body == HTTP_BODY_CHUNKED && x->client_minor == 0;
			http_chunked_init(&x->resp_chunked);
			x->upstream_keep = !(r->flags & HTTP_F_CONN_CLOSE) && r->body != HTTP_BODY_CLOSE &&
					   (r->version_minor >= 1 || (r->flags & HTTP_F_CONN_KEEPALIVE));
			if (r->status == 101 && !x->upgrade) {
				conn_close(c, "101 without an upgrade request");
				return;
			}
			if (conn_send_response_head(c, r) < 0)
				goto oom;
			c->ubuf.start += head_len;
			if (r->status == 101) {
				/* RFC 9110 §7.8: from here on the connection is a tunnel */
				x->tag = "TCP_TUNNEL";
				x->upstream_keep = 0;
				metrics_inc(tunnels);
				c->state = CS_TUNNEL;
				c->deadline = loop_now(w->loop) + w->cfg->tunnel_idle_timeout;
				if (buf_append(&c->to_cl, c->ubuf.data + c->ubuf.start, buf_len(&c->ubuf)) < 0)
					goto oom;
				c->ubuf.start = c->ubuf.end;
				return;
			}
			x->rs = x->resp_body == HTTP_BODY_NONE ? RS_DONE : RS_BODY;
			if (x->resp_body == HTTP_BODY_LENGTH && x->resp_remaining == 0)
				x->rs = RS_DONE;
			continue;
		}
		/* RS_BODY: keep to_cl bounded so a slow client throttles the origin */
		if (buf_len(&c->to_cl) >= BUF_SIZE)
			return;
		{
			const char *src = c->ubuf.data + c->ubuf.start;
			size_t avail = buf_len(&c->ubuf);
			size_t take = avail, out_len;
			const char *out = src;

			if (x->resp_body == HTTP_BODY_LENGTH) {
				if (take > x->resp_remaining)
					take = (size_t)x->resp_remaining;
				x->resp_remaining -= take;
				out_len = take;
				if (x->resp_remaining == 0)
					x->rs = RS_DONE;
			} else if (x->resp_body == HTTP_BODY_CHUNKED) {
				const char *data;
				size_t data_len;
				long used = http_chunked_feed(&x->resp_chunked, src, avail, &data, &data_len);

				if (used < 0) {
					log_info("conn %llu: bad chunked body from %s", (unsigned long long)c->id,
						 x->peer);
					x->upstream_keep = 0;
					if (x->bytes_to_client || c->cl_pipe.len) {
						/* the client has part of it: only a cut before the
						 * last chunk tells it the body is incomplete */
						conn_close(c, "bad chunked response body");
						return;
					}
					/* nothing of it was written yet (what to_cl holds is
					 * this response's head): the client gets a 502 instead */
					c->to_cl.start = c->to_cl.end;
					conn_close_upstream(c);
					conn_error(c, 502, "Bad gateway: the origin sent a malformed chunked body.\n");
					return;
				}
				take = (size_t)used;
				if (x->resp_chunked.state == HTTP_CHUNKED_DONE)
					x->rs = RS_DONE;
				out = data;
				out_len = data_len;
				if (!x->dechunk) {
					if (buf_append_chunk(&c->to_cl, data, data_len, x->rs == RS_DONE) < 0)
						goto oom;
					out_len = 0;
				}
			} else {
				out_len = take;   /* until the origin closes */
			}
			if (out_len && buf_append(&c->to_cl, out, out_len) < 0)
				goto oom;
			c->ubuf.start += take;
		}
	}
	if (x && x->rs == RS_DONE && buf_len(&c->ubuf)) {
		/* bytes after a complete response: the origin is confused */
		x->upstream_keep = 0;
		c->ubuf.start = c->ubuf.end;
	}
	return;
oom:
	conn_close(c, "out of memory");
}

/* The origin's side ended: with failed set, in an error (a reset, a
 * failed write) rather than a close. */
static void conn_upstream_eof(struct conn *c, int failed)
{
	struct exchange *x = c->x;

	c->upstream_eof = 1;
	if (!x) {
		/* an idle kept-alive upstream went away */
		conn_close_upstream(c);
		return;
	}
	if (c->state == CS_TUNNEL)
		return;
	/* only a close ends a close-delimited body; after an error on the
	 * connection it is incomplete (RFC 9112 §8) */
	if (x->rs == RS_BODY && x->resp_body == HTTP_BODY_CLOSE && !failed) {
		x->rs = RS_DONE;
		x->upstream_keep = 0;
		return;
	}
	if (x->rs == RS_DONE)
		return;
	if (!x->response_started && x->reused && x->req_done &&
	    (x->method == HTTP_METHOD_GET || x->method == HTTP_METHOD_HEAD) &&
	    x->req_body == HTTP_BODY_NONE) {
		/* the kept-alive connection was closed by the origin just as we
		 * reused it (RFC 9112 §9.3.1): retry once on a fresh connection */
		conn_close_upstream(c);
		x->reused = 0;
		x->uhead_off = 0;
		x->next_addr = 0;
		conn_connect_next(c);
		return;
	}
	x->upstream_keep = 0;
	if (!x->response_started) {
		conn_close_upstream(c);
		conn_error(c, 502, "Bad gateway: the origin closed the connection without answering.\n");
	} else {
		conn_close(c, failed ? "origin connection failed mid-response" :
			   "origin closed mid-response");
	}
}

/*
 * Whether the upstream connection c has just made reaches this gateway
 * itself: *why is the reason it is refused, or NULL (not this gateway, or
 * a port open there). The kernel delivers a connection to one of its own
 * addresses locally, with that address as the source, so the local end
 * equals the destination: this finds an address that came after the last
 * re-read of the worker's list (DHCP on the uplink) without a window, at
 * one syscall per upstream connection (a kept-alive one is not checked
 * again). Returns 0, or an errno when the local end cannot be had.
 */
static int upstream_reaches_self(struct conn *c, const char **why)
{
	struct exchange *x = c->x;
	const struct sockaddr_storage *dst = &x->addrs[x->next_addr - 1];
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	int same;

	*why = NULL;
	if (getsockname(c->uw.fd, (struct sockaddr *)&local, &len) < 0)
		return errno;
	if (local.ss_family != dst->ss_family)
		return 0;
	if (local.ss_family == AF_INET6)
		same = memcmp(&((struct sockaddr_in6 *)&local)->sin6_addr,
			      &((const struct sockaddr_in6 *)dst)->sin6_addr, 16) == 0;
	else
		same = ((struct sockaddr_in *)&local)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)dst)->sin_addr.s_addr;
	if (same)
		*why = self_port_refused(c->w->cfg, x->port);
	return 0;
}

static void conn_upstream_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, uw));

	(void)loop;
	if (c->closed)
		return;
	if (c->state == CS_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);
		const char *self = NULL;

		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (!err)
			err = upstream_reaches_self(c, &self);
		if (err) {
			snprintf(c->x->connect_error, sizeof(c->x->connect_error), "%s", strerror(err));
			conn_close_upstream(c);
			conn_connect_next(c);
			conn_update(c);
			return;
		}
		if (self) {
			log_info("conn %llu: %s port %u is %s (found at connect)",
				 (unsigned long long)c->id, c->x->peer, c->x->port, self);
			conn_close_upstream(c);
			conn_refuse_destination(c, self);
			conn_process(c);
			return;
		}
		c->state = CS_EXCHANGE;
		c->deadline = loop_now(c->w->loop) + c->w->cfg->upstream_timeout;
		if (c->x->method == HTTP_METHOD_CONNECT) {
			c->x->tag = "TCP_TUNNEL";
			c->x->status = 200;
			metrics_inc(tunnels);
			c->state = CS_TUNNEL;
			c->deadline = loop_now(c->w->loop) + c->w->cfg->tunnel_idle_timeout;
			/* intercepted TLS: the client thinks it talks to the origin,
			 * and the peeked ClientHello goes first (it waits in cbuf) */
			if (c->kind != CK_TLS) {
				if (buf_append(&c->to_cl, "HTTP/1.1 200 Connection established\r\n\r\n", 39) < 0) {
					conn_close(c, "out of memory");
					return;
				}
			}
		}
	}
	if (events & EPOLLOUT) {
		if (conn_flush_upstream(c) < 0) {
			if (c->x && !c->x->response_started && c->state != CS_TUNNEL) {
				c->upstream_eof = 1;
				conn_upstream_eof(c, 1);
			} else {
				conn_close(c, "upstream write failed");
				return;
			}
		}
	}
	/* a splicing tunnel or body reads in conn_tunnel_splice/conn_body_splice */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !tunnel_splices_down(c) && !body_splices(c)) {
		ssize_t n = read_into(w->fd, &c->ubuf, BUF_SIZE * 2);

		if (n == 0 || n == -2) {
			conn_upstream_eof(c, n == -2);
		} else if (n > 0 && !c->x) {
			/* nothing was asked: an origin talking out of turn is not reused */
			conn_close_upstream(c);
		} else if (n > 0 && c->state != CS_TUNNEL) {
			c->deadline = loop_now(c->w->loop) + c->w->cfg->upstream_timeout;
		}
	}
	conn_process(c);
}

/* ------------------------------------------------------------ connecting */

static void conn_connect_next(struct conn *c)
{
	struct exchange *x = c->x;

	while (x->next_addr < x->n_addrs) {
		struct sockaddr_storage *ss = &x->addrs[x->next_addr++];
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		int one = 1;

		if (fd < 0) {
			snprintf(x->connect_error, sizeof(x->connect_error), "socket: %s", strerror(errno));
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* the daemon's own rules skip this mark: it never intercepts itself */
		if (c->w->p->cfg->intercept_interface[0]) {
			unsigned mark = c->w->p->cfg->intercept_mark;

			if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
				log_debug("conn %llu: SO_MARK: %s", (unsigned long long)c->id, strerror(errno));
		}
		cidr_addr_text((struct sockaddr *)ss, x->peer, sizeof(x->peer));
		if (connect(fd, (struct sockaddr *)ss, sa_len(ss)) < 0 && errno != EINPROGRESS) {
			snprintf(x->connect_error, sizeof(x->connect_error), "%s", strerror(errno));
			close(fd);
			continue;
		}
		if (loop_watch_add(c->w->loop, &c->uw, fd, EPOLLOUT, conn_upstream_cb) < 0) {
			close(fd);
			conn_close(c, "epoll");
			return;
		}
		snprintf(c->up_host, sizeof(c->up_host), "%s", x->host);
		c->up_port = x->port;
		snprintf(c->up_peer, sizeof(c->up_peer), "%s", x->peer);
		c->state = CS_CONNECT;
		c->deadline = loop_now(c->w->loop) + c->w->cfg->connect_timeout;
		return;
	}
	{
		char body[512];

		snprintf(body, sizeof(body), "Bad gateway: cannot connect to %s port %u: %s\n",
			 x->host, x->port, x->connect_error[0] ? x->connect_error : "no address");
		log_info("conn %llu: connect to %s:%u failed: %s", (unsigned long long)c->id,
			 x->host, x->port, x->connect_error);
		conn_error(c, 502, body);
	}
}

static void conn_have_addresses(struct conn *c);

/* What the resolver said: addresses to try, or the client is told why not. */
static void conn_have_answer(struct conn *c, const struct resolve_answer *answer)
{
	char body[512];

	if (answer->status == RESOLVE_OK) {
		for (size_t i = 0; i < answer->n; i++) {
			c->x->addrs[i] = answer->addrs[i];
			sa_set_port(&c->x->addrs[i], c->x->port);
		}
		c->x->n_addrs = answer->n;
		conn_have_addresses(c);
		return;
	}
	if (answer->status == RESOLVE_REFUSED) {
		log_info("conn %llu: lookup of %s refused: %s", (unsigned long long)c->id, c->x->host,
			 answer->error);
		snprintf(body, sizeof(body), "Service unavailable: %s; try again shortly.\n",
			 answer->error);
		conn_error(c, 503, body);
		return;
	}
	snprintf(body, sizeof(body), "Bad gateway: cannot resolve %s: %s\n", c->x->host,
		 answer->error ? answer->error : "no address");
	conn_error(c, 502, body);
}

/* The client is told why its destination is refused (403). */
static void conn_refuse_destination(struct conn *c, const char *why)
{
	struct exchange *x = c->x;
	char body[512];
	int v6 = strchr(x->host, ':') != NULL;

	snprintf(body, sizeof(body), "Forbidden: %s%s%s:%u is %s.\n", v6 ? "[" : "", x->host,
		 v6 ? "]" : "", x->port, why);
	conn_error(c, 403, body);
}

/* Filter the resolved addresses through the destination policy. */
static void conn_have_addresses(struct conn *c)
{
	struct exchange *x = c->x;
	size_t kept = 0;
	const char *why = NULL;

	for (size_t i = 0; i < x->n_addrs; i++) {
		const char *r = dest_refused(c->w, &x->addrs[i], x->port);

		if (r) {
			why = r;
			continue;
		}
		x->addrs[kept++] = x->addrs[i];
	}
	x->n_addrs = kept;
	if (kept == 0 && why) {
		conn_refuse_destination(c, why);
		return;
	}
	x->next_addr = 0;
	conn_connect_next(c);
}

static void conn_lookup_done_cb(void *ud, const struct resolve_answer *answer)
{
	struct conn *c = ud;

	c->lookup = NULL;
	if (c->closed || c->state != CS_RESOLVE)
		return;    /* a lookup no longer wanted is cancelled: not reached */
	conn_have_answer(c, answer);
	conn_process(c);
}

/* Find the origin's addresses: literals at once, names through the loop's
 * resolver, which never blocks it. */
static void conn_resolve(struct conn *c)
{
	struct exchange *x = c->x;
	struct sockaddr_in *sin = (struct sockaddr_in *)&x->addrs[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&x->addrs[0];
	struct resolve_answer answer;

	memset(&x->addrs[0], 0, sizeof(x->addrs[0]));
	if (inet_pton(AF_INET, x->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, x->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
	} else {
		resolve_cancel(c->lookup);
		c->lookup = NULL;
		if (resolve_lookup(c->w->dns, x->host, (const struct sockaddr *)&c->peer,
				   c->w->cfg->max_lookups_per_client, &answer, conn_lookup_done_cb, c,
				   &c->lookup) == 0) {
			conn_have_answer(c, &answer);
			return;
		}
		c->state = CS_RESOLVE;
		c->deadline = loop_now(c->w->loop) + c->w->cfg->connect_timeout;
		return;
	}
	sa_set_port(&x->addrs[0], x->port);
	x->n_addrs = 1;
	conn_have_addresses(c);
}

/* ------------------------------------------------------------ requests */

/* Build the head the origin gets (RFC 9112 §3.2.2, RFC 9110 §7.6). */
static int conn_build_upstream_head(struct conn *c, const struct http_request *r)
{
	struct exchange *x = c->x;
	const struct config *cfg = c->w->cfg;
	struct buf h = { 0 };
	char line[512], port[24];
	int n, v6;

	if (buf_append(&h, r->method_text.p, r->method_text.len) < 0 || buf_append(&h, " ", 1) < 0 ||
	    buf_append(&h, r->path.p, r->path.len) < 0 || buf_append(&h, " HTTP/1.1\r\nHost: ", 17) < 0)
		goto oom;
	/* the Host the origin sees is always the target's authority (for an
	 * intercepted origin-form request, the Host the client sent) */
	if (c->kind == CK_HTTP) {
		const struct http_header *hh = http_header_find(r->headers, r->n_headers, "host");

		if (hh) {
			if (buf_append(&h, hh->value.p, hh->value.len) < 0 || buf_append(&h, "\r\n", 2) < 0)
				goto oom;
		} else {
			n = snprintf(line, sizeof(line), strchr(x->host, ':') ? "[%s]\r\n" : "%s\r\n", x->host);
			if (buf_append(&h, line, (size_t)n) < 0)
				goto oom;
		}
		goto headers;
	}
	v6 = strchr(x->host, ':') != NULL;
	if ((v6 && buf_append(&h, "[", 1) < 0) || buf_append(&h, x->host, strlen(x->host)) < 0 ||
	    (v6 && buf_append(&h, "]", 1) < 0))
		goto oom;
	if (r->port && r->port != 80) {
		port[0] = ':';
		if (buf_append(&h, port, 1 + http_put_uint(port + 1, r->port, 0, '0')) < 0)
			goto oom;
	}
	if (buf_append(&h, "\r\n", 2) < 0)
		goto oom;
headers:
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct http_header *hd = &r->headers[i];

		if (http_span_ieq(hd->name, "host"))
			continue;
		/* framing stays (we pass the body through as it came) */
		if (!http_span_ieq(hd->name, "transfer-encoding") &&
		    !(x->upgrade && http_span_ieq(hd->name, "upgrade")) &&
		    http_header_is_hop(r->headers, r->n_headers, hd->name))
			continue;
		if (buf_append(&h, hd->name.p, hd->name.len) < 0 || buf_append(&h, ": ", 2) < 0 ||
		    buf_append(&h, hd->value.p, hd->value.len) < 0 || buf_append(&h, "\r\n", 2) < 0)
			goto oom;
	}
	if (cfg->via && buf_append(&h, "Via: " VIA_TEXT "\r\n", strlen("Via: " VIA_TEXT "\r\n")) < 0)
		goto oom;
	if (x->upgrade && buf_append(&h, "Connection: Upgrade\r\n", 21) < 0)
		goto oom;
	if (buf_append(&h, "\r\n", 2) < 0)
		goto oom;
	free(x->uhead);
	x->uhead = h.data;
	x->uhead_len = h.end;
	x->uhead_off = 0;
	return 0;
oom:
	buf_free(&h);
	return -1;
}

/* Credentials accepted (or not needed): send the request on its way. */
static void conn_forward(struct conn *c, const struct http_request *r, size_t head_len)
{
	struct exchange *x = c->x;

	c->cbuf.start += head_len;
	x->req_body = r->body;
	x->req_remaining = r->content_length;
	http_chunked_init(&x->req_chunked);
	x->req_done = r->body == HTTP_BODY_NONE ||
		      (r->body == HTTP_BODY_LENGTH && r->content_length == 0);
	if (r->method == HTTP_METHOD_CONNECT) {
		x->req_done = 1;
	} else if (conn_build_upstream_head(c, r) < 0) {
		conn_close(c, "out of memory");
		return;
	}
	/* a kept-alive upstream connection to the same origin is reused */
	if (c->uw.fd >= 0 && r->method != HTTP_METHOD_CONNECT && !c->upstream_eof &&
	    c->up_port == x->port && strcmp(c->up_host, x->host) == 0) {
		x->reused = 1;
		/* remembered at connect: a getpeername per request cost a syscall */
		http_text_copy(x->peer, sizeof(x->peer), c->up_peer, strlen(c->up_peer));
		c->state = CS_EXCHANGE;
		c->deadline = loop_now(c->w->loop) + c->w->cfg->upstream_timeout;
		return;
	}
	if (c->uw.fd >= 0)
		conn_close_upstream(c);
	if (c->kind != CK_EXPLICIT) {
		/* intercepted traffic goes to where the client sent it, never
		 * to what the Host header says: a Host of the client's choosing
		 * must not steer the gateway to another destination */
		x->addrs[0] = c->orig_dst;
		x->n_addrs = 1;
		conn_have_addresses(c);
		return;
	}
	conn_resolve(c);
}

static void conn_challenge(struct conn *c, int stale, int close_after)
{
	char headers[2048];
	struct proxy *p = c->w->p;
	int n = gate_challenge_headers(p->gate, headers, sizeof(headers), stale);

	if (n < 0) {
		conn_close(c, "challenge too large");
		return;
	}
	conn_respond(c, 407, "TCP_DENIED", headers,
		     "Proxy authentication required: this gateway needs your username and password.\n",
		     !close_after);
}

/* The body of a request we refused must still be read past before the
 * connection can carry another request; a large or awaited one is not
 * worth it, and the connection is closed instead. */
static int conn_refused_keep(struct conn *c, const struct http_request *r, size_t head_len)
{
	struct exchange *x = c->x;

	c->cbuf.start += head_len;
	if (r->body == HTTP_BODY_NONE || (r->body == HTTP_BODY_LENGTH && r->content_length == 0))
		return 1;
	if ((r->flags & HTTP_F_EXPECT_CONTINUE) ||
	    (r->body == HTTP_BODY_LENGTH && r->content_length > DISCARD_MAX))
		return 0;
	x->req_body = r->body;
	x->req_remaining = r->content_length;
	http_chunked_init(&x->req_chunked);
	x->req_done = 0;
	return 1;
}

static void conn_apply_verdict(struct conn *c, const struct http_request *r, size_t head_len,
			       const struct gate_result *res)
{
	struct exchange *x = c->x;
	char extra[64];
	struct http_text xt = { .p = extra, .cap = sizeof(extra) - 1 };
	int keep;

	switch (res->verdict) {
	case GATE_PASS:
		http_text_copy(x->user, sizeof(x->user), res->username, strlen(res->username));
		x->credential = res->credential;
		conn_forward(c, r, head_len);
		return;
	case GATE_CHALLENGE:
	case GATE_FAIL:
	case GATE_STALE:
		/* the access log's user field names only verified users (Squid's
		 * log tools credit hits to it); the name a failed attempt
		 * presented is in the audit trail */
		keep = conn_refused_keep(c, r, head_len);
		conn_challenge(c, res->verdict == GATE_STALE, !keep);
		return;
	case GATE_LOCKED:
		keep = conn_refused_keep(c, r, head_len);
		http_text_str(&xt, "Retry-After: ");
		http_text_uint(&xt, res->retry_after, 0);
		http_text_put(&xt, "\r\n", 2);
		extra[xt.len] = '\0';
		conn_respond(c, 429, "TCP_DENIED", extra,
			     "Too many failed logins: try again later.\n", keep);
		return;
	case GATE_UNAVAILABLE:
		conn_respond(c, 503, "NONE", "Retry-After: 5\r\n",
			     "Service unavailable: credentials cannot be checked right now.\n", 0);
		return;
	}
}

/* Re-parse the head kept in cbuf: the worker's scratch request is shared by
 * every connection of the worker, so it is not kept across a wait. */
static int conn_reparse(struct conn *c, size_t *head_len)
{
	return http_request_parse(c->cbuf.data + c->cbuf.start, buf_len(&c->cbuf), &c->w->req,
				  head_len) == HTTP_PARSE_OK ? 0 : -1;
}

static void conn_gate_done(void *ud, const struct gate_result *res)
{
	struct conn *c = ud;
	size_t head_len;

	c->pending = 0;
	if (c->closed) {
		loop_defer_free(c->w->loop, conn_free_cb, c);
		return;
	}
	if (conn_reparse(c, &head_len) < 0) {
		conn_close(c, "request head lost");
		return;
	}
	conn_apply_verdict(c, &c->w->req, head_len, res);
	conn_process(c);
}

static struct gate_query gate_query_for(struct conn *c, const struct http_request *r)
{
	struct gate_query q = { 0 };
	const struct http_header *h;

	q.mode = GATE_MODE_EXPLICIT;
	q.client = (const struct sockaddr *)&c->peer;
	h = http_header_find(r->headers, r->n_headers, "proxy-authorization");
	if (h) {
		q.authorization = h->value.p;
		q.authorization_len = h->value.len;
	}
	q.method = r->method_text.p;
	q.method_len = r->method_text.len;
	q.target = r->target.p;
	q.target_len = r->target.len;
	q.host = r->host.p;
	q.host_len = r->host.len;
	h = http_header_find(r->headers, r->n_headers, "user-agent");
	if (h) {
		q.user_agent = h->value.p;
		q.user_agent_len = h->value.len;
	}
	return q;
}

/* ------------------------------------------------------------ intercept mode */

/* The Host header's name part, checked: a host name or an address literal
 * and nothing else (it goes into the log and into the portal link). */
static int intercept_host(const struct http_request *r, char *out, size_t outlen)
{
	const struct http_header *h = http_header_find(r->headers, r->n_headers, "host");
	const char *p, *end;
	size_t n;

	if (!h || h->value.len == 0)
		return -1;
	p = h->value.p;
	end = p + h->value.len;
	if (*p == '[') {
		const char *close = memchr(p, ']', h->value.len);

		if (!close)
			return -1;
		p++;
		n = (size_t)(close - p);
	} else {
		const char *colon = memchr(p, ':', h->value.len);

		n = (size_t)((colon ? colon : end) - p);
	}
	if (n == 0 || n >= outlen)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '.' || ch == '_' || ch == ':'))
			return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/*
 * An intercepted client without a session: browsers and the
 * operating systems' captive-portal probes get a 302 to the portal with the
 * original URL and no-store, so they show their "sign in" prompt; a request
 * that cannot follow a redirect (anything but GET and HEAD) gets 511
 * Network Authentication Required with a link (RFC 6585 §6). Never a 407:
 * the client does not know a proxy exists.
 */
static void conn_intercept_challenge(struct conn *c, const struct http_request *r, size_t head_len)
{
	struct proxy *p = c->w->p;
	struct exchange *x = c->x;
	char enc[3 * sizeof(x->url) + 1], location[sizeof(enc) + sizeof(p->portal_url) + 16];
	char headers[sizeof(location) + 64], body[sizeof(location) + 512], sig[RETURNTO_SIG_MAX];
	int keep = conn_refused_keep(c, r, head_len);
	int redirect = r->method == HTTP_METHOD_GET || r->method == HTTP_METHOD_HEAD;

	metrics_inc(challenges);
	form_percent_encode(enc, sizeof(enc), x->url);
	/* the portal sends the client back to this URL after its login only
	 * with this signature, made for this client (no open redirect) */
	if (returnto_sign((const struct sockaddr *)&c->peer, c->mac, x->url,
			  (long)(loop_wall_ms() / 1000), sig, sizeof(sig)) < 0)
		sig[0] = '\0';
	snprintf(location, sizeof(location), "%s?url=%s&sig=%s", p->portal_url, enc, sig);
	/* location holds only unreserved characters and %XX beyond the
	 * configured portal URL: safe in a header and in HTML */
	snprintf(body, sizeof(body),
		 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in to the network</title>"
		 "</head><body><p>This network needs you to sign in first: "
		 "<a href=\"%s\">sign in</a>.</p></body></html>\n", location);
	if (redirect) {
		snprintf(headers, sizeof(headers), "Location: %s\r\n", location);
		conn_respond_typed(c, 302, "TCP_DENIED", "text/html; charset=utf-8", headers, body, keep);
	} else {
		conn_respond_typed(c, 511, "TCP_DENIED", "text/html; charset=utf-8", NULL, body, keep);
	}
}

static void conn_handle_intercepted(struct conn *c, const struct http_request *r, size_t head_len)
{
	struct proxy *p = c->w->p;
	struct exchange *x = c->x;
	char dst[64], user[AUTH_USER_MAX + 1] = "";
	uint16_t dport = cidr_addr_port((const struct sockaddr *)&c->orig_dst);
	int pass;

	cidr_addr_text((const struct sockaddr *)&c->orig_dst, dst, sizeof(dst));
	if (intercept_host(r, x->host, sizeof(x->host)) < 0) {
		/* HTTP/1.0 without Host, or a Host we will not repeat */
		if (http_header_find(r->headers, r->n_headers, "host")) {
			conn_refused_keep(c, r, head_len);
			conn_error(c, 400, "Bad request: malformed Host header.\n");
			return;
		}
		snprintf(x->host, sizeof(x->host), "%s", dst);
	}
	x->port = dport;
	{
		const char *path = r->scheme.len ? r->path.p : r->target.p;
		size_t plen = r->scheme.len ? r->path.len : r->target.len;
		int v6 = strchr(x->host, ':') != NULL;

		if (dport == 80)
			snprintf(x->url, sizeof(x->url), "http://%s%s%s%.*s", v6 ? "[" : "", x->host,
				 v6 ? "]" : "", (int)plen, path);
		else
			snprintf(x->url, sizeof(x->url), "http://%s%s%s:%u%.*s", v6 ? "[" : "", x->host,
				 v6 ? "]" : "", dport, (int)plen, path);
	}
	if (r->method == HTTP_METHOD_CONNECT) {
		conn_refused_keep(c, r, head_len);
		conn_error(c, 405, "Method not allowed: CONNECT to an intercepted connection.\n");
		return;
	}
	{
		struct sockaddr_storage hs;
		struct sockaddr_in *h4 = (struct sockaddr_in *)&hs;
		struct sockaddr_in6 *h6 = (struct sockaddr_in6 *)&hs;
		char htext[64];

		/* a literal Host that is not the destination is logged; the
		 * request still goes only to the original destination */
		memset(&hs, 0, sizeof(hs));
		if ((inet_pton(AF_INET, x->host, &h4->sin_addr) == 1 && (hs.ss_family = AF_INET)) ||
		    (inet_pton(AF_INET6, x->host, &h6->sin6_addr) == 1 && (hs.ss_family = AF_INET6))) {
			cidr_addr_text((const struct sockaddr *)&hs, htext, sizeof(htext));
			if (strcmp(htext, dst) != 0)
				log_info("conn %llu: Host %s does not match the destination %s; sent to %s",
					 (unsigned long long)c->id, htext, dst, dst);
		}
	}
	pass = gate_whitelisted(p->gate, (const struct sockaddr *)&c->peer);
	if (!pass && gate_session_user(p->gate, (const struct sockaddr *)&c->peer, c->mac, user,
						  sizeof(user))) {
		pass = 1;
		http_text_copy(x->user, sizeof(x->user), user, strlen(user));
	}
	if (!pass) {
		conn_intercept_challenge(c, r, head_len);
		return;
	}
	conn_forward(c, r, head_len);
}

/* Intercepted TLS: read the ClientHello for the server name, then refuse
 * (no session) or splice the connection, peeked bytes first, to its
 * original destination. Nothing is decrypted. */
static void conn_peek_hello(struct conn *c)
{
	static __thread struct clienthello hello;
	struct proxy *p = c->w->p;
	struct exchange *x;
	enum clienthello_parse pr;
	char dst[64], user[AUTH_USER_MAX + 1] = "";
	uint16_t dport = cidr_addr_port((const struct sockaddr *)&c->orig_dst);
	int pass;

	pr = clienthello_parse((const uint8_t *)c->cbuf.data + c->cbuf.start, buf_len(&c->cbuf), &hello);
	if (pr == CLIENTHELLO_INCOMPLETE) {
		if (buf_len(&c->cbuf) < HEAD_BUF_MAX)
			return;
		pr = CLIENTHELLO_TOO_LARGE;
	}
	cidr_addr_text((const struct sockaddr *)&c->orig_dst, dst, sizeof(dst));
	x = calloc(1, sizeof(*x));
	if (!x) {
		conn_close(c, "out of memory");
		return;
	}
	c->x = x;
	metrics_inc(requests);
	x->start_ms = loop_wall_ms();
	x->method = HTTP_METHOD_CONNECT;
	snprintf(x->method_text, sizeof(x->method_text), "CONNECT");
	x->port = dport;
	x->req_done = 1;
	if (pr != CLIENTHELLO_OK) {
		char why[96];

		metrics_inc(bad_requests);
		snprintf(x->url, sizeof(x->url), "%s%s%s:%u", strchr(dst, ':') ? "[" : "", dst,
			 strchr(dst, ':') ? "]" : "", dport);
		snprintf(why, sizeof(why), "refused: %s", clienthello_result_name(pr));
		log_info("conn %llu: intercepted TLS to %s %s", (unsigned long long)c->id, x->url, why);
		x->status = 400;
		x->tag = "NONE";
		conn_close(c, why);
		return;
	}
	snprintf(x->host, sizeof(x->host), "%s", hello.sni[0] ? hello.sni : dst);
	snprintf(x->url, sizeof(x->url), "%s%s%s:%u", strchr(x->host, ':') ? "[" : "", x->host,
		 strchr(x->host, ':') ? "]" : "", dport);
	pass = gate_whitelisted(p->gate, (const struct sockaddr *)&c->peer);
	if (!pass && gate_session_user(p->gate, (const struct sockaddr *)&c->peer, c->mac, user,
						  sizeof(user))) {
		pass = 1;
		http_text_copy(x->user, sizeof(x->user), user, strlen(user));
	}
	if (!pass) {
		struct linger lg = { 1, 0 };

		/* refused quickly: a reset, not a hanging handshake, so the
		 * browser shows its error at once instead of timing out */
		metrics_inc(denied);
		x->status = 403;
		x->tag = "TCP_DENIED";
		setsockopt(c->cw.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		conn_close(c, "intercepted TLS without a session");
		return;
	}
	x->addrs[0] = c->orig_dst;
	x->n_addrs = 1;
	conn_have_addresses(c);
}

/* Where a redirected connection was going (the nat table remembers it). */
static int original_dst(int fd, const struct sockaddr_storage *local, struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)local;

	memset(out, 0, sizeof(*out));
	if (local->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr))
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, out, &len);
	/* a v4 client on a dual-stack socket: the IPv4 table answers */
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, out, &len);
}

static void conn_handle_request(struct conn *c, const struct http_request *r, size_t head_len)
{
	struct proxy *p = c->w->p;
	struct exchange *x;
	struct gate_result res;
	struct gate_query q;

	x = calloc(1, sizeof(*x));
	if (!x) {
		conn_close(c, "out of memory");
		return;
	}
	c->x = x;
	metrics_inc(requests);
	x->start_ms = loop_wall_ms();
	x->method = r->method;
	span_copy(x->method_text, sizeof(x->method_text), r->method_text);
	span_copy(x->url, sizeof(x->url), r->target);
	span_copy(x->host, sizeof(x->host), r->host);
	x->client_minor = r->version_minor;
	x->client_keepalive = r->version_minor >= 1 ? !(r->flags & HTTP_F_CONN_CLOSE)
						    : !!(r->flags & HTTP_F_CONN_KEEPALIVE);
	if (r->flags & HTTP_F_PROXY_CONN_CLOSE)
		x->client_keepalive = 0;
	x->upgrade = (r->flags & HTTP_F_CONN_UPGRADE) && (r->flags & HTTP_F_HAS_UPGRADE);
	x->port = r->port ? r->port : (r->method == HTTP_METHOD_CONNECT ? 443 : 80);

	if (c->kind == CK_HTTP) {
		conn_handle_intercepted(c, r, head_len);
		return;
	}
	/* an explicit proxy serves absolute-form and CONNECT only */
	if (r->scheme.len == 0 && r->method != HTTP_METHOD_CONNECT) {
		conn_refused_keep(c, r, head_len);
		conn_error(c, 400, "Bad request: this is a proxy; send absolute URLs (http://host/path).\n");
		return;
	}
	if (r->method == HTTP_METHOD_CONNECT && !connect_port_allowed(c->w->cfg, x->port)) {
		char body[256];

		conn_refused_keep(c, r, head_len);
		snprintf(body, sizeof(body), "Forbidden: CONNECT to port %u is not allowed.\n", x->port);
		conn_error(c, 403, body);
		return;
	}
	if (gate_whitelisted(p->gate, (const struct sockaddr *)&c->peer)) {
		conn_forward(c, r, head_len);
		return;
	}
	q = gate_query_for(c, r);
	if (gate_check(p->gate, &q, &res, c->w->loop, conn_gate_done, c) == 1) {
		c->pending = 1;
		c->state = CS_AUTH;
		return;
	}
	conn_apply_verdict(c, r, head_len, &res);
}

/* Parse and act on the next request head in cbuf. */
static void conn_read_head(struct conn *c)
{
	struct worker *w = c->w;
	size_t head_len;
	enum http_parse pr;

	if (buf_len(&c->cbuf) == 0)
		return;
	if (c->state == CS_IDLE) {
		c->state = CS_HEAD;
		c->deadline = loop_now(w->loop) + w->cfg->header_timeout;
	}
	pr = http_request_parse(c->cbuf.data + c->cbuf.start, buf_len(&c->cbuf), &w->req, &head_len);
	switch (pr) {
	case HTTP_PARSE_INCOMPLETE:
		return;
	case HTTP_PARSE_OK:
		conn_handle_request(c, &w->req, head_len);
		return;
	case HTTP_PARSE_TOO_LARGE:
		c->x = calloc(1, sizeof(*c->x));
		if (c->x)
			c->x->start_ms = loop_wall_ms();
		conn_error(c, 431, "Request header fields too large.\n");
		break;
	case HTTP_PARSE_BAD_VERSION:
		c->x = calloc(1, sizeof(*c->x));
		if (c->x)
			c->x->start_ms = loop_wall_ms();
		conn_error(c, 505, "HTTP version not supported.\n");
		break;
	default: {
		char body[256];

		c->x = calloc(1, sizeof(*c->x));
		if (c->x)
			c->x->start_ms = loop_wall_ms();
		snprintf(body, sizeof(body), "Bad request: %s.\n",
			 w->req.error ? w->req.error : "malformed request");
		log_info("conn %llu: bad request: %s", (unsigned long long)c->id,
			 w->req.error ? w->req.error : "malformed");
		conn_error(c, 400, body);
		break;
	}
	}
	/* nothing after a malformed head can be trusted (smuggling) */
	c->cbuf.start = c->cbuf.end;
	c->client_eof = 1;
}

/* Move request body bytes from cbuf (to to_up, or nowhere when discarding). */
static int conn_relay_request_body(struct conn *c, int discard)
{
	struct exchange *x = c->x;

	while (!x->req_done && buf_len(&c->cbuf)) {
		const char *src = c->cbuf.data + c->cbuf.start;
		size_t avail = buf_len(&c->cbuf), take = avail;

		if (!discard && buf_len(&c->to_up) >= BUF_SIZE)
			return 0;
		if (x->req_body == HTTP_BODY_LENGTH) {
			if (take > x->req_remaining)
				take = (size_t)x->req_remaining;
			x->req_remaining -= take;
			if (x->req_remaining == 0)
				x->req_done = 1;
			if (!discard && buf_append(&c->to_up, src, take) < 0)
				return -1;
		} else {
			const char *data;
			size_t data_len;
			long used = http_chunked_feed(&x->req_chunked, src, avail, &data, &data_len);

			if (used < 0)
				return -1;
			take = (size_t)used;
			if (x->req_chunked.state == HTTP_CHUNKED_DONE)
				x->req_done = 1;
			if (!discard && buf_append_chunk(&c->to_up, data, data_len, x->req_done) < 0)
				return -1;
		}
		c->cbuf.start += take;
	}
	return 0;
}

/* ------------------------------------------------------------ tunnels */

/* In a tunnel a direction whose buffers are empty moves its bytes through a
 * pipe with splice(2), never through user space; bytes that arrived before
 * (a 101's leftovers, an early TLS ClientHello) go through the buffers
 * first, so the order holds. */
static int tunnel_splices_up(const struct conn *c)
{
	return c->state == CS_TUNNEL && !c->no_splice && !buf_len(&c->cbuf) && !buf_len(&c->to_up);
}

static int tunnel_splices_down(const struct conn *c)
{
	return c->state == CS_TUNNEL && !c->no_splice && !buf_len(&c->ubuf) && !buf_len(&c->to_cl);
}

/* One direction: drain the pipe into to, refill it from from, a bounded
 * number of rounds so that one busy tunnel cannot starve the worker's
 * other connections (epoll reports the sockets again). *moved counts the
 * bytes written to to. 0, -1 when writing failed, -2 when reading did. */
static int tunnel_pump(struct conn *c, struct relay_pipe *p, int from, int to, int *from_eof,
		       uint64_t *moved, int to_client)
{
	struct relay_cache *cache = &c->w->pipes;

	for (int i = 0; i < TUNNEL_ROUNDS; i++) {
		ssize_t n;

		if (p->len) {
			n = relay_drain(cache, p, to);
			if (n == -2)
				return -1;
			if (n > 0) {
				*moved += (uint64_t)n;
				/* counted at once: a close that follows logs the tunnel */
				if (to_client) {
					c->x->bytes_to_client += (uint64_t)n;
					metrics_add(bytes_to_clients, (uint64_t)n);
				} else {
					metrics_add(bytes_from_clients, (uint64_t)n);
				}
			}
			if (p->len)
				return 0;       /* to is full: EPOLLOUT brings us back */
		}
		if (*from_eof)
			return 0;
		n = relay_fill(cache, p, from, SIZE_MAX >> 1);
		if (n == 0)
			*from_eof = 1;
		if (n == -2)
			return -2;
		if (n == -3) {
			/* out of descriptors: the buffers carry on, nothing is lost */
			c->no_splice = 1;
			return 0;
		}
		if (n <= 0)
			return 0;
	}
	return 0;
}

/* Run both directions of a tunnel that splices; -1 if c was closed. */
static int conn_tunnel_splice(struct conn *c)
{
	uint64_t up = 0, down = 0;
	int rc;

	if (tunnel_splices_up(c)) {
		rc = tunnel_pump(c, &c->up_pipe, c->cw.fd, c->uw.fd, &c->client_eof, &up, 0);
		if (rc < 0) {
			conn_close(c, rc == -1 ? "tunnel upstream write failed" : "client read error");
			return -1;
		}
	}
	if (tunnel_splices_down(c)) {
		rc = tunnel_pump(c, &c->cl_pipe, c->uw.fd, c->cw.fd, &c->upstream_eof, &down, 1);
		if (rc < 0) {
			conn_close(c, rc == -1 ? "client write failed" : "tunnel upstream read error");
			return -1;
		}
	}
	if (up || down)
		c->deadline = loop_now(c->w->loop) + c->w->cfg->tunnel_idle_timeout;
	return 0;
}

/* A response body that needs no parsing (Content-Length, or until the
 * origin closes; not chunked) moves through a pipe like a tunnel once the
 * head and whatever came with it have left the buffers. */
static int body_splices(const struct conn *c)
{
	const struct exchange *x = c->x;

	return c->state == CS_EXCHANGE && !c->no_splice && x && x->rs != RS_HEAD &&
	       !buf_len(&c->ubuf) &&
	       !buf_len(&c->to_cl) &&
	       (x->resp_body == HTTP_BODY_LENGTH || x->resp_body == HTTP_BODY_CLOSE) &&
	       (x->rs == RS_BODY || c->cl_pipe.len);
}

/* Fill the pipe from the origin (never past the body's length, so a kept-
 * alive upstream stays in step) and drain it to the client, in bounded
 * rounds. -1 if c was closed. */
static int conn_body_splice(struct conn *c)
{
	struct relay_cache *cache = &c->w->pipes;
	struct exchange *x = c->x;

	for (int i = 0; i < TUNNEL_ROUNDS; i++) {
		ssize_t n;

		if (c->cl_pipe.len) {
			n = relay_drain(cache, &c->cl_pipe, c->cw.fd);
			if (n == -2) {
				conn_close(c, "client write failed");
				return -1;
			}
			if (n > 0) {
				/* counted at once: a close below logs the exchange */
				x->bytes_to_client += (uint64_t)n;
				metrics_add(bytes_to_clients, (uint64_t)n);
			}
			if (c->cl_pipe.len)
				break;          /* the client is full: EPOLLOUT brings us back */
		}
		if (x->rs != RS_BODY || c->upstream_eof)
			break;
		n = relay_fill(cache, &c->cl_pipe, c->uw.fd,
			       x->resp_body == HTTP_BODY_LENGTH ? (size_t)x->resp_remaining : SIZE_MAX >> 1);
		if (n == -3) {
			/* out of descriptors: the buffers carry on, nothing is lost */
			c->no_splice = 1;
			break;
		}
		if (n == 0 || n == -2) {
			/* the origin's end: complete for a close-delimited body
			 * that ends in a close, an error for one whose length was
			 * promised or that ends in a reset */
			conn_upstream_eof(c, n == -2);
			if (c->closed)
				return -1;
			continue;
		}
		if (n < 0)
			break;
		c->deadline = loop_now(c->w->loop) + c->w->cfg->upstream_timeout;
		if (x->resp_body == HTTP_BODY_LENGTH) {
			x->resp_remaining -= (uint64_t)n;
			if (x->resp_remaining == 0)
				x->rs = RS_DONE;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the state machine */

/* Interest in events follows from the state; computed in one place. */
static void conn_update(struct conn *c)
{
	struct loop *loop = c->w->loop;
	struct exchange *x = c->x;
	uint32_t cev = 0, uev = 0;
	int want_client_input = 0;

	if (c->closed)
		return;
	switch (c->state) {
	case CS_IDLE:
	case CS_HEAD:
		want_client_input = !c->close_after;
		break;
	case CS_EXCHANGE:
	case CS_CONNECT:
	case CS_RESOLVE:
		/* a request body moves as fast as the origin takes it; after a
		 * complete request, whatever the client sends next (a pipelined
		 * request) waits in cbuf. Watching for it keeps the client's
		 * watch unchanged through a keep-alive exchange, where dropping
		 * and re-adding it cost two epoll_ctl calls per request. */
		want_client_input = x && (x->req_done || buf_len(&c->to_up) < BUF_SIZE);
		break;
	case CS_TUNNEL:
		want_client_input = buf_len(&c->to_up) < BUF_SIZE && !c->up_pipe.len;
		break;
	case CS_DISCARD:
	case CS_PEEK:
		want_client_input = 1;
		break;
	default:
		break;
	}
	if (want_client_input && !c->client_eof && buf_len(&c->cbuf) < HEAD_BUF_MAX)
		cev |= EPOLLIN;
	if (buf_len(&c->to_cl) || c->cl_pipe.len)
		cev |= EPOLLOUT;
	loop_watch_set(loop, &c->cw, cev);

	if (c->uw.added) {
		if (c->state == CS_CONNECT)
			uev = EPOLLOUT;
		else {
			if ((x && x->uhead && x->uhead_off < x->uhead_len) || buf_len(&c->to_up) ||
			    c->up_pipe.len)
				uev |= EPOLLOUT;
			if (!c->upstream_eof && buf_len(&c->ubuf) < BUF_SIZE * 2 &&
			    buf_len(&c->to_cl) < BUF_SIZE && !c->cl_pipe.len)
				uev |= EPOLLIN;
		}
		loop_watch_set(loop, &c->uw, uev);
	}
}

/* Run the connection forward as far as the data at hand allows. */
static void conn_process(struct conn *c)
{
	int progress = 1;

	while (!c->closed && progress) {
		enum conn_state before = c->state;
		size_t cbuf_before = buf_len(&c->cbuf), ubuf_before = buf_len(&c->ubuf);
		size_t to_cl_before = buf_len(&c->to_cl);

		progress = 0;
		switch (c->state) {
		case CS_IDLE:
		case CS_HEAD:
			if (c->close_after)
				break;
			conn_read_head(c);
			break;
		case CS_EXCHANGE:
		case CS_CONNECT:
		case CS_RESOLVE:
			if (c->x && !c->x->req_done && conn_relay_request_body(c, 0) < 0) {
				if (c->x->response_started) {
					conn_close(c, "bad request body");
					return;
				}
				/* RFC 9112 §7.1: a broken chunked body. The origin
				 * connection is dropped unfinished, so it never takes
				 * what follows for a request of its own (smuggling), and
				 * the client is told why; a name lookup still in flight
				 * is no longer wanted */
				conn_close_upstream(c);
				resolve_cancel(c->lookup);
				c->lookup = NULL;
				log_info("conn %llu: bad request: malformed chunked body",
					 (unsigned long long)c->id);
				conn_error(c, 400, "Bad request: malformed chunked body.\n");
				c->cbuf.start = c->cbuf.end;
				c->client_eof = 1;
				break;
			}
			if (c->state == CS_EXCHANGE) {
				if (conn_flush_upstream(c) < 0) {
					c->upstream_eof = 1;
					conn_upstream_eof(c, 1);
					break;
				}
				conn_relay_response(c);
				if (!c->closed && body_splices(c) && conn_body_splice(c) < 0)
					return;
				/* done once the last byte has left the buffer and the
				 * pipe: the log counts what the client was sent */
				if (!c->closed && c->state == CS_EXCHANGE && c->x && c->x->rs == RS_DONE &&
				    !c->cl_pipe.len && !buf_len(&c->to_cl)) {
					/* a response that came before the whole request body leaves
					 * the connection out of step: it cannot be reused */
					if (!c->x->req_done)
						c->x->client_keepalive = 0;
					conn_finish_exchange(c);
				}
			}
			break;
		case CS_TUNNEL:
			if (buf_len(&c->cbuf)) {
				if (buf_append(&c->to_up, c->cbuf.data + c->cbuf.start, buf_len(&c->cbuf)) < 0) {
					conn_close(c, "out of memory");
					return;
				}
				c->cbuf.start = c->cbuf.end;
			}
			if (buf_len(&c->ubuf) && buf_len(&c->to_cl) < BUF_SIZE) {
				if (buf_append(&c->to_cl, c->ubuf.data + c->ubuf.start, buf_len(&c->ubuf)) < 0) {
					conn_close(c, "out of memory");
					return;
				}
				c->ubuf.start = c->ubuf.end;
			}
			if (conn_flush_upstream(c) < 0) {
				conn_close(c, "tunnel upstream write failed");
				return;
			}
			if (buf_len(&c->to_cl) && conn_flush_client(c) < 0)
				return;
			if (conn_tunnel_splice(c) < 0)
				return;
			if (c->client_eof && !buf_len(&c->to_up) && !c->up_pipe.len)
				shutdown(c->uw.fd, SHUT_WR);
			if (c->upstream_eof && !buf_len(&c->to_cl) && !c->cl_pipe.len)
				shutdown(c->cw.fd, SHUT_WR);
			if (c->client_eof && c->upstream_eof && !buf_len(&c->to_cl) && !buf_len(&c->to_up) &&
			    !c->up_pipe.len && !c->cl_pipe.len) {
				conn_close(c, "tunnel closed");
				return;
			}
			break;
		case CS_RESPOND:
			/* our own answer is queued: read past a refused body, then go
			 * back for the next request (or close) */
			if (c->x && !c->x->req_done && c->x->req_body != HTTP_BODY_NONE && !c->close_after) {
				c->state = CS_DISCARD;
				break;
			}
			if (buf_len(&c->to_cl) == 0) {
				conn_finish_exchange(c);
				if (c->closed)
					return;
			}
			break;
		case CS_DISCARD:
			if (conn_relay_request_body(c, 1) < 0) {
				conn_close(c, "bad request body");
				return;
			}
			if (c->x->req_done) {
				c->state = CS_RESPOND;
				c->x->req_body = HTTP_BODY_NONE;
			}
			break;
		case CS_AUTH:
			break;
		case CS_PEEK:
			conn_peek_hello(c);
			break;
		}
		if (c->closed)
			return;
		if (conn_flush_client(c) < 0)
			return;
		/* flushing counts: a response of our own queued before we were
		 * called (after a gate or DNS wait) is done only once written */
		if (c->state != before || buf_len(&c->cbuf) != cbuf_before ||
		    buf_len(&c->ubuf) != ubuf_before || buf_len(&c->to_cl) != to_cl_before)
			progress = 1;
	}
	if (!c->closed) {
		if (c->state == CS_IDLE && buf_len(&c->cbuf) == 0) {
			buf_trim(&c->cbuf);
			/* a client that half-closed still reads the rest of its answer */
			if (c->client_eof && buf_len(&c->to_cl) == 0) {
				conn_close(c, "client closed");
				return;
			}
		}
		conn_update(c);
	}
}

static void conn_client_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, cw));

	(void)loop;
	if (c->closed)
		return;
	if (events & EPOLLOUT) {
		if (conn_flush_client(c) < 0)
			return;
	}
	/* a splicing tunnel reads in conn_tunnel_splice */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !tunnel_splices_up(c)) {
		ssize_t n = read_into(w->fd, &c->cbuf, HEAD_BUF_MAX);

		if (n == -2 || (n == 0 && c->state != CS_TUNNEL && buf_len(&c->to_cl) == 0 &&
				(c->state == CS_IDLE || c->state == CS_HEAD || c->state == CS_PEEK))) {
			conn_close(c, n == 0 ? "client closed" : "client read error");
			return;
		}
		if (n == 0)
			c->client_eof = 1;
		if (n > 0) {
			metrics_add(bytes_from_clients, (uint64_t)n);
			if (c->state == CS_TUNNEL)
				c->deadline = loop_now(c->w->loop) + c->w->cfg->tunnel_idle_timeout;
			else if (c->state == CS_EXCHANGE && c->x && !c->x->req_done)
				c->deadline = loop_now(c->w->loop) + c->w->cfg->upstream_timeout;
		}
		if (n == 0 && c->state != CS_TUNNEL && c->x && !c->x->req_done) {
			conn_close(c, "client closed mid-request");
			return;
		}
	}
	conn_process(c);
}

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
			if (w->neigh && nft_conn_mac(w->neigh, (struct sockaddr *)&ss,
						     (struct sockaddr *)&c->orig_dst, c->mac) != 0)
				memset(c->mac, 0, sizeof(c->mac));
		}
		if (loop_watch_add(loop, &c->cw, fd, EPOLLIN, conn_client_cb) < 0) {
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
	const struct sockaddr *peer = (const struct sockaddr *)&c->peer;

	if (!c->x->user[0])
		return gate_whitelisted(g, peer) ||
		       (c->kind != CK_EXPLICIT && gate_session_alive(g, peer));
	if (c->kind != CK_EXPLICIT)
		return gate_session_alive(g, peer);
	return gate_user_usable(g, c->x->user, c->x->credential);
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
		/* an end of authorisation ends what it let through: a kicked
		 * or expired session its intercepted connections (the kernel
		 * cuts the forwarded ones), a disabled, deleted or expired user
		 * its explicit tunnels and transfers, a removed whitelist entry
		 * what it passed without credentials */
		if (c->x && (c->state == CS_TUNNEL || c->state == CS_EXCHANGE) &&
		    !conn_authorisation_holds(c)) {
			conn_close(c, c->x->user[0] && c->kind != CK_EXPLICIT ? "session ended" :
				   c->x->user[0] ? "user no longer allowed" : "no longer whitelisted");
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

struct proxy *proxy_new(const struct config *cfg, struct gate *gate, struct accesslog *log,
			char *err, size_t errlen)
{
	struct proxy *p = calloc(1, sizeof(*p));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->gate = gate;
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
		if (cfg->intercept_interface[0]) {
			w->neigh = nft_open(err, errlen);
			if (!w->neigh)
				goto fail;
			nft_set_interface(w->neigh, cfg->intercept_interface);
		}
		for (size_t k = 0; k < cfg->n_proxy_listen + (cfg->intercept_interface[0] ? 2 : 0); k++) {
			struct config_addr ia;
			const struct config_addr *a = &cfg->proxy_listen[k];
			int fd;

			if (k >= cfg->n_proxy_listen) {
				/* the intercept pair: any address, both families, but
				 * only what came in through the LAN interface (the
				 * nftables redirect brings LAN traffic here): from
				 * the WAN side these ports are closed */
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ia.sa;
				int tls = k == cfg->n_proxy_listen + 1;

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
			fd = listen_socket(a, k >= cfg->n_proxy_listen ? cfg->intercept_interface : NULL,
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
		nft_close(w->neigh);
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

unsigned proxy_workers(const struct proxy *p)
{
	return p->n_workers;
}
