#include "admin.h"

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_api.h"
#include "admin_input.h"
#include "admin_routes.h"
#include "admin_session.h"
#include "cidr.h"
#include "config.h"
#include "connguard.h"
#include "log.h"
#include "look.h"
#include "store.h"
#include "tlscert.h"
#include "upload.h"
#include "web_headers.h"

#define ADMIN_MAX_CONNECTIONS 128
#define ADMIN_PER_ADDRESS     8     /* a browser opens 6 at most; 16 addresses to fill it */
#define ADMIN_TIMEOUT_S       30
#define ADMIN_REQUEST_DEADLINE_S 10 /* for a whole request to arrive, however it trickles */
#define ADMIN_BODY_MAX        (64 * 1024)
#define ADMIN_THREADS         2

/* Per-request state: allocated on the first callback, freed in the
 * completion callback (libmicrohttpd's model). */
struct admin_request {
	const struct admin_route *route;  /* found from the request line */
	struct upload *body;
};

/* ------------------------------------------------------------ database */

/* A store connection is used by one thread at a time (store.h): each of
 * the listener's threads opens its own on first use. */
static __thread struct store *thread_store;
static __thread const struct admin_server *thread_store_server;

struct store *admin_store(struct admin_server *a)
{
	char err[256];
	struct store *st;

	if (thread_store && thread_store_server == a)
		return thread_store;
	st = store_open(a->cfg->db_path, err, sizeof(err));
	if (!st) {
		log_error("admin: cannot open the database: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&a->stores_lock);
	if (a->n_stores < sizeof(a->stores) / sizeof(a->stores[0])) {
		a->stores[a->n_stores++] = st;
	} else {
		store_close(st);
		st = NULL;
	}
	pthread_mutex_unlock(&a->stores_lock);
	if (!st) {
		log_error("admin: more listener threads than expected");
		return NULL;
	}
	thread_store = st;
	thread_store_server = a;
	return st;
}

/* ------------------------------------------------------------ dispatch */

/* First call of a request: headers only. What is never served is refused
 * before any body is read: first a request for another name (DNS
 * rebinding), then an unknown path or a method its path does not serve. */
static enum MHD_Result request_start(struct admin_server *a, struct MHD_Connection *conn,
				     const char *url, const char *method, void **req_cls)
{
	const struct admin_route *route;
	enum admin_route_miss miss;
	struct admin_request *req;
	char allow[64];

	switch (web_request_host(conn, a->cfg->admin_hostnames)) {
	case ADMIN_INPUT_HOST_OURS:
		break;
	case ADMIN_INPUT_HOST_OTHER:
		/* RFC 9110 §15.5.20 */
		return admin_reply_error(conn, 421, "this panel does not answer for that host name "
					 "([admin] hostnames)");
	case ADMIN_INPUT_HOST_INVALID:
		/* RFC 9112 §3.2: none, more than one, or not host[:port] */
		return admin_reply_error(conn, 400, "expected one Host header naming this panel");
	}
	route = admin_route_find(admin_routes, admin_routes_count, method, url, &miss, allow,
				 sizeof(allow));
	if (!route && miss == ADMIN_ROUTE_NO_METHOD)
		return admin_reply_method_not_allowed(conn, allow);
	if (!route)
		return admin_reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	req = calloc(1, sizeof(*req));
	if (!req || !(req->body = calloc(1, sizeof(*req->body)))) {
		free(req);
		return MHD_NO;
	}
	req->route = route;
	*req_cls = req;
	return MHD_YES;
}

/* The request is whole: the route's checks (admin_route_check), then its
 * handler. */
static enum MHD_Result request_run(struct admin_server *a, struct MHD_Connection *conn,
				   const char *url, const char *method, struct admin_request *req)
{
	const struct admin_route *route = req->route;
	struct admin_session s;
	struct admin_call call = {
		.a = a, .conn = conn, .url = url, .method = method, .body = req->body,
		.st = admin_store(a),
	};
	int logged_in = 0, csrf_ok = 0;

	memset(&s, 0, sizeof(s));
	if (route->role != ADMIN_ROLE_PUBLIC) {
		const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
								 ADMIN_SESSION_COOKIE);

		logged_in = admin_session_find(a->sessions, cookie, &s);
		/* an admin account deleted or given a new password (by the CLI)
		 * ends its sessions at once, and a new role applies at once;
		 * when the database cannot say, the role of the login stands
		 * (the handler then answers 503) */
		if (logged_in && call.st &&
		    admin_session_account_current(call.st, &s, &s.role) == 0) {
			admin_session_end(a->sessions, s.token);
			logged_in = 0;
		}
		csrf_ok = logged_in && admin_session_csrf_ok(&s, MHD_lookup_connection_value(
						conn, MHD_HEADER_KIND, "X-CSRF-Token"));
		call.session = &s;
	}
	switch (admin_route_check(route, method, logged_in, s.role, csrf_ok)) {
	case ADMIN_ROUTE_RUN:
		break;
	case ADMIN_ROUTE_LOGIN_REQUIRED:
		return admin_reply_error(conn, 401, "login required");
	case ADMIN_ROUTE_CSRF_REFUSED:
		return admin_reply_error(conn, 403, "missing or wrong X-CSRF-Token");
	case ADMIN_ROUTE_ROLE_REFUSED:
		return admin_reply_error(conn, 403, "this account's role does not allow that");
	}
	return (enum MHD_Result)route->handler(&call);
}

static enum MHD_Result admin_request_cb(void *cls, struct MHD_Connection *conn, const char *url,
					const char *method, const char *version,
					const char *upload_data, size_t *upload_data_size,
					void **req_cls)
{
	struct admin_server *a = cls;
	struct admin_request *req = *req_cls;

	(void)version;
	if (!req)
		return request_start(a, conn, url, method, req_cls);
	if (*upload_data_size) {
		/* a logo is the one body larger than JSON */
		if (upload_append(req->body, upload_data, *upload_data_size,
				  strcmp(url, "/api/portal/logo") ? ADMIN_BODY_MAX : LOOK_LOGO_MAX) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* the request is whole: its deadline no longer runs while it is answered */
	connguard_request_received(a->guard, conn);
	if (req->body->too_large)
		return admin_reply_error(conn, 413, strcmp(url, "/api/portal/logo") ?
					 "request body too large" : "the logo is larger than 256 KiB");
	return request_run(a, conn, url, method, req);
}

static void admin_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct admin_server *a = cls;
	struct admin_request *req = *req_cls;

	(void)toe;
	/* a kept-alive connection's next request has its own deadline */
	connguard_request_done(a->guard, conn);
	if (!req)
		return;
	upload_free(req->body);
	free(req);
	*req_cls = NULL;
}

/* Read a certificate and key pair in PEM; fp gets the certificate's
 * fingerprint. The caller frees *cert_pem and *key_pem (also on failure). */
static int tls_read(const char *cert, const char *key, char **cert_pem, char **key_pem, char *fp,
		    size_t fplen, char *err, size_t errlen)
{
	if (tlscert_read_pem(cert, cert_pem, err, errlen) < 0 ||
	    tlscert_read_pem(key, key_pem, err, errlen) < 0)
		return -1;
	if (tlscert_fingerprint(*cert_pem, fp, fplen) < 0) {
		snprintf(err, errlen, "%s: not a PEM certificate", cert);
		return -1;
	}
	return 0;
}

/* Read (and on first start generate) the certificate and key. */
static int tls_setup(struct admin_server *a, const struct config *cfg, char *err, size_t errlen)
{
	char cert[CONFIG_PATH_MAX + 32], key[CONFIG_PATH_MAX + 32], names[512], fp[128];
	int generated = 0;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "admin.tls: this libmicrohttpd has no TLS support");
		return -1;
	}
	if (cfg->admin_tls_cert[0]) {
		snprintf(cert, sizeof(cert), "%s", cfg->admin_tls_cert);
		snprintf(key, sizeof(key), "%s", cfg->admin_tls_key);
	} else {
		const struct sockaddr *listen = (const struct sockaddr *)&cfg->admin_listen.sa;

		if (tlscert_default_paths(cfg->db_path, "admin", cert, sizeof(cert), key, sizeof(key)) < 0) {
			snprintf(err, errlen, "admin.tls: the database path is too long");
			return -1;
		}
		tlscert_alt_names(&listen, 1, names, sizeof(names));
		generated = tlscert_ensure(cert, key, "Portcullis admin panel", names, err, errlen);
		if (generated < 0)
			return -1;
	}
	if (tls_read(cert, key, &a->tls_cert, &a->tls_key, fp, sizeof(fp), err, errlen) < 0)
		return -1;
	if (generated)
		log_notice("admin: generated a self-signed certificate %s (key %s)", cert, key);
	log_notice("admin: TLS certificate %s, SHA-256 fingerprint %s", cert, fp);
	return 0;
}

static void tls_free(struct admin_server *a)
{
	if (a->tls_key) {
		OPENSSL_cleanse(a->tls_key, strlen(a->tls_key));
		free(a->tls_key);
	}
	free(a->tls_cert);
	a->tls_key = a->tls_cert = NULL;
}

int admin_check(const struct config *cfg, char *err, size_t errlen)
{
	char *cert_pem = NULL, *key_pem = NULL, fp[128];
	int rc;

	/* a pair that is generated on first start is not there to read yet */
	if (!cfg->admin_enabled || !cfg->admin_tls || !cfg->admin_tls_cert[0])
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "admin.tls: this libmicrohttpd has no TLS support");
		return -1;
	}
	rc = tls_read(cfg->admin_tls_cert, cfg->admin_tls_key, &cert_pem, &key_pem, fp, sizeof(fp),
		      err, errlen);
	if (key_pem) {
		OPENSSL_cleanse(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(cert_pem);
	return rc;
}

static void warn_without_pages(const struct config *cfg)
{
	char index[CONFIG_PATH_MAX + 16];

	snprintf(index, sizeof(index), "%s/index.html", cfg->web_root);
	if (access(index, R_OK) < 0)
		log_warn("admin: no panel pages in %s ([admin] web_root); the API and "
			 "/metrics still work", cfg->web_root);
}

/* Frees what admin_server_new made, however far it got. */
static void server_destroy(struct admin_server *a)
{
	MHD_stop_daemon(a->mhd);     /* accepts NULL; joins the listener's threads */
	connguard_free(a->guard);     /* after the listener: its connections are gone */
	admin_sessions_free(a->sessions);
	for (size_t i = 0; i < a->n_stores; i++)
		store_close(a->stores[i]);
	tls_free(a);
	pthread_mutex_destroy(&a->stores_lock);
	free(a);
}

struct admin_server *admin_server_new(const struct config *cfg, struct gate *gate, char *err,
				      size_t errlen)
{
	struct admin_server *a = calloc(1, sizeof(*a));
	struct MHD_OptionItem tls_opts[3] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (cfg->admin_listen.sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0);

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->gate = gate;
	pthread_mutex_init(&a->stores_lock, NULL);
	a->sessions = admin_sessions_new();
	if (!a->sessions) {
		snprintf(err, errlen, "out of memory");
		server_destroy(a);
		return NULL;
	}
	a->guard = connguard_new("admin", ADMIN_PER_ADDRESS, ADMIN_REQUEST_DEADLINE_S, err, errlen);
	if (!a->guard) {
		server_destroy(a);
		return NULL;
	}
	if (cfg->admin_tls) {
		if (tls_setup(a, cfg, err, errlen) < 0) {
			server_destroy(a);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key };
		tls_opts[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert };
		tls_opts[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	/* two threads: a login's scrypt must not stall every other admin
	 * request. The connection timeout is an idle one: a client that
	 * trickles bytes never meets it, the guard's deadline it does. */
	a->mhd = MHD_start_daemon(flags, 0, connguard_accept_cb, a->guard, admin_request_cb, a,
				  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->admin_listen.sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)ADMIN_THREADS,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)ADMIN_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_CONNECTION, connguard_notify_cb, a->guard,
				  MHD_OPTION_NOTIFY_COMPLETED, admin_completed_cb, a,
				  MHD_OPTION_ARRAY, tls_opts,
				  MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s (admin)", cfg->admin_listen.text);
		server_destroy(a);
		return NULL;
	}
	warn_without_pages(cfg);
	return a;
}

void admin_server_free(struct admin_server *a)
{
	if (a)
		server_destroy(a);
}
