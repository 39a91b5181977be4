#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cidr.h"
#include "lockout.h"
#include "log.h"

#define NAME_MAX_LEN     253        /* RFC 1035 §2.3.4, as text without the root dot */
#define CACHE_WAYS       4          /* entries a name may occupy: one set */
#define CLIENT_BUCKETS   1024
#define RESOLV_CONF      "/etc/resolv.conf"
#define RESOLV_CHECK_S   2          /* resolv.conf looked at for changes */
/* resolv.conf(5)'s defaults and bounds for timeout: and attempts: */
#define TIMEOUT_DEFAULT  5
#define TIMEOUT_MAX      30
#define ATTEMPTS_DEFAULT 2
#define ATTEMPTS_MAX     5

/* An address as the cache keeps it: no port, no padding of sockaddr. */
struct cached_addr {
	uint8_t family;
	uint8_t bytes[16];
};

struct cache_entry {
	uint64_t hash;                  /* 0: empty */
	int64_t expires_ms;             /* monotonic */
	char name[NAME_MAX_LEN + 1];
	uint8_t n;
	struct cached_addr addrs[RESOLVE_MAX_ADDRS];
};

/* How many lookups one client address has in flight; exists while > 0. */
struct client_count {
	struct client_count *next;
	uint8_t family;
	uint8_t bytes[16];
	unsigned n;
};

struct resolver {
	uint8_t key[16];                /* SipHash: names and addresses hashed */
	pthread_mutex_t cache_lock;
	struct cache_entry *cache;
	size_t n_sets;                  /* 0: no cache */
	pthread_mutex_t clients_lock;
	struct client_count *clients[CLIENT_BUCKETS];
	int library_ready;
};

/* One c-ares channel. A channel reads resolv.conf once, when it is made:
 * when the file changes (DHCP on the uplink) new lookups go to a new one,
 * and the old one is retired, freed once its lookups have ended. */
struct resolve_ares {
	struct resolve_channel *ch;
	ares_channel ares;
	size_t n_queries;
	struct resolve_ares *next;            /* retired ones */
};

struct resolve_sock {
	struct loop_watch watch;
	struct resolve_ares *ra;              /* whose socket it is */
	struct resolve_sock *next;
};

struct resolve_query {
	struct resolve_ares *ra;
	struct resolve_query *prev, *next;    /* the channel's in flight */
	struct client_count *client;          /* NULL: not counted */
	char name[NAME_MAX_LEN + 1];
	resolve_done_cb cb;                   /* NULL once cancelled */
	void *ud;
	int in_submit;                        /* ares_getaddrinfo is still running */
	int finished;                         /* answered inside ares_getaddrinfo */
	struct resolve_answer answer;         /* for that case */
};

struct resolve_channel {
	struct resolver *r;
	struct loop *loop;
	struct resolve_ares *current;         /* where new lookups go */
	struct resolve_ares *retired;
	struct loop_watch timer;              /* c-ares' own timeouts */
	struct resolve_sock *socks;           /* of every c-ares channel */
	struct resolve_query *queries;
	size_t n_queries;
	struct stat conf;                     /* resolv.conf as current read it */
	int64_t conf_checked;                 /* monotonic s */
};

/* ------------------------------------------------------------ cache */

/* Lower-case, without the root's trailing dot; -1 if too long or empty. */
static int name_normalize(const char *host, char out[NAME_MAX_LEN + 1])
{
	size_t len = strlen(host);

	if (len && host[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[len] = '\0';
	return 0;
}

static uint64_t name_hash(const struct resolver *r, const char *name)
{
	uint64_t h = lockout_siphash(r->key, name, strlen(name));

	return h ? h : 1;
}

static void addr_to_sockaddr(const struct cached_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->bytes, 16);
	}
}

static int cache_get(struct resolver *r, const char *name, int64_t now_ms,
		     struct resolve_answer *answer)
{
	uint64_t h;
	struct cache_entry *set;
	int hit = 0;

	if (!r->n_sets)
		return 0;
	h = name_hash(r, name);
	set = &r->cache[(h % r->n_sets) * CACHE_WAYS];
	pthread_mutex_lock(&r->cache_lock);
	for (size_t i = 0; i < CACHE_WAYS; i++) {
		struct cache_entry *e = &set[i];

		if (e->hash != h || e->expires_ms <= now_ms || strcmp(e->name, name) != 0)
			continue;
		answer->status = RESOLVE_OK;
		answer->error = NULL;
		answer->from_cache = 1;
		answer->n = e->n;
		for (size_t k = 0; k < e->n; k++)
			addr_to_sockaddr(&e->addrs[k], &answer->addrs[k]);
		hit = 1;
		break;
	}
	pthread_mutex_unlock(&r->cache_lock);
	return hit;
}

/* Keep answer for ttl seconds: in the name's set, over the same name, an
 * empty or expired entry, or else the one that expires first. */
static void cache_put(struct resolver *r, const char *name, const struct resolve_answer *answer,
		      unsigned ttl, int64_t now_ms)
{
	uint64_t h;
	struct cache_entry *set, *victim = NULL;

	if (!r->n_sets || ttl == 0 || answer->status != RESOLVE_OK || answer->n == 0)
		return;
	if (ttl > RESOLVE_TTL_MAX)
		ttl = RESOLVE_TTL_MAX;
	h = name_hash(r, name);
	set = &r->cache[(h % r->n_sets) * CACHE_WAYS];
	pthread_mutex_lock(&r->cache_lock);
	for (size_t i = 0; i < CACHE_WAYS && !victim; i++)
		if (set[i].hash == h && strcmp(set[i].name, name) == 0)
			victim = &set[i];
	for (size_t i = 0; i < CACHE_WAYS && !victim; i++)
		if (set[i].hash == 0 || set[i].expires_ms <= now_ms)
			victim = &set[i];
	if (!victim) {
		victim = &set[0];
		for (size_t i = 1; i < CACHE_WAYS; i++)
			if (set[i].expires_ms < victim->expires_ms)
				victim = &set[i];
	}
	victim->hash = h;
	victim->expires_ms = now_ms + (int64_t)ttl * 1000;
	snprintf(victim->name, sizeof(victim->name), "%s", name);
	victim->n = (uint8_t)answer->n;
	for (size_t k = 0; k < answer->n; k++) {
		const struct sockaddr_storage *ss = &answer->addrs[k];

		memset(&victim->addrs[k], 0, sizeof(victim->addrs[k]));
		victim->addrs[k].family = (uint8_t)ss->ss_family;
		if (ss->ss_family == AF_INET)
			memcpy(victim->addrs[k].bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		else
			memcpy(victim->addrs[k].bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
	pthread_mutex_unlock(&r->cache_lock);
}

/* ------------------------------------------------------------ per-client counts */

/* Lookups are counted per client key (cidr_client_key): an IPv4 address,
 * or an IPv6 /64, which one SLAAC host can fill with addresses. */
static int client_key(const struct sockaddr *sa, uint8_t *family, uint8_t bytes[16])
{
	struct cidr key;

	if (cidr_client_key(sa, &key) < 0)
		return -1;
	*family = (uint8_t)key.family;
	memcpy(bytes, key.addr, 16);
	return 0;
}

/* Count one more lookup for client; NULL (nothing counted) when it has
 * limit in flight already or memory is short. */
static struct client_count *client_take(struct resolver *r, const struct sockaddr *client,
					unsigned limit, int *over)
{
	uint8_t family, bytes[16], buf[17];
	struct client_count *cc;
	size_t b;

	*over = 0;
	if (client_key(client, &family, bytes) < 0)
		return NULL;
	buf[0] = family;
	memcpy(buf + 1, bytes, 16);
	b = lockout_siphash(r->key, buf, sizeof(buf)) % CLIENT_BUCKETS;
	pthread_mutex_lock(&r->clients_lock);
	for (cc = r->clients[b]; cc; cc = cc->next)
		if (cc->family == family && memcmp(cc->bytes, bytes, 16) == 0)
			break;
	if (cc && limit && cc->n >= limit) {
		*over = 1;
		cc = NULL;
	} else if (cc) {
		cc->n++;
	} else if ((cc = calloc(1, sizeof(*cc))) != NULL) {
		cc->family = family;
		memcpy(cc->bytes, bytes, 16);
		cc->n = 1;
		cc->next = r->clients[b];
		r->clients[b] = cc;
	}
	pthread_mutex_unlock(&r->clients_lock);
	return cc;
}

static void client_release(struct resolver *r, struct client_count *cc)
{
	uint8_t buf[17];
	size_t b;

	if (!cc)
		return;
	buf[0] = cc->family;
	memcpy(buf + 1, cc->bytes, 16);
	b = lockout_siphash(r->key, buf, sizeof(buf)) % CLIENT_BUCKETS;
	pthread_mutex_lock(&r->clients_lock);
	if (--cc->n == 0) {
		struct client_count **pp = &r->clients[b];

		while (*pp && *pp != cc)
			pp = &(*pp)->next;
		if (*pp)
			*pp = cc->next;
		free(cc);
	}
	pthread_mutex_unlock(&r->clients_lock);
}

/* ------------------------------------------------------------ the loop's side */

/* c-ares wants its timeouts processed: the timer fires when the next one is
 * due (none: disarmed). */
static void channel_arm_timer(struct resolve_channel *ch)
{
	struct timeval tv, *t = ares_timeout(ch->current->ares, NULL, &tv);
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	for (struct resolve_ares *ra = ch->retired; ra; ra = ra->next) {
		struct timeval rtv, *rt = ares_timeout(ra->ares, t, &rtv);

		if (rt) {
			tv = *rt;
			t = &tv;
		}
	}

	if (t) {
		its.it_value.tv_sec = t->tv_sec;
		its.it_value.tv_nsec = (long)t->tv_usec * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1000000;    /* 0 would disarm it */
	}
	if (timerfd_settime(ch->timer.fd, 0, &its, NULL) < 0)
		log_warn("resolve: timerfd: %s", strerror(errno));
}

static void channel_timer_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct resolve_channel *ch = (struct resolve_channel *)((char *)w -
							       offsetof(struct resolve_channel, timer));
	uint64_t expirations;

	(void)loop;
	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("resolve: timerfd read: %s", strerror(errno));
	ares_process_fd(ch->current->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	for (struct resolve_ares *ra = ch->retired; ra; ra = ra->next)
		ares_process_fd(ra->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	channel_arm_timer(ch);
}

static void channel_sock_cb(struct loop *loop, struct loop_watch *w, uint32_t events)
{
	struct resolve_sock *s = (struct resolve_sock *)w;
	struct resolve_channel *ch = s->ra->ch;
	int fd = w->fd;

	(void)loop;
	ares_process_fd(s->ra->ares, events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	channel_arm_timer(ch);
}

/* c-ares opens, changes and closes its sockets through this. */
static void channel_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolve_ares *ra = data;
	struct resolve_channel *ch = ra->ch;
	struct resolve_sock *s, **pp;
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	for (pp = &ch->socks; *pp && (*pp)->watch.fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (!events) {
		if (!s)
			return;
		loop_watch_del(ch->loop, &s->watch);
		*pp = s->next;
		/* an event for it may still be pending in this batch */
		s->watch.fd = -1;
		loop_defer_free(ch->loop, free, s);
		return;
	}
	if (s) {
		if (loop_watch_set(ch->loop, &s->watch, events) < 0)
			log_warn("resolve: epoll: %s", strerror(errno));
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s || loop_watch_add(ch->loop, &s->watch, fd, events, channel_sock_cb) < 0) {
		/* the query on this socket then ends at c-ares' timeout */
		log_warn("resolve: cannot watch a nameserver socket: %s", strerror(errno));
		free(s);
		return;
	}
	s->ra = ra;
	s->next = ch->socks;
	ch->socks = s;
}

/* ------------------------------------------------------------ lookups */

static void answer_from(struct resolve_answer *answer, int status, struct ares_addrinfo *res,
			unsigned *ttl)
{
	unsigned min_ttl = RESOLVE_TTL_MAX;

	memset(answer, 0, sizeof(*answer));
	if (status == ARES_SUCCESS && res) {
		for (struct ares_addrinfo_node *n = res->nodes; n && answer->n < RESOLVE_MAX_ADDRS;
		     n = n->ai_next) {
			if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
				continue;
			if (n->ai_addrlen > sizeof(answer->addrs[0]))
				continue;
			memcpy(&answer->addrs[answer->n], n->ai_addr, n->ai_addrlen);
			((struct sockaddr_in *)&answer->addrs[answer->n])->sin_port = 0;
			answer->n++;
			/* RFC 2181 §8: a TTL with the top bit set counts as zero */
			if (n->ai_ttl < 0 || (unsigned)n->ai_ttl < min_ttl)
				min_ttl = n->ai_ttl < 0 ? 0 : (unsigned)n->ai_ttl;
		}
		/* an alias is only as fresh as the records that led to it */
		for (struct ares_addrinfo_cname *c = res->cnames; c; c = c->next)
			if (c->ttl < 0 || (unsigned)c->ttl < min_ttl)
				min_ttl = c->ttl < 0 ? 0 : (unsigned)c->ttl;
	}
	*ttl = answer->n ? min_ttl : 0;
	if (answer->n) {
		answer->status = RESOLVE_OK;
	} else if (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA ||
		   status == ARES_ENONAME) {
		answer->status = RESOLVE_NOTFOUND;
		answer->error = "no such name, or no address for it";
	} else if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		answer->status = RESOLVE_CANCELLED;
		answer->error = "the lookup was cancelled";
	} else {
		answer->status = RESOLVE_FAILED;
		answer->error = status == ARES_ETIMEOUT ? "the nameservers did not answer in time" :
				status == ARES_ECONNREFUSED ? "the nameservers refused the query" :
				"the nameservers failed";
	}
}

static void query_done_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_query *q = arg;
	struct resolve_channel *ch = q->ra->ch;
	struct resolve_answer answer;
	unsigned ttl;

	(void)timeouts;
	answer_from(&answer, status, res, &ttl);
	if (res)
		ares_freeaddrinfo(res);
	cache_put(ch->r, q->name, &answer, ttl, loop_mono_ms());
	client_release(ch->r, q->client);
	q->client = NULL;
	if (q->prev)
		q->prev->next = q->next;
	else
		ch->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	ch->n_queries--;
	q->ra->n_queries--;
	if (q->in_submit) {
		/* answered before ares_getaddrinfo returned: resolve_lookup
		 * hands this over and frees q */
		q->answer = answer;
		q->finished = 1;
		return;
	}
	if (q->cb)
		q->cb(q->ud, &answer);
	free(q);
}

static void answer_refused(struct resolve_answer *answer, const char *why)
{
	memset(answer, 0, sizeof(*answer));
	answer->status = RESOLVE_REFUSED;
	answer->error = why;
}

int resolve_lookup(struct resolve_channel *ch, const char *host, const struct sockaddr *client,
		   unsigned per_client, struct resolve_answer *answer,
		   resolve_done_cb cb, void *ud, struct resolve_query **query)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct resolve_query *q;
	int over;

	*query = NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		answer_refused(answer, "out of memory");
		return 0;
	}
	if (name_normalize(host, q->name) < 0) {
		free(q);
		memset(answer, 0, sizeof(*answer));
		answer->status = RESOLVE_NOTFOUND;
		answer->error = "not a valid name";
		return 0;
	}
	if (cache_get(ch->r, q->name, loop_mono_ms(), answer)) {
		free(q);
		return 0;
	}
	if (ch->n_queries >= RESOLVE_CHANNEL_MAX) {
		free(q);
		answer_refused(answer, "too many name lookups in progress");
		return 0;
	}
	q->client = client_take(ch->r, client, per_client, &over);
	if (over) {
		free(q);
		answer_refused(answer, "too many name lookups in progress from this address "
			       "(its /64 for IPv6)");
		return 0;
	}
	q->ra = ch->current;
	q->cb = cb;
	q->ud = ud;
	q->next = ch->queries;
	if (ch->queries)
		ch->queries->prev = q;
	ch->queries = q;
	ch->n_queries++;
	q->ra->n_queries++;
	q->in_submit = 1;
	ares_getaddrinfo(q->ra->ares, q->name, NULL, &hints, query_done_cb, q);
	q->in_submit = 0;
	if (q->finished) {
		*answer = q->answer;
		free(q);
		return 0;
	}
	channel_arm_timer(ch);
	*query = q;
	return 1;
}

void resolve_cancel(struct resolve_query *q)
{
	if (!q)
		return;
	q->cb = NULL;
	q->ud = NULL;
}

/* ------------------------------------------------------------ life */

struct resolver *resolver_new(size_t cache_entries, char *err, size_t errlen)
{
	struct resolver *r = calloc(1, sizeof(*r));
	int rc;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->cache_lock, NULL);
	pthread_mutex_init(&r->clients_lock, NULL);
	if (getrandom(r->key, sizeof(r->key), 0) != sizeof(r->key)) {
		snprintf(err, errlen, "cannot read the OS random generator: %s", strerror(errno));
		goto fail;
	}
	if (cache_entries) {
		r->n_sets = (cache_entries + CACHE_WAYS - 1) / CACHE_WAYS;
		r->cache = calloc(r->n_sets * CACHE_WAYS, sizeof(*r->cache));
		if (!r->cache) {
			snprintf(err, errlen, "out of memory for %zu cached names", cache_entries);
			goto fail;
		}
	}
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		goto fail;
	}
	r->library_ready = 1;
	return r;
fail:
	resolver_free(r);
	return NULL;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	for (size_t b = 0; b < CLIENT_BUCKETS; b++) {
		while (r->clients[b]) {
			struct client_count *next = r->clients[b]->next;

			free(r->clients[b]);
			r->clients[b] = next;
		}
	}
	if (r->library_ready)
		ares_library_cleanup();
	free(r->cache);
	pthread_mutex_destroy(&r->cache_lock);
	pthread_mutex_destroy(&r->clients_lock);
	free(r);
}

/*
 * c-ares 1.18 reads the nameservers, search list and ndots from
 * resolv.conf but not "options timeout:N attempts:N", and its own defaults
 * keep an unanswered query for over a minute: take those two from the
 * file as the system resolver does (resolv.conf(5)).
 */
static void resolv_conf_limits(int *timeout_s, int *attempts)
{
	FILE *f = fopen(RESOLV_CONF, "re");
	char line[512];

	*timeout_s = TIMEOUT_DEFAULT;
	*attempts = ATTEMPTS_DEFAULT;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);

		if (!tok || strcmp(tok, "options") != 0)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			int v;

			if (sscanf(tok, "timeout:%d", &v) == 1 && v >= 1)
				*timeout_s = v > TIMEOUT_MAX ? TIMEOUT_MAX : v;
			else if (sscanf(tok, "attempts:%d", &v) == 1 && v >= 1)
				*attempts = v > ATTEMPTS_MAX ? ATTEMPTS_MAX : v;
		}
	}
	fclose(f);
}

static struct resolve_ares *ares_channel_new(struct resolve_channel *ch, char *err, size_t errlen)
{
	struct resolve_ares *ra = calloc(1, sizeof(*ra));
	struct ares_options opts = { 0 };
	int rc, timeout_s;

	if (!ra) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ra->ch = ch;
	opts.sock_state_cb = channel_sock_state_cb;
	opts.sock_state_cb_data = ra;
	resolv_conf_limits(&timeout_s, &opts.tries);
	opts.timeout = timeout_s * 1000;
	rc = ares_init_options(&ra->ares, &opts,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start the resolver (c-ares): %s", ares_strerror(rc));
		free(ra);
		return NULL;
	}
	return ra;
}

/* Every lookup in flight on it ends in query_done_cb (ARES_EDESTRUCTION)
 * and its sockets close through channel_sock_state_cb. */
static void ares_channel_free(struct resolve_ares *ra)
{
	if (!ra)
		return;
	ares_destroy(ra->ares);
	free(ra);
}

static int conf_stat(struct stat *st)
{
	if (stat(RESOLV_CONF, st) < 0) {
		memset(st, 0, sizeof(*st));
		return -1;
	}
	return 0;
}

static int conf_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

void resolve_channel_tick(struct resolve_channel *ch, int64_t now)
{
	struct resolve_ares **pp = &ch->retired;
	struct stat st;

	/* not inside a c-ares callback here: retired channels can go */
	while (*pp) {
		struct resolve_ares *ra = *pp;

		if (ra->n_queries) {
			pp = &ra->next;
			continue;
		}
		*pp = ra->next;
		ares_channel_free(ra);
	}
	if (now - ch->conf_checked < RESOLV_CHECK_S)
		return;
	ch->conf_checked = now;
	conf_stat(&st);
	if (conf_changed(&st, &ch->conf)) {
		char err[256];
		struct resolve_ares *ra = ares_channel_new(ch, err, sizeof(err));

		if (!ra) {
			log_warn("resolve: %s changed but cannot be read again: %s", RESOLV_CONF, err);
			return;
		}
		ch->conf = st;
		ch->current->next = ch->retired;
		ch->retired = ch->current;
		ch->current = ra;
		log_debug("resolve: %s changed: new lookups use it", RESOLV_CONF);
	}
}

struct resolve_channel *resolve_channel_new(struct resolver *r, struct loop *loop,
					    char *err, size_t errlen)
{
	struct resolve_channel *ch = calloc(1, sizeof(*ch));
	int tfd;

	if (!ch) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ch->r = r;
	ch->loop = loop;
	ch->timer.fd = -1;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || loop_watch_add(loop, &ch->timer, tfd, EPOLLIN, channel_timer_cb) < 0) {
		snprintf(err, errlen, "resolver timer: %s", strerror(errno));
		if (tfd >= 0)
			close(tfd);
		ch->timer.fd = -1;
		goto fail;
	}
	conf_stat(&ch->conf);
	ch->conf_checked = loop_mono_ms() / 1000;
	ch->current = ares_channel_new(ch, err, errlen);
	if (!ch->current)
		goto fail;
	return ch;
fail:
	resolve_channel_free(ch);
	return NULL;
}

void resolve_channel_free(struct resolve_channel *ch)
{
	if (!ch)
		return;
	ares_channel_free(ch->current);
	while (ch->retired) {
		struct resolve_ares *ra = ch->retired;

		ch->retired = ra->next;
		ares_channel_free(ra);
	}
	while (ch->socks) {
		struct resolve_sock *s = ch->socks;

		ch->socks = s->next;
		loop_watch_del(ch->loop, &s->watch);
		loop_defer_free(ch->loop, free, s);
	}
	if (ch->timer.fd >= 0) {
		loop_watch_del(ch->loop, &ch->timer);
		close(ch->timer.fd);
	}
	free(ch);
}
