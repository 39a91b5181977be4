#include "voucher_roll.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "passwd.h"

/* Draws per code before the lookup parts are deemed used up. */
#define DRAWS_MAX 64

static int os_random(void *ud, uint8_t *buf, size_t n)
{
	(void)ud;
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* 1 when code i's lookup part is one of an earlier code's or a stored one. */
static int prefix_taken(struct store *st, voucher_code *codes, size_t i, size_t plen, int *err)
{
	char prefix[VOUCHER_LEN_MAX + 1];
	struct store_voucher v;
	struct store_voucher_roll r;
	int rc;

	for (size_t j = 0; j < i; j++)
		if (!memcmp(codes[j], codes[i], plen))
			return 1;
	memcpy(prefix, codes[i], plen);
	prefix[plen] = '\0';
	rc = store_voucher_find(st, prefix, &v, &r);
	if (rc < 0)
		*err = rc;
	return rc == 0;
}

int voucher_roll_create(struct store *st, const struct store_voucher_roll *r, size_t n,
			voucher_code *codes, int64_t *roll_id, char *err, size_t errlen)
{
	enum voucher_alphabet a;
	size_t len = (size_t)r->code_length, plen = VOUCHER_PREFIX(len);
	char (*phc)[PASSWD_HASH_MAX] = NULL;
	int rc = 0;

	if (voucher_alphabet_parse(r->alphabet, &a) < 0 || len < VOUCHER_LEN_MIN ||
	    len > VOUCHER_LEN_MAX || n < 1 || n > VOUCHER_ROLL_MAX || r->validity < 1 ||
	    r->validity > VOUCHER_VALIDITY_MAX || r->max_devices < 1 || r->max_devices > 64) {
		snprintf(err, errlen, "a roll has 1 to %d codes of %d to %d characters (numeric or "
			 "safe), a validity of 1 s to 365 days and 1 to 64 devices per code",
			 VOUCHER_ROLL_MAX, VOUCHER_LEN_MIN, VOUCHER_LEN_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		int draws = 0;

		do {
			if (++draws > DRAWS_MAX) {
				snprintf(err, errlen, "no free codes of %zu characters are left: use longer "
					 "codes, or delete old rolls", len);
				rc = -ENOSPC;
				goto out;
			}
			if (voucher_generate(a, len, codes[i], os_random, NULL) < 0) {
				snprintf(err, errlen, "no randomness for the codes");
				rc = -1;
				goto out;
			}
		} while (prefix_taken(st, codes, i, plen, &rc) && rc == 0);
		if (rc < 0) {
			snprintf(err, errlen, "the database cannot be read");
			goto out;
		}
	}
	/* hashed before the transaction: no slow work holds the write lock */
	phc = calloc(n, sizeof(*phc));
	if (!phc) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (passwd_hash(codes[i], len, NULL, phc[i], sizeof(phc[i])) < 0) {
			snprintf(err, errlen, "cannot hash the codes");
			rc = -1;
			goto out;
		}
	rc = store_begin(st);
	if (rc == 0)
		rc = store_voucher_roll_add(st, r, roll_id);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char prefix[VOUCHER_LEN_MAX + 1];

		memcpy(prefix, codes[i], plen);
		prefix[plen] = '\0';
		rc = store_voucher_add(st, *roll_id, (int64_t)i + 1, prefix, phc[i]);
	}
	if (rc == 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc == -EEXIST)
		snprintf(err, errlen, "another roll took one of the codes meanwhile: try again");
	else if (rc < 0)
		snprintf(err, errlen, "the roll cannot be stored (database %s)",
			 rc == -EBUSY ? "busy" : rc == -ENOSPC ? "disk full" : "error");
out:
	if (phc) {
		OPENSSL_cleanse(phc, n * sizeof(*phc));
		free(phc);
	}
	if (rc < 0)
		OPENSSL_cleanse(codes, n * sizeof(*codes));
	return rc;
}
