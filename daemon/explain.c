#include "explain.h"

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "gate.h"
#include "policy.h"
#include "shaper.h"
#include "store.h"

int explain_quota_class_missing(const struct store_policy *sp, const struct config *cfg)
{
	struct shaper_classes classes;
	char why[160];

	if (!cfg || !sp->quota_class[0])
		return 0;
	return shaper_classes_parse(cfg->shaping_classes, &classes, why, sizeof(why)) < 0 ||
	       !shaper_class_find(&classes, sp->quota_class);
}

void explain_quota_class(const struct store_policy *sp, const struct config *cfg, char *buf,
			 size_t len)
{
	if (!sp->quota_class[0])
		snprintf(buf, len, "(none: [shaping] quota_class)");
	else if (explain_quota_class_missing(sp, cfg))
		snprintf(buf, len, "%s (not configured: [shaping] quota_class %s instead)",
			 sp->quota_class, cfg->shaping_quota_class[0] ? cfg->shaping_quota_class
								      : "(none)");
	else
		snprintf(buf, len, "%s", sp->quota_class);
}

void explain_policy_summary(const struct store_policy *sp, const struct config *cfg, char *buf,
			    size_t len)
{
	char devices[24] = "no limit", qcls[2 * SHAPER_NAME_MAX + 64];
	int n;

	if (sp->max_devices)
		snprintf(devices, sizeof(devices), "%u at once", sp->max_devices);
	n = snprintf(buf, len, "%s; priority %lld; windows: %s; session lifetime: %llds; idle: %llds; "
		     "allow: %s; deny: %s; bandwidth class: %s; quota bytes per session/day/month: "
		     "%llu/%llu/%llu",
		     sp->denied ? "may NOT go online" : "may go online", (long long)sp->priority,
		     sp->windows[0] ? sp->windows : "any time", (long long)sp->session_lifetime,
		     (long long)sp->idle_timeout, sp->allow[0] ? sp->allow : "(any)",
		     sp->deny[0] ? sp->deny : "(none)",
		     sp->bandwidth_class[0] ? sp->bandwidth_class : "(none)",
		     (unsigned long long)sp->quota.session_bytes, (unsigned long long)sp->quota.day_bytes,
		     (unsigned long long)sp->quota.month_bytes);
	explain_quota_class(sp, cfg, qcls, sizeof(qcls));
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; devices: %s; quota class: %s", devices, qcls);
}

struct explain_policies {
	struct policy *list;
	struct store_policy *rows;
	size_t n;
	int failed;
};

static int policy_cb(const struct store_policy *sp, void *ud)
{
	struct explain_policies *ep = ud;
	struct policy *pl = realloc(ep->list, (ep->n + 1) * sizeof(*pl));
	struct store_policy *rows;
	char err[256];

	if (!pl)
		return ep->failed = 1;
	ep->list = pl;
	rows = realloc(ep->rows, (ep->n + 1) * sizeof(*rows));
	if (!rows)
		return ep->failed = 1;
	ep->rows = rows;
	ep->rows[ep->n] = *sp;
	/* a text that does not parse refuses its users, as in the gate */
	gate_policy_from_store(sp, &ep->list[ep->n], err, sizeof(err));
	ep->n++;
	return 0;
}

int explain_policy(struct store *st, const struct config *cfg, const char *groups,
		   size_t groups_len, unsigned n_groups, char *out, size_t len)
{
	struct explain_policies ep = { 0 };
	const struct policy *p;
	char *text;
	int rc;

	rc = store_policy_list(st, policy_cb, &ep);
	if (rc < 0 || ep.failed) {
		free(ep.list);
		free(ep.rows);
		return rc < 0 ? rc : -1;
	}
	p = policy_select(ep.list, ep.n, groups, groups_len, n_groups);
	if (!p) {
		snprintf(out, len, "none: no group of this user has a policy and there is no "
			 "default policy; the user may go online at any time, anywhere");
	} else if (!(text = malloc(4 * STORE_POLICY_TEXT_MAX))) {
		rc = -1;
	} else {
		explain_policy_summary(&ep.rows[p - ep.list], cfg, text, 4 * STORE_POLICY_TEXT_MAX);
		if (p->group[0])
			snprintf(out, len, "group %s (its first group with a policy, by priority): %s",
				 p->group, text);
		else
			snprintf(out, len, "the default policy (no group of this user has one): %s",
				 text);
		free(text);
	}
	free(ep.list);
	free(ep.rows);
	return rc;
}
