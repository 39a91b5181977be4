/*
 * nft_int.h — what the nft*.c files share: the table's constants, the
 * handle, and the batch builder. Private to nft.c, nft_kernel.c,
 * nft_closed.c and nft_conn.c, the only files that include libnftnl and
 * libmnl; everyone else uses nft.h.
 *
 *   nft.c         building rules, the batch, the table's transactions
 *   nft_kernel.c  talking to the kernel, set elements, whitelist intervals
 *   nft_closed.c  failing closed (the closed table, the restore), the watch
 *   nft_conn.c    conntrack, a connection's MAC, routes and neighbours
 */
#ifndef PORTCULLIS_NFT_INT_H
#define PORTCULLIS_NFT_INT_H

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
	SET_DEVMAC, SET_SEEN4, SET_SEEN6, SET_ACCT_IN4, SET_ACCT_IN6, SET_ACCT_OUT4,
	SET_ACCT_OUT6,
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


struct batch {
	struct mnl_nlmsg_batch *b;
	uint32_t seq;
	const char *table;
	int failed;
};

/* One batch of element changes: elems[i] goes to set[i] with type[i]. */
struct elem_op {
	const char *set;
	uint16_t type;              /* NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM */
	uint8_t key[24];
	size_t key_len;
	uint32_t flags;             /* NFT_SET_ELEM_INTERVAL_END */
	uint64_t timeout_ms;
	int counter;                /* the element carries a counter starting at: */
	uint64_t bytes, packets;
};

/* Batches of elements: below the kernel's default socket send buffer
 * (net.core.wmem_default, 208 KiB), which bounds one netlink message, and
 * with room in NFT_BATCH_MAX for the message libmnl writes past the limit
 * before it finds the batch full. */
#define RESTORE_BATCH_MAX (160 * 1024)
#define ELEMS_PER_BATCH   512

/* Shared between the nft*.c files; each is described where it is defined. */

/* nft.c */
struct nlmsghdr *nft_batch_hdr(struct batch *bt, uint16_t type, uint16_t flags);
void nft_batch_next(struct batch *bt);
void nft_batch_table(struct batch *bt, uint16_t type, uint16_t flags);
void nft_build_closed(struct batch *bt, const struct nft_spec *sp);

/* nft_kernel.c */
int nft_ack_cb(const struct nlmsghdr *nlh, void *data);
ssize_t nft_recv_answer(struct mnl_socket *sock, void *buf, size_t len, uint32_t seq);
int nft_send_batch(struct nft *n, const void *buf, size_t len);
size_t nft_session_key(const struct sockaddr *addr, const uint8_t mac[6], uint8_t key[24], int *v6);
void nft_batch_elem(struct batch *bt, const struct elem_op *op);
int nft_send_elems(struct nft *n, const struct elem_op *ops, size_t count);
void nft_session_addr_op(const struct sockaddr *addr, uint16_t type, struct elem_op *op);
int nft_devmac_op(const uint8_t mac[6], uint16_t type, struct elem_op *op);
size_t nft_addr_bytes(int family);
size_t nft_acct_ops(const struct sockaddr *addr, uint16_t type, const struct nft_counters *start,
		    struct elem_op ops[2]);
size_t nft_range_ops(const struct range *r, uint16_t type, struct elem_op *ops);
void nft_addr_parts(const struct sockaddr *addr, int *family, uint8_t bytes[16], uint16_t *port);

#endif
