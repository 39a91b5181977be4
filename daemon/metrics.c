#include "metrics.h"

#include <stdio.h>

struct metrics metrics = { .db_ok = 1 };

static const char *const reason_names[METRICS_REASON_COUNT] = {
	[METRICS_REASON_UNKNOWN_USER] = "unknown_user",
	[METRICS_REASON_WRONG_PASSWORD] = "wrong_password",
	[METRICS_REASON_DISABLED] = "disabled",
	[METRICS_REASON_EXPIRED] = "expired",
	[METRICS_REASON_MALFORMED] = "malformed",
	[METRICS_REASON_STALE_NONCE] = "stale_nonce",
	[METRICS_REASON_REPLAYED_NONCE] = "replayed_nonce",
	[METRICS_REASON_LOCKED_OUT] = "locked_out",
	[METRICS_REASON_ACCOUNT_LOCKED] = "account_locked",
	[METRICS_REASON_FORGED_ANSWER] = "forged_answer",
	[METRICS_REASON_KERBEROS_SKEW] = "kerberos_skew",
	[METRICS_REASON_KERBEROS_EXPIRED] = "kerberos_expired",
	[METRICS_REASON_KERBEROS_BAD_TOKEN] = "kerberos_bad_token",
};

const char *metrics_reason_name(enum metrics_reason r)
{
	return r < METRICS_REASON_COUNT ? reason_names[r] : "unknown";
}

int metrics_format(char *buf, size_t len)
{
	size_t off = 0;
	int n;

#define EMIT(...) do { \
		n = snprintf(buf + off, len - off, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= len - off) \
			return -1; \
		off += (size_t)n; \
	} while (0)
#define COUNTER(name, help, field) \
	EMIT("# HELP portcullis_" name " " help "\n# TYPE portcullis_" name " counter\n" \
	     "portcullis_" name " %llu\n", (unsigned long long)metrics_get(field))
#define GAUGE(name, help, field) \
	EMIT("# HELP portcullis_" name " " help "\n# TYPE portcullis_" name " gauge\n" \
	     "portcullis_" name " %lld\n", (long long)metrics_get(field))

	COUNTER("requests_total", "Request heads received.", requests);
	COUNTER("challenges_total", "407 challenges to requests without credentials.", challenges);
	COUNTER("auth_success_total", "Credentials accepted.", auth_ok);
	COUNTER("auth_cache_hits_total", "Credentials accepted from the in-memory cache.", auth_cache_hits);
	EMIT("# HELP portcullis_auth_failures_total Failed authentications by reason.\n"
	     "# TYPE portcullis_auth_failures_total counter\n");
	for (int r = 0; r < METRICS_REASON_COUNT; r++)
		EMIT("portcullis_auth_failures_total{reason=\"%s\"} %llu\n", reason_names[r],
		     (unsigned long long)__atomic_load_n(&metrics.failures[r], __ATOMIC_RELAXED));
	COUNTER("lockouts_total", "Brute-force lockouts started.", lockouts);
	COUNTER("locked_refusals_total", "Attempts refused during a lockout.", locked_refusals);
	COUNTER("audit_written_total", "Audit records written to the database.", audit_written);
	COUNTER("audit_dropped_total", "Audit records lost because the queue overflowed.", audit_dropped);
	COUNTER("audit_unrecorded_total",
		"Failures given no audit row: past their address's rows for the minute, with no "
		"run free to fold them into (still logged and counted by reason).", audit_unrecorded);
	COUNTER("audit_write_errors_total", "Failed attempts to write audit batches.", audit_write_errors);
	COUNTER("connections_total", "Client connections accepted.", connections_total);
	GAUGE("connections_open", "Client connections open now.", connections_open);
	COUNTER("connections_refused_total", "Connections refused by a limit.", connections_refused);
	COUNTER("connections_refused_per_client_total",
		"Connections refused because their address had max_connections_per_client open.",
		connections_refused_per_client);
	COUNTER("bad_requests_total", "Requests answered 400.", bad_requests);
	COUNTER("denied_total", "Requests answered 403.", denied);
	COUNTER("policy_refusals_total", "Requests refused by a group policy (403).", policy_refusals);
	COUNTER("upstream_errors_total", "Requests answered 502 or 504.", upstream_errors);
	COUNTER("tunnels_total", "CONNECT tunnels and upgrades established.", tunnels);
	COUNTER("bytes_to_clients_total", "Bytes sent to clients.", bytes_to_clients);
	COUNTER("bytes_from_clients_total", "Bytes received from clients.", bytes_from_clients);
	GAUGE("database_ok", "1 while the database accepts writes.", db_ok);
	COUNTER("nft_table_restored_total", "Times the nftables table was put back after another process deleted or changed it.", nft_restores);
	COUNTER("session_bytes_in_total", "IP bytes intercept-mode sessions sent on the LAN interface, as the kernel counted them (sessions since the start).", session_bytes_in);
	COUNTER("session_packets_in_total", "IP packets intercept-mode sessions sent on the LAN interface.", session_packets_in);
	COUNTER("session_bytes_out_total", "IP bytes sent to intercept-mode sessions on the LAN interface, as the kernel counted them.", session_bytes_out);
	COUNTER("session_packets_out_total", "IP packets sent to intercept-mode sessions on the LAN interface.", session_packets_out);
#undef EMIT
#undef COUNTER
#undef GAUGE
	return (int)off;
}
