/*
 * returnto — the page an intercepted client asked for, carried to the
 * portal and back without becoming an open redirect.
 *
 * The intercept challenge sends a client to the portal with the URL it had
 * asked for and a signature: HMAC-SHA256 with a key made at process start
 * (never stored, never sent) over the client (its MAC when the gateway knows
 * it, else its address), the time and the URL. After a login the portal
 * sends the client on only to a URL whose signature is good for that client
 * and at most RETURNTO_LIFETIME_S old; a URL that a link or a form field
 * carries on its own leads nowhere but the portal's status page.
 *
 * Pure apart from the key: no I/O, safe from any thread.
 */
#ifndef PORTCULLIS_RETURNTO_H
#define PORTCULLIS_RETURNTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RETURNTO_LIFETIME_S 3600
#define RETURNTO_SIG_MAX    64      /* "<seconds>.<32 hex digits>" and its NUL */

/* The signature for url, made by the client at client (mac: all zeros when
 * unknown) at time now (seconds), into out. 0, or -1 when it does not fit
 * or the process has no key (no randomness). */
int returnto_sign(const struct sockaddr *client, const uint8_t mac[6], const char *url, long now,
		  char *out, size_t outlen);

/* 1 when sig is returnto_sign's for this url and this client (by its MAC
 * when known, or by its address: a device may come to the portal over
 * another address than the intercepted one) and not older than
 * RETURNTO_LIFETIME_S at now; 0 otherwise. */
int returnto_verify(const struct sockaddr *client, const uint8_t mac[6], const char *url,
		    const char *sig, long now);

#endif
