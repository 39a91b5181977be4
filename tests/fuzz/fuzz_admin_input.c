/*
 * libFuzzer target: the admin JSON API's input rules (admin_input.h), the
 * same functions the libmicrohttpd handlers call. Any bytes are a request
 * body (and a Host header); whatever is accepted must meet the rules the
 * store relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "admin_input.h"
#include "auth.h"
#include "cidr.h"
#include "look.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = admin_input_object((const char *)data, size);
	struct admin_input_login login;
	struct admin_input_user user;
	struct admin_input_error err;
	struct admin_input_look look;
	const char *comment;
	struct cidr c;
	char canon[64], again[64], host[300];
	size_t host_len = size < sizeof(host) - 1 ? size : sizeof(host) - 1;
	enum admin_input_host h, h_named;

	/* the same bytes as a Host header (up to the first NUL) */
	memcpy(host, data, host_len);
	host[host_len] = '\0';
	h = admin_input_host(host, "");
	h_named = admin_input_host(host, "gw.example.org,panel.lan");
	check(h == ADMIN_INPUT_HOST_OURS || h == ADMIN_INPUT_HOST_OTHER || h == ADMIN_INPUT_HOST_INVALID);
	/* configuring names only ever lets more hosts in, and never changes
	 * what is malformed */
	check(h != ADMIN_INPUT_HOST_OURS || h_named == ADMIN_INPUT_HOST_OURS);
	check((h == ADMIN_INPUT_HOST_INVALID) == (h_named == ADMIN_INPUT_HOST_INVALID));
	if (!body)
		return 0;
	check(json_is_object(body));
	if (admin_input_login(body, &login, &err) == 0)
		check(strlen(login.username) <= AUTH_USER_MAX && login.password_len <= AUTH_PASS_MAX &&
		      strlen(login.password) == login.password_len &&
		      json_object_size(body) == 2);
	else
		check(err.field && err.rule);
	for (int op = ADMIN_INPUT_USER_CREATE; op <= ADMIN_INPUT_USER_DELETE; op++) {
		if (admin_input_user(body, op, &user, &err) < 0) {
			check(err.field && err.rule);
			continue;
		}
		/* nothing but the route's own fields got through */
		check(json_object_size(body) ==
		      !!json_object_get(body, "name") + !!json_object_get(body, "comment") +
		      (op == ADMIN_INPUT_USER_DELETE ? 0 :
		       !!json_object_get(body, "password") + !!json_object_get(body, "enabled") +
		       !!json_object_get(body, "expires_at")));
		check(account_valid_name(user.name));
		check(op != ADMIN_INPUT_USER_CREATE || user.password);
		check(!user.password || (user.password_len > 0 && user.password_len <= AUTH_PASS_MAX &&
					 strlen(user.password) == user.password_len));
		check(!user.comment || strlen(user.comment) <= ADMIN_INPUT_COMMENT_MAX);
		check(user.enabled >= -1 && user.enabled <= 1 && user.expires_at >= 0);
	}
	if (admin_input_whitelist(body, canon, sizeof(canon), &comment, &err) == 0) {
		/* the canonical form parses back to itself */
		check(cidr_parse(canon, &c) == 0 && cidr_format(&c, again, sizeof(again)) &&
		      strcmp(canon, again) == 0);
		check(!comment || strlen(comment) <= ADMIN_INPUT_COMMENT_MAX);
		check(json_object_size(body) == 1 + !!comment);
	} else {
		check(err.field != NULL);
	}
	if (admin_input_session_addr(body, canon, sizeof(canon), &err) == 0)
		check(strchr(canon, '/') == NULL && cidr_parse(canon, &c) == 0 &&
		      json_object_size(body) == 1);
	/* the portal's look: what passes can be neither markup's trouble nor CSS */
	if (admin_input_look(body, &look, &err) == 0) {
		check(!look.title || look_title_ok(look.title));
		check(!look.accent || look_colour_ok(look.accent));
		check(!look.background || look_colour_ok(look.background));
		check(!look.text || look_colour_ok(look.text));
	} else {
		check(err.field && err.rule);
	}
	json_decref(body);
	return 0;
}
