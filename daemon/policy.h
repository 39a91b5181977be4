/*
 * policy — per-group policy, evaluated: which policy applies to a user
 * with given groups, whether it lets the user online at a given local
 * time, and whether it lets a request reach a destination. Pure: no I/O,
 * no clock, no allocation; the caller gives the time and the groups (the
 * gate keeps the policies read from the store, policy_book in gate.h).
 *
 * Selection: the policies of groups, in ascending priority (ties by group
 * name); the first whose group the user is in applies; a user in no such
 * group gets the default policy (group ""), and with no default policy
 * nothing is restricted.
 *
 * Time windows, in the gateway's local time zone: "DAYS HH:MM-HH:MM",
 * several separated by ","; DAYS is a day ("mon"), a range ("mon-fri",
 * "fri-mon" wraps) or "daily". A window whose end is not after its start
 * crosses midnight and belongs to the day it starts on ("fri 22:00-02:00"
 * is Friday 22:00 to Saturday 02:00); "00:00-24:00" is the whole day. No
 * windows: any time. The caller passes the local wall-clock time, so on
 * the day daylight saving time starts the hour that is skipped does not
 * exist and on the day it ends the repeated hour is inside a window twice.
 *
 * Destination rules, two lists of "host.example", "*.example.org" (any
 * name below example.org, not example.org itself) and CIDR ranges
 * ("10.0.0.0/8", "2001:db8::/32"), separated by "," or spaces:
 *   - a destination matching a deny rule is refused;
 *   - when the allow list is not empty, a destination must match one of
 *     its rules (else it is refused: an allow list);
 *   - an empty allow list lets through whatever no deny rule matches.
 * Host rules match the host name the client asked for (case-insensitive,
 * one trailing dot ignored), CIDR rules the address connected to (the
 * name's resolved addresses, or an address literal).
 */
#ifndef PORTCULLIS_POLICY_H
#define PORTCULLIS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"

#define POLICY_GROUP_MAX    256     /* bytes of a group name, as a user's */
#define POLICY_WINDOWS_MAX  16
#define POLICY_RULES_MAX    32      /* per list */
#define POLICY_HOST_MAX     253
#define POLICY_CLASS_MAX    63
#define POLICY_DEVICES_MAX  64      /* a device limit, as a user's */
#define POLICY_TEXT_MAX     4096    /* a windows or rules text, stored */

struct policy_window {
	uint8_t days;                   /* bit d: weekday d (0 Sunday) */
	uint16_t start, end;            /* minutes after midnight; end <= start:
					 * ends on the next day */
};

enum policy_rule_kind {
	POLICY_RULE_HOST,               /* exact name */
	POLICY_RULE_SUFFIX,             /* "*.suffix": host holds ".suffix" */
	POLICY_RULE_CIDR,
};

struct policy_rule {
	enum policy_rule_kind kind;
	char host[POLICY_HOST_MAX + 3]; /* lower case; the rule as written for
					 * CIDR, to name it in a refusal */
	struct cidr cidr;
};

struct policy {
	char group[POLICY_GROUP_MAX + 1];   /* "": the default policy */
	int priority;                       /* lower first */
	int denied;                         /* the group may not go online */
	struct policy_window windows[POLICY_WINDOWS_MAX];
	size_t n_windows;                   /* 0: any time */
	unsigned session_lifetime;          /* s; 0: the configuration's */
	unsigned idle_timeout;              /* s; 0: the configuration's */
	struct policy_rule allow[POLICY_RULES_MAX];
	size_t n_allow;
	struct policy_rule deny[POLICY_RULES_MAX];
	size_t n_deny;
	char bandwidth_class[POLICY_CLASS_MAX + 1];   /* stored only; "": none */
	uint64_t quota_session, quota_day, quota_month; /* data quotas in bytes (in +
							 * out) for users without
							 * their own; 0: none */
	unsigned max_devices;               /* devices logged in at once; 0: no limit */
	char quota_class[POLICY_CLASS_MAX + 1];   /* throttled into at a used-up quota;
						   * "": [shaping] quota_class */
};

/* Parse a windows text into out (up to POLICY_WINDOWS_MAX); *n set. 0, or
 * -1 with a message in err naming what is wrong. "" gives no windows. */
int policy_parse_windows(const char *text, struct policy_window *out, size_t *n, char *err,
			 size_t errlen);
/* Parse a destination rules text into out (up to POLICY_RULES_MAX); as
 * policy_parse_windows. A host name is letters, digits, '-', '_' and
 * dots, labels of 1 to 63 bytes; "*" only as a whole first label. */
int policy_parse_rules(const char *text, struct policy_rule *out, size_t *n, char *err,
		       size_t errlen);
/* A bandwidth class name: 1 to POLICY_CLASS_MAX of [A-Za-z0-9_.-], or "".
 * 1 valid, 0 not. */
int policy_valid_class(const char *name);

/* The policy for a user in groups (n_groups names, each NUL-terminated,
 * back to back in groups), from list (n, any order): see the top. NULL:
 * none applies. */
const struct policy *policy_select(const struct policy *list, size_t n, const char *groups,
				   size_t groups_len, unsigned n_groups);

/* The device limit of a user whose own limit is own (0: none set) and to
 * whom p applies (NULL: no policy): the user's own wins, else the
 * policy's; 0: no limit. */
unsigned policy_device_limit(unsigned own, const struct policy *p);

/* Local time as the windows see it. */
struct policy_time {
	int wday;                       /* 0 Sunday .. 6 */
	int minute;                     /* 0 .. 1439 */
};

/* 1 when p lets its users online at t. */
int policy_time_allowed(const struct policy *p, struct policy_time t);
/* When p next lets its users online after t (p not allowed at t): *opens
 * set, the minutes until then returned; -1: never (no window has a day). */
int policy_next_opening(const struct policy *p, struct policy_time t, struct policy_time *opens);
/* Minutes from t until p's windows let its users online no longer, when
 * allowed at t: -1 for no windows or never closing (a week covered). */
int policy_minutes_left(const struct policy *p, struct policy_time t);
/* "Mon 08:00" into buf. */
const char *policy_time_text(struct policy_time t, char *buf, size_t len);

/* Whether p lets its users online at t, for a caller that words the
 * reason itself (the portal, in the person's language): POLICY_ADMITS, or
 * why not; with POLICY_OPENS, *opens is when it next does. */
enum policy_refusal { POLICY_ADMITS, POLICY_DENIED, POLICY_NEVER, POLICY_OPENS };
enum policy_refusal policy_refusal_at(const struct policy *p, struct policy_time t,
				      struct policy_time *opens);
/* Whether p lets its users online at t: 1 yes, 0 no with the reason for
 * the person refused in buf ("this account may not go online now; access
 * opens Mon 08:00 (gateway local time; the policy of group x)"). */
int policy_admits(const struct policy *p, struct policy_time t, char *buf, size_t len);
/* "the policy of group x" or "the default policy" into buf. */
const char *policy_name(const struct policy *p, char *buf, size_t len);

enum policy_dest {
	POLICY_DEST_PASS,        /* let through (by the name: may still be
				  * refused by a deny range at the address) */
	POLICY_DEST_DENIED,      /* a deny rule matched: *rule names it */
	POLICY_DEST_NOT_LISTED,  /* the allow list has no rule for it */
	POLICY_DEST_BY_ADDRESS,  /* the name is in no list but the allow list
				  * has ranges: the address decides */
};

/* The destination host (as the client asked for it; a name or an address
 * literal, IPv6 with or without brackets): the name rules. *rule (may be
 * NULL) points into p for DENIED. */
enum policy_dest policy_check_host(const struct policy *p, const char *host,
				   const struct policy_rule **rule);
/* The address about to be connected to: the deny ranges, and the allow
 * ranges unless the name was let through by the allow list (by_name 1:
 * policy_check_host said PASS with an allow list). Never BY_ADDRESS. */
enum policy_dest policy_check_address(const struct policy *p, const struct sockaddr *sa,
				      int by_name, const struct policy_rule **rule);
/* A rule as written ("*.example.org", "10.0.0.0/8") into buf. */
const char *policy_rule_text(const struct policy_rule *r, char *buf, size_t len);

#endif
