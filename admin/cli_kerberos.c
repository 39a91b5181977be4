/*
 * portcullis kerberos check: what the [kerberos] keytab holds, whether the
 * daemon can accept tickets with it, whether this machine's host name and
 * clock look right, and what a client must be configured with.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cidr.h"
#include "config.h"
#include "negotiate.h"

struct key_list {
	const char *principal;     /* the configured one; "" any */
	int found;
};

static void print_key(void *ud, const struct negotiate_key *k)
{
	struct key_list *l = ud;
	char when[32] = "";
	time_t t = (time_t)k->timestamp;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	printf("  %-50s kvno %-3u %-28s %s\n", k->principal, k->kvno, k->enctype, when);
	if (!l->principal[0] || strcmp(l->principal, k->principal) == 0)
		l->found = 1;
}

/* The host part of HTTP/NAME@REALM into out; 0, or -1 when it has none. */
static int principal_host(const char *principal, char *out, size_t outlen)
{
	const char *slash = strchr(principal, '/'), *at;
	size_t len;

	if (!slash)
		return -1;
	at = strchr(slash + 1, '@');
	len = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
	if (len == 0 || len >= outlen)
		return -1;
	memcpy(out, slash + 1, len);
	out[len] = '\0';
	return 0;
}

/* 1 when NAME resolves (its addresses printed), else 0. */
static int print_addresses(const char *name)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int n = 0;

	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	printf("  %s resolves to", name);
	for (ai = res; ai; ai = ai->ai_next) {
		char text[64];

		cidr_addr_text(ai->ai_addr, text, sizeof(text));
		printf("%s %s", n++ ? "," : "", text);
	}
	printf("\n");
	freeaddrinfo(res);
	return 1;
}

static void check_host(const char *host)
{
	struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *res = NULL;
	char self[256] = "";

	if (gethostname(self, sizeof(self) - 1) == 0 && getaddrinfo(self, NULL, &hints, &res) == 0) {
		if (res->ai_canonname)
			snprintf(self, sizeof(self), "%s", res->ai_canonname);
		freeaddrinfo(res);
	}
	printf("host name:\n  this machine calls itself %s\n", self[0] ? self : "(unknown)");
	if (strcasecmp(self, host) != 0)
		printf("  the principal names %s: fine when that name leads clients here (a DNS\n"
		       "  alias or the proxy's own name), but a client asks for a ticket for the name\n"
		       "  it uses for the proxy, so clients must use %s\n", host, host);
	if (!print_addresses(host))
		printf("  WARNING: %s does not resolve here: clients must find the proxy by that name\n"
		       "  (DNS A/AAAA record, not only a CNAME their Kerberos may canonicalise)\n", host);
}

static void check_clock(void)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);
	char now[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("clock:\n  %s\n", now);
	if (state < 0)
		printf("  cannot tell whether the clock is synchronised\n");
	else if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
		printf("  WARNING: the clock is not synchronised (NTP): tickets from clients more\n"
		       "  than 5 minutes off are refused (kerberos_skew in the audit); run an NTP\n"
		       "  client against the domain controllers\n");
	else
		printf("  synchronised (the kernel says so); Kerberos allows 5 minutes of skew\n");
}

int cmd_kerberos_check(struct cli *c, int argc, char **argv)
{
	char err[700], host[256] = "";
	struct key_list l = { "", 0 };
	struct negotiate *n;
	struct config *cfg;
	struct args a;
	struct stat st;
	long keys;
	int ret = EXIT_FAILED;

	if (parse_args(argc, argv, NULL, 0, 0, &a) < 0)
		return EXIT_USAGE;
	cfg = malloc(sizeof(*cfg));
	if (!cfg || config_load(cfg, c->conf_path, err, sizeof(err)) < 0) {
		errorf("%s; the keytab is read from the daemon's configuration (-c FILE names it)",
		       cfg ? err : "out of memory");
		goto out;
	}
	if (!cfg->kerberos_keytab[0]) {
		errorf("%s has no [kerberos] keytab: Negotiate is off", c->conf_path);
		goto out;
	}
	l.principal = cfg->kerberos_principal;
	printf("keytab %s:\n", cfg->kerberos_keytab);
	keys = negotiate_keytab_read(cfg->kerberos_keytab, print_key, &l, err, sizeof(err));
	if (keys < 0) {
		errorf("%s", err);
		goto out;
	}
	if (keys == 0)
		printf("  (no keys)\n");
	if (stat(cfg->kerberos_keytab, &st) == 0 && (st.st_mode & 0077))
		printf("  WARNING: mode %03o: anyone who can read the keytab can pose as the gateway\n"
		       "  to every client; chmod 600 (or 640 to a group of the daemon's user)\n",
		       (unsigned)(st.st_mode & 0777));
	printf("principal:\n");
	if (!l.principal[0]) {
		printf("  [kerberos] principal is empty: any key above is taken\n");
	} else if (!l.found) {
		printf("  %s is NOT in the keytab: no ticket for it can be checked\n", l.principal);
		goto out;
	}
	n = negotiate_new(cfg->kerberos_keytab, cfg->kerberos_principal, err, sizeof(err));
	if (!n) {
		printf("  the daemon could not use it: %s\n", err);
		goto out;
	}
	negotiate_free(n);
	printf("  %s: the daemon can accept tickets for it\n",
	       l.principal[0] ? l.principal : "every key");
	if (!(cfg->schemes & CONFIG_SCHEME_NEGOTIATE) && cfg->n_schemes_by_source == 0)
		printf("  note: [auth] schemes does not list negotiate: it is not offered\n");

	if (l.principal[0] && principal_host(l.principal, host, sizeof(host)) == 0)
		check_host(host);
	check_clock();

	printf("clients:\n"
	       "  use the proxy by the name %s (port %u), never by its address: the ticket\n"
	       "  is for HTTP/ and that name\n"
	       "  Firefox: network.negotiate-auth.trusted-uris = %s,\n"
	       "           network.negotiate-auth.allow-proxies = true\n"
	       "  Chromium, Chrome, Edge: policy AuthServerAllowlist = %s\n"
	       "  Windows: the name in the Local intranet zone; MIT/Heimdal: kinit first\n",
	       host[0] ? host : "of the principal",
	       cfg->n_proxy_listen ? cidr_addr_port((struct sockaddr *)&cfg->proxy_listen[0].sa) : 3128,
	       host[0] ? host : "NAME", host[0] ? host : "NAME");
	ret = EXIT_DONE;
out:
	free(cfg);
	return ret;
}
