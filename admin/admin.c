#include "admin.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

#define ADMIN_MAX_CONNECTIONS 64
#define ADMIN_PER_IP          16
#define ADMIN_TIMEOUT_S       30

struct admin_server {
	struct MHD_Daemon *mhd;
};

/* Every response carries the same security headers (SPEC §4). */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; frame-ancestors 'none'");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result admin_request_cb(void *cls, struct MHD_Connection *conn, const char *url,
					const char *method, const char *version,
					const char *upload_data, size_t *upload_data_size,
					void **req_cls)
{
	static const char not_found[] = "not found\n";
	char buf[16384];
	int n;

	(void)cls;
	(void)version;
	(void)upload_data;
	/* reject what we do not serve before reading any body */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char msg[] = "method not allowed\n";

		*upload_data_size = 0;
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, sizeof(msg) - 1);
	}
	if (!*req_cls) {
		/* first call for this request: headers only */
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0) {
		n = metrics_format(buf, sizeof(buf));
		if (n < 0)
			return reply(conn, 500, "text/plain", "metrics too large\n", 18);
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", buf, (size_t)n);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
}

struct admin_server *admin_server_new(const struct config *cfg, char *err, size_t errlen)
{
	struct admin_server *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
				  (cfg->admin_listen.sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0),
				  0, NULL, NULL, admin_request_cb, a,
				  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->admin_listen.sa,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_MAX_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ADMIN_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s (admin)", cfg->admin_listen.text);
		free(a);
		return NULL;
	}
	return a;
}

void admin_server_free(struct admin_server *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	free(a);
}
