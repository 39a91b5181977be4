#include "intercept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounting.h"
#include "cidr.h"
#include "config.h"
#include "gate.h"
#include "log.h"
#include "nft.h"
#include "sessions.h"
#include "store.h"

/* How often the maintenance thread looks at the database's generations
 * and runs the sessions' round: expiry, idle, kicks and users' changes
 * take effect within it. */
#define ROUND_PERIOD_MS 500
/* the bounds of [intercept] session_lifetime and session_idle_timeout,
 * for the limits an identity source gives a session */
#define SESSION_LIFETIME_MAX 31536000u
#define SESSION_IDLE_MIN     5u
#define SESSION_IDLE_MAX     604800u
/* a Disconnect is answered once the round that ends its sessions is
 * over, or after this long */
#define DISCONNECT_WAIT_MS   2000u

struct intercept {
	const struct config *cfg;
	struct sessions *sessions;
	struct accounting *acct;           /* RADIUS accounting; NULL: off */
	struct store *store;               /* the maintenance thread's */
	struct store_generations gens;     /* as the last round saw them */
	pthread_mutex_t login_lock;        /* login_store, one login at a time */
	struct store *login_store;         /* opened on the first login */
	pthread_mutex_t lock;              /* stopping, with cond */
	pthread_cond_t cond;
	int stopping;
	pthread_t maint;
	int maint_started;
	int round_now;                     /* with lock: run the next round at once */
	int round_running;                 /* with lock: a round is under way */
	uint64_t rounds;                   /* with lock: rounds completed */
	struct gate *gate;                 /* whose policies the sessions follow; NULL none */
	uint64_t policy_generation;        /* as the last round saw it */
	int classes_followed;              /* the sessions' classes were read once */
};

struct intercept_macs {
	struct nft *nft;
};

/* A session's user's class now (sessions_class_cb): the gate's answer. */
static void class_of_cb(void *ud, const char *user, char *out, size_t len)
{
	struct intercept *ix = ud;

	gate_user_class(ix->gate, user, NULL, out, len);
}

static void *maint_thread(void *arg)
{
	struct intercept *ix = arg;

	for (;;) {
		struct store_generations now;
		struct timespec ts;
		int stopping;

		pthread_mutex_lock(&ix->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += ROUND_PERIOD_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!ix->stopping && !ix->round_now)
			pthread_cond_timedwait(&ix->cond, &ix->lock, &ts);
		ix->round_now = 0;
		stopping = ix->stopping;
		ix->round_running = !stopping;
		pthread_mutex_unlock(&ix->lock);
		if (stopping)
			return NULL;
		if (ix->gate) {
			uint64_t pg = gate_policy_generation(ix->gate);

			if (pg != ix->policy_generation)
				sessions_policy_changed(ix->sessions);
			/* and at the first round: sessions restored after a
			 * restart get their group policy's class back */
			if (pg != ix->policy_generation || !ix->classes_followed) {
				sessions_follow_classes(ix->sessions, class_of_cb, ix);
				ix->classes_followed = 1;
			}
			ix->policy_generation = pg;
		}
		/* a database that does not answer: the round waits for it */
		if (store_generations(ix->store, &now) == 0) {
			sessions_maintain(ix->sessions, ix->store, now.sessions != ix->gens.sessions,
					  now.users != ix->gens.users);
			ix->gens = now;
		}
		pthread_mutex_lock(&ix->lock);
		ix->round_running = 0;
		ix->rounds++;
		pthread_cond_broadcast(&ix->cond);
		pthread_mutex_unlock(&ix->lock);
	}
}

/* ------------------------------------------------------------ accounting */

/* A session's address (canonical text) as a sockaddr. 0 or -1. */
static int acct_sockaddr(const char *addr, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return -1;
	return 0;
}

/* What the accounting asks of the sessions (accounting_hooks). */
static int acct_alive_cb(void *ud, const char *addr, const char *user)
{
	struct intercept *ix = ud;
	struct sockaddr_storage ss;

	(void)user;
	if (acct_sockaddr(addr, &ss) < 0)
		return 0;
	return sessions_alive(ix->sessions, (const struct sockaddr *)&ss);
}

/* The kernel's counts of the session at addr, for an Interim-Update. */
static void acct_counts_cb(void *ud, const char *addr, struct store_acct_counts *out)
{
	struct intercept *ix = ud;
	struct sockaddr_storage ss;
	struct sessions_counts c;

	memset(out, 0, sizeof(*out));
	if (acct_sockaddr(addr, &ss) < 0 ||
	    sessions_counts_get(ix->sessions, (const struct sockaddr *)&ss, &c, NULL, NULL) < 0)
		return;
	out->known = 1;
	out->in_octets = c.bytes_in;
	out->in_packets = c.packets_in;
	out->out_octets = c.bytes_out;
	out->out_packets = c.packets_out;
}

/* A session's end, told on the maintenance thread (sessions_on_end), with
 * its final counts: its Stop, written with that thread's connection. */
static void acct_end_cb(const struct sessions_end *end, void *ud)
{
	struct intercept *ix = ud;
	struct store_acct_counts c = {
		.known = 1,
		.in_octets = end->counts.bytes_in, .in_packets = end->counts.packets_in,
		.out_octets = end->counts.bytes_out, .out_packets = end->counts.packets_out,
	};

	accounting_session_stop(ix->acct, ix->store, end->addr, end->reason, &c);
}

static int acct_start(struct intercept *ix, const struct config *cfg, char *err, size_t errlen)
{
	struct accounting_hooks hooks = { .alive = acct_alive_cb, .counts = acct_counts_cb,
					  .ud = ix };

	ix->acct = accounting_new(cfg, ix->store, &hooks, err, errlen);
	if (!ix->acct)
		return err[0] ? -1 : 0;
	sessions_on_end(ix->sessions, acct_end_cb, ix);
	return 0;
}

struct intercept *intercept_new(const struct config *cfg, char *err, size_t errlen)
{
	struct intercept *ix = calloc(1, sizeof(*ix));

	if (!ix) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ix->cfg = cfg;
	pthread_mutex_init(&ix->login_lock, NULL);
	pthread_mutex_init(&ix->lock, NULL);
	pthread_cond_init(&ix->cond, NULL);
	ix->store = store_open(cfg->db_path, err, errlen);
	if (!ix->store)
		goto fail;
	/* read before the restore, so that the first round follows the rows
	 * the restore deleted (expired, their users gone) */
	if (store_generations(ix->store, &ix->gens) < 0) {
		snprintf(err, errlen, "cannot read or write the database %s", cfg->db_path);
		goto fail;
	}
	ix->sessions = sessions_new(cfg, ix->store, err, errlen);
	if (!ix->sessions)
		goto fail;
	if (acct_start(ix, cfg, err, errlen) < 0)
		goto fail;
	if (pthread_create(&ix->maint, NULL, maint_thread, ix) != 0) {
		snprintf(err, errlen, "cannot start the sessions' maintenance thread");
		goto fail;
	}
	ix->maint_started = 1;
	return ix;
fail:
	intercept_free(ix);
	return NULL;
}

void intercept_free(struct intercept *ix)
{
	if (!ix)
		return;
	if (ix->maint_started) {
		pthread_mutex_lock(&ix->lock);
		ix->stopping = 1;
		pthread_cond_broadcast(&ix->cond);
		pthread_mutex_unlock(&ix->lock);
		pthread_join(ix->maint, NULL);
	}
	sessions_save_counts(ix->sessions, ix->store);
	accounting_free(ix->acct);
	sessions_free(ix->sessions);
	store_close(ix->login_store);
	store_close(ix->store);
	pthread_mutex_destroy(&ix->login_lock);
	pthread_mutex_destroy(&ix->lock);
	pthread_cond_destroy(&ix->cond);
	free(ix);
}

int intercept_session_user(struct intercept *ix, const struct sockaddr *client,
			   const uint8_t *mac, char *user, size_t len)
{
	return ix ? sessions_lookup(ix->sessions, client, mac, user, len) : 0;
}

int intercept_session_alive(struct intercept *ix, const struct sockaddr *client)
{
	return ix ? sessions_alive(ix->sessions, client) : 0;
}

long intercept_session_remaining(struct intercept *ix, const struct sockaddr *client,
				 const uint8_t *mac)
{
	return ix ? sessions_remaining(ix->sessions, client, mac) : -1;
}

int intercept_throttled(struct intercept *ix, const struct sockaddr *client)
{
	return ix ? sessions_throttled(ix->sessions, client) : 0;
}

int intercept_quota_ended(struct intercept *ix, const struct sockaddr *client)
{
	return ix ? sessions_quota_ended(ix->sessions, client) : 0;
}

int intercept_policy_ended(struct intercept *ix, const struct sockaddr *client, char *user,
			   size_t len)
{
	return ix ? sessions_policy_ended(ix->sessions, client, user, len) : 0;
}

/* The sessions' policy judge (sessions_policy_cb): the gate's answer. */
static enum sessions_policy_answer policy_judge_cb(void *ud, const char *user,
						   const char *source, int64_t created_at,
						   int64_t *ends_by, unsigned *idle)
{
	struct intercept *ix = ud;

	switch (gate_policy_standing(ix->gate, user, source, created_at, ends_by, idle)) {
	case GATE_STANDING_KEEP:
		return SESSIONS_POLICY_KEEP;
	case GATE_STANDING_UNKNOWN:
		return SESSIONS_POLICY_UNKNOWN;
	case GATE_STANDING_DENIED:
		return SESSIONS_POLICY_DENIED;
	case GATE_STANDING_HOURS:
		return SESSIONS_POLICY_HOURS;
	case GATE_STANDING_DISABLED:
		return SESSIONS_POLICY_USER_DISABLED;
	case GATE_STANDING_GONE:
		return SESSIONS_POLICY_USER_DELETED;
	}
	return SESSIONS_POLICY_UNKNOWN;
}

/* The sessions' quotas for users without their own: their policy's. */
static int policy_quota_cb(const char *user, uint64_t *session, uint64_t *day, uint64_t *month,
			   char *quota_class, size_t len, void *ud)
{
	return gate_policy_quota(ud, user, session, day, month, quota_class, len);
}

void intercept_follow_policy(struct intercept *ix, struct gate *g)
{
	if (!ix)
		return;
	ix->gate = g;
	ix->policy_generation = gate_policy_generation(g);
	sessions_on_policy(ix->sessions, policy_judge_cb, ix);
	sessions_quota_policy(ix->sessions, g ? policy_quota_cb : NULL, g);
}

int intercept_client_mac(struct intercept *ix, const struct sockaddr *client,
			 const struct sockaddr *local, uint8_t mac[6])
{
	return ix ? sessions_client_mac(ix->sessions, client, local, mac) : 1;
}

int intercept_session_start(struct intercept *ix, const struct sockaddr *client,
			    const uint8_t mac[6], const char *username,
			    const struct gate_login *login, const char *group_class)
{
	struct store *st = NULL;
	unsigned lifetime = 0, idle = 0;
	char err[256];
	int rc;

	if (!ix)
		return -1;
	if (login) {
		/* what the identity source said (RFC 2865 §5.27, §5.28), within
		 * the bounds the configuration allows for its own values */
		lifetime = login->attrs.session_timeout;
		if (lifetime > SESSION_LIFETIME_MAX)
			lifetime = SESSION_LIFETIME_MAX;
		idle = login->attrs.idle_timeout;
		if (idle && idle < SESSION_IDLE_MIN)
			idle = SESSION_IDLE_MIN;
		if (idle > SESSION_IDLE_MAX)
			idle = SESSION_IDLE_MAX;
	}
	pthread_mutex_lock(&ix->login_lock);
	/* a login checked from memory found the database unreadable a moment
	 * ago: the session starts in memory without waiting for it again */
	if (!(login && login->from_memory)) {
		if (!ix->login_store) {
			ix->login_store = store_open(ix->cfg->db_path, err, sizeof(err));
			if (!ix->login_store)
				log_error("intercept: cannot open the database: %s", err);
		}
		st = ix->login_store;
	}
	rc = sessions_start(ix->sessions, st, client, mac, username, login ? login->credential : 0,
			    lifetime, idle, group_class, login ? login->attrs.source : NULL);
	if (rc == 0 && ix->acct) {
		char addr[64];
		struct accounting_login l = {
			.addr = addr, .mac = mac, .user = username,
			.class_value = login ? login->attrs.class_blob : NULL,
			.class_len = login ? login->attrs.class_len : 0,
			.interval = login ? login->attrs.accounting_interval : 0,
			.source = login ? login->attrs.source : "",
		};

		cidr_addr_text(client, addr, sizeof(addr));
		accounting_session_start(ix->acct, st, &l);
	}
	pthread_mutex_unlock(&ix->login_lock);
	return rc;
}

/* ------------------------------------------------------------ RADIUS Dynamic Authorization */

/* A maintenance round that starts after this call, run at once; waits
 * for its end up to wait_ms (the thread may be stopping). */
static void round_now_and_wait(struct intercept *ix, unsigned wait_ms)
{
	struct timespec ts;
	uint64_t target;

	pthread_mutex_lock(&ix->lock);
	/* a round under way may have read the store before the change */
	target = ix->rounds + (ix->round_running ? 2 : 1);
	ix->round_now = 1;
	pthread_cond_broadcast(&ix->cond);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (ix->rounds < target && !ix->stopping)
		if (pthread_cond_timedwait(&ix->cond, &ix->lock, &ts) != 0)
			break;
	if (ix->round_now && ix->rounds < target)
		pthread_cond_broadcast(&ix->cond);
	pthread_mutex_unlock(&ix->lock);
}

struct session_id_search {
	const char *id;
	char addr[STORE_ADDR_MAX + 1];
};

static int session_id_cb(const struct store_acct_session *x, void *ud)
{
	struct session_id_search *q = ud;

	if (strcmp(x->session_id, q->id) != 0)
		return 0;
	snprintf(q->addr, sizeof(q->addr), "%s", x->addr);
	return 1;
}

/* An address as the store writes it ("10.0.0.2", "2001:db8::2"). 0 or -1. */
static int addr_from_text(const char *text, struct sockaddr_storage *ss)
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

/* Caller holds login_lock. The portal logins' database connection,
 * opened on first use; NULL when it cannot be. */
static struct store *login_store_locked(struct intercept *ix)
{
	char err[256];

	if (!ix->login_store) {
		ix->login_store = store_open(ix->cfg->db_path, err, sizeof(err));
		if (!ix->login_store)
			log_error("intercept: cannot open the database: %s", err);
	}
	return ix->login_store;
}

/* Caller holds login_lock. m with the address of the accounted session
 * acct_session_id names (the accounting's record of it) in *out: 1, or
 * 0 when no session has that Acct-Session-Id or m names another address,
 * -1 when the database fails. */
static int with_session_id(struct intercept *ix, const struct sessions_match *m,
			   const char *acct_session_id, struct sessions_match *out,
			   struct sockaddr_storage *addr)
{
	struct session_id_search q = { acct_session_id, "" };
	struct store *st = login_store_locked(ix);

	*out = *m;
	if (!acct_session_id)
		return 1;
	if (!st || store_acct_session_list(st, session_id_cb, &q) < 0)
		return -1;
	if (!q.addr[0] || addr_from_text(q.addr, addr) < 0)
		return 0;
	/* an address given as well must be the same one */
	if (m->client) {
		char given[STORE_ADDR_MAX + 1];

		cidr_addr_text(m->client, given, sizeof(given));
		if (strcmp(given, q.addr) != 0)
			return 0;
	}
	out->client = (const struct sockaddr *)addr;
	return 1;
}

int intercept_disconnect(struct intercept *ix, const struct sessions_match *m,
			 const char *acct_session_id)
{
	struct sessions_match mm;
	struct sockaddr_storage addr;
	struct store *st;
	int n;

	if (!ix)
		return 0;
	pthread_mutex_lock(&ix->login_lock);
	st = login_store_locked(ix);
	n = with_session_id(ix, m, acct_session_id, &mm, &addr);
	if (n > 0)
		n = st ? sessions_disconnect(ix->sessions, st, &mm) : -1;
	pthread_mutex_unlock(&ix->login_lock);
	if (n > 0)
		round_now_and_wait(ix, DISCONNECT_WAIT_MS);
	return n;
}

int intercept_change_limits(struct intercept *ix, const struct sessions_match *m,
			    const char *acct_session_id, unsigned lifetime, unsigned idle)
{
	struct sessions_match mm;
	struct sockaddr_storage addr;
	int n;

	if (!ix)
		return 0;
	pthread_mutex_lock(&ix->login_lock);
	n = with_session_id(ix, m, acct_session_id, &mm, &addr);
	pthread_mutex_unlock(&ix->login_lock);
	if (n <= 0)
		return n;
	m = &mm;
	/* within the bounds of the configuration's own, as at login */
	if (lifetime > SESSION_LIFETIME_MAX)
		lifetime = SESSION_LIFETIME_MAX;
	if (idle && idle < SESSION_IDLE_MIN)
		idle = SESSION_IDLE_MIN;
	if (idle > SESSION_IDLE_MAX)
		idle = SESSION_IDLE_MAX;
	n = sessions_set_limits(ix->sessions, m, lifetime, idle);
	/* the rows are written by a round; run it now rather than in 500 ms */
	if (n > 0)
		round_now_and_wait(ix, 0);
	return n;
}

/* ------------------------------------------------------------ devices per account */

/* The login connection, opened on first use; caller holds login_lock. */
static struct store *login_store(struct intercept *ix)
{
	char err[256];

	if (!ix->login_store) {
		ix->login_store = store_open(ix->cfg->db_path, err, sizeof(err));
		if (!ix->login_store)
			log_error("intercept: cannot open the database: %s", err);
	}
	return ix->login_store;
}

struct devices_walk {
	char own_mac[18], own_addr[46];
	struct intercept_device *list;
	size_t n, max;
	char seen[64][46];          /* devices counted (mac or address) */
	size_t n_seen;
	int overflow;
};

static int device_row_cb(const struct store_session *row, void *ud)
{
	struct devices_walk *w = ud;
	const char *key = row->mac[0] ? row->mac : row->addr;

	if (row->mac[0] ? !strcmp(row->mac, w->own_mac) : !strcmp(row->addr, w->own_addr))
		return 0;
	for (size_t i = 0; i < w->n_seen; i++)
		if (!strcmp(w->seen[i], key))
			return 0;
	if (w->n_seen == sizeof(w->seen) / sizeof(w->seen[0])) {
		w->overflow = 1;
		return 1;
	}
	snprintf(w->seen[w->n_seen++], sizeof(w->seen[0]), "%s", key);
	if (w->n < w->max) {
		struct intercept_device *d = &w->list[w->n++];

		snprintf(d->addr, sizeof(d->addr), "%s", row->addr);
		snprintf(d->mac, sizeof(d->mac), "%s", row->mac);
		d->since = row->created_at;
	}
	return 0;
}

int intercept_user_devices(struct intercept *ix, const char *username,
			   const struct sockaddr *client, const uint8_t mac[6],
			   struct intercept_device *list, size_t n)
{
	static const uint8_t zero[6];
	struct devices_walk *w;
	struct store *st;
	int rc;

	if (!ix)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->list = list;
	w->max = n;
	if (mac && memcmp(mac, zero, 6))
		nft_mac_format(mac, w->own_mac, sizeof(w->own_mac));
	cidr_addr_text(client, w->own_addr, sizeof(w->own_addr));
	pthread_mutex_lock(&ix->login_lock);
	st = login_store(ix);
	/* rows are ordered by login: the first of each device is its login */
	rc = st ? store_session_list_user(st, username, device_row_cb, w) : -1;
	pthread_mutex_unlock(&ix->login_lock);
	rc = rc < 0 ? -1 : (int)w->n_seen;
	free(w);
	return rc;
}

int intercept_end_device(struct intercept *ix, const char *username,
			 const struct intercept_device *d)
{
	struct store *st;
	int rc;

	if (!ix)
		return -1;
	pthread_mutex_lock(&ix->login_lock);
	st = login_store(ix);
	rc = st ? store_session_delete_device(st, username, d->mac, d->addr) : -1;
	pthread_mutex_unlock(&ix->login_lock);
	if (rc == 0)
		log_info("intercept: %s's device %s (%s) signed out to make room for another",
			 username, d->mac[0] ? d->mac : "without a MAC", d->addr);
	return rc < 0 ? -1 : rc;
}

unsigned intercept_user_max_devices(struct intercept *ix, const char *username)
{
	struct store *st;
	unsigned max = 0;

	if (!ix)
		return 0;
	pthread_mutex_lock(&ix->login_lock);
	st = login_store(ix);
	if (!st || store_user_max_devices(st, username, &max) != 0)
		max = 0;
	pthread_mutex_unlock(&ix->login_lock);
	return max;
}

/* ------------------------------------------------------------ the whitelist */

/*
 * Whitelist entries were removed: the kernel forwards a whitelisted
 * client's traffic past the daemon, and the connections it tracks would
 * outlive the entry. They are cut as a session's end cuts its own, except
 * where the remaining whitelist or a session still lets the address pass.
 */
static void cut_unlisted(struct intercept *ix, const struct cidr *list, size_t n,
			 const struct cidr *old, size_t n_old)
{
	struct cidr *removed;
	size_t n_removed = 0;
	int cut;

	if (n_old == 0)
		return;
	removed = calloc(n_old, sizeof(*removed));
	if (!removed) {
		log_warn("whitelist: out of memory; connections of removed entries are not cut");
		return;
	}
	for (size_t i = 0; i < n_old; i++) {
		int kept = 0;

		for (size_t k = 0; k < n && !kept; k++)
			kept = list[k].family == old[i].family && list[k].prefix == old[i].prefix &&
			       memcmp(list[k].addr, old[i].addr, sizeof(old[i].addr)) == 0;
		if (!kept)
			removed[n_removed++] = old[i];
	}
	if (n_removed) {
		cut = sessions_cut_unlisted(ix->sessions, removed, n_removed, list, n);
		if (cut < 0)
			log_warn("whitelist: %zu entr%s removed, but their connections could not be cut",
				 n_removed, n_removed == 1 ? "y" : "ies");
		else
			log_notice("whitelist: %zu entr%s removed: connections_cut=%d", n_removed,
				   n_removed == 1 ? "y" : "ies", cut);
	}
	free(removed);
}

int intercept_session_rate_cb(void *ud, const char *addr, uint64_t *rate_in, uint64_t *rate_out)
{
	struct intercept *ix = ud;
	struct sockaddr_storage ss;
	struct sessions_counts c;

	if (acct_sockaddr(addr, &ss) < 0)
		return -1;
	return sessions_counts_get(ix->sessions, (const struct sockaddr *)&ss, &c, rate_in, rate_out);
}

void intercept_whitelist_cb(void *ud, const struct cidr *list, size_t n, const struct cidr *old,
			    size_t n_old)
{
	struct intercept *ix = ud;

	/* whitelisted clients pass in the kernel too */
	if (sessions_set_whitelist(ix->sessions, list, n) < 0)
		log_warn("whitelist: the kernel set was not updated; whitelisted clients still pass "
			 "through the daemon");
	cut_unlisted(ix, list, n, old, n_old);
}

/* ------------------------------------------------------------ MAC readers */

struct intercept_macs *intercept_macs_open(struct intercept *ix, char *err, size_t errlen)
{
	struct intercept_macs *m;

	if (!ix)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->nft = nft_open(err, errlen);
	if (!m->nft) {
		free(m);
		return NULL;
	}
	nft_set_interface(m->nft, ix->cfg->intercept_interface);
	return m;
}

void intercept_macs_close(struct intercept_macs *m)
{
	if (!m)
		return;
	nft_close(m->nft);
	free(m);
}

int intercept_macs_client_mac(struct intercept_macs *m, const struct sockaddr *client,
			      const struct sockaddr *local, uint8_t mac[6])
{
	return m ? nft_conn_mac(m->nft, client, local, mac) : 1;
}

struct shaper *intercept_shaper(struct intercept *ix)
{
	return ix ? sessions_shaper(ix->sessions) : NULL;
}
