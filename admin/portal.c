#include "portal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin_input.h"
#include "cidr.h"
#include "config.h"
#include "form.h"
#include "gate.h"
#include "intercept.h"
#include "lang.h"
#include "log.h"
#include "look.h"
#include "loop.h"
#include "pac.h"
#include "returnto.h"
#include "sessions.h"
#include "store.h"
#include "upload.h"
#include "voucher.h"
#include "web_headers.h"

#define PORTAL_MAX_CONNECTIONS 512
#define PORTAL_PER_IP          16
#define PORTAL_TIMEOUT_S       15
#define PORTAL_BODY_MAX        8192
#define PORTAL_PAGE_MAX        (64 * 1024)
#define CSRF_LIFETIME_S        3600
#define CSRF_TEXT_MAX          96
#define FIELD_USER_MAX         256
#define FIELD_PASS_MAX         1024
#define FIELD_URL_MAX          2048
#define FIELD_CODE_MAX         64
#define FIELD_CLASS_MAX        64
#define DEVICE_TICKET_S        120   /* the device choice stays open this long */
#define DEVICES_SHOWN          8
/* the longest a value becomes escaped: six bytes for one ("&quot;") */
#define ESCAPED_MAX            (6 * STORE_TERMS_MAX + 1)
/* a device that accepted the terms has this long to sign in (before_login) */
#define TERMS_ACCEPTED_FOR_S   3600

struct portal_server {
	const struct config *cfg;
	struct gate *gate;
	struct intercept *ix;      /* NULL: intercept mode off */
	struct MHD_Daemon *mhd;
	uint8_t secret[32];            /* signs CSRF tokens; new at every start */
	char url[300];                 /* the portal as clients reach it */
	char hostnames[256];           /* its host name when [portal] url names one: the
					* only name (besides address literals and
					* localhost) the portal answers for */
	char *favicon;                 /* web_root/favicon.svg, NULL when absent */
	char *login_tpl, *status_tpl, *css;
	char *devices_tpl;             /* the choice offered at a device limit */
	char *terms_tpl;               /* web_root/portal/terms.html; NULL with terms off */
	pthread_mutex_t store_lock;    /* guards store */
	struct store *store;           /* the terms and their acceptances; opened on first use */
	/* the message catalogues (lang_dir/TAG.txt), en among them */
	struct lang_catalogue langs[LANG_MAX];
	const char *lang_tags[LANG_MAX];
	size_t n_langs, lang_default, lang_en;
	char pac[PAC_MAX];
	long pac_len;
	char *tls_cert, *tls_key;
};

/* ------------------------------------------------------------ files and text */

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (buf) {
		n = fread(buf, 1, max + 1, f);
		if (n > max || ferror(f)) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* HTML text and attribute escaping: whatever a client sent is text. */
static void html_escape(char *out, size_t outlen, const char *in)
{
	size_t o = 0;

	for (; *in && o + 7 < outlen; in++) {
		const char *rep = NULL;

		switch (*in) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		}
		if (rep) {
			size_t n = strlen(rep);

			memcpy(out + o, rep, n);
			o += n;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/*
 * What every page shows around its own content (its frame): the title,
 * stylesheet version and logo the administrator set (store_look), read
 * for each page so that a change shows at once.
 */
struct frame {
	const struct portal_server *p;
	const struct lang_catalogue *lang;   /* {{@key}} is its text for key */
	struct store_look look;
	char version[24];
	const char *vars[8];       /* name, value pairs */
};

/* The text of key in lang, else in English, else key itself (a text that
 * is no key, such as a policy's reason, shows as it is). */
static const char *msg(const struct portal_server *p, const struct lang_catalogue *lang,
		       const char *key)
{
	const char *t = lang_lookup(lang, key);

	if (!t && p->n_langs)
		t = lang_lookup(&p->langs[p->lang_en], key);
	return t ? t : key;
}

/* The catalogue the request's Accept-Language asks for (RFC 9110 §12.5.4),
 * else [portal] language's; NULL when the portal has none loaded. */
static const struct lang_catalogue *lang_of(const struct portal_server *p,
					    struct MHD_Connection *conn)
{
	if (!p->n_langs)
		return NULL;
	return &p->langs[lang_negotiate(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								     "Accept-Language"),
					p->lang_tags, p->n_langs, p->lang_default)];
}

/* A page's answer says its language, and that it depends on the request's
 * Accept-Language (RFC 9110 §8.5, §12.5.5). */
static void lang_headers(const struct lang_catalogue *lang, struct MHD_Response *r)
{
	if (lang)
		MHD_add_response_header(r, "Content-Language", lang->tag);
	MHD_add_response_header(r, "Vary", "Accept-Language");
}

static void frame_load(struct portal_server *p, const struct lang_catalogue *lang,
		       struct frame *fr);
static int render(char *out, size_t outlen, const char *tpl, const char *const *vars, size_t n_vars,
		  const struct frame *fr);

/* render within the page's frame, in lang */
static int render_page(struct portal_server *p, const struct lang_catalogue *lang, char *out,
		       size_t outlen, const char *tpl, const char *const *vars, size_t n_vars)
{
	struct frame fr;

	frame_load(p, lang, &fr);
	return render(out, outlen, tpl, vars, n_vars, &fr);
}

/* The value a template's name stands for: the page's vars first, then
 * the frame's; NULL when neither has it. */
static const char *var_value(const char *name, size_t len, const char *const *vars,
			     size_t n_vars, const struct frame *fr)
{
	if (name[0] == '@' && fr && len > 1 && len <= LANG_KEY_MAX + 1) {
		char key[LANG_KEY_MAX + 1];

		const char *t;

		memcpy(key, name + 1, len - 1);
		key[len - 1] = '\0';
		t = lang_lookup(fr->lang, key);
		if (!t && fr->p->n_langs)
			t = lang_lookup(&fr->p->langs[fr->p->lang_en], key);
		return t ? t : "";
	}
	for (size_t i = 0; i + 1 < n_vars * 2; i += 2)
		if (strlen(vars[i]) == len && !strncmp(vars[i], name, len))
			return vars[i + 1];
	for (size_t i = 0; fr && i + 1 < sizeof(fr->vars) / sizeof(fr->vars[0]); i += 2)
		if (fr->vars[i] && strlen(fr->vars[i]) == len && !strncmp(fr->vars[i], name, len))
			return fr->vars[i + 1];
	return NULL;
}

/* Fill a template: each {{name}} is replaced by the escaped value given
 * for it (names absent from vars and the frame become ""; {{@key}} is
 * the text of key in the page's language); the text
 * between {{?name}} and {{/name}} is kept only when name's value is not
 * empty. */
static int render(char *out, size_t outlen, const char *tpl, const char *const *vars, size_t n_vars,
		  const struct frame *fr)
{
	size_t o = 0;

	while (*tpl) {
		const char *open = strstr(tpl, "{{"), *close, *value;
		size_t lit = open ? (size_t)(open - tpl) : strlen(tpl), len;

		if (o + lit >= outlen)
			return -1;
		memcpy(out + o, tpl, lit);
		o += lit;
		if (!open)
			break;
		close = strstr(open, "}}");
		if (!close)
			return -1;
		tpl = close + 2;
		len = (size_t)(close - open - 2);
		if (open[2] == '/')
			continue;
		if (open[2] == '?') {
			char end[72];
			const char *after;

			value = var_value(open + 3, len - 1, vars, n_vars, fr);
			if (value && value[0])
				continue;
			if (len - 1 + 6 > sizeof(end))
				return -1;
			snprintf(end, sizeof(end), "{{/%.*s}}", (int)(len - 1), open + 3);
			after = strstr(tpl, end);
			if (!after)
				return -1;
			tpl = after + strlen(end);
			continue;
		}
		value = var_value(open + 2, len, vars, n_vars, fr);
		if (value) {
			char *esc = malloc(ESCAPED_MAX);
			size_t n;

			if (!esc)
				return -1;
			html_escape(esc, ESCAPED_MAX, value);
			n = strlen(esc);
			if (o + n >= outlen) {
				free(esc);
				return -1;
			}
			memcpy(out + o, esc, n);
			o += n;
			free(esc);
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* ------------------------------------------------------------ responses */

/* The portal's headers: with HSTS on its HTTPS listener. */
static void portal_headers(struct MHD_Response *r, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	web_headers_add(r, ci && ci->tls_session ? WEB_HEADERS_PORTAL_TLS : WEB_HEADERS_PORTAL);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len, const char *extra_name,
			     const char *extra_value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	portal_headers(r, conn);
	if (extra_name)
		MHD_add_response_header(r, extra_name, extra_value);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* A page in lang (reply with the language headers). */
static enum MHD_Result reply_html(struct MHD_Connection *conn, const struct lang_catalogue *lang,
				  unsigned status, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	portal_headers(r, conn);
	lang_headers(lang, r);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", text, strlen(text), NULL, NULL);
}

static const struct sockaddr *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci ? ci->client_addr : NULL;
}

/* The MAC the connection's first frame came from, read as the proxy reads
 * it for intercepted connections (the kernel's label of the connection):
 * a session bound to another MAC is not this client's (another device
 * took the address over, or forged ARP to pass as it). Unknown, it is all
 * zeros, which only a session without a MAC matches, as in the proxy. */
static void client_mac(struct portal_server *p, struct MHD_Connection *conn,
		       const struct sockaddr *client, uint8_t mac[6])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);

	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&local, &len) < 0 ||
	    intercept_client_mac(p->ix, client, (const struct sockaddr *)&local, mac) != 0)
		memset(mac, 0, 6);
}

/* ------------------------------------------------------------ CSRF */

/* token = hex(HMAC-SHA256(secret, address "|" time))[0..32] "." time */
static void csrf_make(const struct portal_server *p, const struct sockaddr *client, long when,
		      char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char msg[96], addr[64], mac[33];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	cidr_addr_text(client, addr, sizeof(addr));
	n = snprintf(msg, sizeof(msg), "%s|%ld", addr, when);
	HMAC(EVP_sha256(), p->secret, sizeof(p->secret), (const unsigned char *)msg, (size_t)n, md,
	     &mdlen);
	for (int i = 0; i < 16; i++) {
		mac[2 * i] = hex[md[i] >> 4];
		mac[2 * i + 1] = hex[md[i] & 15];
	}
	mac[32] = '\0';
	snprintf(out, outlen, "%s.%ld", mac, when);
}

static int csrf_ok(const struct portal_server *p, const struct sockaddr *client, const char *token)
{
	const char *dot = strchr(token, '.');
	char expect[CSRF_TEXT_MAX], *end;
	long when, now = (long)(loop_wall_ms() / 1000);

	if (!dot || strlen(token) >= sizeof(expect))
		return 0;
	errno = 0;
	when = strtol(dot + 1, &end, 10);
	if (errno || *end || end == dot + 1 || when > now + 60 || now - when > CSRF_LIFETIME_S)
		return 0;
	csrf_make(p, client, when, expect, sizeof(expect));
	return strlen(expect) == strlen(token) && CRYPTO_memcmp(expect, token, strlen(token)) == 0;
}

/* ------------------------------------------------------------ form parsing */

struct login_form {
	char username[FIELD_USER_MAX + 1];
	char password[FIELD_PASS_MAX + 1];
	size_t password_len;
	char csrf[CSRF_TEXT_MAX];
	char url[FIELD_URL_MAX + 1];
	char sig[RETURNTO_SIG_MAX];
	int have_user, have_pass, have_csrf;
	char code[FIELD_CODE_MAX + 1];     /* a voucher code, instead of the two */
	/* the device choice's ticket (device_ticket_make) */
	char t_user[FIELD_USER_MAX + 1], t_life[24], t_cred[24], t_when[24], t_sig[40];
	char t_class[FIELD_CLASS_MAX + 1];
};

/* 0, or -1 with the bad field's name in *bad (too long or malformed). */
static int form_parse(const char *body, size_t len, struct login_form *f, const char **bad)
{
	struct {
		const char *name;
		char *out;
		size_t outlen;
		int *have;
		size_t *n;
	} fields[] = {
		{ "username", f->username, sizeof(f->username), &f->have_user, NULL },
		{ "password", f->password, sizeof(f->password), &f->have_pass, &f->password_len },
		{ "csrf", f->csrf, sizeof(f->csrf), &f->have_csrf, NULL },
		{ "url", f->url, sizeof(f->url), NULL, NULL },
		{ "sig", f->sig, sizeof(f->sig), NULL, NULL },
		{ "code", f->code, sizeof(f->code), NULL, NULL },
		{ "t_user", f->t_user, sizeof(f->t_user), NULL, NULL },
		{ "t_life", f->t_life, sizeof(f->t_life), NULL, NULL },
		{ "t_cred", f->t_cred, sizeof(f->t_cred), NULL, NULL },
		{ "t_when", f->t_when, sizeof(f->t_when), NULL, NULL },
		{ "t_sig", f->t_sig, sizeof(f->t_sig), NULL, NULL },
		{ "t_class", f->t_class, sizeof(f->t_class), NULL, NULL },
	};

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t n = 0;

		switch (form_field(body, len, fields[i].name, fields[i].out, fields[i].outlen, &n)) {
		case FORM_FOUND:
			if (fields[i].have)
				*fields[i].have = 1;
			if (fields[i].n)
				*fields[i].n = n;
			break;
		case FORM_ABSENT:
			fields[i].out[0] = '\0';
			break;
		default:
			*bad = fields[i].name;
			return -1;
		}
	}
	*bad = NULL;
	return 0;
}

/* The page to send a client to after its login: the URL its intercepted
 * request named, and only with the signature the intercept made for this
 * client (anything else a link or a form carries would make the portal an
 * open redirect); an http(s) URL of printable ASCII. 1 when url may be
 * used. */
static int return_url_ok(struct portal_server *p, struct MHD_Connection *conn,
			 const struct sockaddr *client, const char *url, const char *sig)
{
	uint8_t mac[6];

	if (!url || !sig || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return 0;
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '"' || *c == '<' ||
		    *c == '>' || *c == '\\')
			return 0;
	client_mac(p, conn, client, mac);
	return returnto_verify(client, mac, url, sig, (long)(loop_wall_ms() / 1000));
}

/* ------------------------------------------------------------ pages */

/* message: the key of its text in the catalogues (or a text that is
 * none, shown as it is); url and sig: the page to return to after the
 * login and its signature, carried in the form only when they are good
 * for this client. */
static enum MHD_Result page_login(struct portal_server *p, struct MHD_Connection *conn,
				  unsigned status, const char *message, const char *url,
				  const char *sig, const char *retry_after)
{
	const struct sockaddr *client = client_of(conn);
	const struct lang_catalogue *lang = lang_of(p, conn);
	char token[CSRF_TEXT_MAX], cookie[CSRF_TEXT_MAX + 96];
	char *page = malloc(PORTAL_PAGE_MAX);
	const char *typed = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "code");
	char code[VOUCHER_LEN_MAX + 1] = "";
	const char *vars[] = { "csrf", token, "url", "", "sig", "", "message",
			       message && message[0] ? msg(p, lang, message) : "", "code", code };
	struct MHD_Response *r;
	enum MHD_Result rc;
	int n;

	if (!client || !page) {
		free(page);
		return MHD_NO;
	}
	if (return_url_ok(p, conn, client, url, sig)) {
		vars[3] = url;
		vars[5] = sig;
	}
	/* a voucher card's QR code opens the portal with its code filled in */
	if (!typed || voucher_normalize(typed, code, sizeof(code)) < 0)
		code[0] = '\0';
	csrf_make(p, client, (long)(loop_wall_ms() / 1000), token, sizeof(token));
	n = render_page(p, lang, page, PORTAL_PAGE_MAX, p->login_tpl, vars, 5);
	if (n < 0) {
		free(page);
		return reply_text(conn, 500, "The login page is too large.\n");
	}
	snprintf(cookie, sizeof(cookie), "pc_csrf=%s; Path=/; HttpOnly; SameSite=Strict%s", token,
		 p->tls_cert ? "; Secure" : "");
	r = MHD_create_response_from_buffer((size_t)n, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	portal_headers(r, conn);
	lang_headers(lang, r);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* next and sig: the page the client asked for before it was sent to the
 * portal, and its signature; a signed-in client is sent on to it (a meta
 * refresh, with the link for a browser that does not follow one). note
 * (NULL: none): what the identity source said at the login (a RADIUS
 * Reply-Message), shown as text, with 10 s to read it before the refresh. */
static enum MHD_Result page_status(struct portal_server *p, struct MHD_Connection *conn,
				   unsigned status, const char *next, const char *sig,
				   const char *note)
{
	const struct sockaddr *client = client_of(conn);
	const struct lang_catalogue *lang = lang_of(p, conn);
	char user[AUTH_USER_MAX + 1] = "", message[512], refresh[FIELD_URL_MAX + 16] = "";
	char minutes[24];
	char *page = malloc(PORTAL_PAGE_MAX);
	uint8_t mac[6];
	long left = -1;
	const char *vars[12];
	enum MHD_Result rc;
	int n;

	if (!client || !page) {
		free(page);
		return MHD_NO;
	}
	if (!return_url_ok(p, conn, client, next, sig))
		next = NULL;
	if (note && !note[0])
		note = NULL;
	client_mac(p, conn, client, mac);
	if (intercept_session_user(p->ix, client, mac, user, sizeof(user)))
		left = intercept_session_remaining(p->ix, client, mac);
	snprintf(minutes, sizeof(minutes), "%ld", (left + 59) / 60);
	lang_format(message, sizeof(message), msg(p, lang, left >= 0 ? "status.signed_in" :
						  "status.not_signed_in"),
		    (const char *const[]){ "user", user, "minutes", minutes }, 2);
	/* a device whose used-up quota throttles it is told so */
	if (left >= 0 && intercept_throttled(p->ix, client) &&
	    strlen(message) + 1 < sizeof(message))
		snprintf(message + strlen(message), sizeof(message) - strlen(message), " %s",
			 msg(p, lang, "status.throttled"));
	vars[0] = "title";
	vars[1] = msg(p, lang, left >= 0 ? "status.title_in" : "status.title_out");
	vars[2] = "message";
	vars[3] = message;
	vars[4] = "href";
	vars[5] = left >= 0 ? (next ? next : "/status") : "/";
	vars[6] = "href_text";
	vars[7] = left >= 0 ? (next ? next : msg(p, lang, "status.refresh")) :
		  msg(p, lang, "status.sign_in");
	/* HTML's declarative refresh: an empty content attribute is ignored */
	if (left >= 0 && next)
		snprintf(refresh, sizeof(refresh), "%d; url=%s", note ? 10 : 0, next);
	vars[8] = "refresh";
	vars[9] = refresh;
	vars[10] = "note";
	vars[11] = left >= 0 && note ? note : "";
	n = render_page(p, lang, page, PORTAL_PAGE_MAX, p->status_tpl, vars, 6);
	if (n < 0) {
		free(page);
		return reply_text(conn, 500, "The status page is too large.\n");
	}
	rc = reply_html(conn, lang, status, page, (size_t)n);
	free(page);
	return rc;
}

/* RFC 8908 §5: the API's JSON; captive until the client has a session. */
static enum MHD_Result api_captive(struct portal_server *p, struct MHD_Connection *conn)
{
	const struct sockaddr *client = client_of(conn);
	uint8_t mac[6];
	long left = -1;
	json_t *j;
	char *text;
	enum MHD_Result rc;

	if (client) {
		client_mac(p, conn, client, mac);
		left = intercept_session_remaining(p->ix, client, mac);
	}
	j = json_pack("{s:b, s:s}", "captive", left < 0, "user-portal-url", p->url);

	if (j && left >= 0) {
		json_object_set_new(j, "seconds-remaining", json_integer(left));
		json_object_set_new(j, "can-extend-session", json_false());
	}
	text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (!text)
		return reply_text(conn, 500, "out of memory\n");
	rc = reply(conn, 200, "application/captive+json", text, strlen(text), NULL, NULL);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ devices per account */

/*
 * The device choice: a login at its account's (or voucher's) device limit
 * gets a page that offers to end the oldest device's session. Its button
 * posts back this ticket instead of the credentials (the password is never
 * written into a page): what the login proved (user, the session's
 * lifetime, the credential it was checked against), for this client's
 * address, at when, signed with the portal's secret. It is good for
 * DEVICE_TICKET_S and only with the form's CSRF token, like a login.
 */
static void device_ticket_make(const struct portal_server *p, const struct sockaddr *client,
			       const char *user, unsigned life, uint64_t cred, const char *class,
			       long when, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	char msg[FIELD_USER_MAX + FIELD_CLASS_MAX + 160], addr[64];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	cidr_addr_text(client, addr, sizeof(addr));
	n = snprintf(msg, sizeof(msg), "devices%c%s%c%s%c%u%c%llu%c%s%c%ld", 0, addr, 0, user, 0,
		     life, 0, (unsigned long long)cred, 0, class, 0, when);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	HMAC(EVP_sha256(), p->secret, sizeof(p->secret), (const unsigned char *)msg, (size_t)n, md,
	     &mdlen);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

static enum MHD_Result page_devices(struct portal_server *p, struct MHD_Connection *conn,
				    const struct sockaddr *client, const char *user,
				    const struct gate_login *login, const char *class, unsigned limit,
				    int n, const struct intercept_device *oldest,
				    const struct login_form *f)
{
	char token[CSRF_TEXT_MAX], life[24], cred[24], when[24], sig[33], message[512], since[64];
	char others[24], most[24], device[64];
	const struct lang_catalogue *lang = lang_of(p, conn);
	char *page = malloc(PORTAL_PAGE_MAX);
	long now = (long)(loop_wall_ms() / 1000);
	time_t t = (time_t)oldest->since;
	struct tm tm;
	const char *vars[] = { "csrf", token, "url", "", "sig", "", "message", message,
			       "t_user", user, "t_life", life, "t_cred", cred, "t_when", when,
			       "t_sig", sig, "t_class", class };
	enum MHD_Result rc;
	int len;

	if (!page)
		return MHD_NO;
	if (return_url_ok(p, conn, client, f->url, f->sig)) {
		vars[3] = f->url;
		vars[5] = f->sig;
	}
	gmtime_r(&t, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(others, sizeof(others), "%d", n);
	snprintf(most, sizeof(most), "%u", limit);
	snprintf(device, sizeof(device), "%s%s", oldest->mac[0] ? "MAC " : "address ",
		 oldest->mac[0] ? oldest->mac : oldest->addr);
	lang_format(message, sizeof(message), msg(p, lang, n == 1 ? "devices.message_one" :
						  "devices.message_many"),
		    (const char *const[]){ "user", user, "n", others, "limit", most, "device", device,
					   "since", since }, 5);
	snprintf(life, sizeof(life), "%u", login->attrs.session_timeout);
	snprintf(cred, sizeof(cred), "%llu", (unsigned long long)login->credential);
	snprintf(when, sizeof(when), "%ld", now);
	device_ticket_make(p, client, user, login->attrs.session_timeout, login->credential, class,
			   now, sig);
	/* the token of the form just posted (checked): the cookie holds it */
	snprintf(token, sizeof(token), "%s", f->csrf);
	len = render_page(p, lang, page, PORTAL_PAGE_MAX, p->devices_tpl, vars, sizeof(vars) / sizeof(vars[0]) / 2);
	if (len < 0) {
		free(page);
		return reply_text(conn, 500, "The page is too large.\n");
	}
	/* RFC 9110 §15.5.10: the login is good but conflicts with the
	 * account's other sessions until the guest chooses */
	rc = reply_html(conn, lang, 409, page, (size_t)len);
	free(page);
	return rc;
}

/* Start the session and send the client on (303 to the status page; the
 * status page at once when the login came with a Reply-Message). */
static enum MHD_Result start_session(struct portal_server *p, struct MHD_Connection *conn,
				     const struct sockaddr *client, const uint8_t mac[6],
				     const char *user, const struct gate_login *login,
				     const char *class, const struct login_form *f)
{
	char group_class[64] = "";
	enum MHD_Result rc;

	/* a voucher's class is its roll's; a user's own class (the users
	 * row) comes before its group policy's */
	if (!class) {
		gate_policy_class(p->gate, user, &login->attrs, group_class, sizeof(group_class));
		class = group_class;
	}
	if (intercept_session_start(p->ix, client, mac, user, login, class) < 0)
		return page_login(p, conn, 503, "error.session_not_started",
				  f->url, f->sig, NULL);
	/* a Reply-Message (RFC 2865 §5.18) is for the person: the status page
	 * is the answer itself, with the message, and sends them on after a
	 * moment */
	if (login && login->attrs.reply_message[0])
		return page_status(p, conn, 200, f->url, f->sig, login->attrs.reply_message);
	/* RFC 9110 §15.4.4: 303 turns the POST into a GET of the next
	 * page. That page is the portal's own: a form's CSP form-action
	 * 'self' covers the redirects that follow its submission, and
	 * Chromium aborts one to another origin (the person would stay on
	 * the form). The status page sends the client on to the page it
	 * had asked for. */
	if (return_url_ok(p, conn, client, f->url, f->sig)) {
		char *location = malloc(3 * (FIELD_URL_MAX + RETURNTO_SIG_MAX) + 32), *o;

		if (!location)
			return MHD_NO;
		o = location + sprintf(location, "/status?url=");
		form_percent_encode(o, 3 * FIELD_URL_MAX + 1, f->url);
		o += strlen(o);
		o += sprintf(o, "&sig=");
		form_percent_encode(o, 3 * RETURNTO_SIG_MAX + 1, f->sig);
		rc = reply(conn, 303, "text/plain; charset=utf-8", "Signed in.\n", 11, "Location",
			   location);
		free(location);
		return rc;
	}
	return reply(conn, 303, "text/plain; charset=utf-8", "Signed in.\n", 11, "Location", "/status");
}

/* A login that passed: within its device limit (0: none) the session
 * starts; at the limit the guest gets the choice. */
static enum MHD_Result login_passed(struct portal_server *p, struct MHD_Connection *conn,
				    const struct sockaddr *client, const char *user,
				    const struct gate_login *login, unsigned limit,
				    const char *class, const struct login_form *f)
{
	struct intercept_device devices[DEVICES_SHOWN];
	uint8_t mac[6];
	int n;

	client_mac(p, conn, client, mac);
	if (limit) {
		n = intercept_user_devices(p->ix, user, client, mac, devices, DEVICES_SHOWN);
		if (n < 0)
			return page_login(p, conn, 503, "error.devices_not_counted", f->url, f->sig, NULL);
		if ((unsigned)n >= limit)
			return page_devices(p, conn, client, user, login, class ? class : "", limit, n,
					    &devices[0], f);
	}
	return start_session(p, conn, client, mac, user, login, class, f);
}

/* A group policy's refusal in lang: who refused, and when access opens
 * ("Mon 08:00", the day's name from the catalogue). */
static void policy_refusal_text(const struct portal_server *p, const struct lang_catalogue *lang,
				const struct gate_policy_refusal *r, char *out, size_t outlen)
{
	static const char *const days[7] = { "day.sun", "day.mon", "day.tue", "day.wed", "day.thu",
					     "day.fri", "day.sat" };
	char name[POLICY_GROUP_MAX + 128], when[64];
	const char *key = r->kind == POLICY_NEVER ? "policy.never" :
			  r->kind == POLICY_OPENS ? "policy.opens" : "policy.denied";

	lang_format(name, sizeof(name), msg(p, lang, r->group[0] ? "policy.group" : "policy.default"),
		    (const char *const[]){ "group", r->group }, 1);
	snprintf(when, sizeof(when), "%s %02d:%02d", msg(p, lang, days[(r->opens.wday % 7 + 7) % 7]),
		 r->opens.minute / 60, r->opens.minute % 60);
	lang_format(out, outlen, msg(p, lang, key),
		    (const char *const[]){ "policy", name, "when", when }, 2);
}

/* A voucher code refused, and why. */
static enum MHD_Result page_voucher_refused(struct portal_server *p, struct MHD_Connection *conn,
					    enum gate_voucher_refusal why,
					    const struct login_form *f)
{
	const char *text = "error.voucher_unknown";

	if (why == GATE_VOUCHER_EXPIRED)
		text = "error.voucher_expired";
	else if (why == GATE_VOUCHER_REVOKED)
		text = "error.voucher_revoked";
	else if (why == GATE_VOUCHER_QUOTA)
		text = "error.voucher_quota";
	return page_login(p, conn, 401, text, f->url, f->sig, NULL);
}

/* The device choice's button: the ticket checked, the oldest devices
 * signed out until this one fits, the session started. */
static enum MHD_Result device_choice(struct portal_server *p, struct MHD_Connection *conn,
				     const struct sockaddr *client, const struct login_form *f)
{
	struct intercept_device devices[DEVICES_SHOWN];
	struct gate_login login;
	char expect[33], *end;
	long now = (long)(loop_wall_ms() / 1000), when;
	unsigned long long life, cred;
	unsigned limit;
	uint8_t mac[6];
	int n;

	memset(&login, 0, sizeof(login));
	errno = 0;
	when = strtol(f->t_when, &end, 10);
	if (errno || *end || end == f->t_when || when > now + 60 || now - when > DEVICE_TICKET_S)
		goto refused;
	life = strtoull(f->t_life, &end, 10);
	if (errno || *end || end == f->t_life || life > UINT32_MAX)
		goto refused;
	cred = strtoull(f->t_cred, &end, 10);
	if (errno || *end || end == f->t_cred)
		goto refused;
	device_ticket_make(p, client, f->t_user, (unsigned)life, cred, f->t_class, when, expect);
	if (strlen(f->t_sig) != 32 || CRYPTO_memcmp(expect, f->t_sig, 32) != 0)
		goto refused;
	/* the time since the choice was offered comes off the lifetime */
	if (life && (unsigned long long)(now - when) >= life)
		goto refused;
	/* a code revoked, expired or at its quota since the choice was
	 * offered starts no session with it */
	if (strncmp(f->t_user, VOUCHER_USER_PREFIX, strlen(VOUCHER_USER_PREFIX)) == 0) {
		enum gate_voucher_refusal why;
		enum gate_verdict v = gate_voucher_usable(p->gate, f->t_user, &why);

		if (v != GATE_PASS) {
			log_info("portal: a device choice for %s refused: the code %s", f->t_user,
				 v == GATE_UNAVAILABLE ? "cannot be read" : "is no longer usable");
			return v == GATE_UNAVAILABLE ? page_login(p, conn, 503, "error.voucher_unavailable",
								  f->url, f->sig, NULL)
						     : page_voucher_refused(p, conn, why, f);
		}
	}
	login.credential = cred;
	login.attrs.session_timeout = life ? (unsigned)(life - (unsigned long long)(now - when)) : 0;
	limit = strncmp(f->t_user, VOUCHER_USER_PREFIX, strlen(VOUCHER_USER_PREFIX)) == 0 ? 0 :
		gate_device_limit(p->gate, f->t_user, intercept_user_max_devices(p->ix, f->t_user),
				  NULL);
	client_mac(p, conn, client, mac);
	n = intercept_user_devices(p->ix, f->t_user, client, mac, devices, DEVICES_SHOWN);
	if (n < 0)
		return page_login(p, conn, 503, "error.devices_not_counted_again", f->url, f->sig, NULL);
	/* a voucher's limit is not re-read: it was in the ticket's choice, so
	 * one device is signed out, the oldest; a user's is read again */
	if (limit == 0)
		limit = n > 0 ? (unsigned)n : 1;
	for (int i = 0; i < n && i < DEVICES_SHOWN && (unsigned)(n - i) >= limit; i++)
		if (intercept_end_device(p->ix, f->t_user, &devices[i]) < 0)
			return page_login(p, conn, 503, "error.device_not_signed_out", f->url, f->sig, NULL);
	/* a voucher's class came in the ticket; a user's is looked up again */
	return start_session(p, conn, client, mac, f->t_user, &login,
			     strncmp(f->t_user, VOUCHER_USER_PREFIX, strlen(VOUCHER_USER_PREFIX)) ? NULL :
			     f->t_class, f);
refused:
	log_info("portal: a device choice with an expired or forged ticket refused");
	return page_login(p, conn, 403, "error.choice_expired", f->url, f->sig,
			  NULL);
}

/* ------------------------------------------------------------ click-through terms */

static int terms_on(const struct portal_server *p)
{
	return strcmp(p->cfg->portal_terms, "off") != 0;
}

static int terms_alone(const struct portal_server *p)
{
	return !strcmp(p->cfg->portal_terms, "alone");
}

/* The portal's database connection, opened on first use; the caller holds
 * store_lock. NULL when the database cannot be opened. */
static struct store *portal_store(struct portal_server *p)
{
	char err[256];

	if (!p->store) {
		p->store = store_open(p->cfg->db_path, err, sizeof(err));
		if (!p->store)
			log_error("portal: cannot open the database: %s", err);
	}
	return p->store;
}

/* The current terms into *t, under the store's lock: 0, 1 when none were
 * ever saved, -1 when the database cannot be read. */
static int terms_current(struct portal_server *p, struct store_terms *t)
{
	int rc = -1;

	pthread_mutex_lock(&p->store_lock);
	if (portal_store(p)) {
		rc = store_terms_get(p->store, t);
		if (rc < 0)
			rc = -1;
	}
	pthread_mutex_unlock(&p->store_lock);
	return rc;
}

static void mac_text(const uint8_t mac[6], char out[18])
{
	static const uint8_t none[6];

	if (!memcmp(mac, none, 6))
		out[0] = '\0';
	else
		snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
			 mac[4], mac[5]);
}

/* 1 when this device (address and MAC) accepted the current terms within
 * TERMS_ACCEPTED_FOR_S; 0 when not or when it cannot be told. */
static int terms_accepted(struct portal_server *p, struct MHD_Connection *conn,
			  const struct sockaddr *client)
{
	struct store_terms *t = malloc(sizeof(*t));
	char addr[64], mac[18];
	uint8_t m[6];
	int rc = 0;

	if (!t || terms_current(p, t) != 0) {
		free(t);
		return 0;
	}
	client_mac(p, conn, client, m);
	mac_text(m, mac);
	cidr_addr_text(client, addr, sizeof(addr));
	pthread_mutex_lock(&p->store_lock);
	rc = store_terms_accepted(p->store, addr, mac, t->version,
				  loop_wall_ms() - TERMS_ACCEPTED_FOR_S * 1000LL) == 1;
	pthread_mutex_unlock(&p->store_lock);
	free(t);
	return rc;
}

/* The terms page: the text (escaped like every value) and the accept form,
 * with the same CSRF token and cookie as the login form. */
static enum MHD_Result page_terms(struct portal_server *p, struct MHD_Connection *conn,
				  unsigned status, const char *message, const char *url,
				  const char *sig)
{
	const struct sockaddr *client = client_of(conn);
	const struct lang_catalogue *lang = lang_of(p, conn);
	struct store_terms *t = malloc(sizeof(*t));
	size_t page_max = PORTAL_PAGE_MAX + ESCAPED_MAX;
	char *page = malloc(page_max);
	char token[CSRF_TEXT_MAX], cookie[CSRF_TEXT_MAX + 96], version[24];
	const char *vars[] = { "csrf", token, "url", "", "sig", "", "message",
			       message && message[0] ? msg(p, lang, message) : "",
			       "terms", "", "version", version,
			       "button", msg(p, lang, terms_alone(p) ? "terms.accept_connect" :
						     "terms.accept_continue") };
	struct MHD_Response *r;
	enum MHD_Result rc;
	int n;

	if (!client || !page || !t) {
		free(page);
		free(t);
		return MHD_NO;
	}
	switch (terms_current(p, t)) {
	case 0:
		vars[9] = t->text;
		break;
	case 1:
		vars[9] = msg(p, lang, "terms.not_written");
		t->version = 0;
		break;
	default:
		free(page);
		free(t);
		return reply_text(conn, 503, "The terms of use cannot be read right now; try again in a few minutes.\n");
	}
	snprintf(version, sizeof(version), "%lld", (long long)t->version);
	if (return_url_ok(p, conn, client, url, sig)) {
		vars[3] = url;
		vars[5] = sig;
	}
	csrf_make(p, client, (long)(loop_wall_ms() / 1000), token, sizeof(token));
	n = render_page(p, lang, page, page_max, p->terms_tpl, vars, sizeof(vars) / sizeof(vars[0]) / 2);
	free(t);
	if (n < 0) {
		free(page);
		return reply_text(conn, 500, "The terms page is too large.\n");
	}
	snprintf(cookie, sizeof(cookie), "pc_csrf=%s; Path=/; HttpOnly; SameSite=Strict%s", token,
		 p->tls_cert ? "; Secure" : "");
	r = MHD_create_response_from_buffer((size_t)n, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	portal_headers(r, conn);
	lang_headers(lang, r);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* 303 to path, carrying url and sig when they are good for this client. */
static enum MHD_Result redirect_with_return(struct portal_server *p, struct MHD_Connection *conn,
					    const struct sockaddr *client, const char *path,
					    const char *url, const char *sig)
{
	char *location;
	enum MHD_Result rc;
	int o;

	if (!return_url_ok(p, conn, client, url, sig))
		return reply(conn, 303, "text/plain; charset=utf-8", "See the next page.\n", 19,
			     "Location", path);
	location = malloc(3 * (FIELD_URL_MAX + RETURNTO_SIG_MAX) + 64);
	if (!location)
		return MHD_NO;
	o = sprintf(location, "%s?url=", path);
	form_percent_encode(location + o, 3 * FIELD_URL_MAX + 1, url);
	o += (int)strlen(location + o);
	o += sprintf(location + o, "&sig=");
	form_percent_encode(location + o, 3 * RETURNTO_SIG_MAX + 1, sig);
	rc = reply(conn, 303, "text/plain; charset=utf-8", "See the next page.\n", 19, "Location",
		   location);
	free(location);
	return rc;
}

/* POST /accept: the terms' form (csrf, version, url, sig). The acceptance
 * is recorded (time, address, MAC, version); alone, it starts the device's
 * session "terms:ADDRESS" for [portal] terms_lifetime; before a login, the
 * login page follows. */
static enum MHD_Result do_accept(struct portal_server *p, struct MHD_Connection *conn,
				 struct upload *req)
{
	const struct sockaddr *client = client_of(conn);
	const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "pc_csrf");
	const char *body = req->data ? req->data : "";
	char csrf[CSRF_TEXT_MAX], version[24], url[FIELD_URL_MAX + 1], sig[RETURNTO_SIG_MAX];
	char addr[64], mac[18], user[80];
	struct store_terms *t = NULL;
	struct gate_login login;
	uint8_t m[6];
	size_t n;
	int rc;

	if (!client)
		return MHD_NO;
	if (!terms_on(p))
		return reply_text(conn, 404, "Not found.\n");
	if (req->too_large)
		return reply_text(conn, 413, "Request too large: the form is a few hundred bytes.\n");
	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
		return reply_text(conn, 415, "Unsupported media type: send the form.\n");
	if (form_field(body, req->len, "csrf", csrf, sizeof(csrf), &n) != FORM_FOUND ||
	    form_field(body, req->len, "version", version, sizeof(version), &n) != FORM_FOUND)
		return reply_text(conn, 400, "Bad request: the csrf and version fields are needed.\n");
	if (form_field(body, req->len, "url", url, sizeof(url), &n) != FORM_FOUND)
		url[0] = '\0';
	if (form_field(body, req->len, "sig", sig, sizeof(sig), &n) != FORM_FOUND)
		sig[0] = '\0';
	if (!cookie || strcmp(cookie, csrf) != 0 || !csrf_ok(p, client, csrf)) {
		log_info("portal: terms form with a missing or forged CSRF token refused");
		return page_terms(p, conn, 403, "error.terms_form_expired",
				  url, sig);
	}
	t = malloc(sizeof(*t));
	if (!t)
		return MHD_NO;
	rc = terms_current(p, t);
	if (rc != 0) {
		free(t);
		return rc == 1 ? page_terms(p, conn, 409, "terms.none_yet", url, sig)
			       : reply_text(conn, 503, "The terms of use cannot be read right now; try again in a few minutes.\n");
	}
	/* the version the person read: a newer one saved meanwhile is shown */
	if (strtoll(version, NULL, 10) != t->version) {
		free(t);
		return page_terms(p, conn, 409, "terms.changed",
				  url, sig);
	}
	client_mac(p, conn, client, m);
	mac_text(m, mac);
	cidr_addr_text(client, addr, sizeof(addr));
	pthread_mutex_lock(&p->store_lock);
	rc = store_terms_accept(p->store, loop_wall_ms(), addr, mac, t->version);
	pthread_mutex_unlock(&p->store_lock);
	if (rc < 0) {
		free(t);
		return reply_text(conn, 503, "The acceptance cannot be recorded right now; try again in a few minutes.\n");
	}
	log_info("portal: terms version %lld accepted by %s%s%s", (long long)t->version, addr,
		 mac[0] ? " " : "", mac);
	free(t);
	if (!terms_alone(p))
		return redirect_with_return(p, conn, client, "/login", url, sig);
	/* a session of its own lifetime that no local account follows */
	memset(&login, 0, sizeof(login));
	login.credential = SESSIONS_CREDENTIAL_REMOTE;
	login.attrs.session_timeout = p->cfg->portal_terms_lifetime;
	snprintf(user, sizeof(user), "terms:%s", addr);
	if (intercept_session_start(p->ix, client, m, user, &login, NULL) < 0)
		return page_terms(p, conn, 503, "error.accepted_not_started",
				  url, sig);
	return redirect_with_return(p, conn, client, "/status", url, sig);
}

/* ------------------------------------------------------------ logins */

static enum MHD_Result do_login(struct portal_server *p, struct MHD_Connection *conn,
				struct upload *req)
{
	const struct sockaddr *client = client_of(conn);
	const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "pc_csrf");
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	struct login_form *f = calloc(1, sizeof(*f));
	struct gate_voucher *vch = calloc(1, sizeof(*vch));
	enum gate_voucher_refusal why = GATE_VOUCHER_UNKNOWN;
	const char *bad = NULL;
	enum gate_verdict v;
	struct gate_login login;
	unsigned retry_after = 0;
	enum MHD_Result rc;
	char msg[128];

	if (!client || !f || !vch) {
		free(f);
		free(vch);
		return MHD_NO;
	}
	if (req->too_large) {
		rc = reply_text(conn, 413, "Request too large: the login form is a few hundred bytes.\n");
		goto out;
	}
	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
		rc = reply_text(conn, 415, "Unsupported media type: send the login form.\n");
		goto out;
	}
	if (form_parse(req->data ? req->data : "", req->len, f, &bad) < 0) {
		snprintf(msg, sizeof(msg), "Bad request: the %s field is too long or malformed.\n", bad);
		rc = reply_text(conn, 400, msg);
		goto out;
	}
	if (!f->have_csrf || !cookie || strcmp(cookie, f->csrf) != 0 || !csrf_ok(p, client, f->csrf)) {
		log_info("portal: login form with a missing or forged CSRF token refused");
		rc = page_login(p, conn, 403, "error.form_expired",
				f->url, f->sig, NULL);
		goto out;
	}
	if (f->t_sig[0]) {
		rc = device_choice(p, conn, client, f);
		goto out;
	}
	/* [portal] terms = before_login: the terms first, then the login */
	if (terms_on(p) && !terms_alone(p) && !terms_accepted(p, conn, client)) {
		rc = page_terms(p, conn, 403, "terms.accept_first",
				f->url, f->sig);
		goto out;
	}
	/* one form: the code is used when it is filled in and the username not */
	if (f->code[0] && !f->username[0]) {
		v = gate_check_voucher(p->gate, client, f->code, ua ? ua : "", &retry_after, vch, &why);
		if (v == GATE_PASS) {
			rc = login_passed(p, conn, client, vch->username, &vch->login, vch->max_devices,
					  vch->bandwidth_class, f);
			goto out;
		}
	} else {
		if (!f->have_user || !f->have_pass || !f->username[0]) {
			rc = page_login(p, conn, 400, "error.fields_missing",
					f->url, f->sig, NULL);
			goto out;
		}
		uint8_t mac[6];
		static const uint8_t unknown[6];

		/* read before the check: RADIUS is told it (Calling-Station-Id) */
		client_mac(p, conn, client, mac);
		v = gate_check_form_login(p->gate, GATE_MODE_PORTAL, client,
					  memcmp(mac, unknown, 6) ? mac : NULL, f->username,
					  f->password, f->password_len, ua ? ua : "", &retry_after,
					  &login);
		if (v == GATE_PASS) {
			char why_policy[POLICY_GROUP_MAX + 200];
			struct gate_policy_refusal refusal;

			if (!gate_policy_login_why(p->gate, f->username, &login, why_policy,
						   sizeof(why_policy), &refusal)) {
				policy_refusal_text(p, lang_of(p, conn), &refusal, why_policy,
						    sizeof(why_policy));
				rc = page_login(p, conn, 403, why_policy, f->url, f->sig, NULL);
				goto out;
			}
			rc = login_passed(p, conn, client, f->username, &login,
					  gate_device_limit(p->gate, f->username,
							    intercept_user_max_devices(p->ix, f->username),
							    &login.attrs), NULL, f);
			goto out;
		}
	}
	switch (v) {
	case GATE_LOCKED:
		snprintf(msg, sizeof(msg), "%u", retry_after);
		rc = page_login(p, conn, 429, "error.locked_out", f->url, f->sig,
				msg);
		break;
	case GATE_UNAVAILABLE:
		/* the gateway's database cannot be read (it keeps serving the
		 * users it knows from memory) or no RADIUS server answers */
		rc = page_login(p, conn, 503, "error.unavailable", f->url, f->sig, NULL);
		break;
	default:
		if (!f->code[0] || f->username[0])
			rc = page_login(p, conn, 401, "error.wrong_password", f->url, f->sig, NULL);
		else
			rc = page_voucher_refused(p, conn, why, f);
		break;
	}
out:
	OPENSSL_cleanse(f, sizeof(*f));
	free(f);
	free(vch);
	return rc;
}

/* ------------------------------------------------------------ the look */

/* The frame of every page: the look as stored, or the defaults when the
 * database cannot be read (the pages still work). */
static void frame_load(struct portal_server *p, const struct lang_catalogue *lang,
		       struct frame *fr)
{
	memset(fr, 0, sizeof(*fr));
	fr->p = p;
	fr->lang = lang;
	pthread_mutex_lock(&p->store_lock);
	if (!portal_store(p) || store_look_get(p->store, &fr->look) < 0)
		memset(&fr->look, 0, sizeof(fr->look));
	pthread_mutex_unlock(&p->store_lock);
	snprintf(fr->version, sizeof(fr->version), "%lld", (long long)fr->look.version);
	fr->vars[0] = "portal_title";
	fr->vars[1] = fr->look.title[0] ? fr->look.title : msg(p, lang, "title.default");
	fr->vars[2] = "look_version";
	fr->vars[3] = fr->version;
	fr->vars[4] = "logo";
	fr->vars[5] = fr->look.logo_type;
	fr->vars[6] = "lang";
	fr->vars[7] = lang ? lang->tag : "en";
}

/* A response a browser may keep and revalidate: the look's version is its
 * entity tag (RFC 9110 §8.8.3), and an If-None-Match naming it gets 304
 * (RFC 9110 §13.1.2) without the body. */
static enum MHD_Result reply_versioned(struct MHD_Connection *conn, const char *type,
				       const void *body, size_t len, int64_t version)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
	char etag[40];
	struct MHD_Response *r;
	enum MHD_Result rc;
	int same;

	snprintf(etag, sizeof(etag), "\"look-%lld\"", (long long)version);
	same = inm && (strstr(inm, etag) || !strcmp(inm, "*"));
	r = MHD_create_response_from_buffer(same ? 0 : len, same ? NULL : (void *)body,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	/* the pages name it with ?v=VERSION; no-cache still revalidates a
	 * request without it */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "ETag", etag);
	portal_headers(r, conn);
	rc = MHD_queue_response(conn, same ? 304 : 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* /look.css: the colours as CSS custom properties portal.css uses. Only
 * colours look_colour_ok passed are written, so no stored value can be
 * CSS of its own; the pages keep their CSP (style-src 'self'). */
static enum MHD_Result serve_look_css(struct portal_server *p, struct MHD_Connection *conn)
{
	struct frame fr;
	char css[LOOK_CSS_MAX];
	int n;

	frame_load(p, NULL, &fr);
	n = look_css(css, sizeof(css), fr.look.accent, fr.look.background, fr.look.text);
	if (n < 0)
		return reply_text(conn, 500, "The stylesheet is too large.\n");
	return reply_versioned(conn, "text/css; charset=utf-8", css, (size_t)n, fr.look.version);
}

/* /logo: the image stored, with the type its magic bytes gave when it was
 * uploaded (and nosniff, as every answer) */
static enum MHD_Result serve_logo(struct portal_server *p, struct MHD_Connection *conn)
{
	void *data = NULL;
	size_t len = 0;
	char type[17];
	int64_t version = 0;
	enum MHD_Result rc;
	int got;

	pthread_mutex_lock(&p->store_lock);
	got = portal_store(p) ? store_look_logo_get(p->store, &data, &len, type, &version) : -1;
	pthread_mutex_unlock(&p->store_lock);
	if (got < 0)
		return reply_text(conn, 503, "The logo cannot be read right now.\n");
	if (!data || !look_image_type(data, len)) {
		free(data);
		return reply_text(conn, 404, "No logo.\n");
	}
	rc = reply_versioned(conn, look_image_type(data, len), data, len, version);
	free(data);
	return rc;
}

/* ------------------------------------------------------------ dispatch */


static enum MHD_Result portal_request_cb(void *cls, struct MHD_Connection *conn, const char *url,
					 const char *method, const char *version,
					 const char *upload_data, size_t *upload_data_size,
					 void **req_cls)
{
	struct portal_server *p = cls;
	struct upload *req = *req_cls;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	(void)version;
	if (!req) {
		/* Proxy auto-config answers for any name: WPAD fetches it as
		 * wpad.<domain>, and it holds nothing about the client. Every
		 * other page answers only for the portal's own names, as the
		 * admin panel does, so that a page on another site whose name
		 * is made to resolve here (DNS rebinding) cannot read a
		 * client's session or drive its login. */
		if (strcmp(url, "/proxy.pac") && strcmp(url, "/wpad.dat")) {
			switch (web_request_host(conn, p->hostnames)) {
			case ADMIN_INPUT_HOST_OURS:
				break;
			case ADMIN_INPUT_HOST_OTHER:
				/* RFC 9110 §15.5.20 */
				return reply_text(conn, 421, "This portal does not answer for that host name.\n");
			case ADMIN_INPUT_HOST_INVALID:
				/* RFC 9112 §3.2: none, more than one, or not host[:port] */
				return reply_text(conn, 400, "Bad request: expected one Host header naming this portal.\n");
			}
		}
		/* unsupported methods and paths are refused before any body */
		if (!get && strcmp(method, "POST"))
			return reply_text(conn, 405, "Method not allowed.\n");
		if (!strcmp(method, "POST") && strcmp(url, "/login") && strcmp(url, "/accept"))
			return reply_text(conn, 405, "Method not allowed.\n");
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (upload_append(req, upload_data, *upload_data_size, PORTAL_BODY_MAX) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/login") && !get)
		return do_login(p, conn, req);
	if (!strcmp(url, "/accept") && !get)
		return do_accept(p, conn, req);
	if (!get)
		return reply_text(conn, 405, "Method not allowed.\n");
	if (!strcmp(url, "/") || !strcmp(url, "/login") || !strcmp(url, "/status") ||
	    (!strcmp(url, "/terms") && terms_on(p))) {
		const char *next = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "url");
		const char *sig = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sig");

		if (next && strlen(next) > FIELD_URL_MAX)
			next = NULL;
		if (!strcmp(url, "/status"))
			return page_status(p, conn, 200, next, sig, NULL);
		/* a device whose session a data quota ended is told why */
		if (client_of(conn) && intercept_quota_ended(p->ix, client_of(conn)))
			return page_login(p, conn, 200, "error.quota_used_up", next, sig,
					  NULL);
		/* and one whose session its group policy (or its directory)
		 * ended: what the policy says now, as text (not once it has
		 * logged in again) */
		if (client_of(conn) && !intercept_session_alive(p->ix, client_of(conn))) {
			char user[STORE_NAME_MAX + 1], why[POLICY_GROUP_MAX + 400], told[sizeof(why) + 200];
			struct gate_policy_refusal refusal;
			const struct lang_catalogue *lang = lang_of(p, conn);

			if (intercept_policy_ended(p->ix, client_of(conn), user, sizeof(user))) {
				if (!gate_policy_end_why(p->gate, user, &refusal))
					return page_login(p, conn, 200, "error.session_ended", next, sig,
							  NULL);
				policy_refusal_text(p, lang, &refusal, why, sizeof(why));
				lang_format(told, sizeof(told), msg(p, lang, "error.session_ended_by_policy"),
					    (const char *const[]){ "why", why }, 1);
				return page_login(p, conn, 200, told, next, sig, NULL);
			}
		}
		/* with terms, "/" shows them unless this device accepted them
		 * for a login to follow; "/terms" always does */
		if (terms_on(p) && (!strcmp(url, "/terms") || (!strcmp(url, "/") &&
		    (terms_alone(p) || !terms_accepted(p, conn, client_of(conn))))))
			return page_terms(p, conn, 200, "", next, sig);
		return page_login(p, conn, 200, "", next, sig, NULL);
	}
	if (!strcmp(url, "/favicon.ico") || !strcmp(url, "/favicon.svg")) {
		if (!p->favicon)
			return reply_text(conn, 404, "Not found.\n");
		return reply(conn, 200, "image/svg+xml", p->favicon, strlen(p->favicon), NULL, NULL);
	}
	if (!strcmp(url, "/portal.css"))
		return reply(conn, 200, "text/css; charset=utf-8", p->css, strlen(p->css), NULL, NULL);
	if (!strcmp(url, "/look.css"))
		return serve_look_css(p, conn);
	if (!strcmp(url, "/logo"))
		return serve_logo(p, conn);
	if (!strcmp(url, "/api/captive"))
		return api_captive(p, conn);
	if (!strcmp(url, "/proxy.pac") || !strcmp(url, "/wpad.dat")) {
		if (p->pac_len < 0)
			return reply_text(conn, 404, "No proxy auto-config: [portal] pac_proxy is not a host:port.\n");
		return reply(conn, 200, "application/x-ns-proxy-autoconfig", p->pac, (size_t)p->pac_len,
			     NULL, NULL);
	}
	return reply_text(conn, 404, "Not found.\n");
}

static void portal_completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
				enum MHD_RequestTerminationCode toe)
{
	struct upload *req = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!req)
		return;
	upload_free(req);
	*req_cls = NULL;
}

/* ------------------------------------------------------------ life */

/* A catalogue's file name: TAG.txt with TAG a language tag; 1 with the
 * tag in tag. */
static int lang_file(const char *name, char tag[LANG_TAG_MAX + 1])
{
	size_t len = strlen(name);

	if (len < 5 || len - 4 > LANG_TAG_MAX || strcmp(name + len - 4, ".txt"))
		return 0;
	memcpy(tag, name, len - 4);
	tag[len - 4] = '\0';
	return lang_tag_ok(tag);
}

/* The message catalogues: every TAG.txt of [portal] lang_dir (else the
 * lang directory beside [admin] web_root). One that does not parse stops
 * the start with its file and line; English must be there (every missing
 * key falls back to it), and so must [portal] language. */
static int load_langs(struct portal_server *p, char *err, size_t errlen)
{
	const struct config *cfg = p->cfg;
	char dir[CONFIG_PATH_MAX + 16], path[CONFIG_PATH_MAX + 64], tag[LANG_TAG_MAX + 1], why[160];
	struct dirent *e;
	DIR *d;
	int found_default = 0, found_en = 0;

	if (cfg->portal_lang_dir[0])
		snprintf(dir, sizeof(dir), "%s", cfg->portal_lang_dir);
	else
		snprintf(dir, sizeof(dir), "%s/../lang", cfg->web_root);
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "portal: cannot read the message catalogues in %s: %s "
			 "([portal] lang_dir)", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		struct lang_catalogue *c = &p->langs[p->n_langs];
		char *text;

		if (!lang_file(e->d_name, tag))
			continue;
		if (p->n_langs == LANG_MAX) {
			snprintf(err, errlen, "portal: more than %d catalogues in %s", LANG_MAX, dir);
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = read_file(path, LANG_FILE_MAX);
		if (!text) {
			snprintf(err, errlen, "portal: cannot read %s (at most %d bytes)", path,
				 LANG_FILE_MAX);
			goto fail;
		}
		if (lang_parse(tag, text, strlen(text), c, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "portal: %s: %s", path, why);
			free(text);
			goto fail;
		}
		free(text);
		p->lang_tags[p->n_langs] = c->tag;
		if (!strcmp(c->tag, "en")) {
			p->lang_en = p->n_langs;
			found_en = 1;
		}
		if (!strcasecmp(c->tag, cfg->portal_language)) {
			p->lang_default = p->n_langs;
			found_default = 1;
		}
		p->n_langs++;
	}
	closedir(d);
	if (!found_en || !found_default) {
		snprintf(err, errlen, "portal: no catalogue %s/%s.txt (%s)", dir,
			 found_en ? cfg->portal_language : "en",
			 found_en ? "[portal] language" : "English, which every missing text falls back to");
		return -1;
	}
	return 0;
fail:
	closedir(d);
	return -1;
}

/* Everything the portal reads from disk and the configuration: its URL, its
 * pages, its TLS pair. portal_check and portal_server_new both come here, so
 * that `portcullisd -t` refuses exactly what a start would. */
static int load_files(struct portal_server *p, char *err, size_t errlen)
{
	const struct config *cfg = p->cfg;
	char path[CONFIG_PATH_MAX + 32];

	if (config_portal_url(cfg, p->url, sizeof(p->url), err, errlen) < 0)
		return -1;

	snprintf(path, sizeof(path), "%s/portal/login.html", p->cfg->web_root);
	p->login_tpl = read_file(path, PORTAL_PAGE_MAX / 2);
	snprintf(path, sizeof(path), "%s/portal/status.html", p->cfg->web_root);
	p->status_tpl = read_file(path, PORTAL_PAGE_MAX / 2);
	snprintf(path, sizeof(path), "%s/portal/devices.html", p->cfg->web_root);
	p->devices_tpl = read_file(path, PORTAL_PAGE_MAX / 2);
	snprintf(path, sizeof(path), "%s/portal/portal.css", p->cfg->web_root);
	p->css = read_file(path, PORTAL_PAGE_MAX);
	if (terms_on(p)) {
		snprintf(path, sizeof(path), "%s/portal/terms.html", p->cfg->web_root);
		p->terms_tpl = read_file(path, PORTAL_PAGE_MAX / 2);
	}
	if (!p->login_tpl || !p->status_tpl || !p->devices_tpl || !p->css ||
	    (terms_on(p) && !p->terms_tpl)) {
		snprintf(err, errlen, "portal: cannot read its pages in %s/portal/ ([admin] web_root)",
			 p->cfg->web_root);
		return -1;
	}
	if (load_langs(p, err, errlen) < 0)
		return -1;
	/* the panel's icon: browsers ask every site for /favicon.ico */
	snprintf(path, sizeof(path), "%s/favicon.svg", p->cfg->web_root);
	p->favicon = read_file(path, PORTAL_PAGE_MAX);
	if (!p->favicon)
		log_warn("portal: no %s: /favicon.ico answers 404", path);
	if (cfg->portal_tls_cert[0] || cfg->portal_tls_key[0]) {
		p->tls_cert = read_file(cfg->portal_tls_cert, 1 << 20);
		p->tls_key = read_file(cfg->portal_tls_key, 1 << 20);
		if (!p->tls_cert || !p->tls_key) {
			snprintf(err, errlen, "portal: cannot read tls_cert %s or tls_key %s",
				 cfg->portal_tls_cert, cfg->portal_tls_key);
			return -1;
		}
	}
	return 0;
}

int portal_check(const struct config *cfg, char *err, size_t errlen)
{
	struct portal_server *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->cfg = cfg;
	pthread_mutex_init(&p->store_lock, NULL);
	rc = load_files(p, err, errlen);
	portal_server_free(p);
	return rc;
}

/* The host name of the portal's URL ("http://portal.lan:8082/" gives
 * "portal.lan"), lower-case, when it is a DNS name; "" for an address
 * literal, which the Host rules accept anyway. */
static void portal_hostname(const char *url, char *out, size_t outlen)
{
	const char *h = strstr(url, "://");
	size_t n;

	out[0] = '\0';
	if (!h || h[3] == '[')
		return;
	h += 3;
	n = strcspn(h, ":/?#");
	if (n == 0 || n >= outlen)
		return;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] - 'A' + 'a' : h[i]);
	out[n] = '\0';
	if (out[n - 1] == '.')
		out[n - 1] = '\0';
}

static void build_pac(struct portal_server *p)
{
	const struct config *cfg = p->cfg;
	struct cidr direct[2 * CONFIG_MAX_RANGES];
	struct ifaddrs *ifa;
	char proxy[160], https_proxy[160] = "", range[64];
	size_t n = 0;

	if (cfg->pac_proxy[0]) {
		snprintf(proxy, sizeof(proxy), "%s", cfg->pac_proxy);
	} else {
		const struct sockaddr *sa = (const struct sockaddr *)&cfg->proxy_listen[0].sa;
		char host[64];

		cidr_addr_text(sa, host, sizeof(host));
		snprintf(proxy, sizeof(proxy), sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
			 cidr_addr_port(sa));
	}
	/* the TLS listener: the same host, its own port */
	if (cfg->n_proxy_tls_listen) {
		const char *colon = strrchr(proxy, ':');

		snprintf(https_proxy, sizeof(https_proxy), "%.*s:%u", (int)(colon ? colon - proxy : 0),
			 proxy, cidr_addr_port((const struct sockaddr *)&cfg->proxy_tls_listen[0].sa));
	}
	/* DIRECT: [portal] pac_direct, or else the LAN's own prefixes (those
	 * of the addresses the proxy and the portal listen on and of the
	 * intercept interface); and [proxy] deny_ranges, which the proxy
	 * refuses, so direct is the only way there */
	if (cfg->n_pac_direct) {
		memcpy(direct, cfg->pac_direct, cfg->n_pac_direct * sizeof(direct[0]));
		n = cfg->n_pac_direct;
	} else if (getifaddrs(&ifa) == 0) {
		const struct sockaddr *listen[CONFIG_MAX_LISTEN + 1];
		size_t n_listen = 0;

		for (size_t i = 0; i < cfg->n_proxy_listen; i++)
			listen[n_listen++] = (const struct sockaddr *)&cfg->proxy_listen[i].sa;
		listen[n_listen++] = (const struct sockaddr *)&cfg->portal_listen.sa;
		n = pac_lan_prefixes(ifa, listen, n_listen, cfg->intercept_interface, direct,
				     CONFIG_MAX_RANGES);
		freeifaddrs(ifa);
	} else {
		log_warn("portal: cannot list the interfaces' addresses (%s): /proxy.pac sends "
			 "only loopback, link-local and [proxy] deny_ranges direct", strerror(errno));
	}
	for (size_t i = 0; i < cfg->n_deny_ranges && n < sizeof(direct) / sizeof(direct[0]); i++)
		direct[n++] = cfg->deny_ranges[i];
	for (size_t i = 0; i < n; i++)
		if (direct[i].family == AF_INET)
			log_info("portal: /proxy.pac sends %s direct",
				 cidr_format(&direct[i], range, sizeof(range)));
	p->pac_len = pac_build(p->pac, sizeof(p->pac), proxy, https_proxy, direct, n);
	if (p->pac_len < 0)
		log_warn("portal: no /proxy.pac: '%s' is not a plain host:port", proxy);
}

/*
 * The portal's listening socket, handed to MHD. In intercept mode it takes
 * only connections that arrived through the LAN interface (SO_BINDTODEVICE):
 * the portal is for the LAN's clients, and the gateway would otherwise
 * answer on its LAN address to a WAN host that routes there (the kernel
 * accepts a local address on any interface). -1 with a message.
 */
static int portal_listen_socket(const struct config *cfg, char *err, size_t errlen)
{
	const struct config_addr *a = &cfg->portal_listen;
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;

	if (fd < 0) {
		snprintf(err, errlen, "portal: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]:port" takes IPv4 clients too */
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (cfg->intercept_interface[0] &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->intercept_interface,
		       (socklen_t)strlen(cfg->intercept_interface)) < 0) {
		snprintf(err, errlen, "portal: cannot bind %s to interface %s: %s", a->text,
			 cfg->intercept_interface, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "cannot listen on %s (portal): %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct portal_server *portal_server_new(const struct config *cfg, struct gate *gate,
					struct intercept *ix, char *err, size_t errlen)
{
	struct portal_server *p = calloc(1, sizeof(*p));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int fd;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->gate = gate;
	p->ix = ix;
	pthread_mutex_init(&p->store_lock, NULL);
	if (getrandom(p->secret, sizeof(p->secret), 0) != (ssize_t)sizeof(p->secret)) {
		snprintf(err, errlen, "portal: no randomness for its CSRF secret");
		goto fail;
	}
	if (load_files(p, err, errlen) < 0)
		goto fail;
	portal_hostname(p->url, p->hostnames, sizeof(p->hostnames));
	build_pac(p);
	if (p->tls_cert)
		flags |= MHD_USE_TLS;
	fd = portal_listen_socket(cfg, err, errlen);
	if (fd < 0)
		goto fail;
	/* two threads: a login's scrypt must not stall every other client */
	if (p->tls_cert)
		p->mhd = MHD_start_daemon(flags, 0, NULL, NULL, portal_request_cb, p,
					  MHD_OPTION_LISTEN_SOCKET, fd,
					  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
					  MHD_OPTION_CONNECTION_LIMIT, (unsigned)PORTAL_MAX_CONNECTIONS,
					  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PORTAL_PER_IP,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PORTAL_TIMEOUT_S,
					  MHD_OPTION_NOTIFY_COMPLETED, portal_completed_cb, p,
					  MHD_OPTION_HTTPS_MEM_CERT, p->tls_cert,
					  MHD_OPTION_HTTPS_MEM_KEY, p->tls_key,
					  MHD_OPTION_END);
	else
		p->mhd = MHD_start_daemon(flags, 0, NULL, NULL, portal_request_cb, p,
					  MHD_OPTION_LISTEN_SOCKET, fd,
					  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
					  MHD_OPTION_CONNECTION_LIMIT, (unsigned)PORTAL_MAX_CONNECTIONS,
					  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PORTAL_PER_IP,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PORTAL_TIMEOUT_S,
					  MHD_OPTION_NOTIFY_COMPLETED, portal_completed_cb, p,
					  MHD_OPTION_END);
	if (!p->mhd) {
		close(fd);
		snprintf(err, errlen, "cannot listen on %s (portal)", cfg->portal_listen.text);
		goto fail;
	}
	return p;
fail:
	portal_server_free(p);
	return NULL;
}

void portal_server_free(struct portal_server *p)
{
	if (!p)
		return;
	if (p->mhd)
		MHD_stop_daemon(p->mhd);
	OPENSSL_cleanse(p->secret, sizeof(p->secret));
	free(p->login_tpl);
	free(p->status_tpl);
	free(p->devices_tpl);
	free(p->terms_tpl);
	store_close(p->store);
	pthread_mutex_destroy(&p->store_lock);
	free(p->css);
	free(p->favicon);
	for (size_t i = 0; i < p->n_langs; i++)
		lang_catalogue_fini(&p->langs[i]);
	free(p->tls_cert);
	if (p->tls_key) {
		OPENSSL_cleanse(p->tls_key, strlen(p->tls_key));
		free(p->tls_key);
	}
	free(p);
}
