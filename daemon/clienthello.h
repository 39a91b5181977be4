/*
 * clienthello — reads the server name out of a TLS ClientHello without
 * decrypting anything (RFC 8446 §4.1.2, RFC 6066 §3 server_name).
 *
 * A pure parser: no I/O, no allocation; the caller hands it the bytes it has
 * peeked from the client so far and replays every one of them to the origin
 * afterwards. A ClientHello may be split over several TLS records (RFC 8446
 * §5.1); up to CLIENTHELLO_MAX bytes of handshake message are reassembled
 * in the caller's scratch space.
 */
#ifndef PORTCULLIS_CLIENTHELLO_H
#define PORTCULLIS_CLIENTHELLO_H

#include <stddef.h>
#include <stdint.h>

/* Largest ClientHello handshake message accepted (bytes after the 4-byte
 * handshake header). Browsers send 0.5–2 KiB; post-quantum key shares
 * bring that near 2 KiB. */
#define CLIENTHELLO_MAX        16384
/* Largest server name kept (RFC 1035 names are at most 253 octets). */
#define CLIENTHELLO_SNI_MAX    255

enum clienthello_parse {
	CLIENTHELLO_OK,          /* a whole ClientHello; sni set ("" if none sent) */
	CLIENTHELLO_INCOMPLETE,  /* valid so far: read more bytes and call again */
	CLIENTHELLO_NOT_TLS,     /* the first bytes are not a TLS handshake record */
	CLIENTHELLO_MALFORMED,   /* lengths that do not add up, a bad server name */
	CLIENTHELLO_TOO_LARGE,   /* the message is longer than CLIENTHELLO_MAX */
};

struct clienthello {
	char sni[CLIENTHELLO_SNI_MAX + 1];   /* host_name, NUL-terminated */
	uint16_t legacy_version;             /* from the ClientHello body */
	size_t consumed;                     /* bytes of input the records used */
	/* scratch for a message split over records; the caller need not set it */
	uint8_t msg[CLIENTHELLO_MAX + 4];
};

/*
 * Parse the records in buf[0..len). Borrows buf; fills *out. A server name
 * must be a DNS host name (letters, digits, '-', '.', '_'); anything else
 * in it (NUL, '/', spaces, non-ASCII) is MALFORMED, so what goes into the
 * access log is always a plain name.
 */
enum clienthello_parse clienthello_parse(const uint8_t *buf, size_t len, struct clienthello *out);

/* Short English name of a result, for log lines. */
const char *clienthello_result_name(enum clienthello_parse r);

#endif
