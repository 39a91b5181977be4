/*
 * intercept — what intercept mode needs beyond the gate's verdicts: the
 * portal sessions (sessions.h), the daemon's nftables table (nft.h) and
 * the kernel's record of the MAC each connection came from.
 *
 * main creates it, in intercept mode only, after the gate, and hands it to
 * the proxy and the portal, which ask it about sessions directly; the gate
 * knows nothing of it. The whitelist stays the gate's: main registers
 * intercept_whitelist_cb with gate_on_whitelist, and the gate calls it
 * with every list it loads, which intercept puts into the kernel.
 *
 * Threads. Its own maintenance thread runs the sessions' round
 * (sessions_maintain) every 500 ms with a database connection of its own,
 * following the store's changes to sessions and users. The session
 * functions below are thread-safe; a portal login's database write (and
 * a RADIUS Disconnect's row deletions) go through one more connection of
 * its own, one at a time.
 *
 * Failing closed: intercept_new installs the running table (replacing
 * whatever a crash left); intercept_free leaves the closed table behind
 * (fail_open = yes: none), and while it lives a watch puts the table back
 * when another process deletes or changes it (sessions.h, nft.h).
 *
 * The session functions, the MAC readers and intercept_free accept NULL
 * for ix (intercept mode off) and answer as for a client without a
 * session.
 */
#ifndef PORTCULLIS_INTERCEPT_H
#define PORTCULLIS_INTERCEPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr;
struct config;
struct gate_login;
struct intercept;
struct sessions_match;

/* Install the table, restore the sessions kept in the database, start the
 * maintenance thread. cfg borrowed for the object's life. NULL with a
 * message on failure (the table a failed start installed is left closed). */
struct intercept *intercept_new(const struct config *cfg, char *err, size_t errlen);
/* Stops the maintenance thread and leaves the closed table (see above).
 * Unregister it from the gate first (gate_on_whitelist(g, NULL, NULL)).
 * Accepts NULL. */
void intercept_free(struct intercept *ix);

/*
 * intercept_session_user: 1 with the user's name (cut to len) if client
 * has a live session (this counts as activity), 0 otherwise; mac (6 bytes,
 * NULL: unchecked) is the MAC the client's connection came from
 * (intercept_client_mac), and must be the session's; an address of a
 * logged-in device joins its session (sessions_lookup).
 * intercept_session_alive: the same answer without counting as activity.
 * intercept_session_remaining: seconds left, -1 without a session; mac as
 * above, and nothing counts as activity.
 * intercept_client_mac: the MAC the first frame of client's TCP
 * connection to local (the address and port it connected to) came from,
 * as the kernel labelled the connection: 0 with mac filled, 1 when
 * unknown (not from an Ethernet interface, ix NULL), -1 on error.
 */
int intercept_session_user(struct intercept *ix, const struct sockaddr *client,
			   const uint8_t *mac, char *user, size_t len);
int intercept_session_alive(struct intercept *ix, const struct sockaddr *client);
long intercept_session_remaining(struct intercept *ix, const struct sockaddr *client,
				 const uint8_t *mac);
int intercept_client_mac(struct intercept *ix, const struct sockaddr *client,
			 const struct sockaddr *local, uint8_t mac[6]);
/* 1 when client's session is throttled by a used-up quota
 * (sessions_throttled), for the portal to say so; 0 otherwise. */
int intercept_throttled(struct intercept *ix, const struct sockaddr *client);
/* 1 when client's last session ended because its user's data quota was
 * used up (sessions_quota_ended), for the portal to say so; 0 otherwise. */
int intercept_quota_ended(struct intercept *ix, const struct sockaddr *client);
/* 1 with the user's name when client's last session was ended by its
 * group policy or its directory (sessions_policy_ended); 0 otherwise. */
int intercept_policy_ended(struct intercept *ix, const struct sockaddr *client, char *user,
			   size_t len);

/* The sessions follow g's group policies (gate_policy_standing), judged
 * again in the round after gate_policy_generation changes, and the users
 * without a quota of their own are held to their policy's
 * (gate_policy_quota). g borrowed for
 * ix's life (main frees ix first). Call once, after intercept_new. */
struct gate;
void intercept_follow_policy(struct intercept *ix, struct gate *g);

/*
 * After a successful portal login (login as gate_check_form_login filled
 * it, or NULL), from the connection whose MAC intercept_client_mac gave
 * (all zeros: unknown). May block briefly (database, netlink). A database
 * that cannot be written does not stop it: the session is held in memory
 * and the kernel until the database is back (sessions_start). The
 * session's lifetime and idle limit are the identity source's when it
 * gave them (RADIUS Session-Timeout, Idle-Timeout; kept within the bounds
 * of the configuration's own), else the configured ones. group_class
 * (NULL: none) is the bandwidth class of the user's group policy
 * (gate_policy_class), used when the user has no class of its own. 0 or -1
 * (also with ix NULL).
 */
int intercept_session_start(struct intercept *ix, const struct sockaddr *client,
			    const uint8_t mac[6], const char *username,
			    const struct gate_login *login, const char *group_class);

/*
 * Devices per account. A device is what the sessions count as one: the
 * addresses of one MAC, or an address without one.
 *
 * intercept_user_devices: the devices logged in under username other than
 * the client's own (mac when known, else its address), oldest login
 * first, as the database has them: up to n into list; how many there are,
 * or -1. intercept_end_device: end one of them (its rows deleted; the
 * next maintenance round ends it in memory and the kernel, and cuts its
 * connections): 0, 1 not there (any more), -1.
 * intercept_user_max_devices: a local user's limit (0: none, or no such
 * user, or the database cannot be read).
 */
struct intercept_device {
	char addr[46];        /* its first address */
	char mac[18];         /* "aa:bb:cc:dd:ee:ff", "" when not on-link */
	int64_t since;        /* the login, unix s */
};
int intercept_user_devices(struct intercept *ix, const char *username,
			   const struct sockaddr *client, const uint8_t mac[6],
			   struct intercept_device *list, size_t n);
int intercept_end_device(struct intercept *ix, const char *username,
			 const struct intercept_device *d);
unsigned intercept_user_max_devices(struct intercept *ix, const char *username);

/*
 * The gate's whitelist changed (a gate_whitelist_cb; ud is the intercept):
 * list (n) into the kernel sets, and when old (n_old, the list before) had
 * entries that list no longer has, the tracked connections of their
 * addresses are cut unless list or a live session still lets them pass.
 * Called on the gate's maintenance thread; borrows the lists for the call.
 */
/* gate_rate_cb: the rate of the session on addr (sessions_counts_get). */
int intercept_session_rate_cb(void *ud, const char *addr, uint64_t *rate_in, uint64_t *rate_out);
void intercept_whitelist_cb(void *ud, const struct cidr *list, size_t n, const struct cidr *old,
			    size_t n_old);

/*
 * RADIUS Dynamic Authorization (RFC 5176; the listener is dae.h), from a
 * thread that may block. intercept_disconnect ends the live sessions m
 * names as a kick does (sessions_disconnect: their rows deleted through
 * the portal logins' database connection, then a maintenance round run at
 * once ends them: kernel elements, connections, devices' other addresses)
 * and returns once that round is over (at most 2 s): how many sessions, 0
 * when none matched, -1 when the database failed. intercept_change_limits
 * gives them a new lifetime from now and idle limit (0: unchanged; kept
 * within the bounds of the configuration's own, as at login): how many
 * addresses changed. acct_session_id (NULL: none) narrows m to the
 * session the accounting gave that Acct-Session-Id (RFC 2866 §5.5);
 * none has it: 0. Both answer 0 with ix NULL.
 */
int intercept_disconnect(struct intercept *ix, const struct sessions_match *m,
			 const char *acct_session_id);
int intercept_change_limits(struct intercept *ix, const struct sessions_match *m,
			    const char *acct_session_id, unsigned lifetime, unsigned idle);

/*
 * A reader of connections' MACs for one thread (a proxy worker), with a
 * netlink handle of its own so that lookups on the request path never
 * wait for the sessions' kernel work: one per thread, never shared. What
 * it answers is what intercept_client_mac answers.
 */
struct intercept_macs;

/* NULL with a message on failure; NULL ix gives NULL without one. */
struct intercept_macs *intercept_macs_open(struct intercept *ix, char *err, size_t errlen);
/* Accepts NULL. */
void intercept_macs_close(struct intercept_macs *m);
/* As intercept_client_mac; m NULL answers 1 (unknown). */
int intercept_macs_client_mac(struct intercept_macs *m, const struct sockaddr *client,
			      const struct sockaddr *local, uint8_t mac[6]);

struct shaper;
/* The sessions' shaper (shaper.h), NULL when [shaping] is off: the
 * explicit proxy shapes its users in the same tree. Borrowed; lives as
 * long as ix. ix NULL gives NULL. */
struct shaper *intercept_shaper(struct intercept *ix);

#endif
