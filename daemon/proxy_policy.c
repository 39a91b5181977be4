/* proxy_policy — the destination policy: which addresses and ports a client may
 * be sent to (never the gateway itself, never the built-in deny ranges). */
#include "proxy_int.h"

#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy.h"

/* ------------------------------------------------------------ policy */

const char *const builtin_deny[BUILTIN_DENY_COUNT] = {
	"0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "fe80::/10", "ff00::/8",
};
/* what each of builtin_deny is, for the 403's text */
static const char *const builtin_deny_reason[BUILTIN_DENY_COUNT] = {
	"an unspecified address", "a loopback address", "a link-local address",
	"a multicast address", "a reserved address",
	"an unspecified address", "a loopback address", "a link-local address",
	"a multicast address",
};

static int port_listed(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* Why the proxy will not connect to port on one of this gateway's own
 * addresses, or NULL: only the ports listed in gateway_ports are open
 * there, and never the daemon's own listeners. */
const char *self_port_refused(const struct config *cfg, uint16_t port)
{
	for (size_t j = 0; j < cfg->n_proxy_listen; j++)
		if (cidr_addr_port((const struct sockaddr *)&cfg->proxy_listen[j].sa) == port)
			return "the proxy itself";
	if (cfg->admin_enabled &&
	    cidr_addr_port((const struct sockaddr *)&cfg->admin_listen.sa) == port)
		return "the admin panel";
	if (cfg->portal_enabled &&
	    cidr_addr_port((const struct sockaddr *)&cfg->portal_listen.sa) == port)
		return "the login portal";
	if (cfg->intercept_interface[0] &&
	    (port == cfg->intercept_http_port || port == cfg->intercept_https_port))
		return "the intercept listeners";
	if (!port_listed(cfg->gateway_ports, cfg->n_gateway_ports, port))
		return "an address of this gateway";
	return NULL;
}

/*
 * Why the proxy will not connect to ss:port, or NULL: the one reason that
 * applies, said in the 403. The proxy must not be a way into the gateway
 * itself (every address it has, any port: its SSH, its mail relay, what
 * listens on its uplink), nor into what lies behind loopback and
 * link-local (cloud metadata services). Only the ports listed in
 * gateway_ports are open on the gateway's own addresses, and never its
 * own listeners.
 */
const char *dest_refused(struct worker *w, const struct sockaddr_storage *ss,
			 uint16_t port)
{
	const struct config *cfg = w->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)ss;

	for (size_t i = 0; i < BUILTIN_DENY_COUNT; i++)
		if (cidr_match(&w->p->builtin_deny[i], sa))
			return builtin_deny_reason[i];
	if (cidr_match_any(w->self, w->n_self, sa)) {
		const char *why = self_port_refused(cfg, port);

		if (why)
			return why;
	}
	if (cidr_match_any(cfg->deny_ranges, cfg->n_deny_ranges, sa))
		return "in a range this gateway denies (deny_ranges)";
	return NULL;
}

int connect_port_allowed(const struct config *cfg, uint16_t port)
{
	return port_listed(cfg->connect_ports, cfg->n_connect_ports, port);
}

/* Re-read this host's addresses into w->self. On failure the list read
 * before stays (an empty one only at the very start). */
void worker_load_self(struct worker *w)
{
	struct ifaddrs *ifa, *i;
	struct cidr *list;
	size_t n = 0;

	w->self_loaded = loop_now(w->loop);
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		freeifaddrs(ifa);
		return;
	}
	n = 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && cidr_from_addr(i->ifa_addr, &list[n]) == 0)
			n++;
	freeifaddrs(ifa);
	free(w->self);
	w->self = list;
	w->n_self = n;
}

/* ------------------------------------------------------------ group policy */

const char *conn_group_policy_refused(struct conn *c, const struct idsource_attrs *attrs,
				      char *body, size_t len)
{
	struct exchange *x = c->x;
	const struct policy *p;
	const struct policy_rule *rule = NULL;
	char name[POLICY_GROUP_MAX + 32], rtext[POLICY_HOST_MAX + 8];

	gate_policy_release(&x->policy);
	x->policy_by_name = 0;
	if (!gate_policy_find(c->w->p->gate, x->user, attrs, &x->policy))
		return NULL;
	p = x->policy.pol;
	{
		time_t now = (time_t)(loop_wall_ms() / 1000);
		char why[POLICY_GROUP_MAX + 160];
		struct tm tm;
		struct policy_time t;

		/* the windows are in the gateway's local time zone */
		localtime_r(&now, &tm);
		t.wday = tm.tm_wday;
		t.minute = tm.tm_hour * 60 + tm.tm_min;
		if (!policy_admits(p, t, why, sizeof(why))) {
			snprintf(body, len, "Forbidden: %s.\n", why);
			goto refused;
		}
	}
	switch (policy_check_host(p, x->host, &rule)) {
	case POLICY_DEST_DENIED:
		snprintf(body, len, "Forbidden: %s is refused by %s (rule %s).\n", x->host,
			 policy_name(p, name, sizeof(name)), policy_rule_text(rule, rtext, sizeof(rtext)));
		goto refused;
	case POLICY_DEST_NOT_LISTED:
		snprintf(body, len, "Forbidden: %s is not in the allow list of %s.\n", x->host,
			 policy_name(p, name, sizeof(name)));
		goto refused;
	case POLICY_DEST_PASS:
		x->policy_by_name = 1;
		break;
	case POLICY_DEST_BY_ADDRESS:
		break;
	}
	return NULL;
refused:
	metrics_inc(policy_refusals);
	return body;
}

const char *policy_address_refused(struct exchange *x, const struct sockaddr_storage *ss,
				   char *body, size_t len)
{
	const struct policy *p = x->policy.pol;
	const struct policy_rule *rule = NULL;
	char name[POLICY_GROUP_MAX + 32], rtext[POLICY_HOST_MAX + 8];

	if (!p)
		return NULL;
	switch (policy_check_address(p, (const struct sockaddr *)ss, x->policy_by_name, &rule)) {
	case POLICY_DEST_DENIED:
		snprintf(body, len, "refused by %s (rule %s)", policy_name(p, name, sizeof(name)),
			 policy_rule_text(rule, rtext, sizeof(rtext)));
		return body;
	case POLICY_DEST_NOT_LISTED:
		snprintf(body, len, "not in the allow list of %s", policy_name(p, name, sizeof(name)));
		return body;
	default:
		return NULL;
	}
}
