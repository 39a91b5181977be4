/*
 * explain — which group policy applies to a user, and why, in words: the
 * one text that `portcullis user explain` prints and the admin panel's
 * user page shows. The choice is policy_select's over the stored
 * policies, as the gate makes it (gate_policy_from_store reads them).
 */
#ifndef PORTCULLIS_EXPLAIN_H
#define PORTCULLIS_EXPLAIN_H

#include <stddef.h>

struct config;
struct store;
struct store_policy;

/* Room for explain_policy's text. */
#define EXPLAIN_POLICY_MAX 20000

/* The policy of a user in groups (n_groups names, each NUL-terminated,
 * back to back in groups_len bytes, as idsource_attrs keeps them) and why
 * it is that one, into out: "group staff (its first group with a policy,
 * by priority): ...", the default policy's, or none. 0; -1 out of memory;
 * or what store_policy_list returned (st borrowed). */
int explain_policy(struct store *st, const struct config *cfg, const char *groups,
		   size_t groups_len, unsigned n_groups, char *out, size_t len);

/* One line saying what a stored policy does ("may go online; priority 10;
 * windows: ...; quota class: ...") into buf. cfg (may be NULL: not
 * checked) says whether its quota class is configured. */
void explain_policy_summary(const struct store_policy *sp, const struct config *cfg, char *buf,
			    size_t len);

/* 1 when sp names a quota class that cfg's [shaping] classes do not have
 * (policy set checks it, but the configuration may change after): its
 * users are throttled into [shaping] quota_class instead. 0 otherwise,
 * and with cfg NULL. */
int explain_quota_class_missing(const struct store_policy *sp, const struct config *cfg);
/* sp's quota class in words: "NAME", "(none: [shaping] quota_class)", or
 * "NAME (not configured: [shaping] quota_class QC instead)". */
void explain_quota_class(const struct store_policy *sp, const struct config *cfg, char *buf,
			 size_t len);

#endif
