// SPDX-License-Identifier: MIT
/* kstat.c: parse /proc/net/netfilter/nfnetlink_queue; see kstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kstat.h"

static int held_fd = -1;
static const char *held_path;

int eg_kstat_hold(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (held_fd >= 0)
		close(held_fd);
	held_fd = fd;
	held_path = path;
	return 0;
}

/* The held file rewound (a seq_file renders afresh from offset 0), or a
 * fresh open. */
static FILE *open_stats(const char *path)
{
	int fd;
	FILE *f;

	if (held_fd < 0 || strcmp(path, held_path) != 0)
		return fopen(path, "re");
	if (lseek(held_fd, 0, SEEK_SET) < 0 || (fd = dup(held_fd)) < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

int eg_kstat_read(const char *path, uint32_t queue, struct eg_kstat *ret)
{
	struct eg_kstat k;
	char line[256];
	FILE *f;
	int r = -ENOENT;

	f = open_stats(path);
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
