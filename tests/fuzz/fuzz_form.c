/* libFuzzer target: the portal's form-encoded body parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "csrf", "username", "password", "url", "" };
	char out[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = 0;

		if (form_field((const char *)data, size, names[i], out, sizeof(out), &n) == FORM_FOUND &&
		    (n >= sizeof(out) || out[n] != '\0' || strlen(out) != n))
			__builtin_trap();
	}
	return 0;
}
