/*
 * Negotiate (RFC 4559) acceptor on MIT's GSS-API. The token is SPNEGO
 * (RFC 4178) or raw Kerberos (RFC 4121); only one-leg exchanges are
 * taken: a Kerberos AP-REQ completes at once, anything that wants a second
 * leg (NTLM wrapped in SPNEGO) is refused.
 */
#include "negotiate.h"

#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <com_err.h>
#include <krb5.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct replay_slot {
	uint8_t hash[16];          /* the first half of SHA-256 of the token */
	int64_t seen;              /* monotonic s; 0: empty */
};

#define REPLAY_WAYS 8          /* slots a hash may occupy (one bucket) */

struct negotiate {
	gss_cred_id_t cred;
	pthread_mutex_t replay_lock;
	struct replay_slot *replay;    /* NEGOTIATE_REPLAY_SLOTS, REPLAY_WAYS per bucket */
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* What GSS said, as one line: the mechanism's text when it has one. */
static void status_text(OM_uint32 major, OM_uint32 minor, char *out, size_t outlen)
{
	OM_uint32 min2, ctx = 0;
	gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
	int mech = minor != 0;

	if (!out || outlen == 0)
		return;
	out[0] = '\0';
	if (gss_display_status(&min2, mech ? minor : major, mech ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
			       GSS_C_NO_OID, &ctx, &msg) == GSS_S_COMPLETE) {
		size_t n = msg.length < outlen - 1 ? msg.length : outlen - 1;

		memcpy(out, msg.value, n);
		out[n] = '\0';
		/* the text goes into a log line: nothing that could split it */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				out[i] = ' ';
	}
	gss_release_buffer(&min2, &msg);
}

struct negotiate *negotiate_new(const char *keytab, const char *principal,
				char *err, size_t errlen)
{
	struct negotiate *n = calloc(1, sizeof(*n));
	gss_key_value_element_desc elements[] = {
		{ "keytab", keytab },
		/* no replay cache file: see negotiate.h */
		{ "rcache", "none:" },
	};
	gss_key_value_set_desc store = { 2, elements };
	gss_buffer_desc namebuf;
	gss_name_t name = GSS_C_NO_NAME;
	OM_uint32 major, minor;
	char text[256];

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->cred = GSS_C_NO_CREDENTIAL;
	n->replay = calloc(NEGOTIATE_REPLAY_SLOTS, sizeof(*n->replay));
	if (!n->replay) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&n->replay_lock, NULL);
	if (principal && principal[0]) {
		namebuf.value = (void *)principal;
		namebuf.length = strlen(principal);
		major = gss_import_name(&minor, &namebuf, GSS_KRB5_NT_PRINCIPAL_NAME, &name);
		if (GSS_ERROR(major)) {
			status_text(major, minor, text, sizeof(text));
			snprintf(err, errlen, "kerberos.principal '%s': %s", principal, text);
			goto fail_lock;
		}
	}
	major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
				      GSS_C_ACCEPT, &store, &n->cred, NULL, NULL);
	if (name != GSS_C_NO_NAME)
		gss_release_name(&minor, &name);
	if (GSS_ERROR(major)) {
		status_text(major, minor, text, sizeof(text));
		snprintf(err, errlen, "kerberos: no key for %s in %s: %s",
			 principal && principal[0] ? principal : "any principal", keytab, text);
		goto fail_lock;
	}
	return n;

fail_lock:
	pthread_mutex_destroy(&n->replay_lock);
fail:
	free(n->replay);
	free(n);
	return NULL;
}

void negotiate_free(struct negotiate *n)
{
	OM_uint32 minor;

	if (!n)
		return;
	if (n->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &n->cred);
	pthread_mutex_destroy(&n->replay_lock);
	free(n->replay);
	free(n);
}

/* 1 if this token was accepted before within the skew window (and now
 * recorded), else 0. */
static int replay_seen(struct negotiate *n, const uint8_t *token, size_t len)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	int64_t now = mono_s();
	struct replay_slot *bucket, *victim;
	size_t b;
	int seen = 0;

	SHA256(token, len, digest);
	b = ((size_t)digest[16] | (size_t)digest[17] << 8 | (size_t)digest[18] << 16) %
	    (NEGOTIATE_REPLAY_SLOTS / REPLAY_WAYS);
	pthread_mutex_lock(&n->replay_lock);
	bucket = n->replay + b * REPLAY_WAYS;
	victim = bucket;
	for (int i = 0; i < REPLAY_WAYS; i++) {
		struct replay_slot *s = &bucket[i];
		int fresh = s->seen && now - s->seen <= 2 * NEGOTIATE_SKEW_S;

		if (fresh && memcmp(s->hash, digest, sizeof(s->hash)) == 0) {
			seen = 1;
			break;
		}
		if (!fresh || s->seen < victim->seen)
			victim = s;
	}
	if (!seen) {
		memcpy(victim->hash, digest, sizeof(victim->hash));
		/* 0 means empty: a monotonic clock at 0 s is taken as 1 */
		victim->seen = now ? now : 1;
	}
	pthread_mutex_unlock(&n->replay_lock);
	return seen;
}

/* Whether the minor status is the Kerberos error code. MIT's mechanism
 * glue renumbers a mechanism's minor codes when they collide with another
 * mechanism's (and SPNEGO passes on the inner one's), so the text GSS gives
 * for it is compared as well: it is the code's com_err message. */
static int minor_is(OM_uint32 minor, const char *text, krb5_error_code code)
{
	return minor == (OM_uint32)code || (text && strcmp(text, error_message(code)) == 0);
}

static enum negotiate_result classify(OM_uint32 major, OM_uint32 minor, const char *text)
{
	if (minor_is(minor, text, KRB5KRB_AP_ERR_SKEW))
		return NEGOTIATE_SKEW;
	if (minor_is(minor, text, KRB5KRB_AP_ERR_TKT_EXPIRED) ||
	    GSS_ROUTINE_ERROR(major) == GSS_S_CREDENTIALS_EXPIRED ||
	    GSS_ROUTINE_ERROR(major) == GSS_S_CONTEXT_EXPIRED)
		return NEGOTIATE_EXPIRED;
	/* the keytab went away or became unreadable: our fault, not the client's */
	if (minor == ENOENT || minor == EACCES)
		return NEGOTIATE_ERROR;
	return NEGOTIATE_BAD_TOKEN;
}

enum negotiate_result negotiate_accept(struct negotiate *n, const uint8_t *token, size_t len,
				       char *principal, size_t principal_len,
				       char *detail, size_t detail_len)
{
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_buffer_desc in = { len, (void *)token };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER, namebuf = GSS_C_EMPTY_BUFFER;
	gss_name_t src = GSS_C_NO_NAME;
	OM_uint32 major, minor, min2;
	enum negotiate_result r = NEGOTIATE_BAD_TOKEN;

	if (principal_len)
		principal[0] = '\0';
	if (detail && detail_len)
		detail[0] = '\0';
	if (len == 0 || len > NEGOTIATE_TOKEN_MAX) {
		if (detail && detail_len)
			snprintf(detail, detail_len, "token of %zu bytes", len);
		return NEGOTIATE_BAD_TOKEN;
	}
	major = gss_accept_sec_context(&minor, &ctx, n->cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
				       &src, NULL, &out, NULL, NULL, NULL);
	/* the answer token (mutual authentication, RFC 4559 §5) is not sent:
	 * the clients this serves do not ask for it through a proxy */
	gss_release_buffer(&min2, &out);
	if (major == GSS_S_CONTINUE_NEEDED) {
		if (detail && detail_len)
			snprintf(detail, detail_len, "the mechanism wants a second leg "
				 "(not Kerberos: NTLM is not taken)");
		goto out;
	}
	if (GSS_ERROR(major)) {
		char text[256];

		status_text(major, minor, text, sizeof(text));
		r = classify(major, minor, text);
		if (detail && detail_len)
			snprintf(detail, detail_len, "%s", text);
		goto out;
	}
	if (GSS_ERROR(gss_display_name(&minor, src, &namebuf, NULL)) ||
	    namebuf.length == 0 || namebuf.length >= principal_len ||
	    memchr(namebuf.value, '\0', namebuf.length)) {
		if (detail && detail_len)
			snprintf(detail, detail_len, "the client's name cannot be read");
		goto out;
	}
	if (replay_seen(n, token, len)) {
		if (detail && detail_len)
			snprintf(detail, detail_len, "a token accepted before (replayed)");
		goto out;
	}
	memcpy(principal, namebuf.value, namebuf.length);
	principal[namebuf.length] = '\0';
	r = NEGOTIATE_OK;
out:
	gss_release_buffer(&min2, &namebuf);
	if (src != GSS_C_NO_NAME)
		gss_release_name(&min2, &src);
	if (ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min2, &ctx, GSS_C_NO_BUFFER);
	return r;
}

int negotiate_username(const char *principal, int strip_realm, char *out, size_t outlen)
{
	size_t len = strlen(principal), end = len;

	if (strip_realm) {
		/* RFC 1964 §2.1.1: '@' escaped with '\' belongs to the name; the
		 * realm follows the last unescaped one */
		for (size_t i = 0; i < len; i++) {
			if (principal[i] == '\\' && i + 1 < len)
				i++;
			else if (principal[i] == '@')
				end = i;
		}
	}
	if (end == 0 || end >= outlen)
		return -1;
	memcpy(out, principal, end);
	out[end] = '\0';
	return 0;
}

/* "KEYTAB: what Kerberos says of code" into err; the message krb5 made is
 * its to free */
static void keytab_error(krb5_context ctx, krb5_error_code code, const char *keytab, char *err,
			 size_t errlen)
{
	const char *msg = krb5_get_error_message(ctx, code);

	snprintf(err, errlen, "%s: %s", keytab, msg ? msg : "unknown Kerberos error");
	krb5_free_error_message(ctx, msg);
}

long negotiate_keytab_read(const char *keytab, void (*cb)(void *ud, const struct negotiate_key *k),
			   void *ud, char *err, size_t errlen)
{
	krb5_context ctx = NULL;
	krb5_keytab kt = NULL;
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	krb5_error_code code;
	char name[4096 + 8];
	long n = -1;

	if (snprintf(name, sizeof(name), "FILE:%s", keytab) >= (int)sizeof(name)) {
		snprintf(err, errlen, "%s: path too long", keytab);
		return -1;
	}
	code = krb5_init_context(&ctx);
	if (code) {
		snprintf(err, errlen, "cannot start Kerberos: %s", error_message(code));
		return -1;
	}
	code = krb5_kt_resolve(ctx, name, &kt);
	if (!code)
		code = krb5_kt_start_seq_get(ctx, kt, &cursor);
	if (code) {
		keytab_error(ctx, code, keytab, err, errlen);
		goto out;
	}
	n = 0;
	while ((code = krb5_kt_next_entry(ctx, kt, &entry, &cursor)) == 0) {
		struct negotiate_key k;
		char *pname = NULL;

		memset(&k, 0, sizeof(k));
		if (krb5_unparse_name(ctx, entry.principal, &pname) == 0) {
			snprintf(k.principal, sizeof(k.principal), "%s", pname);
			krb5_free_unparsed_name(ctx, pname);
		}
		k.kvno = entry.vno;
		if (krb5_enctype_to_name(entry.key.enctype, FALSE, k.enctype, sizeof(k.enctype)))
			snprintf(k.enctype, sizeof(k.enctype), "enctype %d", (int)entry.key.enctype);
		k.timestamp = entry.timestamp;
		krb5_free_keytab_entry_contents(ctx, &entry);
		cb(ud, &k);
		n++;
	}
	krb5_kt_end_seq_get(ctx, kt, &cursor);
	if (code != KRB5_KT_END) {
		keytab_error(ctx, code, keytab, err, errlen);
		n = -1;
	}
out:
	if (kt)
		krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return n;
}
