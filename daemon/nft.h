/*
 * nft — the daemon's own nftables table, its sets, and the other kernel
 * tables intercept mode reads or cuts (conntrack, the neighbour table).
 *
 * nft.c and its siblings (nft_kernel.c, nft_closed.c, nft_conn.c, sharing
 * the private nft_int.h) are the only code in the project that includes
 * libnftnl or libmnl. Nothing here forks nft or parses text: every change
 * is a netlink batch, applied by the kernel as one transaction (all or
 * nothing).
 *
 * The table (family inet, so one table serves IPv4 and IPv6):
 *   set wl4/wl6      whitelisted ranges (intervals)
 *   set sess4/sess6  logged-in clients, address . MAC, with a timeout that
 *                    forwarded packets refresh (the idle timer)
 *   set sessaddr4/6  the same clients' addresses alone, for packets towards
 *                    them (the forward hook does not know a destination MAC)
 *   set devmac       the MACs of the logged-in devices
 *   set acct_in4/6   the logged-in clients' addresses, each element with a
 *                    counter of what the client sent: every IP packet
 *                    arriving on the LAN interface from the address
 *                    (forwarded, redirected to the daemon, or for the
 *                    gateway itself), IP header included, link header not
 *   set acct_out4/6  the same for what it received: every IP packet leaving
 *                    by the LAN interface towards the address (forwarded,
 *                    or the daemon's own answers)
 *                    Neither refreshes the idle timer or admits anything;
 *                    chains count_in (prerouting, before the redirect) and
 *                    count_out (postrouting) update them, the daemon only
 *                    reads them (nft_acct_list), in batches
 *   set seen4/seen6  address . MAC of new connections from a logged-in
 *                    device's MAC whose address has no session (yet), each
 *                    for 10 s: filled by the kernel from the frames, read
 *                    by the daemon to give the device's new addresses its
 *                    session
 *   chain prerouting (nat) first labels every new LAN connection with the
 *                    source MAC of its first frame (ct label, the first six
 *                    bytes of the 128 bits) and records seen4/seen6; the
 *                    daemon reads the label of the connections it accepts
 *   chain prerouting (nat): LAN TCP 80/443 redirected to the intercept
 *                    listeners, unless whitelisted, addressed to the gateway
 *                    itself, or (bypass) logged in
 *   chain forward (filter): from the LAN, whitelisted and logged-in clients
 *                    pass, and so do the later packets of connections the
 *                    LAN host opened (ct direction original); its answers to
 *                    connections opened towards it do not. The rest is
 *                    rejected (TCP reset, ICMP administratively prohibited).
 *                    Towards the LAN, packets go to chain to_lan.
 *   chain to_lan:    established and related flows pass; new connections
 *                    reach whitelisted and logged-in addresses only, the
 *                    rest is rejected the same way
 * No rule trusts a packet mark: the daemon's own connections never pass
 * these chains (locally generated packets take output and postrouting; sent
 * to one of the gateway's own addresses they come back in on lo, not on the
 * LAN interface), and a mark is what any other rule may set.
 *
 * Failing closed. While the daemon runs it watches the ruleset (netlink
 * notifications) and puts the table back, with its sets' elements, when
 * another process deletes or changes it. When it stops it leaves the closed
 * table behind instead of none: the same name, sets wl4/wl6 with the
 * whitelist, chain forward passing whitelisted clients and the flows the
 * LAN opened before the stop, rejecting the rest from the LAN, and chain
 * to_lan without the session sets. The next start replaces it in one
 * transaction. Traffic to the gateway itself (DHCP, DNS) is not touched.
 */
#ifndef PORTCULLIS_NFT_H
#define PORTCULLIS_NFT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"

#define NFT_TABLE_NAME "portcullis"
#define NFT_BATCH_MAX  (256 * 1024)

struct nft;

/* What the table is built from; strings borrowed for the call. */
struct nft_spec {
	const char *table;           /* NULL: NFT_TABLE_NAME */
	const char *interface;       /* the LAN interface */
	uint16_t http_port;          /* intercept listeners (local ports) */
	uint16_t https_port;
	unsigned session_idle;       /* s: idle timeout of session elements */
	int bypass;                  /* logged-in clients skip the daemon */
};

/* What the kernel counted for one address (sets acct_in4/6, acct_out4/6):
 * in = sent by the client (RADIUS's Acct-Input-Octets), out = sent to it.
 * Bytes are IP packet lengths (header included). With GRO a packet count
 * may be lower than the packets on the wire; the bytes are the same. */
struct nft_counters {
	uint64_t bytes_in, packets_in;
	uint64_t bytes_out, packets_out;
};

/* One logged-in client as the kernel holds it. */
struct nft_session {
	struct sockaddr_storage addr;    /* AF_INET or AF_INET6, port unused */
	uint8_t mac[6];
	uint64_t expires_ms;             /* time left before the element expires */
	struct nft_counters counted;     /* nft_table_restore: where its counters
					  * start again; nft_acct_list: what they hold */
};

/*
 * Build the batch that replaces the table (creates it, deletes whatever a
 * previous run left, creates it again with its sets, chains and rules) into
 * buf. Pure: no socket. Returns the batch length, or -1 if buf is too
 * small or the spec is invalid. The unit test reads it back.
 */
long nft_build_table_batch(const struct nft_spec *spec, uint32_t seq, void *buf, size_t buflen);

/* The closed table for spec (see above) into buf, as nft_build_table_batch
 * does the running one: -1 if buf is too small or the spec invalid. Pure. */
long nft_build_closed_batch(const struct nft_spec *spec, uint32_t seq, void *buf, size_t buflen);

/* Open the netlink sockets. NULL with a message on failure. */
struct nft *nft_open(char *err, size_t errlen);
/* Accepts NULL. Leaves the table in place (see nft_table_delete). */
void nft_close(struct nft *n);

/* Replace the table as one transaction. 0, or -1 with a message. The spec
 * is copied: later element updates use its table name and idle timeout. */
int nft_table_replace(struct nft *n, const struct nft_spec *spec, char *err, size_t errlen);
/* Remove the table; 0 also when it was not there. */
int nft_table_delete(struct nft *n);
/* Replace the table (the running one nft_table_replace installed) by the
 * closed one, whitelist included, in one transaction. 0 or -1. */
int nft_table_close(struct nft *n);
/*
 * Install the running table again from the spec nft_table_replace was
 * given, with the whitelist it last synced and the count sessions in list
 * (each with its own timeout, expires_ms; 0: the spec's idle timeout): one
 * transaction when it fits in a batch, else the table with the whitelist
 * first and the sessions after it. 0 or -1.
 */
int nft_table_restore(struct nft *n, const struct nft_session *list, size_t count);
/* 1 when the table is there, 0 when not, -1 on error. */
int nft_table_present(struct nft *n);
/* The netlink port of n's requests: the kernel's notifications of the
 * changes n made carry it. The watch below ignores one port: whatever
 * changes the table must go through that one handle, or the watch takes
 * the change for another process's and puts the table back. */
uint32_t nft_portid(const struct nft *n);

/*
 * The ruleset as an nftables script (nft -f) that installs the closed
 * table (replacing any table of the name), with the whitelist n last
 * synced: for the administrator's nftables.conf to include, so that a
 * reload of it (`flush ruleset`) while the daemon is not running leaves
 * the LAN closed too. NUL-terminated; 0, or -1 if len is too small.
 */
int nft_closed_ruleset_text(struct nft *n, char *buf, size_t len);

/* ---- the watch: the kernel's notifications of ruleset changes ---- */

struct nft_watch;

/* What a read of the notifications found. */
struct nft_change {
	int touched;             /* the table was deleted or changed by another process */
	int deleted;             /* ... deleted (flushed, or replaced by another) */
	int lost;                /* notifications were lost (a full socket buffer) */
	char process[64];        /* who, when the kernel said: "nft (pid 123)" */
};

/* Subscribe to the nftables notifications. NULL with a message on failure. */
struct nft_watch *nft_watch_open(char *err, size_t errlen);
/* Accepts NULL. */
void nft_watch_close(struct nft_watch *w);
/* For poll(): readable when notifications wait. */
int nft_watch_fd(const struct nft_watch *w);
/* Read every notification waiting (never blocks) and add to *out whether
 * table (family inet) was touched by a process other than the one behind
 * own_portid (the caller zeroes *out when it has acted on it: a
 * transaction's notifications may span reads). 0, or -1 on a socket
 * error. */
int nft_watch_read(struct nft_watch *w, const char *table, uint32_t own_portid,
		   struct nft_change *out);
/* The same for len bytes of notifications already read. Pure. */
void nft_watch_parse(const void *buf, size_t len, const char *table, uint32_t own_portid,
		     struct nft_change *out);

/* Add (or refresh: the element's timer restarts) a session element, and
 * its address's elements in sessaddr4/6 and acct_in/out4/6; timeout_s 0
 * means the spec's idle timeout. The counters of an address already
 * counted carry on; a new one's start at start (NULL: zero). 0 or -1. */
int nft_session_add(struct nft *n, const struct sockaddr *addr, const uint8_t mac[6],
		    unsigned timeout_s, const struct nft_counters *start);
/* Its elements, counters included; 0, also when they were already gone;
 * -1 on error. */
int nft_session_del(struct nft *n, const struct sockaddr *addr, const uint8_t mac[6]);
/* Call cb for every session element in the kernel. 0 or -1. */
int nft_session_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud);
/* Call cb for every counted address (acct_in/out4/6), with its counters
 * in s->counted (mac and expires_ms zero): one dump of each set, never a
 * question per address. 0 or -1. */
int nft_acct_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud);
/* The counters of one address (zeros when it is not counted). 0 or -1. */
int nft_acct_get(struct nft *n, const struct sockaddr *addr, struct nft_counters *out);
/* Remove mac from devmac (a device with no address logged in any more);
 * 0, also when it was not there; -1 on error. */
int nft_devmac_del(struct nft *n, const uint8_t mac[6]);
/* Call cb for every address . MAC the kernel saw in seen4/6 (a logged-in
 * device's frames from an address without a session), expires_ms the
 * time the record has left. 0 or -1. */
int nft_seen_list(struct nft *n, void (*cb)(const struct nft_session *s, void *ud), void *ud);

/* The source MAC of the first frame of the TCP connection from peer to dst
 * (dst as the client addressed it: the original destination of a
 * redirected connection), as the prerouting chain labelled the connection
 * in the kernel's connection tracking. 0 with mac filled, 1 when the
 * kernel has no such connection or no MAC for it (not from an Ethernet
 * interface), -1 on error. Unlike the neighbour table, nothing a LAN host
 * sends after that first frame changes it. */
int nft_conn_mac(struct nft *n, const struct sockaddr *peer, const struct sockaddr *dst,
		 uint8_t mac[6]);
/* 1 when addr is on-link on the LAN interface (the route to it goes out
 * of that interface without a router: its frames carry its own MAC), 0
 * when not, -1 on error. */
int nft_addr_on_link(struct nft *n, const struct sockaddr *addr);

/*
 * Make the whitelist sets hold exactly the n prefixes in list: ranges are
 * merged, compared with what the sets hold now, and only the difference is
 * sent, in one transaction. 0 or -1.
 */
int nft_whitelist_sync(struct nft *n, const struct cidr *list, size_t count);

/* Cut every tracked connection of addr: those it opened (original source)
 * and those opened towards it (reply source). Returns how many were
 * removed, or -1. */
int nft_conntrack_cut(struct nft *n, const struct sockaddr *addr);
/* The same for every address inside prefix, except those for which keep
 * (NULL: none) returns 1. Returns how many were removed, or -1. */
int nft_conntrack_cut_prefix(struct nft *n, const struct cidr *prefix,
			     int (*keep)(const struct sockaddr *src, void *ud), void *ud);

/* The LAN interface, whose neighbour table nft_neigh_list reads and
 * whose routes nft_addr_on_link asks (set by nft_table_replace too; a
 * handle that only reads connections' MACs sets it here). */
void nft_set_interface(struct nft *n, const char *ifname);

/* Call cb for every usable entry (a MAC known, not being resolved, not
 * failed) of the interface's neighbour table, IPv4 and IPv6: the
 * addresses the LAN's devices use and the MAC of each. addr is borrowed
 * for the call. 0 or -1. */
int nft_neigh_list(struct nft *n, void (*cb)(const struct sockaddr *addr, const uint8_t mac[6],
					     void *ud), void *ud);
/*
 * One neighbour-table message (RTM_NEWNEIGH, len bytes) as nft_neigh_list
 * reads it: 1 with mac (and addr, when not NULL, as
 * AF_INET/AF_INET6) filled when it is a usable entry of ifindex (0: any
 * interface), 0 when not. Pure: the unit test feeds it messages.
 */
int nft_neigh_parse(const void *msg, size_t len, int ifindex, struct sockaddr_storage *addr,
		    uint8_t mac[6]);

/* "aa:bb:cc:dd:ee:ff" (buf at least 18 bytes) and back (0 or -1). */
void nft_mac_format(const uint8_t mac[6], char *buf, size_t len);
int nft_mac_parse(const char *text, uint8_t mac[6]);

/* ---- the shaping table (nft_shape.c; shaper.h says what it is for) ----
 *
 * table inet portcullis_shape, apart from the gate's table (which the
 * watch guards): maps shape4/shape6 from a client address to an HTB class
 * id, and chain postrouting setting the packet's priority from them,
 * by destination address as packets leave on the LAN interface (download)
 * and by source address as they leave on the upload interface (upload). */
#define NFT_SHAPE_TABLE_NAME "portcullis_shape"

/* The table's transaction into buf (replacing a table of the name); wan_if
 * NULL or "": no upload rules. Pure; its length, or -1. */
long nft_build_shape_batch(const char *lan_if, const char *wan_if, uint32_t seq, void *buf,
			   size_t buflen);
/* Install it (replacing leftovers); 0, or -1 with a message. */
int nft_shape_table_replace(struct nft *n, const char *lan_if, const char *wan_if, char *err,
			    size_t errlen);
/* Remove it; 0 also when it was not there. */
int nft_shape_table_delete(struct nft *n);
/* addr's element: set to classid (replacing another), or removed (0 also
 * when it was not there). 0 or -1. */
int nft_shape_set(struct nft *n, const struct sockaddr *addr, uint32_t classid);
int nft_shape_del(struct nft *n, const struct sockaddr *addr);

#endif
