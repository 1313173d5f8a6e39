/* SPDX-License-Identifier: MIT */
/*
 * daemon-find.h: the running echoguardd, for `echoguard status` and
 * `echoguard learn install|rollback` (which signal it).
 */
#ifndef ECHOGUARD_CLI_DAEMON_FIND_H
#define ECHOGUARD_CLI_DAEMON_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The daemon's pid: want_pid when > 0, else the main pid of
 * echoguardd.service (systemd, over D-Bus), else the newest process named
 * echoguardd; 0 when there is none. *ret_running: the pid is an
 * echoguardd process now. unit (may be NULL) gets the unit's STATUS= text
 * ("" without systemd); *ret_start (may be NULL) the process start time
 * in clock ticks after boot.
 */
int cli_daemon_find(int want_pid, char *unit, size_t unitlen,
		    bool *ret_running, uint64_t *ret_start);

#endif
