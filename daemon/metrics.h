/*
 * metrics — process-wide counters, updated with relaxed atomics from any
 * thread and read by the admin listener's /metrics (Prometheus text).
 */
#ifndef PORTCULLIS_METRICS_H
#define PORTCULLIS_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metrics_reason {
	METRICS_REASON_UNKNOWN_USER,
	METRICS_REASON_WRONG_PASSWORD,
	METRICS_REASON_DISABLED,
	METRICS_REASON_EXPIRED,
	METRICS_REASON_MALFORMED,
	METRICS_REASON_STALE_NONCE,
	METRICS_REASON_REPLAYED_NONCE,
	METRICS_REASON_LOCKED_OUT,
	METRICS_REASON_ACCOUNT_LOCKED,   /* by a directory (its password policy) */
	METRICS_REASON_FORGED_ANSWER,   /* a RADIUS answer that was not the server's */
	METRICS_REASON_KERBEROS_SKEW,      /* Negotiate: the client's clock is too far off */
	METRICS_REASON_KERBEROS_EXPIRED,   /* Negotiate: the ticket has expired */
	METRICS_REASON_KERBEROS_BAD_TOKEN, /* Negotiate: not for us, undecryptable, replayed */
	METRICS_REASON_COUNT,
};

struct metrics {
	uint64_t requests;            /* request heads parsed */
	uint64_t challenges;          /* 407 for requests without credentials */
	uint64_t auth_ok;             /* credentials accepted */
	uint64_t auth_cache_hits;
	uint64_t failures[METRICS_REASON_COUNT];
	uint64_t lockouts;            /* lockouts started */
	uint64_t locked_refusals;     /* requests refused while locked */
	uint64_t audit_written;
	uint64_t audit_dropped;       /* queue overflow: the loss is counted */
	uint64_t audit_unrecorded;    /* past a source's rows with no run free to fold into */
	uint64_t audit_write_errors;
	uint64_t connections_total;
	int64_t connections_open;
	uint64_t connections_refused; /* over a limit */
	uint64_t connections_refused_per_client;   /* of which over max_connections_per_client */
	uint64_t bad_requests;        /* 400 */
	uint64_t denied;              /* 403 */
	uint64_t policy_refusals;     /* 403 by a group policy (also in denied) */
	uint64_t upstream_errors;     /* 502/504 */
	uint64_t tunnels;
	uint64_t bytes_to_clients;
	uint64_t bytes_from_clients;
	int64_t db_ok;                /* 1 while the last database write worked */
	uint64_t nft_restores;        /* the nftables table put back after another process
				       * deleted or changed it */
	/* what the kernel counted for intercept sessions, live and ended, as
	 * of the last maintenance round (sessions.h: in = sent by clients) */
	uint64_t session_bytes_in, session_packets_in;
	uint64_t session_bytes_out, session_packets_out;
};

extern struct metrics metrics;

#define metrics_add(field, n) __atomic_add_fetch(&metrics.field, (n), __ATOMIC_RELAXED)
#define metrics_inc(field) metrics_add(field, 1)
#define metrics_get(field) __atomic_load_n(&metrics.field, __ATOMIC_RELAXED)
#define metrics_set(field, v) __atomic_store_n(&metrics.field, (v), __ATOMIC_RELAXED)

/* Reason name as stored in the audit ("wrong_password" ...). */
const char *metrics_reason_name(enum metrics_reason r);

/* Write the Prometheus text exposition into buf; returns bytes or -1. */
int metrics_format(char *buf, size_t len);

#endif
