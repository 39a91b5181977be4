#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/neighbour.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

/* nft's own datatype numbers, so that `nft list` shows the sets' types
 * (a concatenation is (first << 6) | second). */
#define TYPE_IPADDR    7
#define TYPE_IP6ADDR   8
#define TYPE_ETHERADDR 9
#define CONCAT_TYPE(a, b) ((a) << 6 | (b))
/* each field of a concatenation takes whole 32-bit registers */
#define SESS4_KEY_LEN  (4 + 8)
#define SESS6_KEY_LEN  (16 + 8)
#define WL_MAX_RANGES  4096

enum set_id {
	SET_WL4 = 1, SET_WL6, SET_SESS4, SET_SESS6, SET_SESSADDR4, SET_SESSADDR6,
	SET_DEVMAC, SET_SEEN4, SET_SEEN6,
};

/* How long the kernel remembers an address it saw from a logged-in
 * device's MAC (maintenance reads it twice a second), and how many such
 * addresses it keeps at most. */
#define SEEN_TIMEOUT_MS  (10 * 1000)
#define SEEN_MAX         16384
/* The connection label's first six bytes hold the MAC its first frame came
 * from (nft_conn_mac); the label is 128 bits */
#define LABEL_LEN        16

struct range {
	int family;
	uint8_t lo[16];
	uint8_t end[16];        /* exclusive */
	int end_inf;            /* the range runs to the last address */
};

struct nft {
	struct mnl_socket *nl;          /* NETLINK_NETFILTER */
	struct mnl_socket *rt;          /* NETLINK_ROUTE */
	uint32_t portid, rt_portid;
	uint32_t seq;
	char table[64];
	char interface[IFNAMSIZ];
	unsigned session_idle;
	int have_table;
	struct nft_spec spec;           /* the running table's (table, interface: the
					 * fields above) for nft_table_restore */
	struct range *wl;               /* what the whitelist sets hold now */
	size_t n_wl;
	char *buf;                      /* NFT_BATCH_MAX */
};

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

struct batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	const char *table;
	int failed;
};

static struct nlmsghdr *batch_hdr(struct batch *bt, uint16_t type, uint16_t flags)
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
static void batch_next(struct batch *bt)
{
	if (!mnl_nlmsg_batch_next(bt->b))
		bt->failed = 1;
}

static void batch_table(struct batch *bt, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t) {
		bt->failed = 1;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, bt->table);
	nftnl_table_nlmsg_build_payload(batch_hdr(bt, type, flags), t);
	nftnl_table_free(t);
	batch_next(bt);
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
	if (flags & NFT_SET_CONCAT) {
		uint8_t fields[2] = { key_len == SESS4_KEY_LEN ? 4 : 16, 6 };

		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
	}
	nftnl_set_nlmsg_build_payload(batch_hdr(bt, NFT_MSG_NEWSET, NLM_F_CREATE), s);
	nftnl_set_free(s);
	nftnl_udata_buf_free(ud);
	batch_next(bt);
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
	nftnl_chain_nlmsg_build_payload(batch_hdr(bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE), c);
	nftnl_chain_free(c);
	batch_next(bt);
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
		nftnl_rule_nlmsg_build_payload(batch_hdr(bt, NFT_MSG_NEWRULE,
							 NLM_F_CREATE | NLM_F_APPEND), r);
		batch_next(bt);
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

/* The table, replacing whatever table of the name is there, with its
 * whitelist sets. Create (a no-op if it exists), delete, create again: all
 * in one transaction, so a table a crash left behind is replaced and no
 * packet ever sees a half-built one. */
static void build_table_head(struct batch *bt)
{
	batch_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	batch_table(bt, NFT_MSG_DELTABLE, 0);
	batch_table(bt, NFT_MSG_NEWTABLE, NLM_F_CREATE);
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
	batch_chain(bt, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);   /* dstnat */
	batch_chain(bt, "forward", "filter", NF_INET_FORWARD, 0);
	batch_chain(bt, "to_lan", NULL, 0, 0);
	build_prerouting(bt, sp);
	build_to_lan(bt, 1);
	build_forward(bt, sp, 1);
}

/* The closed table's messages: no redirect, no sessions (see build_forward). */
static void build_closed(struct batch *bt, const struct nft_spec *sp)
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
	batch_next(&bt);
	build(&bt, sp);
	if (!bt.failed) {
		nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
		batch_next(&bt);
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
	return build_batch(sp, seq, buf, buflen, build_closed);
}

/* ------------------------------------------------------------ talking to the kernel */

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* One answer to the request seq on sock. A datagram that answers an
 * earlier request (one whose caller stopped reading early, or gave up
 * waiting) is skipped, so one stale answer cannot fail every later
 * request on the handle. */
static ssize_t recv_answer(struct mnl_socket *sock, void *buf, size_t len, uint32_t seq)
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
static int nft_send_batch(struct nft *n, const void *buf, size_t len)
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
	batch_next(&bt);
	batch_table(&bt, NFT_MSG_DELTABLE, 0);
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	batch_next(&bt);
	len = (long)mnl_nlmsg_batch_size(bt.b);
	mnl_nlmsg_batch_stop(bt.b);
	n->seq = bt.seq;
	rc = nft_send_batch(n, n->buf, (size_t)len);
	n->have_table = 0;
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

/* ------------------------------------------------------------ set elements */

static size_t session_key(const struct sockaddr *addr, const uint8_t mac[6], uint8_t key[24],
			  int *v6)
{
	memset(key, 0, 24);
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*v6 = 0;
			memcpy(key, s6->sin6_addr.s6_addr + 12, 4);
			memcpy(key + 4, mac, 6);
			return SESS4_KEY_LEN;
		}
		*v6 = 1;
		memcpy(key, &s6->sin6_addr, 16);
		memcpy(key + 16, mac, 6);
		return SESS6_KEY_LEN;
	}
	*v6 = 0;
	memcpy(key, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	memcpy(key + 4, mac, 6);
	return SESS4_KEY_LEN;
}

/* One batch of element changes: elems[i] goes to set[i] with type[i]. */
struct elem_op {
	const char *set;
	uint16_t type;              /* NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM */
	uint8_t key[24];
	size_t key_len;
	uint32_t flags;             /* NFT_SET_ELEM_INTERVAL_END */
	uint64_t timeout_ms;
};

/* One element change into the batch (of the batch's table). */
static void batch_elem(struct batch *bt, const struct elem_op *op)
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
	nftnl_set_elem_add(s, e);
	nftnl_set_elems_nlmsg_build_payload(
		batch_hdr(bt, op->type, op->type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0), s);
	nftnl_set_free(s);
	batch_next(bt);
}

/* Batches of elements: below the kernel's default socket send buffer
 * (net.core.wmem_default, 208 KiB), which bounds one netlink message, and
 * with room in NFT_BATCH_MAX for the message libmnl writes past the limit
 * before it finds the batch full. */
#define RESTORE_BATCH_MAX (160 * 1024)
#define ELEMS_PER_BATCH   512

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
	batch_next(&bt);
	for (size_t i = 0; i < count && !bt.failed; i++)
		batch_elem(&bt, &ops[i]);
	if (bt.failed) {
		mnl_nlmsg_batch_stop(bt.b);
		return -1;
	}
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	batch_next(&bt);
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
static int nft_send_elems(struct nft *n, const struct elem_op *ops, size_t count)
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
static void session_addr_op(const struct sockaddr *addr, uint16_t type, struct elem_op *op)
{
	static const uint8_t no_mac[6];
	int v6;

	memset(op, 0, sizeof(*op));
	session_key(addr, no_mac, op->key, &v6);
	op->key_len = v6 ? 16 : 4;
	op->set = v6 ? "sessaddr6" : "sessaddr4";
	op->type = type;
}

/* The element of mac in devmac (the logged-in devices' MACs); 0 when the
 * MAC is not known (a client that is not on-link: no device). */
static int devmac_op(const uint8_t mac[6], uint16_t type, struct elem_op *op)
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
		    unsigned timeout_s)
{
	struct elem_op ops[4];
	int v6, rc;
	size_t count = 3;

	if (!n->have_table)
		return -1;
	memset(ops, 0, sizeof(ops));
	ops[0].key_len = session_key(addr, mac, ops[0].key, &v6);
	ops[0].set = v6 ? "sess6" : "sess4";
	ops[1] = ops[0];
	/* delete then add in one transaction: the timer restarts whether or
	 * not the element was there (a missing one would fail the batch, so
	 * the adds alone are retried then); adding the address element that
	 * is there already is no error */
	ops[0].type = NFT_MSG_DELSETELEM;
	ops[1].type = NFT_MSG_NEWSETELEM;
	ops[1].timeout_ms = (uint64_t)(timeout_s ? timeout_s : n->session_idle) * 1000;
	session_addr_op(addr, NFT_MSG_NEWSETELEM, &ops[2]);
	count += (size_t)devmac_op(mac, NFT_MSG_NEWSETELEM, &ops[3]);
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
	op.key_len = session_key(addr, mac, op.key, &v6);
	op.set = v6 ? "sess6" : "sess4";
	op.type = NFT_MSG_DELSETELEM;
	/* one transaction each: either element may be gone already (the
	 * kernel's idle timer ended the first), which fails its batch */
	rc = nft_send_elems(n, &op, 1);
	if (rc == 0 || rc == -ENOENT) {
		session_addr_op(addr, NFT_MSG_DELSETELEM, &op);
		rc = nft_send_elems(n, &op, 1);
	}
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

int nft_devmac_del(struct nft *n, const uint8_t mac[6])
{
	struct elem_op op;
	int rc;

	if (!n->have_table || !devmac_op(mac, NFT_MSG_DELSETELEM, &op))
		return 0;
	rc = nft_send_elems(n, &op, 1);
	return rc == 0 || rc == -ENOENT ? 0 : -1;
}

struct list_ctx {
	void (*cb)(const struct nft_session *s, void *ud);
	void *ud;
	int v6;
};

static int list_elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct list_ctx *lc = data;
	struct nft_session s;
	uint32_t klen = 0;
	const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);

	memset(&s, 0, sizeof(s));
	if (!key)
		return 0;
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

/* Every element of the address . MAC sets name4 and name6. */
static int addr_mac_list(struct nft *n, const char *name4, const char *name6,
			 void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];

	if (!n->have_table)
		return -1;
	for (int v6 = 0; v6 <= 1; v6++) {
		struct list_ctx lc = { cb, ud, v6 };
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
			got = recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
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
	return addr_mac_list(n, "sess4", "sess6", cb, ud);
}

int nft_seen_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud)
{
	return addr_mac_list(n, "seen4", "seen6", cb, ud);
}

/* ------------------------------------------------------------ whitelist intervals */

static size_t addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->lo, y->lo, addr_bytes(x->family));
}

/* end <= lo of the next range, byte-wise big-endian */
static int range_touches(const struct range *cur, const struct range *next)
{
	if (cur->end_inf)
		return 1;
	return memcmp(next->lo, cur->end, addr_bytes(cur->family)) <= 0;
}

static int range_end_after(const struct range *a, const struct range *b)
{
	if (a->end_inf != b->end_inf)
		return a->end_inf;
	return memcmp(a->end, b->end, addr_bytes(a->family)) > 0;
}

static void range_from_cidr(const struct cidr *c, struct range *r)
{
	size_t nb = addr_bytes(c->family);
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
static size_t range_ops(const struct range *r, uint16_t type, struct elem_op *ops)
{
	size_t nb = addr_bytes(r->family), k = 0;

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
			n_ops += range_ops(&n->wl[i], NFT_MSG_DELSETELEM, ops + n_ops);
	for (size_t i = 0; i < n_want; i++)
		if (!range_in(&want[i], n->wl, n->n_wl))
			n_ops += range_ops(&want[i], NFT_MSG_NEWSETELEM, ops + n_ops);
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

/* ------------------------------------------------------------ failing closed */

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
	batch_next(bt);
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
		size_t k = range_ops(&n->wl[i], NFT_MSG_NEWSETELEM, ops);

		for (size_t j = 0; j < k; j++)
			batch_elem(bt, &ops[j]);
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
	batch_next(&bt);
	build_closed(&bt, &n->spec);
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
		batch_next(&bt);
		build_closed(&bt, &n->spec);
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
 * alone, its device's MAC when known) as additions; ops holds 3. Returns
 * how many. */
static size_t session_ops(const struct nft_session *ks, unsigned default_idle,
			  struct elem_op *ops)
{
	int v6;
	uint64_t timeout_ms = ks->expires_ms ? ks->expires_ms : (uint64_t)default_idle * 1000;

	memset(ops, 0, 3 * sizeof(*ops));
	ops[0].key_len = session_key((const struct sockaddr *)&ks->addr, ks->mac, ops[0].key, &v6);
	ops[0].set = v6 ? "sess6" : "sess4";
	ops[0].type = NFT_MSG_NEWSETELEM;
	ops[0].timeout_ms = timeout_ms;
	session_addr_op((const struct sockaddr *)&ks->addr, NFT_MSG_NEWSETELEM, &ops[1]);
	return 2 + (size_t)devmac_op(ks->mac, NFT_MSG_NEWSETELEM, &ops[2]);
}

int nft_table_restore(struct nft *n, const struct nft_session *list, size_t count)
{
	struct batch bt = { 0 };
	const struct nlmsghdr *nlh, *last = NULL;
	struct elem_op ops[3], *all = NULL;
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
			batch_elem(&bt, &ops[j]);
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
	all = calloc(3 * (count + n_wl) + 1, sizeof(*all));
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
		n_all += range_ops(&wl[i], NFT_MSG_NEWSETELEM, all + n_all);
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
	got = recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
	if (got < 0)
		return -1;
	rc = mnl_cb_run(rbuf, (size_t)got, seq, n->portid, ack_cb, NULL);
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
	size_t nb = addr_bytes(r->family);
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

/* ------------------------------------------------------------ conntrack */

struct ct_match {
	int family;
	uint8_t addr[16];
	unsigned bits;            /* leading bits of addr a source must share */
	/* NULL, or 1 for a source whose connections stay */
	int (*keep)(const struct sockaddr *src, void *ud);
	void *keep_ud;
	/* original tuples of the entries to delete, as the kernel sent them */
	struct ct_tuple {
		uint8_t attr[256];
		size_t len;
		uint16_t zone;
		int has_zone;
	} *tuples;
	size_t n, cap;
};

static int prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	size_t whole = bits / 8;
	unsigned rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int ct_src_selected(const struct ct_match *m, const uint8_t *src)
{
	struct sockaddr_storage ss = { 0 };

	if (!prefix_equal(src, m->addr, m->bits))
		return 0;
	if (!m->keep)
		return 1;
	if (m->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, src, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, src, 16);
	}
	return !m->keep((const struct sockaddr *)&ss, m->keep_ud);
}

static int ct_src_matches(const struct nlattr *orig, const struct ct_match *m)
{
	const struct nlattr *ip, *a;

	mnl_attr_for_each_nested(ip, orig) {
		if ((mnl_attr_get_type(ip) & NLA_TYPE_MASK) != CTA_TUPLE_IP)
			continue;
		mnl_attr_for_each_nested(a, ip) {
			uint16_t t = mnl_attr_get_type(a) & NLA_TYPE_MASK;

			if (m->family == AF_INET && t == CTA_IP_V4_SRC &&
			    mnl_attr_get_payload_len(a) == 4)
				return ct_src_selected(m, mnl_attr_get_payload(a));
			if (m->family == AF_INET6 && t == CTA_IP_V6_SRC &&
			    mnl_attr_get_payload_len(a) == 16)
				return ct_src_selected(m, mnl_attr_get_payload(a));
		}
	}
	return 0;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_match *m = data;
	const struct nlattr *a, *orig = NULL, *reply = NULL;
	uint16_t zone = 0;
	int has_zone = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(a) & NLA_TYPE_MASK;

		if (t == CTA_TUPLE_ORIG)
			orig = a;
		else if (t == CTA_TUPLE_REPLY)
			reply = a;
		else if (t == CTA_ZONE && mnl_attr_get_payload_len(a) == 2) {
			zone = mnl_attr_get_u16(a);
			has_zone = 1;
		}
	}
	/* the client opened it (original source), or it was opened towards
	 * the client, which answers (reply source, also behind a DNAT) */
	if (!orig || orig->nla_len > sizeof(m->tuples[0].attr) ||
	    !(ct_src_matches(orig, m) || (reply && ct_src_matches(reply, m))))
		return MNL_CB_OK;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct ct_tuple *t = realloc(m->tuples, cap * sizeof(*t));

		if (!t)
			return MNL_CB_ERROR;
		m->tuples = t;
		m->cap = cap;
	}
	memcpy(m->tuples[m->n].attr, orig, orig->nla_len);
	m->tuples[m->n].len = orig->nla_len;
	m->tuples[m->n].zone = zone;
	m->tuples[m->n].has_zone = has_zone;
	m->n++;
	return MNL_CB_OK;
}

static int ct_cut_matching(struct nft *n, struct ct_match *m);

int nft_conntrack_cut(struct nft *n, const struct sockaddr *addr)
{
	struct ct_match m = { 0 };

	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			m.family = AF_INET;
			memcpy(m.addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			m.family = AF_INET6;
			memcpy(m.addr, &s6->sin6_addr, 16);
		}
	} else {
		m.family = AF_INET;
		memcpy(m.addr, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	}
	m.bits = m.family == AF_INET ? 32 : 128;
	return ct_cut_matching(n, &m);
}

int nft_conntrack_cut_prefix(struct nft *n, const struct cidr *prefix,
			     int (*keep)(const struct sockaddr *src, void *ud), void *ud)
{
	struct ct_match m = { 0 };

	m.family = prefix->family;
	memcpy(m.addr, prefix->addr, sizeof(m.addr));
	m.bits = prefix->prefix;
	m.keep = keep;
	m.keep_ud = ud;
	return ct_cut_matching(n, &m);
}

static int ct_cut_matching(struct nft *n, struct ct_match *mp)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct ct_match m = *mp;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq;
	ssize_t got;
	int rc = MNL_CB_OK, cut = 0;

	/* a dump of the family's table, then one delete per entry found:
	 * ctnetlink has no "delete by source" of its own */
	nlh = mnl_nlmsg_put_header(rbuf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = n->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)m.family;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while (rc > MNL_CB_STOP) {
		got = recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
		if (got < 0) {
			free(m.tuples);
			return -1;
		}
		rc = mnl_cb_run(rbuf, (size_t)got, seq, n->portid, ct_dump_cb, &m);
	}
	for (size_t i = 0; i < m.n; i++) {
		nlh = mnl_nlmsg_put_header(rbuf);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = seq = n->seq++;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = (uint8_t)m.family;
		nfg->version = NFNETLINK_V0;
		memcpy(mnl_nlmsg_get_payload_tail(nlh), m.tuples[i].attr, m.tuples[i].len);
		nlh->nlmsg_len += MNL_ALIGN((uint32_t)m.tuples[i].len);
		if (m.tuples[i].has_zone)
			mnl_attr_put_u16(nlh, CTA_ZONE, m.tuples[i].zone);
		if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
			continue;
		got = recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
		/* an entry that ended meanwhile is not an error */
		if (got > 0 && mnl_cb_run(rbuf, (size_t)got, seq, n->portid, ack_cb, NULL) >= 0)
			cut++;
	}
	free(m.tuples);
	return rc < 0 && m.n == 0 ? -1 : cut;
}

/* ------------------------------------------------------------ a connection's MAC */

/* addr as family, address bytes and port (host order); a v4-mapped IPv6
 * address as the IPv4 one. */
static void addr_parts(const struct sockaddr *addr, int *family, uint8_t bytes[16],
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

struct label_ctx {
	uint8_t mac[6];
	int found;
};

static int label_cb(const struct nlmsghdr *nlh, void *data)
{
	static const uint8_t zero[6];
	struct label_ctx *lc = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if ((mnl_attr_get_type(a) & NLA_TYPE_MASK) != CTA_LABELS ||
		    mnl_attr_get_payload_len(a) < 6)
			continue;
		memcpy(lc->mac, mnl_attr_get_payload(a), 6);
		lc->found = memcmp(lc->mac, zero, 6) != 0;
	}
	return MNL_CB_OK;
}

int nft_conn_mac(struct nft *n, const struct sockaddr *peer, const struct sockaddr *dst,
		 uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct label_ctx lc = { .found = 0 };
	struct nlattr *tuple, *ip, *proto;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint8_t src_b[16], dst_b[16];
	uint16_t sport, dport;
	int family, dst_family;
	uint32_t seq;
	ssize_t got;

	addr_parts(peer, &family, src_b, &sport);
	addr_parts(dst, &dst_family, dst_b, &dport);
	if (family != dst_family)
		return 1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq = n->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	/* the connection as its first packet went: client to where it was
	 * going (before the redirect) */
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (family == AF_INET) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src_b);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst_b);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src_b);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst_b);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	got = recv_answer(n->nl, buf, sizeof(buf), seq);
	if (got < 0)
		return -1;
	if (mnl_cb_run(buf, (size_t)got, seq, n->portid, label_cb, &lc) < 0)
		return errno == ENOENT ? 1 : -1;
	if (!lc.found)
		return 1;
	memcpy(mac, lc.mac, 6);
	return 0;
}

struct route_ctx {
	int ifindex;
	int on_link;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_ctx *rc = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	int oif = 0, via = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		uint16_t t = mnl_attr_get_type(a);

		if (t == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
			oif = (int)mnl_attr_get_u32(a);
		else if (t == RTA_GATEWAY || t == RTA_VIA)
			via = 1;
	}
	rc->on_link = oif == rc->ifindex && !via;
	return MNL_CB_OK;
}

int nft_addr_on_link(struct nft *n, const struct sockaddr *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct route_ctx rc = { .on_link = 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint8_t bytes[16];
	uint16_t port;
	int family;
	uint32_t seq;
	ssize_t got;

	rc.ifindex = (int)if_nametoindex(n->interface);
	if (rc.ifindex == 0)
		return -1;
	addr_parts(addr, &family, bytes, &port);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq = n->seq++;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, bytes);
	if (mnl_socket_sendto(n->rt, nlh, nlh->nlmsg_len) < 0)
		return -1;
	got = recv_answer(n->rt, buf, sizeof(buf), seq);
	if (got < 0)
		return -1;
	if (mnl_cb_run(buf, (size_t)got, seq, n->rt_portid, route_cb, &rc) < 0)
		return errno == ENETUNREACH || errno == EHOSTUNREACH ? 0 : -1;
	return rc.on_link;
}

/* ------------------------------------------------------------ neighbours */

int nft_neigh_parse(const void *msg, size_t len, int ifindex, struct sockaddr_storage *addr,
		    uint8_t mac[6])
{
	const struct nlmsghdr *nlh = msg;
	const struct ndmsg *nd;
	const struct nlattr *a;
	const void *dst = NULL, *lladdr = NULL;
	uint16_t dst_len = 0;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len || nlh->nlmsg_type != RTM_NEWNEIGH ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)))
		return 0;
	nd = mnl_nlmsg_get_payload(nlh);
	if (ifindex && nd->ndm_ifindex != ifindex)
		return 0;
	/* an entry still being resolved or known to fail names no MAC; NOARP
	 * ones (multicast, point-to-point) are no neighbour at all */
	if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP))
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*nd)) {
		if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6)
			lladdr = mnl_attr_get_payload(a);
		else if (mnl_attr_get_type(a) == NDA_DST) {
			dst = mnl_attr_get_payload(a);
			dst_len = mnl_attr_get_payload_len(a);
		}
	}
	if (!lladdr)
		return 0;
	if (addr) {
		memset(addr, 0, sizeof(*addr));
		if (nd->ndm_family == AF_INET && dst && dst_len == 4) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)addr;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, dst, 4);
		} else if (nd->ndm_family == AF_INET6 && dst && dst_len == 16) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)addr;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, dst, 16);
		} else {
			return 0;
		}
	}
	memcpy(mac, lladdr, 6);
	return 1;
}

void nft_set_interface(struct nft *n, const char *ifname)
{
	snprintf(n->interface, sizeof(n->interface), "%s", ifname);
}

struct neigh_list_ctx {
	int ifindex;
	void (*cb)(const struct sockaddr *addr, const uint8_t mac[6], void *ud);
	void *ud;
};

static int neigh_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_list_ctx *lc = data;
	struct sockaddr_storage ss;
	uint8_t mac[6];

	if (nft_neigh_parse(nlh, nlh->nlmsg_len, lc->ifindex, &ss, mac))
		lc->cb((const struct sockaddr *)&ss, mac, lc->ud);
	return MNL_CB_OK;
}

int nft_neigh_list(struct nft *n, void (*cb)(const struct sockaddr *addr, const uint8_t mac[6],
					     void *ud), void *ud)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	struct neigh_list_ctx lc = { .cb = cb, .ud = ud };
	struct nlmsghdr *nlh;
	struct ndmsg *nd;
	uint32_t seq;
	ssize_t got;
	int rc = MNL_CB_OK;

	lc.ifindex = (int)if_nametoindex(n->interface);
	if (lc.ifindex == 0)
		return -1;
	nlh = mnl_nlmsg_put_header(rbuf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = n->seq++;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	/* both families in one dump; the kernel filters by device when asked
	 * (NDA_IFINDEX), older ones send every device's and the parser skips
	 * the others */
	nd->ndm_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NDA_IFINDEX, (uint32_t)lc.ifindex);
	if (mnl_socket_sendto(n->rt, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while (rc > MNL_CB_STOP) {
		got = recv_answer(n->rt, rbuf, sizeof(rbuf), seq);
		if (got < 0)
			return -1;
		rc = mnl_cb_run(rbuf, (size_t)got, seq, n->rt_portid, neigh_list_cb, &lc);
	}
	return rc < 0 ? -1 : 0;
}

void nft_mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int nft_mac_parse(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}
