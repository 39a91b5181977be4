#include "nft_int.h"

/*
 * The shaping table (nft.h, "the shaping table"): table inet
 * portcullis_shape, apart from the gate's table so that the watch that
 * puts that one back never takes a shaping change for another process's.
 *
 *   map shape4/shape6   client address -> HTB class id (major:minor)
 *   chain postrouting (filter, priority 0):
 *     oifname LAN meta priority set ip(6) daddr map @shape4/6   download
 *     oifname WAN meta priority set ip(6) saddr map @shape4/6   upload
 *
 * In postrouting, both the forwarded packets and the ones the daemon itself
 * sends (an intercepted request relayed without bypass) are seen, after
 * the forward path set their priority from the TOS byte, and before the
 * source NAT (priority 100) rewrites the client's address towards the WAN.
 * HTB takes skb->priority as its class when it names one of its classes
 * (sch_htb.c htb_classify), so no tc filter is needed.
 */

#define TYPE_CLASSID 23     /* nft's "classid" datatype: `nft list` shows 1:5 */
#define SET_SHAPE4 1
#define SET_SHAPE6 2

/* "meta KEY" into dreg, or "meta KEY set" from sreg */
static struct nftnl_expr *shape_meta(uint32_t key, uint16_t reg_attr, uint32_t reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, reg_attr, reg);
	}
	return e;
}

static struct nftnl_expr *shape_cmp_eq(const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static void shape_map(struct batch *bt, const char *name, uint32_t id, int v6)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

	if (!s || !ud) {
		nftnl_set_free(s);
		nftnl_udata_buf_free(ud);
		bt->failed = 1;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, bt->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v6 ? TYPE_IP6ADDR : TYPE_IPADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v6 ? 16 : 4);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, TYPE_CLASSID);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sizeof(uint32_t));
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2 /* BYTEORDER_BIG_ENDIAN */);
	/* a class id is a host-order number, as meta priority takes it */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 1 /* BYTEORDER_HOST_ENDIAN */);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_set_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	nftnl_set_free(s);
	nftnl_udata_buf_free(ud);
	nft_batch_next(bt);
}

static void shape_chain(struct batch *bt)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c) {
		bt->failed = 1;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bt->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "postrouting");
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	nft_batch_next(bt);
}

/* "oifname IF meta priority set ip[6] saddr|daddr map @shape4|6" */
static void shape_rule(struct batch *bt, const char *ifname, int v6, int dst)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e[6];
	char name[IFNAMSIZ] = { 0 };
	uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	int failed = 0;

	snprintf(name, sizeof(name), "%s", ifname);
	e[0] = shape_meta(NFT_META_OIFNAME, NFTNL_EXPR_META_DREG, NFT_REG_1);
	e[1] = shape_cmp_eq(name, sizeof(name));
	e[2] = shape_meta(NFT_META_NFPROTO, NFTNL_EXPR_META_DREG, NFT_REG_1);
	e[3] = shape_cmp_eq(&proto, 1);
	e[4] = nftnl_expr_alloc("payload");
	if (e[4]) {
		nftnl_expr_set_u32(e[4], NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e[4], NFTNL_EXPR_PAYLOAD_OFFSET,
				   v6 ? (dst ? 24 : 8) : (dst ? 16 : 12));
		nftnl_expr_set_u32(e[4], NFTNL_EXPR_PAYLOAD_LEN, v6 ? 16 : 4);
		nftnl_expr_set_u32(e[4], NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	e[5] = nftnl_expr_alloc("lookup");
	if (e[5]) {
		/* a map lookup: the class id of the address into NFT_REG_2 */
		nftnl_expr_set_u32(e[5], NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e[5], NFTNL_EXPR_LOOKUP_DREG, NFT_REG_2);
		nftnl_expr_set_str(e[5], NFTNL_EXPR_LOOKUP_SET, v6 ? "shape6" : "shape4");
		nftnl_expr_set_u32(e[5], NFTNL_EXPR_LOOKUP_SET_ID, v6 ? SET_SHAPE6 : SET_SHAPE4);
	}
	for (size_t i = 0; i < 6; i++)
		failed |= !e[i];
	if (!r || failed) {
		for (size_t i = 0; i < 6; i++)
			if (e[i])
				nftnl_expr_free(e[i]);
		if (r)
			nftnl_rule_free(r);
		bt->failed = 1;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "postrouting");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	for (size_t i = 0; i < 6; i++)
		nftnl_rule_add_expr(r, e[i]);
	e[0] = shape_meta(NFT_META_PRIORITY, NFTNL_EXPR_META_SREG, NFT_REG_2);
	if (!e[0]) {
		nftnl_rule_free(r);
		bt->failed = 1;
		return;
	}
	nftnl_rule_add_expr(r, e[0]);
	nftnl_rule_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWRULE,
						     NLM_F_CREATE | NLM_F_APPEND), r);
	nft_batch_next(bt);
	nftnl_rule_free(r);
}

static int shape_batch_start(struct batch *bt, void *buf, size_t len, uint32_t seq)
{
	memset(bt, 0, sizeof(*bt));
	bt->b = mnl_nlmsg_batch_start(buf, len);
	if (!bt->b)
		return -1;
	bt->seq = seq;
	bt->table = NFT_SHAPE_TABLE_NAME;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), bt->seq++);
	nft_batch_next(bt);
	return 0;
}

static long shape_batch_end(struct batch *bt)
{
	long len;

	if (!bt->failed) {
		nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), bt->seq++);
		nft_batch_next(bt);
	}
	len = bt->failed ? -1 : (long)mnl_nlmsg_batch_size(bt->b);
	mnl_nlmsg_batch_stop(bt->b);
	return len;
}

long nft_build_shape_batch(const char *lan_if, const char *wan_if, uint32_t seq, void *buf,
			   size_t buflen)
{
	struct batch bt;

	if (!lan_if || !lan_if[0] || strlen(lan_if) >= IFNAMSIZ ||
	    (wan_if && strlen(wan_if) >= IFNAMSIZ))
		return -1;
	if (shape_batch_start(&bt, buf, buflen, seq) < 0)
		return -1;
	/* create (a no-op if there), delete, create: a table a crash left
	 * behind is replaced in the same transaction */
	nft_batch_table(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nft_batch_table(&bt, NFT_MSG_DELTABLE, 0);
	nft_batch_table(&bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	shape_map(&bt, "shape4", SET_SHAPE4, 0);
	shape_map(&bt, "shape6", SET_SHAPE6, 1);
	shape_chain(&bt);
	shape_rule(&bt, lan_if, 0, 1);
	shape_rule(&bt, lan_if, 1, 1);
	if (wan_if && wan_if[0]) {
		shape_rule(&bt, wan_if, 0, 0);
		shape_rule(&bt, wan_if, 1, 0);
	}
	return shape_batch_end(&bt);
}

/* Send the batch in n->buf and move n->seq past its messages. */
static int shape_send(struct nft *n, long len)
{
	const struct nlmsghdr *nlh;
	size_t left;

	if (len < 0)
		return -EINVAL;
	left = (size_t)len;
	for (nlh = (const struct nlmsghdr *)n->buf; mnl_nlmsg_ok(nlh, (int)left);
	     nlh = mnl_nlmsg_next(nlh, (int *)&left))
		n->seq++;
	return nft_send_batch(n, n->buf, (size_t)len);
}

int nft_shape_table_replace(struct nft *n, const char *lan_if, const char *wan_if, char *err,
			    size_t errlen)
{
	int rc = shape_send(n, nft_build_shape_batch(lan_if, wan_if, n->seq, n->buf,
						     NFT_BATCH_MAX));

	if (rc < 0) {
		snprintf(err, errlen, "nftables: cannot install table inet %s: %s",
			 NFT_SHAPE_TABLE_NAME, strerror(-rc));
		return -1;
	}
	return 0;
}

int nft_shape_table_delete(struct nft *n)
{
	struct batch bt;
	int rc;

	if (shape_batch_start(&bt, n->buf, NFT_BATCH_MAX, n->seq) < 0)
		return -1;
	nft_batch_table(&bt, NFT_MSG_DELTABLE, 0);
	rc = shape_send(n, shape_batch_end(&bt));
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

/* One element of shape4/6: add (with its class id) or delete. */
static int shape_elem(struct nft *n, const struct sockaddr *addr, uint16_t type, uint32_t classid)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint8_t bytes[16];
	uint16_t port;
	int family;
	struct batch bt;

	if (!s || !e || shape_batch_start(&bt, n->buf, NFT_BATCH_MAX, n->seq) < 0) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	nft_addr_parts(addr, &family, bytes, &port);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, bt.table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, family == AF_INET6 ? "shape6" : "shape4");
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, bytes, family == AF_INET6 ? 16 : 4);
	if (type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &classid, sizeof(classid));
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(nft_batch_hdr(&bt, type, 0), s);
	nftnl_set_free(s);
	nft_batch_next(&bt);
	return shape_send(n, shape_batch_end(&bt));
}

int nft_shape_set(struct nft *n, const struct sockaddr *addr, uint32_t classid)
{
	int rc;

	/* delete then add: an element of another class is replaced */
	shape_elem(n, addr, NFT_MSG_DELSETELEM, 0);
	rc = shape_elem(n, addr, NFT_MSG_NEWSETELEM, classid);
	return rc < 0 ? -1 : 0;
}

int nft_shape_del(struct nft *n, const struct sockaddr *addr)
{
	int rc = shape_elem(n, addr, NFT_MSG_DELSETELEM, 0);

	return rc == 0 || rc == -ENOENT ? 0 : -1;
}
