#include "accounting.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config.h"
#include "log.h"
#include "radius.h"
#include "secretfile.h"

#define SECRET_MAX       256
#define WINDOW           32        /* records in flight at once */
#define LOOKAHEAD        (4 * WINDOW)  /* queued records looked at to fill it */
#define BACKOFF_MIN_MS   1000
#define BACKOFF_MAX_MS   60000
#define TICK_MS          1000      /* the sender looks at the interim clock */
/* RFC 2869 §5.16: an Acct-Interim-Interval SHOULD NOT be below 60 s; a
 * server's smaller value is honoured down to this floor */
#define INTERIM_MIN_S    10
#define ACCT_PORT        1813      /* RFC 2866 §3 */

struct accounting {
	const struct config *cfg;
	struct accounting_hooks hooks;
	struct config_addr servers[CONFIG_MAX_RADIUS];
	size_t n_servers;
	size_t current;                /* the server that answered last */
	char secret[SECRET_MAX];
	size_t secret_len;
	char nas_identifier[64];
	unsigned timeout_ms, retries;
	uint8_t next_id;               /* sender thread only */
	int backoff_ms;                /* sender thread only: 0 when servers answer */
	int64_t retry_at_ms;

	/* one writer of records at a time: a session's Interim-Update is
	 * never queued after its Stop, nor its row written back after the
	 * Stop deleted it; taken before lock */
	pthread_mutex_t write_lock;
	pthread_mutex_t lock;          /* what follows */
	pthread_cond_t cond;
	struct store_acct_session *sessions;   /* accounted, for the interim round */
	int64_t *next_interim;         /* per session: wall s */
	size_t n, cap;
	int wake, stopping;
	int stop_pipe[2];              /* its write end interrupts a wait for answers */
	pthread_t thread;
	int started;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned accounting_cause(const char *reason)
{
	static const struct {
		const char *reason;
		unsigned cause;
	} map[] = {
		{ "logout", RADIUS_TERM_USER_REQUEST },
		{ "login_again", RADIUS_TERM_USER_REQUEST },
		{ "kicked", RADIUS_TERM_ADMIN_RESET },
		{ "idle", RADIUS_TERM_IDLE_TIMEOUT },
		{ "expired", RADIUS_TERM_SESSION_TIMEOUT },
		{ "user_deleted", RADIUS_TERM_ADMIN_RESET },
		{ "user_disabled", RADIUS_TERM_ADMIN_RESET },
		{ "user_expired", RADIUS_TERM_ADMIN_RESET },
		{ "password_changed", RADIUS_TERM_ADMIN_RESET },
		{ "address_gone", RADIUS_TERM_LOST_CARRIER },
		{ "restart_lost", RADIUS_TERM_NAS_REBOOT },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (reason && !strcmp(reason, map[i].reason))
			return map[i].cause;
	return RADIUS_TERM_NAS_REQUEST;
}

/* ------------------------------------------------------------ the table */

/* Caller holds the lock. The session's index, or -1. */
static long find(struct accounting *a, const char *addr)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->sessions[i].addr, addr))
			return (long)i;
	return -1;
}

/* Caller holds the lock. 0 or -1 out of memory. */
static int remember(struct accounting *a, const struct store_acct_session *x, int64_t now)
{
	long i = find(a, x->addr);

	if (i < 0) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 64;
			struct store_acct_session *s = realloc(a->sessions, cap * sizeof(*s));
			int64_t *t;

			if (!s)
				return -1;
			a->sessions = s;
			t = realloc(a->next_interim, cap * sizeof(*t));
			if (!t)
				return -1;
			a->next_interim = t;
			a->cap = cap;
		}
		i = (long)a->n++;
	}
	a->sessions[i] = *x;
	a->next_interim[i] = x->interval ? now + x->interval : 0;
	return 0;
}

/* Caller holds the lock. */
static void forget(struct accounting *a, long i)
{
	if (i < 0)
		return;
	a->sessions[i] = a->sessions[a->n - 1];
	a->next_interim[i] = a->next_interim[a->n - 1];
	a->n--;
}

/* The user's name for a log line: escaped, a client chose it. */
static const char *user_text(char *buf, size_t len, const char *user)
{
	return log_escape(buf, len, user, strlen(user));
}

static void wake_sender(struct accounting *a)
{
	pthread_mutex_lock(&a->lock);
	a->wake = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* A record of the session's, of status type and event time now. */
static void record_of(const struct store_acct_session *x, int status, int64_t now,
		      struct store_acct_record *r)
{
	memset(r, 0, sizeof(*r));
	r->status_type = status;
	memcpy(r->session_id, x->session_id, sizeof(r->session_id));
	memcpy(r->username, x->username, sizeof(r->username));
	memcpy(r->class_value, x->class_value, x->class_len);
	r->class_len = x->class_len;
	memcpy(r->addr, x->addr, sizeof(r->addr));
	memcpy(r->mac, x->mac, sizeof(r->mac));
	r->authentic = x->authentic;
	r->event_at = now;
	r->session_time = now > x->started_at ? now - x->started_at : 0;
	r->counts = x->counts;
}

/* ------------------------------------------------------------ events */

int accounting_session_start(struct accounting *a, struct store *st,
			     const struct accounting_login *l)
{
	static const uint8_t zero[6];
	struct store_acct_session x, old;
	struct store_acct_record recs[2];
	char euser[4 * STORE_NAME_MAX + 1];
	size_t n = 0;
	int64_t now = wall_ms() / 1000;
	uint8_t rnd[4];
	int have_old, rc;

	if (!a)
		return 0;
	if (!st)
		goto fail;
	memset(&x, 0, sizeof(x));
	if (strlen(l->addr) > STORE_ADDR_MAX || strlen(l->user) > STORE_NAME_MAX ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto fail;
	snprintf(x.addr, sizeof(x.addr), "%s", l->addr);
	snprintf(x.username, sizeof(x.username), "%s", l->user);
	/* unique across gateways and restarts: the NAS, the second and 32
	 * random bits */
	snprintf(x.session_id, sizeof(x.session_id), "%.40s-%08llx-%02x%02x%02x%02x",
		 a->nas_identifier, (unsigned long long)now, rnd[0], rnd[1], rnd[2], rnd[3]);
	if (l->mac && memcmp(l->mac, zero, 6) != 0)
		snprintf(x.mac, sizeof(x.mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0],
			 l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	x.class_len = l->class_len < sizeof(x.class_value) ? l->class_len : sizeof(x.class_value);
	if (x.class_len)
		memcpy(x.class_value, l->class_value, x.class_len);
	snprintf(x.source, sizeof(x.source), "%s", l->source && l->source[0] ? l->source : "local");
	x.authentic = !strncmp(x.source, "radius", 6) ? RADIUS_AUTHENTIC_RADIUS
						      : RADIUS_AUTHENTIC_LOCAL;
	x.started_at = x.updated_at = now;
	x.interval = l->interval ? l->interval : a->cfg->radius_accounting_interval;
	if (x.interval && x.interval < INTERIM_MIN_S)
		x.interval = INTERIM_MIN_S;
	pthread_mutex_lock(&a->write_lock);
	/* the address's earlier session, if its end was not seen: it ends now */
	have_old = store_acct_session_get(st, x.addr, &old) == 0;
	if (have_old) {
		if (a->hooks.counts)
			a->hooks.counts(a->hooks.ud, old.addr, &old.counts);
		record_of(&old, RADIUS_ACCT_STOP, now, &recs[n]);
		recs[n++].terminate_cause = (int)accounting_cause("login_again");
	}
	record_of(&x, RADIUS_ACCT_START, now, &recs[n]);
	memset(&recs[n].counts, 0, sizeof(recs[n].counts));
	n++;
	rc = store_acct_write(st, NULL, &x, 1, recs, n);
	if (rc < 0) {
		pthread_mutex_unlock(&a->write_lock);
		goto fail;
	}
	pthread_mutex_lock(&a->lock);
	rc = remember(a, &x, now);
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&a->write_lock);
	if (rc < 0)
		log_warn("accounting: out of memory; session %s gets no Interim-Update", x.session_id);
	log_info("accounting: session %s of user=\"%s\" started (Acct-Session-Id %s)", x.addr,
		 user_text(euser, sizeof(euser), x.username), x.session_id);
	wake_sender(a);
	return 0;
fail:
	log_warn("accounting: the Start of %s could not be queued; the session is not accounted",
		 l->addr);
	return -1;
}

int accounting_session_stop(struct accounting *a, struct store *st, const char *addr,
			    const char *reason, const struct store_acct_counts *counts)
{
	struct store_acct_session x;
	struct store_acct_record r;
	char euser[4 * STORE_NAME_MAX + 1];
	int64_t now = wall_ms() / 1000;
	long i;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->write_lock);
	pthread_mutex_lock(&a->lock);
	i = find(a, addr);
	if (i >= 0)
		x = a->sessions[i];
	pthread_mutex_unlock(&a->lock);
	if (i < 0) {
		pthread_mutex_unlock(&a->write_lock);
		return 0;
	}
	if (counts && counts->known)
		x.counts = *counts;
	else if (a->hooks.counts)
		a->hooks.counts(a->hooks.ud, addr, &x.counts);
	record_of(&x, RADIUS_ACCT_STOP, now, &r);
	r.terminate_cause = (int)accounting_cause(reason);
	if (!st || store_acct_write(st, addr, NULL, 0, &r, 1) < 0) {
		pthread_mutex_unlock(&a->write_lock);
		log_warn("accounting: the Stop of session %s could not be queued; it goes out at "
			 "the next start", x.session_id);
		return -1;
	}
	pthread_mutex_lock(&a->lock);
	forget(a, find(a, addr));
	pthread_mutex_unlock(&a->lock);
	pthread_mutex_unlock(&a->write_lock);
	log_info("accounting: session %s of user=\"%s\" ended (%s)", x.addr,
		 user_text(euser, sizeof(euser), x.username), reason ? reason : "?");
	wake_sender(a);
	return 0;
}

int accounting_interim_round(struct accounting *a, struct store *st, int64_t now)
{
	struct store_acct_session *due = NULL;
	struct store_acct_record *recs = NULL;
	size_t n = 0, cap;
	int rc = 0;

	pthread_mutex_lock(&a->write_lock);
	pthread_mutex_lock(&a->lock);
	cap = a->n;
	if (cap) {
		due = malloc(cap * sizeof(*due));
		recs = malloc(cap * sizeof(*recs));
	}
	for (size_t i = 0; due && recs && i < a->n; i++) {
		if (!a->next_interim[i] || a->next_interim[i] > now)
			continue;
		due[n++] = a->sessions[i];
		a->next_interim[i] = now + a->sessions[i].interval;
	}
	pthread_mutex_unlock(&a->lock);
	if (cap && (!due || !recs)) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (a->hooks.counts)
			a->hooks.counts(a->hooks.ud, due[i].addr, &due[i].counts);
		due[i].updated_at = now;
		record_of(&due[i], RADIUS_ACCT_INTERIM, now, &recs[i]);
	}
	if (n && store_acct_write(st, NULL, due, n, recs, n) < 0)
		rc = -1;
	else
		rc = (int)n;
	if (n) {
		/* the rows' counts, for a Stop after a crash */
		pthread_mutex_lock(&a->lock);
		for (size_t i = 0; i < n; i++) {
			long k = find(a, due[i].addr);

			if (k >= 0 && !strcmp(a->sessions[k].session_id, due[i].session_id)) {
				a->sessions[k].counts = due[i].counts;
				a->sessions[k].updated_at = now;
			}
		}
		pthread_mutex_unlock(&a->lock);
	}
out:
	pthread_mutex_unlock(&a->write_lock);
	free(due);
	free(recs);
	return rc;
}

/* ------------------------------------------------------------ sending */

/* A record as an Accounting-Request with identifier id into pkt; its
 * length, or -1. */
static int build(struct accounting *a, const struct store_acct_record *r, uint8_t id,
		 const struct sockaddr *nas, int64_t now, uint8_t *pkt, size_t len)
{
	struct sockaddr_storage client;
	uint8_t mac[6];
	unsigned m[6];
	struct radius_accounting ra = {
		.status_type = (uint32_t)r->status_type, .session_id = r->session_id,
		.user = r->username, .class_value = r->class_len ? r->class_value : NULL,
		.class_len = r->class_len, .nas_identifier = a->nas_identifier,
		.nas_address = nas, .nas_port_type = RADIUS_PORT_TYPE_ETHERNET,
		.authentic = (uint32_t)r->authentic, .event_timestamp = (uint32_t)r->event_at,
		/* RFC 2866 §5.2: how long the record waited to be sent */
		.delay_time = now > r->event_at ? (uint32_t)(now - r->event_at) : 0,
		.session_time = (uint32_t)r->session_time, .has_counters = r->counts.known,
		.input_octets = r->counts.in_octets, .output_octets = r->counts.out_octets,
		.input_packets = (uint32_t)r->counts.in_packets,
		.output_packets = (uint32_t)r->counts.out_packets,
		.terminate_cause = (uint32_t)r->terminate_cause,
	};

	memset(&client, 0, sizeof(client));
	if (inet_pton(AF_INET, r->addr, &((struct sockaddr_in *)&client)->sin_addr) == 1) {
		client.ss_family = AF_INET;
		ra.client = (const struct sockaddr *)&client;
	} else if (inet_pton(AF_INET6, r->addr, &((struct sockaddr_in6 *)&client)->sin6_addr) == 1) {
		client.ss_family = AF_INET6;
		ra.client = (const struct sockaddr *)&client;
	}
	if (sscanf(r->mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		ra.client_mac = mac;
	}
	return radius_build_accounting_request(pkt, len, id, &ra, (const uint8_t *)a->secret,
					       a->secret_len);
}

struct flight {
	int answered;
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
};

/*
 * Send the n records to server, each again after the timeout up to
 * retries times, until all are answered. How many were answered (their
 * queue rows deleted from st), or -1 when the server could not be asked.
 */
static int exchange(struct accounting *a, struct store *st, const struct config_addr *server,
		    const struct store_acct_record *recs, size_t n)
{
	struct flight fl[WINDOW];
	uint8_t pkt[RADIUS_PACKET_MAX];
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	const struct sockaddr *nas = NULL;
	size_t answered = 0;
	int fd;

	memset(fl, 0, sizeof(fl));
	fd = socket(server->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&server->sa, server->len) < 0) {
		close(fd);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
		nas = (const struct sockaddr *)&local;
	for (unsigned attempt = 0; attempt <= a->retries && answered < n; attempt++) {
		int64_t now_ms = wall_ms(), deadline = now_ms + a->timeout_ms;

		/* every record not answered yet, each with a new identifier:
		 * its Acct-Delay-Time has changed (RFC 2866 §5.2) */
		for (size_t i = 0; i < n; i++) {
			int len;

			if (fl[i].answered)
				continue;
			fl[i].id = a->next_id++;
			len = build(a, &recs[i], fl[i].id, nas, now_ms / 1000, pkt, sizeof(pkt));
			if (len < 0) {
				/* cannot ever be sent: dropped, said so */
				log_warn("accounting: record %lld of session %s cannot be built; dropped",
					 (long long)recs[i].id, recs[i].session_id);
				store_acct_queue_done(st, recs[i].id);
				fl[i].answered = 1;
				answered++;
				continue;
			}
			memcpy(fl[i].auth, pkt + 4, RADIUS_AUTH_LEN);
			if (send(fd, pkt, (size_t)len, 0) < 0) {
				close(fd);
				return answered ? (int)answered : -1;
			}
			store_acct_queue_attempted(st, recs[i].id);
		}
		while (answered < n) {
			struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
						 { .fd = a->stop_pipe[0], .events = POLLIN } };
			int64_t left = deadline - wall_ms();
			ssize_t got;
			int pr;

			if (left <= 0)
				break;
			pr = poll(pfd, 2, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0 || (pfd[1].revents & POLLIN))
				break;
			got = recv(fd, pkt, sizeof(pkt), 0);
			if (got < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				/* ICMP port unreachable: nothing listens there */
				close(fd);
				return answered ? (int)answered : -1;
			}
			for (size_t i = 0; i < n; i++) {
				enum radius_check c;

				if (fl[i].answered || got < RADIUS_HEADER_LEN || pkt[1] != fl[i].id)
					continue;
				c = radius_verify_accounting_response(pkt, (size_t)got, fl[i].id,
								      fl[i].auth,
								      (const uint8_t *)a->secret,
								      a->secret_len);
				if (c != RADIUS_OK) {
					log_warn("accounting: %s: answer refused: %s", server->text,
						 radius_check_str(c));
					break;
				}
				fl[i].answered = 1;
				answered++;
				if (store_acct_queue_done(st, recs[i].id) < 0)
					log_warn("accounting: record %lld was answered but stays queued "
						 "(database); it will be sent again",
						 (long long)recs[i].id);
				break;
			}
		}
		pthread_mutex_lock(&a->lock);
		if (a->stopping)
			attempt = a->retries;
		pthread_mutex_unlock(&a->lock);
	}
	close(fd);
	return answered ? (int)answered : -1;
}

/*
 * The oldest queued records, at most WINDOW, and at most one of each
 * session: the next of a session goes out only once the one before is
 * answered, so that a server sees every session's records in their order
 * (its Start before its Stop) while different sessions' overlap. How many
 * went into recs, or -1.
 */
static int next_window(struct store *st, struct store_acct_record *look,
		       struct store_acct_record *recs)
{
	int n = store_acct_queue_peek(st, look, LOOKAHEAD), k = 0;

	for (int i = 0; i < n && k < WINDOW; i++) {
		int taken = 0;

		for (int j = 0; j < i && !taken; j++)
			taken = !strcmp(look[j].session_id, look[i].session_id);
		if (!taken)
			recs[k++] = look[i];
	}
	return n < 0 ? -1 : k;
}

/* Send what is queued, oldest first, while servers answer. */
static void send_queued(struct accounting *a, struct store *st)
{
	struct store_acct_record *recs = malloc(WINDOW * sizeof(*recs));
	struct store_acct_record *look = malloc(LOOKAHEAD * sizeof(*look));

	if (!recs || !look)
		goto out;
	for (;;) {
		int n, got = -1;

		pthread_mutex_lock(&a->lock);
		if (a->stopping) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		pthread_mutex_unlock(&a->lock);
		n = next_window(st, look, recs);
		if (n <= 0)
			break;
		for (size_t k = 0; k < a->n_servers && got < 0; k++) {
			size_t s = (a->current + k) % a->n_servers;

			got = exchange(a, st, &a->servers[s], recs, (size_t)n);
			if (got >= 0) {
				if (s != a->current)
					log_notice("accounting: sending to %s", a->servers[s].text);
				a->current = s;
			} else {
				log_info("accounting: %s did not answer", a->servers[s].text);
			}
		}
		if (got < 0) {
			a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : BACKOFF_MIN_MS;
			if (a->backoff_ms > BACKOFF_MAX_MS)
				a->backoff_ms = BACKOFF_MAX_MS;
			a->retry_at_ms = wall_ms() + a->backoff_ms;
			log_warn("accounting: no server answered; %d record%s wait (next attempt in "
				 "%d s)", store_acct_queue_count(st),
				 store_acct_queue_count(st) == 1 ? "" : "s", a->backoff_ms / 1000);
			break;
		}
		if (a->backoff_ms)
			log_notice("accounting: %s answers again", a->servers[a->current].text);
		a->backoff_ms = 0;
	}
out:
	free(recs);
	free(look);
}

static void *sender_thread(void *arg)
{
	struct accounting *a = arg;
	char err[256];
	struct store *st = store_open(a->cfg->db_path, err, sizeof(err));

	if (!st) {
		log_error("accounting: cannot open the database: %s; nothing is sent", err);
		return NULL;
	}
	for (;;) {
		struct timespec ts;
		int64_t now = wall_ms(), until = now + TICK_MS;

		if (a->backoff_ms && a->retry_at_ms > now && a->retry_at_ms < until)
			until = a->retry_at_ms;
		ts.tv_sec = until / 1000;
		ts.tv_nsec = (until % 1000) * 1000000L;
		pthread_mutex_lock(&a->lock);
		while (!a->wake && !a->stopping &&
		       pthread_cond_timedwait(&a->cond, &a->lock, &ts) != ETIMEDOUT)
			;
		a->wake = 0;
		if (a->stopping) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		pthread_mutex_unlock(&a->lock);
		now = wall_ms();
		if (accounting_interim_round(a, st, now / 1000) < 0)
			log_warn("accounting: the Interim-Updates could not be queued; next round");
		if (!a->backoff_ms || now >= a->retry_at_ms)
			send_queued(a, st);
	}
	store_close(st);
	return NULL;
}

/* ------------------------------------------------------------ life */

struct restore_ctx {
	struct accounting *a;
	struct store_acct_session *lost;
	size_t n_lost, cap_lost;
	int64_t now;
	int oom;
};

static int restore_cb(const struct store_acct_session *x, void *ud)
{
	struct restore_ctx *c = ud;
	struct accounting *a = c->a;

	if (!a->hooks.alive || a->hooks.alive(a->hooks.ud, x->addr, x->username)) {
		if (remember(a, x, c->now) < 0)
			c->oom = 1;
		return 0;
	}
	if (c->n_lost == c->cap_lost) {
		size_t cap = c->cap_lost ? c->cap_lost * 2 : 16;
		struct store_acct_session *p = realloc(c->lost, cap * sizeof(*p));

		if (!p) {
			c->oom = 1;
			return 1;
		}
		c->lost = p;
		c->cap_lost = cap;
	}
	c->lost[c->n_lost++] = *x;
	return 0;
}

/* The accounted sessions the restart did not restore get their Stop. */
static int restore(struct accounting *a, struct store *st)
{
	struct restore_ctx c = { .a = a, .now = wall_ms() / 1000 };
	char euser[4 * STORE_NAME_MAX + 1];
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (store_acct_session_list(st, restore_cb, &c) < 0 || c.oom)
		rc = -1;
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; rc == 0 && i < c.n_lost; i++) {
		struct store_acct_record r;
		const struct store_acct_session *x = &c.lost[i];

		/* what is known of it is its last record: its time and counts */
		record_of(x, RADIUS_ACCT_STOP, x->updated_at, &r);
		r.terminate_cause = (int)accounting_cause("restart_lost");
		if (store_acct_write(st, x->addr, NULL, 0, &r, 1) < 0)
			rc = -1;
		else
			log_notice("accounting: session %s of user=\"%s\" did not survive the "
				   "restart; its Stop is queued", x->addr,
				   user_text(euser, sizeof(euser), x->username));
	}
	free(c.lost);
	return rc;
}

struct accounting *accounting_new(const struct config *cfg, struct store *st,
				  const struct accounting_hooks *hooks, char *err, size_t errlen)
{
	struct accounting *a;
	long n;

	err[0] = '\0';
	if (cfg->n_radius_accounting_servers == 0 && cfg->n_radius_servers == 0)
		return NULL;
	if (!cfg->radius_secret_file[0]) {
		snprintf(err, errlen, "accounting: [radius] secret_file is not set");
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "accounting: out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->stop_pipe[0] = a->stop_pipe[1] = -1;
	pthread_mutex_init(&a->write_lock, NULL);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (hooks)
		a->hooks = *hooks;
	n = secretfile_read(cfg->radius_secret_file, a->secret, sizeof(a->secret), err, errlen);
	if (n < 0)
		goto fail;
	a->secret_len = (size_t)n;
	if (cfg->n_radius_accounting_servers) {
		memcpy(a->servers, cfg->radius_accounting_servers, sizeof(a->servers));
		a->n_servers = cfg->n_radius_accounting_servers;
	} else {
		/* the authentication servers' addresses, on the accounting port */
		for (size_t i = 0; i < cfg->n_radius_servers; i++) {
			struct config_addr *s = &a->servers[i];
			char host[INET6_ADDRSTRLEN];

			*s = cfg->radius_servers[i];
			if (s->sa.ss_family == AF_INET) {
				((struct sockaddr_in *)&s->sa)->sin_port = htons(ACCT_PORT);
				inet_ntop(AF_INET, &((struct sockaddr_in *)&s->sa)->sin_addr, host,
					  sizeof(host));
				snprintf(s->text, sizeof(s->text), "%s:%d", host, ACCT_PORT);
			} else {
				((struct sockaddr_in6 *)&s->sa)->sin6_port = htons(ACCT_PORT);
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->sa)->sin6_addr, host,
					  sizeof(host));
				snprintf(s->text, sizeof(s->text), "[%s]:%d", host, ACCT_PORT);
			}
		}
		a->n_servers = cfg->n_radius_servers;
	}
	if (cfg->radius_nas_identifier[0])
		snprintf(a->nas_identifier, sizeof(a->nas_identifier), "%s", cfg->radius_nas_identifier);
	else if (gethostname(a->nas_identifier, sizeof(a->nas_identifier) - 1) < 0)
		snprintf(a->nas_identifier, sizeof(a->nas_identifier), "portcullis");
	a->timeout_ms = cfg->radius_timeout * 1000u;
	a->retries = cfg->radius_retries;
	if (RAND_bytes(&a->next_id, 1) != 1)
		a->next_id = 0;
	if (pipe2(a->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "accounting: pipe: %s", strerror(errno));
		goto fail;
	}
	if (restore(a, st) < 0) {
		snprintf(err, errlen, "accounting: cannot read the accounted sessions from the database");
		goto fail;
	}
	if (pthread_create(&a->thread, NULL, sender_thread, a) != 0) {
		snprintf(err, errlen, "accounting: cannot start the sender thread");
		goto fail;
	}
	a->started = 1;
	log_notice("accounting: %zu session%s accounted; sending to %s%s", a->n,
		   a->n == 1 ? "" : "s", a->servers[0].text, a->n_servers > 1 ? " and others" : "");
	return a;
fail:
	accounting_free(a);
	return NULL;
}

void accounting_free(struct accounting *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->stopping = 1;
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		if (write(a->stop_pipe[1], "x", 1) < 0)
			log_debug("accounting: stop pipe: %s", strerror(errno));
		pthread_join(a->thread, NULL);
	}
	if (a->stop_pipe[0] >= 0)
		close(a->stop_pipe[0]);
	if (a->stop_pipe[1] >= 0)
		close(a->stop_pipe[1]);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a->sessions);
	free(a->next_interim);
	pthread_mutex_destroy(&a->write_lock);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
