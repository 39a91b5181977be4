/*
 * libFuzzer target: response heads from an origin (RFC 9112 §4, §6.3). The
 * same bytes are parsed as the answer to each kind of request, since the
 * request method decides whether a body follows; whatever is accepted must
 * keep every span inside the input and frame the body as §6.3 says.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_span(struct http_span s, const char *buf, size_t size)
{
	check(s.len == 0 || (s.p >= buf && s.p + s.len <= buf + size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum http_method methods[] = {
		HTTP_METHOD_GET, HTTP_METHOD_HEAD, HTTP_METHOD_CONNECT, HTTP_METHOD_POST,
	};
	static struct http_response resp;
	const char *buf = (const char *)data;

	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		size_t hl = 0;

		if (http_response_parse(buf, size, methods[m], &resp, &hl) != HTTP_PARSE_OK)
			continue;
		check(hl >= 4 && hl <= size && hl <= HTTP_MAX_HEAD);
		check(buf[hl - 1] == '\n' && buf[hl - 2] == '\r');
		check(resp.status >= 100 && resp.status <= 999);
		check(resp.n_headers <= HTTP_MAX_HEADERS);
		check_span(resp.reason, buf, hl);
		for (size_t i = 0; i < resp.n_headers; i++) {
			check(resp.headers[i].name.len > 0);
			check_span(resp.headers[i].name, buf, hl);
			check_span(resp.headers[i].value, buf, hl);
		}
		/* RFC 9112 §6.3 items 1 and 2 */
		if (methods[m] == HTTP_METHOD_HEAD || resp.status < 200 || resp.status == 204 ||
		    resp.status == 304 || (methods[m] == HTTP_METHOD_CONNECT && resp.status < 300))
			check(resp.body == HTTP_BODY_NONE);
	}
	return 0;
}
