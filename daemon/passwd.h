/*
 * passwd — password hashing for stored accounts: scrypt through OpenSSL's
 * EVP_PKEY_SCRYPT, written as a PHC string so parameters can be raised
 * later without invalidating existing hashes:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt, base64 no padding>$<hash, base64 no padding>
 *
 * Verifying takes tens of milliseconds and ~32 MiB on purpose: never call it
 * on an event-loop thread.
 */
#ifndef PORTCULLIS_PASSWD_H
#define PORTCULLIS_PASSWD_H

#include <stddef.h>

#define PASSWD_HASH_MAX 192

struct passwd_params {
	unsigned log2_n;     /* ln */
	unsigned r;
	unsigned p;
};

/* Defaults for new hashes: ln=15, r=8, p=1. */
extern const struct passwd_params passwd_default_params;

/* Hash password[0..len) with a fresh 16-byte salt into out (outlen >=
 * PASSWD_HASH_MAX is always enough). params NULL means the defaults; params
 * outside what passwd_verify accepts are refused. 0, or -1 with out "". */
int passwd_hash(const char *password, size_t len, const struct passwd_params *params,
		char *out, size_t outlen);

/* 1 if password matches phc, 0 if not, -1 if phc is malformed or the
 * parameters are out of bounds (ln 10..20, r 1..32, p 1..16, and at most
 * 256 MiB of memory and 2^23 units of N*r*p work, so a planted hash cannot
 * exhaust the host), or on an internal error. Compares in constant time. */
int passwd_verify(const char *password, size_t len, const char *phc);

/* 1 if phc uses weaker parameters than params (params NULL: the defaults)
 * or is malformed (rehash on next login). */
int passwd_needs_rehash(const char *phc, const struct passwd_params *params);

/* Fill buf with len random letters and digits (for generated passwords)
 * followed by a NUL, so buf must hold len + 1 bytes; uses the OS random
 * generator. 0 or -1. */
int passwd_generate(char *buf, size_t len);

#endif
