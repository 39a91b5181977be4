/*
 * portcullisd — the authenticating gateway daemon.
 *
 *   portcullisd -c FILE       run in the foreground (systemd Type=notify)
 *   portcullisd -t -c FILE    check the configuration (and the files a start
 *                             reads) and exit
 *
 * Signals are taken by the main thread alone (blocked everywhere else):
 * SIGHUP reloads the configuration (see reload() for what changes without
 * a restart) and re-opens the access log, SIGTERM and SIGINT drain and stop;
 * in intercept mode the daemon's nftables table is left closed
 * (intercept_free).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "admin.h"
#include "config.h"
#include "dae.h"
#include "directory.h"
#include "gate.h"
#include "intercept.h"
#include "log.h"
#include "loop.h"
#include "portal.h"
#include "process.h"
#include "proxy.h"
#include "shaper.h"
#include "tls.h"
#include "tlscert.h"

#define DEFAULT_CONFIG "/etc/portcullis/portcullis.conf"
#define DRAIN_SECONDS  10

static void usage(FILE *out)
{
	fprintf(out,
		"usage: portcullisd [-t] [-c FILE]\n"
		"  -c, --config FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -t, --test         check the configuration and what a start reads (the\n"
		"                     portal's pages, TLS files, the access log's place), print\n"
		"                     \"configuration OK\" and exit\n"
		"  -h, --help         this help\n");
}

/*
 * What a start refuses before it opens a socket or the database, checked by
 * the same functions the start runs: -t calls this, so that `-t && restart`
 * and the unit's ExecStartPre mean the start will not fail on the files.
 */
static int check_start(const struct config *cfg, char *err, size_t errlen)
{
	char url[512];

	if (cfg->intercept_interface[0] && config_portal_url(cfg, url, sizeof(url), err, errlen) < 0)
		return -1;
	if (cfg->portal_enabled && portal_check(cfg, err, errlen) < 0)
		return -1;
	if (admin_check(cfg, err, errlen) < 0)
		return -1;
	if (accesslog_check(cfg->access_log, err, errlen) < 0)
		return -1;
	if (directory_config_check(cfg, err, errlen) < 0)
		return -1;
	return 0;
}

/* The TLS listeners' certificate: [proxy] tls_cert and tls_key, or a
 * self-signed pair next to the database, made at the first start. */
static struct tls_server *proxy_tls_setup(const struct config *cfg, char *err, size_t errlen)
{
	char cert[CONFIG_PATH_MAX + 32], key[CONFIG_PATH_MAX + 32], names[1024], fp[128];
	const struct sockaddr *listen[CONFIG_MAX_LISTEN];
	struct tls_server *tls;
	int generated = 0;

	if (cfg->proxy_tls_cert[0]) {
		snprintf(cert, sizeof(cert), "%s", cfg->proxy_tls_cert);
		snprintf(key, sizeof(key), "%s", cfg->proxy_tls_key);
	} else {
		if (tlscert_default_paths(cfg->db_path, "proxy", cert, sizeof(cert), key,
					  sizeof(key)) < 0) {
			snprintf(err, errlen, "proxy.tls_listen: the database path is too long");
			return NULL;
		}
		for (size_t i = 0; i < cfg->n_proxy_tls_listen; i++)
			listen[i] = (const struct sockaddr *)&cfg->proxy_tls_listen[i].sa;
		tlscert_alt_names(listen, cfg->n_proxy_tls_listen, names, sizeof(names));
		generated = tlscert_ensure(cert, key, "Portcullis proxy", names, err, errlen);
		if (generated < 0)
			return NULL;
	}
	tls = tls_server_new(cert, key, fp, sizeof(fp), err, errlen);
	if (!tls)
		return NULL;
	if (generated)
		log_notice("proxy: generated a self-signed certificate %s (key %s)", cert, key);
	log_notice("proxy: TLS certificate %s, SHA-256 fingerprint %s", cert, fp);
	return tls;
}

static int apply_log_level(const struct config *cfg)
{
	enum log_level level;

	if (log_level_parse(cfg->log_level, &level) < 0)
		return -1;
	log_set_level(level);
	return 0;
}

/*
 * SIGHUP. A file that fails the same checks as -t is refused as a whole and
 * the running configuration stays. Otherwise what can change without new
 * listeners, threads or database takes effect: the gate and the proxy each
 * get an immutable snapshot (snapshot.h), so a worker in the middle of a
 * request never sees half a configuration; settings that need a restart
 * keep their running values and are named in the log. The access log is
 * re-opened either way (logrotate's postrotate sends SIGHUP).
 */
static void reload(const char *path, struct config *running, struct gate *gate,
		   struct proxy *proxy, struct accesslog *alog)
{
	struct config *fresh = malloc(sizeof(*fresh));
	char err[512], restart[384];
	int reopened = 0;

	sd_notify(0, "RELOADING=1");
	if (!fresh) {
		log_error("reload refused, the running configuration stays: out of memory");
		goto reopen;
	}
	if (config_load(fresh, path, err, sizeof(err)) < 0) {
		log_error("reload refused, the running configuration stays: %s", err);
		goto reopen;
	}
	if (config_keep_restart_keys(fresh, running, restart, sizeof(restart)) > 0)
		log_warn("reload: %s changed; that needs a restart, the running value%s stay%s",
			 restart, strchr(restart, ',') ? "s" : "", strchr(restart, ',') ? "" : "s");
	if (strcmp(fresh->access_log, running->access_log) != 0) {
		if (accesslog_set_path(alog, fresh->access_log, err, sizeof(err)) < 0) {
			log_error("reload: %s; the access log stays %s", err,
				  running->access_log[0] ? running->access_log : "off");
			memcpy(fresh->access_log, running->access_log, sizeof(fresh->access_log));
		} else {
			log_notice("access log now %s", fresh->access_log[0] ? fresh->access_log : "off");
			reopened = 1;
		}
	}
	if (gate_reconfigure(gate, fresh) < 0 || proxy_reconfigure(proxy, fresh) < 0) {
		/* the gate may have taken the new settings already: put the old
		 * ones back so both halves agree */
		gate_reconfigure(gate, running);
		log_error("reload refused, the running configuration stays: out of memory");
		goto reopen;
	}
	*running = *fresh;
	apply_log_level(running);
	log_notice("configuration reloaded from %s", path);
reopen:
	free(fresh);
	if (!reopened && accesslog_reopen(alog) < 0)
		log_error("reload: cannot reopen the access log: %s", strerror(errno));
	sd_notify(0, "READY=1");
}

/*
 * The watchdog stands for the whole daemon, not for this thread: ping only
 * while every worker loop still runs its once-a-second tick, so that a
 * wedged worker gets the daemon restarted. Pings go out every half period
 * (the loop wakes every quarter), also while signals keep arriving.
 */
static void watchdog_ping(struct proxy *proxy, uint64_t watchdog_usec, int64_t *last_ping_ms,
			  int *stuck)
{
	int64_t now = loop_mono_ms(), period_ms = (int64_t)(watchdog_usec / 1000);
	int64_t max_age_ms = period_ms / 2 > 3000 ? period_ms / 2 : 3000;

	if (now - *last_ping_ms < period_ms / 2)
		return;
	if (!proxy_alive(proxy, max_age_ms)) {
		if (!*stuck)
			log_error("a worker loop has not run for %lld ms: no watchdog ping, "
				  "systemd will restart the daemon", (long long)max_age_ms);
		*stuck = 1;
		return;
	}
	*stuck = 0;
	sd_notify(0, "WATCHDOG=1");
	*last_ping_ms = now;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int check_only = 0, opt, rc = 1;
	/* cfg is what the daemon started with, borrowed by every module for
	 * what only a restart changes, and never written after the start;
	 * running follows the reloads (main thread only) */
	static struct config cfg, running;
	char err[512];
	struct accesslog *alog = NULL;
	struct gate *gate = NULL;
	struct intercept *ix = NULL;
	struct dae *dae = NULL;
	struct shaper *own_shaper = NULL;   /* [shaping] with the explicit proxy alone */
	struct proxy *proxy = NULL;
	struct tls_server *proxy_tls = NULL;
	struct admin_server *admin = NULL;
	struct portal_server *portal = NULL;
	sigset_t sigs;
	uint64_t watchdog_usec = 0;
	int64_t last_ping_ms = 0;
	int stuck = 0;
	unsigned long max_fds = 0;

	static const struct option long_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((opt = getopt_long(argc, argv, "c:th", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': check_only = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(LOG_LEVEL_INFO, getenv("JOURNAL_STREAM") != NULL);
	/* before the configuration or anything secret is read */
	if (process_harden(&max_fds, err, sizeof(err)) < 0) {
		fprintf(stderr, "portcullisd: %s\n", err);
		return 1;
	}
	if (config_load(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "portcullisd: %s\n", err);
		return 1;
	}
	if (check_only) {
		if (check_start(&cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "portcullisd: %s: %s\n", path, err);
			return 1;
		}
		printf("%s: configuration OK\n", path);
		return 0;
	}
	apply_log_level(&cfg);
	/* [shaping] programs HTB leaves and marks the explicit proxy's
	 * sockets with priorities above 6: both need CAP_NET_ADMIN */
	if (!cfg.intercept_interface[0] && !cfg.shaping_enabled) {
		if (process_drop_net_admin(err, sizeof(err)) < 0) {
			log_error("cannot start: %s", err);
			return 1;
		}
		log_info("explicit proxy only: CAP_NET_ADMIN given up");
	}
	/* The proxy's relay buffers (32 KiB) exist only while data is in
	 * flight, so tens of thousands come and go each second. With glibc's
	 * default 128 KiB trim threshold every few frees hand the top of a
	 * thread's heap back to the kernel (madvise) and the next requests
	 * fault the pages in again, with TLB shootdowns across cores: keep up
	 * to 16 MiB of freed memory per arena instead. */
	mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);

	/* block before any thread starts, so every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	running = cfg;
	/* always an object, so a reload can turn the access log on */
	alog = accesslog_open(cfg.access_log, err, sizeof(err));
	if (!alog) {
		log_error("%s", err);
		goto out;
	}
	gate = gate_new(&cfg, err, sizeof(err));
	if (!gate) {
		log_error("cannot start: %s", err);
		goto out;
	}
	/* intercept mode: the table, the sessions, and the whitelist the gate
	 * loads followed into the kernel */
	if (cfg.intercept_interface[0]) {
		ix = intercept_new(&cfg, err, sizeof(err));
		if (!ix) {
			log_error("cannot start: %s", err);
			goto out;
		}
		gate_on_whitelist(gate, intercept_whitelist_cb, ix);
		gate_on_session_rate(gate, intercept_session_rate_cb, ix);
		intercept_follow_policy(ix, gate);
	}
	/* RADIUS Disconnect and CoA act on the intercept's sessions */
	if (ix && cfg.radius_dae_enabled) {
		dae = dae_new(&cfg, ix, err, sizeof(err));
		if (!dae) {
			log_error("cannot start: %s", err);
			goto out;
		}
	}
	if (cfg.n_proxy_tls_listen) {
		proxy_tls = proxy_tls_setup(&cfg, err, sizeof(err));
		if (!proxy_tls) {
			log_error("cannot start: %s", err);
			goto out;
		}
	}
	proxy = proxy_new(&cfg, gate, ix, alog, proxy_tls, err, sizeof(err));
	if (!proxy) {
		log_error("cannot start: %s", err);
		goto out;
	}
	/* the explicit proxy's users are shaped in the intercept sessions'
	 * tree, or, with the explicit proxy alone, in one of their own */
	if (cfg.shaping_enabled) {
		if (!ix && !(own_shaper = shaper_new(&cfg, err, sizeof(err)))) {
			log_error("cannot start: %s", err);
			goto out;
		}
		proxy_set_shaper(proxy, ix ? intercept_shaper(ix) : own_shaper);
	}
	if (cfg.admin_enabled) {
		admin = admin_server_new(&cfg, gate, err, sizeof(err));
		if (!admin) {
			log_error("cannot start: %s", err);
			goto out;
		}
		log_notice("admin listener (/api/, /metrics) on %s", cfg.admin_listen.text);
	}
	if (cfg.portal_enabled) {
		portal = portal_server_new(&cfg, gate, ix, err, sizeof(err));
		if (!portal) {
			log_error("cannot start: %s", err);
			goto out;
		}
		log_notice("login portal on %s%s", cfg.portal_listen.text,
			   cfg.portal_tls_cert[0] ? " (HTTPS)" : "");
		if (cfg.intercept_interface[0] && !cfg.portal_tls_cert[0])
			log_warn("portal: the login form posts passwords over plain HTTP, readable on "
				 "the LAN: set [portal] tls_cert and tls_key to serve it over HTTPS");
	}
	if (proxy_start(proxy) < 0)
		goto out;
	if (cfg.intercept_interface[0])
		log_notice("intercept mode on %s: HTTP to port %u, TLS to port %u, nftables table inet portcullis",
			   cfg.intercept_interface, cfg.intercept_http_port, cfg.intercept_https_port);
	for (size_t i = 0; i < cfg.n_proxy_listen; i++)
		log_notice("explicit proxy listening on %s", cfg.proxy_listen[i].text);
	for (size_t i = 0; i < cfg.n_proxy_tls_listen; i++)
		log_notice("explicit proxy listening for TLS on %s", cfg.proxy_tls_listen[i].text);
	if (cfg.basic_over_tls_only && cfg.n_proxy_listen &&
	    !(cfg.schemes & ~(unsigned)CONFIG_SCHEME_BASIC))
		log_warn("auth.basic_over_tls_only with Basic the only scheme: the plain listeners "
			 "offer none (only whitelisted clients pass there)");
	log_notice("portcullisd started: %u workers, database %s, %lu descriptors, no core dumps",
		   proxy_workers(proxy), cfg.db_path, max_fds);
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig;

		if (watchdog_usec) {
			ts.tv_sec = (time_t)(watchdog_usec / 4 / 1000000);
			ts.tv_nsec = (long)(watchdog_usec / 4 % 1000000) * 1000;
		}
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (watchdog_usec)
			watchdog_ping(proxy, watchdog_usec, &last_ping_ms, &stuck);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			reload(path, &running, gate, proxy, alog);
			continue;
		}
		log_notice("signal %d: draining connections (up to %d s)", sig, DRAIN_SECONDS);
		sd_notify(0, "STOPPING=1");
		break;
	}
	proxy_stop(proxy, DRAIN_SECONDS);
	rc = 0;
out:
	portal_server_free(portal);
	admin_server_free(admin);
	/* slow checks complete on the proxy's loops: their threads end first */
	gate_stop_checks(gate);
	proxy_free(proxy);
	shaper_free(own_shaper);
	tls_server_free(proxy_tls);
	dae_free(dae);
	if (ix) {
		gate_on_whitelist(gate, NULL, NULL);
		gate_on_session_rate(gate, NULL, NULL);
		intercept_free(ix);
	}
	if (gate)
		gate_flush(gate);
	gate_free(gate);
	accesslog_close(alog);
	if (rc == 0)
		log_notice("portcullisd stopped");
	return rc;
}
