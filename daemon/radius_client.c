#include "radius_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config.h"
#include "log.h"
#include "secretfile.h"

#define SECRET_MAX 256

struct radius_client {
	struct config_addr servers[CONFIG_MAX_RADIUS];
	size_t n_servers;
	char secret[SECRET_MAX];
	size_t secret_len;
	char nas_identifier[64];
	unsigned timeout_ms;
	unsigned retries;
};

struct radius_client *radius_client_new(const struct config *cfg, char *err, size_t errlen)
{
	struct radius_client *rc;
	long n;

	if (cfg->n_radius_servers == 0) {
		snprintf(err, errlen, "radius: [radius] servers names no server");
		return NULL;
	}
	if (!cfg->radius_secret_file[0]) {
		snprintf(err, errlen, "radius: [radius] secret_file is not set");
		return NULL;
	}
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		snprintf(err, errlen, "radius: out of memory");
		return NULL;
	}
	n = secretfile_read(cfg->radius_secret_file, rc->secret, sizeof(rc->secret), err, errlen);
	if (n < 0) {
		free(rc);
		return NULL;
	}
	rc->secret_len = (size_t)n;
	memcpy(rc->servers, cfg->radius_servers, sizeof(rc->servers));
	rc->n_servers = cfg->n_radius_servers;
	if (cfg->radius_nas_identifier[0])
		snprintf(rc->nas_identifier, sizeof(rc->nas_identifier), "%s", cfg->radius_nas_identifier);
	else if (gethostname(rc->nas_identifier, sizeof(rc->nas_identifier) - 1) < 0)
		snprintf(rc->nas_identifier, sizeof(rc->nas_identifier), "portcullis");
	rc->timeout_ms = cfg->radius_timeout * 1000u;
	rc->retries = cfg->radius_retries;
	return rc;
}

void radius_client_free(struct radius_client *rc)
{
	if (!rc)
		return;
	OPENSSL_cleanse(rc->secret, sizeof(rc->secret));
	free(rc);
}

const char *radius_outcome_str(enum radius_outcome o)
{
	switch (o) {
	case RADIUS_OUTCOME_ACCEPT: return "accept";
	case RADIUS_OUTCOME_REJECT: return "reject";
	case RADIUS_OUTCOME_UNREACHABLE: return "unreachable";
	case RADIUS_OUTCOME_INVALID: return "invalid";
	}
	return "unknown";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum exchange {
	EXCHANGE_ANSWERED,
	EXCHANGE_SILENT,    /* no valid answer in time, or nothing listens: next server */
	EXCHANGE_INVALID,   /* the request cannot be built */
};

/*
 * One server: a socket of its own connected to it (the kernel then drops
 * datagrams from any other address), one request, sent up to retries + 1
 * times, each followed by a wait of timeout for a valid answer.
 */
static enum exchange ask_server(struct radius_client *rc, const struct config_addr *server,
				const struct radius_client_query *q, struct radius_result *res)
{
	uint8_t pkt[RADIUS_PACKET_MAX], answer[RADIUS_PACKET_MAX], auth[RADIUS_AUTH_LEN], id;
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	struct radius_request rq = {
		.user = q->user, .user_len = q->user_len,
		.password = q->password, .password_len = q->password_len,
		.nas_identifier = rc->nas_identifier,
		.client = q->client, .client_mac = q->client_mac,
		.service_type = RADIUS_SERVICE_LOGIN, .nas_port_type = RADIUS_PORT_TYPE_ETHERNET,
	};
	enum exchange ret = EXCHANGE_SILENT;
	int fd, len;

	fd = socket(server->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("radius: %s: socket: %s", server->text, strerror(errno));
		return EXCHANGE_SILENT;
	}
	if (connect(fd, (const struct sockaddr *)&server->sa, server->len) < 0) {
		log_warn("radius: %s: %s", server->text, strerror(errno));
		goto out;
	}
	/* the address the server sees us at is the NAS-IP(v6)-Address */
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
		rq.nas_address = (const struct sockaddr *)&local;
	if (RAND_bytes(auth, sizeof(auth)) != 1 || RAND_bytes(&id, 1) != 1) {
		log_warn("radius: no random bytes for a request");
		goto out;
	}
	len = radius_build_access_request(pkt, sizeof(pkt), id, auth, &rq,
					  (const uint8_t *)rc->secret, rc->secret_len);
	if (len < 0) {
		ret = EXCHANGE_INVALID;
		goto out;
	}
	for (unsigned attempt = 0; attempt <= rc->retries; attempt++) {
		int64_t deadline;

		if (send(fd, pkt, (size_t)len, 0) < 0) {
			log_info("radius: %s: %s", server->text, strerror(errno));
			goto out;
		}
		deadline = now_ms() + rc->timeout_ms;
		for (;;) {
			int64_t left = deadline - now_ms();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			enum radius_check c;
			ssize_t n;
			int pr;

			if (left <= 0)
				break;
			pr = poll(&pfd, 1, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				break;
			n = recv(fd, answer, sizeof(answer), 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				/* ICMP port unreachable: nothing listens there */
				log_info("radius: %s: %s", server->text, strerror(errno));
				goto out;
			}
			c = radius_verify_answer(answer, (size_t)n, id, auth,
						 (const uint8_t *)rc->secret, rc->secret_len);
			if (c == RADIUS_OK) {
				radius_parse_reply(answer, (size_t)n, &res->reply);
				snprintf(res->server, sizeof(res->server), "%s", server->text);
				ret = EXCHANGE_ANSWERED;
				goto out;
			}
			if (c == RADIUS_WRONG_ID || c == RADIUS_MALFORMED || c == RADIUS_NOT_AN_ANSWER) {
				log_debug("radius: %s: datagram ignored: %s", server->text,
					  radius_check_str(c));
				continue;
			}
			/* an answer to this very request that is not the
			 * server's: an attacker, or a secret that differs */
			res->refused++;
			res->refusal = c;
			snprintf(res->refused_from, sizeof(res->refused_from), "%s", server->text);
			log_warn("radius: %s: answer refused: %s", server->text, radius_check_str(c));
		}
	}
out:
	OPENSSL_cleanse(pkt, sizeof(pkt));
	close(fd);
	return ret;
}

enum radius_outcome radius_client_authenticate(struct radius_client *rc,
					       const struct radius_client_query *q,
					       struct radius_result *res)
{
	memset(res, 0, sizeof(*res));
	res->reply.session_timeout = res->reply.idle_timeout = res->reply.acct_interim_interval = -1;
	res->outcome = RADIUS_OUTCOME_UNREACHABLE;
	for (size_t i = 0; i < rc->n_servers; i++) {
		enum exchange e = ask_server(rc, &rc->servers[i], q, res);

		if (e == EXCHANGE_INVALID) {
			res->outcome = RADIUS_OUTCOME_INVALID;
			break;
		}
		if (e == EXCHANGE_ANSWERED) {
			res->outcome = res->reply.code == RADIUS_ACCESS_ACCEPT ? RADIUS_OUTCOME_ACCEPT
									     : RADIUS_OUTCOME_REJECT;
			break;
		}
		if (i + 1 < rc->n_servers)
			log_notice("radius: %s did not answer; asking %s", rc->servers[i].text,
				   rc->servers[i + 1].text);
	}
	if (res->outcome == RADIUS_OUTCOME_UNREACHABLE)
		log_warn("radius: no server answered");
	return res->outcome;
}
