/* SPDX-License-Identifier: MIT */
/*
 * upload.h: upload-level verdicts. An upload is the device's new TLS
 * app-data segments on one TCP connection, bounded by a quiet gap: a
 * segment more than gap after the previous one of its flow starts the
 * next upload. The policy decides once per upload, from the evidence of
 * its first packets, and then latches (docs/uploads.md):
 *
 *   evidence = sum over the scored packets of clamp(ln(p / (1 - p)), +-4)
 *              p = the forest's probability of the drop classes together
 *   listening: drop  as soon as evidence >= drop_evidence and at least
 *              min_drop packets were scored (one confident packet
 *              never decides drop alone),
 *              allow as soon as evidence <= -drop_evidence, or when
 *              max(packets, min_drop) packets were scored without a
 *              drop;
 *   muted:     drop  as soon as evidence >= muted_evidence (ln of the
 *              odds of min_confidence: one confident packet), allow only
 *              on evidence <= -drop_evidence; otherwise keep testing.
 * While undecided (PENDING) its packets are accepted; if it is then
 * decided drop, those bytes are its leak. Latched:
 *   - ALLOW is never holed (its later packets are accepted whatever the
 *     forest says of them), until the microphone is muted: muting reopens
 *     the test on the next packet, under the muted thresholds;
 *   - DROP drops every later packet of it (and, through the flow's
 *     dropped ranges, their retransmissions); unmuting does not release
 *     it: only the next upload (after a quiet gap) is decided afresh.
 *
 * The state lives inside the flow (struct eg_upload_state, net/flow.h):
 * fixed size, no allocation, O(1) per packet. struct eg_upload is the
 * record of one upload for reports and logs.
 * Covered by tests/unit/test-upload.c.
 */
#ifndef ECHOGUARD_VERDICT_UPLOAD_H
#define ECHOGUARD_VERDICT_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "echoguard/net/flow.h"

/* A whole TLS app-data record of at most this many TCP payload bytes that
 * comes more than gap after the flow's last upload segment is not an
 * upload (policy.h rule 7a: keep-alives before their series is known,
 * short control records); see eg_upload_short. */
#define EG_UPLOAD_SHORT_RECORD 64

enum eg_upload_decision {
	EG_UPLOAD_NONE = 0,      /* no upload yet on the flow */
	EG_UPLOAD_PENDING,       /* the test has not decided: accept */
	EG_UPLOAD_ALLOW,         /* latched allow */
	EG_UPLOAD_DROP,          /* latched drop */
	EG_UPLOAD_DECISION_COUNT,
};

struct eg_upload_params {
	uint64_t gap_ns;         /* quiet gap that ends an upload; 1 s */
	unsigned packets;        /* listening: allow after this many scored
				    packets without a drop; 0 = upload
				    decisions off (per-packet policy) */
	float drop_evidence;     /* listening threshold (log-odds); 3.0 */
	unsigned min_drop;       /* listening: scored packets a drop needs
				    at least; 2 (upload_min_drop) */
	float muted_evidence;    /* muted drop threshold (log-odds); the
				    policy sets ln(mc / (1 - mc)) from
				    min_confidence mc */
};

/* The record of one upload (replay's report, logs, status). */
struct eg_upload {
	uint8_t ip_version;
	uint8_t device[16], server[16];
	uint16_t device_port, server_port;
	char sni[EG_SNI_MAX];
	uint32_t number;                   /* per flow, from 1 */
	uint64_t first_ns, last_ns;
	uint32_t pkts, bytes;              /* new app-data segments, payload */
	uint32_t dropped_pkts, dropped_bytes;
	uint32_t leaked;                   /* payload accepted before a drop */
	float evidence;
	unsigned scored;
	bool mic_start;                    /* listening when it started */
	bool muted_seen;                   /* a packet of it sent while muted */
	enum eg_upload_decision decision;
};

/* The documented defaults (upload decisions on). */
void eg_upload_params_default(struct eg_upload_params *p);

/* One packet's log-odds: ln(p / (1 - p)) clamped to [-4, 4]. */
float eg_upload_llr(float p_drop);

/*
 * One new app-data segment of the flow's upload (len payload bytes at
 * seq, sent at ts_ns with microphone mic). p_drop is the forest's
 * probability of the drop classes, or < 0 when the packet was not scored
 * (it then only extends the upload). Starts the next upload after a quiet
 * gap, applies the mute rules, runs the test, counts the packet as
 * accepted (PENDING, ALLOW) or dropped (DROP) and returns the decision
 * that applies to this packet. *ret_started (may be NULL) says whether
 * this packet started a new upload.
 */
enum eg_upload_decision eg_upload_step(const struct eg_upload_params *p,
				       struct eg_upload_state *u,
				       uint64_t ts_ns, int mic, uint32_t seq,
				       uint32_t len, float p_drop,
				       bool *ret_started);

/*
 * A segment holding exactly one whole TLS app-data record of len payload
 * bytes at ts_ns: true when it is a short record outside any upload (len
 * <= EG_UPLOAD_SHORT_RECORD, more than gap after the flow's last upload
 * segment or no upload yet, and more than gap after the last short record
 * let through), which is then remembered: short records pass at most one
 * per gap and flow outside the uploads' decisions; the others are upload
 * segments like any. inside: it may also come within an upload (the
 * policy says so for a keep-alive series member, or a record the forest
 * does not put in a drop class); still short and at most one per gap (a
 * periodic upload of same-size records forms a "series" too).
 */
bool eg_upload_short(const struct eg_upload_params *p,
		     struct eg_upload_state *u, uint64_t ts_ns, uint32_t len,
		     bool inside);

/* The record of f's current (or last) upload; dev is the device's
 * direction of the flow (the direction its app data was sent in). */
void eg_upload_get(const struct eg_flow *f, enum eg_dir dev,
		   struct eg_upload *ret);

/* "none", "pending", "allow", "drop". */
const char *eg_upload_decision_name(enum eg_upload_decision d);

#endif
