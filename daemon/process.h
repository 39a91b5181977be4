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

#endif
