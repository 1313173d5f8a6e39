/* SPDX-License-Identifier: MIT */
/*
 * packet-build.h: builders of IPv4/IPv6/TCP headers for the packet parser
 * tests (test-packet.c, test-packet-ip6.c, test-packet-link.c).
 */
#ifndef ECHOGUARD_TEST_PACKET_BUILD_H
#define ECHOGUARD_TEST_PACKET_BUILD_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/net/packet.h"

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* IPv4 header with nopt bytes of options (a multiple of 4). */
static inline size_t ip4(uint8_t *b, unsigned total, uint8_t proto, unsigned frag,
		  const uint8_t *opt, size_t nopt)
{
	b[0] = (uint8_t)(0x40 | (5 + nopt / 4));
	b[1] = 0x28; /* tos */
	put16(b + 2, total);
	put16(b + 4, 0x1234);
	put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	put16(b + 10, 0);
	put32(b + 12, 0xc0a8562a); /* 192.168.86.42 */
	put32(b + 16, 0x34d5a901); /* 52.213.169.1 */
	if (nopt)
		memcpy(b + 20, opt, nopt);
	return 20 + nopt;
}

static inline size_t ip6(uint8_t *b, unsigned plen, uint8_t nh)
{
	memset(b, 0, 40);
	b[0] = 0x6a; /* traffic class 0xa5 */
	b[1] = 0x50;
	put16(b + 4, plen);
	b[6] = nh;
	b[7] = 57;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 1;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 2;
	return 40;
}

/* TCP header with nopt option bytes (padded by the caller to 4). */
static inline size_t tcp(uint8_t *b, uint8_t flags, const uint8_t *opt, size_t nopt)
{
	put16(b, 49152);
	put16(b + 2, 443);
	put32(b + 4, 0xfffffff0);
	put32(b + 8, 0x01020304);
	b[12] = (uint8_t)((5 + nopt / 4) << 4);
	b[13] = flags;
	put16(b + 14, 502);
	put16(b + 16, 0);
	put16(b + 18, 0);
	if (nopt)
		memcpy(b + 20, opt, nopt);
	return 20 + nopt;
}

static inline void fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(0x17 + i);
}

/* MSS 1460, NOP, WS 7, SACK-permitted, timestamps, NOP NOP, EOL pad */
static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 9,
	0, 0, 0, 11, 1, 1, 0, 0,
};

/* IPv4 TCP with all options and 100 bytes of payload: 20 + 44 + 100. */
static inline size_t v4_tcp_full(uint8_t *b)
{
	size_t n = ip4(b, 164, IPPROTO_TCP, 0x4000, NULL, 0);

	n += tcp(b + n, EG_TCP_SYN | EG_TCP_ACK, syn_opts, sizeof(syn_opts));
	fill(b + n, 100);
	return n + 100;
}

/* IPv6 + HBH(8) + routing(24) + dstopts(16) + fragment(8) + AH(24) + TCP 20
 * + 30 bytes payload. */
static inline size_t v6_ext_full(uint8_t *b, unsigned frag_off, bool more)
{
	size_t n = ip6(b, 80 + 20 + 30, IPPROTO_HOPOPTS);

	memset(b + n, 0, 80);
	b[n] = IPPROTO_ROUTING; b[n + 1] = 0;              /* HBH: 8 */
	b[n + 2] = 1; b[n + 3] = 4;                        /* PadN */
	n += 8;
	b[n] = IPPROTO_DSTOPTS; b[n + 1] = 2;              /* routing: 24 */
	b[n + 2] = 0; b[n + 3] = 0;
	n += 24;
	b[n] = IPPROTO_FRAGMENT; b[n + 1] = 1;             /* dstopts: 16 */
	b[n + 2] = 1; b[n + 3] = 12;
	n += 16;
	b[n] = IPPROTO_AH; b[n + 1] = 0;                   /* fragment: 8 */
	put16(b + n + 2, frag_off << 3 | (more ? 1 : 0));
	put32(b + n + 4, 0xabcdef);
	n += 8;
	b[n] = IPPROTO_TCP; b[n + 1] = 4;                  /* AH: (4+2)*4 */
	n += 24;
	n += tcp(b + n, EG_TCP_PSH | EG_TCP_ACK, NULL, 0);
	fill(b + n, 30);
	return n + 30;
}

#endif
