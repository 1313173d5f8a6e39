/* SPDX-License-Identifier: MIT */
/*
 * stats.h: the daemon's totals over all queue threads plus the kernel's own
 * queue counters, turned into a periodic structured journald entry (every
 * field is in docs/journald.md), the sd_notify STATUS line, and the rate
 * limited drop events. Main thread only.
 */
#ifndef EG_DAEMON_STATS_H
#define EG_DAEMON_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/verdict/budget.h"
#include "echoguard/verdict/mic.h"
#include "echoguard/verdict/policy.h"

#include "kstat.h"
#include "worker.h"

struct eg_totals {
	uint64_t uptime_ns;
	unsigned n_queues;
	struct eg_nfq_counters nfq;          /* summed; max_len is the max */
	struct eg_worker_counters w;
	struct eg_policy_stats policy;
	struct eg_flow_stats flows;          /* summed over the tables */
	struct eg_kstat kernel;              /* summed over our queues */
	unsigned kernel_queues_seen;         /* queues with a /proc line */
	struct eg_mic_stats mic;
	struct eg_budget_stats budget;       /* the current runtime's */
	uint64_t generation, reloads, reload_failures;
	uint64_t drop_events_logged, drop_events_suppressed;
	uint64_t upload_events_logged, upload_events_suppressed;
};

/* Sum the workers' snapshots and read the kernel counters. */
void eg_stats_collect(struct eg_worker *w, unsigned n,
		      const struct eg_mic *mic, struct eg_totals *ret);

/* One line of live counts for sd_notify STATUS=. */
void eg_stats_status(const struct eg_totals *t, char *buf, size_t len);

/* Send the periodic structured entry (and its MESSAGE to stderr when
 * logging there). mode/model/queues are echoed for context; model_kind is
 * "learned" or "shipped". */
void eg_stats_journal(const struct eg_totals *t, const char *mode,
		      const char *model, const char *model_kind,
		      const char *queues);

/* Log one drop event at debug priority. */
void eg_stats_drop_event(const struct eg_drop_event *ev);

#endif
