// SPDX-License-Identifier: MIT
/* privs.c: drop to one capability and an unprivileged user; see privs.h.
 * Raw capget/capset (no libcap): two 32-bit words, version 3. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

#define KEEP (1ull << CAP_NET_ADMIN)

static int caps_get(unsigned long long *eff, unsigned long long *prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = (unsigned long long)d[1].effective << 32 | d[0].effective;
	*prm = (unsigned long long)d[1].permitted << 32 | d[0].permitted;
	return 0;
}

static int caps_set(unsigned long long keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static unsigned long long bounding_set(void)
{
	unsigned long long m = 0;

	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= 1ull << c;
	return m;
}

/* Empty the bounding set but for KEEP (needs CAP_SETPCAP: before setuid). */
static int limit_bounding_set(void)
{
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;          /* past the kernel's last capability */
		/* EPERM: no CAP_SETPCAP (a container's root): the set
		 * stays as given, the capabilities below still go. */
		if (r == 1 && !(KEEP & 1ull << c) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return errno == EPERM ? 0 : -errno;
	}
	return 0;
}

/* setgroups/setgid/setuid keeping capabilities across the uid change. */
static int switch_user(const struct passwd *pw, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		int e = errno;

		snprintf(err, errlen, "[daemon] user %s: switching to uid %u "
			 "gid %u: %s", pw->pw_name, (unsigned)pw->pw_uid,
			 (unsigned)pw->pw_gid, strerror(e));
		return -e;
	}
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

static int drop_as_root(const char *user, char *err, size_t errlen)
{
	bool stay = !user[0] || strcmp(user, "root") == 0;
	const struct passwd *pw = NULL;
	unsigned long long eff, prm;
	int r;

	if (!stay) {
		errno = 0;
		pw = getpwnam(user);
		/* The default user before the package created it (by hand,
		 * make demo): nobody, never root. */
		if (!pw && !errno && strcmp(user, EG_PRIVS_DEFAULT_USER) == 0)
			pw = getpwnam("nobody");
		if (!pw) {
			snprintf(err, errlen, "[daemon] user %s: %s", user,
				 errno ? strerror(errno) : "no such user "
				 "(create it, or set user = root)");
			return errno ? -errno : -ENOENT;
		}
	}
	r = limit_bounding_set();
	if (r == 0 && pw)
		r = switch_user(pw, err, errlen);
	else if (r < 0)
		snprintf(err, errlen, "capability bounding set: %s",
			 strerror(-r));
	if (r < 0)
		return r;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	r = caps_get(&eff, &prm);
	if (r == 0)
		r = caps_set(KEEP & prm);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r < 0)
		snprintf(err, errlen, "capabilities: %s", strerror(-r));
	return r;
}

int eg_privs_drop(const char *user, struct eg_privs *ret, char *err,
		  size_t errlen)
{
	struct eg_privs p = { 0 };
	int r;

	if (geteuid() == 0) {
		r = drop_as_root(user, err, errlen);
		if (r < 0)
			return r;
		p.switched = getuid() != 0;
	}
	p.uid = getuid();
	p.gid = getgid();
	r = caps_get(&p.cap_eff, &p.cap_prm);
	if (r < 0) {
		snprintf(err, errlen, "capget: %s", strerror(-r));
		return r;
	}
	p.cap_bnd = bounding_set();
	*ret = p;
	return 0;
}
