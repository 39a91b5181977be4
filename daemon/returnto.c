#include "returnto.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cidr.h"

static uint8_t returnto_key[32];
static int returnto_key_ok;
static pthread_once_t returnto_once = PTHREAD_ONCE_INIT;

/* One key per process: the proxy that signs and the portal that checks
 * run in the same daemon, and a restart only invalidates links that were
 * in flight (the client then lands on the status page). */
static void returnto_key_init(void)
{
	returnto_key_ok = getrandom(returnto_key, sizeof(returnto_key), 0) == (ssize_t)sizeof(returnto_key);
}

static int mac_known(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return mac && memcmp(mac, zero, 6) != 0;
}

/* "<when>.<hex of the first 16 bytes of the HMAC>" over "m|<mac>|<when>|<url>"
 * or "a|<address>|<when>|<url>": the prefix keeps the two bindings apart. */
static int returnto_make(char kind, const char *who, const char *url, long when, char *out,
			 size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char head[128], digits[33];
	unsigned char *msg;
	size_t ulen = strlen(url);
	int n, signed_ok;

	pthread_once(&returnto_once, returnto_key_init);
	if (!returnto_key_ok)
		return -1;
	n = snprintf(head, sizeof(head), "%c|%s|%ld|", kind, who, when);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	msg = malloc((size_t)n + ulen);
	if (!msg)
		return -1;
	memcpy(msg, head, (size_t)n);
	memcpy(msg + n, url, ulen);
	signed_ok = HMAC(EVP_sha256(), returnto_key, sizeof(returnto_key), msg, (size_t)n + ulen, md,
			 &mdlen) != NULL && mdlen >= 16;
	free(msg);
	if (!signed_ok)
		return -1;
	for (int i = 0; i < 16; i++) {
		digits[2 * i] = hex[md[i] >> 4];
		digits[2 * i + 1] = hex[md[i] & 15];
	}
	digits[32] = '\0';
	n = snprintf(out, outlen, "%ld.%s", when, digits);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void mac_text(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int returnto_sign(const struct sockaddr *client, const uint8_t mac[6], const char *url, long now,
		  char *out, size_t outlen)
{
	char who[64];

	if (mac_known(mac)) {
		mac_text(mac, who);
		return returnto_make('m', who, url, now, out, outlen);
	}
	cidr_addr_text(client, who, sizeof(who));
	return returnto_make('a', who, url, now, out, outlen);
}

static int same(const char *expect, const char *sig)
{
	size_t n = strlen(expect);

	return strlen(sig) == n && CRYPTO_memcmp(expect, sig, n) == 0;
}

int returnto_verify(const struct sockaddr *client, const uint8_t mac[6], const char *url,
		    const char *sig, long now)
{
	char expect[RETURNTO_SIG_MAX], who[64], *end;
	const char *dot;
	long when;

	if (!client || !url || !sig || strlen(sig) >= RETURNTO_SIG_MAX)
		return 0;
	dot = strchr(sig, '.');
	if (!dot || dot == sig)
		return 0;
	errno = 0;
	when = strtol(sig, &end, 10);
	if (errno || end != dot || when > now + 60 || now - when > RETURNTO_LIFETIME_S)
		return 0;
	if (mac_known(mac)) {
		mac_text(mac, who);
		if (returnto_make('m', who, url, when, expect, sizeof(expect)) == 0 && same(expect, sig))
			return 1;
	}
	cidr_addr_text(client, who, sizeof(who));
	return returnto_make('a', who, url, when, expect, sizeof(expect)) == 0 && same(expect, sig);
}
