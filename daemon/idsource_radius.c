/*
 * The RADIUS identity source: a username and password checked by the
 * servers of [radius] (radius_client.h), what idsource.h's
 * idsource_radius_new says. It keeps no Digest secrets: a RADIUS server
 * checks a password it is sent (PAP), never a Digest response.
 */
#include "idsource.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "radius_client.h"
#include "sessions.h"

struct radius_source {
	struct idsource src;          /* first: the gate holds a struct idsource * */
	struct radius_client *client;
	struct idsource *fallback;    /* [radius] unreachable = local: the local
				       * store, asked when no server answers */
};

/* An attribute's seconds as the gate keeps them: 0 is "not given". */
static unsigned seconds(long v)
{
	if (v <= 0)
		return 0;
	return v > 0x7fffffffL ? 0x7fffffffu : (unsigned)v;
}

static void radius_check(struct idsource *src, const char *username, const char *password,
			 size_t password_len, const struct idsource_peer *peer,
			 struct idsource_answer *ans)
{
	struct radius_source *r = (struct radius_source *)src;
	struct radius_client_query q = {
		.user = username, .user_len = strlen(username),
		.password = password, .password_len = password_len,
		.client = peer ? peer->client : NULL, .client_mac = peer ? peer->mac : NULL,
	};
	struct radius_result res;
	char euser[3 * 64 + 8];

	memset(ans, 0, sizeof(*ans));
	switch (radius_client_authenticate(r->client, &q, &res)) {
	case RADIUS_OUTCOME_ACCEPT:
		ans->verdict = IDSOURCE_ACCEPT;
		ans->credential = SESSIONS_CREDENTIAL_REMOTE;
		ans->attrs.session_timeout = seconds(res.reply.session_timeout);
		ans->attrs.idle_timeout = seconds(res.reply.idle_timeout);
		ans->attrs.accounting_interval = seconds(res.reply.acct_interim_interval);
		snprintf(ans->attrs.source, sizeof(ans->attrs.source), "radius %.56s", res.server);
		/* the codec already made control characters spaces; cut at the
		 * gate's bound */
		snprintf(ans->attrs.reply_message, sizeof(ans->attrs.reply_message), "%.*s",
			 (int)sizeof(ans->attrs.reply_message) - 1, res.reply.reply_message);
		ans->attrs.class_len = res.reply.class_len < sizeof(ans->attrs.class_blob)
					       ? res.reply.class_len : sizeof(ans->attrs.class_blob);
		memcpy(ans->attrs.class_blob, res.reply.class_value, ans->attrs.class_len);
		break;
	case RADIUS_OUTCOME_REJECT:
	case RADIUS_OUTCOME_INVALID:
		ans->verdict = IDSOURCE_WRONG_PASSWORD;
		ans->reason = METRICS_REASON_WRONG_PASSWORD;
		break;
	case RADIUS_OUTCOME_UNREACHABLE:
		if (res.refused) {
			/* someone answered in the server's place and no genuine
			 * answer came: refused whatever a later source says,
			 * and audited under its own reason */
			log_escape(euser, sizeof(euser), username, strlen(username));
			log_warn("radius: user=\"%s\": %u answer%s from %s refused (%s); login refused",
				 euser, res.refused, res.refused == 1 ? "" : "s", res.refused_from,
				 radius_check_str(res.refusal));
			ans->verdict = IDSOURCE_REFUSED;
			ans->reason = METRICS_REASON_FORGED_ANSWER;
			ans->final = 1;
		} else if (r->fallback) {
			r->fallback->check(r->fallback, username, password, password_len, peer,
					   ans);
			ans->final = 1;
		} else {
			ans->verdict = IDSOURCE_UNREACHABLE;
		}
		break;
	}
	OPENSSL_cleanse(&res, sizeof(res));
}

static void radius_free(struct idsource *src)
{
	struct radius_source *r = (struct radius_source *)src;

	if (!r)
		return;
	radius_client_free(r->client);
	if (r->fallback)
		r->fallback->free(r->fallback);
	free(r);
}

struct idsource *idsource_radius_new(const struct idsource_env *env, char *err, size_t errlen)
{
	struct radius_source *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "radius: out of memory");
		return NULL;
	}
	r->src.name = "radius";
	r->src.caps = 0;
	r->src.check = radius_check;
	r->src.free = radius_free;
	r->client = radius_client_new(env->cfg, err, errlen);
	if (!r->client)
		goto fail;
	if (env->cfg->radius_unreachable_local) {
		r->fallback = idsource_local_new(env, err, errlen);
		if (!r->fallback)
			goto fail;
	}
	return &r->src;
fail:
	radius_free(&r->src);
	return NULL;
}
