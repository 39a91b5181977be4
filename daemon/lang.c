#include "lang.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the UTF-8 sequence at p (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if (left < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

int lang_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_sequence(p + i, len - i);

		if (n == 0 || p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* C1 controls, U+0080..U+009F */
		if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return 0;
		i += n;
	}
	return 1;
}

static int subtag(const char *s, size_t len, int first)
{
	if (len < 1 || len > 8)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(isascii((unsigned char)s[i]) && (isalpha((unsigned char)s[i]) ||
		      (!first && isdigit((unsigned char)s[i])))))
			return 0;
	return 1;
}

int lang_tag_ok(const char *tag)
{
	const char *dash;
	size_t len;

	if (!tag)
		return 0;
	len = strlen(tag);
	if (len == 0 || len > LANG_TAG_MAX)
		return 0;
	dash = strchr(tag, '-');
	if (!dash)
		return subtag(tag, len, 1);
	return subtag(tag, (size_t)(dash - tag), 1) && subtag(dash + 1, strlen(dash + 1), 0);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lang_entry *)a)->key, ((const struct lang_entry *)b)->key);
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

int lang_parse(const char *tag, const char *text, size_t len, struct lang_catalogue *out,
	       char *err, size_t errlen)
{
	size_t lines = 1, line = 0, cap;
	char *p, *end;

	memset(out, 0, sizeof(*out));
	if (!lang_tag_ok(tag)) {
		snprintf(err, errlen, "'%.*s' is not a language tag (en, de, pt-br)", LANG_TAG_MAX, tag ? tag : "");
		return -1;
	}
	if (len > LANG_FILE_MAX) {
		snprintf(err, errlen, "larger than %d bytes", LANG_FILE_MAX);
		return -1;
	}
	for (size_t i = 0; i < strlen(tag); i++)
		out->tag[i] = (char)tolower((unsigned char)tag[i]);
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	out->data = malloc(len + 1);
	cap = lines;
	out->entries = calloc(cap, sizeof(*out->entries));
	if (!out->data || !out->entries) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(out->data, text, len);
	out->data[len] = '\0';
	p = out->data;
	end = out->data + len;
	while (p <= end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eq, *k, *v, *kend, *vend;

		line++;
		if (!nl)
			nl = end;
		*nl = '\0';
		vend = nl;
		if (vend > p && vend[-1] == '\r')
			*--vend = '\0';
		/* a byte-order mark at the start of the file is not text */
		if (line == 1 && vend - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
			p += 3;
		if (memchr(p, '\0', (size_t)(vend - p))) {
			snprintf(err, errlen, "line %zu: a NUL byte", line);
			goto fail;
		}
		k = p;
		p = nl + 1;
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "line %zu: expected key = text", line);
			goto fail;
		}
		kend = eq;
		while (kend > k && (kend[-1] == ' ' || kend[-1] == '\t'))
			kend--;
		if (kend == k || kend - k > LANG_KEY_MAX) {
			snprintf(err, errlen, "line %zu: a key is 1 to %d characters", line, LANG_KEY_MAX);
			goto fail;
		}
		for (char *c = k; c < kend; c++)
			if (!key_char(*c)) {
				snprintf(err, errlen, "line %zu: a key is of a-z, 0-9, '_' and '.'", line);
				goto fail;
			}
		*kend = '\0';
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			*--vend = '\0';
		if (vend - v > LANG_TEXT_MAX) {
			snprintf(err, errlen, "line %zu: the text is longer than %d bytes", line,
				 LANG_TEXT_MAX);
			goto fail;
		}
		if (!lang_text_ok(v, (size_t)(vend - v))) {
			snprintf(err, errlen, "line %zu: the text is not UTF-8 without control characters",
				 line);
			goto fail;
		}
		out->entries[out->n].key = k;
		out->entries[out->n].text = v;
		out->n++;
	}
	qsort(out->entries, out->n, sizeof(*out->entries), entry_cmp);
	for (size_t i = 1; i < out->n; i++)
		if (!strcmp(out->entries[i - 1].key, out->entries[i].key)) {
			snprintf(err, errlen, "key %s is given twice", out->entries[i].key);
			goto fail;
		}
	return 0;
fail:
	lang_catalogue_fini(out);
	return -1;
}

void lang_catalogue_fini(struct lang_catalogue *c)
{
	if (!c)
		return;
	free(c->data);
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

const char *lang_lookup(const struct lang_catalogue *c, const char *key)
{
	struct lang_entry want = { key, NULL };
	const struct lang_entry *e;

	if (!c || !c->n || !key)
		return NULL;
	e = bsearch(&want, c->entries, c->n, sizeof(*c->entries), entry_cmp);
	return e ? e->text : NULL;
}

/* ------------------------------------------------------------ Accept-Language */

struct range {
	char tag[LANG_TAG_MAX + 1];   /* lower case; "*" for any */
	int q;                        /* thousandths */
	size_t order;
};

/* RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] );
 * -1 when s (len bytes) is not one */
static int qvalue(const char *s, size_t len)
{
	int q, scale = 100;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (len == 1)
		return q;
	if (s[1] != '.' || len > 5)
		return -1;
	for (size_t i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->q != y->q)
		return y->q - x->q;
	return x->order < y->order ? -1 : x->order > y->order;
}

static size_t find_tag(const char *tag, const char *const *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tags[i], tag))
			return i;
	return n;
}

/* 1 when the catalogue tag was refused (q=0) by name */
static int refused(const char *tag, const struct range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].q == 0 && !strcmp(r[i].tag, tag))
			return 1;
	return 0;
}

size_t lang_negotiate(const char *header, const char *const *tags, size_t n, size_t fallback)
{
	struct range r[32];
	size_t nr = 0;
	const char *p = header;

	if (!header)
		return fallback;
	/* #( language-range [ weight ] ), RFC 9110 §5.6.1 lists: empty
	 * elements and blanks around them are allowed */
	while (*p && nr < sizeof(r) / sizeof(r[0])) {
		const char *elem = p, *stop = strchr(p, ','), *semi;
		size_t elen, tlen;
		int q = 1000;

		if (!stop)
			stop = p + strlen(p);
		p = *stop ? stop + 1 : stop;
		while (elem < stop && (*elem == ' ' || *elem == '\t'))
			elem++;
		elen = (size_t)(stop - elem);
		while (elen && (elem[elen - 1] == ' ' || elem[elen - 1] == '\t'))
			elen--;
		if (elen == 0)
			continue;
		semi = memchr(elem, ';', elen);
		tlen = semi ? (size_t)(semi - elem) : elen;
		while (tlen && (elem[tlen - 1] == ' ' || elem[tlen - 1] == '\t'))
			tlen--;
		if (semi) {
			const char *w = semi + 1, *wend = elem + elen;

			while (w < wend && (*w == ' ' || *w == '\t'))
				w++;
			if (wend - w < 2 || (w[0] != 'q' && w[0] != 'Q') || w[1] != '=')
				continue;
			q = qvalue(w + 2, (size_t)(wend - w - 2));
			if (q < 0)
				continue;
		}
		if (tlen == 0 || tlen > LANG_TAG_MAX)
			continue;
		/* language-range (RFC 4647 §2.1): "*" or 1*8ALPHA *("-" 1*8alphanum) */
		for (size_t i = 0; i < tlen; i++)
			r[nr].tag[i] = (char)tolower((unsigned char)elem[i]);
		r[nr].tag[tlen] = '\0';
		if (strcmp(r[nr].tag, "*")) {
			int ok = 1;
			size_t start = 0;

			for (size_t i = 0; i <= tlen && ok; i++)
				if (i == tlen || r[nr].tag[i] == '-') {
					ok = subtag(r[nr].tag + start, i - start, start == 0);
					start = i + 1;
				}
			if (!ok)
				continue;
		}
		r[nr].q = q;
		r[nr].order = nr;
		nr++;
	}
	qsort(r, nr, sizeof(r[0]), range_cmp);
	for (size_t i = 0; i < nr && r[i].q > 0; i++) {
		char want[LANG_TAG_MAX + 1];
		char *dash;

		if (!strcmp(r[i].tag, "*")) {
			if (fallback < n && !refused(tags[fallback], r, nr))
				return fallback;
			for (size_t j = 0; j < n; j++)
				if (!refused(tags[j], r, nr))
					return j;
			continue;
		}
		/* lookup: the range, then shorter by one subtag at a time */
		memcpy(want, r[i].tag, sizeof(want));
		for (;;) {
			size_t j = find_tag(want, tags, n);

			if (j < n && !refused(want, r, nr))
				return j;
			dash = strrchr(want, '-');
			if (!dash)
				break;
			*dash = '\0';
		}
	}
	return fallback;
}

/* ------------------------------------------------------------ formatting */

const char *lang_format(char *out, size_t outlen, const char *text, const char *const *vars,
			size_t n_vars)
{
	size_t o = 0;

	if (!outlen)
		return out;
	while (text && *text && o + 1 < outlen) {
		const char *value = NULL, *close;
		size_t name_len = 0, n;

		if (*text == '{' && (close = strchr(text + 1, '}'))) {
			name_len = (size_t)(close - text - 1);
			for (size_t i = 0; i + 1 < n_vars * 2; i += 2)
				if (strlen(vars[i]) == name_len && !strncmp(vars[i], text + 1, name_len)) {
					value = vars[i + 1] ? vars[i + 1] : "";
					break;
				}
		}
		if (!value) {
			out[o++] = *text++;
			continue;
		}
		n = strlen(value);
		if (o + n >= outlen) {
			/* cut at a character boundary */
			n = outlen - 1 - o;
			while (n && ((unsigned char)value[n] & 0xc0) == 0x80)
				n--;
			memcpy(out + o, value, n);
			o += n;
			break;
		}
		memcpy(out + o, value, n);
		o += n;
		text += name_len + 2;
	}
	/* a cut in the text itself: not inside a character */
	while (o && text && ((unsigned char)*text & 0xc0) == 0x80) {
		o--;
		text--;
	}
	out[o] = '\0';
	return out;
}
