#include "clienthello.h"

#include <string.h>

#define TLS_RECORD_HANDSHAKE    22
#define TLS_HANDSHAKE_CLIENT_HELLO 1
#define TLS_EXT_SERVER_NAME     0
#define TLS_SNI_HOST_NAME       0
#define TLS_RECORD_MAX          16384   /* RFC 8446 §5.1: 2^14 */

struct reader {
	const uint8_t *p;
	size_t left;
};

static int rd_u8(struct reader *r, unsigned *v)
{
	if (r->left < 1)
		return -1;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static int rd_u16(struct reader *r, unsigned *v)
{
	if (r->left < 2)
		return -1;
	*v = (unsigned)r->p[0] << 8 | r->p[1];
	r->p += 2;
	r->left -= 2;
	return 0;
}

static int rd_skip(struct reader *r, size_t n)
{
	if (r->left < n)
		return -1;
	r->p += n;
	r->left -= n;
	return 0;
}

/* A sub-reader over the next n bytes (a length-prefixed vector). */
static int rd_sub(struct reader *r, size_t n, struct reader *sub)
{
	if (r->left < n)
		return -1;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static int sni_char_ok(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_';
}

/* RFC 6066 §3: ServerNameList of (name_type, opaque name<1..2^16-1>); we
 * keep the first host_name. */
static enum clienthello_parse parse_server_name(struct reader ext, struct clienthello *out)
{
	struct reader list;
	unsigned list_len, type, name_len;

	if (rd_u16(&ext, &list_len) < 0 || rd_sub(&ext, list_len, &list) < 0 || ext.left != 0)
		return CLIENTHELLO_MALFORMED;
	while (list.left) {
		struct reader name;

		if (rd_u8(&list, &type) < 0 || rd_u16(&list, &name_len) < 0 ||
		    rd_sub(&list, name_len, &name) < 0)
			return CLIENTHELLO_MALFORMED;
		if (type != TLS_SNI_HOST_NAME || out->sni[0])
			continue;
		if (name_len == 0 || name_len > CLIENTHELLO_SNI_MAX)
			return CLIENTHELLO_MALFORMED;
		for (size_t i = 0; i < name_len; i++)
			if (!sni_char_ok(name.p[i]))
				return CLIENTHELLO_MALFORMED;
		memcpy(out->sni, name.p, name_len);
		out->sni[name_len] = '\0';
	}
	return CLIENTHELLO_OK;
}

/* RFC 8446 §4.1.2 (the TLS 1.2 layout of RFC 5246 §7.4.1.2 is the same). */
static enum clienthello_parse parse_body(const uint8_t *body, size_t len, struct clienthello *out)
{
	struct reader r = { body, len }, exts;
	unsigned version, n;

	if (rd_u16(&r, &version) < 0 || rd_skip(&r, 32) < 0)         /* random */
		return CLIENTHELLO_MALFORMED;
	out->legacy_version = (uint16_t)version;
	if (rd_u8(&r, &n) < 0 || n > 32 || rd_skip(&r, n) < 0)        /* session id */
		return CLIENTHELLO_MALFORMED;
	if (rd_u16(&r, &n) < 0 || n < 2 || n % 2 || rd_skip(&r, n) < 0)  /* cipher suites */
		return CLIENTHELLO_MALFORMED;
	if (rd_u8(&r, &n) < 0 || n < 1 || rd_skip(&r, n) < 0)         /* compression */
		return CLIENTHELLO_MALFORMED;
	if (r.left == 0)
		return CLIENTHELLO_OK;     /* no extensions at all: no server name */
	if (rd_u16(&r, &n) < 0 || rd_sub(&r, n, &exts) < 0 || r.left != 0)
		return CLIENTHELLO_MALFORMED;
	while (exts.left) {
		unsigned type, ext_len;
		struct reader ext;

		if (rd_u16(&exts, &type) < 0 || rd_u16(&exts, &ext_len) < 0 ||
		    rd_sub(&exts, ext_len, &ext) < 0)
			return CLIENTHELLO_MALFORMED;
		if (type == TLS_EXT_SERVER_NAME) {
			enum clienthello_parse pr = parse_server_name(ext, out);

			if (pr != CLIENTHELLO_OK)
				return pr;
		}
	}
	return CLIENTHELLO_OK;
}

enum clienthello_parse clienthello_parse(const uint8_t *buf, size_t len, struct clienthello *out)
{
	size_t off = 0, have = 0, need = 0;   /* handshake bytes gathered / expected */

	out->sni[0] = '\0';
	out->legacy_version = 0;
	out->consumed = 0;
	/* RFC 8446 §5.1: records of type handshake, each at most 2^14 bytes,
	 * the message possibly spread over several of them */
	for (;;) {
		size_t rec_len, take;
		const uint8_t *frag;

		if (len - off < 5) {
			/* judge the first bytes early so that plain text is refused at once */
			if (len - off >= 1 && buf[off] != TLS_RECORD_HANDSHAKE)
				return CLIENTHELLO_NOT_TLS;
			if (len - off >= 2 && buf[off + 1] != 3)
				return CLIENTHELLO_NOT_TLS;
			return CLIENTHELLO_INCOMPLETE;
		}
		if (buf[off] != TLS_RECORD_HANDSHAKE || buf[off + 1] != 3)
			return CLIENTHELLO_NOT_TLS;
		rec_len = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rec_len == 0 || rec_len > TLS_RECORD_MAX)
			return CLIENTHELLO_MALFORMED;
		if (len - off - 5 < rec_len) {
			/* a header that announces too much is refused before the rest
			 * of the record arrives */
			if (have == 0 && len - off - 5 >= 4) {
				const uint8_t *h = buf + off + 5;

				if (h[0] != TLS_HANDSHAKE_CLIENT_HELLO)
					return CLIENTHELLO_MALFORMED;
				if (((size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]) > CLIENTHELLO_MAX)
					return CLIENTHELLO_TOO_LARGE;
			}
			return CLIENTHELLO_INCOMPLETE;
		}
		frag = buf + off + 5;
		off += 5 + rec_len;
		take = rec_len;
		if (have + take > sizeof(out->msg))
			take = sizeof(out->msg) - have;
		memcpy(out->msg + have, frag, take);
		have += take;
		if (have < 4)
			continue;      /* a header split over records: rare but legal */
		if (need == 0) {
			if (out->msg[0] != TLS_HANDSHAKE_CLIENT_HELLO)
				return CLIENTHELLO_MALFORMED;
			need = (size_t)out->msg[1] << 16 | (size_t)out->msg[2] << 8 | out->msg[3];
			if (need > CLIENTHELLO_MAX)
				return CLIENTHELLO_TOO_LARGE;
			if (need < 2 + 32 + 1 + 2 + 1)
				return CLIENTHELLO_MALFORMED;
		}
		if (have >= 4 + need) {
			/* a record carrying more than the ClientHello is not what a
			 * client sends first (RFC 8446 §4: nothing may follow it
			 * before the server's reply) */
			if (have > 4 + need)
				return CLIENTHELLO_MALFORMED;
			out->consumed = off;
			return parse_body(out->msg + 4, need, out);
		}
	}
}

const char *clienthello_result_name(enum clienthello_parse r)
{
	switch (r) {
	case CLIENTHELLO_OK: return "ok";
	case CLIENTHELLO_INCOMPLETE: return "incomplete";
	case CLIENTHELLO_NOT_TLS: return "not TLS";
	case CLIENTHELLO_MALFORMED: return "malformed ClientHello";
	case CLIENTHELLO_TOO_LARGE: return "ClientHello too large";
	}
	return "unknown";
}
