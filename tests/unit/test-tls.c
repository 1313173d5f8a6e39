/* SPDX-License-Identifier: MIT */
/*
 * test-tls.c: the TLS record tracker on crafted streams cut into segments
 * every way (records split across segments, several per segment, headers
 * split at every byte), delivered in order, across the 2^32 sequence
 * wrap. Out of order, retransmissions and garbage: test-tls-order.c; SNI
 * and HTTP: test-tls-sni.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tls-stream.h"

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

int main(void)
{
	test_plausible();
	test_segmentations();
	test_several_per_segment();
	test_idle_start();
	test_snaplen();
	test_null_payload();
	test_random();
	return eg_test_done();
}
