#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

/* TLS 1.2: forward secrecy (ECDHE) and AEAD only, as the current
 * recommendations for TLS 1.2 ask (RFC 9325 §4.2); TLS 1.3's own suites
 * are all of that kind and stay OpenSSL's default. */
#define TLS12_CIPHERS                                                            \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"             \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"             \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define SESSION_CACHE_SIZE 20000     /* sessions a client may resume by id */
#define SESSION_TIMEOUT    3600      /* s a session (or ticket) may be resumed */

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
};

static void openssl_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

static int fingerprint_of(SSL_CTX *ctx, char *out, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!x || !X509_digest(x, EVP_sha256(), md, &n) || len < (size_t)n * 3)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 3 * i, len - 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
	return 0;
}

struct tls_server *tls_server_new(const char *cert_path, const char *key_path, char *fingerprint,
				  size_t fingerprint_len, char *err, size_t errlen)
{
	static const unsigned char sid_context[] = "portcullis-proxy";
	struct tls_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx) {
		openssl_error(err, errlen, "cannot make a TLS context");
		goto fail;
	}
	if (!SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(s->ctx, TLS12_CIPHERS)) {
		openssl_error(err, errlen, "cannot set the TLS protocols");
		goto fail;
	}
	/* no renegotiation (a client could make us redo the expensive part at
	 * will), no compression (CRIME); kTLS when the kernel has it; a peer
	 * that closes without close_notify has merely closed: HTTP's own
	 * framing says whether a message was complete */
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					    SSL_OP_ENABLE_KTLS | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* the caller's buffer moves and grows between a write that would block
	 * and its retry; an idle connection gives its record buffers back */
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(s->ctx, SESSION_CACHE_SIZE);
	SSL_CTX_set_timeout(s->ctx, SESSION_TIMEOUT);
	if (!SSL_CTX_set_session_id_context(s->ctx, sid_context, sizeof(sid_context) - 1)) {
		openssl_error(err, errlen, "cannot set the session context");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(s->ctx, cert_path) != 1) {
		openssl_error(err, errlen, "cannot load the certificate");
		snprintf(err + strlen(err), errlen - strlen(err), " (%s)", cert_path);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(s->ctx, key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(s->ctx) != 1) {
		openssl_error(err, errlen, "cannot load a key that matches the certificate");
		snprintf(err + strlen(err), errlen - strlen(err), " (%s)", key_path);
		goto fail;
	}
	if (fingerprint && fingerprint_of(s->ctx, fingerprint, fingerprint_len) < 0) {
		snprintf(err, errlen, "%s: no certificate to fingerprint", cert_path);
		goto fail;
	}
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct tls_conn *tls_conn_new(struct tls_server *s, int fd)
{
	struct tls_conn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ssl = SSL_new(s->ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	return t;
}

void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

int tls_conn_handshake(struct tls_conn *t, uint32_t *want, char *err, size_t errlen)
{
	int rc = SSL_do_handshake(t->ssl);

	if (rc == 1)
		return 1;
	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want = EPOLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*want = EPOLLOUT;
		return 0;
	case SSL_ERROR_SYSCALL:
		snprintf(err, errlen, "%s", errno ? strerror(errno) : "the peer left");
		ERR_clear_error();
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(err, errlen, "the peer left");
		ERR_clear_error();
		return -1;
	default:
		openssl_error(err, errlen, "TLS error");
		return -1;
	}
}

ssize_t tls_conn_read(struct tls_conn *t, void *buf, size_t len)
{
	size_t n = 0;

	if (SSL_read_ex(t->ssl, buf, len, &n) == 1)
		return (ssize_t)n;
	switch (SSL_get_error(t->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno == EAGAIN || errno == EINTR ? -1 : -2;
	default:
		ERR_clear_error();
		return -2;
	}
}

int tls_conn_pending(const struct tls_conn *t)
{
	return SSL_pending(t->ssl) > 0;
}

ssize_t tls_conn_write(struct tls_conn *t, const void *buf, size_t len)
{
	size_t n = 0;

	if (SSL_write_ex(t->ssl, buf, len, &n) == 1)
		return (ssize_t)n;
	switch (SSL_get_error(t->ssl, 0)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno == EAGAIN || errno == EINTR ? -1 : -2;
	default:
		ERR_clear_error();
		return -2;
	}
}

void tls_conn_shutdown(struct tls_conn *t)
{
	/* one call sends our close_notify; the peer's is not waited for */
	if (SSL_shutdown(t->ssl) < 0)
		ERR_clear_error();
}

int tls_conn_resumed(const struct tls_conn *t)
{
	return SSL_session_reused(t->ssl);
}

const char *tls_conn_version(const struct tls_conn *t)
{
	return SSL_get_version(t->ssl);
}

int tls_conn_ktls_send(const struct tls_conn *t)
{
	return BIO_get_ktls_send(SSL_get_wbio(t->ssl)) > 0;
}
