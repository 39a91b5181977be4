#include "admin_session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "store.h"

#define SESSIONS_MAX   256
#define SESSION_IDLE_S (30 * 60)
#define SESSION_MAX_S  (12 * 3600)

struct admin_sessions {
	pthread_mutex_t lock;             /* guards slots */
	struct admin_session slots[SESSIONS_MAX];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* out: ADMIN_SESSION_TOKEN_HEX + 1 bytes */
static int random_hex(char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[ADMIN_SESSION_TOKEN_HEX / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[ADMIN_SESSION_TOKEN_HEX] = '\0';
	return 0;
}

struct admin_sessions *admin_sessions_new(void)
{
	struct admin_sessions *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void admin_sessions_free(struct admin_sessions *t)
{
	if (!t)
		return;
	OPENSSL_cleanse(t->slots, sizeof(t->slots));
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int admin_session_find(struct admin_sessions *t, const char *cookie, struct admin_session *out)
{
	int64_t now = now_s();
	int found = 0;

	if (!cookie || strlen(cookie) != ADMIN_SESSION_TOKEN_HEX)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		struct admin_session *s = &t->slots[i];

		if (!s->token[0])
			continue;
		if (now - s->last_used > SESSION_IDLE_S || now - s->created > SESSION_MAX_S) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (CRYPTO_memcmp(s->token, cookie, ADMIN_SESSION_TOKEN_HEX) == 0) {
			s->last_used = now;
			*out = *s;
			found = 1;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

/* A session is tied to the password hash its admin had at login: a new
 * password (portcullis admin passwd) gives a new hash, with a new salt even
 * for the same password, and ends every session opened before. What the
 * session keeps is a digest of the hash, not the hash itself. */
void admin_session_digest(const char *phc, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(phc, strlen(phc), out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		memset(out, 0, 32);     /* matches no hash: the session ends at once */
}

int admin_session_account_current(struct store *st, const struct admin_session *s,
				  enum admin_role *role)
{
	struct store_admin adm;
	unsigned char now[32];
	int rc = store_admin_get(st, s->admin, &adm);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return 0;
	admin_session_digest(adm.phc, now);
	OPENSSL_cleanse(adm.phc, sizeof(adm.phc));
	rc = CRYPTO_memcmp(now, s->phc_digest, sizeof(now)) == 0;
	OPENSSL_cleanse(now, sizeof(now));
	*role = admin_role_parse(adm.role);
	return rc;
}

int admin_session_new(struct admin_sessions *t, const char *admin, enum admin_role role,
		      const unsigned char digest[32], struct admin_session *out)
{
	struct admin_session *slot = &t->slots[0];
	int rc = -1;

	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		struct admin_session *s = &t->slots[i];

		if (!s->token[0]) {
			slot = s;
			break;
		}
		if (s->last_used < slot->last_used)
			slot = s;     /* full: the least recently used goes */
	}
	memset(slot, 0, sizeof(*slot));
	if (random_hex(slot->token) == 0 && random_hex(slot->csrf) == 0) {
		snprintf(slot->admin, sizeof(slot->admin), "%s", admin);
		slot->role = role;
		memcpy(slot->phc_digest, digest, sizeof(slot->phc_digest));
		slot->created = slot->last_used = now_s();
		*out = *slot;
		rc = 0;
	} else {
		memset(slot, 0, sizeof(*slot));
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void admin_session_end(struct admin_sessions *t, const char *token)
{
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < SESSIONS_MAX; i++)
		if (t->slots[i].token[0] && !strcmp(t->slots[i].token, token))
			memset(&t->slots[i], 0, sizeof(t->slots[i]));
	pthread_mutex_unlock(&t->lock);
}

int admin_session_csrf_ok(const struct admin_session *s, const char *token)
{
	return token && strlen(token) == ADMIN_SESSION_TOKEN_HEX &&
	       CRYPTO_memcmp(token, s->csrf, ADMIN_SESSION_TOKEN_HEX) == 0;
}

int admin_session_cookie(const struct admin_session *s, int tls, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, ADMIN_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s",
			 s->token, tls ? "; Secure" : "");

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
