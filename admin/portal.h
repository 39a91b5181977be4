/*
 * portal — the login portal for intercepted clients (libmicrohttpd), on its
 * own listener, separate from the admin panel: it never serves admin routes.
 *
 *   GET  /[?url=&sig=&code=]  the login page (web_root/portal/login.html); url
 *                          and sig, the page the intercept sent the client
 *                          away from and its signature (returnto.h), go into
 *                          the form only when the signature is good; code (a
 *                          voucher card's QR code) fills in the voucher field
 *   POST /login            username, password, csrf, url, sig (form-encoded);
 *                          success starts the client's session and answers
 *                          303 to /status (carrying url and sig when they are
 *                          good: never to another origin, which the form's
 *                          CSP would abort); failures are audited with mode
 *                          portal and count towards the lockout (429
 *                          Retry-After). Or code (a guest voucher, used when
 *                          username is empty: gate_check_voucher). At the
 *                          account's or voucher's device limit the answer is
 *                          409 with web_root/portal/devices.html, whose
 *                          button posts csrf and a signed ticket (t_user,
 *                          t_life, t_cred, t_class, t_when, t_sig; good for
 *                          two minutes) to sign out the oldest device and
 *                          start the session
 *   GET  /terms, and / with [portal] terms on (alone; before_login until
 *                          this device accepted the current version within
 *                          the hour): the click-through terms, as text, and
 *                          the accept form (csrf, version, url, sig)
 *   POST /accept           records the acceptance (time, address, MAC,
 *                          version); alone, starts the device's session
 *                          "terms:ADDRESS" for [portal] terms_lifetime and
 *                          answers 303 to /status; before_login, 303 to
 *                          /login. 409 for a version no longer current
 *   GET  /status[?url=&sig=]  signed in or not, and for how long; a signed-in
 *                          client with a good url and sig is sent on to it
 *   GET  /api/captive      RFC 8908 Captive Portal API (application/captive+json)
 *   GET  /proxy.pac, /wpad.dat   proxy auto-config for the explicit proxy
 *   GET  /portal.css, /favicon.ico (web_root/favicon.svg)
 *   GET  /look.css[?v=]    the administrator's colours (store_look) as CSS
 *                          custom properties; ETag "look-VERSION", 304 on a
 *                          matching If-None-Match
 *   GET  /logo[?v=]        the uploaded logo with its recorded image type
 *                          (404 without one), the same ETag
 *
 * Pages carry the administrator's title and logo, and are in the language
 * the request's Accept-Language asks for among the catalogues of [portal]
 * lang_dir (lang.h), else [portal] language, with Content-Language and
 * Vary: Accept-Language; a start refuses a catalogue that does not parse.
 *
 * Every page but the proxy auto-config (which WPAD asks for under any name)
 * answers only for the portal's own names, with the admin panel's rules:
 * address literals, localhost, and the host of [portal] url; 421 for
 * another name, 400 without exactly one Host.
 *
 * The CSRF token is bound to the client's address and time, signed with a
 * per-start secret, and must come back both in a SameSite=Strict cookie and
 * in the form. Pages carry a CSP without any script (web_headers.h). Served
 * over HTTPS when [portal] tls_cert and tls_key are set.
 */
#ifndef PORTCULLIS_PORTAL_H
#define PORTCULLIS_PORTAL_H

#include <stddef.h>

struct config;
struct gate;
struct intercept;
struct portal_server;

/* Start listening on [portal] listen; NULL with a message on failure.
 * cfg, gate and ix (the sessions a login starts; NULL: intercept mode
 * off, and a login starts none) are borrowed for the server's life. */
struct portal_server *portal_server_new(const struct config *cfg, struct gate *gate,
					struct intercept *ix, char *err, size_t errlen);
void portal_server_free(struct portal_server *p);

/* What portal_server_new would refuse short of opening the listener (the
 * portal's URL, its pages under web_root, its TLS pair), checked without
 * starting anything: 0, or -1 with a message (for portcullisd -t). */
int portal_check(const struct config *cfg, char *err, size_t errlen);

#endif
