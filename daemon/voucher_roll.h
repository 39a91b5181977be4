/*
 * voucher_roll — making a roll of voucher codes: drawn (voucher.h), each
 * with a lookup part no stored code has, hashed like passwords (passwd.h:
 * tens of milliseconds each, so never on an event loop), and stored in one
 * transaction with the roll. The CLI and the admin API share it.
 */
#ifndef PORTCULLIS_VOUCHER_ROLL_H
#define PORTCULLIS_VOUCHER_ROLL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "voucher.h"

typedef char voucher_code[VOUCHER_LEN_MAX + 1];

/*
 * Store a roll of n codes (1..VOUCHER_ROLL_MAX) with the settings in r
 * (alphabet by name, code_length VOUCHER_LEN_MIN..MAX, validity, expiry,
 * quota, class, max_devices; the rest ignored) and write the codes, in
 * clear, into codes[0..n) (code number i + 1): the only time they can be
 * read, since the store keeps their hashes. Opens its own transaction.
 * 0 with *roll_id; -EINVAL bad settings; -ENOSPC no free lookup parts
 * left for this length and alphabet (a longer code has more); other
 * negative store errors. err (errlen) says why in words.
 */
int voucher_roll_create(struct store *st, const struct store_voucher_roll *r, size_t n,
			voucher_code *codes, int64_t *roll_id, char *err, size_t errlen);

#endif
