#include "account.h"

#include <string.h>

#include "store.h"

int account_hash_password(struct store *st, const char *name, const char *password,
			  size_t password_len, struct account_secret *out)
{
	char realm[256];

	memset(out, 0, sizeof(*out));
	if (passwd_hash(password, password_len, NULL, out->phc, sizeof(out->phc)) < 0)
		return -1;
	if (store_meta_get(st, "digest_realm", realm, sizeof(realm)) == 0) {
		auth_digest_ha1(AUTH_DIGEST_MD5, name, realm, password, password_len, out->ha1_md5);
		auth_digest_ha1(AUTH_DIGEST_SHA256, name, realm, password, password_len, out->ha1_sha256);
	}
	return 0;
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
