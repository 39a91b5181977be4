/*
 * tlscert — the TLS certificates and keys of the admin listener and of the
 * proxy's TLS listener.
 *
 * With TLS on and no tls_cert/tls_key configured, a self-signed
 * certificate (ECDSA P-256, SHA-256, ten years, subjectAltName for
 * localhost, the listen addresses and the host name) is generated with
 * OpenSSL on first start and kept next to the database (admin-tls.crt and
 * admin-tls.key, proxy-tls.crt and proxy-tls.key, keys with mode 0600), so
 * an address keeps one fingerprint across restarts. Uses OpenSSL only; the
 * TLS itself is libmicrohttpd's (admin) and daemon/tls.c's (proxy).
 */
#ifndef PORTCULLIS_TLSCERT_H
#define PORTCULLIS_TLSCERT_H

#include <stddef.h>
#include <sys/socket.h>

/* Where the generated pair lives for a database at db_path: cert and key
 * get "<directory of db_path>/NAME-tls.crt" and ".key" (name "admin",
 * "proxy"). -1 if too long. */
int tlscert_default_paths(const char *db_path, const char *name, char *cert, size_t cert_len,
			  char *key, size_t key_len);

/* The names a generated certificate is valid for, in OpenSSL's
 * subjectAltName syntax: localhost, each of the n_listen addresses that is
 * not a wildcard, and this host's name. */
void tlscert_alt_names(const struct sockaddr *const *listen, size_t n_listen, char *out,
		       size_t len);

/*
 * Make sure cert_path and key_path exist: when both are missing, generate
 * a self-signed pair named common_name ("Portcullis admin panel") for the
 * names in alt_names (borrowed: "DNS:localhost, IP:127.0.0.1" in OpenSSL's
 * subjectAltName syntax); when both exist, keep
 * them. The key is written with mode 0600 and never follows a symlink.
 * Returns 1 when generated, 0 when kept, -1 with a message in err (one of
 * the two missing, cannot write, OpenSSL failed).
 */
int tlscert_ensure(const char *cert_path, const char *key_path, const char *common_name,
		   const char *alt_names, char *err, size_t errlen);

/* The whole PEM file at path, NUL-terminated, into *out (caller frees; a
 * key should be cleansed before). 0, or -1 with a message. */
int tlscert_read_pem(const char *path, char **out, char *err, size_t errlen);

/* The SHA-256 fingerprint of the first certificate in cert_pem as
 * "AB:CD:...", for the log line an administrator compares with what the
 * browser shows. len >= 96. 0 or -1. */
int tlscert_fingerprint(const char *cert_pem, char *out, size_t len);

#endif
