#include "audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth.h"
#include "cidr.h"
#include "http.h"
#include "lockout.h"
#include "log.h"
#include "loop.h"
#include "store.h"

#define LOGIN_QUEUE        1024
#define AUDIT_BATCH        512
/*
 * The audit trail is bounded per source: identical failures (address,
 * mode, scheme, username, reason) within AUDIT_RUN_MS of the first are one
 * row with a count; and one address opens at most AUDIT_ROWS_PER_SOURCE
 * new rows a minute: past that, its failures in the minute fold into one
 * row per mode, scheme, reason and username, the username dropped unless
 * the failure names a real account (a wrong password, a disabled or
 * expired account, a nonce answered with the right password): junk names
 * cannot crowd out the name of the account under attack, and the named
 * rows past the allowance are bounded by the number of accounts. A folded
 * row needs a run to fold into: when none is free (the run table is full)
 * the failure gets no row and is counted in audit_unrecorded. What a
 * failure says is still counted and logged (the fail2ban line) each time.
 */
#define AUDIT_RUN_MS          60000
#define AUDIT_ROWS_PER_SOURCE 10
#define AUDIT_RUN_SLOTS       4096     /* power of two */
#define AUDIT_RUN_PROBE       4
#define AUDIT_SOURCE_SLOTS    4096     /* power of two */
#define AUDIT_SOURCE_PROBE    8
#define AUDIT_ADDS_MAX        256      /* count updates written a round */

/* A run of identical failures: one audit row, counted on. */
struct audit_run {
	uint64_t hash;            /* of the identity; 0: free */
	int64_t first_ms, last_ms;
	int64_t row_id;           /* 0 while its row is queued */
	uint32_t extra;           /* failures joined and not yet written */
	uint32_t gen;             /* bumped whenever the slot is given out */
};

/* The new rows an address opened in the current minute. */
struct audit_source {
	uint64_t hash;
	int64_t minute_ms;
	uint32_t rows;
};

/* Which run a queued row starts (slot + 1, 0: none). */
struct audit_ref {
	uint32_t slot;
	uint32_t gen;
};

struct audit {
	/* the failure queue and the logins to record, drained by the writer */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct store_failure *audit;
	struct audit_ref *audit_refs;     /* beside audit[] */
	size_t audit_head, audit_len, audit_cap;
	uint8_t key[16];                  /* SipHash key of runs and sources */
	struct audit_run *runs;           /* AUDIT_RUN_SLOTS */
	struct audit_source *sources;     /* AUDIT_SOURCE_SLOTS */
	struct { char name[AUTH_USER_MAX + 1]; int64_t when; } logins[LOGIN_QUEUE];
	size_t n_logins;
	int stopping;
	int flush_requested;
	unsigned retention_days;          /* atomic */

	/* the writer's own */
	int db_down;
	uint64_t dropped_reported;        /* audit_dropped when last logged */
};

/* The identity of a failure, hashed under the gate's audit key. */
static uint64_t audit_hash(const struct audit *a, const char *addr, const char *mode,
			   const char *scheme, const char *username, const char *reason)
{
	const char *parts[5] = { addr, mode, scheme, username, reason };
	char buf[46 + 16 + 16 + AUTH_USER_MAX + 24 + 5];
	size_t n = 0;
	uint64_t h;

	for (int i = 0; i < 5; i++) {
		size_t len = strnlen(parts[i], AUTH_USER_MAX);

		memcpy(buf + n, parts[i], len);
		n += len;
		buf[n++] = '\0';
	}
	h = lockout_siphash(a->key, buf, n);
	return h ? h : 1;
}

/* The run still open for hash at now, or NULL. q_lock held. */
static struct audit_run *audit_run_find(struct audit *a, uint64_t hash, int64_t now)
{
	size_t base = (size_t)hash & (AUDIT_RUN_SLOTS - AUDIT_RUN_PROBE);

	for (size_t i = 0; i < AUDIT_RUN_PROBE; i++) {
		struct audit_run *r = &a->runs[base + i];

		if (r->hash == hash && now - r->first_ms < AUDIT_RUN_MS && now >= r->first_ms)
			return r;
	}
	return NULL;
}

/* A slot for a new run: a free one, or one whose run is over and fully
 * written; none (the row is then written alone) if every slot of its
 * group still has something to write. q_lock held. */
static struct audit_run *audit_run_new(struct audit *a, uint64_t hash, int64_t now)
{
	size_t base = (size_t)hash & (AUDIT_RUN_SLOTS - AUDIT_RUN_PROBE);

	for (size_t i = 0; i < AUDIT_RUN_PROBE; i++) {
		struct audit_run *r = &a->runs[base + i];

		if (r->hash == 0 || (r->row_id != 0 && r->extra == 0 &&
				     (now - r->first_ms >= AUDIT_RUN_MS || now < r->first_ms))) {
			uint32_t gen = r->gen + 1;

			memset(r, 0, sizeof(*r));
			r->hash = hash;
			r->first_ms = r->last_ms = now;
			r->gen = gen;
			return r;
		}
	}
	return NULL;
}

/* Whether the client may open another row this minute (and count it);
 * counted per client key, so an IPv6 host counts once for its /64. Each
 * key has a slot of its own within its group of AUDIT_SOURCE_PROBE: a
 * slot is reused only once its minute is over, so two clients never share
 * (and reset) one count; a client that finds its group full of live
 * minutes may open no row (its failures fold). */
static int audit_source_take(struct audit *a, const struct sockaddr *client, int64_t now)
{
	char key[64];
	uint64_t h = lockout_siphash(a->key, key,
				     strlen(cidr_client_key_text(client, key, sizeof(key))));
	size_t base = (size_t)h & (AUDIT_SOURCE_SLOTS - AUDIT_SOURCE_PROBE);
	struct audit_source *src = NULL, *spare = NULL;

	if (h == 0)
		h = 1;
	for (size_t i = 0; i < AUDIT_SOURCE_PROBE; i++) {
		struct audit_source *s = &a->sources[base + i];
		int over = s->hash == 0 || now - s->minute_ms >= 60000 || now < s->minute_ms;

		if (s->hash == h) {
			src = s;
			break;
		}
		if (over && spare == NULL)
			spare = s;
	}
	if (src == NULL && spare == NULL)
		return 0;
	if (src == NULL) {
		src = spare;
		src->hash = h;
		src->minute_ms = now;
		src->rows = 0;
	} else if (now - src->minute_ms >= 60000 || now < src->minute_ms) {
		src->minute_ms = now;
		src->rows = 0;
	}
	if (src->rows >= AUDIT_ROWS_PER_SOURCE)
		return 0;
	src->rows++;
	return 1;
}

/* Whether a failure for this reason can only come from a real account
 * (the password, or a Digest response, was checked against its record). */
int audit_reason_names_account(enum metrics_reason reason)
{
	switch (reason) {
	case METRICS_REASON_WRONG_PASSWORD:
	case METRICS_REASON_DISABLED:
	case METRICS_REASON_EXPIRED:
	case METRICS_REASON_STALE_NONCE:
	case METRICS_REASON_REPLAYED_NONCE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Count, log and queue one failure. Never the password. The log line is for
 * fail2ban: fixed words, the address first, the username escaped so that it
 * cannot forge a line or a field; one line per failure. The audit row is
 * shared by a run of identical failures (see AUDIT_RUN_MS). named: the
 * username is a real account's (kept in a folded row).
 */
void audit_failure(struct audit *a, const char *mode_text, const struct sockaddr *client,
		   const char *scheme, const char *username, enum metrics_reason reason,
		   const char *host, const char *user_agent, int named)
{
	struct store_failure *f;
	struct audit_run *run;
	char addr[46], euser[3 * 64 + 8];
	const char *reason_text = metrics_reason_name(reason);
	int64_t now = loop_wall_ms();
	uint64_t hash;
	size_t at;
	int folded = 0;

	__atomic_add_fetch(&metrics.failures[reason], 1, __ATOMIC_RELAXED);
	cidr_addr_text(client, addr, sizeof(addr));
	log_escape(euser, sizeof(euser), username, strlen(username));
	log_notice("auth failure: client=%s user=\"%s\" reason=%s mode=%s",
		   addr, euser, reason_text, mode_text);

	pthread_mutex_lock(&a->q_lock);
	hash = audit_hash(a, addr, mode_text, scheme, username, reason_text);
	run = audit_run_find(a, hash, now);
	if (run == NULL && !audit_source_take(a, client, now)) {
		/* past the address's rows for the minute: into its folded run,
		 * with no username unless it names a real account */
		folded = 1;
		if (!named) {
			username = "";
			hash = audit_hash(a, addr, mode_text, scheme, username, reason_text);
			run = audit_run_find(a, hash, now);
		}
	}
	if (run != NULL) {
		run->extra++;
		if (now > run->last_ms)
			run->last_ms = now;
		pthread_mutex_unlock(&a->q_lock);
		return;
	}
	if (a->audit_len == a->audit_cap) {
		pthread_mutex_unlock(&a->q_lock);
		metrics_inc(audit_dropped);
		return;
	}
	/* a folded row is what bounds the address's rows past its allowance:
	 * without a run to count the next ones in it would be the first of
	 * as many rows as failures */
	run = audit_run_new(a, hash, now);
	if (run == NULL && folded) {
		pthread_mutex_unlock(&a->q_lock);
		metrics_inc(audit_unrecorded);
		return;
	}
	at = (a->audit_head + a->audit_len) % a->audit_cap;
	f = &a->audit[at];
	memset(f, 0, sizeof(*f));
	f->time_ms = now;
	f->last_ms = now;
	f->count = 1;
	snprintf(f->client_addr, sizeof(f->client_addr), "%s", addr);
	f->client_port = cidr_addr_port(client);
	snprintf(f->mode, sizeof(f->mode), "%s", mode_text);
	snprintf(f->scheme, sizeof(f->scheme), "%s", scheme);
	http_text_copy(f->username, sizeof(f->username), username, strlen(username));
	snprintf(f->reason, sizeof(f->reason), "%s", reason_text);
	http_text_copy(f->host, sizeof(f->host), host, strlen(host));
	http_text_copy(f->user_agent, sizeof(f->user_agent), user_agent, strlen(user_agent));
	a->audit_refs[at].slot = run ? (uint32_t)(run - a->runs) + 1 : 0;
	a->audit_refs[at].gen = run ? run->gen : 0;
	a->audit_len++;
	if (a->audit_len >= AUDIT_BATCH)
		pthread_cond_signal(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
}

/* The last "last login" this thread queued: a busy user's requests would
 * otherwise each take the queue's lock, shared by every worker, to write
 * the same second again. */
static __thread char login_memo_name[AUTH_USER_MAX + 1];
static __thread int64_t login_memo_when;

void audit_login(struct audit *a, const char *username)
{
	int64_t now = loop_wall_ms() / 1000;

	if (login_memo_when == now && strcmp(login_memo_name, username) == 0)
		return;
	login_memo_when = now;
	snprintf(login_memo_name, sizeof(login_memo_name), "%s", username);
	pthread_mutex_lock(&a->q_lock);
	for (size_t i = 0; i < a->n_logins; i++) {
		if (strcmp(a->logins[i].name, username) == 0) {
			a->logins[i].when = now;
			goto out;
		}
	}
	/* the queue only records "last login"; losing one under a flood of
	 * distinct users costs a slightly older timestamp, nothing more */
	if (a->n_logins < LOGIN_QUEUE) {
		snprintf(a->logins[a->n_logins].name, sizeof(a->logins[0].name), "%s", username);
		a->logins[a->n_logins].when = now;
		a->n_logins++;
	}
out:
	pthread_mutex_unlock(&a->q_lock);
}

/* The run a queued row starts, if its slot still holds it. q_lock held. */
static struct audit_run *audit_ref_run(struct audit *a, struct audit_ref ref)
{
	struct audit_run *r;

	if (ref.slot == 0)
		return NULL;
	r = &a->runs[ref.slot - 1];
	return r->gen == ref.gen && r->hash != 0 ? r : NULL;
}

static void db_write_failed(struct audit *a, int rc)
{
	/* the records stay queued (and the counts in their runs): they are
	 * written when the database is back, or counted as dropped if the
	 * queue overflows first */
	metrics_inc(audit_write_errors);
	if (!a->db_down)
		log_error("audit: cannot write to the database (%s); %zu records wait in memory, "
			  "authenticated traffic continues",
			  rc == -ENOSPC ? "disk full" : rc == -EBUSY ? "database locked" : "error",
			  a->audit_len);
	a->db_down = 1;
	metrics_set(db_ok, 0);
}

static void db_writable(struct audit *a)
{
	if (a->db_down) {
		log_notice("audit: database writable again, queued records written");
		a->db_down = 0;
		metrics_set(db_ok, 1);
	}
}

/* Write the counts runs gathered since their rows were written, and free
 * the runs that are over. 0, or -1 (the database refused). */
static int write_runs(struct audit *a, struct store *st)
{
	struct store_failure_add adds[AUDIT_ADDS_MAX];
	struct audit_ref refs[AUDIT_ADDS_MAX];
	int64_t now = loop_wall_ms();
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&a->q_lock);
	for (size_t i = 0; i < AUDIT_RUN_SLOTS && n < AUDIT_ADDS_MAX; i++) {
		struct audit_run *r = &a->runs[i];

		if (r->hash == 0 || r->row_id == 0)
			continue;
		if (r->extra != 0) {
			adds[n] = (struct store_failure_add){ r->row_id, r->extra, r->last_ms };
			refs[n] = (struct audit_ref){ (uint32_t)i + 1, r->gen };
			n++;
		} else if (now - r->first_ms >= AUDIT_RUN_MS || now < r->first_ms) {
			r->hash = 0;
		}
	}
	pthread_mutex_unlock(&a->q_lock);
	if (n == 0)
		return 0;
	rc = store_failures_write(st, NULL, 0, NULL, adds, n);
	if (rc < 0) {
		db_write_failed(a, rc);
		return -1;
	}
	db_writable(a);
	/* failures that joined meanwhile stay for the next round */
	pthread_mutex_lock(&a->q_lock);
	for (size_t i = 0; i < n; i++) {
		struct audit_run *r = audit_ref_run(a, refs[i]);

		if (r != NULL)
			r->extra -= (uint32_t)adds[i].count;
	}
	pthread_mutex_unlock(&a->q_lock);
	return 0;
}

static void write_rows(struct audit *a, struct store *st)
{
	struct store_failure batch[64];
	struct audit_ref refs[64];
	uint32_t taken[64];
	int64_t ids[64];

	for (;;) {
		size_t n = 0;
		int rc;

		pthread_mutex_lock(&a->q_lock);
		while (n < 64 && n < a->audit_len) {
			size_t at = (a->audit_head + n) % a->audit_cap;
			struct audit_run *r;

			batch[n] = a->audit[at];
			refs[n] = a->audit_refs[at];
			taken[n] = 0;
			/* the failures that joined the run before its row is written
			 * are written with it */
			r = audit_ref_run(a, refs[n]);
			if (r != NULL) {
				taken[n] = r->extra;
				batch[n].count = 1 + (int64_t)r->extra;
				batch[n].last_ms = r->last_ms;
			}
			n++;
		}
		pthread_mutex_unlock(&a->q_lock);
		if (n == 0)
			break;
		rc = store_failures_write(st, batch, n, ids, NULL, 0);
		if (rc < 0) {
			db_write_failed(a, rc);
			return;
		}
		db_writable(a);
		metrics_add(audit_written, n);
		pthread_mutex_lock(&a->q_lock);
		for (size_t i = 0; i < n; i++) {
			struct audit_run *r = audit_ref_run(a, refs[i]);

			if (r != NULL) {
				r->extra -= taken[i];
				r->row_id = ids[i];
			}
		}
		a->audit_head = (a->audit_head + n) % a->audit_cap;
		a->audit_len -= n;
		pthread_mutex_unlock(&a->q_lock);
	}
	write_runs(a, st);
}

/* Say in the log when the queue overflowed, at most once a period, with
 * the count since the last report (the total is in the metrics). */
static void report_dropped(struct audit *a)
{
	uint64_t dropped = metrics_get(audit_dropped);

	if (dropped == a->dropped_reported)
		return;
	log_error("audit: queue full (%zu records): %llu failure records lost, %llu in all",
		  a->audit_cap, (unsigned long long)(dropped - a->dropped_reported),
		  (unsigned long long)dropped);
	a->dropped_reported = dropped;
}

static void write_logins(struct audit *a, struct store *st)
{
	size_t n;
	struct { char name[AUTH_USER_MAX + 1]; int64_t when; } *copy;

	pthread_mutex_lock(&a->q_lock);
	n = a->n_logins;
	copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (copy) {
		memcpy(copy, a->logins, n * sizeof(*copy));
		a->n_logins = 0;
	}
	pthread_mutex_unlock(&a->q_lock);
	for (size_t i = 0; copy && i < n; i++) {
		int rc = store_user_touch_login(st, copy[i].name, copy[i].when);

		if (rc < 0) {
			/* each try waits out the busy timeout: one failure ends the
			 * batch, so a locked database cannot hold the audit writer
			 * back for a busy timeout per user */
			if (!a->db_down)
				log_error("last-login times: cannot write to the database (%s); %zu dropped, "
					  "audit records wait in memory, authenticated traffic continues",
					  rc == -ENOSPC ? "disk full" : rc == -EBUSY ? "database locked" : "error",
					  n - i);
			a->db_down = 1;
			metrics_set(db_ok, 0);
			break;
		}
		if (a->db_down && i == 0) {
			log_notice("database writable again");
			a->db_down = 0;
			metrics_set(db_ok, 1);
		}
	}
	free(copy);
}

void audit_prune(struct audit *a, struct store *st)
{
	unsigned days = __atomic_load_n(&a->retention_days, __ATOMIC_RELAXED);
	int64_t cutoff = loop_wall_ms() - (int64_t)days * 86400 * 1000;

	if (store_failures_prune(st, cutoff) < 0)
		log_warn("audit: pruning old records failed");
}

void audit_write(struct audit *a, struct store *st)
{
	write_rows(a, st);
	report_dropped(a);
	write_logins(a, st);
}

void audit_set_retention(struct audit *a, unsigned days)
{
	__atomic_store_n(&a->retention_days, days, __ATOMIC_RELAXED);
}

int audit_wait(struct audit *a, unsigned period_ms, int *flush)
{
	struct timespec ts;
	int stopping;

	pthread_mutex_lock(&a->q_lock);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += period_ms / 1000;
	ts.tv_nsec += (long)(period_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (!a->stopping && !a->flush_requested && a->audit_len < AUDIT_BATCH)
		pthread_cond_timedwait(&a->q_cond, &a->q_lock, &ts);
	stopping = a->stopping;
	*flush = a->flush_requested;
	a->flush_requested = 0;
	pthread_mutex_unlock(&a->q_lock);
	return stopping;
}

void audit_request_flush(struct audit *a)
{
	pthread_mutex_lock(&a->q_lock);
	a->flush_requested = 1;
	pthread_cond_signal(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
}

void audit_stop(struct audit *a)
{
	pthread_mutex_lock(&a->q_lock);
	a->stopping = 1;
	pthread_cond_signal(&a->q_cond);
	pthread_mutex_unlock(&a->q_lock);
}

struct audit *audit_new(size_t queue_size, unsigned retention_days, char *err, size_t errlen)
{
	struct audit *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->q_lock, NULL);
	pthread_cond_init(&a->q_cond, NULL);
	a->retention_days = retention_days;
	a->audit_cap = queue_size;
	a->audit = calloc(a->audit_cap, sizeof(*a->audit));
	a->audit_refs = calloc(a->audit_cap, sizeof(*a->audit_refs));
	a->runs = calloc(AUDIT_RUN_SLOTS, sizeof(*a->runs));
	a->sources = calloc(AUDIT_SOURCE_SLOTS, sizeof(*a->sources));
	if (!a->audit || !a->audit_refs || !a->runs || !a->sources) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (getrandom(a->key, sizeof(a->key), 0) != sizeof(a->key)) {
		snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
		goto fail;
	}
	return a;
fail:
	audit_free(a);
	return NULL;
}

void audit_free(struct audit *a)
{
	if (!a)
		return;
	if (a->audit_len)
		log_error("audit: %zu records could not be written before exit", a->audit_len);
	free(a->audit);
	free(a->audit_refs);
	free(a->runs);
	free(a->sources);
	pthread_mutex_destroy(&a->q_lock);
	pthread_cond_destroy(&a->q_cond);
	free(a);
}
