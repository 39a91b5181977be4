/*
 * accounting — RADIUS accounting (RFC 2866) of the portal's sessions:
 * Start at login, Interim-Update every interval, Stop at the end, sent to
 * [radius] accounting_servers (by default the [radius] servers' addresses
 * on port 1813), with the codec in radius.h.
 *
 * Durable: every record is written to the database (store.h, the
 * acct_queue table) before it is sent, in the same transaction as the
 * change to the accounted session's row, and deleted only when a valid
 * Accounting-Response for it arrives. Records are sent oldest first, up to
 * a window at once with at most one of each session in it, so a server
 * gets each session's records in their order (Start, Interim-Updates,
 * Stop); when no server answers they wait (the next attempt after 1 s,
 * doubling up to 60 s) and go out so when one does, across a restart too.
 * Acct-Delay-Time says how long each waited.
 *
 * Sessions across a restart: a session the restart restores (sessions.h:
 * rows survive a stop or a crash) goes on with its Acct-Session-Id, and
 * its Interim-Updates resume; one it does not restore (it expired while
 * the daemon was down, or its row is gone) gets its Stop at the start,
 * with Acct-Terminate-Cause NAS-Reboot, the time and counts of its last
 * record. A stop of the daemon ends no session, so it sends no Stop.
 *
 * Threads: a sender thread of its own, with its own database connection,
 * does the sending, the waiting and the Interim-Updates; it never runs on
 * an event loop. accounting_session_start and _stop are called on the
 * threads that start and end sessions (the portal's login, the sessions'
 * maintenance round), with their own database connection: they write the
 * records and wake the sender.
 */
#ifndef PORTCULLIS_ACCOUNTING_H
#define PORTCULLIS_ACCOUNTING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "store.h"

struct config;
struct accounting;

/*
 * What the accounting asks of the sessions (intercept provides them):
 * alive: whether the session of user at addr (canonical text) lives (1)
 * or not (0), asked at the start for each accounted session;
 * counts: the kernel's counts of the session at addr (out->known 0 when
 * there are none), asked for each Interim-Update. Both may be NULL.
 */
struct accounting_hooks {
	int (*alive)(void *ud, const char *addr, const char *user);
	void (*counts)(void *ud, const char *addr, struct store_acct_counts *out);
	void *ud;
};

/*
 * NULL without a message (err[0] == '\0') when accounting is not
 * configured (neither [radius] servers nor accounting_servers); NULL with
 * a message on failure (no secret, the database). Otherwise sends the
 * Stop of the accounted sessions that did not survive (see above), using
 * st for the call, and starts the sender. cfg and hooks borrowed for the
 * object's life.
 */
struct accounting *accounting_new(const struct config *cfg, struct store *st,
				  const struct accounting_hooks *hooks, char *err, size_t errlen);
/* Stops the sender (records not answered stay queued); accepts NULL. */
void accounting_free(struct accounting *a);

/* A login to account; everything borrowed for the call. */
struct accounting_login {
	const char *addr;              /* the client's address, canonical text */
	const uint8_t *mac;            /* 6 bytes; NULL or zeros: unknown */
	const char *user;
	const uint8_t *class_value;    /* Class from the Access-Accept (echoed) */
	size_t class_len;
	unsigned interval;             /* Acct-Interim-Interval from the Accept, 0: none */
	const char *source;            /* who checked it: "" or "local", "ldap",
					* "radius ADDRESS:PORT" */
};

/*
 * A session started: its row and its Start record in st, the sender
 * woken. A session accounted at the same address before (a login again
 * without an end in between) gets its Stop first (User-Request). 0 or -1
 * (logged; the session goes on unaccounted). a NULL: 0.
 */
int accounting_session_start(struct accounting *a, struct store *st,
			     const struct accounting_login *l);

/*
 * The session at addr ended for reason (the word sessions.h gives: see
 * accounting_cause): its Stop record, with counts (NULL: none known), in
 * st, its row deleted, the sender woken. Nothing when addr is not
 * accounted (another address of a device: the device's session is
 * accounted at its login's address). 0 or -1. a NULL: 0.
 */
int accounting_session_stop(struct accounting *a, struct store *st, const char *addr,
			    const char *reason, const struct store_acct_counts *counts);

/*
 * Acct-Terminate-Cause (RFC 2866 §5.10) for a session's end: "logout"
 * User-Request; "kicked" Admin-Reset; "idle" Idle-Timeout; "expired"
 * Session-Timeout; "user_deleted", "user_disabled", "user_expired",
 * "password_changed" Admin-Reset (an administrator's act ended it);
 * "address_gone" Lost-Carrier; "restart_lost" NAS-Reboot; anything else
 * NAS-Request.
 */
unsigned accounting_cause(const char *reason);

/*
 * One Interim-Update round over every accounted session whose update is
 * due at now (wall s), as the sender runs it; for the benchmark, which
 * calls it with a store of its own. How many records were queued, or -1.
 */
int accounting_interim_round(struct accounting *a, struct store *st, int64_t now);

#endif
