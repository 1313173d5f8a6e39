/* SPDX-License-Identifier: MIT */
/*
 * events.h: the owner's journal events (docs/journald.md): one entry per
 * upload decision worth a look (blocked, allowed after doubt), the daemon's
 * start and reloads (mode, fail mode, model), and microphone changes.
 * `echoguard status` and `echoguard report` read them back.
 *
 * Uploads: a queue thread opens a record when one of its uploads is
 * decided (allow or drop; verdict/upload.h), refreshes it with every later
 * segment of that upload, and closes it when the upload ends (a quiet gap
 * of upload_gap, the next upload on the flow, or the thread's exit). A
 * closed record adds its bytes to the thread's counters (allowed, blocked)
 * and, when blocked or allowed after doubt, goes to a fixed
 * single-producer ring that the main thread writes to the journal through
 * a token bucket (the rest counted). Fixed arrays, no allocation; a full
 * table closes the record at once (its bytes so far).
 */
#ifndef EG_DAEMON_EVENTS_H
#define EG_DAEMON_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "echoguard/engine/engine.h"
#include "echoguard/verdict/policy.h"
#include "echoguard/verdict/upload.h"

#define EG_UPLOAD_OPEN 32         /* decided uploads followed at once */
#define EG_UPLOAD_RING 64         /* closed records waiting for the journal */
#define EG_UPLOAD_EVENT_RATE 20   /* upload events per second (and burst) */

struct eg_upload_event {
	struct eg_upload up;      /* the record as last seen */
	uint64_t decided_ns;      /* monotonic */
	bool doubt;               /* allowed without confident evidence */
	bool cut;                 /* closed early (table full): bytes so far */
	uint16_t queue;
};

/* Counters of one thread (summed into the statistics entry). */
struct eg_upload_counters {
	uint64_t closed;          /* decided uploads closed */
	uint64_t bytes_allowed;   /* payload bytes of uploads decided allow */
	uint64_t bytes_blocked;   /* payload bytes dropped by upload drops */
	uint64_t events_lost;     /* ring full */
};

struct eg_upload_log {
	struct {
		const struct eg_flow *flow;
		struct eg_upload_event ev;
	} open[EG_UPLOAD_OPEN];
	unsigned n_open;
	uint16_t queue;
	float doubt_evidence;     /* allow with evidence above -this: doubt */
	struct eg_upload_event ring[EG_UPLOAD_RING];
	uint32_t head, tail;      /* atomic; head: the queue thread */
};

/* Queue thread: after eg_policy_decide of an upload segment. */
void eg_events_upload_packet(struct eg_upload_log *l,
			     struct eg_upload_counters *c,
			     const struct eg_pkt_info *pi,
			     const struct eg_decision *d, uint64_t now);

/* Queue thread, housekeeping: close uploads quiet for more than gap_ns
 * (every open one when gap_ns is 0: at exit). */
void eg_events_upload_tick(struct eg_upload_log *l,
			   struct eg_upload_counters *c, uint64_t now,
			   uint64_t gap_ns);

/* Main thread: pop one closed record; false when none. */
bool eg_events_upload_pop(struct eg_upload_log *l, struct eg_upload_event *ret);

/* Main thread: a token bucket of EG_UPLOAD_EVENT_RATE per second. */
struct eg_event_bucket {
	double tokens;
	uint64_t last_ns;
	uint64_t logged, suppressed;
};

/* Write ev to the journal if the bucket has a token (else count it);
 * mic is the microphone state now, mode "enforce" or "monitor". */
void eg_events_upload_journal(struct eg_event_bucket *b,
			      const struct eg_upload_event *ev,
			      const char *mode, uint64_t now);

/* The start (what = "start") or a reload ("reload") entry: mode, fail
 * mode, model (path, learned or shipped, trees, CRC-32 of the file, why a
 * learned file was not used), queues, mic state. */
struct eg_events_run {
	const char *what, *mode, *fail, *model, *queues, *version;
	const char *model_kind, *model_fallback;   /* fallback: "" or why */
	unsigned trees;
	int mic;
	unsigned stats_interval;
};
void eg_events_run(const struct eg_events_run *r);

/* A refused reload (EG_EVENT=reload_failed, EG_ERROR=why): the running
 * configuration and model stay. */
void eg_events_reload_failed(const char *why);

/* A microphone change (EG_EVENT=mic). */
void eg_events_mic(int state);

#endif
