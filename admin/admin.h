/*
 * admin — the admin listener (libmicrohttpd), separate from the proxy and
 * the portal, loopback by default.
 *
 * Today it serves the Prometheus metrics at /metrics; the panel and its
 * JSON API under /api/ come with the admin panel issue.
 */
#ifndef PORTCULLIS_ADMIN_H
#define PORTCULLIS_ADMIN_H

#include <stddef.h>

struct config;
struct admin_server;

/* Start listening on cfg's [admin] listen; NULL with a message on failure.
 * cfg is borrowed for the server's life. */
struct admin_server *admin_server_new(const struct config *cfg, char *err, size_t errlen);
void admin_server_free(struct admin_server *a);

#endif
