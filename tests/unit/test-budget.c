/* SPDX-License-Identifier: MIT */
/*
 * test-budget.c: the muted leak budget (budget.h) on decisions built as
 * the policy makes them: what is charged and what is not, the refill,
 * per-device buckets, monitor mode, the policy counters moved, extreme
 * timestamps, and the long-run bound (n minutes: at most n + 1 budgets).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/util/util.h"
#include "echoguard/verdict/budget.h"
#include "tap.h"

#define S 1000000000ull

static struct eg_config cfg(uint32_t budget, int monitor)
{
	struct eg_config c;

	eg_config_default(&c);
	c.policy.muted_budget = budget;
	c.policy.mode = monitor ? EG_MODE_MONITOR : EG_MODE_ENFORCE;
	c.device.version[0] = (uint8_t)eg_addr_parse("192.168.86.40",
						     c.device.addr[0]);
	c.device.version[1] = (uint8_t)eg_addr_parse("2001:db8::40",
						     c.device.addr[1]);
	c.device.n = 2;
	return c;
}

static struct eg_pkt_info pkt(const char *src, uint32_t payload)
{
	struct eg_pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.pkt.ip_version = (uint8_t)eg_addr_parse(src, pi.pkt.src);
	pi.pkt.l4_proto = IPPROTO_TCP;
	pi.pkt.payload_len = payload;
	pi.pkt.ip_total_len = 40 + payload;
	pi.outbound = true;
	return pi;
}

static struct eg_decision accepted_as(enum eg_reason r)
{
	struct eg_decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = EG_VERDICT_ACCEPT;
	d.reason = d.would_reason = r;
	return d;
}

/* Send n bytes from src at t muted; true when it passed. */
static bool muted_send(struct eg_budget *b, const char *src, uint32_t n, uint64_t t,
		 struct eg_policy_stats *ps)
{
	struct eg_pkt_info pi = pkt(src, n);
	struct eg_decision d = accepted_as(EG_REASON_CLASS_ACCEPT);

	if (ps) {
		ps->reasons[d.reason]++;
		ps->verdicts[d.verdict]++;
		ps->bytes_by_verdict[d.verdict] += pi.pkt.ip_total_len;
	}
	return !eg_budget_apply(b, &pi, 0, t, &d, ps);
}

static void test_charge(void)
{
	struct eg_config c = cfg(3000, 0);
	struct eg_budget *b = NULL;
	struct eg_policy_stats ps;
	struct eg_budget_stats st;
	struct eg_pkt_info pi;
	struct eg_decision d;
	uint64_t t = 1000 * S;

	memset(&ps, 0, sizeof(ps));
	CHECK_EQ(eg_budget_new(&c, &b), 0);
	CHECK(muted_send(b, "192.168.86.40", 1000, t, &ps));
	CHECK(muted_send(b, "192.168.86.40", 2000, t, &ps));
	CHECK(!muted_send(b, "192.168.86.40", 1, t, &ps));      /* spent */
	CHECK(muted_send(b, "2001:db8::40", 3000, t, &ps));      /* its own */
	CHECK(muted_send(b, "10.0.0.9", 3000, t, &ps));          /* the shared one */
	CHECK(!muted_send(b, "10.0.0.10", 10, t, &ps));          /* ... spent */
	CHECK(!muted_send(b, "192.168.86.40", 1000, t + 19 * S, &ps));
	CHECK(muted_send(b, "192.168.86.40", 1000, t + 20 * S, &ps)); /* refilled */
	CHECK_EQ(ps.reasons[EG_REASON_BUDGET], 3);
	CHECK_EQ(ps.reasons[EG_REASON_CLASS_ACCEPT], 5);
	CHECK_EQ(ps.verdicts[EG_VERDICT_DROP], 3);
	CHECK_EQ(ps.bytes_by_verdict[EG_VERDICT_DROP], 41 + 50 + 1040);
	eg_budget_stats_get(b, &st);
	CHECK_EQ(st.bytes, 1000 + 2000 + 3000 + 3000 + 1000);
	CHECK_EQ(st.over_packets, 3);

	/* Not charged: listening, no payload, inbound, allow_cidrs, drops. */
	pi = pkt("192.168.86.40", 500);
	d = accepted_as(EG_REASON_CLASS_ACCEPT);
	CHECK(!eg_budget_apply(b, &pi, 1, t + 20 * S, &d, NULL));
	d = accepted_as(EG_REASON_ALLOW_CIDR);
	CHECK(!eg_budget_apply(b, &pi, 0, t + 20 * S, &d, NULL));
	d = accepted_as(EG_REASON_CLASS_DROP);
	d.verdict = EG_VERDICT_DROP;
	CHECK(!eg_budget_apply(b, &pi, 0, t + 20 * S, &d, NULL));
	pi.outbound = false;
	d = accepted_as(EG_REASON_NOT_OUTBOUND);
	CHECK(!eg_budget_apply(b, &pi, 0, t + 20 * S, &d, NULL));
	pi = pkt("192.168.86.40", 0);
	d = accepted_as(EG_REASON_CONTROL);
	CHECK(!eg_budget_apply(b, &pi, 0, t + 20 * S, &d, NULL));
	/* allow_sni is charged: the device chooses its name. */
	pi = pkt("192.168.86.40", 500);
	d = accepted_as(EG_REASON_ALLOW_SNI);
	CHECK(eg_budget_apply(b, &pi, 0, t + 20 * S, &d, NULL));
	CHECK_EQ(d.verdict, EG_VERDICT_DROP);
	CHECK_EQ(d.reason, EG_REASON_BUDGET);
	eg_budget_free(b);

	c = cfg(0, 0);                                     /* off */
	CHECK_EQ(eg_budget_new(&c, &b), 0);
	for (int i = 0; i < 100; i++)
		CHECK(muted_send(b, "192.168.86.40", 60000, t, NULL));
	eg_budget_free(b);
}

static void test_monitor(void)
{
	struct eg_config c = cfg(100, 1);
	struct eg_budget *b = NULL;
	struct eg_pkt_info pi = pkt("192.168.86.40", 200);
	struct eg_decision d = accepted_as(EG_REASON_CLASS_ACCEPT);

	CHECK_EQ(eg_budget_new(&c, &b), 0);
	CHECK(eg_budget_apply(b, &pi, 0, 5 * S, &d, NULL));
	CHECK_EQ(d.verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.reason, EG_REASON_MONITOR);
	CHECK_EQ(d.would_reason, EG_REASON_BUDGET);
	/* What monitor reports as a would-be drop is never charged. */
	CHECK(!eg_budget_apply(b, &pi, 0, 5 * S, &d, NULL));
	eg_budget_free(b);
}

/* 10 minutes of 1000 bytes a second: at most 11 budgets pass; then
 * timestamps 0, UINT64_MAX, equal and backwards neither crash nor open
 * the budget up. */
static void test_bound_and_time(void)
{
	struct eg_config c = cfg(3072, 0);
	struct eg_budget *b = NULL;
	struct eg_budget_stats st;
	uint64_t t = 5000 * S, passed = 0;

	CHECK_EQ(eg_budget_new(&c, &b), 0);
	for (int i = 0; i < 600; i++)
		passed += muted_send(b, "192.168.86.40", 1000, t + i * S, NULL) ? 1000 : 0;
	CHECK(passed <= 3072ull * 11);
	CHECK(passed >= 3072ull * 9);
	eg_budget_stats_get(b, &st);
	CHECK_EQ(st.bytes, passed);

	CHECK(!muted_send(b, "192.168.86.40", 1000, 0, NULL));   /* backwards */
	CHECK(muted_send(b, "192.168.86.40", 3000, UINT64_MAX - 70 * S, NULL));
	CHECK(!muted_send(b, "192.168.86.40", 100, UINT64_MAX - 70 * S, NULL));
	CHECK(!muted_send(b, "192.168.86.40", 1, UINT64_MAX, NULL)); /* no free pass */
	CHECK(!muted_send(b, "192.168.86.40", 1, UINT64_MAX, NULL)); /* equal */
	CHECK(!muted_send(b, "192.168.86.40", 100, 7 * S, NULL));
	eg_budget_free(b);
	CHECK(eg_budget_free(NULL) == NULL);
}

int main(void)
{
	test_charge();
	test_monitor();
	test_bound_and_time();
	return eg_test_done();
}
