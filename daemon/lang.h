/*
 * lang — the portal's message catalogues and the choice of one by a
 * request's Accept-Language. Pure: the parsers do no I/O (the portal reads
 * the files and hands their text here), so that both are fuzzed alone.
 *
 * A catalogue is one file per language, named after its tag (en.txt,
 * de.txt, pt-br.txt), of UTF-8 lines:
 *
 *     # a comment; blank lines are ignored
 *     login.button = Sign in
 *     status.signed_in = You are signed in as {user}.
 *
 * A key is 1..LANG_KEY_MAX of [a-z0-9_.]; the text after "=" (surrounding
 * blanks dropped) is plain text, at most LANG_TEXT_MAX bytes of UTF-8 without
 * control characters. "{name}" marks where the portal puts a value
 * (lang_format). A key given twice, a line without "=", a bad key or text is
 * an error naming the line.
 */
#ifndef PORTCULLIS_LANG_H
#define PORTCULLIS_LANG_H

#include <stddef.h>

#define LANG_TAG_MAX   16      /* "en", "de", "pt-br" */
#define LANG_KEY_MAX   48
#define LANG_TEXT_MAX  1024
#define LANG_FILE_MAX  (128 * 1024)
#define LANG_MAX       32      /* catalogues in a set */

struct lang_entry {
	const char *key, *text;    /* into the catalogue's own copy */
};

struct lang_catalogue {
	char tag[LANG_TAG_MAX + 1];   /* lower case */
	char *data;                   /* the file's text, owned, cut into entries */
	struct lang_entry *entries;   /* sorted by key */
	size_t n;
};

/* 1 when the len bytes at s are UTF-8 (RFC 3629) without control
 * characters (C0, DEL, C1): text that stays one line. */
int lang_text_ok(const char *s, size_t len);

/* 1 when tag is a language tag as catalogues are named: 1..8 letters, then
 * "-" and 1..8 letters or digits, at most LANG_TAG_MAX bytes (RFC 5646 §2.1,
 * the subset an administrator names files with). */
int lang_tag_ok(const char *tag);

/* Parse len bytes of text (borrowed; copied) as the catalogue of tag
 * into *out. 0, or -1 with "line N: why" in err. */
int lang_parse(const char *tag, const char *text, size_t len, struct lang_catalogue *out,
	       char *err, size_t errlen);
/* Frees what lang_parse made; accepts a zeroed catalogue. */
void lang_catalogue_fini(struct lang_catalogue *c);

/* The text of key in c, NULL when c has none. */
const char *lang_lookup(const struct lang_catalogue *c, const char *key);

/*
 * The catalogue an Accept-Language header asks for (RFC 9110 §12.5.4): its
 * language ranges in order of their q-values (equal ones in the order
 * given; q=0 means "not this one"), each matched by lookup (RFC 4647 §3.4:
 * "de-CH" takes a "de-ch" catalogue, else "de"); "*" takes the default.
 * The index into tags[0..n) (lower case), or fallback when nothing
 * matches, the header is absent (NULL) or does not parse.
 */
size_t lang_negotiate(const char *header, const char *const *tags, size_t n, size_t fallback);

/* text with each {name} replaced by the value given for it in vars
 * (name, value pairs; values borrowed); an unknown {name} stays as it is.
 * Cut to outlen - 1 bytes at a UTF-8 boundary; returns out. */
const char *lang_format(char *out, size_t outlen, const char *text, const char *const *vars,
			size_t n_vars);

#endif
