#include "sessions_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "log.h"
#include "store.h"

/* The session's kernel element goes and its connections are cut, so the
 * client's next request meets the challenge again; e's counts are the
 * final ones then. */
static void kernel_end(struct sessions *s, struct entry *e, const char *why)
{
	int cut;

	pthread_mutex_lock(&s->nft_lock);
	sessions_counts_final(s, e);
	nft_session_del(s->nft, (const struct sockaddr *)&e->sa, e->mac);
	cut = nft_conntrack_cut(s->nft, (const struct sockaddr *)&e->sa);
	pthread_mutex_unlock(&s->nft_lock);
	shaper_device_clear(s->shaper, (const struct sockaddr *)&e->sa);
	log_notice("session ended: client=%s user=\"%s\" reason=%s connections_cut=%d", e->addr,
		   e->user, why, cut < 0 ? 0 : cut);
}

/* --- maintenance */

struct addrmap *round_map(struct sessions *s, int which)
{
	struct addrmap *m = __atomic_exchange_n(&s->round_maps[which], NULL, __ATOMIC_ACQ_REL);

	if (!m)
		return addrmap_new(s->hash_key);
	addrmap_clear(m);
	return m;
}

static void round_map_keep(struct sessions *s, int which, struct addrmap *m)
{
	struct addrmap *none = NULL;

	if (m && (!s || !__atomic_compare_exchange_n(&s->round_maps[which], &none, m, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)))
		addrmap_free(m);
}

void sessions_round_maps_free(struct sessions *s)
{
	for (int i = 0; i < ROUND_MAPS; i++) {
		addrmap_free(s->round_maps[i]);
		s->round_maps[i] = NULL;
	}
}

static void kernel_view_cb(const struct nft_session *ks, void *ud)
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

/*
 * Maintenance holds the write lock, which stops every intercepted request,
 * while it compares each session with the kernel's elements and the store's
 * rows; with thousands of clients a scan of one list per session would hold
 * it for seconds. So both lists are indexed by address first, outside the
 * lock. An address can have more than one element (one per MAC), chained
 * through next.
 */
static int kernel_view_index(struct sessions *s, struct kernel_view *kv)
{
	kv->by_addr = round_map(s, ROUND_MAP_KERNEL);
	kv->next = calloc(kv->n + 1, sizeof(*kv->next));
	if (!kv->by_addr || !kv->next || addrmap_reserve(kv->by_addr, kv->n) < 0)
		return -1;
	for (size_t i = 0; i < kv->n; i++) {
		struct addrmap_addr a;
		size_t prev;

		kv->next[i] = SIZE_MAX;
		if (addrmap_addr_from_sockaddr((const struct sockaddr *)&kv->list[i].addr, &a) < 0)
			continue;
		if (addrmap_get(kv->by_addr, &a, &prev))
			kv->next[i] = prev;
		if (addrmap_put(kv->by_addr, &a, i) < 0)
			return -1;
	}
	return 0;
}

/* e's element in the kernel, or NULL. */
static const struct nft_session *kernel_find(const struct kernel_view *kv, const struct entry *e)
{
	size_t i;

	if (!addrmap_get(kv->by_addr, &e->key, &i))
		return NULL;
	for (; i != SIZE_MAX; i = kv->next[i])
		if (memcmp(kv->list[i].mac, e->mac, 6) == 0)
			return &kv->list[i];
	return NULL;
}

static void neigh_view_cb(const struct sockaddr *addr, const uint8_t mac[6], void *ud)
{
	struct neigh_view *nv = ud;
	struct neigh_entry *ne;

	if (nv->n == NEIGH_VIEW_MAX)
		return;
	if (nv->n == nv->cap) {
		size_t cap = nv->cap ? nv->cap * 2 : 64;

		ne = realloc(nv->list, cap * sizeof(*ne));
		if (!ne)
			return;
		nv->list = ne;
		nv->cap = cap;
	}
	ne = &nv->list[nv->n];
	if (addrmap_addr_from_sockaddr(addr, &ne->key) < 0 || !address_forwarded(&ne->key))
		return;
	memcpy(ne->mac, mac, 6);
	nv->n++;
}

/* The kernel's records of a logged-in device's frames (seen4/6), in the
 * neighbour view's shape. */
static void seen_view_cb(const struct nft_session *ks, void *ud)
{
	neigh_view_cb((const struct sockaddr *)&ks->addr, ks->mac, ud);
}

static int neigh_view_index(struct sessions *s, struct neigh_view *nv)
{
	nv->by_addr = round_map(s, ROUND_MAP_NEIGH);
	if (!nv->by_addr)
		return -1;
	for (size_t i = 0; i < nv->n; i++)
		if (addrmap_put(nv->by_addr, &nv->list[i].key, i) < 0)
			return -1;
	return 0;
}

/* Whether the neighbour table still shows e's address at e's MAC. */
static int neigh_has(const struct neigh_view *nv, const struct entry *e)
{
	size_t i;

	return addrmap_get(nv->by_addr, &e->key, &i) && memcmp(nv->list[i].mac, e->mac, 6) == 0;
}

static struct addrmap *row_index(struct sessions *s, const struct row_list *l)
{
	struct addrmap *m = round_map(s, ROUND_MAP_ROWS);

	if (m && addrmap_reserve(m, l->n) < 0) {
		addrmap_free(m);
		return NULL;
	}
	for (size_t i = 0; m && i < l->n; i++) {
		struct addrmap_addr a;

		/* a row that is not an address never made it into memory */
		if (sessions_key_from_text(l->rows[i].addr, &a) == 0 && addrmap_put(m, &a, i) < 0) {
			addrmap_free(m);
			return NULL;
		}
	}
	return m;
}

static int account_check_by_user(const void *a, const void *b)
{
	return strcmp(((const struct account_check *)a)->user,
		      ((const struct account_check *)b)->user);
}

/* 0, also with nothing to read; -1 out of memory. */
static int account_view_read(struct sessions *s, struct store *st, int64_t now,
			     struct account_view *av)
{
	int all = s->accounts_stale;
	size_t want = 0;

	av->complete = all;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		if ((all || !s->entries[i].account_checked) &&
		    s->entries[i].credential != SESSIONS_CREDENTIAL_REMOTE)
			want++;
	if (want)
		av->list = calloc(want, sizeof(*av->list));
	for (size_t i = 0; av->list && i < s->n; i++) {
		const struct entry *e = &s->entries[i];

		if ((!all && e->account_checked) || e->credential == SESSIONS_CREDENTIAL_REMOTE)
			continue;
		av->list[av->n].key = e->key;
		snprintf(av->list[av->n].user, sizeof(av->list[av->n].user), "%s", e->user);
		av->n++;
	}
	pthread_rwlock_unlock(&s->lock);
	if (want && !av->list)
		return -1;
	if (!want)
		return 0;
	qsort(av->list, av->n, sizeof(*av->list), account_check_by_user);
	for (size_t i = 0; i < av->n; i++) {
		struct account_check *c = &av->list[i];

		if (i > 0 && strcmp(c->user, c[-1].user) == 0) {
			c->state = c[-1].state;
			c->expires = c[-1].expires;
			c->credential = c[-1].credential;
		} else {
			c->state = sessions_account_read(st, c->user, now, &c->expires, &c->credential);
		}
		if (c->state == ACCOUNT_UNREAD)
			av->complete = 0;
	}
	av->by_addr = round_map(s, ROUND_MAP_ACCOUNTS);
	if (!av->by_addr || addrmap_reserve(av->by_addr, av->n) < 0)
		return -1;
	for (size_t i = 0; i < av->n; i++)
		if (addrmap_put(av->by_addr, &av->list[i].key, i) < 0)
			return -1;
	return 0;
}

/* Caller holds the write lock. What the view says of e's user, recorded
 * in e; ACCOUNT_USABLE when the view does not know (e came or changed
 * hands after it was read: the next round reads it). */
static enum account_state account_apply(const struct account_view *av, struct entry *e)
{
	const struct account_check *c;
	size_t i;

	if (e->credential == SESSIONS_CREDENTIAL_REMOTE)
		return ACCOUNT_USABLE;     /* no local account to follow */
	if (!av->by_addr || !addrmap_get(av->by_addr, &e->key, &i) ||
	    strcmp(av->list[i].user, e->user) != 0 || av->list[i].state == ACCOUNT_UNREAD)
		return ACCOUNT_USABLE;
	c = &av->list[i];
	e->account_checked = 1;
	e->account_expires = c->expires;
	/* a password set since the login was checked (portcullis user passwd,
	 * the panel's reset; the same password again has a new salt) ends the
	 * sessions started before, as an admin resetting an account expects */
	if (c->state == ACCOUNT_USABLE && e->credential && c->credential != e->credential)
		return ACCOUNT_NEW_PASSWORD;
	if (c->state == ACCOUNT_USABLE && !e->credential)
		e->credential = c->credential;
	return c->state;
}

static const char *const reason_names[] = {
	"", "kicked", "expired", "idle", "user_deleted", "user_disabled", "user_expired",
	"address_gone", "password_changed", "quota_exceeded", "policy_denied", "outside_hours",
	"policy_changed", "user_disabled", "user_deleted",
};

/* The view of mac's device, made when add; NULL when there is none (or
 * no memory for it: the device's addresses then count alone this round). */
static struct device_view *device_view_of(struct device_views *dv, const uint8_t mac[6], int add)
{
	struct addrmap_addr key;
	size_t i;

	mac_key(mac, &key);
	if (addrmap_get(dv->by_mac, &key, &i))
		return &dv->list[i];
	if (!add || addrmap_put(dv->by_mac, &key, dv->n) < 0)
		return NULL;
	return &dv->list[dv->n++];
}

/*
 * Whether e's address had traffic within its idle time: a request the
 * daemon saw, or packets the kernel forwarded (its element is there). An
 * element the daemon only kept for the device counts once packets have
 * refreshed it: the forward chain restarts its timer at the set's timeout,
 * which a kept element was given too, so an expiry later than the add's
 * (beyond the clocks' rounding) means packets came since.
 */
static int entry_active(const struct entry *e, const struct nft_session *ks, int have_kernel,
			int64_t now_ms)
{
	int64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);

	if ((seen + (int64_t)e->idle) * 1000 > now_ms || !have_kernel)
		return 1;
	if (!ks)
		return 0;
	if (!e->kept)
		return 1;
	return (int64_t)ks->expires_ms >
	       e->kernel_added_ms + (int64_t)e->kernel_timeout * 1000 - now_ms + 1500;
}

/* Caller holds the write lock. What e's group policy (or its directory)
 * says now: END_KEEP with its limits applied to e (a shorter lifetime or
 * idle limit; its row written again), or the reason it ends. */
static enum end_reason policy_judge(struct sessions *s, struct sessions_round *r,
				    struct entry *e)
{
	int64_t ends_by = 0;
	unsigned idle = 0;

	switch (s->policy_cb(s->policy_ud, e->user, e->source, e->created_at, &ends_by, &idle)) {
	case SESSIONS_POLICY_UNKNOWN:
		return END_KEEP;              /* asked again next round */
	case SESSIONS_POLICY_DENIED:
		return END_POLICY_DENIED;
	case SESSIONS_POLICY_HOURS:
		return END_POLICY_HOURS;
	case SESSIONS_POLICY_USER_DISABLED:
		return END_SOURCE_DISABLED;
	case SESSIONS_POLICY_USER_DELETED:
		return END_SOURCE_DELETED;
	case SESSIONS_POLICY_KEEP:
		break;
	}
	e->policy_judged = 1;
	if (ends_by && ends_by < e->expires_at) {
		if (ends_by <= r->now)
			return END_POLICY_CHANGED;
		e->expires_at = ends_by;
		e->unsaved = 1;
	}
	if (idle && idle < e->idle) {
		e->idle = idle;
		e->unsaved = 1;
		/* the kernel element takes the new timeout in this round's sync */
		e->refreshed_at = -1;
	}
	return END_KEEP;
}

/* Write the rows of entries copied from memory (list, n), stopping at the
 * first failure: each try waits out the busy timeout. An entry that
 * changed meanwhile is written again next round. */
static void write_rows(struct sessions *s, struct store *st, const struct entry *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct store_session row;
		struct entry *e;
		int rc;

		sessions_row_from_entry(&list[i], &row);
		rc = store_session_upsert(st, &row);
		pthread_rwlock_wrlock(&s->lock);
		e = sessions_find(s, &list[i].key);
		if (e && rc == 0) {
			e->unsaved = e->seq != list[i].seq;
			e->held = 0;
		} else if (e && e->seq == list[i].seq) {
			e->held = 1;
		}
		pthread_rwlock_unlock(&s->lock);
		if (rc < 0) {
			if (!list[i].held)
				log_error("session %s: cannot write it to the database (%s); the session "
					  "is held in memory only until the database is back", list[i].addr,
					  sessions_store_error_text(rc));
			return;
		}
		if (list[i].held)
			log_notice("session %s: written to the database", list[i].addr);
	}
}

/* ------------------------------------------------------------ the round */

void sessions_round_begin(struct sessions *s, struct sessions_round *r, int users_changed)
{
	memset(r, 0, sizeof(*r));
	r->now = wall_now();
	r->now_ms = loop_wall_ms();
	if (users_changed)
		s->accounts_stale = 1;
	if (__atomic_exchange_n(&s->policy_stale, 0, __ATOMIC_ACQ_REL) ||
	    r->now - s->policy_judged_at >= SESSIONS_POLICY_RECHECK_S) {
		r->policy_all = 1;
		s->policy_judged_at = r->now;
	}
	/* entries put or changed after this point are newer than what the
	 * round reads (rows, accounts): they are judged by it next round */
	pthread_rwlock_rdlock(&s->lock);
	r->seq_read = s->seq;
	for (size_t i = 0; i < s->n && !r->devices_logged_in; i++)
		r->devices_logged_in = mac_known(s->entries[i].mac);
	pthread_rwlock_unlock(&s->lock);
}

void sessions_round_read_store(struct sessions *s, struct store *st, struct sessions_round *r,
			       int store_changed)
{
	(void)s;
	if (store_changed && store_session_list(st, sessions_collect_cb, &r->rows) == 0)
		r->have_rows = 1;
}

void sessions_round_read_kernel(struct sessions *s, struct sessions_round *r)
{
	pthread_mutex_lock(&s->nft_lock);
	r->have_kernel = nft_session_list(s->nft, kernel_view_cb, &r->kernel) == 0;
	/* the devices' other addresses; only worth a look with one logged in */
	if (r->devices_logged_in) {
		r->have_neigh = nft_neigh_list(s->nft, neigh_view_cb, &r->neigh) == 0;
		if (nft_seen_list(s->nft, seen_view_cb, &r->seen) < 0)
			r->seen.n = 0;
	}
	pthread_mutex_unlock(&s->nft_lock);
	sessions_counts_read(s, r);
	/* the addresses the kernel saw a logged-in device's frames come from,
	 * not logged in yet, and on-link (a router's MAC is on every frame it
	 * forwards: what it routes is no device of its) */
	pthread_rwlock_rdlock(&s->lock);
	for (size_t k = 0; k < r->seen.n && r->n_candidates < ADOPT_PER_ROUND; k++)
		if (!sessions_find(s, &r->seen.list[k].key) &&
		    sessions_device_anchor(s, r->seen.list[k].mac))
			r->candidates[r->n_candidates++] = r->seen.list[k];
	pthread_rwlock_unlock(&s->lock);
	for (size_t k = 0; k < r->n_candidates;) {
		struct sockaddr_storage ss;

		sa_from_key(&r->candidates[k].key, &ss);
		if (sessions_on_link(s, (const struct sockaddr *)&ss))
			k++;
		else
			r->candidates[k] = r->candidates[--r->n_candidates];
	}
}

/*
 * The devices' MACs as they are now go into the devices' map here, under
 * the read lock only: built while judging, under the write lock, the map's
 * growth to thousands of devices held every intercepted request up for
 * most of that lock's time. Their views start empty (round_judge fills
 * them); a device that comes meanwhile is added by round_judge, and one
 * that went keeps an empty view no entry looks up.
 */
static int device_views_prepare(struct sessions *s, struct device_views *dv)
{
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	rc = addrmap_reserve(dv->by_mac, s->n);
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		struct addrmap_addr key;

		if (!mac_known(s->entries[i].mac))
			continue;
		mac_key(s->entries[i].mac, &key);
		if (addrmap_get(dv->by_mac, &key, NULL))
			continue;
		rc = addrmap_put(dv->by_mac, &key, dv->n);
		if (rc == 0)
			dv->n++;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

int sessions_round_index(struct sessions *s, struct store *st, struct sessions_round *r)
{
	if (r->have_rows) {
		r->rows_by_addr = row_index(s, &r->rows);
		if (!r->rows_by_addr)
			return -1;
	}
	r->devices.by_mac = round_map(s, ROUND_MAP_DEVICES);
	if (!r->devices.by_mac || device_views_prepare(s, &r->devices) < 0 ||
	    (r->have_kernel && kernel_view_index(s, &r->kernel) < 0) ||
	    (r->have_neigh && neigh_view_index(s, &r->neigh) < 0) ||
	    sessions_counts_index(s, r) < 0)
		return -1;
	return account_view_read(s, st, r->now, &r->accounts);
}

/* Caller holds the write lock. What each address says alone (a kick, its
 * user's account, its lifetime; whether it had traffic), and what it says
 * of its device. */
static void round_judge(struct sessions *s, struct sessions_round *r)
{
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->entries[i];
		int fresh = e->seq > r->seq_read;
		enum account_state acc = fresh ? ACCOUNT_USABLE : account_apply(&r->accounts, e);
		struct device_view *dv;
		enum end_reason why = END_KEEP;

		/* a row not written yet is no kick */
		if (!fresh && !e->unsaved && r->have_rows && !addrmap_get(r->rows_by_addr, &e->key, NULL))
			why = END_KICKED;
		else if (acc == ACCOUNT_GONE)
			why = END_USER_DELETED;
		else if (acc == ACCOUNT_DISABLED)
			why = END_USER_DISABLED;
		else if (acc == ACCOUNT_NEW_PASSWORD)
			why = END_PASSWORD_CHANGED;
		else if (acc == ACCOUNT_EXPIRED ||
			 (e->account_expires && e->account_expires <= r->now))
			why = END_USER_EXPIRED;
		else if (r->over_quota && r->over_quota[i])
			why = END_QUOTA;
		else if (e->expires_at <= r->now)
			why = END_EXPIRED;
		if (why == END_KEEP && s->policy_cb && !fresh && (r->policy_all || !e->policy_judged))
			why = policy_judge(s, r, e);
		r->verdict[i] = why;
		r->active[i] = (char)entry_active(e, r->have_kernel ? kernel_find(&r->kernel, e) : NULL,
						  r->have_kernel, r->now_ms);
		dv = mac_known(e->mac) ? device_view_of(&r->devices, e->mac, 1) : NULL;
		if (dv) {
			dv->count++;
			if (why == END_KEEP && r->active[i])
				dv->active = 1;
			if (why == END_KICKED) {
				dv->kicked = 1;
				dv->kicked_login = e->login;
			}
		}
	}
}

/* Caller holds the write lock. Whether a kept entry's kernel element
 * needs setting again: it is missing (deleted, or held under another MAC),
 * or the daemon saw requests the kernel did not (they were redirected, not
 * forwarded) and carries them over to the element; a device's address it
 * did not see is kept in the kernel for the device. */
static void round_sync(struct sessions *s, struct sessions_round *r, struct entry *e)
{
	int64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);
	int in_kernel = !r->have_kernel || kernel_find(&r->kernel, e);
	int own;

	if (in_kernel && (seen <= e->refreshed_at ||
			  r->now - e->refreshed_at < (int64_t)(e->idle / 4 ? e->idle / 4 : 1)))
		return;
	own = seen + (int64_t)e->idle > r->now;
	e->refreshed_at = r->now;
	e->kernel_added_ms = r->now_ms;
	e->kept = !own;
	e->kernel_timeout = own ? e->idle : s->cfg->session_idle_timeout;
	r->refresh[r->n_refresh++] = *e;
}

/* Caller holds the write lock. The judged entries end (a kick of one
 * address is its device's, a device none of whose addresses had traffic is
 * idle, an unused address the neighbour table forgot ends alone) or stay,
 * their kernel elements synced. */
static void round_end(struct sessions *s, struct sessions_round *r)
{
	for (size_t i = 0; i < s->n;) {
		struct entry *e = &s->entries[i];
		struct device_view *dv = mac_known(e->mac) ? device_view_of(&r->devices, e->mac, 0) : NULL;
		enum end_reason why = r->verdict[i];
		size_t last = s->n - 1;
		int device_kick = 0;
		struct ended *out;

		/* a kick of one address is a kick of the device (of that login:
		 * not of one made since on the device) */
		if (why == END_KEEP && dv && dv->kicked && e->login == dv->kicked_login) {
			why = END_KICKED;
			device_kick = 1;
		}
		if (why == END_KEEP) {
			if (!(dv ? dv->active : r->active[i]))
				why = END_IDLE;
			else if (dv && !r->active[i] && r->have_neigh && !neigh_has(&r->neigh, e))
				why = END_ADDRESS_GONE;
		}
		if (why == END_KEEP) {
			round_sync(s, r, e);
			i++;
			continue;
		}
		out = &r->ended[r->n_ended++];
		out->e = *e;
		out->why = why;
		/* the kicker deleted the kicked address's row, not its device's */
		out->delete_row = why != END_KICKED || device_kick;
		if (dv)
			dv->count--;
		/* its row, about to be deleted, must not bring it back below */
		if (r->have_rows)
			addrmap_del(r->rows_by_addr, &e->key);
		sessions_drop(s, e);
		/* the device's last address: its MAC leaves devmac, and the
		 * kernel stops recording its frames */
		if (mac_known(out->e.mac) && !sessions_device_anchor(s, out->e.mac))
			memcpy(r->gone_macs[r->n_gone_macs++], out->e.mac, 6);
		if (i != last) {
			r->verdict[i] = r->verdict[last];
			r->active[i] = r->active[last];
		}
	}
}

/* Caller holds the write lock. The devices' addresses their frames came
 * from that are not logged in yet (a new IPv6 privacy address, one that
 * only sends what the kernel forwards) join their device's session. */
static void round_adopt(struct sessions *s, struct sessions_round *r)
{
	for (size_t k = 0; k < r->n_candidates && r->n_joined < ADOPT_PER_ROUND; k++) {
		const struct neigh_entry *nb = &r->candidates[k];
		struct entry *anchor, ne;
		struct device_view *dv;

		if (sessions_find(s, &nb->key))
			continue;
		anchor = sessions_device_anchor(s, nb->mac);
		dv = device_view_of(&r->devices, nb->mac, 0);
		if (!anchor || !dv || !entry_live(anchor, r->now))
			continue;
		if (dv->count >= DEVICE_ADDRS_MAX) {
			r->cap_hit = 1;
			continue;
		}
		sessions_entry_for_address(anchor, nb->key, r->now, &ne);
		/* not seen yet: it keeps the device alive once it has traffic */
		ne.last_seen = 0;
		ne.refreshed_at = r->now;
		ne.kernel_added_ms = r->now_ms;
		ne.kept = 1;
		ne.kernel_timeout = s->cfg->session_idle_timeout;
		if (sessions_put(s, &ne) < 0)
			continue;
		dv->count++;
		r->refresh[r->n_refresh++] = ne;
		r->joined[r->n_joined++] = ne;
	}
}

/* Caller holds the write lock. Rows another process added (or this one
 * restored) join memory; their users are read next round. */
static void round_take_rows(struct sessions *s, struct sessions_round *r)
{
	for (size_t i = 0; r->have_rows && i < r->rows.n; i++) {
		const struct store_session *row = &r->rows.rows[i];
		struct addrmap_addr key;
		struct entry e;

		if (sessions_key_from_text(row->addr, &key) < 0 || sessions_find(s, &key) ||
		    !addrmap_get(r->rows_by_addr, &key, NULL) || row->expires_at <= r->now ||
		    sessions_entry_from_row(row, &e) < 0)
			continue;
		e.last_seen = r->now;
		e.refreshed_at = r->now;
		e.kernel_added_ms = r->now_ms;
		e.kernel_timeout = e.idle;
		if (sessions_put(s, &e) == 0)
			r->refresh[r->n_refresh++] = e;
	}
}

/* Caller holds the write lock. The rows still to be written (a login the
 * database refused, a device's new address), WRITES_PER_ROUND at most. */
static void round_collect_writes(struct sessions *s, struct sessions_round *r)
{
	for (size_t i = 0; i < s->n && r->n_writes < WRITES_PER_ROUND; i++)
		if (s->entries[i].unsaved)
			r->writes[r->n_writes++] = s->entries[i];
}

int sessions_round_decide(struct sessions *s, struct sessions_round *r)
{
	pthread_rwlock_wrlock(&s->lock);
	r->verdict = calloc(s->n + 1, sizeof(*r->verdict));
	r->active = calloc(s->n + 1, 1);
	/* the devices prepared, and room for one per entry that came since */
	r->devices.list = calloc(r->devices.n + s->n + 1, sizeof(*r->devices.list));
	r->ended = calloc(s->n + 1, sizeof(*r->ended));
	r->refresh = calloc(s->n + r->rows.n + ADOPT_PER_ROUND + 1, sizeof(*r->refresh));
	r->joined = calloc(ADOPT_PER_ROUND, sizeof(*r->joined));
	r->writes = calloc(WRITES_PER_ROUND, sizeof(*r->writes));
	r->gone_macs = calloc(s->n + 1, sizeof(*r->gone_macs));
	if (!r->verdict || !r->active || !r->devices.list || !r->ended || !r->refresh ||
	    !r->joined || !r->writes || !r->gone_macs) {
		pthread_rwlock_unlock(&s->lock);
		return -1;
	}
	if (sessions_counts_take(s, r) < 0) {
		pthread_rwlock_unlock(&s->lock);
		return -1;
	}
	round_judge(s, r);
	round_end(s, r);
	round_adopt(s, r);
	round_take_rows(s, r);
	round_collect_writes(s, r);
	pthread_rwlock_unlock(&s->lock);
	if (r->accounts.complete)
		s->accounts_stale = 0;
	return 0;
}

void sessions_round_apply(struct sessions *s, struct store *st, struct sessions_round *r)
{
	/* the same way out as a kick: element, connections, then the row */
	for (size_t i = 0; i < r->n_ended; i++) {
		kernel_end(s, &r->ended[i].e, reason_names[r->ended[i].why]);
		sessions_counts_ended(s, st, &r->ended[i].e, reason_names[r->ended[i].why], r->now);
		if (r->ended[i].delete_row)
			store_session_delete(st, r->ended[i].e.addr);
	}
	pthread_mutex_lock(&s->nft_lock);
	for (size_t i = 0; i < r->n_gone_macs; i++)
		nft_devmac_del(s->nft, r->gone_macs[i]);
	pthread_mutex_unlock(&s->nft_lock);
	for (size_t i = 0; i < r->n_refresh; i++) {
		sessions_kernel_add(s, &r->refresh[i], r->refresh[i].kernel_timeout);
		if (!r->refresh[i].unsaved)
			store_session_touch(st, r->refresh[i].addr, r->now);
	}
	for (size_t i = 0; i < r->n_joined; i++) {
		char mactext[18];

		nft_mac_format(r->joined[i].mac, mactext, sizeof(mactext));
		log_notice("session of user=\"%s\": address %s of the same device (MAC %s) joins it",
			   r->joined[i].user, r->joined[i].addr, mactext);
	}
	if (r->cap_hit && r->now - __atomic_load_n(&s->cap_warned, __ATOMIC_RELAXED) >= 60) {
		__atomic_store_n(&s->cap_warned, r->now, __ATOMIC_RELAXED);
		log_warn("sessions: a device uses more than %d addresses; the others are not logged in "
			 "until some go unused", DEVICE_ADDRS_MAX);
	}
	write_rows(s, st, r->writes, r->n_writes);
	sessions_counts_write(s, st, r);
}

void sessions_round_free(struct sessions *s, struct sessions_round *r)
{
	round_map_keep(s, ROUND_MAP_DEVICES, r->devices.by_mac);
	round_map_keep(s, ROUND_MAP_KERNEL, r->kernel.by_addr);
	round_map_keep(s, ROUND_MAP_NEIGH, r->neigh.by_addr);
	round_map_keep(s, ROUND_MAP_ROWS, r->rows_by_addr);
	round_map_keep(s, ROUND_MAP_ACCOUNTS, r->accounts.by_addr);
	round_map_keep(s, ROUND_MAP_ACCT, r->acct.by_addr);
	r->devices.by_mac = r->kernel.by_addr = r->neigh.by_addr = NULL;
	r->rows_by_addr = r->accounts.by_addr = r->acct.by_addr = NULL;
	free(r->verdict);
	free(r->active);
	free(r->devices.list);
	addrmap_free(r->devices.by_mac);
	free(r->ended);
	free(r->refresh);
	free(r->joined);
	free(r->writes);
	free(r->kernel.list);
	free(r->kernel.next);
	addrmap_free(r->kernel.by_addr);
	free(r->neigh.list);
	addrmap_free(r->neigh.by_addr);
	free(r->seen.list);
	free(r->gone_macs);
	addrmap_free(r->rows_by_addr);
	addrmap_free(r->accounts.by_addr);
	free(r->accounts.list);
	free(r->rows.rows);
	sessions_counts_free(r);
}

void sessions_maintain(struct sessions *s, struct store *st, int store_changed, int users_changed)
{
	struct sessions_round r;

	sessions_round_begin(s, &r, users_changed);
	sessions_round_read_store(s, st, &r, store_changed);
	sessions_quota_read(s, st, &r, users_changed);
	sessions_round_read_kernel(s, &r);
	if (sessions_round_index(s, st, &r) < 0 || sessions_round_decide(s, &r) < 0)
		log_warn("sessions: out of memory; maintenance skipped this round");
	else
		sessions_round_apply(s, st, &r);
	sessions_round_free(s, &r);
}

void sessions_on_policy(struct sessions *s, sessions_policy_cb cb, void *ud)
{
	pthread_rwlock_wrlock(&s->lock);
	s->policy_cb = cb;
	s->policy_ud = ud;
	pthread_rwlock_unlock(&s->lock);
}

void sessions_policy_changed(struct sessions *s)
{
	__atomic_store_n(&s->policy_stale, 1, __ATOMIC_RELEASE);
}
