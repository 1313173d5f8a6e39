// SPDX-License-Identifier: MIT
/*
 * learn-ring.c: the ring of capture segments of `echoguard learn record`
 * (learn-ring.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn-ring.h"

#define EPOCH_MAX 9999999999LL

int learn_ring_name(int64_t epoch, bool part, char *buf, size_t len)
{
	int n;

	if (epoch < 0 || epoch > EPOCH_MAX)
		return -ERANGE;
	n = snprintf(buf, len, "seg-%010lld.pcap%s", (long long)epoch,
		     part ? ".part" : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int learn_ring_parse(const char *name, int64_t *ret_epoch, bool *ret_part)
{
	int64_t e = 0;
	int i;

	if (strncmp(name, "seg-", 4))
		return -EINVAL;
	for (i = 4; i < 14; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -EINVAL;
		e = e * 10 + (name[i] - '0');
	}
	if (strcmp(name + 14, ".pcap") && strcmp(name + 14, ".pcap.part"))
		return -EINVAL;
	*ret_epoch = e;
	*ret_part = name[19] != 0;
	return 0;
}

void learn_ring_init(struct learn_ring *r)
{
	memset(r, 0, sizeof(*r));
}

void learn_ring_done(struct learn_ring *r)
{
	free(r->segs);
	learn_ring_init(r);
}

static int append(struct learn_ring *r, int64_t epoch, uint64_t bytes);

int learn_ring_push(struct learn_ring *r, int64_t epoch, uint64_t bytes)
{
	if (r->n && epoch <= r->segs[r->n - 1].epoch)
		return -EINVAL;
	return append(r, epoch, bytes);
}

void learn_ring_pop(struct learn_ring *r)
{
	if (!r->n)
		return;
	r->bytes -= r->segs[0].bytes;
	memmove(r->segs, r->segs + 1, --r->n * sizeof(*r->segs));
}

size_t learn_ring_excess(const struct learn_ring *r, uint64_t open_bytes,
			 uint64_t max_bytes)
{
	uint64_t total = r->bytes + open_bytes;
	size_t k = 0;

	while (k < r->n && total > max_bytes)
		total -= r->segs[k++].bytes;
	return k;
}

bool learn_ring_rotate(int64_t seg_epoch, uint64_t seg_bytes, int64_t ts,
		       uint64_t add, uint32_t segment_s, uint64_t cap)
{
	if (!seg_bytes || ts <= seg_epoch)
		return false;
	return ts - seg_epoch >= (int64_t)segment_s || seg_bytes + add > cap;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct learn_seg *x = a, *y = b;

	return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

/* Append without the order check (learn_ring_load sorts afterwards). */
static int append(struct learn_ring *r, int64_t epoch, uint64_t bytes)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct learn_seg *s = realloc(r->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->segs = s;
		r->cap = cap;
	}
	r->segs[r->n++] = (struct learn_seg){ epoch, bytes };
	r->bytes += bytes;
	return 0;
}

/* One pass over dir: parts (want_part) or closed segments into r, with
 * their sizes; regular files only. */
static int scan(int dfd, bool want_part, struct learn_ring *r)
{
	int fd = dup(dfd), rc = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rewinddir(d);
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		int64_t epoch;
		bool part;

		if (learn_ring_parse(e->d_name, &epoch, &part) < 0 ||
		    part != want_part)
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
		else if (S_ISREG(st.st_mode))
			rc = append(r, epoch, (uint64_t)st.st_size);
	}
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	return rc;
}

/* Rename the stale parts in r to closed segments, unless the closed name
 * exists. Returns how many were renamed, or -errno. */
static int recover(int dfd, const struct learn_ring *parts)
{
	char part[LEARN_RING_NAME_MAX], name[LEARN_RING_NAME_MAX];
	int n = 0;

	for (size_t i = 0; i < parts->n; i++) {
		(void)learn_ring_name(parts->segs[i].epoch, true, part, sizeof(part));
		(void)learn_ring_name(parts->segs[i].epoch, false, name, sizeof(name));
		if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (renameat(dfd, part, dfd, name) < 0)
			return -errno;
		n++;
	}
	return n;
}

int learn_ring_load(struct learn_ring *r, const char *dir)
{
	struct learn_ring parts;
	int dfd, rc;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	learn_ring_init(&parts);
	rc = scan(dfd, true, &parts);
	if (rc == 0)
		rc = recover(dfd, &parts);
	learn_ring_done(&parts);
	if (rc >= 0) {
		int k = scan(dfd, false, r);

		if (k < 0)
			rc = k;
	}
	close(dfd);
	if (r->n)
		qsort(r->segs, r->n, sizeof(*r->segs), cmp_seg);
	return rc;
}
