#include "look.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"

static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int look_colour_ok(const char *s)
{
	if (!s)
		return 0;
	if (!s[0])
		return 1;
	if (strlen(s) != LOOK_COLOUR_LEN || s[0] != '#')
		return 0;
	for (int i = 1; i < LOOK_COLOUR_LEN; i++)
		if (!hex_digit(s[i]))
			return 0;
	return 1;
}

int look_title_ok(const char *s)
{
	return s && strlen(s) <= LOOK_TITLE_MAX && lang_text_ok(s, strlen(s));
}

const char *look_image_type(const void *data, size_t len)
{
	const unsigned char *b = data;

	if (!b)
		return NULL;
	/* PNG: its eight-byte signature (RFC 2083 §3.1) */
	if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	/* JPEG: a start-of-image marker, then another marker */
	if (len >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return "image/jpeg";
	if (len >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6)))
		return "image/gif";
	/* WebP: a RIFF container of form type WEBP (RFC 9649 §2.5) */
	if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
		return "image/webp";
	return NULL;
}

int look_css(char *out, size_t outlen, const char *accent, const char *background,
	     const char *text)
{
	const struct {
		const char *name, *value;
	} vars[] = {
		{ "--accent", accent }, { "--background", background }, { "--text", text },
	};
	size_t o = 0;
	int n;

	n = snprintf(out, outlen, ":root {");
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	o = (size_t)n;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		/* only a checked colour: the stylesheet is never a value's CSS */
		if (!vars[i].value || !vars[i].value[0] || !look_colour_ok(vars[i].value))
			continue;
		n = snprintf(out + o, outlen - o, " %s: %s;", vars[i].name, vars[i].value);
		if (n < 0 || (size_t)n >= outlen - o)
			return -1;
		o += (size_t)n;
	}
	n = snprintf(out + o, outlen - o, " }\n");
	if (n < 0 || (size_t)n >= outlen - o)
		return -1;
	return (int)(o + (size_t)n);
}
