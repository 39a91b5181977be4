/*
 * The policy commands: a policy per group (a local group or a directory's,
 * by name) and the default policy, for users in no group that has one.
 * The texts are checked with the daemon's own parsers before they are
 * stored (gate_policy_from_store), so what the CLI accepts the daemon
 * reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_input.h"
#include "cli.h"
#include "config.h"
#include "explain.h"
#include "gate.h"
#include "rowjson.h"
#include "shaper.h"

/* A whole number of seconds, 0 to 10 years: 0 or -1 (printed). */
static int parse_seconds(const char *opt, const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > 10LL * 366 * 86400) {
		errorf("%s: want a number of seconds (0: the configuration's)", opt);
		return -1;
	}
	*out = v;
	return 0;
}

/* The group a command names: "" for --default. NULL printed. */
static const char *policy_group(const struct args *a, int dflt)
{
	if (dflt == (a->npos == 1)) {
		errorf("name a GROUP or --default, one of the two");
		return NULL;
	}
	if (dflt)
		return "";
	return valid_name("group", a->pos[0]) ? a->pos[0] : NULL;
}

/* policy set GROUP|--default [options]: what is not given stays */
int cmd_policy_set(struct cli *c, int argc, char **argv)
{
	const char *prio = NULL, *windows = NULL, *lifetime = NULL, *idle = NULL, *allow = NULL,
		   *deny = NULL, *cls = NULL, *devices = NULL, *qcls = NULL, *group;
	const char *quota[3] = { NULL, NULL, NULL };
	static const char *const quota_opt[3] = { "--quota-session", "--quota-day",
						   "--quota-month" };
	int dflt = 0, denied = 0, allowed = 0, rc;
	const struct opt spec[] = {
		{ "--default", NULL, &dflt }, { "--priority", &prio, NULL },
		{ "--deny", NULL, &denied }, { "--allow", NULL, &allowed },
		{ "--windows", &windows, NULL }, { "--lifetime", &lifetime, NULL },
		{ "--idle", &idle, NULL }, { "--allow-dest", &allow, NULL },
		{ "--deny-dest", &deny, NULL }, { "--class", &cls, NULL },
		{ "--quota-session", &quota[0], NULL }, { "--quota-day", &quota[1], NULL },
		{ "--quota-month", &quota[2], NULL }, { "--devices", &devices, NULL },
		{ "--quota-class", &qcls, NULL },
		{ NULL, NULL, NULL },
	};
	struct store_policy *sp = NULL;
	struct policy *p = NULL;
	struct args a;
	char err[512];
	int ret = EXIT_USAGE;

	if (parse_args(argc, argv, spec, 0, 1, &a) < 0 || !(group = policy_group(&a, dflt)))
		return EXIT_USAGE;
	if (denied && allowed) {
		errorf("--deny and --allow: one of the two");
		return EXIT_USAGE;
	}
	sp = calloc(1, sizeof(*sp));
	p = malloc(sizeof(*p));
	if (!sp || !p) {
		errorf("out of memory");
		ret = EXIT_FAILED;
		goto out;
	}
	if (cli_open(c, 1) < 0) {
		ret = EXIT_FAILED;
		goto out;
	}
	rc = store_policy_get(c->st, group, sp);
	if (rc < 0) {
		ret = db_failed(c, rc, "read the policy");
		goto out;
	}
	if (rc == 1) {
		memset(sp, 0, sizeof(*sp));
		snprintf(sp->group, sizeof(sp->group), "%s", group);
		sp->priority = 100;
	}
	if (prio) {
		char *end;
		long v;

		errno = 0;
		v = strtol(prio, &end, 10);
		if (errno || end == prio || *end || v < -1000000 || v > 1000000) {
			errorf("--priority: want a whole number from -1000000 to 1000000 (lower first)");
			goto out;
		}
		sp->priority = v;
	}
	if (denied || allowed)
		sp->denied = denied;
	if ((lifetime && parse_seconds("--lifetime", lifetime, &sp->session_lifetime) < 0) ||
	    (idle && parse_seconds("--idle", idle, &sp->idle_timeout) < 0))
		goto out;
	if ((windows && strlen(windows) > STORE_POLICY_TEXT_MAX) ||
	    (allow && strlen(allow) > STORE_POLICY_TEXT_MAX) ||
	    (deny && strlen(deny) > STORE_POLICY_TEXT_MAX)) {
		errorf("a list longer than %d bytes", STORE_POLICY_TEXT_MAX);
		goto out;
	}
	if (windows)
		snprintf(sp->windows, sizeof(sp->windows), "%s", windows);
	if (allow)
		snprintf(sp->allow, sizeof(sp->allow), "%s", allow);
	if (deny)
		snprintf(sp->deny, sizeof(sp->deny), "%s", deny);
	if (cls) {
		if (!policy_valid_class(cls)) {
			errorf("--class: 1 to %d letters, digits, '_', '.' or '-' (\"\" for none)",
			       POLICY_CLASS_MAX);
			goto out;
		}
		snprintf(sp->bandwidth_class, sizeof(sp->bandwidth_class), "%s", cls);
	}
	for (int i = 0; i < 3; i++) {
		uint64_t *slot[3] = { &sp->quota.session_bytes, &sp->quota.day_bytes,
				      &sp->quota.month_bytes };

		if (quota[i] && admin_input_bytes(quota[i], slot[i]) < 0) {
			errorf("%s %s", quota_opt[i], CLI_BYTES_RULE);
			goto out;
		}
	}
	if (devices) {
		char *end;
		long v = 0;

		errno = 0;
		if (strcmp(devices, "none") != 0)
			v = strtol(devices, &end, 10);
		if (strcmp(devices, "none") != 0 &&
		    (errno || end == devices || *end || v < 1 || v > POLICY_DEVICES_MAX)) {
			errorf("--devices: want 1 to %d devices at once, or none", POLICY_DEVICES_MAX);
			goto out;
		}
		sp->max_devices = (unsigned)v;
	}
	/* the class its users are throttled into at a used-up quota: one of
	 * [shaping] classes, as a user's own class */
	if (qcls) {
		struct shaper_classes classes;
		char why[160];

		if (!strcmp(qcls, "none"))
			qcls = "";
		if (qcls[0] && (strlen(qcls) > SHAPER_NAME_MAX || !policy_valid_class(qcls))) {
			errorf("--quota-class: 1 to %d letters, digits, '_', '.' or '-' (none for "
			       "[shaping] quota_class)", SHAPER_NAME_MAX);
			goto out;
		}
		rc = qcls[0] ? cli_config(c, "the classes are in its [shaping] section") : 0;
		if (rc < 0) {
			ret = EXIT_FAILED;
			goto out;
		}
		if (rc == 1 && qcls[0] &&
		    (shaper_classes_parse(c->cfg->shaping_classes, &classes, why, sizeof(why)) < 0 ||
		     !shaper_class_find(&classes, qcls))) {
			error_name("no class ", qcls, " in [shaping] classes");
			ret = EXIT_FAILED;
			goto out;
		}
		snprintf(sp->quota_class, sizeof(sp->quota_class), "%s", qcls);
	}
	if (gate_policy_from_store(sp, p, err, sizeof(err)) < 0) {
		errorf("%s", err);
		goto out;
	}
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_policy_set(c->st, sp);
		if (rc == 0)
			rc = commit_with_action(c, "policy.set", group[0] ? group : "(default)", "");
		else
			store_rollback(c->st);
	}
	if (rc < 0) {
		ret = db_failed(c, rc, "set the policy");
		goto out;
	}
	if (group[0])
		done_name("policy of group", group, "set");
	else
		printf("default policy set\n");
	ret = EXIT_DONE;
out:
	free(sp);
	free(p);
	return ret;
}

/* The policy's row as JSON, and whether its quota class is one of the
 * configuration's classes (false: its users get [shaping] quota_class). */
static json_t *policy_json(const struct store_policy *sp, const struct config *cfg)
{
	json_t *o = rowjson_policy(sp);

	if (o)
		json_object_set_new(o, "quota_class_configured",
				    json_boolean(!explain_quota_class_missing(sp, cfg)));
	return o;
}

int cmd_policy_show(struct cli *c, int argc, char **argv)
{
	int dflt = 0;
	const struct opt spec[] = { { "--json", NULL, &c->json }, { "--default", NULL, &dflt },
				    { NULL, NULL, NULL } };
	struct store_policy *sp;
	const char *group;
	struct args a;
	char text[4 * STORE_POLICY_TEXT_MAX];
	int rc, ret;

	if (parse_args(argc, argv, spec, 0, 1, &a) < 0 || !(group = policy_group(&a, dflt)))
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0 ||
	    cli_config(c, "its [shaping] classes say whether a quota class is there") < 0)
		return EXIT_FAILED;
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		errorf("out of memory");
		return EXIT_FAILED;
	}
	rc = store_policy_get(c->st, group, sp);
	if (rc == 1) {
		if (group[0])
			error_name("group ", group, " has no policy");
		else
			errorf("no default policy: users in no group with a policy may go online");
		ret = EXIT_FAILED;
	} else if (rc < 0) {
		ret = db_failed(c, rc, "read the policy");
	} else {
		if (c->json) {
			json_print(policy_json(sp, c->cfg));
		} else {
			explain_policy_summary(sp, c->cfg, text, sizeof(text));
			if (group[0])
				done_name("group", group, text);
			else
				printf("default %s\n", text);
		}
		ret = EXIT_DONE;
	}
	free(sp);
	return ret;
}

static int policy_row_cb(const struct store_policy *sp, void *ud)
{
	struct listing *l = ud;
	char prio[24], life[48], quota[72], qcls[sizeof(sp->quota_class) + 24];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, policy_json(sp, l->c->cfg));
		return 0;
	}
	/* a quota class the configuration no longer has is not used */
	if (explain_quota_class_missing(sp, l->c->cfg))
		snprintf(qcls, sizeof(qcls), "%s (not configured)", sp->quota_class);
	else
		snprintf(qcls, sizeof(qcls), "%s", sp->quota_class[0] ? sp->quota_class : "-");
	snprintf(prio, sizeof(prio), "%lld", (long long)sp->priority);
	snprintf(life, sizeof(life), "%lld/%lld", (long long)sp->session_lifetime,
		 (long long)sp->idle_timeout);
	snprintf(quota, sizeof(quota), "%llu/%llu/%llu", (unsigned long long)sp->quota.session_bytes,
		 (unsigned long long)sp->quota.day_bytes, (unsigned long long)sp->quota.month_bytes);
	return table_row(&l->t, (const char *const[]){
		sp->group[0] ? sp->group : "(default)", prio, sp->denied ? "no" : "yes",
		sp->windows[0] ? sp->windows : "any time", life, sp->allow[0] ? sp->allow : "-",
		sp->deny[0] ? sp->deny : "-", sp->bandwidth_class[0] ? sp->bandwidth_class : "-",
		quota, qcls });
}

int cmd_policy_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "GROUP", "PRIORITY", "ONLINE", "WINDOWS",
					    "LIFETIME/IDLE", "ALLOW", "DENY", "CLASS",
					    "QUOTA SESSION/DAY/MONTH", "QUOTA CLASS" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, sizeof(head) / sizeof(head[0]), head);
	if (rc != EXIT_DONE)
		return rc;
	if (cli_config(c, "its [shaping] classes say whether a quota class is there") < 0)
		return EXIT_FAILED;
	rc = store_policy_list(c->st, policy_row_cb, &l);
	return listing_end(&l, rc, "list the policies");
}

int cmd_policy_del(struct cli *c, int argc, char **argv)
{
	int dflt = 0;
	const struct opt spec[] = { { "--default", NULL, &dflt }, { NULL, NULL, NULL } };
	const char *group;
	struct args a;
	int rc;

	if (parse_args(argc, argv, spec, 0, 1, &a) < 0 || !(group = policy_group(&a, dflt)))
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_policy_delete(c->st, group);
		if (rc == 0)
			rc = commit_with_action(c, "policy.del", group[0] ? group : "(default)", "");
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		errorf("no such policy");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "delete the policy");
	if (group[0])
		done_name("policy of group", group, "deleted");
	else
		printf("default policy deleted\n");
	return EXIT_DONE;
}
