/*
 * web_headers — the security headers every response of the admin panel and
 * of the portal carries, in one place so that the two cannot drift apart:
 * no sniffing a JSON or text answer into a page, no Referer leaking URLs,
 * no framing, and a Content-Security-Policy per listener (the panel runs
 * its own scripts only; the portal runs none at all).
 */
#ifndef PORTCULLIS_WEB_HEADERS_H
#define PORTCULLIS_WEB_HEADERS_H

struct MHD_Response;

enum web_headers_kind {
	WEB_HEADERS_PANEL,     /* the admin panel: its own scripts, styles and images */
	WEB_HEADERS_PORTAL,    /* the login portal: no script, its own style and images */
};

/* Add the headers for kind to r (borrowed). */
void web_headers_add(struct MHD_Response *r, enum web_headers_kind kind);

#endif
