/*
 * radius — the RADIUS packet codec (RFC 2865), pure: no I/O and no
 * allocation of its own; it reads the caller's bytes and writes into the
 * caller's buffers, so it can be unit-tested and fuzzed alone. The client
 * that sends and waits is radius_client.
 *
 * Every Access-Request it builds carries a Message-Authenticator (RFC 3579
 * §3.2), as its first attribute, and every answer must carry a valid one:
 * an answer without it is refused, whatever its Response Authenticator
 * says (BlastRADIUS, CVE-2024-3596: the MD5 Response Authenticator alone
 * can be forged by a man in the middle).
 */
#ifndef PORTCULLIS_RADIUS_H
#define PORTCULLIS_RADIUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RADIUS_HEADER_LEN     20      /* code, identifier, length, authenticator */
#define RADIUS_AUTH_LEN       16
#define RADIUS_PACKET_MAX     4096    /* RFC 2865 §3 */
#define RADIUS_PASSWORD_MAX   128     /* RFC 2865 §5.2 */
#define RADIUS_STRING_MAX     253     /* an attribute's value */
#define RADIUS_REPLY_MESSAGE_MAX 512  /* Reply-Messages kept, joined */

enum radius_code {
	RADIUS_ACCESS_REQUEST   = 1,
	RADIUS_ACCESS_ACCEPT    = 2,
	RADIUS_ACCESS_REJECT    = 3,
	RADIUS_ACCESS_CHALLENGE = 11,
};

enum radius_attribute {
	RADIUS_USER_NAME              = 1,
	RADIUS_USER_PASSWORD          = 2,
	RADIUS_NAS_IP_ADDRESS         = 4,
	RADIUS_SERVICE_TYPE           = 6,
	RADIUS_FRAMED_IP_ADDRESS      = 8,
	RADIUS_REPLY_MESSAGE          = 18,
	RADIUS_CLASS                  = 25,
	RADIUS_SESSION_TIMEOUT        = 27,
	RADIUS_IDLE_TIMEOUT           = 28,
	RADIUS_CALLED_STATION_ID      = 30,
	RADIUS_CALLING_STATION_ID     = 31,
	RADIUS_NAS_IDENTIFIER         = 32,
	RADIUS_NAS_PORT_TYPE          = 61,
	RADIUS_MESSAGE_AUTHENTICATOR  = 80,
	RADIUS_ACCT_INTERIM_INTERVAL  = 85,
	RADIUS_NAS_IPV6_ADDRESS       = 95,   /* RFC 3162 §2.1 */
	RADIUS_FRAMED_IPV6_ADDRESS    = 168,  /* RFC 6911 §3.1 */
};

#define RADIUS_SERVICE_LOGIN       1    /* Service-Type Login (RFC 2865 §5.6) */
#define RADIUS_PORT_TYPE_ETHERNET  15   /* NAS-Port-Type Ethernet (RFC 2865 §5.41) */

/* What goes into an Access-Request; everything borrowed for the call. */
struct radius_request {
	const char *user;
	size_t user_len;                 /* 1..253 */
	const char *password;
	size_t password_len;             /* 0..128 */
	const char *nas_identifier;      /* NUL-terminated; NULL or "": none */
	const struct sockaddr *nas_address;   /* NAS-IP(v6)-Address; NULL: none */
	const struct sockaddr *client;   /* Framed-IP(v6)-Address; NULL: none */
	const uint8_t *client_mac;       /* 6 bytes: Calling-Station-Id; NULL: unknown */
	const uint8_t *nas_mac;          /* 6 bytes: Called-Station-Id; NULL: unknown */
	uint32_t service_type;           /* 0: not sent */
	uint32_t nas_port_type;          /* 0: not sent */
};

/*
 * Build an Access-Request with identifier id and Request Authenticator
 * authenticator (16 unpredictable bytes, RFC 2865 §3: the caller draws
 * them) into out. The User-Password is hidden with the shared secret
 * (RFC 2865 §5.2). Returns the packet's length, or -1 when a field is out
 * of range or the packet does not fit outlen.
 */
int radius_build_access_request(uint8_t *out, size_t outlen, uint8_t id,
				const uint8_t authenticator[RADIUS_AUTH_LEN],
				const struct radius_request *rq,
				const uint8_t *secret, size_t secret_len);

enum radius_check {
	RADIUS_OK,
	RADIUS_MALFORMED,           /* too short, length lies, attributes overrun */
	RADIUS_NOT_AN_ANSWER,       /* a code that does not answer an Access-Request */
	RADIUS_WRONG_ID,            /* another request's answer (late or duplicate) */
	RADIUS_BAD_AUTHENTICATOR,   /* the Response Authenticator does not match */
	RADIUS_NO_MESSAGE_AUTHENTICATOR,
	RADIUS_BAD_MESSAGE_AUTHENTICATOR,
};

/* A short English phrase for a check result, for logs and audit records. */
const char *radius_check_str(enum radius_check c);

/*
 * Check that pkt[0..len) is a genuine answer to the Access-Request sent
 * with identifier id and Request Authenticator request_auth: its framing
 * (RFC 2865 §3; octets past the Length field are padding and ignored), its
 * code (Accept, Reject or Challenge), its identifier, its Response
 * Authenticator, and its Message-Authenticator, which must be present,
 * exactly once, and valid (RFC 3579 §3.2). Borrows everything.
 */
enum radius_check radius_verify_answer(const uint8_t *pkt, size_t len, uint8_t id,
				       const uint8_t request_auth[RADIUS_AUTH_LEN],
				       const uint8_t *secret, size_t secret_len);

/* What an answer says. */
struct radius_reply {
	int code;                        /* enum radius_code */
	long session_timeout;            /* s; -1: not sent */
	long idle_timeout;               /* s; -1: not sent */
	long acct_interim_interval;      /* s; -1: not sent */
	uint8_t class_value[RADIUS_STRING_MAX];   /* the first Class, echoed in accounting */
	size_t class_len;                /* 0: none */
	char reply_message[RADIUS_REPLY_MESSAGE_MAX + 1];  /* Reply-Messages joined by
					  * '\n', control characters as spaces, cut at the
					  * bound; NUL-terminated, "" when none */
};

/*
 * Read the attributes of an answer (verify it first: this checks framing
 * only). An integer attribute of the wrong length is ignored. Returns 0, or
 * -1 when the packet is malformed (reply is then unspecified).
 */
int radius_parse_reply(const uint8_t *pkt, size_t len, struct radius_reply *reply);

/* The MAC as "AA-BB-CC-DD-EE-FF" (RFC 3580 §3.21) into out[18]. */
void radius_format_mac(char out[18], const uint8_t mac[6]);

#endif
