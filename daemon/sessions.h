/*
 * sessions — intercept-mode sessions: who logged in on the portal, from
 * which address and MAC, until when; held in memory for the request path,
 * in the store as the source of truth, and in the kernel's nftables sets
 * where the forward chain enforces them.
 *
 * Used by intercept only (intercept.h: the proxy and the portal ask it);
 * sessions_credential_stamp is the gate's too. Thread-safe: lookups take
 * a read lock and touch nothing but the entry's activity time; changes to
 * the kernel are serialised behind one lock.
 *
 * Timers: the absolute lifetime is the daemon's to enforce; the idle timer
 * lives in the kernel element (forwarded packets refresh it) and in the
 * daemon's own record of the client's last HTTP/TLS request. A session is
 * idle-expired when both have run out.
 *
 * Devices: a login from an on-link client (its MAC known) is the device's,
 * not only the one address's. Its other addresses on the LAN interface
 * (IPv4 and IPv6, not link-local) get the session too, each as an element
 * and a row of its own with the login's user and times, up to 16 per
 * device. What says an address is the device's is the device's own
 * frames, as the kernel saw them: a connection whose first frame came
 * from the device's MAC (its first request), or the kernel's record of
 * new connections from that MAC (the next maintenance round). Never the
 * neighbour table: one forged ARP request or neighbour advertisement
 * rewrites it. They end
 * together: a kick of any one ends them all, and the device is idle when
 * none of its addresses had traffic; an address the device stopped using
 * and the neighbour table forgot ends alone. Rows survive a restart.
 */
#ifndef PORTCULLIS_SESSIONS_H
#define PORTCULLIS_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"

struct config;
struct store;
struct sessions;

/* Install the nftables table (replacing one a crash left) and restore the
 * sessions kept in st into memory and the kernel. cfg borrowed for the
 * object's life, st for the call. NULL with a message on failure. */
struct sessions *sessions_new(const struct config *cfg, struct store *st, char *err,
			      size_t errlen);
/* Removes the nftables table; accepts NULL. */
void sessions_free(struct sessions *s);

/* 1 with the user's name (cut to len) if client has a live session (its
 * lifetime and its user's expiry time not reached), 0 if not. mac (NULL:
 * not checked) is the MAC the connection's first frame came from (the
 * kernel's label of the connection, sessions_client_mac): a session bound to
 * another MAC does not count (an address taken over by another device is
 * not logged in), and an address without a session joins the session of
 * the device with that MAC. Counts as activity for the idle timer. */
int sessions_lookup(struct sessions *s, const struct sockaddr *client, const uint8_t *mac,
		    char *user, size_t len);
/* The same without counting as activity (for connections already open). */
int sessions_alive(struct sessions *s, const struct sockaddr *client);
/* Seconds until the session ends at the latest, or -1 without one; mac as
 * for sessions_lookup (an address the device has not used yet answers for
 * its device), and nothing counts as activity or joins. */
long sessions_remaining(struct sessions *s, const struct sockaddr *client, const uint8_t *mac);
/* The MAC the first frame of client's TCP connection to local (the
 * address and port it connected to) came from, as the kernel labelled the
 * connection: 0 with mac filled, 1 when unknown, -1 on error. */
int sessions_client_mac(struct sessions *s, const struct sockaddr *client,
			const struct sockaddr *local, uint8_t mac[6]);

/* A portal login: a session for client in st, memory and the kernel,
 * bound to mac (the login connection's, sessions_client_mac; NULL or all
 * zeros: unknown) when client is on-link; the device's addresses in memory
 * (an earlier login's) take it over, and their rows follow in the next
 * maintenance round. When st is NULL or
 * cannot be written within a second (locked, disk full), the session is
 * held in memory and the kernel, said so in the log, and its row written
 * by maintenance once the database is back (lost if the daemon stops
 * first). lifetime and idle (s) are the session's own limits (what the
 * identity source said: RADIUS Session-Timeout, Idle-Timeout); 0: the
 * configured session_lifetime, session_idle_timeout. The device's
 * bandwidth class (shaping on) is the user's own (the store's), else
 * group_class (its group policy's; NULL none), else the default class.
 * source is who checked the login (idsource_attrs.source; NULL or "":
 * the local store), kept on the session for its lists.
 * 0, or -1 (nothing kept). st borrowed. */
int sessions_start(struct sessions *s, struct store *st, const struct sockaddr *client,
		   const uint8_t mac[6], const char *username, uint64_t credential,
		   unsigned lifetime, unsigned idle, const char *group_class,
		   const char *source);

/* What a session remembers of the password its login was checked against:
 * a digest of the stored hash (phc), or SESSIONS_CREDENTIAL_REMOTE. When the user's stored hash no longer
 * gives it (a new password, or the same one set again: a new salt), the
 * user's sessions started before end. Never 0 (0: not known; the next read
 * of the user records it). Pure. */
uint64_t sessions_credential_stamp(const char *phc);

/* The credential of a login a remote identity source (RADIUS, a
 * directory) checked: there is no local account whose changes end the
 * session; it lasts its lifetime and idle limit, across a restart too
 * (its database row says remote). sessions_credential_stamp never gives
 * it. */
#define SESSIONS_CREDENTIAL_REMOTE UINT64_MAX

/* Periodic work on intercept's maintenance thread: with store_changed,
 * follow the store (rows deleted elsewhere end their sessions, and their
 * devices' other addresses: kernel element removed, connections cut);
 * with users_changed, read every session's user again, and end the
 * sessions of users deleted, disabled, expired or given a new password
 * since the session's login the same way (their rows deleted too); end sessions past their lifetime, their user's expiry
 * time, or idle; refresh kernel elements of clients the daemon saw; give
 * logged-in devices' new addresses the kernel saw their frames come from
 * their session (at most 64 a round); write the rows not written yet. New sessions'
 * users are read in the next round; a store that does not answer is
 * asked again. */
void sessions_maintain(struct sessions *s, struct store *st, int store_changed,
		       int users_changed);

/* The sessions a RADIUS Disconnect- or CoA-Request names (RFC 5176 §3):
 * every field given must match; a field NULL matches any. All borrowed. */
struct sessions_match {
	const char *user;                /* the login's user name */
	const struct sockaddr *client;   /* one of its addresses */
	const uint8_t *mac;              /* 6 bytes: its device's MAC */
};

/* A Disconnect: the rows of the live sessions m names are deleted from st,
 * which is what a kick from the CLI or the panel does; the next
 * maintenance round ends them there (kernel element, connections, their
 * devices' other addresses). A session whose row is not written yet
 * (held in memory) cannot be named. How many rows went, or -1 (st
 * failed; some may have gone). */
int sessions_disconnect(struct sessions *s, struct store *st, const struct sessions_match *m);

/* A CoA: the live sessions m names, and their devices' other addresses of
 * the same login, get a new lifetime (s from now; 0: unchanged) and idle
 * limit (s; 0: unchanged); the kernel elements take the new idle timeout
 * at once, the rows are written by the next maintenance round. How many
 * addresses changed. */
int sessions_set_limits(struct sessions *s, const struct sessions_match *m, unsigned lifetime,
			unsigned idle);
/* Whitelist into the kernel set (only the difference is sent). 0 or -1. */
int sessions_set_whitelist(struct sessions *s, const struct cidr *list, size_t n);

/* Whitelist entries were removed (after sessions_set_whitelist): the
 * tracked connections of every address inside them are cut, as a session's
 * end cuts its own, except those of addresses the remaining whitelist
 * (list) still covers or that have a live session. How many were cut, or
 * -1. */
int sessions_cut_unlisted(struct sessions *s, const struct cidr *removed, size_t n_removed,
			  const struct cidr *list, size_t n);

/* ---- group policy ----
 *
 * A session's user's group policy (or groups, or account in a directory)
 * can change while the session is open. The maintenance round asks the
 * judge (sessions_on_policy) about every session once after its login or
 * restore, about all of them in the round after sessions_policy_changed,
 * and about all of them every SESSIONS_POLICY_RECHECK_S (which also keeps
 * a directory's cached groups of the sessions' users in use, so that they
 * are refreshed). A session the judge refuses ends in that round, like a
 * kick (kernel element, connections, row), with the judge's reason; one
 * whose policy now gives a shorter lifetime or idle limit gets it (its
 * row too), and ends with policy_changed when that lifetime is already
 * over. A policy that got more generous does not lengthen a session. The
 * judge runs under the write lock: it must answer from memory. */
#define SESSIONS_POLICY_RECHECK_S 10

enum sessions_policy_answer {
	SESSIONS_POLICY_KEEP,          /* *ends_by and *idle say the limits */
	SESSIONS_POLICY_UNKNOWN,       /* cannot tell yet (the user's groups not
					* read yet): kept, asked again next round */
	SESSIONS_POLICY_DENIED,        /* the policy forbids going online: ends with
					* policy_denied */
	SESSIONS_POLICY_HOURS,         /* outside its time windows: outside_hours */
	SESSIONS_POLICY_USER_DISABLED, /* the identity source (a directory) now
					* refuses the account: user_disabled */
	SESSIONS_POLICY_USER_DELETED,  /* ... no longer knows it: user_deleted */
};

/* The judge: the policy of a session of user (checked by source, "" the
 * local store) that started at created_at (wall s). For KEEP, *ends_by
 * (wall s the session must end by; 0 no limit) and *idle (s; 0 no limit)
 * are filled. */
typedef enum sessions_policy_answer (*sessions_policy_cb)(void *ud, const char *user,
							   const char *source, int64_t created_at,
							   int64_t *ends_by, unsigned *idle);

/* The judge (NULL: none, sessions follow no policy); set once, before
 * sessions_maintain runs. */
void sessions_on_policy(struct sessions *s, sessions_policy_cb cb, void *ud);
/* Every session is judged again in the next round. Any thread. */
void sessions_policy_changed(struct sessions *s);
/* 1 with the user's name (cut to len) when client's last session was
 * ended by its group policy or its directory (within the last day, and it
 * has not had another end since), for the portal to say why; 0 if not. */
int sessions_policy_ended(struct sessions *s, const struct sockaddr *client, char *user,
			  size_t len);

/* ---- what the kernel counted ----
 *
 * Per address of a session, from the kernel's per-element counters (sets
 * acct_in4/6, acct_out4/6 in nft.h): in = the IP bytes and packets the
 * client sent on the LAN interface (forwarded, to the daemon's intercept
 * listeners, to the gateway itself: DNS, the portal), out = those sent to
 * it there (forwarded, and the daemon's own answers). IP headers count,
 * link headers do not. The maintenance round reads them all in one dump
 * per set every 2 s (those of users with a quota every round, 500 ms),
 * never per packet: a count and a rate are at most 2 s old. A device with several
 * addresses has a count per address (each packet counts once, under the
 * address it carries): the device's use is their sum. The counts survive
 * a reload (the table stays), the table being put back (they start again
 * where the last round read them), and a restart (a stop writes them to
 * the rows, the start carries on from there). A login on an address still
 * logged in carries its counts on. */
struct sessions_counts {
	uint64_t bytes_in, packets_in, bytes_out, packets_out;
};

/* client's session's counts as of the last round, and (rate_in, rate_out
 * not NULL) bytes/s over about the last minute: 0, or -1 without a
 * session. */
int sessions_counts_get(struct sessions *s, const struct sockaddr *client,
			struct sessions_counts *out, uint64_t *rate_in, uint64_t *rate_out);

/* One session as sessions_usage_each gives it; strings borrowed for the
 * call. */
struct sessions_usage {
	const char *addr;
	const char *user;
	int64_t created_at;
	struct sessions_counts counts;
	uint64_t rate_in, rate_out;      /* bytes/s over about the last minute */
};

/* cb for every session, under the read lock: cb must not call into s. */
void sessions_usage_each(struct sessions *s, void (*cb)(const struct sessions_usage *u, void *ud),
			 void *ud);

/* What the live sessions counted (live), and the sessions that ended since
 * the start (ended), for /metrics. */
void sessions_counts_total(struct sessions *s, struct sessions_counts *live,
			   struct sessions_counts *ended);

/* A session's end, as told to the callback of sessions_on_end. */
struct sessions_end {
	const char *addr, *user;
	const char *reason;              /* "idle", "kicked", "quota_exceeded", ... */
	int64_t created_at, ended_at;    /* wall s */
	struct sessions_counts counts;   /* final: read after its last packet passed */
};

/* cb (NULL: none) is told of every session's end, on the maintenance
 * thread, after its kernel elements went and before its row does. One
 * callback; set it before sessions can end (right after sessions_new). */
void sessions_on_end(struct sessions *s, void (*cb)(const struct sessions_end *end, void *ud),
		     void *ud);

/* ---- data quotas ----
 *
 * Per user (store_quota_set): bytes in + out per session (the login's
 * addresses together; a login on an address still logged in carries its
 * count on), per day (from local midnight) and per month (from the first,
 * local midnight), the day and month counting every session that ended in
 * them and every live one whole. The maintenance round checks them each
 * time it reads the counts (every 500 ms): a session whose user has used
 * one up ends with reason quota_exceeded, after at most one round's
 * traffic past the quota (500 ms at line rate); its user's other sessions
 * end too for a day or month quota, and a new login ends in the next
 * round until the period starts again. With [shaping] quota_action =
 * throttle the session stays instead: its device moves into its policy's
 * quota class, else quota_class (logged "session throttled"), and back to its own class once the quota
 * no longer holds it used up (a new period, the quota raised or removed).
 *
 * Which quotas hold a user (sessions_counts.c, quota_resolve, the one
 * place that decides it): the user's own when any of its three is set
 * (they win whole), else its group policy's (the policy_fn below), else
 * none. */

/* A user's group policy's quotas (bytes per session, day, month; 0 none)
 * for a user without its own: 1 with them set, 0 none; and its quota
 * class ("" none) into quota_class, which a throttled device goes into
 * (shaper_throttle_class). Called on the maintenance thread, holding
 * nothing. */
typedef int (*sessions_quota_policy_fn)(const char *user, uint64_t *session, uint64_t *day,
					uint64_t *month, char *quota_class, size_t len, void *ud);
/* Where the round finds a policy's quotas (fn NULL: nowhere); fn and ud
 * borrowed until sessions_free or the next call. May be called while the
 * maintenance thread runs. */
void sessions_quota_policy(struct sessions *s, sessions_quota_policy_fn fn, void *ud);

/* 1 when client's last session ended because a quota was used up (within
 * the last day, and it has not had another end since), for the portal to
 * say so; 0 otherwise. */
int sessions_quota_ended(struct sessions *s, const struct sockaddr *client);

/* 1 when client has a session that a used-up quota throttles ([shaping]
 * quota_action = throttle), for the portal to say so; 0 otherwise. */
int sessions_throttled(struct sessions *s, const struct sockaddr *client);

/* At a stop, before sessions_free: every session's counts from the kernel
 * to its row, so that the next start carries on from them. */
void sessions_save_counts(struct sessions *s, struct store *st);

/* A user's bandwidth class as it is now (the user's own, else its
 * policy's; "" none), into out. */
typedef void (*sessions_class_cb)(void *ud, const char *user, char *out, size_t len);
/* Every session's device is put into the class class_of gives its user
 * now (with the default class as at login), and its row says so: a class
 * change reaches the open sessions, not only the next login. For the
 * maintenance thread, when the classes may have changed; asks the kernel
 * only for devices that move. No-op without [shaping]. */
void sessions_follow_classes(struct sessions *s, sessions_class_cb class_of, void *ud);

struct shaper;
/* The shaper of the sessions' devices (shaper.h), NULL when [shaping] is
 * off. Borrowed: lives as long as s. */
struct shaper *sessions_shaper(struct sessions *s);

#endif
