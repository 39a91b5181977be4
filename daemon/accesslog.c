#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "log.h"

#define LINE_MAX_LEN 8192         /* a formatted line, escaping included */

struct accesslog {
	char path[512];           /* "" while there is no log */
	int fd;                   /* -1 while there is no log */
	int enabled;              /* atomic: fd >= 0, read without the lock */
	int write_failed;
	pthread_mutex_t lock;     /* guards path and fd across reopen */
};

/* "" is no log: -1 with errno 0. */
static int open_log(const char *path)
{
	errno = 0;
	if (!path[0])
		return -1;
	if (strcmp(path, "-") == 0)
		return dup(STDOUT_FILENO);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct accesslog *accesslog_open(const char *path, char *err, size_t errlen)
{
	struct accesslog *log = calloc(1, sizeof(*log));

	if (!log) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	log->fd = -1;
	pthread_mutex_init(&log->lock, NULL);
	if (accesslog_set_path(log, path, err, errlen) < 0) {
		pthread_mutex_destroy(&log->lock);
		free(log);
		return NULL;
	}
	return log;
}

int accesslog_set_path(struct accesslog *log, const char *path, char *err, size_t errlen)
{
	int fd, old;

	if (strlen(path) >= sizeof(log->path)) {
		snprintf(err, errlen, "access log path longer than %zu bytes", sizeof(log->path) - 1);
		return -1;
	}
	fd = open_log(path);
	if (fd < 0 && errno) {
		snprintf(err, errlen, "cannot open access log %s: %s", path, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&log->lock);
	old = log->fd;
	log->fd = fd;
	snprintf(log->path, sizeof(log->path), "%s", path);
	log->write_failed = 0;
	__atomic_store_n(&log->enabled, fd >= 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&log->lock);
	if (old >= 0)
		close(old);
	return 0;
}

int accesslog_reopen(struct accesslog *log)
{
	char path[sizeof(log->path)], err[256];

	if (!log)
		return 0;
	pthread_mutex_lock(&log->lock);
	memcpy(path, log->path, sizeof(path));
	pthread_mutex_unlock(&log->lock);
	if (!path[0])
		return 0;
	if (accesslog_set_path(log, path, err, sizeof(err)) < 0) {
		errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

void accesslog_close(struct accesslog *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

/*
 * Squid writes the user name through rfc1738_escape: everything but
 * alphanumerics and a few safe marks becomes %XX. We use the same rule for
 * every free-text field, which also keeps spaces (field separators) out.
 */
static size_t put_escaped(char *dst, size_t room, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!s || len == 0) {
		if (room > 1)
			dst[o++] = '-';
		return o;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || strchr("-_.~!*'();:@&=+$,/?#[]", c);

		if (c == 0)
			safe = 0;
		if (safe) {
			if (o + 1 >= room)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 3 >= room)
				break;
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	return o;
}

int accesslog_format(char *buf, size_t len, const struct accesslog_entry *e)
{
	char addr[64];
	size_t o;
	int n;

	if (len < 64)
		return -1;
	cidr_addr_text(e->client, addr, sizeof(addr));
	n = snprintf(buf, len, "%lld.%03lld %6lld %s %s/%03d %llu ",
		     (long long)(e->start_ms / 1000), (long long)(e->start_ms % 1000),
		     (long long)e->duration_ms, addr, e->tag, e->status,
		     (unsigned long long)e->bytes);
	if (n < 0 || (size_t)n >= len)
		return -1;
	o = (size_t)n;
	/* reserve room for the fixed parts that follow each field */
	o += put_escaped(buf + o, len - o - 8, e->method, e->method_len);
	buf[o++] = ' ';
	o += put_escaped(buf + o, len - o - 8, e->url, e->url_len);
	buf[o++] = ' ';
	o += put_escaped(buf + o, len - o - 8, e->user, e->user ? strlen(e->user) : 0);
	buf[o++] = ' ';
	n = snprintf(buf + o, len - o - 4, "%s/%s ", e->hierarchy ? e->hierarchy : "HIER_NONE",
		     e->peer && e->peer[0] ? e->peer : "-");
	if (n < 0 || (size_t)n >= len - o - 4)
		return -1;
	o += (size_t)n;
	o += put_escaped(buf + o, len - o - 2, e->content_type, e->content_type_len);
	buf[o++] = '\n';
	buf[o] = '\0';
	return (int)o;
}

static void accesslog_put(struct accesslog *log, const char *text, size_t len)
{
	pthread_mutex_lock(&log->lock);
	/* O_APPEND makes each write atomic with respect to the others */
	if (log->fd >= 0 && write(log->fd, text, len) < 0) {
		/* a full disk must not stop traffic: the line is lost, and the
		 * daemon log says so once (until the next reopen) */
		if (!log->write_failed)
			log_error("access log %s: write failed: %s; lines are being lost",
				  log->path, strerror(errno));
		log->write_failed = 1;
	}
	pthread_mutex_unlock(&log->lock);
}

void accesslog_write(struct accesslog *log, const struct accesslog_entry *e)
{
	char line[LINE_MAX_LEN];
	int n;

	if (!log || !__atomic_load_n(&log->enabled, __ATOMIC_RELAXED))
		return;
	n = accesslog_format(line, sizeof(line), e);
	if (n > 0)
		accesslog_put(log, line, (size_t)n);
}

void accesslog_flush(struct accesslog *log, struct accesslog_batch *batch)
{
	if (log && batch->len)
		accesslog_put(log, batch->buf, batch->len);
	batch->len = 0;
}

void accesslog_queue(struct accesslog *log, struct accesslog_batch *batch,
		     const struct accesslog_entry *e)
{
	int n;

	if (!log || !__atomic_load_n(&log->enabled, __ATOMIC_RELAXED))
		return;
	/* the longest line fits in the room that is always left */
	if (sizeof(batch->buf) - batch->len < LINE_MAX_LEN + 1)
		accesslog_flush(log, batch);
	n = accesslog_format(batch->buf + batch->len, LINE_MAX_LEN, e);
	if (n > 0)
		batch->len += (size_t)n;
}
