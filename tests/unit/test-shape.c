/* SPDX-License-Identifier: MIT */
/*
 * test-shape.c: the "shape" feature set (docs/features.md), through
 * eg_engine_process on crafted TCP/TLS packets, each value hand-computed:
 * runs of same-size segments, their gaps and regularity, sizes relative to
 * the flow, an interloper inside a run, the end of a run after a quiet
 * second, inbound packets; and the property the set exists for: two
 * devices that differ only in record size, TTL, TCP window and server port
 * get the same feature vectors.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "tap.h"

#define NS(s) ((uint64_t)((s) * 1e9 + 0.5))

/* Indices of the shape set. */
enum {
	S_LAYER, S_DELTA, S_ACK, S_MIC, S_CT, S_OP1, S_OP5, S_AGE, S_SINCE_ANY,
	S_SINCE_FLOW, S_RETRANS, S_KA, S_PSH, S_REL, S_FILL, S_RUN, S_RUN_GAP,
	S_GAP_REG, S_RATE_REL, S_BALANCE, S_N
};

/* One device: its address, TTL, window, server port. */
struct dev {
	uint8_t addr[4];
	uint8_t ttl;
	uint16_t window, port;
	uint32_t seq;
};

static const uint8_t SERVER[4] = { 52, 94, 7, 7 };

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/*
 * Run one IPv4/TCP packet of d through e at time t: outbound (device ->
 * server) with n_rec TLS app-data records of body `body` each, or inbound
 * (server -> device) with one such record when out is false.
 */
static void send_pkt(struct eg_engine *e, struct dev *d, bool out,
		     unsigned n_rec, unsigned body, double t,
		     struct eg_pkt_info *ri)
{
	uint8_t b[4096] = { 0 };
	size_t pl = 0, tot;

	for (unsigned i = 0; i < n_rec; i++) {
		uint8_t *r = b + 40 + pl;

		r[0] = 23;
		r[1] = 3;
		r[2] = 3;
		put16(r + 3, body);
		memset(r + 5, 0x5a, body);
		pl += 5 + body;
	}
	tot = 40 + pl;
	b[0] = 0x45;
	put16(b + 2, (uint32_t)tot);
	b[8] = out ? d->ttl : 240;
	b[9] = IPPROTO_TCP;
	memcpy(b + (out ? 12 : 16), d->addr, 4);
	memcpy(b + (out ? 16 : 12), SERVER, 4);
	put16(b + 20 + (out ? 0 : 2), 40000);
	put16(b + 20 + (out ? 2 : 0), d->port);
	put32(b + 24, out ? d->seq : 7000);
	put32(b + 28, 1);
	b[32] = 5 << 4;
	b[33] = 0x18;                       /* PSH ACK */
	put16(b + 34, out ? d->window : 500);
	if (out)
		d->seq += (uint32_t)pl;
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, tot, tot, NS(t), 1, ri), 0);
	CHECK_EQ(ri->n_features, S_N);
}

static struct eg_engine *new_engine(const struct dev *d)
{
	struct eg_engine_params p;
	struct eg_engine *e = NULL;

	eg_engine_params_default(&p);
	p.features = EG_FEATURES_SHAPE;
	memcpy(p.devices[0], d->addr, 4);
	p.device_version[0] = 4;
	p.n_devices = 1;
	CHECK_EQ(eg_engine_new(&p, &e), 0);
	return e;
}

static void test_schema(void)
{
	const struct eg_schema *s = eg_schema_find("shape");
	static const char *const absent[] = { "length", "dstport", "ttl",
		"tcp_window", "sni_class", "out_bytes_1s", "n_records" };
	enum eg_feature_set set = EG_FEATURES_SEED;

	CHECK(s && s->version == 1 && s->n == S_N);
	CHECK(s == eg_schema_get(EG_FEATURES_SHAPE));
	CHECK_EQ(eg_feature_set_find("shape", &set), 0);
	CHECK_EQ(set, EG_FEATURES_SHAPE);
	CHECK_EQ(eg_feature_set_find("flow", &set), 0);
	CHECK_EQ(set, EG_FEATURES_FLOW);
	CHECK_EQ(eg_feature_set_find("size", &set), -ENOENT);
	CHECK_EQ(set, EG_FEATURES_FLOW);
	CHECK_EQ(eg_feature_set_find(NULL, &set), -ENOENT);
	for (unsigned i = 0; s && i < sizeof(absent) / sizeof(absent[0]); i++)
		for (unsigned k = 0; k < s->n; k++)
			CHECK(strcmp(s->names[k], absent[i]) != 0);
	CHECK_STREQ(s->names[S_REL], "rel_size");
	CHECK_STREQ(s->names[S_RUN], "run_len");
	CHECK_STREQ(s->names[S_BALANCE], "balance");
}

/* A steady run of 118-byte segments 20 ms apart, an interloper, the run
 * going on, a quiet second, an inbound record. */
static void test_run(void)
{
	struct dev d = { { 10, 0, 0, 2 }, 64, 1369, 443, 1000 };
	struct eg_engine *e = new_engine(&d);
	struct eg_pkt_info ri;
	double t = 100.0;

	for (unsigned i = 1; i <= 5; i++, t += 0.02) {
		send_pkt(e, &d, true, 1, 113, t, &ri);
		CHECK_NEAR(ri.features[S_RUN], i, 0);
		CHECK_NEAR(ri.features[S_REL], 1, 1e-6);
		CHECK_NEAR(ri.features[S_FILL], 1, 0);
		CHECK_NEAR(ri.features[S_RUN_GAP], i >= 2 ? 0.02 : 0, 1e-6);
		CHECK_NEAR(ri.features[S_GAP_REG], i >= 3 ? 0 : -1, 1e-4);
		CHECK_NEAR(ri.features[S_BALANCE], 1, 0);
		CHECK_NEAR(ri.features[S_CT], 23, 0);
		CHECK_NEAR(ri.features[S_MIC], 1, 0);
	}
	/* a 4.9 KB-like interloper: 3 records of 300 (915 B), 10 ms later */
	send_pkt(e, &d, true, 3, 300, t - 0.01, &ri);
	CHECK_NEAR(ri.features[S_RUN], 0, 0);
	CHECK_NEAR(ri.features[S_REL], 915.0 / 118, 1e-4);
	CHECK_NEAR(ri.features[S_FILL], 1, 0);
	CHECK_NEAR(ri.features[S_GAP_REG], -1, 0);
	/* the run goes on; the typical size moved 1/8 toward 915 */
	send_pkt(e, &d, true, 1, 113, t, &ri);
	CHECK_NEAR(ri.features[S_RUN], 6, 0);
	CHECK_NEAR(ri.features[S_REL], 118 / (118 + (915 - 118) / 8.0), 1e-4);
	CHECK_NEAR(ri.features[S_FILL], 118.0 / 915, 1e-6);
	/* inbound: no run, no size of the device's */
	send_pkt(e, &d, false, 1, 60, t + 0.005, &ri);
	CHECK_NEAR(ri.features[S_RUN], 0, 0);
	CHECK_NEAR(ri.features[S_REL], 0, 0);
	CHECK_NEAR(ri.features[S_FILL], 0, 0);
	CHECK(ri.features[S_BALANCE] > 0.5 && ri.features[S_BALANCE] < 1);
	/* 1.5 s later the run is over: a new one */
	send_pkt(e, &d, true, 1, 113, t + 1.5, &ri);
	CHECK_NEAR(ri.features[S_RUN], 1, 0);
	CHECK_NEAR(ri.features[S_RUN_GAP], 0, 0);
	/* time going backwards starts a new run too, without harm */
	send_pkt(e, &d, true, 1, 113, t + 1.0, &ri);
	CHECK_NEAR(ri.features[S_RUN], 1, 0);
	eg_engine_free(e);
}

/* Three other sizes in a row end an established run. */
static void test_interlopers(void)
{
	struct dev d = { { 10, 0, 0, 3 }, 64, 1369, 443, 5 };
	struct eg_engine *e = new_engine(&d);
	struct eg_pkt_info ri;

	for (unsigned i = 0; i < 4; i++)
		send_pkt(e, &d, true, 1, 200, 1.0 + i * 0.03, &ri);
	send_pkt(e, &d, true, 1, 50, 1.10, &ri);
	CHECK_NEAR(ri.features[S_RUN], 0, 0);
	send_pkt(e, &d, true, 1, 60, 1.11, &ri);
	CHECK_NEAR(ri.features[S_RUN], 0, 0);
	send_pkt(e, &d, true, 1, 70, 1.12, &ri);
	CHECK_NEAR(ri.features[S_RUN], 1, 0);
	send_pkt(e, &d, true, 1, 200, 1.13, &ri);
	CHECK_NEAR(ri.features[S_RUN], 1, 0);
	eg_engine_free(e);
}

/* Gaps alternating 10 and 40 ms: the regularity moves away from 0. */
static void test_irregular(void)
{
	struct dev d = { { 10, 0, 0, 4 }, 64, 1369, 443, 9 };
	struct eg_engine *e = new_engine(&d);
	struct eg_pkt_info ri;
	double t = 5.0;

	for (unsigned i = 0; i < 12; i++) {
		send_pkt(e, &d, true, 1, 150, t, &ri);
		t += i % 2 ? 0.04 : 0.01;
	}
	CHECK_NEAR(ri.features[S_RUN], 12, 0);
	CHECK(ri.features[S_GAP_REG] > 0.3 && ri.features[S_GAP_REG] < 1.5);
	CHECK(ri.features[S_RUN_GAP] > 0.015 && ri.features[S_RUN_GAP] < 0.035);
	eg_engine_free(e);
}

/*
 * Device A: one 118-byte record per segment, TTL 64, window 1369, port
 * 443. Device B: three 113-byte-body records per segment (354 B), TTL 255,
 * window 30000, port 8443. Same timing: every feature is equal.
 */
static void test_device_invariance(void)
{
	struct dev a = { { 10, 0, 1, 2 }, 64, 1369, 443, 77 };
	struct dev b = { { 10, 0, 1, 2 }, 255, 30000, 8443, 99 };
	struct eg_engine *ea = new_engine(&a), *eb = new_engine(&b);
	struct eg_pkt_info ra, rb;
	static const double gaps[] = { 0, 0.02, 0.018, 0.025, 0.021, 0.3, 0.02,
				       2.0, 0.03, 0.01 };
	double t = 50.0;
	unsigned differ = 0;

	for (unsigned i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		t += gaps[i];
		send_pkt(ea, &a, i != 6, 1, 113, t, &ra);
		send_pkt(eb, &b, i != 6, 3, 113, t, &rb);
		for (unsigned k = 0; k < S_N; k++)
			if (ra.features[k] != rb.features[k]) {
				fprintf(stderr, "    packet %u feature %u: %g vs %g\n",
					i, k, ra.features[k], rb.features[k]);
				differ++;
			}
	}
	CHECK_EQ(differ, 0);
	eg_engine_free(ea);
	eg_engine_free(eb);
}

int main(void)
{
	test_schema();
	test_run();
	test_interlopers();
	test_irregular();
	test_device_invariance();
	return eg_test_done();
}
