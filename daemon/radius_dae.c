#include "radius_dae.h"

#include <string.h>

#include "hex.h"

#define MA_LEN 16        /* Message-Authenticator value: HMAC-MD5 */

/* attributes of RFC 5176 requests beyond those radius.h names */
enum {
	ATTR_STATE                 = 24,
	ATTR_PROXY_STATE           = 33,
	ATTR_ACCT_SESSION_ID       = 44,
	ATTR_ACCT_MULTI_SESSION_ID = 50,
	ATTR_EVENT_TIMESTAMP       = 55,
	ATTR_ERROR_CAUSE           = 101,
};

const char *radius_dae_check_str(enum radius_dae_check c)
{
	switch (c) {
	case RADIUS_DAE_OK: return "valid";
	case RADIUS_DAE_MALFORMED: return "malformed packet";
	case RADIUS_DAE_NOT_A_REQUEST: return "neither a Disconnect-Request nor a CoA-Request";
	case RADIUS_DAE_BAD_AUTHENTICATOR: return "wrong Request Authenticator";
	case RADIUS_DAE_NO_MESSAGE_AUTHENTICATOR: return "no Message-Authenticator";
	case RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR: return "wrong Message-Authenticator";
	}
	return "unknown";
}

static int is_request(int code)
{
	return code == RADIUS_DISCONNECT_REQUEST || code == RADIUS_COA_REQUEST;
}

enum radius_dae_check radius_dae_verify_request(const uint8_t *pkt, size_t len,
						const uint8_t *secret, size_t secret_len)
{
	struct radius_attr_iter it;

	if (radius_attr_begin(&it, pkt, len) < 0)
		return RADIUS_DAE_MALFORMED;
	if (!is_request(pkt[0]))
		return RADIUS_DAE_NOT_A_REQUEST;
	/* the Request Authenticator as an Accounting-Request's (RFC 5176
	 * §2.3, RFC 2866 §3), the Message-Authenticator required */
	switch (radius_verify_request(pkt, len, secret, secret_len, 1)) {
	case RADIUS_OK:
		return RADIUS_DAE_OK;
	case RADIUS_BAD_AUTHENTICATOR:
		return RADIUS_DAE_BAD_AUTHENTICATOR;
	case RADIUS_NO_MESSAGE_AUTHENTICATOR:
		return RADIUS_DAE_NO_MESSAGE_AUTHENTICATOR;
	case RADIUS_BAD_MESSAGE_AUTHENTICATOR:
		return RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR;
	default:
		return RADIUS_DAE_MALFORMED;
	}
}

/* A text attribute as a C string: 0, or -1 when it holds a NUL (it could
 * not name what its bytes name). */
static int get_text(char *out, const uint8_t *v, size_t len)
{
	if (memchr(v, '\0', len))
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

/* Calling-Station-Id as a MAC: "AA-BB-CC-DD-EE-FF" (RFC 3580 §3.21) or
 * with colons, either case. 0, or -1 for anything else. */
static int get_mac(uint8_t mac[6], const uint8_t *v, size_t len)
{
	if (len != 17)
		return -1;
	for (size_t i = 0; i < 6; i++) {
		int hi = hex_value(v[i * 3]), lo = hex_value(v[i * 3 + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && v[i * 3 + 2] != '-' && v[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int radius_dae_parse_request(const uint8_t *pkt, size_t len, struct radius_dae_request *rq)
{
	struct radius_attr_iter it;
	struct radius_attr a;

	memset(rq, 0, sizeof(*rq));
	rq->session_timeout = rq->idle_timeout = -1;
	if (radius_attr_begin(&it, pkt, len) < 0)
		return -1;
	rq->code = pkt[0];
	rq->id = pkt[1];
	while (radius_attr_next(&it, &a)) {
		const uint8_t *v = a.value;
		size_t vlen = a.len;
		int bad = 0;

		switch (a.type) {
		case RADIUS_USER_NAME:
			bad = vlen == 0 || get_text(rq->user, v, vlen) < 0;
			rq->has_user = !bad;
			break;
		case ATTR_ACCT_SESSION_ID:
			bad = vlen == 0 || get_text(rq->session_id, v, vlen) < 0;
			rq->has_session_id = !bad;
			break;
		case RADIUS_NAS_IDENTIFIER:
			bad = vlen == 0 || get_text(rq->nas_identifier, v, vlen) < 0;
			rq->has_nas_identifier = !bad;
			break;
		case RADIUS_FRAMED_IP_ADDRESS:
			bad = vlen != 4;
			if (!bad)
				memcpy(rq->framed_ip, v, 4);
			rq->has_framed_ip = !bad;
			break;
		case RADIUS_FRAMED_IPV6_ADDRESS:
			bad = vlen != 16;
			if (!bad)
				memcpy(rq->framed_ipv6, v, 16);
			rq->has_framed_ipv6 = !bad;
			break;
		case RADIUS_CALLING_STATION_ID:
			bad = get_mac(rq->calling_mac, v, vlen) < 0;
			rq->has_calling_mac = !bad;
			break;
		case RADIUS_SESSION_TIMEOUT:
			rq->session_timeout = radius_attr_u32(&a);
			bad = rq->session_timeout < 0;
			break;
		case RADIUS_IDLE_TIMEOUT:
			rq->idle_timeout = radius_attr_u32(&a);
			bad = rq->idle_timeout < 0;
			break;
		case RADIUS_NAS_IP_ADDRESS:
		case RADIUS_NAS_IPV6_ADDRESS:
		case RADIUS_CALLED_STATION_ID:
		case ATTR_EVENT_TIMESTAMP:
		case ATTR_ACCT_MULTI_SESSION_ID:
		case ATTR_PROXY_STATE:
		case RADIUS_MESSAGE_AUTHENTICATOR:
			break;
		default:
			if (!rq->unsupported)
				rq->unsupported = a.type;
			break;
		}
		if (bad && !rq->invalid)
			rq->invalid = a.type;
	}
	return 0;
}

int radius_dae_build_answer(uint8_t *out, size_t outlen, const uint8_t *req, size_t req_len,
			    int ack, uint32_t error_cause, const uint8_t *secret,
			    size_t secret_len)
{
	size_t pos = RADIUS_HEADER_LEN, ma, states = 0;
	size_t cap = outlen < RADIUS_PACKET_MAX ? outlen : RADIUS_PACKET_MAX;
	struct radius_attr_iter it;
	struct radius_attr a;

	if (radius_attr_begin(&it, req, req_len) < 0 || !is_request(req[0]) ||
	    cap < RADIUS_HEADER_LEN + 2 + MA_LEN + 6)
		return -1;
	out[0] = (uint8_t)(req[0] + (ack ? 1 : 2));
	out[1] = req[1];
	/* Message-Authenticator first, zero while the HMAC runs over the
	 * packet (RFC 3579 §3.2) */
	out[pos] = RADIUS_MESSAGE_AUTHENTICATOR;
	out[pos + 1] = 2 + MA_LEN;
	ma = pos + 2;
	memset(out + ma, 0, MA_LEN);
	pos = ma + MA_LEN;
	if (!ack && error_cause) {
		out[pos] = ATTR_ERROR_CAUSE;
		out[pos + 1] = 6;
		out[pos + 2] = (uint8_t)(error_cause >> 24);
		out[pos + 3] = (uint8_t)(error_cause >> 16);
		out[pos + 4] = (uint8_t)(error_cause >> 8);
		out[pos + 5] = (uint8_t)error_cause;
		pos += 6;
	}
	/* Proxy-States go back unchanged and in order (RFC 5176 §3) */
	while (radius_attr_next(&it, &a)) {
		if (a.type != ATTR_PROXY_STATE || states == RADIUS_PROXY_STATE_MAX)
			continue;
		if (pos + 2 + a.len > cap)
			return -1;
		/* the whole attribute: type, length and value */
		memcpy(out + pos, a.value - 2, 2 + a.len);
		pos += 2 + a.len;
		states++;
	}
	out[2] = (uint8_t)(pos >> 8);
	out[3] = (uint8_t)pos;
	/* both digests over the request's authenticator (RFC 5176 §2.3, §3.2) */
	if (radius_sign_response(out, pos, req + 4, secret, secret_len) < 0)
		return -1;
	return (int)pos;
}
