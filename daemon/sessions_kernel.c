#include "sessions_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "nft.h"

/* ------------------------------------------------------------ the whitelist */

struct unlisted {
	struct sessions *s;
	const struct cidr *list;
	size_t n;
	int64_t now;
};

static int sessions_cut_unauthorised_lan_locked(struct sessions *s);

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
		sessions_closed_ruleset_write(s);
		free(s->wl);
		s->wl = copy;
		s->n_wl = n;
		copy = NULL;
		/* the first whitelist completes the table of a start: what the
		 * LAN opened before it (the daemon stopped, or not yet
		 * running) is cut now unless its client may pass */
		if (!s->lan_checked) {
			s->lan_checked = 1;
			sessions_cut_unauthorised_lan_locked(s);
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
	e = sessions_find_sockaddr(u->s, src);
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
static int sessions_cut_unauthorised_lan_locked(struct sessions *s)
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
		/* its counters too: they start again where the last round read them */
		list[k].counted = e->counted;
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
		sessions_cut_unauthorised_lan_locked(s);
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

void sessions_watch_start(struct sessions *s)
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

void sessions_watch_stop(struct sessions *s)
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
void sessions_closed_ruleset_write(struct sessions *s)
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
