/* SPDX-License-Identifier: MIT */
/*
 * test-policy.c: every reason of eg_policy_decide on packets parsed from
 * real IPv4/IPv6 TCP bytes: class accept/drop, min_confidence, dropped-range
 * retransmissions (also across the sequence wrap), on_drop = flow and its
 * connmark, monitor mode, allow lists, control packets, not outbound,
 * fallback, unknown model classes, the counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"
#include "tap.h"

/* The forest's class order in these tests: deliberately not enum order. */
static const char *const names[] = {
	"expected", "not_justified", "justified", "ack", "handshake",
	"retransmit", "syn", "not_relevant", "mystery",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))
enum { I_EXPECTED, I_NOT_JUSTIFIED, I_JUSTIFIED, I_ACK, I_HANDSHAKE,
       I_RETRANSMIT, I_SYN, I_NOT_RELEVANT, I_MYSTERY };

#define SRV "52.94.233.1"

static uint8_t buf[2048];
static struct eg_flow flow;

/* Build and parse an IPv4 (or IPv6) TCP packet from src to dst with the
 * given sequence number and payload length; fill pi as the engine would. */
static void make_pkt(struct eg_pkt_info *pi, int v6, const char *src,
		     const char *dst, uint32_t seq, uint16_t plen)
{
	size_t ip_len = v6 ? 40 : 20, total = ip_len + 20 + plen;
	uint8_t *tcp = buf + ip_len;
	int r;

	memset(buf, 0, sizeof(buf));
	if (v6) {
		buf[0] = 0x60;
		buf[4] = (uint8_t)((20 + plen) >> 8);
		buf[5] = (uint8_t)(20 + plen);
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;
		inet_pton(AF_INET6, src, buf + 8);
		inet_pton(AF_INET6, dst, buf + 24);
	} else {
		buf[0] = 0x45;
		buf[2] = (uint8_t)(total >> 8);
		buf[3] = (uint8_t)total;
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		inet_pton(AF_INET, src, buf + 12);
		inet_pton(AF_INET, dst, buf + 16);
	}
	tcp[0] = 0xc3;                 /* sport 50000 */
	tcp[1] = 0x50;
	tcp[2] = 0x01;                 /* dport 443 */
	tcp[3] = 0xbb;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;
	tcp[13] = plen ? 0x18 : 0x10;  /* PSH|ACK or ACK */
	tcp[14] = 0xff;
	memset(tcp + 20, 0x17, plen);
	memset(pi, 0, sizeof(*pi));
	r = eg_packet_parse_ip(buf, total, &pi->pkt);
	CHECK_EQ(r, 0);
	pi->parse_rc = r;
	pi->flow = &flow;
	pi->outbound = true;
	pi->n_features = 0;
}

static struct eg_policy *make_policy(const struct eg_config *c)
{
	struct eg_policy *p = NULL;
	char err[256];

	CHECK_EQ(eg_policy_new_names(c, names, N_NAMES, &p, err, sizeof(err)),
		 0);
	if (!p)
		exit(1);
	return p;
}

/* Probabilities with `top` at `pt` and the rest spread evenly. */
static const float *proba_for(unsigned top, float pt)
{
	static float pr[N_NAMES];
	unsigned i;

	for (i = 0; i < N_NAMES; i++)
		pr[i] = (1.0f - pt) / (N_NAMES - 1);
	pr[top] = pt;
	return pr;
}

static struct eg_decision decide(const struct eg_policy *p,
				 struct eg_pkt_info *pi, unsigned top, float pt,
				 struct eg_policy_stats *st)
{
	struct eg_decision d;

	memset(&d, 0x77, sizeof(d));
	eg_policy_decide(p, pi, proba_for(top, pt), top, st, &d);
	return d;
}

/* One packet of a table-driven scenario: from the device (IPv4
 * 192.168.86.40 or IPv6 2001:db8:1::40) to dst with this sequence number
 * and payload, decided with the forest's top class at probability pt;
 * then the expected verdict (ANY: not checked) and reason. fresh: the
 * flow state is cleared first. */
#define ANY (-1)
struct step {
	int fresh, v6;
	const char *dst;
	uint32_t seq;
	uint16_t len;
	unsigned top;
	float pt;
	int verdict;
	int reason;
};

static void run_steps(const struct eg_policy *p, const struct step *s,
		      size_t n)
{
	struct eg_pkt_info pi;
	struct eg_decision d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].fresh)
			memset(&flow, 0, sizeof(flow));
		make_pkt(&pi, s[i].v6, s[i].v6 ? "2001:db8:1::40" :
			 "192.168.86.40", s[i].dst, s[i].seq, s[i].len);
		d = decide(p, &pi, s[i].top, s[i].pt, NULL);
		if (s[i].verdict != ANY)
			CHECK_EQ(d.verdict, s[i].verdict);
		if (s[i].reason != ANY)
			CHECK_EQ(d.reason, s[i].reason);
		if ((s[i].verdict != ANY && (int)d.verdict != s[i].verdict) ||
		    (s[i].reason != ANY && (int)d.reason != s[i].reason))
			fprintf(stderr, "    step %zu (seq %u)\n", i, s[i].seq);
	}
}
#define RUN_STEPS(p, steps) run_steps(p, steps, sizeof(steps) / sizeof(steps[0]))

static void test_classes_and_confidence(void)
{
	struct eg_policy_stats st = { 0 };
	struct eg_pkt_info pi;
	struct eg_decision d;
	struct eg_config c;
	struct eg_policy *p;

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	c.policy.on_drop = EG_ON_DROP_PACKET; /* flow (the default): below */
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));

	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 1000, 200);
	d = decide(p, &pi, I_EXPECTED, 0.9f, &st);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_CLASS_ACCEPT);
	CHECK_EQ(d.cls, EG_CLASS_EXPECTED);
	CHECK_NEAR(d.proba, 0.9, 1e-6);
	CHECK(!d.set_mark);

	/* justified below min_confidence: accepted, said so. */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 1200, 200);
	d = decide(p, &pi, I_JUSTIFIED, 0.45f, &st);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_LOW_CONFIDENCE);
	CHECK_EQ(d.cls, EG_CLASS_JUSTIFIED);
	CHECK_EQ(flow.drops, 0);

	/* not_justified at exactly min_confidence: dropped, range kept. */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 1400, 300);
	d = decide(p, &pi, I_NOT_JUSTIFIED, 0.5f, &st);
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_CLASS_DROP);
	CHECK_EQ(d.would_reason, EG_REASON_CLASS_DROP);
	CHECK(!d.set_mark);                    /* on_drop = packet */
	CHECK_EQ(flow.drops, 1);
	CHECK(eg_flow_drop_overlaps(&flow, 1400, 1700));
	CHECK(!eg_flow_drop_overlaps(&flow, 1700, 1800));

	/* A class the model has but the policy does not know never drops. */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 1700, 100);
	d = decide(p, &pi, I_MYSTERY, 1.0f, &st);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_CLASS_ACCEPT);
	CHECK_EQ(d.cls, -1);

	CHECK_EQ(st.packets, 4);
	CHECK_EQ(st.verdicts[EG_VERDICT_ACCEPT], 3);
	CHECK_EQ(st.verdicts[EG_VERDICT_DROP], 1);
	CHECK_EQ(st.bytes_by_verdict[EG_VERDICT_DROP], 20 + 20 + 300);
	CHECK_EQ(st.bytes, 240 + 240 + 340 + 140);
	CHECK_EQ(st.reasons[EG_REASON_CLASS_ACCEPT], 2);
	CHECK_EQ(st.reasons[EG_REASON_LOW_CONFIDENCE], 1);
	CHECK_EQ(st.reasons[EG_REASON_CLASS_DROP], 1);
	CHECK_EQ(st.classes[EG_CLASS_EXPECTED], 1);
	CHECK_EQ(st.classes[EG_CLASS_JUSTIFIED], 1);
	CHECK_EQ(st.classes[EG_CLASS_NOT_JUSTIFIED], 1);
	CHECK_EQ(st.unclassified, 1);
	eg_policy_free(p);

	/* min_confidence 0 drops any drop-class top; 1 only certainty;
	 * drop_classes decides which classes drop. */
	static const struct { double min_conf; uint32_t drop_classes;
			      size_t n; struct step s[2]; } conf_cases[] = {
		{ 0, 0, 1, { { 1, 0, SRV, 1, 10, I_JUSTIFIED, 0.2f, ANY,
			    EG_REASON_CLASS_DROP } } },
		{ 1, 0, 2, { { 1, 0, SRV, 1, 10, I_JUSTIFIED, 0.99f, ANY,
			    EG_REASON_LOW_CONFIDENCE },
			  { 0, 0, SRV, 1, 10, I_JUSTIFIED, 1.0f, ANY,
			    EG_REASON_CLASS_DROP } } },
		{ 0.5, 1u << EG_CLASS_EXPECTED, 2,
		  { { 1, 0, SRV, 1, 10, I_NOT_JUSTIFIED, 0.9f, ANY,
		      EG_REASON_CLASS_ACCEPT },
		    { 0, 0, SRV, 1, 10, I_EXPECTED, 0.9f, ANY,
		      EG_REASON_CLASS_DROP } } },
	};
	size_t i;

	for (i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++) {
		c.policy.min_confidence = conf_cases[i].min_conf;
		if (conf_cases[i].drop_classes)
			c.policy.drop_classes = conf_cases[i].drop_classes;
		p = make_policy(&c);
		run_steps(p, conf_cases[i].s, conf_cases[i].n);
		eg_policy_free(p);
	}
}

static void test_dropped_ranges(void)
{
	/* A dropped segment's resend is dropped whatever the forest says,
	 * also when it only overlaps (repacketised), and its new tail
	 * [5500, 5800) is remembered too; data after the range goes to the
	 * forest again; a pure ACK with the dropped sequence number is not
	 * payload. Then across the 32-bit sequence wrap. */
	static const struct step remember[] = {
		{ 1, 0, SRV, 5000, 500, I_NOT_JUSTIFIED, 0.9f,
		  EG_VERDICT_DROP, ANY },
		{ 0, 0, SRV, 5000, 500, I_EXPECTED, 0.99f,
		  EG_VERDICT_DROP, EG_REASON_DROPPED_RANGE },
		{ 0, 0, SRV, 5400, 400, I_EXPECTED, 0.99f,
		  ANY, EG_REASON_DROPPED_RANGE },
		{ 0, 0, SRV, 5700, 50, I_EXPECTED, 0.99f,
		  ANY, EG_REASON_DROPPED_RANGE },
		{ 0, 0, SRV, 5800, 100, I_EXPECTED, 0.99f,
		  ANY, EG_REASON_CLASS_ACCEPT },
		{ 0, 0, SRV, 5000, 0, I_NOT_JUSTIFIED, 0.99f,
		  ANY, EG_REASON_CONTROL },
		{ 1, 0, SRV, 0xffffff00u, 0x200, I_JUSTIFIED, 0.9f,
		  EG_VERDICT_DROP, ANY },
		{ 0, 0, SRV, 0x80, 0x10, I_EXPECTED, 0.9f,
		  ANY, EG_REASON_DROPPED_RANGE },
		{ 0, 0, SRV, 0x100, 0x10, I_EXPECTED, 0.9f,
		  ANY, EG_REASON_CLASS_ACCEPT },
	};
	/* remember_drops = false: resends are up to the forest. */
	static const struct step forget[] = {
		{ 1, 0, SRV, 5000, 500, I_NOT_JUSTIFIED, 0.9f,
		  EG_VERDICT_DROP, ANY },
	}, forget_resend[] = {
		{ 0, 0, SRV, 5000, 500, I_EXPECTED, 0.9f,
		  ANY, EG_REASON_CLASS_ACCEPT },
	};
	struct eg_config c;
	struct eg_policy *p;

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	c.policy.on_drop = EG_ON_DROP_PACKET; /* flow (the default): below */
	p = make_policy(&c);
	RUN_STEPS(p, remember);
	eg_policy_free(p);
	c.policy.remember_drops = false;
	p = make_policy(&c);
	RUN_STEPS(p, forget);
	CHECK_EQ(flow.n_drop_ranges, 0);
	RUN_STEPS(p, forget_resend);
	eg_policy_free(p);
}

static void test_on_drop_flow_and_monitor(void)
{
	struct eg_pkt_info pi;
	struct eg_decision d;
	struct eg_config c;
	struct eg_policy *p;

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	CHECK_EQ(c.policy.on_drop, EG_ON_DROP_FLOW); /* the default */
	c.policy.flow_mark = 0xbeef;
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 100, 100);
	CHECK_EQ(decide(p, &pi, I_EXPECTED, 0.9f, NULL).reason,
		 EG_REASON_CLASS_ACCEPT);
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 200, 100);
	d = decide(p, &pi, I_NOT_JUSTIFIED, 0.9f, NULL);
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK(d.set_mark);
	CHECK_EQ(d.mark, 0xbeef);
	/* The rest of the flow is dropped (the rules reset it in the kernel;
	 * a packet that still reaches us is dropped here). */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 300, 0);
	d = decide(p, &pi, I_ACK, 0.9f, NULL);
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_FLOW_DROPPED);
	CHECK(d.set_mark);
	/* Another flow is not affected. */
	{
		struct eg_flow other = { 0 };

		make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 300, 10);
		pi.flow = &other;
		CHECK_EQ(decide(p, &pi, I_EXPECTED, 0.9f, NULL).verdict,
			 EG_VERDICT_ACCEPT);
	}
	eg_policy_free(p);

	/* monitor: decide as enforce would (same flow state), accept all,
	 * never mark. */
	c.policy.mode = EG_MODE_MONITOR;
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));
	{
		struct eg_policy_stats st = { 0 };

		make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 200, 100);
		d = decide(p, &pi, I_NOT_JUSTIFIED, 0.9f, &st);
		CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
		CHECK_EQ(d.reason, EG_REASON_MONITOR);
		CHECK_EQ(d.would_reason, EG_REASON_CLASS_DROP);
		CHECK(!d.set_mark);
		CHECK_EQ(d.cls, EG_CLASS_NOT_JUSTIFIED);
		CHECK_EQ(flow.drops, 1);
		/* Its resend would be dropped by range in enforce. */
		d = decide(p, &pi, I_EXPECTED, 0.9f, &st);
		CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
		CHECK_EQ(d.reason, EG_REASON_MONITOR);
		CHECK_EQ(d.would_reason, EG_REASON_FLOW_DROPPED);
		CHECK(!d.set_mark);
		CHECK_EQ(st.reasons[EG_REASON_MONITOR], 2);
		CHECK_EQ(st.verdicts[EG_VERDICT_DROP], 0);
		CHECK_EQ(st.classes[EG_CLASS_NOT_JUSTIFIED], 1);
		CHECK_EQ(st.classes[EG_CLASS_EXPECTED], 1);
	}
	eg_policy_free(p);
	c.policy.on_drop = EG_ON_DROP_PACKET;
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 200, 100);
	CHECK_EQ(decide(p, &pi, I_NOT_JUSTIFIED, 0.9f, NULL).would_reason,
		 EG_REASON_CLASS_DROP);
	d = decide(p, &pi, I_EXPECTED, 0.9f, NULL);
	CHECK_EQ(d.reason, EG_REASON_MONITOR);
	CHECK_EQ(d.would_reason, EG_REASON_DROPPED_RANGE);
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 300, 100);
	d = decide(p, &pi, I_EXPECTED, 0.9f, NULL);
	CHECK_EQ(d.reason, EG_REASON_CLASS_ACCEPT);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	eg_policy_free(p);
}

static void test_allow_lists(void)
{
	static const struct step cidr_steps[] = {
		{ 0, 0, SRV, 100, 100, I_NOT_JUSTIFIED, 0.99f,
		  EG_VERDICT_ACCEPT, EG_REASON_ALLOW_CIDR },
		{ 0, 0, "52.95.0.1", 100, 100, I_NOT_JUSTIFIED, 0.99f,
		  ANY, EG_REASON_CLASS_DROP },
		{ 1, 1, "2001:db8:aa:1::1", 100, 100, I_NOT_JUSTIFIED, 0.99f,
		  ANY, EG_REASON_ALLOW_CIDR },
		{ 0, 1, "2001:db8:ab::1", 100, 100, I_NOT_JUSTIFIED, 0.99f,
		  ANY, EG_REASON_CLASS_DROP },
	};
	struct eg_pkt_info pi;
	struct eg_decision d;
	struct eg_config c;
	struct eg_policy *p;

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	c.policy.on_drop = EG_ON_DROP_PACKET; /* flow (the default): below */
	CHECK_EQ(eg_cidr_parse("52.94.0.0/16", &c.policy.allow_cidrs[0]), 0);
	CHECK_EQ(eg_cidr_parse("2001:db8:aa::/48", &c.policy.allow_cidrs[1]), 0);
	c.policy.n_allow_cidrs = 2;
	snprintf(c.policy.allow_sni[0], EG_SNI_MAX, "amazon.com");
	snprintf(c.policy.allow_sni[1], EG_SNI_MAX, ".example.org");
	c.policy.n_allow_sni = 2;
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));

	RUN_STEPS(p, cidr_steps);

	/* SNI suffixes match whole labels; a leading dot: subdomains only. */
	static const struct { const char *sni; enum eg_reason want; } cases[] = {
		{ "amazon.com", EG_REASON_ALLOW_SNI },
		{ "device-metrics-us.amazon.com", EG_REASON_ALLOW_SNI },
		{ "xamazon.com", EG_REASON_CLASS_DROP },
		{ "amazon.com.evil.net", EG_REASON_CLASS_DROP },
		{ "a.example.org", EG_REASON_ALLOW_SNI },
		{ "example.org", EG_REASON_CLASS_DROP },
		{ "", EG_REASON_CLASS_DROP },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&flow, 0, sizeof(flow));
		snprintf(flow.sni, sizeof(flow.sni), "%s", cases[i].sni);
		make_pkt(&pi, 0, "192.168.86.40", "203.0.113.5", 100, 100);
		d = decide(p, &pi, I_NOT_JUSTIFIED, 0.99f, NULL);
		CHECK_EQ(d.reason, cases[i].want);
		if (d.reason != cases[i].want)
			fprintf(stderr, "    sni \"%s\"\n", cases[i].sni);
	}
	eg_policy_free(p);
}

static void test_fallback_and_direction(void)
{
	struct eg_policy_stats st = { 0 };
	struct eg_pkt_info pi;
	struct eg_decision d;
	struct eg_config c;
	struct eg_policy *p;
	uint8_t junk[] = { 0x45, 0x00, 0x00 };

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	c.policy.on_drop = EG_ON_DROP_PACKET; /* flow (the default): below */
	p = make_policy(&c);
	memset(&flow, 0, sizeof(flow));

	/* Not sent by the device: accepted, even if the forest says drop. */
	make_pkt(&pi, 0, "52.94.233.1", "192.168.86.40", 100, 100);
	pi.outbound = false;
	d = decide(p, &pi, I_NOT_JUSTIFIED, 0.99f, &st);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_NOT_OUTBOUND);

	/* Control packets: no payload, never dropped by class. */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 100, 0);
	d = decide(p, &pi, I_NOT_JUSTIFIED, 0.99f, &st);
	CHECK_EQ(d.reason, EG_REASON_CONTROL);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);

	/* Payload but no probabilities: the fallback verdict. */
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 100, 10);
	eg_policy_decide(p, &pi, NULL, 0, &st, &d);
	CHECK_EQ(d.reason, EG_REASON_FALLBACK);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.cls, -1);

	/* A packet that did not parse: the fallback verdict too. */
	memset(&pi, 0, sizeof(pi));
	pi.parse_rc = eg_packet_parse_ip(junk, sizeof(junk), &pi.pkt);
	CHECK(pi.parse_rc < 0);
	eg_policy_decide(p, &pi, proba_for(I_NOT_JUSTIFIED, 1.0f),
			 I_NOT_JUSTIFIED, &st, &d);
	CHECK_EQ(d.reason, EG_REASON_FALLBACK);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(st.reasons[EG_REASON_FALLBACK], 2);
	CHECK_EQ(st.unclassified, 2);
	eg_policy_free(p);

	c.daemon.fallback_verdict = EG_VERDICT_DROP;
	p = make_policy(&c);
	eg_policy_decide(p, &pi, NULL, 0, NULL, &d);
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_FALLBACK);
	/* ... which monitor mode turns into accept. */
	eg_policy_free(p);
	c.policy.mode = EG_MODE_MONITOR;
	p = make_policy(&c);
	eg_policy_decide(p, &pi, NULL, 0, NULL, &d);
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_MONITOR);
	CHECK_EQ(d.would_reason, EG_REASON_FALLBACK);
	eg_policy_free(p);

	/* Without a model every payload packet is a fallback. */
	c.policy.mode = EG_MODE_ENFORCE;
	c.daemon.fallback_verdict = EG_VERDICT_ACCEPT;
	{
		char err[128];

		p = NULL;
		CHECK_EQ(eg_policy_new(&c, NULL, &p, err, sizeof(err)), 0);
	}
	memset(&flow, 0, sizeof(flow));
	make_pkt(&pi, 0, "192.168.86.40", "52.94.233.1", 100, 10);
	d = decide(p, &pi, 0, 1.0f, NULL);
	CHECK_EQ(d.reason, EG_REASON_FALLBACK);
	eg_policy_free(p);
}

static void test_names_and_sums(void)
{
	struct eg_policy_stats a = { 0 }, b = { 0 };
	struct eg_config c;
	struct eg_policy *p = NULL;
	char err[128];
	unsigned i, j;

	for (i = 0; i < EG_REASON_COUNT; i++) {
		CHECK(strcmp(eg_reason_name(i), "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(eg_reason_name(i), eg_reason_name(j)) != 0);
	}
	CHECK_STREQ(eg_reason_name(EG_REASON_DROPPED_RANGE), "dropped_range");
	CHECK_STREQ(eg_reason_name(EG_REASON_COUNT), "unknown");
	a.packets = 2;
	a.reasons[EG_REASON_MONITOR] = 1;
	b.packets = 3;
	b.reasons[EG_REASON_MONITOR] = 4;
	b.classes[EG_CLASS_SYN] = 5;
	b.bytes_by_verdict[EG_VERDICT_DROP] = 7;
	eg_policy_stats_add(&a, &b);
	CHECK_EQ(a.packets, 5);
	CHECK_EQ(a.reasons[EG_REASON_MONITOR], 5);
	CHECK_EQ(a.classes[EG_CLASS_SYN], 5);
	CHECK_EQ(a.bytes_by_verdict[EG_VERDICT_DROP], 7);

	eg_config_default(&c);
	c.policy.min_confidence = 0.5; /* the boundary these cases probe */
	c.policy.on_drop = EG_ON_DROP_PACKET; /* flow (the default): below */
	c.policy.min_confidence = 2;
	CHECK_EQ(eg_policy_new_names(&c, names, N_NAMES, &p, err, sizeof(err)),
		 -EINVAL);
	CHECK(p == NULL);
	CHECK(eg_policy_free(NULL) == NULL);
}

int main(void)
{
	test_classes_and_confidence();
	test_dropped_ranges();
	test_on_drop_flow_and_monitor();
	test_allow_lists();
	test_fallback_and_direction();
	test_names_and_sums();
	return eg_test_done();
}
