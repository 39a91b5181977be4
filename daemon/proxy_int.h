/*
 * proxy_int — what the proxy's own files share and nobody else includes:
 * the connection, worker and proxy objects and the functions one file of the
 * proxy calls in another. proxy.h is the proxy's only public header.
 */
#ifndef PORTCULLIS_PROXY_INT_H
#define PORTCULLIS_PROXY_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "accesslog.h"
#include "auth.h"
#include "cidr.h"
#include "config.h"
#include "gate.h"
#include "http.h"
#include "loop.h"
#include "relay.h"
#include "resolve.h"
#include "snapshot.h"
#include "tls.h"

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
	CS_HANDSHAKE,   /* the TLS listener: the client's TLS handshake is under way */
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
	/* the user's group policy (gate_policy_find), held for the address
	 * check at connect; policy_by_name: its allow list let the host
	 * name through */
	struct gate_policy policy;
	int policy_by_name;
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
	struct tls_conn *tls;     /* from the TLS listener: the client half's TLS */
	uint32_t tls_want;        /* the event the TLS handshake waits for */
	int tls_write_closed;     /* our close_notify is sent */
	/* Negotiate (RFC 4559 §4.1) authenticates the connection, not each
	 * request: once a token passed, later requests on it pass as this
	 * user; "": not authenticated by Negotiate */
	char negotiated_user[AUTH_USER_MAX + 1];
	uint32_t shape_id;        /* explicit mode: the user's leaf the sockets are
				   * marked with (shaper_user_hold), 0 none */
	/* relayed bytes not yet added to the user's data use (in: from the
	 * client, out: to it); conn_usage_report */
	uint64_t usage_in, usage_out;
};

struct listener {
	struct loop_watch watch;
	struct worker *w;
	enum conn_kind kind;
	int tls;                  /* a [proxy] tls_listen listener */
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
	struct listener listeners[2 * CONFIG_MAX_LISTEN + 2];   /* plain, TLS, the intercept pair */
	size_t n_listeners;
	int accept_paused;
	struct conn *conns;
	int draining;
	struct intercept_macs *macs;  /* intercept mode: connections' MACs */
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
	struct intercept *ix;          /* intercept mode only */
	struct accesslog *log;
	struct tls_server *tls;           /* borrowed: the TLS listeners' certificate */
	struct resolver *resolver;        /* the lookups' cache and per-client counts */
	struct worker *workers;
	unsigned n_workers;
	uint64_t next_id;                 /* atomic */
	int64_t open_conns;               /* atomic */
	struct connlimit *per_client;     /* connections open per address */
	struct cidr builtin_deny[BUILTIN_DENY_COUNT];   /* parsed once */
	char portal_url[300];             /* intercept: where the challenge sends clients */
	struct shaper *shaper;            /* [shaping]: explicit users' leaves; borrowed */
};

/* the built-in deny ranges (proxy_policy.c), parsed into struct proxy at start */
extern const char *const builtin_deny[BUILTIN_DENY_COUNT];

/* proxy_conn.c */
size_t buf_len(const struct buf *b);
void buf_free(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_chunk(struct buf *b, const char *data, size_t len, int last);
socklen_t sa_len(const struct sockaddr_storage *ss);
void sa_set_port(struct sockaddr_storage *ss, uint16_t port);
void span_copy(char *dst, size_t dstlen, struct http_span s);
void conn_respond_typed(struct conn *c, int status, const char *tag, const char *ctype,
			const char *extra_headers, const char *body, int keep);
void conn_respond(struct conn *c, int status, const char *tag, const char *extra_headers,
		  const char *body, int keep);
void conn_error(struct conn *c, int status, const char *body);
void conn_free_cb(void *ptr);
void conn_close_upstream(struct conn *c);
int conn_cuts_response(const struct conn *c);
void conn_cut_response(struct conn *c, const char *tag);
void conn_close(struct conn *c, const char *why);
int conn_flush_upstream(struct conn *c);
ssize_t read_into(int fd, struct buf *b, size_t max);
void conn_update(struct conn *c);
void conn_process(struct conn *c);
void conn_client_cb(struct loop *loop, struct loop_watch *w, uint32_t events);

/* proxy_policy.c */
const char *self_port_refused(const struct config *cfg, uint16_t port);
const char *dest_refused(struct worker *w, const struct sockaddr_storage *ss,
			 uint16_t port);
int connect_port_allowed(const struct config *cfg, uint16_t port);
void worker_load_self(struct worker *w);

/* proxy_upstream.c */
void conn_relay_response(struct conn *c);
void conn_upstream_eof(struct conn *c, int failed);
void conn_connect_next(struct conn *c);
void conn_have_addresses(struct conn *c);
void conn_resolve(struct conn *c);

/* proxy_shape.c: also the explicit users' data use */
void conn_usage_report(struct conn *c);
int conn_quota_refused(struct conn *c);
void conn_shape(struct conn *c, const struct idsource_attrs *attrs);
void conn_shape_socket(struct conn *c, int fd);
void conn_unshape(struct conn *c);
void worker_shape_sweep(struct worker *w);

/* proxy_request.c */
void conn_forward(struct conn *c, const struct http_request *r, size_t head_len);
/* The group policy of x->user (groups from attrs, may be NULL, and the
 * local ones) on this request's host at this time: NULL to go on, else the
 * 403's text in body (the refusal counted in policy_refusals). The policy
 * is kept in x for policy_address_refused. */
const char *conn_group_policy_refused(struct conn *c, const struct idsource_attrs *attrs,
				      char *body, size_t len);
/* Why x's group policy refuses the address ss (text in body), or NULL. */
const char *policy_address_refused(struct exchange *x, const struct sockaddr_storage *ss,
				   char *body, size_t len);
int conn_refused_keep(struct conn *c, const struct http_request *r, size_t head_len);
void conn_read_head(struct conn *c);
int conn_relay_request_body(struct conn *c, int discard);

/* proxy_intercept.c */
void conn_handle_intercepted(struct conn *c, const struct http_request *r, size_t head_len);
void conn_peek_hello(struct conn *c);
int original_dst(int fd, const struct sockaddr_storage *local, struct sockaddr_storage *out);

/* proxy_tunnel.c */
int tunnel_splices_up(const struct conn *c);
int tunnel_splices_down(const struct conn *c);
int conn_tunnel_splice(struct conn *c);
int body_splices(const struct conn *c);
int conn_body_splice(struct conn *c);

#endif
