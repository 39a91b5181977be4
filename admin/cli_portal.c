/* portcullis portal: the portal's look (title, colours, logo). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "look.h"

static int show_look(struct cli *c)
{
	struct store_look l;
	int rc = store_look_get(c->st, &l);

	if (rc < 0)
		return db_failed(c, rc, "read the portal's look");
	if (c->json) {
		json_print(json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:I}", "title", l.title,
				     "accent", l.accent, "background", l.background, "text", l.text,
				     "logo", l.logo_type[0] != '\0', "logo_type", l.logo_type,
				     "version", (json_int_t)l.version));
		return EXIT_DONE;
	}
	{
		char *t = display(l.title[0] ? l.title : "(default)", NULL);

		printf("title %s\n", t ? t : "?");
		free(t);
	}
	printf("accent %s\nbackground %s\ntext %s\nlogo %s\n", l.accent[0] ? l.accent : "(default)",
	       l.background[0] ? l.background : "(default)", l.text[0] ? l.text : "(default)",
	       l.logo_type[0] ? l.logo_type : "none");
	return EXIT_DONE;
}

int cmd_portal_show(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	struct args a;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	return show_look(c);
}

int cmd_portal_set(struct cli *c, int argc, char **argv)
{
	const char *title = NULL, *accent = NULL, *background = NULL, *text = NULL;
	const struct opt spec[] = {
		{ "--title", &title, NULL }, { "--accent", &accent, NULL },
		{ "--background", &background, NULL }, { "--text", &text, NULL },
		{ NULL, NULL, NULL } };
	const char *colours[][2] = { { "--accent", NULL }, { "--background", NULL }, { "--text", NULL } };
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 0, &a) < 0)
		return EXIT_USAGE;
	colours[0][1] = accent;
	colours[1][1] = background;
	colours[2][1] = text;
	if (!title && !accent && !background && !text) {
		errorf("portal set: nothing to set: --title, --accent, --background or --text");
		return EXIT_USAGE;
	}
	if (title && !look_title_ok(title)) {
		errorf("--title: at most %d bytes of UTF-8, no control characters", LOOK_TITLE_MAX);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < 3; i++)
		if (colours[i][1] && !look_colour_ok(colours[i][1])) {
			errorf("%s: not a colour", colours[i][0]);
			error_name("", colours[i][1], ": a colour as #rrggbb (six hex "
				   "digits), or \"\" for the default");
			return EXIT_USAGE;
		}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_look_set(c->st, title, accent, background, text, c->actor);
		if (rc == 0)
			rc = commit_with_action(c, "portal.look", "", "");
		else
			store_rollback(c->st);
	}
	if (rc < 0)
		return db_failed(c, rc, "set the portal's look");
	return show_look(c);
}

/* The file is read whole, up to one byte over the cap, and checked by its
 * magic bytes as the panel's upload is. */
int cmd_portal_logo(struct cli *c, int argc, char **argv)
{
	int remove = 0;
	const struct opt spec[] = { { "--remove", NULL, &remove }, { NULL, NULL, NULL } };
	char detail[64];
	unsigned char *data = NULL;
	const char *type = NULL;
	size_t len = 0;
	struct args a;
	FILE *f;
	int rc;

	if (parse_args(argc, argv, spec, 0, 1, &a) < 0)
		return EXIT_USAGE;
	if (remove == (a.npos == 1)) {
		errorf("portal logo: FILE or --remove");
		return EXIT_USAGE;
	}
	if (!remove) {
		f = fopen(a.pos[0], "rb");
		if (!f) {
			error_name("cannot open ", a.pos[0], "");
			return EXIT_FAILED;
		}
		data = malloc(LOOK_LOGO_MAX + 1);
		if (data)
			len = fread(data, 1, LOOK_LOGO_MAX + 1, f);
		rc = data && !ferror(f);
		fclose(f);
		if (!rc) {
			free(data);
			error_name("cannot read ", a.pos[0], "");
			return EXIT_FAILED;
		}
		if (len > LOOK_LOGO_MAX) {
			free(data);
			error_name("", a.pos[0], ": larger than 256 KiB");
			return EXIT_FAILED;
		}
		type = look_image_type(data, len);
		if (!type) {
			free(data);
			error_name("", a.pos[0], ": not a PNG, JPEG, GIF or WebP image (SVG is "
				   "refused: it can carry script)");
			return EXIT_FAILED;
		}
	}
	if (cli_open(c, 0) < 0) {
		free(data);
		return EXIT_FAILED;
	}
	snprintf(detail, sizeof(detail), "%s, %zu bytes", type ? type : "removed", len);
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_look_logo_set(c->st, data, len, type, c->actor);
		if (rc == 0)
			rc = commit_with_action(c, remove ? "portal.logo.delete" : "portal.logo", "",
						detail);
		else
			store_rollback(c->st);
	}
	free(data);
	if (rc < 0)
		return db_failed(c, rc, "store the logo");
	printf("logo %s\n", remove ? "removed" : detail);
	return EXIT_DONE;
}
