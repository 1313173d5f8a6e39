/* SPDX-License-Identifier: MIT */
/*
 * worker.h: one thread per NFQUEUE queue.
 *
 * A worker owns its queue socket (nfq.h) and its engine (flow table); it
 * reads the shared runtime (runtime.h) and gives every packet exactly one
 * verdict: parse, flow, features (eg_engine_process), cached mic state,
 * forest, policy, verdict. When a step cannot be done the policy's fallback
 * verdict applies; when a verdict cannot be sent, the fallback verdict is
 * sent instead. The packet path allocates nothing, logs nothing, makes no
 * syscall but the queue's own. Its counters are private and published to
 * the main thread as a snapshot under a mutex a few times a second.
 * Drop events go to a fixed single-producer ring that the main thread logs
 * (rate limited); when the ring is full the event is counted, not queued.
 */
#ifndef EG_DAEMON_WORKER_H
#define EG_DAEMON_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "echoguard/engine/engine.h"
#include "echoguard/net/flow.h"
#include "echoguard/verdict/policy.h"

#include "events.h"
#include "nfq.h"
#include "runtime.h"

#define EG_DROP_RING 256

struct eg_drop_event {
	uint64_t ts_ns;           /* monotonic */
	uint16_t queue;
	uint8_t ip_version;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t len;             /* IP total length */
	uint32_t seq;
	int cls;                  /* enum eg_class or -1 */
	float proba;
	enum eg_reason reason;
	char sni[64];
};

/* Counters of the worker itself (the queue's are in eg_nfq_counters). */
struct eg_worker_counters {
	uint64_t parse_errors;    /* eg_engine_process failed to parse */
	uint64_t parse_by_error[_EG_PERR_MAX];
	uint64_t unclassified;    /* parsed but the forest was not asked */
	uint64_t fallback_sends;  /* a verdict send failed: fallback sent */
	uint64_t verdict_failures;/* the fallback send failed too */
	uint64_t mark_loops;      /* a marked packet came back: rules missing */
	uint64_t drop_events_lost;/* ring full */
	uint64_t bytes_dropped;
	struct eg_upload_counters uploads; /* closed upload records (events.h) */
};

struct eg_worker_snapshot {
	uint64_t taken_ns;
	struct eg_nfq_counters nfq;
	struct eg_worker_counters w;
	struct eg_policy_stats policy;
	struct eg_flow_stats flows;
};

struct eg_worker {
	/* set by the creator before eg_worker_start */
	uint16_t queue;
	struct eg_runtime *_Atomic *current;   /* the published runtime */
	volatile int *stop;                    /* 1: drain and exit */
	struct eg_nfq_opts nfq_opts;
	struct eg_engine_params engine_params;
	uint32_t recv_timeout_ms;
	int wake_fd;                           /* eventfd: wakes the thread
						  (reload), or -1 */
	uint64_t upload_gap_ns;                /* closes upload records */

	/* owned by the thread */
	pthread_t thread;
	struct eg_nfq *nfq;
	struct eg_engine *engine;
	struct eg_worker_counters wc;
	struct eg_policy_stats ps;
	float proba[EG_MAX_CLASSES];
	uint64_t last_tick_ns;

	/* shared with the main thread */
	uint64_t seen_generation;              /* atomic */
	uint64_t heartbeat_ns;                 /* atomic, monotonic */
	int failed;                            /* atomic: -errno, thread gone */
	pthread_mutex_t snap_lock;
	struct eg_worker_snapshot snap;
	struct eg_drop_event ring[EG_DROP_RING];
	uint32_t ring_head, ring_tail;         /* atomic; head: producer */
	struct eg_upload_log uploads;          /* owned, ring shared (events.h) */
};

/*
 * Open the queue and the engine (in the caller's thread, so errors are
 * reported at start), then start the thread. Returns 0 or -errno with a
 * message in err.
 */
int eg_worker_start(struct eg_worker *w, char *err, size_t errlen);

/* Wait for the thread (after *stop was set) and free what it owns. */
void eg_worker_join(struct eg_worker *w);

/* Copy the last published snapshot. */
void eg_worker_snapshot(struct eg_worker *w, struct eg_worker_snapshot *ret);

/* Pop one drop event; false when the ring is empty. Main thread only. */
bool eg_worker_pop_drop(struct eg_worker *w, struct eg_drop_event *ret);

#endif
