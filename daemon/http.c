/*
 * Slightly over a thousand lines: one parser, kept whole so that it can be
 * read and fuzzed as one piece (no I/O, no allocation); chunked framing is
 * its last section.
 */
#include "http.h"
#include "hex.h"

#include <string.h>

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int http_span_ieq(struct http_span a, const char *s)
{
	size_t n = strlen(s);

	if (a.len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

static int span_ieq_span(struct http_span a, struct http_span b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return 0;
	return 1;
}

const struct http_header *http_header_find(const struct http_header *h, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (http_span_ieq(h[i].name, name))
			return &h[i];
	return NULL;
}

/*
 * Call fn for each element of a comma-separated list (RFC 9110 §5.6.1),
 * elements trimmed of OWS; empty elements are passed as zero-length so a
 * strict caller can refuse them.
 */
static int list_each(struct http_span v, int (*fn)(struct http_span el, void *ud), void *ud)
{
	size_t i = 0;

	for (;;) {
		size_t start, end;
		struct http_span el;
		int rc;

		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		start = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		end = i;
		while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
			end--;
		el.p = v.p + start;
		el.len = end - start;
		rc = fn(el, ud);
		if (rc)
			return rc;
		if (i >= v.len)
			return 0;
		i++;    /* the comma */
	}
}

struct listed {
	struct http_span name;
	int found;
};

static int listed_cb(struct http_span el, void *ud)
{
	struct listed *l = ud;

	if (span_ieq_span(el, l->name))
		l->found = 1;
	return 0;
}

int http_header_is_hop(const struct http_header *headers, size_t n, struct http_span name)
{
	static const char *const fixed[] = {
		"connection", "keep-alive", "proxy-connection", "proxy-authorization",
		"proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade",
	};
	struct listed l = { name, 0 };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (http_span_ieq(name, fixed[i]))
			return 1;
	/* RFC 9110 §7.6.1: whatever Connection names is hop-by-hop too */
	for (size_t i = 0; i < n; i++)
		if (http_span_ieq(headers[i].name, "connection"))
			list_each(headers[i].value, listed_cb, &l);
	return l.found;
}

static int conn_flags_cb(struct http_span el, void *ud)
{
	unsigned *flags = ud;

	if (http_span_ieq(el, "close"))
		*flags |= HTTP_F_CONN_CLOSE;
	else if (http_span_ieq(el, "keep-alive"))
		*flags |= HTTP_F_CONN_KEEPALIVE;
	else if (http_span_ieq(el, "upgrade"))
		*flags |= HTTP_F_CONN_UPGRADE;
	return 0;
}

/* 1 when a Connection list names a header that frames or routes the
 * message: those are never hop-by-hop (RFC 9110 §7.6.1, RFC 9112 §6.1),
 * and a hop that dropped one would pass the body on unframed, or framed as
 * the next hop reads it: the smuggled request's way in */
static int conn_names_framing_cb(struct http_span el, void *ud)
{
	(void)ud;
	return http_span_ieq(el, "content-length") || http_span_ieq(el, "transfer-encoding") ||
	       http_span_ieq(el, "host");
}

/* Content-Length: 1*DIGIT, nothing else (RFC 9110 §8.6). A list, a sign,
 * spaces inside or a value past 2^62 is refused. */
static int parse_content_length(struct http_span v, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 19)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (n > ((uint64_t)1 << 62))
		return -1;
	*out = n;
	return 0;
}

/*
 * Split buf[0..len) into lines ending in CRLF up to the empty line. Returns
 * OK with *head_len, INCOMPLETE, TOO_LARGE or BAD (a bare CR or LF, a NUL).
 * *skip is the number of leading empty lines ignored (RFC 9112 §2.2).
 */
static enum http_parse find_head(const char *buf, size_t len, size_t *skip, size_t *head_len,
				 const char **error)
{
	size_t i = 0, limit = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	int lines = 0;

	*skip = 0;
	/* at most a few stray CRLFs before a request line */
	while (i + 1 < limit && buf[i] == '\r' && buf[i + 1] == '\n' && i < 8)
		i += 2;
	*skip = i;
	for (size_t line_start = i; i < limit; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r') {
			if (i + 1 >= limit)
				break;
			if (buf[i + 1] != '\n') {
				*error = "bare CR";
				return HTTP_PARSE_BAD;
			}
			if (i == line_start) {
				if (lines == 0) {
					*error = "empty request line";
					return HTTP_PARSE_BAD;
				}
				*head_len = i + 2;
				return HTTP_PARSE_OK;
			}
			lines++;
			if (lines > HTTP_MAX_HEADERS + 1) {
				*error = "too many header fields";
				return HTTP_PARSE_TOO_LARGE;
			}
			i++;
			line_start = i + 1;
		} else if (c == '\n') {
			*error = "bare LF";
			return HTTP_PARSE_BAD;
		} else if (c == 0) {
			*error = "NUL byte";
			return HTTP_PARSE_BAD;
		}
	}
	if (len >= HTTP_MAX_HEAD) {
		*error = "head too large";
		return HTTP_PARSE_TOO_LARGE;
	}
	return HTTP_PARSE_INCOMPLETE;
}

struct framing {
	unsigned flags;
	int n_cl, n_te, n_host;
	uint64_t content_length;
	int chunked;
	const char *error;
};

/*
 * Parse the header lines in [p, end) (each ending in CRLF) into headers and
 * collect what framing needs. Strict: RFC 9112 §5.1 (no whitespace before
 * the colon), §5.2 (no obs-fold), field values of VCHAR/obs-text/SP/HTAB.
 */
static enum http_parse parse_fields(const char *p, const char *end, struct http_header *headers,
				    size_t *n_headers, struct framing *fr)
{
	size_t n = 0;

	memset(fr, 0, sizeof(*fr));
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *colon, *vs, *ve;
		struct http_header *h;

		if (!eol)
			break;
		if (p[0] == ' ' || p[0] == '\t') {
			fr->error = "obsolete line folding";
			return HTTP_PARSE_BAD;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p) {
			fr->error = "header line without a name";
			return HTTP_PARSE_BAD;
		}
		for (const char *q = p; q < colon; q++) {
			if (!is_tchar((unsigned char)*q)) {
				fr->error = *q == ' ' || *q == '\t' ? "whitespace before the colon"
								   : "invalid header name";
				return HTTP_PARSE_BAD;
			}
		}
		vs = colon + 1;
		ve = eol;
		while (vs < ve && (*vs == ' ' || *vs == '\t'))
			vs++;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *q = vs; q < ve; q++) {
			unsigned char c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				fr->error = "control character in a header value";
				return HTTP_PARSE_BAD;
			}
		}
		if (n == HTTP_MAX_HEADERS) {
			fr->error = "too many header fields";
			return HTTP_PARSE_TOO_LARGE;
		}
		h = &headers[n++];
		h->name.p = p;
		h->name.len = (size_t)(colon - p);
		h->value.p = vs;
		h->value.len = (size_t)(ve - vs);

		if (http_span_ieq(h->name, "content-length")) {
			fr->n_cl++;
			if (parse_content_length(h->value, &fr->content_length) < 0) {
				fr->error = "invalid Content-Length";
				return HTTP_PARSE_BAD;
			}
		} else if (http_span_ieq(h->name, "transfer-encoding")) {
			fr->n_te++;
			/* only exactly "chunked": anything else ("gzip, chunked",
			 * "chunked,", "xchunked", quoted) is refused rather than
			 * guessed at, because two parsers guessing differently is
			 * how requests are smuggled */
			if (!http_span_ieq(h->value, "chunked")) {
				fr->error = "unsupported Transfer-Encoding";
				return HTTP_PARSE_BAD;
			}
			fr->chunked = 1;
		} else if (http_span_ieq(h->name, "host")) {
			fr->n_host++;
		} else if (http_span_ieq(h->name, "connection")) {
			list_each(h->value, conn_flags_cb, &fr->flags);
			if (list_each(h->value, conn_names_framing_cb, NULL)) {
				fr->error = "Connection names a framing header";
				return HTTP_PARSE_BAD;
			}
		} else if (http_span_ieq(h->name, "proxy-connection")) {
			unsigned pf = 0;

			list_each(h->value, conn_flags_cb, &pf);
			if (pf & HTTP_F_CONN_CLOSE)
				fr->flags |= HTTP_F_PROXY_CONN_CLOSE;
		} else if (http_span_ieq(h->name, "expect")) {
			if (http_span_ieq(h->value, "100-continue"))
				fr->flags |= HTTP_F_EXPECT_CONTINUE;
		} else if (http_span_ieq(h->name, "upgrade")) {
			fr->flags |= HTTP_F_HAS_UPGRADE;
		}
		p = eol + 2;
	}
	*n_headers = n;
	if (fr->n_cl > 1) {
		fr->error = "more than one Content-Length";
		return HTTP_PARSE_BAD;
	}
	if (fr->n_te > 1) {
		fr->error = "more than one Transfer-Encoding";
		return HTTP_PARSE_BAD;
	}
	if (fr->n_te && fr->n_cl) {
		/* RFC 9112 §6.1: the classic smuggling pair; refused outright */
		fr->error = "both Transfer-Encoding and Content-Length";
		return HTTP_PARSE_BAD;
	}
	return HTTP_PARSE_OK;
}

static int parse_version(const char *p, size_t len, int *minor, enum http_parse *bad)
{
	if (len != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9') {
		*bad = HTTP_PARSE_BAD;
		return -1;
	}
	if (p[5] != '1') {
		*bad = HTTP_PARSE_BAD_VERSION;
		return -1;
	}
	*minor = p[7] - '0';
	if (*minor > 1) {
		/* HTTP/1.2+ would be answered as 1.1 (RFC 9110 §2.5) */
		*minor = 1;
	}
	return 0;
}

static enum http_method method_of(struct http_span m)
{
	static const struct { const char *name; enum http_method m; } table[] = {
		{ "GET", HTTP_METHOD_GET }, { "HEAD", HTTP_METHOD_HEAD },
		{ "POST", HTTP_METHOD_POST }, { "PUT", HTTP_METHOD_PUT },
		{ "DELETE", HTTP_METHOD_DELETE }, { "OPTIONS", HTTP_METHOD_OPTIONS },
		{ "TRACE", HTTP_METHOD_TRACE }, { "PATCH", HTTP_METHOD_PATCH },
		{ "CONNECT", HTTP_METHOD_CONNECT },
	};

	/* methods are case-sensitive (RFC 9110 §9.1) */
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (m.len == strlen(table[i].name) && memcmp(m.p, table[i].name, m.len) == 0)
			return table[i].m;
	return HTTP_METHOD_OTHER;
}

static int parse_port(const char *p, size_t len, uint16_t *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* host [":" port] with host a reg-name, IPv4 or "[" IPv6 "]" (RFC 3986 §3.2). */
static int parse_authority(const char *p, size_t len, struct http_request *req, int port_required)
{
	const char *host_end;
	size_t i;

	req->port = 0;
	if (len == 0)
		return -1;
	if (memchr(p, '@', len))
		return -1;    /* userinfo: never credentials in a URL */
	if (p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (!close || close == p + 1)
			return -1;
		for (const char *q = p + 1; q < close; q++)
			if (!((*q >= '0' && *q <= '9') || (lower(*q) >= 'a' && lower(*q) <= 'f') ||
			      *q == ':' || *q == '.'))
				return -1;
		req->host.p = p + 1;
		req->host.len = (size_t)(close - p - 1);
		host_end = close + 1;
	} else {
		for (i = 0; i < len && p[i] != ':'; i++) {
			unsigned char c = (unsigned char)p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '.' || c == '_'))
				return -1;
		}
		if (i == 0)
			return -1;
		req->host.p = p;
		req->host.len = i;
		host_end = p + i;
	}
	if (host_end < p + len) {
		if (*host_end != ':')
			return -1;
		if (parse_port(host_end + 1, (size_t)(p + len - host_end - 1), &req->port) < 0)
			return -1;
	} else if (port_required) {
		return -1;
	}
	return 0;
}

static int parse_target(struct http_request *req)
{
	const char *t = req->target.p;
	size_t len = req->target.len;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c <= 0x20 || c >= 0x7f) {
			req->error = "invalid character in the request target";
			return -1;
		}
	}
	if (req->method == HTTP_METHOD_CONNECT) {
		/* RFC 9112 §3.2.3: authority-form, port required */
		if (parse_authority(t, len, req, 1) < 0) {
			req->error = "CONNECT needs host:port";
			return -1;
		}
		return 0;
	}
	if (len == 1 && t[0] == '*') {
		if (req->method != HTTP_METHOD_OPTIONS) {
			req->error = "asterisk-form is for OPTIONS only";
			return -1;
		}
		req->path = req->target;
		return 0;
	}
	if (t[0] == '/') {
		req->path = req->target;
		return 0;
	}
	if (len > 7 && lower(t[0]) == 'h' && lower(t[1]) == 't' && lower(t[2]) == 't' &&
	    lower(t[3]) == 'p' && t[4] == ':' && t[5] == '/' && t[6] == '/') {
		const char *auth = t + 7, *end = t + len;
		const char *slash = auth;

		while (slash < end && *slash != '/' && *slash != '?' && *slash != '#')
			slash++;
		req->scheme.p = t;
		req->scheme.len = 4;
		if (parse_authority(auth, (size_t)(slash - auth), req, 0) < 0) {
			req->error = "invalid host in the request target";
			return -1;
		}
		if (slash < end && *slash == '/') {
			req->path.p = slash;
			req->path.len = (size_t)(end - slash);
		} else if (slash < end && *slash == '?') {
			/* "http://h?q": the path is empty; origin-form needs "/" first,
			 * which the caller adds (we cannot write into buf) */
			req->error = "absolute URL with a query but no path";
			return -1;
		} else {
			static const char root[] = "/";

			req->path.p = root;
			req->path.len = 1;
		}
		for (const char *q = req->path.p; q < req->path.p + req->path.len; q++) {
			if (*q == '#') {
				req->error = "fragment in the request target";
				return -1;
			}
		}
		return 0;
	}
	if (memchr(t, ':', len) && memmem(t, len, "://", 3)) {
		req->error = "unsupported scheme";
		return -1;
	}
	req->error = "invalid request target";
	return -1;
}

enum http_parse http_request_parse(const char *buf, size_t len, struct http_request *req,
				   size_t *head_len)
{
	size_t skip, hl;
	const char *line, *eol, *sp1, *sp2;
	struct framing fr;
	enum http_parse rc, bad = HTTP_PARSE_BAD;

	memset(req, 0, sizeof(*req));
	rc = find_head(buf, len, &skip, &hl, &req->error);
	if (rc != HTTP_PARSE_OK)
		return rc;
	line = buf + skip;
	eol = memchr(line, '\r', hl - skip);
	sp1 = memchr(line, ' ', (size_t)(eol - line));
	if (!sp1 || sp1 == line) {
		req->error = "malformed request line";
		return HTTP_PARSE_BAD;
	}
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1))) {
		req->error = "malformed request line";
		return HTTP_PARSE_BAD;
	}
	for (const char *q = line; q < sp1; q++) {
		if (!is_tchar((unsigned char)*q)) {
			req->error = "invalid method";
			return HTTP_PARSE_BAD;
		}
	}
	req->method_text.p = line;
	req->method_text.len = (size_t)(sp1 - line);
	req->method = method_of(req->method_text);
	req->target.p = sp1 + 1;
	req->target.len = (size_t)(sp2 - sp1 - 1);
	if (parse_version(sp2 + 1, (size_t)(eol - sp2 - 1), &req->version_minor, &bad) < 0) {
		req->error = bad == HTTP_PARSE_BAD_VERSION ? "HTTP version not supported"
							  : "malformed HTTP version";
		return bad;
	}
	if (parse_target(req) < 0)
		return HTTP_PARSE_BAD;
	rc = parse_fields(eol + 2, buf + hl - 2, req->headers, &req->n_headers, &fr);
	req->flags = fr.flags;
	if (rc != HTTP_PARSE_OK) {
		req->error = fr.error;
		return rc;
	}
	if (fr.n_host > 1) {
		/* RFC 9112 §3.2: two Host lines name two different origins to
		 * two parsers; the proxy and the origin must not disagree */
		req->error = "more than one Host";
		return HTTP_PARSE_BAD;
	}
	if (fr.chunked && req->version_minor == 0) {
		/* RFC 9112 §6.1: a 1.0 message with Transfer-Encoding is faulty */
		req->error = "Transfer-Encoding in an HTTP/1.0 request";
		return HTTP_PARSE_BAD;
	}
	if (fr.chunked) {
		req->body = HTTP_BODY_CHUNKED;
	} else if (fr.n_cl) {
		req->body = HTTP_BODY_LENGTH;
		req->content_length = fr.content_length;
	} else {
		req->body = HTTP_BODY_NONE;
	}
	*head_len = hl;
	return HTTP_PARSE_OK;
}

enum http_parse http_response_parse(const char *buf, size_t len, enum http_method request_method,
				    struct http_response *resp, size_t *head_len)
{
	size_t skip, hl;
	const char *line, *eol, *p;
	struct framing fr;
	enum http_parse rc, bad = HTTP_PARSE_BAD;

	memset(resp, 0, sizeof(*resp));
	rc = find_head(buf, len, &skip, &hl, &resp->error);
	if (rc != HTTP_PARSE_OK)
		return rc;
	if (skip) {
		resp->error = "empty line before the status line";
		return HTTP_PARSE_BAD;
	}
	line = buf;
	eol = memchr(line, '\r', hl);
	if (eol - line < 12 || line[8] != ' ') {
		resp->error = "malformed status line";
		return HTTP_PARSE_BAD;
	}
	if (parse_version(line, 8, &resp->version_minor, &bad) < 0) {
		resp->error = "malformed HTTP version";
		return bad;
	}
	p = line + 9;
	if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9') {
		resp->error = "malformed status code";
		return HTTP_PARSE_BAD;
	}
	resp->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (p + 3 < eol) {
		if (p[3] != ' ') {
			resp->error = "malformed status line";
			return HTTP_PARSE_BAD;
		}
		resp->reason.p = p + 4;
		resp->reason.len = (size_t)(eol - p - 4);
		for (size_t i = 0; i < resp->reason.len; i++) {
			unsigned char c = (unsigned char)resp->reason.p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				resp->error = "control character in the reason phrase";
				return HTTP_PARSE_BAD;
			}
		}
	}
	rc = parse_fields(eol + 2, buf + hl - 2, resp->headers, &resp->n_headers, &fr);
	resp->flags = fr.flags;
	if (rc != HTTP_PARSE_OK) {
		resp->error = fr.error;
		return rc;
	}
	/* RFC 9112 §6.3 */
	if (request_method == HTTP_METHOD_HEAD || resp->status < 200 || resp->status == 204 ||
	    resp->status == 304 || (request_method == HTTP_METHOD_CONNECT && resp->status < 300)) {
		resp->body = HTTP_BODY_NONE;
	} else if (fr.chunked) {
		resp->body = HTTP_BODY_CHUNKED;
	} else if (fr.n_cl) {
		resp->body = HTTP_BODY_LENGTH;
		resp->content_length = fr.content_length;
	} else {
		resp->body = HTTP_BODY_CLOSE;
	}
	*head_len = hl;
	return HTTP_PARSE_OK;
}

/* ------------------------------------------------------------ chunked */

void http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = HTTP_CHUNKED_SIZE;
}

#define CHUNK_LINE_MAX 4096

static int is_ows(int c)
{
	return c == ' ' || c == '\t';
}

/* field-vchar, SP or HTAB (RFC 9110 §5.5): no control byte, no DEL */
static int is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* qdtext (RFC 9110 §5.6.4) */
static int is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/*
 * Fields that frame or route the message, control the connection or carry
 * credentials are never trailer fields (RFC 9110 §6.5.1, §6.5.2): a trailer
 * that claims to be one is aimed at a parser that merges trailers into the
 * head, and the body carrying it is refused.
 */
static int trailer_name_forbidden(const char *name, size_t len)
{
	static const char *const forbidden[] = {
		"content-length", "transfer-encoding", "trailer", "host", "connection",
		"keep-alive", "proxy-connection", "te", "upgrade", "authorization",
		"proxy-authorization", "proxy-authenticate", "www-authenticate",
	};
	struct http_span s = { name, len };

	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (http_span_ieq(s, forbidden[i]))
			return 1;
	return 0;
}

long http_chunked_feed(struct http_chunked *c, const char *buf, size_t len,
		       const char **data, size_t *data_len)
{
	size_t i = 0;

	*data = buf;
	*data_len = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)buf[i];

		/* chunk-size [ chunk-ext ] CRLF, and each trailer line: bounded */
		if (c->state != HTTP_CHUNKED_DATA && c->state != HTTP_CHUNKED_DATA_CR &&
		    c->state != HTTP_CHUNKED_DATA_LF && c->state != HTTP_CHUNKED_DONE &&
		    c->state != HTTP_CHUNKED_ERROR && ++c->line_len > CHUNK_LINE_MAX)
			goto error;
		switch (c->state) {
		case HTTP_CHUNKED_SIZE: {
			int v = hex_value((unsigned char)ch);

			if (v >= 0) {
				if (c->size_digits == 16 || (c->remaining >> 58) != 0)
					goto error;    /* past 2^62 */
				c->remaining = c->remaining * 16 + (uint64_t)v;
				c->size_digits++;
				i++;
				break;
			}
			if (c->size_digits == 0)
				goto error;
			/* chunk-size = 1*HEXDIG, then only chunk-ext or CRLF:
			 * "5 junk" and "5 " are not a size line (RFC 9112 §7.1) */
			if (ch == ';')
				c->state = HTTP_CHUNKED_EXT_NAME_BWS;
			else if (is_ows(ch))
				c->state = HTTP_CHUNKED_EXT_BWS;
			else if (ch == '\r')
				c->state = HTTP_CHUNKED_SIZE_LF;
			else
				goto error;
			i++;
			break;
		}
		/*
		 * chunk-ext = *( BWS ";" BWS chunk-ext-name
		 *               [ BWS "=" BWS chunk-ext-val ] )
		 * chunk-ext-name = token; chunk-ext-val = token / quoted-string
		 * (RFC 9112 §7.1.1). Checked, then dropped: the proxy re-encodes
		 * the body without them.
		 */
		case HTTP_CHUNKED_EXT_BWS:         /* whitespace before ";" */
			if (ch == ';')
				c->state = HTTP_CHUNKED_EXT_NAME_BWS;
			else if (!is_ows(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_NAME_BWS:    /* after ";" */
			if (is_tchar(ch))
				c->state = HTTP_CHUNKED_EXT_NAME;
			else if (!is_ows(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_NAME:
			if (ch == '=')
				c->state = HTTP_CHUNKED_EXT_VALUE_BWS;
			else if (ch == ';')
				c->state = HTTP_CHUNKED_EXT_NAME_BWS;
			else if (ch == '\r')
				c->state = HTTP_CHUNKED_SIZE_LF;
			else if (is_ows(ch))
				c->state = HTTP_CHUNKED_EXT_NAME_END;
			else if (!is_tchar(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_NAME_END:    /* whitespace after a name */
			if (ch == '=')
				c->state = HTTP_CHUNKED_EXT_VALUE_BWS;
			else if (ch == ';')
				c->state = HTTP_CHUNKED_EXT_NAME_BWS;
			else if (!is_ows(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_VALUE_BWS:   /* after "=" */
			if (ch == '"')
				c->state = HTTP_CHUNKED_EXT_QUOTED;
			else if (is_tchar(ch))
				c->state = HTTP_CHUNKED_EXT_TOKEN;
			else if (!is_ows(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_TOKEN:
			if (is_tchar(ch)) {
				i++;
				break;
			}
			/* the token ended: what may follow a value follows */
			/* fall through */
		case HTTP_CHUNKED_EXT_VALUE_END:
			if (ch == ';')
				c->state = HTTP_CHUNKED_EXT_NAME_BWS;
			else if (ch == '\r')
				c->state = HTTP_CHUNKED_SIZE_LF;
			else if (is_ows(ch))
				c->state = HTTP_CHUNKED_EXT_BWS;
			else
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_QUOTED:
			if (ch == '"')
				c->state = HTTP_CHUNKED_EXT_VALUE_END;
			else if (ch == '\\')
				c->state = HTTP_CHUNKED_EXT_QUOTED_PAIR;
			else if (!is_qdtext(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_EXT_QUOTED_PAIR: /* quoted-pair: HTAB / SP / VCHAR / obs-text */
			if (ch != '\t' && (ch < 0x20 || ch == 0x7f))
				goto error;
			c->state = HTTP_CHUNKED_EXT_QUOTED;
			i++;
			break;
		case HTTP_CHUNKED_SIZE_LF:
			if (ch != '\n')
				goto error;
			i++;
			c->line_len = 0;
			if (c->remaining == 0) {
				c->state = HTTP_CHUNKED_TRAILER;
				c->trailers = 0;
			} else {
				c->state = HTTP_CHUNKED_DATA;
			}
			break;
		case HTTP_CHUNKED_DATA: {
			size_t n = len - i;

			if (n > c->remaining)
				n = (size_t)c->remaining;
			*data = buf + i;
			*data_len = n;
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = HTTP_CHUNKED_DATA_CR;
			/* one data span per call: hand it over now */
			return (long)i;
		}
		case HTTP_CHUNKED_DATA_CR:
			if (ch != '\r')
				goto error;
			c->state = HTTP_CHUNKED_DATA_LF;
			i++;
			break;
		case HTTP_CHUNKED_DATA_LF:
			if (ch != '\n')
				goto error;
			c->state = HTTP_CHUNKED_SIZE;
			c->size_digits = 0;
			c->remaining = 0;
			c->line_len = 0;
			i++;
			break;
		/*
		 * trailer-section = *( field-line CRLF ), field-line = field-name
		 * ":" OWS field-value OWS (RFC 9112 §7.1.2, §5): a name of tchars
		 * right up to the colon, a value of field characters, at most
		 * HTTP_MAX_HEADERS lines. Checked, then dropped: trailers are
		 * never passed on (RFC 9110 §6.5.1 lets a recipient discard them).
		 */
		case HTTP_CHUNKED_TRAILER:         /* start of a line */
			if (ch == '\r') {
				c->state = HTTP_CHUNKED_TRAILER_END_LF;
			} else if (is_tchar(ch)) {
				if (++c->trailers > HTTP_MAX_HEADERS)
					goto error;
				c->name_len = 0;
				c->name[c->name_len++] = (char)ch;
				c->state = HTTP_CHUNKED_TRAILER_NAME;
			} else {
				goto error;    /* obs-fold, an empty name, a control byte */
			}
			i++;
			break;
		case HTTP_CHUNKED_TRAILER_NAME:
			if (ch == ':') {
				if (c->name_len <= sizeof(c->name) &&
				    trailer_name_forbidden(c->name, c->name_len))
					goto error;
				c->state = HTTP_CHUNKED_TRAILER_VALUE;
			} else if (is_tchar(ch)) {
				if (c->name_len < sizeof(c->name))
					c->name[c->name_len] = (char)ch;
				if (c->name_len <= sizeof(c->name))
					c->name_len++;   /* one past: too long to be forbidden */
			} else {
				goto error;    /* whitespace before the colon, a control byte */
			}
			i++;
			break;
		case HTTP_CHUNKED_TRAILER_VALUE:
			if (ch == '\r')
				c->state = HTTP_CHUNKED_TRAILER_LF;
			else if (!is_field_char(ch))
				goto error;
			i++;
			break;
		case HTTP_CHUNKED_TRAILER_LF:
			if (ch != '\n')
				goto error;
			c->state = HTTP_CHUNKED_TRAILER;
			c->line_len = 0;
			i++;
			break;
		case HTTP_CHUNKED_TRAILER_END_LF:
			if (ch != '\n')
				goto error;
			i++;
			c->state = HTTP_CHUNKED_DONE;
			return (long)i;
		case HTTP_CHUNKED_DONE:
			return (long)i;
		case HTTP_CHUNKED_ERROR:
			return -1;
		}
	}
	return (long)i;
error:
	c->state = HTTP_CHUNKED_ERROR;
	return -1;
}

size_t http_chunk_line(char *out, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	char d[16];
	size_t k = 0, o = 0;

	do {
		d[k++] = hex[n & 15];
		n >>= 4;
	} while (n);
	while (k)
		out[o++] = d[--k];
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

size_t http_put_uint(char *out, uint64_t v, unsigned width, char pad)
{
	char d[20];
	size_t n = 0, o = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (o + n < width)
		out[o++] = pad;
	while (n)
		out[o++] = d[--n];
	return o;
}

void http_text_put(struct http_text *t, const char *s, size_t n)
{
	if (t->over || t->cap - t->len < n) {
		t->over = 1;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

void http_text_str(struct http_text *t, const char *s)
{
	http_text_put(t, s, strlen(s));
}

void http_text_uint(struct http_text *t, uint64_t v, unsigned width)
{
	char d[24];

	http_text_put(t, d, http_put_uint(d, v, width > 24 ? 24 : width, '0'));
}

void http_text_copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

const char *http_status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 511: return "Network Authentication Required";
	}
	return "";
}
