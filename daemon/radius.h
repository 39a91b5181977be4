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
 *
 * Accounting (RFC 2866) and the requests a server sends a NAS (RFC 5176)
 * share one rule for the Request Authenticator: MD5 over the packet with
 * that field zeroed, then the shared secret (RFC 2866 §3, RFC 5176 §3.5).
 * Accounting-Requests carry a Message-Authenticator too, computed with
 * the Request Authenticator zeroed (as RFC 5176 §3.1 has it for its
 * requests); an Accounting-Response must have a valid Response
 * Authenticator, and a Message-Authenticator if it has one must be valid
 * (RFC 2866 does not require one).
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
	RADIUS_ACCOUNTING_REQUEST  = 4,   /* RFC 2866 §3 */
	RADIUS_ACCOUNTING_RESPONSE = 5,   /* RFC 2866 §4 */
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
	RADIUS_ACCT_STATUS_TYPE       = 40,   /* RFC 2866 §5.1 .. §5.13 */
	RADIUS_ACCT_DELAY_TIME        = 41,
	RADIUS_ACCT_INPUT_OCTETS      = 42,
	RADIUS_ACCT_OUTPUT_OCTETS     = 43,
	RADIUS_ACCT_SESSION_ID        = 44,
	RADIUS_ACCT_AUTHENTIC         = 45,
	RADIUS_ACCT_SESSION_TIME      = 46,
	RADIUS_ACCT_INPUT_PACKETS     = 47,
	RADIUS_ACCT_OUTPUT_PACKETS    = 48,
	RADIUS_ACCT_TERMINATE_CAUSE   = 49,
	RADIUS_ACCT_INPUT_GIGAWORDS   = 52,   /* RFC 2869 §5.1, §5.2 */
	RADIUS_ACCT_OUTPUT_GIGAWORDS  = 53,
	RADIUS_EVENT_TIMESTAMP        = 55,   /* RFC 2869 §5.3 */
	RADIUS_NAS_PORT_TYPE          = 61,
	RADIUS_MESSAGE_AUTHENTICATOR  = 80,
	RADIUS_ACCT_INTERIM_INTERVAL  = 85,
	RADIUS_NAS_IPV6_ADDRESS       = 95,   /* RFC 3162 §2.1 */
	RADIUS_FRAMED_IPV6_ADDRESS    = 168,  /* RFC 6911 §3.1 */
};

#define RADIUS_SERVICE_LOGIN       1    /* Service-Type Login (RFC 2865 §5.6) */
#define RADIUS_PORT_TYPE_ETHERNET  15   /* NAS-Port-Type Ethernet (RFC 2865 §5.41) */

/* Acct-Status-Type (RFC 2866 §5.1) */
#define RADIUS_ACCT_START          1
#define RADIUS_ACCT_STOP           2
#define RADIUS_ACCT_INTERIM        3   /* Interim-Update (RFC 2869 §2.1) */

/* Acct-Authentic (RFC 2866 §5.6) */
#define RADIUS_AUTHENTIC_RADIUS    1
#define RADIUS_AUTHENTIC_LOCAL     2

/* Acct-Terminate-Cause (RFC 2866 §5.10), the ones a gateway gives */
#define RADIUS_TERM_USER_REQUEST     1
#define RADIUS_TERM_LOST_CARRIER     2
#define RADIUS_TERM_IDLE_TIMEOUT     4
#define RADIUS_TERM_SESSION_TIMEOUT  5
#define RADIUS_TERM_ADMIN_RESET      6
#define RADIUS_TERM_NAS_ERROR        9
#define RADIUS_TERM_NAS_REQUEST      10
#define RADIUS_TERM_NAS_REBOOT       11

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
	RADIUS_NOT_AN_ANSWER,       /* a code that does not answer the request */
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

/* What goes into an Accounting-Request; everything borrowed for the call. */
struct radius_accounting {
	uint32_t status_type;            /* RADIUS_ACCT_START, _STOP, _INTERIM */
	const char *session_id;          /* Acct-Session-Id, NUL-terminated, 1..253 */
	const char *user;                /* NUL-terminated, 1..253 */
	const uint8_t *class_value;      /* Class from the Access-Accept; NULL: none */
	size_t class_len;
	const char *nas_identifier;      /* NULL or "": none */
	const struct sockaddr *nas_address;   /* NULL: none */
	const struct sockaddr *client;   /* Framed-IP(v6)-Address; NULL: none */
	const uint8_t *client_mac;       /* 6 bytes: Calling-Station-Id; NULL: unknown */
	uint32_t nas_port_type;          /* 0: not sent */
	uint32_t authentic;              /* Acct-Authentic; 0: not sent */
	uint32_t event_timestamp;        /* Event-Timestamp, Unix s; 0: not sent */
	uint32_t delay_time;             /* Acct-Delay-Time, s (sent, 0 too) */
	/* Stop and Interim-Update only: */
	uint32_t session_time;           /* s */
	int has_counters;                /* the four below are known: sent */
	uint64_t input_octets;           /* from the client; over 2^32: Gigawords */
	uint64_t output_octets;          /* to the client */
	uint32_t input_packets;
	uint32_t output_packets;
	uint32_t terminate_cause;        /* Stop: RADIUS_TERM_*; 0: not sent */
};

/*
 * Build an Accounting-Request (RFC 2866 §4.1) with identifier id into out:
 * Message-Authenticator first, then the attributes of a, then the Request
 * Authenticator (RFC 2866 §3). Returns the length, or -1 when a field is
 * out of range or it does not fit outlen.
 */
int radius_build_accounting_request(uint8_t *out, size_t outlen, uint8_t id,
				    const struct radius_accounting *a,
				    const uint8_t *secret, size_t secret_len);

/*
 * Sign a request whose authenticator is computed, not drawn (Accounting-,
 * CoA-, Disconnect-Request): pkt[0..len) is a whole packet with its Length
 * set; its Message-Authenticator, if it has one, is computed with the
 * Request Authenticator zeroed, then the Request Authenticator = MD5(the
 * packet with it zeroed + secret) (RFC 2866 §3, RFC 5176 §3.5). 0, or -1
 * when the framing is wrong.
 */
int radius_sign_request(uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len);

/*
 * Check such a request as a server receives it: framing, the Request
 * Authenticator, and the Message-Authenticator (required when require_ma;
 * when present, always checked). RADIUS_NOT_AN_ANSWER is not used.
 */
enum radius_check radius_verify_request(const uint8_t *pkt, size_t len,
					const uint8_t *secret, size_t secret_len,
					int require_ma);

/*
 * Sign an answer to a request (Accounting-Response, CoA-/Disconnect-ACK
 * and -NAK): pkt[0..len) is whole, with the answer's code, the request's
 * identifier and its Length set; request_auth is the request's
 * authenticator. The Message-Authenticator, if present, is computed over
 * the answer with request_auth in the authenticator field (RFC 3579
 * §3.2), then the Response Authenticator (RFC 2865 §3). 0 or -1.
 */
int radius_sign_response(uint8_t *pkt, size_t len, const uint8_t request_auth[RADIUS_AUTH_LEN],
			 const uint8_t *secret, size_t secret_len);

/*
 * Check that pkt[0..len) is a genuine Accounting-Response to the
 * Accounting-Request sent with identifier id and Request Authenticator
 * request_auth: framing, code (else RADIUS_NOT_AN_ANSWER), identifier,
 * Response Authenticator, and a Message-Authenticator if present.
 */
enum radius_check radius_verify_accounting_response(const uint8_t *pkt, size_t len, uint8_t id,
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

/* One attribute of a packet (RFC 2865 §5): its type and value, borrowed
 * from the packet. */
struct radius_attr {
	uint8_t type;
	const uint8_t *value;
	size_t len;                      /* of the value: 0..253 */
};

/* A walk over the attributes of a packet whose framing was checked. */
struct radius_attr_iter {
	const uint8_t *pkt;
	size_t n;                        /* the packet's Length */
	size_t pos;                      /* the next attribute */
};

/*
 * Start a walk over the attributes of pkt[0..len): 0, or -1 when the
 * framing is wrong (RFC 2865 §3, §5: Length 20..4096 and no more than was
 * received, every attribute at least 2 bytes and none running past the
 * Length; octets past it are padding). Only the framing is checked: verify
 * a packet before believing what it says. Borrows pkt for the walk.
 */
int radius_attr_begin(struct radius_attr_iter *it, const uint8_t *pkt, size_t len);
/* The next attribute into *a: 1, or 0 when there are no more. */
int radius_attr_next(struct radius_attr_iter *it, struct radius_attr *a);
/* An Integer attribute's value (RFC 2865 §5: 4 octets, network order), or
 * -1 when its length is not 4. */
long radius_attr_u32(const struct radius_attr *a);

/* The MAC as "AA-BB-CC-DD-EE-FF" (RFC 3580 §3.21) into out[18]. */
void radius_format_mac(char out[18], const uint8_t mac[6]);

#endif
