/*
 * look — the portal's look as the administrator sets it: the title, three
 * colours and a logo. The rules every face (panel, API, CLI) applies before
 * the store keeps a value, and the stylesheet the portal makes from them.
 * Pure: no I/O, nothing allocated.
 */
#ifndef PORTCULLIS_LOOK_H
#define PORTCULLIS_LOOK_H

#include <stddef.h>

#define LOOK_TITLE_MAX  80              /* bytes of UTF-8 */
#define LOOK_COLOUR_LEN 7               /* "#rrggbb" */
#define LOOK_LOGO_MAX   (256 * 1024)    /* bytes of the image */
#define LOOK_TYPE_MAX   16              /* "image/jpeg" and the like */
#define LOOK_CSS_MAX    512

/* 1 when s is a colour as the portal takes one: "#" and six hex digits
 * (either case), nothing else, so that the value cannot be CSS of its
 * own; or "" (the portal's default). 0 otherwise. */
int look_colour_ok(const char *s);

/* 1 when s may be the portal's title: at most LOOK_TITLE_MAX bytes of
 * valid UTF-8 without control characters ("" is the default title). The
 * portal escapes it like every value; this keeps it one readable line. */
int look_title_ok(const char *s);

/* The media type of an image by its first bytes (its magic number):
 * "image/png", "image/jpeg", "image/gif" or "image/webp"; NULL for
 * anything else. SVG is never one: it is markup and can carry script. */
const char *look_image_type(const void *data, size_t len);

/* The portal's generated stylesheet: CSS custom properties (--accent,
 * --background, --text) for the colours given; one that is "" or fails
 * look_colour_ok is left out, so the portal's own default stands. The
 * length written, or -1 when out is too small. */
int look_css(char *out, size_t outlen, const char *accent, const char *background,
	     const char *text);

#endif
