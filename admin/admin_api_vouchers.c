/*
 * admin_api_vouchers.c — guest voucher rolls through the admin API:
 * listing with counts, making a roll (the only answer that holds its
 * codes, each with its QR code for the printable sheet), revoking a roll
 * or a code, and a roll's state as CSV. A front desk may use all of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_api.h"
#include "config.h"
#include "csv.h"
#include "form.h"
#include "voucher_roll.h"

#define QR_QUIET 4      /* modules of blank border (ISO/IEC 18004 §6.3.8) */

static int roll_cb(const struct store_voucher_roll *r, void *ud)
{
	json_array_append_new(ud, json_pack("{s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:s, s:i, s:I, s:I, "
					    "s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"id", (json_int_t)r->id, "comment", r->comment, "alphabet", r->alphabet,
		"length", r->code_length, "validity", (json_int_t)r->validity,
		"expires_at", (json_int_t)r->expires_at, "quota_bytes", (json_int_t)r->quota_bytes,
		"bandwidth_class", r->bandwidth_class, "max_devices", (int)r->max_devices,
		"revoked_at", (json_int_t)r->revoked_at, "created_at", (json_int_t)r->created_at,
		"codes", (json_int_t)r->codes, "unused", (json_int_t)(r->codes - r->used),
		"used", (json_int_t)r->used, "expired", (json_int_t)r->expired,
		"revoked", (json_int_t)r->revoked, "bytes_max", (json_int_t)r->bytes_max,
		"quota_reached", (json_int_t)r->quota_reached));
	return 0;
}

int admin_api_vouchers(struct admin_call *c)
{
	json_t *arr;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	arr = json_array();
	if (store_voucher_roll_list(c->st, 0, (int64_t)time(NULL), roll_cb, arr) < 0) {
		json_decref(arr);
		return admin_reply_error(c->conn, 503, "cannot list the voucher rolls");
	}
	return admin_reply_json(c->conn, 200, json_pack("{s:o}", "rolls", arr), NULL);
}

/*
 * The QR code of text as an SVG path of its dark modules, one unit each,
 * in a square of *size units (quiet zone included): the panel draws it as
 * an element of its own (no markup travels, and the CSP needs no data:
 * images). NULL when it cannot be made.
 */
static json_t *qr_json(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	size_t cap, o = 0;
	char *d;
	json_t *j = NULL;

	if (!q)
		return NULL;
	cap = (size_t)q->width * (size_t)q->width * 16 + 1;
	d = malloc(cap);
	if (d) {
		for (int y = 0; y < q->width; y++)
			for (int x = 0; x < q->width; x++)
				if (q->data[y * q->width + x] & 1)
					o += (size_t)snprintf(d + o, cap - o, "M%d %dh1v1h-1z",
							      x + QR_QUIET, y + QR_QUIET);
		j = json_pack("{s:i, s:s}", "size", q->width + 2 * QR_QUIET, "path", d);
		free(d);
	}
	QRcode_free(q);
	return j;
}

/* An optional integer field in [lo, hi]; 0 ok (absent keeps *out), -1 bad. */
static int int_field(json_t *body, const char *name, json_int_t lo, json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static const char *str_field(json_t *body, const char *name, size_t max, int *bad)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return "";
	if (!json_is_string(v) || json_string_length(v) > max || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		*bad = 1;
		return "";
	}
	return json_string_value(v);
}

static enum MHD_Result roll_create(struct admin_call *c, json_t *body)
{
	static const char *const known[] = { "count", "validity", "length", "alphabet", "comment",
					     "expires_at", "devices", "quota_bytes", "class" };
	struct MHD_Connection *conn = c->conn;
	struct store_voucher_roll r;
	enum voucher_alphabet a = VOUCHER_SAFE;
	json_int_t count = 0, length = VOUCHER_LEN_DEFAULT, devices = 1, expires = 0, quota = 0;
	const char *key, *alphabet, *validity, *comment, *class;
	char portal[300], err[256], url[400], target[32], detail[96];
	voucher_code *codes;
	json_t *v, *list;
	int64_t roll_id = 0;
	int bad = 0, rc;

	json_object_foreach(body, key, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], key); i++)
			;
		if (i == sizeof(known) / sizeof(known[0]))
			return admin_bad_field(conn, key, "unknown; expected count, validity, length, "
					       "alphabet, comment, expires_at, devices, quota_bytes, class");
	}
	memset(&r, 0, sizeof(r));
	if (int_field(body, "count", 1, VOUCHER_ROLL_MAX, &count) < 0 || count == 0)
		return admin_bad_field(conn, "count", "a number of codes from 1 to 1000");
	validity = str_field(body, "validity", 16, &bad);
	if (bad || voucher_parse_duration(validity, &r.validity) < 0)
		return admin_bad_field(conn, "validity", "a duration from the first use: 30m, 2h, 1d, 7d "
				       "(at most 365d)");
	if (int_field(body, "length", VOUCHER_LEN_MIN, VOUCHER_LEN_MAX, &length) < 0)
		return admin_bad_field(conn, "length", "8 to 24 characters");
	alphabet = str_field(body, "alphabet", 16, &bad);
	if (bad || (alphabet[0] && voucher_alphabet_parse(alphabet, &a) < 0))
		return admin_bad_field(conn, "alphabet", "numeric or safe");
	if (int_field(body, "devices", 1, 64, &devices) < 0)
		return admin_bad_field(conn, "devices", "1 to 64 devices per code");
	if (int_field(body, "expires_at", 0, INT64_MAX / 2, &expires) < 0)
		return admin_bad_field(conn, "expires_at", "unix seconds, 0 for never");
	if (int_field(body, "quota_bytes", 0, INT64_MAX / 2, &quota) < 0)
		return admin_bad_field(conn, "quota_bytes", "bytes, 0 for none");
	comment = str_field(body, "comment", STORE_COMMENT_MAX, &bad);
	if (bad)
		return admin_bad_field(conn, "comment", "text of at most 256 bytes");
	class = str_field(body, "class", STORE_BANDWIDTH_CLASS_MAX, &bad);
	if (bad)
		return admin_bad_field(conn, "class", "a bandwidth class name of at most 63 bytes");
	snprintf(r.alphabet, sizeof(r.alphabet), "%s", voucher_alphabet_name(a));
	snprintf(r.comment, sizeof(r.comment), "%s", comment);
	snprintf(r.bandwidth_class, sizeof(r.bandwidth_class), "%s", class);
	r.code_length = (int)length;
	r.max_devices = (unsigned)devices;
	r.expires_at = expires;
	r.quota_bytes = quota;
	if (config_portal_url(c->a->cfg, portal, sizeof(portal), err, sizeof(err)) < 0)
		portal[0] = '\0';
	codes = calloc((size_t)count, sizeof(*codes));
	if (!codes)
		return admin_reply_error(conn, 500, "out of memory");
	rc = voucher_roll_create(c->st, &r, (size_t)count, codes, &roll_id, err, sizeof(err));
	if (rc < 0) {
		free(codes);
		return admin_reply_error(conn, rc == -EINVAL ? 400 : rc == -ENOSPC ? 409 : 503, err);
	}
	snprintf(target, sizeof(target), "%" PRId64, roll_id);
	snprintf(detail, sizeof(detail), "%lld codes, validity %s", (long long)count, validity);
	admin_record(c, c->session->admin, "voucher.create", target, detail);
	list = json_array();
	for (json_int_t i = 0; i < count; i++) {
		json_t *qr = NULL;

		/* the card's QR code opens the portal with the code filled in */
		if (portal[0]) {
			snprintf(url, sizeof(url), "%s%scode=%s", portal, strchr(portal, '?') ? "&" : "?",
				 codes[i]);
			qr = qr_json(url);
		}
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:o?}", "number", i + 1, "code",
						      codes[i], "url", portal[0] ? url : "", "qr", qr));
	}
	memset(codes, 0, (size_t)count * sizeof(*codes));
	free(codes);
	return admin_reply_json(conn, 201, json_pack("{s:I, s:s, s:o}", "roll", (json_int_t)roll_id,
						     "portal", portal, "codes", list), NULL);
}

static enum MHD_Result roll_revoke(struct admin_call *c, json_t *body)
{
	struct MHD_Connection *conn = c->conn;
	json_int_t roll = 0, number = 0;
	char target[48];
	int rc;

	if (json_object_size(body) > (size_t)(json_object_get(body, "number") ? 2 : 1) ||
	    int_field(body, "roll", 1, INT64_MAX / 2, &roll) < 0 || roll == 0)
		return admin_bad_field(conn, "roll", "a roll's id (and number, a code of it, or none "
				       "for the whole roll)");
	if (int_field(body, "number", 1, VOUCHER_ROLL_MAX, &number) < 0)
		return admin_bad_field(conn, "number", "a code's number in its roll");
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_voucher_revoke(c->st, roll, number);
		if (rc == 0)
			rc = store_commit(c->st);
		else
			store_rollback(c->st);
	}
	if (rc == 1)
		return admin_reply_error(conn, 404, "no such roll or code");
	if (rc < 0)
		return admin_reply_error(conn, 503, "the database refused the change");
	if (number)
		snprintf(target, sizeof(target), "%lld-%lld", (long long)roll, (long long)number);
	else
		snprintf(target, sizeof(target), "%lld", (long long)roll);
	admin_record(c, c->session->admin, "voucher.revoke", target, "");
	return admin_done_ok(conn, 200);
}

static int with_body(struct admin_call *c, enum MHD_Result (*fn)(struct admin_call *, json_t *))
{
	enum MHD_Result rc;
	json_t *body;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	rc = fn(c, body);
	json_decref(body);
	return rc;
}

int admin_api_voucher_create(struct admin_call *c)
{
	return with_body(c, roll_create);
}

int admin_api_voucher_revoke(struct admin_call *c)
{
	return with_body(c, roll_revoke);
}
