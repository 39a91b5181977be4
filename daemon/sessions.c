#include "sessions_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <unistd.h>

#include "addrmap.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "nft.h"
#include "store.h"

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
int sessions_key_from_text(const char *text, struct addrmap_addr *key)
{
	struct sockaddr_storage ss;

	if (sa_from_text(text, &ss) < 0)
		return -1;
	return addrmap_addr_from_sockaddr((const struct sockaddr *)&ss, key);
}

/* Caller holds lock. Every intercepted request asks, so this is a hash
 * lookup on the binary address, not a scan over the sessions. */
struct entry *sessions_find(struct sessions *s, const struct addrmap_addr *key)
{
	size_t i;

	if (!addrmap_get(s->index, key, &i))
		return NULL;
	return &s->entries[i];
}

struct entry *sessions_find_sockaddr(struct sessions *s, const struct sockaddr *client)
{
	struct addrmap_addr key;

	if (addrmap_addr_from_sockaddr(client, &key) < 0)
		return NULL;
	return sessions_find(s, &key);
}

/* Caller holds lock. One live or dead entry of the device with mac. */
struct entry *sessions_device_anchor(struct sessions *s, const uint8_t mac[6])
{
	struct addrmap_addr key;
	size_t i;

	mac_key(mac, &key);
	if (!addrmap_get(s->by_mac, &key, &i) || i >= s->n || memcmp(s->entries[i].mac, mac, 6))
		return NULL;
	return &s->entries[i];
}

/* Caller holds lock. The device's addresses in memory. */
static size_t device_count(const struct sessions *s, const uint8_t mac[6])
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += memcmp(s->entries[i].mac, mac, 6) == 0;
	return n;
}

/* Caller holds the write lock. The entry at i is its device's anchor if
 * the device has none. Out of memory leaves the device without one: its
 * new addresses then wait for maintenance, nothing worse. */
static void anchor_add(struct sessions *s, size_t i)
{
	struct addrmap_addr key;

	if (!mac_known(s->entries[i].mac))
		return;
	mac_key(s->entries[i].mac, &key);
	if (!addrmap_get(s->by_mac, &key, NULL))
		addrmap_put(s->by_mac, &key, i);
}

/* Caller holds the write lock. The entry at i leaves its device: another
 * of the device's entries becomes the anchor if it was. */
static void anchor_remove(struct sessions *s, size_t i)
{
	const uint8_t *mac = s->entries[i].mac;
	struct addrmap_addr key;
	size_t at;

	if (!mac_known(mac))
		return;
	mac_key(mac, &key);
	if (!addrmap_get(s->by_mac, &key, &at) || at != i)
		return;
	for (size_t j = 0; j < s->n; j++) {
		if (j != i && memcmp(s->entries[j].mac, mac, 6) == 0) {
			addrmap_put(s->by_mac, &key, j);
			return;
		}
	}
	addrmap_del(s->by_mac, &key);
}

/* Caller holds the write lock. Replaces an entry of the same address. */
int sessions_put(struct sessions *s, struct entry *e)
{
	struct entry *old = sessions_find(s, &e->key);

	e->seq = ++s->seq;
	if (old) {
		size_t i = (size_t)(old - s->entries);

		if (memcmp(old->mac, e->mac, 6) != 0) {
			anchor_remove(s, i);
			*old = *e;
			anchor_add(s, i);
		} else {
			*old = *e;
		}
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
	anchor_add(s, s->n - 1);
	return 0;
}

/* Caller holds the write lock. The last entry moves into the hole, and
 * its index entries with it (replacing a value never allocates). */
void sessions_drop(struct sessions *s, struct entry *e)
{
	size_t i = (size_t)(e - s->entries), last = s->n - 1;
	struct addrmap_addr key;
	size_t at;

	anchor_remove(s, i);
	addrmap_del(s->index, &e->key);
	if (i != last) {
		s->entries[i] = s->entries[last];
		addrmap_put(s->index, &s->entries[i].key, i);
		if (mac_known(s->entries[i].mac)) {
			mac_key(s->entries[i].mac, &key);
			if (addrmap_get(s->by_mac, &key, &at) && at == last)
				addrmap_put(s->by_mac, &key, i);
		}
	}
	s->n--;
}

/* Another address of the device anchor belongs to: the same login, user,
 * times and MAC. Its row is still to be written, its account to be read
 * (it may come after the round that ends the login's other addresses).
 * The key comes by value: e may be the entry whose key it is, and the
 * copy of anchor into e would overwrite it before it was read. */
void sessions_entry_for_address(const struct entry *anchor, struct addrmap_addr key, int64_t now,
			      struct entry *e)
{
	*e = *anchor;
	e->key = key;
	/* an address has counts of its own */
	memset(&e->counted, 0, sizeof(e->counted));
	memset(&e->saved, 0, sizeof(e->saved));
	memset(e->rate_mark_at, 0, sizeof(e->rate_mark_at));
	sa_from_key(&key, &e->sa);
	cidr_addr_text((const struct sockaddr *)&e->sa, e->addr, sizeof(e->addr));
	e->last_seen = now;
	e->refreshed_at = 0;
	e->kernel_added_ms = 0;
	e->kernel_timeout = 0;
	e->kept = 0;
	e->account_checked = 0;
	e->unsaved = 1;
}

const char *sessions_store_error_text(int rc)
{
	return rc == -ENOSPC ? "disk full" : rc == -EBUSY ? "database locked" : "database error";
}

void sessions_kernel_add(struct sessions *s, const struct entry *e, unsigned timeout)
{
	pthread_mutex_lock(&s->nft_lock);
	if (nft_session_add(s->nft, (const struct sockaddr *)&e->sa, e->mac, timeout, &e->counted) < 0) {
		/* with the table gone nothing is blocked: say what is true */
		if (nft_table_present(s->nft) == 0)
			log_warn("session %s: table inet %s is gone (removed by another process); "
				 "the daemon puts it back with this session", e->addr, NFT_TABLE_NAME);
		else
			log_warn("session %s: the kernel set refused it; forwarded traffic stays "
				 "blocked", e->addr);
	}
	pthread_mutex_unlock(&s->nft_lock);
	/* a refresh finds the device in its class already: one lookup */
	shaper_device_set(s->shaper, (const struct sockaddr *)&e->sa, entry_class(s, e));
}

int sessions_entry_from_row(const struct store_session *row, struct entry *e)
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
	/* the counts go on from what the row kept (a restart) */
	e->counted.bytes_in = row->counts.bytes_in;
	e->counted.packets_in = row->counts.packets_in;
	e->counted.bytes_out = row->counts.bytes_out;
	e->counted.packets_out = row->counts.packets_out;
	e->saved = e->counted;
	/* a remote source's session has no local account to follow, after a
	 * restart too */
	if (row->remote)
		e->credential = SESSIONS_CREDENTIAL_REMOTE;
	snprintf(e->bw_class, sizeof(e->bw_class), "%s", row->bandwidth_class);
	snprintf(e->source, sizeof(e->source), "%s", row->source);
	/* a device a used-up quota throttled stays throttled over a restart
	 * until the round judges its quota again */
	e->throttled = row->throttle_class[0] != '\0';
	snprintf(e->throttle_class, sizeof(e->throttle_class), "%s", row->throttle_class);
	return 0;
}

/* The account of name; *expires its expiry time (0 never) when usable. */
enum account_state sessions_account_read(struct store *st, const char *name, int64_t now,
				       int64_t *expires, uint64_t *credential)
{
	struct store_user u;
	int rc = store_user_get(st, name, &u);

	*expires = 0;
	*credential = 0;
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
	*credential = sessions_credential_stamp(u.phc);
	OPENSSL_cleanse(&u, sizeof(u));
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
	case ACCOUNT_NEW_PASSWORD:
		return "given a new password";
	default:
		return "usable";
	}
}

int sessions_collect_cb(const struct store_session *row, void *ud)
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

struct sessions *sessions_alloc(const struct config *cfg, char *err, size_t errlen)
{
	struct sessions *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->watch_stop[0] = s->watch_stop[1] = -1;
	pthread_rwlock_init(&s->lock, NULL);
	pthread_mutex_init(&s->nft_lock, NULL);
	pthread_mutex_init(&s->policy.lock, NULL);
	/* a secret hash key: clients choose their addresses (IPv6 hosts pick
	 * from 2^64 per prefix) and must not be able to pile them into one
	 * probe chain and slow every lookup down */
	if (getrandom(s->hash_key, sizeof(s->hash_key), 0) != sizeof(s->hash_key)) {
		snprintf(err, errlen, "cannot read the OS random generator");
		goto fail;
	}
	s->index = addrmap_new(s->hash_key);
	s->by_mac = addrmap_new(s->hash_key);
	if (!s->index || !s->by_mac) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return s;
fail:
	sessions_free(s);
	return NULL;
}

struct sessions *sessions_new(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
	struct sessions *s = sessions_alloc(cfg, err, errlen);
	struct nft_spec spec = { 0 };
	struct row_list l = { 0 };
	struct shaper_classes classes = { .n = 0 };
	int64_t now = wall_now();
	size_t restored = 0;
	char why[160];

	if (!s)
		return NULL;
	s->nft = nft_open(err, errlen);
	if (!s->nft)
		goto fail;
	spec.interface = cfg->intercept_interface;
	spec.http_port = cfg->intercept_http_port;
	spec.https_port = cfg->intercept_https_port;
	spec.session_idle = cfg->session_idle_timeout;
	spec.bypass = cfg->intercept_bypass;
	if (nft_table_replace(s->nft, &spec, err, errlen) < 0)
		goto fail;
	s->table_installed = 1;
	if (cfg->shaping_enabled && !(s->shaper = shaper_new(cfg, err, errlen)))
		goto fail;
	/* checked at start already: a failure is no classes */
	if (s->shaper && shaper_classes_parse(cfg->shaping_classes, &classes, why, sizeof(why)) < 0)
		classes.n = 0;
	/* sessions survive a restart: back into memory and the kernel, each
	 * with a whole idle period (the kernel's timers died with the table) */
	if (store_session_list(st, sessions_collect_cb, &l) < 0) {
		snprintf(err, errlen, "cannot read the sessions from the database");
		goto fail;
	}
	for (size_t i = 0; i < l.n; i++) {
		enum account_state acc;
		struct entry e;

		if (l.rows[i].expires_at <= now || sessions_entry_from_row(&l.rows[i], &e) < 0) {
			store_session_delete(st, l.rows[i].addr);
			continue;
		}
		/* a user disabled or deleted while the daemon was down does not
		 * come back logged in */
		acc = e.credential == SESSIONS_CREDENTIAL_REMOTE ? ACCOUNT_USABLE
			       : sessions_account_read(st, e.user, now, &e.account_expires,
						       &e.credential);
		if (acc != ACCOUNT_USABLE && acc != ACCOUNT_UNREAD) {
			log_notice("session of %s not restored: user \"%s\" %s", e.addr, e.user,
				   account_state_name(acc));
			store_session_delete(st, l.rows[i].addr);
			continue;
		}
		e.account_checked = acc == ACCOUNT_USABLE;
		/* throttling ended with quota_action = throttle or shaping */
		if (e.throttled && (!s->shaper || strcmp(cfg->shaping_quota_action, "throttle") != 0)) {
			e.throttled = 0;
			e.throttle_class[0] = '\0';
			store_session_throttle_set(st, e.addr, "");
		}
		/* a throttle class the configuration no longer has: quota_class
		 * (as the round would choose), not unshaped until the round */
		if (e.throttled && !shaper_class_find(&classes, e.throttle_class)) {
			snprintf(e.throttle_class, sizeof(e.throttle_class), "%s",
				 cfg->shaping_quota_class);
			store_session_throttle_set(st, e.addr, e.throttle_class);
		}
		/* the class the login chose (a group policy's too); a row from
		 * before shaping was on takes the user's own */
		if (s->shaper && !e.bw_class[0] && store_user_class_get(st, e.user, e.bw_class) != 0)
			e.bw_class[0] = '\0';
		e.last_seen = now;
		e.refreshed_at = now;
		e.kernel_added_ms = now * 1000;
		e.kernel_timeout = e.idle;
		if (sessions_put(s, &e) < 0)
			continue;
		sessions_kernel_add(s, &e, e.idle);
		restored++;
	}
	free(l.rows);
	if (restored)
		log_notice("intercept: %zu sessions restored from the database", restored);
	sessions_watch_start(s);
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
	sessions_watch_stop(s);
	sessions_quota_free(s);
	sessions_round_maps_free(s);
	shaper_free(s->shaper);
	if (s->nft && s->table_installed && s->cfg->intercept_fail_open) {
		if (nft_table_delete(s->nft) < 0)
			log_error("nftables: cannot remove table inet %s", NFT_TABLE_NAME);
		else
			log_warn("nftables: table inet %s removed (fail_open = yes): the gateway "
				 "forwards the LAN's traffic unfiltered until the daemon runs again",
				 NFT_TABLE_NAME);
	} else if (s->nft && s->table_installed) {
		/* the stop, or a start that failed half way: the LAN stays closed */
		if (nft_table_close(s->nft) < 0)
			log_error("nftables: cannot leave the closed table inet %s behind; the "
				 "running one stays", NFT_TABLE_NAME);
		else
			log_notice("nftables: table inet %s left closed: forwarding from %s is "
				   "refused (whitelist excepted) until the daemon starts again",
				   NFT_TABLE_NAME, s->cfg->intercept_interface);
	}
	nft_close(s->nft);
	free(s->entries);
	free(s->wl);
	addrmap_free(s->index);
	addrmap_free(s->by_mac);
	pthread_rwlock_destroy(&s->lock);
	pthread_mutex_destroy(&s->nft_lock);
	pthread_mutex_destroy(&s->policy.lock);
	free(s);
}

/* Whether the address is on-link on the LAN interface: only then are its
 * frames' source MAC its own (a routed client's carry its router's), and
 * only then does it belong to a device. */
/* nft_addr_on_link under the handle's lock: 1, 0, or -1 when unknown. */
static int on_link_state(struct sessions *s, const struct sockaddr *addr)
{
	int rc;

	pthread_mutex_lock(&s->nft_lock);
	rc = nft_addr_on_link(s->nft, addr);
	pthread_mutex_unlock(&s->nft_lock);
	return rc;
}

int sessions_on_link(struct sessions *s, const struct sockaddr *addr)
{
	return on_link_state(s, addr) == 1;
}

/*
 * An address the device has not used before (a new IPv6 privacy address,
 * its IPv6 after an IPv4 login) joins the device's session on its first
 * request: the MAC the connection's first frame came from (the kernel's
 * label of it) is the device's. Its kernel elements and row follow in the
 * next maintenance round. 1 with the user if it joined.
 */
static int device_join(struct sessions *s, const struct sockaddr *client, const uint8_t mac[6],
		       char *user, size_t len)
{
	struct addrmap_addr key;
	struct entry *anchor, *e, ne;
	char mactext[18];
	int joined = 0, full = 0;
	int64_t now = wall_now();

	memset(&ne, 0, sizeof(ne));
	/* a routed client's frames carry its router's MAC: not a device's */
	if (addrmap_addr_from_sockaddr(client, &key) < 0 || !address_forwarded(&key) ||
	    !sessions_on_link(s, client))
		return 0;
	pthread_rwlock_wrlock(&s->lock);
	/* another request may have got here first */
	e = sessions_find(s, &key);
	if (e) {
		joined = entry_live(e, now) && memcmp(e->mac, mac, 6) == 0;
		if (joined && user)
			snprintf(user, len, "%s", e->user);
		goto out;
	}
	anchor = sessions_device_anchor(s, mac);
	if (!anchor || !entry_live(anchor, now))
		goto out;
	if (device_count(s, mac) >= DEVICE_ADDRS_MAX) {
		full = 1;
		goto out;
	}
	sessions_entry_for_address(anchor, key, now, &ne);
	if (sessions_put(s, &ne) < 0)
		goto out;
	joined = 1;
	if (user)
		snprintf(user, len, "%s", ne.user);
out:
	pthread_rwlock_unlock(&s->lock);
	nft_mac_format(mac, mactext, sizeof(mactext));
	if (joined && !e)
		log_notice("session of user=\"%s\": address %s of the same device (MAC %s) joins it",
			   ne.user, ne.addr, mactext);
	if (full && now - __atomic_load_n(&s->cap_warned, __ATOMIC_RELAXED) >= 60) {
		__atomic_store_n(&s->cap_warned, now, __ATOMIC_RELAXED);
		log_warn("sessions: device %s uses more than %d addresses; the others are not logged "
			 "in until some go unused", mactext, DEVICE_ADDRS_MAX);
	}
	return joined;
}

int sessions_lookup(struct sessions *s, const struct sockaddr *client, const uint8_t *mac,
		    char *user, size_t len)
{
	struct entry *e;
	int found = 0, join = 0;
	int64_t now = wall_now();

	pthread_rwlock_rdlock(&s->lock);
	e = sessions_find_sockaddr(s, client);
	if (e && entry_live(e, now) &&
	    (!mac || !mac_known(e->mac) || memcmp(mac, e->mac, 6) == 0)) {
		found = 1;
		if (user)
			snprintf(user, len, "%s", e->user);
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	} else if (!e && mac && mac_known(mac)) {
		struct entry *anchor = sessions_device_anchor(s, mac);

		join = anchor && entry_live(anchor, now);
	}
	pthread_rwlock_unlock(&s->lock);
	if (join)
		found = device_join(s, client, mac, user, len);
	return found;
}

int sessions_alive(struct sessions *s, const struct sockaddr *client)
{
	struct entry *e;
	int alive;

	pthread_rwlock_rdlock(&s->lock);
	e = sessions_find_sockaddr(s, client);
	alive = e && entry_live(e, wall_now());
	pthread_rwlock_unlock(&s->lock);
	return alive;
}

long sessions_remaining(struct sessions *s, const struct sockaddr *client, const uint8_t *mac)
{
	struct entry *e;
	long left = -1;
	int64_t now = wall_now();

	pthread_rwlock_rdlock(&s->lock);
	e = sessions_find_sockaddr(s, client);
	if (!e && mac && mac_known(mac))
		e = sessions_device_anchor(s, mac);
	if (e && entry_live(e, now) && (!mac || !mac_known(e->mac) || memcmp(mac, e->mac, 6) == 0))
		left = (long)(entry_ends_at(e) - now);
	pthread_rwlock_unlock(&s->lock);
	return left;
}

int sessions_client_mac(struct sessions *s, const struct sockaddr *client,
			const struct sockaddr *local, uint8_t mac[6])
{
	int rc;

	pthread_mutex_lock(&s->nft_lock);
	rc = nft_conn_mac(s->nft, client, local, mac);
	pthread_mutex_unlock(&s->nft_lock);
	return rc;
}

void sessions_row_from_entry(const struct entry *e, struct store_session *row)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->addr, sizeof(row->addr), "%s", e->addr);
	if (mac_known(e->mac))
		nft_mac_format(e->mac, row->mac, sizeof(row->mac));
	snprintf(row->username, sizeof(row->username), "%s", e->user);
	row->created_at = e->created_at;
	row->last_seen_at = e->last_seen ? e->last_seen : e->created_at;
	row->expires_at = e->expires_at;
	row->idle_timeout = e->idle;
	row->remote = e->credential == SESSIONS_CREDENTIAL_REMOTE;
	row->counts.bytes_in = e->counted.bytes_in;
	row->counts.packets_in = e->counted.packets_in;
	row->counts.bytes_out = e->counted.bytes_out;
	row->counts.packets_out = e->counted.packets_out;
	snprintf(row->bandwidth_class, sizeof(row->bandwidth_class), "%s", e->bw_class);
	snprintf(row->source, sizeof(row->source), "%s", e->source);
	if (e->throttled)
		snprintf(row->throttle_class, sizeof(row->throttle_class), "%s", e->throttle_class);
	row->quota = e->quota;
	sessions_entry_rate(e, loop_wall_ms(), &row->rate_in, &row->rate_out);
	row->counts_at = wall_now();
}

int sessions_start(struct sessions *s, struct store *st, const struct sockaddr *client,
		   const uint8_t mac[6], const char *username, uint64_t credential,
		   unsigned lifetime, unsigned idle, const char *group_class,
		   const char *source)
{
	struct store_session row;
	struct entry e, old;
	struct entry device[DEVICE_ADDRS_MAX];
	size_t n_device = 0;
	char mactext[18] = "";
	int had_old = 0, rc, link;
	int64_t now = wall_now();

	memset(&row, 0, sizeof(row));
	memset(&e, 0, sizeof(e));
	cidr_addr_text(client, e.addr, sizeof(e.addr));
	if (sa_from_text(e.addr, &e.sa) < 0 ||
	    addrmap_addr_from_sockaddr((const struct sockaddr *)&e.sa, &e.key) < 0)
		return -1;
	/* the MAC the login's own frames came from (the kernel's label of its
	 * connection), never the neighbour table: a forged ARP request would
	 * bind another host's address to this device. An on-link client whose
	 * MAC cannot be read gets no session: one without a MAC would let any
	 * LAN host that takes the address through as this user. */
	link = s->nft ? on_link_state(s, (const struct sockaddr *)&e.sa) : 0;
	if (mac && mac_known(mac) && link == 1) {
		memcpy(e.mac, mac, 6);
		nft_mac_format(e.mac, mactext, sizeof(mactext));
	} else if (link != 0) {
		log_warn("session %s: the MAC of its connection cannot be read; no session started, "
			 "the client is asked to try again", e.addr);
		return -1;
	} else {
		log_warn("session %s: not on-link; only its HTTP and HTTPS will pass", e.addr);
	}
	snprintf(e.user, sizeof(e.user), "%s", username);
	e.created_at = now;
	e.expires_at = now + (lifetime ? lifetime : s->cfg->session_lifetime);
	e.idle = idle ? idle : s->cfg->session_idle_timeout;
	e.last_seen = now;
	e.refreshed_at = now;
	e.kernel_added_ms = loop_wall_ms();
	e.kernel_timeout = e.idle;
	e.login = __atomic_add_fetch(&s->logins, 1, __ATOMIC_RELAXED);
	e.credential = credential;
	snprintf(e.source, sizeof(e.source), "%s", source && source[0] ? source : "local");
	/* the bandwidth class, read at login: the user's own, else its
	 * group policy's (a user without a row, from another identity
	 * source, may have one), else the default class */
	if (st && s->shaper && store_user_class_get(st, username, e.bw_class) != 0)
		e.bw_class[0] = '\0';
	/* a name too long for any class is no class (never cut into one) */
	if (!e.bw_class[0] && group_class && strlen(group_class) < sizeof(e.bw_class))
		snprintf(e.bw_class, sizeof(e.bw_class), "%s", group_class);
	if (s->shaper) {
		/* the class the device goes into, as the session's row shows it */
		char chosen[sizeof(e.bw_class)];

		memcpy(chosen, e.bw_class, sizeof(chosen));
		shaper_class_effective(s->cfg, chosen, e.bw_class, sizeof(e.bw_class));
	}

	/* the store first: it is the source of truth the CLI and panel see.
	 * A database that is locked or full must not stop authenticated
	 * traffic: the session then starts in memory and the
	 * kernel, and maintenance writes its row when the database is back. */
	sessions_row_from_entry(&e, &row);
	if (st) {
		store_set_busy_timeout(st, LOGIN_WRITE_BUSY_MS);
		rc = store_session_upsert(st, &row);
		store_set_busy_timeout(st, 0);
	} else {
		rc = -1;
	}
	if (rc < 0) {
		e.unsaved = 1;
		e.held = 1;
		log_error("session %s: cannot write it to the database (%s); the session is held in "
			  "memory only until the database is back, and is lost if the daemon stops first",
			  e.addr, st ? sessions_store_error_text(rc) : "database unavailable");
	}
	pthread_rwlock_wrlock(&s->lock);
	{
		struct entry *prev = sessions_find(s, &e.key);

		if (prev) {
			old = *prev;
			had_old = 1;
		}
	}
	rc = sessions_put(s, &e);
	/* the login is the device's: its addresses in memory (a login before,
	 * another user's) take it over; the others join as its frames show
	 * them (sessions_lookup, sessions_maintain) */
	for (size_t i = 0; rc == 0 && mac_known(e.mac) && i < s->n; i++) {
		struct entry *d = &s->entries[i];

		if (memcmp(d->mac, e.mac, 6) != 0 || (d->key.family == e.key.family &&
						      memcmp(d->key.bytes, e.key.bytes, 16) == 0))
			continue;
		sessions_entry_for_address(&e, d->key, now, d);
		d->seq = ++s->seq;
		d->refreshed_at = now;
		d->kernel_added_ms = e.kernel_added_ms;
		d->kernel_timeout = e.idle;
		if (n_device < DEVICE_ADDRS_MAX)
			device[n_device++] = *d;
	}
	pthread_rwlock_unlock(&s->lock);
	if (rc < 0)
		return -1;
	if (had_old && memcmp(old.mac, e.mac, 6) != 0) {
		pthread_mutex_lock(&s->nft_lock);
		nft_session_del(s->nft, (const struct sockaddr *)&old.sa, old.mac);
		pthread_mutex_unlock(&s->nft_lock);
		shaper_device_clear(s->shaper, (const struct sockaddr *)&old.sa);
	}
	sessions_kernel_add(s, &e, e.idle);
	log_notice("session started: client=%s user=\"%s\" lifetime=%llds idle=%us", e.addr, e.user,
		   (long long)(e.expires_at - now), e.idle);
	for (size_t i = 0; i < n_device; i++) {
		sessions_kernel_add(s, &device[i], e.idle);
		log_notice("session of user=\"%s\": address %s of the same device (MAC %s) joins it",
			   e.user, device[i].addr, mactext);
	}
	return 0;
}

uint64_t sessions_credential_stamp(const char *phc)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint64_t v = 0;

	if (EVP_Digest(phc, strlen(phc), md, &len, EVP_sha256(), NULL) != 1 || len < sizeof(v))
		return 1;
	memcpy(&v, md, sizeof(v));
	OPENSSL_cleanse(md, sizeof(md));
	return v && v != SESSIONS_CREDENTIAL_REMOTE ? v : 1;
}

/* ------------------------------------------------------------ RADIUS Dynamic Authorization */

static int entry_matches(const struct entry *e, const struct sessions_match *m)
{
	struct addrmap_addr key;

	if (m->user && strcmp(m->user, e->user) != 0)
		return 0;
	if (m->mac && (!mac_known(e->mac) || memcmp(m->mac, e->mac, 6) != 0))
		return 0;
	if (m->client && (addrmap_addr_from_sockaddr(m->client, &key) < 0 ||
			  key.family != e->key.family || memcmp(key.bytes, e->key.bytes, 16) != 0))
		return 0;
	return 1;
}

int sessions_disconnect(struct sessions *s, struct store *st, const struct sessions_match *m)
{
	char (*addrs)[STORE_ADDR_MAX + 1] = NULL;
	size_t n = 0;
	int64_t now = wall_now();
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	if (s->n)
		addrs = calloc(s->n, sizeof(*addrs));
	for (size_t i = 0; addrs && i < s->n; i++) {
		const struct entry *e = &s->entries[i];

		if (!e->unsaved && entry_live(e, now) && entry_matches(e, m))
			memcpy(addrs[n++], e->addr, sizeof(addrs[0]));
	}
	pthread_rwlock_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		if (store_session_delete(st, addrs[i]) < 0)
			rc = -1;
	free(addrs);
	return rc < 0 ? -1 : (int)n;
}

int sessions_set_limits(struct sessions *s, const struct sessions_match *m, unsigned lifetime,
			unsigned idle)
{
	struct entry *changed = NULL;
	size_t n = 0;
	int64_t now = wall_now();

	pthread_rwlock_wrlock(&s->lock);
	if (s->n)
		changed = calloc(s->n, sizeof(*changed));
	/* a device's addresses share their login's limits: a match on one
	 * changes the others of the same login */
	for (size_t i = 0; changed && i < s->n; i++) {
		const struct entry *e = &s->entries[i];

		if (!entry_live(e, now) || !entry_matches(e, m))
			continue;
		for (size_t j = 0; j < s->n; j++) {
			struct entry *d = &s->entries[j];

			if (j != i && !(mac_known(e->mac) && memcmp(d->mac, e->mac, 6) == 0 &&
					d->login == e->login))
				continue;
			if (d->seq == s->seq + 1)
				continue;      /* changed already in this call */
			if (lifetime)
				d->expires_at = now + lifetime;
			if (idle)
				d->idle = idle;
			d->unsaved = 1;
			d->seq = s->seq + 1;
			changed[n++] = *d;
		}
	}
	if (n)
		s->seq++;
	pthread_rwlock_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		if (idle)
			sessions_kernel_add(s, &changed[i], changed[i].idle);
		log_notice("session limits changed: client=%s user=\"%s\" lifetime=%llds idle=%us",
			   changed[i].addr, changed[i].user, (long long)(changed[i].expires_at - now),
			   changed[i].idle);
	}
	free(changed);
	return (int)n;
}

struct shaper *sessions_shaper(struct sessions *s)
{
	return s ? s->shaper : NULL;
}

void sessions_follow_classes(struct sessions *s, sessions_class_cb class_of, void *ud)
{
	struct device_class {
		struct sockaddr_storage sa;
		char addr[STORE_ADDR_MAX + 1];
		char user[STORE_NAME_MAX + 1];
		char cls[STORE_CLASS_MAX + 1];
		int throttled;
	} *list = NULL;
	size_t n = 0;

	if (!s || !s->shaper)
		return;
	/* copied out: the kernel is asked, and the classes read, without
	 * the sessions' lock */
	pthread_rwlock_rdlock(&s->lock);
	if (s->n && (list = calloc(s->n, sizeof(*list)))) {
		for (size_t i = 0; i < s->n; i++) {
			list[i].sa = s->entries[i].sa;
			memcpy(list[i].addr, s->entries[i].addr, sizeof(list[i].addr));
			memcpy(list[i].user, s->entries[i].user, sizeof(list[i].user));
			memcpy(list[i].cls, s->entries[i].bw_class, sizeof(list[i].cls));
			list[i].throttled = s->entries[i].throttled;
		}
		n = s->n;
	}
	pthread_rwlock_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		char want[STORE_CLASS_MAX + 1] = "", now[STORE_CLASS_MAX + 1];
		struct entry *e;

		class_of(ud, list[i].user, want, sizeof(want));
		shaper_class_effective(s->cfg, want, now, sizeof(now));
		if (strcmp(now, list[i].cls) == 0)
			continue;
		/* a throttled device stays in its throttle class; the new class is
		 * its own again when the quota lets it go */
		if (!list[i].throttled)
			shaper_device_set(s->shaper, (const struct sockaddr *)&list[i].sa, now);
		log_info("session %s: class %s, was %s", list[i].addr, now[0] ? now : "none",
			 list[i].cls[0] ? list[i].cls : "none");
		pthread_rwlock_wrlock(&s->lock);
		e = sessions_find_sockaddr(s, (const struct sockaddr *)&list[i].sa);
		/* the same session still: its row gets the class in the round */
		if (e && strcmp(e->user, list[i].user) == 0) {
			memcpy(e->bw_class, now, sizeof(e->bw_class));
			e->unsaved = 1;
		}
		pthread_rwlock_unlock(&s->lock);
	}
	free(list);
}
