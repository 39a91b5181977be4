#include "nft_int.h"

/* ------------------------------------------------------------ talking to the kernel */

int nft_ack_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* One answer to the request seq on sock. A datagram that answers an
 * earlier request (one whose caller stopped reading early, or gave up
 * waiting) is skipped, so one stale answer cannot fail every later
 * request on the handle. */
ssize_t nft_recv_answer(struct mnl_socket *sock, void *buf, size_t len, uint32_t seq)
{
	for (;;) {
		ssize_t got = mnl_socket_recvfrom(sock, buf, len);
		const struct nlmsghdr *nlh = buf;

		if (got < 0 || !mnl_nlmsg_ok(nlh, (int)got) || nlh->nlmsg_seq == seq)
			return got;
	}
}

/* Send len bytes of batch; the first error the kernel answers for one of
 * its messages is returned as -errno. nfnetlink handles a batch within
 * the send, so every answer it has is queued when sendto returns: they
 * are read without waiting, and no answer means the batch was applied. */
int nft_send_batch(struct nft *n, const void *buf, size_t len)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *first = buf, *nlh;
	uint32_t seq_lo, seq_hi;
	size_t left = len;
	int first_err = 0;

	if (!mnl_nlmsg_ok(first, (int)len))
		return -EINVAL;
	seq_lo = seq_hi = first->nlmsg_seq;
	for (nlh = first; mnl_nlmsg_ok(nlh, (int)left); nlh = mnl_nlmsg_next(nlh, (int *)&left))
		seq_hi = nlh->nlmsg_seq;
	if (mnl_socket_sendto(n->nl, buf, len) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(mnl_socket_get_fd(n->nl), rbuf, sizeof(rbuf), MSG_DONTWAIT);

		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return first_err;
		if (got < 0)
			return first_err ? first_err : -errno;
		left = (size_t)got;
		for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, (int)left);
		     nlh = mnl_nlmsg_next(nlh, (int *)&left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < seq_lo ||
			    nlh->nlmsg_seq > seq_hi)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error && !first_err)
				first_err = e->error;
		}
	}
}

struct nft *nft_open(char *err, size_t errlen)
{
	struct nft *n = calloc(1, sizeof(*n));

	if (!n || !(n->buf = malloc(NFT_BATCH_MAX))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	n->rt = mnl_socket_open(NETLINK_ROUTE);
	if (!n->nl || !n->rt || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(n->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto fail;
	}
	{
		/* the kernel answers at once; a wait longer than this is a bug,
		 * and must not hang the daemon */
		struct timeval tv = { 2, 0 };

		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(mnl_socket_get_fd(n->rt), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n->portid = mnl_socket_get_portid(n->nl);
	n->rt_portid = mnl_socket_get_portid(n->rt);
	n->seq = (uint32_t)time(NULL);
	snprintf(n->table, sizeof(n->table), "%s", NFT_TABLE_NAME);
	return n;
fail:
	nft_close(n);
	return NULL;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	if (n->rt)
		mnl_socket_close(n->rt);
	free(n->wl);
	free(n->buf);
	free(n);
}

int nft_table_replace(struct nft *n, const struct nft_spec *spec, char *err, size_t errlen)
{
	long len = nft_build_table_batch(spec, n->seq, n->buf, NFT_BATCH_MAX);
	const struct nlmsghdr *nlh;
	size_t left;
	int rc;

	if (len < 0) {
		snprintf(err, errlen, "nftables: cannot build the table for interface '%s'",
			 spec->interface ? spec->interface : "");
		return -1;
	}
	/* n->seq follows the batch's messages */
	left = (size_t)len;
	for (nlh = (const struct nlmsghdr *)n->buf; mnl_nlmsg_ok(nlh, (int)left);
	     nlh = mnl_nlmsg_next(nlh, (int *)&left))
		n->seq++;
	rc = nft_send_batch(n, n->buf, (size_t)len);
	if (rc < 0) {
		snprintf(err, errlen, "nftables: cannot install table inet %s: %s",
			 spec->table ? spec->table : NFT_TABLE_NAME, strerror(-rc));
		return -1;
	}
	snprintf(n->table, sizeof(n->table), "%s", spec->table ? spec->table : NFT_TABLE_NAME);
	snprintf(n->interface, sizeof(n->interface), "%s", spec->interface);
	n->session_idle = spec->session_idle;
	n->spec = *spec;
	n->spec.table = n->table;
	n->spec.interface = n->interface;
	n->have_table = 1;
	free(n->wl);
	n->wl = NULL;
	n->n_wl = 0;
	return 0;
}

int nft_table_delete(struct nft *n)
{
	struct batch bt = { 0 };
	long len;
	int rc;

	bt.b = mnl_nlmsg_batch_start(n->buf, NFT_BATCH_MAX);
	if (!bt.b)
		return -1;
	bt.seq = n->seq;
	bt.table = n->table;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	nft_batch_table(&bt, NFT_MSG_DELTABLE, 0);
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	len = (long)mnl_nlmsg_batch_size(bt.b);
	mnl_nlmsg_batch_stop(bt.b);
	n->seq = bt.seq;
	rc = nft_send_batch(n, n->buf, (size_t)len);
	n->have_table = 0;
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

/* ------------------------------------------------------------ set elements */

/* addr as family, address bytes and port (host order); a v4-mapped IPv6
 * address as the IPv4 one. */
void nft_addr_parts(const struct sockaddr *addr, int *family, uint8_t bytes[16],
		       uint16_t *port)
{
	memset(bytes, 0, 16);
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;

		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*family = AF_INET;
			memcpy(bytes, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(bytes, &s6->sin6_addr, 16);
		}
		return;
	}
	*family = AF_INET;
	*port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	memcpy(bytes, &((const struct sockaddr_in *)addr)->sin_addr, 4);
}

/* The key of addr . mac in sess4/6 (and, mac all zeros, of addr in
 * sessaddr4/6, whose key is the address alone): the address as
 * nft_addr_parts gives it, then the MAC, each field in whole 32-bit
 * registers. *v6 says which of the two sets. */
size_t nft_session_key(const struct sockaddr *addr, const uint8_t mac[6], uint8_t key[24], int *v6)
{
	uint8_t bytes[16];
	uint16_t port;
	int family;
	size_t alen;

	nft_addr_parts(addr, &family, bytes, &port);
	*v6 = family == AF_INET6;
	alen = *v6 ? 16 : 4;
	memset(key, 0, 24);
	memcpy(key, bytes, alen);
	memcpy(key + alen, mac, 6);
	return *v6 ? SESS6_KEY_LEN : SESS4_KEY_LEN;
}


/* One element change into the batch (of the batch's table). */
void nft_batch_elem(struct batch *bt, const struct elem_op *op)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!s || !e) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		bt->failed = 1;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, bt->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, op->set);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, op->key, (uint32_t)op->key_len);
	if (op->flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, op->flags);
	if (op->timeout_ms)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, op->timeout_ms);
	if (op->counter) {
		struct nftnl_expr *ctr = nftnl_expr_alloc("counter");

		if (!ctr) {
			nftnl_set_free(s);
			nftnl_set_elem_free(e);
			bt->failed = 1;
			return;
		}
		nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_BYTES, op->bytes);
		nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_PACKETS, op->packets);
		nftnl_set_elem_add_expr(e, ctr);
	}
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(
		nft_batch_hdr(bt, op->type, op->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0), s);
	nftnl_set_free(s);
	nft_batch_next(bt);
}


/* One transaction of count (at most ELEMS_PER_BATCH) element changes. */
static int send_elems_batch(struct nft *n, const struct elem_op *ops, size_t count)
{
	struct batch bt = { 0 };
	long len;
	int rc;

	bt.b = mnl_nlmsg_batch_start(n->buf, RESTORE_BATCH_MAX);
	if (!bt.b)
		return -1;
	bt.seq = n->seq;
	bt.table = n->table;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	for (size_t i = 0; i < count && !bt.failed; i++)
		nft_batch_elem(&bt, &ops[i]);
	if (bt.failed) {
		mnl_nlmsg_batch_stop(bt.b);
		return -1;
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	len = (long)mnl_nlmsg_batch_size(bt.b);
	mnl_nlmsg_batch_stop(bt.b);
	n->seq = bt.seq;
	rc = nft_send_batch(n, n->buf, (size_t)len);
	if (rc < 0) {
		errno = -rc;
		return rc;
	}
	return 0;
}

/* Element changes in transactions of ELEMS_PER_BATCH: a whitelist of
 * thousands of ranges does not fit in one netlink message. */
int nft_send_elems(struct nft *n, const struct elem_op *ops, size_t count)
{
	for (size_t i = 0; i < count; i += ELEMS_PER_BATCH) {
		size_t k = count - i < ELEMS_PER_BATCH ? count - i : ELEMS_PER_BATCH;

		int rc = send_elems_batch(n, ops + i, k);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The element of addr in sessaddr4/6 (the address alone). */
void nft_session_addr_op(const struct sockaddr *addr, uint16_t type, struct elem_op *op)
{
	static const uint8_t no_mac[6];
	int v6;

	memset(op, 0, sizeof(*op));
	nft_session_key(addr, no_mac, op->key, &v6);
	op->key_len = v6 ? 16 : 4;
	op->set = v6 ? "sessaddr6" : "sessaddr4";
	op->type = type;
}

/* The elements of addr in acct_in4/6 and acct_out4/6; with start, their
 * counters start there (an addition only: the kernel keeps the counters
 * of an element that is there already). Returns 2. */
size_t nft_acct_ops(const struct sockaddr *addr, uint16_t type, const struct nft_counters *start,
		    struct elem_op ops[2])
{
	int v6;

	nft_session_addr_op(addr, type, &ops[0]);
	v6 = ops[0].key_len == 16;
	ops[1] = ops[0];
	ops[0].set = v6 ? "acct_in6" : "acct_in4";
	ops[1].set = v6 ? "acct_out6" : "acct_out4";
	if (start && type == NFT_MSG_NEWSETELEM) {
		ops[0].counter = ops[1].counter = 1;
		ops[0].bytes = start->bytes_in;
		ops[0].packets = start->packets_in;
		ops[1].bytes = start->bytes_out;
		ops[1].packets = start->packets_out;
	}
	return 2;
}

/* The element of mac in devmac (the logged-in devices' MACs); 0 when the
 * MAC is not known (a client that is not on-link: no device). */
int nft_devmac_op(const uint8_t mac[6], uint16_t type, struct elem_op *op)
{
	static const uint8_t no_mac[6];

	memset(op, 0, sizeof(*op));
	if (memcmp(mac, no_mac, 6) == 0)
		return 0;
	memcpy(op->key, mac, 6);
	op->key_len = 6;
	op->set = "devmac";
	op->type = type;
	return 1;
}

int nft_session_add(struct nft *n, const struct sockaddr *addr, const uint8_t mac[6],
		    unsigned timeout_s, const struct nft_counters *start)
{
	struct elem_op ops[6];
	int v6, rc;
	size_t count = 5;

	if (!n->have_table)
		return -1;
	memset(ops, 0, sizeof(ops));
	ops[0].key_len = nft_session_key(addr, mac, ops[0].key, &v6);
	ops[0].set = v6 ? "sess6" : "sess4";
	ops[1] = ops[0];
	/* delete then add in one transaction: the timer restarts whether or
	 * not the element was there (a missing one would fail the batch, so
	 * the adds alone are retried then); adding the address element that
	 * is there already is no error */
	ops[0].type = NFT_MSG_DELSETELEM;
	ops[1].type = NFT_MSG_NEWSETELEM;
	ops[1].timeout_ms = (uint64_t)(timeout_s ? timeout_s : n->session_idle) * 1000;
	nft_session_addr_op(addr, NFT_MSG_NEWSETELEM, &ops[2]);
	nft_acct_ops(addr, NFT_MSG_NEWSETELEM, start, &ops[3]);
	count += (size_t)nft_devmac_op(mac, NFT_MSG_NEWSETELEM, &ops[5]);
	rc = nft_send_elems(n, ops, count);
	if (rc == -ENOENT)
		rc = nft_send_elems(n, &ops[1], count - 1);
	if (rc < 0)
		log_warn("nftables: cannot add a session element: %s", strerror(-rc));
	return rc < 0 ? -1 : 0;
}

int nft_session_del(struct nft *n, const struct sockaddr *addr, const uint8_t mac[6])
{
	struct elem_op op;
	int v6, rc;

	if (!n->have_table)
		return -1;
	memset(&op, 0, sizeof(op));
	op.key_len = nft_session_key(addr, mac, op.key, &v6);
	op.set = v6 ? "sess6" : "sess4";
	op.type = NFT_MSG_DELSETELEM;
	/* one transaction each: either element may be gone already (the
	 * kernel's idle timer ended the first), which fails its batch */
	rc = nft_send_elems(n, &op, 1);
	if (rc == 0 || rc == -ENOENT) {
		nft_session_addr_op(addr, NFT_MSG_DELSETELEM, &op);
		rc = nft_send_elems(n, &op, 1);
	}
	if (rc == 0 || rc == -ENOENT) {
		struct elem_op acct[2];

		nft_acct_ops(addr, NFT_MSG_DELSETELEM, NULL, acct);
		for (int i = 0; i < 2 && (rc == 0 || rc == -ENOENT); i++)
			rc = nft_send_elems(n, &acct[i], 1);
	}
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

int nft_devmac_del(struct nft *n, const uint8_t mac[6])
{
	struct elem_op op;
	int rc;

	if (!n->have_table || !nft_devmac_op(mac, NFT_MSG_DELSETELEM, &op))
		return 0;
	rc = nft_send_elems(n, &op, 1);
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

struct list_ctx {
	void (*cb)(const struct nft_session *s, void *ud);
	void *ud;
	int v6;
	int acct;               /* 0: address . MAC sets; 1 acct_in, 2 acct_out */
};

static int counter_expr_cb(struct nftnl_expr *x, void *data)
{
	uint64_t *bp = data;
	const char *name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0) {
		bp[0] = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);
		bp[1] = nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);
	}
	return 0;
}

/* An element of acct_in/out4/6: the address, and its counter into the
 * direction's half of s->counted. */
static int acct_elem(struct nftnl_set_elem *e, const struct list_ctx *lc, struct nft_session *s)
{
	uint32_t klen = 0;
	const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	uint64_t bp[2] = { 0, 0 };

	if (!key || klen != (lc->v6 ? 16u : 4u))
		return -1;
	if (lc->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&s->addr;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, key, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&s->addr;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, key, 4);
	}
	nftnl_set_elem_expr_foreach(e, counter_expr_cb, bp);
	if (lc->acct == 1) {
		s->counted.bytes_in = bp[0];
		s->counted.packets_in = bp[1];
	} else {
		s->counted.bytes_out = bp[0];
		s->counted.packets_out = bp[1];
	}
	return 0;
}

static int list_elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct list_ctx *lc = data;
	struct nft_session s;
	uint32_t klen = 0;
	const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);

	memset(&s, 0, sizeof(s));
	if (!key)
		return 0;
	if (lc->acct) {
		if (acct_elem(e, lc, &s) == 0)
			lc->cb(&s, lc->ud);
		return 0;
	}
	if (lc->v6 && klen >= SESS6_KEY_LEN) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&s.addr;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, key, 16);
		memcpy(s.mac, key + 16, 6);
	} else if (!lc->v6 && klen >= SESS4_KEY_LEN) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&s.addr;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, key, 4);
		memcpy(s.mac, key + 4, 6);
	} else {
		return 0;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
		s.expires_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
	lc->cb(&s, lc->ud);
	return 0;
}

static int list_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *lc = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
		nftnl_set_elem_foreach(s, list_elem_cb, lc);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* Every element of the sets name4 and name6: address . MAC sets (acct 0),
 * or acct_in (1) or acct_out (2). */
static int elem_list(struct nft *n, const char *name4, const char *name6, int acct,
		     void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];

	if (!n->have_table)
		return -1;
	for (int v6 = 0; v6 <= 1; v6++) {
		struct list_ctx lc = { cb, ud, v6, acct };
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		uint32_t seq = n->seq++;
		ssize_t got;
		int rc = MNL_CB_OK;

		if (!s)
			return -1;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, v6 ? name6 : name4);
		nlh = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETSETELEM, NFPROTO_INET,
					    NLM_F_DUMP | NLM_F_ACK, seq);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
			return -1;
		while (rc > MNL_CB_STOP) {
			got = nft_recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
			if (got < 0)
				return -1;
			rc = mnl_cb_run(rbuf, (size_t)got, seq, n->portid, list_msg_cb, &lc);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int nft_session_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	return elem_list(n, "sess4", "sess6", 0, cb, ud);
}

int nft_seen_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	return elem_list(n, "seen4", "seen6", 0, cb, ud);
}

/* Each direction's dump goes to cb as it is (the other half zero); the
 * caller adds them up by address. */
int nft_acct_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	if (elem_list(n, "acct_in4", "acct_in6", 1, cb, ud) < 0)
		return -1;
	return elem_list(n, "acct_out4", "acct_out6", 2, cb, ud);
}

static void acct_get_cb(const struct nft_session *ks, void *ud)
{
	struct nft_counters *out = ud;

	out->bytes_in += ks->counted.bytes_in;
	out->packets_in += ks->counted.packets_in;
	out->bytes_out += ks->counted.bytes_out;
	out->packets_out += ks->counted.packets_out;
}

/* One element of acct_in/out4/6 asked for by its key (no dump). */
static int acct_get_one(struct nft *n, const struct elem_op *op, int acct, struct nft_counters *out)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct list_ctx lc = { acct_get_cb, out, op->key_len == 16, acct };
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = n->seq++;
	ssize_t got;
	int rc;

	if (!s || !e) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		return -1;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, op->set);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, op->key, (uint32_t)op->key_len);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(rbuf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		got = nft_recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
		if (got < 0)
			return -1;
		rc = mnl_cb_run(rbuf, (size_t)got, seq, n->portid, list_msg_cb, &lc);
	} while (rc > MNL_CB_STOP);
	/* not counted (any more): zeros */
	return rc < 0 && errno != ENOENT ? -1 : 0;
}

int nft_acct_get(struct nft *n, const struct sockaddr *addr, struct nft_counters *out)
{
	struct elem_op ops[2];

	memset(out, 0, sizeof(*out));
	if (!n->have_table)
		return -1;
	nft_acct_ops(addr, NFT_MSG_GETSETELEM, NULL, ops);
	if (acct_get_one(n, &ops[0], 1, out) < 0 || acct_get_one(n, &ops[1], 2, out) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ whitelist intervals */

size_t nft_addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->lo, y->lo, nft_addr_bytes(x->family));
}

/* end <= lo of the next range, byte-wise big-endian */
static int range_touches(const struct range *cur, const struct range *next)
{
	if (cur->end_inf)
		return 1;
	return memcmp(next->lo, cur->end, nft_addr_bytes(cur->family)) <= 0;
}

static int range_end_after(const struct range *a, const struct range *b)
{
	if (a->end_inf != b->end_inf)
		return a->end_inf;
	return memcmp(a->end, b->end, nft_addr_bytes(a->family)) > 0;
}

static void range_from_cidr(const struct cidr *c, struct range *r)
{
	size_t nb = nft_addr_bytes(c->family);
	int carry = 1;

	memset(r, 0, sizeof(*r));
	r->family = c->family;
	memcpy(r->lo, c->addr, nb);
	for (size_t i = 0; i < nb; i++) {
		unsigned bits = c->prefix > i * 8 ? (c->prefix - i * 8 >= 8 ? 8 : c->prefix - i * 8) : 0;
		uint8_t host = (uint8_t)(0xff >> bits);

		r->end[i] = (uint8_t)(c->addr[i] | host);
	}
	/* exclusive end: last address + 1 */
	for (size_t i = nb; i-- > 0 && carry;) {
		r->end[i]++;
		carry = r->end[i] == 0;
	}
	r->end_inf = carry;
}

/* Sort and merge overlapping or adjacent ranges in place; returns the count. */
static size_t ranges_merge(struct range *r, size_t count)
{
	size_t out = 0;

	qsort(r, count, sizeof(*r), range_cmp);
	for (size_t i = 0; i < count; i++) {
		if (out > 0 && r[out - 1].family == r[i].family && range_touches(&r[out - 1], &r[i])) {
			if (range_end_after(&r[i], &r[out - 1])) {
				memcpy(r[out - 1].end, r[i].end, sizeof(r[i].end));
				r[out - 1].end_inf = r[i].end_inf;
			}
			continue;
		}
		r[out++] = r[i];
	}
	return out;
}

static int range_in(const struct range *r, const struct range *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].family == r->family && list[i].end_inf == r->end_inf &&
		    memcmp(list[i].lo, r->lo, 16) == 0 && (r->end_inf || memcmp(list[i].end, r->end, 16) == 0))
			return 1;
	return 0;
}

/* An interval is two elements in an rbtree set: its start, and the first
 * address past it flagged as an interval end (none when it runs to the
 * top of the address space). */
size_t nft_range_ops(const struct range *r, uint16_t type, struct elem_op *ops)
{
	size_t nb = nft_addr_bytes(r->family), k = 0;

	memset(ops, 0, 2 * sizeof(*ops));
	ops[k].set = r->family == AF_INET ? "wl4" : "wl6";
	ops[k].type = type;
	memcpy(ops[k].key, r->lo, nb);
	ops[k].key_len = nb;
	k++;
	if (!r->end_inf) {
		ops[k] = ops[0];
		memcpy(ops[k].key, r->end, nb);
		ops[k].flags = NFT_SET_ELEM_INTERVAL_END;
		k++;
	}
	return k;
}

int nft_whitelist_sync(struct nft *n, const struct cidr *list, size_t count)
{
	struct range *want = NULL;
	struct elem_op *ops = NULL;
	size_t n_want, n_ops = 0;
	int rc = -1;

	if (!n->have_table)
		return -1;
	if (count > WL_MAX_RANGES) {
		log_warn("nftables: whitelist has %zu entries; the kernel set takes the first %d",
			 count, WL_MAX_RANGES);
		count = WL_MAX_RANGES;
	}
	want = calloc(count ? count : 1, sizeof(*want));
	ops = calloc(2 * (count + n->n_wl) + 1, sizeof(*ops));
	if (!want || !ops)
		goto out;
	for (size_t i = 0; i < count; i++)
		range_from_cidr(&list[i], &want[i]);
	n_want = ranges_merge(want, count);
	/* deletions first: an end element that becomes a start (or back) must
	 * leave before it comes again */
	for (size_t i = 0; i < n->n_wl; i++)
		if (!range_in(&n->wl[i], want, n_want))
			n_ops += nft_range_ops(&n->wl[i], NFT_MSG_DELSETELEM, ops + n_ops);
	for (size_t i = 0; i < n_want; i++)
		if (!range_in(&want[i], n->wl, n->n_wl))
			n_ops += nft_range_ops(&want[i], NFT_MSG_NEWSETELEM, ops + n_ops);
	if (n_ops && nft_send_elems(n, ops, n_ops) < 0) {
		log_warn("nftables: whitelist update refused: %s", strerror(errno));
		goto out;
	}
	free(n->wl);
	n->wl = want;
	n->n_wl = n_want;
	want = NULL;
	rc = 0;
out:
	free(want);
	free(ops);
	return rc;
}
