/* SPDX-License-Identifier: MIT */
/*
 * test-upload.c: the upload tracker and its latching rules (upload.h) on
 * crafted sequences: the sequential test (allow by evidence or by packet
 * count, drop by evidence), the quiet gap, leak accounting, muting on an
 * allowed upload, unmuting on a dropped one, the muted CUSUM; then the
 * policy's rule 7a on TLS segments run through the real engine: an allowed
 * upload is never holed, a dropped one drops its rest and retransmissions,
 * keep-alive series pass while muted, a muted upload's first segment is
 * dropped unless confidently a protocol class, the counters.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"
#include "echoguard/verdict/upload.h"
#include "tap.h"

#define S 1000000000ull

static struct eg_upload_params prm;

static enum eg_upload_decision step(struct eg_upload_state *u, uint64_t t,
				    int mic, uint32_t seq, float p)
{
	return eg_upload_step(&prm, u, t, mic, seq, 100, p, NULL);
}

static void test_llr(void)
{
	CHECK_NEAR(eg_upload_llr(0.5f), 0.0, 1e-6);
	CHECK_NEAR(eg_upload_llr(0.7f), log(0.7 / 0.3), 1e-5);
	CHECK_NEAR(eg_upload_llr(1.0f), 4.0, 1e-6);
	CHECK_NEAR(eg_upload_llr(0.0f), -4.0, 1e-6);
	CHECK_NEAR(eg_upload_llr(0.9999f), 4.0, 1e-6);
	CHECK_NEAR(eg_upload_llr(NAN), -4.0, 1e-6);
}

/* Listening: allowed after `packets` scored packets, then never holed. */
static void test_allow_latches(void)
{
	struct eg_upload_state u = { 0 };
	bool started = false;

	CHECK_EQ(eg_upload_step(&prm, &u, 10 * S, 1, 1000, 100, 0.6f,
				&started), EG_UPLOAD_PENDING);
	CHECK(started);
	CHECK_EQ(u.number, 1);
	CHECK_EQ(step(&u, 10 * S + 1, 1, 1100, -1.0f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, 10 * S + 2, 1, 1200, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, 10 * S + 3, 1, 1300, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(u.scored, 3);
	/* Fourth scored packet: 4 x 0.405 < 3, so allow by count. */
	CHECK_EQ(step(&u, 10 * S + 4, 1, 1400, 0.6f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.pending_bytes, 0);
	/* Certain drop-class packets later: still allowed, not counted. */
	CHECK_EQ(step(&u, 10 * S + 5, 1, 1500, 1.0f), EG_UPLOAD_ALLOW);
	CHECK_EQ(step(&u, 10 * S + 6, 1, 1600, 1.0f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.dropped_pkts, 0);
	CHECK_EQ(u.leaked, 0);
	CHECK_EQ(u.pkts, 7);
	CHECK_EQ(u.bytes, 700);

	/* Strong allow evidence decides before the count. */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 1, 0, 0.04f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.scored, 1);
}

/* Listening: drop by evidence; the accepted bytes before are the leak;
 * everything after is dropped, whatever the forest says. */
static void test_drop_latches(void)
{
	struct eg_upload_state u = { 0 };

	CHECK_EQ(step(&u, S, 1, 0, 0.8f), EG_UPLOAD_PENDING);     /* 1.39 */
	CHECK_EQ(u.pending_bytes, 100);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.85f), EG_UPLOAD_DROP); /* 3.12 */
	CHECK_EQ(u.leaked, 100);
	CHECK_EQ(u.dropped_pkts, 1);
	CHECK_EQ(step(&u, S + 2, 1, 200, 0.0f), EG_UPLOAD_DROP);
	CHECK_EQ(step(&u, S + 3, 1, 300, -1.0f), EG_UPLOAD_DROP);
	CHECK_EQ(u.dropped_pkts, 3);
	CHECK_EQ(u.dropped_bytes, 300);
	CHECK_EQ(u.leaked, 100);
	/* A quiet gap (> 1 s): the next upload is decided afresh. */
	CHECK_EQ(step(&u, 2 * S + 4, 1, 400, 0.02f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.number, 2);
	CHECK_EQ(u.pkts, 1);
	CHECK_EQ(u.leaked, 0);
	/* Within the gap (exactly 1 s): the same upload. */
	CHECK_EQ(step(&u, 3 * S + 4, 1, 500, 1.0f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.number, 2);
	/* A capture going backwards in time continues it. */
	CHECK_EQ(step(&u, S, 1, 600, 1.0f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.number, 2);
	CHECK_EQ(u.last_ns, 3 * S + 4);
}

/* Listening: one confident packet never decides drop alone (min_drop,
 * 2 by default); the next packets' evidence can still allow it. A run of
 * confident packets is dropped on the min_drop-th, leaking the ones
 * before. Muted, min_drop does not apply. */
static void test_min_drop(void)
{
	struct eg_upload_state u = { 0 };
	struct eg_upload_params save = prm;

	CHECK_EQ(prm.min_drop, 2);
	/* The wake-word record at p = 0.97 (+3.48 >= 3), then expected. */
	CHECK_EQ(step(&u, S, 1, 0, 0.97f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.05f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 2, 1, 200, 0.3f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 3, 1, 300, 0.3f), EG_UPLOAD_ALLOW);
	CHECK_EQ(u.dropped_pkts, 0);
	CHECK_EQ(u.leaked, 0);
	/* An idle (justified) upload: dropped on its second packet. */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 1, 0, 1.0f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.9f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 100);
	/* min_drop above packets: the count allows only at min_drop. */
	prm.min_drop = 3;
	prm.packets = 2;
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 1, 0, 0.97f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.5f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 2, 1, 200, 0.6f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 200);
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 1, 0, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 2, 1, 200, 0.6f), EG_UPLOAD_ALLOW);
	/* Muted: one confident packet still drops (leak <= one record). */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 0, 0, 0.97f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 0);
	prm = save;
}

/* Muting takes effect on the next packet; unmuting releases nothing. */
static void test_mute_rules(void)
{
	struct eg_upload_state u = { 0 };

	CHECK_EQ(step(&u, S, 1, 0, 0.01f), EG_UPLOAD_ALLOW);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.99f), EG_UPLOAD_ALLOW);
	/* Muted: one packet at min_confidence (0.7: ln 7/3) drops. */
	CHECK_EQ(step(&u, S + 2, 0, 200, 0.7f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 0);          /* the allowed bytes are not leak */
	CHECK(u.muted_seen);
	CHECK(u.mic_start);
	/* Unmuted mid-upload: still dropped. */
	CHECK_EQ(step(&u, S + 3, 1, 300, 0.0f), EG_UPLOAD_DROP);
	CHECK_EQ(step(&u, S + 4, 1, 400, 0.0f), EG_UPLOAD_DROP);
	CHECK_EQ(u.number, 1);

	/* Muted: never allowed, however low the evidence (a CUSUM that
	 * restarts at 0): the first packet of drop evidence after a run of
	 * allow evidence still drops. */
	memset(&u, 0, sizeof(u));
	for (int i = 0; i < 20; i++)
		CHECK_EQ(step(&u, S + (uint64_t)i, 0, (uint32_t)i * 100, 0.01f),
			 EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 20, 0, 2000, 0.75f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 2000);       /* the 20 packets accepted before */
	CHECK(!u.mic_start);

	/* Muted while undecided: the test restarts under muted rules, the
	 * pending bytes stay pending (leak if dropped). */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 1, 0, 0.8f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 0, 100, 0.5f), EG_UPLOAD_PENDING);
	CHECK_NEAR(u.evidence, 0.0, 1e-6);
	CHECK_EQ(step(&u, S + 2, 0, 200, 0.72f), EG_UPLOAD_DROP);
	CHECK_EQ(u.leaked, 200);
	/* Unmuting on a pending upload restarts the listening test. */
	memset(&u, 0, sizeof(u));
	CHECK_EQ(step(&u, S, 0, 0, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&u, S + 1, 1, 100, 0.6f), EG_UPLOAD_PENDING);
	CHECK_EQ(u.scored, 1);
}

static void test_record(void)
{
	struct eg_flow f;
	struct eg_upload r;

	memset(&f, 0, sizeof(f));
	f.key.ip_version = 4;
	f.key.a[12] = 10;              /* the server is a, the device b */
	f.key.b[12] = 192;
	f.key.pa = 443;
	f.key.pb = 50000;
	f.fwd_is_a = false;            /* the device opened the flow */
	snprintf(f.sni, sizeof(f.sni), "avs-alexa-na.amazon.com");
	CHECK_EQ(step(&f.upload, S, 1, 7, 0.8f), EG_UPLOAD_PENDING);
	CHECK_EQ(step(&f.upload, S + 1, 1, 107, 0.85f), EG_UPLOAD_DROP);
	eg_upload_get(&f, EG_DIR_FWD, &r);
	CHECK_EQ(r.device[12], 192);
	CHECK_EQ(r.server[12], 10);
	CHECK_EQ(r.device_port, 50000);
	CHECK_EQ(r.server_port, 443);
	CHECK_STREQ(r.sni, "avs-alexa-na.amazon.com");
	CHECK_EQ(r.decision, EG_UPLOAD_DROP);
	CHECK_EQ(r.pkts, 2);
	CHECK_EQ(r.dropped_bytes, 100);
	CHECK_EQ(r.leaked, 100);
	CHECK_EQ(r.number, 1);
	CHECK(r.mic_start);
	CHECK_STREQ(eg_upload_decision_name(r.decision), "drop");
	CHECK_STREQ(eg_upload_decision_name(EG_UPLOAD_DECISION_COUNT),
		    "unknown");
}

/* ---- the policy, on segments through the real engine ------------------ */

static const char *const names[] = {
	"expected", "justified", "not_justified", "syn", "handshake", "ack",
	"retransmit", "not_relevant",
};
enum { I_EXPECTED, I_JUSTIFIED, I_HANDSHAKE = 4 };
#define N_NAMES 8

struct rig {
	struct eg_engine *e;
	struct eg_policy *p;
	struct eg_policy_stats st;
	uint32_t seq;                  /* the device's next sequence number */
};

/* An IPv4 TCP segment device:50000 -> server:443 carrying one TLS
 * app-data record of rec bytes (header included) at seq, decided with the
 * forest's probabilities pr (top: the argmax). */
static struct eg_decision seg_pr(struct rig *g, uint64_t t, int mic,
				 uint32_t seq, uint16_t rec, const float *pr,
				 unsigned top)
{
	uint8_t b[1600] = { 0x45 };
	uint16_t total = (uint16_t)(40 + rec);
	struct eg_pkt_info pi;
	struct eg_decision d;

	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	inet_pton(AF_INET, "192.168.86.40", b + 12);
	inet_pton(AF_INET, "52.94.233.1", b + 16);
	b[20] = 0xc3, b[21] = 0x50, b[22] = 0x01, b[23] = 0xbb;
	b[24] = (uint8_t)(seq >> 24), b[25] = (uint8_t)(seq >> 16);
	b[26] = (uint8_t)(seq >> 8), b[27] = (uint8_t)seq;
	b[32] = 5 << 4;
	b[33] = 0x18;                  /* PSH|ACK */
	b[34] = 0xff;
	b[40] = 0x17, b[41] = 3, b[42] = 3;
	b[43] = (uint8_t)((rec - 5) >> 8), b[44] = (uint8_t)(rec - 5);
	eg_engine_process(g->e, EG_LINK_RAW, b, total, total, t, mic, &pi);
	eg_policy_decide(g->p, &pi, pr, top, &g->st, &d);
	return d;
}

/* The forest's probabilities: pdrop for justified (a drop class), the
 * rest for expected. */
static struct eg_decision seg(struct rig *g, uint64_t t, int mic,
			      uint32_t seq, uint16_t rec, float pdrop)
{
	float pr[N_NAMES] = { 0 };

	pr[I_JUSTIFIED] = pdrop;
	pr[I_EXPECTED] = 1.0f - pdrop;
	return seg_pr(g, t, mic, seq, rec, pr,
		      pdrop > 0.5f ? I_JUSTIFIED : I_EXPECTED);
}

static struct eg_decision next(struct rig *g, uint64_t t, int mic,
			       float pdrop)
{
	struct eg_decision d = seg(g, t, mic, g->seq, 120, pdrop);

	g->seq += 120;
	return d;
}

static void rig_new(struct rig *g)
{
	struct eg_engine_params ep;
	struct eg_config c;
	char err[256];

	memset(g, 0, sizeof(*g));
	eg_config_default(&c);
	/* The latching rules per packet: with the default on_drop = flow a
	 * dropped upload's later segments are FLOW_DROPPED (test-policy). */
	c.policy.on_drop = EG_ON_DROP_PACKET;
	eg_config_engine_params(&c, &ep);
	CHECK_EQ(eg_engine_new(&ep, &g->e), 0);
	CHECK_EQ(eg_policy_new_names(&c, names, N_NAMES, &g->p, err,
				     sizeof(err)), 0);
	if (!g->e || !g->p)
		exit(1);
	g->seq = 1000;
}

/* Replace the rig's policy with one made from c. */
static void rig_policy(struct rig *g, const struct eg_config *c)
{
	struct eg_policy *p = NULL;
	char err[256];

	g->p = eg_policy_free(g->p);
	CHECK_EQ(eg_policy_new_names(c, names, N_NAMES, &p, err, sizeof(err)),
		 0);
	if (!p)
		exit(1);
	g->p = p;
}

static void test_policy_uploads(void)
{
	struct eg_decision d;
	struct rig g;
	uint64_t t = 100 * S;

	rig_new(&g);
	/* A conversation: pending, then allowed by count; a confident
	 * "justified" packet in its middle is not a hole. */
	for (int i = 0; i < 3; i++) {
		d = next(&g, t += S / 50, 1, 0.45f);
		CHECK_EQ(d.reason, EG_REASON_UPLOAD_PENDING);
		CHECK_EQ(d.upload, EG_UPLOAD_PENDING);
		CHECK_EQ(d.upload_started, i == 0);
	}
	d = next(&g, t += S / 50, 1, 0.45f);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_ALLOW);
	d = next(&g, t += S / 50, 1, 0.99f);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_ALLOW);
	CHECK_EQ(d.cls, EG_CLASS_JUSTIFIED);

	/* After a quiet gap, an unprompted upload: its first confident
	 * packet (ln 0.99/0.01 clamps to 4 >= 3) is not enough alone
	 * (upload_min_drop = 2) and leaks; dropped at the second, its rest
	 * and its retransmission too. */
	t += 3 * S;
	d = next(&g, t, 1, 0.995f);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_PENDING);
	CHECK(d.upload_started);
	d = next(&g, t += S / 50, 1, 0.995f);
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	d = next(&g, t += S / 50, 1, 0.01f);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	d = seg(&g, t += S / 50, 1, g.seq - 240, 120, 0.01f);
	CHECK_EQ(d.reason, EG_REASON_DROPPED_RANGE);
	CHECK_EQ(d.upload, EG_UPLOAD_NONE);   /* not an upload segment */

	/* Muted in the middle of an allowed upload: the next packet is
	 * decided under the muted rule; unmuting releases nothing. */
	t += 3 * S;
	for (int i = 0; i < 4; i++)
		next(&g, t += S / 50, 1, 0.45f);
	d = next(&g, t += S / 50, 0, 0.8f);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	d = next(&g, t += S / 50, 1, 0.01f);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);

	/* A listening upload that leaks one segment before its drop. */
	t += 3 * S;
	CHECK_EQ(next(&g, t, 1, 0.8f).reason, EG_REASON_UPLOAD_PENDING);
	CHECK_EQ(next(&g, t += S / 50, 1, 0.85f).reason, EG_REASON_UPLOAD_DROP);

	CHECK_EQ(g.st.uploads, 4);
	CHECK_EQ(g.st.uploads_allowed, 2);
	CHECK_EQ(g.st.uploads_dropped, 3);
	CHECK_EQ(g.st.upload_leak_bytes, 240);
	CHECK_EQ(g.st.reasons[EG_REASON_UPLOAD_DROP], 5);
	CHECK_STREQ(eg_reason_name(EG_REASON_UPLOAD_PENDING), "upload_pending");
	eg_policy_free(g.p);
	eg_engine_free(g.e);
}

/* Keep-alives pass, muted or not, outside any upload: short records
 * after a quiet spell, then as members of their series; short records
 * pass at most one per gap, longer ones are uploads. */
static void test_keepalive(void)
{
	struct eg_decision d = { 0 };
	struct rig g;
	uint64_t t = 100 * S;

	rig_new(&g);
	for (int i = 0; i < 4; i++) {
		d = seg(&g, t += 30 * S, 0, g.seq, 46, 0.99f);
		g.seq += 46;
		CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
		CHECK_EQ(d.reason, EG_REASON_KEEPALIVE);
		CHECK_EQ(d.upload, EG_UPLOAD_NONE);
	}
	/* A second short record within the gap: an upload (muted: drop). */
	d = seg(&g, t += S / 2, 0, g.seq, 46, 0.99f);
	g.seq += 46;
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	/* Its series keeps passing: the next member 30 s later. */
	d = seg(&g, t += 30 * S - S / 2, 0, g.seq, 46, 0.99f);
	g.seq += 46;
	CHECK_EQ(d.reason, EG_REASON_KEEPALIVE);
	/* A longer record after a quiet spell is an upload. */
	d = seg(&g, t += 5 * S, 0, g.seq, 120, 0.99f);
	g.seq += 120;
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	CHECK_EQ(g.st.reasons[EG_REASON_KEEPALIVE], 5);
	CHECK_EQ(g.st.uploads_dropped, 2);
	eg_policy_free(g.p);
	eg_engine_free(g.e);
}

/* Muted: an upload segment is dropped on its first packet unless the
 * forest is confident (>= min_confidence) it is a protocol class; the
 * forest calling it "expected" app data does not let it through (the
 * first voice record of a muted upload, e2e-recover). */
static void test_muted_first(void)
{
	float pr[N_NAMES] = { 0 };
	struct eg_config c;
	struct eg_decision d;
	struct rig g;
	uint64_t t = 100 * S;

	rig_new(&g);
	d = seg(&g, t, 0, g.seq, 120, 0.1f);       /* expected at 0.9 */
	g.seq += 120;
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	CHECK(d.upload_started);
	CHECK_EQ(g.st.upload_leak_bytes, 0);
	/* A confident protocol class passes (pending, never allowed). */
	pr[I_HANDSHAKE] = 0.8f, pr[I_EXPECTED] = 0.2f;
	d = seg_pr(&g, t += 3 * S, 0, g.seq, 120, pr, I_HANDSHAKE);
	g.seq += 120;
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_PENDING);
	/* Not confident (0.6 < 0.7): dropped. */
	pr[I_HANDSHAKE] = 0.6f, pr[I_EXPECTED] = 0.4f;
	d = seg_pr(&g, t += S / 50, 0, g.seq, 120, pr, I_HANDSHAKE);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_DROP);
	/* Listening, the same "expected" packet is evidence as before. */
	g.seq += 120;
	d = seg(&g, t += 3 * S, 1, g.seq, 120, 0.1f);
	g.seq += 120;
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_PENDING);
	/* not_justified not a drop class (e2e-budget's drop_classes = none):
	 * the rule does not apply, the forest's evidence decides. */
	eg_config_default(&c);
	c.policy.on_drop = EG_ON_DROP_PACKET;
	c.policy.drop_classes = 1u << EG_CLASS_JUSTIFIED;
	rig_policy(&g, &c);
	d = seg(&g, t += 3 * S, 0, g.seq, 120, 0.1f);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_UPLOAD_PENDING);
	eg_policy_free(g.p);
	eg_engine_free(g.e);
}

/* upload_packets = 0: the per-packet policy of before. */
static void test_off(void)
{
	struct eg_config c;
	struct rig g;

	rig_new(&g);
	eg_config_default(&c);
	c.policy.on_drop = EG_ON_DROP_PACKET;
	c.policy.upload_packets = 0;
	rig_policy(&g, &c);
	CHECK_EQ(next(&g, 10 * S, 1, 0.1f).reason,
		 EG_REASON_CLASS_ACCEPT);
	CHECK_EQ(next(&g, 10 * S + 1, 1, 0.9f).reason,
		 EG_REASON_CLASS_DROP);
	CHECK_EQ(next(&g, 10 * S + 2, 1, 0.1f).reason,
		 EG_REASON_CLASS_ACCEPT);
	CHECK_EQ(g.st.uploads, 0);
	eg_policy_free(g.p);
	eg_engine_free(g.e);
}

int main(void)
{
	eg_upload_params_default(&prm);
	test_llr();
	test_allow_latches();
	test_drop_latches();
	test_min_drop();
	test_mute_rules();
	test_record();
	test_policy_uploads();
	test_keepalive();
	test_muted_first();
	test_off();
	return eg_test_done();
}
