#include "csv.h"

#include <string.h>

/* Blanks a spreadsheet skips before it looks for a formula: ASCII
 * whitespace, U+00A0 and U+3000 (the ideographic space). Returns the
 * blank's length at p, 0 for none. */
static size_t blank_len(const unsigned char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		return 1;
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	return 0;
}

/* = + - @, as ASCII, full-width (U+FF1D U+FF0B U+FF0D U+FF20: EF BC 9D,
 * 8B, 8D, A0) or small forms (U+FE66 U+FE62 U+FE63 U+FE6B: EF B9 A6, A2,
 * A3, AB): spreadsheets that fold compatibility forms read them as the
 * ASCII ones. */
static int formula_start(const unsigned char *p)
{
	if (*p == '=' || *p == '+' || *p == '-' || *p == '@')
		return 1;
	if (p[0] == 0xef && p[1] == 0xbc)
		return p[2] == 0x9d || p[2] == 0x8b || p[2] == 0x8d || p[2] == 0xa0;
	if (p[0] == 0xef && p[1] == 0xb9)
		return p[2] == 0xa6 || p[2] == 0xa2 || p[2] == 0xa3 || p[2] == 0xab;
	return 0;
}

static int needs_guard(const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n;

	if (*p == '\t' || *p == '\r')
		return 1;
	while ((n = blank_len(p)) > 0)
		p += n;
	return formula_start(p);
}

size_t csv_cell(char *out, const char *value, int last)
{
	size_t o = 0;

	out[o++] = '"';
	if (needs_guard(value))
		out[o++] = '\'';
	for (const char *p = value; *p; p++) {
		if (*p == '"')
			out[o++] = '"';
		out[o++] = *p;
	}
	out[o++] = '"';
	if (last) {
		out[o++] = '\r';
		out[o++] = '\n';
	} else {
		out[o++] = ',';
	}
	return o;
}
