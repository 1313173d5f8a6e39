/* SPDX-License-Identifier: MIT */
/*
 * policy.h: the verdict for one packet, from the engine's view of it
 * (struct eg_pkt_info), the forest's probabilities and the configuration.
 *
 * The path in the daemon and in `echoguard replay` is the same:
 *   eg_engine_process(engine, ..., eg_mic_get(mic), &pi);
 *   top = eg_forest_predict(forest, pi.features, proba);   (if parsed)
 *   eg_policy_decide(policy, &pi, proba, top, &stats, &d);
 * Rules, in order (first match wins; docs/config.md):
 *   1. parse failed                         -> fallback_verdict   FALLBACK
 *   2. not sent by the device               -> accept             NOT_OUTBOUND
 *   3. destination in allow_cidrs           -> accept             ALLOW_CIDR
 *   4. flow's SNI ends with an allow_sni    -> accept             ALLOW_SNI
 *   5. on_drop=flow and the flow had a drop -> drop               FLOW_DROPPED
 *   6. TCP payload overlapping a dropped
 *      sequence range (remember_drops)      -> drop               DROPPED_RANGE
 *   7. no payload (SYN, ACK, FIN, RST)      -> accept             CONTROL
 *  7a. upload decisions on (upload_packets > 0) and the packet is new
 *      TLS app data from the device on TCP (an upload segment):
 *      a member of a keep-alive series       -> accept             KEEPALIVE
 *      else the upload's decision (upload.h), with this packet as
 *      evidence: undecided                  -> accept             UPLOAD_PENDING
 *                latched or decided allow   -> accept             UPLOAD_ALLOW
 *                latched or decided drop    -> drop               UPLOAD_DROP
 *   8. no probabilities                     -> fallback_verdict   FALLBACK
 *   9. top class not in drop_classes        -> accept             CLASS_ACCEPT
 *  10. its probability < min_confidence     -> accept             LOW_CONFIDENCE
 *  11. otherwise                            -> drop               CLASS_DROP
 * A drop of TCP payload is remembered on the flow (eg_flow_drop_remember),
 * so the retransmission is dropped whatever the forest says of it. In
 * monitor mode every decision, and the flow state it leaves, is the one
 * enforce would make, but a drop becomes accept with reason MONITOR
 * (would_reason keeps the rule that matched) and never sets the mark: the
 * MONITOR count is what enforcing would have dropped.
 *
 * The policy is immutable after eg_policy_new and shared read-only by all
 * threads; counters live in a struct eg_policy_stats per thread. Deciding
 * allocates nothing. Covered by tests/unit/test-policy.c.
 */
#ifndef ECHOGUARD_POLICY_H
#define ECHOGUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/verdict/config.h"
#include "echoguard/engine/engine.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/upload.h"

enum eg_reason {
	EG_REASON_CLASS_ACCEPT = 0,
	EG_REASON_CLASS_DROP,
	EG_REASON_LOW_CONFIDENCE,
	EG_REASON_DROPPED_RANGE,
	EG_REASON_FLOW_DROPPED,
	EG_REASON_ALLOW_CIDR,
	EG_REASON_ALLOW_SNI,
	EG_REASON_CONTROL,
	EG_REASON_NOT_OUTBOUND,
	EG_REASON_FALLBACK,
	EG_REASON_MONITOR,
	EG_REASON_KEEPALIVE,
	EG_REASON_UPLOAD_PENDING,
	EG_REASON_UPLOAD_ALLOW,
	EG_REASON_UPLOAD_DROP,
	EG_REASON_COUNT,
};

struct eg_policy;

struct eg_decision {
	enum eg_verdict verdict;
	enum eg_reason reason;
	enum eg_reason would_reason; /* = reason, except under MONITOR */
	bool set_mark;               /* set the connmark to mark (on_drop=flow) */
	uint32_t mark;
	int cls;                     /* enum eg_class of the forest's top class;
					-1 when not classified or unmapped */
	float proba;                 /* the forest's probability of it */
	/* Upload segments (rule 7a): the upload's decision after this packet
	 * (EG_UPLOAD_NONE for every other packet) and whether it started a
	 * new upload; the upload itself: eg_upload_get(pi->flow, pi->dir). */
	enum eg_upload_decision upload;
	bool upload_started;
};

struct eg_policy_stats {
	uint64_t packets, bytes;                 /* bytes: IP total length */
	uint64_t verdicts[2];                    /* by enum eg_verdict */
	uint64_t bytes_by_verdict[2];
	uint64_t reasons[EG_REASON_COUNT];
	uint64_t classes[EG_CLASS_COUNT];        /* forest's top class */
	uint64_t unclassified;                   /* no class (not parsed etc.) */
	/* Uploads (rule 7a): started, and decided (first allow / first drop
	 * decision of an upload's test, a re-test after muting included). */
	uint64_t uploads, uploads_allowed, uploads_dropped;
	uint64_t upload_leak_bytes;              /* accepted before a drop */
};

/*
 * Build the policy of config c for forest f (may be NULL: then every
 * classified decision is FALLBACK). The forest's class names are mapped to
 * enum eg_class once here; a name that is not a known class never drops.
 * Returns 0, -ENOMEM, or -EINVAL with err naming the problem (a drop class
 * the model does not have is NOT an error). Neither c nor f is referenced
 * after the call.
 */
int eg_policy_new(const struct eg_config *c, const struct eg_forest *f,
		  struct eg_policy **ret, char *err, size_t errlen);
/* The same from the model's class names (forest index i is class_names[i];
 * tests and tools without a loaded forest). */
int eg_policy_new_names(const struct eg_config *c,
			const char *const *class_names, unsigned n_classes,
			struct eg_policy **ret, char *err, size_t errlen);
struct eg_policy *eg_policy_free(struct eg_policy *p);

/*
 * Decide one packet. proba is the forest's output (eg_forest_n_classes
 * floats) and top its return value, or proba NULL when the packet was not
 * classified. May update pi->flow's drop state (enforced drops). Counts
 * into stats (may be NULL). Always fills *ret.
 */
void eg_policy_decide(const struct eg_policy *p, struct eg_pkt_info *pi,
		      const float *proba, unsigned top,
		      struct eg_policy_stats *stats, struct eg_decision *ret);

/* Stable lower-case names ("class_drop", "dropped_range", ...). */
const char *eg_reason_name(enum eg_reason r);

/* Add b's counters into a (the daemon sums its threads). */
void eg_policy_stats_add(struct eg_policy_stats *a,
			 const struct eg_policy_stats *b);

#endif
