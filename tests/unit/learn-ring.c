/* SPDX-License-Identifier: MIT */
/*
 * learn-ring.c: the ring bookkeeping of `echoguard learn record`
 * (src/cli/learn-ring.c, built into this program: the cli is not a
 * library). Names and their parsing; the order of the ring; how many of
 * the oldest segments must go; when to rotate; a long simulated recording
 * that never exceeds its bound and keeps the newest segments; and reading
 * a directory left by a crashed recorder (stale .part files).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn-ring.h"
#include "tap.h"

static void test_names(void)
{
	char buf[LEARN_RING_NAME_MAX];
	int64_t e = -1;
	bool part = true;

	CHECK_EQ(learn_ring_name(1733472000, false, buf, sizeof(buf)), 0);
	CHECK_STREQ(buf, "seg-1733472000.pcap");
	CHECK_EQ(learn_ring_name(42, true, buf, sizeof(buf)), 0);
	CHECK_STREQ(buf, "seg-0000000042.pcap.part");
	CHECK_EQ(learn_ring_parse(buf, &e, &part), 0);
	CHECK_EQ(e, 42);
	CHECK(part);
	CHECK_EQ(learn_ring_parse("seg-1733472000.pcap", &e, &part), 0);
	CHECK_EQ(e, 1733472000);
	CHECK(!part);
	CHECK_EQ(learn_ring_name(-1, false, buf, sizeof(buf)), -ERANGE);
	CHECK_EQ(learn_ring_name(10000000000LL, false, buf, sizeof(buf)), -ERANGE);
	CHECK_EQ(learn_ring_name(1, false, buf, 8), -ENOSPC);
	/* anything but exactly ten digits and the two suffixes */
	e = 7;
	CHECK_EQ(learn_ring_parse("seg-173347200.pcap", &e, &part), -EINVAL);
	CHECK_EQ(learn_ring_parse("seg-17334720000.pcap", &e, &part), -EINVAL);
	CHECK_EQ(learn_ring_parse("seg-1733472000.pcapng", &e, &part), -EINVAL);
	CHECK_EQ(learn_ring_parse("seg-1733472000.pcap.part~", &e, &part), -EINVAL);
	CHECK_EQ(learn_ring_parse("seg-17334720x0.pcap", &e, &part), -EINVAL);
	CHECK_EQ(learn_ring_parse("mic.csv", &e, &part), -EINVAL);
	CHECK_EQ(e, 7); /* untouched on failure */
}

static void test_excess(void)
{
	struct learn_ring r;

	learn_ring_init(&r);
	CHECK_EQ(learn_ring_excess(&r, 500, 100), 0); /* nothing to delete */
	CHECK_EQ(learn_ring_push(&r, 100, 30), 0);
	CHECK_EQ(learn_ring_push(&r, 110, 40), 0);
	CHECK_EQ(learn_ring_push(&r, 120, 20), 0);
	CHECK_EQ(learn_ring_push(&r, 120, 1), -EINVAL); /* not newer */
	CHECK_EQ(learn_ring_push(&r, 119, 1), -EINVAL);
	CHECK_EQ(r.n, 3);
	CHECK_EQ(r.bytes, 90);
	CHECK_EQ(learn_ring_excess(&r, 10, 100), 0);  /* 100: fits exactly */
	CHECK_EQ(learn_ring_excess(&r, 11, 100), 1);  /* oldest (30) goes */
	CHECK_EQ(learn_ring_excess(&r, 40, 100), 1);  /* 60 + 40 */
	CHECK_EQ(learn_ring_excess(&r, 41, 100), 2);
	CHECK_EQ(learn_ring_excess(&r, 80, 100), 2);  /* 20 + 80 */
	CHECK_EQ(learn_ring_excess(&r, 81, 100), 3);  /* all, still too much */
	learn_ring_pop(&r);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.segs[0].epoch, 110);
	CHECK_EQ(r.bytes, 60);
	learn_ring_pop(&r);
	learn_ring_pop(&r);
	learn_ring_pop(&r); /* empty: nothing */
	CHECK_EQ(r.n, 0);
	CHECK_EQ(r.bytes, 0);
	learn_ring_done(&r);
	learn_ring_done(&r); /* twice is fine */
}

static void test_rotate(void)
{
	/* by time: segment_s after the name's second */
	CHECK(!learn_ring_rotate(1000, 500, 1899, 100, 900, 1 << 20));
	CHECK(learn_ring_rotate(1000, 500, 1900, 100, 900, 1 << 20));
	/* by size: the packet would take it over the cap */
	CHECK(!learn_ring_rotate(1000, 900, 1001, 100, 900, 1000));
	CHECK(learn_ring_rotate(1000, 901, 1001, 100, 900, 1000));
	/* never within its first second, nor empty */
	CHECK(!learn_ring_rotate(1000, 5000, 1000, 100, 900, 1000));
	CHECK(!learn_ring_rotate(1000, 0, 5000, 100, 900, 1000));
	/* a clock gone back does not rotate */
	CHECK(!learn_ring_rotate(1000, 5000, 990, 100, 900, 1000));
}

/*
 * A day of packets through the same steps as learn-record.c's on_packet:
 * rotate, skip what cannot fit, trim, write. At every packet the closed
 * segments plus the open one stay within the bound, the names increase,
 * each segment's first packet is at or after its name's second, and the
 * ring keeps the newest segments (what was deleted is older than what
 * remains).
 */
static void test_simulated_day(void)
{
	const uint64_t max = 1 << 20;
	struct learn_ring r;
	uint64_t seg = 0, worst = 0, deleted = 0, skipped = 0;
	int64_t epoch = -1, first_ts = -1, last_deleted = -1;
	unsigned bad_order = 0, bad_first = 0, bad_keep = 0;

	srand(13);
	learn_ring_init(&r);
	for (int64_t t = 1700000000; t < 1700000000 + 86400; t++) {
		/* quiet, with bursts of up to ~200 KB in a second */
		int n = rand() % 100 < 3 ? 150 : rand() % 4;

		for (int i = 0; i < n; i++) {
			uint64_t add = 16 + 60 + (uint64_t)(rand() % 1400);

			if (seg && learn_ring_rotate(epoch, seg, t, add, 300, max / 8)) {
				if (learn_ring_push(&r, epoch, seg) < 0)
					bad_order++;
				seg = 0;
			}
			if (!seg) {
				epoch = t;
				seg = 24;
				first_ts = -1;
			}
			if (seg + add > max) {
				skipped++;
				continue;
			}
			for (size_t k = learn_ring_excess(&r, seg + add, max); k; k--) {
				if (r.segs[0].epoch <= last_deleted)
					bad_keep++;
				last_deleted = r.segs[0].epoch;
				deleted++;
				learn_ring_pop(&r);
			}
			if (first_ts < 0) {
				first_ts = t;
				if (first_ts < epoch)
					bad_first++;
			}
			seg += add;
			if (r.bytes + seg > worst)
				worst = r.bytes + seg;
		}
	}
	printf("# simulated day: %zu segments kept (%llu bytes), %llu deleted, "
	       "%llu skipped, worst %llu of %llu bytes\n", r.n,
	       (unsigned long long)r.bytes, (unsigned long long)deleted,
	       (unsigned long long)skipped, (unsigned long long)worst,
	       (unsigned long long)max);
	CHECK(worst <= max);
	CHECK(worst > max - max / 8); /* the ring is actually used */
	CHECK(deleted > 10);
	CHECK_EQ(skipped, 0);          /* bursts stay under the bound */
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(bad_first, 0);
	CHECK_EQ(bad_keep, 0);
	CHECK(r.n > 0 && r.segs[0].epoch > last_deleted);
	learn_ring_done(&r);
}

static void touch(const char *dir, const char *name, size_t bytes)
{
	char path[512], *buf = calloc(1, bytes + 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ(fwrite(buf, 1, bytes, f), bytes);
		fclose(f);
	}
	free(buf);
}

static int exists(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* A directory left by a crashed recorder and an older run. */
static void test_load(void)
{
	char dir[] = "/tmp/eg-learn-ring-XXXXXX", sub[600];
	struct learn_ring r;

	CHECK(mkdtemp(dir) != NULL);
	touch(dir, "seg-1700000300.pcap", 300);
	touch(dir, "seg-1700000100.pcap", 100);
	touch(dir, "seg-1700000200.pcap.part", 200); /* crashed, alone */
	touch(dir, "seg-1700000300.pcap.part", 33);  /* both: left alone */
	touch(dir, "mic.csv", 10);
	touch(dir, "seg-17.pcap", 10);
	touch(dir, "notes.pcap", 10);
	snprintf(sub, sizeof(sub), "%s/seg-1700000400.pcap", dir);
	CHECK_EQ(mkdir(sub, 0700), 0);               /* not a file */
	learn_ring_init(&r);
	CHECK_EQ(learn_ring_load(&r, dir), 1);
	CHECK(exists(dir, "seg-1700000200.pcap"));
	CHECK(!exists(dir, "seg-1700000200.pcap.part"));
	CHECK(exists(dir, "seg-1700000300.pcap.part"));
	CHECK_EQ(r.n, 3);
	if (r.n == 3) {
		CHECK_EQ(r.segs[0].epoch, 1700000100);
		CHECK_EQ(r.segs[0].bytes, 100);
		CHECK_EQ(r.segs[1].epoch, 1700000200);
		CHECK_EQ(r.segs[1].bytes, 200);
		CHECK_EQ(r.segs[2].epoch, 1700000300);
		CHECK_EQ(r.segs[2].bytes, 300);
	}
	CHECK_EQ(r.bytes, 600);
	learn_ring_done(&r);
	/* again: nothing left to recover, the same ring */
	CHECK_EQ(learn_ring_load(&r, dir), 0);
	CHECK_EQ(r.n, 3);
	learn_ring_done(&r);
	CHECK_EQ(learn_ring_load(&r, "/nonexistent/eg-learn-ring"), -ENOENT);
	CHECK_EQ(r.n, 0);
	learn_ring_done(&r);
	CHECK_EQ(rmdir(sub), 0);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	CHECK_EQ(system(sub), 0);
}

int main(void)
{
	test_names();
	test_excess();
	test_rotate();
	test_simulated_day();
	test_load();
	return eg_test_done();
}
