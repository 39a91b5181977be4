/*
 * libFuzzer target: the chunked body decoder (RFC 9112 §7.1), on its own:
 * its chunk-size lines, extensions and trailer lines.
 *
 * - The decoder sees a body in whatever pieces the network delivers, so
 *   the same bytes are fed whole and one byte at a time: both must find the
 *   same chunk data, the same end of the body and the same verdict, and
 *   every data span must lie inside the bytes consumed.
 * - A reference parser below, written from the grammar and run on the
 *   whole input at once, must agree: the decoder finds a complete body if
 *   and only if the reference does, ending at the same byte, with the same
 *   data. So nothing loose ("5 junk", a control byte or a Content-Length in
 *   a trailer) is ever taken for a body, and nothing valid is refused.
 * - What the proxy re-encodes (the data in chunks of http_chunk_line, then
 *   the last chunk) decodes to the same data and ends exactly at its end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	enum http_chunked_state state;
	size_t consumed;           /* bytes up to the end of the body or error */
	size_t data_len;
	uint64_t data_hash;        /* FNV-1a of the chunk data, in order */
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static void hash_bytes(struct outcome *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		o->data_hash ^= (unsigned char)p[i];
		o->data_hash *= 1099511628211ull;
	}
	o->data_len += n;
}

static void decode(const char *buf, size_t size, size_t piece, struct outcome *o)
{
	struct http_chunked c;
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	o->data_hash = 14695981039346656037ull;
	http_chunked_init(&c);
	while (off < size && c.state != HTTP_CHUNKED_DONE) {
		size_t end = piece && off + piece < size ? off + piece : size;
		size_t at = off;

		/* feed one piece until it is used up */
		while (at < end && c.state != HTTP_CHUNKED_DONE) {
			const char *d;
			size_t dl;
			long used = http_chunked_feed(&c, buf + at, end - at, &d, &dl);

			if (used < 0) {
				o->state = HTTP_CHUNKED_ERROR;
				o->consumed = at;
				return;
			}
			check((size_t)used <= end - at);
			check(dl == 0 || (d >= buf + at && d + dl <= buf + at + (size_t)used));
			hash_bytes(o, d, dl);
			if (used == 0)
				break;
			at += (size_t)used;
		}
		check(at == end || c.state == HTTP_CHUNKED_DONE);
		off = at;
	}
	o->state = c.state == HTTP_CHUNKED_DONE ? HTTP_CHUNKED_DONE : HTTP_CHUNKED_SIZE;
	o->consumed = off;
}

/* ---- the reference: RFC 9112 §7.1 and RFC 9110 §5.5, §5.6, §6.5.1,
 * checked on complete input, not streamed. Limits as the decoder's: at
 * most 16 hex digits and a size below 2^62, lines of at most 4096 bytes
 * with their CRLF, at most 100 trailer lines. */

#define REF_LINE_MAX 4096

static int ref_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int ref_hex(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t ref_ows(const char *p, size_t i, size_t end)
{
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

static size_t ref_token(const char *p, size_t i, size_t end)
{
	while (i < end && ref_tchar((unsigned char)p[i]))
		i++;
	return i;
}

/* p[i..end) is exactly chunk-ext: 1 or 0 */
static int ref_chunk_ext(const char *p, size_t i, size_t end)
{
	while (i < end) {
		size_t j;

		i = ref_ows(p, i, end);
		if (i == end || p[i] != ';')
			return 0;
		i = ref_ows(p, i + 1, end);
		j = ref_token(p, i, end);
		if (j == i)
			return 0;
		i = j;
		j = ref_ows(p, i, end);
		if (j < end && p[j] == '=') {
			i = ref_ows(p, j + 1, end);
			if (i < end && p[i] == '"') {
				for (i++;; i++) {
					unsigned char c;

					if (i >= end)
						return 0;
					c = (unsigned char)p[i];
					if (c == '"')
						break;
					if (c == '\\') {
						if (++i >= end)
							return 0;
						c = (unsigned char)p[i];
						if (c != '\t' && (c < 0x20 || c == 0x7f))
							return 0;
					} else if (!(c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
						     (c >= 0x5d && c <= 0x7e) || c >= 0x80)) {
						return 0;
					}
				}
				i++;
			} else {
				j = ref_token(p, i, end);
				if (j == i)
					return 0;
				i = j;
			}
		}
		/* next: end, or BWS ";" (whitespace that ends the line is not allowed) */
	}
	return 1;
}

static int ref_forbidden(const char *p, size_t len)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "trailer", "host", "connection",
		"keep-alive", "proxy-connection", "te", "upgrade", "authorization",
		"proxy-authorization", "proxy-authenticate", "www-authenticate",
	};

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k]) == len && strncasecmp(p, names[k], len) == 0)
			return 1;
	return 0;
}

/* Find the CRLF ending the line at i; the offset of its CR or SIZE_MAX
 * when the line is not ended by CRLF or holds a bare CR or LF before. */
static size_t ref_line_end(const char *p, size_t i, size_t n)
{
	for (; i < n; i++) {
		if (p[i] == '\n')
			return SIZE_MAX;
		if (p[i] == '\r')
			return i + 1 < n && p[i + 1] == '\n' ? i : SIZE_MAX;
	}
	return SIZE_MAX;
}

/* 1 with *end and the data when p[0..n) starts with a complete valid body */
static int ref_parse(const char *p, size_t n, size_t *end, struct outcome *o)
{
	size_t i = 0;
	unsigned trailers = 0;

	memset(o, 0, sizeof(*o));
	o->data_hash = 14695981039346656037ull;
	for (;;) {
		size_t eol = ref_line_end(p, i, n), j = i;
		uint64_t size = 0;

		if (eol == SIZE_MAX || eol + 2 - i > REF_LINE_MAX)
			return 0;
		while (j < eol && ref_hex((unsigned char)p[j]) >= 0) {
			if (j - i == 16)
				return 0;
			size = size * 16 + (uint64_t)ref_hex((unsigned char)p[j]);
			j++;
		}
		if (j == i || size >= ((uint64_t)1 << 62) || !ref_chunk_ext(p, j, eol))
			return 0;
		i = eol + 2;
		if (size == 0)
			break;
		if (n - i < size || n - i - size < 2 || p[i + size] != '\r' || p[i + size + 1] != '\n')
			return 0;
		hash_bytes(o, p + i, (size_t)size);
		i += (size_t)size + 2;
	}
	for (;;) {
		size_t eol = ref_line_end(p, i, n), name_end;

		if (eol == SIZE_MAX || eol + 2 - i > REF_LINE_MAX)
			return 0;
		if (eol == i)
			break;
		if (++trailers > 100)
			return 0;
		name_end = ref_token(p, i, eol);
		if (name_end == i || name_end == eol || p[name_end] != ':' ||
		    ref_forbidden(p + i, name_end - i))
			return 0;
		for (size_t k = name_end + 1; k < eol; k++) {
			unsigned char c = (unsigned char)p[k];

			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return 0;
		}
		i = eol + 2;
	}
	*end = i + 2;
	o->state = HTTP_CHUNKED_DONE;
	o->consumed = *end;
	return 1;
}

/* The body as the proxy passes it on: the data in chunks of its own. */
static size_t reencode(const char *data, size_t len, char *out)
{
	size_t o = 0, off = 0, piece = 1;

	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;

		o += http_chunk_line(out + o, n);
		memcpy(out + o, data + off, n);
		o += n;
		memcpy(out + o, "\r\n", 2);
		o += 2;
		off += n;
		piece = piece * 3 + 1;     /* pieces of assorted sizes */
	}
	memcpy(out + o, "0\r\n\r\n", 5);
	return o + 5;
}

/* the chunk data of a body already known to be valid, in order */
static size_t collect(const char *buf, size_t size, char *out)
{
	struct http_chunked c;
	size_t off = 0, o = 0;

	http_chunked_init(&c);
	while (off < size && c.state != HTTP_CHUNKED_DONE) {
		const char *d;
		size_t dl;
		long used = http_chunked_feed(&c, buf + off, size - off, &d, &dl);

		check(used > 0);
		memcpy(out + o, d, dl);
		o += dl;
		off += (size_t)used;
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, bytewise;

	decode((const char *)data, size, 0, &whole);
	decode((const char *)data, size, 1, &bytewise);
	check(whole.state == bytewise.state);
	check(whole.data_len == bytewise.data_len && whole.data_hash == bytewise.data_hash);
	if (whole.state == HTTP_CHUNKED_DONE)
		check(whole.consumed == bytewise.consumed);
	check(whole.data_len <= whole.consumed || whole.state == HTTP_CHUNKED_ERROR);

	/* the grammar's verdict, from the reference */
	{
		struct outcome ref;
		size_t end = 0;
		int valid = ref_parse((const char *)data, size, &end, &ref);

		check(valid == (whole.state == HTTP_CHUNKED_DONE));
		if (valid) {
			check(end == whole.consumed);
			check(ref.data_len == whole.data_len && ref.data_hash == whole.data_hash);
		}
	}
	/* what the proxy writes decodes to the same data, and ends where it ends */
	if (whole.state == HTTP_CHUNKED_DONE) {
		char *plain = malloc(whole.data_len + 1);
		/* each piece adds at most a 16-digit size line and CRLF; pieces grow
		 * by a factor of 3, so there are few */
		char *enc = malloc(whole.data_len * 2 + 64 * 24 + 64);
		struct outcome again;
		size_t plain_len, enc_len;

		check(plain && enc);
		plain_len = collect((const char *)data, whole.consumed, plain);
		check(plain_len == whole.data_len);
		enc_len = reencode(plain, plain_len, enc);
		decode(enc, enc_len, 0, &again);
		check(again.state == HTTP_CHUNKED_DONE && again.consumed == enc_len);
		check(again.data_len == whole.data_len && again.data_hash == whole.data_hash);
		free(plain);
		free(enc);
	}
	return 0;
}
