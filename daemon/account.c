#include "account.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

int account_daemon_realm(struct store *st, char *out, size_t len)
{
	return store_meta_get(st, "digest_realm", out, len) == 0 && out[0] ? 0 : -1;
}

int account_hash_password(struct store *st, const char *realm, const char *name,
			  const char *password, size_t password_len, struct account_secret *out)
{
	char recorded[STORE_REALM_MAX + 1];
	int keep;

	memset(out, 0, sizeof(*out));
	keep = store_digest_secrets_kept(st);
	if (keep < 0)
		return -1;
	if (keep && !realm)
		realm = account_daemon_realm(st, recorded, sizeof(recorded)) == 0 ? recorded : NULL;
	if (passwd_hash(password, password_len, NULL, out->phc, sizeof(out->phc)) < 0)
		return -1;
	if (keep && realm && realm[0] && strlen(realm) <= STORE_REALM_MAX) {
		auth_digest_ha1(AUTH_DIGEST_MD5, name, realm, password, password_len, out->ha1_md5);
		auth_digest_ha1(AUTH_DIGEST_SHA256, name, realm, password, password_len, out->ha1_sha256);
		snprintf(out->ha1_realm, sizeof(out->ha1_realm), "%s", realm);
	}
	return 0;
}

int account_digest_usable(const struct store_user *u, const char *realm)
{
	return u->ha1_sha256[0] && u->ha1_md5[0] && u->ha1_realm[0] && realm &&
	       !strcmp(u->ha1_realm, realm);
}

enum account_digest account_digest_state(const struct store_user *u, const char *realm)
{
	if (!u->ha1_sha256[0] && !u->ha1_md5[0])
		return ACCOUNT_DIGEST_NONE;
	if (!u->ha1_realm[0])
		return ACCOUNT_DIGEST_UNKNOWN_REALM;
	return account_digest_usable(u, realm) ? ACCOUNT_DIGEST_USABLE : ACCOUNT_DIGEST_OTHER_REALM;
}

const char *account_digest_name(enum account_digest d)
{
	switch (d) {
	case ACCOUNT_DIGEST_USABLE: return "yes";
	case ACCOUNT_DIGEST_OTHER_REALM: return "other realm";
	case ACCOUNT_DIGEST_UNKNOWN_REALM: return "unknown realm";
	case ACCOUNT_DIGEST_NONE: break;
	}
	return "no";
}

int account_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_USER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == ':')
			return 0;
	}
	return 1;
}
