#include "upload.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

int upload_append(struct upload *u, const char *data, size_t len, size_t max)
{
	char *grown;

	if (u->too_large)
		return 0;
	if (len > max || u->len > max - len) {
		u->too_large = 1;
		return 0;
	}
	grown = realloc(u->data, u->len + len + 1);
	if (!grown)
		return -1;
	memcpy(grown + u->len, data, len);
	u->data = grown;
	u->len += len;
	u->data[u->len] = '\0';
	return 0;
}

void upload_free(struct upload *u)
{
	if (!u)
		return;
	if (u->data) {
		/* a login body holds a password */
		OPENSSL_cleanse(u->data, u->len);
		free(u->data);
	}
	free(u);
}
