/* policy — per-group policy evaluated (see policy.h): pure, so that the
 * time windows can be tested with a fixed clock and the rule parsers with
 * hostile text. */
#include "policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int is_sep(char ch)
{
	return ch == ',' || ch == ' ' || ch == '\t';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* The next item of a list separated by ",", spaces or tabs into buf: its
 * length, 0 at the end, -1 when longer than len - 1. */
static int next_item(const char **pp, char *buf, size_t len, int stop_at_space)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p && is_sep(*p))
		p++;
	while (*p && *p != ',' && (!stop_at_space || (*p != ' ' && *p != '\t'))) {
		if (n + 1 >= len)
			return -1;
		buf[n++] = *p++;
	}
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	*pp = p;
	return (int)n;
}

static int day_index(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int d = 0; d < 7; d++)
		if (lower(s[0]) == day_names[d][0] && lower(s[1]) == day_names[d][1] &&
		    lower(s[2]) == day_names[d][2])
			return d;
	return -1;
}

/* "HH:MM" (00:00 to 24:00) -> minutes, -1 when not */
static int parse_clock(const char *s, size_t len)
{
	int h, m;

	if (len != 5 || s[2] != ':')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

static int parse_days(const char *s, size_t len, uint8_t *days)
{
	const char *dash = memchr(s, '-', len);
	int a, b;

	if (len == 5 && strncasecmp(s, "daily", 5) == 0) {
		*days = 0x7f;
		return 0;
	}
	if (!dash) {
		a = day_index(s, len);
		if (a < 0)
			return -1;
		*days = (uint8_t)(1u << a);
		return 0;
	}
	a = day_index(s, (size_t)(dash - s));
	b = day_index(dash + 1, len - (size_t)(dash - s) - 1);
	if (a < 0 || b < 0)
		return -1;
	*days = 0;
	for (int d = a;; d = (d + 1) % 7) {
		*days |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return 0;
}

int policy_parse_windows(const char *text, struct policy_window *out, size_t *n, char *err,
			 size_t errlen)
{
	const char *p = text ? text : "";
	char item[64];
	int len;

	*n = 0;
	if (strlen(p) > POLICY_TEXT_MAX) {
		snprintf(err, errlen, "time windows: longer than %d bytes", POLICY_TEXT_MAX);
		return -1;
	}
	while ((len = next_item(&p, item, sizeof(item), 0)) != 0) {
		char *space, *hours, *dash;
		struct policy_window w;
		int start, end;

		if (len < 0) {
			snprintf(err, errlen, "time windows: an item is too long (want DAYS HH:MM-HH:MM)");
			return -1;
		}
		space = strpbrk(item, " \t");
		if (!space)
			goto bad;
		hours = space;
		while (*hours == ' ' || *hours == '\t')
			hours++;
		dash = strchr(hours, '-');
		if (!dash || parse_days(item, (size_t)(space - item), &w.days) < 0)
			goto bad;
		start = parse_clock(hours, (size_t)(dash - hours));
		end = parse_clock(dash + 1, strlen(dash + 1));
		if (start < 0 || end < 0 || start == 24 * 60)
			goto bad;
		if (*n >= POLICY_WINDOWS_MAX) {
			snprintf(err, errlen, "time windows: more than %d", POLICY_WINDOWS_MAX);
			return -1;
		}
		w.start = (uint16_t)start;
		w.end = (uint16_t)end;
		out[(*n)++] = w;
	}
	return 0;
bad:
	for (char *c = item; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(err, errlen, "time window '%s': want DAYS HH:MM-HH:MM (DAYS: mon, mon-fri "
		 "or daily; hours 00:00 to 24:00)", item);
	return -1;
}

/* A host name as policy.h says, lower-cased into out. 0 or -1. */
static int parse_host(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), label = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > POLICY_HOST_MAX || len + 1 > outlen)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = lower(s[i]);

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			   ch == '_') {
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = ch;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

int policy_parse_rules(const char *text, struct policy_rule *out, size_t *n, char *err,
		       size_t errlen)
{
	const char *p = text ? text : "";
	char item[sizeof(((struct policy_rule *)0)->host)];
	int len;

	*n = 0;
	if (strlen(p) > POLICY_TEXT_MAX) {
		snprintf(err, errlen, "destination rules: longer than %d bytes", POLICY_TEXT_MAX);
		return -1;
	}
	while ((len = next_item(&p, item, sizeof(item), 1)) != 0) {
		struct policy_rule r;

		memset(&r, 0, sizeof(r));
		if (len < 0) {
			snprintf(err, errlen, "destination rules: a rule longer than %d bytes",
				 POLICY_HOST_MAX);
			return -1;
		}
		if (strchr(item, '/') || strchr(item, ':') ||
		    strspn(item, "0123456789.") == (size_t)len) {
			if (cidr_parse(item, &r.cidr) < 0)
				goto bad;
			r.kind = POLICY_RULE_CIDR;
			snprintf(r.host, sizeof(r.host), "%s", item);
		} else if (item[0] == '*') {
			if (item[1] != '.' || parse_host(item + 2, r.host + 1, sizeof(r.host) - 1) < 0)
				goto bad;
			r.host[0] = '.';
			r.kind = POLICY_RULE_SUFFIX;
		} else {
			if (parse_host(item, r.host, sizeof(r.host)) < 0)
				goto bad;
			r.kind = POLICY_RULE_HOST;
		}
		if (*n >= POLICY_RULES_MAX) {
			snprintf(err, errlen, "destination rules: more than %d in a list",
				 POLICY_RULES_MAX);
			return -1;
		}
		out[(*n)++] = r;
	}
	return 0;
bad:
	for (char *c = item; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(err, errlen, "destination rule '%s': want a host name, *.domain or a CIDR "
		 "range", item);
	return -1;
}

int policy_valid_class(const char *name)
{
	size_t len = strlen(name);

	if (len > POLICY_CLASS_MAX)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       len;
}

static int in_groups(const char *group, const char *groups, size_t groups_len,
		     unsigned n_groups)
{
	size_t off = 0;

	for (unsigned i = 0; i < n_groups && off < groups_len; i++) {
		size_t len = strnlen(groups + off, groups_len - off);

		if (off + len < groups_len && strcmp(groups + off, group) == 0)
			return 1;
		off += len + 1;
	}
	return 0;
}

const struct policy *policy_select(const struct policy *list, size_t n, const char *groups,
				   size_t groups_len, unsigned n_groups)
{
	const struct policy *best = NULL, *dflt = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct policy *p = &list[i];

		if (!p->group[0]) {
			dflt = p;
			continue;
		}
		if (!in_groups(p->group, groups, groups_len, n_groups))
			continue;
		if (!best || p->priority < best->priority ||
		    (p->priority == best->priority && strcmp(p->group, best->group) < 0))
			best = p;
	}
	return best ? best : dflt;
}

/* minute of the week, Sunday 00:00 = 0 */
#define WEEK (7 * 24 * 60)

static int week_minute(struct policy_time t)
{
	return ((t.wday % 7 + 7) % 7) * 24 * 60 + t.minute;
}

/* Whether window w covers minute-of-week m. */
static int window_covers(const struct policy_window *w, int m)
{
	for (int d = 0; d < 7; d++) {
		int from, len, off;

		if (!(w->days & (1u << d)))
			continue;
		from = d * 24 * 60 + w->start;
		len = w->end > w->start ? w->end - w->start : 24 * 60 - w->start + w->end;
		off = ((m - from) % WEEK + WEEK) % WEEK;
		if (off < len)
			return 1;
	}
	return 0;
}

static int covered(const struct policy *p, int m)
{
	for (size_t i = 0; i < p->n_windows; i++)
		if (window_covers(&p->windows[i], m))
			return 1;
	return 0;
}

int policy_time_allowed(const struct policy *p, struct policy_time t)
{
	return p->n_windows == 0 || covered(p, week_minute(t));
}

int policy_next_opening(const struct policy *p, struct policy_time t, struct policy_time *opens)
{
	int m = week_minute(t);

	/* a week of minutes at most: 10080 steps of a few windows */
	for (int k = 1; k <= WEEK; k++) {
		int at = (m + k) % WEEK;

		if (covered(p, at)) {
			opens->wday = at / (24 * 60);
			opens->minute = at % (24 * 60);
			return k;
		}
	}
	return -1;
}

int policy_minutes_left(const struct policy *p, struct policy_time t)
{
	int m = week_minute(t);

	if (p->n_windows == 0 || !covered(p, m))
		return p->n_windows == 0 ? -1 : 0;
	for (int k = 1; k <= WEEK; k++)
		if (!covered(p, (m + k) % WEEK))
			return k;
	return -1;
}

const char *policy_time_text(struct policy_time t, char *buf, size_t len)
{
	static const char *const names[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

	snprintf(buf, len, "%s %02d:%02d", names[(t.wday % 7 + 7) % 7], t.minute / 60,
		 t.minute % 60);
	return buf;
}

const char *policy_name(const struct policy *p, char *buf, size_t len)
{
	if (!p->group[0])
		snprintf(buf, len, "the default policy");
	else
		snprintf(buf, len, "the policy of group %s", p->group);
	return buf;
}

enum policy_refusal policy_refusal_at(const struct policy *p, struct policy_time t,
				      struct policy_time *opens)
{
	if (p->denied)
		return POLICY_DENIED;
	if (policy_time_allowed(p, t))
		return POLICY_ADMITS;
	return policy_next_opening(p, t, opens) < 0 ? POLICY_NEVER : POLICY_OPENS;
}

int policy_admits(const struct policy *p, struct policy_time t, char *buf, size_t len)
{
	char name[POLICY_GROUP_MAX + 32], when[32];
	struct policy_time opens;
	enum policy_refusal r = policy_refusal_at(p, t, &opens);

	if (r == POLICY_DENIED) {
		snprintf(buf, len, "this account may not go online (%s)",
			 policy_name(p, name, sizeof(name)));
		return 0;
	}
	if (r == POLICY_ADMITS)
		return 1;
	if (r == POLICY_NEVER)
		snprintf(buf, len, "this account may not go online at any time (%s)",
			 policy_name(p, name, sizeof(name)));
	else
		snprintf(buf, len, "this account may not go online now; access opens %s "
			 "(gateway local time; %s)", policy_time_text(opens, when, sizeof(when)),
			 policy_name(p, name, sizeof(name)));
	return 0;
}

/* The host as rules see it: lower case, brackets and one trailing dot
 * gone. 0, or -1 when it does not fit. */
static int normal_host(const char *host, char *out, size_t outlen)
{
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len && host[len - 1] == '.')
		len--;
	if (len + 1 > outlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = lower(host[i]);
	out[len] = '\0';
	return 0;
}

static int host_rule_matches(const struct policy_rule *r, const char *host)
{
	size_t hl, sl;

	if (r->kind == POLICY_RULE_HOST)
		return strcmp(r->host, host) == 0;
	if (r->kind != POLICY_RULE_SUFFIX)
		return 0;
	hl = strlen(host);
	sl = strlen(r->host);
	return hl > sl && strcmp(host + hl - sl, r->host) == 0;
}

enum policy_dest policy_check_host(const struct policy *p, const char *host,
				   const struct policy_rule **rule)
{
	char h[POLICY_HOST_MAX + 4];
	int has_ranges = 0;

	if (normal_host(host, h, sizeof(h)) < 0)
		h[0] = '\0';   /* longer than any rule: matches none */
	for (size_t i = 0; i < p->n_deny; i++)
		if (host_rule_matches(&p->deny[i], h)) {
			if (rule)
				*rule = &p->deny[i];
			return POLICY_DEST_DENIED;
		}
	if (p->n_allow == 0)
		return POLICY_DEST_PASS;
	for (size_t i = 0; i < p->n_allow; i++) {
		if (host_rule_matches(&p->allow[i], h))
			return POLICY_DEST_PASS;
		has_ranges |= p->allow[i].kind == POLICY_RULE_CIDR;
	}
	return has_ranges ? POLICY_DEST_BY_ADDRESS : POLICY_DEST_NOT_LISTED;
}

enum policy_dest policy_check_address(const struct policy *p, const struct sockaddr *sa,
				      int by_name, const struct policy_rule **rule)
{
	for (size_t i = 0; i < p->n_deny; i++)
		if (p->deny[i].kind == POLICY_RULE_CIDR && cidr_match(&p->deny[i].cidr, sa)) {
			if (rule)
				*rule = &p->deny[i];
			return POLICY_DEST_DENIED;
		}
	if (p->n_allow == 0 || by_name)
		return POLICY_DEST_PASS;
	for (size_t i = 0; i < p->n_allow; i++)
		if (p->allow[i].kind == POLICY_RULE_CIDR && cidr_match(&p->allow[i].cidr, sa))
			return POLICY_DEST_PASS;
	return POLICY_DEST_NOT_LISTED;
}

const char *policy_rule_text(const struct policy_rule *r, char *buf, size_t len)
{
	if (r->kind == POLICY_RULE_SUFFIX)
		snprintf(buf, len, "*%s", r->host);
	else
		snprintf(buf, len, "%s", r->host);
	return buf;
}

unsigned policy_device_limit(unsigned own, const struct policy *p)
{
	if (own)
		return own;
	return p ? p->max_devices : 0;
}
