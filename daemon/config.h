/*
 * config — the INI-style configuration file.
 *
 * The keys are a table in config.c (section, key, type, bounds, default and
 * whether a change needs a restart, one line each); etc/portcullis.conf
 * documents every one of them. Unknown sections or keys and out-of-range
 * values are errors that name the file and line; settings of different keys
 * that do not go together are errors of config_validate. Every key has a
 * default, so an empty file is a valid configuration.
 */
#ifndef PORTCULLIS_CONFIG_H
#define PORTCULLIS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"

#define CONFIG_MAX_LISTEN   8
#define CONFIG_MAX_PORTS    32
#define CONFIG_MAX_RANGES   64
#define CONFIG_PATH_MAX     512
#define CONFIG_SOURCE_NAME_MAX 31   /* an identity source's name */
#define CONFIG_MAX_RADIUS   8

/* Authentication schemes, in the order they are offered (strongest first). */
enum config_scheme {
	CONFIG_SCHEME_DIGEST_SHA256 = 1 << 0,
	CONFIG_SCHEME_DIGEST_MD5    = 1 << 1,
	CONFIG_SCHEME_BASIC         = 1 << 2,
	CONFIG_SCHEME_NEGOTIATE     = 1 << 3,   /* offered before the others */
};

#define CONFIG_MAX_SCHEME_RANGES 16

/* [auth] schemes_by_source: the schemes offered to clients in a range */
struct config_scheme_range {
	struct cidr range;
	unsigned schemes;              /* enum config_scheme bits */
};

struct config_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[64];                 /* as written, e.g. "127.0.0.1:3128" */
};

struct config {
	/* [proxy] */
	struct config_addr proxy_listen[CONFIG_MAX_LISTEN];
	size_t n_proxy_listen;
	unsigned workers;              /* 0: one per CPU */
	unsigned max_connections;      /* total client connections */
	unsigned max_connections_per_client;
	unsigned header_timeout;       /* s: whole request head must arrive */
	unsigned idle_timeout;         /* s: keep-alive between requests */
	unsigned connect_timeout;      /* s: upstream connect */
	unsigned upstream_timeout;     /* s: waiting for the origin's response / idle body */
	unsigned tunnel_idle_timeout;  /* s: CONNECT/WebSocket with no traffic */
	uint16_t connect_ports[CONFIG_MAX_PORTS];
	size_t n_connect_ports;
	struct cidr deny_ranges[CONFIG_MAX_RANGES];   /* in addition to the built-in ones */
	size_t n_deny_ranges;
	uint16_t gateway_ports[CONFIG_MAX_PORTS];    /* open on the gateway's own addresses */
	size_t n_gateway_ports;
	int via;                       /* add a Via header */
	char access_log[CONFIG_PATH_MAX];   /* "" or "-": none / stdout */
	unsigned dns_cache_size;       /* names whose addresses are kept; 0 none */
	unsigned max_lookups_per_client;    /* name lookups in flight per address */
	struct config_addr proxy_tls_listen[CONFIG_MAX_LISTEN];   /* TLS to the proxy; none: off */
	size_t n_proxy_tls_listen;
	char proxy_tls_cert[CONFIG_PATH_MAX];   /* "": a self-signed pair made at first start */
	char proxy_tls_key[CONFIG_PATH_MAX];

	/* [auth] */
	unsigned schemes;              /* enum config_scheme bits */
	char realm[128];
	unsigned cache_ttl;            /* s: verified credentials kept in memory */
	/* the first range holding the client decides its schemes; none: schemes */
	struct config_scheme_range schemes_by_source[CONFIG_MAX_SCHEME_RANGES];
	size_t n_schemes_by_source;
	unsigned nonce_lifetime;       /* s: Digest nonce; older is stale */
	unsigned lockout_threshold;    /* failures in window before lockout; 0 off */
	unsigned lockout_window;       /* s */
	unsigned lockout_duration;     /* s */
	int basic_over_tls_only;       /* plain listeners offer and take Digest only */
	char auth_sources[128];        /* identity source names (idsource.h),
					* comma-separated, in the order asked */

	/* [db] */
	char db_path[CONFIG_PATH_MAX];
	unsigned audit_retention_days;
	unsigned audit_queue_size;

	/* [admin] */
	struct config_addr admin_listen;
	int admin_enabled;             /* listen = "" disables */
	char admin_tls_cert[CONFIG_PATH_MAX];
	char admin_tls_key[CONFIG_PATH_MAX];
	int admin_tls;
	char web_root[CONFIG_PATH_MAX];
	char admin_hostnames[1024];    /* lower-case DNS names, comma-separated; "" none */
	struct cidr metrics_allow[CONFIG_MAX_RANGES];   /* may read /metrics without a token */
	size_t n_metrics_allow;
	char metrics_token_file[CONFIG_PATH_MAX];       /* "": no token */

	/* [intercept] */
	char intercept_interface[64];  /* "" off */
	uint16_t intercept_http_port;
	uint16_t intercept_https_port;
	unsigned session_idle_timeout; /* s: a session without traffic ends */
	unsigned session_lifetime;     /* s: a session ends this long after login */
	int intercept_bypass;          /* logged-in clients skip the daemon */
	unsigned intercept_mark;       /* SO_MARK of the daemon's upstream sockets */
	int intercept_fail_open;       /* stopped or dead daemon: LAN forwarding open */

	/* [shaping] */
	int shaping_enabled;           /* intercept mode's devices get bandwidth classes */
	char shaping_classes[1024];    /* "NAME=RATE[/CEIL], ..." (shaper.h) */
	char shaping_default_class[32];     /* "" none: unclassed users unshaped */
	char shaping_upload_interface[64];  /* "" upload not shaped */
	char shaping_quota_action[16]; /* "end": a used-up data quota ends the session
					* (refuses the explicit user);
					* "throttle": it moves the device (the explicit
					* user's leaf) to quota_class */
	char shaping_quota_class[32];  /* the class a throttled device or explicit
					* user is in, unless its group policy
					* names one (shaper_throttle_class) */
	char shaping_interface[64];    /* the LAN side, explicit proxy only; ""
					* the intercept interface */

	/* [portal] */
	struct config_addr portal_listen;
	int portal_enabled;
	char portal_url[256];          /* "": http(s)://listen-address/ */
	char portal_tls_cert[CONFIG_PATH_MAX];
	char portal_tls_key[CONFIG_PATH_MAX];
	char pac_proxy[128];           /* host:port in /proxy.pac; "": first proxy listen */
	struct cidr pac_direct[CONFIG_MAX_RANGES];   /* DIRECT in /proxy.pac; none: the LAN's */
	size_t n_pac_direct;
	char portal_terms[16];         /* click-through terms: "off", "alone", "before_login" */
	unsigned portal_terms_lifetime;  /* s: a session that accepting the terms alone starts */
	char portal_language[17];      /* the portal's language when the browser asks for none shipped */
	char portal_lang_dir[CONFIG_PATH_MAX];   /* the catalogues; "": web_root/../lang */

	/* [ldap] */
	char ldap_uri[1024];           /* URIs, comma- or space-separated; "": no directory */
	int ldap_allow_plaintext;      /* ldap:// without StartTLS */
	char ldap_ca_file[CONFIG_PATH_MAX];
	char ldap_base[512];
	char ldap_user_filter[512];    /* "%s": the escaped login name */
	char ldap_bind_dn[512];        /* "": anonymous search */
	char ldap_bind_password_file[CONFIG_PATH_MAX];
	unsigned ldap_timeout;         /* s: connect, TLS, each operation */
	unsigned ldap_connections;     /* pool size */
	char ldap_group_attribute[64]; /* e.g. memberOf; "" none */
	char ldap_group_base[512];     /* "": base */
	char ldap_group_filter[512];   /* "": no group search; %s login, %d entry DN */
	unsigned ldap_group_cache_ttl; /* s: a user's groups read again after this */

	/* [log] */
	char log_level[16];

	/* [radius] */
	struct config_addr radius_servers[CONFIG_MAX_RADIUS];   /* asked in order */
	size_t n_radius_servers;
	char radius_secret_file[CONFIG_PATH_MAX];   /* the shared secret, one line */
	char radius_nas_identifier[64];             /* NAS-Identifier; "": the host name */
	unsigned radius_timeout;       /* s: waiting for one answer */
	unsigned radius_retries;       /* sends after the first, per server */
	int radius_unreachable_local;  /* no server answers: ask the local database
					* (1) or refuse with 503 (0) */
	/* RADIUS Dynamic Authorization (RFC 5176): Disconnect and CoA */
	struct config_addr radius_dae_listen;          /* UDP */
	int radius_dae_enabled;                        /* dae_listen not empty */
	struct cidr radius_dae_clients[CONFIG_MAX_RANGES];   /* may send requests */
	size_t n_radius_dae_clients;
	/* RADIUS accounting: servers ("": the servers' addresses, port 1813),
	 * the Interim-Update interval when the Access-Accept gives none (0: none) */
	struct config_addr radius_accounting_servers[CONFIG_MAX_RADIUS];
	size_t n_radius_accounting_servers;
	unsigned radius_accounting_interval;   /* s */

	/* [kerberos] (Negotiate, RFC 4559) */
	char kerberos_keytab[CONFIG_PATH_MAX];     /* "": Negotiate cannot be offered */
	char kerberos_principal[256];  /* HTTP/NAME@REALM; "": any key of the keytab */
	int kerberos_strip_realm;      /* alice@EX.ORG logs in as alice */
};

/* Fill cfg with every default. */
void config_defaults(struct config *cfg);

/*
 * Parse path into cfg (which config_load first sets to the defaults), then
 * config_validate it. On error returns -1 and writes "FILE:LINE: message"
 * (or "FILE: message" from config_validate) into err.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Same, from a string (for tests); name is used in messages. */
int config_parse(struct config *cfg, const char *name, const char *text,
		 char *err, size_t errlen);

/*
 * The rules between keys, which no one key's bounds can say: a TLS
 * certificate goes with its key; intercept mode needs the login portal,
 * whose URL must be known (portal.url, or a portal.listen that is not a
 * wildcard); no two listeners (proxy.listen, admin.listen, portal.listen,
 * the intercept ports, which take every address) share an address and
 * port. 0, or -1 with the rule broken in err.
 */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/*
 * A reload applies what can change without new listeners, threads or
 * database: copy into fresh, from running, every key the table marks as
 * needing a restart, and write the names ("section.key") of those the new
 * file changed, comma-separated in table order, into changed ("" when none;
 * cut short with "..." when it does not fit). Returns how many there were.
 */
int config_keep_restart_keys(struct config *fresh, const struct config *running,
			     char *changed, size_t changed_len);

/* "section.key" of the i-th known key, NULL past the end (for the test that
 * keeps etc/portcullis.conf documenting every key). */
const char *config_key_name(size_t i);

/* 1 if a change of the i-th key waits for a restart (for the test that
 * keeps the manual's "(restart)" marks true), 0 if a reload applies it. */
int config_key_needs_restart(size_t i);

/* The portal's URL the intercept challenge sends clients to: [portal] url,
 * or http(s)://LISTEN/ from [portal] listen. 0, or -1 with a message. */
int config_portal_url(const struct config *cfg, char *out, size_t outlen, char *err, size_t errlen);

#endif
