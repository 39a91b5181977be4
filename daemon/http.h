/*
 * http — HTTP/1.1 message heads and body framing (RFC 9110, RFC 9112).
 *
 * No I/O and no allocation: the caller owns the buffer, the parser fills a
 * caller-provided struct whose strings are spans into that buffer. Strict on
 * purpose (request smuggling): conflicting or malformed Content-Length,
 * Transfer-Encoding together with Content-Length, Transfer-Encoding other
 * than exactly "chunked" last, a Connection header naming Content-Length,
 * Transfer-Encoding or Host (framing is never hop-by-hop), obs-fold, bare CR
 * or bare LF, NUL and other control bytes, whitespace before the colon,
 * oversized or too many headers are all errors, never repaired, in requests
 * and responses alike.
 */
#ifndef PORTCULLIS_HTTP_H
#define PORTCULLIS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS   100
#define HTTP_MAX_HEAD      (32 * 1024)    /* request or response head */

struct http_span {
	const char *p;
	size_t len;
};

struct http_header {
	struct http_span name;
	struct http_span value;   /* leading/trailing OWS removed */
};

enum http_method {
	HTTP_METHOD_OTHER,
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_CONNECT,
};

enum http_body {
	HTTP_BODY_NONE,            /* no body */
	HTTP_BODY_LENGTH,          /* content_length bytes */
	HTTP_BODY_CHUNKED,         /* chunked; use struct http_chunked */
	HTTP_BODY_CLOSE,           /* response: until the connection closes */
};

/* Flags derived from the headers. */
enum {
	HTTP_F_CONN_CLOSE      = 1 << 0,  /* Connection: close */
	HTTP_F_CONN_KEEPALIVE  = 1 << 1,  /* Connection: keep-alive (1.0) */
	HTTP_F_CONN_UPGRADE    = 1 << 2,  /* Connection lists "upgrade" */
	HTTP_F_EXPECT_CONTINUE = 1 << 3,  /* Expect: 100-continue */
	HTTP_F_HAS_UPGRADE     = 1 << 4,  /* Upgrade header present */
	HTTP_F_PROXY_CONN_CLOSE = 1 << 5, /* Proxy-Connection: close */
};

enum http_parse {
	HTTP_PARSE_OK = 0,       /* head complete; *head_len set */
	HTTP_PARSE_INCOMPLETE,   /* need more bytes (and buffer < HTTP_MAX_HEAD) */
	HTTP_PARSE_TOO_LARGE,    /* head larger than limit, or too many headers */
	HTTP_PARSE_BAD,          /* malformed: answer 400 and close */
	HTTP_PARSE_BAD_VERSION,  /* not HTTP/1.x: 505 */
};

struct http_request {
	enum http_method method;
	struct http_span method_text;
	struct http_span target;           /* as sent */
	int version_minor;                 /* HTTP/1.<minor> */
	/* absolute-form / authority-form split of target */
	struct http_span scheme;           /* "http" (empty for origin-form) */
	struct http_span host;             /* without brackets for IPv6 */
	uint16_t port;                     /* 0 when not given */
	struct http_span path;             /* "/..." incl. query; empty for CONNECT */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;
	enum http_body body;
	uint64_t content_length;
	unsigned flags;
	const char *error;                 /* static reason when not OK */
};

struct http_response {
	int version_minor;
	int status;
	struct http_span reason;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;
	enum http_body body;               /* see http_response_parse */
	uint64_t content_length;
	unsigned flags;
	const char *error;
};

/*
 * Parse a request head from buf[0..len). On HTTP_PARSE_OK *head_len is the
 * number of bytes of the head including the final CRLF CRLF. Request target
 * forms (RFC 9112 §3.2): origin-form, absolute-form (http:// only; other
 * schemes are HTTP_PARSE_BAD), authority-form (CONNECT only, port required),
 * asterisk-form (OPTIONS only).
 */
enum http_parse http_request_parse(const char *buf, size_t len,
				   struct http_request *req, size_t *head_len);

/*
 * Parse a response head. request_method and the status decide the body
 * (RFC 9112 §6.3): HEAD, 1xx, 204, 304 and 2xx to CONNECT have none.
 */
enum http_parse http_response_parse(const char *buf, size_t len,
				    enum http_method request_method,
				    struct http_response *resp, size_t *head_len);

/* Case-insensitive header lookup; returns the first match or NULL. */
const struct http_header *http_header_find(const struct http_header *h, size_t n,
					   const char *name);

/* 1 if span equals the NUL-terminated s, ignoring ASCII case. */
int http_span_ieq(struct http_span a, const char *s);

/*
 * 1 if the header name is hop-by-hop for this message (RFC 9110 §7.6.1):
 * Connection, Keep-Alive, Proxy-Connection, Proxy-Authorization,
 * Proxy-Authenticate, TE, Trailer, Transfer-Encoding, Upgrade, and any name
 * listed in the message's Connection header(s). Transfer-Encoding is framing
 * and is reported here so the caller decides; Upgrade is reported too.
 */
int http_header_is_hop(const struct http_header *headers, size_t n,
		       struct http_span name);

/*
 * Chunked body framing (RFC 9112 §7.1). The decoder walks the raw bytes and
 * tells the caller which of them are chunk data; the proxy passes on only
 * the data, re-encoded in chunks of its own (http_chunk_line), so nothing
 * but the data crosses it. Strict: a size line is 1*HEXDIG, then chunk
 * extensions exactly as §7.1.1 has them ("5 junk" is an error), then CRLF;
 * trailer lines are field lines as §5 has them (no control bytes, no
 * whitespace before the colon, no obs-fold), at most HTTP_MAX_HEADERS, none
 * named after a field that frames, routes, controls the connection or
 * authenticates (Content-Length, Transfer-Encoding, Host, ...). Extensions
 * and trailers are checked, then dropped. Chunk sizes above 2^62 and size
 * or trailer lines longer than 4 KiB are errors.
 */
enum http_chunked_state {
	HTTP_CHUNKED_SIZE, HTTP_CHUNKED_SIZE_LF,
	HTTP_CHUNKED_EXT_BWS, HTTP_CHUNKED_EXT_NAME_BWS, HTTP_CHUNKED_EXT_NAME,
	HTTP_CHUNKED_EXT_NAME_END, HTTP_CHUNKED_EXT_VALUE_BWS, HTTP_CHUNKED_EXT_TOKEN,
	HTTP_CHUNKED_EXT_QUOTED, HTTP_CHUNKED_EXT_QUOTED_PAIR, HTTP_CHUNKED_EXT_VALUE_END,
	HTTP_CHUNKED_DATA, HTTP_CHUNKED_DATA_CR, HTTP_CHUNKED_DATA_LF,
	HTTP_CHUNKED_TRAILER, HTTP_CHUNKED_TRAILER_NAME, HTTP_CHUNKED_TRAILER_VALUE,
	HTTP_CHUNKED_TRAILER_LF, HTTP_CHUNKED_TRAILER_END_LF,
	HTTP_CHUNKED_DONE, HTTP_CHUNKED_ERROR,
};

struct http_chunked {
	enum http_chunked_state state;
	uint64_t remaining;        /* data bytes left in the current chunk */
	unsigned size_digits;
	unsigned line_len;         /* bytes of the current size/trailer line */
	unsigned trailers;         /* trailer lines so far */
	unsigned name_len;         /* of the current trailer name (capped) */
	char name[24];             /* its first bytes, to match forbidden names */
};

void http_chunked_init(struct http_chunked *c);

/*
 * Feed buf[0..len). Consumes bytes up to and including the first span of
 * chunk data found (or all of buf, or up to the end of the body). Returns
 * the number of bytes consumed, or -1 on a framing error. *data and *data_len
 * give the chunk data inside the consumed bytes (may be 0 length).
 * When c->state becomes HTTP_CHUNKED_DONE the body ended with the consumed
 * bytes; whatever follows belongs to the next message.
 */
long http_chunked_feed(struct http_chunked *c, const char *buf, size_t len,
		       const char **data, size_t *data_len);

/* The size line of a chunk of n data bytes ("1a\r\n") into out, which has
 * room for HTTP_CHUNK_LINE_MAX bytes; no NUL. n = 0 gives the last-chunk
 * line, which the empty line ending the (empty) trailer section follows. */
#define HTTP_CHUNK_LINE_MAX 18
size_t http_chunk_line(char *out, uint64_t n);

/* "Bad Request" etc. for a status code; "" when unknown. */
const char *http_status_reason(int status);

/* v in decimal, right-aligned in at least width characters filled with pad
 * (' ' or '0'), into out, which has room for max(20, width) bytes; no NUL.
 * Returns the length. */
size_t http_put_uint(char *out, uint64_t v, unsigned width, char pad);

/*
 * Text (a response head, a log line) built in a fixed buffer p[0..cap) with
 * memcpy: heads and log lines of every request are built this way, as
 * snprintf was a tenth of the cost of a refused request. Once something
 * does not fit, over is set and nothing more is written; no NUL is added.
 */
struct http_text {
	char *p;
	size_t len, cap;
	int over;
};
void http_text_put(struct http_text *t, const char *s, size_t n);
void http_text_str(struct http_text *t, const char *s);
/* v zero-padded to at least width digits */
void http_text_uint(struct http_text *t, uint64_t v, unsigned width);
/* s[0..n) as a C string in dst[0..size) (size > 0), cut to fit */
void http_text_copy(char *dst, size_t size, const char *s, size_t n);

#endif
