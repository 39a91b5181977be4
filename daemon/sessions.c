#include "sessions.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addrmap.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "nft.h"
#include "store.h"

struct entry {
	char addr[STORE_ADDR_MAX + 1];     /* canonical text (mapped v4 as v4) */
	struct sockaddr_storage sa;
	struct addrmap_addr key;           /* sa as the index knows it */
	uint8_t mac[6];
	char user[STORE_NAME_MAX + 1];
	int64_t created_at, expires_at;    /* wall s */
	unsigned idle;                     /* s */
	int64_t last_seen;                 /* wall s, atomic: request path writes it */
	int64_t refreshed_at;              /* wall s the kernel element was (re)set */
	int64_t account_expires;           /* wall s the user's account expires, 0 never */
	int account_checked;               /* the account was read since the entry came
					    * (a login, a restore, another process's row) */
};

struct sessions {
	const struct config *cfg;
	pthread_rwlock_t lock;             /* entries and index */
	struct entry *entries;
	size_t n, cap;
	struct addrmap *index;             /* address -> position in entries */
	uint8_t hash_key[ADDRMAP_KEY_LEN]; /* index's, and maintenance's own maps' */
	pthread_mutex_t nft_lock;          /* the netlink sockets */
	struct nft *nft;
	int accounts_stale;                /* users changed since every account was last
					    * read (maintenance thread only) */
};

static int64_t wall_now(void)
{
	return loop_wall_ms() / 1000;
}

/* The address as an AF_INET/AF_INET6 sockaddr from its text. */
static int sa_from_text(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* The index key of the address in text; -1 if it is not an address. */
static int key_from_text(const char *text, struct addrmap_addr *key)
{
	struct sockaddr_storage ss;

	if (sa_from_text(text, &ss) < 0)
		return -1;
	return addrmap_addr_from_sockaddr((const struct sockaddr *)&ss, key);
}

/* Caller holds lock. Every intercepted request asks, so this is a hash
 * lookup on the binary address, not a scan over the sessions. */
static struct entry *find(struct sessions *s, const struct addrmap_addr *key)
{
	size_t i;

	if (!addrmap_get(s->index, key, &i))
		return NULL;
	return &s->entries[i];
}

static struct entry *find_sockaddr(struct sessions *s, const struct sockaddr *client)
{
	struct addrmap_addr key;

	if (addrmap_addr_from_sockaddr(client, &key) < 0)
		return NULL;
	return find(s, &key);
}

/* Caller holds the write lock. Replaces an entry of the same address. */
static int put(struct sessions *s, const struct entry *e)
{
	struct entry *old = find(s, &e->key);

	if (old) {
		*old = *e;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct entry *ne = realloc(s->entries, cap * sizeof(*ne));

		if (!ne)
			return -1;
		s->entries = ne;
		s->cap = cap;
	}
	if (addrmap_put(s->index, &e->key, s->n) < 0)
		return -1;
	s->entries[s->n++] = *e;
	return 0;
}

/* Caller holds the write lock. The last entry moves into the hole, and
 * its index entry with it (replacing a value never allocates). */
static void drop(struct sessions *s, struct entry *e)
{
	size_t i = (size_t)(e - s->entries);

	addrmap_del(s->index, &e->key);
	if (i != s->n - 1) {
		s->entries[i] = s->entries[s->n - 1];
		addrmap_put(s->index, &s->entries[i].key, i);
	}
	s->n--;
}

static void kernel_add(struct sessions *s, const struct entry *e, unsigned timeout)
{
	pthread_mutex_lock(&s->nft_lock);
	if (nft_session_add(s->nft, (const struct sockaddr *)&e->sa, e->mac, timeout) < 0)
		log_warn("session %s: the kernel set refused it; forwarded traffic stays blocked",
			 e->addr);
	pthread_mutex_unlock(&s->nft_lock);
}

/* The session's kernel element goes and its connections are cut, so the
 * client's next request meets the challenge again (SPEC §1). */
static void kernel_end(struct sessions *s, const struct entry *e, const char *why)
{
	int cut;

	pthread_mutex_lock(&s->nft_lock);
	nft_session_del(s->nft, (const struct sockaddr *)&e->sa, e->mac);
	cut = nft_conntrack_cut(s->nft, (const struct sockaddr *)&e->sa);
	pthread_mutex_unlock(&s->nft_lock);
	log_notice("session ended: client=%s user=\"%s\" reason=%s connections_cut=%d", e->addr,
		   e->user, why, cut < 0 ? 0 : cut);
}

static int entry_from_row(const struct store_session *row, struct entry *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->addr, sizeof(e->addr), "%s", row->addr);
	if (sa_from_text(row->addr, &e->sa) < 0 ||
	    addrmap_addr_from_sockaddr((const struct sockaddr *)&e->sa, &e->key) < 0)
		return -1;
	if (row->mac[0] && nft_mac_parse(row->mac, e->mac) < 0)
		return -1;
	snprintf(e->user, sizeof(e->user), "%s", row->username);
	e->created_at = row->created_at;
	e->expires_at = row->expires_at;
	e->idle = row->idle_timeout ? row->idle_timeout : 1;
	e->last_seen = row->last_seen_at;
	return 0;
}

/* Whether a session's user may still be logged in, as the store says now. */
enum account_state {
	ACCOUNT_USABLE,
	ACCOUNT_GONE,
	ACCOUNT_DISABLED,
	ACCOUNT_EXPIRED,
	ACCOUNT_UNREAD,          /* the store did not answer: decide next round */
};

/* The account of name; *expires its expiry time (0 never) when usable. */
static enum account_state account_read(struct store *st, const char *name, int64_t now,
				       int64_t *expires)
{
	struct store_user u;
	int rc = store_user_get(st, name, &u);

	*expires = 0;
	/* a name the store refuses (-EINVAL) can be no user's */
	if (rc == 1 || rc == -EINVAL)
		return ACCOUNT_GONE;
	if (rc < 0)
		return ACCOUNT_UNREAD;
	if (!u.enabled)
		return ACCOUNT_DISABLED;
	if (u.expires_at && u.expires_at <= now)
		return ACCOUNT_EXPIRED;
	*expires = u.expires_at;
	return ACCOUNT_USABLE;
}

static const char *account_state_name(enum account_state a)
{
	switch (a) {
	case ACCOUNT_GONE:
		return "deleted";
	case ACCOUNT_DISABLED:
		return "disabled";
	case ACCOUNT_EXPIRED:
		return "expired";
	default:
		return "usable";
	}
}

struct row_list {
	struct store_session *rows;
	size_t n, cap;
};

static int collect_cb(const struct store_session *row, void *ud)
{
	struct row_list *l = ud;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct store_session *nr = realloc(l->rows, cap * sizeof(*nr));

		if (!nr)
			return -1;
		l->rows = nr;
		l->cap = cap;
	}
	l->rows[l->n++] = *row;
	return 0;
}

struct sessions *sessions_new(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
	struct sessions *s = calloc(1, sizeof(*s));
	struct nft_spec spec = { 0 };
	struct row_list l = { 0 };
	int64_t now = wall_now();
	size_t restored = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->nft_lock, NULL);
	/* a secret hash key: clients choose their addresses (IPv6 hosts pick
	 * from 2^64 per prefix) and must not be able to pile them into one
	 * probe chain and slow every lookup down */
	if (getrandom(s->hash_key, sizeof(s->hash_key), 0) != sizeof(s->hash_key)) {
		snprintf(err, errlen, "cannot read the OS random generator");
		goto fail;
	}
	s->index = addrmap_new(s->hash_key);
	if (!s->index) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->nft = nft_open(err, errlen);
	if (!s->nft)
		goto fail;
	spec.interface = cfg->intercept_interface;
	spec.http_port = cfg->intercept_http_port;
	spec.https_port = cfg->intercept_https_port;
	spec.mark = cfg->intercept_mark;
	spec.session_idle = cfg->session_idle_timeout;
	spec.bypass = cfg->intercept_bypass;
	if (nft_table_replace(s->nft, &spec, err, errlen) < 0)
		goto fail;
	/* sessions survive a restart: back into memory and the kernel, each
	 * with a whole idle period (the kernel's timers died with the table) */
	if (store_session_list(st, collect_cb, &l) < 0) {
		snprintf(err, errlen, "cannot read the sessions from the database");
		goto fail;
	}
	for (size_t i = 0; i < l.n; i++) {
		enum account_state acc;
		struct entry e;

		if (l.rows[i].expires_at <= now || entry_from_row(&l.rows[i], &e) < 0) {
			store_session_delete(st, l.rows[i].addr);
			continue;
		}
		/* a user disabled or deleted while the daemon was down does not
		 * come back logged in */
		acc = account_read(st, e.user, now, &e.account_expires);
		if (acc != ACCOUNT_USABLE && acc != ACCOUNT_UNREAD) {
			log_notice("session of %s not restored: user \"%s\" %s", e.addr, e.user,
				   account_state_name(acc));
			store_session_delete(st, l.rows[i].addr);
			continue;
		}
		e.account_checked = acc == ACCOUNT_USABLE;
		e.last_seen = now;
		e.refreshed_at = now;
		if (put(s, &e) < 0)
			continue;
		kernel_add(s, &e, e.idle);
		restored++;
	}
	free(l.rows);
	if (restored)
		log_notice("intercept: %zu sessions restored from the database", restored);
	return s;
fail:
	free(l.rows);
	sessions_free(s);
	return NULL;
}

void sessions_free(struct sessions *s)
{
	if (!s)
		return;
	if (s->nft) {
		if (nft_table_delete(s->nft) < 0)
			log_error("nftables: cannot remove table inet %s", NFT_TABLE_NAME);
		nft_close(s->nft);
	}
	free(s->entries);
	addrmap_free(s->index);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->nft_lock);
	free(s);
}

static int mac_known(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, 6) != 0;
}

/* The session's end at the latest: its lifetime, or its user's expiry
 * if that comes first. */
static int64_t entry_ends_at(const struct entry *e)
{
	if (e->account_expires && e->account_expires < e->expires_at)
		return e->account_expires;
	return e->expires_at;
}

/* Between the moment a session runs out and the maintenance round that
 * ends it, the request path already treats it as gone. */
static int entry_live(const struct entry *e, int64_t now)
{
	return entry_ends_at(e) > now;
}

int sessions_lookup(struct sessions *s, const struct sockaddr *client, const uint8_t *mac,
		    char *user, size_t len)
{
	struct entry *e;
	int found = 0;
	int64_t now = wall_now();

	pthread_rwlock_rdlock(&s->lock);
	e = find_sockaddr(s, client);
	if (e && entry_live(e, now) &&
	    (!mac || !mac_known(e->mac) || memcmp(mac, e->mac, 6) == 0)) {
		found = 1;
		if (user)
			snprintf(user, len, "%s", e->user);
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

int sessions_alive(struct sessions *s, const struct sockaddr *client)
{
	struct entry *e;
	int alive;

	pthread_rwlock_rdlock(&s->lock);
	e = find_sockaddr(s, client);
	alive = e && entry_live(e, wall_now());
	pthread_rwlock_unlock(&s->lock);
	return alive;
}

long sessions_remaining(struct sessions *s, const struct sockaddr *client)
{
	struct entry *e;
	long left = -1;
	int64_t now = wall_now();

	pthread_rwlock_rdlock(&s->lock);
	e = find_sockaddr(s, client);
	if (e && entry_live(e, now))
		left = (long)(entry_ends_at(e) - now);
	pthread_rwlock_unlock(&s->lock);
	return left;
}

int sessions_start(struct sessions *s, struct store *st, const struct sockaddr *client,
		   const char *username)
{
	struct store_session row;
	struct entry e, old;
	int had_old = 0, rc;
	int64_t now = wall_now();

	memset(&row, 0, sizeof(row));
	memset(&e, 0, sizeof(e));
	cidr_addr_text(client, e.addr, sizeof(e.addr));
	if (sa_from_text(e.addr, &e.sa) < 0 ||
	    addrmap_addr_from_sockaddr((const struct sockaddr *)&e.sa, &e.key) < 0)
		return -1;
	pthread_mutex_lock(&s->nft_lock);
	rc = nft_neigh_mac(s->nft, (const struct sockaddr *)&e.sa, e.mac);
	pthread_mutex_unlock(&s->nft_lock);
	if (rc != 0)
		log_warn("session %s: no MAC address in the neighbour table (not on-link?); "
			 "only its HTTP and HTTPS will pass", e.addr);
	snprintf(e.user, sizeof(e.user), "%s", username);
	e.created_at = now;
	e.expires_at = now + s->cfg->session_lifetime;
	e.idle = s->cfg->session_idle_timeout;
	e.last_seen = now;
	e.refreshed_at = now;

	/* the store first: it is the source of truth the CLI and panel see */
	snprintf(row.addr, sizeof(row.addr), "%s", e.addr);
	if (rc == 0)
		nft_mac_format(e.mac, row.mac, sizeof(row.mac));
	snprintf(row.username, sizeof(row.username), "%s", username);
	row.created_at = now;
	row.last_seen_at = now;
	row.expires_at = e.expires_at;
	row.idle_timeout = e.idle;
	if (store_session_upsert(st, &row) < 0) {
		log_error("session %s: cannot write it to the database", e.addr);
		return -1;
	}
	pthread_rwlock_wrlock(&s->lock);
	{
		struct entry *prev = find(s, &e.key);

		if (prev) {
			old = *prev;
			had_old = 1;
		}
	}
	rc = put(s, &e);
	pthread_rwlock_unlock(&s->lock);
	if (rc < 0)
		return -1;
	if (had_old && memcmp(old.mac, e.mac, 6) != 0) {
		pthread_mutex_lock(&s->nft_lock);
		nft_session_del(s->nft, (const struct sockaddr *)&old.sa, old.mac);
		pthread_mutex_unlock(&s->nft_lock);
	}
	kernel_add(s, &e, e.idle);
	log_notice("session started: client=%s user=\"%s\" lifetime=%us idle=%us", e.addr, e.user,
		   s->cfg->session_lifetime, e.idle);
	return 0;
}

/* --- maintenance */

struct kernel_view {
	struct nft_session *list;
	size_t n, cap;
	struct addrmap *by_addr;           /* address -> its last element in list */
	size_t *next;                      /* per element: the address's previous one */
};

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
static int kernel_view_index(struct kernel_view *kv, const uint8_t key[ADDRMAP_KEY_LEN])
{
	kv->by_addr = addrmap_new(key);
	kv->next = calloc(kv->n + 1, sizeof(*kv->next));
	if (!kv->by_addr || !kv->next)
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

static int kernel_has(const struct kernel_view *kv, const struct entry *e)
{
	size_t i;

	if (!addrmap_get(kv->by_addr, &e->key, &i))
		return 0;
	for (; i != SIZE_MAX; i = kv->next[i])
		if (memcmp(kv->list[i].mac, e->mac, 6) == 0)
			return 1;
	return 0;
}

static struct addrmap *row_index(const struct row_list *l, const uint8_t key[ADDRMAP_KEY_LEN])
{
	struct addrmap *m = addrmap_new(key);

	for (size_t i = 0; m && i < l->n; i++) {
		struct addrmap_addr a;

		/* a row that is not an address never made it into memory */
		if (key_from_text(l->rows[i].addr, &a) == 0 && addrmap_put(m, &a, i) < 0) {
			addrmap_free(m);
			return NULL;
		}
	}
	return m;
}

/*
 * The accounts behind the sessions. After a change to the users (from any
 * process: the CLI, the panel) every session's user is read again; between
 * changes only the sessions that have not been read yet (a login, a row
 * another process added). Read outside the write lock, each user once.
 */
struct account_check {
	struct addrmap_addr key;          /* the session's address */
	char user[STORE_NAME_MAX + 1];
	enum account_state state;
	int64_t expires;                  /* wall s, 0 never */
};

struct account_view {
	struct account_check *list;
	size_t n;
	struct addrmap *by_addr;          /* address -> its check in list */
	int complete;                     /* every session read, every read answered */
};

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
		if (all || !s->entries[i].account_checked)
			want++;
	if (want)
		av->list = calloc(want, sizeof(*av->list));
	for (size_t i = 0; av->list && i < s->n; i++) {
		const struct entry *e = &s->entries[i];

		if (!all && e->account_checked)
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
		} else {
			c->state = account_read(st, c->user, now, &c->expires);
		}
		if (c->state == ACCOUNT_UNREAD)
			av->complete = 0;
	}
	av->by_addr = addrmap_new(s->hash_key);
	if (!av->by_addr)
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
	size_t i;

	if (!av->by_addr || !addrmap_get(av->by_addr, &e->key, &i) ||
	    strcmp(av->list[i].user, e->user) != 0 || av->list[i].state == ACCOUNT_UNREAD)
		return ACCOUNT_USABLE;
	e->account_checked = 1;
	e->account_expires = av->list[i].expires;
	return av->list[i].state;
}

enum end_reason {
	END_KICKED,
	END_EXPIRED,
	END_IDLE,
	END_USER_DELETED,
	END_USER_DISABLED,
	END_USER_EXPIRED,
};

void sessions_maintain(struct sessions *s, struct store *st, int store_changed, int users_changed)
{
	static const char *const reason_names[] = {
		"kicked", "expired", "idle", "user_deleted", "user_disabled", "user_expired",
	};
	struct entry *ended = NULL, *refresh = NULL;
	enum end_reason *why = NULL;
	size_t n_ended = 0, n_refresh = 0;
	struct kernel_view kv = { 0 };
	struct account_view av = { 0 };
	struct row_list l = { 0 };
	struct addrmap *rows_by_addr = NULL;
	int64_t now = wall_now();
	int have_rows = 0, have_kernel;

	if (users_changed)
		s->accounts_stale = 1;
	if (store_changed && store_session_list(st, collect_cb, &l) == 0)
		have_rows = 1;
	pthread_mutex_lock(&s->nft_lock);
	have_kernel = nft_session_list(s->nft, kernel_view_cb, &kv) == 0;
	pthread_mutex_unlock(&s->nft_lock);
	if (have_rows)
		rows_by_addr = row_index(&l, s->hash_key);
	if ((have_kernel && kernel_view_index(&kv, s->hash_key) < 0) ||
	    (have_rows && !rows_by_addr) || account_view_read(s, st, now, &av) < 0) {
		log_warn("sessions: out of memory; maintenance skipped this round");
		goto out;
	}

	pthread_rwlock_wrlock(&s->lock);
	ended = calloc(s->n + 1, sizeof(*ended));
	refresh = calloc(s->n + l.n + 1, sizeof(*refresh));
	why = calloc(s->n + 1, sizeof(*why));
	if (!ended || !refresh || !why) {
		pthread_rwlock_unlock(&s->lock);
		goto out;
	}
	for (size_t i = 0; i < s->n;) {
		struct entry *e = &s->entries[i];
		int64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);
		int in_kernel = !have_kernel || kernel_has(&kv, e);
		enum account_state acc = account_apply(&av, e);
		enum end_reason r;

		if (have_rows && !addrmap_get(rows_by_addr, &e->key, NULL))
			r = END_KICKED;
		else if (acc == ACCOUNT_GONE)
			r = END_USER_DELETED;
		else if (acc == ACCOUNT_DISABLED)
			r = END_USER_DISABLED;
		else if (acc == ACCOUNT_EXPIRED ||
			 (e->account_expires && e->account_expires <= now))
			r = END_USER_EXPIRED;
		else if (e->expires_at <= now)
			r = END_EXPIRED;
		else if (!in_kernel && seen + (int64_t)e->idle <= now)
			r = END_IDLE;
		else {
			/* the daemon saw requests the kernel did not (they were
			 * redirected, not forwarded): carry them over to the element */
			if (!in_kernel || (seen > e->refreshed_at &&
					   now - e->refreshed_at >= (int64_t)(e->idle / 4 ? e->idle / 4 : 1))) {
				e->refreshed_at = now;
				refresh[n_refresh++] = *e;
			}
			i++;
			continue;
		}
		why[n_ended] = r;
		ended[n_ended++] = *e;
		/* its row, about to be deleted, must not bring it back below */
		if (have_rows)
			addrmap_del(rows_by_addr, &e->key);
		drop(s, e);
	}
	/* rows another process added (or this one restored) join memory; their
	 * users are read next round */
	for (size_t i = 0; have_rows && i < l.n; i++) {
		struct addrmap_addr key;
		struct entry e;

		if (key_from_text(l.rows[i].addr, &key) < 0 || find(s, &key) ||
		    !addrmap_get(rows_by_addr, &key, NULL) ||
		    l.rows[i].expires_at <= now ||
		    entry_from_row(&l.rows[i], &e) < 0)
			continue;
		e.last_seen = now;
		e.refreshed_at = now;
		if (put(s, &e) == 0)
			refresh[n_refresh++] = e;
	}
	pthread_rwlock_unlock(&s->lock);
	if (av.complete)
		s->accounts_stale = 0;

	/* the same way out as a kick: element, connections, then the row */
	for (size_t i = 0; i < n_ended; i++) {
		kernel_end(s, &ended[i], reason_names[why[i]]);
		if (why[i] != END_KICKED)
			store_session_delete(st, ended[i].addr);
	}
	for (size_t i = 0; i < n_refresh; i++) {
		kernel_add(s, &refresh[i], refresh[i].idle);
		store_session_touch(st, refresh[i].addr, now);
	}
out:
	free(ended);
	free(refresh);
	free(why);
	free(kv.list);
	free(kv.next);
	addrmap_free(kv.by_addr);
	addrmap_free(rows_by_addr);
	addrmap_free(av.by_addr);
	free(av.list);
	free(l.rows);
}

int sessions_set_whitelist(struct sessions *s, const struct cidr *list, size_t n)
{
	int rc;

	pthread_mutex_lock(&s->nft_lock);
	rc = nft_whitelist_sync(s->nft, list, n);
	pthread_mutex_unlock(&s->nft_lock);
	return rc;
}
