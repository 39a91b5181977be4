/*
 * Explicit mode's fair share: the sockets of an explicit proxy user's
 * connections are marked (SO_PRIORITY) with the user's leaf in the
 * shaper's HTB tree, so the kernel shapes what the proxy relays for the
 * user as it shapes a device (shaper.h, "Explicit-proxy users").
 */
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "shaper.h"

/* a user's leaf outlives its last connection by this long, so that a
 * browser opening its next connection does not make it anew */
#define SHAPE_USER_IDLE_S 10

void conn_shape_socket(struct conn *c, int fd)
{
	int prio = (int)c->shape_id;
	static int warned;

	if (!c->shape_id || fd < 0)
		return;
	/* a priority above 6 needs CAP_NET_ADMIN, which the daemon keeps
	 * while [shaping] is on */
	if (setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)) < 0 &&
	    !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		log_warn("conn %llu: shaping: SO_PRIORITY refused (%s): explicit users are not "
			 "shaped", (unsigned long long)c->id, strerror(errno));
}

void conn_shape(struct conn *c, const struct idsource_attrs *attrs)
{
	struct proxy *p = c->w->p;
	char cls[SHAPER_NAME_MAX + 1];
	uint32_t id;

	if (!p->shaper || c->kind != CK_EXPLICIT)
		return;
	/* each request: a connection may carry another user's next request,
	 * and the user's class may have changed (or a used-up quota
	 * throttles the user) */
	gate_user_shape_class(p->gate, c->x->user, attrs, cls, sizeof(cls));
	id = shaper_user_hold(p->shaper, c->x->user, cls);
	shaper_user_drop(p->shaper, c->shape_id);
	if (id == c->shape_id)
		return;
	/* 0 (no leaf left): the sockets go back to the default priority */
	c->shape_id = id;
	if (!id) {
		int zero = 0;

		if (c->cw.fd >= 0)
			setsockopt(c->cw.fd, SOL_SOCKET, SO_PRIORITY, &zero, sizeof(zero));
		if (c->uw.fd >= 0)
			setsockopt(c->uw.fd, SOL_SOCKET, SO_PRIORITY, &zero, sizeof(zero));
		return;
	}
	conn_shape_socket(c, c->cw.fd);
	conn_shape_socket(c, c->uw.fd);
}

void conn_unshape(struct conn *c)
{
	shaper_user_drop(c->w->p->shaper, c->shape_id);
	c->shape_id = 0;
}

static void class_of_cb(void *ud, const char *username, char *out, size_t len)
{
	struct proxy *p = ud;

	gate_user_shape_class(p->gate, username, NULL, out, len);
}

/* On the first worker's tick (once a second): idle users leave their
 * leaves, the others follow their class's changes. */
void worker_shape_sweep(struct worker *w)
{
	if (w->index == 0 && w->p->shaper)
		shaper_users_sweep(w->p->shaper, SHAPE_USER_IDLE_S, class_of_cb, w->p);
}

/* ------------------------------------------------------------ data use */

/* What c relayed since the last report, added to its user's data use
 * (gate_usage_add). Bytes of a connection before it has a user (a 407,
 * the whitelist) wait for one, and are dropped with it. */
void conn_usage_report(struct conn *c)
{
	if (!c->usage_in && !c->usage_out)
		return;
	if (c->kind != CK_EXPLICIT || !c->x || !c->x->user[0])
		return;
	gate_usage_add(c->w->p->gate, c->x->user, (const struct sockaddr *)&c->peer, c->usage_in,
		       c->usage_out);
	c->usage_in = c->usage_out = 0;
}

/* An explicit user who has used up a data quota: a 403 saying so and
 * until when (local time), 1; else 0. */
int conn_quota_refused(struct conn *c)
{
	int64_t until = 0;
	char when[64] = "", body[256];
	time_t t;
	struct tm tm;

	if (c->kind != CK_EXPLICIT || !gate_usage_over(c->w->p->gate, c->x->user, &until))
		return 0;
	t = (time_t)until;
	if (until && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm);
	snprintf(body, sizeof(body), "Forbidden: your data quota is used up until %s, when it "
		 "starts again.\n", when[0] ? when : "its next period");
	conn_error(c, 403, body);
	return 1;
}
