/* SPDX-License-Identifier: MIT */
/*
 * test-packet.c: the parser on packets built byte by byte here: every link
 * type, IPv4 options, IPv6 extension headers, fragments, TCP options, UDP,
 * lengths (padding, snap length, lying headers) and truncation at every
 * byte offset (each cut is copied into a buffer of exactly that size, so
 * ASan catches any read past it).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "tap.h"

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* IPv4 header with nopt bytes of options (a multiple of 4). */
static size_t ip4(uint8_t *b, unsigned total, uint8_t proto, unsigned frag,
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

static size_t ip6(uint8_t *b, unsigned plen, uint8_t nh)
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
static size_t tcp(uint8_t *b, uint8_t flags, const uint8_t *opt, size_t nopt)
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

static void fill(uint8_t *b, size_t n)
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
static size_t v4_tcp_full(uint8_t *b)
{
	size_t n = ip4(b, 164, IPPROTO_TCP, 0x4000, NULL, 0);

	n += tcp(b + n, EG_TCP_SYN | EG_TCP_ACK, syn_opts, sizeof(syn_opts));
	fill(b + n, 100);
	return n + 100;
}

static void test_ipv4_tcp(void)
{
	uint8_t b[256];
	struct eg_packet p;
	size_t n = v4_tcp_full(b);

	CHECK_EQ(n, 164);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.error, EG_PERR_NONE);
	CHECK_EQ(p.ip_version, 4);
	CHECK_EQ(p.l4_proto, IPPROTO_TCP);
	CHECK_EQ(p.ttl, 64);
	CHECK_EQ(p.tos, 0x28);
	CHECK(!p.has_ip_options);
	CHECK(!p.is_fragment); /* DF alone is not a fragment */
	CHECK(p.is_first_fragment);
	CHECK_EQ(p.src[0], 192);
	CHECK_EQ(p.src[3], 42);
	CHECK_EQ(p.dst[0], 52);
	CHECK_EQ(p.src[4] | p.src[15] | p.dst[4], 0);
	CHECK_EQ(p.ip_total_len, 164);
	CHECK_EQ(p.ip_header_len, 20);
	CHECK_EQ(p.sport, 49152);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.seq, 0xfffffff0u);
	CHECK_EQ(p.ack, 0x01020304);
	CHECK_EQ(p.tcp_flags, EG_TCP_SYN | EG_TCP_ACK);
	CHECK_EQ(p.window, 502);
	CHECK_EQ(p.tcp_header_len, 44);
	CHECK_EQ(p.opts.mss, 1460);
	CHECK(p.opts.has_wscale);
	CHECK_EQ(p.opts.wscale, 7);
	CHECK(p.opts.sack_permitted);
	CHECK(p.opts.has_timestamp);
	CHECK_EQ(p.opts.tsval, 9);
	CHECK_EQ(p.opts.tsecr, 11);
	CHECK_EQ(p.opts.n_sack, 0);
	CHECK_EQ(p.payload_len, 100);
	CHECK_EQ(p.payload_caplen, 100);
	CHECK(p.payload == b + 64);
	CHECK_EQ(p.wire_len, 164);
	CHECK_EQ(p.link_offset, 0);
	CHECK(eg_packet_is_tcp(&p));
}

static void test_ipv4_options(void)
{
	/* router alert (4 bytes) + NOP x3 + EOL: IHL 7 */
	static const uint8_t opt[] = { 0x94, 4, 0, 0, 1, 1, 1, 0 };
	uint8_t b[128];
	struct eg_packet p;
	size_t n = ip4(b, 28 + 20, IPPROTO_TCP, 0, opt, sizeof(opt));

	n += tcp(b + n, EG_TCP_ACK, NULL, 0);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK(p.has_ip_options);
	CHECK_EQ(p.ip_header_len, 28);
	CHECK_EQ(p.sport, 49152);
	CHECK_EQ(p.payload_len, 0);
	CHECK(p.payload == NULL);
}

static void test_ipv4_bad_headers(void)
{
	uint8_t b[256];
	struct eg_packet p;
	size_t n = v4_tcp_full(b);

	b[0] = 0x44; /* IHL 4 */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_HEADER_LEN);
	b[0] = 0x4f; /* IHL 15 = 60 bytes */
	CHECK_EQ(eg_packet_parse_ip(b, 50, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_TRUNCATED);
	put16(b + 2, 40); /* total shorter than the header it holds */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_TOTAL_LEN);
	put16(b + 2, 164);
	b[0] = 0x45;
	put16(b + 2, 19); /* total < header */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_TOTAL_LEN);
	put16(b + 2, 30); /* total leaves 10 bytes for TCP */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_TCP_TRUNCATED);
	put16(b + 2, 50); /* 30 bytes of TCP: data offset 44 overruns it */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_TCP_BAD_OFFSET);
	CHECK_EQ(p.sport, 49152); /* filled as far as parsing got */
	CHECK(!eg_packet_is_tcp(&p));
	put16(b + 2, 164);
	b[32] = 0x40; /* data offset 4 */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_TCP_BAD_OFFSET);
	b[32] = 0xb0;
	b[0] = 0x55; /* version 5 */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_VERSION);
	CHECK_EQ(p.ip_version, 0);
	CHECK_EQ(eg_packet_parse_ip(b, 0, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_TRUNCATED);
}

static void test_ipv4_lengths(void)
{
	uint8_t b[256];
	struct eg_packet p;
	size_t n = v4_tcp_full(b);

	/* total length 0: a TSO super-packet, the buffer is the packet */
	put16(b + 2, 0);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.payload_len, 100);
	CHECK_EQ(p.ip_total_len, 0);
	CHECK_EQ(p.wire_len, 164);
	/* total larger than the buffer of a raw packet (NFQUEUE copy range):
	 * the header is believed, only payload_caplen is clipped */
	put16(b + 2, 1500);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.payload_len, 1500 - 64);
	CHECK_EQ(p.payload_caplen, 100);
	CHECK_EQ(p.wire_len, 1500);
	/* a shorter total: the rest of the buffer is not payload */
	put16(b + 2, 70);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.payload_len, 6);
	CHECK_EQ(p.payload_caplen, 6);
	CHECK_EQ(p.wire_len, 70);
}

static void test_fragments_v4(void)
{
	uint8_t b[256];
	struct eg_packet p;
	size_t n = v4_tcp_full(b);

	put16(b + 6, 0x2000); /* MF, offset 0: first fragment */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK(p.is_fragment);
	CHECK(p.is_first_fragment);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.payload_len, 100);
	put16(b + 6, 0x2000 | 185); /* MF, offset 1480: middle */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_FRAGMENT);
	CHECK(p.is_fragment);
	CHECK(!p.is_first_fragment);
	CHECK_EQ(p.sport, 0);
	CHECK_EQ(p.tcp_header_len, 0);
	CHECK(p.payload == NULL);
	CHECK_EQ(p.l4_proto, IPPROTO_TCP);
	put16(b + 6, 185); /* last fragment */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_FRAGMENT);
	CHECK(!eg_packet_is_tcp(&p));
	/* a tiny first fragment that cuts the TCP header */
	put16(b + 6, 0x2000);
	put16(b + 2, 36);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_TCP_TRUNCATED);
}

/* IPv6 + HBH(8) + routing(24) + dstopts(16) + fragment(8) + AH(24) + TCP 20
 * + 30 bytes payload. */
static size_t v6_ext_full(uint8_t *b, unsigned frag_off, bool more)
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

static void test_ipv6_ext(void)
{
	uint8_t b[256];
	struct eg_packet p;
	size_t n = v6_ext_full(b, 0, false);

	CHECK_EQ(n, 170);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.ip_version, 6);
	CHECK_EQ(p.n_ip6_ext, 5);
	CHECK_EQ(p.ip_header_len, 120);
	CHECK_EQ(p.ip_total_len, 170);
	CHECK_EQ(p.l4_proto, IPPROTO_TCP);
	CHECK_EQ(p.ttl, 57);
	CHECK_EQ(p.tos, 0xa5);
	CHECK_EQ(p.src[0], 0x20);
	CHECK_EQ(p.src[15], 1);
	CHECK_EQ(p.dst[15], 2);
	CHECK(p.is_fragment); /* atomic fragment: a header, offset 0, no M */
	CHECK(p.is_first_fragment);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.payload_len, 30);
	CHECK(p.payload == b + 140);
	CHECK(eg_packet_is_tcp(&p));

	/* first fragment with M set */
	n = v6_ext_full(b, 0, true);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK(p.is_fragment && p.is_first_fragment);
	/* non-first fragment: its next header (AH) is not walked further */
	n = v6_ext_full(b, 100, true);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_FRAGMENT);
	CHECK(p.is_fragment && !p.is_first_fragment);
	CHECK_EQ(p.sport, 0);
	n = v6_ext_full(b, 100, false);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_FRAGMENT);

	/* plain IPv6 without extensions */
	n = ip6(b, 20, IPPROTO_TCP);
	n += tcp(b + n, EG_TCP_ACK, NULL, 0);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK(!p.is_fragment);
	CHECK_EQ(p.n_ip6_ext, 0);
	CHECK_EQ(p.ip_header_len, 40);
	CHECK_EQ(p.payload_len, 0);

	/* no next header */
	n = ip6(b, 0, IPPROTO_NONE);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.l4_proto, IPPROTO_NONE);
	CHECK_EQ(p.payload_len, 0);
}

static void test_ipv6_ext_limits(void)
{
	uint8_t b[512];
	struct eg_packet p;
	size_t n;
	int i;

	/* EG_IP6_MAX_EXT destination options headers, then TCP: fine */
	n = ip6(b, EG_IP6_MAX_EXT * 8 + 20, IPPROTO_DSTOPTS);
	for (i = 0; i < EG_IP6_MAX_EXT; i++, n += 8) {
		memset(b + n, 0, 8);
		b[n] = i == EG_IP6_MAX_EXT - 1 ? IPPROTO_TCP : IPPROTO_DSTOPTS;
	}
	n += tcp(b + n, EG_TCP_ACK, NULL, 0);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.n_ip6_ext, EG_IP6_MAX_EXT);

	/* one more is too many */
	n = ip6(b, (EG_IP6_MAX_EXT + 1) * 8 + 20, IPPROTO_DSTOPTS);
	for (i = 0; i <= EG_IP6_MAX_EXT; i++, n += 8) {
		memset(b + n, 0, 8);
		b[n] = i == EG_IP6_MAX_EXT ? IPPROTO_TCP : IPPROTO_DSTOPTS;
	}
	n += tcp(b + n, EG_TCP_ACK, NULL, 0);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP6_EXT_TOO_MANY);

	/* an extension length that runs past the payload length */
	n = ip6(b, 16, IPPROTO_HOPOPTS);
	memset(b + n, 0, 32);
	b[n] = IPPROTO_TCP;
	b[n + 1] = 3; /* 32 bytes, but the payload length says 16 */
	CHECK_EQ(eg_packet_parse_ip(b, n + 32, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP6_EXT_TRUNCATED);
}

static void test_tcp_options(void)
{
	/* SACK with 1..4 blocks after two NOPs */
	for (int k = 1; k <= 4; k++) {
		uint8_t b[256], opt[40] = { 1, 1, 5, (uint8_t)(2 + 8 * k) };
		size_t nopt = 4 + 8 * k, n;
		struct eg_packet p;

		n = ip4(b, (unsigned)(40 + nopt), IPPROTO_TCP, 0, NULL, 0);
		n += tcp(b + n, EG_TCP_ACK, opt, nopt);
		CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
		CHECK_EQ(p.opts.n_sack, k);
		CHECK_EQ(p.tcp_header_len, 20 + nopt);
	}

	static const struct {
		uint8_t opt[12];
		uint8_t nopt;
		int ok;
	} cases[] = {
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 12, 1 }, /* NOPs */
		{ { 0, 0xff, 0xff, 0xff }, 4, 1 }, /* garbage after EOL */
		{ { 30, 6, 1, 2, 3, 4, 1, 1 }, 8, 1 }, /* unknown kind */
		{ { 2, 0, 5, 0xb4 }, 4, 0 },       /* length 0 */
		{ { 2, 1, 5, 0xb4 }, 4, 0 },       /* length 1 */
		{ { 1, 1, 1, 2 }, 4, 0 },          /* kind without length */
		{ { 1, 1, 8, 10, 0, 0, 0, 1 }, 8, 0 }, /* timestamp overruns */
		{ { 2, 3, 5, 1 }, 4, 0 },          /* MSS of length 3 */
		{ { 3, 4, 7, 1 }, 4, 0 },          /* window scale length 4 */
		{ { 4, 3, 0, 1 }, 4, 0 },          /* SACK-permitted length 3 */
		{ { 5, 2, 1, 1 }, 4, 0 },          /* SACK without blocks */
		{ { 5, 7, 1, 1, 1, 1, 1, 1 }, 8, 0 }, /* SACK not 2 + 8n */
		{ { 1, 1, 1, 1, 1, 1, 30, 8 }, 8, 0 }, /* unknown, overrunning */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[128];
		struct eg_packet p;
		size_t nopt = cases[i].nopt, n;
		unsigned failed = eg_test_failed;

		n = ip4(b, (unsigned)(40 + nopt + 5), IPPROTO_TCP, 0, NULL, 0);
		n += tcp(b + n, EG_TCP_ACK, cases[i].opt, nopt);
		fill(b + n, 5);
		n += 5;
		int r = eg_packet_parse_ip(b, n, &p);
		if (cases[i].ok) {
			CHECK_EQ(r, 0);
			CHECK_EQ(p.payload_len, 5);
		} else {
			CHECK_EQ(r, -EBADMSG);
			CHECK_EQ(p.error, EG_PERR_TCP_BAD_OPTIONS);
			/* the header itself is still usable */
			CHECK(eg_packet_is_tcp(&p));
			CHECK_EQ(p.payload_len, 5);
		}
		if (eg_test_failed != failed)
			fprintf(stderr, "    (TCP option case %zu)\n", i);
	}
}

static void test_udp(void)
{
	uint8_t b[128];
	struct eg_packet p;
	size_t n = ip4(b, 20 + 8 + 12, IPPROTO_UDP, 0, NULL, 0);

	put16(b + n, 5353);
	put16(b + n + 2, 53);
	put16(b + n + 4, 8 + 12);
	put16(b + n + 6, 0);
	fill(b + n + 8, 12);
	n += 20;
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.l4_proto, IPPROTO_UDP);
	CHECK_EQ(p.sport, 5353);
	CHECK_EQ(p.dport, 53);
	CHECK_EQ(p.payload_len, 12);
	CHECK(p.payload == b + 28);
	CHECK(!eg_packet_is_tcp(&p));
	put16(b + 24, 10); /* shorter UDP length is believed */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.payload_len, 2);
	CHECK_EQ(p.payload_caplen, 2);
	put16(b + 24, 7);
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_UDP_BAD_LEN);
	put16(b + 24, 21); /* past the IP payload */
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_UDP_BAD_LEN);
	put16(b + 24, 20);
	CHECK_EQ(eg_packet_parse_ip(b, 27, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_UDP_TRUNCATED);
	/* ICMP: payload is the whole IP payload */
	b[9] = IPPROTO_ICMP;
	CHECK_EQ(eg_packet_parse_ip(b, n, &p), 0);
	CHECK_EQ(p.payload_len, 20);
	CHECK_EQ(p.sport, 0);
}

/* Put an IPv4 TCP packet behind a link header; returns the frame size. */
static size_t frame(uint8_t *b, const uint8_t *hdr, size_t nhdr)
{
	if (nhdr)
		memcpy(b, hdr, nhdr);
	return nhdr + v4_tcp_full(b + nhdr);
}

static void expect_frame(int linktype, const uint8_t *b, size_t n,
			 unsigned link_offset, int line)
{
	struct eg_packet p;
	int r = eg_packet_parse_frame(linktype, b, n, n, &p);

	CHECK_EQ(r, 0);
	CHECK_EQ(p.link_offset, link_offset);
	CHECK_EQ(p.payload_len, 100);
	CHECK_EQ(p.dport, 443);
	CHECK_EQ(p.wire_len, 164);
	if (r != 0 || p.link_offset != link_offset)
		fprintf(stderr, "    (frame at line %d: %s)\n", line,
			eg_packet_strerror(p.error));
}

static void test_link_types(void)
{
	static const uint8_t eth[14] = { [12] = 0x08, [13] = 0x00 };
	static const uint8_t vlan[18] = { [12] = 0x81, [13] = 0x00, [14] = 0,
					  [15] = 5, [16] = 0x08, [17] = 0 };
	static const uint8_t qinq[22] = { [12] = 0x88, [13] = 0xa8,
					  [16] = 0x81, [17] = 0x00,
					  [20] = 0x08, [21] = 0 };
	static const uint8_t triple[26] = { [12] = 0x91, [13] = 0x00,
					    [16] = 0x88, [17] = 0xa8,
					    [20] = 0x81, [21] = 0x00,
					    [24] = 0x08, [25] = 0 };
	static const uint8_t pppoe[22] = { [12] = 0x88, [13] = 0x64,
					   [14] = 0x11, [18] = 0x00, [19] = 0xa6,
					   [20] = 0x00, [21] = 0x21 };
	static const uint8_t sll[16] = { [1] = 4, [3] = 1, [5] = 6,
					 [14] = 0x08, [15] = 0 };
	static const uint8_t sll2[20] = { [0] = 0x08, [1] = 0, [9] = 1,
					  [10] = 4, [11] = 6 };
	static const uint8_t null_le[4] = { 2, 0, 0, 0 };
	static const uint8_t null_be[4] = { 0, 0, 0, 2 };
	uint8_t b[512];
	size_t n;

	n = frame(b, eth, sizeof(eth));
	expect_frame(EG_LINK_ETHERNET, b, n, 14, __LINE__);
	n = frame(b, vlan, sizeof(vlan));
	expect_frame(EG_LINK_ETHERNET, b, n, 18, __LINE__);
	n = frame(b, qinq, sizeof(qinq));
	expect_frame(EG_LINK_ETHERNET, b, n, 22, __LINE__);
	n = frame(b, triple, sizeof(triple));
	expect_frame(EG_LINK_ETHERNET, b, n, 26, __LINE__);
	n = frame(b, pppoe, sizeof(pppoe));
	expect_frame(EG_LINK_ETHERNET, b, n, 22, __LINE__);
	n = frame(b, sll, sizeof(sll));
	expect_frame(EG_LINK_LINUX_SLL, b, n, 16, __LINE__);
	n = frame(b, sll2, sizeof(sll2));
	expect_frame(EG_LINK_LINUX_SLL2, b, n, 20, __LINE__);
	n = frame(b, null_le, sizeof(null_le));
	expect_frame(EG_LINK_NULL, b, n, 4, __LINE__);
	n = frame(b, null_be, sizeof(null_be));
	expect_frame(EG_LINK_NULL, b, n, 4, __LINE__);
	n = frame(b, NULL, 0);
	expect_frame(EG_LINK_RAW, b, n, 0, __LINE__);
	expect_frame(12, b, n, 0, __LINE__); /* DLT_RAW */
	expect_frame(14, b, n, 0, __LINE__); /* DLT_RAW on OpenBSD */
	expect_frame(EG_LINK_IPV4, b, n, 0, __LINE__);

	struct eg_packet p;

	/* IPv4 bytes under LINKTYPE_IPV6: the version must match */
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_IPV6, b, n, n, &p), -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_VERSION);
	CHECK_EQ(eg_packet_parse_frame(147, b, n, n, &p), -EPROTONOSUPPORT);
	CHECK_EQ(p.error, EG_PERR_LINK_UNSUPPORTED);

	/* IPv6 under SLL2, NULL (Darwin AF_INET6 = 30), LINKTYPE_IPV6 */
	uint8_t sll2v6[20];
	memcpy(sll2v6, sll2, 20);
	put16(sll2v6, 0x86dd);
	memcpy(b, sll2v6, 20);
	n = 20 + v6_ext_full(b + 20, 0, false);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_LINUX_SLL2, b, n, n, &p), 0);
	CHECK_EQ(p.ip_version, 6);
	CHECK_EQ(p.payload_len, 30);
	b[16] = 30; b[17] = b[18] = b[19] = 0;
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_NULL, b + 16, n - 16, n - 16,
				       &p), 0);
	CHECK_EQ(p.ip_version, 6);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_IPV6, b + 20, n - 20, n - 20,
				       &p), 0);
	CHECK_EQ(p.n_ip6_ext, 5);

	/* Not IP: ARP, 802.3 length field, 9 stacked tags, unknown AF */
	n = frame(b, eth, sizeof(eth));
	put16(b + 12, 0x0806);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p),
		 -EPROTONOSUPPORT);
	CHECK_EQ(p.error, EG_PERR_NOT_IP);
	put16(b + 12, 100);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p),
		 -EPROTONOSUPPORT);
	for (int i = 0; i < 9; i++)
		put16(b + 12 + 4 * i, 0x8100);
	put16(b + 12 + 36, 0x0800);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p),
		 -EPROTONOSUPPORT);
	CHECK_EQ(p.error, EG_PERR_NOT_IP);
	n = frame(b, null_le, sizeof(null_le));
	b[0] = 7;
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_NULL, b, n, n, &p),
		 -EPROTONOSUPPORT);
	/* IPv6 ethertype carrying IPv4 bytes */
	n = frame(b, eth, sizeof(eth));
	put16(b + 12, 0x86dd);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p),
		 -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_IP_BAD_VERSION);
}

static void test_ethernet_lengths(void)
{
	static const uint8_t eth[14] = { [12] = 0x08, [13] = 0x00 };
	uint8_t b[256];
	struct eg_packet p;
	size_t n;

	/* pure ACK, 40 bytes of IP, padded to the 60-byte Ethernet minimum */
	memcpy(b, eth, 14);
	n = 14 + ip4(b + 14, 40, IPPROTO_TCP, 0, NULL, 0);
	n += tcp(b + n, EG_TCP_ACK, NULL, 0);
	memset(b + n, 0xee, 6);
	n += 6;
	CHECK_EQ(n, 60);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p), 0);
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(p.payload_caplen, 0);
	CHECK(p.payload == NULL);
	CHECK_EQ(p.wire_len, 40);
	CHECK_EQ(p.ip_total_len, 40);

	/* snap length: 1514-byte frame captured to 96 bytes */
	n = frame(b, eth, 14);
	put16(b + 16, 1500);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, 96, 1514, &p), 0);
	CHECK_EQ(p.payload_len, 1500 - 64);
	CHECK_EQ(p.payload_caplen, 96 - 14 - 64);
	CHECK_EQ(p.wire_len, 1500);
	/* a total length larger than the wire: the wire wins */
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, n, &p), 0);
	CHECK_EQ(p.ip_total_len, 1500);
	CHECK_EQ(p.wire_len, 164);
	CHECK_EQ(p.payload_len, 100);
	CHECK_EQ(p.payload_caplen, 100);
	/* a wire length smaller than caplen is ignored */
	put16(b + 16, 164);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, n, 10, &p), 0);
	CHECK_EQ(p.payload_len, 100);
	/* truncated link headers */
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_ETHERNET, b, 13, 13, &p),
		 -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_LINK_TRUNCATED);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_LINUX_SLL, b, 15, 15, &p),
		 -EBADMSG);
	CHECK_EQ(p.error, EG_PERR_LINK_TRUNCATED);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_LINUX_SLL2, b, 19, 19, &p),
		 -EBADMSG);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_NULL, b, 3, 3, &p), -EBADMSG);
	CHECK_EQ(eg_packet_parse_frame(EG_LINK_RAW, b, 0, 0, &p), -EBADMSG);
}

/*
 * Cut the frame at every offset. Cuts inside the headers are errors; cuts
 * in the payload parse with payload_caplen = what is left. Two readings:
 * a snap-length capture (wirelen = full) and a short frame whose headers
 * claim more than the wire carried (wirelen = cut).
 */
static void truncate_everywhere(int linktype, const uint8_t *full, size_t n,
				size_t hdrs, uint32_t payload_len)
{
	unsigned bad = 0;

	for (size_t cut = 0; cut <= n; cut++) {
		uint8_t *b = malloc(cut ? cut : 1);
		struct eg_packet p;
		int r1, r2;
		bool ok;

		memcpy(b, full, cut);
		r1 = eg_packet_parse_frame(linktype, b, cut, n, &p);
		if (cut < hdrs)
			ok = r1 < 0 && p.error != EG_PERR_NONE;
		else
			ok = r1 == 0 && p.payload_len == payload_len &&
			     p.payload_caplen == cut - hdrs &&
			     (p.payload_caplen == 0 ||
			      p.payload == b + hdrs);
		r2 = eg_packet_parse_frame(linktype, b, cut, cut, &p);
		if (cut < hdrs)
			ok = ok && r2 < 0;
		else
			ok = ok && r2 == 0 && p.payload_caplen == cut - hdrs &&
			     p.payload_len == cut - hdrs;
		if (linktype == EG_LINK_RAW) {
			r1 = eg_packet_parse_ip(b, cut, &p);
			ok = ok && (cut < hdrs ? r1 < 0 :
				    r1 == 0 && p.payload_len == payload_len);
		}
		if (!ok && bad++ < 5)
			fprintf(stderr, "    linktype %d cut at %zu of %zu: "
				"r=%d %s\n", linktype, cut, n, r1,
				eg_packet_strerror(p.error));
		free(b);
	}
	CHECK_EQ(bad, 0);
}

static void test_truncation(void)
{
	static const uint8_t qinq[22] = { [12] = 0x88, [13] = 0xa8,
					  [16] = 0x81, [17] = 0x00,
					  [20] = 0x08, [21] = 0 };
	static const uint8_t sll[16] = { [14] = 0x86, [15] = 0xdd };
	uint8_t b[512];
	size_t n;

	n = v4_tcp_full(b);
	truncate_everywhere(EG_LINK_RAW, b, n, 64, 100);
	n = frame(b, qinq, sizeof(qinq));
	truncate_everywhere(EG_LINK_ETHERNET, b, n, 22 + 64, 100);
	n = v6_ext_full(b, 0, false);
	truncate_everywhere(EG_LINK_RAW, b, n, 140, 30);
	memcpy(b, sll, 16);
	n = 16 + v6_ext_full(b + 16, 0, true);
	truncate_everywhere(EG_LINK_LINUX_SLL, b, n, 16 + 140, 30);
}

static void test_strerror_and_addr(void)
{
	char buf[64];
	uint8_t a[16];

	for (int e = 0; e < _EG_PERR_MAX; e++) {
		const char *s = eg_packet_strerror((enum eg_parse_error)e);

		CHECK(s && *s && strcmp(s, "unknown parse error") != 0);
		for (int f = 0; f < e; f++)
			CHECK(strcmp(s, eg_packet_strerror(
				(enum eg_parse_error)f)) != 0);
	}
	CHECK_STREQ(eg_packet_strerror(_EG_PERR_MAX), "unknown parse error");
	CHECK_STREQ(eg_packet_strerror(EG_PERR_TCP_TRUNCATED),
		    "truncated TCP header");

	CHECK_EQ(eg_addr_parse("192.168.86.40", a), 4);
	CHECK_EQ(a[0], 192);
	CHECK_EQ(a[3], 40);
	CHECK_EQ(a[4] | a[15], 0);
	CHECK_STREQ(eg_addr_format(4, a, buf, sizeof(buf)), "192.168.86.40");
	CHECK_EQ(eg_addr_parse("2001:db8::1", a), 6);
	CHECK_EQ(a[15], 1);
	CHECK_STREQ(eg_addr_format(6, a, buf, sizeof(buf)), "2001:db8::1");
	CHECK_EQ(eg_addr_parse("192.168.86", a), -EINVAL);
	CHECK_EQ(eg_addr_parse("example.com", a), -EINVAL);
	CHECK_STREQ(eg_addr_format(5, a, buf, sizeof(buf)), "");

	/* the parsed packet's addresses format as expected */
	uint8_t pk[64];
	struct eg_packet p;
	size_t n = ip4(pk, 40, IPPROTO_TCP, 0, NULL, 0);

	n += tcp(pk + n, EG_TCP_ACK, NULL, 0);
	CHECK_EQ(eg_packet_parse_ip(pk, n, &p), 0);
	CHECK_STREQ(eg_addr_format(p.ip_version, p.dst, buf, sizeof(buf)),
		    "52.213.169.1");
}

/* Our view of one frame in the columns of tests/data/packet/mkref.sh. */
static void format_fields(const struct eg_frame *f, const struct eg_packet *p,
			  char *out, size_t len)
{
	char tcp[256] = "\t\t\t\t\t\t\t\t\t\t\t\t\t", udp[64] = "\t\t";
	char mss[8] = "", ws[8] = "", sack[8] = "", ts[32] = "\t";

	if (p->l4_proto == IPPROTO_TCP && eg_packet_is_tcp(p)) {
		if (p->opts.mss)
			snprintf(mss, sizeof(mss), "%u", p->opts.mss);
		if (p->opts.has_wscale)
			snprintf(ws, sizeof(ws), "%u", p->opts.wscale);
		if (p->opts.n_sack)
			snprintf(sack, sizeof(sack), "%u", p->opts.n_sack);
		if (p->opts.has_timestamp)
			snprintf(ts, sizeof(ts), "%u\t%u", p->opts.tsval,
				 p->opts.tsecr);
		snprintf(tcp, sizeof(tcp),
			 "%u\t%u\t%u\t%u\t0x%04x\t%u\t%u\t%u\t%s\t%s\t%s\t%s\t%s",
			 p->sport, p->dport, p->payload_len, p->tcp_header_len,
			 p->tcp_flags, p->seq, p->ack, p->window, mss, ws, sack,
			 p->opts.sack_permitted ? "0402" : "", ts);
	} else if (p->l4_proto == IPPROTO_UDP && p->error == EG_PERR_NONE) {
		snprintf(udp, sizeof(udp), "%u\t%u\t%u", p->sport, p->dport,
			 p->payload_len + 8);
	}
	snprintf(out, len, "%llu\t%u\t%u\t%u\t%u\t%s\t%s",
		 (unsigned long long)f->index, p->ip_total_len,
		 p->ip_header_len, p->ttl, p->l4_proto, tcp, udp);
}

/*
 * Every frame of a real capture against Wireshark's reading of it
 * (tests/data/packet/what_is_the_weather.fields.tsv, made by mkref.sh with
 * tshark 4.0): lengths, ports, flags, sequence numbers, window and TCP
 * options. The capture has IPv4 options (IGMP router alert), ICMP, UDP,
 * SACK blocks and 742 frames with Ethernet padding.
 */
static void test_real_reference(void)
{
	char path[4096], want[512], got[512];
	struct eg_capture *cap = NULL;
	struct eg_frame f;
	struct eg_packet p;
	unsigned rows = 0, diff = 0;
	FILE *ref;

	ref = fopen(EG_SOURCE_DIR
		    "/tests/data/packet/what_is_the_weather.fields.tsv", "r");
	CHECK(ref != NULL);
	if (!ref)
		return;
	snprintf(path, sizeof(path),
		 "%s/vcf/pcap/what_is_the_weather_5_60_80_100_120_140_capture.pcap",
		 eg_test_shared_data());
	CHECK_EQ(eg_capture_open(path, &cap, got, sizeof(got)), 0);
	while (cap && eg_capture_next(cap, &f, got, sizeof(got)) == 1) {
		if (!fgets(want, sizeof(want), ref))
			break;
		want[strcspn(want, "\n")] = '\0';
		CHECK_EQ(eg_packet_parse_frame(f.linktype, f.data, f.caplen,
					       f.len, &p), 0);
		format_fields(&f, &p, got, sizeof(got));
		rows++;
		if (strcmp(want, got) != 0 && diff++ < 5)
			fprintf(stderr, "    frame %llu:\n    tshark: %s\n    ours:   %s\n",
				(unsigned long long)f.index, want, got);
	}
	CHECK_EQ(rows, 3114);
	CHECK_EQ(diff, 0);
	printf("%s: %u frames, %u differ from tshark\n", path, rows, diff);
	fclose(ref);
	eg_capture_free(cap);
}

int main(void)
{
	test_ipv4_tcp();
	test_ipv4_options();
	test_ipv4_bad_headers();
	test_ipv4_lengths();
	test_fragments_v4();
	test_ipv6_ext();
	test_ipv6_ext_limits();
	test_tcp_options();
	test_udp();
	test_link_types();
	test_ethernet_lengths();
	test_truncation();
	test_strerror_and_addr();
	/* last, and only when all else passed: it may skip (exit 77) */
	if (eg_test_failed == 0)
		test_real_reference();
	return eg_test_done();
}
