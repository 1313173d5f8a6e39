/* SPDX-License-Identifier: MIT */
/*
 * flow-build.h: crafted packets and flow tables for the flow tests
 * (test-flow.c, test-flow-rate.c).
 */
#ifndef ECHOGUARD_TEST_FLOW_BUILD_H
#define ECHOGUARD_TEST_FLOW_BUILD_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/net/flow.h"
#include "tap.h"

#define S 1000000000ull
#define MS 1000000ull

static inline struct eg_packet mk(uint32_t src, uint32_t dst, uint16_t sport,
			   uint16_t dport, uint8_t flags, uint32_t seq,
			   uint32_t plen)
{
	struct eg_packet p;

	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.l4_proto = IPPROTO_TCP;
	p.src[0] = (uint8_t)(src >> 24);
	p.src[1] = (uint8_t)(src >> 16);
	p.src[2] = (uint8_t)(src >> 8);
	p.src[3] = (uint8_t)src;
	p.dst[0] = (uint8_t)(dst >> 24);
	p.dst[1] = (uint8_t)(dst >> 16);
	p.dst[2] = (uint8_t)(dst >> 8);
	p.dst[3] = (uint8_t)dst;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.seq = seq;
	p.window = 502;
	p.tcp_header_len = 20;
	p.payload_len = plen;
	p.payload_caplen = plen;
	p.ip_header_len = 20;
	p.ip_total_len = 40 + plen;
	p.wire_len = p.ip_total_len;
	return p;
}

#define ECHO 0xc0a80a05u  /* 192.168.10.5 */
#define SRV 0x3406c801u   /* 52.6.200.1 */

static inline struct eg_flow_table *table(uint32_t cap, uint32_t probe)
{
	struct eg_flow_params fp;
	struct eg_flow_table *t = NULL;

	eg_flow_params_default(&fp);
	fp.capacity = cap;
	fp.max_probe = probe;
	fp.hash_seed = 42;
	CHECK_EQ(eg_flow_table_new(&fp, &t), 0);
	return t;
}

#endif
