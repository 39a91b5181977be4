/*
 * The group commands (local groups of local users) and `user explain`,
 * which says where a user's password is checked and which groups the user
 * is in, asking the sources as the daemon does: in the order of [auth]
 * sources, the first that knows the name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "directory.h"
#include "explain.h"

static int group_row_cb(const struct store_group *g, void *ud)
{
	struct listing *l = ud;
	char members[24], created[32];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, json_pack("{s:s, s:I, s:I}", "name", g->name, "members",
					       (json_int_t)g->members, "created_at",
					       (json_int_t)g->created_at));
		return 0;
	}
	snprintf(members, sizeof(members), "%lld", (long long)g->members);
	return table_row(&l->t, (const char *const[]){ g->name, members,
		fmt_time(g->created_at, 0, created, sizeof(created)) });
}

int cmd_group_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "MEMBERS", "CREATED" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, 3, head);
	if (rc != EXIT_DONE)
		return rc;
	rc = store_group_list(c->st, group_row_cb, &l);
	return listing_end(&l, rc, "list the groups");
}

/* group add NAME, group del NAME */
int cmd_group_change(struct cli *c, const char *sub, int argc, char **argv)
{
	const struct opt spec[] = { { NULL, NULL, NULL } };
	char action[32];
	struct args a;
	int rc, add = !strcmp(sub, "add");

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (!valid_name("group", a.pos[0]))
		return EXIT_USAGE;
	if (cli_open(c, add) < 0)
		return EXIT_FAILED;
	snprintf(action, sizeof(action), "group.%s", sub);
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = add ? store_group_add(c->st, a.pos[0]) : store_group_delete(c->st, a.pos[0]);
		if (rc == 0)
			rc = commit_with_action(c, action, a.pos[0], "");
		else
			store_rollback(c->st);
	}
	if (rc == -EEXIST) {
		error_name("group ", a.pos[0], " exists already");
		return EXIT_FAILED;
	}
	if (rc == 1) {
		error_name("no group ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, add ? "add the group" : "delete the group");
	done_name("group", a.pos[0], add ? "added" : "deleted (its memberships with it)");
	return EXIT_DONE;
}

/* group member add|del GROUP USER */
int cmd_group_member(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { NULL, NULL, NULL } };
	struct args a;
	const char *group, *user;
	char detail[STORE_NAME_MAX + 16];
	int rc, add;

	if (parse_args(argc, argv, spec, 3, 3, &a) < 0)
		return EXIT_USAGE;
	if (strcmp(a.pos[0], "add") && strcmp(a.pos[0], "del")) {
		errorf("group member add|del GROUP USER");
		return EXIT_USAGE;
	}
	add = !strcmp(a.pos[0], "add");
	group = a.pos[1];
	user = a.pos[2];
	if (!valid_name("group", group) || !valid_name("user", user))
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	snprintf(detail, sizeof(detail), "%s", group);
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = add ? store_group_member_add(c->st, group, user)
			 : store_group_member_delete(c->st, group, user);
		if (rc == 0)
			rc = commit_with_action(c, add ? "group.member.add" : "group.member.del",
						user, detail);
		else
			store_rollback(c->st);
	}
	switch (rc) {
	case 0:
		done_name("user", user, add ? "added to the group" : "removed from the group");
		return EXIT_DONE;
	case -EEXIST:
		error_name("user ", user, " is in the group already");
		return EXIT_FAILED;
	case -ENOENT:
		error_name("no group ", group, "; 'portcullis group add' makes it");
		return EXIT_FAILED;
	case -ESRCH:
		error_name("no local user ", user, " (a local group holds local users; a "
			   "directory user's groups are the directory's)");
		return EXIT_FAILED;
	case 1:
		error_name("user ", user, " is no member of that group");
		return EXIT_FAILED;
	default:
		return db_failed(c, rc, add ? "add the member" : "remove the member");
	}
}

/* ------------------------------------------------------------ explain */

struct explain {
	char source[32];
	char detail[600];
	char groups[DIRECTORY_GROUPS_MAX][DIRECTORY_GROUP_LEN];
	size_t n_groups;
	int unreachable;
};

static int explain_group_cb(const char *name, void *ud)
{
	struct explain *e = ud;

	if (e->n_groups < DIRECTORY_GROUPS_MAX)
		snprintf(e->groups[e->n_groups++], sizeof(e->groups[0]), "%s", name);
	return 0;
}

/* The local store: 1 it holds the name (e filled), 0 not, -1 printed. */
static int explain_local(struct cli *c, const char *name, struct explain *e)
{
	struct store_user u;
	int rc;

	if (!c->st && cli_open(c, 0) < 0)
		return -1;
	rc = store_user_get(c->st, name, &u);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		db_failed(c, rc, "read the user");
		return -1;
	}
	snprintf(e->source, sizeof(e->source), "local");
	if (!u.enabled)
		snprintf(e->detail, sizeof(e->detail), "disabled: refused, whatever a later source "
			 "says");
	else if (u.expires_at && u.expires_at <= time(NULL))
		snprintf(e->detail, sizeof(e->detail), "expired: refused, whatever a later source "
			 "says");
	else
		snprintf(e->detail, sizeof(e->detail), "enabled");
	memset(&u, 0, sizeof(u));
	rc = store_user_groups(c->st, name, explain_group_cb, e);
	if (rc < 0) {
		db_failed(c, rc, "read the user's groups");
		return -1;
	}
	return 1;
}

/* The directory: as explain_local. */
static int explain_ldap(struct cli *c, const char *name, struct explain *e)
{
	struct directory_result *r = malloc(sizeof(*r));
	struct directory *d;
	char err[512];
	int found = 0;

	if (!r) {
		errorf("out of memory");
		return -1;
	}
	d = directory_new(c->cfg, err, sizeof(err));
	if (!d) {
		errorf("%s", err);
		free(r);
		return -1;
	}
	switch (directory_lookup(d, name, r)) {
	case DIRECTORY_ACCEPT:
		found = 1;
		snprintf(e->source, sizeof(e->source), "ldap");
		snprintf(e->detail, sizeof(e->detail), "%s", r->dn);
		for (size_t i = 0; i < r->n_groups && i < DIRECTORY_GROUPS_MAX; i++)
			snprintf(e->groups[e->n_groups++], sizeof(e->groups[0]), "%s", r->groups[i]);
		break;
	case DIRECTORY_UNREACHABLE:
		/* a later source is not asked: the daemon would answer 503 too */
		found = 1;
		e->unreachable = 1;
		snprintf(e->source, sizeof(e->source), "ldap");
		snprintf(e->detail, sizeof(e->detail), "unreachable: %s", r->detail);
		break;
	default:
		break;
	}
	directory_free(d);
	free(r);
	return found;
}

/* The policy that applies to e's groups, and why, as the daemon chooses it
 * (explain.h, the panel's text too): 0, or -1 printed. */
static int explain_policy_of(struct cli *c, const struct explain *e, char *out, size_t len)
{
	char groups[DIRECTORY_GROUPS_MAX * DIRECTORY_GROUP_LEN];
	size_t glen = 0;
	int rc;

	if (!c->st && cli_open(c, 0) < 0)
		return -1;
	for (size_t i = 0; i < e->n_groups; i++) {
		size_t l = strlen(e->groups[i]) + 1;

		memcpy(groups + glen, e->groups[i], l);
		glen += l;
	}
	rc = explain_policy(c->st, c->cfg, groups, glen, (unsigned)e->n_groups, out, len);
	if (rc < 0)
		return db_failed(c, rc, "read the policies"), -1;
	return 0;
}

/* user explain NAME: where the password is checked, the groups, the policy */
int cmd_user_explain(struct cli *c, int argc, char **argv)
{
	const struct opt spec[] = { { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	char policy[EXPLAIN_POLICY_MAX];
	struct explain *e;
	const char *p;
	struct args a;
	int rc = 0, ret = EXIT_FAILED;

	if (parse_args(argc, argv, spec, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (cli_config(c, "the identity sources are [auth] sources of the daemon's "
			  "configuration (-c FILE names it)") < 0)
		return EXIT_FAILED;
	e = calloc(1, sizeof(*e));
	if (!e) {
		errorf("out of memory");
		return EXIT_FAILED;
	}
	/* without a configuration the daemon asks the local store alone */
	p = c->cfg ? c->cfg->auth_sources : "local";
	while (*p && rc == 0) {
		size_t len = strcspn(p, ", ");

		if (len == 5 && !strncmp(p, "local", 5))
			rc = explain_local(c, a.pos[0], e);
		else if (len == 4 && !strncmp(p, "ldap", 4))
			rc = explain_ldap(c, a.pos[0], e);
		p += len;
		p += strspn(p, ", ");
	}
	if (rc < 0)
		goto out;
	if (explain_policy_of(c, e, policy, sizeof(policy)) < 0) {
		rc = -1;
		goto out;
	}
	if (c->json) {
		json_t *groups = json_array();

		for (size_t i = 0; i < e->n_groups; i++)
			json_array_append_new(groups, json_string(e->groups[i]));
		json_print(json_pack("{s:s, s:s?, s:s, s:o, s:s}", "name", a.pos[0], "source",
				     rc ? e->source : NULL, "detail", rc ? e->detail : "",
				     "groups", groups, "policy", policy));
	} else {
		struct table t;
		static const char *const head[] = { "", "" };
		char source[700], groups[DIRECTORY_GROUPS_MAX * (DIRECTORY_GROUP_LEN + 2)] = "";

		if (rc)
			snprintf(source, sizeof(source), "%s (%s)", e->source, e->detail);
		else
			snprintf(source, sizeof(source), "none: no source in [auth] sources knows "
				 "this name");
		for (size_t i = 0; i < e->n_groups; i++) {
			if (i)
				strcat(groups, ", ");
			strcat(groups, e->groups[i]);
		}
		table_init(&t, 2, head);
		t.printed_head = 1;
		table_row(&t, (const char *const[]){ "name:", a.pos[0] });
		table_row(&t, (const char *const[]){ "source:", source });
		table_row(&t, (const char *const[]){ "groups:", e->n_groups ? groups : "(none)" });
		table_row(&t, (const char *const[]){ "policy:", policy });
		table_fini(&t);
	}
	ret = rc == 1 && !e->unreachable ? EXIT_DONE : EXIT_FAILED;
out:
	free(e);
	return ret;
}
