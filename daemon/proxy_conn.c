/* proxy_conn — a connection's buffers and helpers, its own responses, its life
 * and death (conn_close), its I/O, and the state machine that drives it. */
#include "proxy_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connlimit.h"
#include "log.h"
#include "metrics.h"

/* ------------------------------------------------------------ buffers */

size_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}

void buf_free(struct buf *b)
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

int buf_append(struct buf *b, const void *p, size_t n)
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
int buf_append_chunk(struct buf *b, const char *data, size_t len, int last)
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

socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

void span_copy(char *dst, size_t dstlen, struct http_span s)
{
	size_t n = s.len < dstlen - 1 ? s.len : dstlen - 1;

	if (n)      /* an absent span has no pointer (origin-form Host) */
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* ------------------------------------------------------------ responses */

static void exchange_free(struct exchange *x)
{
	if (!x)
		return;
	gate_policy_release(&x->policy);
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
void conn_respond_typed(struct conn *c, int status, const char *tag, const char *ctype,
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

void conn_respond(struct conn *c, int status, const char *tag, const char *extra_headers,
		  const char *body, int keep)
{
	conn_respond_typed(c, status, tag, "text/plain; charset=utf-8", extra_headers, body, keep);
}

void conn_error(struct conn *c, int status, const char *body)
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

void conn_free_cb(void *ptr)
{
	struct conn *c = ptr;

	buf_free(&c->cbuf);
	buf_free(&c->to_up);
	buf_free(&c->ubuf);
	buf_free(&c->to_cl);
	exchange_free(c->x);
	free(c);
}

void conn_close_upstream(struct conn *c)
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
int conn_cuts_response(const struct conn *c)
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
void conn_cut_response(struct conn *c, const char *tag)
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

void conn_close(struct conn *c, const char *why)
{
	struct proxy *p = c->w->p;
	char addr[64];

	if (c->closed)
		return;
	c->closed = 1;
	log_debug("conn %llu: closed (%s)", (unsigned long long)c->id,
		  why ? why : "done");
	conn_usage_report(c);
	if (conn_cuts_response(c))
		conn_cut_response(c, "TCP_MISS_ABORTED");
	if (c->x && c->x->tag)
		conn_log_exchange(c);
	if (c->cw.added)
		loop_watch_del(c->w->loop, &c->cw);
	if (c->tls) {
		if (c->state != CS_HANDSHAKE && !c->tls_write_closed)
			tls_conn_shutdown(c->tls);
		tls_conn_free(c->tls);
		c->tls = NULL;
	}
	if (c->cw.fd >= 0)
		close(c->cw.fd);
	c->cw.fd = -1;
	conn_close_upstream(c);
	conn_unshape(c);
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
	conn_usage_report(c);
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
		ssize_t n = c->tls ? tls_conn_write(c->tls, c->to_cl.data + c->to_cl.start,
						    buf_len(&c->to_cl))
				   : send(c->cw.fd, c->to_cl.data + c->to_cl.start, buf_len(&c->to_cl),
					  MSG_NOSIGNAL);

		if (n < 0) {
			if (c->tls ? n == -1 : (errno == EAGAIN || errno == EINTR))
				return 0;
			conn_close(c, "client write failed");
			return -1;
		}
		c->to_cl.start += (size_t)n;
		metrics_add(bytes_to_clients, (uint64_t)n);
		c->usage_out += (uint64_t)n;
		/* the access log's bytes are what the client was sent, head
		 * and body, as Squid counts them */
		if (c->x)
			c->x->bytes_to_client += (uint64_t)n;
	}
	buf_trim(&c->to_cl);
	return 0;
}

int conn_flush_upstream(struct conn *c)
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
ssize_t read_into(int fd, struct buf *b, size_t max)
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

/* The client's bytes into cbuf, in clear: read_into's answers. */
static ssize_t conn_read_client(struct conn *c)
{
	size_t room;
	ssize_t n;

	if (!c->tls)
		return read_into(c->cw.fd, &c->cbuf, HEAD_BUF_MAX);
	room = buf_room(&c->cbuf, BUF_SIZE, HEAD_BUF_MAX);
	if (room == 0)
		return -1;
	n = tls_conn_read(c->tls, c->cbuf.data + c->cbuf.end, room);
	if (n > 0)
		c->cbuf.end += (size_t)n;
	return n;
}

/* The TLS listener's handshake, as far as the bytes at hand allow; then the
 * connection waits for its first request like any other. */
static void conn_tls_handshake(struct conn *c)
{
	char why[256];
	int rc = tls_conn_handshake(c->tls, &c->tls_want, why, sizeof(why));

	if (rc < 0) {
		log_info("conn %llu: TLS handshake with %s failed: %s", (unsigned long long)c->id,
			 c->peer_text, why);
		conn_close(c, "TLS handshake failed");
		return;
	}
	if (rc == 0)
		return;
	log_debug("conn %llu: %s%s%s", (unsigned long long)c->id, tls_conn_version(c->tls),
		  tls_conn_resumed(c->tls) ? ", resumed" : "",
		  tls_conn_ktls_send(c->tls) ? ", kernel TLS" : "");
	c->state = CS_IDLE;
	c->deadline = loop_now(c->w->loop) + c->w->cfg->header_timeout;
}

/* ------------------------------------------------------------ the state machine */

/* Interest in events follows from the state; computed in one place. */
void conn_update(struct conn *c)
{
	struct loop *loop = c->w->loop;
	struct exchange *x = c->x;
	uint32_t cev = 0, uev = 0;
	int want_client_input = 0;

	if (c->closed)
		return;
	switch (c->state) {
	case CS_HANDSHAKE:
		loop_watch_set(loop, &c->cw, c->tls_want);
		return;
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
	/* bytes OpenSSL has already decrypted make the socket readable no
	 * more: asking for EPOLLOUT, which a socket with room reports at once,
	 * brings us back to read them */
	if ((cev & EPOLLIN) && c->tls && tls_conn_pending(c->tls))
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
void conn_process(struct conn *c)
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
			if (c->upstream_eof && !buf_len(&c->to_cl) && !c->cl_pipe.len) {
				if (c->tls && !c->tls_write_closed) {
					tls_conn_shutdown(c->tls);
					c->tls_write_closed = 1;
				}
				shutdown(c->cw.fd, SHUT_WR);
			}
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
		case CS_HANDSHAKE:
			conn_tls_handshake(c);
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

void conn_client_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, cw));

	(void)loop;
	if (c->closed)
		return;
	if (events & EPOLLOUT) {
		if (conn_flush_client(c) < 0)
			return;
	}
	if (c->state == CS_HANDSHAKE) {
		conn_process(c);
		return;
	}
	/* a splicing tunnel reads in conn_tunnel_splice */
	if (((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || (c->tls && tls_conn_pending(c->tls))) &&
	    !tunnel_splices_up(c)) {
		ssize_t n = conn_read_client(c);

		if (n == -2 || (n == 0 && c->state != CS_TUNNEL && buf_len(&c->to_cl) == 0 &&
				(c->state == CS_IDLE || c->state == CS_HEAD || c->state == CS_PEEK))) {
			conn_close(c, n == 0 ? "client closed" : "client read error");
			return;
		}
		if (n == 0)
			c->client_eof = 1;
		if (n > 0) {
			metrics_add(bytes_from_clients, (uint64_t)n);
			c->usage_in += (uint64_t)n;
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
