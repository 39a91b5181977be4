/*
 * The directory as an identity source ([auth] sources = ...,ldap): what
 * directory.h answers, in idsource.h's terms. It keeps no Digest records:
 * the directory never gives the gateway a password, so a directory user
 * logs in with Basic or through the portal.
 */
#include "idsource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "log.h"
#include "sessions.h"

struct ldap_source {
	struct idsource base;
	struct directory *dir;
};

static void ldap_check(struct idsource *src, const char *username, const char *password,
		       size_t password_len, struct idsource_answer *ans)
{
	struct ldap_source *s = (struct ldap_source *)src;
	struct directory_result *r = malloc(sizeof(*r));
	enum directory_answer a;
	char euser[3 * 64 + 8];

	memset(ans, 0, sizeof(*ans));
	if (!r) {
		ans->verdict = IDSOURCE_UNREACHABLE;
		return;
	}
	a = directory_check(s->dir, username, password, password_len, r);
	log_escape(euser, sizeof(euser), username, strlen(username));
	switch (a) {
	case DIRECTORY_ACCEPT:
		ans->verdict = IDSOURCE_ACCEPT;
		/* no local account whose changes end what this login lets
		 * through: it lasts until the next check asks the directory */
		ans->credential = SESSIONS_CREDENTIAL_REMOTE;
		for (size_t i = 0; i < r->n_groups; i++) {
			if (idsource_attrs_add_group(&ans->attrs, r->groups[i]) < 0) {
				log_warn("ldap: user \"%s\": more groups than fit; the first %zu kept",
					 euser, i);
				break;
			}
		}
		break;
	case DIRECTORY_WRONG_PASSWORD:
		ans->verdict = IDSOURCE_WRONG_PASSWORD;
		ans->reason = METRICS_REASON_WRONG_PASSWORD;
		break;
	case DIRECTORY_NO_SUCH_USER:
		ans->verdict = IDSOURCE_NO_SUCH_USER;
		ans->reason = METRICS_REASON_UNKNOWN_USER;
		break;
	case DIRECTORY_LOCKED:
	case DIRECTORY_DISABLED:
	case DIRECTORY_EXPIRED:
		/* the directory knows the account and forbids it: final, as a
		 * disabled local account is */
		ans->verdict = IDSOURCE_REFUSED;
		ans->final = 1;
		ans->reason = a == DIRECTORY_LOCKED ? METRICS_REASON_ACCOUNT_LOCKED
			      : a == DIRECTORY_DISABLED ? METRICS_REASON_DISABLED
			      : METRICS_REASON_EXPIRED;
		break;
	case DIRECTORY_UNREACHABLE:
		/* the gate answers 503 unless another source decides */
		ans->verdict = IDSOURCE_UNREACHABLE;
		break;
	}
	if (a == DIRECTORY_ACCEPT || a == DIRECTORY_WRONG_PASSWORD)
		log_debug("ldap: user \"%s\": %s (%s)", euser, directory_answer_name(a), r->dn);
	else if (a == DIRECTORY_NO_SUCH_USER)
		log_debug("ldap: user \"%s\": %s (%s)", euser, directory_answer_name(a), r->detail);
	else if (a == DIRECTORY_UNREACHABLE)
		log_warn("ldap: user \"%s\" cannot be checked: %s (%s)", euser,
			 directory_answer_name(a), r->detail);
	else
		log_notice("ldap: user \"%s\" refused: %s (%s)", euser, directory_answer_name(a),
			   r->detail);
	free(r);
}

static void ldap_free(struct idsource *src)
{
	struct ldap_source *s = (struct ldap_source *)src;

	if (!s)
		return;
	directory_free(s->dir);
	free(s);
}

struct idsource *idsource_ldap_new(const struct idsource_env *env, char *err, size_t errlen)
{
	struct ldap_source *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->dir = directory_new(env->cfg, err, errlen);
	if (!s->dir) {
		free(s);
		return NULL;
	}
	s->base.name = "ldap";
	s->base.caps = 0;
	s->base.check = ldap_check;
	s->base.free = ldap_free;
	return &s->base;
}
