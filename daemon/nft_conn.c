#include "nft_int.h"

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
		got = nft_recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
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
		got = nft_recv_answer(n->nl, rbuf, sizeof(rbuf), seq);
		/* an entry that ended meanwhile is not an error */
		if (got > 0 && mnl_cb_run(rbuf, (size_t)got, seq, n->portid, nft_ack_cb, NULL) >= 0)
			cut++;
	}
	free(m.tuples);
	return rc < 0 && m.n == 0 ? -1 : cut;
}

/* ------------------------------------------------------------ a connection's MAC */

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

	nft_addr_parts(peer, &family, src_b, &sport);
	nft_addr_parts(dst, &dst_family, dst_b, &dport);
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
	got = nft_recv_answer(n->nl, buf, sizeof(buf), seq);
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
	nft_addr_parts(addr, &family, bytes, &port);
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
	got = nft_recv_answer(n->rt, buf, sizeof(buf), seq);
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
		got = nft_recv_answer(n->rt, rbuf, sizeof(rbuf), seq);
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
