/* SPDX-License-Identifier: MIT */
/*
 * privs.h: echoguardd gives up root itself, whoever started it (by hand,
 * `make demo`, the unit). Called once the netlink sockets and the
 * microphone source are open and before any thread starts (capabilities
 * are per thread; threads inherit the caller's). docs/daemon.md
 * "Privileges"; tested by tests/e2e/e2e-privs.sh.
 */
#ifndef EG_DAEMON_PRIVS_H
#define EG_DAEMON_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#define EG_PRIVS_DEFAULT_USER "echoguard"

struct eg_privs {
	uid_t uid;
	gid_t gid;
	unsigned long long cap_eff, cap_prm, cap_bnd; /* bit masks */
	int switched;                 /* 1: uid/gid were changed here */
};

/*
 * When running as uid 0: keep CAP_NET_ADMIN only (effective, permitted;
 * inheritable, ambient and the bounding set emptied of everything else),
 * set no_new_privs, and switch to user ("root": stay uid 0 with that one
 * capability; "echoguard", the default, falls back to "nobody" where the
 * package has not created it; any other name that does not exist:
 * -ENOENT, with err saying so).
 * When not uid 0 (the unit's User=): change nothing, only report (the
 * unit's own settings already hold; its seccomp filter forbids capset).
 * Fills *ret with what holds afterwards. Returns 0 or -errno with err.
 */
int eg_privs_drop(const char *user, struct eg_privs *ret, char *err,
		  size_t errlen);

#endif
