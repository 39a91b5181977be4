/*
 * The directory as an identity source ([auth] sources = ...,ldap): what
 * directory.h answers, in idsource.h's terms. It keeps no Digest records:
 * the directory never gives the gateway a password, so a directory user
 * logs in with Basic or through the portal.
 *
 * It keeps the groups of the users it let in (cached_groups, for the
 * per-group policy): a thread of its own reads them again, as the service
 * account, once they are [ldap] group_cache_ttl old and the user has made
 * a request since, so that a group change in the directory reaches the
 * policy without waiting for a new password check and without a request
 * ever waiting for the directory. The same read says whether the account
 * is still usable: an entry the directory disabled (userAccountControl),
 * locked (pwdAccountLockedTime) or removed is remembered as refused, which
 * ends the user's portal sessions and explicit connections (refused)
 * within [ldap] group_cache_ttl, without waiting for a password check.
 * After a restart, a restored portal session's user is unknown here until
 * the sessions ask for the groups (want_groups), read at once by the same
 * thread.
 */
#include "idsource.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "directory.h"
#include "log.h"
#include "loop.h"
#include "sessions.h"

/* users whose groups are kept; a full table keeps what it has (the rest
 * get the groups of their last password check) */
#define GROUP_SLOTS 1024
/* group_store's why for an account that is not refused */
#define NOT_REFUSED METRICS_REASON_COUNT
/* an entry unused this long may be taken by another user */
#define GROUP_IDLE_MS (3600 * 1000)

struct group_entry {
	char name[AUTH_USER_MAX + 1];      /* "": free */
	char groups[IDSOURCE_GROUPS_MAX];
	size_t groups_len;
	unsigned n_groups;
	int64_t fetched_ms, used_ms;       /* monotonic */
	int fetched;                       /* groups read at least once */
	int refused;                       /* the last look found the account refused */
	enum metrics_reason refused_why;   /* ... why (METRICS_REASON_UNKNOWN_USER: gone) */
};

struct ldap_source {
	struct idsource base;
	struct directory *dir;
	unsigned ttl_ms;
	void (*groups_changed)(void *ud);  /* idsource_env's */
	void *env_ud;
	pthread_mutex_t lock;              /* slots, stopping */
	pthread_cond_t wake;
	struct group_entry *slots;         /* GROUP_SLOTS */
	pthread_t refresher;
	int refresher_started, stopping;
};

static size_t name_slot(const char *name)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h % GROUP_SLOTS);
}

/* The slot of name, or (add) a free or long unused one for it; NULL. Called
 * with the lock held. */
static struct group_entry *group_find(struct ldap_source *s, const char *name, int add)
{
	size_t i = name_slot(name);
	int64_t now = loop_mono_ms();
	struct group_entry *free_slot = NULL;

	for (size_t k = 0; k < 16; k++, i = (i + 1) % GROUP_SLOTS) {
		struct group_entry *e = &s->slots[i];

		if (e->name[0] && strcmp(e->name, name) == 0)
			return e;
		if (!free_slot && (!e->name[0] || now - e->used_ms > GROUP_IDLE_MS))
			free_slot = e;
	}
	if (!add || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->used_ms = now;
	return free_slot;
}

/* Keep r's groups as name's (r NULL: the account is refused, why says
 * how); whoever follows the groups is told when they changed. */
static void group_store(struct ldap_source *s, const char *name, const struct directory_result *r,
			enum metrics_reason why)
{
	struct idsource_attrs *a = malloc(sizeof(*a));
	struct group_entry *e;
	int changed = 0;

	if (!a)
		return;
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; r && i < r->n_groups; i++)
		if (idsource_attrs_add_group(a, r->groups[i]) < 0)
			break;
	pthread_mutex_lock(&s->lock);
	e = group_find(s, name, 1);
	if (e) {
		changed = !e->fetched || e->refused != !r || (!r && e->refused_why != why) ||
			  e->groups_len != a->groups_len ||
			  memcmp(e->groups, a->groups, a->groups_len) != 0;
		memcpy(e->groups, a->groups, a->groups_len);
		e->groups_len = a->groups_len;
		e->n_groups = a->n_groups;
		e->fetched_ms = loop_mono_ms();
		e->fetched = 1;
		e->refused = !r;
		if (!r)
			e->refused_why = why;
	}
	pthread_mutex_unlock(&s->lock);
	free(a);
	if (changed && s->groups_changed)
		s->groups_changed(s->env_ud);
}

static int ldap_cached_groups(struct idsource *src, const char *username,
			      struct idsource_attrs *attrs)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct group_entry *e;
	int found = 0;

	pthread_mutex_lock(&s->lock);
	e = group_find(s, username, 0);
	if (e && e->fetched && !e->refused) {
		memcpy(attrs->groups, e->groups, e->groups_len);
		attrs->groups_len = e->groups_len;
		attrs->n_groups = e->n_groups;
		e->used_ms = loop_mono_ms();
		found = 1;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

static int ldap_refused(struct idsource *src, const char *username, enum metrics_reason *why)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct group_entry *e;
	int refused = 0;

	pthread_mutex_lock(&s->lock);
	e = group_find(s, username, 0);
	if (e) {
		e->used_ms = loop_mono_ms();
		refused = e->refused;
		*why = e->refused_why;
	}
	pthread_mutex_unlock(&s->lock);
	return refused;
}

static void ldap_want_groups(struct idsource *src, const char *username)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct group_entry *e;

	pthread_mutex_lock(&s->lock);
	e = group_find(s, username, 0);
	if (!e) {
		/* read by the refresher at once: never fetched, used now */
		e = group_find(s, username, 1);
		if (e) {
			e->fetched_ms = loop_mono_ms() - s->ttl_ms;
			e->used_ms = loop_mono_ms();
			pthread_cond_signal(&s->wake);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static int ldap_lookup_groups(struct idsource *src, const char *username,
			      struct idsource_attrs *attrs)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct directory_result *r = malloc(sizeof(*r));
	enum directory_answer a;
	int rc;

	if (!r)
		return -1;
	a = directory_lookup(s->dir, username, r);
	rc = a == DIRECTORY_ACCEPT ? 1 : a == DIRECTORY_NO_SUCH_USER ? 0 : -1;
	if (rc == 1) {
		group_store(s, username, r, NOT_REFUSED);
		snprintf(attrs->source, sizeof(attrs->source), "ldap");
		for (size_t i = 0; i < r->n_groups; i++)
			if (idsource_attrs_add_group(attrs, r->groups[i]) < 0)
				break;
	}
	free(r);
	return rc;
}

/* The refresher: groups older than the TTL, of users seen since they were
 * read, read again, one user at a time, the lock not held meanwhile. */
static void *group_refresher(void *arg)
{
	struct ldap_source *s = arg;
	struct directory_result *r = malloc(sizeof(*r));
	char name[AUTH_USER_MAX + 1];

	if (!r)
		return NULL;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t now = loop_mono_ms();
		size_t i;

		name[0] = '\0';
		for (i = 0; i < GROUP_SLOTS; i++) {
			struct group_entry *e = &s->slots[i];

			if (e->name[0] && now - e->fetched_ms >= s->ttl_ms && e->used_ms > e->fetched_ms) {
				snprintf(name, sizeof(name), "%s", e->name);
				/* not again before the TTL, whatever the lookup says */
				e->fetched_ms = now;
				break;
			}
		}
		if (!name[0]) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		if (directory_lookup(s->dir, name, r) == DIRECTORY_ACCEPT &&
		    r->standing == DIRECTORY_ACCEPT) {
			group_store(s, name, r, NOT_REFUSED);
		} else if (r->answer == DIRECTORY_ACCEPT || r->answer == DIRECTORY_NO_SUCH_USER) {
			char euser[3 * 64 + 8];
			enum directory_answer a = r->answer == DIRECTORY_ACCEPT ? r->standing
									 : r->answer;

			log_escape(euser, sizeof(euser), name, strlen(name));
			log_notice("ldap: user \"%s\" refused by the directory since the last look: %s",
				   euser, directory_answer_name(a));
			group_store(s, name, NULL, a == DIRECTORY_NO_SUCH_USER
				    ? METRICS_REASON_UNKNOWN_USER : a == DIRECTORY_LOCKED
				    ? METRICS_REASON_ACCOUNT_LOCKED : METRICS_REASON_DISABLED);
		} else {
			char euser[3 * 64 + 8];

			/* kept as they were: the next password check decides */
			log_escape(euser, sizeof(euser), name, strlen(name));
			log_info("ldap: groups of \"%s\" not refreshed: %s (%s)", euser,
				 directory_answer_name(r->answer), r->detail);
		}
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	free(r);
	return NULL;
}

static void ldap_check(struct idsource *src, const char *username, const char *password,
		       size_t password_len, const struct idsource_peer *peer,
		       struct idsource_answer *ans)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct directory_result *r = malloc(sizeof(*r));
	enum directory_answer a;
	char euser[3 * 64 + 8];

	(void)peer;    /* a bind is the same from every client */
	memset(ans, 0, sizeof(*ans));
	if (!r) {
		ans->verdict = IDSOURCE_UNREACHABLE;
		return;
	}
	a = directory_check(s->dir, username, password, password_len, r);
	log_escape(euser, sizeof(euser), username, strlen(username));
	switch (a) {
	case DIRECTORY_ACCEPT:
		ans->verdict = IDSOURCE_ACCEPT;
		/* no local account whose changes end what this login lets
		 * through: it lasts until the next check asks the directory */
		ans->credential = SESSIONS_CREDENTIAL_REMOTE;
		snprintf(ans->attrs.source, sizeof(ans->attrs.source), "ldap");
		group_store(s, username, r, NOT_REFUSED);
		for (size_t i = 0; i < r->n_groups; i++) {
			if (idsource_attrs_add_group(&ans->attrs, r->groups[i]) < 0) {
				log_warn("ldap: user \"%s\": more groups than fit; the first %zu kept",
					 euser, i);
				break;
			}
		}
		break;
	case DIRECTORY_WRONG_PASSWORD:
		ans->verdict = IDSOURCE_WRONG_PASSWORD;
		ans->reason = METRICS_REASON_WRONG_PASSWORD;
		break;
	case DIRECTORY_NO_SUCH_USER:
		ans->verdict = IDSOURCE_NO_SUCH_USER;
		ans->reason = METRICS_REASON_UNKNOWN_USER;
		break;
	case DIRECTORY_LOCKED:
	case DIRECTORY_DISABLED:
	case DIRECTORY_EXPIRED:
		/* the directory knows the account and forbids it: final, as a
		 * disabled local account is */
		ans->verdict = IDSOURCE_REFUSED;
		ans->final = 1;
		ans->reason = a == DIRECTORY_LOCKED ? METRICS_REASON_ACCOUNT_LOCKED
			      : a == DIRECTORY_DISABLED ? METRICS_REASON_DISABLED
			      : METRICS_REASON_EXPIRED;
		/* what this user's sessions follow, if any are open */
		group_store(s, username, NULL, ans->reason);
		break;
	case DIRECTORY_UNREACHABLE:
		/* the gate answers 503 unless another source decides */
		ans->verdict = IDSOURCE_UNREACHABLE;
		break;
	}
	if (a == DIRECTORY_ACCEPT || a == DIRECTORY_WRONG_PASSWORD)
		log_debug("ldap: user \"%s\": %s (%s)", euser, directory_answer_name(a), r->dn);
	else if (a == DIRECTORY_NO_SUCH_USER)
		log_debug("ldap: user \"%s\": %s (%s)", euser, directory_answer_name(a), r->detail);
	else if (a == DIRECTORY_UNREACHABLE)
		log_warn("ldap: user \"%s\" cannot be checked: %s (%s)", euser,
			 directory_answer_name(a), r->detail);
	else
		log_notice("ldap: user \"%s\" refused: %s (%s)", euser, directory_answer_name(a),
			   r->detail);
	free(r);
}

static void ldap_free(struct idsource *src)
{
	struct ldap_source *s = (struct ldap_source *)src;

	if (!s)
		return;
	if (s->refresher_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->refresher, NULL);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	directory_free(s->dir);
	free(s->slots);
	free(s);
}

struct idsource *idsource_ldap_new(const struct idsource_env *env, char *err, size_t errlen)
{
	struct ldap_source *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->ttl_ms = env->cfg->ldap_group_cache_ttl * 1000u;
	s->base.name = "ldap";
	s->base.caps = 0;
	s->base.check = ldap_check;
	s->base.cached_groups = ldap_cached_groups;
	s->base.lookup_groups = ldap_lookup_groups;
	s->base.refused = ldap_refused;
	s->base.want_groups = ldap_want_groups;
	s->groups_changed = env->groups_changed;
	s->env_ud = env->ud;
	s->base.free = ldap_free;
	s->dir = directory_new(env->cfg, err, errlen);
	s->slots = calloc(GROUP_SLOTS, sizeof(*s->slots));
	if (!s->dir || !s->slots) {
		if (s->dir)
			snprintf(err, errlen, "out of memory");
		ldap_free(&s->base);
		return NULL;
	}
	if (pthread_create(&s->refresher, NULL, group_refresher, s) != 0) {
		snprintf(err, errlen, "cannot start the LDAP group refresher");
		ldap_free(&s->base);
		return NULL;
	}
	s->refresher_started = 1;
	return &s->base;
}
