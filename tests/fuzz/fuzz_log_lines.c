/*
 * libFuzzer target: what a client sends and the daemon writes down. The
 * bytes are cut into a method, a URL, a username and a content type (as a
 * client or an origin would send them) and go through the access log
 * formatter and through log_escape, the gate of every daemon message: the
 * result must be exactly one line with exactly the fields of Squid's
 * format, and an escaped field only printable ASCII without a quote, so no
 * client can forge a line or shift a field.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The next piece of the input, up to a 0xff separator. */
static const char *piece(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *start = *p, *sep = memchr(start, 0xff, (size_t)(end - start));

	*len = (size_t)((sep ? sep : end) - start);
	*p = sep ? sep + 1 : end;
	return (const char *)start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct accesslog_entry e = { 0 };
	char user[600], line[16384], esc[512];
	size_t user_len, fields = 0;
	int n;

	sin.sin_addr.s_addr = htonl(0x0ac90002);
	e.start_ms = 1732451234567;
	e.duration_ms = 12;
	e.client = (const struct sockaddr *)&sin;
	e.tag = "TCP_MISS";
	e.status = 200;
	e.bytes = 1270;
	e.method = piece(&p, end, &e.method_len);
	e.url = piece(&p, end, &e.url_len);
	{
		const char *u = piece(&p, end, &user_len);

		/* the user field is a C string (a username never holds a NUL) */
		user_len = strnlen(u, user_len < sizeof(user) - 1 ? user_len : sizeof(user) - 1);
		memcpy(user, u, user_len);
		user[user_len] = '\0';
		e.user = user;
	}
	e.hierarchy = "HIER_DIRECT";
	e.peer = "192.0.2.1";
	e.content_type = piece(&p, end, &e.content_type_len);

	n = accesslog_format(line, sizeof(line), &e);
	if (n >= 0) {
		check((size_t)n < sizeof(line) && line[n] == '\0' && n > 0 && line[n - 1] == '\n');
		for (int i = 0; i < n - 1; i++) {
			check(line[i] != '\n' && line[i] != '\r' && line[i] != '\0');
			if (line[i] != ' ' && (i == 0 || line[i - 1] == ' '))
				fields++;
		}
		/* time duration client TAG/status bytes method URL user hier/peer type */
		check(fields == 10);
	}

	log_escape(esc, sizeof(esc), (const char *)data, size);
	for (const char *q = esc; *q; q++)
		check(*q >= 0x20 && *q <= 0x7e && *q != '"');
	return 0;
}
