/*
 * hex — hexadecimal digits, for the parsers that read %XX, \xHH and Digest
 * responses and the writers of hex text, so that they share one rule.
 * Header-only: pure functions, no state.
 */
#ifndef PORTCULLIS_HEX_H
#define PORTCULLIS_HEX_H

/* The value of one hex digit (either case), or -1. */
static inline int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
