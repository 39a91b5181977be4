#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "nft.h"

/* What the batch says, read back with libnftnl's own parsers. */
struct shape {
	int begin, end;
	int new_table, del_table;
	char sets[16][32];
	uint32_t set_flags[16];
	int n_sets;
	char chains[8][32];
	uint32_t hooks[8];
	int32_t prios[8];
	int n_chains;
	int rules_pre, rules_fwd, rules_to_lan;
	int redirects, rejects, dynsets, lookups_sess, ifname_cmps;
	uint16_t redirect_ports[4];
	char table[64];
	/* the direction rules */
	int gotos_to_lan;             /* forward: "goto to_lan" */
	int fwd_established;          /* forward: ct state established,related ... */
	int fwd_established_original; /*   ... only with ct direction original */
	int to_lan_established;       /* to_lan: ct state established,related return */
	int to_lan_lookups_daddr;     /* to_lan: wl and sessaddr looked up by destination */
	int to_lan_rejects;
	int lookups_sessaddr;
	char sessaddr_chain[32];      /* where sessaddr4/6 are looked up */
	int mark_loads;               /* "meta mark": a mark any rule can set */
	/* what prerouting records of a new connection's first frame */
	int label_sets;               /* ct label set <register> ... */
	int label_from_ll_saddr;      /*   ... the register holding ether saddr */
	int lookups_devmac;           /* ether saddr @devmac */
	int lookups_sess_inv;         /* ip saddr . ether saddr != @sess4/6 */
	int seen_adds;                /* add @seen4/6 { ... } */
	char seen_chain[32];
	/* the counters: acct_in4/6 by source in count_in, acct_out4/6 by
	 * destination in count_out */
	int acct_in_saddr, acct_out_daddr, acct_elsewhere;
	int acct_dynsets;             /* an update as well would count twice */
};

static struct shape sh;

/* What one rule holds, while its expressions are walked. */
static struct {
	const char *chain;
	int ct_state, ct_original;
	uint32_t payload_base, payload_offset, payload_len;
} rule;

static int expr_cb(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	(void)data;
	if (strcmp(name, "redir") == 0)
		sh.redirects++;
	else if (strcmp(name, "reject") == 0) {
		sh.rejects++;
		if (strcmp(rule.chain, "to_lan") == 0)
			sh.to_lan_rejects++;
	} else if (strcmp(name, "dynset") == 0) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME);

		sh.dynsets++;
		if (strncmp(set, "acct_", 5) == 0)
			sh.acct_dynsets++;
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_DYNSET_OP) == NFT_DYNSET_OP_ADD &&
		    strncmp(set, "seen", 4) == 0) {
			sh.seen_adds++;
			snprintf(sh.seen_chain, sizeof(sh.seen_chain), "%s", rule.chain);
		}
	} else if (strcmp(name, "payload") == 0) {
		rule.payload_base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
		rule.payload_offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
		rule.payload_len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	} else if (strcmp(name, "ct") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);

		if (key == NFT_CT_LABELS && nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG)) {
			sh.label_sets++;
			/* the source MAC: six bytes at 6 of the link-layer header */
			if (rule.payload_base == NFT_PAYLOAD_LL_HEADER && rule.payload_offset == 6 &&
			    rule.payload_len == 6 && strcmp(rule.chain, "prerouting") == 0)
				sh.label_from_ll_saddr++;
		} else if (key == NFT_CT_STATE)
			rule.ct_state = 1;
		else if (key == NFT_CT_DIRECTION)
			rule.ct_original = 1;   /* the cmp that follows is checked below */
	} else if (strcmp(name, "lookup") == 0) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);

		int inv = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
			  (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV);

		if ((strcmp(set, "sess4") == 0 || strcmp(set, "sess6") == 0) && inv)
			sh.lookups_sess_inv++;
		else if (strcmp(set, "sess4") == 0 || strcmp(set, "sess6") == 0)
			sh.lookups_sess++;
		if (strcmp(set, "devmac") == 0)
			sh.lookups_devmac++;
		if (strncmp(set, "acct_in", 7) == 0 && strcmp(rule.chain, "count_in") == 0 &&
		    ((rule.payload_len == 4 && rule.payload_offset == 12) ||
		     (rule.payload_len == 16 && rule.payload_offset == 8)))
			sh.acct_in_saddr++;
		else if (strncmp(set, "acct_out", 8) == 0 && strcmp(rule.chain, "count_out") == 0 &&
			 ((rule.payload_len == 4 && rule.payload_offset == 16) ||
			  (rule.payload_len == 16 && rule.payload_offset == 24)))
			sh.acct_out_daddr++;
		else if (strncmp(set, "acct_", 5) == 0)
			sh.acct_elsewhere++;
		if (strncmp(set, "sessaddr", 8) == 0) {
			sh.lookups_sessaddr++;
			snprintf(sh.sessaddr_chain, sizeof(sh.sessaddr_chain), "%s", rule.chain);
		}
		/* destination address: ip daddr at 16, ip6 daddr at 24 */
		if (strcmp(rule.chain, "to_lan") == 0 &&
		    ((rule.payload_len == 4 && rule.payload_offset == 16) ||
		     (rule.payload_len == 16 && rule.payload_offset == 24)))
			sh.to_lan_lookups_daddr++;
	} else if (strcmp(name, "immediate") == 0 &&
		   nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN)) {
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == (uint32_t)NFT_GOTO &&
		    strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN), "to_lan") == 0)
			sh.gotos_to_lan++;
	} else if (strcmp(name, "immediate") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA)) {
		uint32_t len;
		const uint16_t *p = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);

		if (len == 2 && sh.redirects < 4)
			sh.redirect_ports[sh.redirects] = ntohs(*p);
	} else if (strcmp(name, "cmp") == 0) {
		uint32_t len;
		const char *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

		if (len == 16 && strcmp(d, "lan0") == 0)
			sh.ifname_cmps++;
		/* ct direction's cmp: one byte, "original" */
		if (rule.ct_original == 1) {
			rule.ct_original = len == 1 && d[0] == IP_CT_DIR_ORIGINAL &&
					   nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ ? 2 : -1;
		}
	}
	return 0;
}

static void read_batch(const void *buf, long len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	memset(&sh, 0, sizeof(sh));
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t type = nlh->nlmsg_type;

		if (type == NFNL_MSG_BATCH_BEGIN) {
			sh.begin++;
			continue;
		}
		if (type == NFNL_MSG_BATCH_END) {
			sh.end++;
			continue;
		}
		assert_int_equal(type >> 8, NFNL_SUBSYS_NFTABLES);
		switch (type & 0xff) {
		case NFT_MSG_NEWTABLE:
		case NFT_MSG_DELTABLE: {
			struct nftnl_table *t = nftnl_table_alloc();

			assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
			snprintf(sh.table, sizeof(sh.table), "%s", nftnl_table_get_str(t, NFTNL_TABLE_NAME));
			if ((type & 0xff) == NFT_MSG_NEWTABLE)
				sh.new_table++;
			else
				sh.del_table++;
			nftnl_table_free(t);
			break;
		}
		case NFT_MSG_NEWSET: {
			struct nftnl_set *s = nftnl_set_alloc();

			assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
			snprintf(sh.sets[sh.n_sets], 32, "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
			sh.set_flags[sh.n_sets++] = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
			nftnl_set_free(s);
			break;
		}
		case NFT_MSG_NEWCHAIN: {
			struct nftnl_chain *c = nftnl_chain_alloc();

			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			snprintf(sh.chains[sh.n_chains], 32, "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
			sh.prios[sh.n_chains] = nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO)
						? nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) : 0;
			sh.hooks[sh.n_chains++] = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			nftnl_chain_free(c);
			break;
		}
		case NFT_MSG_NEWRULE: {
			struct nftnl_rule *r = nftnl_rule_alloc();

			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			memset(&rule, 0, sizeof(rule));
			rule.chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			if (strcmp(rule.chain, "prerouting") == 0)
				sh.rules_pre++;
			else if (strcmp(rule.chain, "to_lan") == 0)
				sh.rules_to_lan++;
			else
				sh.rules_fwd++;
			nftnl_expr_foreach(r, expr_cb, NULL);
			if (rule.ct_state && strcmp(rule.chain, "forward") == 0) {
				sh.fwd_established++;
				if (rule.ct_original == 2)
					sh.fwd_established_original++;
			}
			if (rule.ct_state && !rule.ct_original && strcmp(rule.chain, "to_lan") == 0)
				sh.to_lan_established++;
			nftnl_rule_free(r);
			break;
		}
		default:
			fail_msg("unexpected message type %u", type & 0xff);
		}
	}
	assert_int_equal(left, 0);
}

static char buf[NFT_BATCH_MAX];

/* the spec the tests start from: lan0, ports 3129/3130, no bypass */
static struct nft_spec default_spec(void)
{
	struct nft_spec sp = { .interface = "lan0", .http_port = 3129, .https_port = 3130,
			       .session_idle = 600 };

	return sp;
}

/* build the table batch for sp and read it into sh */
static void build_and_read(const struct nft_spec *sp)
{
	long len = nft_build_table_batch(sp, 1, buf, sizeof(buf));

	assert_true(len > 0);
	read_batch(buf, len);
}

static void test_table_shape(void **state)
{
	struct nft_spec sp = default_spec();

	(void)state;
	build_and_read(&sp);
	assert_int_equal(sh.begin, 1);
	assert_int_equal(sh.end, 1);
	/* create, delete (what a crash left), create: one transaction */
	assert_int_equal(sh.new_table, 2);
	assert_int_equal(sh.del_table, 1);
	assert_string_equal(sh.table, NFT_TABLE_NAME);
	assert_int_equal(sh.n_sets, 13);
	assert_string_equal(sh.sets[0], "wl4");
	assert_true(sh.set_flags[0] & NFT_SET_INTERVAL);
	assert_string_equal(sh.sets[2], "sess4");
	assert_true(sh.set_flags[2] & NFT_SET_TIMEOUT);
	assert_true(sh.set_flags[3] & NFT_SET_TIMEOUT);
	/* the addresses alone: the daemon adds and removes them, no timer */
	assert_string_equal(sh.sets[4], "sessaddr4");
	assert_string_equal(sh.sets[5], "sessaddr6");
	assert_false(sh.set_flags[4] & NFT_SET_TIMEOUT);
	/* the logged-in devices' MACs, and the addresses the kernel saw their
	 * frames come from: filled from the packet path, with a timer */
	assert_string_equal(sh.sets[6], "devmac");
	assert_string_equal(sh.sets[7], "seen4");
	assert_string_equal(sh.sets[8], "seen6");
	assert_true(sh.set_flags[7] & NFT_SET_EVAL);
	assert_true(sh.set_flags[8] & NFT_SET_TIMEOUT);
	assert_int_equal(sh.n_chains, 5);
	assert_int_equal(sh.hooks[0], NF_INET_PRE_ROUTING);
	assert_int_equal(sh.hooks[1], NF_INET_FORWARD);
	assert_string_equal(sh.chains[2], "to_lan");
	assert_int_equal(sh.redirects, 2);
	assert_int_equal(sh.redirect_ports[0], 3129);
	assert_int_equal(sh.redirect_ports[1], 3130);
	/* TCP reset, then ICMP for the rest: from the LAN and towards it */
	assert_int_equal(sh.rejects, 4);
	assert_int_equal(sh.to_lan_rejects, 2);
	/* forwarded packets refresh the idle timer, v4 and v6; prerouting
	 * records a device's new addresses */
	assert_int_equal(sh.dynsets, 4);
	/* without bypass the sessions are looked up only in forward */
	assert_int_equal(sh.lookups_sess, 2);
	/* prerouting's iifname, forward's iifname+oifname and iifname,
	 * count_in's iifname and count_out's oifname */
	assert_int_equal(sh.ifname_cmps, 6);
	/* no packet passes on a mark: another table's rule could set the same */
	assert_int_equal(sh.mark_loads, 0);
}

/* Each session's bytes are counted by the kernel: sets acct_in4/6 and
 * acct_out4/6 whose elements carry a counter, looked up (which runs the
 * matched element's counter) by source address as packets arrive on the
 * LAN interface, before the redirect, and by destination as they leave by
 * it, after the source NAT. Nothing else looks them up, and no update
 * expression runs the counter a second time. */
static void test_counting_rules(void **state)
{
	struct nft_spec sp = default_spec();

	(void)state;
	build_and_read(&sp);
	assert_string_equal(sh.sets[9], "acct_in4");
	assert_string_equal(sh.sets[10], "acct_in6");
	assert_string_equal(sh.sets[11], "acct_out4");
	assert_string_equal(sh.sets[12], "acct_out6");
	for (int i = 9; i <= 12; i++) {
		assert_true(sh.set_flags[i] & NFT_SET_EXPR);
		assert_false(sh.set_flags[i] & NFT_SET_TIMEOUT);
	}
	assert_string_equal(sh.chains[3], "count_in");
	assert_int_equal(sh.hooks[3], NF_INET_PRE_ROUTING);
	assert_true(sh.prios[3] < -100);      /* before the nat chain's redirect */
	assert_string_equal(sh.chains[4], "count_out");
	assert_int_equal(sh.hooks[4], NF_INET_POST_ROUTING);
	assert_true(sh.prios[4] > 100);       /* after the source NAT */
	assert_int_equal(sh.acct_in_saddr, 2);
	assert_int_equal(sh.acct_out_daddr, 2);
	assert_int_equal(sh.acct_elsewhere, 0);
	assert_int_equal(sh.acct_dynsets, 0);
}

/* A connection opened from the WAN side towards a LAN host: the host's
 * answers are LAN-ingress "established" packets, and must not pass on that
 * account alone; the connection itself reaches only whitelisted and
 * logged-in addresses. */
static void test_direction_of_established_flows(void **state)
{
	struct nft_spec sp = default_spec();

	(void)state;
	build_and_read(&sp);
	assert_int_equal(sh.gotos_to_lan, 1);
	/* forward accepts established flows only in the LAN host's own direction */
	assert_int_equal(sh.fwd_established, 1);
	assert_int_equal(sh.fwd_established_original, 1);
	/* to_lan: established flows pass, then wl4/wl6 and sessaddr4/6 by
	 * destination, then the rejects */
	assert_int_equal(sh.to_lan_established, 1);
	assert_int_equal(sh.lookups_sessaddr, 2);
	assert_string_equal(sh.sessaddr_chain, "to_lan");
	assert_int_equal(sh.to_lan_lookups_daddr, 4);
	assert_int_equal(sh.rules_to_lan, 1 + 4 + 2);
}

/* The kernel, not the neighbour table, says which MAC a connection came
 * from and which addresses a logged-in device uses: the first frame's
 * ether saddr goes into the connection's label, and a new address of a
 * logged-in MAC into seen4/6, both in prerouting (first packets only). */
static void test_prerouting_records_frames(void **state)
{
	struct nft_spec sp = default_spec();

	(void)state;
	build_and_read(&sp);
	assert_int_equal(sh.label_sets, 1);
	assert_int_equal(sh.label_from_ll_saddr, 1);
	assert_int_equal(sh.seen_adds, 2);
	assert_string_equal(sh.seen_chain, "prerouting");
	assert_int_equal(sh.lookups_devmac, 2);
	assert_int_equal(sh.lookups_sess_inv, 2);
}

static void test_bypass_skips_redirect_for_sessions(void **state)
{
	struct nft_spec sp = default_spec();
	int pre_without;

	(void)state;
	build_and_read(&sp);
	pre_without = sh.rules_pre;
	sp.bypass = 1;
	build_and_read(&sp);
	assert_int_equal(sh.rules_pre, pre_without + 2);
	assert_int_equal(sh.lookups_sess, 4);
}

static void test_bad_spec_and_small_buffer(void **state)
{
	struct nft_spec sp = default_spec();

	(void)state;
	assert_int_equal(nft_build_table_batch(&sp, 1, buf, 512), -1);
	sp.interface = "an-interface-name-longer-than-ifnamsiz";
	assert_int_equal(nft_build_table_batch(&sp, 1, buf, sizeof(buf)), -1);
	sp.interface = "";
	assert_int_equal(nft_build_table_batch(&sp, 1, buf, sizeof(buf)), -1);
}

static void test_mac_text(void **state)
{
	uint8_t mac[6];
	char text[18];

	(void)state;
	assert_int_equal(nft_mac_parse("02:aB:00:ff:10:09", mac), 0);
	nft_mac_format(mac, text, sizeof(text));
	assert_string_equal(text, "02:ab:00:ff:10:09");
	assert_int_equal(nft_mac_parse("02:ab:00:ff:10", mac), -1);
	assert_int_equal(nft_mac_parse("02:ab:00:ff:10:09:00", mac), -1);
	assert_int_equal(nft_mac_parse("", mac), -1);
}

/* A neighbour-table message as the kernel sends it. */
static size_t neigh_msg(void *out, uint16_t type, uint8_t family, int ifindex, uint16_t state,
			const void *dst, size_t dst_len, const void *lladdr, size_t ll_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(out);
	struct ndmsg *nd;

	nlh->nlmsg_type = type;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = state;
	if (dst)
		mnl_attr_put(nlh, NDA_DST, dst_len, dst);
	if (lladdr)
		mnl_attr_put(nlh, NDA_LLADDR, ll_len, lladdr);
	return nlh->nlmsg_len;
}

static void test_neighbour_entries(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t v6[16], v4[4], got_mac[6];
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];
	char msg[512];
	size_t len;

	(void)state;
	inet_pton(AF_INET6, "fd00:201::2", v6);
	inet_pton(AF_INET, "10.201.0.2", v4);

	/* a reachable IPv6 neighbour of interface 3 */
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 1);
	assert_int_equal(ss.ss_family, AF_INET6);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof(text));
	assert_string_equal(text, "fd00:201::2");
	assert_memory_equal(got_mac, mac, 6);
	/* any interface when asked so; another interface's entry is skipped */
	assert_int_equal(nft_neigh_parse(msg, len, 0, &ss, got_mac), 1);
	assert_int_equal(nft_neigh_parse(msg, len, 4, &ss, got_mac), 0);
	/* a stale IPv4 entry still names the device */
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET, 3, NUD_STALE, v4, 4, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 1);
	assert_int_equal(ss.ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof(text));
	assert_string_equal(text, "10.201.0.2");
	/* no MAC to trust: being resolved, failed, no ARP, no or a short
	 * link-layer address */
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_INCOMPLETE, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_FAILED, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_NOARP, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, v6, 16, NULL, 0);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, v6, 16, mac, 4);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	/* an address of the wrong length, or none, when one is wanted */
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, v4, 4, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET, 3, NUD_REACHABLE, NULL, 0, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	assert_int_equal(nft_neigh_parse(msg, len, 3, NULL, got_mac), 1);
	/* a deleted entry, and a message cut short */
	len = neigh_msg(msg, RTM_DELNEIGH, AF_INET6, 3, NUD_REACHABLE, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len, 3, &ss, got_mac), 0);
	len = neigh_msg(msg, RTM_NEWNEIGH, AF_INET6, 3, NUD_REACHABLE, v6, 16, mac, 6);
	assert_int_equal(nft_neigh_parse(msg, len - 8, 3, &ss, got_mac), 0);
	assert_int_equal(nft_neigh_parse(msg, 8, 3, &ss, got_mac), 0);
}

/* What stays while the daemon is not running: the whitelist sets and the
 * forward filter, no redirect, no session sets, the same rejects. */
static void test_closed_table_shape(void **state)
{
	struct nft_spec sp = default_spec();
	long len;

	(void)state;
	len = nft_build_closed_batch(&sp, 1, buf, sizeof(buf));
	assert_true(len > 0);
	read_batch(buf, len);
	assert_int_equal(sh.begin, 1);
	assert_int_equal(sh.end, 1);
	/* replaces the running table (or what an include put there) at once */
	assert_int_equal(sh.new_table, 2);
	assert_int_equal(sh.del_table, 1);
	assert_string_equal(sh.table, NFT_TABLE_NAME);
	assert_int_equal(sh.n_sets, 2);
	assert_string_equal(sh.sets[0], "wl4");
	assert_string_equal(sh.sets[1], "wl6");
	assert_int_equal(sh.n_chains, 2);
	assert_int_equal(sh.hooks[0], NF_INET_FORWARD);
	assert_string_equal(sh.chains[1], "to_lan");
	assert_int_equal(sh.redirects, 0);
	assert_int_equal(sh.lookups_sess, 0);
	assert_int_equal(sh.lookups_sessaddr, 0);
	assert_int_equal(sh.dynsets, 0);
	assert_int_equal(sh.rules_pre, 0);
	/* the LAN's own flows from before the stop, then the rejects */
	assert_int_equal(sh.fwd_established_original, 1);
	assert_int_equal(sh.to_lan_established, 1);
	assert_int_equal(sh.rejects, 4);
	assert_int_equal(sh.gotos_to_lan, 1);
	assert_int_equal(sh.mark_loads, 0);
	sp.interface = "";
	assert_int_equal(nft_build_closed_batch(&sp, 1, buf, sizeof(buf)), -1);
}

/* A notification as the kernel sends it: type, sender's port, family, and
 * the table's name as attribute 1 (NULL: none). */
static size_t notification(char *at, uint16_t type, uint32_t portid, uint8_t family,
			   const char *table)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type);
	nlh->nlmsg_pid = portid;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	if (table)
		mnl_attr_put_strz(nlh, 1, table);
	if (type == NFT_MSG_NEWGEN) {
		mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(7));
		mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(4321));
		mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft\x1b[0m");
	}
	return nlh->nlmsg_len;
}

static void test_watch_sees_other_processes_only(void **state)
{
	static char m[4096];
	struct nft_change c;
	size_t len;

	(void)state;
	/* the daemon's own change (its port) is no news */
	memset(&c, 0, sizeof(c));
	len = notification(m, NFT_MSG_DELTABLE, 99, NFPROTO_INET, NFT_TABLE_NAME);
	nft_watch_parse(m, len, NFT_TABLE_NAME, 99, &c);
	assert_false(c.touched);
	/* another table, or another family's table of the same name */
	len = notification(m, NFT_MSG_DELTABLE, 5, NFPROTO_INET, "siteadmin");
	len += notification(m + len, NFT_MSG_DELTABLE, 5, NFPROTO_IPV4, NFT_TABLE_NAME);
	len += notification(m + len, NFT_MSG_DELRULE, 5, NFPROTO_INET, "portcullis2");
	nft_watch_parse(m, len, NFT_TABLE_NAME, 99, &c);
	assert_false(c.touched);
	/* a rule added by someone else: changed, not deleted; the generation
	 * that follows names the process, printable bytes only */
	len = notification(m, NFT_MSG_NEWRULE, 5, NFPROTO_INET, NFT_TABLE_NAME);
	nft_watch_parse(m, len, NFT_TABLE_NAME, 99, &c);
	assert_true(c.touched);
	assert_false(c.deleted);
	assert_string_equal(c.process, "");
	len = notification(m, NFT_MSG_NEWGEN, 5, NFPROTO_UNSPEC, NULL);
	nft_watch_parse(m, len, NFT_TABLE_NAME, 99, &c);
	assert_string_equal(c.process, "nft?[0m (pid 4321)");
	/* flush ruleset: the table deleted */
	memset(&c, 0, sizeof(c));
	len = notification(m, NFT_MSG_DELSET, 5, NFPROTO_INET, NFT_TABLE_NAME);
	len += notification(m + len, NFT_MSG_DELTABLE, 5, NFPROTO_INET, NFT_TABLE_NAME);
	nft_watch_parse(m, len, NFT_TABLE_NAME, 99, &c);
	assert_true(c.touched);
	assert_true(c.deleted);
	/* a truncated message is not read past its end */
	memset(&c, 0, sizeof(c));
	len = notification(m, NFT_MSG_DELTABLE, 5, NFPROTO_INET, NFT_TABLE_NAME);
	nft_watch_parse(m, len - 4, NFT_TABLE_NAME, 99, &c);
	assert_false(c.touched);
}

static void count_session_cb(const struct nft_session *s, void *ud)
{
	(void)s;
	(*(size_t *)ud)++;
}

/*
 * The handle against a real kernel, in a network namespace of the test's
 * own (root only; skipped otherwise): a request whose answer was left in
 * the socket does not fail the next ones, a whitelist of thousands of
 * ranges goes in, and a restore puts back every one of 1000 sessions
 * (each element's ack once overflowed the socket's receive buffer).
 */
static void test_kernel_handle(void **state)
{
	struct nft_spec sp = { .interface = "lo", .http_port = 8080, .https_port = 8443,
			       .session_idle = 600 };
	static struct nft_session list[1000];
	static struct cidr wl[4000];
	char err[256];
	struct nft *n;
	size_t count = 0;

	(void)state;
	if (unshare(CLONE_NEWNET) < 0) {
		print_message("no network namespace of its own (%s): skipped\n", strerror(errno));
		skip();
	}
	n = nft_open(err, sizeof(err));
	assert_non_null(n);
	assert_int_equal(nft_table_replace(n, &sp, err, sizeof(err)), 0);
	/* 4000 ranges are 8000 element messages, more than one batch holds */
	for (size_t i = 0; i < 4000; i++) {
		char text[32];

		snprintf(text, sizeof(text), "10.%zu.%zu.1", 100 + i / 250, i % 250);
		assert_int_equal(cidr_parse(text, &wl[i]), 0);
	}
	assert_int_equal(nft_whitelist_sync(n, wl, 4000), 0);
	/* every request reads its own answer, not the one before */
	assert_int_equal(nft_table_present(n), 1);
	assert_int_equal(nft_table_present(n), 1);
	assert_int_equal(nft_session_list(n, count_session_cb, &count), 0);
	assert_int_equal(count, 0);
	for (size_t i = 0; i < 1000; i++) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&list[i].addr;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "fd00:201::1:0", &s6->sin6_addr);
		s6->sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		s6->sin6_addr.s6_addr[15] = (uint8_t)i;
		list[i].mac[0] = 2;
		list[i].mac[4] = (uint8_t)(i >> 8);
		list[i].mac[5] = (uint8_t)i;
	}
	assert_int_equal(nft_table_delete(n), 0);
	assert_int_equal(nft_table_present(n), 0);
	assert_int_equal(nft_table_restore(n, list, 1000), 0);
	count = 0;
	assert_int_equal(nft_session_list(n, count_session_cb, &count), 0);
	assert_int_equal(count, 1000);
	assert_int_equal(nft_table_present(n), 1);
	nft_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_counting_rules),
		cmocka_unit_test(test_direction_of_established_flows),
		cmocka_unit_test(test_prerouting_records_frames),
		cmocka_unit_test(test_bypass_skips_redirect_for_sessions),
		cmocka_unit_test(test_bad_spec_and_small_buffer),
		cmocka_unit_test(test_mac_text),
		cmocka_unit_test(test_neighbour_entries),
		cmocka_unit_test(test_closed_table_shape),
		cmocka_unit_test(test_watch_sees_other_processes_only),
		cmocka_unit_test(test_kernel_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
