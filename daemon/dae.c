#include "dae.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cidr.h"
#include "config.h"
#include "intercept.h"
#include "log.h"
#include "radius_dae.h"
#include "secretfile.h"
#include "sessions.h"

#define SECRET_MAX     256
#define DUP_SLOTS      64       /* answers kept for requests sent again */
#define DUP_WINDOW_MS  10000    /* how long an answer is kept */

/* the drops the log tells about, one line a second each */
enum drop_kind {
	DROP_CLIENT,             /* not from dae_clients */
	DROP_SIGNATURE,          /* malformed or not signed with the secret */
	DROP_KINDS,
};

struct dup_slot {
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t id;
	uint8_t authenticator[RADIUS_AUTH_LEN];
	int64_t at_ms;           /* 0: empty */
	uint8_t answer[RADIUS_PACKET_MAX];
	size_t answer_len;
};

struct drop_log {
	int64_t last_ms;
	unsigned suppressed;
};

struct dae {
	const struct config *cfg;
	struct intercept *ix;
	int fd;
	int stop[2];             /* a pipe: its write end stops the thread */
	pthread_t thread;
	int started;
	uint8_t secret[SECRET_MAX];
	size_t secret_len;
	char nas_identifier[64];
	struct dup_slot dup[DUP_SLOTS];
	size_t dup_next;
	struct drop_log drops[DROP_KINDS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *code_name(int code)
{
	switch (code) {
	case RADIUS_DISCONNECT_REQUEST: return "Disconnect-Request";
	case RADIUS_DISCONNECT_ACK: return "Disconnect-ACK";
	case RADIUS_DISCONNECT_NAK: return "Disconnect-NAK";
	case RADIUS_COA_REQUEST: return "CoA-Request";
	case RADIUS_COA_ACK: return "CoA-ACK";
	case RADIUS_COA_NAK: return "CoA-NAK";
	}
	return "?";
}

/* A dropped request, in the log at most once a second per kind: a flood
 * of forged packets must not become a flood of lines. */
static void log_drop(struct dae *d, enum drop_kind kind, const char *from, const char *why)
{
	struct drop_log *l = &d->drops[kind];
	int64_t now = mono_ms();

	if (l->last_ms && now - l->last_ms < 1000) {
		l->suppressed++;
		return;
	}
	if (l->suppressed)
		log_warn("radius dae: request from %s dropped: %s (and %u more dropped for this "
			 "reason since the last line)", from, why, l->suppressed);
	else
		log_warn("radius dae: request from %s dropped: %s", from, why);
	l->last_ms = now;
	l->suppressed = 0;
}

static struct dup_slot *dup_find(struct dae *d, const struct sockaddr_storage *from,
				 socklen_t fromlen, const uint8_t *pkt)
{
	int64_t now = mono_ms();

	for (size_t i = 0; i < DUP_SLOTS; i++) {
		struct dup_slot *s = &d->dup[i];

		if (s->at_ms && now - s->at_ms < DUP_WINDOW_MS && s->fromlen == fromlen &&
		    memcmp(&s->from, from, fromlen) == 0 && s->id == pkt[1] &&
		    memcmp(s->authenticator, pkt + 4, RADIUS_AUTH_LEN) == 0)
			return s;
	}
	return NULL;
}

static void dup_keep(struct dae *d, const struct sockaddr_storage *from, socklen_t fromlen,
		     const uint8_t *pkt, const uint8_t *answer, size_t answer_len)
{
	struct dup_slot *s = &d->dup[d->dup_next];

	d->dup_next = (d->dup_next + 1) % DUP_SLOTS;
	memcpy(&s->from, from, fromlen);
	s->fromlen = fromlen;
	s->id = pkt[1];
	memcpy(s->authenticator, pkt + 4, RADIUS_AUTH_LEN);
	memcpy(s->answer, answer, answer_len);
	s->answer_len = answer_len;
	s->at_ms = mono_ms();
}

/* Act on a verified, parsed request: 1 ACK, 0 NAK with *cause. */
static int act(struct dae *d, const struct radius_dae_request *rq, const char *from,
	       uint32_t *cause)
{
	struct sockaddr_storage client;
	struct sessions_match m = { 0 };
	char user[4 * RADIUS_STRING_MAX + 8];
	int n;

	log_escape(user, sizeof(user), rq->user, strlen(rq->user));
	if (rq->invalid) {
		*cause = RADIUS_ERROR_INVALID_ATTRIBUTE_VALUE;
		return 0;
	}
	if (rq->unsupported) {
		*cause = RADIUS_ERROR_UNSUPPORTED_ATTRIBUTE;
		return 0;
	}
	if (rq->has_nas_identifier && strcmp(rq->nas_identifier, d->nas_identifier) != 0) {
		*cause = RADIUS_ERROR_NAS_MISMATCH;
		return 0;
	}
	if (!rq->has_user && !rq->has_framed_ip && !rq->has_framed_ipv6 && !rq->has_calling_mac &&
	    !rq->has_session_id) {
		*cause = RADIUS_ERROR_MISSING_ATTRIBUTE;
		return 0;
	}
	memset(&client, 0, sizeof(client));
	if (rq->has_framed_ip && rq->has_framed_ipv6) {
		*cause = RADIUS_ERROR_SESSION_NOT_FOUND;   /* one address is one session's */
		return 0;
	}
	if (rq->has_framed_ip) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&client;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, rq->framed_ip, 4);
		m.client = (const struct sockaddr *)&client;
	} else if (rq->has_framed_ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&client;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, rq->framed_ipv6, 16);
		m.client = (const struct sockaddr *)&client;
	}
	m.user = rq->has_user ? rq->user : NULL;
	m.mac = rq->has_calling_mac ? rq->calling_mac : NULL;
	if (rq->code == RADIUS_DISCONNECT_REQUEST) {
		n = intercept_disconnect(d->ix, &m, rq->has_session_id ? rq->session_id : NULL);
		log_notice("radius dae: Disconnect-Request from %s id=%u user=\"%s\": %d session(s) "
			   "ended", from, rq->id, user, n < 0 ? 0 : n);
	} else {
		/* 0 would be "unchanged": a session cannot be given no time */
		if (rq->session_timeout == 0 || rq->idle_timeout == 0) {
			*cause = RADIUS_ERROR_INVALID_ATTRIBUTE_VALUE;
			return 0;
		}
		if (rq->session_timeout < 0 && rq->idle_timeout < 0) {
			*cause = RADIUS_ERROR_MISSING_ATTRIBUTE;
			return 0;
		}
		n = intercept_change_limits(d->ix, &m, rq->has_session_id ? rq->session_id : NULL,
					    rq->session_timeout > 0 ? (unsigned)rq->session_timeout : 0,
					    rq->idle_timeout > 0 ? (unsigned)rq->idle_timeout : 0);
		log_notice("radius dae: CoA-Request from %s id=%u user=\"%s\" session_timeout=%ld "
			   "idle_timeout=%ld: %d address(es) changed", from, rq->id, user,
			   rq->session_timeout, rq->idle_timeout, n);
	}
	if (n < 0) {
		*cause = RADIUS_ERROR_RESOURCES_UNAVAILABLE;
		return 0;
	}
	if (n == 0) {
		*cause = RADIUS_ERROR_SESSION_NOT_FOUND;
		return 0;
	}
	return 1;
}

static void handle(struct dae *d, const uint8_t *pkt, size_t len,
		   const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct radius_dae_request rq;
	enum radius_dae_check c;
	struct dup_slot *dup;
	uint8_t answer[RADIUS_PACKET_MAX];
	char addr[64];
	uint32_t cause = 0;
	int ack, n;

	cidr_addr_text((const struct sockaddr *)from, addr, sizeof(addr));
	if (!cidr_match_any(d->cfg->radius_dae_clients, d->cfg->n_radius_dae_clients,
			    (const struct sockaddr *)from)) {
		log_drop(d, DROP_CLIENT, addr, "not an address of [radius] dae_clients");
		return;
	}
	c = radius_dae_verify_request(pkt, len, d->secret, d->secret_len);
	if (c != RADIUS_DAE_OK) {
		log_drop(d, DROP_SIGNATURE, addr, radius_dae_check_str(c));
		return;
	}
	dup = dup_find(d, from, fromlen, pkt);
	if (dup) {
		log_info("radius dae: %s from %s id=%u sent again: the first answer repeated",
			 code_name(pkt[0]), addr, pkt[1]);
		sendto(d->fd, dup->answer, dup->answer_len, 0, (const struct sockaddr *)from, fromlen);
		return;
	}
	if (radius_dae_parse_request(pkt, len, &rq) < 0)
		return;      /* verified framing: cannot happen */
	ack = act(d, &rq, addr, &cause);
	n = radius_dae_build_answer(answer, sizeof(answer), pkt, len, ack, cause, d->secret,
				    d->secret_len);
	if (n < 0) {
		log_error("radius dae: cannot build the answer to %s from %s", code_name(pkt[0]), addr);
		return;
	}
	if (!ack)
		log_notice("radius dae: %s from %s id=%u: %s, Error-Cause %u", code_name(pkt[0]),
			   addr, pkt[1], code_name(answer[0]), cause);
	dup_keep(d, from, fromlen, pkt, answer, (size_t)n);
	if (sendto(d->fd, answer, (size_t)n, 0, (const struct sockaddr *)from, fromlen) < 0)
		log_warn("radius dae: cannot answer %s: %s", addr, strerror(errno));
}

static void *dae_thread(void *arg)
{
	struct dae *d = arg;
	uint8_t pkt[RADIUS_PACKET_MAX + 1];

	for (;;) {
		struct pollfd p[2] = { { d->fd, POLLIN, 0 }, { d->stop[0], POLLIN, 0 } };
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("radius dae: poll: %s; the listener stops", strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (!(p[0].revents & POLLIN))
			continue;
		n = recvfrom(d->fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0)
			continue;
		/* a datagram longer than a RADIUS packet can be is not one */
		if ((size_t)n > RADIUS_PACKET_MAX)
			n = 0;
		handle(d, pkt, (size_t)n, &from, fromlen);
	}
}

struct dae *dae_new(const struct config *cfg, struct intercept *ix, char *err, size_t errlen)
{
	struct dae *d = calloc(1, sizeof(*d));
	long n;
	int off = 0;

	if (!d) {
		snprintf(err, errlen, "radius dae: out of memory");
		return NULL;
	}
	d->cfg = cfg;
	d->ix = ix;
	d->fd = -1;
	d->stop[0] = d->stop[1] = -1;
	n = secretfile_read(cfg->radius_secret_file, (char *)d->secret, sizeof(d->secret), err,
			    errlen);
	if (n < 0)
		goto fail;
	d->secret_len = (size_t)n;
	if (cfg->radius_nas_identifier[0])
		snprintf(d->nas_identifier, sizeof(d->nas_identifier), "%s", cfg->radius_nas_identifier);
	else if (gethostname(d->nas_identifier, sizeof(d->nas_identifier) - 1) < 0)
		snprintf(d->nas_identifier, sizeof(d->nas_identifier), "portcullis");
	d->fd = socket(cfg->radius_dae_listen.sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0)
		goto sys_fail;
	/* "*:PORT" is dual-stack */
	if (cfg->radius_dae_listen.sa.ss_family == AF_INET6)
		setsockopt(d->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(d->fd, (const struct sockaddr *)&cfg->radius_dae_listen.sa,
		 cfg->radius_dae_listen.len) < 0)
		goto sys_fail;
	if (pipe2(d->stop, O_CLOEXEC) < 0)
		goto sys_fail;
	if (pthread_create(&d->thread, NULL, dae_thread, d) != 0) {
		errno = EAGAIN;
		goto sys_fail;
	}
	d->started = 1;
	log_notice("radius dae: Disconnect and CoA requests on %s (udp)", cfg->radius_dae_listen.text);
	return d;
sys_fail:
	snprintf(err, errlen, "radius dae: [radius] dae_listen %s: %s", cfg->radius_dae_listen.text,
		 strerror(errno));
fail:
	dae_free(d);
	return NULL;
}

void dae_free(struct dae *d)
{
	if (!d)
		return;
	if (d->started) {
		if (write(d->stop[1], "x", 1) < 0)
			log_warn("radius dae: cannot stop the listener: %s", strerror(errno));
		pthread_join(d->thread, NULL);
	}
	if (d->fd >= 0)
		close(d->fd);
	if (d->stop[0] >= 0)
		close(d->stop[0]);
	if (d->stop[1] >= 0)
		close(d->stop[1]);
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	free(d);
}
