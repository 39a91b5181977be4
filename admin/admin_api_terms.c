/*
 * The portal's click-through terms in the admin API: the current version
 * (GET /api/terms), a new version (POST /api/terms), and the acceptances
 * (GET /api/terms/acceptances, newest first).
 */
#include "admin_api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin_input.h"
#include "config.h"
#include "rowjson.h"

/* {"mode": [portal] terms, "version": 0 when none, "text", "created_at",
 * "created_by"} */
int admin_api_terms(struct admin_call *c)
{
	struct store_terms *t;
	json_t *j;
	int rc;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	t = malloc(sizeof(*t));
	if (!t)
		return admin_reply_error(c->conn, 500, "out of memory");
	rc = store_terms_get(c->st, t);
	if (rc < 0) {
		free(t);
		return admin_reply_error(c->conn, 503, "cannot read the terms");
	}
	if (rc == 1)
		memset(t, 0, sizeof(*t));
	j = json_pack("{s:s, s:I, s:o, s:I, s:o}", "mode", c->a->cfg->portal_terms,
		      "version", (json_int_t)t->version, "text", rowjson_text(t->text),
		      "created_at", (json_int_t)t->created_at, "created_by",
		      rowjson_text(t->created_by));
	free(t);
	return admin_reply_json(c->conn, 200, j, NULL);
}

int admin_api_terms_set(struct admin_call *c)
{
	struct admin_input_error err;
	const char *text;
	int64_t version = 0;
	enum MHD_Result rc;
	char detail[32];
	json_t *body;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (!admin_body_object(c, &body, &rc))
		return rc;
	if (admin_input_terms(body, &text, &err) < 0) {
		rc = admin_bad_field(c->conn, err.field, err.rule);
		json_decref(body);
		return rc;
	}
	if (store_terms_set(c->st, text, c->session->admin, &version) < 0) {
		json_decref(body);
		return admin_reply_error(c->conn, 503, "the database refused the change");
	}
	json_decref(body);
	snprintf(detail, sizeof(detail), "version %lld", (long long)version);
	admin_record(c, c->session->admin, "terms.set", "", detail);
	return admin_reply_json(c->conn, 201, json_pack("{s:I}", "version", (json_int_t)version), NULL);
}

static int acceptance_cb(const struct store_terms_acceptance *a, void *ud)
{
	json_array_append_new(ud, json_pack("{s:I, s:I, s:o, s:o, s:I}", "id", (json_int_t)a->id,
					    "time_ms", (json_int_t)a->time_ms, "client_addr",
					    rowjson_text(a->client_addr), "mac", rowjson_text(a->mac),
					    "version", (json_int_t)a->version));
	return 0;
}

/* GET /api/terms/acceptances[?limit=&before_id=]: newest first; "next" is
 * the before_id of the next page. */
int admin_api_terms_acceptances(struct admin_call *c)
{
	int64_t limit = 100, before_id = 0;
	json_t *rows, *last;

	if (!c->st)
		return admin_reply_unavailable(c->conn);
	if (admin_arg_int(c->conn, "limit", 1, 1000, &limit) < 0)
		return admin_bad_param(c->conn, "limit", "1..1000");
	if (admin_arg_int(c->conn, "before_id", 0, INT64_MAX, &before_id) < 0)
		return admin_bad_param(c->conn, "before_id", "a row id");
	rows = json_array();
	if (store_terms_acceptances(c->st, before_id, (size_t)limit, acceptance_cb, rows) < 0) {
		json_decref(rows);
		return admin_reply_error(c->conn, 503, "cannot list the acceptances");
	}
	last = json_array_size(rows) == (size_t)limit ? json_array_get(rows, (size_t)limit - 1) : NULL;
	return admin_reply_json(c->conn, 200, json_pack("{s:o, s:O}", "acceptances", rows, "next",
		last ? json_object_get(last, "id") : json_null()), NULL);
}
