#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

/* What the batch says, read back with libnftnl's own parsers. */
struct shape {
	int begin, end;
	int new_table, del_table;
	char sets[8][32];
	uint32_t set_flags[8];
	int n_sets;
	char chains[4][32];
	uint32_t hooks[4];
	int n_chains;
	int rules_pre, rules_fwd;
	int redirects, rejects, dynsets, lookups_sess, ifname_cmps;
	uint16_t redirect_ports[4];
	char table[64];
};

static struct shape sh;

static int expr_cb(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	(void)data;
	if (strcmp(name, "redir") == 0)
		sh.redirects++;
	else if (strcmp(name, "reject") == 0)
		sh.rejects++;
	else if (strcmp(name, "dynset") == 0)
		sh.dynsets++;
	else if (strcmp(name, "lookup") == 0 &&
		 strncmp(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), "sess", 4) == 0)
		sh.lookups_sess++;
	else if (strcmp(name, "immediate") == 0 && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA)) {
		uint32_t len;
		const uint16_t *p = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);

		if (len == 2 && sh.redirects < 4)
			sh.redirect_ports[sh.redirects] = ntohs(*p);
	} else if (strcmp(name, "cmp") == 0) {
		uint32_t len;
		const char *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

		if (len == 16 && strcmp(d, "lan0") == 0)
			sh.ifname_cmps++;
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
			sh.hooks[sh.n_chains++] = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			nftnl_chain_free(c);
			break;
		}
		case NFT_MSG_NEWRULE: {
			struct nftnl_rule *r = nftnl_rule_alloc();

			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "prerouting") == 0)
				sh.rules_pre++;
			else
				sh.rules_fwd++;
			nftnl_expr_foreach(r, expr_cb, NULL);
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

static void test_table_shape(void **state)
{
	struct nft_spec sp = { .interface = "lan0", .http_port = 3129, .https_port = 3130,
			       .mark = 0x1f, .session_idle = 600 };
	long len;

	(void)state;
	len = nft_build_table_batch(&sp, 1, buf, sizeof(buf));
	assert_true(len > 0);
	read_batch(buf, len);
	assert_int_equal(sh.begin, 1);
	assert_int_equal(sh.end, 1);
	/* create, delete (what a crash left), create: one transaction */
	assert_int_equal(sh.new_table, 2);
	assert_int_equal(sh.del_table, 1);
	assert_string_equal(sh.table, NFT_TABLE_NAME);
	assert_int_equal(sh.n_sets, 4);
	assert_string_equal(sh.sets[0], "wl4");
	assert_true(sh.set_flags[0] & NFT_SET_INTERVAL);
	assert_string_equal(sh.sets[2], "sess4");
	assert_true(sh.set_flags[2] & NFT_SET_TIMEOUT);
	assert_true(sh.set_flags[3] & NFT_SET_TIMEOUT);
	assert_int_equal(sh.n_chains, 2);
	assert_int_equal(sh.hooks[0], NF_INET_PRE_ROUTING);
	assert_int_equal(sh.hooks[1], NF_INET_FORWARD);
	assert_int_equal(sh.redirects, 2);
	assert_int_equal(sh.redirect_ports[0], 3129);
	assert_int_equal(sh.redirect_ports[1], 3130);
	/* TCP reset, then ICMP for the rest */
	assert_int_equal(sh.rejects, 2);
	/* forwarded packets refresh the idle timer, v4 and v6 */
	assert_int_equal(sh.dynsets, 2);
	/* without bypass the sessions are looked up only in forward */
	assert_int_equal(sh.lookups_sess, 2);
	assert_int_equal(sh.ifname_cmps, 2);
}

static void test_bypass_skips_redirect_for_sessions(void **state)
{
	struct nft_spec sp = { .interface = "lan0", .http_port = 3129, .https_port = 3130,
			       .mark = 0x1f, .session_idle = 600, .bypass = 1 };
	long len;
	int pre_without;

	(void)state;
	sp.bypass = 0;
	len = nft_build_table_batch(&sp, 1, buf, sizeof(buf));
	read_batch(buf, len);
	pre_without = sh.rules_pre;
	sp.bypass = 1;
	len = nft_build_table_batch(&sp, 1, buf, sizeof(buf));
	assert_true(len > 0);
	read_batch(buf, len);
	assert_int_equal(sh.rules_pre, pre_without + 2);
	assert_int_equal(sh.lookups_sess, 4);
}

static void test_bad_spec_and_small_buffer(void **state)
{
	struct nft_spec sp = { .interface = "lan0", .http_port = 3129, .https_port = 3130,
			       .mark = 0x1f, .session_idle = 600 };

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_bypass_skips_redirect_for_sessions),
		cmocka_unit_test(test_bad_spec_and_small_buffer),
		cmocka_unit_test(test_mac_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
