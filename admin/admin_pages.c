/*
 * What the admin listener serves besides the API: the Prometheus metrics
 * and the panel's own files.
 */
#include "admin_api.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "metrics.h"
#include "web_headers.h"

/* The bearer token in [admin] metrics_token_file, read at each scrape (so
 * that rewriting the file changes it), without surrounding blanks; 0 with
 * the token in out, -1 when there is none or it cannot be read. */
static int metrics_token(const struct config *cfg, char *out, size_t outlen)
{
	FILE *f;
	size_t n, start = 0;

	if (!cfg->metrics_token_file[0] || !(f = fopen(cfg->metrics_token_file, "re")))
		return -1;
	n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = '\0';
	while (n && strchr(" \t\r\n", out[n - 1]))
		out[--n] = '\0';
	while (out[start] && strchr(" \t\r\n", out[start]))
		start++;
	memmove(out, out + start, n - start + 1);
	return out[0] ? 0 : -1;
}

/* Who may read /metrics, which tells the load, the failures by reason, the
 * sessions: an address in [admin] metrics_allow (loopback by default), or
 * a request with "Authorization: Bearer <token>" (RFC 6750 §2.1) naming
 * the token in [admin] metrics_token_file. 1 allowed; *token_set tells
 * whether a token could have been given. */
static int metrics_allowed(struct admin_server *a, struct MHD_Connection *conn, int *token_set)
{
	const struct sockaddr *sa = admin_client(conn);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	char token[256];
	int ok = 0;

	*token_set = 0;
	if (sa && cidr_match_any(a->cfg->metrics_allow, a->cfg->n_metrics_allow, sa))
		return 1;
	if (metrics_token(a->cfg, token, sizeof(token)) < 0)
		return 0;
	*token_set = 1;
	if (auth && !strncasecmp(auth, "Bearer ", 7)) {
		const char *t = auth + 7;

		while (*t == ' ')
			t++;
		ok = strlen(t) == strlen(token) && CRYPTO_memcmp(t, token, strlen(token)) == 0;
	}
	OPENSSL_cleanse(token, sizeof(token));
	return ok;
}

static enum MHD_Result metrics_refuse(struct MHD_Connection *conn, int token_set)
{
	static const char need_token[] =
		"metrics: send Authorization: Bearer with the token of [admin] metrics_token_file\n";
	static const char not_listed[] = "metrics: this address is not in [admin] metrics_allow\n";

	/* RFC 6750 §3: a 401 names the scheme */
	if (token_set)
		return admin_reply_with(conn, 401, "text/plain; charset=utf-8", need_token,
				  sizeof(need_token) - 1, "WWW-Authenticate", "Bearer realm=\"portcullis metrics\"");
	return admin_reply(conn, 403, "text/plain; charset=utf-8", not_listed, sizeof(not_listed) - 1, NULL);
}

/* The process counters, and the active intercept sessions, which live in
 * the database (the CLI and the portal change them too). */
static enum MHD_Result serve_metrics(struct store *st, struct MHD_Connection *conn)
{
	char buf[32768];
	json_int_t sessions;
	int n = metrics_format(buf, sizeof(buf)), m = 0;

	if (n < 0)
		return admin_reply(conn, 500, "text/plain", "metrics too large\n", 18, NULL);
	if (st && admin_sessions_active(st, &sessions) == 0)
		m = snprintf(buf + n, sizeof(buf) - (size_t)n,
			     "# HELP portcullis_sessions_active Intercept-mode sessions not expired.\n"
			     "# TYPE portcullis_sessions_active gauge\n"
			     "portcullis_sessions_active %lld\n", (long long)sessions);
	if (m < 0 || (size_t)m >= sizeof(buf) - (size_t)n)
		m = 0;
	return admin_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", buf, (size_t)(n + m), NULL);
}

static const struct {
	const char *ext, *type;
} static_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
};

/* A request path that names a file under web_root: letters, digits and
 * "._-/" only, no empty segment and no segment starting with a dot (so no
 * "..", no hidden files). */
static int static_path_ok(const char *url)
{
	if (url[0] != '/' || strlen(url) > 200)
		return 0;
	for (const char *p = url; *p; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("._-/", *p))
			return 0;
		if (p[0] == '/' && (p[1] == '/' || p[1] == '.'))
			return 0;
	}
	return 1;
}

/* GET of the panel's own files from [admin] web_root: "/" is index.html.
 * Only known types are served, each with its Content-Type and nosniff. */
int admin_page_static(struct admin_call *c)
{
	struct MHD_Connection *conn = c->conn;
	const struct admin_server *a = c->a;
	const char *url = c->url;
	const char *type = NULL, *dot;
	char path[CONFIG_PATH_MAX + 256];
	struct MHD_Response *r;
	struct stat sb;
	enum MHD_Result rc;
	int fd;

	if (!strcmp(url, "/"))
		url = "/index.html";
	if (!static_path_ok(url))
		return admin_reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	dot = strrchr(url, '.');
	for (size_t i = 0; dot && i < sizeof(static_types) / sizeof(static_types[0]); i++)
		if (!strcmp(dot, static_types[i].ext))
			type = static_types[i].type;
	if (!type || (size_t)snprintf(path, sizeof(path), "%s%s", a->cfg->web_root, url) >= sizeof(path))
		return admin_reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return admin_reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return admin_reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);   /* takes the fd */
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	/* revalidated on every load, so an upgrade never mixes old and new */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	web_headers_add(r, WEB_HEADERS_PANEL);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

int admin_page_metrics(struct admin_call *c)
{
	int token_set;

	if (!metrics_allowed(c->a, c->conn, &token_set))
		return metrics_refuse(c->conn, token_set);
	return serve_metrics(c->st, c->conn);
}
