#include "nft_int.h"

/* ------------------------------------------------------------ building rules */

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* an expression that loads a key ("meta mark", "ct state") into a register */
static struct nftnl_expr *expr_load(const char *name, uint16_t key_attr, uint32_t key,
				    uint16_t dreg_attr, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e) {
		nftnl_expr_set_u32(e, key_attr, key);
		nftnl_expr_set_u32(e, dreg_attr, dreg);
	}
	return e;
}

static struct nftnl_expr *expr_meta(uint32_t key, uint32_t dreg)
{
	return expr_load("meta", NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_DREG, dreg);
}

static struct nftnl_expr *expr_ct(uint32_t key, uint32_t dreg)
{
	return expr_load("ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_DREG, dreg);
}

static struct nftnl_expr *expr_cmp(uint32_t op, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *expr_payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *expr_verdict(int verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	}
	return e;
}

static struct nftnl_expr *expr_lookup(const char *set, uint32_t set_id, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	}
	return e;
}

/* "iifname LAN" / "oifname LAN": names compare as IFNAMSIZ bytes */
static int rule_ifname(struct nftnl_rule *r, uint32_t key, const char *ifname, uint32_t op)
{
	char name[IFNAMSIZ] = { 0 };

	snprintf(name, sizeof(name), "%s", ifname);
	if (add_expr(r, expr_meta(key, NFT_REG_1)) < 0)
		return -1;
	return add_expr(r, expr_cmp(op, NFT_REG_1, name, sizeof(name)));
}

static int rule_iifname(struct nftnl_rule *r, const char *ifname, uint32_t op)
{
	return rule_ifname(r, NFT_META_IIFNAME, ifname, op);
}

static int rule_oifname(struct nftnl_rule *r, const char *ifname, uint32_t op)
{
	return rule_ifname(r, NFT_META_OIFNAME, ifname, op);
}

static int rule_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	if (add_expr(r, expr_meta(NFT_META_NFPROTO, NFT_REG_1)) < 0)
		return -1;
	return add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &proto, 1));
}

/* "ip saddr @set" / "ip6 saddr @set", or daddr */
static int rule_addr_in(struct nftnl_rule *r, int v6, int dst, const char *set, uint32_t id)
{
	uint32_t offset = v6 ? (dst ? 24 : 8) : (dst ? 16 : 12);

	if (rule_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4) < 0 ||
	    add_expr(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, offset, v6 ? 16 : 4,
				     NFT_REG32_00)) < 0)
		return -1;
	return add_expr(r, expr_lookup(set, id, NFT_REG32_00));
}

static int rule_saddr_in(struct nftnl_rule *r, int v6, const char *set, uint32_t id)
{
	return rule_addr_in(r, v6, 0, set, id);
}

static int rule_daddr_in(struct nftnl_rule *r, int v6, const char *set, uint32_t id)
{
	return rule_addr_in(r, v6, 1, set, id);
}

/* "ip saddr . ether saddr" into the registers from NFT_REG32_00 (which
 * NFT_REG_1 overlaps: the interface type is checked before the loads) */
static int rule_load_addr_mac(struct nftnl_rule *r, int v6)
{
	uint16_t ether = ARPHRD_ETHER;

	if (rule_nfproto(r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4) < 0)
		return -1;
	/* the MAC is read only from an Ethernet header */
	if (add_expr(r, expr_meta(NFT_META_IIFTYPE, NFT_REG_1)) < 0 ||
	    add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &ether, sizeof(ether))) < 0)
		return -1;
	if (add_expr(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, v6 ? 16 : 4,
				     NFT_REG32_00)) < 0)
		return -1;
	return add_expr(r, expr_payload(NFT_PAYLOAD_LL_HEADER, 6, 6,
					v6 ? NFT_REG32_00 + 4 : NFT_REG32_00 + 1));
}

static int rule_tcp_dport(struct nftnl_rule *r, uint16_t port)
{
	uint8_t tcp = IPPROTO_TCP;
	uint16_t p = htons(port);

	if (add_expr(r, expr_meta(NFT_META_L4PROTO, NFT_REG_1)) < 0 ||
	    add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &tcp, 1)) < 0 ||
	    add_expr(r, expr_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1)) < 0)
		return -1;
	return add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &p, sizeof(p)));
}

/* "fib daddr type local": traffic for the gateway itself (portal, DNS) */
static int rule_daddr_local(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (!e)
		return -1;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	return add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &local, sizeof(local)));
}

static int rule_redirect(struct nftnl_rule *r, uint16_t to_port)
{
	struct nftnl_expr *imm = nftnl_expr_alloc("immediate"), *redir;
	uint16_t p = htons(to_port);

	if (!imm)
		return -1;
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set_data(imm, NFTNL_EXPR_IMM_DATA, &p, sizeof(p));
	nftnl_rule_add_expr(r, imm);
	redir = nftnl_expr_alloc("redir");
	if (!redir)
		return -1;
	nftnl_expr_set_u32(redir, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
	nftnl_rule_add_expr(r, redir);
	return 0;
}

static int rule_ct_established(struct nftnl_rule *r)
{
	struct nftnl_expr *bw;
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;

	if (add_expr(r, expr_ct(NFT_CT_STATE, NFT_REG_1)) < 0)
		return -1;
	bw = nftnl_expr_alloc("bitwise");
	if (!bw)
		return -1;
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	nftnl_expr_set_data(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set_data(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	nftnl_rule_add_expr(r, bw);
	return add_expr(r, expr_cmp(NFT_CMP_NEQ, NFT_REG_1, &zero, sizeof(zero)));
}

/* "ct direction original": the packet goes the way the connection's first
 * packet went, i.e. its sender opened the connection */
static int rule_ct_original(struct nftnl_rule *r)
{
	uint8_t dir = IP_CT_DIR_ORIGINAL;

	if (add_expr(r, expr_ct(NFT_CT_DIRECTION, NFT_REG_1)) < 0)
		return -1;
	return add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &dir, sizeof(dir)));
}

static int rule_reject(struct nftnl_rule *r, int tcp_reset)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");

	if (!e)
		return -1;
	if (tcp_reset) {
		uint8_t tcp = IPPROTO_TCP;

		nftnl_expr_free(e);
		if (add_expr(r, expr_meta(NFT_META_L4PROTO, NFT_REG_1)) < 0 ||
		    add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &tcp, 1)) < 0)
			return -1;
		e = nftnl_expr_alloc("reject");
		if (!e)
			return -1;
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	} else {
		/* RFC 792/4443 "administratively prohibited", per family */
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	}
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* ------------------------------------------------------------ the batch */


struct nlmsghdr *nft_batch_hdr(struct batch *bt, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
						     NFPROTO_INET, flags, bt->seq++);

	return nlh;
}

/* No message of a batch asks for an ack: a transaction of a few hundred
 * elements would queue more acks than the socket's receive buffer holds,
 * and the kernel drops the rest (ENOBUFS) though it applied the change.
 * The kernel still answers every message it refuses, with its sequence
 * number (nfnetlink batches). */
/* After a message is written: move on, or note that the buffer is full. */
void nft_batch_next(struct batch *bt)
{
	if (!mnl_nlmsg_batch_next(bt->b))
		bt->failed = 1;
}

void nft_batch_table(struct batch *bt, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t) {
		bt->failed = 1;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->table);
	nftnl_table_nlmsg_build_payload(nft_batch_hdr(bt, type, flags), t);
	nftnl_table_free(t);
	nft_batch_next(bt);
}

/* A set; size 0: no bound on its elements. */
static void batch_set_sized(struct batch *bt, const char *name, uint32_t id, uint32_t key_type,
			    uint32_t key_len, uint32_t flags, uint64_t timeout_ms, uint32_t size)
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
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (timeout_ms)
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
	if (size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	/* addresses are big-endian: tells `nft list` how to print the keys */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 2 /* BYTEORDER_BIG_ENDIAN */);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	if (flags & NFT_SET_EXPR) {
		/* every element carries a counter (nft: "counter" in the set) */
		struct nftnl_expr *ctr = nftnl_expr_alloc("counter");

		if (!ctr) {
			nftnl_set_free(s);
			nftnl_udata_buf_free(ud);
			bt->failed = 1;
			return;
		}
		nftnl_set_add_expr(s, ctr);
	}
	if (flags & NFT_SET_CONCAT) {
		uint8_t fields[2] = { key_len == SESS4_KEY_LEN ? 4 : 16, 6 };

		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
	}
	nftnl_set_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	nftnl_set_free(s);
	nftnl_udata_buf_free(ud);
	nft_batch_next(bt);
}

static void batch_set(struct batch *bt, const char *name, uint32_t id, uint32_t key_type,
		      uint32_t key_len, uint32_t flags, uint64_t timeout_ms)
{
	batch_set_sized(bt, name, id, key_type, key_len, flags, timeout_ms, 0);
}

/* A base chain on hook; type NULL: a regular chain, reached by jump/goto. */
static void batch_chain(struct batch *bt, const char *name, const char *type, uint32_t hook,
			int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c) {
		bt->failed = 1;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, bt->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nftnl_chain_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	nft_batch_next(bt);
}

static struct nftnl_rule *rule_new(struct batch *bt, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r) {
		bt->failed = 1;
		return NULL;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, bt->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

/* Append r to the batch (or mark the batch failed when building failed);
 * takes ownership of r. */
static void batch_rule(struct batch *bt, struct nftnl_rule *r, int build_rc)
{
	if (!r)
		return;
	if (build_rc < 0) {
		bt->failed = 1;
	} else {
		nftnl_rule_nlmsg_build_payload(nft_batch_hdr(bt, NFT_MSG_NEWRULE,
							 NLM_F_CREATE | NLM_F_APPEND), r);
		nft_batch_next(bt);
	}
	nftnl_rule_free(r);
}

/*
 * "ct label set ether saddr": the connection carries the source MAC of its
 * first frame, which no later frame and no ARP or neighbour message can
 * change. The daemon reads it back (nft_conn_mac) for the connections it
 * accepts, instead of the neighbour table, which any LAN host rewrites
 * with one forged ARP request or neighbour advertisement.
 */
static int rule_label_mac(struct nftnl_rule *r)
{
	static const uint8_t zero[LABEL_LEN];
	uint16_t ether = ARPHRD_ETHER;
	struct nftnl_expr *imm, *ct;

	if (add_expr(r, expr_meta(NFT_META_IIFTYPE, NFT_REG_1)) < 0 ||
	    add_expr(r, expr_cmp(NFT_CMP_EQ, NFT_REG_1, &ether, sizeof(ether))) < 0)
		return -1;
	/* the label is written whole: the bytes after the MAC are zeros */
	imm = nftnl_expr_alloc("immediate");
	if (!imm)
		return -1;
	nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set_data(imm, NFTNL_EXPR_IMM_DATA, zero, sizeof(zero));
	nftnl_rule_add_expr(r, imm);
	if (add_expr(r, expr_payload(NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG_1)) < 0)
		return -1;
	ct = nftnl_expr_alloc("ct");
	if (!ct)
		return -1;
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_LABELS);
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	nftnl_rule_add_expr(r, ct);
	return 0;
}

/*
 * "ether saddr @devmac ip saddr . ether saddr != @sess4
 *  add @seen4 { ip saddr . ether saddr }": an address a logged-in device's
 * own frames come from that has no session yet. The daemon gives such
 * addresses their device's session; this record, not the neighbour table,
 * is what says the device uses the address.
 */
static int rule_record_seen(struct nftnl_rule *r, int v6)
{
	const char *sess = v6 ? "sess6" : "sess4", *seen = v6 ? "seen6" : "seen4";
	uint32_t sess_id = v6 ? SET_SESS6 : SET_SESS4, seen_id = v6 ? SET_SEEN6 : SET_SEEN4;
	struct nftnl_expr *miss, *dyn;

	if (rule_load_addr_mac(r, v6) < 0 ||
	    add_expr(r, expr_payload(NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG32_08)) < 0 ||
	    add_expr(r, expr_lookup("devmac", SET_DEVMAC, NFT_REG32_08)) < 0)
		return -1;
	miss = expr_lookup(sess, sess_id, NFT_REG32_00);
	if (!miss)
		return -1;
	nftnl_expr_set_u32(miss, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	nftnl_rule_add_expr(r, miss);
	dyn = nftnl_expr_alloc("dynset");
	if (!dyn)
		return -1;
	nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD);
	nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
	nftnl_expr_set_str(dyn, NFTNL_EXPR_DYNSET_SET_NAME, seen);
	nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_SET_ID, seen_id);
	nftnl_expr_set_u64(dyn, NFTNL_EXPR_DYNSET_TIMEOUT, SEEN_TIMEOUT_MS);
	nftnl_rule_add_expr(r, dyn);
	return 0;
}

static void build_prerouting(struct batch *bt, const struct nft_spec *sp)
{
	static const char ch[] = "prerouting";
	struct nftnl_rule *r;
	int rc;

	/* other interfaces: not ours */
	r = rule_new(bt, ch);
	rc = r ? rule_iifname(r, sp->interface, NFT_CMP_NEQ) : -1;
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	/* what the kernel saw of a new connection's first frame, for the
	 * daemon (this chain sees only a connection's first packet): its
	 * source MAC, and a logged-in device's new address */
	r = rule_new(bt, ch);
	batch_rule(bt, r, r ? rule_label_mac(r) : -1);
	for (int v6 = 0; v6 <= 1; v6++) {
		r = rule_new(bt, ch);
		batch_rule(bt, r, r ? rule_record_seen(r, v6) : -1);
	}
	/* the gateway's own services (portal, DNS) are reached as they are */
	r = rule_new(bt, ch);
	rc = r ? rule_daddr_local(r) : -1;
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	for (int v6 = 0; v6 <= 1; v6++) {
		r = rule_new(bt, ch);
		rc = r ? rule_saddr_in(r, v6, v6 ? "wl6" : "wl4", v6 ? SET_WL6 : SET_WL4) : -1;
		batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	}
	if (sp->bypass) {
		for (int v6 = 0; v6 <= 1; v6++) {
			r = rule_new(bt, ch);
			rc = r ? rule_load_addr_mac(r, v6) : -1;
			if (rc == 0)
				rc = add_expr(r, expr_lookup(v6 ? "sess6" : "sess4",
							     v6 ? SET_SESS6 : SET_SESS4, NFT_REG32_00));
			batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
		}
	}
	r = rule_new(bt, ch);
	rc = r ? rule_tcp_dport(r, 80) : -1;
	batch_rule(bt, r, rc < 0 ? rc : rule_redirect(r, sp->http_port));
	r = rule_new(bt, ch);
	rc = r ? rule_tcp_dport(r, 443) : -1;
	batch_rule(bt, r, rc < 0 ? rc : rule_redirect(r, sp->https_port));
}

static struct nftnl_expr *expr_goto(const char *chain)
{
	struct nftnl_expr *e = expr_verdict(NFT_GOTO);

	if (e)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return e;
}

/* the reject pair ending a chain: TCP reset, then ICMP for the rest */
static void build_rejects(struct batch *bt, const char *ch)
{
	struct nftnl_rule *r;

	r = rule_new(bt, ch);
	batch_rule(bt, r, r ? rule_reject(r, 1) : -1);
	r = rule_new(bt, ch);
	batch_rule(bt, r, r ? rule_reject(r, 0) : -1);
}

/*
 * Towards the LAN from elsewhere. Flows the kernel already admitted pass
 * (answers to the LAN's own connections among them); a connection opened
 * from the other side reaches only whitelisted and logged-in addresses.
 * The forward hook does not know the destination's MAC yet, so this looks
 * at the address alone (sessaddr4/6); the MAC is checked where the LAN
 * host answers, in forward proper, and the answer of another device
 * holding the address does not pass.
 */
static void build_to_lan(struct batch *bt, int sessions)
{
	static const char ch[] = "to_lan";
	struct nftnl_rule *r;
	int rc;

	r = rule_new(bt, ch);
	rc = r ? rule_ct_established(r) : -1;
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	for (int v6 = 0; v6 <= 1; v6++) {
		r = rule_new(bt, ch);
		rc = r ? rule_daddr_in(r, v6, v6 ? "wl6" : "wl4", v6 ? SET_WL6 : SET_WL4) : -1;
		batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	}
	for (int v6 = 0; sessions && v6 <= 1; v6++) {
		r = rule_new(bt, ch);
		rc = r ? rule_daddr_in(r, v6, v6 ? "sessaddr6" : "sessaddr4",
				       v6 ? SET_SESSADDR6 : SET_SESSADDR4) : -1;
		batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	}
	build_rejects(bt, ch);
}

/* From the LAN (and the jump to to_lan for the other way). sessions = 0
 * builds the closed table's forward chain: the same rules without the
 * logged-in clients, so while the daemon is not running only whitelisted
 * clients and connections the LAN opened while it ran (a restart does not
 * cut them; nobody opens a new one) pass. */
static void build_forward(struct batch *bt, const struct nft_spec *sp, int sessions)
{
	static const char ch[] = "forward";
	struct nftnl_rule *r;
	int rc;

	/* neither from nor to the LAN: not ours */
	r = rule_new(bt, ch);
	rc = r ? rule_iifname(r, sp->interface, NFT_CMP_NEQ) : -1;
	if (rc == 0)
		rc = rule_oifname(r, sp->interface, NFT_CMP_NEQ);
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	r = rule_new(bt, ch);
	rc = r ? rule_iifname(r, sp->interface, NFT_CMP_NEQ) : -1;
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_goto("to_lan")));
	/* from the LAN */
	for (int v6 = 0; v6 <= 1; v6++) {
		r = rule_new(bt, ch);
		rc = r ? rule_saddr_in(r, v6, v6 ? "wl6" : "wl4", v6 ? SET_WL6 : SET_WL4) : -1;
		batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NF_ACCEPT)));
	}
	/* a logged-in client's packets pass and restart its idle timer */
	for (int v6 = 0; sessions && v6 <= 1; v6++) {
		const char *set = v6 ? "sess6" : "sess4";
		uint32_t id = v6 ? SET_SESS6 : SET_SESS4;
		struct nftnl_expr *dyn;

		r = rule_new(bt, ch);
		rc = r ? rule_load_addr_mac(r, v6) : -1;
		if (rc == 0)
			rc = add_expr(r, expr_lookup(set, id, NFT_REG32_00));
		if (rc == 0 && (dyn = nftnl_expr_alloc("dynset")) != NULL) {
			nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
			nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00);
			nftnl_expr_set_str(dyn, NFTNL_EXPR_DYNSET_SET_NAME, set);
			nftnl_expr_set_u32(dyn, NFTNL_EXPR_DYNSET_SET_ID, id);
			nftnl_expr_set_u64(dyn, NFTNL_EXPR_DYNSET_TIMEOUT,
					   (uint64_t)sp->session_idle * 1000);
			nftnl_rule_add_expr(r, dyn);
		} else if (rc == 0) {
			rc = -1;
		}
		batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NF_ACCEPT)));
	}
	/* later packets of connections the LAN host opened itself, not its
	 * answers to connections opened towards it: an unauthenticated host
	 * would otherwise talk through the gateway as a server */
	r = rule_new(bt, ch);
	rc = r ? rule_ct_established(r) : -1;
	if (rc == 0)
		rc = rule_ct_original(r);
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NF_ACCEPT)));
	/* everything else from the LAN is refused quickly, never dropped */
	build_rejects(bt, ch);
}

/*
 * "iifname LAN ip saddr @acct_in4" (count_in) and "oifname LAN ip daddr
 * @acct_out4" (count_out), and the same for IPv6: a lookup that matches
 * runs the element's counter (the kernel updates a matched element's
 * stateful expressions). Counting is all these chains do; they accept
 * (the policy), and the chains that decide come after or before them on
 * their own hooks.
 */
static void build_count(struct batch *bt, const struct nft_spec *sp, int out)
{
	const char *ch = out ? "count_out" : "count_in";
	struct nftnl_rule *r;
	int rc;

	r = rule_new(bt, ch);
	rc = r ? (out ? rule_oifname(r, sp->interface, NFT_CMP_NEQ)
		      : rule_iifname(r, sp->interface, NFT_CMP_NEQ)) : -1;
	batch_rule(bt, r, rc < 0 ? rc : add_expr(r, expr_verdict(NFT_RETURN)));
	for (int v6 = 0; v6 <= 1; v6++) {
		const char *set = out ? (v6 ? "acct_out6" : "acct_out4") : (v6 ? "acct_in6" : "acct_in4");
		uint32_t id = out ? (v6 ? SET_ACCT_OUT6 : SET_ACCT_OUT4) : (v6 ? SET_ACCT_IN6 : SET_ACCT_IN4);

		r = rule_new(bt, ch);
		batch_rule(bt, r, r ? rule_addr_in(r, v6, out, set, id) : -1);
	}
}

/* The table, replacing whatever table of the name is there, with its
 * whitelist sets. Create (a no-op if it exists), delete, create again: all
 * in one transaction, so a table a crash left behind is replaced and no
 * packet ever sees a half-built one. */
static void build_table_head(struct batch *bt)
{
	nft_batch_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nft_batch_table(bt, NFT_MSG_DELTABLE, 0);
	nft_batch_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	batch_set(bt, "wl4", SET_WL4, TYPE_IPADDR, 4, NFT_SET_INTERVAL, 0);
	batch_set(bt, "wl6", SET_WL6, TYPE_IP6ADDR, 16, NFT_SET_INTERVAL, 0);
}

/* The running table's messages. */
static void build_running(struct batch *bt, const struct nft_spec *sp)
{
	uint64_t idle_ms = (uint64_t)sp->session_idle * 1000;

	build_table_head(bt);
	batch_set(bt, "sess4", SET_SESS4, CONCAT_TYPE(TYPE_IPADDR, TYPE_ETHERADDR), SESS4_KEY_LEN,
		  NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_CONCAT, idle_ms);
	batch_set(bt, "sess6", SET_SESS6, CONCAT_TYPE(TYPE_IP6ADDR, TYPE_ETHERADDR), SESS6_KEY_LEN,
		  NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_CONCAT, idle_ms);
	batch_set(bt, "sessaddr4", SET_SESSADDR4, TYPE_IPADDR, 4, 0, 0);
	batch_set(bt, "sessaddr6", SET_SESSADDR6, TYPE_IP6ADDR, 16, 0, 0);
	batch_set(bt, "devmac", SET_DEVMAC, TYPE_ETHERADDR, 6, 0, 0);
	batch_set_sized(bt, "seen4", SET_SEEN4, CONCAT_TYPE(TYPE_IPADDR, TYPE_ETHERADDR),
			SESS4_KEY_LEN, NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_CONCAT,
			SEEN_TIMEOUT_MS, SEEN_MAX);
	batch_set_sized(bt, "seen6", SET_SEEN6, CONCAT_TYPE(TYPE_IP6ADDR, TYPE_ETHERADDR),
			SESS6_KEY_LEN, NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_CONCAT,
			SEEN_TIMEOUT_MS, SEEN_MAX);
	batch_set(bt, "acct_in4", SET_ACCT_IN4, TYPE_IPADDR, 4, NFT_SET_EXPR, 0);
	batch_set(bt, "acct_in6", SET_ACCT_IN6, TYPE_IP6ADDR, 16, NFT_SET_EXPR, 0);
	batch_set(bt, "acct_out4", SET_ACCT_OUT4, TYPE_IPADDR, 4, NFT_SET_EXPR, 0);
	batch_set(bt, "acct_out6", SET_ACCT_OUT6, TYPE_IP6ADDR, 16, NFT_SET_EXPR, 0);
	batch_chain(bt, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);   /* dstnat */
	batch_chain(bt, "forward", "filter", NF_INET_FORWARD, 0);
	batch_chain(bt, "to_lan", NULL, 0, 0);
	/* what arrives is counted before the redirect (mangle), what leaves
	 * after the source NAT: each sees the LAN client's own address */
	batch_chain(bt, "count_in", "filter", NF_INET_PRE_ROUTING, -150);
	batch_chain(bt, "count_out", "filter", NF_INET_POST_ROUTING, 300);
	build_prerouting(bt, sp);
	build_to_lan(bt, 1);
	build_forward(bt, sp, 1);
	build_count(bt, sp, 0);
	build_count(bt, sp, 1);
}

/* The closed table's messages: no redirect, no sessions (see build_forward). */
void nft_build_closed(struct batch *bt, const struct nft_spec *sp)
{
	build_table_head(bt);
	batch_chain(bt, "forward", "filter", NF_INET_FORWARD, 0);
	batch_chain(bt, "to_lan", NULL, 0, 0);
	build_to_lan(bt, 0);
	build_forward(bt, sp, 0);
}

/* One transaction of build's messages into buf; its length, or -1. */
static long build_batch(const struct nft_spec *sp, uint32_t seq, void *buf, size_t buflen,
			void (*build)(struct batch *, const struct nft_spec *))
{
	struct batch bt = { 0 };
	long len;

	bt.b = mnl_nlmsg_batch_start(buf, buflen);
	if (!bt.b)
		return -1;
	bt.seq = seq;
	bt.table = sp->table ? sp->table : NFT_TABLE_NAME;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	nft_batch_next(&bt);
	build(&bt, sp);
	if (!bt.failed) {
		nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
		nft_batch_next(&bt);
	}
	len = bt.failed ? -1 : (long)mnl_nlmsg_batch_size(bt.b);
	mnl_nlmsg_batch_stop(bt.b);
	return len;
}

static int spec_valid(const struct nft_spec *sp)
{
	return sp->interface && sp->interface[0] && strlen(sp->interface) < IFNAMSIZ;
}

long nft_build_table_batch(const struct nft_spec *sp, uint32_t seq, void *buf, size_t buflen)
{
	if (!spec_valid(sp) || !sp->http_port || !sp->https_port || !sp->session_idle)
		return -1;
	return build_batch(sp, seq, buf, buflen, build_running);
}

long nft_build_closed_batch(const struct nft_spec *sp, uint32_t seq, void *buf, size_t buflen)
{
	if (!spec_valid(sp))
		return -1;
	return build_batch(sp, seq, buf, buflen, nft_build_closed);
}
