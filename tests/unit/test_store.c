/*
 * store: schema migrations, every table's operations, the generation
 * counters another process polls, keyset paging of the audit trail,
 * atomic batches, pruning, backups; against real database files in a
 * temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "store.h"

static char dir[64];

/* A path inside the test directory (four in rotation). */
static const char *db_path(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/portcullis-test-store-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[400];

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	return rmdir(dir);
}

/* Each test gets its own database file, removed afterwards. */
static char cur[128];

static int setup(void **state)
{
	static int n;
	char err[256];

	snprintf(cur, sizeof(cur), "%s/t%d.db", dir, n++);
	*state = store_open(cur, err, sizeof(err));
	if (!*state)
		fprintf(stderr, "store_open: %s\n", err);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	char p[160];

	store_close(*state);
	unlink(cur);
	snprintf(p, sizeof(p), "%s-wal", cur);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", cur);
	unlink(p);
	return 0;
}

static int latest_version(void)
{
	return store_migrations[store_n_migrations - 1].version;
}

static struct store_user user(const char *name)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.phc, sizeof(u.phc), "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA");
	u.enabled = 1;
	return u;
}

static struct store_generations gens(struct store *st)
{
	struct store_generations g;

	assert_int_equal(store_generations(st, &g), 0);
	return g;
}

/* ------------------------------------------------------------ open */

static void test_open_creates_private_file_and_migrates(void **state)
{
	const char *p = db_path("fresh.db");
	struct store_user u = user("alice"), got;
	struct store_generations g1, g2;
	struct store *st, *again;
	struct stat sb;
	char err[256];

	(void)state;
	st = store_open(p, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(store_schema_version(st), latest_version());
	assert_int_equal(store_user_add(st, &u), 0);
	g1 = gens(st);

	/* re-opening runs no migration twice and keeps the data */
	again = store_open(p, err, sizeof(err));
	assert_non_null(again);
	assert_int_equal(store_schema_version(again), latest_version());
	assert_int_equal(store_user_get(again, "alice", &got), 0);
	g2 = gens(again);
	assert_memory_equal(&g1, &g2, sizeof(g1));
	store_close(again);
	store_close(st);
}

static void test_open_errors(void **state)
{
	char err[256], p[160];
	FILE *f;

	(void)state;
	/* the directory is not created */
	assert_null(store_open("/nonexistent-portcullis-dir/x.db", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-portcullis-dir/x.db"));
	assert_non_null(strstr(err, "No such file"));

	/* a file that is not a database is refused, and left alone */
	snprintf(p, sizeof(p), "%s", db_path("text.db"));
	f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database, it is a text file\n", f);
	fclose(f);
	err[0] = '\0';
	assert_null(store_open(p, err, sizeof(err)));
	assert_non_null(strstr(err, "not a database"));

	assert_null(store_open("", err, sizeof(err)));
	assert_true(err[0] != '\0');
}

static const struct store_migration m_one[] = {
	{ 1, "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n" },
};
static const struct store_migration m_two[] = {
	{ 1, "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n" },
	/* CREATE TABLE fails if run twice: proves it runs once */
	{ 2, "CREATE TABLE b (y INTEGER);\n" },
};
static const struct store_migration m_bad[] = {
	{ 1, "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n" },
	{ 2, "CREATE TABLE b (y INTEGER);\nSELECT * FROM no_such_table;\n" },
};
static const struct store_migration m_disorder[] = {
	{ 2, "CREATE TABLE b (y INTEGER);" },
	{ 1, "CREATE TABLE a (x INTEGER);" },
};

static struct store *open_with(const char *p, const struct store_migration *m, size_t n,
			       char *err, size_t errlen)
{
	struct store_options o = { .migrations = m, .n_migrations = n };

	return store_open_opts(p, &o, err, errlen);
}

static void test_migrations_incremental_and_versioned(void **state)
{
	const char *p = db_path("mig.db");
	struct store *st;
	char err[256];

	(void)state;
	st = open_with(p, m_one, 1, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);

	/* only the new migration runs */
	st = open_with(p, m_two, 2, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 2);
	store_close(st);
	st = open_with(p, m_two, 2, err, sizeof(err));
	assert_non_null(st);
	store_close(st);

	/* an older program refuses a newer schema */
	err[0] = '\0';
	assert_null(open_with(p, m_one, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));

	/* a list out of order is a build error, refused */
	assert_null(open_with(db_path("disorder.db"), m_disorder, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "order"));
}

static void test_failed_migration_rolls_back_whole(void **state)
{
	const char *p = db_path("bad.db");
	struct store *st;
	char err[256];

	(void)state;
	err[0] = '\0';
	assert_null(open_with(p, m_bad, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "migration 2"));
	assert_non_null(strstr(err, "no_such_table"));

	/* version 1 stayed; table b of the failed migration does not exist,
	 * or creating it again would fail */
	st = open_with(p, m_one, 1, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);
	st = open_with(p, m_two, 2, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), 2);
	store_close(st);
}

/* Migration 3: the Digest secrets stored before it have no realm recorded
 * (unknown), whatever realm the daemon last recorded: the old CLI hashed
 * with the default realm "Portcullis" while the daemon's was "Office".
 * They are listed as "unknown realm", never usable, and a login that knows
 * the password makes them anew for the realm, once, and only while the
 * password is the one checked. */
static void test_migration_leaves_old_secrets_of_unknown_realm(void **state)
{
	const char *p = db_path("v2.db");
	char v2[4096];
	struct store_migration m[2];
	struct store_user got;
	struct store *st;
	char err[256];

	(void)state;
	assert_true(store_n_migrations >= 3);
	assert_int_equal(store_migrations[2].version, 3);
	/* a version-2 database as the daemon left it: a realm, one user with
	 * secrets, one without */
	snprintf(v2, sizeof(v2), "%s\n"
		 "UPDATE meta SET value = 'Office' WHERE key = 'digest_realm';\n"
		 "INSERT INTO users (name, phc, ha1_md5, ha1_sha256, created_at, updated_at) VALUES "
		 "('alice', '$scrypt$a', 'aa', 'bb', 1, 1), ('bob', '$scrypt$b', NULL, NULL, 1, 1);\n",
		 store_migrations[1].sql);
	m[0] = store_migrations[0];
	m[1] = (struct store_migration){ 2, v2 };
	st = open_with(p, m, 2, err, sizeof(err));
	assert_non_null(st);
	store_close(st);

	st = store_open(p, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), latest_version());
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_md5, "aa");
	assert_string_equal(got.ha1_realm, "");
	assert_int_equal(account_digest_state(&got, "Office"), ACCOUNT_DIGEST_UNKNOWN_REALM);
	assert_string_equal(account_digest_name(account_digest_state(&got, "Office")),
			    "unknown realm");
	assert_false(account_digest_usable(&got, "Office"));
	assert_false(account_digest_usable(&got, ""));
	assert_int_equal(store_user_get(st, "bob", &got), 0);
	assert_string_equal(got.ha1_realm, "");
	assert_int_equal(account_digest_state(&got, "Office"), ACCOUNT_DIGEST_NONE);

	/* made anew only over the old password's secrets of unknown realm */
	assert_int_equal(store_user_remake_digest(st, "alice", "$scrypt$other", "cc", "dd",
						  "Office"), 1);
	assert_int_equal(store_user_remake_digest(st, "bob", "$scrypt$b", "cc", "dd", "Office"), 1);
	assert_int_equal(store_user_remake_digest(st, "nobody", "$scrypt$a", "cc", "dd", "Office"),
			 1);
	assert_true(store_user_remake_digest(st, "alice", "$scrypt$a", "cc", "dd", "") < 0);
	assert_int_equal(store_user_remake_digest(st, "alice", "$scrypt$a", "cc", "dd", "Office"), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_md5, "cc");
	assert_string_equal(got.ha1_sha256, "dd");
	assert_string_equal(got.ha1_realm, "Office");
	assert_string_equal(got.phc, "$scrypt$a");
	assert_true(account_digest_usable(&got, "Office"));
	/* a known realm is never overwritten this way */
	assert_int_equal(store_user_remake_digest(st, "alice", "$scrypt$a", "ee", "ff", "Lab"), 1);
	assert_int_equal(store_user_get(st, "bob", &got), 0);
	assert_string_equal(got.ha1_md5, "");
	store_close(st);
}

struct opener {
	char path[128];
	int ok;
	char err[256];
};

static void *open_thread(void *arg)
{
	struct opener *o = arg;
	struct store *st = store_open(o->path, o->err, sizeof(o->err));

	o->ok = st && store_schema_version(st) == latest_version();
	store_close(st);
	return NULL;
}

/* The daemon's threads open their connections to a fresh file at once:
 * every one must succeed and the schema be applied exactly once. */
static void test_concurrent_first_open(void **state)
{
	struct opener o[8];
	pthread_t t[8];

	(void)state;
	for (int round = 0; round < 5; round++) {
		char name[32];

		snprintf(name, sizeof(name), "race%d.db", round);
		for (int i = 0; i < 8; i++) {
			snprintf(o[i].path, sizeof(o[i].path), "%s", db_path(name));
			o[i].ok = 0;
			assert_int_equal(pthread_create(&t[i], NULL, open_thread, &o[i]), 0);
		}
		/* all joined before any assertion leaves this frame */
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 8; i++) {
			if (!o[i].ok)
				fprintf(stderr, "opener %d: %s\n", i, o[i].err);
			assert_true(o[i].ok);
		}
	}
}

/* ------------------------------------------------------------ users */

static void test_user_crud(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;

	u.expires_at = 2000000000;
	snprintf(u.comment, sizeof(u.comment), "front desk");
	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%032d", 7);
	snprintf(u.ha1_sha256, sizeof(u.ha1_sha256), "%064d", 9);
	/* a Digest secret names the realm it was made for */
	assert_int_equal(store_user_add(st, &u), -EINVAL);
	snprintf(u.ha1_realm, sizeof(u.ha1_realm), "Office");
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_add(st, &u), -EEXIST);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_true(got.id > 0);
	assert_string_equal(got.name, "alice");
	assert_string_equal(got.phc, u.phc);
	assert_string_equal(got.ha1_md5, u.ha1_md5);
	assert_string_equal(got.ha1_sha256, u.ha1_sha256);
	assert_string_equal(got.ha1_realm, "Office");
	assert_int_equal(got.enabled, 1);
	assert_int_equal(got.expires_at, 2000000000);
	assert_string_equal(got.comment, "front desk");
	assert_true(got.created_at > 1600000000);
	assert_int_equal(got.updated_at, got.created_at);
	assert_int_equal(got.last_login_at, 0);
	assert_int_equal(store_user_get(st, "nobody", &got), 1);
	assert_int_equal(store_user_get(st, "Alice", &got), 1);   /* BINARY */

	/* a new password without Digest drops the old HA1s */
	assert_int_equal(store_user_set_password(st, "alice", "$scrypt$ln=15,r=8,p=1$bmV3$bmV3",
						 NULL, "", "Office"), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.phc, "$scrypt$ln=15,r=8,p=1$bmV3$bmV3");
	assert_string_equal(got.ha1_md5, "");
	assert_string_equal(got.ha1_sha256, "");
	assert_string_equal(got.ha1_realm, "");
	assert_int_equal(store_user_set_password(st, "alice", "", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(store_user_set_password(st, "alice", "$scrypt$x", "a", "b", NULL), -EINVAL);
	assert_int_equal(store_user_set_password(st, "alice", "$scrypt$x", "a", "b", "Lab"), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_realm, "Lab");

	assert_int_equal(store_user_set_enabled(st, "alice", 0), 0);
	assert_int_equal(store_user_set_expiry(st, "alice", 0), 0);
	assert_int_equal(store_user_set_comment(st, "alice", "left"), 0);
	assert_int_equal(store_user_touch_login(st, "alice", 1234), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_int_equal(got.enabled, 0);
	assert_int_equal(got.expires_at, 0);
	assert_string_equal(got.comment, "left");
	assert_int_equal(got.last_login_at, 1234);

	/* changes to a user who does not exist say so */
	assert_int_equal(store_user_set_password(st, "nobody", u.phc, NULL, NULL, NULL), 1);
	assert_int_equal(store_user_set_enabled(st, "nobody", 0), 1);
	assert_int_equal(store_user_set_expiry(st, "nobody", 5), 1);
	assert_int_equal(store_user_set_comment(st, "nobody", "x"), 1);
	assert_int_equal(store_user_touch_login(st, "nobody", 5), 1);

	assert_int_equal(store_user_delete(st, "alice"), 0);
	assert_int_equal(store_user_delete(st, "alice"), 1);
	assert_int_equal(store_user_get(st, "alice", &got), 1);

	/* an empty name or hash is not a user */
	u = user("");
	assert_int_equal(store_user_add(st, &u), -EINVAL);
	u = user("bob");
	u.phc[0] = '\0';
	assert_int_equal(store_user_add(st, &u), -EINVAL);
}

static void test_user_changes_bump_generation_but_logins_do_not(void **state)
{
	struct store *st = *state, *other;
	struct store_user u = user("alice");
	struct store_generations g0, g;
	char err[256];

	/* the daemon polls from its own connection */
	other = store_open(cur, err, sizeof(err));
	assert_non_null(other);
	g0 = gens(other);
	assert_int_equal(store_user_add(st, &u), 0);
	g = gens(other);
	assert_true(g.users > g0.users);
	assert_int_equal(g.whitelist, g0.whitelist);
	assert_int_equal(g.admins, g0.admins);
	assert_int_equal(g.sessions, g0.sessions);

	g0 = g;
	assert_int_equal(store_user_touch_login(st, "alice", 1700000000), 0);
	assert_int_equal(store_user_set_comment(st, "alice", "only a comment"), 0);
	g = gens(other);
	assert_int_equal(g.users, g0.users);

#define BUMPS(call)                                      \
	do {                                             \
		g0 = gens(other);                        \
		assert_int_equal(call, 0);               \
		g = gens(other);                         \
		assert_true(g.users > g0.users);         \
	} while (0)
	BUMPS(store_user_set_password(st, "alice", "$scrypt$x", "a", "b", "r"));
	BUMPS(store_user_set_enabled(st, "alice", 0));
	BUMPS(store_user_set_expiry(st, "alice", 1));
	BUMPS(store_users_clear_ha1(st));
	/* the setting moves it even with no secret left to drop */
	BUMPS(store_digest_secrets_keep(st, 0));
	BUMPS(store_digest_secrets_keep(st, 1));
	BUMPS(store_user_delete(st, "alice"));
#undef BUMPS
	store_close(other);
}

/* The choice to keep no Digest secrets drops every one and is remembered;
 * the scrypt hashes stay. */
static void test_digest_secrets_keep(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;

	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%032d", 7);
	snprintf(u.ha1_sha256, sizeof(u.ha1_sha256), "%064d", 9);
	snprintf(u.ha1_realm, sizeof(u.ha1_realm), "Portcullis");
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_digest_secrets_kept(st), 1);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_digest_secrets_keep(st, 0), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_digest_secrets_kept(st), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_md5, "");
	assert_string_equal(got.ha1_sha256, "");
	assert_string_equal(got.ha1_realm, "");
	assert_string_equal(got.phc, u.phc);

	assert_int_equal(store_digest_secrets_keep(st, 1), 0);
	assert_int_equal(store_digest_secrets_kept(st), 1);
}

/* A password set with Digest secrets hashed before `digest off` was
 * committed (the CLI and the panel hash first, then write) stores none:
 * the setting is read by the statement that writes. */
static void test_digest_off_wins_over_secrets_hashed_before(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;
	char md5[33], sha[65];

	snprintf(md5, sizeof(md5), "%032d", 7);
	snprintf(sha, sizeof(sha), "%064d", 9);
	assert_int_equal(store_digest_secrets_keep(st, 0), 0);

	memcpy(u.ha1_md5, md5, sizeof(md5));
	memcpy(u.ha1_sha256, sha, sizeof(sha));
	snprintf(u.ha1_realm, sizeof(u.ha1_realm), "Portcullis");
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_md5, "");
	assert_string_equal(got.ha1_sha256, "");
	assert_string_equal(got.ha1_realm, "");
	assert_string_equal(got.phc, u.phc);

	assert_int_equal(store_user_set_password(st, "alice", "$scrypt$new", md5, sha, "Portcullis"),
			 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.phc, "$scrypt$new");
	assert_string_equal(got.ha1_md5, "");
	assert_string_equal(got.ha1_sha256, "");
	assert_string_equal(got.ha1_realm, "");

	/* kept again: the next password set stores them */
	assert_int_equal(store_digest_secrets_keep(st, 1), 0);
	assert_int_equal(store_user_set_password(st, "alice", "$scrypt$third", md5, sha, "Portcullis"),
			 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.ha1_md5, md5);
	assert_string_equal(got.ha1_sha256, sha);
	assert_string_equal(got.ha1_realm, "Portcullis");
}

static void test_names_are_data(void **state)
{
	struct store *st = *state;
	static const char *const names[] = {
		"x'); DROP TABLE users;--",
		"Robert\"; DELETE FROM users; --",
		"%", "_", "a%b", "Jos\xc3\xa9", "\xe5\xbc\xa0\xe4\xb8\x89", "back\\slash", "sp ace ",
	};
	struct store_user u, got;
	char longname[STORE_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		u = user(names[i]);
		assert_int_equal(store_user_add(st, &u), 0);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(store_user_get(st, names[i], &got), 0);
		assert_string_equal(got.name, names[i]);
	}
	/* the table is still there, with every row */
	u = user("after");
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_get(st, "x'); DROP TABLE users;--", &got), 0);

	/* the longest name fits; one byte more is refused, not cut into
	 * another user's name */
	memset(longname, 'n', sizeof(longname));
	longname[STORE_NAME_MAX] = '\0';
	u = user(longname);
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_get(st, longname, &got), 0);
	assert_string_equal(got.name, longname);
	longname[STORE_NAME_MAX] = 'n';
	longname[STORE_NAME_MAX + 1] = '\0';
	assert_int_equal(store_user_get(st, longname, &got), 1);
	assert_int_equal(store_admin_add(st, longname, "$scrypt$x"), -EINVAL);
	assert_int_equal(store_user_delete(st, longname), 1);
	/* a struct whose name fills the array without a NUL */
	memset(u.name, 'n', sizeof(u.name));
	assert_int_equal(store_user_add(st, &u), -EINVAL);
}

struct names {
	char got[16][STORE_NAME_MAX + 1];
	int n, stop_after;
};

static int names_cb(const struct store_user *u, void *ud)
{
	struct names *l = ud;

	snprintf(l->got[l->n], sizeof(l->got[l->n]), "%s", u->name);
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

static void test_user_list_and_search(void **state)
{
	struct store *st = *state;
	static const char *const add[] = { "carol", "alice", "bob", "alicia", "50%off", "a_b" };
	struct names l;

	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		struct store_user u = user(add[i]);

		assert_int_equal(store_user_add(st, &u), 0);
	}
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list(st, NULL, names_cb, &l), 0);
	assert_int_equal(l.n, 6);
	assert_string_equal(l.got[0], "50%off");     /* ordered by name, bytewise */
	assert_string_equal(l.got[1], "a_b");
	assert_string_equal(l.got[2], "alice");
	assert_string_equal(l.got[5], "carol");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list(st, "lic", names_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "alice");
	assert_string_equal(l.got[1], "alicia");

	/* no LIKE wildcards: % and _ are themselves */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list(st, "%", names_cb, &l), 0);
	assert_int_equal(l.n, 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list(st, "_", names_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.got[0], "a_b");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list(st, "", names_cb, &l), 0);
	assert_int_equal(l.n, 6);

	/* the callback stops the listing */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(store_user_list(st, NULL, names_cb, &l), 0);
	assert_int_equal(l.n, 2);
	/* and the connection is free for the next statement */
	assert_int_equal(store_user_delete(st, "bob"), 0);
}

/* Keyset pages of users: each page starts after the last name of the
 * previous one, with and without a search. */
static void test_user_list_pages(void **state)
{
	struct store *st = *state;
	static const char *const add[] = { "carol", "alice", "bob", "alicia", "dave" };
	struct names l;

	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		struct store_user u = user(add[i]);

		assert_int_equal(store_user_add(st, &u), 0);
	}
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list_page(st, NULL, NULL, 2, names_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "alice");
	assert_string_equal(l.got[1], "alicia");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list_page(st, NULL, "alicia", 2, names_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "bob");
	assert_string_equal(l.got[1], "carol");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list_page(st, NULL, "carol", 2, names_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.got[0], "dave");
	/* a name that no longer exists is still a valid cursor */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list_page(st, NULL, "bz", 10, names_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.got[0], "carol");
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_user_list_page(st, "a", "alice", 10, names_cb, &l), 0);
	assert_int_equal(l.n, 3);      /* alicia, carol, dave */
	assert_string_equal(l.got[0], "alicia");
	assert_string_equal(l.got[2], "dave");
}

static void test_free_text_is_cut_at_a_character(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;
	char text[400], value[8];

	/* 255 bytes then a 2-byte character: 257 bytes, one too many */
	memset(text, 'a', 255);
	memcpy(text + 255, "\xc3\xa9", 3);
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_set_comment(st, "alice", text), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_int_equal(strlen(got.comment), 255);
	assert_int_equal(got.comment[254], 'a');

	/* exactly the field: kept whole */
	text[254] = '\0';
	strcat(text, "\xc3\xa9");
	assert_int_equal(store_user_set_comment(st, "alice", text), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
	assert_string_equal(got.comment, text);

	/* a value longer than the caller's buffer comes back cut, terminated */
	assert_int_equal(store_meta_set(st, "k", "0123456789\xe2\x82\xac"), 0);
	memset(value, 'x', sizeof(value));
	assert_int_equal(store_meta_get(st, "k", value, sizeof(value)), 0);
	assert_string_equal(value, "0123456");
	assert_int_equal(store_meta_get(st, "k", value, 0), -EINVAL);
}

/* ------------------------------------------------------------ admins */

static int admin_count_cb(const struct store_admin *a, void *ud)
{
	(void)a;
	(*(int *)ud)++;
	return 0;
}

static void test_admins(void **state)
{
	struct store *st = *state;
	struct store_admin a;
	struct store_user u;
	struct store_generations g0 = gens(st), g;
	int n = 0;

	assert_int_equal(store_admin_add(st, "root", "$scrypt$one"), 0);
	assert_int_equal(store_admin_add(st, "root", "$scrypt$one"), -EEXIST);
	assert_int_equal(store_admin_add(st, "ops", "$scrypt$two"), 0);
	assert_int_equal(store_admin_add(st, "empty", ""), -EINVAL);
	g = gens(st);
	assert_true(g.admins > g0.admins);
	assert_int_equal(g.users, g0.users);    /* admins are not proxy users */

	assert_int_equal(store_admin_get(st, "root", &a), 0);
	assert_string_equal(a.name, "root");
	assert_string_equal(a.phc, "$scrypt$one");
	assert_int_equal(a.last_login_at, 0);
	assert_int_equal(store_admin_get(st, "nobody", &a), 1);

	g0 = gens(st);
	assert_int_equal(store_admin_touch_login(st, "root", 99), 0);
	assert_int_equal(gens(st).admins, g0.admins);
	assert_int_equal(store_admin_set_password(st, "root", "$scrypt$three"), 0);
	assert_true(gens(st).admins > g0.admins);
	assert_int_equal(store_admin_set_password(st, "nobody", "$scrypt$three"), 1);
	assert_int_equal(store_admin_get(st, "root", &a), 0);
	assert_string_equal(a.phc, "$scrypt$three");
	assert_int_equal(a.last_login_at, 99);

	assert_int_equal(store_admin_list(st, admin_count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_admin_delete(st, "ops"), 0);
	assert_int_equal(store_admin_delete(st, "ops"), 1);
	n = 0;
	assert_int_equal(store_admin_list(st, admin_count_cb, &n), 0);
	assert_int_equal(n, 1);
	/* admins and users are separate namespaces */
	assert_int_equal(store_user_get(st, "root", &u), 1);
}

/* an account is added as admin; its role is one of three */
static void test_admin_roles(void **state)
{
	struct store *st = *state;
	struct store_admin a;

	assert_int_equal(store_admin_add(st, "desk", "$scrypt$one"), 0);
	assert_int_equal(store_admin_get(st, "desk", &a), 0);
	assert_string_equal(a.role, "admin");
	assert_int_equal(store_admin_set_role(st, "desk", "frontdesk"), 0);
	assert_int_equal(store_admin_get(st, "desk", &a), 0);
	assert_string_equal(a.role, "frontdesk");
	assert_int_equal(store_admin_set_role(st, "desk", "auditor"), 0);
	assert_int_equal(store_admin_get(st, "desk", &a), 0);
	assert_string_equal(a.role, "auditor");
	assert_int_equal(store_admin_set_role(st, "desk", "root"), -EINVAL);
	assert_int_equal(store_admin_set_role(st, "desk", NULL), -EINVAL);
	assert_int_equal(store_admin_set_role(st, "nobody", "admin"), 1);
	assert_int_equal(store_admin_get(st, "desk", &a), 0);
	assert_string_equal(a.role, "auditor");
}

/* ------------------------------------------------------------ whitelist */

struct wl_list {
	char cidr[8][64];
	char comment[8][STORE_COMMENT_MAX + 1];
	int n;
};

static int wl_cb(const struct store_whitelist *w, void *ud)
{
	struct wl_list *l = ud;

	snprintf(l->cidr[l->n], sizeof(l->cidr[0]), "%s", w->cidr);
	snprintf(l->comment[l->n], sizeof(l->comment[0]), "%s", w->comment);
	assert_true(w->created_at > 0);
	l->n++;
	return 0;
}

static void test_whitelist(void **state)
{
	struct store *st = *state;
	struct store_generations g0 = gens(st), g;
	struct wl_list l;

	assert_int_equal(store_whitelist_add(st, "10.0.0.0/8", "lan"), 0);
	assert_int_equal(store_whitelist_add(st, "10.0.0.0/8", "again"), -EEXIST);
	assert_int_equal(store_whitelist_add(st, "2001:db8::/32", NULL), 0);
	assert_int_equal(store_whitelist_add(st, "192.0.2.7/32", "printer"), 0);
	assert_int_equal(store_whitelist_add(st, "", "x"), -EINVAL);
	g = gens(st);
	assert_int_equal(g.whitelist, g0.whitelist + 3);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_whitelist_list(st, wl_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.cidr[0], "10.0.0.0/8");
	assert_string_equal(l.comment[0], "lan");
	assert_string_equal(l.cidr[1], "192.0.2.7/32");
	assert_string_equal(l.cidr[2], "2001:db8::/32");
	assert_string_equal(l.comment[2], "");

	assert_int_equal(store_whitelist_del(st, "10.0.0.0/8"), 0);
	assert_int_equal(store_whitelist_del(st, "10.0.0.0/8"), 1);
	assert_true(gens(st).whitelist > g.whitelist);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_whitelist_list(st, wl_cb, &l), 0);
	assert_int_equal(l.n, 2);
}

/* ------------------------------------------------------------ sessions */

static int session_count_cb(const struct store_session *s, void *ud)
{
	(void)s;
	(*(int *)ud)++;
	return 0;
}

static void test_sessions(void **state)
{
	struct store *st = *state;
	struct store_session s, got;
	struct store_generations g0 = gens(st), g;
	int n = 0;

	memset(&s, 0, sizeof(s));
	snprintf(s.addr, sizeof(s.addr), "192.0.2.10");
	snprintf(s.mac, sizeof(s.mac), "02:00:00:00:00:0a");
	snprintf(s.username, sizeof(s.username), "alice");
	s.created_at = 1000;
	s.last_seen_at = 1000;
	s.expires_at = 1000 + 8 * 3600;
	s.idle_timeout = 900;
	assert_int_equal(store_session_upsert(st, &s), 0);
	g = gens(st);
	assert_true(g.sessions > g0.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_string_equal(got.mac, "02:00:00:00:00:0a");
	assert_string_equal(got.username, "alice");
	assert_int_equal(got.created_at, 1000);
	assert_int_equal(got.expires_at, 1000 + 8 * 3600);
	assert_int_equal(got.idle_timeout, 900);
	assert_int_equal(store_session_get(st, "192.0.2.11", &got), 1);

	/* the same address logs in again: one row, new owner */
	snprintf(s.username, sizeof(s.username), "bob");
	s.created_at = 2000;
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_true(gens(st).sessions > g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_string_equal(got.username, "bob");
	assert_int_equal(got.created_at, 2000);

	/* written again whole with only its class, counts and last sight
	 * changed (the daemon's own writes): the pollers are not told;
	 * a shorter lifetime is news to them */
	g = gens(st);
	snprintf(s.bandwidth_class, sizeof(s.bandwidth_class), "slow");
	s.counts.bytes_in = 4096;
	s.last_seen_at = 2100;
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(gens(st).sessions, g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_string_equal(got.bandwidth_class, "slow");
	s.expires_at = 2000 + 3600;
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_true(gens(st).sessions > g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_int_equal(got.expires_at, 2000 + 3600);

	/* traffic refreshes last_seen_at without telling the pollers */
	g = gens(st);
	assert_int_equal(store_session_touch(st, "192.0.2.10", 2500), 0);
	assert_int_equal(gens(st).sessions, g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_int_equal(got.last_seen_at, 2500);
	assert_int_equal(store_session_touch(st, "192.0.2.99", 2500), 1);

	/* a used-up quota throttles the device into another class: the row
	 * says which (without telling the pollers), and a new login at the
	 * address starts unthrottled */
	g = gens(st);
	assert_int_equal(store_session_throttle_set(st, "192.0.2.10", "slow"), 0);
	assert_int_equal(gens(st).sessions, g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_string_equal(got.throttle_class, "slow");
	assert_int_equal(store_session_throttle_set(st, "192.0.2.99", "slow"), 1);
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_session_get(st, "192.0.2.10", &got), 0);
	assert_string_equal(got.throttle_class, "");

	snprintf(s.addr, sizeof(s.addr), "2001:db8::1");
	s.mac[0] = '\0';
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_session_list(st, session_count_cb, &n), 0);
	assert_int_equal(n, 2);

	/* a kick from the CLI is seen by the daemon's poll */
	g = gens(st);
	assert_int_equal(store_session_delete(st, "192.0.2.10"), 0);
	assert_true(gens(st).sessions > g.sessions);
	assert_int_equal(store_session_delete(st, "192.0.2.10"), 1);
	n = 0;
	assert_int_equal(store_session_list(st, session_count_cb, &n), 0);
	assert_int_equal(n, 1);
}

/* What the kernel counted goes to the rows (without telling the pollers:
 * it changes every few seconds), an ended session keeps its counts in the
 * history, and a user's quotas read back as set. */
static void test_session_counts_history_quotas(void **state)
{
	struct store *st = *state;
	struct store_session s, got;
	struct store_generations g;
	struct store_user u = user("carol");
	struct store_quota q, qgot;
	uint64_t bytes = 1;
	char reason[32];

	memset(&s, 0, sizeof(s));
	snprintf(s.addr, sizeof(s.addr), "192.0.2.20");
	snprintf(s.username, sizeof(s.username), "carol");
	s.created_at = 1000;
	s.last_seen_at = 1000;
	s.expires_at = 9000;
	s.idle_timeout = 900;
	assert_int_equal(store_session_upsert(st, &s), 0);
	s.counts.bytes_in = 1234;
	s.counts.packets_in = 12;
	s.counts.bytes_out = (uint64_t)5 << 32;   /* past 32 bits */
	s.counts.packets_out = 99;
	g = gens(st);
	assert_int_equal(store_session_counts_write(st, &s, 1), 0);
	assert_int_equal(gens(st).sessions, g.sessions);
	assert_int_equal(store_session_get(st, "192.0.2.20", &got), 0);
	assert_int_equal(got.counts.bytes_in, 1234);
	assert_int_equal(got.counts.packets_in, 12);
	assert_int_equal(got.counts.bytes_out, (uint64_t)5 << 32);
	assert_int_equal(got.counts.packets_out, 99);
	/* never written: no rate, and none shown as current */
	assert_int_equal(got.rate_in + got.rate_out, 0);
	assert_int_equal(got.counts_at, 0);

	/* the rate and when it was written go with the counts; a non-zero
	 * rate is current for 30 s after that, a 0 always */
	s.rate_in = 40000;
	s.rate_out = (uint64_t)3 << 32;
	s.counts_at = 2000;
	assert_int_equal(store_session_counts_write(st, &s, 1), 0);
	assert_int_equal(store_session_get(st, "192.0.2.20", &got), 0);
	assert_int_equal(got.rate_in, 40000);
	assert_int_equal(got.rate_out, (uint64_t)3 << 32);
	assert_int_equal(got.counts_at, 2000);
	assert_true(store_session_rate_current(&got, 2000 + STORE_RATE_FRESH_S));
	assert_false(store_session_rate_current(&got, 2000 + STORE_RATE_FRESH_S + 1));
	/* a login's upsert leaves the written rate alone */
	assert_int_equal(store_session_upsert(st, &s), 0);
	assert_int_equal(store_session_get(st, "192.0.2.20", &got), 0);
	assert_int_equal(got.rate_in, 40000);
	s.rate_in = s.rate_out = 0;
	s.counts_at = 2010;
	assert_int_equal(store_session_counts_write(st, &s, 1), 0);
	assert_int_equal(store_session_get(st, "192.0.2.20", &got), 0);
	assert_int_equal(got.rate_in + got.rate_out, 0);
	assert_true(store_session_rate_current(&got, 99999));

	/* the end: history row, bytes by user and time, the reason by address */
	assert_int_equal(store_session_history_add(st, &got, "quota_exceeded", 5000), 0);
	assert_int_equal(store_session_history_bytes(st, "carol", 5000, &bytes), 0);
	assert_int_equal(bytes, 1234 + ((uint64_t)5 << 32));
	assert_int_equal(store_session_history_bytes(st, "carol", 5001, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(store_session_history_bytes(st, "nobody", 0, &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(store_session_history_reason(st, "192.0.2.20", 4000, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "quota_exceeded");
	assert_int_equal(store_session_history_reason(st, "192.0.2.20", 5001, reason, sizeof(reason)), 1);
	assert_int_equal(store_session_history_prune(st, 5001), 1);
	assert_int_equal(store_session_history_reason(st, "192.0.2.20", 0, reason, sizeof(reason)), 1);

	/* quotas: none by default, set, changed (the users' pollers told), removed */
	assert_int_equal(store_quota_get(st, "carol", &qgot), 1);
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_quota_get(st, "carol", &qgot), 0);
	assert_int_equal(qgot.session_bytes + qgot.day_bytes + qgot.month_bytes, 0);
	memset(&q, 0, sizeof(q));
	q.day_bytes = 5000000;
	g = gens(st);
	assert_int_equal(store_quota_set(st, "carol", &q), 0);
	assert_true(gens(st).users > g.users);
	assert_int_equal(store_quota_get(st, "carol", &qgot), 0);
	assert_int_equal(qgot.day_bytes, 5000000);
	assert_int_equal(qgot.session_bytes, 0);
	q.month_bytes = 1ULL << 40;
	assert_int_equal(store_quota_set(st, "carol", &q), 0);
	assert_int_equal(store_quota_get(st, "carol", &qgot), 0);
	assert_int_equal(qgot.month_bytes, 1ULL << 40);
	assert_int_equal(qgot.day_bytes, 5000000);
	memset(&q, 0, sizeof(q));
	assert_int_equal(store_quota_set(st, "carol", &q), 0);
	assert_int_equal(store_quota_get(st, "carol", &qgot), 0);
	assert_int_equal(qgot.day_bytes, 0);
	assert_int_equal(store_quota_set(st, "nobody", &q), 1);
}

/* ------------------------------------------------------------ audit */

static struct store_failure failure(int64_t time_ms, const char *user, const char *addr,
				    const char *reason, const char *mode)
{
	struct store_failure f;

	memset(&f, 0, sizeof(f));
	f.time_ms = time_ms;
	snprintf(f.client_addr, sizeof(f.client_addr), "%s", addr);
	f.client_port = 40000;
	snprintf(f.mode, sizeof(f.mode), "%s", mode);
	snprintf(f.scheme, sizeof(f.scheme), "basic");
	snprintf(f.username, sizeof(f.username), "%s", user);
	snprintf(f.reason, sizeof(f.reason), "%s", reason);
	snprintf(f.host, sizeof(f.host), "example.com:443");
	snprintf(f.user_agent, sizeof(f.user_agent), "curl/7.88.1");
	return f;
}

struct page {
	int64_t ids[4096];
	int64_t times[4096];
	size_t n;
	struct store_failure last;
};

static int page_cb(const struct store_failure *f, void *ud)
{
	struct page *p = ud;

	assert_true(p->n < 4096);
	p->ids[p->n] = f->id;
	p->times[p->n] = f->time_ms;
	p->n++;
	p->last = *f;
	return 0;
}

static size_t count(struct store *st, const struct store_failure_filter *f)
{
	static struct page p;

	p.n = 0;
	assert_int_equal(store_failures_list(st, f, page_cb, &p), 0);
	return p.n;
}

static void test_failures_round_trip_and_filters(void **state)
{
	struct store *st = *state;
	struct store_failure rows[4], got;
	struct store_failure_filter f;
	struct page *p = calloc(1, sizeof(*p));

	rows[0] = failure(1000, "alice", "192.0.2.1", "wrong_password", "explicit");
	rows[1] = failure(2000, "bob", "192.0.2.1", "unknown_user", "explicit");
	rows[2] = failure(3000, "alice", "2001:db8::5", "wrong_password", "portal");
	rows[3] = failure(4000, "\xff\xfe\r\nforged", "192.0.2.2", "malformed", "intercept");
	rows[3].client_port = 65535;
	snprintf(rows[3].scheme, sizeof(rows[3].scheme), "digest");
	assert_int_equal(store_failures_insert(st, rows, 4), 0);
	assert_int_equal(store_failures_insert(st, rows, 0), 0);

	/* newest first, every field back as given */
	assert_int_equal(store_failures_list(st, NULL, page_cb, p), 0);
	assert_int_equal(p->n, 4);
	assert_int_equal(p->times[0], 4000);
	assert_int_equal(p->times[3], 1000);
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	p->n = 0;
	assert_int_equal(store_failures_list(st, &f, page_cb, p), 0);
	assert_int_equal(p->n, 1);
	got = p->last;
	assert_int_equal(got.time_ms, 4000);
	assert_string_equal(got.client_addr, "192.0.2.2");
	assert_int_equal(got.client_port, 65535);
	assert_string_equal(got.mode, "intercept");
	assert_string_equal(got.scheme, "digest");
	assert_string_equal(got.username, "\xff\xfe\r\nforged");
	assert_string_equal(got.reason, "malformed");
	assert_string_equal(got.host, "example.com:443");
	assert_string_equal(got.user_agent, "curl/7.88.1");

	memset(&f, 0, sizeof(f));
	f.username = "alice";
	assert_int_equal(count(st, &f), 2);
	f.client_addr = "2001:db8::5";
	assert_int_equal(count(st, &f), 1);
	memset(&f, 0, sizeof(f));
	f.client_addr = "192.0.2.1";
	assert_int_equal(count(st, &f), 2);
	f.reason = "unknown_user";
	assert_int_equal(count(st, &f), 1);
	memset(&f, 0, sizeof(f));
	f.mode = "portal";
	assert_int_equal(count(st, &f), 1);
	f.mode = "admin";
	assert_int_equal(count(st, &f), 0);
	memset(&f, 0, sizeof(f));
	f.since_ms = 2000;              /* inclusive */
	assert_int_equal(count(st, &f), 3);
	f.until_ms = 4000;              /* exclusive */
	assert_int_equal(count(st, &f), 2);
	f.username = "";                /* empty: no filter */
	assert_int_equal(count(st, &f), 2);
	/* a value that looks like SQL is only a value */
	memset(&f, 0, sizeof(f));
	f.username = "' OR 1=1 --";
	assert_int_equal(count(st, &f), 0);
	free(p);
}

static int acceptance_cb(const struct store_terms_acceptance *a, void *ud)
{
	struct store_terms_acceptance *out = ud;
	size_t i = 0;

	while (out[i].id)
		i++;
	assert_true(i < 7);
	out[i] = *a;
	return 0;
}

/* the terms: versions counted up, the latest shown; acceptances by device */
static void test_terms(void **state)
{
	struct store *st = *state;
	struct store_terms *t = calloc(1, sizeof(*t));
	struct store_terms_acceptance got[8];
	char *big = malloc(STORE_TERMS_MAX + 2);
	int64_t v1 = 0, v2 = 0;

	assert_int_equal(store_terms_get(st, t), 1);
	assert_int_equal(store_terms_set(st, "Be nice.\n<b>not markup</b>", "root", &v1), 0);
	assert_int_equal(store_terms_set(st, "Be nicer.", "ops", &v2), 0);
	assert_true(v2 > v1);
	assert_int_equal(store_terms_get(st, t), 0);
	assert_int_equal(t->version, v2);
	assert_string_equal(t->text, "Be nicer.");
	assert_string_equal(t->created_by, "ops");
	memset(big, 'x', STORE_TERMS_MAX + 1);
	big[STORE_TERMS_MAX + 1] = '\0';
	assert_int_equal(store_terms_set(st, big, "root", &v1), -EINVAL);
	big[STORE_TERMS_MAX] = '\0';
	assert_int_equal(store_terms_set(st, big, "root", &v1), 0);

	assert_int_equal(store_terms_accept(st, 5000, "10.0.0.7", "02:00:00:00:00:07", v2), 0);
	assert_int_equal(store_terms_accepted(st, "10.0.0.7", "02:00:00:00:00:07", v2, 4000), 1);
	assert_int_equal(store_terms_accepted(st, "10.0.0.7", "02:00:00:00:00:07", v2, 6000), 0);
	assert_int_equal(store_terms_accepted(st, "10.0.0.7", "02:00:00:00:00:08", v2, 0), 0);
	assert_int_equal(store_terms_accepted(st, "10.0.0.8", "02:00:00:00:00:07", v2, 0), 0);
	assert_int_equal(store_terms_accepted(st, "10.0.0.7", "02:00:00:00:00:07", v1, 0), 0);
	assert_int_equal(store_terms_accept(st, 6000, "2001:db8::7", "", v2), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(store_terms_acceptances(st, 0, 10, acceptance_cb, got), 0);
	assert_string_equal(got[0].client_addr, "2001:db8::7");
	assert_int_equal(got[0].time_ms, 6000);
	assert_string_equal(got[1].mac, "02:00:00:00:00:07");
	assert_int_equal(got[1].version, v2);
	assert_int_equal(got[2].id, 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(store_terms_acceptances(st, 0, 1, acceptance_cb, got), 0);
	assert_int_equal(got[1].id, 0);
	memset(got + 1, 0, sizeof(got) - sizeof(got[0]));
	assert_int_equal(store_terms_acceptances(st, got[0].id, 10, acceptance_cb, got + 1), 0);
	assert_string_equal(got[1].client_addr, "10.0.0.7");
	free(big);
	free(t);
}

/* a front desk's audit: the rows of guests' names only */
static void test_failures_of_guests_only(void **state)
{
	struct store *st = *state;
	struct store_failure rows[5];
	struct store_failure_filter f;

	rows[0] = failure(1000, "alice", "192.0.2.1", "wrong_password", "portal");
	rows[1] = failure(2000, "voucher:ab12", "192.0.2.1", "unknown_user", "portal");
	rows[2] = failure(3000, "terms:192.0.2.3", "192.0.2.3", "expired", "portal");
	rows[3] = failure(4000, "vouchers", "192.0.2.2", "unknown_user", "portal");
	rows[4] = failure(5000, "Voucher:x", "192.0.2.2", "unknown_user", "portal");
	assert_int_equal(store_failures_insert(st, rows, 5), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(count(st, &f), 5);
	f.guests_only = 1;
	assert_int_equal(count(st, &f), 2);
	f.username = "alice";
	assert_int_equal(count(st, &f), 0);
	f.username = "voucher:ab12";
	assert_int_equal(count(st, &f), 1);

	assert_true(store_user_is_guest("voucher:ab12"));
	assert_true(store_user_is_guest("terms:2001:db8::1"));
	assert_false(store_user_is_guest("vouchers"));
	assert_false(store_user_is_guest("Voucher:x"));
	assert_false(store_user_is_guest("alice"));
	assert_false(store_user_is_guest(""));
	assert_false(store_user_is_guest(NULL));
}

/* Page through every row with the keyset cursor: each row exactly once,
 * in order, including runs of rows with the same millisecond. */
static void check_paging(struct store *st, struct store_failure_filter f, size_t expect,
			 size_t page_size)
{
	struct page *p = calloc(1, sizeof(*p)), *all = calloc(1, sizeof(*all));
	size_t pages = 0;

	f.limit = page_size;
	for (;;) {
		p->n = 0;
		assert_int_equal(store_failures_list(st, &f, page_cb, p), 0);
		assert_true(p->n <= page_size);
		for (size_t i = 0; i < p->n; i++) {
			all->ids[all->n] = p->ids[i];
			all->times[all->n] = p->times[i];
			all->n++;
		}
		pages++;
		if (p->n < page_size)
			break;
		f.before_time_ms = p->last.time_ms;
		f.before_id = p->last.id;
	}
	assert_int_equal(all->n, expect);
	assert_int_equal(pages, expect / page_size + 1);
	/* strictly decreasing keys: in order, and no row twice */
	for (size_t i = 1; i < all->n; i++)
		assert_true(all->times[i] < all->times[i - 1] ||
			    (all->times[i] == all->times[i - 1] && all->ids[i] < all->ids[i - 1]));
	free(p);
	free(all);
}

static void test_failures_keyset_paging(void **state)
{
	struct store *st = *state;
	struct store_failure *rows = calloc(1000, sizeof(*rows));
	struct store_failure_filter f;
	size_t expect;

	for (int i = 0; i < 1000; i++) {
		char user[16], addr[16];

		snprintf(user, sizeof(user), "u%d", i % 7);
		snprintf(addr, sizeof(addr), "10.0.0.%d", i % 5);
		/* runs of three rows per millisecond, and time going back and
		 * forth, so the order is not the insertion order */
		rows[i] = failure(1000000 + ((i * 37) % 1000) / 3, user, addr,
				  i % 2 ? "wrong_password" : "unknown_user", "explicit");
	}
	/* in batches, as the daemon's writer does */
	for (int i = 0; i < 1000; i += 250)
		assert_int_equal(store_failures_insert(st, rows + i, 250), 0);
	memset(&f, 0, sizeof(f));
	check_paging(st, f, 1000, 37);
	check_paging(st, f, 1000, 250);        /* an exact multiple: one empty last page */
	f.username = "u3";
	check_paging(st, f, 143, 10);          /* i = 3 mod 7 */
	f.client_addr = "10.0.0.1";
	check_paging(st, f, 28, 4);            /* and i = 1 mod 5: i = 31 mod 35 */
	memset(&f, 0, sizeof(f));
	f.reason = "wrong_password";
	f.since_ms = 1000000 + 100;
	f.limit = 4096;
	expect = count(st, &f);
	assert_true(expect > 300 && expect < 500);
	check_paging(st, f, expect, 16);

	/* a cursor without its id: everything strictly older in time */
	memset(&f, 0, sizeof(f));
	f.before_time_ms = 1000000 + 1;
	f.limit = 4096;
	assert_int_equal(count(st, &f), 3);
	free(rows);
}

static const struct store_migration *poisoned(size_t *n)
{
	static struct store_migration m[64];

	assert_true(store_n_migrations < 63);
	memcpy(m, store_migrations, store_n_migrations * sizeof(m[0]));
	m[store_n_migrations].version = latest_version() + 1;
	m[store_n_migrations].sql = "CREATE TRIGGER poison BEFORE INSERT ON failures "
				    "WHEN NEW.username = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;";
	*n = store_n_migrations + 1;
	return m;
}

/* A batch that fails part way leaves nothing behind; a batch that meets a
 * locked database fails as -EBUSY, with nothing written either. */
struct top {
	char value[4][STORE_NAME_MAX + 1];
	uint64_t count[4];
	int n;
};

static int top_cb(const char *value, uint64_t n, void *ud)
{
	struct top *t = ud;

	snprintf(t->value[t->n], sizeof(t->value[t->n]), "%s", value);
	t->count[t->n++] = n;
	return t->n == 4;
}

/* The dashboard: failures per bucket inside the window only, and the most
 * frequent addresses and usernames since a time. */
static void test_failures_histogram_and_top(void **state)
{
	struct store *st = *state;
	struct store_failure rows[7];
	uint64_t counts[3];
	struct top t;

	rows[0] = failure(500, "early", "192.0.2.9", "wrong_password", "explicit");   /* before */
	rows[1] = failure(1000, "alice", "192.0.2.1", "wrong_password", "explicit");  /* bucket 0 */
	rows[2] = failure(1999, "alice", "192.0.2.1", "wrong_password", "explicit");  /* bucket 0 */
	rows[3] = failure(3500, "<b>bob</b>", "192.0.2.2", "unknown_user", "portal"); /* bucket 2 */
	rows[4] = failure(3999, "alice", "192.0.2.1", "disabled", "explicit");        /* bucket 2 */
	rows[5] = failure(4000, "late", "192.0.2.9", "wrong_password", "explicit");   /* after */
	rows[6] = failure(2500, "<b>bob</b>", "2001:db8::1", "unknown_user", "admin"); /* bucket 1 */
	assert_int_equal(store_failures_insert(st, rows, 7), 0);
	counts[1] = 99;
	assert_int_equal(store_failures_histogram(st, 1000, 1000, counts, 3), 0);
	assert_int_equal(counts[0], 2);
	assert_int_equal(counts[1], 1);
	assert_int_equal(counts[2], 2);
	assert_int_equal(store_failures_histogram(st, 1000, 0, counts, 3), -EINVAL);

	memset(&t, 0, sizeof(t));
	assert_int_equal(store_failures_top(st, 0, 1000, 10, top_cb, &t), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.value[0], "192.0.2.1");
	assert_int_equal(t.count[0], 3);
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_failures_top(st, 1, 1000, 2, top_cb, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.value[0], "alice");
	assert_int_equal(t.count[0], 3);
	assert_string_equal(t.value[1], "<b>bob</b>");     /* stored and returned as given */
	assert_int_equal(t.count[1], 2);
	/* the since bound leaves the older rows out */
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_failures_top(st, 1, 3600, 10, top_cb, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.value[0], "alice");
	assert_int_equal(t.count[0], 1);
}

/* A row stands for count identical failures: written with its count, added
 * to afterwards by id, listed with it, and summed by the dashboard. */
static void test_failures_counts(void **state)
{
	struct store *st = *state;
	struct store_failure rows[2];
	struct store_failure_add add[2];
	int64_t ids[2] = { 0, 0 };
	uint64_t counts[1];
	struct page *p = calloc(1, sizeof(*p));
	struct top t;

	assert_non_null(p);
	rows[0] = failure(1000, "alice", "192.0.2.1", "wrong_password", "explicit");
	rows[0].count = 5;
	rows[0].last_ms = 1400;
	rows[1] = failure(1100, "bob", "192.0.2.1", "unknown_user", "explicit");  /* count 0: 1 */
	assert_int_equal(store_failures_write(st, rows, 2, ids, NULL, 0), 0);
	assert_true(ids[0] > 0 && ids[1] > ids[0]);
	add[0] = (struct store_failure_add){ ids[0], 7, 1900 };
	add[1] = (struct store_failure_add){ ids[1] + 1000, 3, 2000 };    /* gone: skipped */
	assert_int_equal(store_failures_write(st, NULL, 0, NULL, add, 2), 0);
	assert_int_equal(store_failures_list(st, NULL, page_cb, p), 0);
	assert_int_equal(p->n, 2);
	assert_int_equal(p->last.id, ids[0]);
	assert_int_equal(p->last.count, 12);
	assert_int_equal(p->last.last_ms, 1900);
	assert_int_equal(store_failures_histogram(st, 1000, 10000, counts, 1), 0);
	assert_int_equal(counts[0], 13);
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_failures_top(st, 0, 0, 10, top_cb, &t), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.count[0], 13);
	free(p);
}

static void test_failures_batch_is_atomic(void **state)
{
	struct store_failure rows[4];
	struct store_options o = { .busy_timeout_ms = 50 };
	struct store_user u = user("x");
	struct store *st, *other;
	char err[256];
	const char *p = db_path("atomic.db");

	(void)state;
	o.migrations = poisoned(&o.n_migrations);
	st = store_open_opts(p, &o, err, sizeof(err));
	assert_non_null(st);
	rows[0] = failure(1, "a", "192.0.2.1", "wrong_password", "explicit");
	rows[1] = failure(2, "b", "192.0.2.1", "wrong_password", "explicit");
	rows[2] = failure(3, "poison", "192.0.2.1", "wrong_password", "explicit");
	rows[3] = failure(4, "d", "192.0.2.1", "wrong_password", "explicit");
	assert_true(store_failures_insert(st, rows, 4) < 0);
	assert_int_equal(count(st, NULL), 0);

	other = store_open_opts(p, &o, err, sizeof(err));
	assert_non_null(other);
	assert_int_equal(store_begin(other), 0);   /* holds the write lock */
	assert_int_equal(store_failures_insert(st, rows, 2), -EBUSY);
	/* other writes meet the same answer */
	assert_int_equal(store_user_add(st, &u), -EBUSY);
	store_rollback(other);
	assert_int_equal(count(st, NULL), 0);
	assert_int_equal(store_failures_insert(st, rows, 2), 0);
	assert_int_equal(count(other, NULL), 2);
	store_close(other);
	store_close(st);
}

static void test_failures_prune(void **state)
{
	struct store *st = *state;
	enum { N = 12000 };
	struct store_failure *rows = calloc(N, sizeof(*rows));
	struct store_failure_filter f;

	for (int i = 0; i < N; i++)
		rows[i] = failure(i, "u", "192.0.2.1", "wrong_password", "explicit");
	assert_int_equal(store_failures_insert(st, rows, N), 0);
	/* strictly older than the cutoff goes; more than one batch of it */
	assert_int_equal(store_failures_prune(st, 11000), 11000);
	memset(&f, 0, sizeof(f));
	f.limit = 4096;
	assert_int_equal(count(st, &f), 1000);
	f.until_ms = 11001;
	assert_int_equal(count(st, &f), 1);
	assert_int_equal(store_failures_prune(st, 11000), 0);
	assert_int_equal(store_failures_prune(st, INT64_MAX), 1000);
	assert_int_equal(count(st, NULL), 0);
	free(rows);
}

/* A daemon filling a field to its last byte without a NUL stores the
 * field's worth, never what lies beyond it. */
static void test_failure_fields_without_nul(void **state)
{
	struct store *st = *state;
	struct store_failure f = failure(5, "u", "192.0.2.1", "wrong_password", "explicit");
	static struct page p;

	memset(f.user_agent, 'A', sizeof(f.user_agent));
	memset(f.username, 'U', sizeof(f.username));
	assert_int_equal(store_failures_insert(st, &f, 1), 0);
	p.n = 0;
	assert_int_equal(store_failures_list(st, NULL, page_cb, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(strlen(p.last.user_agent), sizeof(f.user_agent) - 1);
	assert_int_equal(strlen(p.last.username), sizeof(f.username) - 1);
}

/* ------------------------------------------------------------ admin log */

struct actions {
	struct store_admin_action a[16];
	int n;
};

static int action_cb(const struct store_admin_action *a, void *ud)
{
	struct actions *l = ud;

	l->a[l->n++] = *a;
	return 0;
}

static void test_admin_actions(void **state)
{
	struct store *st = *state;
	struct actions l;

	assert_int_equal(store_admin_action_insert(st, 1000, "cli:root", "user.add", "alice",
						   "front desk", NULL), 0);
	assert_int_equal(store_admin_action_insert(st, 2000, "root", "whitelist.del", "10.0.0.0/8",
						   NULL, "127.0.0.1"), 0);
	assert_int_equal(store_admin_action_insert(st, 2000, "root", "session.kick", "192.0.2.9",
						   "", "127.0.0.1"), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_admin_action_list(st, 0, 0, 0, action_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.a[0].action, "session.kick");    /* newest, then higher id */
	assert_string_equal(l.a[1].action, "whitelist.del");
	assert_string_equal(l.a[1].client_addr, "127.0.0.1");
	assert_string_equal(l.a[1].detail, "");
	assert_string_equal(l.a[2].admin, "cli:root");
	assert_string_equal(l.a[2].target, "alice");
	assert_string_equal(l.a[2].detail, "front desk");
	assert_string_equal(l.a[2].client_addr, "");

	/* keyset paging, one row a page */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_admin_action_list(st, 0, 0, 1, action_cb, &l), 0);
	assert_int_equal(store_admin_action_list(st, l.a[0].time_ms, l.a[0].id, 1, action_cb, &l), 0);
	assert_int_equal(store_admin_action_list(st, l.a[1].time_ms, l.a[1].id, 1, action_cb, &l), 0);
	assert_int_equal(store_admin_action_list(st, l.a[2].time_ms, l.a[2].id, 1, action_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.a[2].action, "user.add");

	assert_int_equal(store_admin_actions_prune(st, 2000), 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_admin_action_list(st, 0, 0, 0, action_cb, &l), 0);
	assert_int_equal(l.n, 2);
}

/* ------------------------------------------------------------ meta, tx */

static void test_meta(void **state)
{
	struct store *st = *state;
	char v[64];

	/* the default realm, so users made before the daemon's first start
	 * get Digest hashes */
	assert_int_equal(store_meta_get(st, "digest_realm", v, sizeof(v)), 0);
	assert_string_equal(v, "Portcullis");
	assert_int_equal(store_meta_set(st, "k", "v1"), 0);
	assert_int_equal(store_meta_set(st, "k", "v2"), 0);
	assert_int_equal(store_meta_get(st, "k", v, sizeof(v)), 0);
	assert_string_equal(v, "v2");
	assert_int_equal(store_meta_del(st, "k"), 0);
	assert_int_equal(store_meta_get(st, "k", v, sizeof(v)), 1);
	assert_int_equal(store_meta_del(st, "k"), 0);
	assert_int_equal(store_meta_set(st, "", "x"), -EINVAL);
}

static void test_transactions(void **state)
{
	struct store *st = *state;
	struct store_user u = user("alice"), got;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_admin_action_insert(st, 1, "cli:root", "user.add", "alice", "", ""), 0);
	store_rollback(st);
	assert_int_equal(store_user_get(st, "alice", &got), 1);
	store_rollback(st);     /* no transaction: harmless */

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_user_add(st, &u), -EEXIST);   /* the transaction goes on */
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_user_get(st, "alice", &got), 0);
}

/* ------------------------------------------------------------ backup */

static void test_backup(void **state)
{
	struct store *st = *state, *copy;
	struct store_user u = user("bob"), got;
	struct store_failure f = failure(7, "x", "192.0.2.1", "wrong_password", "explicit");
	const char *b = db_path("backup.db");
	struct stat sb;
	char err[256];

	assert_int_equal(store_user_add(st, &u), 0);
	assert_int_equal(store_failures_insert(st, &f, 1), 0);
	assert_int_equal(store_backup(st, b, err, sizeof(err)), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* the live database goes on changing; the copy does not */
	assert_int_equal(store_user_delete(st, "bob"), 0);
	copy = store_open(b, err, sizeof(err));
	assert_non_null(copy);
	assert_int_equal(store_schema_version(copy), latest_version());
	assert_int_equal(store_user_get(copy, "bob", &got), 0);
	assert_string_equal(got.phc, u.phc);
	assert_int_equal(count(copy, NULL), 1);
	store_close(copy);

	/* again over the old copy */
	assert_int_equal(store_backup(st, b, err, sizeof(err)), 0);
	copy = store_open(b, err, sizeof(err));
	assert_non_null(copy);
	assert_int_equal(store_user_get(copy, "bob", &got), 1);
	store_close(copy);
	/* an old copy others could read is made private before it is written */
	assert_int_equal(chmod(b, 0644), 0);
	assert_int_equal(store_backup(st, b, err, sizeof(err)), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unlink(b);

	err[0] = '\0';
	assert_int_equal(store_backup(st, cur, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "itself"));
	err[0] = '\0';
	assert_int_equal(store_backup(st, "/nonexistent-portcullis-dir/b.db", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-portcullis-dir/b.db"));
	/* the live database is untouched by all that */
	assert_int_equal(store_failures_insert(st, &f, 1), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_private_file_and_migrates),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_migrations_incremental_and_versioned),
		cmocka_unit_test(test_failed_migration_rolls_back_whole),
		cmocka_unit_test(test_migration_leaves_old_secrets_of_unknown_realm),
		cmocka_unit_test(test_concurrent_first_open),
		T(test_user_crud),
		T(test_user_changes_bump_generation_but_logins_do_not),
		T(test_digest_secrets_keep),
		T(test_digest_off_wins_over_secrets_hashed_before),
		T(test_names_are_data),
		T(test_user_list_and_search),
		T(test_user_list_pages),
		T(test_free_text_is_cut_at_a_character),
		T(test_admins),
		T(test_admin_roles),
		T(test_whitelist),
		T(test_sessions),
		T(test_session_counts_history_quotas),
		T(test_failures_round_trip_and_filters),
		T(test_failures_of_guests_only),
		T(test_terms),
		T(test_failures_keyset_paging),
		T(test_failures_histogram_and_top),
		T(test_failures_counts),
		cmocka_unit_test(test_failures_batch_is_atomic),
		T(test_failures_prune),
		T(test_failure_fields_without_nul),
		T(test_admin_actions),
		T(test_meta),
		T(test_transactions),
		T(test_backup),
	};
#undef T

	return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
