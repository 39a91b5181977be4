/*
 * form — application/x-www-form-urlencoded bodies (the HTML form encoding
 * of the WHATWG URL standard; percent-decoding as RFC 3986 §2.1), for the
 * portal's login form, and percent-encoding for the URLs the intercept and
 * the portal write.
 *
 * A pure parser: no I/O, no allocation; it reads the caller's bytes and
 * writes into the caller's buffers.
 */
#ifndef PORTCULLIS_FORM_H
#define PORTCULLIS_FORM_H

#include <stddef.h>

enum form_result {
	FORM_FOUND,        /* value decoded into out */
	FORM_ABSENT,       /* no field of that name */
	FORM_TOO_LONG,     /* the decoded value does not fit out */
	FORM_MALFORMED,    /* a bad %-escape, or a NUL byte in the value */
};

/*
 * Find the first field called name in body[0..len) and decode its value
 * ('+' is a space, %XX a byte) into out, NUL-terminated, its length in
 * *out_len. Names compare as sent (they are never decoded: the portal's
 * own form uses plain names). Borrows everything.
 */
enum form_result form_field(const char *body, size_t len, const char *name, char *out,
			    size_t outlen, size_t *out_len);

/*
 * Percent-encode in (NUL-terminated) into out: everything but RFC 3986's
 * unreserved characters as %XX, so the result is safe in a header, a query
 * and HTML alike. Stops before out would overflow (outlen >= 1); always
 * NUL-terminates.
 */
void form_percent_encode(char *out, size_t outlen, const char *in);

#endif
