/* libFuzzer target: the TLS ClientHello reader of the intercept listener. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "clienthello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct clienthello ch;
	enum clienthello_parse r = clienthello_parse(data, size, &ch);

	if (r == CLIENTHELLO_OK) {
		size_t n = strlen(ch.sni);

		if (ch.consumed > size || n > CLIENTHELLO_SNI_MAX)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if (ch.sni[i] <= ' ' || ch.sni[i] == '/' || (unsigned char)ch.sni[i] >= 0x7f)
				__builtin_trap();
	}
	return 0;
}
