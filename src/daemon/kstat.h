/* SPDX-License-Identifier: MIT */
/*
 * kstat.h: the kernel's own per-queue counters, from
 * /proc/net/netfilter/nfnetlink_queue (of the daemon's network namespace).
 */
#ifndef EG_DAEMON_KSTAT_H
#define EG_DAEMON_KSTAT_H

#include <stdint.h>

struct eg_kstat {
	uint32_t queue;
	uint32_t portid;        /* listener's netlink port id */
	uint32_t total;         /* packets waiting for a verdict now */
	uint32_t copy_mode, copy_range;
	uint32_t dropped;       /* queue full (fail closed) */
	uint32_t user_dropped;  /* could not be delivered to the socket */
	uint32_t id_sequence;   /* last packet id handed out */
};

#define EG_KSTAT_PATH "/proc/net/netfilter/nfnetlink_queue"

/*
 * Open path now and keep it for eg_kstat_read: the file is root's, 0440,
 * and the daemon reads it after dropping to its user (privs.h). Returns 0
 * or -errno (then eg_kstat_read opens it each time, and may fail).
 */
int eg_kstat_hold(const char *path);

/*
 * Read the line of queue `queue` from path (EG_KSTAT_PATH normally).
 * Returns 0 and fills *ret, -ENOENT if the queue has no listener line,
 * -errno if the file cannot be read.
 */
int eg_kstat_read(const char *path, uint32_t queue, struct eg_kstat *ret);

#endif
