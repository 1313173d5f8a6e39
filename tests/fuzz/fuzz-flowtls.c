/* SPDX-License-Identifier: MIT */
/*
 * fuzz-flowtls.c: libFuzzer target over the flow table, the per-direction
 * TCP state, the keep-alive detector, dropped ranges and the TLS tracker,
 * fed with sequences of segments whose order, gaps, retransmission flags
 * and capture cuts come from the input; plus eg_tls_sni and
 * eg_http_detect on the raw input.
 *
 * Input: a list of segments, each a 6-byte header then its payload:
 *   flags (bit 0: jump by delta instead of continuing, bit 1: flagged as a
 *   retransmission, bit 2: capture cut by `cut` bytes, bits 4..5: which of
 *   four flows, bit 6: reverse direction, bit 7: TCP flags from delta),
 *   delta (int16, big endian), len (uint16), cut (uint8).
 * The clock starts at one of 2023, 0, UINT64_MAX - 60 s or UINT64_MAX
 * (input size % 4) and moves by delta ms, backwards when delta < 0 (so
 * equal, extreme and wrapped timestamps reach every timer).
 * Invariants checked: content types are 0 or 20..24, a reported
 * ClientHello offset lies in the captured bytes, the flow table never holds
 * more flows than its capacity, evictions add up.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/net/flow.h"
#include "echoguard/net/tls.h"

static void fail(void)
{
	abort();
}

static void check_sni(const uint8_t *p, size_t n)
{
	char out[EG_SNI_MAX];
	int r = eg_tls_sni(p, n, out, sizeof(out));

	if (r >= 0 && (strlen(out) != (size_t)r || r == 0))
		fail();
	if (r < 0 && r != -ENOENT && r != -EBADMSG && r != -ENAMETOOLONG)
		fail();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct eg_flow_table *t;
	struct eg_tls_dir trk[2];
	uint32_t next[2] = { 0xffffff00u, 0x7ffffff0u };
	static const uint64_t start[4] = { 1700000000ull * 1000000000ull, 0,
					   UINT64_MAX - 60000000000ull,
					   UINT64_MAX };
	uint64_t now = start[size % 4];
	size_t pos = 0;

	if (!t) {
		struct eg_flow_params fp;

		eg_flow_params_default(&fp);
		fp.capacity = 16;
		fp.max_probe = 4;
		fp.hash_seed = 1;
		if (eg_flow_table_new(&fp, &t) < 0)
			fail();
	}
	check_sni(data, size);
	(void)eg_http_detect(data, size);
	eg_tls_init(&trk[0]);
	eg_tls_init(&trk[1]);

	while (size - pos >= 6) {
		uint8_t fl = data[pos];
		int16_t delta = (int16_t)(data[pos + 1] << 8 | data[pos + 2]);
		uint32_t len = (uint32_t)data[pos + 3] << 8 | data[pos + 4];
		uint32_t cut = data[pos + 5], cap, seq;
		unsigned side = (fl >> 6) & 1;
		const uint8_t *pl;
		struct eg_tls_seg s;
		struct eg_packet p;
		struct eg_flow *f;
		enum eg_dir dir;
		enum eg_seg_kind kind;
		struct eg_flow_stats st;

		pos += 6;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		pl = data + pos;
		pos += len;
		cap = (fl & 4) && cut < len ? len - cut : len;
		seq = (fl & 1) ? next[side] + (uint32_t)(int32_t)delta : next[side];
		now += (uint64_t)(int64_t)delta * 1000000ull;  /* wraps */

		/* The flow layer. */
		memset(&p, 0, sizeof(p));
		p.ip_version = 4;
		p.l4_proto = IPPROTO_TCP;
		p.src[0] = 10;
		p.src[3] = (uint8_t)(fl >> 4 & 3);
		p.dst[0] = 52;
		p.sport = (uint16_t)(40000 + (fl >> 4 & 3));
		p.dport = 443;
		if (side) {
			uint8_t a[16];

			memcpy(a, p.src, 16);
			memcpy(p.src, p.dst, 16);
			memcpy(p.dst, a, 16);
			p.dport = p.sport;
			p.sport = 443;
		}
		p.seq = seq;
		p.tcp_flags = (fl & 0x80) ? (uint8_t)delta : EG_TCP_ACK;
		p.window = (uint16_t)delta;
		p.payload = cap ? pl : NULL;
		p.payload_len = len;
		p.payload_caplen = cap;
		p.ip_total_len = 40 + len;
		if (eg_flow_lookup(t, &p, now, &f, &dir) < 0)
			fail();
		kind = eg_flow_update(&f->dir[dir], &f->dir[!dir], &p, now);
		if (kind > EG_SEG_ZWP)
			fail();
		(void)eg_ka_feed(&f->dir[dir], len, now);
		if (fl & 8)
			eg_flow_drop_remember(f, seq, seq + len);
		(void)eg_flow_drop_overlaps(f, seq, seq + len);
		eg_flow_stats_get(t, &st);
		if (st.active > st.capacity ||
		    st.created != st.active + st.evicted_lru + st.expired)
			fail();
		if (delta < -30000)
			(void)eg_flow_expire(t, now + 400ull * 1000000000ull, 8);

		/* The tracker, on its own sequence of this side. */
		(void)eg_tls_track(&trk[side], seq, cap ? pl : NULL, cap, len,
				   (fl & 2) != 0, &s);
		if (s.content_type && (s.content_type < 20 || s.content_type > 24))
			fail();
		if (s.client_hello) {
			if (s.ch_offset >= cap)
				fail();
			check_sni(pl + s.ch_offset, cap - s.ch_offset);
		}
		if (!(fl & 2) && eg_seq_lt(next[side], seq + len))
			next[side] = seq + len;
	}
	return 0;
}
