/* SPDX-License-Identifier: MIT */
/*
 * budget.c: the muted leak budget; see budget.h for the contract and
 * docs/security.md for why every payload byte counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/verdict/budget.h"

#define MINUTE_NS 60000000000ull

struct bucket {
	uint64_t tat;                /* atomic: theoretical arrival time, ns */
};

struct eg_budget {
	uint64_t per_minute;         /* bytes; 0 = off */
	bool monitor;                /* [policy] mode = monitor: only count */
	unsigned n_devices;
	uint8_t addr[EG_CONFIG_MAX_DEVICES][16];
	uint8_t version[EG_CONFIG_MAX_DEVICES];
	struct bucket b[EG_CONFIG_MAX_DEVICES + 1];  /* the last: any other */
	struct eg_budget_stats st;   /* atomic counters */
};

int eg_budget_new(const struct eg_config *c, struct eg_budget **ret)
{
	struct eg_budget *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->per_minute = c->policy.muted_budget;
	b->monitor = c->policy.mode == EG_MODE_MONITOR;
	b->n_devices = c->device.n;
	memcpy(b->addr, c->device.addr, sizeof(b->addr));
	memcpy(b->version, c->device.version, sizeof(b->version));
	*ret = b;
	return 0;
}

struct eg_budget *eg_budget_free(struct eg_budget *b)
{
	free(b);
	return NULL;
}

static struct bucket *bucket_of(struct eg_budget *b,
				const struct eg_packet *p)
{
	size_t len = p->ip_version == 6 ? 16 : 4;

	for (unsigned i = 0; i < b->n_devices; i++)
		if (b->version[i] == p->ip_version &&
		    memcmp(b->addr[i], p->src, len) == 0)
			return &b->b[i];
	return &b->b[EG_CONFIG_MAX_DEVICES];
}

/* GCRA: n bytes cost n minutes / per_minute; allowed while the meter is
 * at most a minute ahead of now. A meter that would pass UINT64_MAX
 * refuses (a capture's timestamps come from the sender: the top of the
 * clock must not become a free pass). */
static bool take(struct eg_budget *b, struct bucket *k, uint32_t n,
		 uint64_t now)
{
	uint64_t cost = (uint64_t)n * MINUTE_NS / b->per_minute;
	uint64_t tat = __atomic_load_n(&k->tat, __ATOMIC_RELAXED), next;

	do {
		next = tat > now ? tat : now;
		if (next > UINT64_MAX - cost)
			return false;
		next += cost;
		if (next - now > MINUTE_NS)
			return false;
	} while (!__atomic_compare_exchange_n(&k->tat, &tat, next, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

/* Would enforce let this packet through? (Under monitor the policy says
 * MONITOR exactly for what enforce would drop.) */
static bool accepted(const struct eg_decision *d)
{
	return d->verdict == EG_VERDICT_ACCEPT &&
	       d->reason != EG_REASON_MONITOR;
}

static void recount(struct eg_policy_stats *ps, const struct eg_decision *old,
		    const struct eg_decision *d, uint32_t len)
{
	if (!ps)
		return;
	ps->reasons[old->reason]--;
	ps->reasons[d->reason]++;
	if (old->verdict == d->verdict)
		return;
	ps->verdicts[old->verdict]--;
	ps->verdicts[d->verdict]++;
	ps->bytes_by_verdict[old->verdict] -= len;
	ps->bytes_by_verdict[d->verdict] += len;
}

bool eg_budget_apply(struct eg_budget *b, const struct eg_pkt_info *pi,
		     int mic, uint64_t now_ns, struct eg_decision *d,
		     struct eg_policy_stats *ps)
{
	const struct eg_packet *p = &pi->pkt;
	struct eg_decision old = *d;

	if (!b || b->per_minute == 0 || mic != 0 || pi->parse_rc < 0 ||
	    !pi->outbound || p->payload_len == 0 || !accepted(d) ||
	    d->would_reason == EG_REASON_ALLOW_CIDR)
		return false;
	if (take(b, bucket_of(b, p), p->payload_len, now_ns)) {
		__atomic_add_fetch(&b->st.bytes, p->payload_len, __ATOMIC_RELAXED);
		__atomic_add_fetch(&b->st.packets, 1, __ATOMIC_RELAXED);
		return false;
	}
	__atomic_add_fetch(&b->st.over_bytes, p->payload_len, __ATOMIC_RELAXED);
	__atomic_add_fetch(&b->st.over_packets, 1, __ATOMIC_RELAXED);
	d->would_reason = EG_REASON_BUDGET;
	d->reason = b->monitor ? EG_REASON_MONITOR : EG_REASON_BUDGET;
	if (!b->monitor) {
		d->verdict = EG_VERDICT_DROP;
		d->set_mark = false;
	}
	recount(ps, &old, d, p->ip_total_len);
	return true;
}

void eg_budget_stats_get(const struct eg_budget *b,
			 struct eg_budget_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!b)
		return;
	ret->bytes = __atomic_load_n(&b->st.bytes, __ATOMIC_RELAXED);
	ret->packets = __atomic_load_n(&b->st.packets, __ATOMIC_RELAXED);
	ret->over_bytes = __atomic_load_n(&b->st.over_bytes, __ATOMIC_RELAXED);
	ret->over_packets = __atomic_load_n(&b->st.over_packets,
					    __ATOMIC_RELAXED);
}
