/*
 * The local identity source: the users of the SQLite store, checked
 * against their scrypt hashes. The only source that keeps Digest secrets.
 */
#include "idsource.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "log.h"
#include "loop.h"
#include "sessions.h"
#include "store.h"

struct local_source {
	struct idsource src;        /* first: the gate holds a struct idsource * */
	struct idsource_env env;
};

static int account_usable(const struct store_user *u, int64_t now_wall, enum metrics_reason *why)
{
	if (!u->enabled) {
		*why = METRICS_REASON_DISABLED;
		return 0;
	}
	if (u->expires_at && u->expires_at <= now_wall) {
		*why = METRICS_REASON_EXPIRED;
		return 0;
	}
	return 1;
}

/*
 * The password of u (a user of the thread's store st) was just found
 * right: if its Digest secrets are of unknown realm (stored before the
 * database recorded realms), make them anew for the daemon's realm, while
 * the database keeps secrets. Best effort: a failure leaves them unused.
 */
static void remake_unknown_realm_secrets(struct local_source *l, struct store *st,
					 const struct store_user *u, const char *password,
					 size_t password_len)
{
	char md5[AUTH_HEX_MAX], sha[AUTH_HEX_MAX], realm[STORE_REALM_MAX + 1], euser[3 * 64 + 8];
	int rc;

	if (account_digest_state(u, NULL) != ACCOUNT_DIGEST_UNKNOWN_REALM ||
	    store_digest_secrets_kept(st) != 1)
		return;
	l->env.realm(l->env.ud, realm, sizeof(realm));
	auth_digest_ha1(AUTH_DIGEST_MD5, u->name, realm, password, password_len, md5);
	auth_digest_ha1(AUTH_DIGEST_SHA256, u->name, realm, password, password_len, sha);
	rc = store_user_remake_digest(st, u->name, u->phc, md5, sha, realm);
	OPENSSL_cleanse(md5, sizeof(md5));
	OPENSSL_cleanse(sha, sizeof(sha));
	log_escape(euser, sizeof(euser), u->name, strlen(u->name));
	if (rc == 0)
		log_notice("user \"%s\": Digest secrets of unknown realm made anew for realm "
			   "\"%s\" at a login", euser, realm);
	else if (rc < 0)
		log_warn("user \"%s\": cannot store Digest secrets for realm \"%s\" (%d); the old "
			 "ones of unknown realm stay unused", euser, realm, rc);
}

/* A disabled or expired account is final: no later source lets it in,
 * whether or not this password was right. */
static void local_check(struct idsource *src, const char *username, const char *password,
			size_t password_len, const struct idsource_peer *peer,
			struct idsource_answer *ans)
{
	struct local_source *l = (struct local_source *)src;
	struct store *st = l->env.thread_store(l->env.ud);
	struct store_user u;
	enum metrics_reason unusable = METRICS_REASON_DISABLED;
	int64_t now = loop_wall_ms() / 1000;
	int rc;

	(void)peer;    /* the store's accounts are the same from every client */

	memset(ans, 0, sizeof(*ans));
	rc = st ? store_user_get(st, username, &u) : -1;
	if (rc < 0) {
		ans->verdict = IDSOURCE_UNREACHABLE;
		return;
	}
	if (!idsource_verify_password(rc == 0 ? u.phc : NULL, password, password_len)) {
		ans->verdict = rc == 1 ? IDSOURCE_NO_SUCH_USER : IDSOURCE_WRONG_PASSWORD;
		ans->reason = rc == 1 ? METRICS_REASON_UNKNOWN_USER : METRICS_REASON_WRONG_PASSWORD;
		ans->final = rc == 0 && !account_usable(&u, now, &unusable);
	} else if (!account_usable(&u, now, &ans->reason)) {
		ans->verdict = IDSOURCE_REFUSED;
		ans->final = 1;
	} else {
		ans->verdict = IDSOURCE_ACCEPT;
		ans->expires_at = u.expires_at;
		ans->credential = sessions_credential_stamp(u.phc);
		remake_unknown_realm_secrets(l, st, &u, password, password_len);
	}
	OPENSSL_cleanse(&u, sizeof(u));
}

/* A Digest secret is a hash over the realm too: one made for another
 * realm (the realm changed since the password was set) can never match,
 * and is left out as if there were none. */
static int local_digest_record(struct idsource *src, const char *username, const char *realm,
			       struct idsource_digest *out)
{
	struct local_source *l = (struct local_source *)src;
	struct store *st = l->env.thread_store(l->env.ud);
	struct store_user u;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = st ? store_user_get(st, username, &u) : -1;
	if (rc != 0)
		return rc < 0 ? -1 : 1;
	out->enabled = u.enabled;
	out->expires_at = u.expires_at;
	out->credential = sessions_credential_stamp(u.phc);
	if (account_digest_usable(&u, realm)) {
		snprintf(out->ha1_md5, sizeof(out->ha1_md5), "%s", u.ha1_md5);
		snprintf(out->ha1_sha256, sizeof(out->ha1_sha256), "%s", u.ha1_sha256);
	}
	OPENSSL_cleanse(&u, sizeof(u));
	return 0;
}

static void local_free(struct idsource *src)
{
	free(src);
}

struct idsource *idsource_local_new(const struct idsource_env *env, char *err, size_t errlen)
{
	struct local_source *l = calloc(1, sizeof(*l));

	if (!l || idsource_verify_init() < 0) {
		snprintf(err, errlen, l ? "cannot hash with scrypt" : "out of memory");
		free(l);
		return NULL;
	}
	l->src.name = "local";
	l->src.caps = IDSOURCE_CAN_DIGEST;
	l->src.check = local_check;
	l->src.digest_record = local_digest_record;
	l->src.free = local_free;
	l->env = *env;
	return &l->src;
}
