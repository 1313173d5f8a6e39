// SPDX-License-Identifier: MIT
/* daemon-find.c: which process is echoguardd; see daemon-find.h.
 * (Moved from cmd-status.c: `echoguard learn install` signals the same
 * daemon that `echoguard status` reports.) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "daemon-find.h"

static bool is_daemon(int pid, uint64_t *ret_start)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok || !strstr(buf, "(echoguardd)"))
		return false;
	/* field 22, starttime, counted after the ") " */
	p = strrchr(buf, ')');
	for (int i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	if (ret_start)
		*ret_start = start;
	return true;
}

/* The newest echoguardd process, or 0. */
static int scan_proc(void)
{
	uint64_t start, best_start = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");
	int best = 0, pid;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid > 0 && is_daemon(pid, &start) && start >= best_start) {
			best = pid;
			best_start = start;
		}
	}
	closedir(d);
	return best;
}

/* Under systemd: the unit's main pid and STATUS= text (to unit unless
 * NULL). */
static int unit_pid(char *unit, size_t unitlen)
{
	static const char *const obj = "/org/freedesktop/systemd1/unit/"
				       "echoguardd_2eservice";
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	uint32_t pid = 0;
	char *txt = NULL;

	if (sd_bus_open_system(&bus) < 0)
		return 0;
	if (sd_bus_get_property_string(bus, "org.freedesktop.systemd1", obj,
				       "org.freedesktop.systemd1.Service",
				       "StatusText", &e, &txt) >= 0 && txt && unit)
		snprintf(unit, unitlen, "%s", txt);
	free(txt);
	sd_bus_error_free(&e);
	(void)sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", obj,
					  "org.freedesktop.systemd1.Service",
					  "MainPID", &e, 'u', &pid);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return (int)pid;
}

int cli_daemon_find(int want_pid, char *unit, size_t unitlen,
		    bool *ret_running, uint64_t *ret_start)
{
	int pid = want_pid;

	if (unit && unitlen)
		unit[0] = 0;
	if (pid <= 0)
		pid = unit_pid(unit, unitlen);
	if (pid <= 0)
		pid = scan_proc();
	*ret_running = pid > 0 && is_daemon(pid, ret_start);
	return pid;
}
