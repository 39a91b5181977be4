/*
 * negotiate — the acceptor side of HTTP Negotiate (RFC 4559) with GSS-API
 * (MIT Kerberos): a client's token checked against the gateway's keytab in
 * one round trip, the principal it proves, and that principal as a
 * username. The only file that includes the GSS-API headers.
 *
 * negotiate_accept blocks on nothing but the keytab read and the
 * decryption, yet it is CPU work the event loops must not do: the gate
 * calls it from its verification threads. Thread-safe.
 *
 * Replays: MIT's own replay cache writes a file per accepted token, a disk
 * write (and an fsync) per new connection, so it is turned off ("none"
 * rcache in the acceptor's credential store). Instead the acceptor keeps in
 * memory a bounded table of the tokens it accepted within twice the clock
 * skew (RFC 4120 §3.2.3: a server must refuse an authenticator it has
 * seen; one older than the skew is refused as skewed anyway): the same
 * token a second time is refused. The table holds NEGOTIATE_REPLAY_SLOTS
 * tokens, 8 per bucket of their hash: a bucket that fills within the
 * window forgets its oldest (a bound, not a guarantee), and a restart
 * forgets them all.
 */
#ifndef PORTCULLIS_NEGOTIATE_H
#define PORTCULLIS_NEGOTIATE_H

#include <stddef.h>
#include <stdint.h>

#define NEGOTIATE_PRINCIPAL_MAX  256
#define NEGOTIATE_TOKEN_MAX      (24 * 1024)   /* decoded; an AD token with a large PAC fits */
#define NEGOTIATE_REPLAY_SLOTS   65536
#define NEGOTIATE_SKEW_S         300           /* MIT's default clockskew */

enum negotiate_result {
	NEGOTIATE_OK,
	NEGOTIATE_SKEW,          /* the client's clock is too far from ours */
	NEGOTIATE_EXPIRED,       /* the ticket has expired */
	NEGOTIATE_BAD_TOKEN,     /* not for us, not decryptable, replayed, not Kerberos */
	NEGOTIATE_ERROR,         /* cannot check now (the keytab cannot be read) */
};

struct negotiate;

/*
 * An acceptor for principal ("HTTP/gw.example.org@EXAMPLE.ORG"; "" takes
 * any key the keytab holds) with the keys of keytab (a path). Reads the
 * keytab once to check it holds the principal. NULL with a message in err.
 */
struct negotiate *negotiate_new(const char *keytab, const char *principal,
				char *err, size_t errlen);
void negotiate_free(struct negotiate *n);

/*
 * Check one client token (token[0..len), the decoded base64 of
 * "Negotiate <token>"). On NEGOTIATE_OK principal holds the client's
 * principal ("alice@EXAMPLE.ORG"). detail (may be NULL) gets a short text
 * of what GSS said, for the daemon log. Thread-safe.
 */
enum negotiate_result negotiate_accept(struct negotiate *n, const uint8_t *token, size_t len,
				       char *principal, size_t principal_len,
				       char *detail, size_t detail_len);

/* One key of a keytab, for `portcullis kerberos check`. */
struct negotiate_key {
	char principal[NEGOTIATE_PRINCIPAL_MAX];
	unsigned kvno;
	char enctype[64];          /* e.g. aes256-cts-hmac-sha1-96 */
	int64_t timestamp;         /* when it was written (Unix s) */
};

/* Read every key of keytab: cb(ud, key) for each, in file order. The
 * number of keys, or -1 with a message in err. Blocks on the file. */
long negotiate_keytab_read(const char *keytab, void (*cb)(void *ud, const struct negotiate_key *k),
			   void *ud, char *err, size_t errlen);

/* The username for principal: with strip_realm the part before the last
 * unescaped '@' ("alice@EX.ORG" -> "alice"), else the principal whole.
 * 0, or -1 if it does not fit out or would be empty. */
int negotiate_username(const char *principal, int strip_realm, char *out, size_t outlen);

#endif
