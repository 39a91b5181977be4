/*
 * sessions: the maintenance round's phases, on the in-memory table alone
 * (no kernel: the test fills the views the round would read from it)
 * against a real database file for the accounts and rows. Each test makes
 * one phase decide something a user sees: a session that ends, an element
 * set again in the kernel, an address that joins its device, a row
 * written; and checks a session beside it that must stay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sessions_int.h"
#include "store.h"

#define PHC_OLD "$scrypt$ln=15,r=8,p=1$c2FsdA$b2xk"
#define PHC_NEW "$scrypt$ln=15,r=8,p=1$c2FsdA$bmV3"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };

struct fixture {
	char dir[64], path[128];
	struct config cfg;
	struct store *st;
	struct sessions *s;
	struct sessions_round r;
	int64_t now;
};

static void add_user(struct store *st, const char *name, const char *phc, int enabled,
		     int64_t expires_at)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.phc, sizeof(u.phc), "%s", phc);
	u.enabled = enabled;
	u.expires_at = expires_at;
	assert_int_equal(store_user_add(st, &u), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/portcullis-test-sessions-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite", f->dir);
	config_defaults(&f->cfg);
	f->cfg.session_idle_timeout = 300;
	f->cfg.session_lifetime = 3600;
	f->st = store_open(f->path, err, sizeof(err));
	f->s = sessions_alloc(&f->cfg, err, sizeof(err));
	if (!f->st || !f->s)
		return -1;
	f->now = loop_wall_ms() / 1000;
	add_user(f->st, "alice", PHC_OLD, 1, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	sessions_round_free(f->s, &f->r);
	sessions_free(f->s);
	store_close(f->st);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A session in memory (and, with row, in the store) as a login an idle
 * period ago left it: active now, lifetime ahead, account read. */
static struct entry *add_session(struct fixture *f, const char *addr, const uint8_t *mac,
				 const char *user, uint64_t login, int row)
{
	struct store_session sr;
	struct entry e;

	memset(&sr, 0, sizeof(sr));
	snprintf(sr.addr, sizeof(sr.addr), "%s", addr);
	if (mac)
		nft_mac_format(mac, sr.mac, sizeof(sr.mac));
	snprintf(sr.username, sizeof(sr.username), "%s", user);
	sr.created_at = f->now - 60;
	sr.last_seen_at = f->now;
	sr.expires_at = f->now + 3000;
	sr.idle_timeout = 300;
	assert_int_equal(sessions_entry_from_row(&sr, &e), 0);
	e.refreshed_at = f->now;
	e.kernel_added_ms = f->now * 1000;
	e.kernel_timeout = 300;
	e.account_checked = 1;
	e.credential = sessions_credential_stamp(PHC_OLD);
	e.login = login;
	assert_int_equal(sessions_put(f->s, &e), 0);
	if (row)
		assert_int_equal(store_session_upsert(f->st, &sr), 0);
	return sessions_find(f->s, &e.key);
}

static struct entry *entry_at(struct fixture *f, const char *addr)
{
	struct addrmap_addr key;

	if (sessions_key_from_text(addr, &key) < 0)
		return NULL;
	return sessions_find(f->s, &key);
}

/* addr . mac as an element of sess4/6 the kernel holds. */
static void kernel_has(struct fixture *f, const char *addr, const uint8_t mac[6])
{
	struct kernel_view *kv = &f->r.kernel;
	struct nft_session *ks;

	kv->list = realloc(kv->list, (kv->n + 1) * sizeof(*kv->list));
	assert_non_null(kv->list);
	ks = &kv->list[kv->n++];
	memset(ks, 0, sizeof(*ks));
	if (strchr(addr, ':')) {
		ks->addr.ss_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr,
					   &((struct sockaddr_in6 *)&ks->addr)->sin6_addr), 1);
	} else {
		ks->addr.ss_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr,
					   &((struct sockaddr_in *)&ks->addr)->sin_addr), 1);
	}
	memcpy(ks->mac, mac, 6);
	ks->expires_ms = 250 * 1000;
	f->r.have_kernel = 1;
}

/* addr at mac in a view of the neighbour table (or seen4/6's shape). */
static void neigh_add(struct neigh_view *nv, const char *addr, const uint8_t mac[6])
{
	struct neigh_entry *ne;

	nv->list = realloc(nv->list, (nv->n + 1) * sizeof(*nv->list));
	assert_non_null(nv->list);
	ne = &nv->list[nv->n++];
	assert_int_equal(sessions_key_from_text(addr, &ne->key), 0);
	memcpy(ne->mac, mac, 6);
}

/* The round after its reads: index, then decide (what a unit can run). */
static void decide(struct fixture *f)
{
	assert_int_equal(sessions_round_index(f->s, f->st, &f->r), 0);
	assert_int_equal(sessions_round_decide(f->s, &f->r), 0);
}

static const struct ended *ended_of(struct fixture *f, const char *addr)
{
	for (size_t i = 0; i < f->r.n_ended; i++)
		if (strcmp(f->r.ended[i].e.addr, addr) == 0)
			return &f->r.ended[i];
	return NULL;
}

static const struct entry *refreshed(struct fixture *f, const char *addr)
{
	for (size_t i = 0; i < f->r.n_refresh; i++)
		if (strcmp(f->r.refresh[i].addr, addr) == 0)
			return &f->r.refresh[i];
	return NULL;
}

/* judge: a session past its lifetime ends, its row with it */
static void test_lifetime_ends(void **state)
{
	struct fixture *f = *state;

	add_session(f, "192.0.2.10", NULL, "alice", 1, 1)->expires_at = f->now - 1;
	add_session(f, "192.0.2.11", NULL, "alice", 2, 1);
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.10", (const uint8_t[6]){ 0 });
	kernel_has(f, "192.0.2.11", (const uint8_t[6]){ 0 });
	decide(f);
	assert_int_equal(f->r.n_ended, 1);
	assert_non_null(ended_of(f, "192.0.2.10"));
	assert_int_equal(ended_of(f, "192.0.2.10")->why, END_EXPIRED);
	assert_true(ended_of(f, "192.0.2.10")->delete_row);
	assert_null(entry_at(f, "192.0.2.10"));
	assert_non_null(entry_at(f, "192.0.2.11"));
}

/* end: no request within the idle time and no element left in the kernel
 * (its timer ran out) is idle; an element still there is traffic */
static void test_idle_ends(void **state)
{
	struct fixture *f = *state;

	add_session(f, "192.0.2.20", NULL, "alice", 1, 1)->last_seen = f->now - 1000;
	add_session(f, "192.0.2.21", NULL, "alice", 2, 1)->last_seen = f->now - 1000;
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.21", (const uint8_t[6]){ 0 });
	decide(f);
	assert_int_equal(f->r.n_ended, 1);
	assert_non_null(ended_of(f, "192.0.2.20"));
	assert_int_equal(ended_of(f, "192.0.2.20")->why, END_IDLE);
	assert_non_null(entry_at(f, "192.0.2.21"));
}

/* judge, from the accounts read: a user disabled, deleted or expired
 * since the login ends the session; an unchanged one keeps it */
static void test_user_changes_end_sessions(void **state)
{
	struct fixture *f = *state;

	add_user(f->st, "bob", PHC_OLD, 1, 0);
	add_user(f->st, "carol", PHC_OLD, 1, 0);
	add_user(f->st, "dave", PHC_OLD, 1, 0);
	add_session(f, "192.0.2.30", NULL, "bob", 1, 1);
	add_session(f, "192.0.2.31", NULL, "carol", 2, 1);
	add_session(f, "192.0.2.32", NULL, "dave", 3, 1);
	add_session(f, "192.0.2.33", NULL, "alice", 4, 1);
	assert_int_equal(store_user_set_enabled(f->st, "bob", 0), 0);
	assert_int_equal(store_user_delete(f->st, "carol"), 0);
	assert_int_equal(store_user_set_expiry(f->st, "dave", f->now - 5), 0);
	sessions_round_begin(f->s, &f->r, 1);
	decide(f);
	assert_int_equal(f->r.n_ended, 3);
	assert_int_equal(ended_of(f, "192.0.2.30")->why, END_USER_DISABLED);
	assert_int_equal(ended_of(f, "192.0.2.31")->why, END_USER_DELETED);
	assert_int_equal(ended_of(f, "192.0.2.32")->why, END_USER_EXPIRED);
	assert_non_null(entry_at(f, "192.0.2.33"));
}

/* judge: a password set since the login (a new hash) ends the sessions
 * checked against the old one */
static void test_password_change_ends(void **state)
{
	struct fixture *f = *state;

	add_user(f->st, "bob", PHC_OLD, 1, 0);
	add_session(f, "192.0.2.40", NULL, "bob", 1, 1);
	add_session(f, "192.0.2.41", NULL, "alice", 2, 1);
	assert_int_equal(store_user_set_password(f->st, "bob", PHC_NEW, NULL, NULL, NULL), 0);
	sessions_round_begin(f->s, &f->r, 1);
	decide(f);
	assert_int_equal(f->r.n_ended, 1);
	assert_int_equal(ended_of(f, "192.0.2.40")->why, END_PASSWORD_CHANGED);
	assert_non_null(entry_at(f, "192.0.2.41"));
}

/* judge and end: a row deleted elsewhere (a kick) ends its address, and
 * the device's other address of the same login with it; the device's
 * MAC leaves devmac with its last address */
static void test_kick_ends_the_device(void **state)
{
	struct fixture *f = *state;

	add_session(f, "192.0.2.50", MAC_A, "alice", 7, 1);
	add_session(f, "2001:db8::50", MAC_A, "alice", 7, 1);
	add_session(f, "192.0.2.51", MAC_B, "alice", 8, 1);
	assert_int_equal(store_session_delete(f->st, "192.0.2.50"), 0);
	sessions_round_begin(f->s, &f->r, 0);
	sessions_round_read_store(f->s, f->st, &f->r, 1);
	assert_true(f->r.have_rows);
	decide(f);
	assert_int_equal(f->r.n_ended, 2);
	assert_int_equal(ended_of(f, "192.0.2.50")->why, END_KICKED);
	assert_false(ended_of(f, "192.0.2.50")->delete_row);     /* the kicker did */
	assert_int_equal(ended_of(f, "2001:db8::50")->why, END_KICKED);
	assert_true(ended_of(f, "2001:db8::50")->delete_row);
	assert_int_equal(f->r.n_gone_macs, 1);
	assert_memory_equal(f->r.gone_macs[0], MAC_A, 6);
	assert_non_null(entry_at(f, "192.0.2.51"));
}

/* end: a device's address without traffic that the neighbour table no
 * longer shows at the device's MAC ends alone; the device stays */
static void test_forgotten_address_ends_alone(void **state)
{
	struct fixture *f = *state;

	add_session(f, "192.0.2.60", MAC_A, "alice", 7, 1);
	add_session(f, "2001:db8::60", MAC_A, "alice", 7, 1)->last_seen = f->now - 1000;
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.60", MAC_A);
	neigh_add(&f->r.neigh, "192.0.2.60", MAC_A);
	neigh_add(&f->r.neigh, "2001:db8::60", MAC_B);     /* another device has it now */
	f->r.have_neigh = 1;
	decide(f);
	assert_int_equal(f->r.n_ended, 1);
	assert_int_equal(ended_of(f, "2001:db8::60")->why, END_ADDRESS_GONE);
	assert_non_null(entry_at(f, "192.0.2.60"));
	assert_int_equal(f->r.n_gone_macs, 0);
}

/* sync: a session whose element the kernel holds under another MAC (or
 * not at all) is set again with its own MAC and a whole idle period; one
 * the kernel holds as it is stays out of the batch */
static void test_kernel_sync_batch(void **state)
{
	struct fixture *f = *state;
	const struct entry *e;

	add_session(f, "192.0.2.70", MAC_A, "alice", 7, 1);
	add_session(f, "192.0.2.71", MAC_B, "alice", 8, 1);
	add_session(f, "192.0.2.72", NULL, "alice", 9, 1);
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.70", MAC_B);       /* the wrong MAC */
	kernel_has(f, "192.0.2.71", MAC_B);
	decide(f);
	assert_int_equal(f->r.n_ended, 0);
	assert_int_equal(f->r.n_refresh, 2);
	e = refreshed(f, "192.0.2.70");
	assert_non_null(e);
	assert_memory_equal(e->mac, MAC_A, 6);
	assert_int_equal(e->kernel_timeout, 300);
	assert_false(e->kept);
	assert_non_null(refreshed(f, "192.0.2.72"));
	assert_null(refreshed(f, "192.0.2.71"));
}

/* adopt: an on-link address the kernel saw the logged-in device's frames
 * come from joins its session, kept in the kernel until it has traffic */
static void test_device_address_adopted(void **state)
{
	struct fixture *f = *state;
	const struct entry *e;

	add_session(f, "192.0.2.80", MAC_A, "alice", 7, 1);
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.80", MAC_A);
	assert_int_equal(sessions_key_from_text("2001:db8::80", &f->r.candidates[0].key), 0);
	memcpy(f->r.candidates[0].mac, MAC_A, 6);
	assert_int_equal(sessions_key_from_text("2001:db8::81", &f->r.candidates[1].key), 0);
	memcpy(f->r.candidates[1].mac, MAC_B, 6);  /* no device of that MAC logged in */
	f->r.n_candidates = 2;
	decide(f);
	assert_int_equal(f->r.n_joined, 1);
	assert_string_equal(f->r.joined[0].addr, "2001:db8::80");
	assert_string_equal(f->r.joined[0].user, "alice");
	e = refreshed(f, "2001:db8::80");
	assert_non_null(e);
	assert_true(e->kept);
	assert_non_null(entry_at(f, "2001:db8::80"));
	assert_null(entry_at(f, "2001:db8::81"));
	/* its row is still to be written */
	assert_int_equal(f->r.n_writes, 1);
	assert_string_equal(f->r.writes[0].addr, "2001:db8::80");
}

/* take rows: a row another process wrote joins memory and the kernel;
 * an expired one does not */
static void test_new_rows_join(void **state)
{
	struct fixture *f = *state;
	struct store_session sr;

	memset(&sr, 0, sizeof(sr));
	snprintf(sr.addr, sizeof(sr.addr), "192.0.2.90");
	snprintf(sr.username, sizeof(sr.username), "alice");
	sr.created_at = sr.last_seen_at = f->now;
	sr.expires_at = f->now + 100;
	sr.idle_timeout = 300;
	assert_int_equal(store_session_upsert(f->st, &sr), 0);
	snprintf(sr.addr, sizeof(sr.addr), "192.0.2.91");
	sr.expires_at = f->now - 1;
	assert_int_equal(store_session_upsert(f->st, &sr), 0);
	sessions_round_begin(f->s, &f->r, 0);
	sessions_round_read_store(f->s, f->st, &f->r, 1);
	decide(f);
	assert_non_null(entry_at(f, "192.0.2.90"));
	assert_non_null(refreshed(f, "192.0.2.90"));
	assert_null(entry_at(f, "192.0.2.91"));
	assert_int_equal(f->r.n_refresh, 1);
}

/* collect writes: a session whose row could not be written is written by
 * the round; one in the store already is not */
static void test_unsaved_rows_written(void **state)
{
	struct fixture *f = *state;

	add_session(f, "192.0.2.100", NULL, "alice", 1, 0)->unsaved = 1;
	add_session(f, "192.0.2.101", NULL, "alice", 2, 1);
	sessions_round_begin(f->s, &f->r, 0);
	decide(f);
	assert_int_equal(f->r.n_writes, 1);
	assert_string_equal(f->r.writes[0].addr, "192.0.2.100");
}

/* begin: a session that comes after the round read the accounts (a login
 * meanwhile) is judged next round, not by what was read before it */
static void test_newer_entries_wait(void **state)
{
	struct fixture *f = *state;

	add_user(f->st, "bob", PHC_OLD, 1, 0);
	assert_int_equal(store_user_set_enabled(f->st, "bob", 0), 0);
	sessions_round_begin(f->s, &f->r, 1);
	add_session(f, "192.0.2.110", NULL, "bob", 1, 1);
	decide(f);
	assert_int_equal(f->r.n_ended, 0);
	assert_non_null(entry_at(f, "192.0.2.110"));
}

/* quotas: a session's counts its login's addresses together, a day's the
 * sessions that ended today too; either used up ends with quota_exceeded,
 * and another login of the same user keeps its own session quota */
static void test_quota_ends_sessions(void **state)
{
	struct fixture *f = *state;
	struct store_quota q;
	struct store_session gone;
	const struct ended *x;

	add_user(f->st, "bob", PHC_OLD, 1, 0);
	memset(&q, 0, sizeof(q));
	q.session_bytes = 1000;
	assert_int_equal(store_quota_set(f->st, "alice", &q), 0);
	memset(&q, 0, sizeof(q));
	q.day_bytes = 5000;
	assert_int_equal(store_quota_set(f->st, "bob", &q), 0);
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.addr, sizeof(gone.addr), "192.0.2.99");
	snprintf(gone.username, sizeof(gone.username), "bob");
	gone.created_at = f->now - 100;
	gone.counts.bytes_out = 3000;
	assert_int_equal(store_session_history_add(f->st, &gone, "idle", f->now - 10), 0);

	add_session(f, "192.0.2.10", MAC_A, "alice", 1, 1)->counted.bytes_out = 600;
	add_session(f, "2001:db8::10", MAC_A, "alice", 1, 1)->counted.bytes_in = 500;
	add_session(f, "192.0.2.11", MAC_B, "alice", 2, 1)->counted.bytes_out = 900;
	add_session(f, "192.0.2.20", NULL, "bob", 3, 1)->counted.bytes_out = 2500;
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.10", MAC_A);
	kernel_has(f, "2001:db8::10", MAC_A);
	kernel_has(f, "192.0.2.11", MAC_B);
	kernel_has(f, "192.0.2.20", (const uint8_t[6]){ 0 });
	sessions_quota_read(f->s, f->st, &f->r, 0);
	decide(f);
	x = ended_of(f, "192.0.2.10");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
	x = ended_of(f, "2001:db8::10");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
	assert_null(ended_of(f, "192.0.2.11"));
	x = ended_of(f, "192.0.2.20");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
}

/* a voucher's quota (its roll's) counts every session the code had since
 * its first use, on all its devices: two devices and an ended session
 * together used it up, and both devices end; another code of the roll,
 * under the quota, stays */
static void test_voucher_quota_ends_all_devices(void **state)
{
	struct fixture *f = *state;
	struct store_voucher_roll roll;
	struct store_session gone;
	const struct ended *x;
	int64_t id = 0;

	memset(&roll, 0, sizeof(roll));
	snprintf(roll.alphabet, sizeof(roll.alphabet), "safe");
	roll.code_length = 10;
	roll.validity = 86400;
	roll.quota_bytes = 5000;
	roll.max_devices = 2;
	assert_int_equal(store_voucher_roll_add(f->st, &roll, &id), 0);
	assert_int_equal(store_voucher_add(f->st, id, 1, "AAAAA", PHC_OLD), 0);
	assert_int_equal(store_voucher_add(f->st, id, 2, "CCCCC", PHC_OLD), 0);
	assert_int_equal(store_voucher_first_use(f->st, 1, f->now - 200), 0);
	assert_int_equal(store_voucher_first_use(f->st, 2, f->now - 200), 0);
	memset(&gone, 0, sizeof(gone));
	snprintf(gone.addr, sizeof(gone.addr), "192.0.2.98");
	snprintf(gone.username, sizeof(gone.username), "voucher:%lld-1", (long long)id);
	gone.created_at = f->now - 150;
	gone.counts.bytes_out = 2000;
	assert_int_equal(store_session_history_add(f->st, &gone, "idle", f->now - 100), 0);

	add_session(f, "192.0.2.30", MAC_A, gone.username, 1, 1)->counted.bytes_out = 1500;
	add_session(f, "192.0.2.31", MAC_B, gone.username, 2, 1)->counted.bytes_out = 1500;
	add_session(f, "192.0.2.32", NULL, "voucher:1-2", 3, 1)->counted.bytes_out = 4900;
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.30", MAC_A);
	kernel_has(f, "192.0.2.31", MAC_B);
	kernel_has(f, "192.0.2.32", (const uint8_t[6]){ 0 });
	sessions_quota_read(f->s, f->st, &f->r, 0);
	decide(f);
	x = ended_of(f, "192.0.2.30");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
	x = ended_of(f, "192.0.2.31");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
	assert_null(ended_of(f, "192.0.2.32"));
}

/* The group policy of the users in "staff" (alice, bob): 1000 bytes per
 * session, throttled into "crawl". */
static int staff_policy(const char *user, uint64_t *session, uint64_t *day, uint64_t *month,
			char *quota_class, size_t len, void *ud)
{
	(void)ud;
	*session = *day = *month = 0;
	snprintf(quota_class, len, "%s", "");
	if (strcmp(user, "alice") != 0 && strcmp(user, "bob") != 0)
		return 0;
	*session = 1000;
	snprintf(quota_class, len, "%s", "crawl");
	return 1;
}

/* The quota_user record the round read for user, or NULL. */
static const struct quota_user *quota_read_of(struct fixture *f, const char *user)
{
	for (size_t i = 0; i < f->s->n_quotas; i++)
		if (strcmp(f->s->quotas[i].user, user) == 0)
			return &f->s->quotas[i];
	return NULL;
}

/* which quota holds a user: its own wins whole (alice's day quota, not
 * used up, though her policy's session quota is), else its group
 * policy's (bob), else none (carol, in no group with one) */
static void test_quota_user_wins_then_policy(void **state)
{
	struct fixture *f = *state;
	struct store_quota q;
	const struct ended *x;
	struct entry *e;

	add_user(f->st, "bob", PHC_OLD, 1, 0);
	add_user(f->st, "carol", PHC_OLD, 1, 0);
	memset(&q, 0, sizeof(q));
	q.day_bytes = 5000;
	assert_int_equal(store_quota_set(f->st, "alice", &q), 0);
	sessions_quota_policy(f->s, staff_policy, NULL);

	add_session(f, "192.0.2.10", NULL, "alice", 1, 1)->counted.bytes_out = 1500;
	add_session(f, "192.0.2.20", NULL, "bob", 2, 1)->counted.bytes_out = 1500;
	add_session(f, "192.0.2.30", NULL, "carol", 3, 1)->counted.bytes_out = 1500;
	sessions_round_begin(f->s, &f->r, 0);
	kernel_has(f, "192.0.2.10", (const uint8_t[6]){ 0 });
	kernel_has(f, "192.0.2.20", (const uint8_t[6]){ 0 });
	kernel_has(f, "192.0.2.30", (const uint8_t[6]){ 0 });
	sessions_quota_read(f->s, f->st, &f->r, 0);
	decide(f);
	assert_null(ended_of(f, "192.0.2.10"));
	x = ended_of(f, "192.0.2.20");
	assert_non_null(x);
	assert_int_equal(x->why, END_QUOTA);
	assert_null(ended_of(f, "192.0.2.30"));
	assert_int_equal(f->r.n_ended, 1);
	/* the use against the quota that holds each, for the lists */
	e = entry_at(f, "192.0.2.10");
	assert_non_null(e);
	assert_true(e->quota.used == 1500 && e->quota.bytes == 5000);
	assert_string_equal(e->quota.period, "day");
	assert_true(e->quota.resets_at > f->now && e->quota.resets_at <= f->now + 25 * 3600);
	e = entry_at(f, "192.0.2.30");
	assert_non_null(e);
	assert_true(e->quota.bytes == 0);
	/* the policy's quota class holds its users whichever quota holds
	 * them (alice's own); a user in no policy has none, and goes into
	 * [shaping] quota_class */
	assert_string_equal(quota_read_of(f, "alice")->quota_class, "crawl");
	assert_string_equal(quota_read_of(f, "bob")->quota_class, "crawl");
	assert_string_equal(quota_read_of(f, "carol")->quota_class, "");
	assert_string_equal(shaper_throttle_class(quota_read_of(f, "bob")->quota_class, "slow"),
			    "crawl");
	assert_string_equal(shaper_throttle_class(quota_read_of(f, "carol")->quota_class, "slow"),
			    "slow");
}

/* The judge of the policy test: what each user's policy says. */
static int judged;
static enum sessions_policy_answer fake_judge(void *ud, const char *user, const char *source,
					      int64_t created_at, int64_t *ends_by, unsigned *idle)
{
	int64_t now = *(const int64_t *)ud;

	(void)source;
	(void)created_at;
	judged++;
	if (!strcmp(user, "denied"))
		return SESSIONS_POLICY_DENIED;
	if (!strcmp(user, "night"))
		return SESSIONS_POLICY_HOURS;
	if (!strcmp(user, "gone"))
		return SESSIONS_POLICY_USER_DELETED;
	if (!strcmp(user, "unread"))
		return SESSIONS_POLICY_UNKNOWN;
	if (!strcmp(user, "short")) {
		*ends_by = now + 100;
		*idle = 60;
	} else if (!strcmp(user, "over")) {
		*ends_by = now - 1;
	}
	return SESSIONS_POLICY_KEEP;
}

/* judge, from the group policy: a denied group, a closed window, a user
 * the directory no longer has and a lifetime already over end their
 * sessions with their reasons; a shorter lifetime and idle limit are
 * applied (the row to be written again); a user whose groups are not read
 * yet is kept and asked again; a judged session is not asked again until
 * the policy changes */
static void test_policy_judges_open_sessions(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *addr, *user; enum end_reason why; } want[] = {
		{ "192.0.2.80", "denied", END_POLICY_DENIED },
		{ "192.0.2.81", "night", END_POLICY_HOURS },
		{ "192.0.2.82", "gone", END_SOURCE_DELETED },
		{ "192.0.2.83", "over", END_POLICY_CHANGED },
	};
	struct entry *e;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		add_session(f, want[i].addr, NULL, want[i].user, i + 1, 1);
	add_session(f, "192.0.2.84", NULL, "short", 10, 1);
	add_session(f, "192.0.2.85", NULL, "unread", 11, 1);
	add_session(f, "192.0.2.86", NULL, "alice", 12, 1);
	sessions_on_policy(f->s, fake_judge, &f->now);
	judged = 0;
	sessions_round_begin(f->s, &f->r, 0);
	decide(f);
	assert_int_equal(judged, 7);
	assert_int_equal(f->r.n_ended, 4);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_non_null(ended_of(f, want[i].addr));
		assert_int_equal(ended_of(f, want[i].addr)->why, want[i].why);
	}
	e = entry_at(f, "192.0.2.84");
	assert_non_null(e);
	assert_true(e->expires_at <= f->now + 100 && e->expires_at >= f->now + 99);
	assert_int_equal(e->idle, 60);
	assert_true(e->unsaved);
	assert_non_null(refreshed(f, "192.0.2.84"));
	assert_int_equal(refreshed(f, "192.0.2.84")->kernel_timeout, 60);
	e = entry_at(f, "192.0.2.86");
	assert_non_null(e);
	assert_int_equal(e->expires_at, f->now + 3000);
	assert_false(e->unsaved);
	assert_non_null(entry_at(f, "192.0.2.85"));

	/* the next round asks about the unread one only; a change, all again */
	sessions_round_free(f->s, &f->r);
	judged = 0;
	sessions_round_begin(f->s, &f->r, 0);
	decide(f);
	assert_int_equal(judged, 1);
	sessions_round_free(f->s, &f->r);
	judged = 0;
	sessions_policy_changed(f->s);
	sessions_round_begin(f->s, &f->r, 0);
	decide(f);
	assert_int_equal(judged, 3);
	assert_int_equal(f->r.n_ended, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifetime_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_changes_end_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_change_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_ends_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgotten_address_ends_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_sync_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_address_adopted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_rows_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsaved_rows_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_entries_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_ends_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_voucher_quota_ends_all_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_user_wins_then_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_judges_open_sessions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
