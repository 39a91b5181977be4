/*
 * process — process-wide settings the daemon makes once at start, before
 * any thread runs and before any secret is in memory.
 *
 * No core dumps: passwords pass through the daemon's memory (a Basic header,
 * an admin login), and so do the keys of the nonces, the credential cache
 * and the lockout tables; a core file would put them on disk. The process is
 * made non-dumpable (prctl PR_SET_DUMPABLE 0, which also keeps other
 * processes of the same user from attaching to it or reading its memory)
 * and its core size limit is set to 0.
 *
 * Descriptors: the soft RLIMIT_NOFILE is raised to the hard limit, since a
 * connection through the proxy holds two descriptors; when they still run
 * out the proxy pauses accepting (see proxy.c) instead of spinning.
 */
#ifndef PORTCULLIS_PROCESS_H
#define PORTCULLIS_PROCESS_H

#include <stddef.h>

/* 0, or -1 with a message in err (then nothing secret may be loaded).
 * *max_fds receives the descriptor limit now in force (may be NULL). */
int process_harden(unsigned long *max_fds, char *err, size_t errlen);

/* Explicit proxy mode never programs the firewall: the unit grants
 * CAP_NET_ADMIN for intercept mode, and the daemon gives it up (effective,
 * permitted, inheritable, ambient, and the bounding set where allowed)
 * when intercept mode is off. Before any thread starts: capabilities are
 * per thread, and new threads inherit the creator's. 0, or -1 with a
 * message. */
int process_drop_net_admin(char *err, size_t errlen);

#endif
