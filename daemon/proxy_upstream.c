/* proxy_upstream — the upstream side: relaying the response back, and finding and
 * connecting to the origin (name lookup, one address after another). */
#include "proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

static void conn_upstream_cb(struct loop *loop, struct loop_watch *w, uint32_t events);
static void conn_refuse_destination(struct conn *c, const char *why);

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
void conn_relay_response(struct conn *c)
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
void conn_upstream_eof(struct conn *c, int failed)
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

void conn_connect_next(struct conn *c)
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
		conn_shape_socket(c, fd);
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
void conn_have_addresses(struct conn *c)
{
	struct exchange *x = c->x;
	size_t kept = 0;
	const char *why = NULL;

	char pwhy[POLICY_GROUP_MAX + POLICY_HOST_MAX + 64];
	int by_policy = 0;

	for (size_t i = 0; i < x->n_addrs; i++) {
		const char *r = dest_refused(c->w, &x->addrs[i], x->port);

		if (!r && (r = policy_address_refused(x, &x->addrs[i], pwhy, sizeof(pwhy))))
			by_policy = 1;
		if (r) {
			why = r;
			continue;
		}
		x->addrs[kept++] = x->addrs[i];
	}
	x->n_addrs = kept;
	if (kept == 0 && why) {
		if (by_policy)
			metrics_inc(policy_refusals);
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
void conn_resolve(struct conn *c)
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
