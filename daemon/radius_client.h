/*
 * radius_client — asks the configured RADIUS servers whether a username
 * and password are valid (RFC 2865 over UDP), with the codec in radius.h.
 *
 * The servers of [radius] servers are tried in order: each gets the
 * request, sent again after [radius] timeout up to [radius] retries times
 * (the same identifier and Request Authenticator: a retransmission, RFC
 * 2865 §2.5), and when it stays silent (or the host says nothing listens
 * there) the next one gets a request of its own. Each request has its own
 * connected socket, so an answer from another address, a late answer to
 * an earlier server and a duplicate after the first are never read as the
 * answer. An answer that fails the checks of radius_verify_answer (wrong
 * authenticator, no or a wrong Message-Authenticator) is refused, logged
 * and counted in the result, and the wait goes on: it is not the
 * server's.
 *
 * radius_client_authenticate blocks (poll with the timeout): call it from
 * a thread that may block, never an event loop. Several threads may call
 * it at once on one client: it only reads the client after creation.
 */
#ifndef PORTCULLIS_RADIUS_CLIENT_H
#define PORTCULLIS_RADIUS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "radius.h"

struct config;
struct radius_client;

/*
 * From [radius]: the servers, the shared secret read from secret_file (a
 * file the group or others can read is refused, see secretfile.h), the
 * NAS-Identifier (the host name when empty), the timeout and retries.
 * NULL with a message in err when there is no server, no secret or the
 * file is refused. cfg is borrowed for the call.
 */
struct radius_client *radius_client_new(const struct config *cfg, char *err, size_t errlen);
void radius_client_free(struct radius_client *rc);   /* accepts NULL; wipes the secret */

/* Who asks, beside the username and password; all borrowed for the call. */
struct radius_client_query {
	const char *user;
	size_t user_len;
	const char *password;
	size_t password_len;
	const struct sockaddr *client;   /* Framed-IP-Address; NULL: unknown */
	const uint8_t *client_mac;       /* 6 bytes, Calling-Station-Id; NULL: unknown */
};

enum radius_outcome {
	RADIUS_OUTCOME_ACCEPT,
	RADIUS_OUTCOME_REJECT,        /* Access-Reject (or a Challenge, which we cannot answer) */
	RADIUS_OUTCOME_UNREACHABLE,   /* no server gave a valid answer in time */
	RADIUS_OUTCOME_INVALID,       /* the request cannot be sent (a password over 128 bytes) */
};

struct radius_result {
	enum radius_outcome outcome;
	struct radius_reply reply;       /* ACCEPT, REJECT */
	char server[64];                 /* ACCEPT, REJECT: the server that answered */
	unsigned refused;                /* answers refused as not genuine */
	enum radius_check refusal;       /* the last one's reason */
	char refused_from[64];           /* and its server */
};

/* Check q's credentials against the servers; fills *res and returns its
 * outcome. Blocks up to servers x (retries + 1) x timeout. */
enum radius_outcome radius_client_authenticate(struct radius_client *rc,
					       const struct radius_client_query *q,
					       struct radius_result *res);

const char *radius_outcome_str(enum radius_outcome o);

#endif
