/* SPDX-License-Identifier: MIT */
/*
 * features-build.h: crafted IPv4 TCP/TLS packets run through
 * eg_engine_process for the feature tests (test-features.c,
 * test-features-odd.c), and the flow set's feature indices.
 */
#ifndef ECHOGUARD_TEST_FEATURES_BUILD_H
#define ECHOGUARD_TEST_FEATURES_BUILD_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "tap.h"

#define NS(s) ((uint64_t)((s) * 1e9 + 0.5))

/* Feature indices of the flow set (docs/features.md). */
enum {
	F_LEN, F_DPORT, F_LAYER, F_DELTA, F_ACK, F_MIC, F_CT,
	F_OB1, F_OP1, F_OB5, F_OP5, F_IB1, F_IB5, F_AGE, F_SINCE_ANY,
	F_SINCE_FLOW, F_SNI, F_WIN, F_TTL, F_RETRANS, F_KA, F_NREC, F_PSH,
};

static const uint8_t DEV[4] = { 192, 168, 1, 10 };
static const uint8_t SRV[4] = { 52, 94, 1, 1 };
static const uint8_t SRV2[4] = { 54, 239, 2, 2 };

/* A raw IPv4 packet; returns its length. */
static inline size_t ip4(uint8_t *b, const uint8_t *src, const uint8_t *dst,
		  uint8_t proto, uint8_t ttl, const uint8_t *l4, size_t l4len,
		  uint16_t frag)
{
	size_t tot = 20 + l4len;

	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = ttl;
	b[9] = proto;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	memcpy(b + 20, l4, l4len);
	return tot;
}

struct seg {
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t ttl;
	const uint8_t *payload;
	size_t len;
};

static inline size_t tcp4(uint8_t *b, const struct seg *s)
{
	uint8_t l4[2048];

	memset(l4, 0, 20);
	l4[0] = (uint8_t)(s->sport >> 8);
	l4[1] = (uint8_t)s->sport;
	l4[2] = (uint8_t)(s->dport >> 8);
	l4[3] = (uint8_t)s->dport;
	l4[4] = (uint8_t)(s->seq >> 24);
	l4[5] = (uint8_t)(s->seq >> 16);
	l4[6] = (uint8_t)(s->seq >> 8);
	l4[7] = (uint8_t)s->seq;
	l4[8] = (uint8_t)(s->ack >> 24);
	l4[9] = (uint8_t)(s->ack >> 16);
	l4[10] = (uint8_t)(s->ack >> 8);
	l4[11] = (uint8_t)s->ack;
	l4[12] = 5 << 4;
	l4[13] = s->flags;
	l4[14] = (uint8_t)(s->window >> 8);
	l4[15] = (uint8_t)s->window;
	if (s->len)
		memcpy(l4 + 20, s->payload, s->len);
	return ip4(b, s->src, s->dst, IPPROTO_TCP, s->ttl ? s->ttl : 64, l4,
		   20 + s->len, 0);
}

/* A TLS record of type t with n body bytes at out; returns 5 + n. */
static inline size_t record(uint8_t *out, uint8_t t, size_t n)
{
	out[0] = t;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memset(out + 5, 0xa5, n);
	return 5 + n;
}

/* A TLS 1.2 ClientHello record carrying server_name `name`. */
static inline size_t client_hello(uint8_t *out, const char *name)
{
	size_t nl = strlen(name), o = 0, hs, ext, body;
	uint8_t *p = out;

	ext = 4 + 2 + 1 + 2 + nl;                   /* one SNI extension */
	body = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	hs = 4 + body;
	p[o++] = 22; p[o++] = 3; p[o++] = 1;
	p[o++] = (uint8_t)(hs >> 8); p[o++] = (uint8_t)hs;
	p[o++] = 1;
	p[o++] = 0; p[o++] = (uint8_t)(body >> 8); p[o++] = (uint8_t)body;
	p[o++] = 3; p[o++] = 3;
	memset(p + o, 0x11, 32); o += 32;
	p[o++] = 0;                                  /* session id */
	p[o++] = 0; p[o++] = 2; p[o++] = 0x00; p[o++] = 0x2f;
	p[o++] = 1; p[o++] = 0;                      /* compression */
	p[o++] = (uint8_t)(ext >> 8); p[o++] = (uint8_t)ext;
	p[o++] = 0; p[o++] = 0;                      /* server_name */
	p[o++] = (uint8_t)((ext - 4) >> 8); p[o++] = (uint8_t)(ext - 4);
	p[o++] = (uint8_t)((nl + 3) >> 8); p[o++] = (uint8_t)(nl + 3);
	p[o++] = 0;
	p[o++] = (uint8_t)(nl >> 8); p[o++] = (uint8_t)nl;
	memcpy(p + o, name, nl); o += nl;
	return o;
}

static inline struct eg_engine *new_engine(enum eg_feature_set set)
{
	struct eg_engine_params p;
	struct eg_engine *e = NULL;

	eg_engine_params_default(&p);
	p.features = set;
	memcpy(p.devices[0], DEV, 4);
	p.device_version[0] = 4;
	p.n_devices = 1;
	CHECK_EQ(eg_engine_new(&p, &e), 0);
	return e;
}

static inline int run(struct eg_engine *e, const struct seg *s, double t,
	       struct eg_pkt_info *ri)
{
	uint8_t b[2100];
	size_t n = tcp4(b, s);

	return eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(t), 1, ri);
}

/* Expected feature values of one packet: index, value, tolerance (0:
 * exact); check_features asserts each, naming the feature that differs. */
struct fexp {
	unsigned f;
	double v, tol;
};

static inline void check_features(const struct eg_pkt_info *ri,
			   const struct fexp *w, size_t n, int line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double got = ri->features[w[i].f];

		if (w[i].tol > 0)
			CHECK_NEAR(got, w[i].v, w[i].tol);
		else
			CHECK_EQ(got, w[i].v);
		if (w[i].tol > 0 ? got - w[i].v > w[i].tol ||
				   w[i].v - got > w[i].tol :
				   (long long)got != (long long)w[i].v)
			fprintf(stderr, "    line %d: feature %u\n", line, w[i].f);
	}
}
#define CHECK_FEATURES(ri, want) \
	check_features(ri, want, sizeof(want) / sizeof(want[0]), __LINE__)

#endif
