/* SPDX-License-Identifier: MIT */
/*
 * test-packet-ip6.c: the packet parser on IPv6 with extension headers
 * (hop-by-hop, routing, destination options, fragments) and their limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "packet-build.h"
#include "tap.h"

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

int main(void)
{
	test_ipv6_ext();
	test_ipv6_ext_limits();
	return eg_test_done();
}
