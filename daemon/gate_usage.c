/*
 * Explicit-proxy users' data use against their quotas (gate.h,
 * gate_usage_add). The proxy adds bytes from its workers; the maintenance
 * thread reads the users' quotas and what session_history holds of their
 * day and month, writes what was added since, and says who is over.
 */
#include "gate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "log.h"
#include "shaper.h"

#define USAGE_BUCKETS   256
#define USAGE_FLUSH_S   60      /* added bytes written to session_history:
				 * a row per user a minute at most */
#define USAGE_KEEP_S    (400 * 86400)   /* history kept, as intercept mode's */
#define USAGE_READ_S    10      /* quotas and history read again */

struct usage_user {
	struct usage_user *next;
	char *name;
	/* added by the proxy, not written yet (with usage_lock) */
	uint64_t add_in, add_out;
	int64_t add_since;              /* wall s of the first of them */
	char addr[STORE_ADDR_MAX + 1];  /* the client the last bytes were for */
	/* the maint thread's */
	struct store_quota q;
	uint64_t written_day, written_month;   /* in session_history */
	int64_t read_at;                /* wall s; 0 never */
	int64_t day, month;             /* the periods they are of */
	/* with usage_lock: the answer to gate_usage_over, and what the
	 * maint thread last read of the quotas: bytes left in the tighter
	 * one (UINT64_MAX none), and when that period ends */
	int over;
	int64_t over_until;
	uint64_t left;
	int64_t left_until;
	int over_told;                  /* the maint thread logged and recorded it */
};

static size_t usage_bucket(const char *name)
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h % USAGE_BUCKETS;
}

/* With usage_lock: name's record, made when make. */
static struct usage_user *usage_find(struct gate *g, const char *name, int make)
{
	struct usage_user **link, *u;

	if (!g->usage) {
		if (!make || !(g->usage = calloc(USAGE_BUCKETS, sizeof(*g->usage))))
			return NULL;
	}
	link = &g->usage[usage_bucket(name)];
	for (u = *link; u; u = u->next)
		if (strcmp(u->name, name) == 0)
			return u;
	if (!make || !(u = calloc(1, sizeof(*u))))
		return NULL;
	u->left = UINT64_MAX;
	if (!(u->name = strdup(name))) {
		free(u);
		return NULL;
	}
	u->next = *link;
	*link = u;
	return u;
}

void gate_usage_add(struct gate *g, const char *username, const struct sockaddr *client,
		    uint64_t bytes_in, uint64_t bytes_out)
{
	struct usage_user *u;

	if (!username || !username[0] || (!bytes_in && !bytes_out))
		return;
	pthread_mutex_lock(&g->usage_lock);
	if ((u = usage_find(g, username, 1))) {
		if (!u->add_in && !u->add_out)
			u->add_since = loop_wall_ms() / 1000;
		u->add_in += bytes_in;
		u->add_out += bytes_out;
		/* over at once, not at the next check: the proxy closes the
		 * user's connections on its next tick */
		if (u->add_in + u->add_out >= u->left) {
			u->over = 1;
			u->over_until = u->left_until;
		}
		if (client)
			cidr_addr_text(client, u->addr, sizeof(u->addr));
	}
	pthread_mutex_unlock(&g->usage_lock);
}

static int usage_throttles(const struct gate *g)
{
	return strcmp(g->cfg->shaping_quota_action, "throttle") == 0;
}

int gate_usage_throttled(struct gate *g, const char *username)
{
	struct usage_user *u;
	int over = 0;

	if (!username || !username[0] || !usage_throttles(g))
		return 0;
	pthread_mutex_lock(&g->usage_lock);
	if ((u = usage_find(g, username, 0)))
		over = u->over;
	pthread_mutex_unlock(&g->usage_lock);
	return over;
}

int gate_usage_over(struct gate *g, const char *username, int64_t *until)
{
	struct usage_user *u;
	int over = 0;

	if (!username || !username[0] || usage_throttles(g))
		return 0;
	pthread_mutex_lock(&g->usage_lock);
	if ((u = usage_find(g, username, 0)) && u->over) {
		over = 1;
		if (until)
			*until = u->over_until;
	}
	pthread_mutex_unlock(&g->usage_lock);
	return over;
}

/* Local midnight of now's day, and of the first of its month. */
static void usage_periods(int64_t now, int64_t *day, int64_t *month, int64_t *next_day,
			  int64_t *next_month)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*day = (int64_t)mktime(&tm);
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	*next_day = (int64_t)mktime(&tm);
	/* from now's date again: mktime moved tm to the next day, which on
	 * the month's last day is in the next month */
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	*month = (int64_t)mktime(&tm);
	tm.tm_mon += 1;
	tm.tm_isdst = -1;
	*next_month = (int64_t)mktime(&tm);
}

/* The quotas that hold name, as the portal sessions' check decides
 * (quota_resolve): its own when any is set, else its group policy's; a
 * gate_quota_from, or -1 the store did not answer. */
static int usage_quota_of(struct gate *g, struct store *st, const char *name,
			  struct store_quota *q)
{
	uint64_t session;

	if (store_quota_get(st, name, q) < 0)
		return -1;
	if (q->session_bytes || q->day_bytes || q->month_bytes)
		return GATE_QUOTA_OWN;
	memset(q, 0, sizeof(*q));
	if (gate_policy_quota(g, name, &session, &q->day_bytes, &q->month_bytes, NULL, 0) == 1) {
		/* the explicit proxy has no session quota; the panel shows it */
		q->session_bytes = session;
		return GATE_QUOTA_POLICY;
	}
	return GATE_QUOTA_NONE;
}

int gate_user_quota_use(struct gate *g, struct store *st, const char *username, int64_t now,
			struct gate_quota_use *out)
{
	int64_t day, month;
	uint64_t live = 0, pending = 0;
	struct usage_user *u;
	struct store_quota q;
	int from;

	memset(out, 0, sizeof(*out));
	from = usage_quota_of(g, st, username, &q);
	if (from < 0)
		return -1;
	out->from = (enum gate_quota_from)from;
	out->session_bytes = q.session_bytes;
	out->day_bytes = q.day_bytes;
	out->month_bytes = q.month_bytes;
	if (out->from == GATE_QUOTA_NONE || (!q.day_bytes && !q.month_bytes))
		return 0;
	usage_periods(now, &day, &month, &out->day_resets_at, &out->month_resets_at);
	if (store_session_user_bytes(st, username, &live) < 0 ||
	    (q.day_bytes && store_session_history_bytes(st, username, day, &out->day_used) < 0) ||
	    (q.month_bytes &&
	     store_session_history_bytes(st, username, month, &out->month_used) < 0))
		return -1;
	pthread_mutex_lock(&g->usage_lock);
	u = usage_find(g, username, 0);
	if (u)
		pending = u->add_in + u->add_out;
	pthread_mutex_unlock(&g->usage_lock);
	if (q.day_bytes)
		out->day_used += live + pending;
	if (q.month_bytes)
		out->month_used += live + pending;
	return 0;
}

/* Maint thread: u's added bytes into session_history. 0, or -1 (kept for
 * the next try). */
static int usage_write(struct gate *g, struct usage_user *u, int64_t now, const char *reason)
{
	struct store_session row;
	uint64_t in, out;
	int rc;

	memset(&row, 0, sizeof(row));
	pthread_mutex_lock(&g->usage_lock);
	in = u->add_in;
	out = u->add_out;
	row.created_at = u->add_since ? u->add_since : now;
	snprintf(row.addr, sizeof(row.addr), "%s", u->addr);
	pthread_mutex_unlock(&g->usage_lock);
	if (!in && !out && strcmp(reason, "explicit") == 0)
		return 0;
	snprintf(row.username, sizeof(row.username), "%s", u->name);
	row.counts.bytes_in = in;
	row.counts.bytes_out = out;
	if ((rc = store_session_history_add(g->store, &row, reason, now)) < 0)
		return -1;
	pthread_mutex_lock(&g->usage_lock);
	u->add_in -= in;
	u->add_out -= out;
	if (!u->add_in && !u->add_out)
		u->add_since = 0;
	pthread_mutex_unlock(&g->usage_lock);
	u->written_day += in + out;
	u->written_month += in + out;
	return 0;
}

void gate_usage_round(struct gate *g, int final)
{
	int64_t now = loop_wall_ms() / 1000, day, month, next_day, next_month;
	struct store_generations gens;
	int flush, reread;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!g->usage)
		return;
	usage_periods(now, &day, &month, &next_day, &next_month);
	flush = final || now - g->usage_flushed_at >= USAGE_FLUSH_S;
	reread = store_generations(g->store, &gens) == 0 && gens.users != g->usage_users_gen;
	if (reread)
		g->usage_users_gen = gens.users;
	if (gate_policy_generation(g) != g->usage_policy_gen) {
		g->usage_policy_gen = gate_policy_generation(g);
		reread = 1;
	}
	/* records are never removed while the daemon runs (one per user
	 * who used the proxy), so the pointers taken here stay good
	 * without the lock */
	pthread_mutex_lock(&g->usage_lock);
	for (size_t b = 0; b < USAGE_BUCKETS; b++)
		for (struct usage_user *u = g->usage[b]; u; u = u->next) {
			if (n == cap) {
				size_t c2 = cap ? 2 * cap : 64;
				char **more = realloc(names, c2 * sizeof(*more));

				if (!more)
					break;
				names = more;
				cap = c2;
			}
			names[n++] = (char *)u;
		}
	pthread_mutex_unlock(&g->usage_lock);
	for (size_t i = 0; i < n; i++) {
		struct usage_user *u = (struct usage_user *)names[i];
		uint64_t pending, day_left, month_left;
		int over, told;
		int64_t until;

		if (reread || !u->read_at || now - u->read_at >= USAGE_READ_S || u->day != day) {
			struct store_quota q;
			uint64_t wd = 0, wm = 0;

			if (usage_quota_of(g, g->store, u->name, &q) < 0)
				continue;
			if ((q.day_bytes && store_session_history_bytes(g->store, u->name, day, &wd) < 0) ||
			    (q.month_bytes &&
			     store_session_history_bytes(g->store, u->name, month, &wm) < 0))
				continue;
			u->q = q;
			u->written_day = wd;
			u->written_month = wm;
			u->read_at = now;
			u->day = day;
			u->month = month;
		}
		if (flush && usage_write(g, u, now, "explicit") < 0)
			log_warn("explicit proxy: cannot write a user's relayed bytes to the "
				 "database; they are kept for the next try");
		pthread_mutex_lock(&g->usage_lock);
		pending = u->add_in + u->add_out;
		month_left = !u->q.month_bytes ? UINT64_MAX
			     : u->written_month >= u->q.month_bytes ? 0
			     : u->q.month_bytes - u->written_month;
		day_left = !u->q.day_bytes ? UINT64_MAX
			   : u->written_day >= u->q.day_bytes ? 0
			   : u->q.day_bytes - u->written_day;
		u->left = day_left < month_left ? day_left : month_left;
		/* refused until the used-up period starts again (the month's
		 * when both are); before that, the end of the tighter one */
		u->left_until = pending >= month_left ? next_month
				: pending >= day_left ? next_day
				: day_left < month_left ? next_day : next_month;
		over = pending >= u->left;
		until = u->left_until;
		u->over = over;
		u->over_until = until;
		told = u->over_told;
		u->over_told = over;
		pthread_mutex_unlock(&g->usage_lock);
		/* the end is recorded as a portal session's is: a
		 * session_history row with reason quota_exceeded (with the
		 * bytes not written yet) */
		if (over && !told) {
			char name[3 * 64 + 8], when[32] = "?";
			time_t t = (time_t)until;
			struct tm tm;

			if (localtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
			log_escape(name, sizeof(name), u->name, strlen(u->name));
			if (usage_throttles(g)) {
				char cls[SHAPER_NAME_MAX + 1];

				gate_user_shape_class(g, u->name, NULL, cls, sizeof(cls));
				log_notice("explicit proxy: user \"%s\" throttled: reason=quota_exceeded "
					   "class=%s until %s", name, cls, when);
			} else {
				log_notice("explicit proxy: user \"%s\" has used up a data quota; "
					   "refused until %s", name, when);
			}
			if (usage_write(g, u, now, "quota_exceeded") < 0)
				log_warn("explicit proxy: cannot record the quota's end in the "
					 "database");
		} else if (!over && told && usage_throttles(g)) {
			char name[3 * 64 + 8], cls[SHAPER_NAME_MAX + 1];

			log_escape(name, sizeof(name), u->name, strlen(u->name));
			gate_user_shape_class(g, u->name, NULL, cls, sizeof(cls));
			log_notice("explicit proxy: user \"%s\" no longer throttled: class=%s", name,
				   cls[0] ? cls : "none");
		}
	}
	if (flush) {
		/* with the explicit proxy alone nothing else prunes the
		 * history; in intercept mode this is the same cut */
		if (now / 3600 != g->usage_flushed_at / 3600)
			store_session_history_prune(g->store, now - USAGE_KEEP_S);
		g->usage_flushed_at = now;
	}
	free(names);
}

void gate_usage_free(struct gate *g)
{
	for (size_t b = 0; g->usage && b < USAGE_BUCKETS; b++)
		while (g->usage[b]) {
			struct usage_user *u = g->usage[b];

			g->usage[b] = u->next;
			free(u->name);
			free(u);
		}
	free(g->usage);
	g->usage = NULL;
}
