#include "voucher.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Guests copy codes from paper: characters that read alike in common
 * fonts (0/O, 1/I/L, 2/Z, 5/S, 8/B) are left out. */
static const char numeric_chars[] = "0123456789";
static const char safe_chars[] = "34679ACDEFGHJKMNPQRTUVWXY";

const char *voucher_alphabet_chars(enum voucher_alphabet a)
{
	return a == VOUCHER_NUMERIC ? numeric_chars : safe_chars;
}

const char *voucher_alphabet_name(enum voucher_alphabet a)
{
	return a == VOUCHER_NUMERIC ? "numeric" : "safe";
}

int voucher_alphabet_parse(const char *name, enum voucher_alphabet *out)
{
	if (!strcmp(name, "numeric"))
		*out = VOUCHER_NUMERIC;
	else if (!strcmp(name, "safe"))
		*out = VOUCHER_SAFE;
	else
		return -1;
	return 0;
}

int voucher_generate(enum voucher_alphabet a, size_t len, char *out,
		     int (*rnd)(void *ud, uint8_t *buf, size_t n), void *ud)
{
	const char *chars = voucher_alphabet_chars(a);
	unsigned n = (unsigned)strlen(chars);
	/* the largest multiple of n that fits a byte: a byte at or above it
	 * would make the first 256 % n characters likelier */
	unsigned limit = 256 - 256 % n;
	uint8_t buf[64];
	size_t o = 0;

	if (len < VOUCHER_LEN_MIN || len > VOUCHER_LEN_MAX)
		return -1;
	while (o < len) {
		if (rnd(ud, buf, sizeof(buf)) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(buf) && o < len; i++)
			if (buf[i] < limit)
				out[o++] = chars[buf[i] % n];
	}
	out[len] = '\0';
	return 0;
}

int voucher_normalize(const char *typed, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *c = typed; *c; c++) {
		char ch = *c;

		if (ch == ' ' || ch == '-' || ch == '\t')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (!strchr(numeric_chars, ch) && !strchr(safe_chars, ch))
			return -1;
		if (o + 1 >= outlen || o >= VOUCHER_LEN_MAX)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return o < VOUCHER_LEN_MIN ? -1 : 0;
}

int voucher_parse_duration(const char *text, int64_t *seconds)
{
	char *end;
	long long v;
	int64_t unit;

	if (!text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || v <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (v > VOUCHER_VALIDITY_MAX / unit)
		return -1;
	*seconds = (int64_t)v * unit;
	return 0;
}

int64_t voucher_ends_at(int64_t first_used, int64_t now, int64_t validity, int64_t roll_expires,
			int64_t *left)
{
	int64_t end = (first_used ? first_used : now) + validity;

	if (roll_expires && roll_expires < end)
		end = roll_expires;
	*left = end > now ? end - now : 0;
	return end;
}

/* A positive decimal number of at most 18 digits, no leading zero. */
static const char *read_positive(const char *p, int64_t *out)
{
	int64_t v = 0;
	int digits = 0;

	if (*p < '1' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 18)
			return NULL;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return p;
}

int voucher_user_parse(const char *name, int64_t *roll, int64_t *number)
{
	size_t plen = strlen(VOUCHER_USER_PREFIX);
	const char *p;

	if (!name || strncmp(name, VOUCHER_USER_PREFIX, plen) != 0)
		return -1;
	p = read_positive(name + plen, roll);
	if (!p || *p != '-')
		return -1;
	p = read_positive(p + 1, number);
	return p && *p == '\0' ? 0 : -1;
}
