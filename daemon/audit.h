/*
 * audit — the trail of failed logins: each failure counted, logged (one
 * line per failure, for fail2ban) and queued; the queue written to the
 * database in batches by the gate's writer thread, so request handling
 * never waits on the database; and the "last login" times of users.
 *
 * The trail is bounded per source: a run of identical failures is one row
 * with a count, and one address opens a bounded number of rows a minute
 * (audit.c says how the rest fold). A full queue drops records (counted in
 * audit_dropped and logged by the writer); records waiting while the
 * database cannot be written are written when it can again.
 *
 * audit_failure and audit_login may be called from any thread; audit_wait,
 * audit_write and audit_prune from the one writer thread only.
 */
#ifndef PORTCULLIS_AUDIT_H
#define PORTCULLIS_AUDIT_H

#include <stddef.h>
#include <sys/socket.h>

#include "metrics.h"

struct audit;
struct store;

/* queue_size: failure records waiting at most. NULL with a message in err. */
struct audit *audit_new(size_t queue_size, unsigned retention_days, char *err, size_t errlen);
/* After the writer thread has stopped; says what could not be written.
 * Accepts NULL. */
void audit_free(struct audit *a);

/*
 * Count, log and queue one failure. Never the password. mode and scheme
 * are short fixed words (explicit, portal, ...; basic, digest, form);
 * username, host and user_agent are what the client sent (escaped in the
 * log line and stored as text, so none can forge a line or a field).
 * named: the username is a real account's (see
 * audit_reason_names_account): it is kept when the address's failures
 * fold into one row.
 */
void audit_failure(struct audit *a, const char *mode, const struct sockaddr *client,
		   const char *scheme, const char *username, enum metrics_reason reason,
		   const char *host, const char *user_agent, int named);

/* Whether a failure for this reason can only come from a real account
 * (the password, or a Digest response, was checked against its record). */
int audit_reason_names_account(enum metrics_reason reason);

/* Queue username's "last login" time (now). */
void audit_login(struct audit *a, const char *username);

/* Writer thread: wait until records are due (a full batch, a flush asked
 * for, audit_stop) or period_ms passed. *flush: whether a flush was asked
 * for. Returns 1 once audit_stop was called (write once more, then end). */
int audit_wait(struct audit *a, unsigned period_ms, int *flush);

/* Writer thread: write the queued records, the counts of runs and the
 * login times to st (the writer's own handle). */
void audit_write(struct audit *a, struct store *st);

/* Writer thread: delete records older than the retention. */
void audit_prune(struct audit *a, struct store *st);

/* Any thread: a new retention for the next prune. */
void audit_set_retention(struct audit *a, unsigned days);

/* Any thread: wake the writer now, with *flush set. */
void audit_request_flush(struct audit *a);

/* Any thread: make audit_wait return 1 from now on. */
void audit_stop(struct audit *a);

#endif
