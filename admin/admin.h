/*
 * admin — the admin listener (libmicrohttpd), separate from the proxy and
 * the portal, loopback by default; over TLS when [admin] tls is on (see
 * tlscert.h for the certificate generated on first start).
 *
 * It serves the panel's static files from [admin] web_root ("/" is
 * index.html; only plain names of known types, never a dot segment), the
 * Prometheus metrics at /metrics, and the JSON API under /api/:
 * POST /api/login {"username","password"} (application/json only) sets an
 * HttpOnly, SameSite=Strict (Secure over TLS) session cookie and returns the
 * CSRF token that every state change must carry in X-CSRF-Token;
 * GET /api/me, GET /api/stats (dashboard counters, failures per hour over
 * 24 hours, top failing addresses and usernames),
 * GET /api/users[?search=&after=&limit=] (keyset pages by name),
 * GET /api/audit[?user=&addr=&reason=&mode=&since_ms=&until_ms=&limit=
 * &before_time_ms=&before_id=] (keyset paging: pass "next" back),
 * GET /api/audit.csv (same filters, streamed page by page),
 * GET /api/whitelist, GET /api/sessions,
 * GET /api/actions[?limit=&before_time_ms=&before_id=], and the changes
 * (JSON bodies): POST /api/users, /api/users/update, /api/users/delete,
 * /api/whitelist, /api/whitelist/delete, /api/sessions/kick, /api/logout.
 * Each address may hold 8 connections (an IPv6 client by its /64) and each
 * request must arrive whole within 10 s (connguard.h), so that clients
 * trickling bytes cannot hold the listener.
 * The routes are one table (admin_routes.c): an unknown path answers 404
 * and a method its path does not serve 405 with Allow, before the body is
 * read. Without a session every other /api/ route answers 401; a change
 * without the CSRF token 403 (admin_session.h), and so does a route the
 * account's role does not allow; a bad field or query parameter 400 naming
 * it. Every response carries the security headers (CSP without inline
 * script, frame-ancestors 'none', nosniff, no-referrer).
 *
 * The listener opens its own database connections from [db] path, one per
 * listener thread (a store connection serves one thread at a time), and
 * closes them in admin_server_free; the gate is asked only for verdicts on
 * admin logins (gate_check_admin).
 */
#ifndef PORTCULLIS_ADMIN_H
#define PORTCULLIS_ADMIN_H

#include <stddef.h>

struct config;
struct gate;
struct admin_server;

/* Start listening on cfg's [admin] listen (reading, or on first start
 * generating, the TLS certificate when tls is on); NULL with a message on
 * failure. cfg and gate are borrowed for the server's life. */
struct admin_server *admin_server_new(const struct config *cfg, struct gate *gate, char *err,
				      size_t errlen);
void admin_server_free(struct admin_server *a);

/* What admin_server_new would refuse short of opening the listener (a
 * configured TLS pair that cannot be read), checked without starting
 * anything: 0, or -1 with a message (for portcullisd -t). */
int admin_check(const struct config *cfg, char *err, size_t errlen);

#endif
