/*
 * admin_input — the admin JSON API's rules for what a client may send, as
 * pure functions: bytes in, checked fields or the name of the bad field out.
 * No I/O and no libmicrohttpd, so the unit tests and the fuzzer reach every
 * rule the listener applies.
 *
 * Strings handed out point into the json_t they came from (borrowed: valid
 * while the caller holds the object). A body with a string holding a NUL
 * ("\u0000") is refused whole: C code downstream would see a shorter name
 * than the one checked.
 *
 * Every route names the fields it takes; a body with any other key is
 * refused, so that a misspelt field ("enable" for "enabled") is an error
 * the caller sees rather than a change that silently did not happen.
 */
#ifndef PORTCULLIS_ADMIN_INPUT_H
#define PORTCULLIS_ADMIN_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_INPUT_COMMENT_MAX 256

/* Why a field was refused: the field's name and its rule. The rule is
 * static; the field is static too, except for an unknown key, which is the
 * key itself (borrowed from the body: any UTF-8, any length). */
struct admin_input_error {
	const char *field;
	const char *rule;
};

/* The body as a JSON object (the caller owns it: json_decref), or NULL when
 * it is absent, not JSON, or JSON but not an object. */
json_t *admin_input_object(const char *body, size_t len);

/* POST /api/login: {"username": string, "password": string}. 0 with *out
 * filled, or -1 with *err naming the missing, malformed or unknown field.
 * Any name within bounds is accepted (a strange one is a failed login to
 * audit, not a malformed request). */
struct admin_input_login {
	const char *username;
	const char *password;
	size_t password_len;
};
int admin_input_login(json_t *body, struct admin_input_login *out, struct admin_input_error *err);

/* POST /api/users, /api/users/update, /api/users/delete. */
enum admin_input_user_op {
	ADMIN_INPUT_USER_CREATE,
	ADMIN_INPUT_USER_UPDATE,
	ADMIN_INPUT_USER_DELETE,
};

struct admin_input_user {
	const char *name;          /* always set when valid */
	const char *password;      /* NULL when absent */
	size_t password_len;
	const char *comment;       /* NULL when absent */
	int enabled;               /* -1 absent, else 0 or 1 */
	int has_expires;           /* expires_at given (null counts as 0) */
	int64_t expires_at;        /* unix seconds, 0 for never */
};

/* 0 with *out filled, or -1 with *err naming the field (create needs a
 * password; the name is 1..256 bytes without control characters or ':').
 * Create and update take name, password, comment, enabled, expires_at;
 * delete takes name and comment (recorded in the admin log). */
int admin_input_user(json_t *body, enum admin_input_user_op op, struct admin_input_user *out,
		     struct admin_input_error *err);

/* POST /api/whitelist and /api/whitelist/delete: {"cidr", "comment"?}
 * (on delete the comment goes to the admin log).
 * canon receives the canonical prefix ("192.0.2.0/24"); at least 64 bytes. */
int admin_input_whitelist(json_t *body, char *canon, size_t canon_len, const char **comment,
			  struct admin_input_error *err);

/* POST /api/sessions/kick: {"addr": an address}. canon receives the
 * canonical address without a prefix; at least 64 bytes. */
int admin_input_session_addr(json_t *body, char *canon, size_t canon_len,
			     struct admin_input_error *err);

/* POST /api/terms: {"text": the portal's terms}. *text points into body:
 * at most STORE_TERMS_MAX bytes, no control characters but tab, CR and LF
 * (no NUL). The terms are shown as text, so markup in them is harmless. */
int admin_input_terms(json_t *body, const char **text, struct admin_input_error *err);

/* Which listener a request's Host header (RFC 9110 §7.2) names. The panel
 * answers only for its own names, so that a page on another site whose
 * name is made to resolve to the panel's address (DNS rebinding) cannot
 * read or drive it with the browser of a logged-in admin. */
enum admin_input_host {
	ADMIN_INPUT_HOST_OURS,     /* an IP literal, localhost, or one of names */
	ADMIN_INPUT_HOST_OTHER,    /* a well-formed name the panel does not answer for */
	ADMIN_INPUT_HOST_INVALID,  /* absent, empty, or not host[:port] */
};

/* host is the header's value (borrowed, NULL when absent): an IPv4
 * address, an IPv6 address in brackets, or a DNS name, each with an
 * optional port; names compare without case and without a trailing dot.
 * names is [admin] hostnames as config.c stores it: lower-case DNS names
 * separated by commas, "" for none. */
/* A data quota's size as the CLI and the API take it: digits with an
 * optional unit, decimal k, M, G, T (kB, MB, GB, TB; 1 MB = 1 000 000
 * bytes) or binary KiB, MiB, GiB, TiB (1 MiB = 1 048 576 bytes), "B"
 * for bytes; "none" or 0 is no quota. Units are case-sensitive except
 * k/K. 0 with *out set, or -1 (not a size, or past 2^63 - 1 bytes). */
int admin_input_bytes(const char *text, uint64_t *out);

enum admin_input_host admin_input_host(const char *host, const char *names);

/* POST /api/portal: {"title"?, "accent"?, "background"?, "text"?}, each
 * a string by look.h's rules (a colour "#rrggbb", "" for the default); at
 * least one. The pointers go into body; an absent field is NULL. */
struct admin_input_look {
	const char *title, *accent, *background, *text;
};
int admin_input_look(json_t *body, struct admin_input_look *out, struct admin_input_error *err);

#endif
