/* SPDX-License-Identifier: MIT */
/*
 * learn-ring.h: the bookkeeping of `echoguard learn record`'s ring of
 * capture segments (learn.h has the directory layout): segment names, the
 * closed segments oldest first with their sizes, when to rotate and how
 * many of the oldest must go to keep the directory under its bound. No
 * output, no exit; only learn_ring_load touches the disk.
 *
 * Covered by tests/unit/learn-ring.c.
 */
#ifndef ECHOGUARD_CLI_LEARN_RING_H
#define ECHOGUARD_CLI_LEARN_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "seg-" + ten digits + ".pcap" + ".part" + NUL, with room */
#define LEARN_RING_NAME_MAX 32

struct learn_seg {
	int64_t epoch;       /* the name's second */
	uint64_t bytes;      /* file size */
};

/* The closed segments (seg-EPOCH.pcap), oldest first. */
struct learn_ring {
	struct learn_seg *segs;
	size_t n, cap;
	uint64_t bytes;      /* sum of segs[].bytes */
};

/* "seg-EPOCH.pcap" (part: with ".part"), EPOCH ten digits. -ERANGE for an
 * epoch outside 0..9999999999. */
int learn_ring_name(int64_t epoch, bool part, char *buf, size_t len);
/* 0 and *ret_epoch, *ret_part for a segment's name, -EINVAL otherwise
 * (exactly "seg-" ten digits ".pcap" or ".pcap.part"). */
int learn_ring_parse(const char *name, int64_t *ret_epoch, bool *ret_part);

void learn_ring_init(struct learn_ring *r);
void learn_ring_done(struct learn_ring *r);
/* Append the newest closed segment; its epoch must be above the last one's
 * (-EINVAL otherwise), -ENOMEM. */
int learn_ring_push(struct learn_ring *r, int64_t epoch, uint64_t bytes);
/* Forget the oldest segment (the caller has deleted it). */
void learn_ring_pop(struct learn_ring *r);

/*
 * How many of the oldest closed segments must be deleted so that the
 * closed ones left plus open_bytes (the open segment and what is about to
 * be written to it) fit in max_bytes. n when even deleting all of them
 * does not make it fit.
 */
size_t learn_ring_excess(const struct learn_ring *r, uint64_t open_bytes,
			 uint64_t max_bytes);

/*
 * Must the open segment (epoch seg_epoch, seg_bytes written) be closed
 * before a packet of add bytes stamped ts (seconds) is written? Yes when
 * ts is segment_s or more past seg_epoch, or when the packet would take
 * it over cap bytes; but never within the segment's own first second (the
 * next segment's name would be the same), and never while it is empty.
 */
bool learn_ring_rotate(int64_t seg_epoch, uint64_t seg_bytes, int64_t ts,
		       uint64_t add, uint32_t segment_s, uint64_t cap);

/*
 * Read dir's segments into r (which must be empty): each stale
 * seg-EPOCH.pcap.part (a recorder that crashed) is renamed to
 * seg-EPOCH.pcap first, unless that name exists. Other files are ignored.
 * Returns the number of parts renamed, or -errno (r then holds what was
 * read; learn_ring_done it).
 */
int learn_ring_load(struct learn_ring *r, const char *dir);

#endif
