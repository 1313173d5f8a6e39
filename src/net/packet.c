/* SPDX-License-Identifier: MIT */
/*
 * packet.c: zero-copy parsing of link, IPv4/IPv6 and TCP/UDP headers.
 *
 * Runs once per packet in the daemon and in `echoguard extract`: no
 * allocation, no stdio, every length read from the packet is checked
 * against both the bytes captured and the lengths the enclosing headers
 * claim. Covered by tests/unit/test-packet.c and tests/fuzz/fuzz-packet.c.
 *
 * Lengths. Three sizes are in play for the IP packet:
 *  - total: what the IP header says (v4 total length, v6 40 + payload len);
 *  - wire:  what was on the wire after the link header (frame len - link);
 *  - cap:   what is in the buffer (caplen - link).
 * The packet is min(total, wire) bytes long: Ethernet padding past the
 * total length is not part of it, and a header claiming more than the wire
 * carried is not trusted. Of that, min(.., cap) bytes can be read; a
 * snap-length capture simply has fewer (payload_caplen < payload_len).
 * A total length of 0 (TSO/GSO super-packets captured before segmentation;
 * Wireshark says the same) means "the whole frame".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "echoguard/net/packet.h"

#define ETH_HLEN 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define NULL_HLEN 4
#define PPPOE_HLEN 8 /* 6 bytes PPPoE session + 2 bytes PPP protocol */
#define MAX_VLAN_TAGS 8

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ_OLD1 0x9100
#define ETHERTYPE_QINQ_OLD2 0x9200
#define ETHERTYPE_PPPOE_SESS 0x8864

/* libpcap DLT values that differ from the LINKTYPE values they stand for */
#define DLT_RAW_BSD 12
#define DLT_RAW_OPENBSD 14
#define LINKTYPE_LOOP 108 /* OpenBSD loopback: AF in network byte order */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int fail(struct eg_packet *p, enum eg_parse_error err)
{
	p->error = err;
	return err == EG_PERR_NOT_IP || err == EG_PERR_LINK_UNSUPPORTED ?
		       -EPROTONOSUPPORT : -EBADMSG;
}

/*
 * TCP options between opt and end (both inside the buffer). Returns 0 or
 * -EBADMSG for a length of 0/1, one running past the header, or a known
 * option whose length is not the one its RFC fixes.
 */
static int parse_tcp_opts(const uint8_t *opt, const uint8_t *end,
			  struct eg_tcp_opts *o)
{
	while (opt < end) {
		uint8_t kind = opt[0], len;

		if (kind == 0) /* EOL */
			break;
		if (kind == 1) { /* NOP */
			opt++;
			continue;
		}
		if (end - opt < 2)
			return -EBADMSG;
		len = opt[1];
		if (len < 2 || len > end - opt)
			return -EBADMSG;
		switch (kind) {
		case 2: /* MSS */
			if (len != 4)
				return -EBADMSG;
			o->mss = rd16(opt + 2);
			break;
		case 3: /* window scale */
			if (len != 3)
				return -EBADMSG;
			o->wscale = opt[2];
			o->has_wscale = true;
			break;
		case 4: /* SACK permitted */
			if (len != 2)
				return -EBADMSG;
			o->sack_permitted = true;
			break;
		case 5: /* SACK blocks: 8 bytes each */
			if ((len - 2) % 8 != 0 || len == 2)
				return -EBADMSG;
			o->n_sack = (uint8_t)((len - 2) / 8);
			break;
		case 8: /* timestamps */
			if (len != 10)
				return -EBADMSG;
			o->has_timestamp = true;
			o->tsval = rd32(opt + 2);
			o->tsecr = rd32(opt + 6);
			break;
		default: /* unknown kinds are skipped by their length */
			break;
		}
		opt += len;
	}
	return 0;
}

/* Point the payload fields at [l4 + hlen, ...) of an L4 segment. */
static void set_payload(struct eg_packet *p, const uint8_t *l4, uint32_t l4len,
			uint32_t l4cap, uint32_t hlen)
{
	p->payload_len = l4len - hlen;
	p->payload_caplen = l4cap > hlen ? l4cap - hlen : 0;
	if (p->payload_caplen > p->payload_len)
		p->payload_caplen = p->payload_len;
	p->payload = p->payload_caplen ? l4 + hlen : NULL;
}

/*
 * TCP header at l4: l4len bytes belong to the segment (from the IP
 * lengths), l4cap of them are in the buffer (l4cap <= l4len).
 */
static int parse_tcp(struct eg_packet *p, const uint8_t *l4, uint32_t l4len,
		     uint32_t l4cap)
{
	uint32_t hlen;

	if (l4cap < 20)
		return fail(p, EG_PERR_TCP_TRUNCATED);
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	p->seq = rd32(l4 + 4);
	p->ack = rd32(l4 + 8);
	p->tcp_flags = l4[13];
	p->window = rd16(l4 + 14);
	hlen = (uint32_t)(l4[12] >> 4) * 4;
	if (hlen < 20 || hlen > l4len)
		return fail(p, EG_PERR_TCP_BAD_OFFSET);
	if (hlen > l4cap)
		return fail(p, EG_PERR_TCP_TRUNCATED);
	p->tcp_header_len = (uint16_t)hlen;
	set_payload(p, l4, l4len, l4cap, hlen);
	if (hlen > 20 && parse_tcp_opts(l4 + 20, l4 + hlen, &p->opts) < 0)
		return fail(p, EG_PERR_TCP_BAD_OPTIONS);
	return 0;
}

static int parse_udp(struct eg_packet *p, const uint8_t *l4, uint32_t l4len,
		     uint32_t l4cap)
{
	uint32_t ulen;

	if (l4cap < 8)
		return fail(p, EG_PERR_UDP_TRUNCATED);
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	ulen = rd16(l4 + 4);
	/* A first fragment holds only part of the datagram UDP's length
	 * covers; otherwise the UDP length must fit in the IP payload and a
	 * shorter one is believed (the rest is IP-level padding). */
	if (p->is_fragment) {
		if (ulen < 8)
			return fail(p, EG_PERR_UDP_BAD_LEN);
		ulen = l4len;
	} else if (ulen == 0 && p->ip_version == 6 && l4len > 0xffff) {
		ulen = l4len; /* jumbogram, RFC 2675 */
	} else if (ulen < 8 || ulen > l4len) {
		return fail(p, EG_PERR_UDP_BAD_LEN);
	}
	set_payload(p, l4, ulen, l4cap < ulen ? l4cap : ulen, 8);
	return 0;
}

/* The L4 header at buf + off; len and cap are the IP packet's. */
static int parse_l4(struct eg_packet *p, const uint8_t *buf, uint32_t off,
		    uint32_t len, uint32_t cap)
{
	uint32_t l4len = len - off, l4cap = cap > off ? cap - off : 0;

	if (l4cap > l4len)
		l4cap = l4len;
	if (p->is_fragment && !p->is_first_fragment)
		return fail(p, EG_PERR_FRAGMENT);
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		return parse_tcp(p, buf + off, l4len, l4cap);
	case IPPROTO_UDP:
		return parse_udp(p, buf + off, l4len, l4cap);
	case IPPROTO_NONE: /* IPv6 "no next header": nothing follows */
		return 0;
	default: /* ICMP, ESP, ...: the payload is the whole IP payload */
		set_payload(p, buf + off, l4len, l4cap, 0);
		return 0;
	}
}

/* eg_packet_parse_ip does not know the wire length (NFQUEUE may copy
 * only part of a packet): the header is then believed. */
#define WIRE_UNKNOWN SIZE_MAX

/*
 * The packet's length: the header's total unless the wire carried less,
 * or, when the header says 0 (TSO super-packets), the frame.
 */
static uint32_t packet_len(uint32_t total, size_t cap, size_t wire)
{
	if (total == 0)
		wire = wire == WIRE_UNKNOWN ? cap : wire;
	else if (total <= wire)
		return total;
	return (uint32_t)(wire > UINT32_MAX ? UINT32_MAX : wire);
}

/*
 * IPv4 at buf: cap bytes captured, wire bytes on the wire (or
 * WIRE_UNKNOWN). Fills the IP fields even when it then fails, so a
 * not_relevant record still shows addresses and lengths.
 */
static int parse_ipv4(struct eg_packet *p, const uint8_t *buf, size_t cap,
		      size_t wire)
{
	uint32_t hlen, total, len;
	uint16_t frag;

	if (cap < 20)
		return fail(p, EG_PERR_IP_TRUNCATED);
	hlen = (uint32_t)(buf[0] & 0x0f) * 4;
	total = rd16(buf + 2);
	p->tos = buf[1];
	p->ttl = buf[8];
	p->l4_proto = buf[9];
	memcpy(p->src, buf + 12, 4);
	memcpy(p->dst, buf + 16, 4);
	frag = rd16(buf + 6);
	p->is_fragment = (frag & 0x3fff) != 0; /* MF or an offset */
	p->is_first_fragment = (frag & 0x1fff) == 0;
	if (hlen < 20)
		return fail(p, EG_PERR_IP_BAD_HEADER_LEN);
	p->has_ip_options = hlen > 20;
	p->ip_header_len = (uint16_t)hlen;
	p->ip_total_len = total;
	len = packet_len(total, cap, wire);
	p->wire_len = len;
	if (total != 0 && total < hlen)
		return fail(p, EG_PERR_IP_BAD_TOTAL_LEN);
	if (hlen > len)
		return fail(p, EG_PERR_IP_BAD_HEADER_LEN);
	if (hlen > cap)
		return fail(p, EG_PERR_IP_TRUNCATED);
	return parse_l4(p, buf, hlen, len, cap < len ? (uint32_t)cap : len);
}

static bool ip6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_AH;
}

/*
 * IPv6 at buf, as parse_ipv4. Walks at most EG_IP6_MAX_EXT extension
 * headers (hop-by-hop, routing, destination options, fragment, AH), each
 * inside both the capture and the payload length; ESP and unknown next
 * headers end the walk and become l4_proto.
 */
static int parse_ipv6(struct eg_packet *p, const uint8_t *buf, size_t cap,
		      size_t wire)
{
	uint32_t off = 40, total, len, lim;
	uint8_t nh;

	if (cap < 40)
		return fail(p, EG_PERR_IP_TRUNCATED);
	p->tos = (uint8_t)((buf[0] & 0x0f) << 4 | buf[1] >> 4);
	nh = buf[6];
	p->ttl = buf[7];
	p->is_first_fragment = true; /* offset 0 unless a fragment header says */
	memcpy(p->src, buf + 8, 16);
	memcpy(p->dst, buf + 24, 16);
	total = 40 + (uint32_t)rd16(buf + 4);
	p->ip_total_len = total;
	/* payload length 0: jumbogram or TSO; take the frame */
	len = packet_len(total == 40 && nh != IPPROTO_NONE ? 0 : total, cap,
			 wire);
	p->wire_len = len;
	if (len < 40)
		return fail(p, EG_PERR_IP_BAD_TOTAL_LEN);
	lim = cap < len ? (uint32_t)cap : len;
	while (ip6_is_ext(nh)) {
		const uint8_t *e = buf + off;
		uint32_t elen;

		if (p->n_ip6_ext == EG_IP6_MAX_EXT) {
			p->l4_proto = nh;
			return fail(p, EG_PERR_IP6_EXT_TOO_MANY);
		}
		if (lim - off < 8) /* every extension header is >= 8 bytes */
			return fail(p, EG_PERR_IP6_EXT_TRUNCATED);
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo = rd16(e + 2);

			elen = 8;
			p->is_fragment = true;
			p->is_first_fragment = (fo & 0xfff8) == 0;
		} else if (nh == IPPROTO_AH) {
			elen = ((uint32_t)e[1] + 2) * 4;
		} else {
			elen = ((uint32_t)e[1] + 1) * 8;
		}
		if (elen > lim - off)
			return fail(p, EG_PERR_IP6_EXT_TRUNCATED);
		p->n_ip6_ext++;
		nh = e[0];
		off += elen;
	}
	p->l4_proto = nh;
	p->ip_header_len = (uint16_t)off;
	return parse_l4(p, buf, off, len, lim);
}

/* buf/cap/wire start at the IP header; version 0 takes it from buf. */
static int parse_ip(struct eg_packet *p, const uint8_t *buf, size_t cap,
		    size_t wire, int version)
{
	if (cap < 1)
		return fail(p, EG_PERR_IP_TRUNCATED);
	if (version == 0)
		version = buf[0] >> 4;
	if (buf[0] >> 4 != version ||
	    (version != 4 && version != 6))
		return fail(p, EG_PERR_IP_BAD_VERSION);
	p->ip_version = (uint8_t)version;
	return version == 4 ? parse_ipv4(p, buf, cap, wire) :
			      parse_ipv6(p, buf, cap, wire);
}

int eg_packet_parse_ip(const uint8_t *buf, size_t caplen, struct eg_packet *ret)
{
	memset(ret, 0, sizeof(*ret));
	return parse_ip(ret, buf, caplen, WIRE_UNKNOWN, 0);
}

/* An ethertype (or SLL protocol) to the IP version it carries, or 0. */
static int ethertype_version(uint16_t type)
{
	return type == ETHERTYPE_IPV4 ? 4 : type == ETHERTYPE_IPV6 ? 6 : 0;
}

/*
 * Ethernet II: skip any stack of 802.1Q/802.1ad tags (at most
 * MAX_VLAN_TAGS) and a PPPoE session header. Returns the IP version and
 * sets *off to the IP header, or a negative error via fail().
 */
static int parse_ether(struct eg_packet *p, const uint8_t *buf, size_t cap,
		       uint32_t *off)
{
	uint32_t o = 12;
	uint16_t type;
	int tags = 0;

	if (cap < ETH_HLEN)
		return fail(p, EG_PERR_LINK_TRUNCATED);
	type = rd16(buf + o);
	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	       type == ETHERTYPE_QINQ_OLD1 || type == ETHERTYPE_QINQ_OLD2) {
		if (++tags > MAX_VLAN_TAGS)
			return fail(p, EG_PERR_NOT_IP);
		o += 4;
		if (cap < o + 2)
			return fail(p, EG_PERR_LINK_TRUNCATED);
		type = rd16(buf + o);
	}
	o += 2;
	if (type == ETHERTYPE_PPPOE_SESS) {
		uint16_t proto;

		if (cap < o + PPPOE_HLEN)
			return fail(p, EG_PERR_LINK_TRUNCATED);
		proto = rd16(buf + o + 6);
		o += PPPOE_HLEN;
		type = proto == 0x0021 ? ETHERTYPE_IPV4 :
		       proto == 0x0057 ? ETHERTYPE_IPV6 : 0;
	}
	*off = o;
	return ethertype_version(type);
}

/* BSD loopback: the AF in the writer's byte order (or network order). */
static int null_version(const uint8_t *buf, bool network_order)
{
	uint32_t af;

	if (network_order) {
		af = rd32(buf);
	} else {
		af = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
		     (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
		if (af > 0xffff) /* written on a big-endian host */
			af = rd32(buf);
	}
	switch (af) {
	case 2: /* AF_INET everywhere */
		return 4;
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return 6;
	default:
		return 0;
	}
}

int eg_packet_parse_frame(int linktype, const uint8_t *buf, size_t caplen,
			  size_t wirelen, struct eg_packet *ret)
{
	uint32_t off = 0;
	int version = 0;

	memset(ret, 0, sizeof(*ret));
	if (wirelen < caplen)
		wirelen = caplen;
	switch (linktype) {
	case EG_LINK_ETHERNET:
		version = parse_ether(ret, buf, caplen, &off);
		if (version < 0)
			return version;
		break;
	case EG_LINK_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return fail(ret, EG_PERR_LINK_TRUNCATED);
		version = ethertype_version(rd16(buf + 14));
		off = SLL_HLEN;
		break;
	case EG_LINK_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return fail(ret, EG_PERR_LINK_TRUNCATED);
		version = ethertype_version(rd16(buf));
		off = SLL2_HLEN;
		break;
	case EG_LINK_NULL:
	case LINKTYPE_LOOP:
		if (caplen < NULL_HLEN)
			return fail(ret, EG_PERR_LINK_TRUNCATED);
		version = null_version(buf, linktype == LINKTYPE_LOOP);
		off = NULL_HLEN;
		break;
	case EG_LINK_RAW:
	case DLT_RAW_BSD:
	case DLT_RAW_OPENBSD:
		if (caplen < 1)
			return fail(ret, EG_PERR_IP_TRUNCATED);
		version = buf[0] >> 4;
		if (version != 4 && version != 6)
			return fail(ret, EG_PERR_IP_BAD_VERSION);
		break;
	case EG_LINK_IPV4:
		version = 4;
		break;
	case EG_LINK_IPV6:
		version = 6;
		break;
	default:
		return fail(ret, EG_PERR_LINK_UNSUPPORTED);
	}
	if (version == 0)
		return fail(ret, EG_PERR_NOT_IP);
	ret->link_offset = (uint16_t)off;
	return parse_ip(ret, buf + off, caplen - off, wirelen - off, version);
}

static const char *const perr_names[_EG_PERR_MAX] = {
	[EG_PERR_NONE] = "no error",
	[EG_PERR_LINK_TRUNCATED] = "truncated link-layer header",
	[EG_PERR_LINK_UNSUPPORTED] = "unsupported link type",
	[EG_PERR_NOT_IP] = "not an IPv4 or IPv6 packet",
	[EG_PERR_IP_TRUNCATED] = "truncated IP header",
	[EG_PERR_IP_BAD_VERSION] = "bad IP version",
	[EG_PERR_IP_BAD_HEADER_LEN] = "bad IPv4 header length",
	[EG_PERR_IP_BAD_TOTAL_LEN] = "bad IP total length",
	[EG_PERR_IP6_EXT_TRUNCATED] = "truncated IPv6 extension header",
	[EG_PERR_IP6_EXT_TOO_MANY] = "too many IPv6 extension headers",
	[EG_PERR_FRAGMENT] = "non-first IP fragment",
	[EG_PERR_TCP_TRUNCATED] = "truncated TCP header",
	[EG_PERR_TCP_BAD_OFFSET] = "bad TCP data offset",
	[EG_PERR_TCP_BAD_OPTIONS] = "malformed TCP options",
	[EG_PERR_UDP_TRUNCATED] = "truncated UDP header",
	[EG_PERR_UDP_BAD_LEN] = "bad UDP length",
};

const char *eg_packet_strerror(enum eg_parse_error err)
{
	if ((unsigned)err >= _EG_PERR_MAX || !perr_names[err])
		return "unknown parse error";
	return perr_names[err];
}

bool eg_packet_is_tcp(const struct eg_packet *p)
{
	return p->ip_version != 0 && p->l4_proto == IPPROTO_TCP &&
	       p->tcp_header_len >= 20;
}

const char *eg_addr_format(int ip_version, const uint8_t addr[16], char *buf,
			   size_t len)
{
	int af = ip_version == 4 ? AF_INET : AF_INET6;

	if (len == 0)
		return buf;
	if ((ip_version != 4 && ip_version != 6) ||
	    !inet_ntop(af, addr, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

int eg_addr_parse(const char *s, uint8_t ret[16])
{
	uint8_t a[16] = {0};

	if (inet_pton(AF_INET, s, a) == 1) {
		memcpy(ret, a, 16);
		return 4;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		memcpy(ret, a, 16);
		return 6;
	}
	return -EINVAL;
}
