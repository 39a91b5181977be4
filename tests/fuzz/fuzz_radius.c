/* libFuzzer target: the RADIUS codec, on answers from the network (framing,
 * authenticators, attributes), on requests a server sends (Disconnect,
 * CoA: computed Request Authenticator), and on Access- and
 * Accounting-Requests built from hostile fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the seed corpus's answers are signed with this secret and answer
	 * identifier 1 with this Request Authenticator, so that mutations
	 * reach past the authenticator checks */
	static const uint8_t secret[] = "fuzz-secret";
	static const uint8_t request_auth[RADIUS_AUTH_LEN] = "0123456789abcdef";
	struct radius_reply reply;
	uint8_t out[RADIUS_PACKET_MAX];
	enum radius_check c;

	c = radius_verify_answer(data, size, 1, request_auth, secret, sizeof(secret) - 1);
	if (radius_parse_reply(data, size, &reply) == 0) {
		if (strlen(reply.reply_message) > RADIUS_REPLY_MESSAGE_MAX ||
		    reply.class_len > RADIUS_STRING_MAX)
			__builtin_trap();
		for (const char *p = reply.reply_message; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\n')
				__builtin_trap();
	} else if (c != RADIUS_MALFORMED) {
		__builtin_trap();    /* verified framing the parser refuses */
	}
	c = radius_verify_accounting_response(data, size, 1, request_auth, secret,
					      sizeof(secret) - 1);
	if (c == RADIUS_OK && (size < RADIUS_HEADER_LEN || data[0] != RADIUS_ACCOUNTING_RESPONSE))
		__builtin_trap();
	(void)radius_verify_request(data, size, secret, sizeof(secret) - 1, 1);
	/* the same bytes as a user name and password */
	if (size) {
		size_t split = data[0] % (size + 1);
		struct radius_request rq = {
			.user = (const char *)data, .user_len = split,
			.password = (const char *)data + split, .password_len = size - split,
			.nas_identifier = "fuzz",
		};
		int n = radius_build_access_request(out, sizeof(out), data[0], request_auth, &rq,
						    secret, sizeof(secret) - 1);

		if (n > (int)sizeof(out) || (n >= 0 && (n < RADIUS_HEADER_LEN ||
							((size_t)out[2] << 8 | out[3]) != (size_t)n)))
			__builtin_trap();
	}
	/* and as an accounting record's user, session id and Class; what is
	 * built must verify as a request signed with the secret */
	if (size > 2 && size < 600) {
		char user[300], sid[300];
		size_t split = data[0] % size, ulen = split < sizeof(user) - 1 ? split : sizeof(user) - 1;
		size_t slen = size - split < sizeof(sid) - 1 ? size - split : sizeof(sid) - 1;
		struct radius_accounting a = {
			.status_type = (uint32_t)data[1] % 5, .user = user, .session_id = sid,
			.class_value = data, .class_len = size % 300, .nas_identifier = "fuzz",
			.has_counters = data[2] & 1, .input_octets = (uint64_t)size << 33,
			.output_octets = size, .terminate_cause = data[2],
		};
		int n;

		memcpy(user, data, ulen);
		user[ulen] = '\0';
		memcpy(sid, data + split, slen);
		sid[slen] = '\0';
		n = radius_build_accounting_request(out, sizeof(out), data[0], &a, secret,
						    sizeof(secret) - 1);
		if (n >= 0 && radius_verify_request(out, (size_t)n, secret, sizeof(secret) - 1, 1) !=
				      RADIUS_OK)
			__builtin_trap();
	}
	return 0;
}
