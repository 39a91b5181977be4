#include "passwd.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#define SALT_LEN      16
#define HASH_LEN      32
#define SALT_MIN      8      /* what we accept from a stored string */
#define SALT_MAX      64
#define HASH_MIN      16
#define HASH_MAX      64

/*
 * Bounds on stored parameters. A hash string is trusted data (it comes
 * from our own database), but a corrupted or planted one must not make a
 * login allocate gigabytes or spin for minutes: besides each parameter's
 * range, the memory (128 * r * N bytes) and the work (N * r * p) are capped.
 * The default ln=15, r=8, p=1 needs 32 MiB and 2^18 units of work.
 */
#define LN_MIN        10
#define LN_MAX        20
#define R_MIN         1
#define R_MAX         32
#define P_MIN         1
#define P_MAX         16
#define MEM_CAP       (UINT64_C(256) << 20)
#define WORK_CAP      (UINT64_C(1) << 23)

const struct passwd_params passwd_default_params = { .log2_n = 15, .r = 8, .p = 1 };

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* PHC strings use standard base64 without '=' padding. */
static void b64_encode(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Strict: alphabet only, no padding, no length of 1 mod 4, unused bits of
 * the last character zero (RFC 4648 §3.5). Decoded length or -1. */
static long b64_decode(const char *in, size_t len, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > outmax)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *p = in[i] ? strchr(b64, in[i]) : NULL;

		if (p == NULL)
			return -1;
		acc = (acc << 6) | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (long)o;
}

static int params_ok(const struct passwd_params *pp)
{
	uint64_t n;

	if (pp->log2_n < LN_MIN || pp->log2_n > LN_MAX || pp->r < R_MIN ||
	    pp->r > R_MAX || pp->p < P_MIN || pp->p > P_MAX)
		return 0;
	n = UINT64_C(1) << pp->log2_n;
	return 128 * pp->r * n <= MEM_CAP && n * pp->r * pp->p <= WORK_CAP;
}

static int scrypt_derive(const char *password, size_t len, const uint8_t *salt,
			 size_t saltlen, const struct passwd_params *pp,
			 uint8_t *out, size_t outlen)
{
	uint64_t n = UINT64_C(1) << pp->log2_n;
	/* OpenSSL refuses unless maxmem covers B (128 r p) and V
	 * (128 r (N + 2)); the rest is headroom for its own bookkeeping */
	uint64_t maxmem = 128 * (uint64_t)pp->r * (n + 2) +
			  128 * (uint64_t)pp->r * pp->p + (UINT64_C(1) << 20);
	EVP_PKEY_CTX *ctx;
	size_t got = outlen;
	int rc = -1;

	if (len > INT32_MAX)
		return -1;
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_SCRYPT, NULL);
	if (ctx == NULL)
		return -1;
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set1_pbe_pass(ctx, password, (int)len) <= 0 ||
	    EVP_PKEY_CTX_set1_scrypt_salt(ctx, salt, (int)saltlen) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_N(ctx, n) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_r(ctx, pp->r) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_p(ctx, pp->p) <= 0 ||
	    EVP_PKEY_CTX_set_scrypt_maxmem_bytes(ctx, maxmem) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &got) <= 0 || got != outlen)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int passwd_hash(const char *password, size_t len, const struct passwd_params *params,
		char *out, size_t outlen)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	char salt64[SALT_LEN * 4 / 3 + 4], hash64[HASH_LEN * 4 / 3 + 4];
	int rc = -1, n;

	if (outlen > 0)
		out[0] = '\0';
	if (params == NULL)
		params = &passwd_default_params;
	if (!params_ok(params))
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	if (scrypt_derive(password, len, salt, sizeof(salt), params, hash,
			  sizeof(hash)) < 0)
		goto out;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(hash, sizeof(hash), hash64);
	n = snprintf(out, outlen, "$scrypt$ln=%u,r=%u,p=%u$%s$%s", params->log2_n,
		     params->r, params->p, salt64, hash64);
	if (n < 0 || (size_t)n >= outlen)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(hash64, sizeof(hash64));
	if (rc < 0 && outlen > 0)
		out[0] = '\0';
	return rc;
}

/* A decimal without sign, spaces or leading zeros, at most 3 digits. */
static const char *parse_uint(const char *s, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL;
	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || n > 3)
		return NULL;
	*out = v;
	return s + n;
}

struct phc {
	struct passwd_params params;
	uint8_t salt[SALT_MAX];
	size_t salt_len;
	uint8_t hash[HASH_MAX];
	size_t hash_len;
};

/* "$scrypt$ln=N,r=N,p=N$salt$hash" and nothing else; 0 or -1. */
static int phc_parse(const char *s, struct phc *phc)
{
	static const char prefix[] = "$scrypt$ln=";
	const char *p, *dollar;
	long n;

	if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p = parse_uint(s + sizeof(prefix) - 1, &phc->params.log2_n);
	if (p == NULL || strncmp(p, ",r=", 3) != 0)
		return -1;
	p = parse_uint(p + 3, &phc->params.r);
	if (p == NULL || strncmp(p, ",p=", 3) != 0)
		return -1;
	p = parse_uint(p + 3, &phc->params.p);
	if (p == NULL || *p != '$')
		return -1;
	p++;
	dollar = strchr(p, '$');
	if (dollar == NULL)
		return -1;
	n = b64_decode(p, (size_t)(dollar - p), phc->salt, sizeof(phc->salt));
	if (n < SALT_MIN)
		return -1;
	phc->salt_len = (size_t)n;
	p = dollar + 1;
	n = b64_decode(p, strlen(p), phc->hash, sizeof(phc->hash));
	if (n < HASH_MIN)
		return -1;
	phc->hash_len = (size_t)n;
	return 0;
}

int passwd_verify(const char *password, size_t len, const char *phc_text)
{
	uint8_t got[HASH_MAX];
	struct phc phc;
	int rc = -1;

	if (phc_text == NULL || phc_parse(phc_text, &phc) < 0 || !params_ok(&phc.params))
		return -1;
	if (scrypt_derive(password, len, phc.salt, phc.salt_len, &phc.params, got,
			  phc.hash_len) < 0)
		goto out;
	rc = CRYPTO_memcmp(got, phc.hash, phc.hash_len) == 0;
out:
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

int passwd_needs_rehash(const char *phc_text, const struct passwd_params *params)
{
	struct phc phc;

	if (params == NULL)
		params = &passwd_default_params;
	if (phc_text == NULL || phc_parse(phc_text, &phc) < 0)
		return 1;
	return phc.params.log2_n < params->log2_n || phc.params.r < params->r ||
	       phc.params.p < params->p || phc.salt_len < SALT_LEN ||
	       phc.hash_len < HASH_LEN;
}

int passwd_generate(char *buf, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	/* bytes >= 248 are thrown away: 248 = 4 * 62, so what is left maps
	 * onto the alphabet evenly (no modulo bias) */
	const unsigned limit = 256 - 256 % (sizeof(alphabet) - 1);
	uint8_t rnd[64];
	size_t o = 0;

	while (o < len) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			OPENSSL_cleanse(buf, len);
			buf[0] = '\0';
			return -1;
		}
		for (size_t i = 0; i < sizeof(rnd) && o < len; i++)
			if (rnd[i] < limit)
				buf[o++] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	}
	buf[len] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}
