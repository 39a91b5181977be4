/*
 * radius_dae — the codec of RADIUS Dynamic Authorization (RFC 5176): the
 * Disconnect-Request and CoA-Request a RADIUS server sends to end a
 * session or change its limits, and the ACK or NAK answered. Pure: no I/O
 * and no allocation; it reads the caller's bytes and writes into the
 * caller's buffers, so it can be unit-tested and fuzzed alone. The
 * listener that receives and answers is dae.h.
 *
 * A request must carry a valid Message-Authenticator (RFC 5176 §3.2,
 * RFC 3579 §3.2) besides its Request Authenticator (RFC 5176 §2.3):
 * one without is refused, whatever else it says (BlastRADIUS,
 * CVE-2024-3596). Every answer built carries one, as its first attribute.
 */
#ifndef PORTCULLIS_RADIUS_DAE_H
#define PORTCULLIS_RADIUS_DAE_H

#include <stddef.h>
#include <stdint.h>

#include "radius.h"

enum radius_dae_code {
	RADIUS_DISCONNECT_REQUEST = 40,
	RADIUS_DISCONNECT_ACK     = 41,
	RADIUS_DISCONNECT_NAK     = 42,
	RADIUS_COA_REQUEST        = 43,
	RADIUS_COA_ACK            = 44,
	RADIUS_COA_NAK            = 45,
};

/* Error-Cause values (RFC 5176 §3.5) */
enum radius_dae_error {
	RADIUS_ERROR_UNSUPPORTED_ATTRIBUTE   = 401,
	RADIUS_ERROR_MISSING_ATTRIBUTE       = 402,
	RADIUS_ERROR_NAS_MISMATCH            = 403,
	RADIUS_ERROR_INVALID_REQUEST         = 404,
	RADIUS_ERROR_INVALID_ATTRIBUTE_VALUE = 407,
	RADIUS_ERROR_SESSION_NOT_FOUND       = 503,
	RADIUS_ERROR_RESOURCES_UNAVAILABLE   = 506,
};

#define RADIUS_PROXY_STATE_MAX 4   /* Proxy-States echoed in an answer */

enum radius_dae_check {
	RADIUS_DAE_OK,
	RADIUS_DAE_MALFORMED,             /* too short, length lies, attributes overrun */
	RADIUS_DAE_NOT_A_REQUEST,         /* neither Disconnect- nor CoA-Request */
	RADIUS_DAE_BAD_AUTHENTICATOR,     /* the Request Authenticator does not match */
	RADIUS_DAE_NO_MESSAGE_AUTHENTICATOR,
	RADIUS_DAE_BAD_MESSAGE_AUTHENTICATOR,
};

/* A short English phrase for a check result, for logs. */
const char *radius_dae_check_str(enum radius_dae_check c);

/*
 * Check that pkt[0..len) is a Disconnect- or CoA-Request signed with the
 * shared secret: framing (RFC 2865 §3; octets past Length are padding),
 * code, Request Authenticator = MD5(Code + Identifier + Length + 16 zero
 * octets + Attributes + secret) (RFC 5176 §2.3, as RFC 2866 §3), and one
 * Message-Authenticator of 16 octets, the HMAC-MD5 of the packet with the
 * Request Authenticator and its own value zeroed (RFC 5176 §3.2).
 * Borrows everything.
 */
enum radius_dae_check radius_dae_verify_request(const uint8_t *pkt, size_t len,
						const uint8_t *secret, size_t secret_len);

/* What a request says. Strings are NUL-terminated copies, "" when absent. */
struct radius_dae_request {
	int code;                          /* enum radius_dae_code */
	uint8_t id;
	char user[RADIUS_STRING_MAX + 1];  /* User-Name */
	int has_user;
	char session_id[RADIUS_STRING_MAX + 1];   /* Acct-Session-Id */
	int has_session_id;
	uint8_t framed_ip[4];              /* Framed-IP-Address */
	int has_framed_ip;
	uint8_t framed_ipv6[16];           /* Framed-IPv6-Address (RFC 6911 §3.1) */
	int has_framed_ipv6;
	uint8_t calling_mac[6];            /* Calling-Station-Id, read as a MAC */
	int has_calling_mac;
	char nas_identifier[RADIUS_STRING_MAX + 1];
	int has_nas_identifier;
	long session_timeout;              /* s; -1: not sent */
	long idle_timeout;                 /* s; -1: not sent */
	int unsupported;                   /* the first attribute type not handled, 0: none */
	int invalid;                       /* the first attribute of a value that cannot be
					    * read (wrong length, a NUL in a name, a
					    * Calling-Station-Id that is no MAC), 0: none */
};

/*
 * Read the attributes of a request (verify it first: this checks framing
 * only). Returns 0, or -1 when the packet is malformed (rq is then
 * unspecified). Attributes it does not act on but a server may send with
 * any request (NAS-IP-Address, NAS-IPv6-Address, Called-Station-Id,
 * Event-Timestamp, Acct-Multi-Session-Id, Proxy-State, Message-
 * Authenticator) are not counted as unsupported.
 */
int radius_dae_parse_request(const uint8_t *pkt, size_t len, struct radius_dae_request *rq);

/*
 * Build the answer to the verified request req[0..req_len): its ACK (ack
 * 1) or NAK (ack 0, with Error-Cause error_cause when not 0), with its
 * identifier, its Proxy-States copied in order (RFC 5176 §3, at most
 * RADIUS_PROXY_STATE_MAX), a Message-Authenticator computed with the
 * request's authenticator (RFC 5176 §3.2) and the Response Authenticator
 * = MD5(Code + Identifier + Length + Request Authenticator + Attributes +
 * secret) (RFC 5176 §2.3). Returns its length, or -1 when req is not a
 * request or out is too small.
 */
int radius_dae_build_answer(uint8_t *out, size_t outlen, const uint8_t *req, size_t req_len,
			    int ack, uint32_t error_cause, const uint8_t *secret,
			    size_t secret_len);

#endif
