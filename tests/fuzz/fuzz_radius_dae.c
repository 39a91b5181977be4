/* libFuzzer target: the Dynamic Authorization codec (RFC 5176) on requests
 * from the network (framing, authenticators, attributes) and on the
 * answers built to them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "radius_dae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the seed corpus's requests are signed with this secret, so that
	 * mutations reach past the authenticator checks */
	static const uint8_t secret[] = "fuzz-secret";
	struct radius_dae_request rq;
	uint8_t out[RADIUS_PACKET_MAX];
	enum radius_dae_check c;
	int n;

	c = radius_dae_verify_request(data, size, secret, sizeof(secret) - 1);
	if (radius_dae_parse_request(data, size, &rq) == 0) {
		if (strlen(rq.user) > RADIUS_STRING_MAX || strlen(rq.session_id) > RADIUS_STRING_MAX ||
		    strlen(rq.nas_identifier) > RADIUS_STRING_MAX)
			__builtin_trap();
		if (rq.session_timeout < -1 || rq.idle_timeout < -1)
			__builtin_trap();
	} else if (c != RADIUS_DAE_MALFORMED) {
		__builtin_trap();    /* verified framing the parser refuses */
	}
	/* every request's answer, whatever its signature: it must frame */
	n = radius_dae_build_answer(out, sizeof(out), data, size, size & 1, 503, secret,
				    sizeof(secret) - 1);
	if (n > (int)sizeof(out) || (n >= 0 && (n < RADIUS_HEADER_LEN ||
						((size_t)out[2] << 8 | out[3]) != (size_t)n)))
		__builtin_trap();
	if (n >= 0 && (c == RADIUS_DAE_MALFORMED || c == RADIUS_DAE_NOT_A_REQUEST))
		__builtin_trap();    /* an answer to what is no request */
	return 0;
}
