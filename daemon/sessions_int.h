/*
 * sessions_int.h — what the sessions*.c files share: the table of
 * entries, its helpers, and the maintenance round's state. Private to
 * sessions.c (the table, the request path, logins), sessions_round.c (the
 * maintenance round) and sessions_kernel.c (the whitelist, failing
 * closed), and the unit test of the round; everyone else uses sessions.h.
 */
#ifndef PORTCULLIS_SESSIONS_INT_H
#define PORTCULLIS_SESSIONS_INT_H

#include "sessions.h"

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "addrmap.h"
#include "config.h"
#include "loop.h"
#include "nft.h"
#include "shaper.h"
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
/* The counters: the rate is over the last minute, from marks taken every
 * RATE_MARK_MS (the oldest at most RATE_MARKS marks back); a session's
 * counts go to its row every COUNTS_SAVE_S (and at its end and a stop). */
#define RATE_MARKS      7
#define RATE_MARK_MS    10000
#define COUNTS_SAVE_S   10
/* Every session's counters are read in one dump per set every
 * COUNTS_READ_MS (not every round: at 10 000 sessions a dump is most of a
 * round's CPU); the sessions of users with a quota are read every round,
 * one by one while they are at most 1 in COUNTS_ONE_BY_ONE of the
 * sessions, else by the dump every round. */
#define COUNTS_READ_MS     2000
#define RATE_STALE_MS      (3 * COUNTS_READ_MS)
#define COUNTS_ONE_BY_ONE  8
/* Quotas are read from the store every QUOTA_READ_S, when the users
 * change, and at most once a second when sessions start; the portal remembers the last QUOTA_ENDS_MAX addresses a quota
 * ended, for QUOTA_END_SHOWN_S. */
#define QUOTA_READ_S      5
#define QUOTA_ENDS_MAX    256
#define QUOTA_END_SHOWN_S 86400
/* Ended sessions stay in session_history this long (pruned hourly). */
#define HISTORY_KEEP_S    (400 * 86400)

enum quota_from {
	QUOTA_FROM_NONE,
	QUOTA_FROM_USER,                   /* its own (user_quotas) */
	QUOTA_FROM_POLICY,                 /* its group policy's */
};

struct quota_user {
	char user[STORE_NAME_MAX + 1];
	struct store_quota q;              /* the quotas that hold it (quota_resolve) */
	enum quota_from from;
	uint64_t ended_day, ended_month;   /* bytes of its sessions that ended today,
					    * this month */
	uint64_t code_bytes;               /* a voucher's: its roll's quota over all the
					    * code's sessions since its first use; 0 none */
	uint64_t ended_code;               /* bytes of those that ended */
	char quota_class[STORE_CLASS_MAX + 1];  /* its policy's, "" none */
};

struct quota_end {
	struct addrmap_addr key;
	int64_t at;                        /* wall s; 0: empty */
	int by_policy;                     /* a group policy or a directory ended it,
					    * not a quota */
	char user[STORE_NAME_MAX + 1];     /* by_policy: whose */
};

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
	struct nft_counters counted;       /* the kernel's counters as last read (a
					    * round; where they start again after a
					    * restart or a restore) */
	int64_t counted_ms;                /* wall ms of that read (0: none yet) */
	struct nft_counters rate_mark[RATE_MARKS]; /* counted at rate_mark_at[] */
	int64_t rate_mark_at[RATE_MARKS];  /* wall ms, oldest first; 0 none yet */
	struct nft_counters saved;         /* what its row holds */
	uint64_t rate_saved_in, rate_saved_out; /* the rate its row holds */
	int64_t counts_saved_at;           /* wall s they went there */
	int unsaved;                       /* its row is still to be written */
	int held;                          /* and writing it failed: the log said the
					    * session is held in memory only */
	char bw_class[STORE_CLASS_MAX + 1];     /* the bandwidth class its login chose
						 * (shaper.h; "": unshaped) */
	char source[64];                   /* who checked its login (store_session) */
	int policy_judged;                 /* the policy judge has answered for it */
	struct store_quota_use quota;      /* its use against the quota closest to used
					    * up, as the last round judged it */
	struct store_quota_use quota_saved; /* what its row holds */
	int throttled;                     /* its quota is used up and [shaping]
					    * quota_action = throttle: its device is in
					    * throttle_class instead of bw_class */
	char throttle_class[STORE_CLASS_MAX + 1];  /* while throttled: its policy's
						    * quota class or quota_class */
};

/* The maps a maintenance round indexes its views by, one kept of each. */
enum { ROUND_MAP_ROWS, ROUND_MAP_DEVICES, ROUND_MAP_KERNEL, ROUND_MAP_NEIGH, ROUND_MAP_ACCOUNTS,
       ROUND_MAP_ACCT, ROUND_MAPS };

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
	/* maintenance's maps, emptied and kept from one round to the next
	 * (ROUND_MAP_*; round_map, round_map_keep): at 10 000 sessions a
	 * table made afresh every round spent most of its indexing time
	 * faulting its pages in. Taken and given back by atomic exchange. */
	struct addrmap *round_maps[ROUND_MAPS];
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
	struct shaper *shaper;             /* bandwidth classes; NULL: shaping off */
	/* the counters (sessions_counts.c) */
	void (*end_cb)(const struct sessions_end *end, void *ud);
	void *end_ud;
	struct sessions_counts ended_total; /* under lock: sessions ended since the start */
	int64_t counts_read_ms;            /* wall ms of the last dump of every counter
					    * (maintenance thread only) */
	/* quotas: the maintenance thread's own, read every QUOTA_READ_S */
	struct quota_user *quotas;         /* users of sessions with a quota, by name */
	size_t n_quotas;
	int64_t quotas_read_at;            /* wall s; 0: read next round */
	uint64_t quotas_seq;               /* s->seq they were read at */
	int64_t history_pruned_at;         /* wall s session_history was last pruned */
	int64_t day_start, month_start;    /* wall s of the local midnight, first of month */
	struct {                           /* sessions_quota_policy, under its lock */
		pthread_mutex_t lock;
		sessions_quota_policy_fn fn;
		void *ud;
	} policy;
	/* under lock: addresses whose session the quota ended (the portal says so) */
	struct quota_end quota_ends[QUOTA_ENDS_MAX];
	size_t quota_ends_next;
	/* the group policy's judge (sessions_on_policy) */
	sessions_policy_cb policy_cb;
	void *policy_ud;
	int policy_stale;                  /* atomic: judge every session next round */
	int64_t policy_judged_at;          /* wall s every session was last judged */
};

/* Whether a session's user may still be logged in, as the store says now. */
enum account_state {
	ACCOUNT_USABLE,
	ACCOUNT_GONE,
	ACCOUNT_DISABLED,
	ACCOUNT_EXPIRED,
	ACCOUNT_NEW_PASSWORD,    /* set since the session's login was checked */
	ACCOUNT_UNREAD,          /* the store did not answer: decide next round */
};

struct row_list {
	struct store_session *rows;
	size_t n, cap;
};

struct kernel_view {
	struct nft_session *list;
	size_t n, cap;
	struct addrmap *by_addr;           /* address -> its last element in list */
	size_t *next;                      /* per element: the address's previous one */
};

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
	END_QUOTA,               /* its user's data quota is used up */
	END_POLICY_DENIED,       /* its group policy now forbids going online */
	END_POLICY_HOURS,        /* ... or not at this hour */
	END_POLICY_CHANGED,      /* ... or gives a lifetime that is over */
	END_SOURCE_DISABLED,     /* its directory now refuses the account */
	END_SOURCE_DELETED,      /* ... or no longer has it */
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
	size_t n;                /* list has room for those prepared before the
				  * write lock and one per entry */
};

struct ended {
	struct entry e;
	enum end_reason why;
	int delete_row;          /* a kick deleted it already */
};

/*
 * One maintenance round (sessions_maintain runs them in this order):
 *   sessions_round_begin        the entries as of now (seq_read)
 *   sessions_round_read_store   the store's rows, when they changed
 *   sessions_round_read_kernel  the kernel's session elements, and with a
 *                               device logged in its neighbour table and
 *                               seen4/6 records (candidates: on-link
 *                               addresses of logged-in devices' frames)
 *   sessions_round_index        what was read, indexed by address; the
 *                               accounts behind the sessions read
 *   sessions_round_decide       under the write lock: judge each entry,
 *                               end or keep it (kernel element synced),
 *                               adopt candidates, take new rows, collect
 *                               rows to write; fills the lists below
 *   sessions_round_apply        the lists to the kernel and the store
 *   sessions_round_free
 * Reading and applying happen outside the write lock, which stops every
 * intercepted request. A unit test fills the read views itself and runs
 * index and decide alone.
 */
struct sessions_round {
	int64_t now, now_ms;               /* wall s, wall ms */
	uint64_t seq_read;                 /* entries with a later seq are judged next round */
	int devices_logged_in;             /* an entry has a MAC */
	/* read */
	struct row_list rows;              /* the store's rows, when have_rows */
	int have_rows;
	struct addrmap *rows_by_addr;
	struct kernel_view kernel;         /* sess4/6 elements, when have_kernel */
	int have_kernel;
	struct neigh_view neigh;           /* the neighbour table, when have_neigh */
	int have_neigh;
	struct neigh_view seen;            /* seen4/6 */
	struct neigh_entry candidates[ADOPT_PER_ROUND];
	size_t n_candidates;
	struct account_view accounts;
	/* decided */
	enum end_reason *verdict;          /* per entry, by judge */
	char *active;                      /* per entry: traffic within its idle time */
	struct device_views devices;
	struct ended *ended;               /* element, connections and row to go */
	size_t n_ended;
	struct entry *refresh;             /* elements to (re)set, each with kernel_timeout */
	size_t n_refresh;
	struct entry *joined;              /* adopted addresses (also in refresh) */
	size_t n_joined;
	struct entry *writes;              /* rows to write */
	size_t n_writes;
	uint8_t (*gone_macs)[6];           /* devices whose last address ended: out of devmac */
	size_t n_gone_macs;
	int cap_hit;                       /* a device was at DEVICE_ADDRS_MAX */
	/* the counters (sessions_counts.c) */
	struct kernel_view acct;           /* acct_in/out4/6, when have_acct; by_addr
					    * gives the address's one element */
	int have_acct;
	int acct_full;                     /* acct holds every session's (a dump), not
					    * only those with a quota */
	struct store_session *saves;       /* rows whose counts are to be written */
	size_t n_saves;
	char *over_quota;                  /* per entry: its user's quota is used up */
	struct entry *throttle_changes;    /* entries throttled or let go this round */
	size_t n_throttle_changes;
	int policy_all;                    /* judge every session's policy this round */
};

static inline int64_t wall_now(void)
{
	return loop_wall_ms() / 1000;
}

static inline int mac_known(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, 6) != 0;
}

/* A MAC as a key of a map of its own (by_mac, maintenance's device maps):
 * six bytes where an address has sixteen. */
static inline void mac_key(const uint8_t mac[6], struct addrmap_addr *key)
{
	memset(key, 0, sizeof(*key));
	key->family = AF_INET6;
	memcpy(key->bytes, mac, 6);
}

/* The session's end at the latest: its lifetime, or its user's expiry
 * if that comes first. */
static inline int64_t entry_ends_at(const struct entry *e)
{
	if (e->account_expires && e->account_expires < e->expires_at)
		return e->account_expires;
	return e->expires_at;
}

/* Between the moment a session runs out and the maintenance round that
 * ends it, the request path already treats it as gone. */
static inline int entry_live(const struct entry *e, int64_t now)
{
	return entry_ends_at(e) > now;
}

/* The class e's device is shaped into: throttle_class while throttled. */
static inline const char *entry_class(const struct sessions *s, const struct entry *e)
{
	(void)s;
	return e->throttled ? e->throttle_class : e->bw_class;
}

/* Link-local addresses (fe80::/10) are never forwarded: no session. */
static inline int address_forwarded(const struct addrmap_addr *key)
{
	return !(key->family == AF_INET6 && key->bytes[0] == 0xfe && (key->bytes[1] & 0xc0) == 0x80);
}

static inline void sa_from_key(const struct addrmap_addr *key, struct sockaddr_storage *ss)
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

/* Shared between the sessions*.c files; each is described where it is
 * defined. Functions that touch entries want s->lock as their comment says. */

/* sessions.c */
struct entry *sessions_find(struct sessions *s, const struct addrmap_addr *key);
struct entry *sessions_find_sockaddr(struct sessions *s, const struct sockaddr *client);
struct entry *sessions_device_anchor(struct sessions *s, const uint8_t mac[6]);
int sessions_put(struct sessions *s, struct entry *e);
void sessions_drop(struct sessions *s, struct entry *e);
void sessions_entry_for_address(const struct entry *anchor, struct addrmap_addr key, int64_t now, struct entry *e);
int sessions_key_from_text(const char *text, struct addrmap_addr *key);
int sessions_on_link(struct sessions *s, const struct sockaddr *addr);
void sessions_kernel_add(struct sessions *s, const struct entry *e, unsigned timeout);
int sessions_entry_from_row(const struct store_session *row, struct entry *e);
void sessions_row_from_entry(const struct entry *e, struct store_session *row);
/* e's rate in bytes/s (in, out) from its oldest rate mark to its last read
 * counts; 0 when it had no reads since now_ms - RATE_STALE_MS. */
void sessions_entry_rate(const struct entry *e, int64_t now_ms, uint64_t *in, uint64_t *out);
enum account_state sessions_account_read(struct store *st, const char *name, int64_t now, int64_t *expires, uint64_t *credential);
int sessions_collect_cb(const struct store_session *row, void *ud);
const char *sessions_store_error_text(int rc);
/* The in-memory table alone, without the kernel (s->nft NULL): what
 * sessions_new starts from, and what the round's unit test uses. */
struct sessions *sessions_alloc(const struct config *cfg, char *err, size_t errlen);

/* sessions_round.c: the phases above; 0 or -1 out of memory where an int */
void sessions_round_begin(struct sessions *s, struct sessions_round *r, int users_changed);
void sessions_round_read_store(struct sessions *s, struct store *st, struct sessions_round *r,
			       int store_changed);
void sessions_round_read_kernel(struct sessions *s, struct sessions_round *r);
int sessions_round_index(struct sessions *s, struct store *st, struct sessions_round *r);
int sessions_round_decide(struct sessions *s, struct sessions_round *r);
void sessions_round_apply(struct sessions *s, struct store *st, struct sessions_round *r);
/* Frees what r holds; its maps are kept in s for the next round. */
void sessions_round_free(struct sessions *s, struct sessions_round *r);
/* An empty map for the round's view of kind which (ROUND_MAP_*): last
 * round's, kept, or a new one. NULL when out of memory. */
struct addrmap *round_map(struct sessions *s, int which);
/* The kept maps (at the end of s). */
void sessions_round_maps_free(struct sessions *s);

/* sessions_counts.c */
void sessions_counts_read(struct sessions *s, struct sessions_round *r);
int sessions_counts_index(struct sessions *s, struct sessions_round *r);
int sessions_counts_take(struct sessions *s, struct sessions_round *r);
void sessions_counts_final(struct sessions *s, struct entry *e);
void sessions_counts_ended(struct sessions *s, struct store *st, const struct entry *e,
			   const char *reason, int64_t now);
void sessions_counts_write(struct sessions *s, struct store *st, struct sessions_round *r);
void sessions_counts_free(struct sessions_round *r);
void sessions_quota_read(struct sessions *s, struct store *st, struct sessions_round *r,
			 int users_changed);
void sessions_quota_free(struct sessions *s);

/* sessions_kernel.c */
void sessions_watch_start(struct sessions *s);
void sessions_watch_stop(struct sessions *s);
void sessions_closed_ruleset_write(struct sessions *s);

#endif
