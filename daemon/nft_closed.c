#include "nft_int.h"

/* ------------------------------------------------------------ failing closed */

#define SESSION_OPS_MAX 5

/* Send what bt holds (its begin written, its end not yet), after the
 * before bytes at start that belong to the same transaction; n->seq
 * follows. */
static int batch_finish_send(struct nft *n, struct batch *bt, void *start, size_t before)
{
	long len;

	if (bt->failed) {
		mnl_nlmsg_batch_stop(bt->b);
		return -1;
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	nft_batch_next(bt);
	len = (long)mnl_nlmsg_batch_size(bt->b);
	mnl_nlmsg_batch_stop(bt->b);
	n->seq = bt->seq;
	return nft_send_batch(n, start, before + (size_t)len);
}

/* The whitelist n holds, as element additions into bt. */
static void batch_whitelist(struct batch *bt, const struct nft *n)
{
	struct elem_op ops[2];

	for (size_t i = 0; i < n->n_wl && !bt->failed; i++) {
		size_t k = nft_range_ops(&n->wl[i], NFT_MSG_NEWSETELEM, ops);

		for (size_t j = 0; j < k; j++)
			nft_batch_elem(bt, &ops[j]);
	}
}

int nft_table_close(struct nft *n)
{
	struct batch bt = { 0 };
	int rc;

	if (!n->spec.interface)
		return -1;
	bt.b = mnl_nlmsg_batch_start(n->buf, RESTORE_BATCH_MAX);
	if (!bt.b)
		return -1;
	bt.seq = n->seq;
	bt.table = n->table;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	nft_build_closed(&bt, &n->spec);
	/* a whitelist too large for one batch stays out: closed is closed */
	batch_whitelist(&bt, n);
	if (bt.failed) {
		mnl_nlmsg_batch_stop(bt.b);
		log_warn("nftables: the whitelist does not fit in the closed table's batch; "
			 "it is left out");
		bt = (struct batch){ 0 };
		bt.b = mnl_nlmsg_batch_start(n->buf, RESTORE_BATCH_MAX);
		if (!bt.b)
			return -1;
		bt.seq = n->seq;
		bt.table = n->table;
		nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
		nft_batch_next(&bt);
		nft_build_closed(&bt, &n->spec);
	}
	rc = batch_finish_send(n, &bt, n->buf, 0);
	if (rc < 0) {
		log_error("nftables: cannot install the closed table inet %s: %s", n->table,
			  strerror(-rc));
		return -1;
	}
	n->have_table = 0;
	return 0;
}

/* A session's elements (address . MAC with its timeout, the address
 * alone, its counters from where they were, its device's MAC when known)
 * as additions; ops holds SESSION_OPS_MAX. Returns how many. */
static size_t session_ops(const struct nft_session *ks, unsigned default_idle,
			  struct elem_op *ops)
{
	int v6;
	uint64_t timeout_ms = ks->expires_ms ? ks->expires_ms : (uint64_t)default_idle * 1000;

	memset(ops, 0, SESSION_OPS_MAX * sizeof(*ops));
	ops[0].key_len = nft_session_key((const struct sockaddr *)&ks->addr, ks->mac, ops[0].key, &v6);
	ops[0].set = v6 ? "sess6" : "sess4";
	ops[0].type = NFT_MSG_NEWSETELEM;
	ops[0].timeout_ms = timeout_ms;
	nft_session_addr_op((const struct sockaddr *)&ks->addr, NFT_MSG_NEWSETELEM, &ops[1]);
	nft_acct_ops((const struct sockaddr *)&ks->addr, NFT_MSG_NEWSETELEM, &ks->counted, &ops[2]);
	return 4 + (size_t)nft_devmac_op(ks->mac, NFT_MSG_NEWSETELEM, &ops[4]);
}

int nft_table_restore(struct nft *n, const struct nft_session *list, size_t count)
{
	struct batch bt = { 0 };
	const struct nlmsghdr *nlh, *last = NULL;
	struct elem_op ops[SESSION_OPS_MAX], *all = NULL;
	struct range *wl = NULL;
	size_t left, off, n_wl, n_all = 0;
	struct nft_spec sp;
	long len;
	int rc;
	char err[256], table[sizeof(n->table)], ifname[IFNAMSIZ];

	if (!n->spec.interface)
		return -1;
	len = nft_build_table_batch(&n->spec, n->seq, n->buf, RESTORE_BATCH_MAX);
	if (len < 0)
		return -1;
	/* the same transaction goes on past the table: its end marker (the
	 * last message) is overwritten by the elements and written again */
	left = (size_t)len;
	for (nlh = (const struct nlmsghdr *)n->buf; mnl_nlmsg_ok(nlh, (int)left);
	     nlh = mnl_nlmsg_next(nlh, (int *)&left))
		last = nlh;
	if (!last)
		return -1;
	/* a second batch object from the end marker on: the kernel reads the
	 * two as one buffer, one transaction */
	off = (size_t)((const char *)last - n->buf);
	bt.b = mnl_nlmsg_batch_start(n->buf + off, RESTORE_BATCH_MAX - off);
	if (!bt.b)
		return -1;
	bt.seq = last->nlmsg_seq;
	bt.table = n->table;
	batch_whitelist(&bt, n);
	for (size_t i = 0; i < count && !bt.failed; i++) {
		size_t k = session_ops(&list[i], n->session_idle, ops);

		for (size_t j = 0; j < k; j++)
			nft_batch_elem(&bt, &ops[j]);
	}
	if (!bt.failed) {
		rc = batch_finish_send(n, &bt, n->buf, off);
		if (rc < 0) {
			log_warn("nftables: restoring table inet %s refused: %s", n->table,
				 strerror(-rc));
			return -1;
		}
		n->have_table = 1;
		return 0;
	}
	mnl_nlmsg_batch_stop(bt.b);
	/* too much for one transaction: the table first (closed to all but
	 * the whitelist's clients meanwhile), then the elements in chunks */
	n_wl = n->n_wl;
	wl = n_wl ? malloc(n_wl * sizeof(*wl)) : NULL;
	all = calloc(SESSION_OPS_MAX * count + 2 * n_wl + 1, sizeof(*all));
	if ((n_wl && !wl) || !all)
		goto fail;
	if (n_wl)
		memcpy(wl, n->wl, n_wl * sizeof(*wl));
	/* the spec's strings are n's own buffers, which the replace rewrites */
	snprintf(table, sizeof(table), "%s", n->table);
	snprintf(ifname, sizeof(ifname), "%s", n->interface);
	sp = n->spec;
	sp.table = table;
	sp.interface = ifname;
	if (nft_table_replace(n, &sp, err, sizeof(err)) < 0) {
		log_warn("%s", err);
		goto fail;
	}
	for (size_t i = 0; i < n_wl; i++)
		n_all += nft_range_ops(&wl[i], NFT_MSG_NEWSETELEM, all + n_all);
	if (nft_send_elems(n, all, n_all) < 0)
		goto fail;
	free(n->wl);
	n->wl = wl;
	n->n_wl = n_wl;
	wl = NULL;
	n_all = 0;
	for (size_t i = 0; i < count; i++)
		n_all += session_ops(&list[i], n->session_idle, all + n_all);
	if (nft_send_elems(n, all, n_all) < 0)
		goto fail;
	free(all);
	return 0;
fail:
	free(wl);
	free(all);
	return -1;
}

int nft_table_present(struct nft *n)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t got;
	int rc;

	if (!t)
		return -1;
	/* no ack asked: the table (or the error) is the one answer */
	nlh = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	got = nft_recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
	if (got < 0)
		return -1;
	rc = mnl_cb_run(rbuf, (size_t)got, seq, n->portid, nft_ack_cb, NULL);
	if (rc < 0)
		return errno == ENOENT ? 0 : -1;
	return 1;
}

uint32_t nft_portid(const struct nft *n)
{
	return n->portid;
}

/* One range of the whitelist as nft writes it: "lo-hi" (inclusive). */
static int range_text(const struct range *r, char *buf, size_t len)
{
	uint8_t hi[16];
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t nb = nft_addr_bytes(r->family);
	int borrow = 1, n;

	if (r->end_inf) {
		memset(hi, 0xff, sizeof(hi));
	} else {
		memcpy(hi, r->end, sizeof(hi));
		for (size_t i = nb; i-- > 0 && borrow;) {
			borrow = hi[i] == 0;
			hi[i]--;
		}
	}
	if (!inet_ntop(r->family, r->lo, a, sizeof(a)) || !inet_ntop(r->family, hi, b, sizeof(b)))
		return -1;
	n = snprintf(buf, len, "%s-%s", a, b);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* An interface name nft reads back as it is inside double quotes. */
static int ifname_plain(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-@+", *p)))
			return 0;
	return name[0] != '\0';
}

int nft_closed_ruleset_text(struct nft *n, char *buf, size_t len)
{
	size_t off = 0;
	int w;

#define OUT(...) do { \
		w = snprintf(buf + off, len - off, __VA_ARGS__); \
		if (w < 0 || (size_t)w >= len - off) \
			return -1; \
		off += (size_t)w; \
	} while (0)

	if (!n->spec.interface || !ifname_plain(n->interface))
		return -1;
	OUT("#!/usr/sbin/nft -f\n"
	    "# Written by portcullisd: the LAN (interface %s) stays closed while the\n"
	    "# daemon is not running. Include it in /etc/nftables.conf after\n"
	    "# \"flush ruleset\"; the daemon replaces the table when it starts and\n"
	    "# rewrites this file when the whitelist changes. Do not edit.\n"
	    "table inet %s\n"
	    "delete table inet %s\n"
	    "table inet %s {\n", n->interface, n->table, n->table, n->table);
	for (int v6 = 0; v6 <= 1; v6++) {
		int first = 1;

		OUT("\tset wl%d {\n\t\ttype %s\n\t\tflags interval\n", v6 ? 6 : 4,
		    v6 ? "ipv6_addr" : "ipv4_addr");
		for (size_t i = 0; i < n->n_wl; i++) {
			char r[2 * INET6_ADDRSTRLEN + 2];

			if ((n->wl[i].family == AF_INET6) != v6 || range_text(&n->wl[i], r, sizeof(r)) < 0)
				continue;
			OUT("%s%s", first ? "\t\telements = { " : ", ", r);
			first = 0;
		}
		OUT("%s\t}\n", first ? "" : " }\n");
	}
	OUT("\tchain forward {\n"
	    "\t\ttype filter hook forward priority 0; policy accept;\n"
	    "\t\tiifname != \"%s\" oifname != \"%s\" return\n"
	    "\t\tiifname != \"%s\" goto to_lan\n"
	    "\t\tip saddr @wl4 accept\n"
	    "\t\tip6 saddr @wl6 accept\n"
	    "\t\tct state established,related ct direction original accept\n"
	    "\t\tmeta l4proto tcp reject with tcp reset\n"
	    "\t\treject with icmpx admin-prohibited\n"
	    "\t}\n"
	    "\tchain to_lan {\n"
	    "\t\tct state established,related return\n"
	    "\t\tip daddr @wl4 return\n"
	    "\t\tip6 daddr @wl6 return\n"
	    "\t\tmeta l4proto tcp reject with tcp reset\n"
	    "\t\treject with icmpx admin-prohibited\n"
	    "\t}\n"
	    "}\n", n->interface, n->interface, n->interface);
#undef OUT
	return 0;
}

/* ------------------------------------------------------------ the watch */

#define WATCH_BUF (64 * 1024)

struct nft_watch {
	struct mnl_socket *nl;
	char buf[WATCH_BUF];
};

struct nft_watch *nft_watch_open(char *err, size_t errlen)
{
	struct nft_watch *w = calloc(1, sizeof(*w));
	int group = NFNLGRP_NFTABLES, size = 4 * 1024 * 1024;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		snprintf(err, errlen, "netlink (nftables notifications): %s", strerror(errno));
		nft_watch_close(w);
		return NULL;
	}
	/* a restore of many sessions notifies of each element: room for them
	 * (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which intercept mode has) */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return w;
}

void nft_watch_close(struct nft_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}

int nft_watch_fd(const struct nft_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

/* The string attribute of type 1 (the table's name in every message about
 * a table, chain, rule, set, element list, object or flowtable). */
static int msg_table_is(const struct nlmsghdr *nlh, const char *table)
{
	const struct nlattr *a;
	size_t want = strlen(table) + 1;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if ((mnl_attr_get_type(a) & NLA_TYPE_MASK) != 1)
			continue;
		return mnl_attr_get_payload_len(a) == want &&
		       memcmp(mnl_attr_get_payload(a), table, want) == 0;
	}
	return 0;
}

/* Who committed a generation: NFTA_GEN_PROC_PID and _NAME. */
static void gen_process(const struct nlmsghdr *nlh, char *out, size_t len)
{
	const struct nlattr *a;
	uint32_t pid = 0;
	char name[32] = "";

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(a) & NLA_TYPE_MASK;

		if (t == NFTA_GEN_PROC_PID && mnl_attr_get_payload_len(a) == 4)
			pid = ntohl(mnl_attr_get_u32(a));
		else if (t == NFTA_GEN_PROC_NAME) {
			const char *p = mnl_attr_get_payload(a);
			size_t n = mnl_attr_get_payload_len(a), k = 0;

			/* a process names itself: only printable bytes reach the log */
			for (size_t i = 0; i < n && p[i] && k + 1 < sizeof(name); i++)
				name[k++] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
			name[k] = '\0';
		}
	}
	if (pid)
		snprintf(out, len, "%s (pid %u)", name[0] ? name : "?", pid);
}

void nft_watch_parse(const void *buf, size_t len, const char *table, uint32_t own_portid,
		     struct nft_change *out)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nfgenmsg *nfg;
		uint16_t type;

		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
			continue;
		type = NFNL_MSG_TYPE(nlh->nlmsg_type);
		nfg = mnl_nlmsg_get_payload(nlh);
		/* the kernel stamps each notification with the port of the
		 * request that caused it: the daemon's own are not news */
		if (nlh->nlmsg_pid == own_portid && own_portid != 0)
			continue;
		/* each transaction ends with one: the first foreign one after
		 * the table was touched names who did it (every notification
		 * is a datagram of its own, so this spans reads) */
		if (type == NFT_MSG_NEWGEN) {
			if (out->touched && !out->process[0])
				gen_process(nlh, out->process, sizeof(out->process));
			continue;
		}
		if (nfg->nfgen_family != NFPROTO_INET || !msg_table_is(nlh, table))
			continue;
		out->touched = 1;
		if (type == NFT_MSG_DELTABLE)
			out->deleted = 1;
	}
}

int nft_watch_read(struct nft_watch *w, const char *table, uint32_t own_portid,
		   struct nft_change *out)
{
	for (;;) {
		ssize_t got = recv(mnl_socket_get_fd(w->nl), w->buf, sizeof(w->buf), MSG_DONTWAIT);

		if (got < 0 && errno == ENOBUFS) {
			out->lost = 1;
			continue;
		}
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		nft_watch_parse(w->buf, (size_t)got, table, own_portid, out);
	}
}
