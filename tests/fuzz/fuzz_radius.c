/* libFuzzer target: the RADIUS codec, on answers from the network (framing,
 * authenticators, attributes) and on requests built from hostile fields. */
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
	return 0;
}
