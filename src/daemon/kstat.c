// SPDX-License-Identifier: MIT
/* kstat.c: parse /proc/net/netfilter/nfnetlink_queue; see kstat.h. */
#include <errno.h>
#include <stdio.h>

#include "kstat.h"

int eg_kstat_read(const char *path, uint32_t queue, struct eg_kstat *ret)
{
	struct eg_kstat k;
	char line[256];
	FILE *f;
	int r = -ENOENT;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* queue portid total copy_mode copy_range dropped
		 * user_dropped id_sequence 1 */
		if (sscanf(line, "%u %u %u %u %u %u %u %u", &k.queue, &k.portid,
			   &k.total, &k.copy_mode, &k.copy_range, &k.dropped,
			   &k.user_dropped, &k.id_sequence) != 8)
			continue;
		if (k.queue == queue) {
			*ret = k;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}
