/* SPDX-License-Identifier: MIT */
/*
 * test-packet.c: the parser on packets built byte by byte
 * (packet-build.h): IPv4 options, fragments, TCP options, UDP, lengths
 * (padding, snap length, lying headers), error texts, and a real capture
 * against tshark's fields. IPv6 extension headers: test-packet-ip6.c;
 * link types and truncation at every byte offset (each cut copied into a
 * buffer of exactly that size, so ASan catches any read past it):
 * test-packet-link.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "packet-build.h"
#include "tap.h"

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
	test_tcp_options();
	test_udp();
	test_strerror_and_addr();
	/* last, and only when all else passed: it may skip (exit 77) */
	if (eg_test_failed == 0)
		test_real_reference();
	return eg_test_done();
}
