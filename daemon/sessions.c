#include "sessions.h"

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

/*
 * A device (an on-link client, known by its MAC) has one session on every
 * address it uses: the one it logged in from, the others its own frames
 * come from (its IPv6 addresses, a new privacy address), as the kernel
 * saw them: the label of a connection it opened, the kernel's record of
 * new connections from its MAC (seen4/6). Never the neighbour table,
 * which any LAN host fills with forged ARP requests. Each address is an
 * entry of its own (kernel elements, a row); they share the login's user
 * and times and end together, except that an address the device stopped
 * using and the neighbour table forgot ends alone (a forged entry can only
 * end such an unused address early; it comes back with its next frame).
 * An entry without a MAC is a device of its own.
 */
#define DEVICE_ADDRS_MAX 16       /* addresses per device */
#define ADOPT_PER_ROUND  64       /* addresses a maintenance round adds */
#define NEIGH_VIEW_MAX   65536    /* neighbour entries a round looks at */
#define WRITES_PER_ROUND 256      /* rows a round writes */
#define LOGIN_WRITE_BUSY_MS 1000  /* a login waits no longer for a locked database */

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
	int64_t kernel_added_ms;           /* wall ms of that, and the timeout given */
	unsigned kernel_timeout;
	int kept;                          /* that add kept a device's address in the
					    * kernel, not backed by its own traffic */
	int64_t account_expires;           /* wall s the user's account expires, 0 never */
	uint64_t credential;               /* sessions_credential_stamp of the password
					    * hash the login was checked against (0:
					    * unknown: the next read of the user sets it) */
	int account_checked;               /* the account was read since the entry came
					    * (a login, a restore, another process's row) */
	uint64_t login;                    /* the login the device's addresses share
					    * (0: restored from the store) */
	uint64_t seq;                      /* s->seq when it was put or changed */
	int unsaved;                       /* its row is still to be written */
	int held;                          /* and writing it failed: the log said the
					    * session is held in memory only */
};

struct sessions {
	const struct config *cfg;
	pthread_rwlock_t lock;             /* entries and index */
	struct entry *entries;
	size_t n, cap;
	struct addrmap *index;             /* address -> position in entries */
	struct addrmap *by_mac;            /* MAC (mac_key) -> one of its entries */
	uint64_t seq;                      /* bumped by every put and change */
	uint64_t logins;                   /* atomic */
	uint8_t hash_key[ADDRMAP_KEY_LEN]; /* index's, and maintenance's own maps' */
	pthread_mutex_t nft_lock;          /* the netlink sockets */
	struct nft *nft;
	int accounts_stale;                /* users changed since every account was last
					    * read (maintenance thread only) */
	int64_t cap_warned;                /* atomic: wall s a device last hit DEVICE_ADDRS_MAX */
	/* failing closed (see the section at the end) */
	int table_installed;               /* the running table went in at start */
	struct nft_watch *watch;           /* the kernel's ruleset notifications */
	int watch_stop[2];                 /* a pipe: its write end stops the watcher */
	pthread_t watcher;
	int watcher_started;
	char closed_path[CONFIG_PATH_MAX + 32]; /* the closed ruleset for nftables.conf */
	struct cidr *wl;                   /* under nft_lock: the whitelist the kernel has */
	size_t n_wl;
	int lan_checked;                   /* the LAN's connections were checked after start */
};

static void watch_start(struct sessions *s);
static void watch_stop(struct sessions *s);
static void closed_ruleset_write(struct sessions *s);

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

static int mac_known(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, 6) != 0;
}

/* A MAC as a key of a map of its own (by_mac, maintenance's device maps):
 * six bytes where an address has sixteen. */
static void mac_key(const uint8_t mac[6], struct addrmap_addr *key)
{
	memset(key, 0, sizeof(*key));
	key->family = AF_INET6;
	memcpy(key->bytes, mac, 6);
}

/* Caller holds lock. One live or dead entry of the device with mac. */
static struct entry *device_anchor(struct sessions *s, const uint8_t mac[6])
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
static int put(struct sessions *s, struct entry *e)
{
	struct entry *old = find(s, &e->key);

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
static void drop(struct sessions *s, struct entry *e)
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

/* Link-local addresses (fe80::/10) are never forwarded: no session. */
static int address_forwarded(const struct addrmap_addr *key)
{
	return !(key->family == AF_INET6 && key->bytes[0] == 0xfe && (key->bytes[1] & 0xc0) == 0x80);
}

static void sa_from_key(const struct addrmap_addr *key, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (key->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, key->bytes, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, key->bytes, 16);
	}
}

/* Another address of the device anchor belongs to: the same login, user,
 * times and MAC. Its row is still to be written, its account to be read
 * (it may come after the round that ends the login's other addresses).
 * The key comes by value: e may be the entry whose key it is, and the
 * copy of anchor into e would overwrite it before it was read. */
static void entry_for_address(const struct entry *anchor, struct addrmap_addr key, int64_t now,
			      struct entry *e)
{
	*e = *anchor;
	e->key = key;
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

static const char *store_error_text(int rc)
{
	return rc == -ENOSPC ? "disk full" : rc == -EBUSY ? "database locked" : "database error";
}

static void kernel_add(struct sessions *s, const struct entry *e, unsigned timeout)
{
	pthread_mutex_lock(&s->nft_lock);
	if (nft_session_add(s->nft, (const struct sockaddr *)&e->sa, e->mac, timeout) < 0) {
		/* with the table gone nothing is blocked: say what is true */
		if (nft_table_present(s->nft) == 0)
			log_warn("session %s: table inet %s is gone (removed by another process); "
				 "the daemon puts it back with this session", e->addr, NFT_TABLE_NAME);
		else
			log_warn("session %s: the kernel set refused it; forwarded traffic stays "
				 "blocked", e->addr);
	}
	pthread_mutex_unlock(&s->nft_lock);
}

/* The session's kernel element goes and its connections are cut, so the
 * client's next request meets the challenge again. */
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
	ACCOUNT_NEW_PASSWORD,    /* set since the session's login was checked */
	ACCOUNT_UNREAD,          /* the store did not answer: decide next round */
};

/* The account of name; *expires its expiry time (0 never) when usable. */
static enum account_state account_read(struct store *st, const char *name, int64_t now,
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
	s->watch_stop[0] = s->watch_stop[1] = -1;
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
	s->by_mac = addrmap_new(s->hash_key);
	if (!s->index || !s->by_mac) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
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
		acc = account_read(st, e.user, now, &e.account_expires, &e.credential);
		if (acc != ACCOUNT_USABLE && acc != ACCOUNT_UNREAD) {
			log_notice("session of %s not restored: user \"%s\" %s", e.addr, e.user,
				   account_state_name(acc));
			store_session_delete(st, l.rows[i].addr);
			continue;
		}
		e.account_checked = acc == ACCOUNT_USABLE;
		e.last_seen = now;
		e.refreshed_at = now;
		e.kernel_added_ms = now * 1000;
		e.kernel_timeout = e.idle;
		if (put(s, &e) < 0)
			continue;
		kernel_add(s, &e, e.idle);
		restored++;
	}
	free(l.rows);
	if (restored)
		log_notice("intercept: %zu sessions restored from the database", restored);
	watch_start(s);
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
	watch_stop(s);
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
	free(s);
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

static int on_link(struct sessions *s, const struct sockaddr *addr)
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
	    !on_link(s, client))
		return 0;
	pthread_rwlock_wrlock(&s->lock);
	/* another request may have got here first */
	e = find(s, &key);
	if (e) {
		joined = entry_live(e, now) && memcmp(e->mac, mac, 6) == 0;
		if (joined && user)
			snprintf(user, len, "%s", e->user);
		goto out;
	}
	anchor = device_anchor(s, mac);
	if (!anchor || !entry_live(anchor, now))
		goto out;
	if (device_count(s, mac) >= DEVICE_ADDRS_MAX) {
		full = 1;
		goto out;
	}
	entry_for_address(anchor, key, now, &ne);
	if (put(s, &ne) < 0)
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
	e = find_sockaddr(s, client);
	if (e && entry_live(e, now) &&
	    (!mac || !mac_known(e->mac) || memcmp(mac, e->mac, 6) == 0)) {
		found = 1;
		if (user)
			snprintf(user, len, "%s", e->user);
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	} else if (!e && mac && mac_known(mac)) {
		struct entry *anchor = device_anchor(s, mac);

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
	e = find_sockaddr(s, client);
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
	e = find_sockaddr(s, client);
	if (!e && mac && mac_known(mac))
		e = device_anchor(s, mac);
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

static void row_from_entry(const struct entry *e, struct store_session *row)
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
}

int sessions_start(struct sessions *s, struct store *st, const struct sockaddr *client,
		   const uint8_t mac[6], const char *username, uint64_t credential)
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
	e.expires_at = now + s->cfg->session_lifetime;
	e.idle = s->cfg->session_idle_timeout;
	e.last_seen = now;
	e.refreshed_at = now;
	e.kernel_added_ms = loop_wall_ms();
	e.kernel_timeout = e.idle;
	e.login = __atomic_add_fetch(&s->logins, 1, __ATOMIC_RELAXED);
	e.credential = credential;

	/* the store first: it is the source of truth the CLI and panel see.
	 * A database that is locked or full must not stop authenticated
	 * traffic: the session then starts in memory and the
	 * kernel, and maintenance writes its row when the database is back. */
	row_from_entry(&e, &row);
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
			  e.addr, st ? store_error_text(rc) : "database unavailable");
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
	/* the login is the device's: its addresses in memory (a login before,
	 * another user's) take it over; the others join as its frames show
	 * them (sessions_lookup, sessions_maintain) */
	for (size_t i = 0; rc == 0 && mac_known(e.mac) && i < s->n; i++) {
		struct entry *d = &s->entries[i];

		if (memcmp(d->mac, e.mac, 6) != 0 || (d->key.family == e.key.family &&
						      memcmp(d->key.bytes, e.key.bytes, 16) == 0))
			continue;
		entry_for_address(&e, d->key, now, d);
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
	}
	kernel_add(s, &e, e.idle);
	log_notice("session started: client=%s user=\"%s\" lifetime=%us idle=%us", e.addr, e.user,
		   s->cfg->session_lifetime, e.idle);
	for (size_t i = 0; i < n_device; i++) {
		kernel_add(s, &device[i], e.idle);
		log_notice("session of user=\"%s\": address %s of the same device (MAC %s) joins it",
			   e.user, device[i].addr, mactext);
	}
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

/* The neighbour table as a round sees it: address and MAC of the LAN's
 * devices, indexed by address. */
struct neigh_entry {
	struct addrmap_addr key;
	uint8_t mac[6];
};

struct neigh_view {
	struct neigh_entry *list;
	size_t n, cap;
	struct addrmap *by_addr;
	int ok;
};

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

static int neigh_view_index(struct neigh_view *nv, const uint8_t key[ADDRMAP_KEY_LEN])
{
	nv->by_addr = addrmap_new(key);
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
	uint64_t credential;              /* of the password hash read */
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
			c->credential = c[-1].credential;
		} else {
			c->state = account_read(st, c->user, now, &c->expires, &c->credential);
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
	const struct account_check *c;
	size_t i;

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

enum end_reason {
	END_KEEP,                /* not ended */
	END_KICKED,
	END_EXPIRED,
	END_IDLE,
	END_USER_DELETED,
	END_USER_DISABLED,
	END_USER_EXPIRED,
	END_ADDRESS_GONE,        /* one address of a device, unused and forgotten */
	END_PASSWORD_CHANGED,
};

static const char *const reason_names[] = {
	"", "kicked", "expired", "idle", "user_deleted", "user_disabled", "user_expired",
	"address_gone", "password_changed",
};

/* What a round knows of one device: the entries with one MAC. */
struct device_view {
	int active;              /* one of its addresses had traffic within its idle time */
	int kicked;              /* an address's row went (a kick) ... */
	uint64_t kicked_login;   /* ... of this login */
	size_t count;            /* its addresses in memory */
};

struct device_views {
	struct addrmap *by_mac;
	struct device_view *list;
	size_t n;                /* list has room for as many devices as entries */
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

/* Write the rows of entries copied from memory (list, n), stopping at the
 * first failure: each try waits out the busy timeout. An entry that
 * changed meanwhile is written again next round. */
static void write_rows(struct sessions *s, struct store *st, const struct entry *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct store_session row;
		struct entry *e;
		int rc;

		row_from_entry(&list[i], &row);
		rc = store_session_upsert(st, &row);
		pthread_rwlock_wrlock(&s->lock);
		e = find(s, &list[i].key);
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
					  store_error_text(rc));
			return;
		}
		if (list[i].held)
			log_notice("session %s: written to the database", list[i].addr);
	}
}

struct ended {
	struct entry e;
	enum end_reason why;
	int delete_row;          /* a kick deleted it already */
};

void sessions_maintain(struct sessions *s, struct store *st, int store_changed, int users_changed)
{
	struct ended *ended = NULL;
	struct entry *refresh = NULL, *joined = NULL, *writes = NULL;
	enum end_reason *verdict = NULL;
	char *active = NULL;
	size_t n_ended = 0, n_refresh = 0, n_joined = 0, n_writes = 0;
	struct kernel_view kv = { 0 };
	struct neigh_view nv = { 0 }, sv = { 0 };
	struct neigh_entry cand[ADOPT_PER_ROUND];
	size_t n_cand = 0, n_gone_macs = 0;
	uint8_t (*gone_macs)[6] = NULL;
	struct account_view av = { 0 };
	struct device_views dvs = { 0 };
	struct row_list l = { 0 };
	struct addrmap *rows_by_addr = NULL;
	int64_t now = wall_now(), now_ms = loop_wall_ms();
	uint64_t seq_read;
	int have_rows = 0, have_kernel, have_neigh = 0, devices = 0, cap_hit = 0;

	if (users_changed)
		s->accounts_stale = 1;
	/* entries put or changed after this point are newer than what is read
	 * below (rows, accounts): they are judged by it next round */
	pthread_rwlock_rdlock(&s->lock);
	seq_read = s->seq;
	for (size_t i = 0; i < s->n && !devices; i++)
		devices = mac_known(s->entries[i].mac);
	pthread_rwlock_unlock(&s->lock);
	if (store_changed && store_session_list(st, collect_cb, &l) == 0)
		have_rows = 1;
	pthread_mutex_lock(&s->nft_lock);
	have_kernel = nft_session_list(s->nft, kernel_view_cb, &kv) == 0;
	/* the devices' other addresses; only worth a look with one logged in */
	if (devices) {
		have_neigh = nft_neigh_list(s->nft, neigh_view_cb, &nv) == 0;
		if (nft_seen_list(s->nft, seen_view_cb, &sv) < 0)
			sv.n = 0;
	}
	pthread_mutex_unlock(&s->nft_lock);
	/* the addresses the kernel saw a logged-in device's frames come from,
	 * not logged in yet, and on-link (a router's MAC is on every frame it
	 * forwards: what it routes is no device of its) */
	pthread_rwlock_rdlock(&s->lock);
	for (size_t k = 0; k < sv.n && n_cand < ADOPT_PER_ROUND; k++)
		if (!find(s, &sv.list[k].key) && device_anchor(s, sv.list[k].mac))
			cand[n_cand++] = sv.list[k];
	pthread_rwlock_unlock(&s->lock);
	for (size_t k = 0; k < n_cand;) {
		struct sockaddr_storage ss;

		sa_from_key(&cand[k].key, &ss);
		if (on_link(s, (const struct sockaddr *)&ss))
			k++;
		else
			cand[k] = cand[--n_cand];
	}
	if (have_rows)
		rows_by_addr = row_index(&l, s->hash_key);
	dvs.by_mac = addrmap_new(s->hash_key);
	if ((have_kernel && kernel_view_index(&kv, s->hash_key) < 0) ||
	    (have_neigh && neigh_view_index(&nv, s->hash_key) < 0) || !dvs.by_mac ||
	    (have_rows && !rows_by_addr) || account_view_read(s, st, now, &av) < 0) {
		log_warn("sessions: out of memory; maintenance skipped this round");
		goto out;
	}

	pthread_rwlock_wrlock(&s->lock);
	verdict = calloc(s->n + 1, sizeof(*verdict));
	active = calloc(s->n + 1, 1);
	dvs.list = calloc(s->n + 1, sizeof(*dvs.list));
	ended = calloc(s->n + 1, sizeof(*ended));
	refresh = calloc(s->n + l.n + ADOPT_PER_ROUND + 1, sizeof(*refresh));
	joined = calloc(ADOPT_PER_ROUND, sizeof(*joined));
	writes = calloc(WRITES_PER_ROUND, sizeof(*writes));
	gone_macs = calloc(s->n + 1, sizeof(*gone_macs));
	if (!verdict || !active || !dvs.list || !ended || !refresh || !joined || !writes ||
	    !gone_macs) {
		pthread_rwlock_unlock(&s->lock);
		log_warn("sessions: out of memory; maintenance skipped this round");
		goto out;
	}
	/* what each address says alone, and what it says of its device */
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->entries[i];
		int fresh = e->seq > seq_read;
		enum account_state acc = fresh ? ACCOUNT_USABLE : account_apply(&av, e);
		struct device_view *dv;
		enum end_reason r = END_KEEP;

		/* a row not written yet is no kick */
		if (!fresh && !e->unsaved && have_rows && !addrmap_get(rows_by_addr, &e->key, NULL))
			r = END_KICKED;
		else if (acc == ACCOUNT_GONE)
			r = END_USER_DELETED;
		else if (acc == ACCOUNT_DISABLED)
			r = END_USER_DISABLED;
		else if (acc == ACCOUNT_NEW_PASSWORD)
			r = END_PASSWORD_CHANGED;
		else if (acc == ACCOUNT_EXPIRED ||
			 (e->account_expires && e->account_expires <= now))
			r = END_USER_EXPIRED;
		else if (e->expires_at <= now)
			r = END_EXPIRED;
		verdict[i] = r;
		active[i] = (char)entry_active(e, have_kernel ? kernel_find(&kv, e) : NULL, have_kernel,
					       now_ms);
		dv = mac_known(e->mac) ? device_view_of(&dvs, e->mac, 1) : NULL;
		if (dv) {
			dv->count++;
			if (r == END_KEEP && active[i])
				dv->active = 1;
			if (r == END_KICKED) {
				dv->kicked = 1;
				dv->kicked_login = e->login;
			}
		}
	}
	for (size_t i = 0; i < s->n;) {
		struct entry *e = &s->entries[i];
		struct device_view *dv = mac_known(e->mac) ? device_view_of(&dvs, e->mac, 0) : NULL;
		enum end_reason r = verdict[i];
		size_t last = s->n - 1;
		int device_kick = 0;

		/* a kick of one address is a kick of the device (of that login:
		 * not of one made since on the device) */
		if (r == END_KEEP && dv && dv->kicked && e->login == dv->kicked_login) {
			r = END_KICKED;
			device_kick = 1;
		}
		if (r == END_KEEP) {
			if (!(dv ? dv->active : active[i]))
				r = END_IDLE;
			else if (dv && !active[i] && have_neigh && !neigh_has(&nv, e))
				r = END_ADDRESS_GONE;
		}
		if (r == END_KEEP) {
			int64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);
			int in_kernel = !have_kernel || kernel_find(&kv, e);

			/* the daemon saw requests the kernel did not (they were
			 * redirected, not forwarded): carry them over to the
			 * element; a device's address it did not see is kept in
			 * the kernel for the device */
			if (!in_kernel || (seen > e->refreshed_at &&
					   now - e->refreshed_at >= (int64_t)(e->idle / 4 ? e->idle / 4 : 1))) {
				int own = seen + (int64_t)e->idle > now;

				e->refreshed_at = now;
				e->kernel_added_ms = now_ms;
				e->kept = !own;
				e->kernel_timeout = own ? e->idle : s->cfg->session_idle_timeout;
				refresh[n_refresh++] = *e;
			}
			i++;
			continue;
		}
		ended[n_ended].e = *e;
		ended[n_ended].why = r;
		/* the kicker deleted the kicked address's row, not its device's */
		ended[n_ended].delete_row = r != END_KICKED || device_kick;
		n_ended++;
		if (dv)
			dv->count--;
		/* its row, about to be deleted, must not bring it back below */
		if (have_rows)
			addrmap_del(rows_by_addr, &e->key);
		drop(s, e);
		/* the device's last address: its MAC leaves devmac, and the
		 * kernel stops recording its frames */
		if (mac_known(ended[n_ended - 1].e.mac) && !device_anchor(s, ended[n_ended - 1].e.mac))
			memcpy(gone_macs[n_gone_macs++], ended[n_ended - 1].e.mac, 6);
		if (i != last) {
			verdict[i] = verdict[last];
			active[i] = active[last];
		}
	}
	/* the devices' addresses their frames came from that are not logged
	 * in yet (a new IPv6 privacy address, one that only sends what the
	 * kernel forwards) join their device's session */
	for (size_t k = 0; k < n_cand && n_joined < ADOPT_PER_ROUND; k++) {
		const struct neigh_entry *nb = &cand[k];
		struct entry *anchor, ne;
		struct device_view *dv;

		if (find(s, &nb->key))
			continue;
		anchor = device_anchor(s, nb->mac);
		dv = device_view_of(&dvs, nb->mac, 0);
		if (!anchor || !dv || !entry_live(anchor, now))
			continue;
		if (dv->count >= DEVICE_ADDRS_MAX) {
			cap_hit = 1;
			continue;
		}
		entry_for_address(anchor, nb->key, now, &ne);
		/* not seen yet: it keeps the device alive once it has traffic */
		ne.last_seen = 0;
		ne.refreshed_at = now;
		ne.kernel_added_ms = now_ms;
		ne.kept = 1;
		ne.kernel_timeout = s->cfg->session_idle_timeout;
		if (put(s, &ne) < 0)
			continue;
		dv->count++;
		refresh[n_refresh++] = ne;
		joined[n_joined++] = ne;
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
		e.kernel_added_ms = now_ms;
		e.kernel_timeout = e.idle;
		if (put(s, &e) == 0)
			refresh[n_refresh++] = e;
	}
	for (size_t i = 0; i < s->n && n_writes < WRITES_PER_ROUND; i++)
		if (s->entries[i].unsaved)
			writes[n_writes++] = s->entries[i];
	pthread_rwlock_unlock(&s->lock);
	if (av.complete)
		s->accounts_stale = 0;

	/* the same way out as a kick: element, connections, then the row */
	for (size_t i = 0; i < n_ended; i++) {
		kernel_end(s, &ended[i].e, reason_names[ended[i].why]);
		if (ended[i].delete_row)
			store_session_delete(st, ended[i].e.addr);
	}
	pthread_mutex_lock(&s->nft_lock);
	for (size_t i = 0; i < n_gone_macs; i++)
		nft_devmac_del(s->nft, gone_macs[i]);
	pthread_mutex_unlock(&s->nft_lock);
	for (size_t i = 0; i < n_refresh; i++) {
		kernel_add(s, &refresh[i], refresh[i].kernel_timeout);
		if (!refresh[i].unsaved)
			store_session_touch(st, refresh[i].addr, now);
	}
	for (size_t i = 0; i < n_joined; i++) {
		char mactext[18];

		nft_mac_format(joined[i].mac, mactext, sizeof(mactext));
		log_notice("session of user=\"%s\": address %s of the same device (MAC %s) joins it",
			   joined[i].user, joined[i].addr, mactext);
	}
	if (cap_hit && now - __atomic_load_n(&s->cap_warned, __ATOMIC_RELAXED) >= 60) {
		__atomic_store_n(&s->cap_warned, now, __ATOMIC_RELAXED);
		log_warn("sessions: a device uses more than %d addresses; the others are not logged in "
			 "until some go unused", DEVICE_ADDRS_MAX);
	}
	write_rows(s, st, writes, n_writes);
out:
	free(verdict);
	free(active);
	free(dvs.list);
	addrmap_free(dvs.by_mac);
	free(ended);
	free(refresh);
	free(joined);
	free(writes);
	free(kv.list);
	free(kv.next);
	addrmap_free(kv.by_addr);
	free(nv.list);
	addrmap_free(nv.by_addr);
	free(sv.list);
	free(gone_macs);
	addrmap_free(rows_by_addr);
	addrmap_free(av.by_addr);
	free(av.list);
	free(l.rows);
}

struct unlisted {
	struct sessions *s;
	const struct cidr *list;
	size_t n;
	int64_t now;
};

static int cut_unauthorised_lan_locked(struct sessions *s);

int sessions_set_whitelist(struct sessions *s, const struct cidr *list, size_t n)
{
	struct cidr *copy = malloc((n ? n : 1) * sizeof(*copy));
	int rc;

	if (!copy)
		return -1;
	if (n)   /* an empty whitelist may come as NULL */
		memcpy(copy, list, n * sizeof(*copy));
	/* the order kernel_restore_locked takes them in */
	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->nft_lock);
	rc = nft_whitelist_sync(s->nft, list, n);
	if (rc == 0) {
		closed_ruleset_write(s);
		free(s->wl);
		s->wl = copy;
		s->n_wl = n;
		copy = NULL;
		/* the first whitelist completes the table of a start: what the
		 * LAN opened before it (the daemon stopped, or not yet
		 * running) is cut now unless its client may pass */
		if (!s->lan_checked) {
			s->lan_checked = 1;
			cut_unauthorised_lan_locked(s);
		}
	}
	pthread_mutex_unlock(&s->nft_lock);
	pthread_rwlock_unlock(&s->lock);
	free(copy);
	return rc;
}

/* Caller holds s->lock (read). */
static int still_authorised_cb(const struct sockaddr *src, void *ud)
{
	struct unlisted *u = ud;
	struct entry *e;

	if (cidr_match_any(u->list, u->n, src))
		return 1;
	e = find_sockaddr(u->s, src);
	return e && entry_live(e, u->now);
}

/* Caller holds s->lock (read) and nft_lock. A source on the LAN (on-link
 * to the intercepted interface) is kept only when it may pass; any other
 * source is not the LAN's and is none of this check's business. */
static int lan_source_authorised_cb(const struct sockaddr *src, void *ud)
{
	struct unlisted *u = ud;

	return nft_addr_on_link(u->s->nft, src) != 1 || still_authorised_cb(src, ud);
}

/*
 * Caller holds s->lock (read) and nft_lock. The table's 'established,
 * original direction' rule passes any connection conntrack already knows:
 * one a LAN host opened while the table was gone (between a flush and the
 * restore) or before the daemon started would stay forwarded. Those whose
 * LAN source has no live session and is not whitelisted are cut. How
 * many, or -1.
 */
static int cut_unauthorised_lan_locked(struct sessions *s)
{
	static const struct cidr everything[2] = { { .family = AF_INET, .prefix = 0 },
						   { .family = AF_INET6, .prefix = 0 } };
	struct unlisted u = { s, s->wl, s->n_wl, wall_now() };
	int total = 0, failed = 0;

	for (size_t i = 0; i < 2; i++) {
		int cut = nft_conntrack_cut_prefix(s->nft, &everything[i], lan_source_authorised_cb,
						   &u);

		if (cut < 0)
			failed = 1;
		else
			total += cut;
	}
	if (failed)
		log_warn("nftables: the LAN's connections could not be checked; one opened while "
			 "the table was not there may stay forwarded");
	else if (total)
		log_notice("nftables: %d connection%s of LAN clients that may not pass cut", total,
			   total == 1 ? "" : "s");
	return failed && total == 0 ? -1 : total;
}

int sessions_cut_unlisted(struct sessions *s, const struct cidr *removed, size_t n_removed,
			  const struct cidr *list, size_t n)
{
	struct unlisted u = { s, list, n, wall_now() };
	int total = 0, failed = 0;

	/* the order kernel_restore_locked takes them in */
	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->nft_lock);
	for (size_t i = 0; i < n_removed; i++) {
		int cut = nft_conntrack_cut_prefix(s->nft, &removed[i], still_authorised_cb, &u);

		if (cut < 0)
			failed = 1;
		else
			total += cut;
	}
	pthread_mutex_unlock(&s->nft_lock);
	pthread_rwlock_unlock(&s->lock);
	return failed && total == 0 ? -1 : total;
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
	return v ? v : 1;
}

/* ------------------------------------------------------------ failing closed */

/*
 * Nobody passes until they log in, also when the daemon's table goes: a
 * watcher thread reads the kernel's nftables notifications and, when
 * another process deletes or changes the table (`flush ruleset` in a reload
 * of nftables.conf, a stray `nft delete table`), installs it again at once
 * with the whitelist and every live session, in one transaction. A stop
 * leaves the closed table (nft.h) rather than none; fail_open = yes removes
 * it instead. The closed ruleset is also written as a file next to the
 * database, for nftables.conf to include, so that a reload of the firewall
 * while the daemon is not running closes the LAN as well.
 */

/* Caller holds s->lock (read) and nft_lock, taken in that order (nothing
 * takes them the other way round): the sessions in memory cannot end or
 * start half way through the restore. */
static int kernel_restore_locked(struct sessions *s, size_t *count)
{
	int64_t now = wall_now();
	struct nft_session *list = calloc(s->n ? s->n : 1, sizeof(*list));
	size_t k = 0;
	int rc;

	if (!list)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->entries[i];

		if (!entry_live(e, now))
			continue;
		memcpy(&list[k].addr, &e->sa, sizeof(e->sa));
		memcpy(list[k].mac, e->mac, 6);
		/* the kernel's timers went with the table: a whole idle period */
		list[k].expires_ms = (uint64_t)e->idle * 1000;
		k++;
	}
	rc = nft_table_restore(s->nft, list, k);
	free(list);
	*count = k;
	return rc;
}

static int kernel_restore(struct sessions *s, const struct nft_change *why)
{
	size_t count = 0;
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->nft_lock);
	rc = kernel_restore_locked(s, &count);
	if (rc == 0)
		cut_unauthorised_lan_locked(s);
	pthread_mutex_unlock(&s->nft_lock);
	pthread_rwlock_unlock(&s->lock);
	if (rc < 0) {
		log_error("nftables: table inet %s was %s by %s and cannot be put back yet; "
			  "trying again every second", NFT_TABLE_NAME,
			  why->deleted ? "deleted" : "changed", why->process[0] ? why->process : "another process");
		return -1;
	}
	metrics_inc(nft_restores);
	log_warn("nftables: table inet %s was %s by %s; put back with %zu sessions and the "
		 "whitelist", NFT_TABLE_NAME, why->deleted ? "deleted" : "changed",
		 why->process[0] ? why->process : "another process", count);
	return 0;
}

/* After a notification, how long the watcher waits for the rest of the
 * transaction's (a flush sends one per object) before it acts, once. */
#define WATCH_SETTLE_MS 20

static void *watch_thread(void *arg)
{
	struct sessions *s = arg;
	struct nft_change pending = { 0 };
	int retry = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = nft_watch_fd(s->watch), .events = POLLIN },
			{ .fd = s->watch_stop[0], .events = POLLIN },
		};
		int n = poll(p, 2, retry ? 1000 : pending.touched || pending.lost ? WATCH_SETTLE_MS : -1);

		if (n < 0 && errno != EINTR) {
			log_error("nftables: the ruleset watch stopped: %s", strerror(errno));
			return NULL;
		}
		if (n > 0 && p[1].revents)
			return NULL;
		if (n > 0 && p[0].revents) {
			if (nft_watch_read(s->watch, NFT_TABLE_NAME, nft_portid(s->nft), &pending) < 0)
				log_warn("nftables: reading the ruleset notifications: %s",
					 strerror(errno));
			if (!retry)
				continue;       /* more of the same transaction may follow */
		}
		/* notifications lost: what matters is whether the table is still
		 * there (a change inside it may go unseen) */
		if (pending.lost && !pending.touched) {
			int present;

			pthread_mutex_lock(&s->nft_lock);
			present = nft_table_present(s->nft);
			pthread_mutex_unlock(&s->nft_lock);
			log_warn("nftables: ruleset notifications were lost; table inet %s %s",
				 NFT_TABLE_NAME, present == 0 ? "is gone" : "is still there");
			pending.touched = pending.deleted = present == 0;
			pending.lost = 0;
		}
		if (!pending.touched)
			continue;
		retry = kernel_restore(s, &pending) < 0;
		if (!retry)
			memset(&pending, 0, sizeof(pending));
	}
}

static void watch_start(struct sessions *s)
{
	char err[256];

	s->watch = nft_watch_open(err, sizeof(err));
	if (!s->watch || pipe2(s->watch_stop, O_CLOEXEC) < 0 ||
	    pthread_create(&s->watcher, NULL, watch_thread, s) != 0) {
		log_error("nftables: cannot watch the ruleset (%s): a table deleted under the "
			  "daemon is not put back", s->watch ? strerror(errno) : err);
		return;
	}
	s->watcher_started = 1;
}

static void watch_stop(struct sessions *s)
{
	if (s->watcher_started) {
		if (write(s->watch_stop[1], "x", 1) != 1)
			log_error("nftables: cannot stop the ruleset watch");
		else
			pthread_join(s->watcher, NULL);
		s->watcher_started = 0;
	}
	if (s->watch_stop[0] >= 0)
		close(s->watch_stop[0]);
	if (s->watch_stop[1] >= 0)
		close(s->watch_stop[1]);
	s->watch_stop[0] = s->watch_stop[1] = -1;
	nft_watch_close(s->watch);
	s->watch = NULL;
}

/* The closed ruleset, as a file next to the database (the one directory
 * the hardened unit lets the daemon write): written whole under a
 * temporary name and renamed, so a reload of nftables.conf never reads
 * half of it. With fail_open = yes there is none. Caller holds nft_lock. */
static void closed_ruleset_write(struct sessions *s)
{
	char tmp[sizeof(s->closed_path) + 8], *text = NULL;
	const char *slash;
	size_t len, cap;
	int fd, n;

	if (!s->closed_path[0]) {
		slash = strrchr(s->cfg->db_path, '/');
		n = slash ? snprintf(s->closed_path, sizeof(s->closed_path), "%.*s/nftables-closed.nft",
				     (int)(slash - s->cfg->db_path), s->cfg->db_path)
			  : snprintf(s->closed_path, sizeof(s->closed_path), "nftables-closed.nft");
		if (n < 0 || (size_t)n >= sizeof(s->closed_path)) {
			s->closed_path[0] = '\0';
			return;
		}
	}
	if (s->cfg->intercept_fail_open) {
		if (unlink(s->closed_path) == 0)
			log_notice("nftables: fail_open = yes: %s removed", s->closed_path);
		return;
	}
	/* about 100 bytes a whitelist range: grow until it fits */
	for (cap = 64 * 1024; cap <= 16 * 1024 * 1024; cap *= 4) {
		char *t = realloc(text, cap);

		if (!t)
			break;
		text = t;
		if (nft_closed_ruleset_text(s->nft, text, cap) == 0)
			break;
	}
	if (!text || cap > 16 * 1024 * 1024 || nft_closed_ruleset_text(s->nft, text, cap) < 0) {
		log_warn("nftables: cannot write the closed ruleset (out of memory, or an "
			 "interface name nft would need quoted): %s not written", s->closed_path);
		free(text);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->closed_path);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;

		ok = close(fd) == 0 && ok;
		if (ok && rename(tmp, s->closed_path) == 0) {
			free(text);
			return;
		}
	}
	log_warn("nftables: cannot write %s: %s", s->closed_path, strerror(errno));
	unlink(tmp);
	free(text);
}
