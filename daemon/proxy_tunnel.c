/* proxy_tunnel — tunnels (CONNECT, upgrades) and bodies moved with splice(2) through
 * pipes, never through user space. */
#include "proxy_int.h"

#include "metrics.h"

/* ------------------------------------------------------------ tunnels */

/* In a tunnel a direction whose buffers are empty moves its bytes through a
 * pipe with splice(2), never through user space; bytes that arrived before
 * (a 101's leftovers, an early TLS ClientHello) go through the buffers
 * first, so the order holds. */
int tunnel_splices_up(const struct conn *c)
{
	return c->state == CS_TUNNEL && !c->no_splice && !buf_len(&c->cbuf) && !buf_len(&c->to_up);
}

int tunnel_splices_down(const struct conn *c)
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
					c->usage_out += (uint64_t)n;
				} else {
					metrics_add(bytes_from_clients, (uint64_t)n);
					c->usage_in += (uint64_t)n;
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
int conn_tunnel_splice(struct conn *c)
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
int body_splices(const struct conn *c)
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
int conn_body_splice(struct conn *c)
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
				c->usage_out += (uint64_t)n;
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
