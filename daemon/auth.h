/*
 * auth — Proxy-Authorization parsing and checking, Basic (RFC 7617) and
 * Digest (RFC 7616), and the parsing of Negotiate (RFC 4559; negotiate.h
 * checks its token). Pure functions plus the Digest nonce state; no I/O,
 * no knowledge of users or storage (the gate brings those).
 */
#ifndef PORTCULLIS_AUTH_H
#define PORTCULLIS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_USER_MAX     256     /* bytes of a username, UTF-8 */
#define AUTH_PASS_MAX     1024    /* bytes of a password */
#define AUTH_HEX_MAX      65      /* SHA-256 hex + NUL */
#define AUTH_NONCE_MAX    64
#define AUTH_TOKEN_B64_MAX (32 * 1024)   /* a Negotiate token as sent (base64) */

enum auth_scheme {
	AUTH_SCHEME_NONE,
	AUTH_SCHEME_BASIC,
	AUTH_SCHEME_DIGEST,
	AUTH_SCHEME_NEGOTIATE,   /* RFC 4559: a GSS-API token */
	AUTH_SCHEME_OTHER,       /* a scheme we do not offer */
};

enum auth_digest_alg {
	AUTH_DIGEST_MD5,
	AUTH_DIGEST_SHA256,
};

/* Result of parsing a Proxy-Authorization value. Strings are copied and
 * NUL-terminated; the username may contain any byte but NUL. */
struct auth_credentials {
	enum auth_scheme scheme;
	char username[AUTH_USER_MAX + 1];
	/* Basic */
	char password[AUTH_PASS_MAX + 1];
	size_t password_len;
	/* Digest */
	enum auth_digest_alg alg;
	char realm[128];
	char nonce[AUTH_NONCE_MAX + 1];
	char uri[2048];
	char response[AUTH_HEX_MAX];
	char cnonce[128];
	char opaque[128];
	char qop[16];             /* "auth" or "" */
	uint32_t nc;              /* nonce count */
	int userhash;             /* userhash=true (not supported: refused) */
	/* Negotiate: the base64 token as sent, borrowed from the parsed
	 * value (valid while it is); auth_negotiate_token decodes it */
	const char *token;
	size_t token_len;
};

enum auth_parse {
	AUTH_PARSE_OK,
	AUTH_PARSE_MALFORMED,     /* bad syntax, bad base64, missing field... */
	AUTH_PARSE_UNSUPPORTED,   /* scheme or algorithm we do not do */
};

/*
 * Parse the value of a Proxy-Authorization header (value[0..len)).
 * Basic: base64 of user ":" password, split at the FIRST colon (RFC 7617
 * §2), so a password may contain colons; a username containing ':' is
 * impossible. Digest: auth-param list with quoted-string unescaping
 * (RFC 7616 §3.4); username*= (RFC 8187) is accepted. Digest must carry
 * qop=auth with nc (8 lower-case hex digits, not 0) and cnonce; algorithm
 * MD5 (the default) or SHA-256, response of that many hex digits (stored
 * lower-cased). -sess and other algorithms, qop=auth-int, userhash=true
 * and a missing qop (RFC 2069) are UNSUPPORTED. Usernames are non-empty
 * and free of control characters. Negotiate (RFC 4559 §4.2): one token68
 * of standard base64, padded (its length a multiple of 4), at most
 * AUTH_TOKEN_B64_MAX characters; creds->token points into value.
 * On return creds holds what was parsed (scheme set even when malformed;
 * the username too where it was reached, for the audit record; the
 * password only on AUTH_PARSE_OK).
 */
enum auth_parse auth_parse_credentials(const char *value, size_t len,
				       struct auth_credentials *creds);

/* Decode creds' Negotiate token into out (outmax bytes; 3/4 of
 * creds->token_len is enough). Its length, or -1 if it is not strict
 * base64 or does not fit. */
long auth_negotiate_token(const struct auth_credentials *creds, uint8_t *out, size_t outmax);

/* Cleanse what creds holds of a secret (the Basic password, the Digest
 * response) once it is no longer needed. Only the bytes parsing wrote: the
 * rest of the struct (a few KiB) carries nothing secret, and cleansing it
 * all was a visible share of the cost of every request. */
void auth_credentials_wipe(struct auth_credentials *creds);

/* Lower-case hex of H(user ":" realm ":" password) for alg. out >= 65
 * (out is "" on an internal error, so that no comparison can succeed). */
void auth_digest_ha1(enum auth_digest_alg alg, const char *user,
		     const char *realm, const char *password, size_t password_len,
		     char *out);

/*
 * Expected response for creds given the stored HA1 hex and the request
 * method (RFC 7616 §3.4.1, qop=auth): H(HA1:nonce:nc:cnonce:qop:H(method:uri)).
 * out >= 65.
 */
void auth_digest_response(enum auth_digest_alg alg, const char *ha1_hex,
			  const struct auth_credentials *creds,
			  const char *method, size_t method_len, char *out);

/* Constant-time comparison of two NUL-terminated strings of any length. */
int auth_secret_equal(const char *a, const char *b);

/*
 * Digest nonces: a timestamp and an HMAC of it under a server secret, so
 * any worker thread can check one without shared state; replays of a
 * nonce-count are refused with a small per-nonce window kept in a bounded
 * table (older entries are forgotten, which only makes their nonce stale).
 * Thread-safe.
 */
struct auth_nonces;

/* secret: 32 random bytes (the caller gets them from the OS); lifetime: s;
 * table_size: nonces tracked for replays (about 48 bytes each). NULL on
 * allocation failure. */
struct auth_nonces *auth_nonces_new(const uint8_t secret[32], unsigned lifetime,
				    size_t table_size);
void auth_nonces_free(struct auth_nonces *n);
/* Change the lifetime (a reload); nonces already out are judged by the new
 * one. Thread-safe. */
void auth_nonces_set_lifetime(struct auth_nonces *n, unsigned lifetime);

/* Write a fresh nonce (NUL-terminated) into out (>= AUTH_NONCE_MAX + 1). */
void auth_nonce_make(struct auth_nonces *n, int64_t now, char *out);

enum auth_nonce_check {
	AUTH_NONCE_VALID,
	AUTH_NONCE_STALE,        /* authentic but expired: answer stale=true */
	AUTH_NONCE_INVALID,      /* not ours */
	AUTH_NONCE_REPLAY,       /* nonce-count already used */
};

/* Check nonce + nc. Call only AFTER the response hash has been verified, so
 * an attacker cannot burn nonce counts of a legitimate client. A nonce that
 * may have been forgotten by the table (not newer than one it dropped) is
 * STALE rather than accepted afresh, so a forgotten nonce is never open to
 * replay. nc 0 is INVALID (counts start at 1). */
enum auth_nonce_check auth_nonce_check(struct auth_nonces *n, const char *nonce,
				       uint32_t nc, int64_t now);
/* Authenticity and age only; no replay bookkeeping. */
enum auth_nonce_check auth_nonce_peek(struct auth_nonces *n, const char *nonce,
				      int64_t now);

/*
 * Build the Proxy-Authenticate header lines for a 407 into buf: one line
 * per enabled scheme, strongest first — Negotiate, Digest SHA-256, Digest MD5, Basic
 * (realm="...", charset="UTF-8"). Each line is
 * "Proxy-Authenticate: ...\r\n". stale adds stale=true to the Digest
 * challenges. schemes is a mask of config.h's CONFIG_SCHEME_* bits.
 * header_name lets the same code build WWW-Authenticate lines. Both Digest
 * lines carry the same fresh nonce; nonces may be NULL only without Digest.
 * Returns bytes written (without NUL) or -1 if buf is too small, Digest is
 * asked for without nonces, or realm holds control characters.
 */
int auth_challenge_headers(char *buf, size_t len, const char *header_name,
			   unsigned schemes, const char *realm,
			   struct auth_nonces *nonces, int64_t now, int stale);

#endif
