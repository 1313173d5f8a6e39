/* SPDX-License-Identifier: MIT */
/*
 * test-features.c: crafted TCP/TLS packets through eg_engine_process, each
 * feature checked against a hand-computed value (tables of expected
 * values per packet); then, when the shared captures are here,
 * alexa_5_40s.pcap through the engine and label.c. Odd packets and IPv6:
 * test-features-odd.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/offline/capture.h"
#include "echoguard/offline/label.h"
#include "features-build.h"

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
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_LEN, 0, 0 }, { F_DPORT, 443, 0 },
		{ F_LAYER, EG_LAYER_TCP, 0 }, { F_DELTA, 0, 0 },
		{ F_ACK, 0, 0 }, { F_MIC, 1, 0 }, { F_CT, 0, 0 },
		{ F_AGE, 0, 0 }, { F_SINCE_ANY, 3600, 0 },
		{ F_SINCE_FLOW, 3600, 0 }, { F_SNI, EG_SNI_UNKNOWN, 0 },
		{ F_WIN, 64240, 0 }, { F_TTL, 64, 0 }, { F_OP1, 1, 0 },
		{ F_OB1, 40, 0 },
	}));

	/* t=10.05 SYN-ACK in: not outbound, ack class, dstport 40000. */
	CHECK_EQ(run(e, &in, 10.05, &ri), 0);
	CHECK(!ri.outbound);
	CHECK_EQ(ri.proto_class, EG_CLASS_ACK);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_DPORT, 40000, 0 },
		{ F_DELTA, 0, 0 }, /* first in this direction */
		{ F_TTL, 230, 0 },
		{ F_IB1, 40, 0 }, /* in bytes: this packet */
		{ F_OB1, 40, 0 }, /* the SYN */
	}));

	/* t=10.1 ACK: delta 0.1 s from the SYN, same flow and direction. */
	out.flags = EG_TCP_ACK;
	out.seq = oseq;
	out.ack = iseq;
	CHECK_EQ(run(e, &out, 10.1, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_ACK);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_DELTA, 0.1, 1e-6 }, { F_ACK, 1, 0 }, { F_AGE, 0.1, 1e-6 },
		{ F_OP1, 2, 0 }, { F_OB1, 80, 0 },
	}));

	/* t=10.2 ClientHello: handshake, SNI voice, TLS layer, 1 record. */
	n = client_hello(pl, "avs-alexa-4-na.amazon.com");
	out.flags = EG_TCP_ACK | EG_TCP_PSH;
	out.payload = pl;
	out.len = n;
	CHECK_EQ(run(e, &out, 10.2, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_HANDSHAKE);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_LEN, n, 0 }, { F_LAYER, EG_LAYER_TLS, 0 }, { F_CT, 22, 0 },
		{ F_SNI, EG_SNI_VOICE, 0 }, { F_NREC, 1, 0 }, { F_PSH, 1, 0 },
	}));
	CHECK_STREQ(ri.flow->sni, "avs-alexa-4-na.amazon.com");
	CHECK(ri.tls_synced);

	/* t=10.21 the ClientHello again: retransmit beats handshake, the
	 * content type is still known (22) from the tracker's history. */
	CHECK_EQ(run(e, &out, 10.21, &ri), 0);
	CHECK_EQ(ri.proto_class, EG_CLASS_RETRANSMIT);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_CT, 22, 0 }, { F_RETRANS, 1, 0 }, { F_DELTA, 0.01, 1e-6 },
	}));
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
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_CT, 23, 0 }, { F_LEN, 100, 0 }, { F_SINCE_ANY, 3600, 0 },
		{ F_SINCE_FLOW, 3600, 0 },
	}));
	CHECK(ri.ka_candidate);
	CHECK_EQ(ri.features[F_RETRANS], 0);
	/* 1 s window at 11.0 (buckets of 250 ms: 41..44): the packets up to
	 * 10.24 (bucket 40) are outside, this one in; 5 s: all six. */
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_OP1, 1, 0 }, { F_OB1, 140, 0 }, { F_OP5, 6, 0 },
	}));
	oseq += (uint32_t)n;

	/* t=11.5 second app data: 0.5 s since the last, both scopes. */
	out.seq = oseq;
	CHECK_EQ(run(e, &out, 11.5, &ri), 0);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_SINCE_ANY, 0.5, 1e-6 }, { F_SINCE_FLOW, 0.5, 1e-6 },
		{ F_DELTA, 0.5, 1e-6 }, { F_OP1, 2, 0 }, { F_OB1, 280, 0 },
	}));
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
		CHECK_FEATURES(&ri, ((const struct fexp[]){
			{ F_LAYER, EG_LAYER_TLS, 0 }, { F_CT, 23, 0 },
			{ F_NREC, i == 0 ? 1 : 0, 0 },
		}));
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
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_CT, 23, 0 }, { F_IB1, 245, 0 },
		{ F_IB5, 40 + 135 + 245, 0 },
	}));
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
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_SINCE_ANY, 2.25, 1e-6 }, { F_SINCE_FLOW, 3600, 0 },
		{ F_AGE, 0, 0 },
	}));
	/* 46-byte single records every 30 s on flow a: the third member is
	 * the first one the online detector reports. */
	a.seq += (uint32_t)n;
	CHECK_EQ(run(e, &a, 130.0, &ri), 0);
	CHECK_FEATURES(&ri, ((const struct fexp[]){
		{ F_KA, 0, 0 }, { F_SINCE_ANY, 27.75, 1e-5 },
		{ F_SINCE_FLOW, 30, 1e-5 },
	}));
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
	test_real();
	return eg_test_done();
}
