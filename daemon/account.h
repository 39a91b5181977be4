/*
 * account — what storing a proxy user's password means, in one place for
 * the CLI and the admin panel: a scrypt PHC string, plus the Digest
 * secrets (HA1, MD5 and SHA-256 of "name:realm:password", RFC 7616
 * section 3.4.2) for one realm, unless the database keeps none
 * (store_digest_secrets_kept). A Digest secret is as good as the password
 * for Digest logins and costs one MD5 per guess: scrypt protects only the
 * password of a user who has none.
 */
#ifndef PORTCULLIS_ACCOUNT_H
#define PORTCULLIS_ACCOUNT_H

#include <stddef.h>

#include "auth.h"
#include "passwd.h"
#include "store.h"

struct account_secret {
	char phc[PASSWD_HASH_MAX];
	char ha1_md5[AUTH_HEX_MAX];      /* "" when no Digest secret is stored */
	char ha1_sha256[AUTH_HEX_MAX];
	char ha1_realm[STORE_REALM_MAX + 1];   /* their realm, "" with none */
};

/*
 * Hash a new password. realm: the Digest realm the secrets are for; NULL
 * the realm the daemon recorded in the database at its last start or
 * reload (the admin panel runs in the daemon: that is its own). No Digest
 * secrets when the database keeps none. 0, or -1 (hashing failed, the
 * database could not be read). Blocks for a scrypt.
 */
int account_hash_password(struct store *st, const char *realm, const char *name,
			  const char *password, size_t password_len, struct account_secret *out);

/* The realm the daemon recorded (see above) into out: 0, or -1 when
 * there is none or it cannot be read. */
int account_daemon_realm(struct store *st, char *out, size_t len);

/* 1 if u has Digest secrets for realm, i.e. can log in by Digest there. */
int account_digest_usable(const struct store_user *u, const char *realm);

/* What a user's Digest secrets are worth in realm, for listings. */
enum account_digest {
	ACCOUNT_DIGEST_USABLE,          /* made for realm */
	ACCOUNT_DIGEST_NONE,            /* none stored */
	ACCOUNT_DIGEST_OTHER_REALM,     /* made for another realm (u->ha1_realm) */
	ACCOUNT_DIGEST_UNKNOWN_REALM,   /* stored before their realm was recorded:
					 * never used, made anew at the next Basic
					 * or portal login */
};
enum account_digest account_digest_state(const struct store_user *u, const char *realm);
/* "yes", "no", "other realm", "unknown realm". */
const char *account_digest_name(enum account_digest d);

/* 1 if name can be a proxy user or admin name: 1..256 bytes, no control
 * characters, no ':' (Basic splits at the first colon). */
int account_valid_name(const char *name);

#endif
