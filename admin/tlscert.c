#include "tlscert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cidr.h"

#define CERT_DAYS  3650
#define PEM_MAX    (64 * 1024)

int tlscert_default_paths(const char *db_path, const char *name, char *cert, size_t cert_len,
			  char *key, size_t key_len)
{
	const char *slash = strrchr(db_path, '/');
	int dir_len = slash ? (int)(slash - db_path) : 1;
	const char *dir = slash ? db_path : ".";
	int n, m;

	if (slash == db_path)
		dir_len = 0;      /* a database in "/": the files go to "/NAME-tls.*" */
	n = snprintf(cert, cert_len, "%.*s/%s-tls.crt", dir_len, dir, name);
	m = snprintf(key, key_len, "%.*s/%s-tls.key", dir_len, dir, name);
	if (n < 0 || (size_t)n >= cert_len || m < 0 || (size_t)m >= key_len)
		return -1;
	return 0;
}

static void openssl_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

/* Add one v3 extension written in OpenSSL's config syntax. */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *pkey, const char *common_name, const char *alt_names)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *serial = BN_new();

	if (!x || !serial)
		goto fail;
	/* RFC 5280 4.1.2.2: a positive serial of at most 20 octets, random so
	 * that a regenerated certificate never repeats one */
	if (!X509_set_version(x, 2) || !BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)))
		goto fail;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Portcullis",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pkey))
		goto fail;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(x, NID_subject_alt_name, alt_names) < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	if (!X509_sign(x, pkey, EVP_sha256()))
		goto fail;
	BN_free(serial);
	return x;
fail:
	BN_free(serial);
	X509_free(x);
	return NULL;
}

/* Create path (never an existing file, never through a symlink) with mode
 * and hand it to OpenSSL's PEM writers. */
static FILE *create_private(const char *path, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	/* the umask may have taken bits away; never given any */
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	return f;
}

int tlscert_ensure(const char *cert_path, const char *key_path, const char *common_name,
		   const char *alt_names, char *err, size_t errlen)
{
	int have_cert = access(cert_path, F_OK) == 0, have_key = access(key_path, F_OK) == 0;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	FILE *kf = NULL, *cf = NULL;
	int rc = -1;

	if (have_cert && have_key)
		return 0;
	if (have_cert != have_key) {
		snprintf(err, errlen, "%s exists without %s: remove it to have a new pair generated",
			 have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
		return -1;
	}
	pkey = EVP_EC_gen("P-256");
	if (!pkey) {
		openssl_error(err, errlen, "cannot generate a key");
		goto out;
	}
	x = make_cert(pkey, common_name, alt_names);
	if (!x) {
		openssl_error(err, errlen, "cannot make the certificate");
		goto out;
	}
	if (!(kf = create_private(key_path, 0600, err, errlen)))
		goto out;
	if (!PEM_write_PrivateKey(kf, pkey, NULL, NULL, 0, NULL, NULL) || fflush(kf) != 0 ||
	    fsync(fileno(kf)) < 0) {
		openssl_error(err, errlen, "cannot write the key");
		goto out;
	}
	if (!(cf = create_private(cert_path, 0644, err, errlen)))
		goto out;
	if (!PEM_write_X509(cf, x) || fflush(cf) != 0 || fsync(fileno(cf)) < 0) {
		openssl_error(err, errlen, "cannot write the certificate");
		goto out;
	}
	rc = 1;
out:
	if (kf && fclose(kf) != 0 && rc == 1)
		rc = -1;
	if (cf && fclose(cf) != 0 && rc == 1)
		rc = -1;
	if (rc < 0 && kf)
		unlink(key_path);
	if (rc < 0 && cf)
		unlink(cert_path);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int tlscert_read_pem(const char *path, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int rc = -1;

	*out = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!(buf = malloc(PEM_MAX + 1))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while ((n = read(fd, buf + len, PEM_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (len == PEM_MAX || len == 0) {
		snprintf(err, errlen, "%s: %s", path, len ? "larger than 64 KiB" : "empty");
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (buf) {
		OPENSSL_cleanse(buf, PEM_MAX + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

int tlscert_fingerprint(const char *cert_pem, char *out, size_t len)
{
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -1;

	if (x && X509_digest(x, EVP_sha256(), md, &n) && len >= (size_t)n * 3) {
		for (unsigned int i = 0; i < n; i++)
			snprintf(out + 3 * i, len - 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
		rc = 0;
	}
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	return rc;
}

void tlscert_alt_names(const struct sockaddr *const *listen, size_t n_listen, char *out, size_t len)
{
	char addr[64], host[256] = "";
	int n = snprintf(out, len, "DNS:localhost,IP:127.0.0.1,IP:::1");

	for (size_t i = 0; i < n_listen; i++) {
		cidr_addr_text(listen[i], addr, sizeof(addr));
		if (addr[0] && strcmp(addr, "0.0.0.0") && strcmp(addr, "::") &&
		    strcmp(addr, "127.0.0.1") && strcmp(addr, "::1") && n > 0 && (size_t)n < len &&
		    !strstr(out, addr))
			n += snprintf(out + n, len - (size_t)n, ",IP:%s", addr);
	}
	/* a host name is only usable as a DNS name if it is one */
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0] && strcmp(host, "localhost") &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		    strlen(host) && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ",DNS:%s", host);
}
