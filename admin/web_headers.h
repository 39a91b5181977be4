/*
 * web_headers — the security headers every response of the admin panel and
 * of the portal carries, in one place so that the two cannot drift apart:
 * no sniffing a JSON or text answer into a page, no Referer leaking URLs,
 * no framing, and a Content-Security-Policy per listener (the panel runs
 * its own scripts only; the portal runs none at all). Also the one check
 * of which name a request asked for, shared by both listeners.
 */
#ifndef PORTCULLIS_WEB_HEADERS_H
#define PORTCULLIS_WEB_HEADERS_H

#include "admin_input.h"

struct MHD_Response;
struct MHD_Connection;

enum web_headers_kind {
	WEB_HEADERS_PANEL,     /* the admin panel: its own scripts, styles and images */
	WEB_HEADERS_PORTAL,    /* the login portal: no script, its own style and images */
	WEB_HEADERS_PORTAL_TLS,   /* the same over HTTPS, where browsers are told to
				   * come back over HTTPS only (HSTS) */
};

/* Add the headers for kind to r (borrowed). */
void web_headers_add(struct MHD_Response *r, enum web_headers_kind kind);

/* Whether the request on conn names this listener (admin_input_host's
 * rules against names); a request with no Host or with two Host lines
 * names nothing (ADMIN_INPUT_HOST_INVALID). */
enum admin_input_host web_request_host(struct MHD_Connection *conn, const char *names);

#endif
