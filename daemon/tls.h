/*
 * tls — the server side of TLS for the proxy's TLS listener (OpenSSL).
 *
 * One tls_server per daemon holds the certificate, the protocol settings
 * (TLS 1.2 and 1.3 only; for 1.2 only ECDHE key exchange with AEAD ciphers)
 * and the session cache and ticket keys that let a client resume, shared by
 * every worker. One tls_conn per accepted connection runs over a non-
 * blocking socket the worker's loop watches: nothing here blocks or waits,
 * each call says which event (EPOLLIN or EPOLLOUT) it needs to go on. The
 * kernel encrypts (kTLS) when OpenSSL and the kernel allow it; that changes
 * nothing for the caller. This is the only file that includes OpenSSL's
 * TLS headers in the daemon.
 */
#ifndef PORTCULLIS_TLS_H
#define PORTCULLIS_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest plaintext one TLS record carries (RFC 8446 §5.1). */
#define TLS_RECORD_MAX 16384

struct tls_server;
struct tls_conn;

/* Load cert_path (PEM, the certificate then any chain) and key_path, and
 * set the protocol up. NULL with a message in err. fingerprint (may be
 * NULL, len >= 96) gets the certificate's SHA-256 as "AB:CD:...". */
struct tls_server *tls_server_new(const char *cert_path, const char *key_path, char *fingerprint,
				  size_t fingerprint_len, char *err, size_t errlen);
/* Accepts NULL. Every tls_conn of it must have been freed. */
void tls_server_free(struct tls_server *s);

/* A connection over fd (borrowed: the caller closes it after
 * tls_conn_free). NULL out of memory. */
struct tls_conn *tls_conn_new(struct tls_server *s, int fd);
/* Accepts NULL. Sends nothing: see tls_conn_shutdown. */
void tls_conn_free(struct tls_conn *t);

/* Run the handshake on: 1 done, 0 not yet (*want is the EPOLLIN or
 * EPOLLOUT to wait for), -1 failed (a reason in err: not TLS, no shared
 * protocol or cipher, the peer left). */
int tls_conn_handshake(struct tls_conn *t, uint32_t *want, char *err, size_t errlen);

/* Plaintext from the peer into buf: bytes read, 0 when the peer has closed
 * (close_notify or the TCP end), -1 would block, -2 error. */
ssize_t tls_conn_read(struct tls_conn *t, void *buf, size_t len);
/* 1 when plaintext already decrypted waits in OpenSSL: the socket will not
 * become readable for it, so the caller reads again without waiting. */
int tls_conn_pending(const struct tls_conn *t);
/* Send len bytes of plaintext (may take fewer): bytes taken, -1 would
 * block (call again with the same bytes first), -2 error. */
ssize_t tls_conn_write(struct tls_conn *t, const void *buf, size_t len);
/* Tell the peer we are done writing (close_notify), without waiting. */
void tls_conn_shutdown(struct tls_conn *t);

/* After the handshake: whether the session was resumed, the protocol
 * ("TLSv1.3"), and whether the kernel encrypts what we send (kTLS). */
int tls_conn_resumed(const struct tls_conn *t);
const char *tls_conn_version(const struct tls_conn *t);
int tls_conn_ktls_send(const struct tls_conn *t);

#endif
