#include "explain.h"

#include <stdio.h>
#include <stdlib.h>

#include "gate.h"
#include "policy.h"
#include "store.h"

void explain_policy_summary(const struct store_policy *sp, char *buf, size_t len)
{
	char devices[24] = "no limit";
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
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; devices: %s", devices);
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

int explain_policy(struct store *st, const char *groups, size_t groups_len, unsigned n_groups,
		   char *out, size_t len)
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
		explain_policy_summary(&ep.rows[p - ep.list], text, 4 * STORE_POLICY_TEXT_MAX);
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
