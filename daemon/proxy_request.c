/* proxy_request — requests: the head the origin gets, the gate's verdict on the
 * client, reading a request head and relaying its body. */
#include "proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate.h"
#include "log.h"
#include "metrics.h"
#include "sessions.h"

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
void conn_forward(struct conn *c, const struct http_request *r, size_t head_len)
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
	int n = gate_challenge_headers(p->gate, (const struct sockaddr *)&c->peer, headers,
				       sizeof(headers), stale, c->tls != NULL);

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
int conn_refused_keep(struct conn *c, const struct http_request *r, size_t head_len)
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
	case GATE_PASS: {
		char body[POLICY_GROUP_MAX + POLICY_HOST_MAX + 512];

		http_text_copy(x->user, sizeof(x->user), res->username, strlen(res->username));
		x->credential = res->credential;
		if (conn_group_policy_refused(c, &res->attrs, body, sizeof(body))) {
			conn_refused_keep(c, r, head_len);
			conn_error(c, 403, body);
			return;
		}
		if (conn_quota_refused(c)) {
			conn_refused_keep(c, r, head_len);
			return;
		}
		if (res->negotiated)
			http_text_copy(c->negotiated_user, sizeof(c->negotiated_user), res->username,
				       strlen(res->username));
		conn_shape(c, &res->attrs);
		conn_forward(c, r, head_len);
		return;
	}
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

/* Whether a Proxy-Authorization value is of the Negotiate scheme. */
static int conn_is_negotiate(const char *value, size_t len)
{
	while (len && (*value == ' ' || *value == '\t')) {
		value++;
		len--;
	}
	return len >= 10 && strncasecmp(value, "Negotiate ", 10) == 0;
}

static struct gate_query gate_query_for(struct conn *c, const struct http_request *r)
{
	struct gate_query q = { 0 };
	const struct http_header *h;

	q.mode = GATE_MODE_EXPLICIT;
	q.client = (const struct sockaddr *)&c->peer;
	q.tls = c->tls != NULL;
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
	/* a connection Negotiate authenticated stays so for its life; a
	 * request on it with other credentials is checked as sent */
	if (c->negotiated_user[0] && (!q.authorization ||
				      conn_is_negotiate(q.authorization, q.authorization_len))) {
		memset(&res, 0, sizeof(res));
		res.verdict = GATE_PASS;
		res.negotiated = 1;
		res.credential = SESSIONS_CREDENTIAL_REMOTE;
		http_text_copy(res.username, sizeof(res.username), c->negotiated_user,
			       strlen(c->negotiated_user));
		conn_apply_verdict(c, r, head_len, &res);
		return;
	}
	if (gate_check(p->gate, &q, &res, c->w->loop, conn_gate_done, c) == 1) {
		c->pending = 1;
		c->state = CS_AUTH;
		return;
	}
	conn_apply_verdict(c, r, head_len, &res);
}

/* Parse and act on the next request head in cbuf. */
void conn_read_head(struct conn *c)
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
int conn_relay_request_body(struct conn *c, int discard)
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
