/*
 * gate_voucher — a guest's voucher code on the portal: the lockout, the one
 * hash compared, the first use recorded, the failure audited.
 */
#include "gate_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "idsource.h"
#include "log.h"
#include "sessions.h"
#include "voucher.h"

/* Whether code v of roll r (named name) may start a session at now: 0
 * with the seconds left of its validity in *left, 1 refused with *why,
 * -1 the store did not answer. Its data quota counts every session the
 * code's name had, all its devices, since the first use (the history
 * keeps them longer than a code's longest validity). */
static int code_refusal(struct store *st, const struct store_voucher *v,
			const struct store_voucher_roll *r, const char *name, int64_t now,
			int64_t *left, enum gate_voucher_refusal *why)
{
	uint64_t used;

	if (v->revoked_at || r->revoked_at) {
		*why = GATE_VOUCHER_REVOKED;
		return 1;
	}
	voucher_ends_at(v->first_used_at, now, r->validity, r->expires_at, left);
	if (*left <= 0) {
		*why = GATE_VOUCHER_EXPIRED;
		return 1;
	}
	if (r->quota_bytes > 0 && v->first_used_at) {
		if (store_session_history_bytes(st, name, v->first_used_at, &used) < 0)
			return -1;
		if (used >= (uint64_t)r->quota_bytes) {
			*why = GATE_VOUCHER_QUOTA;
			return 1;
		}
	}
	return 0;
}

enum gate_verdict gate_check_voucher(struct gate *g, const struct sockaddr *client,
				     const char *typed, const char *user_agent,
				     unsigned *retry_after, struct gate_voucher *out,
				     enum gate_voucher_refusal *why)
{
	char code[VOUCHER_LEN_MAX + 1], name[64] = "voucher";
	struct store_voucher v;
	struct store_voucher_roll r;
	struct store *st;
	enum metrics_reason reason = METRICS_REASON_UNKNOWN_USER;
	int64_t now = loop_wall_ms() / 1000, left;
	int rc, match;

	memset(out, 0, sizeof(*out));
	*why = GATE_VOUCHER_UNKNOWN;
	*retry_after = 0;
	/* the address alone is counted: every guest types under one name */
	if (gate_admit(g, GATE_MODE_PORTAL, client, "", retry_after, NULL))
		return GATE_LOCKED;
	st = gate_thread_store(g);
	if (!st) {
		gate_release(g, GATE_MODE_PORTAL, client, "");
		return GATE_UNAVAILABLE;
	}
	if (voucher_normalize(typed, code, sizeof(code)) < 0) {
		idsource_verify_password(NULL, typed, strnlen(typed, VOUCHER_LEN_MAX));
		reason = METRICS_REASON_MALFORMED;
		goto fail;
	}
	/* the lookup part finds the one stored hash the code can match */
	{
		char prefix[VOUCHER_LEN_MAX + 1];
		size_t plen = VOUCHER_PREFIX(strlen(code));

		memcpy(prefix, code, plen);
		prefix[plen] = '\0';
		rc = store_voucher_find(st, prefix, &v, &r);
	}
	if (rc < 0) {
		gate_release(g, GATE_MODE_PORTAL, client, "");
		OPENSSL_cleanse(code, sizeof(code));
		return GATE_UNAVAILABLE;
	}
	if (rc == 1 || (size_t)r.code_length != strlen(code)) {
		idsource_verify_password(NULL, code, strlen(code));
		goto fail;
	}
	match = idsource_verify_password(v.phc, code, strlen(code));
	if (!match)
		goto fail;
	snprintf(name, sizeof(name), VOUCHER_USER_PREFIX "%lld-%lld", (long long)v.roll_id,
		 (long long)v.number);
	rc = code_refusal(st, &v, &r, name, now, &left, why);
	if (rc < 0) {
		gate_release(g, GATE_MODE_PORTAL, client, "");
		OPENSSL_cleanse(code, sizeof(code));
		return GATE_UNAVAILABLE;
	}
	if (rc) {
		reason = *why == GATE_VOUCHER_REVOKED ? METRICS_REASON_DISABLED : METRICS_REASON_EXPIRED;
		goto fail;
	}
	if (!v.first_used_at) {
		/* another device may have used it a moment ago: its time counts */
		if (store_voucher_first_use(st, v.id, now) < 0 ||
		    store_voucher_find(st, v.prefix, &v, &r) != 0) {
			gate_release(g, GATE_MODE_PORTAL, client, "");
			OPENSSL_cleanse(code, sizeof(code));
			return GATE_UNAVAILABLE;
		}
		voucher_ends_at(v.first_used_at, now, r.validity, r.expires_at, &left);
		if (left <= 0) {
			*why = GATE_VOUCHER_EXPIRED;
			reason = METRICS_REASON_EXPIRED;
			goto fail;
		}
	}
	OPENSSL_cleanse(code, sizeof(code));
	snprintf(out->username, sizeof(out->username), "%s", name);
	out->roll_id = v.roll_id;
	out->number = v.number;
	out->lifetime = left > UINT32_MAX ? UINT32_MAX : (unsigned)left;
	out->max_devices = r.max_devices;
	snprintf(out->bandwidth_class, sizeof(out->bandwidth_class), "%s", r.bandwidth_class);
	out->login.credential = SESSIONS_CREDENTIAL_REMOTE;
	out->login.attrs.session_timeout = out->lifetime;
	/* nothing to forgive: failures count against the address alone,
	 * and a good code must not wipe another's guesses from there */
	gate_release(g, GATE_MODE_PORTAL, client, "");
	metrics_inc(auth_ok);
	log_info("portal: code of %s accepted, %lld s left", name, (long long)left);
	return GATE_PASS;
fail:
	OPENSSL_cleanse(code, sizeof(code));
	gate_failure(g, GATE_MODE_PORTAL, client, "voucher", name, reason, "", user_agent);
	gate_count_failure(g, GATE_MODE_PORTAL, client, "voucher", "", reason, "", user_agent, 1);
	return GATE_FAIL;
}

enum gate_verdict gate_voucher_usable(struct gate *g, const char *username,
				      enum gate_voucher_refusal *why)
{
	struct store_voucher v;
	struct store_voucher_roll r;
	struct store *st;
	int64_t roll, number, left;
	int rc;

	*why = GATE_VOUCHER_UNKNOWN;
	if (voucher_user_parse(username, &roll, &number) < 0)
		return GATE_FAIL;
	st = gate_thread_store(g);
	if (!st)
		return GATE_UNAVAILABLE;
	rc = store_voucher_get(st, roll, number, &v, &r);
	if (rc < 0)
		return GATE_UNAVAILABLE;
	if (rc == 1)
		return GATE_FAIL;
	rc = code_refusal(st, &v, &r, username, loop_wall_ms() / 1000, &left, why);
	return rc < 0 ? GATE_UNAVAILABLE : rc ? GATE_FAIL : GATE_PASS;
}
