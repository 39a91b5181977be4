/*
 * The voucher commands (guest voucher rolls) and `user devices`, the limit
 * on the devices logged in at once under one user's name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "csv.h"
#include "voucher_roll.h"

/* "ROLL" or "ROLL-NUMBER" (number 0 for the whole roll): 0, or -1 printed. */
static int parse_roll(const char *s, int64_t *roll, int64_t *number)
{
	char *end;
	long long r, n = 0;

	errno = 0;
	r = strtoll(s, &end, 10);
	if (!errno && *end == '-' && end[1] >= '0' && end[1] <= '9')
		n = strtoll(end + 1, &end, 10);
	if (errno || *end || r < 1 || n < 0 || s[0] < '0' || s[0] > '9') {
		error_name("", s, " is no roll (ROLL) or code (ROLL-NUMBER)");
		return -1;
	}
	*roll = r;
	*number = n;
	return 0;
}

static int parse_count(const char *s, const char *what, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || end == s || *out < lo || *out > hi) {
		errorf("%s: a whole number from %ld to %ld, not '%s'", what, lo, hi, s);
		return -1;
	}
	return 0;
}

static void csv_line(const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *out = malloc(CSV_CELL_MAX(strlen(cells[i])));
		size_t len;

		if (!out)
			return;
		len = csv_cell(out, cells[i], i + 1 == n);
		fwrite(out, 1, len, stdout);
		free(out);
	}
}

/* voucher create N --validity DURATION [options] */
int cmd_voucher_create(struct cli *c, int argc, char **argv)
{
	const char *validity = NULL, *length = NULL, *alphabet = "safe", *comment = "",
		   *expires = NULL, *quota = NULL, *class = "", *devices = NULL;
	int csv = 0;
	const struct opt spec[] = {
		{ "--validity", &validity, NULL }, { "--length", &length, NULL },
		{ "--alphabet", &alphabet, NULL }, { "--comment", &comment, NULL },
		{ "--expires", &expires, NULL }, { "--quota", &quota, NULL },
		{ "--class", &class, NULL }, { "--devices", &devices, NULL },
		{ "--csv", NULL, &csv }, { "--json", NULL, &c->json }, { NULL, NULL, NULL } };
	struct store_voucher_roll r;
	enum voucher_alphabet a;
	voucher_code *codes = NULL;
	char err[256], detail[128], target[32];
	struct args args;
	long n, v;
	int64_t roll_id = 0;
	int rc;

	if (parse_args(argc, argv, spec, 1, 1, &args) < 0)
		return EXIT_USAGE;
	memset(&r, 0, sizeof(r));
	if (parse_count(args.pos[0], "the number of codes", 1, VOUCHER_ROLL_MAX, &n) < 0)
		return EXIT_USAGE;
	if (!validity || voucher_parse_duration(validity, &r.validity) < 0) {
		errorf("--validity: how long a code lasts from its first use: a number and s, m, h, "
		       "d or w (2h, 1d, 7d), up to 365 days");
		return EXIT_USAGE;
	}
	if (voucher_alphabet_parse(alphabet, &a) < 0) {
		error_name("--alphabet ", alphabet, ": numeric or safe (letters and digits that do "
			   "not look alike)");
		return EXIT_USAGE;
	}
	snprintf(r.alphabet, sizeof(r.alphabet), "%s", voucher_alphabet_name(a));
	r.code_length = VOUCHER_LEN_DEFAULT;
	if (length) {
		if (parse_count(length, "--length", VOUCHER_LEN_MIN, VOUCHER_LEN_MAX, &v) < 0)
			return EXIT_USAGE;
		r.code_length = (int)v;
	}
	r.max_devices = 1;
	if (devices) {
		if (parse_count(devices, "--devices", 1, 64, &v) < 0)
			return EXIT_USAGE;
		r.max_devices = (unsigned)v;
	}
	if (expires && parse_time(expires, 1, &r.expires_at) < 0)
		return EXIT_USAGE;
	if (quota) {
		char *end;

		errno = 0;
		r.quota_bytes = strtoll(quota, &end, 10);
		if (errno || end == quota || r.quota_bytes < 0 ||
		    (*end && strcmp(end, "M") && strcmp(end, "G"))) {
			errorf("--quota: bytes, or a number and M or G");
			return EXIT_USAGE;
		}
		r.quota_bytes *= !strcmp(end, "G") ? 1LL << 30 : !strcmp(end, "M") ? 1LL << 20 : 1;
	}
	if (strlen(class) > STORE_BANDWIDTH_CLASS_MAX || strlen(comment) > STORE_COMMENT_MAX) {
		errorf("--class is at most %d bytes, --comment %d", STORE_BANDWIDTH_CLASS_MAX,
		       STORE_COMMENT_MAX);
		return EXIT_USAGE;
	}
	snprintf(r.bandwidth_class, sizeof(r.bandwidth_class), "%s", class);
	snprintf(r.comment, sizeof(r.comment), "%s", comment);
	if (cli_open(c, 1) < 0)
		return EXIT_FAILED;
	codes = calloc((size_t)n, sizeof(*codes));
	if (!codes) {
		errorf("out of memory");
		return EXIT_FAILED;
	}
	rc = voucher_roll_create(c->st, &r, (size_t)n, codes, &roll_id, err, sizeof(err));
	if (rc < 0) {
		errorf("%s", err);
		free(codes);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
	}
	snprintf(target, sizeof(target), "%" PRId64, roll_id);
	snprintf(detail, sizeof(detail), "%ld codes, validity %s", n, validity);
	if (store_begin(c->st) == 0)
		commit_with_action(c, "voucher.create", target, detail);
	if (c->json) {
		json_t *list = json_array();

		for (long i = 0; i < n; i++)
			json_array_append_new(list, json_pack("{s:I, s:s}", "number", (json_int_t)i + 1,
							      "code", codes[i]));
		json_print(json_pack("{s:I, s:o}", "roll", (json_int_t)roll_id, "codes", list));
	} else if (csv) {
		csv_line((const char *const[]){ "roll", "number", "code" }, 3);
		for (long i = 0; i < n; i++) {
			char num[24];

			snprintf(num, sizeof(num), "%ld", i + 1);
			csv_line((const char *const[]){ target, num, codes[i] }, 3);
		}
	} else {
		printf("roll %" PRId64 ": %ld codes; they are stored hashed and cannot be shown again\n",
		       roll_id, n);
		for (long i = 0; i < n; i++)
			printf("%" PRId64 "-%ld\t%s\n", roll_id, i + 1, codes[i]);
	}
	memset(codes, 0, (size_t)n * sizeof(*codes));
	free(codes);
	return EXIT_DONE;
}

static const char *duration_text(int64_t s, char *buf, size_t len)
{
	if (s % 86400 == 0)
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
	return buf;
}

static int roll_row_cb(const struct store_voucher_roll *r, void *ud)
{
	struct listing *l = ud;
	char id[24], codes[24], unused[24], used[24], expired[24], revoked[24], validity[24],
	     exp[32], devices[16];

	l->n++;
	if (l->c->json) {
		json_list_add(&l->j, json_pack("{s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:s, s:i, s:I, s:I, "
					       "s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"id", (json_int_t)r->id, "comment", r->comment, "alphabet", r->alphabet,
			"length", r->code_length, "validity", (json_int_t)r->validity,
			"expires_at", (json_int_t)r->expires_at, "quota_bytes", (json_int_t)r->quota_bytes,
			"bandwidth_class", r->bandwidth_class, "max_devices", (int)r->max_devices,
			"revoked_at", (json_int_t)r->revoked_at, "created_at", (json_int_t)r->created_at,
			"codes", (json_int_t)r->codes, "unused", (json_int_t)(r->codes - r->used),
			"used", (json_int_t)r->used, "expired", (json_int_t)r->expired,
			"revoked", (json_int_t)r->revoked, "bytes_max", (json_int_t)r->bytes_max,
			"quota_reached", (json_int_t)r->quota_reached));
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, r->id);
	snprintf(codes, sizeof(codes), "%" PRId64, r->codes);
	snprintf(unused, sizeof(unused), "%" PRId64, r->codes - r->used);
	snprintf(used, sizeof(used), "%" PRId64, r->used);
	snprintf(expired, sizeof(expired), "%" PRId64, r->expired);
	snprintf(revoked, sizeof(revoked), "%" PRId64, r->revoked);
	snprintf(devices, sizeof(devices), "%u", r->max_devices);
	return table_row(&l->t, (const char *const[]){ id, codes, unused, used, expired, revoked,
		duration_text(r->validity, validity, sizeof(validity)),
		fmt_time(r->expires_at, 0, exp, sizeof(exp)), r->comment });
}

int cmd_voucher_list(struct cli *c, int argc, char **argv)
{
	static const char *const head[] = { "ROLL", "CODES", "UNUSED", "USED", "EXPIRED", "REVOKED",
					    "VALIDITY", "ROLL EXPIRES", "COMMENT" };
	struct listing l;
	int rc;

	rc = listing_open(&l, c, argc, argv, 9, head);
	if (rc != EXIT_DONE)
		return rc;
	rc = store_voucher_roll_list(c->st, 0, (int64_t)time(NULL), roll_row_cb, &l);
	return listing_end(&l, rc, "list the voucher rolls");
}

int cmd_voucher_revoke(struct cli *c, int argc, char **argv)
{
	struct args a;
	int64_t roll, number;
	int rc;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (parse_roll(a.pos[0], &roll, &number) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_voucher_revoke(c->st, roll, number);
		if (rc == 0)
			rc = commit_with_action(c, "voucher.revoke", a.pos[0], "");
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		error_name("no voucher roll or code ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "revoke");
	printf("%s %s revoked; its sessions end within a second\n", number ? "code" : "roll", a.pos[0]);
	return EXIT_DONE;
}

struct export_state {
	struct store_voucher_roll roll;
	int64_t now;
};

static int export_row_cb(const struct store_voucher *v, void *ud)
{
	struct export_state *x = ud;
	char name[48], first[32], ends[32], left_text[24];
	int64_t left = 0, end = 0;
	const char *state;

	snprintf(name, sizeof(name), "%" PRId64 "-%" PRId64, v->roll_id, v->number);
	if (v->first_used_at || x->roll.expires_at)
		end = voucher_ends_at(v->first_used_at ? v->first_used_at : x->now, x->now,
				      v->first_used_at ? x->roll.validity : INT64_MAX / 4,
				      x->roll.expires_at, &left);
	if (v->revoked_at || x->roll.revoked_at)
		state = "revoked";
	else if ((v->first_used_at || x->roll.expires_at) && left == 0)
		state = "expired";
	else
		state = v->first_used_at ? "in use" : "unused";
	snprintf(left_text, sizeof(left_text), "%" PRId64, left);
	csv_line((const char *const[]){ name, state, fmt_time(v->first_used_at, 1, first, sizeof(first)),
		 fmt_time(end, 1, ends, sizeof(ends)) }, 4);
	(void)left_text;
	return 0;
}

static int export_roll_cb(const struct store_voucher_roll *r, void *ud)
{
	((struct export_state *)ud)->roll = *r;
	return 1;
}

/* voucher export ROLL: the roll's codes and their state as CSV (the codes
 * themselves are stored hashed: `voucher create --csv` is their export) */
int cmd_voucher_export(struct cli *c, int argc, char **argv)
{
	struct export_state x;
	struct args a;
	int64_t roll, number;
	int rc;

	if (parse_args(argc, argv, NULL, 1, 1, &a) < 0)
		return EXIT_USAGE;
	if (parse_roll(a.pos[0], &roll, &number) < 0 || number) {
		if (number)
			errorf("voucher export takes a roll, not one code");
		return EXIT_USAGE;
	}
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	memset(&x, 0, sizeof(x));
	x.now = (int64_t)time(NULL);
	rc = store_voucher_roll_list(c->st, roll, x.now, export_roll_cb, &x);
	if (rc < 0)
		return db_failed(c, rc, "read the roll");
	if (x.roll.id != roll) {
		error_name("no voucher roll ", a.pos[0], "");
		return EXIT_FAILED;
	}
	csv_line((const char *const[]){ "code", "state", "first used", "ends" }, 4);
	rc = store_voucher_list(c->st, roll, export_row_cb, &x);
	return rc < 0 ? db_failed(c, rc, "read the codes") : EXIT_DONE;
}

/* user devices NAME N|none */
int cmd_user_devices(struct cli *c, int argc, char **argv)
{
	struct args a;
	long n = 0;
	char detail[32];
	int rc;

	if (parse_args(argc, argv, NULL, 2, 2, &a) < 0)
		return EXIT_USAGE;
	if (!valid_name("user", a.pos[0]))
		return EXIT_USAGE;
	if (strcmp(a.pos[1], "none") && parse_count(a.pos[1], "the device limit", 1, 64, &n) < 0)
		return EXIT_USAGE;
	if (cli_open(c, 0) < 0)
		return EXIT_FAILED;
	snprintf(detail, sizeof(detail), "%ld", n);
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_user_set_max_devices(c->st, a.pos[0], (unsigned)n);
		if (rc == 0)
			rc = commit_with_action(c, "user.devices", a.pos[0], detail);
		else
			store_rollback(c->st);
	}
	if (rc == 1) {
		error_name("no user ", a.pos[0], "");
		return EXIT_FAILED;
	}
	if (rc < 0)
		return db_failed(c, rc, "set the device limit");
	done_name("user", a.pos[0], n ? "may be logged in on that many devices at once" :
		  "may be logged in on any number of devices");
	return EXIT_DONE;
}
