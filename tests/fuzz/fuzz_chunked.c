/*
 * libFuzzer target: the chunked body decoder (RFC 9112 §7.1), on its own.
 * The decoder sees a body in whatever pieces the network delivers, so the
 * same bytes are fed whole and one byte at a time: both must find the same
 * chunk data, the same end of the body and the same verdict, and every
 * data span must lie inside the bytes consumed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	return 0;
}
