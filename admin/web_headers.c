#include "web_headers.h"

#include <microhttpd.h>

void web_headers_add(struct MHD_Response *r, enum web_headers_kind kind)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	/* form-action 'self' also covers the redirects that follow a form's
	 * submission: a form may only lead to a page of the same listener */
	if (kind == WEB_HEADERS_PORTAL)
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; style-src 'self'; img-src 'self'; "
					"form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	else
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; script-src 'self'; style-src 'self'; "
					"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
					"form-action 'self'; frame-ancestors 'none'");
}
