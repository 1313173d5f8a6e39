/* SPDX-License-Identifier: MIT */
/*
 * budget.h: the muted leak budget. Whatever the forest says, while the
 * microphone is muted at most [policy] muted_budget payload bytes a minute
 * leave for each device; past it every outbound packet with payload is
 * dropped (reason EG_REASON_BUDGET). A device that shapes its uploads like
 * keep-alives or ACKs, spreads them over connections, ports, IPv6
 * addresses or an allowed server name still gets at most the budget out.
 *
 * Each device (a [device] address) has one bucket; packets from any other
 * source share one more, so a device hopping addresses gains nothing. A
 * bucket is a GCRA meter (one atomic 64-bit "theoretical arrival time"):
 * a whole minute's budget may go at once, then it refills evenly, so any
 * minute sees at most twice the budget and n minutes at most n + 1 times.
 * Charged: outbound packets with payload that the policy accepts (or would
 * accept, under monitor) while muted, except allow_cidrs (the one allow
 * list the device cannot choose: docs/security.md). A refused packet costs
 * nothing. Shared by every queue thread: lock-free, allocates nothing
 * after eg_budget_new. Covered by tests/unit/test-budget.c.
 */
#ifndef ECHOGUARD_VERDICT_BUDGET_H
#define ECHOGUARD_VERDICT_BUDGET_H

#include <stdint.h>

#include "echoguard/engine/engine.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"

struct eg_budget;

struct eg_budget_stats {
	uint64_t bytes, packets;          /* charged: let through while muted */
	uint64_t over_bytes, over_packets;/* refused (dropped, or would be) */
};

/* A budget for the devices and [policy] muted_budget of c (0: off, every
 * call passes). Returns 0 or -ENOMEM. c is not referenced after. */
int eg_budget_new(const struct eg_config *c, struct eg_budget **ret);
struct eg_budget *eg_budget_free(struct eg_budget *b);

/*
 * After eg_policy_decide: charge packet pi (mic: 1 listening, 0 muted) at
 * now_ns and, when its device's budget is spent, turn an accept into a
 * drop with reason BUDGET (under monitor: would_reason BUDGET, still
 * accepted), moving its count in ps (may be NULL) from the old reason and
 * verdict to the new. Returns true when it changed *d.
 */
bool eg_budget_apply(struct eg_budget *b, const struct eg_pkt_info *pi,
		     int mic, uint64_t now_ns, struct eg_decision *d,
		     struct eg_policy_stats *ps);

void eg_budget_stats_get(const struct eg_budget *b,
			 struct eg_budget_stats *ret);

#endif
