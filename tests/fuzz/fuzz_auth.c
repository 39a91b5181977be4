/*
 * libFuzzer target for the Proxy-Authorization parser: any bytes go to
 * auth_parse_credentials; whatever it accepts must satisfy the contract in
 * auth.h, and an accepted Digest answer is carried through the response
 * computation and the nonce checks as the gate would; an accepted
 * Negotiate token is decoded as the gate decodes it. The same bytes are
 * also tried as a nonce, to reach the base64url decoder directly.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
 *     -Idaemon tests/fuzz/fuzz_auth.c daemon/auth.c daemon/cidr.c \
 *     $(pkg-config --cflags --libs openssl) -o fuzz_auth
 *   ./fuzz_auth tests/fuzz/corpus/auth
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_nonces *nonces;

/* A field must hold a NUL inside its bounds. */
#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))

static void check(int ok)
{
	if (!ok)
		abort();
}

static int is_lower_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

static void check_username(const char *u)
{
	size_t len = strlen(u);

	check(len > 0 && len <= AUTH_USER_MAX);
	for (size_t i = 0; i < len; i++)
		check((unsigned char)u[i] >= 0x20 && (unsigned char)u[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_credentials c;
	char ha1[AUTH_HEX_MAX], resp[AUTH_HEX_MAX];
	char text[AUTH_NONCE_MAX + 1];
	enum auth_parse rc;

	if (nonces == NULL) {
		static const uint8_t secret[32] = "fuzzing secret, thirty-two bytes";

		nonces = auth_nonces_new(secret, 300, 64);
		if (nonces == NULL)
			abort();
	}

	rc = auth_parse_credentials((const char *)data, size, &c);
	check(TERMINATED(c.username) && TERMINATED(c.password) && TERMINATED(c.realm) &&
	      TERMINATED(c.nonce) && TERMINATED(c.uri) && TERMINATED(c.response) &&
	      TERMINATED(c.cnonce) && TERMINATED(c.opaque) && TERMINATED(c.qop));
	if (rc != AUTH_PARSE_OK) {
		/* a password is only ever handed out with an accepted header */
		check(c.password_len == 0 && c.password[0] == '\0');
	} else if (c.scheme == AUTH_SCHEME_BASIC) {
		check_username(c.username);
		check(c.password_len <= AUTH_PASS_MAX &&
		      memchr(c.password, '\0', c.password_len) == NULL &&
		      c.password[c.password_len] == '\0');
	} else if (c.scheme == AUTH_SCHEME_NEGOTIATE) {
		/* the token lies inside the input, in base64's four-character
		 * groups, and decodes into 3/4 of its length or is refused */
		static uint8_t token[AUTH_TOKEN_B64_MAX / 4 * 3 + 1];
		long n;

		check(c.token >= (const char *)data && c.token_len > 0 &&
		      c.token_len <= AUTH_TOKEN_B64_MAX && c.token_len % 4 == 0 &&
		      c.token + c.token_len <= (const char *)data + size);
		n = auth_negotiate_token(&c, token, c.token_len / 4 * 3 + 1);
		check(n == -1 || (n > 0 && (size_t)n <= c.token_len / 4 * 3));
	} else {
		size_t hexlen = c.alg == AUTH_DIGEST_SHA256 ? 64 : 32;

		check(c.scheme == AUTH_SCHEME_DIGEST);
		check_username(c.username);
		check(strcmp(c.qop, "auth") == 0 && c.nc != 0 && c.userhash == 0);
		check(c.nonce[0] && c.uri[0] && c.cnonce[0]);
		check(is_lower_hex(c.response, hexlen));

		auth_digest_ha1(c.alg, c.username, c.realm, "password", 8, ha1);
		check(is_lower_hex(ha1, hexlen));
		auth_digest_response(c.alg, ha1, &c, "GET", 3, resp);
		check(is_lower_hex(resp, hexlen));
		(void)auth_secret_equal(resp, c.response);
		(void)auth_nonce_peek(nonces, c.nonce, 1000);
		(void)auth_nonce_check(nonces, c.nonce, c.nc, 1000);
	}

	/* the raw bytes as a nonce: never valid unless ours */
	size = size < AUTH_NONCE_MAX ? size : AUTH_NONCE_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	check(auth_nonce_peek(nonces, text, 1000) == AUTH_NONCE_INVALID ||
	      (strlen(text) == 32 && auth_nonce_check(nonces, text, 1, 1000) !=
	       AUTH_NONCE_INVALID));
	return 0;
}
