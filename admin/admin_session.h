/*
 * admin_session — the admin panel's login sessions and their CSRF tokens,
 * kept in memory (a restart logs everybody out).
 *
 * A session is named by a random 256-bit token in an HttpOnly,
 * SameSite=Strict cookie; it ends after 30 minutes unused or 12 hours in
 * all, when its admin logs out, and when the account it belongs to is
 * deleted or gets a new password (admin_session_account_current). Each
 * session has a second random token that every state change must carry in
 * X-CSRF-Token: a cross-site form can make the browser send the cookie but
 * cannot read the token. At most 256 sessions; a new one past that takes
 * the place of the least recently used.
 *
 * Thread-safe (the listener's threads share one table). No libmicrohttpd
 * here: the caller hands in the cookie and header values.
 */
#ifndef PORTCULLIS_ADMIN_SESSION_H
#define PORTCULLIS_ADMIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "admin_routes.h"

#define ADMIN_SESSION_TOKEN_HEX 64
#define ADMIN_SESSION_COOKIE    "portcullis_session"

struct store;
struct admin_sessions;

/* A copy of one session (what the table hands out). */
struct admin_session {
	char token[ADMIN_SESSION_TOKEN_HEX + 1];
	char csrf[ADMIN_SESSION_TOKEN_HEX + 1];
	char admin[257];
	enum admin_role role;
	unsigned char phc_digest[32];     /* SHA-256 of the admin's hash at login */
	int64_t created, last_used;
};

/* NULL when out of memory. _free wipes the tokens; accepts NULL. */
struct admin_sessions *admin_sessions_new(void);
void admin_sessions_free(struct admin_sessions *t);

/* The session whose token is the cookie's value (borrowed; NULL when the
 * request has none), copied into *out, its idle clock restarted: 1, or 0
 * for none (expired sessions are dropped on the way). */
int admin_session_find(struct admin_sessions *t, const char *cookie, struct admin_session *out);

/* A new session for admin with role; digest is admin_session_digest() of
 * the hash read before the password was checked. 0 with a copy in *out, or
 * -1 (no randomness). */
int admin_session_new(struct admin_sessions *t, const char *admin, enum admin_role role,
		      const unsigned char digest[32], struct admin_session *out);

/* End the session of token (borrowed); nothing when there is none. */
void admin_session_end(struct admin_sessions *t, const char *token);

/* The digest of an admin's password hash (PHC string) that a session keeps
 * instead of the hash itself. */
void admin_session_digest(const char *phc, unsigned char out[32]);

/* 1 when the session's account still exists with the hash it had at login,
 * 0 when it is gone or has a new password, -1 when st cannot say. On 1,
 * *role is the account's role now (a role changed since login applies at
 * the session's next request; ADMIN_ROLE_NONE for one not known). */
int admin_session_account_current(struct store *st, const struct admin_session *s,
				  enum admin_role *role);

/* 1 when token (an X-CSRF-Token value, borrowed, NULL for none) is the
 * session's, compared in constant time. */
int admin_session_csrf_ok(const struct admin_session *s, const char *token);

/* The Set-Cookie value that hands s to the browser (Secure over TLS); -1
 * when it does not fit. */
int admin_session_cookie(const struct admin_session *s, int tls, char *out, size_t outlen);

/* The Set-Cookie value that makes the browser forget its session. */
#define ADMIN_SESSION_COOKIE_CLEAR \
	ADMIN_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

#endif
