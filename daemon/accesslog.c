#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "http.h"
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

int accesslog_check(const char *path, char *err, size_t errlen)
{
	char *dir;
	int rc = 0;

	if (strlen(path) >= sizeof(((struct accesslog *)0)->path)) {
		snprintf(err, errlen, "access log path longer than %zu bytes",
			 sizeof(((struct accesslog *)0)->path) - 1);
		return -1;
	}
	if (!path[0] || strcmp(path, "-") == 0)
		return 0;
	/* an existing file must be writable; a new one needs a writable
	 * directory (open_log creates it) */
	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) < 0)
			rc = -1;
	} else {
		dir = strdup(path);
		if (!dir) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (access(dirname(dir), W_OK | X_OK) < 0)
			rc = -1;
		free(dir);
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot open access log %s: %s", path, strerror(errno));
	return rc;
}

int accesslog_set_path(struct accesslog *log, const char *path, char *err, size_t errlen)
{
	int fd, old;

	if (accesslog_check(path, err, errlen) < 0)
		return -1;
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
static int url_safe(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '-': case '_': case '.': case '~': case '!': case '*': case '\'':
	case '(': case ')': case ';': case ':': case '@': case '&': case '=':
	case '+': case '$': case ',': case '/': case '?': case '#': case '[': case ']':
		return 1;
	}
	return 0;
}

/* s[0..len) escaped; stops (setting over) at the end of the room, never
 * in the middle of an escape */
static void put_escaped(struct http_text *t, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = { '%' };

	for (size_t i = 0; i < len && !t->over; i++) {
		unsigned char c = (unsigned char)s[i];

		if (url_safe(c)) {
			if (t->len < t->cap)
				t->p[t->len++] = (char)c;
			else
				t->over = 1;
		} else {
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			http_text_put(t, esc, 3);
		}
	}
}

/* One free-text field and its separator: escaped within t->p[0..cap), or
 * "-" when empty or when nothing of it fits, so a line keeps its fields */
static void put_field(struct http_text *t, size_t cap, const char *s, size_t len)
{
	size_t full = t->cap, at = t->len;

	t->cap = cap < full ? cap : full;
	put_escaped(t, s, len);
	t->cap = full;
	t->over = 0;
	if (t->len == at)
		http_text_put(t, "-", 1);
	http_text_put(t, " ", 1);
}

int accesslog_format(char *buf, size_t len, const struct accesslog_entry *e)
{
	/* room for "\n" and NUL is always left */
	struct http_text t = { .p = buf, .cap = len - 2 };
	char addr[64], num[24];
	const char *client = e->client_text;
	int64_t start = e->start_ms < 0 ? 0 : e->start_ms;
	/* a wall clock stepped back gives 0, not a negative time */
	int64_t dur = e->duration_ms < 0 ? 0 : e->duration_ms;
	/* the free-text fields stop short of the end: what follows them
	 * (hierarchy/peer, a separator) always fits */
	size_t text_cap = len - 160, ulen, user_room = 2;

	if (len < 512)
		return -1;
	if (!client)
		client = cidr_addr_text(e->client, addr, sizeof(addr));
	http_text_uint(&t, (uint64_t)(start / 1000), 0);
	http_text_put(&t, ".", 1);
	http_text_uint(&t, (uint64_t)(start % 1000), 3);
	http_text_put(&t, " ", 1);
	http_text_put(&t, num, http_put_uint(num, (uint64_t)dur, 6, ' '));
	http_text_put(&t, " ", 1);
	http_text_str(&t, client);
	http_text_put(&t, " ", 1);
	http_text_str(&t, e->tag);
	http_text_put(&t, "/", 1);
	http_text_uint(&t, (uint64_t)(e->status < 0 ? 0 : e->status), 3);
	http_text_put(&t, " ", 1);
	http_text_uint(&t, e->bytes, 0);
	http_text_put(&t, " ", 1);
	put_field(&t, text_cap, e->method, e->method_len);
	/* a long URL is cut before it takes the room of the user after it */
	ulen = e->user ? strlen(e->user) : 0;
	for (size_t i = 0; i < ulen; i++)
		user_room += url_safe((unsigned char)e->user[i]) ? 1 : 3;
	put_field(&t, user_room < text_cap / 2 ? text_cap - user_room : text_cap / 2, e->url, e->url_len);
	put_field(&t, text_cap, e->user, ulen);
	http_text_str(&t, e->hierarchy ? e->hierarchy : "HIER_NONE");
	http_text_put(&t, "/", 1);
	http_text_str(&t, e->peer && e->peer[0] ? e->peer : "-");
	http_text_put(&t, " ", 1);
	if (t.over)
		return -1;
	put_field(&t, t.cap, e->content_type, e->content_type_len);
	/* the separator put_field added becomes the end of the line */
	buf[t.len - 1] = '\n';
	buf[t.len] = '\0';
	return (int)t.len;
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
