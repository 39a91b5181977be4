#include "web_headers.h"

#include <microhttpd.h>
#include <strings.h>

void web_headers_add(struct MHD_Response *r, enum web_headers_kind kind)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	/* form-action 'self' also covers the redirects that follow a form's
	 * submission: a form may only lead to a page of the same listener */
	/* RFC 6797: a browser that has seen the HTTPS portal never posts a
	 * password to it over plain HTTP again */
	if (kind == WEB_HEADERS_PORTAL_TLS)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	if (kind == WEB_HEADERS_PORTAL || kind == WEB_HEADERS_PORTAL_TLS)
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; style-src 'self'; img-src 'self'; "
					"form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	else
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; script-src 'self'; style-src 'self'; "
					"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
					"form-action 'self'; frame-ancestors 'none'");
}

static enum MHD_Result count_host_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	unsigned *n = cls;

	(void)kind;
	(void)value;
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST))
		(*n)++;
	return MHD_YES;
}

enum admin_input_host web_request_host(struct MHD_Connection *conn, const char *names)
{
	unsigned n = 0;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_host_cb, &n);
	if (n != 1)
		return ADMIN_INPUT_HOST_INVALID;
	return admin_input_host(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
				names);
}
