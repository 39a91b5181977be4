/* libFuzzer target: what a client sends the portal in Accept-Language
 * (lang_negotiate), and the catalogue parser (lang_parse) on the same
 * bytes: neither may read outside its input or pick a catalogue that is
 * not there. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "en", "de", "fr", "pt-br" };
	struct lang_catalogue c;
	char err[160], *header = malloc(size + 1), out[64];
	size_t i;

	if (!header)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	i = lang_negotiate(header, tags, 4, 0);
	if (i >= 4)
		__builtin_trap();
	lang_format(out, sizeof(out), header, (const char *const[]){ "user", "lena" }, 1);
	if (strlen(out) >= sizeof(out))
		__builtin_trap();
	if (lang_parse("de", (const char *)data, size, &c, err, sizeof(err)) == 0) {
		for (size_t k = 0; k < c.n; k++)
			if (lang_lookup(&c, c.entries[k].key) != c.entries[k].text)
				__builtin_trap();
		lang_catalogue_fini(&c);
	}
	free(header);
	return 0;
}
