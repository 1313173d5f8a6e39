/* SPDX-License-Identifier: MIT */
/*
 * util.h: small helpers shared by the daemon's modules.
 *
 * Counters are written by one thread (the owner) and read by the stats
 * code in the main thread: relaxed atomic loads and stores keep that free
 * of data races without a locked instruction on the packet path.
 */
#ifndef EG_DAEMON_UTIL_H
#define EG_DAEMON_UTIL_H

#include <stdint.h>

#define CNT_ADD(c, n) __atomic_store_n(&(c), (c) + (n), __ATOMIC_RELAXED)
#define CNT_INC(c) CNT_ADD(c, 1)
#define CNT_SET(c, v) __atomic_store_n(&(c), (v), __ATOMIC_RELAXED)
#define CNT_GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
