/*
 * credcache — the verified-credentials cache: answers the gate checked
 * (a Basic username and password and its verdict, or a user's Digest
 * record), kept for [auth] cache_ttl so that a client's every request
 * does not cost a scrypt or a database read.
 *
 * Keys are a keyed hash (under a secret made at start) of the username and
 * password: the cache holds no password. Entries carry the epoch they were
 * checked in; credcache_drop starts a new one, and every older entry is
 * dead at once (the gate drops the cache whenever a user changes). Thread
 * safe: the loops and the verification threads share it.
 */
#ifndef PORTCULLIS_CREDCACHE_H
#define PORTCULLIS_CREDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "idsource.h"
#include "metrics.h"

struct credcache;

enum credcache_kind {
	CREDCACHE_BASIC = 'B',   /* key: user ":" password -> verdict */
	CREDCACHE_USER = 'U',    /* key: user -> account record for Digest */
};

/* One cached answer. */
struct credcache_entry {
	uint8_t key[32];
	uint64_t epoch;          /* 0: empty */
	int64_t until;           /* monotonic s */
	int64_t account_expires; /* wall s, 0 never */
	enum metrics_reason failure;
	int ok;                  /* BASIC: password right and account usable */
	int exists, enabled;     /* USER */
	uint64_t credential;     /* BASIC ok, USER: sessions_credential_stamp of the hash */
	struct idsource_attrs *attrs;  /* BASIC ok: what the source said beside
					* "accept"; NULL: nothing. A slot owns
					* its copy; credcache_get never hands it out */
	char username[AUTH_USER_MAX + 1];
	char ha1_md5[33];
	char ha1_sha256[65];
};

/* ttl in seconds, 0: nothing is kept. NULL with a message in err. */
struct credcache *credcache_new(unsigned ttl, char *err, size_t errlen);
void credcache_free(struct credcache *c);   /* accepts NULL */

/* The key of kind for a (alen bytes) and b (blen bytes; NULL: none). */
void credcache_key(const struct credcache *c, enum credcache_kind kind, const char *a,
		   size_t alen, const char *b, size_t blen, uint8_t out[32]);

/* Copy out the live entry for key (its attributes into *attrs, which may
 * be NULL; out->attrs is NULL). 1 found, 0 not. */
int credcache_get(struct credcache *c, const uint8_t key[32], struct credcache_entry *out,
		  struct idsource_attrs *attrs);

/* Keep in (in->key set) as checked in epoch (credcache_epoch when the
 * check began: an answer checked across a drop is dead on arrival);
 * attrs (may be NULL) is copied. */
void credcache_put(struct credcache *c, const struct credcache_entry *in, uint64_t epoch,
		   const struct idsource_attrs *attrs);

/* The epoch now. */
uint64_t credcache_epoch(struct credcache *c);
/* Every entry kept so far is dead. */
void credcache_drop(struct credcache *c);
/* A new TTL for later entries; 1 if it changed (the caller drops the
 * cache so that entries kept under a longer one end too), else 0. */
int credcache_set_ttl(struct credcache *c, unsigned ttl);

#endif
