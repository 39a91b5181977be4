/*
 * accesslog — one line per request in Squid's native format, so the tools
 * gateway administrators already run on Squid logs read ours:
 *
 *   time.ms duration client TAG/status bytes method URL user hierarchy/peer type
 *
 * e.g. "1732451234.567     12 10.0.0.2 TCP_MISS/200 1270 GET http://a/ alice
 * HIER_DIRECT/192.0.2.1 text/html". Empty fields are "-". The user field is
 * escaped as Squid escapes it (RFC 1738 %XX for anything outside a safe set),
 * and URL and type have control bytes and spaces escaped the same way, so a
 * client can neither forge a line nor shift a field.
 */
#ifndef PORTCULLIS_ACCESSLOG_H
#define PORTCULLIS_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct accesslog;

struct accesslog_entry {
	int64_t start_ms;           /* wall clock */
	int64_t duration_ms;
	const struct sockaddr *client;
	const char *client_text;    /* client as text when known, else NULL */
	const char *tag;            /* "TCP_MISS", "TCP_MISS_ABORTED", "TCP_DENIED", ... */
	int status;
	uint64_t bytes;             /* written to the client, head and body */
	const char *method; size_t method_len;
	const char *url; size_t url_len;
	const char *user;           /* NULL or "" when none */
	const char *hierarchy;      /* "HIER_DIRECT", "HIER_NONE" */
	const char *peer;           /* upstream address or NULL */
	const char *content_type; size_t content_type_len;
};

/* path "" means no log (an access log that writes nothing until a reload
 * gives it a path), "-" standard output. NULL with a message in err when
 * the file cannot be opened. */
struct accesslog *accesslog_open(const char *path, char *err, size_t errlen);
/* Whether path could be opened, without creating it: the length, an
 * existing file writable, or else its directory (for portcullisd -t;
 * accesslog_set_path checks the same first). 0, or -1 with a message. */
int accesslog_check(const char *path, char *err, size_t errlen);
/* Switch to path ("" none) from the next line on (a reload). On failure
 * keeps writing where it did, with a message in err. 0 or -1. */
int accesslog_set_path(struct accesslog *log, const char *path, char *err, size_t errlen);
/* Reopen the file (after logrotate); keeps the old one on failure (-1 with
 * errno set). */
int accesslog_reopen(struct accesslog *log);
void accesslog_close(struct accesslog *log);

/* Thread-safe; one write(2) per line. log may be NULL (no log). */
void accesslog_write(struct accesslog *log, const struct accesslog_entry *e);

/*
 * Lines that one thread collects and writes with one write(2): a proxy
 * worker queues the lines of a batch of events and flushes at its end, so a
 * busy worker makes one write per batch instead of one per request, and
 * lines are never held past the batch that produced them.
 */
#define ACCESSLOG_BATCH_SIZE (32 * 1024)
struct accesslog_batch {
	size_t len;
	char buf[ACCESSLOG_BATCH_SIZE];
};

/* Queue one line in batch (the caller's, used by one thread at a time);
 * writes the batch out first when the line would not fit. log may be NULL. */
void accesslog_queue(struct accesslog *log, struct accesslog_batch *batch,
		     const struct accesslog_entry *e);
/* Write out what batch holds and empty it. log may be NULL. */
void accesslog_flush(struct accesslog *log, struct accesslog_batch *batch);

/* Format one line into buf (for tests); returns its length or -1. */
int accesslog_format(char *buf, size_t len, const struct accesslog_entry *e);

#endif
