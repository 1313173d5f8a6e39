/* SPDX-License-Identifier: MIT */
/*
 * test-features.c: crafted TCP/TLS packets through eg_engine_process, each
 * feature checked against a hand-computed value; then, when the shared
 * captures are here, alexa_5_40s.pcap through the engine and label.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/offline/capture.h"
#include "echoguard/engine/engine.h"
#include "echoguard/offline/label.h"
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
static size_t ip4(uint8_t *b, const uint8_t *src, const uint8_t *dst,
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

static size_t tcp4(uint8_t *b, const struct seg *s)
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
static size_t record(uint8_t *out, uint8_t t, size_t n)
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
static size_t client_hello(uint8_t *out, const char *name)
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

static struct eg_engine *new_engine(enum eg_feature_set set)
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

static int run(struct eg_engine *e, const struct seg *s, double t,
	       struct eg_pkt_info *ri)
{
	uint8_t b[2100];
	size_t n = tcp4(b, s);

	return eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(t), 1, ri);
}

static void test_names(void)
{
	const struct eg_schema *s = eg_schema_get(EG_FEATURES_SEED);
	const struct eg_schema *f = eg_schema_find("flow");

	CHECK(s && s->n == 7 && s->version == 1);
	CHECK_STREQ(s->names[0], "length");
	CHECK_STREQ(s->names[6], "content_type");
	CHECK(f && f->n == 23 && !strcmp(f->name, "flow"));
	CHECK_STREQ(f->names[F_SINCE_ANY], "since_app_any");
	CHECK_STREQ(f->names[F_PSH], "psh_flag");
	CHECK(eg_schema_find("nope") == NULL);
	CHECK_STREQ(eg_class_name(EG_CLASS_NOT_JUSTIFIED), "not_justified");
	CHECK_STREQ(eg_class_name(EG_CLASS_SYN), "syn");
	CHECK_EQ(eg_class_parse("retransmit"), EG_CLASS_RETRANSMIT);
	CHECK_EQ(eg_class_parse("Not Relevant"), EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(eg_class_parse("not-justified"), EG_CLASS_NOT_JUSTIFIED);
	CHECK_EQ(eg_class_parse("bogus"), -EINVAL);
	CHECK_EQ(eg_sni_classify(NULL), EG_SNI_UNKNOWN);
	CHECK_EQ(eg_sni_classify(""), EG_SNI_UNKNOWN);
	CHECK_EQ(eg_sni_classify("avs-alexa-4-na.amazon.com"), EG_SNI_VOICE);
	CHECK_EQ(eg_sni_classify("bob-dispatch-prod-na.amazon.com"), EG_SNI_VOICE);
	CHECK_EQ(eg_sni_classify("dcape-na.amazon.com"), EG_SNI_VOICE);
	CHECK_EQ(eg_sni_classify("api.amazonalexa.com"), EG_SNI_VOICE);
	CHECK_EQ(eg_sni_classify("unagi-na.amazon.com"), EG_SNI_METRICS);
	CHECK_EQ(eg_sni_classify("device-metrics-us.amazon.com"), EG_SNI_METRICS);
	CHECK_EQ(eg_sni_classify("dvi8md6049w6b.cloudfront.net"), EG_SNI_OTHER);
	CHECK_EQ(eg_sni_classify("api.amazon.com"), EG_SNI_OTHER);
	CHECK_EQ(eg_sni_classify("notamazonalexa.com.evil"), EG_SNI_OTHER);
}

/* One connection, packet by packet; ip = 20 + 20 + payload bytes. */
static void test_connection(void)
{
	struct eg_engine *e = new_engine(EG_FEATURES_FLOW);
	struct eg_pkt_info ri;
	uint8_t pl[4096];
	struct seg out = { DEV, SRV, 40000, 443, 1000, 0, EG_TCP_SYN, 64240, 64,
			   NULL, 0 };
	struct seg in = { SRV, DEV, 443, 40000, 5000, 1001,
			  EG_TCP_SYN | EG_TCP_ACK, 26883, 230, NULL, 0 };
	uint32_t oseq = 1001, iseq = 5001;
	size_t n, i;

	/* t=10.0 SYN: no ACK, no payload: not_relevant, layer TCP. */
	CHECK_EQ(run(e, &out, 10.0, &ri), 0);
	CHECK(ri.flow != NULL && ri.outbound);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.n_features, 23);
	CHECK_EQ(ri.features[F_LEN], 0);
	CHECK_EQ(ri.features[F_DPORT], 443);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_TCP);
	CHECK_EQ(ri.features[F_DELTA], 0);
	CHECK_EQ(ri.features[F_ACK], 0);
	CHECK_EQ(ri.features[F_MIC], 1);
	CHECK_EQ(ri.features[F_CT], 0);
	CHECK_EQ(ri.features[F_AGE], 0);
	CHECK_EQ(ri.features[F_SINCE_ANY], 3600);
	CHECK_EQ(ri.features[F_SINCE_FLOW], 3600);
	CHECK_EQ(ri.features[F_SNI], EG_SNI_UNKNOWN);
	CHECK_EQ(ri.features[F_WIN], 64240);
	CHECK_EQ(ri.features[F_TTL], 64);
	CHECK_EQ(ri.features[F_OP1], 1);
	CHECK_EQ(ri.features[F_OB1], 40);

	/* t=10.05 SYN-ACK in: not outbound, ack class, dstport 40000. */
	CHECK_EQ(run(e, &in, 10.05, &ri), 0);
	CHECK(!ri.outbound);
	CHECK_EQ(ri.proto_class, EG_CLASS_ACK);
	CHECK_EQ(ri.features[F_DPORT], 40000);
	CHECK_EQ(ri.features[F_DELTA], 0);        /* first in this direction */
	CHECK_EQ(ri.features[F_TTL], 230);
	CHECK_EQ(ri.features[F_IB1], 40);         /* in bytes: this packet */
	CHECK_EQ(ri.features[F_OB1], 40);         /* the SYN */

	/* t=10.1 ACK: delta 0.1 s from the SYN, same flow and direction. */
	out.flags = EG_TCP_ACK;
	out.seq = oseq;
	out.ack = iseq;
	CHECK_EQ(run(e, &out, 10.1, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_ACK);
	CHECK_NEAR(ri.features[F_DELTA], 0.1, 1e-6);
	CHECK_EQ(ri.features[F_ACK], 1);
	CHECK_NEAR(ri.features[F_AGE], 0.1, 1e-6);
	CHECK_EQ(ri.features[F_OP1], 2);
	CHECK_EQ(ri.features[F_OB1], 80);

	/* t=10.2 ClientHello: handshake, SNI voice, TLS layer, 1 record. */
	n = client_hello(pl, "avs-alexa-4-na.amazon.com");
	out.flags = EG_TCP_ACK | EG_TCP_PSH;
	out.payload = pl;
	out.len = n;
	CHECK_EQ(run(e, &out, 10.2, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_HANDSHAKE);
	CHECK_EQ(ri.features[F_LEN], n);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_TLS);
	CHECK_EQ(ri.features[F_CT], 22);
	CHECK_EQ(ri.features[F_SNI], EG_SNI_VOICE);
	CHECK_EQ(ri.features[F_NREC], 1);
	CHECK_EQ(ri.features[F_PSH], 1);
	CHECK_STREQ(ri.flow->sni, "avs-alexa-4-na.amazon.com");
	CHECK(ri.tls_synced);

	/* t=10.21 the ClientHello again: retransmit beats handshake, the
	 * content type is still known (22) from the tracker's history. */
	CHECK_EQ(run(e, &out, 10.21, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_RETRANSMIT);
	CHECK_EQ(ri.features[F_CT], 22);
	CHECK_EQ(ri.features[F_RETRANS], 1);
	CHECK_NEAR(ri.features[F_DELTA], 0.01, 1e-6);
	oseq += (uint32_t)n;

	/* t=10.3 ServerHello in: handshake, inbound. */
	n = record(pl, 22, 90);
	in.flags = EG_TCP_ACK;
	in.seq = iseq;
	in.ack = oseq;
	in.payload = pl;
	in.len = n;
	CHECK_EQ(run(e, &in, 10.3, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_HANDSHAKE);
	CHECK_NEAR(ri.features[F_DELTA], 0.25, 1e-6);
	iseq += (uint32_t)n;

	/* t=10.24 CCS + Finished in one segment: content 20, 2 records. */
	n = record(pl, 20, 1);
	n += record(pl + n, 22, 40);
	out.payload = pl;
	out.len = n;
	out.seq = oseq;
	out.ack = iseq;
	CHECK_EQ(run(e, &out, 10.24, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_HANDSHAKE);
	CHECK_EQ(ri.features[F_CT], 20);
	CHECK_EQ(ri.features[F_NREC], 2);
	oseq += (uint32_t)n;

	/* t=11.0 first app data, 100 bytes: context decides; never before. */
	n = record(pl, 23, 95);
	out.payload = pl;
	out.len = n;
	out.seq = oseq;
	CHECK_EQ(run(e, &out, 11.0, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
	CHECK_EQ(ri.features[F_CT], 23);
	CHECK_EQ(ri.features[F_LEN], 100);
	CHECK_EQ(ri.features[F_SINCE_ANY], 3600);
	CHECK_EQ(ri.features[F_SINCE_FLOW], 3600);
	CHECK(ri.ka_candidate);
	CHECK_EQ(ri.features[F_RETRANS], 0);
	/* 1 s window at 11.0 (buckets of 250 ms: 41..44): the packets up to
	 * 10.24 (bucket 40) are outside, this one in; 5 s: all six. */
	CHECK_EQ(ri.features[F_OP1], 1);
	CHECK_EQ(ri.features[F_OB1], 140);
	CHECK_EQ(ri.features[F_OP5], 6);
	oseq += (uint32_t)n;

	/* t=11.5 second app data: 0.5 s since the last, both scopes. */
	out.seq = oseq;
	CHECK_EQ(run(e, &out, 11.5, &ri), 0);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 0.5, 1e-6);
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 0.5, 1e-6);
	CHECK_NEAR(ri.features[F_DELTA], 0.5, 1e-6);
	CHECK_EQ(ri.features[F_OP1], 2);
	CHECK_EQ(ri.features[F_OB1], 280);
	oseq += (uint32_t)n;

	/* t=12.0 the same segment again: retransmit, retrans flag. */
	out.seq = oseq - (uint32_t)n;
	CHECK_EQ(run(e, &out, 12.0, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_RETRANSMIT);
	CHECK_EQ(ri.features[F_RETRANS], 1);
	CHECK_EQ(ri.features[F_CT], 23);
	CHECK(!ri.ka_candidate);

	/* t=12.5 a 3000-byte record in three segments: all app data. */
	n = record(pl, 23, 2995);
	for (i = 0; i < 3; i++) {
		size_t off = i * 1400, len = n - off < 1400 ? n - off : 1400;

		out.seq = oseq + (uint32_t)off;
		out.payload = pl + off;
		out.len = len;
		CHECK_EQ(run(e, &out, 12.5 + 0.001 * (double)i, &ri), 0);
		CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
		CHECK_EQ(ri.features[F_LAYER], EG_LAYER_TLS);
		CHECK_EQ(ri.features[F_CT], 23);
		CHECK_EQ(ri.features[F_NREC], i == 0 ? 1 : 0);
		CHECK(!ri.ka_candidate);
	}
	oseq += (uint32_t)n;

	/* t=13.0 inbound app data: not_relevant, in-bytes counted. */
	n = record(pl, 23, 200);
	in.payload = pl;
	in.len = n;
	in.seq = iseq;
	in.ack = oseq;
	CHECK_EQ(run(e, &in, 13.0, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.features[F_CT], 23);
	CHECK_EQ(ri.features[F_IB1], 245);
	CHECK_EQ(ri.features[F_IB5], 40 + 135 + 245);
	/* since_app_flow for an inbound packet: the device's app data on
	 * this flow, last new at 12.502. */
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 0.498, 1e-5);
	iseq += (uint32_t)n;

	/* t=13.1 a 1-byte TCP keep-alive (seq = snd_max - 1): ack class. */
	out.seq = oseq - 1;
	out.payload = pl;
	out.len = 1;
	out.flags = EG_TCP_ACK;
	CHECK_EQ(run(e, &out, 13.1, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_ACK);
	CHECK_EQ(ri.seg, EG_SEG_KEEPALIVE);

	eg_engine_free(e);
}

/* The device's app-data segments of payload pl on two flows, a to SRV
 * and b to SRV2. */
static void app_flows(struct seg *a, struct seg *b, const uint8_t *pl,
		      size_t n)
{
	*a = (struct seg){ DEV, SRV, 40100, 443, 77, 1,
			   EG_TCP_ACK | EG_TCP_PSH, 500, 64, pl, n };
	*b = (struct seg){ DEV, SRV2, 40200, 443, 99, 1,
			   EG_TCP_ACK | EG_TCP_PSH, 500, 64, pl, n };
}

/* since_app_any crosses flows; since_app_flow does not. */
static void test_two_flows(void)
{
	struct eg_engine *e = new_engine(EG_FEATURES_FLOW);
	struct eg_pkt_info ri;
	uint8_t pl[256];
	size_t n = record(pl, 23, 41);
	struct seg a, b;

	app_flows(&a, &b, pl, n);

	CHECK_EQ(run(e, &a, 100.0, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
	CHECK_EQ(ri.features[F_SINCE_ANY], 3600);
	CHECK_EQ(run(e, &b, 102.25, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 2.25, 1e-6);
	CHECK_EQ(ri.features[F_SINCE_FLOW], 3600);
	CHECK_EQ(ri.features[F_AGE], 0);
	/* 46-byte single records every 30 s on flow a: the third member is
	 * the first one the online detector reports. */
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 130.0, &ri), 0);
	CHECK_EQ(ri.features[F_KA], 0);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 27.75, 1e-5);
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 30, 1e-5);
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 160.0, &ri), 0);
	CHECK_EQ(ri.features[F_KA], 1);
	CHECK(ri.ka_candidate);
	CHECK_EQ(ri.features[F_LEN], 46);
	eg_engine_free(e);
}

/*
 * Capture timestamps can go backwards (merged or multi-queue captures).
 * The last app-data time must stay the latest one, and an earlier
 * timestamp is not a "quiet spell" that lets a record into the
 * keep-alive detector (before the fix: unsigned wrap-around, and the
 * last-app time moved back so since_app_* grew).
 */
static void test_time_backwards(void)
{
	struct eg_engine *e = new_engine(EG_FEATURES_FLOW);
	struct eg_pkt_info ri;
	uint8_t pl[256];
	size_t n = record(pl, 23, 41);
	struct seg a, b;

	app_flows(&a, &b, pl, n);

	CHECK_EQ(run(e, &a, 100.0, &ri), 0);
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 110.0, &ri), 0);
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 10, 1e-5);
	/* 109.0 on flow b, out of order: since_any is 0, not negative. */
	CHECK_EQ(run(e, &b, 109.0, &ri), 0);
	CHECK_EQ(ri.features[F_SINCE_ANY], 0);
	/* 111.0: one second after the latest app data (110.0), not two. */
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 111.0, &ri), 0);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 1, 1e-5);
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 1, 1e-5);
	/* 110.5 on flow a, backwards: still measured from 111.0 after. */
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 110.5, &ri), 0);
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 111.25, &ri), 0);
	CHECK_NEAR(ri.features[F_SINCE_FLOW], 0.25, 1e-5);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 0.25, 1e-5);
	eg_engine_free(e);
}

/* Malformed, fragments, UDP, HTTP, seed set, microphone. */
static void test_odd_packets(void)
{
	struct eg_engine *e = new_engine(EG_FEATURES_SEED);
	struct eg_pkt_info ri;
	uint8_t b[256], l4[128];
	struct seg s = { DEV, SRV, 40300, 80, 1, 1, EG_TCP_ACK | EG_TCP_PSH,
			 100, 64, (const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			 27 };
	size_t n;
	int r;

	CHECK_EQ(run(e, &s, 1.0, &ri), 0);
	CHECK_EQ(ri.n_features, 7);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_HTTP);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.features[F_LEN], 27);
	CHECK_EQ(ri.features[F_DPORT], 80);

	/* The body continuing in the next segment: HTTP by port, as in
	 * Wireshark. */
	s.seq += 27;
	s.payload = (const uint8_t *)"a=1&b=2&c=3";
	s.len = 11;
	CHECK_EQ(run(e, &s, 1.01, &ri), 0);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_HTTP);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	s.dport = 5000;
	s.sport = 40301;
	s.payload = (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08";
	s.len = 8;
	CHECK_EQ(run(e, &s, 1.0, &ri), 0);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_DATA);
	CHECK_EQ(ri.features[F_CT], 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* Truncated TCP header: an error, yet a not_relevant record. */
	n = tcp4(b, &s);
	r = eg_engine_process(e, EG_LINK_RAW, b, 30, n, NS(2.0), 0, &ri);
	CHECK(r < 0);
	CHECK_EQ(ri.parse_rc, r);
	CHECK(ri.flow == NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.n_features, 7);
	CHECK_EQ(ri.features[F_LEN], 0);
	CHECK_EQ(ri.features[F_MIC], 0);
	CHECK_EQ(ri.features[F_DELTA], 0);

	/* Garbage that is not IP at all. */
	memset(b, 0xff, 64);
	r = eg_engine_process(e, EG_LINK_RAW, b, 64, 64, NS(2.0), 1, &ri);
	CHECK(r < 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* A non-first fragment: no ports, not_relevant, no flow. */
	memset(l4, 0x42, 64);
	n = ip4(b, DEV, SRV, IPPROTO_TCP, 64, l4, 64, 0x00b9);
	eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(3.0), 1, &ri);
	CHECK(ri.flow == NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);

	/* UDP (DNS): a flow, DATA, not_relevant, delta on the second. */
	memset(l4, 0, 8);
	l4[0] = 0x9c; l4[1] = 0x40; l4[2] = 0; l4[3] = 53;
	l4[4] = 0; l4[5] = 8 + 30;
	memset(l4 + 8, 0x01, 30);
	n = ip4(b, DEV, SRV, IPPROTO_UDP, 64, l4, 38, 0);
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(4.0), 1, &ri), 0);
	CHECK(ri.flow != NULL);
	CHECK_EQ(ri.proto_class, EG_CLASS_NOT_RELEVANT);
	CHECK_EQ(ri.features[F_LAYER], EG_LAYER_DATA);
	CHECK_EQ(ri.features[F_LEN], 30);
	CHECK_EQ(ri.features[F_DPORT], 53);
	CHECK_EQ(ri.features[F_ACK], 0);
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, n, n, NS(4.75), 1, &ri), 0);
	CHECK_NEAR(ri.features[F_DELTA], 0.75, 1e-6);
	eg_engine_tick(e, NS(10000.0));
	eg_engine_free(e);
	CHECK(eg_engine_free(NULL) == NULL);
}

/* IPv6, and an engine without devices: every packet is outbound. */
static void test_ipv6_no_device(void)
{
	struct eg_engine_params ep;
	struct eg_engine *e = NULL;
	struct eg_pkt_info ri;
	uint8_t b[256], *t = b + 40, pl[64];
	size_t n = record(pl, 23, 30), i;

	eg_engine_params_default(&ep);
	ep.features = EG_FEATURES_FLOW;
	CHECK_EQ(eg_engine_new(&ep, &e), 0);
	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	b[4] = 0;
	b[5] = (uint8_t)(20 + n);
	b[6] = IPPROTO_TCP;
	b[7] = 57;                                  /* hop limit */
	b[8] = 0xfd;                                /* fd00::10 -> 2001:db8::1 */
	b[23] = 0x10;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8;
	b[39] = 1;
	t[0] = 0xa0; t[1] = 0x00; t[2] = 0x01; t[3] = 0xbb;
	t[7] = 1;
	t[12] = 5 << 4;
	t[13] = EG_TCP_ACK | EG_TCP_PSH;
	t[15] = 200;
	memcpy(t + 20, pl, n);
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, 60 + n, 60 + n, NS(50.0),
				   1, &ri), 0);
	CHECK(ri.outbound);
	CHECK_EQ(ri.pkt.ip_version, 6);
	CHECK_EQ(ri.proto_class, EG_CLASS_EXPECTED);
	CHECK_EQ(ri.features[F_LEN], 35);
	CHECK_EQ(ri.features[F_DPORT], 443);
	CHECK_EQ(ri.features[F_TTL], 57);
	CHECK_EQ(ri.features[F_WIN], 200);
	CHECK_EQ(ri.features[F_OB1], 40 + 20 + 35);
	/* The reply (ports and addresses swapped) is "outbound" too: no
	 * device was configured. */
	for (i = 0; i < 16; i++) {
		uint8_t x = b[8 + i];

		b[8 + i] = b[24 + i];
		b[24 + i] = x;
	}
	t[0] = 0x01; t[1] = 0xbb; t[2] = 0xa0; t[3] = 0x00;
	CHECK_EQ(eg_engine_process(e, EG_LINK_RAW, b, 60 + n, 60 + n, NS(50.5),
				   1, &ri), 0);
	CHECK(ri.outbound);
	CHECK_EQ(ri.dir, EG_DIR_REV);
	CHECK_EQ(ri.features[F_DPORT], 40960);
	CHECK_NEAR(ri.features[F_SINCE_ANY], 0.5, 1e-6);
	eg_engine_free(e);
}

/* The real capture: keep-alives and voice records, labelled. */
static void test_real(void)
{
	const char *data = eg_test_shared_data();
	char path[1024], err[512];
	struct eg_engine_params ep;
	struct eg_engine *e;
	struct eg_capture *cap;
	struct eg_interactions *in;
	struct eg_label_params lp;
	struct eg_label_row *rows;
	struct eg_frame fr;
	struct eg_pkt_info ri;
	static const unsigned ka_frames[] = { 2, 525, 1100, 1670, 1991, 2235, 2779 };
	size_t n = 0, i, voice = 0, voice_expected = 0, hs = 0;
	uint64_t *frame;
	int r;

	snprintf(path, sizeof(path), "%s/vcf/pcap/alexa_5_40s.pcap", data);
	eg_engine_params_default(&ep);
	ep.features = EG_FEATURES_FLOW;
	ep.device_version[0] = (uint8_t)eg_addr_parse("192.168.86.40", ep.devices[0]);
	ep.n_devices = 1;
	CHECK_EQ(eg_engine_new(&ep, &e), 0);
	CHECK_EQ(eg_capture_open(path, &cap, err, sizeof(err)), 0);
	rows = calloc(4000, sizeof(*rows));
	frame = calloc(4000, sizeof(*frame));
	while ((r = eg_capture_next(cap, &fr, err, sizeof(err))) == 1 && n < 4000) {
		eg_engine_process(e, fr.linktype, fr.data, fr.caplen, fr.len,
				  fr.ts_ns, 1, &ri);
		if (!ri.outbound)
			continue;
		if (fr.index == 2) {
			CHECK_EQ(ri.features[F_CT], 23);
			CHECK_EQ(ri.features[F_LEN], 46);
			CHECK(ri.ka_candidate);
		}
		rows[n].ts_ns = fr.ts_ns;
		rows[n].flow_id = (uint64_t)(uintptr_t)ri.flow;
		rows[n].size = ri.pkt.payload_len;
		rows[n].proto_class = (uint8_t)ri.proto_class;
		rows[n].ka_candidate = ri.ka_candidate;
		frame[n] = fr.index;
		if (ri.proto_class == EG_CLASS_HANDSHAKE)
			hs++;
		n++;
	}
	CHECK_EQ(r, 0);
	eg_capture_free(cap);
	snprintf(path, sizeof(path), "%s/vcf/interactions.csv", data);
	CHECK_EQ(eg_interactions_load(path, &in, err, sizeof(err)), 0);
	eg_label_params_default(&lp);
	lp.ctx = EG_CTX_WINDOWS;
	lp.margin = 2;
	lp.n_windows = eg_interactions_find(in, "alexa_5_40s.pcap", &lp.windows);
	CHECK_EQ(lp.n_windows, 5);
	r = eg_label_apply(&lp, rows, n);
	CHECK_EQ(r, 7);
	for (i = 0; i < n; i++) {
		size_t k;
		bool is_ka = false;

		for (k = 0; k < sizeof(ka_frames) / sizeof(ka_frames[0]); k++)
			is_ka |= frame[i] == ka_frames[k];
		if (is_ka)
			CHECK_EQ(rows[i].label, EG_CLASS_SYN);
		else if (rows[i].label == EG_CLASS_SYN)
			CHECK_EQ(frame[i], 0); /* names the stray frame */
		if (frame[i] == 1673) /* 46 bytes, 1 s after a member */
			CHECK_EQ(rows[i].label, EG_CLASS_JUSTIFIED);
		if (rows[i].size == 118 && rows[i].proto_class == EG_CLASS_EXPECTED) {
			voice++;
			voice_expected += rows[i].label == EG_CLASS_EXPECTED;
		}
	}
	printf("# alexa_5_40s: %zu outbound rows, %zu voice records, %zu "
	       "expected, %zu handshake\n", n, voice, voice_expected, hs);
	CHECK(voice >= 1300);
	CHECK(voice_expected * 1000 >= voice * 995);
	CHECK(hs > 0);
	eg_interactions_free(in);
	free(rows);
	free(frame);
	eg_engine_free(e);
}

int main(void)
{
	test_names();
	test_connection();
	test_two_flows();
	test_time_backwards();
	test_odd_packets();
	test_ipv6_no_device();
	test_real();
	return eg_test_done();
}
