/* SPDX-License-Identifier: MIT */
/*
 * test-capture.c: pcap files written here with pcap_dump (micro- and
 * nanosecond), pcapng files built byte by byte, read back through
 * eg_capture_*; truncated and garbage files; the directory walk (order,
 * apostrophes and spaces, selection by extension and by magic); and the
 * frame count of one real capture (tests/data or ../shared/data).
 * `test-capture --dataset` (ctest test-capture-dataset, label dataset)
 * walks the whole data set instead: all 94 captures.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "tap.h"

static char tmpdir[] = "/tmp/eg-test-capture-XXXXXX";
static char errbuf[512];

static const char *tmp(const char *name)
{
	static char path[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

/* Frame i: an Ethernet + IPv4 + TCP packet of 54 + i bytes, bytes varied
 * so a mix-up between frames shows. */
static size_t make_frame(uint8_t *b, unsigned i)
{
	size_t n = 54 + i;

	memset(b, 0, n);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)((n - 14) >> 8);
	b[17] = (uint8_t)(n - 14);
	b[22] = 64;
	b[23] = 6;
	b[36] = 0x01; /* dport 443 */
	b[37] = 0xbb;
	b[46] = 0x50;
	b[47] = 0x18;
	for (size_t j = 54; j < n; j++)
		b[j] = (uint8_t)(i * 7 + j);
	return n;
}

/* Write nframes with pcap_dump; frame i at 1700000000 s + i ms + 123 ns
 * (the ns are lost at microsecond precision). */
static void write_pcap(const char *path, int dlt, unsigned precision,
		       unsigned nframes)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(dlt, 65535,
							  precision);
	pcap_dumper_t *d = pcap_dump_open(pd, path);
	uint8_t b[256];

	CHECK(d != NULL);
	for (unsigned i = 0; d && i < nframes; i++) {
		struct pcap_pkthdr h = { 0 };

		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = precision == PCAP_TSTAMP_PRECISION_NANO ?
				       (suseconds_t)(i * 1000000 + 123) :
				       (suseconds_t)(i * 1000);
		h.caplen = h.len = (bpf_u_int32)make_frame(b, i);
		if (i == 1)
			h.len += 1000; /* a snap-length frame */
		pcap_dump((u_char *)d, &h, b);
	}
	if (d)
		pcap_dump_close(d);
	pcap_close(pd);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fwrite(data, 1, n, f), n);
	fclose(f);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long)st.st_size;
}

/* Read every frame; returns how many, checks each against make_frame. */
static int read_all(const char *path, int *ret_err, uint64_t *ts)
{
	struct eg_capture *cap = NULL;
	struct eg_frame f;
	uint8_t want[256];
	int r, n = 0;

	*ret_err = 0;
	r = eg_capture_open(path, &cap, errbuf, sizeof(errbuf));
	if (r < 0) {
		*ret_err = r;
		return -1;
	}
	while ((r = eg_capture_next(cap, &f, errbuf, sizeof(errbuf))) == 1) {
		size_t len = make_frame(want, (unsigned)n);

		CHECK_EQ(f.index, n + 1);
		CHECK_EQ(f.caplen, len);
		CHECK(memcmp(f.data, want, len) == 0);
		CHECK_EQ(f.linktype, eg_capture_linktype(cap));
		if (ts)
			ts[n] = f.ts_ns;
		n++;
	}
	*ret_err = r;
	/* after the end or an error, it stays at its end */
	CHECK_EQ(eg_capture_next(cap, &f, errbuf + 256, 256), 0);
	eg_capture_free(cap);
	return n;
}

static void test_pcap(void)
{
	const char *path = tmp("three.pcap");
	struct eg_capture *cap = NULL;
	struct eg_frame f;
	struct eg_packet p;
	uint64_t ts[8];
	int err;

	write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, 3);
	CHECK_EQ(read_all(path, &err, ts), 3);
	CHECK_EQ(err, 0);
	CHECK_EQ(ts[0], 1700000000ull * 1000000000ull);
	CHECK_EQ(ts[2], 1700000000ull * 1000000000ull + 2000000);

	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), 0);
	CHECK_STREQ(eg_capture_format(cap), "pcap");
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_ETHERNET);
	CHECK_EQ(eg_capture_next(cap, &f, errbuf, sizeof(errbuf)), 1);
	CHECK_EQ(eg_capture_next(cap, &f, errbuf, sizeof(errbuf)), 1);
	CHECK_EQ(f.len, 55 + 1000);
	CHECK_EQ(f.caplen, 55);
	CHECK_EQ(eg_packet_parse_frame(f.linktype, f.data, f.caplen, f.len,
				       &p), 0);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.payload_len, 1);
	eg_capture_free(cap);
	CHECK(eg_capture_free(NULL) == NULL);

	/* nanosecond pcap keeps its digits */
	path = tmp("nano.pcap");
	write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, 2);
	CHECK_EQ(read_all(path, &err, ts), 2);
	CHECK_EQ(ts[0], 1700000000ull * 1000000000ull + 123);
	CHECK_EQ(ts[1], 1700000000ull * 1000000000ull + 1000123);

	/* libpcap reports DLT_RAW; the frames carry LINKTYPE_RAW (101) */
	path = tmp("raw.pcap");
	write_pcap(path, DLT_RAW, PCAP_TSTAMP_PRECISION_MICRO, 1);
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_RAW);
	eg_capture_free(cap);
	path = tmp("sll2.pcap");
	write_pcap(path, DLT_LINUX_SLL2, PCAP_TSTAMP_PRECISION_MICRO, 1);
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_LINUX_SLL2);
	eg_capture_free(cap);
}

static void test_pcap_truncated(void)
{
	const char *path = tmp("cut.pcap");
	char want[1100];
	long size;
	int err;

	write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, 3);
	size = file_size(path);
	/* 24 header + (16 + 54) + (16 + 55) + (16 + 56): cut the third
	 * record in its data */
	CHECK_EQ(size, 24 + 70 + 71 + 72);
	CHECK_EQ(truncate(path, size - 20), 0);
	CHECK_EQ(read_all(path, &err, NULL), 2);
	CHECK_EQ(err, -EIO);
	snprintf(want, sizeof(want), "%s: frame 3: truncated", path);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);
	if (strncmp(errbuf, want, strlen(want)) != 0)
		fprintf(stderr, "    got \"%s\"\n", errbuf);

	/* cut in the third record's header */
	CHECK_EQ(truncate(path, 24 + 70 + 71 + 5), 0);
	CHECK_EQ(read_all(path, &err, NULL), 2);
	CHECK_EQ(err, -EIO);
	CHECK(strstr(errbuf, ": frame 3: ") != NULL);

	/* a file header alone: a valid, empty capture */
	CHECK_EQ(truncate(path, 24), 0);
	CHECK_EQ(read_all(path, &err, NULL), 0);
	CHECK_EQ(err, 0);
	/* a cut file header is refused at open */
	CHECK_EQ(truncate(path, 10), 0);
	CHECK_EQ(read_all(path, &err, NULL), -1);
	CHECK(err < 0);
	CHECK(strncmp(errbuf, path, strlen(path)) == 0);
}

static void le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

/*
 * A little-endian pcapng: section header, one Ethernet interface (with
 * if_tsresol = 9 when nano), then nframes enhanced packet blocks.
 */
static size_t make_pcapng(uint8_t *b, bool nano, unsigned nframes)
{
	size_t n = 0;

	le32(b, 0x0a0d0d0a);
	le32(b + 4, 28);
	le32(b + 8, 0x1a2b3c4d);
	le16(b + 12, 1);
	le16(b + 14, 0);
	le32(b + 16, 0xffffffff);
	le32(b + 20, 0xffffffff);
	le32(b + 24, 28);
	n = 28;

	uint32_t idb = nano ? 32 : 20;

	le32(b + n, 1);
	le32(b + n + 4, idb);
	le16(b + n + 8, 1); /* LINKTYPE_ETHERNET */
	le16(b + n + 10, 0);
	le32(b + n + 12, 65535);
	if (nano) {
		le16(b + n + 16, 9); /* if_tsresol */
		le16(b + n + 18, 1);
		b[n + 20] = 9;
		b[n + 21] = b[n + 22] = b[n + 23] = 0;
		le32(b + n + 24, 0); /* opt_endofopt */
	}
	le32(b + n + idb - 4, idb);
	n += idb;

	for (unsigned i = 0; i < nframes; i++) {
		uint8_t frame[256];
		size_t len = make_frame(frame, i), pad = (4 - len % 4) % 4;
		uint32_t blen = (uint32_t)(32 + len + pad);
		uint64_t t = nano ? 1700000000ull * 1000000000ull + i * 7 :
				    1700000000ull * 1000000ull + i * 7;

		le32(b + n, 6);
		le32(b + n + 4, blen);
		le32(b + n + 8, 0);
		le32(b + n + 12, (uint32_t)(t >> 32));
		le32(b + n + 16, (uint32_t)t);
		le32(b + n + 20, (uint32_t)len);
		le32(b + n + 24, (uint32_t)len);
		memcpy(b + n + 28, frame, len);
		memset(b + n + 28 + len, 0, pad);
		le32(b + n + blen - 4, blen);
		n += blen;
	}
	return n;
}

static void test_pcapng(void)
{
	static uint8_t b[4096];
	const char *path = tmp("four.pcapng");
	struct eg_capture *cap = NULL;
	char want[1100];
	uint64_t ts[8];
	size_t n;
	int err;

	n = make_pcapng(b, false, 4);
	write_bytes(path, b, n);
	CHECK_EQ(read_all(path, &err, ts), 4);
	CHECK_EQ(err, 0);
	CHECK_EQ(ts[3], 1700000000ull * 1000000000ull + 7000 * 3);
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), 0);
	CHECK_STREQ(eg_capture_format(cap), "pcapng");
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_ETHERNET);
	eg_capture_free(cap);

	path = tmp("nano.pcapng");
	n = make_pcapng(b, true, 2);
	write_bytes(path, b, n);
	CHECK_EQ(read_all(path, &err, ts), 2);
	CHECK_EQ(ts[1], 1700000000ull * 1000000000ull + 7);

	/* cut in the middle of the last block */
	path = tmp("cut.pcapng");
	n = make_pcapng(b, false, 3);
	write_bytes(path, b, n - 30);
	CHECK_EQ(read_all(path, &err, NULL), 2);
	CHECK_EQ(err, -EIO);
	snprintf(want, sizeof(want), "%s: frame 3: truncated", path);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);
	if (strncmp(errbuf, want, strlen(want)) != 0)
		fprintf(stderr, "    got \"%s\"\n", errbuf);
}

static void test_refused(void)
{
	static const char garbage[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	struct eg_capture *cap = (struct eg_capture *)&cap;
	const char *path = tmp("garbage.pcap");
	char want[1100];

	write_bytes(path, garbage, sizeof(garbage) - 1);
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), -EINVAL);
	CHECK(cap == (struct eg_capture *)&cap); /* untouched on failure */
	snprintf(want, sizeof(want), "%s: not a pcap or pcapng file", path);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);

	path = tmp("empty.pcap");
	write_bytes(path, "", 0);
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), -EINVAL);
	CHECK(strstr(errbuf, "empty file") != NULL);

	path = tmp("missing.pcap");
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file", path);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);

	CHECK(eg_capture_open(tmpdir, &cap, errbuf, sizeof(errbuf)) < 0);
	CHECK(strncmp(errbuf, tmpdir, strlen(tmpdir)) == 0);

	/* a pcap magic followed by garbage: libpcap's reason, our path */
	static const uint8_t badhdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 9, 0, 9 };
	path = tmp("badhdr.pcap");
	write_bytes(path, badhdr, sizeof(badhdr));
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), -EINVAL);
	CHECK(strncmp(errbuf, path, strlen(path)) == 0 &&
	      strlen(errbuf) > strlen(path) + 5);
}

struct walk_log {
	char names[16][1024];
	int n;
	int stop_at;
};

static int log_file(const char *file, void *userdata)
{
	struct walk_log *w = userdata;

	if (w->n == w->stop_at)
		return -ECANCELED;
	if (w->n < 16)
		snprintf(w->names[w->n], sizeof(w->names[0]), "%s",
			 file + strlen(tmpdir) + 1);
	w->n++;
	return 0;
}

static void test_walk(void)
{
	struct walk_log w = { .stop_at = -1 };
	uint8_t b[1024];
	size_t n = make_pcapng(b, false, 1);

	CHECK_EQ(mkdir(tmp("w"), 0700), 0);
	CHECK_EQ(mkdir(tmp("w/voice"), 0700), 0);
	CHECK_EQ(mkdir(tmp("w/voice/what's the weather"), 0700), 0);
	CHECK_EQ(mkdir(tmp("w/empty"), 0700), 0);
	write_bytes(tmp("w/voice/what's the weather/alexa's 1.pcap"), b, n);
	write_bytes(tmp("w/voice/what's the weather/alexa's 10.pcap"), b, n);
	write_bytes(tmp("w/voice/what's the weather/alexa's 2.pcap"), b, n);
	write_bytes(tmp("w/voice/B.PCAPNG"), b, n);
	write_bytes(tmp("w/voice/a.cap"), b, n);
	write_bytes(tmp("w/voice/notes.txt"), "hello", 5);
	write_bytes(tmp("w/no_extension"), b, n);
	write_bytes(tmp("w/Z.pcapng"), b, n);
	write_bytes(tmp("w/tiny"), "\xa1\xb2", 2);
	CHECK_EQ(symlink("nowhere", tmp("w/dangling.pcap")), 0);
	/* a link back up the tree is not walked again */
	CHECK_EQ(symlink("..", tmp("w/voice/loop")), 0);

	CHECK_EQ(eg_capture_walk(tmp("w"), log_file, &w), 0);
	CHECK_EQ(w.n, 7);
	CHECK_STREQ(w.names[0], "w/Z.pcapng");
	CHECK_STREQ(w.names[1], "w/no_extension");
	CHECK_STREQ(w.names[2], "w/voice/B.PCAPNG");
	CHECK_STREQ(w.names[3], "w/voice/a.cap");
	CHECK_STREQ(w.names[4], "w/voice/what's the weather/alexa's 1.pcap");
	CHECK_STREQ(w.names[5], "w/voice/what's the weather/alexa's 10.pcap");
	CHECK_STREQ(w.names[6], "w/voice/what's the weather/alexa's 2.pcap");

	/* the names it hands out open */
	struct eg_capture *cap = NULL;
	int err;

	CHECK_EQ(read_all(tmp("w/voice/what's the weather/alexa's 2.pcap"),
			  &err, NULL), 1);
	CHECK_EQ(err, 0);
	(void)cap;

	/* a trailing slash does not double */
	memset(&w, 0, sizeof(w));
	w.stop_at = -1;
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/", tmp("w/voice/what's the weather"));
	CHECK_EQ(eg_capture_walk(dir, log_file, &w), 0);
	CHECK_EQ(w.n, 3);
	CHECK(strstr(w.names[0], "//") == NULL);

	/* the callback stops the walk */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CHECK_EQ(eg_capture_walk(tmp("w"), log_file, &w), -ECANCELED);
	CHECK_EQ(w.n, 2);

	/* a file is itself, whatever its name */
	memset(&w, 0, sizeof(w));
	w.stop_at = -1;
	CHECK_EQ(eg_capture_walk(tmp("w/voice/notes.txt"), log_file, &w), 0);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(eg_capture_walk(tmp("w/nothing"), log_file, &w), -ENOENT);
}

static void test_real_capture(void)
{
	char path[4096];
	struct eg_capture *cap = NULL;
	struct eg_frame f;
	struct eg_packet p;
	int r, parsed = 0, tcp = 0;
	uint64_t prev = 0, n = 0;
	bool monotonic = true;

	snprintf(path, sizeof(path), "%s/vcf/pcap/alexa_5_40s.pcap",
		 eg_test_shared_data());
	CHECK_EQ(eg_capture_open(path, &cap, errbuf, sizeof(errbuf)), 0);
	if (!cap)
		return;
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_ETHERNET);
	while ((r = eg_capture_next(cap, &f, errbuf, sizeof(errbuf))) == 1) {
		n++;
		if (f.ts_ns < prev)
			monotonic = false;
		prev = f.ts_ns;
		if (eg_packet_parse_frame(f.linktype, f.data, f.caplen, f.len,
					  &p) == 0)
			parsed++;
		tcp += eg_packet_is_tcp(&p);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 2780); /* capinfos -c */
	CHECK(monotonic);
	/* the Echo's traffic is TLS over TCP: nearly everything parses */
	CHECK(parsed > 2700);
	CHECK(tcp > 2600);
	printf("alexa_5_40s.pcap: %s, %llu frames, %d parsed, %d TCP\n",
	       eg_capture_format(cap), (unsigned long long)n, parsed, tcp);
	eg_capture_free(cap);
}

struct real_walk {
	int files, opened, pcapng, apostrophes;
	uint64_t frames;
};

static int open_each(const char *file, void *userdata)
{
	struct real_walk *w = userdata;
	struct eg_capture *cap = NULL;
	struct eg_frame f;

	w->files++;
	w->apostrophes += strchr(file, '\'') != NULL;
	if (eg_capture_open(file, &cap, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "    %s\n", errbuf);
		return 0;
	}
	w->opened++;
	w->pcapng += strcmp(eg_capture_format(cap), "pcapng") == 0;
	while (eg_capture_next(cap, &f, errbuf, sizeof(errbuf)) == 1)
		w->frames++;
	eg_capture_free(cap);
	return 0;
}

/*
 * The whole shared set, as `echoguard extract DIR` will see it. Expected
 * numbers from `capinfos -c -t -T` over vcf/pcap: 94 files, all pcapng (the
 * data README says one is classic pcap; every file's magic is 0a0d0d0a),
 * 256779 frames in all.
 */
static void test_real_walk(void)
{
	char path[4096];
	struct real_walk w = { 0 };

	snprintf(path, sizeof(path), "%s/vcf", eg_test_dataset());
	CHECK_EQ(eg_capture_walk(path, open_each, &w), 0);
	CHECK_EQ(w.files, 94);
	CHECK_EQ(w.opened, 94);
	CHECK_EQ(w.pcapng, 94);
	CHECK_EQ(w.frames, 256779);
	CHECK(w.apostrophes >= 1);
	printf("%s: %d captures (%d pcapng), %llu frames\n", path, w.files,
	       w.pcapng, (unsigned long long)w.frames);
}

int main(int argc, char **argv)
{
	char cmd[256];
	int r;

	if (eg_test_want_dataset(argc, argv)) {
		test_real_walk();
		return eg_test_done();
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_pcap();
	test_pcap_truncated();
	test_pcapng();
	test_refused();
	test_walk();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	r = system(cmd);
	(void)r;
	test_real_capture();
	return eg_test_done();
}
