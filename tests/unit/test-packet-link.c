/* SPDX-License-Identifier: MIT */
/*
 * test-packet-link.c: the packet parser under every link type (Ethernet,
 * VLAN, Linux cooked v1/v2, raw, loopback), Ethernet length handling, and
 * truncation of a packet at every byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "packet-build.h"
#include "tap.h"

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

int main(void)
{
	test_link_types();
	test_ethernet_lengths();
	test_truncation();
	return eg_test_done();
}
