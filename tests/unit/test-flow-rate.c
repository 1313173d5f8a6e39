/* SPDX-License-Identifier: MIT */
/*
 * test-flow-rate.c: the flow's sliding byte and packet rates (1 s and 5 s
 * windows) against a model computed here from the same packets.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "flow-build.h"

static void test_rate(void)
{
	struct eg_rate r;
	struct eg_flow_dir dir;
	struct eg_packet p = mk(ECHO, SRV, 1, 2, EG_TCP_ACK, 0, 60); /* 100 B */
	uint64_t b, n, t0 = 1700000000ull * S;

	memset(&r, 0, sizeof(r));
	eg_rate_sum(&r, t0, 20, &b, &n);
	CHECK_EQ(b, 0);
	CHECK_EQ(n, 0);

	memset(&dir, 0, sizeof(dir));
	/* 1 packet every 100 ms for 6 s: 60 packets of 100 bytes. */
	for (unsigned i = 0; i < 60; i++) {
		p.seq = i * 60;
		(void)eg_flow_update(&dir, NULL, &p, t0 + i * 100 * MS);
	}
	/* At t0+5.9 s: bucket of 5.75..6.0 holds 2 (5.8, 5.9), 1 s = 4
	 * buckets (5.0 .. 5.9: 10 packets), 5 s = 20 buckets (1.0 .. 5.9). */
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 1, &b, &n);
	CHECK_EQ(n, 2);
	CHECK_EQ(b, 200);
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 4, &b, &n);
	CHECK_EQ(n, 10);
	CHECK_EQ(b, 1000);
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 20, &b, &n);
	CHECK_EQ(n, 50);
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 99, &b, &n);
	CHECK_EQ(n, 50);
	/* Later queries drop what left the window; far later sees nothing. */
	eg_rate_sum(&dir.rate, t0 + 6900 * MS, 4, &b, &n);
	CHECK_EQ(n, 0);
	eg_rate_sum(&dir.rate, t0 + 6400 * MS, 4, &b, &n);
	CHECK_EQ(n, 5); /* buckets 5.5 .. 6.5: 5.5 .. 5.9 */
	eg_rate_sum(&dir.rate, t0 + 3600 * S, 20, &b, &n);
	CHECK_EQ(n, 0);
	/* A query in the past only counts buckets up to its own time. */
	eg_rate_sum(&dir.rate, t0 + 5100 * MS, 4, &b, &n);
	CHECK_EQ(n, 10); /* 4.25 .. 5.1 */

	/* Out-of-order: 1 s late counts in its bucket; 10 s late ignored. */
	(void)eg_flow_update(&dir, NULL, &p, t0 + 4900 * MS);
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 20, &b, &n);
	CHECK_EQ(n, 51);
	(void)eg_flow_update(&dir, NULL, &p, t0 - 10 * S);
	eg_rate_sum(&dir.rate, t0 + 5900 * MS, 20, &b, &n);
	CHECK_EQ(n, 51);
	CHECK_EQ(dir.pkts, 62);
	CHECK_EQ(dir.bytes, 6200);
	CHECK_EQ(dir.last_ns, t0 + 5900 * MS); /* never moves back */
	CHECK_EQ(dir.first_ns, t0);
	/* A jump of hours clears the ring. */
	(void)eg_flow_update(&dir, NULL, &p, t0 + 7200 * S);
	eg_rate_sum(&dir.rate, t0 + 7200 * S, 20, &b, &n);
	CHECK_EQ(n, 1);
	CHECK_EQ(b, 100);
}

static void rate_add_pub(struct eg_rate *r, uint64_t t, uint32_t bytes)
{
	struct eg_flow_dir d;
	struct eg_packet p = mk(ECHO, SRV, 1, 2, 0, 0, 0);

	p.l4_proto = IPPROTO_UDP;
	p.ip_total_len = bytes;
	memset(&d, 0, sizeof(d));
	d.rate = *r;
	(void)eg_flow_update(&d, NULL, &p, t);
	*r = d.rate;
}

/* eg_rate against a plain model: a map from bucket number to counts,
 * holding the 20 buckets up to the newest, with random, partly
 * out-of-order times and random queries (also in the past). */
static void test_rate_model(void)
{
	static uint64_t mb[1 << 15], mp[1 << 15]; /* by bucket number - base */
	struct eg_rate r;
	uint64_t state = 88172645463325252ull, head = 0, base = 6800000000ull;
	unsigned bad = 0, queries = 0, nonzero = 0, late = 0;
	bool any = false;

	memset(&r, 0, sizeof(r));
	memset(mb, 0, sizeof(mb));
	memset(mp, 0, sizeof(mp));
	for (int i = 0; i < 20000; i++) {
		uint64_t t, b, bytes, pkts, eb = 0, ep = 0, lo;
		unsigned n;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		/* mostly forward by 0..600 ms, sometimes back by up to 8 s */
		t = (base + head) * EG_RATE_BUCKET_NS +
		    (state % 600) * MS - (state % 7 == 0 ? (state >> 20) % (8 * S) : 0);
		if (t / EG_RATE_BUCKET_NS < base)
			continue;
		if (t / EG_RATE_BUCKET_NS - base >= (1 << 15) - 64)
			break;
		b = t / EG_RATE_BUCKET_NS - base;
		if (!any || b > head) {
			for (uint64_t k = any ? head + 1 : 0; k <= b; k++)
				mb[k] = mp[k] = 0;
			head = b;
			any = true;
		}
		if (head - b < EG_RATE_BUCKETS) {
			mb[b] += 40 + (state & 255);
			mp[b]++;
		}
		late += b < head;
		rate_add_pub(&r, t, (uint32_t)(40 + (state & 255)));
		/* a query somewhere around now */
		n = (unsigned)((state >> 8) % 22);
		t = t - (state % 5 == 0 ? (state >> 12) % (3 * S) : 0) +
		    (state % 3 == 0 ? (state >> 16) % (3 * S) : 0);
		if (t / EG_RATE_BUCKET_NS < base)
			t = base * EG_RATE_BUCKET_NS;
		b = t / EG_RATE_BUCKET_NS - base;
		lo = head >= EG_RATE_BUCKETS - 1 ? head - (EG_RATE_BUCKETS - 1) : 0;
		for (uint64_t k = lo; k <= head; k++)
			if (k <= b && k + (n > 20 ? 20 : n) > b) {
				eb += mb[k];
				ep += mp[k];
			}
		eg_rate_sum(&r, t, n, &bytes, &pkts);
		bad += bytes != eb || pkts != ep;
		queries++;
		nonzero += ep != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK(queries > 10000);
	CHECK(nonzero > queries / 2);
	CHECK(late > 100);
}

int main(void)
{
	test_rate();
	test_rate_model();
	return eg_test_done();
}
