/* proxy_intercept — intercept mode: redirected port-80 requests challenged towards
 * the portal, and redirected TLS spliced after a look at its ClientHello. */
#include "proxy_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include "clienthello.h"
#include "form.h"
#include "gate.h"
#include "intercept.h"
#include "log.h"
#include "metrics.h"
#include "returnto.h"

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

void conn_handle_intercepted(struct conn *c, const struct http_request *r, size_t head_len)
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
	if (!pass && intercept_session_user(p->ix, (const struct sockaddr *)&c->peer, c->mac, user,
						  sizeof(user))) {
		pass = 1;
		http_text_copy(x->user, sizeof(x->user), user, strlen(user));
	}
	if (!pass) {
		conn_intercept_challenge(c, r, head_len);
		return;
	}
	if (x->user[0]) {
		/* a portal session's user: its local groups' policy (what a
		 * directory said of its groups is not kept with the session) */
		char body[POLICY_GROUP_MAX + POLICY_HOST_MAX + 512];

		if (conn_group_policy_refused(c, NULL, body, sizeof(body))) {
			conn_refused_keep(c, r, head_len);
			conn_error(c, 403, body);
			return;
		}
	}
	conn_forward(c, r, head_len);
}

/* Intercepted TLS: read the ClientHello for the server name, then refuse
 * (no session) or splice the connection, peeked bytes first, to its
 * original destination. Nothing is decrypted. */
void conn_peek_hello(struct conn *c)
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
	if (!pass && intercept_session_user(p->ix, (const struct sockaddr *)&c->peer, c->mac, user,
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
	if (x->user[0]) {
		/* the server name the ClientHello gave (else the original
		 * destination) against the user's group policy; refused as a
		 * session-less client is, and logged 403 with the user */
		char body[POLICY_GROUP_MAX + POLICY_HOST_MAX + 512];
		struct linger lg = { 1, 0 };

		if (conn_group_policy_refused(c, NULL, body, sizeof(body))) {
			metrics_inc(denied);
			x->status = 403;
			x->tag = "TCP_DENIED";
			body[strcspn(body, "\n")] = '\0';
			setsockopt(c->cw.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			conn_close(c, body);
			return;
		}
	}
	x->addrs[0] = c->orig_dst;
	x->n_addrs = 1;
	conn_have_addresses(c);
}

/* Where a redirected connection was going (the nat table remembers it). */
int original_dst(int fd, const struct sockaddr_storage *local, struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)local;

	memset(out, 0, sizeof(*out));
	if (local->ss_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr))
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, out, &len);
	/* a v4 client on a dual-stack socket: the IPv4 table answers */
	return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, out, &len);
}
