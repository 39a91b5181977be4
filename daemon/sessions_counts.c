/*
 * sessions_counts.c — what the kernel counted for each session (sessions.h,
 * "what the kernel counted"): read in one dump per set every
 * COUNTS_READ_MS (those with a quota every maintenance round), kept in the
 * entries, written to the rows, handed on at the end.
 */
#include "sessions_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "store.h"
#include "voucher.h"

static void counts_from_nft(const struct nft_counters *c, struct sessions_counts *out)
{
	out->bytes_in = c->bytes_in;
	out->packets_in = c->packets_in;
	out->bytes_out = c->bytes_out;
	out->packets_out = c->packets_out;
}

static void acct_view_cb(const struct nft_session *ks, void *ud)
{
	struct kernel_view *kv = ud;

	if (kv->n == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 64;
		struct nft_session *nl = realloc(kv->list, cap * sizeof(*nl));

		if (!nl)
			return;
		kv->list = nl;
		kv->cap = cap;
	}
	kv->list[kv->n++] = *ks;
}

static struct quota_user *quota_set_of(struct sessions *s, const char *user);
static struct quota_user *quota_of(struct sessions *s, const char *user);

/* Under nft_lock: the counters of the n addresses in list, one by one
 * (an address the kernel has no counter for is left out). */
static int counts_read_some(struct sessions *s, const struct sockaddr_storage *list, size_t n,
			    struct kernel_view *kv)
{
	for (size_t i = 0; i < n; i++) {
		struct nft_session ks;

		memset(&ks, 0, sizeof(ks));
		if (nft_acct_get(s->nft, (const struct sockaddr *)&list[i], &ks.counted) < 0)
			return -1;
		if (!ks.counted.packets_in && !ks.counted.packets_out)
			continue;
		ks.addr = list[i];
		acct_view_cb(&ks, kv);
	}
	return 0;
}

/* Maintenance thread, holding nothing: every counter when the last dump
 * is COUNTS_READ_MS old, else those of the sessions with a quota (after
 * sessions_quota_read: the quotas are this round's). */
void sessions_counts_read(struct sessions *s, struct sessions_round *r)
{
	struct sockaddr_storage *some = NULL;
	size_t n_some = 0, n_all = 0;
	int full = !s->counts_read_ms || r->now_ms < s->counts_read_ms ||
		   r->now_ms - s->counts_read_ms >= COUNTS_READ_MS;

	if (!full) {
		pthread_rwlock_rdlock(&s->lock);
		n_all = s->n;
		some = s->n_quotas ? calloc(s->n + 1, sizeof(*some)) : NULL;
		for (size_t i = 0; some && i < s->n; i++)
			if (quota_set_of(s, s->entries[i].user))
				some[n_some++] = s->entries[i].sa;
		pthread_rwlock_unlock(&s->lock);
		full = (s->n_quotas && !some) || n_some * COUNTS_ONE_BY_ONE > n_all;
	}
	pthread_mutex_lock(&s->nft_lock);
	if (full)
		r->have_acct = r->acct_full = nft_acct_list(s->nft, acct_view_cb, &r->acct) == 0;
	else
		r->have_acct = counts_read_some(s, some, n_some, &r->acct) == 0;
	pthread_mutex_unlock(&s->nft_lock);
	if (r->acct_full)
		s->counts_read_ms = r->now_ms;
	free(some);
}

/* The two directions came as elements of their own: one per address. */
int sessions_counts_index(struct sessions *s, struct sessions_round *r)
{
	struct kernel_view *kv = &r->acct;
	size_t out = 0;

	if (!r->have_acct)
		return 0;
	kv->by_addr = round_map(s, ROUND_MAP_ACCT);
	/* in a dump each address comes twice, once per direction */
	if (!kv->by_addr || addrmap_reserve(kv->by_addr, kv->n / 2 + 1) < 0)
		return -1;
	for (size_t i = 0; i < kv->n; i++) {
		struct addrmap_addr a;
		size_t at;

		if (addrmap_addr_from_sockaddr((const struct sockaddr *)&kv->list[i].addr, &a) < 0)
			continue;
		if (addrmap_get(kv->by_addr, &a, &at)) {
			struct nft_counters *c = &kv->list[at].counted;

			c->bytes_in += kv->list[i].counted.bytes_in;
			c->packets_in += kv->list[i].counted.packets_in;
			c->bytes_out += kv->list[i].counted.bytes_out;
			c->packets_out += kv->list[i].counted.packets_out;
			continue;
		}
		kv->list[out] = kv->list[i];
		if (addrmap_put(kv->by_addr, &a, out) < 0)
			return -1;
		out++;
	}
	kv->n = out;
	return 0;
}

/* Caller holds the write lock. The counts read into the entries (not
 * those put or changed since the read began: a new login's count starts
 * afresh), a rate mark every RATE_MARK_MS, and the rows whose counts
 * changed and were last written COUNTS_SAVE_S ago to be written. */
static void quota_judge(struct sessions *s, struct sessions_round *r);

/* Caller holds the lock. /metrics: the sessions since the start, those
 * that ended and the live ones (a session's count moves from one to the
 * other when it ends: the sum only grows). */
static void counts_to_metrics(struct sessions *s)
{
	struct sessions_counts t = s->ended_total;

	for (size_t i = 0; i < s->n; i++) {
		t.bytes_in += s->entries[i].counted.bytes_in;
		t.packets_in += s->entries[i].counted.packets_in;
		t.bytes_out += s->entries[i].counted.bytes_out;
		t.packets_out += s->entries[i].counted.packets_out;
	}
	__atomic_store_n(&metrics.session_bytes_in, t.bytes_in, __ATOMIC_RELAXED);
	__atomic_store_n(&metrics.session_packets_in, t.packets_in, __ATOMIC_RELAXED);
	__atomic_store_n(&metrics.session_bytes_out, t.bytes_out, __ATOMIC_RELAXED);
	__atomic_store_n(&metrics.session_packets_out, t.packets_out, __ATOMIC_RELAXED);
}

/* Caller holds the write lock. With [shaping] quota_action = throttle a
 * used-up quota does not end the session: its device moves to its
 * policy's quota class, else quota_class (shaper_throttle_class) (the changes applied by sessions_counts_apply, outside the
 * lock), and back to its own class when the quota no longer holds it
 * used up (a new day or month, the quota raised or removed). */
static void quota_throttle(struct sessions *s, struct sessions_round *r)
{
	if (strcmp(s->cfg->shaping_quota_action, "throttle") != 0 || !s->shaper)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->entries[i];
		int over = r->over_quota[i] != 0;
		const struct quota_user *qu = over ? quota_of(s, e->user) : NULL;
		const char *cls = shaper_throttle_class(qu ? qu->quota_class : NULL,
							s->cfg->shaping_quota_class);

		r->over_quota[i] = 0;
		/* a throttled device follows its policy's quota class too */
		if (over == e->throttled && (!over || strcmp(cls, e->throttle_class) == 0))
			continue;
		e->throttled = over;
		snprintf(e->throttle_class, sizeof(e->throttle_class), "%s", over ? cls : "");
		r->throttle_changes[r->n_throttle_changes++] = *e;
	}
}

int sessions_counts_take(struct sessions *s, struct sessions_round *r)
{
	r->saves = calloc(s->n + 1, sizeof(*r->saves));
	r->over_quota = calloc(s->n + 1, 1);
	r->throttle_changes = calloc(s->n + 1, sizeof(*r->throttle_changes));
	if (!r->saves || !r->over_quota || !r->throttle_changes)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->entries[i];
		size_t at;

		if (r->have_acct && e->seq <= r->seq_read && addrmap_get(r->acct.by_addr, &e->key, &at)) {
			e->counted = r->acct.list[at].counted;
			e->counted_ms = r->now_ms;
		}
		/* marks from dumps only: every session's count is as of the mark */
		if (r->acct_full && r->now_ms - e->rate_mark_at[RATE_MARKS - 1] >= RATE_MARK_MS) {
			memmove(e->rate_mark, e->rate_mark + 1, (RATE_MARKS - 1) * sizeof(e->rate_mark[0]));
			memmove(e->rate_mark_at, e->rate_mark_at + 1,
				(RATE_MARKS - 1) * sizeof(e->rate_mark_at[0]));
			e->rate_mark[RATE_MARKS - 1] = e->counted;
			e->rate_mark_at[RATE_MARKS - 1] = r->now_ms;
		}
	}
	quota_judge(s, r);
	quota_throttle(s, r);
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->entries[i];
		uint64_t in, out;

		if (e->unsaved || r->now - e->counts_saved_at < COUNTS_SAVE_S)
			continue;
		/* a rate that changed is written too: after a download the
		 * counts stand still while the rate falls to 0 */
		sessions_entry_rate(e, r->now_ms, &in, &out);
		if (memcmp(&e->saved, &e->counted, sizeof(e->saved)) != 0 ||
		    memcmp(&e->quota_saved, &e->quota, sizeof(e->quota)) != 0 ||
		    in != e->rate_saved_in || out != e->rate_saved_out) {
			struct store_session *row = &r->saves[r->n_saves++];

			sessions_row_from_entry(e, row);
			row->rate_in = in;
			row->rate_out = out;
			e->saved = e->counted;
			e->quota_saved = e->quota;
			e->rate_saved_in = in;
			e->rate_saved_out = out;
			e->counts_saved_at = r->now;
		}
	}
	counts_to_metrics(s);
	return 0;
}

void sessions_counts_write(struct sessions *s, struct store *st, struct sessions_round *r)
{
	for (size_t i = 0; i < r->n_throttle_changes; i++) {
		const struct entry *e = &r->throttle_changes[i];

		shaper_device_set(s->shaper, (const struct sockaddr *)&e->sa, entry_class(s, e));
		/* the row says so, for the CLI and the panel */
		if (store_session_throttle_set(st, e->addr, e->throttled ? e->throttle_class : "") < 0)
			log_warn("sessions: cannot write session %s's throttle class to the "
				 "database", e->addr);
		if (e->throttled)
			log_notice("session throttled: client=%s user=\"%s\" reason=quota_exceeded "
				   "class=%s", e->addr, e->user, e->throttle_class);
		else
			log_notice("session no longer throttled: client=%s user=\"%s\" class=%s",
				   e->addr, e->user, e->bw_class[0] ? e->bw_class : "none");
	}
	if (r->n_saves && store_session_counts_write(st, r->saves, r->n_saves) < 0)
		log_warn("sessions: cannot write %zu sessions' counts to the database; they are "
			 "written again later", r->n_saves);
	if (r->now - s->history_pruned_at >= 3600 &&
	    store_session_history_prune(st, r->now - HISTORY_KEEP_S) >= 0)
		s->history_pruned_at = r->now;
}

void sessions_counts_free(struct sessions_round *r)
{
	free(r->acct.list);
	free(r->acct.next);
	addrmap_free(r->acct.by_addr);
	free(r->saves);
	free(r->over_quota);
	free(r->throttle_changes);
}

/* Caller holds nft_lock, the session's elements still there: its last
 * counts, read after its last packet passed (the kernel's, unless the
 * table was gone: then what the last round read). */
void sessions_counts_final(struct sessions *s, struct entry *e)
{
	struct nft_counters c;

	if (nft_acct_get(s->nft, (const struct sockaddr *)&e->sa, &c) < 0)
		return;
	if (c.bytes_in >= e->counted.bytes_in && c.bytes_out >= e->counted.bytes_out &&
	    (c.bytes_in || c.bytes_out))
		e->counted = c;
}

/* ------------------------------------------------------------ quotas */

static int quota_user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct quota_user *)a)->user, ((const struct quota_user *)b)->user);
}

static struct quota_user *quota_of(struct sessions *s, const char *user)
{
	struct quota_user key;

	if (!s->n_quotas)
		return NULL;
	snprintf(key.user, sizeof(key.user), "%s", user);
	return bsearch(&key, s->quotas, s->n_quotas, sizeof(key), quota_user_cmp);
}

/* The wall time of the last local midnight before now, and of the start
 * of its month (the day and month quotas start again there). */
static void period_starts(int64_t now, int64_t *day, int64_t *month)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*day = (int64_t)mktime(&tm);
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	*month = (int64_t)mktime(&tm);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

void sessions_quota_free(struct sessions *s)
{
	free(s->quotas);
	s->quotas = NULL;
	s->n_quotas = 0;
}

/* A voucher's quota (its roll's) and the bytes of the code's sessions that
 * ended since its first use, when name is a voucher's; 0, or -1 the store
 * did not answer. */
static int voucher_quota_read(struct store *st, const char *name, struct quota_user *qu)
{
	struct store_voucher v;
	struct store_voucher_roll r;
	int64_t roll, number;
	int rc;

	if (voucher_user_parse(name, &roll, &number) < 0)
		return 0;
	rc = store_voucher_get(st, roll, number, &v, &r);
	if (rc != 0 || r.quota_bytes <= 0)
		return rc < 0 ? -1 : 0;
	qu->code_bytes = (uint64_t)r.quota_bytes;
	return store_session_history_bytes(st, name, v.first_used_at, &qu->ended_code) < 0 ? -1 : 0;
}

void sessions_quota_policy(struct sessions *s, sessions_quota_policy_fn fn, void *ud)
{
	pthread_mutex_lock(&s->policy.lock);
	s->policy.fn = fn;
	s->policy.ud = ud;
	pthread_mutex_unlock(&s->policy.lock);
}

/* Maintenance thread, holding nothing. The one place that decides which
 * quotas hold user: a voucher's code its roll's alone; a user its own when
 * any is set (they win whole), else its group policy's, else none (qu->q
 * all zero). 0, or negative when the store did not answer. */
static int quota_resolve(struct sessions *s, struct store *st, const char *user,
			 struct quota_user *qu)
{
	struct store_quota *q = &qu->q, pq;
	int64_t roll, number;
	int rc, pol;

	if (voucher_user_parse(user, &roll, &number) == 0) {
		memset(q, 0, sizeof(*q));
		qu->from = QUOTA_FROM_NONE;
		return voucher_quota_read(st, user, qu);
	}
	rc = store_quota_get(st, user, q);
	if (rc < 0)
		return rc;
	/* the policy's quota class holds whoever's quota it is */
	memset(&pq, 0, sizeof(pq));
	pthread_mutex_lock(&s->policy.lock);
	pol = s->policy.fn &&
	      s->policy.fn(user, &pq.session_bytes, &pq.day_bytes, &pq.month_bytes,
			   qu->quota_class, sizeof(qu->quota_class), s->policy.ud) == 1;
	pthread_mutex_unlock(&s->policy.lock);
	if (q->session_bytes || q->day_bytes || q->month_bytes) {
		qu->from = QUOTA_FROM_USER;
		return 0;
	}
	memset(q, 0, sizeof(*q));
	qu->from = QUOTA_FROM_NONE;
	if (pol) {
		*q = pq;
		qu->from = QUOTA_FROM_POLICY;
	}
	return 0;
}

/* Maintenance thread, holding nothing. The quotas of the users with a
 * session (all zero for those without), and what their sessions that
 * ended this day and month used: all again after QUOTA_READ_S, a change to
 * the users, or a new day; a user who is not in them yet (a new login) at
 * once. A store that does not answer keeps what was read before. */
void sessions_quota_read(struct sessions *s, struct store *st, struct sessions_round *r,
			 int users_changed)
{
	typedef char name_t[STORE_NAME_MAX + 1];
	int64_t day, month;
	name_t *names = NULL;
	struct quota_user *list = NULL;
	size_t n = 0, k = 0, keep;
	int full;

	period_starts(r->now, &day, &month);
	full = users_changed || !s->quotas_read_at || r->now - s->quotas_read_at >= QUOTA_READ_S ||
	       day != s->day_start;
	if (!full && r->seq_read == s->quotas_seq)
		return;
	pthread_rwlock_rdlock(&s->lock);
	names = calloc(s->n + 1, sizeof(*names));
	for (size_t i = 0; names && i < s->n; i++)
		if (full || !quota_of(s, s->entries[i].user))
			snprintf(names[n++], sizeof(names[0]), "%s", s->entries[i].user);
	pthread_rwlock_unlock(&s->lock);
	if (!names)
		return;
	qsort(names, n, sizeof(*names), name_cmp);
	keep = full ? 0 : s->n_quotas;
	list = calloc(keep + n + 1, sizeof(*list));
	if (!list)
		goto out;
	if (keep)
		memcpy(list, s->quotas, keep * sizeof(*list));
	k = keep;
	for (size_t i = 0; i < n; i++) {
		struct quota_user *qu = &list[k];
		int rc;

		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		rc = quota_resolve(s, st, names[i], qu);
		if (rc < 0)
			goto out;
		snprintf(qu->user, sizeof(qu->user), "%s", names[i]);
		if ((qu->q.day_bytes && store_session_history_bytes(st, names[i], day, &qu->ended_day) < 0) ||
		    (qu->q.month_bytes &&
		     store_session_history_bytes(st, names[i], month, &qu->ended_month) < 0))
			goto out;
		k++;
	}
	qsort(list, k, sizeof(*list), quota_user_cmp);
	free(s->quotas);
	s->quotas = list;
	s->n_quotas = k;
	list = NULL;
	if (full)
		s->quotas_read_at = r->now;
	s->quotas_seq = r->seq_read;
	s->day_start = day;
	s->month_start = month;
out:
	free(list);
	free(names);
}

/* The quota of user, when it has one. */
static struct quota_user *quota_set_of(struct sessions *s, const char *user)
{
	struct quota_user *qu = quota_of(s, user);

	return qu && (qu->q.session_bytes || qu->q.day_bytes || qu->q.month_bytes || qu->code_bytes)
		       ? qu : NULL;
}

struct login_sum {
	uint64_t login;
	size_t entry;
};

static int login_sum_cmp(const void *a, const void *b)
{
	const struct login_sum *x = a, *y = b;

	return x->login < y->login ? -1 : x->login > y->login;
}

static uint64_t entry_bytes(const struct entry *e)
{
	return e->counted.bytes_in + e->counted.bytes_out;
}

/* The wall time the local day and month after now's start (where the day
 * and month quotas start again). */
static void period_ends(int64_t now, int64_t *day, int64_t *month)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday++;
	tm.tm_isdst = -1;
	*day = (int64_t)mktime(&tm);
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday = 1;
	tm.tm_mon++;
	tm.tm_isdst = -1;
	*month = (int64_t)mktime(&tm);
}

/* u becomes (used, limit, period) when that quota is nearer used up (a
 * larger share of it used) than the one u holds: the panel shows the
 * quota that will end the session first. */
static void quota_use_pick(struct store_quota_use *u, uint64_t used, uint64_t limit,
			   const char *period, int64_t resets_at)
{
	if (!limit ||
	    (u->bytes && (long double)used / (long double)limit <=
				 (long double)u->used / (long double)u->bytes))
		return;
	u->used = used;
	u->bytes = limit;
	snprintf(u->period, sizeof(u->period), "%s", period);
	u->resets_at = resets_at;
}

/* Caller holds the write lock. Which entries' users have used up a quota:
 * a session's (the bytes in and out of the login's addresses together),
 * the day's or the month's (the sessions that ended in it and every live
 * one, whole), a voucher code's (every session since its first use, on
 * all its devices). */
static void quota_judge(struct sessions *s, struct sessions_round *r)
{
	uint64_t *live, *session_sum;
	struct login_sum *logins;
	size_t n_logins = 0;
	int64_t next_day, next_month;

	for (size_t i = 0; i < s->n; i++)
		memset(&s->entries[i].quota, 0, sizeof(s->entries[i].quota));
	if (!s->n_quotas)
		return;
	period_ends(r->now, &next_day, &next_month);
	live = calloc(s->n_quotas, sizeof(*live));
	logins = calloc(s->n + 1, sizeof(*logins));
	session_sum = calloc(s->n + 1, sizeof(*session_sum));
	if (!live || !logins || !session_sum)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		struct quota_user *qu = quota_set_of(s, s->entries[i].user);

		if (!qu)
			continue;
		live[qu - s->quotas] += entry_bytes(&s->entries[i]);
		session_sum[i] = entry_bytes(&s->entries[i]);
		if (qu->q.session_bytes && s->entries[i].login) {
			logins[n_logins].login = s->entries[i].login;
			logins[n_logins++].entry = i;
		} else if (qu->q.session_bytes && entry_bytes(&s->entries[i]) >= qu->q.session_bytes) {
			r->over_quota[i] = 1;
		}
	}
	qsort(logins, n_logins, sizeof(*logins), login_sum_cmp);
	for (size_t a = 0, b; a < n_logins; a = b) {
		uint64_t sum = 0;
		struct quota_user *qu = quota_set_of(s, s->entries[logins[a].entry].user);

		for (b = a; b < n_logins && logins[b].login == logins[a].login; b++)
			sum += entry_bytes(&s->entries[logins[b].entry]);
		for (size_t j = a; qu && j < b; j++) {
			session_sum[logins[j].entry] = sum;
			if (sum >= qu->q.session_bytes)
				r->over_quota[logins[j].entry] = 1;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		struct quota_user *qu = quota_set_of(s, s->entries[i].user);
		uint64_t used;

		if (!qu)
			continue;
		used = live[qu - s->quotas];
		if ((qu->q.day_bytes && qu->ended_day + used >= qu->q.day_bytes) ||
		    (qu->q.month_bytes && qu->ended_month + used >= qu->q.month_bytes) ||
		    (qu->code_bytes && qu->ended_code + used >= qu->code_bytes))
			r->over_quota[i] = 1;
		quota_use_pick(&s->entries[i].quota, session_sum[i], qu->q.session_bytes, "session", 0);
		quota_use_pick(&s->entries[i].quota, qu->ended_day + used, qu->q.day_bytes, "day",
			       next_day);
		quota_use_pick(&s->entries[i].quota, qu->ended_month + used, qu->q.month_bytes, "month",
			       next_month);
		quota_use_pick(&s->entries[i].quota, qu->ended_code + used, qu->code_bytes, "voucher", 0);
	}
out:
	free(live);
	free(logins);
	free(session_sum);
}

/* Maintenance thread: an ended session's bytes count in its user's day
 * and month until the next read finds them in the history. */
static void quota_count_ended(struct sessions *s, const struct entry *e)
{
	struct quota_user *qu = quota_of(s, e->user);

	if (qu) {
		qu->ended_day += entry_bytes(e);
		qu->ended_month += entry_bytes(e);
		qu->ended_code += entry_bytes(e);
	}
}

/* Caller holds the write lock. The portal's memory of the addresses a
 * quota ended (at: when; 0: the address's session ended otherwise, and
 * what was remembered of it goes). */
static void quota_end_note(struct sessions *s, const struct entry *e, int64_t at,
			   int by_policy)
{
	for (size_t i = 0; i < QUOTA_ENDS_MAX; i++)
		if (s->quota_ends[i].at && memcmp(&s->quota_ends[i].key, &e->key, sizeof(e->key)) == 0)
			s->quota_ends[i].at = 0;
	if (!at)
		return;
	s->quota_ends[s->quota_ends_next].key = e->key;
	s->quota_ends[s->quota_ends_next].at = at;
	s->quota_ends[s->quota_ends_next].by_policy = by_policy;
	snprintf(s->quota_ends[s->quota_ends_next].user, sizeof(s->quota_ends[0].user), "%s",
		 by_policy ? e->user : "");
	s->quota_ends_next = (s->quota_ends_next + 1) % QUOTA_ENDS_MAX;
}

int sessions_quota_ended(struct sessions *s, const struct sockaddr *client)
{
	struct addrmap_addr key;
	int64_t now = wall_now();
	int found = 0;

	if (!s || addrmap_addr_from_sockaddr(client, &key) < 0)
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < QUOTA_ENDS_MAX && !found; i++)
		found = s->quota_ends[i].at && !s->quota_ends[i].by_policy &&
			now - s->quota_ends[i].at < QUOTA_END_SHOWN_S &&
			memcmp(&s->quota_ends[i].key, &key, sizeof(key)) == 0;
	pthread_rwlock_unlock(&s->lock);
	return found;
}

int sessions_policy_ended(struct sessions *s, const struct sockaddr *client, char *user,
			  size_t len)
{
	struct addrmap_addr key;
	int64_t now = wall_now();
	int found = 0;

	if (!s || addrmap_addr_from_sockaddr(client, &key) < 0)
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < QUOTA_ENDS_MAX && !found; i++) {
		const struct quota_end *q = &s->quota_ends[i];

		found = q->at && q->by_policy && now - q->at < QUOTA_END_SHOWN_S &&
			memcmp(&q->key, &key, sizeof(key)) == 0;
		if (found)
			snprintf(user, len, "%s", q->user);
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

/* The ends the portal explains to the device that comes back. */
static int end_by_policy(const char *reason)
{
	static const char *const told[] = { "policy_denied", "outside_hours", "policy_changed",
					    "user_disabled", "user_deleted" };

	for (size_t i = 0; i < sizeof(told) / sizeof(told[0]); i++)
		if (!strcmp(reason, told[i]))
			return 1;
	return 0;
}

int sessions_throttled(struct sessions *s, const struct sockaddr *client)
{
	struct entry *e;
	int throttled = 0;

	if (!s)
		return 0;
	pthread_rwlock_rdlock(&s->lock);
	e = sessions_find_sockaddr(s, client);
	throttled = e && e->throttled;
	pthread_rwlock_unlock(&s->lock);
	return throttled;
}

/* An ended session into the history, and to whoever wants to know. */
void sessions_counts_ended(struct sessions *s, struct store *st, const struct entry *e,
			   const char *reason, int64_t now)
{
	struct store_session row;
	struct sessions_end end;

	sessions_row_from_entry(e, &row);
	if (st && store_session_history_add(st, &row, reason, now) < 0)
		log_warn("session %s: cannot write its end to the history", e->addr);
	memset(&end, 0, sizeof(end));
	end.addr = e->addr;
	end.user = e->user;
	end.reason = reason;
	end.created_at = e->created_at;
	end.ended_at = now;
	counts_from_nft(&e->counted, &end.counts);
	quota_count_ended(s, e);
	pthread_rwlock_wrlock(&s->lock);
	if (!strcmp(reason, "quota_exceeded"))
		quota_end_note(s, e, now, 0);
	else
		quota_end_note(s, e, end_by_policy(reason) ? now : 0, 1);
	s->ended_total.bytes_in += end.counts.bytes_in;
	s->ended_total.packets_in += end.counts.packets_in;
	s->ended_total.bytes_out += end.counts.bytes_out;
	s->ended_total.packets_out += end.counts.packets_out;
	pthread_rwlock_unlock(&s->lock);
	if (s->end_cb)
		s->end_cb(&end, s->end_ud);
}

/* ------------------------------------------------------------ sessions.h */

/* Bytes/s from e's oldest rate mark to its last read counts (over the
 * time between them: a count read 2 s ago is not divided by 2 s more),
 * 0 when the session had no reads since now_ms - RATE_STALE_MS (its
 * counter went: nothing is being counted). */
void sessions_entry_rate(const struct entry *e, int64_t now_ms, uint64_t *in, uint64_t *out)
{
	*in = *out = 0;
	if (!e->counted_ms || now_ms - e->counted_ms > RATE_STALE_MS)
		return;
	for (size_t k = 0; k < RATE_MARKS; k++) {
		int64_t span = e->counted_ms - e->rate_mark_at[k];

		if (!e->rate_mark_at[k] || span <= 0)
			continue;
		if (e->counted.bytes_in >= e->rate_mark[k].bytes_in)
			*in = (e->counted.bytes_in - e->rate_mark[k].bytes_in) * 1000 / (uint64_t)span;
		if (e->counted.bytes_out >= e->rate_mark[k].bytes_out)
			*out = (e->counted.bytes_out - e->rate_mark[k].bytes_out) * 1000 / (uint64_t)span;
		return;
	}
}

int sessions_counts_get(struct sessions *s, const struct sockaddr *client,
			struct sessions_counts *out, uint64_t *rate_in, uint64_t *rate_out)
{
	struct entry *e;
	uint64_t in = 0, outr = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&s->lock);
	e = sessions_find_sockaddr(s, client);
	if (e) {
		counts_from_nft(&e->counted, out);
		sessions_entry_rate(e, loop_wall_ms(), &in, &outr);
		rc = 0;
	}
	pthread_rwlock_unlock(&s->lock);
	if (rate_in)
		*rate_in = in;
	if (rate_out)
		*rate_out = outr;
	return rc;
}

void sessions_usage_each(struct sessions *s, void (*cb)(const struct sessions_usage *u, void *ud),
			 void *ud)
{
	int64_t now_ms = loop_wall_ms();

	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->entries[i];
		struct sessions_usage u;

		memset(&u, 0, sizeof(u));
		u.addr = e->addr;
		u.user = e->user;
		u.created_at = e->created_at;
		counts_from_nft(&e->counted, &u.counts);
		sessions_entry_rate(e, now_ms, &u.rate_in, &u.rate_out);
		cb(&u, ud);
	}
	pthread_rwlock_unlock(&s->lock);
}

void sessions_counts_total(struct sessions *s, struct sessions_counts *live,
			   struct sessions_counts *ended)
{
	memset(live, 0, sizeof(*live));
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		const struct nft_counters *c = &s->entries[i].counted;

		live->bytes_in += c->bytes_in;
		live->packets_in += c->packets_in;
		live->bytes_out += c->bytes_out;
		live->packets_out += c->packets_out;
	}
	*ended = s->ended_total;
	pthread_rwlock_unlock(&s->lock);
}

void sessions_on_end(struct sessions *s, void (*cb)(const struct sessions_end *end, void *ud),
		     void *ud)
{
	pthread_rwlock_wrlock(&s->lock);
	s->end_cb = cb;
	s->end_ud = ud;
	pthread_rwlock_unlock(&s->lock);
}

void sessions_save_counts(struct sessions *s, struct store *st)
{
	struct sessions_round r;
	size_t n = 0;

	if (!s || !s->nft || !st)
		return;
	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&s->nft_lock);
	r.have_acct = nft_acct_list(s->nft, acct_view_cb, &r.acct) == 0;
	pthread_mutex_unlock(&s->nft_lock);
	r.now = wall_now();
	r.now_ms = loop_wall_ms();
	pthread_rwlock_wrlock(&s->lock);
	r.seq_read = s->seq;
	pthread_rwlock_unlock(&s->lock);
	if (sessions_counts_index(s, &r) < 0) {
		sessions_counts_free(&r);
		return;
	}
	pthread_rwlock_wrlock(&s->lock);
	r.saves = calloc(s->n + 1, sizeof(*r.saves));
	for (size_t i = 0; r.saves && i < s->n; i++) {
		struct entry *e = &s->entries[i];
		size_t at;

		if (r.have_acct && addrmap_get(r.acct.by_addr, &e->key, &at))
			e->counted = r.acct.list[at].counted;
		if (e->unsaved)
			continue;
		/* the daemon stops: nothing is counted from now on, and a
		 * rate left in the row would read as current */
		sessions_row_from_entry(e, &r.saves[n]);
		r.saves[n].rate_in = r.saves[n].rate_out = 0;
		e->rate_saved_in = e->rate_saved_out = 0;
		n++;
	}
	r.n_saves = n;
	pthread_rwlock_unlock(&s->lock);
	if (n && store_session_counts_write(st, r.saves, n) == 0)
		log_notice("sessions: the counts of %zu sessions written to the database", n);
	else if (n)
		log_warn("sessions: cannot write the sessions' counts to the database");
	sessions_counts_free(&r);
}
