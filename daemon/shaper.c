#include "shaper.h"

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include "addrmap.h"
#include "cidr.h"
#include "config.h"
#include "log.h"
#include "nft.h"

/* ------------------------------------------------------------ pure parts */

int shaper_rate_parse(const char *text, uint64_t *bits_per_s)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = { { "", 1 }, { "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 },
		      { "gbit", 1000000000 } };
	uint64_t v = 0;
	const char *p = text;

	if (!p || !isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > (SHAPER_RATE_MAX) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].unit) != 0)
			continue;
		if (v > SHAPER_RATE_MAX / units[i].mult)
			return -1;
		v *= units[i].mult;
		if (v < SHAPER_RATE_MIN || v > SHAPER_RATE_MAX)
			return -1;
		*bits_per_s = v;
		return 0;
	}
	return -1;
}

static int name_valid(const char *s, size_t len)
{
	if (len == 0 || len > SHAPER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	return 1;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copy [p, end) without surrounding blanks into buf (len); -1 if it does
 * not fit. */
static int trimmed(const char *p, const char *end, char *buf, size_t len)
{
	p = skip_space(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - p) >= len)
		return -1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return 0;
}

int shaper_classes_parse(const char *text, struct shaper_classes *out, char *err, size_t errlen)
{
	const char *p = text ? text : "";

	memset(out, 0, sizeof(*out));
	while (*(p = skip_space(p))) {
		const char *end = strchr(p, ','), *eq;
		char item[128], rate[48], ceil[48];
		struct shaper_class c = { 0 };
		char *slash;

		if (!end)
			end = p + strlen(p);
		if (trimmed(p, end, item, sizeof(item)) < 0 || !(eq = strchr(item, '='))) {
			snprintf(err, errlen, "class \"%.*s\": expected NAME=RATE[/CEIL]",
				 (int)(end - p > 40 ? 40 : end - p), p);
			return -1;
		}
		if (trimmed(item, eq, c.name, sizeof(c.name)) < 0 ||
		    !name_valid(c.name, strlen(c.name))) {
			snprintf(err, errlen, "class \"%.40s\": a name is 1 to %d letters, digits, "
				 "'_', '.' or '-'", item, SHAPER_NAME_MAX);
			return -1;
		}
		snprintf(rate, sizeof(rate), "%.47s", skip_space(eq + 1));
		ceil[0] = '\0';
		if ((slash = strchr(rate, '/'))) {
			*slash = '\0';
			snprintf(ceil, sizeof(ceil), "%s", skip_space(slash + 1));
		}
		if (trimmed(rate, rate + strlen(rate), rate, sizeof(rate)) < 0 ||
		    shaper_rate_parse(rate, &c.rate) < 0 ||
		    (slash && shaper_rate_parse(ceil, &c.ceil) < 0)) {
			snprintf(err, errlen, "class %s: a rate is a number with bit, kbit, mbit or "
				 "gbit, from 8kbit to 100gbit", c.name);
			return -1;
		}
		if (!slash)
			c.ceil = c.rate;
		if (c.ceil < c.rate) {
			snprintf(err, errlen, "class %s: its ceil is below its rate", c.name);
			return -1;
		}
		if (shaper_class_find(out, c.name)) {
			snprintf(err, errlen, "class %s is named twice", c.name);
			return -1;
		}
		if (out->n == SHAPER_CLASSES_MAX) {
			snprintf(err, errlen, "more than %d classes", SHAPER_CLASSES_MAX);
			return -1;
		}
		out->list[out->n++] = c;
		p = *end ? end + 1 : end;
	}
	return 0;
}

const char *shaper_throttle_class(const char *policy_class, const char *config_class)
{
	return policy_class && policy_class[0] ? policy_class : config_class;
}

const struct shaper_class *shaper_class_find(const struct shaper_classes *c, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->list[i].name, name) == 0)
			return &c->list[i];
	return NULL;
}

uint32_t shaper_burst_bytes(uint64_t bits_per_s)
{
	uint64_t b = bits_per_s / 8 * SHAPER_BURST_MS / 1000;

	return (uint32_t)(b < SHAPER_BURST_MIN ? SHAPER_BURST_MIN : b);
}

uint32_t shaper_quantum_bytes(uint64_t bits_per_s)
{
	uint64_t q = bits_per_s / 8 / 10;

	if (q < SHAPER_QUANTUM_MIN)
		return SHAPER_QUANTUM_MIN;
	return (uint32_t)(q > SHAPER_QUANTUM_MAX ? SHAPER_QUANTUM_MAX : q);
}

int shaper_leaf_alloc(uint8_t *used, size_t count, size_t *cursor)
{
	for (size_t k = 0; k < count; k++) {
		size_t i = (*cursor + k) % count;

		if (!used[i]) {
			used[i] = 1;
			*cursor = (i + 1) % count;
			return (int)(SHAPER_MINOR_FIRST + i);
		}
	}
	return -1;
}

void shaper_class_effective(const struct config *cfg, const char *class_name, char *out,
			    size_t len)
{
	struct shaper_classes cl;
	char err[160];

	out[0] = '\0';
	if (!cfg->shaping_enabled || shaper_classes_parse(cfg->shaping_classes, &cl, err,
							   sizeof(err)) < 0)
		return;
	if (class_name && shaper_class_find(&cl, class_name))
		snprintf(out, len, "%s", class_name);
	else if (shaper_class_find(&cl, cfg->shaping_default_class))
		snprintf(out, len, "%s", cfg->shaping_default_class);
}

/* ------------------------------------------------------------ the kernel */

struct leaf {
	struct addrmap_addr addr;
	int cls;                        /* index in classes */
};

struct user_leaf;

struct shaper {
	pthread_mutex_t lock;
	const struct config *cfg;
	struct shaper_classes classes;
	int default_cls;                /* -1: none */
	int ifindex[2];                 /* LAN, upload interface (0: none) */
	struct nl_sock *sk;
	struct nft *nft;
	int have_table;
	int no_fq_codel;                /* the kernel lacks it (logged once) */
	struct addrmap *by_addr;        /* address -> leaf index */
	struct leaf leaves[SHAPER_LEAVES_MAX];
	uint8_t used[SHAPER_LEAVES_MAX];
	size_t cursor;
	struct user_leaf **users;       /* explicit-proxy users, hashed by name */
	struct user_leaf **user_of;     /* leaf index -> its user, NULL a device's */
	size_t n_users;
};

static void qdisc_root_delete(struct shaper *sh, int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	/* a missing root qdisc (ENOENT, or EINVAL for the default one) is
	 * what we want */
	rtnl_qdisc_delete(sh->sk, q);
	rtnl_qdisc_put(q);
}

static int qdisc_root_add(struct shaper *sh, int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc;

	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	rc = rtnl_tc_set_kind(TC_CAST(q), "htb");
	/* no default class: what the map does not name is not shaped */
	if (rc == 0)
		rc = rtnl_htb_set_defcls(q, 0);
	if (rc == 0)
		rc = rtnl_qdisc_add(sh->sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return rc;
}

static int leaf_add(struct shaper *sh, int ifindex, int minor, const struct shaper_class *c)
{
	struct rtnl_class *k = rtnl_class_alloc();
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc = -NLE_NOMEM;

	if (!k || !q)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(k), ifindex);
	rtnl_tc_set_parent(TC_CAST(k), TC_HANDLE(1, 0));
	rtnl_tc_set_handle(TC_CAST(k), TC_HANDLE(1, minor));
	rc = rtnl_tc_set_kind(TC_CAST(k), "htb");
	if (rc == 0)
		rc = rtnl_htb_set_rate64(k, c->rate / 8);
	if (rc == 0)
		rc = rtnl_htb_set_ceil64(k, c->ceil / 8);
	/* the bursts and quantum said, not left to libnl: its default burst
	 * (rate / psched hz + mtu, in whole microseconds) is 0 at a gigabit
	 * and more, and such a class is throttled after every packet */
	if (rc == 0)
		rc = rtnl_htb_set_rbuffer(k, shaper_burst_bytes(c->rate));
	if (rc == 0)
		rc = rtnl_htb_set_cbuffer(k, shaper_burst_bytes(c->ceil));
	if (rc == 0)
		rc = rtnl_htb_set_quantum(k, shaper_quantum_bytes(c->rate));
	/* NLM_F_REPLACE: a class moving to another rate keeps its queue */
	if (rc == 0)
		rc = rtnl_class_add(sh->sk, k, NLM_F_CREATE | NLM_F_REPLACE);
	if (rc < 0)
		goto out;
	if (sh->no_fq_codel)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_HANDLE(1, minor));
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(minor, 0));
	rc = rtnl_tc_set_kind(TC_CAST(q), "fq_codel");
	if (rc == 0)
		rc = rtnl_qdisc_add(sh->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	/* a kernel built without sch_fq_codel answers ENOENT; whatever the
	 * reason the kernel refuses it, the class keeps HTB's own leaf queue
	 * (a FIFO) and the rate still holds: the device is shaped, said once */
	if (rc < 0) {
		if (rc == -NLE_OBJ_NOTFOUND)
			log_warn("shaping: the kernel has no fq_codel; each class queues "
				 "first in, first out");
		else
			log_warn("shaping: the kernel refused fq_codel under a class (%s); "
				 "each class queues first in, first out", nl_geterror(rc));
		sh->no_fq_codel = 1;
		rc = 0;
	}
out:
	if (k)
		rtnl_class_put(k);
	if (q)
		rtnl_qdisc_put(q);
	return rc;
}

/* The class goes, and its fq_codel with it. */
static void leaf_delete(struct shaper *sh, int ifindex, int minor)
{
	struct rtnl_class *k = rtnl_class_alloc();

	if (!k)
		return;
	rtnl_tc_set_ifindex(TC_CAST(k), ifindex);
	rtnl_tc_set_parent(TC_CAST(k), TC_HANDLE(1, 0));
	rtnl_tc_set_handle(TC_CAST(k), TC_HANDLE(1, minor));
	rtnl_class_delete(sh->sk, k);
	rtnl_class_put(k);
}

const char *shaper_lan_interface(const struct config *cfg)
{
	return cfg->intercept_interface[0] ? cfg->intercept_interface : cfg->shaping_interface;
}

static int iface_index(const char *name, const char *what, char *err, size_t errlen)
{
	unsigned idx = if_nametoindex(name);

	if (!idx)
		snprintf(err, errlen, "shaping: %s %s: %s", what, name, strerror(errno));
	return (int)idx;
}

static void users_free(struct shaper *sh);

struct shaper *shaper_new(const struct config *cfg, char *err, size_t errlen)
{
	struct shaper *sh = calloc(1, sizeof(*sh));
	uint8_t key[ADDRMAP_KEY_LEN];
	const struct shaper_class *dc;
	int rc;

	if (!sh) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&sh->lock, NULL);
	sh->cfg = cfg;
	if (shaper_classes_parse(cfg->shaping_classes, &sh->classes, err, errlen) < 0)
		goto fail;
	dc = shaper_class_find(&sh->classes, cfg->shaping_default_class);
	sh->default_cls = dc ? (int)(dc - sh->classes.list) : -1;
	/* the addresses are the LAN's own: the map is only a lookup table */
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(rand() >> 3);
	sh->by_addr = addrmap_new(key);
	sh->sk = nl_socket_alloc();
	if (!sh->by_addr || !sh->sk) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = nl_connect(sh->sk, NETLINK_ROUTE)) < 0) {
		snprintf(err, errlen, "shaping: rtnetlink: %s", nl_geterror(rc));
		goto fail;
	}
	if (!(sh->ifindex[0] = iface_index(shaper_lan_interface(cfg), "interface", err, errlen)))
		goto fail;
	if (cfg->shaping_upload_interface[0] &&
	    !(sh->ifindex[1] = iface_index(cfg->shaping_upload_interface, "upload_interface", err,
					   errlen)))
		goto fail;
	/* a previous run's tree goes first: replacing an HTB qdisc by one
	 * of the same kind would keep its classes */
	for (int i = 0; i < 2; i++) {
		if (!sh->ifindex[i])
			continue;
		qdisc_root_delete(sh, sh->ifindex[i]);
		if ((rc = qdisc_root_add(sh, sh->ifindex[i])) < 0) {
			snprintf(err, errlen, "shaping: cannot add the htb qdisc on %s: %s",
				 i ? cfg->shaping_upload_interface : shaper_lan_interface(cfg),
				 nl_geterror(rc));
			goto fail;
		}
	}
	sh->nft = nft_open(err, errlen);
	if (!sh->nft || nft_shape_table_replace(sh->nft, shaper_lan_interface(cfg),
						cfg->shaping_upload_interface, err, errlen) < 0)
		goto fail;
	sh->have_table = 1;
	log_notice("shaping: htb on %s%s%s, %zu classes, default class %s", shaper_lan_interface(cfg),
		   sh->ifindex[1] ? " and " : "", sh->ifindex[1] ? cfg->shaping_upload_interface : "",
		   sh->classes.n, dc ? dc->name : "none");
	return sh;
fail:
	shaper_free(sh);
	return NULL;
}

void shaper_free(struct shaper *sh)
{
	if (!sh)
		return;
	if (sh->nft && sh->have_table && nft_shape_table_delete(sh->nft) < 0)
		log_error("shaping: cannot remove table inet %s", NFT_SHAPE_TABLE_NAME);
	nft_close(sh->nft);
	if (sh->sk) {
		for (int i = 0; i < 2; i++)
			if (sh->ifindex[i])
				qdisc_root_delete(sh, sh->ifindex[i]);
		nl_socket_free(sh->sk);
	}
	users_free(sh);
	addrmap_free(sh->by_addr);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

/* Under the lock: leaf i and its map element go. */
static void leaf_release(struct shaper *sh, size_t i, const struct sockaddr *addr)
{
	nft_shape_del(sh->nft, addr);
	for (int k = 0; k < 2; k++)
		if (sh->ifindex[k])
			leaf_delete(sh, sh->ifindex[k], (int)(SHAPER_MINOR_FIRST + i));
	addrmap_del(sh->by_addr, &sh->leaves[i].addr);
	sh->used[i] = 0;
}

int shaper_device_set(struct shaper *sh, const struct sockaddr *addr, const char *class_name)
{
	struct addrmap_addr key;
	const struct shaper_class *c;
	size_t i;
	int have, minor, rc = 0, cls;

	if (!sh || addrmap_addr_from_sockaddr(addr, &key) < 0)
		return sh ? -1 : 0;
	c = class_name && class_name[0] ? shaper_class_find(&sh->classes, class_name) : NULL;
	if (!c && sh->default_cls >= 0)
		c = &sh->classes.list[sh->default_cls];
	cls = c ? (int)(c - sh->classes.list) : -1;
	pthread_mutex_lock(&sh->lock);
	have = addrmap_get(sh->by_addr, &key, &i);
	if (have && sh->leaves[i].cls == cls)
		goto out;
	if (!c) {
		if (have)
			leaf_release(sh, i, addr);
		goto out;
	}
	if (have) {
		minor = (int)(SHAPER_MINOR_FIRST + i);
	} else {
		minor = shaper_leaf_alloc(sh->used, SHAPER_LEAVES_MAX, &sh->cursor);
		if (minor < 0) {
			log_warn("shaping: %d devices are shaped already; the next one is not",
				 SHAPER_LEAVES_MAX);
			rc = -1;
			goto out;
		}
		i = (size_t)(minor - SHAPER_MINOR_FIRST);
		sh->leaves[i].addr = key;
		if (addrmap_put(sh->by_addr, &key, i) < 0) {
			sh->used[i] = 0;
			rc = -1;
			goto out;
		}
	}
	sh->leaves[i].cls = cls;
	for (int k = 0; k < 2 && rc == 0; k++) {
		int e = sh->ifindex[k] ? leaf_add(sh, sh->ifindex[k], minor, c) : 0;

		if (e < 0) {
			log_warn("shaping: cannot add class 1:%x (%s) on %s: %s", (unsigned)minor,
				 c->name, k ? sh->cfg->shaping_upload_interface
					    : shaper_lan_interface(sh->cfg), nl_geterror(e));
			rc = -1;
		}
	}
	if (rc == 0 && nft_shape_set(sh->nft, addr, TC_HANDLE(1, (unsigned)minor)) < 0) {
		log_warn("shaping: the kernel map refused a device's class");
		rc = -1;
	}
	if (rc < 0) {
		leaf_release(sh, i, addr);
	} else {
		char text[64];

		cidr_addr_text(addr, text, sizeof(text));
		log_info("shaping: %s in class %s (1:%x)", text, c->name, (unsigned)minor);
	}
out:
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

void shaper_device_clear(struct shaper *sh, const struct sockaddr *addr)
{
	struct addrmap_addr key;
	size_t i;

	if (!sh || addrmap_addr_from_sockaddr(addr, &key) < 0)
		return;
	pthread_mutex_lock(&sh->lock);
	if (addrmap_get(sh->by_addr, &key, &i))
		leaf_release(sh, i, addr);
	pthread_mutex_unlock(&sh->lock);
}

/* ------------------------------------------------- explicit-proxy users */

#define USER_BUCKETS 1024

struct user_leaf {
	struct user_leaf *next;
	char *name;
	unsigned holds;                 /* connections marked with the leaf */
	int64_t idle_since;             /* monotonic s: holds fell to 0 */
	size_t leaf;                    /* index in leaves[] and used[] */
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static size_t user_bucket(const char *name)
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h % USER_BUCKETS;
}

/* Under the lock: the link that points at name's record (*link NULL:
 * none). */
static struct user_leaf **user_link(struct shaper *sh, const char *name)
{
	struct user_leaf **link = &sh->users[user_bucket(name)];

	while (*link && strcmp((*link)->name, name) != 0)
		link = &(*link)->next;
	return link;
}

/* The index of the class a user named class_name goes in, -1 none. */
static int class_index(const struct shaper *sh, const char *class_name)
{
	const struct shaper_class *c =
		class_name && class_name[0] ? shaper_class_find(&sh->classes, class_name) : NULL;

	return c ? (int)(c - sh->classes.list) : sh->default_cls;
}

/* Under the lock: u's leaf in class cls (-1: no kernel class, the number
 * kept). A kernel refusal leaves it in none, logged. */
static void user_set_class(struct shaper *sh, struct user_leaf *u, int cls)
{
	int minor = (int)(SHAPER_MINOR_FIRST + u->leaf), was = sh->leaves[u->leaf].cls, rc = 0;
	char name[3 * 64 + 8];

	if (was == cls)
		return;
	log_escape(name, sizeof(name), u->name, strlen(u->name));
	for (int k = 0; k < 2 && cls >= 0 && rc == 0; k++) {
		if (sh->ifindex[k] && (rc = leaf_add(sh, sh->ifindex[k], minor,
						     &sh->classes.list[cls])) < 0)
			log_warn("shaping: cannot add class 1:%x (%s) for user \"%s\": %s",
				 (unsigned)minor, sh->classes.list[cls].name, name, nl_geterror(rc));
	}
	if (cls < 0 || rc < 0) {
		for (int k = 0; k < 2 && was >= 0; k++)
			if (sh->ifindex[k])
				leaf_delete(sh, sh->ifindex[k], minor);
		cls = -1;
	}
	sh->leaves[u->leaf].cls = cls;
	log_info("shaping: user \"%s\" in class %s (1:%x)", name,
		 cls >= 0 ? sh->classes.list[cls].name : "none", (unsigned)minor);
}

uint32_t shaper_user_hold(struct shaper *sh, const char *username, const char *class_name)
{
	struct user_leaf **link, *u;
	uint32_t id = 0;
	int cls, minor;

	if (!sh || !username || !username[0])
		return 0;
	cls = class_index(sh, class_name);
	pthread_mutex_lock(&sh->lock);
	if (!sh->users && (!(sh->users = calloc(USER_BUCKETS, sizeof(*sh->users))) ||
			   !(sh->user_of = calloc(SHAPER_LEAVES_MAX, sizeof(*sh->user_of))))) {
		free(sh->users);
		sh->users = NULL;
		goto out;
	}
	link = user_link(sh, username);
	if (!(u = *link)) {
		minor = shaper_leaf_alloc(sh->used, SHAPER_LEAVES_MAX, &sh->cursor);
		if (minor < 0) {
			log_warn("shaping: %d devices and users are shaped already; the next one "
				 "is not", SHAPER_LEAVES_MAX);
			goto out;
		}
		if (!(u = calloc(1, sizeof(*u))) || !(u->name = strdup(username))) {
			free(u);
			sh->used[minor - SHAPER_MINOR_FIRST] = 0;
			goto out;
		}
		u->leaf = (size_t)(minor - SHAPER_MINOR_FIRST);
		memset(&sh->leaves[u->leaf], 0, sizeof(sh->leaves[u->leaf]));
		sh->leaves[u->leaf].cls = -1;
		*link = u;
		sh->user_of[u->leaf] = u;
		sh->n_users++;
	}
	user_set_class(sh, u, cls);
	u->holds++;
	id = TC_HANDLE(1, (unsigned)(SHAPER_MINOR_FIRST + u->leaf));
out:
	pthread_mutex_unlock(&sh->lock);
	return id;
}

void shaper_user_drop(struct shaper *sh, uint32_t id)
{
	unsigned minor = TC_H_MIN(id);
	struct user_leaf *u;

	if (!sh || !id || TC_H_MAJ(id) != TC_HANDLE(1, 0) || minor < SHAPER_MINOR_FIRST ||
	    minor >= SHAPER_MINOR_FIRST + SHAPER_LEAVES_MAX)
		return;
	pthread_mutex_lock(&sh->lock);
	if (sh->user_of && (u = sh->user_of[minor - SHAPER_MINOR_FIRST]) && u->holds &&
	    --u->holds == 0)
		u->idle_since = mono_s();
	pthread_mutex_unlock(&sh->lock);
}

/* Under the lock: u's leaf goes, its number free again. */
static void user_remove(struct shaper *sh, struct user_leaf **link)
{
	struct user_leaf *u = *link;

	user_set_class(sh, u, -1);
	sh->used[u->leaf] = 0;
	sh->user_of[u->leaf] = NULL;
	*link = u->next;
	sh->n_users--;
	free(u->name);
	free(u);
}

void shaper_users_sweep(struct shaper *sh, unsigned idle_s, shaper_class_of_cb class_of,
			void *ud)
{
	char **names = NULL;
	size_t n = 0;
	int64_t now = mono_s();

	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	if (sh->users && sh->n_users)
		names = calloc(sh->n_users, sizeof(*names));
	for (size_t b = 0; names && b < USER_BUCKETS; b++) {
		struct user_leaf **link = &sh->users[b];

		while (*link) {
			if (!(*link)->holds && now - (*link)->idle_since >= (int64_t)idle_s) {
				user_remove(sh, link);
				continue;
			}
			if ((names[n] = strdup((*link)->name)))
				n++;
			link = &(*link)->next;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	/* the classes are asked for without the lock: the answer may come
	 * from another lock (the gate's policies) */
	for (size_t i = 0; i < n; i++) {
		char cls[SHAPER_NAME_MAX + 1] = "";
		struct user_leaf *u;

		class_of(ud, names[i], cls, sizeof(cls));
		pthread_mutex_lock(&sh->lock);
		if ((u = *user_link(sh, names[i])))
			user_set_class(sh, u, class_index(sh, cls));
		pthread_mutex_unlock(&sh->lock);
		free(names[i]);
	}
	free(names);
}

size_t shaper_users_count(struct shaper *sh)
{
	size_t n;

	if (!sh)
		return 0;
	pthread_mutex_lock(&sh->lock);
	n = sh->n_users;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

static void users_free(struct shaper *sh)
{
	for (size_t b = 0; sh->users && b < USER_BUCKETS; b++) {
		while (sh->users[b]) {
			struct user_leaf *u = sh->users[b];

			sh->users[b] = u->next;
			free(u->name);
			free(u);
		}
	}
	free(sh->users);
	free(sh->user_of);
}
