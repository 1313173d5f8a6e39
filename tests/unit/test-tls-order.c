/* SPDX-License-Identifier: MIT */
/*
 * test-tls-order.c: the TLS record tracker on crafted streams delivered
 * out of order, with gaps, shuffled, retransmitted, and with garbage to
 * resynchronise on (the stream helpers: tls-stream.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tls-stream.h"

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

int main(void)
{
	test_out_of_order();
	test_gap_fill();
	test_shuffled();
	test_retrans();
	test_garbage_resync();
	return eg_test_done();
}
