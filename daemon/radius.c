#include "radius.h"

#include <netinet/in.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MA_LEN 16        /* Message-Authenticator value: HMAC-MD5 */

/* A piece of the bytes a digest runs over. */
struct span {
	const uint8_t *p;
	size_t len;
};

/* MD5 over the pieces into out[16]. 0 or -1. */
static int md5_spans(const struct span *s, size_t n, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, s[i].p, s[i].len);
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	return ok && len == 16 ? 0 : -1;
}

/* HMAC-MD5 keyed with the secret over the pieces into out[16]. 0 or -1. */
static int hmac_md5_spans(const uint8_t *key, size_t keylen, const struct span *s, size_t n,
			  uint8_t out[MA_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	int ok = 0;

	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* a zero-length key is still a key: pass a valid pointer */
	ok = EVP_MAC_init(ctx, keylen ? key : (const uint8_t *)"", keylen, params);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(ctx, s[i].p, s[i].len);
	if (ok)
		ok = EVP_MAC_final(ctx, out, &len, MA_LEN);
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok && len == MA_LEN ? 0 : -1;
}

/* Appends attributes to a packet being built; pos runs on, fail sticks. */
struct writer {
	uint8_t *buf;
	size_t cap, pos;
	int fail;
};

/* Reserve an attribute of type with a value of len bytes; its value's
 * address, or NULL (and w->fail) when it does not fit. */
static uint8_t *put_attr(struct writer *w, uint8_t type, size_t len)
{
	uint8_t *v;

	if (w->fail || len > RADIUS_STRING_MAX || w->pos + 2 + len > w->cap) {
		w->fail = 1;
		return NULL;
	}
	w->buf[w->pos] = type;
	w->buf[w->pos + 1] = (uint8_t)(2 + len);
	v = w->buf + w->pos + 2;
	w->pos += 2 + len;
	return v;
}

static void put_bytes(struct writer *w, uint8_t type, const void *p, size_t len)
{
	uint8_t *v = put_attr(w, type, len);

	if (v && len)
		memcpy(v, p, len);
}

static void put_u32(struct writer *w, uint8_t type, uint32_t n)
{
	uint8_t *v = put_attr(w, type, 4);

	if (v) {
		v[0] = (uint8_t)(n >> 24);
		v[1] = (uint8_t)(n >> 16);
		v[2] = (uint8_t)(n >> 8);
		v[3] = (uint8_t)n;
	}
}

/* An address as NAS-IP-Address / Framed-IP-Address (4 bytes) or, for IPv6,
 * NAS-IPv6-Address (RFC 3162 §2.1, 16 bytes) / Framed-IPv6-Address
 * (RFC 6911 §3.1, 16 bytes). An IPv4-mapped IPv6 address is the IPv4 one. */
static void put_address(struct writer *w, const struct sockaddr *sa, uint8_t type4, uint8_t type6)
{
	if (sa->sa_family == AF_INET) {
		put_bytes(w, type4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			put_bytes(w, type4, a->s6_addr + 12, 4);
		else
			put_bytes(w, type6, a->s6_addr, 16);
	}
}

/*
 * User-Password (RFC 2865 §5.2): the password padded with NULs to a multiple
 * of 16 (at least 16), each 16-byte block XORed with MD5(secret + the
 * previous block of ciphertext), the first with MD5(secret + the Request
 * Authenticator).
 */
static void put_password(struct writer *w, const struct radius_request *rq,
			 const uint8_t *authenticator, const uint8_t *secret, size_t secret_len)
{
	size_t padded = rq->password_len ? (rq->password_len + 15) / 16 * 16 : 16;
	uint8_t *v = put_attr(w, RADIUS_USER_PASSWORD, padded);
	const uint8_t *prev = authenticator;

	if (!v)
		return;
	memset(v, 0, padded);
	if (rq->password_len)
		memcpy(v, rq->password, rq->password_len);
	for (size_t off = 0; off < padded; off += 16) {
		struct span s[2] = { { secret, secret_len }, { prev, 16 } };
		uint8_t b[16];

		if (md5_spans(s, 2, b) < 0) {
			w->fail = 1;
			OPENSSL_cleanse(v, padded);
			return;
		}
		for (size_t i = 0; i < 16; i++)
			v[off + i] ^= b[i];
		prev = v + off;
	}
}

void radius_format_mac(char out[18], const uint8_t mac[6])
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < 6; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 15];
		out[i * 3 + 2] = i < 5 ? '-' : '\0';
	}
}

int radius_build_access_request(uint8_t *out, size_t outlen, uint8_t id,
				const uint8_t authenticator[RADIUS_AUTH_LEN],
				const struct radius_request *rq,
				const uint8_t *secret, size_t secret_len)
{
	struct writer w = { out, outlen < RADIUS_PACKET_MAX ? outlen : RADIUS_PACKET_MAX,
			    RADIUS_HEADER_LEN, 0 };
	uint8_t *ma;
	char mac[18];

	if (w.cap < RADIUS_HEADER_LEN || !rq->user || rq->user_len == 0 ||
	    rq->user_len > RADIUS_STRING_MAX || rq->password_len > RADIUS_PASSWORD_MAX ||
	    (rq->password_len && !rq->password))
		return -1;
	out[0] = RADIUS_ACCESS_REQUEST;
	out[1] = id;
	memcpy(out + 4, authenticator, RADIUS_AUTH_LEN);
	/* Message-Authenticator first, so that no attribute an attacker can
	 * choose comes before it (the BlastRADIUS advice); zero while the
	 * HMAC runs over the packet (RFC 3579 §3.2) */
	ma = put_attr(&w, RADIUS_MESSAGE_AUTHENTICATOR, MA_LEN);
	if (ma)
		memset(ma, 0, MA_LEN);
	put_bytes(&w, RADIUS_USER_NAME, rq->user, rq->user_len);
	put_password(&w, rq, authenticator, secret, secret_len);
	if (rq->nas_identifier && rq->nas_identifier[0])
		put_bytes(&w, RADIUS_NAS_IDENTIFIER, rq->nas_identifier, strlen(rq->nas_identifier));
	if (rq->nas_address)
		put_address(&w, rq->nas_address, RADIUS_NAS_IP_ADDRESS, RADIUS_NAS_IPV6_ADDRESS);
	if (rq->nas_mac) {
		radius_format_mac(mac, rq->nas_mac);
		put_bytes(&w, RADIUS_CALLED_STATION_ID, mac, 17);
	}
	if (rq->client_mac) {
		radius_format_mac(mac, rq->client_mac);
		put_bytes(&w, RADIUS_CALLING_STATION_ID, mac, 17);
	}
	if (rq->client)
		put_address(&w, rq->client, RADIUS_FRAMED_IP_ADDRESS, RADIUS_FRAMED_IPV6_ADDRESS);
	if (rq->nas_port_type)
		put_u32(&w, RADIUS_NAS_PORT_TYPE, rq->nas_port_type);
	if (rq->service_type)
		put_u32(&w, RADIUS_SERVICE_TYPE, rq->service_type);
	if (w.fail)
		goto fail;
	out[2] = (uint8_t)(w.pos >> 8);
	out[3] = (uint8_t)w.pos;
	{
		struct span s = { out, w.pos };

		if (hmac_md5_spans(secret, secret_len, &s, 1, ma) < 0)
			goto fail;
	}
	return (int)w.pos;
fail:
	OPENSSL_cleanse(out, w.cap);
	return -1;
}

const char *radius_check_str(enum radius_check c)
{
	switch (c) {
	case RADIUS_OK: return "valid";
	case RADIUS_MALFORMED: return "malformed packet";
	case RADIUS_NOT_AN_ANSWER: return "not an answer to the request";
	case RADIUS_WRONG_ID: return "identifier of another request";
	case RADIUS_BAD_AUTHENTICATOR: return "wrong Response Authenticator";
	case RADIUS_NO_MESSAGE_AUTHENTICATOR: return "no Message-Authenticator";
	case RADIUS_BAD_MESSAGE_AUTHENTICATOR: return "wrong Message-Authenticator";
	}
	return "unknown";
}

/*
 * The packet's length from its header, once it is known to frame whole
 * attributes (RFC 2865 §3, §5): 20..4096, no more than was received, every
 * attribute at least 2 bytes and none running past the end. 0 if not.
 */
static size_t framed_length(const uint8_t *pkt, size_t len)
{
	size_t n, pos;

	if (len < RADIUS_HEADER_LEN)
		return 0;
	n = (size_t)pkt[2] << 8 | pkt[3];
	if (n < RADIUS_HEADER_LEN || n > RADIUS_PACKET_MAX || n > len)
		return 0;
	for (pos = RADIUS_HEADER_LEN; pos < n; pos += pkt[pos + 1])
		if (n - pos < 2 || pkt[pos + 1] < 2 || pkt[pos + 1] > n - pos)
			return 0;
	return n;
}

int radius_attr_begin(struct radius_attr_iter *it, const uint8_t *pkt, size_t len)
{
	it->pkt = pkt;
	it->n = framed_length(pkt, len);
	it->pos = RADIUS_HEADER_LEN;
	return it->n ? 0 : -1;
}

int radius_attr_next(struct radius_attr_iter *it, struct radius_attr *a)
{
	if (it->pos >= it->n)
		return 0;
	a->type = it->pkt[it->pos];
	a->len = it->pkt[it->pos + 1] - 2u;
	a->value = it->pkt + it->pos + 2;
	it->pos += it->pkt[it->pos + 1];
	return 1;
}

long radius_attr_u32(const struct radius_attr *a)
{
	const uint8_t *v = a->value;

	if (a->len != 4)
		return -1;
	return (long)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]);
}

/* Where the single Message-Authenticator's value starts in a framed packet
 * of n bytes: 0 when there is none, -1 when there are two or one of the
 * wrong size (RFC 3579 §3.2, §3.3). */
static long find_message_authenticator(const uint8_t *pkt, size_t n)
{
	struct radius_attr_iter it = { pkt, n, RADIUS_HEADER_LEN };
	struct radius_attr a;
	long ma = 0;

	while (radius_attr_next(&it, &a)) {
		if (a.type != RADIUS_MESSAGE_AUTHENTICATOR)
			continue;
		if (ma || a.len != MA_LEN)
			return -1;
		ma = (long)(a.value - pkt);
	}
	return ma;
}

/*
 * HMAC-MD5 of the n-byte packet with auth in place of its authenticator
 * field and the Message-Authenticator's value (at ma) zeroed, into out.
 */
static int message_authenticator(const uint8_t *pkt, size_t n, size_t ma,
				 const uint8_t auth[RADIUS_AUTH_LEN],
				 const uint8_t *secret, size_t secret_len, uint8_t out[MA_LEN])
{
	static const uint8_t zero[MA_LEN];
	struct span s[5] = { { pkt, 4 }, { auth, RADIUS_AUTH_LEN },
			     { pkt + RADIUS_HEADER_LEN, ma - RADIUS_HEADER_LEN },
			     { zero, MA_LEN }, { pkt + ma + MA_LEN, n - ma - MA_LEN } };

	return hmac_md5_spans(secret, secret_len, s, 5, out);
}

/* MD5(Code + ID + Length + auth + Attributes + Secret) of the n-byte
 * packet into out: a Response Authenticator (RFC 2865 §3) with the
 * request's authenticator, a computed Request Authenticator (RFC 2866 §3)
 * with zeros. */
static int packet_digest(const uint8_t *pkt, size_t n, const uint8_t auth[RADIUS_AUTH_LEN],
			 const uint8_t *secret, size_t secret_len, uint8_t out[16])
{
	struct span s[4] = { { pkt, 4 }, { auth, RADIUS_AUTH_LEN },
			     { pkt + RADIUS_HEADER_LEN, n - RADIUS_HEADER_LEN },
			     { secret, secret_len } };

	return md5_spans(s, 4, out);
}

/*
 * The authenticators of a framed packet of n bytes, both computed with
 * auth in place of its authenticator field: the request's authenticator
 * for an answer (RFC 2865 §3, RFC 3579 §3.2), zeros for a request whose
 * authenticator is computed (RFC 2866 §3, RFC 5176 §3.5). The
 * Message-Authenticator, when present, must be there once and valid;
 * require_ma: it must be present.
 */
static enum radius_check verify_authenticators(const uint8_t *pkt, size_t n,
					       const uint8_t auth[RADIUS_AUTH_LEN],
					       const uint8_t *secret, size_t secret_len,
					       int require_ma)
{
	uint8_t expect[16];
	long ma = find_message_authenticator(pkt, n);

	if (ma < 0)
		return RADIUS_BAD_MESSAGE_AUTHENTICATOR;
	if (packet_digest(pkt, n, auth, secret, secret_len, expect) < 0 ||
	    CRYPTO_memcmp(expect, pkt + 4, RADIUS_AUTH_LEN) != 0)
		return RADIUS_BAD_AUTHENTICATOR;
	if (!ma)
		return require_ma ? RADIUS_NO_MESSAGE_AUTHENTICATOR : RADIUS_OK;
	if (message_authenticator(pkt, n, (size_t)ma, auth, secret, secret_len, expect) < 0 ||
	    CRYPTO_memcmp(expect, pkt + ma, MA_LEN) != 0)
		return RADIUS_BAD_MESSAGE_AUTHENTICATOR;
	return RADIUS_OK;
}

/* The checks of an answer once its code is known to be one expected. */
static enum radius_check verify_response(const uint8_t *pkt, size_t n, uint8_t id,
					 const uint8_t request_auth[RADIUS_AUTH_LEN],
					 const uint8_t *secret, size_t secret_len, int require_ma)
{
	if (pkt[1] != id)
		return RADIUS_WRONG_ID;
	return verify_authenticators(pkt, n, request_auth, secret, secret_len, require_ma);
}

enum radius_check radius_verify_answer(const uint8_t *pkt, size_t len, uint8_t id,
				       const uint8_t request_auth[RADIUS_AUTH_LEN],
				       const uint8_t *secret, size_t secret_len)
{
	size_t n = framed_length(pkt, len);

	if (!n)
		return RADIUS_MALFORMED;
	if (pkt[0] != RADIUS_ACCESS_ACCEPT && pkt[0] != RADIUS_ACCESS_REJECT &&
	    pkt[0] != RADIUS_ACCESS_CHALLENGE)
		return RADIUS_NOT_AN_ANSWER;
	return verify_response(pkt, n, id, request_auth, secret, secret_len, 1);
}

enum radius_check radius_verify_accounting_response(const uint8_t *pkt, size_t len, uint8_t id,
						    const uint8_t request_auth[RADIUS_AUTH_LEN],
						    const uint8_t *secret, size_t secret_len)
{
	size_t n = framed_length(pkt, len);

	if (!n)
		return RADIUS_MALFORMED;
	if (pkt[0] != RADIUS_ACCOUNTING_RESPONSE)
		return RADIUS_NOT_AN_ANSWER;
	return verify_response(pkt, n, id, request_auth, secret, secret_len, 0);
}

int radius_sign_request(uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len)
{
	static const uint8_t zero[RADIUS_AUTH_LEN];
	size_t n = framed_length(pkt, len);
	long ma;

	if (!n)
		return -1;
	ma = find_message_authenticator(pkt, n);
	if (ma < 0)
		return -1;
	memset(pkt + 4, 0, RADIUS_AUTH_LEN);
	if (ma && message_authenticator(pkt, n, (size_t)ma, zero, secret, secret_len,
					pkt + ma) < 0)
		return -1;
	return packet_digest(pkt, n, zero, secret, secret_len, pkt + 4);
}

enum radius_check radius_verify_request(const uint8_t *pkt, size_t len,
					const uint8_t *secret, size_t secret_len,
					int require_ma)
{
	static const uint8_t zero[RADIUS_AUTH_LEN];
	size_t n = framed_length(pkt, len);

	if (!n)
		return RADIUS_MALFORMED;
	return verify_authenticators(pkt, n, zero, secret, secret_len, require_ma);
}

int radius_sign_response(uint8_t *pkt, size_t len, const uint8_t request_auth[RADIUS_AUTH_LEN],
			 const uint8_t *secret, size_t secret_len)
{
	size_t n = framed_length(pkt, len);
	long ma;

	if (!n)
		return -1;
	ma = find_message_authenticator(pkt, n);
	if (ma < 0)
		return -1;
	if (ma && message_authenticator(pkt, n, (size_t)ma, request_auth, secret, secret_len,
					pkt + ma) < 0)
		return -1;
	return packet_digest(pkt, n, request_auth, secret, secret_len, pkt + 4);
}

/* Octets as RFC 2866 §5.3 / RFC 2869 §5.1 carry them: the low 32 bits, and
 * how many times the counter wrapped 2^32 as Gigawords when it did. */
static void put_octets(struct writer *w, uint8_t type, uint8_t gigawords_type, uint64_t n)
{
	put_u32(w, type, (uint32_t)n);
	if (n >> 32)
		put_u32(w, gigawords_type, (uint32_t)(n >> 32));
}

int radius_build_accounting_request(uint8_t *out, size_t outlen, uint8_t id,
				    const struct radius_accounting *a,
				    const uint8_t *secret, size_t secret_len)
{
	struct writer w = { out, outlen < RADIUS_PACKET_MAX ? outlen : RADIUS_PACKET_MAX,
			    RADIUS_HEADER_LEN, 0 };
	size_t user_len = a->user ? strlen(a->user) : 0;
	size_t sid_len = a->session_id ? strlen(a->session_id) : 0;
	uint8_t *ma;
	char mac[18];

	if (w.cap < RADIUS_HEADER_LEN || user_len == 0 || user_len > RADIUS_STRING_MAX ||
	    sid_len == 0 || sid_len > RADIUS_STRING_MAX || a->class_len > RADIUS_STRING_MAX ||
	    a->status_type < RADIUS_ACCT_START || a->status_type > RADIUS_ACCT_INTERIM)
		return -1;
	out[0] = RADIUS_ACCOUNTING_REQUEST;
	out[1] = id;
	ma = put_attr(&w, RADIUS_MESSAGE_AUTHENTICATOR, MA_LEN);
	if (ma)
		memset(ma, 0, MA_LEN);
	put_u32(&w, RADIUS_ACCT_STATUS_TYPE, a->status_type);
	put_bytes(&w, RADIUS_ACCT_SESSION_ID, a->session_id, sid_len);
	put_bytes(&w, RADIUS_USER_NAME, a->user, user_len);
	if (a->class_value && a->class_len)
		put_bytes(&w, RADIUS_CLASS, a->class_value, a->class_len);
	if (a->nas_identifier && a->nas_identifier[0])
		put_bytes(&w, RADIUS_NAS_IDENTIFIER, a->nas_identifier, strlen(a->nas_identifier));
	if (a->nas_address)
		put_address(&w, a->nas_address, RADIUS_NAS_IP_ADDRESS, RADIUS_NAS_IPV6_ADDRESS);
	if (a->client)
		put_address(&w, a->client, RADIUS_FRAMED_IP_ADDRESS, RADIUS_FRAMED_IPV6_ADDRESS);
	if (a->client_mac) {
		radius_format_mac(mac, a->client_mac);
		put_bytes(&w, RADIUS_CALLING_STATION_ID, mac, 17);
	}
	if (a->nas_port_type)
		put_u32(&w, RADIUS_NAS_PORT_TYPE, a->nas_port_type);
	if (a->authentic)
		put_u32(&w, RADIUS_ACCT_AUTHENTIC, a->authentic);
	if (a->event_timestamp)
		put_u32(&w, RADIUS_EVENT_TIMESTAMP, a->event_timestamp);
	put_u32(&w, RADIUS_ACCT_DELAY_TIME, a->delay_time);
	if (a->status_type != RADIUS_ACCT_START) {
		put_u32(&w, RADIUS_ACCT_SESSION_TIME, a->session_time);
		if (a->has_counters) {
			put_octets(&w, RADIUS_ACCT_INPUT_OCTETS, RADIUS_ACCT_INPUT_GIGAWORDS,
				   a->input_octets);
			put_octets(&w, RADIUS_ACCT_OUTPUT_OCTETS, RADIUS_ACCT_OUTPUT_GIGAWORDS,
				   a->output_octets);
			put_u32(&w, RADIUS_ACCT_INPUT_PACKETS, a->input_packets);
			put_u32(&w, RADIUS_ACCT_OUTPUT_PACKETS, a->output_packets);
		}
	}
	if (a->status_type == RADIUS_ACCT_STOP && a->terminate_cause)
		put_u32(&w, RADIUS_ACCT_TERMINATE_CAUSE, a->terminate_cause);
	if (w.fail)
		return -1;
	out[2] = (uint8_t)(w.pos >> 8);
	out[3] = (uint8_t)w.pos;
	if (radius_sign_request(out, w.pos, secret, secret_len) < 0)
		return -1;
	return (int)w.pos;
}

/* Append a Reply-Message to what is kept: '\n' between messages (RFC 2865
 * §5.18: several are displayed in order), control characters as spaces so
 * the text cannot break a log line or a terminal. */
static void add_reply_message(struct radius_reply *r, const uint8_t *v, size_t len)
{
	size_t pos = strlen(r->reply_message);

	if (pos && pos < RADIUS_REPLY_MESSAGE_MAX)
		r->reply_message[pos++] = '\n';
	for (size_t i = 0; i < len && pos < RADIUS_REPLY_MESSAGE_MAX; i++)
		r->reply_message[pos++] = (v[i] < 0x20 || v[i] == 0x7f) ? ' ' : (char)v[i];
	r->reply_message[pos] = '\0';
}

int radius_parse_reply(const uint8_t *pkt, size_t len, struct radius_reply *reply)
{
	struct radius_attr_iter it;
	struct radius_attr a;

	memset(reply, 0, sizeof(*reply));
	reply->session_timeout = reply->idle_timeout = reply->acct_interim_interval = -1;
	if (radius_attr_begin(&it, pkt, len) < 0)
		return -1;
	reply->code = pkt[0];
	while (radius_attr_next(&it, &a)) {
		switch (a.type) {
		case RADIUS_SESSION_TIMEOUT:
			reply->session_timeout = radius_attr_u32(&a);
			break;
		case RADIUS_IDLE_TIMEOUT:
			reply->idle_timeout = radius_attr_u32(&a);
			break;
		case RADIUS_ACCT_INTERIM_INTERVAL:
			reply->acct_interim_interval = radius_attr_u32(&a);
			break;
		case RADIUS_CLASS:
			if (!reply->class_len && a.len) {
				memcpy(reply->class_value, a.value, a.len);
				reply->class_len = a.len;
			}
			break;
		case RADIUS_REPLY_MESSAGE:
			add_reply_message(reply, a.value, a.len);
			break;
		default:
			break;
		}
	}
	return 0;
}
