/* SPDX-License-Identifier: MIT */
/*
 * test-tls.c: the TLS record tracker on crafted streams cut into segments
 * every way (records split across segments, several per segment, headers
 * split at every byte), delivered in order, out of order, retransmitted,
 * across the 2^32 sequence wrap, with garbage; ClientHello SNI (and every
 * truncation of it); HTTP detection.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/net/flow.h"
#include "echoguard/net/tls.h"
#include "tap.h"

/* --- a stream of records and its ground truth ------------------------ */

#define MAXREC 512
static uint8_t stream[1 << 20];
static uint32_t slen;
static uint32_t rstart[MAXREC], rend[MAXREC];
static uint8_t rtype[MAXREC];
static unsigned nrec;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void reset_stream(void)
{
	slen = 0;
	nrec = 0;
}

/* Append a record: 5-byte header, random body (any bytes: the tracker
 * must not look inside records when it is in sync). */
static void add_rec(uint8_t type, uint16_t len)
{
	uint8_t *h = stream + slen;

	h[0] = type;
	h[1] = 3;
	h[2] = type == 22 ? 1 : 3;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
	for (uint32_t i = 0; i < len; i++)
		h[5 + i] = rnd8();
	rstart[nrec] = slen;
	rend[nrec] = slen + 5 + len;
	rtype[nrec] = type;
	nrec++;
	slen += 5 + len;
}

static void add_garbage(uint32_t n, uint8_t byte)
{
	memset(stream + slen, byte, n);
	slen += n;
}

static uint8_t type_at(uint32_t off)
{
	for (unsigned i = 0; i < nrec; i++)
		if (off >= rstart[i] && off < rend[i])
			return rtype[i];
	return 0;
}

static unsigned starts_in(uint32_t off, uint32_t n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nrec; i++)
		if (rstart[i] >= off && rstart[i] < off + n)
			k++;
	return k;
}

static struct eg_tls_seg deliver(struct eg_tls_dir *d, uint32_t isn,
				 uint32_t off, uint32_t n, bool retrans)
{
	struct eg_tls_seg s;

	CHECK_EQ(eg_tls_track(d, isn + off, stream + off, n, n, retrans, &s), 0);
	return s;
}

static void build_session(void)
{
	reset_stream();
	add_rec(22, 200);   /* ClientHello-sized handshake */
	stream[5] = 1;      /* handshake type: client_hello */
	add_rec(20, 1);     /* ChangeCipherSpec */
	add_rec(22, 40);    /* Finished */
	stream[rstart[2] + 5] = 20;
	add_rec(23, 3000);  /* spans several segments */
	add_rec(23, 46);    /* keep-alive-sized */
	for (int i = 0; i < 5; i++)
		add_rec(23, 118);
	add_rec(21, 26);
	add_rec(23, 1);
	add_rec(24, 20);
	add_rec(23, 16384 + 2048);
	add_rec(23, 7);
}

static void test_plausible(void)
{
	const uint8_t ok[] = { 23, 3, 3, 0x00, 0x2e };
	uint8_t b[5];

	CHECK(eg_tls_header_plausible(ok, 5));
	CHECK(!eg_tls_header_plausible(ok, 4));
	CHECK(!eg_tls_header_plausible(NULL, 5));
	memcpy(b, ok, 5);
	b[0] = 19;
	CHECK(!eg_tls_header_plausible(b, 5));
	b[0] = 25;
	CHECK(!eg_tls_header_plausible(b, 5));
	b[0] = 20;
	CHECK(eg_tls_header_plausible(b, 5));
	b[1] = 2;
	CHECK(!eg_tls_header_plausible(b, 5));
	b[1] = 3;
	b[2] = 5;
	CHECK(!eg_tls_header_plausible(b, 5));
	b[2] = 0;
	CHECK(eg_tls_header_plausible(b, 5));
	b[3] = 0;
	b[4] = 0;
	CHECK(!eg_tls_header_plausible(b, 5)); /* empty record */
	b[3] = 0x48;
	CHECK(eg_tls_header_plausible(b, 5));  /* 18432: the bound */
	b[4] = 1;
	CHECK(!eg_tls_header_plausible(b, 5));
}

/*
 * In-order delivery cut every way: every segment's first byte gets its
 * record's type and every header that starts inside it is counted, with
 * the sequence space either plain or crossing 2^32 inside the stream.
 */
static void test_segmentations(void)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 9, 50, 99,
					  100, 101, 517, 1000, 1448, 4000 };
	static const uint32_t isns[] = { 1000, 0xfffffe00u, 0xffffffffu };
	unsigned bad_type = 0, bad_hdrs = 0, unsynced = 0, segs = 0;

	build_session();
	for (unsigned si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (unsigned ii = 0; ii < 3; ii++) {
			struct eg_tls_dir d;

			/* The ClientHello comes whole (a tracker that saw no
			 * TLS yet needs a complete header to start). */
			eg_tls_init(&d);
			for (uint32_t off = 0, n; off < slen; off += n) {
				n = off == 0 ? rend[0] : sizes[si];
				if (n > slen - off)
					n = slen - off;
				struct eg_tls_seg s =
					deliver(&d, isns[ii], off, n, false);

				segs++;
				bad_type += s.content_type != type_at(off);
				bad_hdrs += s.n_headers != starts_in(off, n);
				unsynced += !s.synced || !s.is_tls;
			}
			CHECK(d.synced);
			CHECK_EQ(d.desyncs, 0);
			CHECK_EQ(d.next_hdr, isns[ii] + slen);
		}
	}
	CHECK(segs > 10000);
	CHECK_EQ(bad_type, 0);
	CHECK_EQ(bad_hdrs, 0);
	CHECK_EQ(unsynced, 0);

	/* Random segmentations. */
	for (int round = 0; round < 200; round++) {
		struct eg_tls_dir d;
		uint32_t isn = (uint32_t)rnd(0xffffffffu);

		eg_tls_init(&d);
		for (uint32_t off = 0, n; off < slen; off += n) {
			struct eg_tls_seg s;

			n = off == 0 ? rend[0] + rnd(100) :
				       1 + rnd(round % 2 ? 40 : 1500);
			if (n > slen - off)
				n = slen - off;
			s = deliver(&d, isn, off, n, false);
			bad_type += s.content_type != type_at(off);
			bad_hdrs += s.n_headers != starts_in(off, n);
		}
		CHECK_EQ(d.desyncs, 0);
	}
	CHECK_EQ(bad_type, 0);
	CHECK_EQ(bad_hdrs, 0);
}

static void test_several_per_segment(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	build_session();
	eg_tls_init(&d);
	/* CH + CCS + Finished + the start of the 3000-byte record. */
	s = deliver(&d, 7, 0, 300, false);
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(s.n_headers, 4);
	CHECK(s.client_hello);
	CHECK_EQ(s.ch_offset, 0);
	s = deliver(&d, 7, 300, 1000, false);
	CHECK_EQ(s.content_type, 23);
	CHECK_EQ(s.n_headers, 0);
	/* Mid-record after a CCS: the first byte decides, not the first
	 * header. */
	eg_tls_init(&d);
	s = deliver(&d, 7, 0, 100, false);
	s = deliver(&d, 7, 100, 130, false);  /* 100..230: CH tail, CCS, Fin */
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(s.n_headers, 2);
	CHECK(!s.client_hello);
}

/* The flow layer's view: retransmission when entirely at or below the
 * highest sequence sent (what eg_flow_update decides). */
struct sender { uint32_t snd_max; bool valid; };

static bool is_retrans(struct sender *sd, uint32_t seq, uint32_t n)
{
	if (!sd->valid || eg_seq_lt(sd->snd_max, seq + n)) {
		sd->valid = true;
		sd->snd_max = seq + n;
		return false;
	}
	return true;
}

static void test_out_of_order(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;
	struct sender sd = { 0 };
	uint32_t isn = 0xfffffc00u; /* the wrap falls in the 3000-byte record */

	/* A=[0,1000) B=[1000,1600) C=[1600,2200): C is inside the long
	 * record (header seen in A): answered from it. */
	reset_stream();
	add_rec(23, 3000);
	add_rec(23, 100);
	add_rec(22, 50);
	add_rec(23, 300);
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 1000, is_retrans(&sd, isn, 1000));
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, 1600, 600, is_retrans(&sd, isn + 1600, 600));
	CHECK_EQ(s.content_type, 23);
	CHECK(s.synced);
	s = deliver(&d, isn, 1000, 600, is_retrans(&sd, isn + 1000, 600));
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, 2200, 1255, is_retrans(&sd, isn + 2200, 1255));
	CHECK_EQ(s.content_type, 23);
	CHECK_EQ(s.n_headers, 3);
	CHECK_EQ(d.desyncs, 0);
	CHECK(d.synced);

	/* The header of C's record is in the missing B: C gets 0 (never a
	 * wrong type), the tracker keeps next_hdr (GAP); B arrives later,
	 * flagged as a retransmission by the flow layer, and is walked
	 * because it holds the header the tracker waits for. */
	reset_stream();
	add_rec(23, 1495);  /* [0,1500) */
	add_rec(22, 600);   /* [1500,2105): header in B */
	add_rec(21, 26);    /* [2105,2136) */
	add_rec(23, 500);   /* [2136,2641) */
	memset(&sd, 0, sizeof(sd));
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 1400, is_retrans(&sd, isn, 1400));
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, 1700, 300, is_retrans(&sd, isn + 1700, 300));
	CHECK_EQ(s.content_type, 0);
	CHECK(!s.synced);
	CHECK(s.is_tls);
	CHECK_EQ(d.state, EG_TLS_S_GAP);
	CHECK_EQ(d.next_hdr, isn + 1500);
	s = deliver(&d, isn, 1400, 300, is_retrans(&sd, isn + 1400, 300));
	CHECK_EQ(s.content_type, 23);
	CHECK_EQ(s.n_headers, 1);
	CHECK(d.synced);
	CHECK_EQ(d.next_hdr, isn + 2105);
	s = deliver(&d, isn, 2000, 300, is_retrans(&sd, isn + 2000, 300));
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(s.n_headers, 2);
	s = deliver(&d, isn, 2300, 341, is_retrans(&sd, isn + 2300, 341));
	CHECK_EQ(s.content_type, 23);
	CHECK(d.synced);
	CHECK_EQ(d.next_hdr, isn + 2641);

	/* Same, but the segment after the gap starts with a header: the
	 * tracker resyncs on it at once. */
	memset(&sd, 0, sizeof(sd));
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 1400, is_retrans(&sd, isn, 1400));
	s = deliver(&d, isn, 2105, 200, is_retrans(&sd, isn + 2105, 200));
	CHECK_EQ(s.content_type, 21);
	CHECK(s.synced);
	CHECK_EQ(d.desyncs, 0);
	s = deliver(&d, isn, 2305, 336, is_retrans(&sd, isn + 2305, 336));
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, 1400, 705, is_retrans(&sd, isn + 1400, 705));
	CHECK_EQ(s.content_type, 23);   /* from the ring */
	CHECK(d.synced);
	CHECK_EQ(d.next_hdr, isn + 2641);
}

/*
 * Loss, as real Echo captures show it: segments lost, a later segment
 * with a header inside resyncs the tracker, then the lost segments come
 * again (retransmissions): they are walked into the history from the
 * gap's start, so every one of them gets its record's type.
 */
static void test_gap_fill(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;
	struct sender sd = { 0 };
	uint32_t isn = 0xfffff000u;

	reset_stream();
	add_rec(23, 41);                      /* [0,46) */
	add_rec(22, 300);                     /* [46,351) */
	for (int i = 0; i < 12; i++)
		add_rec(23, 1000);            /* [351, 12411) */
	add_rec(21, 26);
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 46, is_retrans(&sd, isn, 46));
	CHECK_EQ(s.content_type, 23);
	/* [46, 5300) lost; [5300, 6760) arrives: headers at 5376, 6381. */
	s = deliver(&d, isn, 5300, 1460, is_retrans(&sd, isn + 5300, 1460));
	CHECK_EQ(s.content_type, 0);
	CHECK_EQ(s.n_headers, 2);
	CHECK(d.synced);
	CHECK(d.gap_open);
	CHECK_EQ(d.desyncs, 1);
	CHECK_EQ(d.resyncs, 1);
	/* The lost segments, retransmitted in order. */
	for (uint32_t off = 46; off < 5300; off += 1460) {
		uint32_t n = 5300 - off < 1460 ? 5300 - off : 1460;

		s = deliver(&d, isn, off, n, is_retrans(&sd, isn + off, n));
		CHECK_EQ(s.content_type, type_at(off));
		CHECK_EQ(s.n_headers, starts_in(off, n));
	}
	CHECK(!d.gap_open);
	/* And the one that was seen first, again: now known. */
	s = deliver(&d, isn, 5300, 1460, true);
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, 6760, slen - 6760, false);
	CHECK_EQ(s.content_type, 23);
	CHECK_EQ(d.next_hdr, isn + slen);
}

/* Shuffled delivery of a long stream: a type is either right or 0, and
 * the tracker is in sync again at the end. */
static void test_shuffled(void)
{
	uint32_t offs[4096], lens[4096];
	unsigned nseg, wrong = 0, zero = 0, total = 0;

	reset_stream();
	for (int i = 0; i < 200; i++)
		add_rec(i % 17 == 0 ? 22 : 23, (uint16_t)(1 + rnd(i % 5 ? 300 : 4000)));
	for (int round = 0; round < 100; round++) {
		struct eg_tls_dir d;
		struct sender sd = { 0 };
		uint32_t isn = (uint32_t)rnd(0xffffffffu);

		nseg = 0;
		for (uint32_t off = 0, n; off < slen; off += n) {
			n = 1 + rnd(1448);
			if (n > slen - off)
				n = slen - off;
			offs[nseg] = off;
			lens[nseg++] = n;
		}
		/* Swap neighbours now and then (reordering by one or two). */
		for (unsigned i = 0; i + 2 < nseg; i++) {
			if (rnd(10) == 0) {
				unsigned j = i + 1 + rnd(2);
				uint32_t o = offs[i], l = lens[i];

				offs[i] = offs[j];
				lens[i] = lens[j];
				offs[j] = o;
				lens[j] = l;
				i = j;
			}
		}
		eg_tls_init(&d);
		for (unsigned i = 0; i < nseg; i++) {
			struct eg_tls_seg s;
			bool rt = is_retrans(&sd, isn + offs[i], lens[i]);

			s = deliver(&d, isn, offs[i], lens[i], rt);
			total++;
			if (s.content_type == 0)
				zero++;
			else if (s.content_type != type_at(offs[i]))
				wrong++;
			/* And a late duplicate of an earlier segment. */
			if (i > 3 && rnd(10) == 0) {
				unsigned j = i - 1 - rnd(3);

				s = deliver(&d, isn, offs[j], lens[j], true);
				if (s.content_type && s.content_type !=
						type_at(offs[j]))
					wrong++;
			}
		}
		CHECK(d.synced);
		CHECK_EQ(d.next_hdr, isn + slen);
	}
	CHECK_EQ(wrong, 0);
	/* Unknowns: mostly a segment that overtook the one holding its
	 * record's header (no tracker can know it without buffering). */
	CHECK(zero * 10 < total);
	printf("shuffled: %u segments, %u unknown, 0 wrong\n", total, zero);
}

/* Retransmissions of old segments are answered from the ring and never
 * move the tracker. */
static void test_retrans(void)
{
	struct eg_tls_dir d, before;
	struct eg_tls_seg s;
	uint32_t isn = 0xffffff00u;

	reset_stream();
	add_rec(22, 90);    /* [0,95) */
	add_rec(23, 300);   /* [95,400) */
	add_rec(21, 46);    /* [400,451) */
	add_rec(23, 2000);  /* [451,2456) */
	eg_tls_init(&d);
	(void)deliver(&d, isn, 0, 200, false);
	(void)deliver(&d, isn, 200, 500, false);
	(void)deliver(&d, isn, 700, 500, false);
	memcpy(&before, &d, sizeof(d));
	for (uint32_t off = 0; off < 1200; off += 37) {
		uint32_t n = 1200 - off < 100 ? 1200 - off : 100;

		s = deliver(&d, isn, off, n, true);
		CHECK_EQ(s.content_type, type_at(off));
		CHECK_EQ(s.n_headers, starts_in(off, n));
		CHECK(s.synced);
	}
	/* A retransmission of garbage-looking bytes at old positions. */
	{
		uint8_t junk[64];
		memset(junk, 0xee, sizeof(junk));
		CHECK_EQ(eg_tls_track(&d, isn + 10, junk, 64, 64, true, &s), 0);
		CHECK_EQ(s.content_type, 22);
	}
	CHECK(memcmp(&before, &d, sizeof(d)) == 0);
	s = deliver(&d, isn, 1200, 1256, false);
	CHECK_EQ(s.content_type, 23);
	CHECK(d.synced);
	CHECK_EQ(d.next_hdr, isn + 2456);
	CHECK_EQ(d.desyncs, 0);

	/* A run of 40 app-data records shares one history entry: a
	 * retransmission of any of it still gets its type, and its headers
	 * are counted by walking the retransmitted bytes. */
	reset_stream();
	add_rec(22, 90);
	for (int i = 0; i < 40; i++)
		add_rec(23, (uint16_t)(100 + i));
	add_rec(21, 26);
	eg_tls_init(&d);
	for (uint32_t off = 0; off < slen; off += 1000)
		(void)deliver(&d, isn, off, slen - off < 1000 ? slen - off : 1000,
			      false);
	CHECK_EQ(d.n_runs, 3);
	CHECK_EQ(d.n_hist, EG_TLS_HIST);
	memcpy(&before, &d, sizeof(d));
	for (unsigned i = 1; i + 3 < nrec; i++) {
		uint32_t off = rstart[i], n = rend[i + 2] - rstart[i] + 7;

		s = deliver(&d, isn, off, n, true);      /* at a header */
		CHECK_EQ(s.content_type, 23);
		CHECK_EQ(s.n_headers, starts_in(off, n));
		s = deliver(&d, isn, off + 9, n, true);  /* mid-record */
		CHECK_EQ(s.content_type, 23);
		CHECK(s.n_headers <= starts_in(off + 9, n));
	}
	s = deliver(&d, isn, rstart[nrec - 1] - 10, 20, true);
	CHECK_EQ(s.content_type, 23);
	CHECK_EQ(s.n_headers, 1);
	CHECK(memcmp(&before, &d, sizeof(d)) == 0);
}

static void test_garbage_resync(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;
	uint32_t isn = 0xfffffff0u, g;

	/* A record, 200 bytes that are not a header, then records. */
	reset_stream();
	add_rec(23, 100);          /* [0,105) */
	g = slen;
	add_garbage(200, 0xaa);    /* [105,305) */
	add_rec(23, 50);           /* [305,360) */
	add_rec(23, 60);           /* [360,425) */
	add_rec(21, 26);           /* [425,456) */
	add_rec(23, 3000);         /* [456,3461) */
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 105, false);
	CHECK_EQ(s.content_type, 23);
	s = deliver(&d, isn, g, 425 - g, false);
	CHECK_EQ(s.content_type, 0);
	CHECK(!s.synced);
	CHECK_EQ(s.n_headers, 2);      /* found again at 305, then 360 */
	CHECK_EQ(d.desyncs, 1);
	CHECK_EQ(d.resyncs, 1);
	CHECK(d.synced);
	s = deliver(&d, isn, 425, 1000, false);
	CHECK_EQ(s.content_type, 21);
	s = deliver(&d, isn, 1425, 1000, false);
	CHECK_EQ(s.content_type, 23);

	/* Garbage that fills a whole segment: lost until a later segment
	 * holds a plausible header. */
	eg_tls_init(&d);
	s = deliver(&d, isn, 0, 105, false);
	s = deliver(&d, isn, g, 150, false);
	CHECK_EQ(s.content_type, 0);
	CHECK_EQ(d.state, EG_TLS_S_LOST);
	CHECK_EQ(d.desyncs, 1);
	s = deliver(&d, isn, g + 150, 50, false);
	CHECK_EQ(s.content_type, 0);
	CHECK_EQ(d.state, EG_TLS_S_LOST);
	s = deliver(&d, isn, 305, 120, false);
	CHECK_EQ(s.content_type, 23);
	CHECK(s.synced);
	CHECK_EQ(d.resyncs, 1);
	s = deliver(&d, isn, 425, 100, false);
	CHECK_EQ(s.content_type, 21);

	/* A lone plausible-looking header inside garbage whose successor is
	 * implausible is not taken. */
	reset_stream();
	add_rec(23, 10);                                   /* [0,15) */
	add_garbage(100, 0xaa);
	memcpy(stream + 40, (const uint8_t[]){ 23, 3, 3, 0, 10 }, 5); /* next at 55: 0xaa */
	add_rec(22, 30);                                   /* [115,150) */
	add_rec(23, 30);                                   /* [150,185) */
	eg_tls_init(&d);
	s = deliver(&d, 0, 0, 15, false);
	s = deliver(&d, 0, 15, 170, false);
	CHECK_EQ(s.content_type, 0);
	CHECK(d.synced);
	CHECK_EQ(d.next_hdr, 185);
}

static void test_idle_start(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	/* Capture starts in the middle of a large record. */
	reset_stream();
	add_rec(23, 4000);           /* [0,4005) */
	add_rec(23, 200);            /* [4005,4210) */
	add_rec(23, 300);            /* [4210,4515) */
	add_rec(23, 5000);
	for (uint32_t i = 5; i < 4005; i++)
		stream[i] = 0x17;    /* even header-like bytes */
	eg_tls_init(&d);
	s = deliver(&d, 1, 1000, 1448, false);
	CHECK_EQ(s.content_type, 0);
	CHECK(!s.is_tls);
	CHECK_EQ(d.state, EG_TLS_S_IDLE);
	s = deliver(&d, 1, 2448, 1448, false);
	CHECK(!s.is_tls);
	/* Two chained headers inside the segment: TLS found. */
	s = deliver(&d, 1, 3896, 1448, false);
	CHECK_EQ(s.content_type, 0);   /* its first byte's record is unknown */
	CHECK(s.is_tls);
	CHECK(d.synced);
	CHECK_EQ(s.n_headers, 3);
	s = deliver(&d, 1, 5344, 1448, false);
	CHECK_EQ(s.content_type, 23);
	CHECK(s.synced);

	/* Not TLS at all: HTTP. */
	{
		const char *req = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";

		eg_tls_init(&d);
		CHECK_EQ(eg_tls_track(&d, 5, (const uint8_t *)req,
				      (uint32_t)strlen(req),
				      (uint32_t)strlen(req), false, &s), 0);
		CHECK(!s.is_tls);
		CHECK_EQ(s.content_type, 0);
		CHECK(eg_http_detect((const uint8_t *)req, strlen(req)));
	}
	/* No payload. */
	CHECK_EQ(eg_tls_track(&d, 5, NULL, 0, 0, false, &s), 0);
	CHECK(!s.is_tls);
	CHECK_EQ(s.n_headers, 0);
}

static void test_snaplen(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	build_session();
	eg_tls_init(&d);
	/* Only 96 of 1448 bytes captured: the CH header is read, the
	 * CCS header at 205 was not captured: sync lost. */
	CHECK_EQ(eg_tls_track(&d, 1, stream, 96, 1448, false, &s), 0);
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(d.state, EG_TLS_S_LOST);
	/* Continuation inside a known long record still works cut. */
	eg_tls_init(&d);
	(void)deliver(&d, 1, 0, 300, false);    /* into the 3000 B record */
	CHECK_EQ(eg_tls_track(&d, 301, stream + 300, 60, 1448, false, &s), 0);
	CHECK_EQ(s.content_type, 23);
	CHECK(d.synced);
}

/* A segment whose payload the snap length cut entirely (payload NULL,
 * caplen 0) in every state: no read, no pointer arithmetic on NULL (the
 * UBSan build checks), and the tracker loses sync only where it must. */
static void test_null_payload(void)
{
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	build_session();
	eg_tls_init(&d);
	CHECK_EQ(eg_tls_track(&d, 1, NULL, 0, 1448, false, &s), 0);  /* IDLE */
	CHECK_EQ(s.content_type, 0);
	CHECK(!s.is_tls);
	(void)deliver(&d, 1, 0, 208, false);       /* header split: hdr_have */
	CHECK_EQ(d.hdr_have, 3);
	CHECK_EQ(eg_tls_track(&d, 1 + 208, NULL, 0, 10, false, &s), 0);
	CHECK_EQ(s.content_type, 20);               /* the split CCS header */
	CHECK_EQ(d.state, EG_TLS_S_LOST);
	eg_tls_init(&d);
	(void)deliver(&d, 1, 0, 300, false);       /* into the long record */
	CHECK_EQ(eg_tls_track(&d, 301, NULL, 0, 1000, false, &s), 0);
	CHECK_EQ(s.content_type, 23);               /* continuation: known */
	CHECK(d.synced);
	CHECK_EQ(eg_tls_track(&d, 301, NULL, 0, 3000, true, &s), 0);
	CHECK_EQ(d.state, EG_TLS_S_LOST);           /* next header not seen */
	eg_tls_init(&d);
	(void)deliver(&d, 1, 0, 300, false);
	CHECK_EQ(eg_tls_track(&d, 5001, NULL, 0, 100, false, &s), 0); /* gap */
	CHECK_EQ(d.state, EG_TLS_S_GAP);
	CHECK_EQ(eg_tls_track(&d, 5001, NULL, 0, 0, false, &s), 0);
	CHECK_EQ(s.n_headers, 0);
}

static void test_random(void)
{
	uint8_t buf[2048];
	unsigned bad = 0;

	for (int round = 0; round < 2000; round++) {
		struct eg_tls_dir d;
		uint32_t seq = (uint32_t)rnd(0xffffffffu);

		eg_tls_init(&d);
		for (int i = 0; i < 20; i++) {
			struct eg_tls_seg s;
			uint32_t len = rnd(sizeof(buf)), cap = rnd(len + 1);

			for (uint32_t k = 0; k < len; k++)
				buf[k] = rnd(4) ? rnd8() : (uint8_t)(20 + rnd(5));
			if (rnd(3) == 0 && len > 5)
				memcpy(buf, (const uint8_t[]){ 23, 3, 3, 0, (uint8_t)rnd(255) }, 5);
			CHECK_EQ(eg_tls_track(&d, seq, buf, cap, len, rnd(4) == 0, &s), 0);
			if (s.content_type && (s.content_type < 20 ||
					       s.content_type > 24))
				bad++;
			seq += rnd(3) ? len : rnd(0xffffffffu);
		}
	}
	CHECK_EQ(bad, 0);
}

/* --- SNI ------------------------------------------------------------- */

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A ClientHello as a TLS 1.3 client sends it; returns its size and where
 * the server_name extension ends. */
static size_t build_hello(uint8_t *b, const char *name, size_t *sni_end)
{
	size_t n = 0, rec_len_at, hs_len_at, ext_len_at, ext_start;
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0xc02b,
					   0xc02f, 0xc02c, 0xc030, 0x009c };

	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 1;
	rec_len_at = n;
	n += 2;
	b[n++] = 1;                         /* client_hello */
	hs_len_at = n;
	n += 3;
	b[n++] = 3;
	b[n++] = 3;                         /* legacy_version */
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();            /* random */
	b[n++] = 32;                        /* session id */
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();
	n += put16(b + n, sizeof(suites));
	for (size_t i = 0; i < sizeof(suites) / 2; i++)
		n += put16(b + n, suites[i]);
	b[n++] = 1;
	b[n++] = 0;                         /* compression: null */
	ext_len_at = n;
	n += 2;
	ext_start = n;
	/* supported_groups */
	n += put16(b + n, 10);
	n += put16(b + n, 6);
	n += put16(b + n, 4);
	n += put16(b + n, 0x001d);
	n += put16(b + n, 0x0017);
	/* ec_point_formats */
	n += put16(b + n, 11);
	n += put16(b + n, 2);
	b[n++] = 1;
	b[n++] = 0;
	if (name) {
		size_t l = strlen(name);

		n += put16(b + n, 0);
		n += put16(b + n, (unsigned)(l + 5));
		n += put16(b + n, (unsigned)(l + 3));
		b[n++] = 0;                 /* host_name */
		n += put16(b + n, (unsigned)l);
		memcpy(b + n, name, l);
		n += l;
		*sni_end = n;
	}
	/* ALPN h2 */
	n += put16(b + n, 16);
	n += put16(b + n, 5);
	n += put16(b + n, 3);
	b[n++] = 2;
	b[n++] = 'h';
	b[n++] = '2';
	/* key_share x25519 */
	n += put16(b + n, 51);
	n += put16(b + n, 38);
	n += put16(b + n, 36);
	n += put16(b + n, 0x001d);
	n += put16(b + n, 32);
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();
	put16(b + ext_len_at, (unsigned)(n - ext_start));
	b[hs_len_at] = 0;
	put16(b + hs_len_at + 1, (unsigned)(n - hs_len_at - 3));
	put16(b + rec_len_at, (unsigned)(n - rec_len_at - 2));
	return n;
}

static void test_sni(void)
{
	uint8_t h[1024], c[1024];
	char out[EG_SNI_MAX], small[8];
	size_t n, sni_end = 0, e2;
	unsigned bad = 0;
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	n = build_hello(h, "Avs-Alexa-4-NA.Amazon.COM", &sni_end);
	CHECK_EQ(eg_tls_sni(h, n, out, sizeof(out)), 25);
	CHECK_STREQ(out, "avs-alexa-4-na.amazon.com");
	/* Never cut to fit (a cut name has another suffix): untouched. */
	snprintf(small, sizeof(small), "keep");
	CHECK_EQ(eg_tls_sni(h, n, small, sizeof(small)), -ENAMETOOLONG);
	CHECK_STREQ(small, "keep");
	CHECK_EQ(eg_tls_sni(h, n, out, 0), -EINVAL);
	CHECK_EQ(eg_tls_sni(NULL, n, out, sizeof(out)), -EINVAL);

	/* Every truncation: an error before the name is complete, the name
	 * after; never a read past the end (ASan checks the copy). */
	for (size_t cut = 0; cut <= n; cut++) {
		int r;

		memcpy(c, h, cut);
		r = eg_tls_sni(c, cut, out, sizeof(out));
		if (cut < sni_end)
			bad += r != -EBADMSG;
		else
			bad += r != 25 || strcmp(out, "avs-alexa-4-na.amazon.com");
	}
	CHECK_EQ(bad, 0);

	/* No server_name: -ENOENT; one without extensions at all too. */
	n = build_hello(h, NULL, &e2);
	CHECK_EQ(eg_tls_sni(h, n, out, sizeof(out)), -ENOENT);
	{
		uint8_t m[128];
		size_t k = 0;

		m[k++] = 22; m[k++] = 3; m[k++] = 1; k += 2;
		m[k++] = 1; m[k++] = 0; k += 2;
		m[k++] = 3; m[k++] = 3;
		memset(m + k, 7, 32); k += 32;
		m[k++] = 0;
		k += put16(m + k, 2); k += put16(m + k, 0x002f);
		m[k++] = 1; m[k++] = 0;
		put16(m + 3, (unsigned)(k - 5));
		put16(m + 7, (unsigned)(k - 9));
		CHECK_EQ(eg_tls_sni(m, k, out, sizeof(out)), -ENOENT);
		CHECK_EQ(eg_tls_sni(m, k - 1, out, sizeof(out)), -EBADMSG);
	}

	/* Lies in lengths. */
	n = build_hello(h, "echo.example", &sni_end);
	memcpy(c, h, n);
	c[5] = 2;                                  /* not a ClientHello */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[0] = 23;
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[43] = 33;                                /* session id > 32 */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	put16(c + sni_end - 12 - 5, 0x7fff);       /* name list too long */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[sni_end - 4] = 'A' - 64;                 /* control character */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);

	/* Random corruption: never a crash, a name only when valid. */
	for (int round = 0; round < 20000; round++) {
		int r;

		memcpy(c, h, n);
		for (int k = 0; k < 1 + round % 4; k++)
			c[rnd((uint32_t)n)] = rnd8();
		r = eg_tls_sni(c, n - rnd(20), out, sizeof(out));
		if (r >= 0 && (strlen(out) != (size_t)r || r == 0))
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* The tracker flags the hello and where it starts. */
	n = build_hello(h, "echo.example", &sni_end);
	eg_tls_init(&d);
	CHECK_EQ(eg_tls_track(&d, 100, h, (uint32_t)n, (uint32_t)n, false, &s), 0);
	CHECK(s.client_hello);
	CHECK_EQ(s.ch_offset, 0);
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(eg_tls_sni(h + s.ch_offset, n - s.ch_offset, out,
			    sizeof(out)), 12);
	CHECK_STREQ(out, "echo.example");
}

static void test_http(void)
{
	static const char *yes[] = { "GET / HTTP/1.1", "POST /x", "HEAD /",
				     "PUT /a", "DELETE /a", "OPTIONS *",
				     "CONNECT a:443", "TRACE /", "PATCH /",
				     "HTTP/1.1 200 OK", "HTTP/1.0 404" };
	static const char *no[] = { "GE", "GET/", "get / HTTP/1.1", "HTTP/2",
				    "\x16\x03\x01", "POSTX", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(eg_http_detect((const uint8_t *)yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!eg_http_detect((const uint8_t *)no[i], strlen(no[i])));
	CHECK(!eg_http_detect(NULL, 10));
	CHECK(!eg_http_detect((const uint8_t *)"GET / HTTP/1.1", 3));
}

int main(void)
{
	test_plausible();
	test_segmentations();
	test_several_per_segment();
	test_out_of_order();
	test_gap_fill();
	test_shuffled();
	test_retrans();
	test_garbage_resync();
	test_idle_start();
	test_snaplen();
	test_null_payload();
	test_random();
	test_sni();
	test_http();
	return eg_test_done();
}
