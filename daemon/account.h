/*
 * account — what storing a proxy user's password means, in one place for
 * the CLI and the admin panel: a scrypt PHC string, plus the Digest HA1
 * values (MD5 and SHA-256) while Digest is on, i.e. while the database
 * records a realm (the daemon writes it at start, or removes it).
 */
#ifndef PORTCULLIS_ACCOUNT_H
#define PORTCULLIS_ACCOUNT_H

#include <stddef.h>

#include "auth.h"
#include "passwd.h"

struct store;

struct account_secret {
	char phc[PASSWD_HASH_MAX];
	char ha1_md5[AUTH_HEX_MAX];      /* "" when Digest is off */
	char ha1_sha256[AUTH_HEX_MAX];
};

/* 0 or -1 (hashing failed). Blocks for a scrypt. */
int account_hash_password(struct store *st, const char *name, const char *password,
			  size_t password_len, struct account_secret *out);

/* 1 if name can be a proxy user or admin name: 1..256 bytes, no control
 * characters, no ':' (Basic splits at the first colon). */
int account_valid_name(const char *name);

#endif
