#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snapshot *snapshot_new(const struct config *cfg)
{
	struct snapshot *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->refs = 1;
	return s;
}

struct snapshot *snapshot_hold(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snapshot_release(struct snapshot *s)
{
	/* acquire-release: whoever frees must see every other holder's reads
	 * finished (the usual reference-count ordering) */
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

void snapshot_slot_init(struct snapshot_slot *slot, struct snapshot *s)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->current = s;
	slot->generation = 1;
}

void snapshot_slot_fini(struct snapshot_slot *slot)
{
	snapshot_release(slot->current);
	slot->current = NULL;
	pthread_mutex_destroy(&slot->lock);
}

void snapshot_slot_publish(struct snapshot_slot *slot, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = s;
	__atomic_add_fetch(&slot->generation, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot->lock);
	snapshot_release(old);
}

/* The lock makes "read the pointer, take a reference" one step: without it
 * a publish between the two could free the snapshot being held. */
struct snapshot *snapshot_slot_get(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = snapshot_hold(slot->current);
	pthread_mutex_unlock(&slot->lock);
	return s;
}

uint64_t snapshot_slot_generation(struct snapshot_slot *slot)
{
	return __atomic_load_n(&slot->generation, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------ reload */

struct changes {
	char *buf;
	size_t len;
	int n;
	int full;      /* "..." written: nothing more fits */
};

static void note(struct changes *ch, const char *name)
{
	size_t used;

	ch->n++;
	if (ch->len == 0 || ch->full)
		return;
	used = strlen(ch->buf);
	/* room for ", ", the name, a later ", ..." and the terminator */
	if (used + 2 + strlen(name) + 6 > ch->len) {
		ch->full = 1;
		if (used + 6 <= ch->len)
			snprintf(ch->buf + used, ch->len - used, "%s...", used ? ", " : "");
		return;
	}
	snprintf(ch->buf + used, ch->len - used, "%s%s", used ? ", " : "", name);
}

static int addr_differs(const struct config_addr *a, const struct config_addr *b)
{
	return a->len != b->len || memcmp(&a->sa, &b->sa, a->len) != 0;
}

/* Keep running's value of a plain field, noting a change. */
#define KEEP(field, name)                                                   \
	do {                                                                \
		if (memcmp(&fresh->field, &running->field, sizeof(fresh->field)) != 0) \
			note(&ch, name);                                    \
		memcpy(&fresh->field, &running->field, sizeof(fresh->field)); \
	} while (0)

/* The same for a string field (bytes past the terminator are not set). */
#define KEEP_STRING(field, name)                                            \
	do {                                                                \
		if (strcmp(fresh->field, running->field) != 0)              \
			note(&ch, name);                                    \
		memcpy(fresh->field, running->field, sizeof(fresh->field)); \
	} while (0)

int snapshot_keep_restart_keys(struct config *fresh, const struct config *running,
			       char *changed, size_t changed_len)
{
	struct changes ch = { changed, changed_len, 0, 0 };
	int listen_changed;

	if (changed_len)
		changed[0] = '\0';

	listen_changed = fresh->n_proxy_listen != running->n_proxy_listen;
	for (size_t i = 0; !listen_changed && i < fresh->n_proxy_listen; i++)
		listen_changed = addr_differs(&fresh->proxy_listen[i], &running->proxy_listen[i]);
	if (listen_changed)
		note(&ch, "proxy.listen");
	memcpy(fresh->proxy_listen, running->proxy_listen, sizeof(fresh->proxy_listen));
	fresh->n_proxy_listen = running->n_proxy_listen;
	KEEP(workers, "proxy.workers");
	KEEP(dns_cache_size, "proxy.dns_cache_size");

	KEEP_STRING(db_path, "db.path");
	KEEP(audit_queue_size, "db.audit_queue_size");

	if (fresh->admin_enabled != running->admin_enabled ||
	    (fresh->admin_enabled && addr_differs(&fresh->admin_listen, &running->admin_listen)))
		note(&ch, "admin.listen");
	fresh->admin_listen = running->admin_listen;
	fresh->admin_enabled = running->admin_enabled;
	KEEP(admin_tls, "admin.tls");
	KEEP_STRING(admin_tls_cert, "admin.tls_cert");
	KEEP_STRING(admin_tls_key, "admin.tls_key");
	KEEP_STRING(web_root, "admin.web_root");
	KEEP_STRING(admin_hostnames, "admin.hostnames");
	if (fresh->n_metrics_allow != running->n_metrics_allow ||
	    memcmp(fresh->metrics_allow, running->metrics_allow,
		   running->n_metrics_allow * sizeof(running->metrics_allow[0])) != 0)
		note(&ch, "admin.metrics_allow");
	memcpy(fresh->metrics_allow, running->metrics_allow, sizeof(fresh->metrics_allow));
	fresh->n_metrics_allow = running->n_metrics_allow;
	KEEP_STRING(metrics_token_file, "admin.metrics_token_file");

	KEEP_STRING(intercept_interface, "intercept.interface");
	KEEP(intercept_http_port, "intercept.http_port");
	KEEP(intercept_https_port, "intercept.https_port");
	/* the kernel's sets and rules are built at start from these */
	KEEP(session_idle_timeout, "intercept.session_idle_timeout");
	KEEP(session_lifetime, "intercept.session_lifetime");
	KEEP(intercept_bypass, "intercept.bypass");
	KEEP(intercept_mark, "intercept.mark");
	KEEP(intercept_fail_open, "intercept.fail_open");

	if (fresh->portal_enabled != running->portal_enabled ||
	    (fresh->portal_enabled && addr_differs(&fresh->portal_listen, &running->portal_listen)))
		note(&ch, "portal.listen");
	fresh->portal_listen = running->portal_listen;
	fresh->portal_enabled = running->portal_enabled;
	KEEP_STRING(portal_url, "portal.url");
	KEEP_STRING(portal_tls_cert, "portal.tls_cert");
	KEEP_STRING(portal_tls_key, "portal.tls_key");
	KEEP_STRING(pac_proxy, "portal.pac_proxy");
	/* the PAC file is written once, when the portal starts */
	if (fresh->n_pac_direct != running->n_pac_direct ||
	    memcmp(fresh->pac_direct, running->pac_direct,
		   running->n_pac_direct * sizeof(running->pac_direct[0])) != 0)
		note(&ch, "portal.pac_direct");
	memcpy(fresh->pac_direct, running->pac_direct, sizeof(fresh->pac_direct));
	fresh->n_pac_direct = running->n_pac_direct;
	return ch.n;
}
