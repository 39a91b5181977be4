/*
 * proxy — the explicit authenticating proxy: listeners, worker loops and the
 * client/upstream connection pairs (RFC 9110, RFC 9112).
 *
 * Each worker thread runs its own loop with its own SO_REUSEPORT listeners,
 * so the kernel spreads connections and a connection never changes thread.
 * A connection is one object with a client half and an upstream half,
 * freed by exactly one function (conn_close) that also fixes the counters.
 */
#ifndef PORTCULLIS_PROXY_H
#define PORTCULLIS_PROXY_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct gate;
struct intercept;
struct accesslog;
struct proxy;
struct tls_server;

/* Binds every listener now, so a bad address stops the start with a clear
 * message. cfg, gate, ix (intercept mode's sessions and connections'
 * MACs, one reader per worker; NULL: intercept mode off), log and tls (the
 * [proxy] tls_listen listeners' certificate, NULL without them) are
 * borrowed and must outlive the proxy. */
struct proxy *proxy_new(const struct config *cfg, struct gate *gate, struct intercept *ix,
			struct accesslog *log, struct tls_server *tls, char *err, size_t errlen);
/* Start the worker threads. 0 or -1. */
int proxy_start(struct proxy *p);
/* Stop accepting, let in-flight exchanges finish for up to grace seconds,
 * then close everything and join the workers. */
void proxy_stop(struct proxy *p, unsigned grace);
void proxy_free(struct proxy *p);

/* Apply a reloaded configuration (SIGHUP): limits, timeouts, CONNECT
 * ports, deny ranges, Via. cfg is borrowed for the call (copied); listeners
 * and workers stay as started. Each worker switches within a second;
 * connections in flight are not touched. 0, or -1 out of memory. */
int proxy_reconfigure(struct proxy *p, const struct config *cfg);

/* 1 if every worker loop has run its tick within max_age_ms, else 0 (a
 * loop is stuck: the systemd watchdog should stop being fed). Thread-safe. */
int proxy_alive(struct proxy *p, int64_t max_age_ms);

/* [shaping]: the shaper the explicit proxy's users are shaped in
 * (shaper.h); borrowed, must outlive the proxy. Before proxy_start. */
struct shaper;
void proxy_set_shaper(struct proxy *p, struct shaper *sh);

/* Number of worker threads (after proxy_new). */
unsigned proxy_workers(const struct proxy *p);

#endif
