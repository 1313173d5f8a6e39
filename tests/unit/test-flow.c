/* SPDX-License-Identifier: MIT */
/*
 * test-flow.c: the flow table and per-direction TCP state on crafted
 * packets (struct eg_packet filled by hand: this module does not parse;
 * flow-build.h). The rates: test-flow-rate.c.
 */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "flow-build.h"

static void test_params(void)
{
	struct eg_flow_params fp;
	struct eg_flow_table *t = NULL;
	struct eg_flow_stats st;

	eg_flow_params_default(&fp);
	CHECK_EQ(fp.max_probe, 8);
	CHECK_EQ(fp.idle_timeout_ns, 300 * S);
	CHECK_EQ(fp.closed_timeout_ns, 10 * S);
	fp.capacity = 0;
	CHECK_EQ(eg_flow_table_new(&fp, &t), -EINVAL);
	CHECK(t == NULL);
	fp.capacity = 100;
	fp.max_probe = 0;
	CHECK_EQ(eg_flow_table_new(&fp, &t), -EINVAL);
	fp.max_probe = 65;
	CHECK_EQ(eg_flow_table_new(&fp, &t), -EINVAL);
	fp.max_probe = 8;
	fp.capacity = (1u << 24) + 1;
	CHECK_EQ(eg_flow_table_new(&fp, &t), -EINVAL);
	fp.capacity = 100;
	CHECK_EQ(eg_flow_table_new(&fp, &t), 0);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.capacity, 128);
	CHECK_EQ(st.active, 0);
	t = eg_flow_table_free(t);
	CHECK(t == NULL);
	fp.capacity = 3;
	CHECK_EQ(eg_flow_table_new(&fp, &t), 0);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.capacity, 16);
	eg_flow_table_free(t);
	eg_flow_table_free(NULL);
}

static void test_lookup_dirs(void)
{
	struct eg_flow_table *t = table(64, 8);
	struct eg_flow *f1, *f2, *f3;
	enum eg_dir d;
	struct eg_packet p = mk(ECHO, SRV, 40000, 443, EG_TCP_SYN, 1, 0);
	struct eg_packet q = mk(SRV, ECHO, 443, 40000, EG_TCP_SYN | EG_TCP_ACK,
				9, 0);
	struct eg_flow_stats st;

	CHECK_EQ(eg_flow_lookup(t, &p, 1 * S, &f1, &d), 1);
	CHECK_EQ(d, EG_DIR_FWD);
	CHECK_EQ(f1->created_ns, 1 * S);
	CHECK(f1->in_use);
	CHECK_EQ(eg_flow_lookup(t, &q, 2 * S, &f2, &d), 0);
	CHECK(f2 == f1);
	CHECK_EQ(d, EG_DIR_REV);
	CHECK_EQ(f2->last_ns, 2 * S);
	CHECK_EQ(eg_flow_lookup(t, &p, 3 * S, &f3, &d), 0);
	CHECK(f3 == f1);
	CHECK_EQ(d, EG_DIR_FWD);

	/* The first packet comes from the larger endpoint: still FWD. */
	p = mk(SRV, ECHO, 443, 40001, EG_TCP_ACK, 5, 10);
	q = mk(ECHO, SRV, 40001, 443, EG_TCP_ACK, 7, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 4 * S, &f1, &d), 1);
	CHECK_EQ(d, EG_DIR_FWD);
	CHECK_EQ(eg_flow_lookup(t, &q, 4 * S, &f2, &d), 0);
	CHECK(f1 == f2);
	CHECK_EQ(d, EG_DIR_REV);
	CHECK(f1 != f3);

	/* Same addresses, other port: another flow. UDP: another flow. */
	p = mk(ECHO, SRV, 40002, 443, EG_TCP_ACK, 5, 10);
	CHECK_EQ(eg_flow_lookup(t, &p, 5 * S, &f2, &d), 1);
	CHECK(f2 != f1 && f2 != f3);
	p = mk(ECHO, SRV, 40000, 443, 0, 0, 10);
	p.l4_proto = IPPROTO_UDP;
	CHECK_EQ(eg_flow_lookup(t, &p, 5 * S, &f2, &d), 1);
	CHECK(f2 != f3);

	/* IPv6 both ways. */
	p = mk(0, 0, 5353, 443, EG_TCP_ACK, 1, 0);
	p.ip_version = 6;
	memset(p.src, 0, 16);
	memset(p.dst, 0, 16);
	p.src[0] = 0xfe; p.src[15] = 9;
	p.dst[0] = 0x20; p.dst[1] = 0x01; p.dst[15] = 1;
	q = p;
	memcpy(q.src, p.dst, 16);
	memcpy(q.dst, p.src, 16);
	q.sport = p.dport;
	q.dport = p.sport;
	CHECK_EQ(eg_flow_lookup(t, &p, 6 * S, &f1, &d), 1);
	CHECK_EQ(d, EG_DIR_FWD);
	CHECK_EQ(eg_flow_lookup(t, &q, 6 * S, &f2, &d), 0);
	CHECK(f1 == f2);
	CHECK_EQ(d, EG_DIR_REV);

	/* No ports: refused, *ret untouched. */
	f2 = NULL;
	p = mk(ECHO, SRV, 0, 0, 0, 0, 0);
	p.l4_proto = IPPROTO_ICMP;
	CHECK_EQ(eg_flow_lookup(t, &p, 7 * S, &f2, &d), -EINVAL);
	p = mk(ECHO, SRV, 1, 2, 0, 0, 0);
	p.is_fragment = true;
	p.is_first_fragment = false;
	CHECK_EQ(eg_flow_lookup(t, &p, 7 * S, &f2, &d), -EINVAL);
	p.is_first_fragment = true;
	CHECK_EQ(eg_flow_lookup(t, &p, 7 * S, &f2, &d), 1);
	p = mk(ECHO, SRV, 1, 2, 0, 0, 0);
	p.error = EG_PERR_TCP_TRUNCATED;
	f1 = NULL;
	CHECK_EQ(eg_flow_lookup(t, &p, 7 * S, &f1, &d), -EINVAL);
	CHECK(f1 == NULL);

	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.created, 6);
	CHECK_EQ(st.active, 6);
	CHECK_EQ(st.hits, 4);
	CHECK_EQ(st.lookups, 10);
	CHECK_EQ(st.evicted_lru, 0);
	eg_flow_table_free(t);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void test_eviction(void)
{
	struct eg_flow_table *t = table(16, 64); /* probe clamped to 16 */
	struct eg_flow *f, *keep;
	enum eg_dir d;
	struct eg_packet p;
	struct eg_flow_stats st;
	size_t heap0, heap1;

	/* Full probing: exactly capacity flows live, the rest evicted. */
	for (unsigned i = 0; i < 16; i++) {
		p = mk(ECHO, SRV, (uint16_t)(10000 + i), 443, EG_TCP_ACK, 0, 0);
		CHECK_EQ(eg_flow_lookup(t, &p, (1 + i) * S, &f, &d), 1);
	}
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.active, 16);
	CHECK_EQ(st.evicted_lru, 0);
	/* Touch flow 0: flow 1 becomes the least recently used. */
	p = mk(ECHO, SRV, 10000, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 100 * S, &keep, &d), 0);
	p = mk(ECHO, SRV, 20000, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 101 * S, &f, &d), 1);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.evicted_lru, 1);
	p = mk(ECHO, SRV, 10000, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 102 * S, &f, &d), 0);
	CHECK(f == keep);
	p = mk(ECHO, SRV, 10001, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 103 * S, &f, &d), 1);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.evicted_lru, 2);

	heap0 = heap_in_use();
	for (unsigned i = 0; i < 1000; i++) {
		p = mk(ECHO + i, SRV, (uint16_t)(30000 + i), 443, EG_TCP_ACK, 0, 0);
		CHECK_EQ(eg_flow_lookup(t, &p, (200 + i) * S, &f, &d), 1);
	}
	heap1 = heap_in_use();
	CHECK_EQ(heap1, heap0);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.active, 16);
	CHECK_EQ(st.capacity, 16);
	CHECK_EQ(st.created, 16 + 1 + 1 + 1000);
	CHECK_EQ(st.evicted_lru, 2 + 1000);
	CHECK_EQ(st.expired, 0);
	/* A closed flow's slot is taken by a new flow once closed_timeout
	 * passed (expired, not evicted); an idle one after idle_timeout. */
	p = mk(ECHO + 999, SRV, 30999, 443, EG_TCP_RST, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 1300 * S, &keep, &d), 0);
	CHECK(keep->closed);
	p = mk(ECHO, SRV, 20001, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 1305 * S, &f, &d), 1);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.evicted_lru, 1003);  /* 5 s: still closed_timeout */
	p = mk(ECHO, SRV, 20002, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 1311 * S, &f, &d), 1);
	CHECK(f == keep);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.evicted_lru, 1003);
	CHECK_EQ(st.expired, 1);
	CHECK_EQ(st.active, 16);
	p = mk(ECHO, SRV, 20003, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 1700 * S, &f, &d), 1);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.evicted_lru, 1003);
	CHECK_EQ(st.expired, 2);
	eg_flow_table_free(t);

	/* Short probe windows: some windows fill before the table does;
	 * every creation either took a free slot or evicted one. */
	t = table(256, 4);
	for (unsigned i = 0; i < 5000; i++) {
		p = mk(ECHO, SRV + i, (uint16_t)(1024 + i % 3), 443, 0, 0, 0);
		CHECK_EQ(eg_flow_lookup(t, &p, (1 + i) * MS, &f, &d), 1);
	}
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.created, 5000);
	CHECK(st.active <= 256);
	CHECK(st.active > 200);
	CHECK_EQ(st.evicted_lru, st.created - st.active);
	eg_flow_table_free(t);
}

static void test_expiry(void)
{
	struct eg_flow_table *t = table(16, 16);
	struct eg_flow *f, *g;
	enum eg_dir d;
	struct eg_packet p;
	struct eg_flow_stats st;
	unsigned n, total = 0;

	/* Idle past 300 s: the same tuple starts a new flow. */
	p = mk(ECHO, SRV, 40000, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 10 * S, &f, &d), 1);
	CHECK_EQ(eg_flow_lookup(t, &p, 310 * S, &g, &d), 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 611 * S, &g, &d), 1);
	CHECK_EQ(g->created_ns, 611 * S);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.expired, 1);
	CHECK_EQ(st.active, 1);

	/* Ten more flows; bounded expiry visits budget slots per call. */
	for (unsigned i = 0; i < 10; i++) {
		p = mk(ECHO, SRV, (uint16_t)(50000 + i), 443, EG_TCP_ACK, 0, 0);
		CHECK_EQ(eg_flow_lookup(t, &p, 700 * S, &f, &d), 1);
	}
	CHECK_EQ(eg_flow_expire(t, 911 * S, 16), 0); /* 300 s: not past */
	CHECK_EQ(eg_flow_expire(t, 912 * S, 16), 1); /* only the first flow */
	for (int i = 0; i < 4; i++) {
		n = eg_flow_expire(t, 1001 * S, 4);
		CHECK(n <= 4);
		total += n;
	}
	CHECK_EQ(total, 10);
	eg_flow_stats_get(t, &st);
	CHECK_EQ(st.active, 0);
	CHECK_EQ(st.expired, 12);
	CHECK_EQ(eg_flow_expire(t, 2000 * S, 100), 0);

	/* FIN both ways closes: reusable after 10 s, not before. */
	p = mk(ECHO, SRV, 40100, 443, EG_TCP_ACK | EG_TCP_FIN, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 3000 * S, &f, &d), 1);
	CHECK(!f->closed);
	CHECK(f->dir[EG_DIR_FWD].fin_seen);
	p = mk(SRV, ECHO, 443, 40100, EG_TCP_ACK | EG_TCP_FIN, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 3001 * S, &g, &d), 0);
	CHECK(f->closed);
	/* A FIN retransmitted 16 s later still belongs to it while the slot
	 * was not reused ... */
	p = mk(ECHO, SRV, 40100, 443, EG_TCP_ACK | EG_TCP_FIN, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 3017 * S, &g, &d), 0);
	CHECK(g == f);
	CHECK_EQ(d, EG_DIR_FWD);
	CHECK_EQ(eg_flow_expire(t, 3026 * S, 16), 0);
	/* ... but housekeeping frees it after closed_timeout. */
	CHECK_EQ(eg_flow_expire(t, 3028 * S, 16), 1);

	/* RST closes; a new SYN on a closed flow starts a new one. */
	p = mk(ECHO, SRV, 40200, 443, EG_TCP_ACK, 0, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 4000 * S, &f, &d), 1);
	p.tcp_flags = EG_TCP_RST;
	CHECK_EQ(eg_flow_lookup(t, &p, 4001 * S, &f, &d), 0);
	CHECK(f->closed);
	p = mk(SRV, ECHO, 443, 40200, EG_TCP_SYN, 77, 0);
	CHECK_EQ(eg_flow_lookup(t, &p, 4002 * S, &g, &d), 1);
	CHECK(g == f);
	CHECK(!g->closed);
	CHECK_EQ(d, EG_DIR_FWD); /* the SYN's sender is the new first */
	eg_flow_table_free(t);
}

static enum eg_seg_kind upd(struct eg_flow_dir *d, const struct eg_flow_dir *peer,
			    uint8_t flags, uint32_t seq, uint32_t len)
{
	struct eg_packet p = mk(ECHO, SRV, 1, 2, flags, seq, len);

	return eg_flow_update(d, peer, &p, 1 * S);
}

static void test_seq(void)
{
	struct eg_flow_dir d, peer;
	struct eg_packet p;

	memset(&d, 0, sizeof(d));
	memset(&peer, 0, sizeof(peer));
	p = mk(ECHO, SRV, 1, 2, EG_TCP_SYN, 1000, 0);
	p.opts.has_wscale = true;
	p.opts.wscale = 7;
	p.window = 64240;
	CHECK_EQ(eg_flow_update(&d, NULL, &p, 1 * S), EG_SEG_NONE);
	CHECK_EQ(d.wscale, 7);
	CHECK_EQ(d.window, 64240);
	CHECK_EQ(d.isn, 1000);
	CHECK_EQ(d.snd_max, 1001);     /* the SYN takes one number */
	CHECK_EQ(upd(&d, NULL, EG_TCP_SYN, 1000, 0), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1001, 0), EG_SEG_NONE);
	CHECK_EQ(d.window, 502);
	CHECK_EQ(d.wscale, 7);         /* only a SYN sets it */
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1001, 100), EG_SEG_NEW);
	CHECK_EQ(d.snd_max, 1101);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1001, 100), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1031, 70), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1051, 100), EG_SEG_NEW); /* partly new */
	CHECK_EQ(d.snd_max, 1151);
	CHECK_EQ(d.retrans, 3);
	/* Keep-alives: 0 or 1 byte at snd_max - 1. */
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1150, 0), EG_SEG_KEEPALIVE);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1150, 1), EG_SEG_KEEPALIVE);
	CHECK_EQ(d.keepalives, 2);
	CHECK_EQ(d.snd_max, 1151);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1149, 1), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1150, 2), EG_SEG_NEW);
	CHECK_EQ(d.snd_max, 1152);
	/* Gap (lost in capture): new, snd_max jumps; the hole's data later
	 * is at or below snd_max: a retransmission. */
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1252, 100), EG_SEG_NEW);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 1152, 100), EG_SEG_RETRANS);
	/* Zero-window probe: peer advertised 0; does not move snd_max. */
	peer.pkts = 1;
	peer.window = 0;
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1352, 1), EG_SEG_ZWP);
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1352, 1), EG_SEG_ZWP);
	CHECK_EQ(d.snd_max, 1352);
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1352, 2), EG_SEG_NEW);
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1354, 1), EG_SEG_ZWP);
	peer.window = 1000;
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1354, 1), EG_SEG_NEW);
	/* FIN takes one number: a repeated FIN is a retransmission. */
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK | EG_TCP_FIN, 1355, 0), EG_SEG_NONE);
	CHECK_EQ(d.snd_max, 1356);
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK | EG_TCP_FIN, 1355, 0), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, &peer, EG_TCP_ACK, 1356, 0), EG_SEG_NONE);
	/* RST: never touches the sequence state. */
	CHECK_EQ(upd(&d, &peer, EG_TCP_RST, 99, 0), EG_SEG_NONE);
	CHECK_EQ(d.snd_max, 1356);

	/* Mid-stream start near 2^32; segments cross the wrap. */
	memset(&d, 0, sizeof(d));
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0xffffff00u, 0x80), EG_SEG_NEW);
	CHECK_EQ(d.snd_max, 0xffffff80u);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0xffffff80u, 0x200), EG_SEG_NEW);
	CHECK_EQ(d.snd_max, 0x180u);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0xffffffc0u, 0x40), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0xffffff80u, 0x200), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0x100u, 0x80), EG_SEG_RETRANS);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0x17fu, 0), EG_SEG_KEEPALIVE);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 0x100u, 0x81), EG_SEG_NEW);
	CHECK_EQ(d.snd_max, 0x181u);
	CHECK_EQ(d.payload_bytes, 0x80 + 0x200 + 0x40 + 0x200 + 0x80 + 0x81);
	/* A mid-stream first pure ACK initialises too. */
	memset(&d, 0, sizeof(d));
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 5000, 0), EG_SEG_NONE);
	CHECK(d.seq_valid);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 4999, 0), EG_SEG_KEEPALIVE);
	CHECK_EQ(upd(&d, NULL, EG_TCP_ACK, 4990, 10), EG_SEG_RETRANS);

	/* UDP: counters only. */
	memset(&d, 0, sizeof(d));
	p = mk(ECHO, SRV, 1, 2, 0, 0, 30);
	p.l4_proto = IPPROTO_UDP;
	CHECK_EQ(eg_flow_update(&d, NULL, &p, 5 * S), EG_SEG_NEW);
	CHECK_EQ(d.pkts, 1);
	CHECK_EQ(d.bytes, 70);
	CHECK(!d.seq_valid);
}

static void test_ka(void)
{
	struct eg_flow_dir d;
	uint64_t t0 = 1000 * S;
	bool r[8];

	/* 46-byte records every 30 s: reported from the third on. */
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 6; i++)
		r[i] = eg_ka_feed(&d, 46, t0 + (uint64_t)i * 30 * S +
					      (i % 2 ? 300 * MS : 0));
	CHECK(!r[0] && !r[1]);
	CHECK(r[2] && r[3] && r[4] && r[5]);

	/* The paper's 99 B every 90.8 s, jitter within 5 %. */
	memset(&d, 0, sizeof(d));
	CHECK(!eg_ka_feed(&d, 99, t0));
	CHECK(!eg_ka_feed(&d, 99, t0 + 90800 * MS));
	CHECK(eg_ka_feed(&d, 99, t0 + 183000 * MS));   /* gap 92.2 s */
	CHECK(eg_ka_feed(&d, 99, t0 + 272500 * MS));   /* gap 89.5 s */
	CHECK(!eg_ka_feed(&d, 99, t0 + 400000 * MS));  /* gap 127.5: broken */
	/* ... and the restarted series (period 127.5 s) counts that gap as
	 * its first: the next member is its third. */
	CHECK(eg_ka_feed(&d, 99, t0 + 527500 * MS));
	CHECK(!eg_ka_feed(&d, 99, t0 + 600000 * MS));  /* gap 72.5 */

	/* Irregular gaps: never a series. */
	memset(&d, 0, sizeof(d));
	{
		const uint64_t at[] = { 0, 30, 47, 90, 101, 150, 171, 220 };

		for (int i = 0; i < 8; i++)
			CHECK(!eg_ka_feed(&d, 46, t0 + at[i] * S));
	}
	/* Faster than every 5 s: never a series, even though every third
	 * (every second) record is >= 5 s after the last member. */
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 30; i++)
		CHECK(!eg_ka_feed(&d, 46, t0 + (uint64_t)i * 2 * S));
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 30; i++)
		CHECK(!eg_ka_feed(&d, 46, t0 + (uint64_t)i * 4 * S));
	/* A voice upload: 118 B every 20 ms for 60 s. */
	memset(&d, 0, sizeof(d));
	{
		unsigned yes = 0;

		for (int i = 0; i < 3000; i++)
			yes += eg_ka_feed(&d, 118, t0 + (uint64_t)i * 20 * MS);
		CHECK_EQ(yes, 0);
	}
}

static void test_ka_burst(void)
{
	struct eg_flow_dir d;
	uint64_t t0 = 1000 * S;

	memset(&d, 0, sizeof(d));
	CHECK(!eg_ka_feed(&d, 46, t0));
	CHECK(!eg_ka_feed(&d, 46, t0 + 30 * S));
	/* Burst at 45 s: ten sizes in one second. */
	for (int i = 0; i < 10; i++)
		CHECK(!eg_ka_feed(&d, 300 + (uint32_t)i,
				  t0 + 45 * S + (uint64_t)i * 100 * MS));
	/* A same-size record 1 s after a member: ignored, untouched. */
	CHECK(eg_ka_feed(&d, 46, t0 + 60 * S));
	CHECK(!eg_ka_feed(&d, 46, t0 + 61 * S));
	for (int i = 0; i < 10; i++)
		CHECK(!eg_ka_feed(&d, 400 + (uint32_t)i,
				  t0 + 75 * S + (uint64_t)i * 100 * MS));
	CHECK(eg_ka_feed(&d, 46, t0 + 90 * S));
	CHECK(eg_ka_feed(&d, 46, t0 + 120 * S));
	/* An app record of the same size 21.7 s after a member (seen on the
	 * shared captures): ignored by the established series. */
	CHECK(!eg_ka_feed(&d, 46, t0 + 141700 * MS));
	CHECK(eg_ka_feed(&d, 46, t0 + 150 * S + 50 * MS));
	/* Two series of different sizes on one direction. */
	CHECK(!eg_ka_feed(&d, 100, t0 + 130 * S));
	CHECK(!eg_ka_feed(&d, 100, t0 + 140 * S));
	CHECK(eg_ka_feed(&d, 46, t0 + 180 * S));
	CHECK(eg_ka_feed(&d, 100, t0 + 150 * S));
	CHECK(!eg_ka_feed(&d, 0, t0 + 160 * S));
}

static void test_drop_ranges(void)
{
	struct eg_flow f;

	memset(&f, 0, sizeof(f));
	CHECK(!eg_flow_drop_overlaps(&f, 0, 100));
	eg_flow_drop_remember(&f, 0xfffffff0u, 0x10u);   /* wraps */
	CHECK(eg_flow_drop_overlaps(&f, 5, 6));
	CHECK(eg_flow_drop_overlaps(&f, 0xffffffe0u, 0xfffffff1u));
	CHECK(eg_flow_drop_overlaps(&f, 0xfffffff8u, 0x8u));
	CHECK(eg_flow_drop_overlaps(&f, 0xffffff00u, 0x100u)); /* covers it */
	CHECK(!eg_flow_drop_overlaps(&f, 0x10u, 0x20u));
	CHECK(!eg_flow_drop_overlaps(&f, 0xffffffe0u, 0xfffffff0u));
	CHECK(!eg_flow_drop_overlaps(&f, 5, 5));         /* empty */
	CHECK_EQ(f.n_drop_ranges, 1);
	/* Adjacent ranges merge into one slot. */
	eg_flow_drop_remember(&f, 0x10u, 0x20u);
	CHECK_EQ(f.n_drop_ranges, 1);
	CHECK(eg_flow_drop_overlaps(&f, 0x1f, 0x30));
	/* Eight disjoint ranges after it push it out. */
	for (uint32_t i = 0; i < 8; i++)
		eg_flow_drop_remember(&f, 1000 * (i + 1), 1000 * (i + 1) + 10);
	CHECK_EQ(f.n_drop_ranges, 8);
	CHECK(!eg_flow_drop_overlaps(&f, 5, 6));
	CHECK(eg_flow_drop_overlaps(&f, 1005, 1006));
	CHECK(eg_flow_drop_overlaps(&f, 8000, 9000));
	CHECK(!eg_flow_drop_overlaps(&f, 8010, 9000));
}

int main(void)
{
	test_params();
	test_lookup_dirs();
	test_eviction();
	test_expiry();
	test_seq();
	test_ka();
	test_ka_burst();
	test_drop_ranges();
	return eg_test_done();
}
