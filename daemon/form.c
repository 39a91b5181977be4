#include "form.h"
#include "hex.h"

#include <string.h>

static enum form_result decode(const char *in, size_t len, char *out, size_t outlen,
			       size_t *out_len)
{
	size_t o = 0;

	if (outlen == 0)
		return FORM_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return FORM_MALFORMED;
			hi = hex_value((unsigned char)in[i + 1]);
			lo = hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return FORM_MALFORMED;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		/* a NUL would cut the value short wherever it is used as a string */
		if (c == '\0')
			return FORM_MALFORMED;
		if (o + 1 >= outlen)
			return FORM_TOO_LONG;
		out[o++] = c;
	}
	out[o] = '\0';
	*out_len = o;
	return FORM_FOUND;
}

enum form_result form_field(const char *body, size_t len, const char *name, char *out,
			    size_t outlen, size_t *out_len)
{
	const char *p = body, *end = body + len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t klen = (size_t)((eq ? eq : stop) - p);

		if (klen == nlen && memcmp(p, name, nlen) == 0) {
			const char *v = eq ? eq + 1 : stop;

			return decode(v, (size_t)(stop - v), out, outlen, out_len);
		}
		p = amp ? amp + 1 : end;
	}
	return FORM_ABSENT;
}

void form_percent_encode(char *out, size_t outlen, const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < outlen; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}
