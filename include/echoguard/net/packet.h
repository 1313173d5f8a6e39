/* SPDX-License-Identifier: MIT */
/*
 * packet.h: a parsed, zero-copy view of one packet.
 *
 * The parser reads a raw IPv4/IPv6 packet (what NFQUEUE hands over) or a
 * capture frame of a known link type and fills a struct eg_packet that points
 * into the caller's buffer. It never allocates and never reads outside
 * [buf, buf + caplen). Every length comes from the packet and is checked.
 *
 * Covered by tests/unit/test-packet.c and tests/fuzz/fuzz-packet.c.
 */
#ifndef ECHOGUARD_PACKET_H
#define ECHOGUARD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types we read (values are the pcap LINKTYPE_* numbers). */
enum eg_linktype {
	EG_LINK_NULL = 0,      /* BSD loopback: 4-byte host-order AF */
	EG_LINK_ETHERNET = 1,  /* Ethernet II, 802.1Q / 802.1ad tags */
	EG_LINK_RAW = 101,     /* raw IPv4 or IPv6, version from the header */
	EG_LINK_LINUX_SLL = 113,
	EG_LINK_IPV4 = 228,
	EG_LINK_IPV6 = 229,
	EG_LINK_LINUX_SLL2 = 276,
};

/* Why a packet could not be parsed completely. EG_PERR_NONE on success. */
enum eg_parse_error {
	EG_PERR_NONE = 0,
	EG_PERR_LINK_TRUNCATED,     /* link header shorter than its type needs */
	EG_PERR_LINK_UNSUPPORTED,   /* unknown link type */
	EG_PERR_NOT_IP,             /* ethertype / protocol is not IPv4/IPv6 */
	EG_PERR_IP_TRUNCATED,       /* fewer bytes than the IP header needs */
	EG_PERR_IP_BAD_VERSION,
	EG_PERR_IP_BAD_HEADER_LEN,  /* IHL < 5 or beyond the buffer */
	EG_PERR_IP_BAD_TOTAL_LEN,   /* total length < header length */
	EG_PERR_IP6_EXT_TRUNCATED,  /* an extension header runs past the end */
	EG_PERR_IP6_EXT_TOO_MANY,   /* more than EG_IP6_MAX_EXT headers */
	EG_PERR_FRAGMENT,           /* non-first fragment: no L4 header here */
	EG_PERR_TCP_TRUNCATED,      /* fewer bytes than the TCP header needs */
	EG_PERR_TCP_BAD_OFFSET,     /* data offset < 5 or past the IP payload */
	EG_PERR_TCP_BAD_OPTIONS,    /* an option's length is 0/1 or overruns */
	EG_PERR_UDP_TRUNCATED,
	EG_PERR_UDP_BAD_LEN,
	_EG_PERR_MAX,
};

#define EG_IP6_MAX_EXT 8

struct eg_tcp_opts {
	uint16_t mss;          /* 0 when absent */
	uint8_t wscale;        /* valid when has_wscale */
	bool has_wscale;
	bool sack_permitted;
	bool has_timestamp;
	uint8_t n_sack;        /* SACK blocks present */
	uint32_t tsval, tsecr;
};

/*
 * The view. Addresses are stored as 16 bytes; IPv4 uses the first 4 (the
 * rest zero), so flow keys compare both families with one memcmp.
 * "Length" fields come from the headers; *_caplen fields say how much of it
 * is really in the buffer (a capture with a snap length may hold less).
 */
struct eg_packet {
	enum eg_parse_error error;
	uint16_t link_offset;     /* bytes of link header before IP */
	uint8_t ip_version;       /* 4 or 6; 0 when not IP */
	uint8_t l4_proto;         /* IPPROTO_TCP, IPPROTO_UDP, ... (final next header) */
	uint8_t ttl;              /* TTL / hop limit */
	uint8_t tos;              /* DSCP+ECN / traffic class */
	uint8_t n_ip6_ext;        /* IPv6 extension headers walked */
	bool has_ip_options;      /* IPv4 IHL > 5 */
	bool is_fragment;         /* MF set or offset != 0 (v4), fragment header (v6) */
	bool is_first_fragment;   /* offset == 0 */
	uint8_t src[16], dst[16];
	uint32_t ip_total_len;    /* from the header (v6: 40 + payload length) */
	uint16_t ip_header_len;   /* including options / extension headers */
	uint16_t sport, dport;    /* 0 unless TCP/UDP */
	/* TCP */
	uint32_t seq, ack;
	uint8_t tcp_flags;        /* EG_TCP_* below */
	uint16_t window;          /* raw, unscaled */
	uint16_t tcp_header_len;
	struct eg_tcp_opts opts;
	/* L4 payload */
	const uint8_t *payload;   /* NULL when payload_caplen == 0 */
	uint32_t payload_len;     /* from the headers */
	uint32_t payload_caplen;  /* bytes of it in the buffer (<= payload_len) */
	uint32_t wire_len;        /* IP total length as seen (frame len - link) */
};

#define EG_TCP_FIN 0x01
#define EG_TCP_SYN 0x02
#define EG_TCP_RST 0x04
#define EG_TCP_PSH 0x08
#define EG_TCP_ACK 0x10
#define EG_TCP_URG 0x20
#define EG_TCP_ECE 0x40
#define EG_TCP_CWR 0x80

/*
 * Parse a raw IP packet (first byte is the IP version nibble).
 * Returns 0 when the packet parsed up to its L4 payload, -EBADMSG when it
 * is malformed or truncated, -EPROTONOSUPPORT when it is not IP. On failure
 * *ret is still filled as far as parsing got and ret->error names the
 * reason: the caller records the packet as not_relevant, never skips it.
 */
int eg_packet_parse_ip(const uint8_t *buf, size_t caplen, struct eg_packet *ret);

/*
 * Parse a capture frame of the given link type (enum eg_linktype values;
 * DLT_* values that libpcap maps to the same link types are accepted too).
 * Same contract as eg_packet_parse_ip.
 */
int eg_packet_parse_frame(int linktype, const uint8_t *buf, size_t caplen,
			  size_t wirelen, struct eg_packet *ret);

/* A short English reason, e.g. "truncated TCP header". Never NULL. */
const char *eg_packet_strerror(enum eg_parse_error err);

/* Did p parse as TCP at least up to its full TCP header (ports, seq, flags,
 * tcp_header_len valid)? Also true for EG_PERR_TCP_BAD_OPTIONS. */
bool eg_packet_is_tcp(const struct eg_packet *p);

/* Format a 16-byte address of the given IP version into buf (>= 46 bytes). */
const char *eg_addr_format(int ip_version, const uint8_t addr[16], char *buf,
			   size_t len);
/*
 * Parse "192.0.2.1" or "2001:db8::1" into the 16-byte form.
 * Returns the IP version (4 or 6), or -EINVAL.
 */
int eg_addr_parse(const char *s, uint8_t ret[16]);

#endif
