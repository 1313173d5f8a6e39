/* SPDX-License-Identifier: MIT */
/*
 * label.h: offline labelling of a whole capture with the paper's eight
 * classes (features.h). The engine gives every packet its rule class
 * (handshake, ack, retransmit, not_relevant, or "app data" as
 * EG_CLASS_EXPECTED); labelling then decides, over the whole capture:
 *  - syn: the device's periodic keep-alive records, found by a two-pass
 *    periodicity analysis (never by fixed sizes), see eg_label_apply;
 *  - app data by context: active -> expected, idle -> justified,
 *    muted -> not_justified; or by interaction windows (interactions.csv):
 *    inside [start - margin, end + margin] -> expected, outside -> justified.
 *
 * Allocation only at load time and inside eg_label_apply (a sort buffer);
 * this is offline code, never on the daemon's per-packet path.
 * Covered by tests/unit/test-label.c.
 */
#ifndef ECHOGUARD_LABEL_H
#define ECHOGUARD_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum eg_context {
	EG_CTX_ACTIVE = 0,  /* a person is talking to the device all along */
	EG_CTX_IDLE,        /* microphone on, nobody talking */
	EG_CTX_MUTED,       /* microphone muted */
	EG_CTX_WINDOWS,     /* interaction windows decide (idle outside) */
	EG_CTX_VOICE,       /* voice-shaped uploads decide (offline/voice.h):
			       inside their windows expected, outside
			       justified */
};

/* "active", "idle", "muted", "voice" -> enum; -EINVAL otherwise. */
int eg_context_parse(const char *s);
const char *eg_context_name(enum eg_context c);

/* One interaction: [start, end] in Unix epoch seconds. */
struct eg_window {
	double start, end;
	const char *trace;    /* the row's trace column, NULL when absent
				 (owned by the struct eg_interactions) */
};

/* A parsed interactions file (pcap,start,end,trace,source). */
struct eg_interactions;
struct eg_voice_params;

/*
 * Load an interactions file. The first line must be the header (its first
 * three columns pcap,start,end). Every row needs a non-empty pcap name and
 * start <= end as decimal numbers. On failure returns -EBADMSG (or -errno
 * for I/O) and writes "PATH:LINE: reason" into err (errlen bytes, always
 * terminated); *ret untouched.
 */
int eg_interactions_load(const char *path, struct eg_interactions **ret,
			 char *err, size_t errlen);
struct eg_interactions *eg_interactions_free(struct eg_interactions *in);

/* Number of rows loaded. */
size_t eg_interactions_count(const struct eg_interactions *in);

/*
 * The windows of the capture whose file basename is `basename` (rows match
 * by the basename of their pcap column), sorted by start. Returns how many;
 * *ret points into `in` (valid until it is freed), NULL when none.
 */
size_t eg_interactions_find(const struct eg_interactions *in,
			    const char *basename, const struct eg_window **ret);

/* What labelling needs of one packet (one row of a capture). */
struct eg_label_row {
	uint64_t ts_ns;
	uint64_t flow_id;     /* equal for packets of one flow (any direction) */
	uint32_t size;        /* TCP payload length */
	uint8_t proto_class;  /* the engine's rule class (enum eg_class) */
	bool ka_candidate;    /* outbound, new data, exactly one whole TLS
				 app-data record in the segment */
	bool muted;           /* sent while the microphone was muted: its app
				 data is not_justified whatever the context */
	uint8_t label;        /* out: the final class */
};

struct eg_label_params {
	enum eg_context ctx;
	const struct eg_window *windows; /* EG_CTX_WINDOWS: sorted by start */
	size_t n_windows;
	double margin;                   /* seconds added to both window ends */
	const struct eg_voice_params *voice; /* EG_CTX_VOICE; NULL: defaults */
	double ka_min_period;            /* s; default 5 */
	unsigned ka_min_members;         /* default 3 */
};

void eg_label_params_default(struct eg_label_params *p);

/*
 * Label a capture's rows (in capture order). Pass one: group the keep-alive
 * candidates by (flow, size); in every group of at least ka_min_members,
 * take the period P as the median of the consecutive gaps >= ka_min_period
 * and chain members whose gap to the previous chain member is P within
 * max(2 % of P, 0.25 s) (or 2P within twice that: one lost member), with
 * at most 2 other members of the group between two chain members (a burst
 * of same-size records is not a series). Chains of at least ka_min_members
 * of which at least a third are quiet (no other app data of the flow
 * within 0.5 s: requests repeated at a steady pace also give periodic
 * same-size records, but inside bursts) are series: all their members, the
 * first two included, become syn. Pass two: every other row takes its
 * rule class, app data (EG_CLASS_EXPECTED) its context class, or
 * not_justified when the row was sent muted. Under EG_CTX_VOICE the
 * windows are found first (eg_voice_windows). Returns the
 * number of syn rows, or -ENOMEM / -EINVAL.
 */
int eg_label_apply(const struct eg_label_params *p, struct eg_label_row *rows,
		   size_t n);

#endif
