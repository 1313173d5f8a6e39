/* SPDX-License-Identifier: MIT */
/*
 * test-features-odd.c: odd packets through eg_engine_process (HTTP,
 * non-TLS payload, bad and truncated packets) and IPv6 traffic with no
 * device configured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features-build.h"

/* Malformed, fragments, UDP, HTTP, seed set, microphone. */
static void test_odd_packets(void)
{
	struct eg_engine *e = new_engine(EG_FEATURES_SEED);
	struct eg_pkt_info ri;
	uint8_t b[256], l4[128];
	struct seg s = { DEV, SRV, 40300, 80, 1, 1, EG_TCP_ACK | EG_TCP_PSH,
			 100, 64, (const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			 27 };
	size_t n;
	int r;

	CHECK_EQ(run(e, &s, 1.0, &ri), 0);
	CHECK_EQ(ri.n_features, 7);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_HTTP);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.features[F_LEN], 27);
	CHECK_EQ(ri.features[F_DPORT], 80);

	/* The body continuing in the next segment: HTTP by port, as in
	 * Wireshark. */
	s.seq += 27;
	s.payload = (const uint8_t *)"a=1&b=2&c=3";
	s.len = 11;
	CHECK_EQ(run(e, &s, 1.01, &ri), 0);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_HTTP);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	s.dport = 5000;
	s.sport = 40301;
	s.payload = (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08";
	s.len = 8;
	CHECK_EQ(run(e, &s, 1.0, &ri), 0);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_DATA);
	CHECK_EQ(ri.features[F_CT], 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* Truncated TCP header: an error, yet a not_relevant record. */
	n = tcp4(b, &s);
	r = eg_engine_process(e, EG_LINK_RAW, b, 30, n, NS(2.0), 0, &ri);
	CHECK(r < 0);
	CHECK_EQ(ri.parse_rc, r);
	CHECK(ri.flow == NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.n_features, 7);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_LEN, 0, 0 }, { F_MIC, 0, 0 }, { F_DELTA, 0, 0 },
	}));

	/* Garbage that is not IP at all. */
	memset(b, 0xff, 64);
	r = eg_engine_process(e, EG_LINK_RAW, b, 64, 64, NS(2.0), 1, &ri);
	CHECK(r < 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* A non-first fragment: no ports, not_relevant, no flow. */
	memset(l4, 0x42, 64);
	n = ip4(b, DEV, SRV, IPPROTO_TCP, 64, l4, 64, 0x00b9);
	eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(3.0), 1, &ri);
	CHECK(ri.flow == NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* UDP (DNS): a flow, DATA, not_relevant, delta on the second. */
	memset(l4, 0, 8);
	l4[0] = 0x9c; l4[1] = 0x40; l4[2] = 0; l4[3] = 53;
	l4[4] = 0; l4[5] = 8 + 30;
	memset(l4 + 8, 0x01, 30);
	n = ip4(b, DEV, SRV, IPPROTO_UDP, 64, l4, 38, 0);
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(4.0), 1, &ri), 0);
	CHECK(ri.flow != NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_LAYER, EG_LAYER_DATA, 0 }, { F_LEN, 30, 0 },
		{ F_DPORT, 53, 0 }, { F_ACK, 0, 0 },
	}));
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(4.75), 1, &ri), 0);
	CHECK_NEAR(ri.features[F_DELTA], 0.75, 1e-6);
	eg_engine_tick(e, NS(10000.0));
	eg_engine_free(e);
	CHECK(eg_engine_free(NULL) == NULL);
}

/* IPv6, and an engine without devices: every packet is outbound. */
static void test_ipv6_no_device(void)
{
	struct eg_engine_params ep;
	struct eg_engine *e = NULL;
	struct eg_pkt_info ri;
	uint8_t b[256], *t = b + 40, pl[64];
	size_t n = record(pl, 23, 30), i;

	eg_engine_params_default(&ep);
	ep.features = EG_FEATURES_FLOW;
	CHECK_EQ(eg_engine_new(&ep, &e), 0);
	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	b[4] = 0;
	b[5] = (uint8_t)(20 + n);
	b[6] = IPPROTO_TCP;
	b[7] = 57;                                  /* hop limit */
	b[8] = 0xfd;                                /* fd00::10 -> 2001:db8::1 */
	b[23] = 0x10;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8;
	b[39] = 1;
	t[0] = 0xa0; t[1] = 0x00; t[2] = 0x01; t[3] = 0xbb;
	t[7] = 1;
	t[12] = 5 << 4;
	t[13] = EG_TCP_ACK | EG_TCP_PSH;
	t[15] = 200;
	memcpy(t + 20, pl, n);
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, 60 + n, 60 + n, NS(50.0),
				   1, &ri), 0);
	CHECK(ri.outbound);
	CHECK_EQ(ri.pkt.ip_version, 6);
	CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_LEN, 35, 0 }, { F_DPORT, 443, 0 }, { F_TTL, 57, 0 },
		{ F_WIN, 200, 0 }, { F_OB1, 40 + 20 + 35, 0 },
	}));
	/* The reply (ports and addresses swapped) is "outbound" too: no
	 * device was configured. */
	for (i = 0; i < 16; i++) {
		uint8_t x = b[8 + i];

		b[8 + i] = b[24 + i];
		b[24 + i] = x;
	}
	t[0] = 0x01; t[1] = 0xbb; t[2] = 0xa0; t[3] = 0x00;
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, 60 + n, 60 + n, NS(50.5),
				   1, &ri), 0);
	CHECK(ri.outbound);
	CHECK_EQ(ri.dir, EG_DIR_REV);
	CHECK_EQ(ri.features[F_DPORT], 40960);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 0.5, 1e-6);
	eg_engine_free(e);
}

int main(void)
{
	test_odd_packets();
	test_ipv6_no_device();
	return eg_test_done();
}
