/*
 * The gate's policy book: the group policies and the local users'
 * memberships, read from the store by the maintenance thread whenever
 * they change (the 'policies' and 'users' generations) and kept in memory,
 * so that a request's policy costs no database read. A book is never
 * changed once published: readers hold a reference while they use a
 * policy in it, and the last reference frees it.
 */
#include "gate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "shaper.h"

struct book_user {
	char *name;
	char *groups;                 /* NUL-separated, back to back */
	size_t groups_len;
	unsigned n_groups;
};

/* a user's own bandwidth class (users.bandwidth_class), for fair share */
struct book_class {
	char *name;
	char cls[POLICY_CLASS_MAX + 1];
};

struct policy_book {
	int refs;                     /* atomic */
	struct policy *list;
	size_t n;
	struct book_user *users;      /* sorted by name */
	size_t n_users;
	size_t cap_users;
	struct book_class *classes;   /* sorted by name */
	size_t n_classes, cap_classes;
	struct shaper_classes configured;   /* [shaping] classes, for the
					     * policies' quota classes */
};

static void book_free(struct policy_book *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_users; i++) {
		free(b->users[i].name);
		free(b->users[i].groups);
	}
	free(b->users);
	for (size_t i = 0; i < b->n_classes; i++)
		free(b->classes[i].name);
	free(b->classes);
	free(b->list);
	free(b);
}

static void book_unref(struct policy_book *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		book_free(b);
}

/* A stored policy as policy.h's. A text that no longer parses (written by
 * another version, or by hand) makes the policy refuse its users: a
 * restriction that cannot be read is not lifted. */
int gate_policy_from_store(const struct store_policy *sp, struct policy *p, char *err,
			   size_t errlen)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->group, sizeof(p->group), "%s", sp->group);
	p->priority = sp->priority < -1000000 ? -1000000
		    : sp->priority > 1000000 ? 1000000 : (int)sp->priority;
	p->denied = sp->denied;
	p->session_lifetime = sp->session_lifetime > 0 && sp->session_lifetime < 100000000
				      ? (unsigned)sp->session_lifetime : 0;
	p->idle_timeout = sp->idle_timeout > 0 && sp->idle_timeout < 100000000
				  ? (unsigned)sp->idle_timeout : 0;
	snprintf(p->bandwidth_class, sizeof(p->bandwidth_class), "%s",
		 policy_valid_class(sp->bandwidth_class) ? sp->bandwidth_class : "");
	p->quota_session = sp->quota.session_bytes;
	p->quota_day = sp->quota.day_bytes;
	p->quota_month = sp->quota.month_bytes;
	p->max_devices = sp->max_devices <= POLICY_DEVICES_MAX ? sp->max_devices : 0;
	snprintf(p->quota_class, sizeof(p->quota_class), "%s",
		 policy_valid_class(sp->quota_class) ? sp->quota_class : "");
	if (policy_parse_windows(sp->windows, p->windows, &p->n_windows, err, errlen) < 0 ||
	    policy_parse_rules(sp->allow, p->allow, &p->n_allow, err, errlen) < 0 ||
	    policy_parse_rules(sp->deny, p->deny, &p->n_deny, err, errlen) < 0) {
		p->denied = 1;
		return -1;
	}
	return 0;
}

static int load_policy_cb(const struct store_policy *sp, void *ud)
{
	struct policy_book *b = ud;
	struct policy *grown;
	char err[256];

	grown = realloc(b->list, (b->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	b->list = grown;
	if (gate_policy_from_store(sp, &b->list[b->n], err, sizeof(err)) < 0) {
		char egroup[3 * 64 + 8];

		log_escape(egroup, sizeof(egroup), sp->group, strlen(sp->group));
		log_warn("policy of group \"%s\" cannot be read (%s): its users are refused until "
			 "it is set again", egroup, err);
	}
	b->n++;
	return 0;
}

static int load_member_cb(const char *user, const char *group, void *ud)
{
	struct policy_book *b = ud;
	struct book_user *u = b->n_users ? &b->users[b->n_users - 1] : NULL;
	size_t glen = strlen(group) + 1;
	char *grown;

	/* rows come ordered by user: a new name starts a new entry */
	if (!u || strcmp(u->name, user) != 0) {
		if (b->n_users == b->cap_users) {
			size_t cap = b->cap_users ? 2 * b->cap_users : 64;
			struct book_user *more = realloc(b->users, cap * sizeof(*more));

			if (!more)
				return -1;
			b->users = more;
			b->cap_users = cap;
		}
		u = &b->users[b->n_users];
		memset(u, 0, sizeof(*u));
		u->name = strdup(user);
		if (!u->name)
			return -1;
		b->n_users++;
	}
	if (u->groups_len + glen > IDSOURCE_GROUPS_MAX)
		return 0;    /* as a directory's: what fits */
	grown = realloc(u->groups, u->groups_len + glen);
	if (!grown)
		return -1;
	u->groups = grown;
	memcpy(u->groups + u->groups_len, group, glen);
	u->groups_len += glen;
	u->n_groups++;
	return 0;
}

static int load_class_cb(const char *user, const char *cls, void *ud)
{
	struct policy_book *b = ud;
	struct book_class *c;

	/* a name no class can have is none (never cut into one) */
	if (!policy_valid_class(cls) || strlen(cls) > POLICY_CLASS_MAX)
		return 0;
	if (b->n_classes == b->cap_classes) {
		size_t cap = b->cap_classes ? 2 * b->cap_classes : 16;
		struct book_class *more = realloc(b->classes, cap * sizeof(*more));

		if (!more)
			return -1;
		b->classes = more;
		b->cap_classes = cap;
	}
	c = &b->classes[b->n_classes];
	if (!(c->name = strdup(user)))
		return -1;
	snprintf(c->cls, sizeof(c->cls), "%s", cls);
	b->n_classes++;
	return 0;
}

/* Whether b's policy pol names a quota class [shaping] classes no longer
 * has (policy set checks it, but the configuration may change after):
 * such a policy's users are throttled into [shaping] quota_class instead
 * (gate_policy_quota), never left unshaped. */
static int quota_class_missing(const struct policy_book *b, const struct policy *pol)
{
	return pol->quota_class[0] && !shaper_class_find(&b->configured, pol->quota_class);
}

/* Once per policy and missing class (not again at each reload while it
 * stays so): a warning naming both, when throttling would use it. */
static void warn_missing_quota_classes(const struct gate *g, const struct policy_book *b,
				       const struct policy_book *old)
{
	if (strcmp(g->cfg->shaping_quota_action, "throttle") != 0)
		return;
	for (size_t i = 0; i < b->n; i++) {
		const struct policy *pol = &b->list[i];
		char egroup[3 * 64 + 8];
		int told = 0;

		if (!quota_class_missing(b, pol))
			continue;
		for (size_t j = 0; old && j < old->n && !told; j++)
			told = strcmp(old->list[j].group, pol->group) == 0 &&
			       strcmp(old->list[j].quota_class, pol->quota_class) == 0;
		if (told)
			continue;
		log_escape(egroup, sizeof(egroup), pol->group, strlen(pol->group));
		log_warn("policy of group \"%s\": quota class \"%s\" is not one of [shaping] "
			 "classes; its users are throttled into quota_class %s instead", egroup,
			 pol->quota_class, g->cfg->shaping_quota_class);
	}
}

int gate_load_policies(struct gate *g, struct store *st)
{
	struct policy_book *b = calloc(1, sizeof(*b)), *old;
	char why[128];

	if (!b)
		return -1;
	b->refs = 1;
	if (store_policy_list(st, load_policy_cb, b) < 0 ||
	    (b->n && store_memberships(st, load_member_cb, b) < 0) ||
	    store_user_classes(st, load_class_cb, b) < 0) {
		book_free(b);
		return -1;
	}
	/* the configuration was checked at start: a failure is no classes */
	if (shaper_classes_parse(g->cfg->shaping_classes, &b->configured, why, sizeof(why)) < 0)
		b->configured.n = 0;
	pthread_rwlock_wrlock(&g->policy_lock);
	old = g->policy_book;
	g->policy_book = b;
	pthread_rwlock_unlock(&g->policy_lock);
	/* old is ours now (the gate's reference) until it is let go */
	warn_missing_quota_classes(g, b, old);
	book_unref(old);
	__atomic_add_fetch(&g->policy_generation, 1, __ATOMIC_ACQ_REL);
	return 0;
}

void gate_groups_changed_cb(void *ud)
{
	struct gate *g = ud;

	__atomic_add_fetch(&g->policy_generation, 1, __ATOMIC_ACQ_REL);
}

uint64_t gate_policy_generation(struct gate *g)
{
	return __atomic_load_n(&g->policy_generation, __ATOMIC_ACQUIRE);
}

void gate_free_policies(struct gate *g)
{
	book_unref(g->policy_book);
	g->policy_book = NULL;
}

static int user_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct book_user *)elem)->name);
}

int gate_policy_find(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		     struct gate_policy *out)
{
	char groups[2 * IDSOURCE_GROUPS_MAX];
	static __thread struct idsource_attrs fresh;
	size_t len = 0;
	unsigned n = 0;
	const struct book_user *u;
	struct policy_book *b;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&g->policy_lock);
	b = g->policy_book;
	if (b && b->n)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
	else
		b = NULL;
	pthread_rwlock_unlock(&g->policy_lock);
	if (!b)
		return 0;    /* no policy at all: the common case costs a lock */
	/* a source that keeps its users' groups fresh (the directory's,
	 * [ldap] group_cache_ttl) knows them better than the password check
	 * that let this request in, which may be cache_ttl old; and it knows
	 * them for a portal session's requests, which carry no attrs */
	for (size_t i = 0; username && i < g->n_idsources; i++) {
		struct idsource *src = g->idsources[i];

		if (src->cached_groups && src->cached_groups(src, username, &fresh)) {
			attrs = &fresh;
			break;
		}
	}
	if (attrs && attrs->groups_len <= IDSOURCE_GROUPS_MAX) {
		memcpy(groups, attrs->groups, attrs->groups_len);
		len = attrs->groups_len;
		n = attrs->n_groups;
	}
	/* no local memberships: users is NULL, which bsearch must not get */
	u = username && b->n_users ? bsearch(username, b->users, b->n_users, sizeof(*u), user_cmp)
				   : NULL;
	if (u && len + u->groups_len <= sizeof(groups)) {
		memcpy(groups + len, u->groups, u->groups_len);
		len += u->groups_len;
		n += u->n_groups;
	}
	out->pol = policy_select(b->list, b->n, groups, len, n);
	if (!out->pol) {
		book_unref(b);
		return 0;
	}
	out->book = b;
	return 1;
}

void gate_policy_release(struct gate_policy *gp)
{
	if (!gp)
		return;
	book_unref(gp->book);
	gp->book = NULL;
	gp->pol = NULL;
}

int gate_policy_class(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		      char *buf, size_t len)
{
	struct gate_policy gp;

	if (len)
		buf[0] = '\0';
	if (!gate_policy_find(g, username, attrs, &gp))
		return 0;
	snprintf(buf, len, "%s", gp.pol->bandwidth_class);
	gate_policy_release(&gp);
	return buf[0] != '\0';
}

static int class_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct book_class *)elem)->name);
}

int gate_user_class(struct gate *g, const char *username, const struct idsource_attrs *attrs,
		    char *buf, size_t len)
{
	const struct book_class *c = NULL;
	struct policy_book *b;

	if (len)
		buf[0] = '\0';
	pthread_rwlock_rdlock(&g->policy_lock);
	b = g->policy_book;
	if (b && b->n_classes && username)
		c = bsearch(username, b->classes, b->n_classes, sizeof(*c), class_cmp);
	if (c)
		snprintf(buf, len, "%s", c->cls);
	pthread_rwlock_unlock(&g->policy_lock);
	if (c)
		return 1;
	return gate_policy_class(g, username, attrs, buf, len);
}

void gate_user_shape_class(struct gate *g, const char *username,
			   const struct idsource_attrs *attrs, char *buf, size_t len)
{
	if (gate_usage_throttled(g, username)) {
		char pc[POLICY_CLASS_MAX + 1];
		uint64_t q[3];

		gate_policy_quota(g, username, &q[0], &q[1], &q[2], pc, sizeof(pc));
		snprintf(buf, len, "%s", shaper_throttle_class(pc, g->cfg->shaping_quota_class));
	} else
		gate_user_class(g, username, attrs, buf, len);
}

int gate_policy_quota(struct gate *g, const char *username, uint64_t *session, uint64_t *day,
		      uint64_t *month, char *quota_class, size_t len)
{
	struct gate_policy gp;

	*session = *day = *month = 0;
	if (quota_class && len)
		quota_class[0] = '\0';
	if (!gate_policy_find(g, username, NULL, &gp))
		return 0;
	*session = gp.pol->quota_session;
	*day = gp.pol->quota_day;
	*month = gp.pol->quota_month;
	/* a class the configuration no longer has: quota_class instead */
	if (quota_class && len && !quota_class_missing(gp.book, gp.pol))
		snprintf(quota_class, len, "%s", gp.pol->quota_class);
	gate_policy_release(&gp);
	return *session || *day || *month;
}

/* Local time as the windows see it. localtime_r looks at the time zone
 * file on every call (tens of microseconds): the thread keeps its answer
 * for the second, which the sessions' round asks for every session. */
static struct policy_time local_now(int *second)
{
	static __thread time_t cached_at = -1;
	static __thread struct tm tm;
	time_t now = (time_t)(loop_wall_ms() / 1000);
	struct policy_time t;

	if (now != cached_at) {
		localtime_r(&now, &tm);
		cached_at = now;
	}
	t.wday = tm.tm_wday;
	t.minute = tm.tm_hour * 60 + tm.tm_min;
	if (second)
		*second = tm.tm_sec;
	return t;
}

/* The smaller of two durations, 0 being "not given". */
static unsigned shorter(unsigned a, unsigned b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

int gate_policy_login(struct gate *g, const char *username, struct gate_login *login, char *why,
		      size_t len)
{
	return gate_policy_login_why(g, username, login, why, len, NULL);
}

int gate_policy_login_why(struct gate *g, const char *username, struct gate_login *login,
			  char *why, size_t len, struct gate_policy_refusal *refusal)
{
	struct gate_policy gp;
	struct policy_time t;
	struct snapshot *s;
	int second, left;
	unsigned lifetime;

	if (!gate_policy_find(g, username, &login->attrs, &gp))
		return 1;
	t = local_now(&second);
	if (!policy_admits(gp.pol, t, why, len)) {
		if (refusal) {
			memset(refusal, 0, sizeof(*refusal));
			refusal->kind = policy_refusal_at(gp.pol, t, &refusal->opens);
			snprintf(refusal->group, sizeof(refusal->group), "%s", gp.pol->group);
		}
		metrics_inc(policy_refusals);
		gate_policy_release(&gp);
		return 0;
	}
	s = snapshot_slot_get(&g->live);
	lifetime = login->attrs.session_timeout ? login->attrs.session_timeout
						: s->cfg.session_lifetime;
	snapshot_release(s);
	lifetime = shorter(lifetime, gp.pol->session_lifetime);
	/* the session ends when the policy's time window closes */
	left = policy_minutes_left(gp.pol, t);
	if (left > 0)
		lifetime = shorter(lifetime, (unsigned)(left * 60 - second));
	login->attrs.session_timeout = lifetime;
	login->attrs.idle_timeout = shorter(login->attrs.idle_timeout, gp.pol->idle_timeout);
	gate_policy_release(&gp);
	return 1;
}

/* The source named name ("" or NULL: none, the local store). */
static struct idsource *source_named(struct gate *g, const char *name)
{
	for (size_t i = 0; name && name[0] && i < g->n_idsources; i++)
		if (!strcmp(g->idsources[i]->name, name))
			return g->idsources[i];
	return NULL;
}

enum gate_standing gate_policy_standing(struct gate *g, const char *username, const char *source,
					int64_t created_at, int64_t *ends_by, unsigned *idle)
{
	struct idsource *src = source_named(g, source);
	struct gate_policy gp;
	struct policy_time t;
	enum metrics_reason why;
	int second, left;

	*ends_by = 0;
	*idle = 0;
	if (src && src->refused && src->refused(src, username, &why))
		return why == METRICS_REASON_UNKNOWN_USER ? GATE_STANDING_GONE : GATE_STANDING_DISABLED;
	/* a directory user whose groups the source has not read since the
	 * start: the default policy is not theirs to judge by */
	if (src && src->cached_groups) {
		static __thread struct idsource_attrs probe;

		if (!src->cached_groups(src, username, &probe)) {
			if (src->want_groups)
				src->want_groups(src, username);
			return GATE_STANDING_UNKNOWN;
		}
	}
	if (!gate_policy_find(g, username, NULL, &gp))
		return GATE_STANDING_KEEP;
	t = local_now(&second);
	if (gp.pol->denied || !policy_time_allowed(gp.pol, t)) {
		enum gate_standing st = gp.pol->denied ? GATE_STANDING_DENIED : GATE_STANDING_HOURS;

		gate_policy_release(&gp);
		return st;
	}
	if (gp.pol->session_lifetime)
		*ends_by = created_at + (int64_t)gp.pol->session_lifetime;
	left = policy_minutes_left(gp.pol, t);
	if (left > 0) {
		int64_t closes = loop_wall_ms() / 1000 + (int64_t)left * 60 - second;

		if (!*ends_by || closes < *ends_by)
			*ends_by = closes;
	}
	*idle = gp.pol->idle_timeout;
	gate_policy_release(&gp);
	return GATE_STANDING_KEEP;
}

int gate_policy_end_why(struct gate *g, const char *username, struct gate_policy_refusal *refusal)
{
	struct gate_policy gp;
	struct policy_time t = local_now(NULL);
	char why[512];
	int refused = 0;

	if (!gate_policy_find(g, username, NULL, &gp))
		return 0;
	if (!policy_admits(gp.pol, t, why, sizeof(why))) {
		memset(refusal, 0, sizeof(*refusal));
		refusal->kind = policy_refusal_at(gp.pol, t, &refusal->opens);
		snprintf(refusal->group, sizeof(refusal->group), "%s", gp.pol->group);
		refused = 1;
	}
	gate_policy_release(&gp);
	return refused;
}

int gate_source_groups(struct gate *g, const char *username, struct idsource_attrs *attrs)
{
	memset(attrs, 0, sizeof(*attrs));
	for (size_t i = 0; i < g->n_idsources; i++) {
		struct idsource *src = g->idsources[i];

		if (src->cached_groups && src->cached_groups(src, username, attrs) > 0) {
			snprintf(attrs->source, sizeof(attrs->source), "%s", src->name);
			return 1;
		}
	}
	return 0;
}

unsigned gate_device_limit(struct gate *g, const char *username, unsigned own,
			   const struct idsource_attrs *attrs)
{
	struct gate_policy gp;
	unsigned limit;

	if (own || !gate_policy_find(g, username, attrs, &gp))
		return policy_device_limit(own, NULL);
	limit = policy_device_limit(own, gp.pol);
	gate_policy_release(&gp);
	return limit;
}
