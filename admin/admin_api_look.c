/*
 * The portal's look in the admin API: what it is (GET /api/portal), a new
 * title or colours (POST /api/portal), a logo (POST /api/portal/logo, the
 * image's bytes as the body) and its removal (POST /api/portal/logo/delete).
 */
#include "admin_api.h"

#include <stdio.h>
#include <string.h>

#include "admin_input.h"
#include "config.h"
#include "look.h"
#include "rowjson.h"
#include "upload.h"

int admin_api_look(struct admin_call *c)
{
	struct store_look l;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (store_look_get(c->st, &l) < 0)
		return admin_reply_error(c->conn, 503, "cannot read the portal's look");
	return admin_reply_json(c->conn, 200, json_pack(
		"{s:o, s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:o}",
		"title", rowjson_text(l.title), "accent", l.accent, "background", l.background,
		"text", l.text, "logo", l.logo_type[0] != '\0', "logo_type", l.logo_type,
		"version", (json_int_t)l.version, "updated_at", (json_int_t)l.updated_at,
		"updated_by", rowjson_text(l.updated_by)), NULL);
}

int admin_api_look_set(struct admin_call *c)
{
	struct admin_input_error err;
	struct admin_input_look in;
	enum MHD_Result rc;
	json_t *body;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	if (admin_input_look(body, &in, &err) < 0) {
		rc = admin_bad_field(c->conn, err.field, err.rule);
		json_decref(body);
		return rc;
	}
	if (store_look_set(c->st, in.title, in.accent, in.background, in.text,
			   c->session->admin) < 0) {
		json_decref(body);
		return admin_reply_error(c->conn, 503, "the database refused the change");
	}
	json_decref(body);
	admin_record(c, c->session->admin, "portal.look", "", "");
	return admin_api_look(c);
}

/* The body is the image itself: its magic bytes decide, never a name or a
 * Content-Type the client gave. */
int admin_api_look_logo(struct admin_call *c)
{
	const char *type = c->body->data ? look_image_type(c->body->data, c->body->len) : NULL;
	char detail[48];

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!c->body->data || c->body->len == 0)
		return admin_reply_error(c->conn, 400, "expected the image as the request body");
	/* RFC 9110 §15.5.16 */
	if (!type)
		return admin_reply_error(c->conn, 415, "the logo must be a PNG, JPEG, GIF or WebP "
					 "image (SVG is refused: it can carry script)");
	if (store_look_logo_set(c->st, c->body->data, c->body->len, type, c->session->admin) < 0)
		return admin_reply_error(c->conn, 503, "the database refused the change");
	snprintf(detail, sizeof(detail), "%s, %zu bytes", type, c->body->len);
	admin_record(c, c->session->admin, "portal.logo", "", detail);
	return admin_api_look(c);
}

int admin_api_look_logo_delete(struct admin_call *c)
{
	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (store_look_logo_set(c->st, NULL, 0, NULL, c->session->admin) < 0)
		return admin_reply_error(c->conn, 503, "the database refused the change");
	admin_record(c, c->session->admin, "portal.logo.delete", "", "");
	return admin_api_look(c);
}
