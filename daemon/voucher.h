/*
 * voucher — the pure rules of guest vouchers: the codes' alphabets, their
 * generation from random bytes, how a typed code is read, the split of a
 * code into its lookup part and its secret part, validity durations and
 * the time a code's session ends. No I/O, no allocation; the store keeps
 * the rolls (store.h), the gate checks a typed code (gate.h).
 *
 * A code is VOUCHER_PREFIX(len) lookup characters followed by the secret
 * rest. The lookup part is stored in clear and unique among the stored
 * codes, so that a typed code is checked against exactly one stored hash;
 * the rest is stored as a password is (passwd.h, scrypt), so a copy of the
 * database costs an attacker one scrypt per guess of the secret part. The
 * lookup part gives nothing away that the printed card does not: it is
 * half of the code, the other half is what protects it.
 */
#ifndef PORTCULLIS_VOUCHER_H
#define PORTCULLIS_VOUCHER_H

#include <stddef.h>
#include <stdint.h>

#define VOUCHER_LEN_MIN     8
#define VOUCHER_LEN_MAX     24
#define VOUCHER_LEN_DEFAULT 10
#define VOUCHER_ROLL_MAX    1000      /* codes in one roll */
#define VOUCHER_VALIDITY_MAX (365 * 86400)
/* The lookup part: half of the code, rounded down. */
#define VOUCHER_PREFIX(len) ((len) / 2)
/* The name a voucher's sessions carry: "voucher:ROLL-NUMBER". */
#define VOUCHER_USER_PREFIX "voucher:"

enum voucher_alphabet {
	VOUCHER_NUMERIC,      /* 0-9 */
	VOUCHER_SAFE,         /* letters and digits without look-alikes
			       * (no 0 O 1 I L, no 2 Z, no 5 S, no 8 B) */
};

/* The characters of an alphabet (NUL-terminated). */
const char *voucher_alphabet_chars(enum voucher_alphabet a);
/* "numeric" or "safe"; 0, or -1 for another name. */
int voucher_alphabet_parse(const char *name, enum voucher_alphabet *out);
const char *voucher_alphabet_name(enum voucher_alphabet a);

/*
 * A code of len characters (VOUCHER_LEN_MIN..MAX) into out (len + 1
 * bytes), drawn from the alphabet without bias: rnd(ud, buf, n) fills buf
 * with n random bytes (0, or -1 on failure), and bytes that would favour
 * some characters are drawn again. 0, or -1 (bad length, rnd failed).
 */
int voucher_generate(enum voucher_alphabet a, size_t len, char *out,
		     int (*rnd)(void *ud, uint8_t *buf, size_t n), void *ud);

/*
 * A code as a guest typed it into out (outlen bytes): blanks and dashes
 * dropped, letters upper-cased. 0, or -1 when it has a character that is
 * in no alphabet, or is shorter than VOUCHER_LEN_MIN or longer than
 * VOUCHER_LEN_MAX.
 */
int voucher_normalize(const char *typed, char *out, size_t outlen);

/*
 * A validity or duration: a number followed by s, m, h, d or w ("90m",
 * "2h", "1d", "7d"), 1 s .. VOUCHER_VALIDITY_MAX. 0 with *seconds, or -1.
 */
int voucher_parse_duration(const char *text, int64_t *seconds);

/*
 * When a code's session ends (unix s): validity counted from its first
 * use (first_used 0: now is the first use), and never after the roll's
 * expiry (0: none). Seconds left from now into *left (0 when over).
 */
int64_t voucher_ends_at(int64_t first_used, int64_t now, int64_t validity, int64_t roll_expires,
			int64_t *left);

/*
 * The roll and number of a voucher's session name ("voucher:ROLL-NUMBER",
 * both positive decimal numbers without leading zeros or signs). 0, or -1
 * when name is not one (a user's name, or anything else).
 */
int voucher_user_parse(const char *name, int64_t *roll, int64_t *number);

#endif
