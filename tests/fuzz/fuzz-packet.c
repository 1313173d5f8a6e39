/* SPDX-License-Identifier: MIT */
/*
 * fuzz-packet.c: libFuzzer target over the per-packet path.
 *
 * Input: byte 0 picks a link type (including unsupported ones), byte 1
 * holds flags (bit 0: treat 192.168.86.40 as the device instead of "all
 * outbound", bit 1: microphone muted, bit 2: flow feature set, bits 3-4:
 * the clock, see next_ts: 0 from 2023 on, 1 from 0, 2 up to and stuck
 * at UINT64_MAX, 3 backwards; bit 5: wire lengths huge (UINT32_MAX -
 * ms) instead of caplen + ms % 16, bit 6: every length 0), then
 * records of [u16 length, big endian][u8 ms since the previous
 * packet][length bytes] until the input ends (a short last record takes
 * what is left). Each packet is copied into a heap buffer of exactly its
 * size so ASan sees any read past it, then
 *  - parsed as a frame of every link type and as a raw IP packet, with the
 *    view's invariants checked (payload inside the buffer, caplen <= len,
 *    error code consistent with the return value): a violation aborts;
 *  - fed in sequence through one engine per input, so the
 *    flow table, TCP sequence tracking, TLS record tracking and features
 *    are fuzzed with state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "echoguard/net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	EG_LINK_RAW, EG_LINK_ETHERNET, EG_LINK_LINUX_SLL, EG_LINK_LINUX_SLL2,
	EG_LINK_NULL, EG_LINK_IPV4, EG_LINK_IPV6, 12, 14, 108, 147,
};
#define N_LINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

static void check_view(const uint8_t *buf, size_t caplen, int r,
		       const struct eg_packet *p)
{
	char a[64];

	if ((r == 0) != (p->error == EG_PERR_NONE))
		abort();
	if (r != 0 && r != -74 /* EBADMSG */ && r != -93 /* EPROTONOSUPPORT */)
		abort();
	if (!eg_packet_strerror(p->error))
		abort();
	if (p->payload_caplen > p->payload_len)
		abort();
	if ((p->payload == NULL) != (p->payload_caplen == 0))
		abort();
	if (p->payload && (p->payload < buf ||
			   p->payload + p->payload_caplen > buf + caplen))
		abort();
	if (p->link_offset > caplen)
		abort();
	if (r == 0 && p->ip_version != 4 && p->ip_version != 6)
		abort();
	if (r == 0 && p->l4_proto == 6 && !eg_packet_is_tcp(p))
		abort();
	if (eg_packet_is_tcp(p) && p->tcp_header_len < 20)
		abort();
	if (p->error == EG_PERR_FRAGMENT &&
	    (!p->is_fragment || p->is_first_fragment))
		abort();
	if (p->ip_version)
		(void)eg_addr_format(p->ip_version, p->src, a, sizeof(a));
}

static void parse_all(const uint8_t *buf, size_t len, size_t wirelen)
{
	struct eg_packet p;
	int r;

	for (size_t i = 0; i < N_LINKTYPES; i++) {
		r = eg_packet_parse_frame(linktypes[i], buf, len, wirelen, &p);
		check_view(buf, len, r, &p);
	}
	r = eg_packet_parse_ip(buf, len, &p);
	check_view(buf, len, r, &p);
}

/* The timestamp after a gap of ms (equal when 0), by clock mode. */
static uint64_t next_ts(uint64_t ts, unsigned ms, unsigned mode)
{
	uint64_t d = (uint64_t)ms * 1000000u;

	switch (mode) {
	case 2:
		return ts > UINT64_MAX - d ? UINT64_MAX : ts + d;
	case 3:
		return ts - d;                    /* backwards, may wrap */
	default:
		return ts + d;
	}
}

static const uint64_t clock_start[4] = {
	1700000000ull * 1000000000ull, 0, UINT64_MAX - 3000000000ull,
	1700000000ull * 1000000000ull,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int linktype;
	uint8_t flags;
	uint64_t ts;
	unsigned mode;
	struct eg_engine_params params;
	struct eg_engine *e = NULL;
	static struct eg_pkt_info info;

	if (size < 2)
		return 0;
	eg_engine_params_default(&params);
	params.flow.capacity = 16;
	params.flow.max_probe = 4;
	params.features = (data[1] & 4) ? EG_FEATURES_FLOW : EG_FEATURES_SEED;
	if (data[1] & 1) {
		params.device_version[0] = (uint8_t)eg_addr_parse(
			"192.168.86.40", params.devices[0]);
		params.n_devices = 1;
	}
	if (eg_engine_new(&params, &e) < 0)
		abort();
	linktype = linktypes[data[0] % N_LINKTYPES];
	flags = data[1];
	mode = flags >> 3 & 3;
	ts = clock_start[mode];
	data += 2;
	size -= 2;
	while (size > 0) {
		size_t len = size >= 2 ? (size_t)(data[0] << 8 | data[1]) : 0;
		unsigned ms = size >= 3 ? data[2] : 0;
		uint8_t *pkt;

		data += size >= 3 ? 3 : size;
		size -= size >= 3 ? 3 : size;
		if (len > size)
			len = size;
		pkt = malloc(len ? len : 1);
		if (!pkt)
			abort();
		memcpy(pkt, data, len);
		size_t wire = flags & 0x20 ? UINT32_MAX - ms : len + (ms & 0x0f);
		size_t cap = flags & 0x40 ? 0 : len;

		ts = next_ts(ts, ms, mode);
		parse_all(pkt, cap, wire);
		(void)eg_engine_process(e, linktype, pkt, cap, wire,
					ts, (flags & 2) ? 0 : 1, &info);
		if (info.n_features > EG_FEAT_MAX)
			abort();
		if (ms == 255)
			eg_engine_tick(e, ts + 600ull * 1000000000u);
		free(pkt);
		data += len;
		size -= len;
	}
	eg_engine_free(e);
	return 0;
}
