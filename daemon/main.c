/*
 * portcullisd — the authenticating gateway daemon.
 *
 *   portcullisd -c FILE       run in the foreground (systemd Type=notify)
 *   portcullisd -t -c FILE    check the configuration and exit
 *
 * Signals are taken by the main thread alone (blocked everywhere else):
 * SIGHUP re-opens the access log and re-applies the log level, SIGTERM and
 * SIGINT drain and stop; in intercept mode the daemon's nftables table
 * goes with it (gate_free).
 */
#include <errno.h>
#include <getopt.h>
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
#include "gate.h"
#include "log.h"
#include "portal.h"
#include "process.h"
#include "proxy.h"

#define DEFAULT_CONFIG "/etc/portcullis/portcullis.conf"
#define DRAIN_SECONDS  10

static void usage(FILE *out)
{
	fprintf(out,
		"usage: portcullisd [-t] [-c FILE]\n"
		"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		"  -t        check the configuration, print \"configuration OK\" and exit\n"
		"  -h        this help\n");
}

static int apply_log_level(const struct config *cfg)
{
	enum log_level level;

	if (log_level_parse(cfg->log_level, &level) < 0)
		return -1;
	log_set_level(level);
	return 0;
}

static void reload(const char *path, struct config *cfg, struct accesslog *alog)
{
	struct config *fresh = malloc(sizeof(*fresh));
	char err[512];

	sd_notify(0, "RELOADING=1");
	if (!fresh) {
		log_error("reload: out of memory");
	} else if (config_load(fresh, path, err, sizeof(err)) < 0) {
		log_error("reload refused, the running configuration stays: %s", err);
	} else {
		/* what can change without new listeners takes effect now; the
		 * rest needs a restart and is said so */
		strcpy(cfg->log_level, fresh->log_level);
		apply_log_level(cfg);
		log_notice("configuration reloaded from %s", path);
	}
	free(fresh);
	if (accesslog_reopen(alog) < 0)
		log_error("reload: cannot reopen the access log: %s", strerror(errno));
	sd_notify(0, "READY=1");
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int check_only = 0, opt, rc = 1;
	static struct config cfg;
	char err[512];
	struct accesslog *alog = NULL;
	struct gate *gate = NULL;
	struct proxy *proxy = NULL;
	struct admin_server *admin = NULL;
	struct portal_server *portal = NULL;
	sigset_t sigs;
	uint64_t watchdog_usec = 0;
	unsigned long max_fds = 0;

	while ((opt = getopt(argc, argv, "c:th")) != -1) {
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
		printf("%s: configuration OK\n", path);
		return 0;
	}
	apply_log_level(&cfg);

	/* block before any thread starts, so every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.access_log[0]) {
		alog = accesslog_open(cfg.access_log, err, sizeof(err));
		if (!alog) {
			log_error("%s", err);
			goto out;
		}
	}
	gate = gate_new(&cfg, err, sizeof(err));
	if (!gate) {
		log_error("cannot start: %s", err);
		goto out;
	}
	proxy = proxy_new(&cfg, gate, alog, err, sizeof(err));
	if (!proxy) {
		log_error("cannot start: %s", err);
		goto out;
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
		portal = portal_server_new(&cfg, gate, err, sizeof(err));
		if (!portal) {
			log_error("cannot start: %s", err);
			goto out;
		}
		log_notice("login portal on %s", cfg.portal_listen.text);
	}
	if (proxy_start(proxy) < 0)
		goto out;
	if (cfg.intercept_interface[0])
		log_notice("intercept mode on %s: HTTP to port %u, TLS to port %u, nftables table inet portcullis",
			   cfg.intercept_interface, cfg.intercept_http_port, cfg.intercept_https_port);
	for (size_t i = 0; i < cfg.n_proxy_listen; i++)
		log_notice("explicit proxy listening on %s", cfg.proxy_listen[i].text);
	log_notice("portcullisd started: %u workers, database %s, %lu descriptors, no core dumps",
		   proxy_workers(proxy), cfg.db_path, max_fds);
	sd_notify(0, "READY=1");
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig;

		if (watchdog_usec) {
			ts.tv_sec = (time_t)(watchdog_usec / 2 / 1000000);
			ts.tv_nsec = (long)(watchdog_usec / 2 % 1000000) * 1000;
		}
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig < 0) {
			if (watchdog_usec)
				sd_notify(0, "WATCHDOG=1");
			continue;
		}
		if (sig == SIGHUP) {
			reload(path, &cfg, alog);
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
	proxy_free(proxy);
	if (gate)
		gate_flush(gate);
	gate_free(gate);
	accesslog_close(alog);
	if (rc == 0)
		log_notice("portcullisd stopped");
	return rc;
}
