/* libFuzzer target: request and response heads, and chunked bodies. */
#include <stddef.h>
#include <stdint.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req;
	static struct http_response resp;
	const char *buf = (const char *)data;
	struct http_chunked c;
	size_t hl, off = 0;

	if (http_request_parse(buf, size, &req, &hl) == HTTP_PARSE_OK && hl > size)
		__builtin_trap();
	if (http_response_parse(buf, size, HTTP_METHOD_GET, &resp, &hl) == HTTP_PARSE_OK && hl > size)
		__builtin_trap();
	http_chunked_init(&c);
	while (off < size && c.state != HTTP_CHUNKED_DONE) {
		const char *d;
		size_t dl;
		long used = http_chunked_feed(&c, buf + off, size - off, &d, &dl);

		if (used < 0)
			break;
		if ((size_t)used > size - off || d < buf || d + dl > buf + size)
			__builtin_trap();
		if (used == 0)
			break;
		off += (size_t)used;
	}
	return 0;
}
