#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static enum http_parse req(const char *text, struct http_request *r, size_t *hl)
{
	return http_request_parse(text, strlen(text), r, hl);
}

static void expect_span(struct http_span s, const char *want)
{
	char buf[512];

	assert_true(s.len < sizeof(buf));
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	assert_string_equal(buf, want);
}

static void test_absolute_form(void **state)
{
	struct http_request r;
	size_t hl;
	const char *t = "GET http://example.org:8080/a/b?c=d HTTP/1.1\r\nHost: example.org\r\n"
			"User-Agent: x\r\n\r\nBODY";

	(void)state;
	assert_int_equal(req(t, &r, &hl), HTTP_PARSE_OK);
	assert_int_equal(hl, strlen(t) - 4);
	assert_int_equal(r.method, HTTP_METHOD_GET);
	expect_span(r.host, "example.org");
	assert_int_equal(r.port, 8080);
	expect_span(r.path, "/a/b?c=d");
	assert_int_equal(r.n_headers, 2);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(r.version_minor, 1);
}

static void test_absolute_form_ipv6_and_no_path(void **state)
{
	struct http_request r;
	size_t hl;

	(void)state;
	assert_int_equal(req("GET http://[2001:db8::1]:81 HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	expect_span(r.host, "2001:db8::1");
	assert_int_equal(r.port, 81);
	expect_span(r.path, "/");
}

static void test_connect_authority_form(void **state)
{
	struct http_request r;
	size_t hl;

	(void)state;
	assert_int_equal(req("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	assert_int_equal(r.method, HTTP_METHOD_CONNECT);
	expect_span(r.host, "::1");
	assert_int_equal(r.port, 443);
	assert_int_equal(req("CONNECT example.org HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_BAD);
	assert_int_equal(req("CONNECT http://example.org/ HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_BAD);
}

static void test_origin_and_asterisk_form(void **state)
{
	struct http_request r;
	size_t hl;

	(void)state;
	assert_int_equal(req("GET /x HTTP/1.0\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	assert_int_equal(r.scheme.len, 0);
	assert_int_equal(r.version_minor, 0);
	assert_int_equal(req("OPTIONS * HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	assert_int_equal(req("GET * HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_BAD);
	assert_int_equal(req("GET https://example.org/ HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_BAD);
	assert_int_equal(req("GET http://user:pw@example.org/ HTTP/1.1\r\n\r\n", &r, &hl), HTTP_PARSE_BAD);
}

/* Every proper prefix of a valid head is incomplete, never an error. */
static void test_incremental(void **state)
{
	const char *t = "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
	struct http_request r;
	size_t hl, n = strlen(t);

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(http_request_parse(t, i, &r, &hl), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(http_request_parse(t, n, &r, &hl), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_LENGTH);
	assert_int_equal(r.content_length, 3);
}

/* Strictness (RFC 9112 §6.3, §11.2): each of these is refused, never
 * repaired: a proxy that repairs a message reads it otherwise than the next
 * hop does, which is how requests are smuggled. */
static void test_smuggling_refused(void **state)
{
	static const char *const bad[] = {
		"POST http://a/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nTransfer-Encoding:\tchunked\r\n folded\r\n\r\n",
		"POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
		"POST http://a/ HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
		"GET http://a/ HTTP/1.1\nHost: a\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\n\r\n",
		"GET http://a/ HTTP/1.1\r\nX: a\001b\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\n: a\r\n\r\n",
		"GET  http://a/ HTTP/1.1\r\n\r\n",
		"GET http://a/ HTTP/1.1 \r\n\r\n",
		"GET http://a/ http/1.1\r\n\r\n",
		"G@T http://a/ HTTP/1.1\r\n\r\n",
		/* RFC 9112 §3.2: more than one Host line (found by the e2e
		 * smuggling corpus: the second one used to pass) */
		"GET http://a/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET http://a/ HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
	};
	struct http_request r;
	size_t hl;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum http_parse p = req(bad[i], &r, &hl);

		if (p != HTTP_PARSE_BAD)
			fail_msg("case %zu accepted (%d): %s", i, p, bad[i]);
	}
}

static void test_nul_byte_refused(void **state)
{
	static const char t[] = "GET http://a/ HTTP/1.1\r\nX: a\0b\r\n\r\n";
	struct http_request r;
	size_t hl;

	(void)state;
	assert_int_equal(http_request_parse(t, sizeof(t) - 1, &r, &hl), HTTP_PARSE_BAD);
}

static void test_version_and_limits(void **state)
{
	struct http_request r;
	size_t hl;
	char *big;
	size_t off;

	(void)state;
	assert_int_equal(req("GET http://a/ HTTP/2.0\r\n\r\n", &r, &hl), HTTP_PARSE_BAD_VERSION);
	big = malloc(HTTP_MAX_HEAD + 100);
	off = (size_t)sprintf(big, "GET http://a/ HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
		off += (size_t)sprintf(big + off, "X-%d: y\r\n", i);
	strcpy(big + off, "\r\n");
	assert_int_equal(req(big, &r, &hl), HTTP_PARSE_TOO_LARGE);
	memset(big, 'a', HTTP_MAX_HEAD + 10);
	memcpy(big, "GET http://a/ HTTP/1.1\r\nX: ", 27);
	assert_int_equal(http_request_parse(big, HTTP_MAX_HEAD + 10, &r, &hl), HTTP_PARSE_TOO_LARGE);
	free(big);
}

static void test_flags(void **state)
{
	struct http_request r;
	size_t hl;

	(void)state;
	assert_int_equal(req("GET http://a/ HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
			     "Expect: 100-continue\r\nProxy-Connection: close\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	assert_true(r.flags & HTTP_F_CONN_KEEPALIVE);
	assert_true(r.flags & HTTP_F_CONN_UPGRADE);
	assert_true(r.flags & HTTP_F_HAS_UPGRADE);
	assert_true(r.flags & HTTP_F_EXPECT_CONTINUE);
	assert_true(r.flags & HTTP_F_PROXY_CONN_CLOSE);
	assert_false(r.flags & HTTP_F_CONN_CLOSE);
}

static void test_hop_by_hop(void **state)
{
	struct http_request r;
	size_t hl;
	struct http_span name;

	(void)state;
	assert_int_equal(req("GET http://a/ HTTP/1.1\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nX-Keep: 2\r\n"
			     "Proxy-Authorization: Basic x\r\nTE: trailers\r\n\r\n", &r, &hl), HTTP_PARSE_OK);
	for (size_t i = 0; i < r.n_headers; i++) {
		name = r.headers[i].name;
		assert_int_equal(http_header_is_hop(r.headers, r.n_headers, name),
				 !http_span_ieq(name, "x-keep"));
	}
}

static enum http_parse resp(const char *t, enum http_method m, struct http_response *r)
{
	size_t hl;

	return http_response_parse(t, strlen(t), m, r, &hl);
}

static void test_response_framing(void **state)
{
	struct http_response r;

	(void)state;
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_LENGTH);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", HTTP_METHOD_HEAD, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 204 No Content\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 100 Continue\r\n\r\n", HTTP_METHOD_POST, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 200 Connection established\r\n\r\n", HTTP_METHOD_CONNECT, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_CHUNKED);
	assert_int_equal(resp("HTTP/1.0 200 OK\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.body, HTTP_BODY_CLOSE);
	assert_int_equal(resp("HTTP/1.1 200\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
			      HTTP_METHOD_GET, &r), HTTP_PARSE_BAD);
	assert_int_equal(resp("HTTP/1.1 2000 OK\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_BAD);
	assert_int_equal(resp("ICY 200 OK\r\n\r\n", HTTP_METHOD_GET, &r), HTTP_PARSE_BAD);
}

/* Feed body in pieces of the given sizes; return the reassembled data. */
static int dechunk(const char *body, size_t len, const size_t *pieces, size_t np,
		   char *out, size_t *out_len, size_t *consumed)
{
	struct http_chunked c;
	size_t off = 0, o = 0, pi = 0;

	http_chunked_init(&c);
	while (off < len && c.state != HTTP_CHUNKED_DONE) {
		size_t piece = pieces ? pieces[pi++ % np] : len - off;
		size_t avail = piece < len - off ? piece : len - off;

		while (avail && c.state != HTTP_CHUNKED_DONE) {
			const char *d;
			size_t dl;
			long used = http_chunked_feed(&c, body + off, avail, &d, &dl);

			if (used < 0)
				return -1;
			memcpy(out + o, d, dl);
			o += dl;
			off += (size_t)used;
			avail -= (size_t)used;
		}
	}
	*out_len = o;
	*consumed = off;
	return c.state == HTTP_CHUNKED_DONE ? 0 : 1;
}

static void test_chunked_any_split(void **state)
{
	const char body[] = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
	char out[128];
	size_t out_len, consumed, len = sizeof(body) - 1;

	(void)state;
	for (size_t piece = 1; piece <= len; piece++) {
		assert_int_equal(dechunk(body, len, &piece, 1, out, &out_len, &consumed), 0);
		assert_int_equal(out_len, 31);
		assert_memory_equal(out, "helloabcdefghijklmnopqrstuvwxyz", 31);
		assert_int_equal(consumed, len - 4);   /* "NEXT" is the next message */
	}
	{
		size_t pieces[] = { 3, 1, 7, 2, 11 };

		assert_int_equal(dechunk(body, len, pieces, 5, out, &out_len, &consumed), 0);
		assert_int_equal(out_len, 31);
	}
}

static void test_chunked_errors(void **state)
{
	static const char *const bad[] = {
		"zz\r\n", "5\r\nhelloXX", "5\nhello\r\n", "\r\n", "-1\r\n",
		"fffffffffffffffff\r\n", "4000000000000001\r\n", "0\r\n bad-fold\r\n\r\n",
		"5\r\nhello\r\n0\r\nX: y\n\r\n",
	};
	char out[64];
	size_t out_len, consumed;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dechunk(bad[i], strlen(bad[i]), NULL, 0, out, &out_len, &consumed) != -1)
			fail_msg("chunked case %zu accepted: %s", i, bad[i]);
	}
}

/* RFC 9112 §7.1.1: a size line is 1*HEXDIG, then extensions exactly as
 * the grammar has them, then CRLF; anything else is not a size line */
static void test_chunk_size_line_strict(void **state)
{
	static const char *const good[] = {
		"5;a\r\nhello\r\n0\r\n\r\n",
		"5 ; a = b\r\nhello\r\n0\r\n\r\n",
		"5\t;a=b;c;d=\"q \\\"x\\\" ;\"\r\nhello\r\n0\r\n\r\n",
		"5;a=\"\"\r\nhello\r\n0;last\r\n\r\n",
		"00005\r\nhello\r\n0\r\n\r\n",
	};
	static const char *const bad[] = {
		"5 junk\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n", "5\t\r\nhello\r\n0\r\n\r\n",
		"5;\r\nhello\r\n0\r\n\r\n", "5;a=\r\nhello\r\n0\r\n\r\n", "5;a b\r\nhello\r\n0\r\n\r\n",
		"5;a=b c\r\nhello\r\n0\r\n\r\n", "5;a=\"x\r\nhello\r\n0\r\n\r\n",
		"5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", "5;a=\x01\r\nhello\r\n0\r\n\r\n",
		"5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n", "5;a=b \r\nhello\r\n0\r\n\r\n",
		"5;a@b\r\nhello\r\n0\r\n\r\n", "5 5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n",
		"0 junk\r\n\r\n",
	};
	char out[64];
	size_t out_len, consumed;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (dechunk(good[i], strlen(good[i]), NULL, 0, out, &out_len, &consumed) != 0)
			fail_msg("valid chunked body %zu refused: %s", i, good[i]);
		assert_int_equal(out_len, 5);
		assert_memory_equal(out, "hello", 5);
		assert_int_equal(consumed, strlen(good[i]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t one = 1;

		if (dechunk(bad[i], strlen(bad[i]), NULL, 0, out, &out_len, &consumed) != -1)
			fail_msg("chunk size line %zu accepted: %s", i, bad[i]);
		/* the same verdict when the bytes come one at a time */
		if (dechunk(bad[i], strlen(bad[i]), &one, 1, out, &out_len, &consumed) != -1)
			fail_msg("chunk size line %zu accepted byte by byte: %s", i, bad[i]);
	}
}

/* RFC 9112 §7.1.2, RFC 9110 §6.5.1: trailer lines are field lines, and
 * none of them frames, routes or authenticates the message */
static void test_chunk_trailers_strict(void **state)
{
	static const char *const good[] = {
		"0\r\nX-Checksum: abc def\r\n\r\n",
		"0\r\nX-Empty:\r\nServer-Timing: db;dur=53\r\n\r\n",
		"0\r\nContent-Length-But-Longer-Than-Any-Forbidden: 1\r\n\r\n",
		"0\r\nX-Obs-Text: caf\xc3\xa9\r\n\r\n",
	};
	static const char *const bad[] = {
		"0\r\nContent-Length: 5\r\n\r\n", "0\r\ncontent-length:5\r\n\r\n",
		"0\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\nHost: evil.example\r\n\r\n",
		"0\r\nConnection: close\r\n\r\n", "0\r\nTrailer: X\r\n\r\n",
		"0\r\nProxy-Authorization: Basic eDp5\r\n\r\n",
		"0\r\nX: a\x01b\r\n\r\n", "0\r\nX: a\x7f\r\n\r\n", "0\r\nX: a\x1b[2J\r\n\r\n",
		"0\r\nX : a\r\n\r\n", "0\r\n: a\r\n\r\n", "0\r\nX\r\n\r\n", "0\r\nX: a\rb\r\n\r\n",
		"0\r\n\tX: a\r\n\r\n", "0\r\nX: a\r\n b\r\n\r\n",
	};
	char body[4096], out[64];
	size_t out_len, consumed, len;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (dechunk(good[i], strlen(good[i]), NULL, 0, out, &out_len, &consumed) != 0)
			fail_msg("valid trailer %zu refused: %s", i, good[i]);
		assert_int_equal(consumed, strlen(good[i]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t one = 1;

		if (dechunk(bad[i], strlen(bad[i]), NULL, 0, out, &out_len, &consumed) != -1)
			fail_msg("trailer %zu accepted: %s", i, bad[i]);
		if (dechunk(bad[i], strlen(bad[i]), &one, 1, out, &out_len, &consumed) != -1)
			fail_msg("trailer %zu accepted byte by byte: %s", i, bad[i]);
	}
	/* a NUL in the name or the value (strlen cannot carry it) */
	assert_int_equal(dechunk("0\r\nX: a\0b\r\n\r\n", 13, NULL, 0, out, &out_len, &consumed), -1);
	assert_int_equal(dechunk("0\r\nX\0: a\r\n\r\n", 12, NULL, 0, out, &out_len, &consumed), -1);
	/* at most HTTP_MAX_HEADERS trailer lines */
	len = (size_t)snprintf(body, sizeof(body), "0\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "X%d: 1\r\n", i);
	memcpy(body + len, "\r\n", 2);
	assert_int_equal(dechunk(body, len + 2, NULL, 0, out, &out_len, &consumed), 0);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "Y: 1\r\n\r\n");
	assert_int_equal(dechunk(body, len, NULL, 0, out, &out_len, &consumed), -1);
}

/* the size lines the proxy writes when it re-encodes a body */
static void test_chunk_line(void **state)
{
	char out[HTTP_CHUNK_LINE_MAX];

	(void)state;
	assert_int_equal(http_chunk_line(out, 0), 3);
	assert_memory_equal(out, "0\r\n", 3);
	assert_int_equal(http_chunk_line(out, 26), 4);
	assert_memory_equal(out, "1a\r\n", 4);
	assert_int_equal(http_chunk_line(out, (uint64_t)1 << 62), 18);
	assert_memory_equal(out, "4000000000000000\r\n", 18);
}

/* RFC 9110 §7.6.1, RFC 9112 §6.1: framing headers are never hop-by-hop; a
 * message that names one in Connection is refused both ways, since a hop
 * that dropped it would pass the body on unframed */
static void test_connection_names_framing(void **state)
{
	static const char *const names[] = {
		"Content-Length", "content-length", "Transfer-Encoding", "Host", "close, Content-Length",
		"keep-alive,transfer-encoding",
	};
	struct http_request r;
	struct http_response rs;
	char text[512];
	size_t hl;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text), "POST http://a/ HTTP/1.1\r\nHost: a\r\nConnection: %s\r\n"
			 "Content-Length: 3\r\n\r\nabc", names[i]);
		if (req(text, &r, &hl) != HTTP_PARSE_BAD)
			fail_msg("request with Connection: %s accepted", names[i]);
		assert_string_equal(r.error, "Connection names a framing header");
		snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nConnection: %s\r\n"
			 "Content-Length: 3\r\n\r\nabc", names[i]);
		if (resp(text, HTTP_METHOD_GET, &rs) != HTTP_PARSE_BAD)
			fail_msg("response with Connection: %s accepted", names[i]);
	}
	/* a list that merely contains a longer name is fine */
	assert_int_equal(req("GET http://a/ HTTP/1.1\r\nConnection: Content-Length-X, close\r\n\r\n", &r, &hl),
			 HTTP_PARSE_OK);
}

/* numbers and text of heads and log lines: widths, padding, and a buffer
 * that fills up stops whole instead of writing past its end */
static void test_text_builder(void **state)
{
	char out[32], small[8];
	struct http_text t = { .p = small, .cap = sizeof(small) };

	(void)state;
	assert_int_equal(http_put_uint(out, 0, 0, '0'), 1);
	assert_memory_equal(out, "0", 1);
	assert_int_equal(http_put_uint(out, 7, 3, '0'), 3);
	assert_memory_equal(out, "007", 3);
	assert_int_equal(http_put_uint(out, 12, 6, ' '), 6);
	assert_memory_equal(out, "    12", 6);
	assert_int_equal(http_put_uint(out, 1234567, 3, '0'), 7);
	assert_memory_equal(out, "1234567", 7);
	assert_int_equal(http_put_uint(out, UINT64_MAX, 0, '0'), 20);
	assert_memory_equal(out, "18446744073709551615", 20);

	http_text_str(&t, "HTTP/");
	http_text_uint(&t, 1, 0);
	assert_false(t.over);
	assert_int_equal(t.len, 6);
	http_text_str(&t, "abc");          /* 9 > 8: refused whole */
	assert_true(t.over);
	assert_int_equal(t.len, 6);
	http_text_put(&t, "x", 1);         /* nothing more once full */
	assert_int_equal(t.len, 6);
	assert_memory_equal(small, "HTTP/1", 6);

	http_text_copy(out, 4, "alice", 5);   /* cut to fit, always terminated */
	assert_string_equal(out, "ali");
	http_text_copy(out, sizeof(out), "text/html; charset=utf-8", 9);
	assert_string_equal(out, "text/html");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_absolute_form_ipv6_and_no_path),
		cmocka_unit_test(test_connect_authority_form),
		cmocka_unit_test(test_origin_and_asterisk_form),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_smuggling_refused),
		cmocka_unit_test(test_nul_byte_refused),
		cmocka_unit_test(test_version_and_limits),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_hop_by_hop),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_chunked_any_split),
		cmocka_unit_test(test_chunked_errors),
		cmocka_unit_test(test_chunk_size_line_strict),
		cmocka_unit_test(test_chunk_trailers_strict),
		cmocka_unit_test(test_chunk_line),
		cmocka_unit_test(test_connection_names_framing),
		cmocka_unit_test(test_text_builder),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
