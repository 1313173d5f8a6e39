/* SPDX-License-Identifier: MIT */
/*
 * flow.h: the bidirectional flow table and per-direction TCP state.
 *
 * Open addressing over a power-of-two array sized once at creation; a lookup
 * probes at most max_probe slots. A new flow takes the first free or expired
 * slot in its probe window, else evicts the least recently used flow of that
 * window (counted). Nothing is allocated after eg_flow_table_new.
 *
 * The exact rules: docs/flows-and-tls.md.
 * Covered by tests/unit/test-flow.c and tests/fuzz/fuzz-flowtls.c.
 */
#ifndef ECHOGUARD_FLOW_H
#define ECHOGUARD_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/net/packet.h"
#include "echoguard/net/seq.h"
#include "echoguard/net/tls.h"

#define EG_SNI_MAX 128          /* longer names are cut (and still classed) */
#define EG_RATE_BUCKETS 20      /* sliding windows: 20 buckets ... */
#define EG_RATE_BUCKET_NS 250000000ull /* ... of 250 ms = 5 s */
#define EG_KA_CANDIDATES 4      /* keep-alive series tracked per direction */
#define EG_DROP_RANGES 8        /* dropped sequence ranges remembered per flow */

/* Direction of a packet relative to the flow's first packet. */
enum eg_dir { EG_DIR_FWD = 0, EG_DIR_REV = 1 };

/* How the flow layer sees a TCP segment's payload. */
enum eg_seg_kind {
	EG_SEG_NONE = 0,         /* no payload */
	EG_SEG_NEW,              /* some payload beyond what was sent before */
	EG_SEG_RETRANS,          /* payload entirely at or below snd_max */
	EG_SEG_KEEPALIVE,        /* TCP keep-alive: len <= 1 at snd_max - 1 */
	EG_SEG_ZWP,              /* zero-window probe: 1 byte at snd_max, peer window 0 */
};

/* Bytes and packets per 250 ms bucket, for "last 1 s / 5 s" features. */
struct eg_rate {
	uint64_t head;                       /* bucket number of slot head */
	uint32_t bytes[EG_RATE_BUCKETS];
	uint16_t pkts[EG_RATE_BUCKETS];
	uint8_t pos;
};

/* A candidate periodic series of same-size app-data segments. */
struct eg_ka_series {
	uint32_t size;            /* TCP payload length; 0 = slot unused */
	uint64_t last_ns;         /* last member of the series */
	uint64_t last_any_ns;     /* last segment of this size, member or not */
	uint64_t period_ns;       /* 0 until a first gap >= 5 s was seen */
	uint16_t hits;            /* gaps that matched period_ns */
};

struct eg_flow_dir {
	uint64_t first_ns, last_ns;  /* 0 = no packet yet in this direction */
	uint64_t pkts, bytes;        /* bytes: IP total length */
	uint64_t payload_bytes;
	uint64_t last_app_ns;        /* last TLS app-data segment (new data) */
	uint32_t snd_max;            /* highest seq + len sent (wrap-safe) */
	uint32_t isn;
	bool seq_valid;
	uint8_t wscale;              /* from the SYN, 0 when absent */
	uint16_t window;             /* last raw window advertised */
	uint32_t retrans, keepalives;
	bool fin_seen;               /* a FIN was sent (set by eg_flow_lookup) */
	struct eg_rate rate;
	struct eg_ka_series ka[EG_KA_CANDIDATES];
	struct eg_tls_dir tls;
};

/*
 * The upload in progress on a flow: the device's app-data records bounded
 * by a quiet gap, and the policy's decision about it. Owned by the verdict
 * path (verdict/upload.h defines the rules); the flow layer only zeroes it
 * with the flow. Fixed size, no allocation.
 */
struct eg_upload_state {
	uint64_t first_ns, last_ns;  /* first and latest record; 0 = none yet */
	uint32_t number;             /* uploads started on this flow (1 = first) */
	uint32_t seq_start;          /* sequence number of its first byte */
	uint32_t pkts, bytes;        /* new app-data segments, payload bytes */
	uint32_t pending_bytes;      /* accepted while undecided (since the
					test last (re)started) */
	uint32_t leaked;             /* accepted bytes of an upload decided drop */
	uint32_t dropped_pkts, dropped_bytes;
	float evidence;              /* sum of the scored packets' log-odds */
	uint16_t scored;             /* packets the test has seen */
	uint8_t state;               /* enum eg_upload_decision */
	uint8_t mic;                 /* mic state the test runs under */
	uint8_t mic_start;           /* mic state when the upload started */
	uint8_t muted_seen;          /* a packet of it was sent while muted */
};

/* Normalised key: endpoint a is the smaller (address, port). */
struct eg_flow_key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint8_t proto;
	uint8_t ip_version;
};


struct eg_flow {
	struct eg_flow_key key;
	bool in_use;
	bool fwd_is_a;              /* the first packet's source is key.a */
	bool closed;                /* FIN both ways or RST seen */
	uint8_t sni_class;          /* enum eg_sni_class, features.h */
	uint64_t created_ns, last_ns;
	char sni[EG_SNI_MAX];       /* ClientHello server_name, "" if none */
	struct eg_flow_dir dir[2];
	/* Policy state, owned by the verdict path (policy.h). */
	uint32_t drops;             /* packets dropped on this flow */
	uint8_t n_drop_ranges, drop_pos;
	struct eg_seq_range drop_ranges[EG_DROP_RANGES];
	struct eg_upload_state upload;
};

struct eg_flow_params {
	uint32_t capacity;          /* rounded up to a power of two, >= 16; default 8192 */
	uint32_t max_probe;         /* 1..64; default 8 */
	uint64_t idle_timeout_ns;   /* default 300 s */
	uint64_t closed_timeout_ns; /* after FIN/RST; default 10 s */
	uint64_t hash_seed;         /* 0: random (getrandom) at creation; set
				       it for reproducible slot placement */
};

struct eg_flow_stats {
	uint64_t lookups, hits, created;
	uint64_t evicted_lru;       /* live flows pushed out: table too small */
	uint64_t expired;           /* idle or closed flows whose slot was reused */
	uint32_t active;
	uint32_t capacity;
};

struct eg_flow_table;

/* Defaults for the parameters above. */
void eg_flow_params_default(struct eg_flow_params *p);

/* Allocate a table (the only allocation); -EINVAL on bad params, -ENOMEM. */
int eg_flow_table_new(const struct eg_flow_params *p,
		      struct eg_flow_table **ret);
struct eg_flow_table *eg_flow_table_free(struct eg_flow_table *t);

/*
 * Find or create the flow of a parsed TCP/UDP packet. Returns 0 for an
 * existing flow, 1 for a new one (zeroed, key and timestamps set), -EINVAL
 * when the packet has no ports (parse error, not TCP/UDP or a non-first
 * fragment; *ret untouched). *ret_dir is the packet's direction. Never
 * fails for lack of room: a full probe window loses its least recently
 * used flow (evicted_lru). A matching flow idle past idle_timeout, or a
 * closed one that sees a SYN without ACK, starts afresh (returns 1). FIN
 * (sets dir fin_seen; both ways closes) and RST (closes) are noted here.
 */
int eg_flow_lookup(struct eg_flow_table *t, const struct eg_packet *p,
		   uint64_t now_ns, struct eg_flow **ret, enum eg_dir *ret_dir);

/*
 * Update a flow direction with a TCP segment seen at now_ns: counters, rate
 * buckets, sequence tracking. peer is the other direction (for zero-window
 * probes). Returns the segment's kind. Retransmission rule: a segment whose
 * payload lies entirely at or below the highest sequence already sent in
 * this direction (serial-number arithmetic, RFC 1982). Keep-alives and
 * zero-window probes are reported as such, not as retransmissions.
 * In order (docs/flows-and-tls.md): RST -> NONE (seq state untouched);
 * first segment of the direction initialises snd_max; 0/1 byte at
 * snd_max - 1 without SYN/FIN -> KEEPALIVE; 1 byte at snd_max while the
 * peer's last window is 0 -> ZWP (snd_max kept); SYN and FIN count one
 * sequence number each, so end = seq + len (+1 SYN, +1 FIN) <= snd_max ->
 * RETRANS (a repeated SYN or FIN too); otherwise snd_max = end and NEW
 * (NONE without payload). A pure ACK beyond snd_max moves it to its seq.
 * UDP: counters only, NEW with payload. Does not set last_app_ns.
 */
enum eg_seg_kind eg_flow_update(struct eg_flow_dir *d,
				const struct eg_flow_dir *peer,
				const struct eg_packet *p, uint64_t now_ns);

/* Bytes and packets in the last `buckets` rate buckets up to now_ns. */
void eg_rate_sum(const struct eg_rate *r, uint64_t now_ns, unsigned buckets,
		 uint64_t *ret_bytes, uint64_t *ret_pkts);

/*
 * Keep-alive series detector: feed an app-data segment of payload size
 * `size` at now_ns; returns true when it continues a periodic series of
 * same-size segments on this direction (period >= 5 s, each gap within
 * 5 % or 500 ms of the period, at least two matching gaps, so the third
 * member of a series is the first one reported).
 * Exactly: a segment less than 5 s after the last member of its size, or
 * after the last segment of its size (member or not), is ignored (the
 * series is untouched; a dense stream never forms one). Otherwise it is a
 * member: with no period yet, its gap becomes the period (hits 1); a gap
 * within max(5 %, 500 ms) of the period is a hit (hits + 1, the period
 * moves toward the gap by 1/min(hits, 8)); in an established series
 * (hits >= 2) a segment more than that tolerance early is ignored (an app
 * record of the same size); any other gap restarts the series with that
 * gap as period (hits 1). True when hits >= 2. Up to
 * EG_KA_CANDIDATES sizes are tracked; a new size takes a free slot, else
 * the slot with the fewest hits (a series more than two periods overdue
 * counts as 0), least recently used among equals. size 0 -> false.
 */
bool eg_ka_feed(struct eg_flow_dir *d, uint32_t size, uint64_t now_ns);

/*
 * Remember a dropped range (a ring of EG_DROP_RANGES; a range touching the
 * newest one extends it); answer whether [start,end) shares a byte with
 * one. Wrap-safe for ranges shorter than 2^30; empty ranges never overlap.
 */
void eg_flow_drop_remember(struct eg_flow *f, uint32_t start, uint32_t end);
bool eg_flow_drop_overlaps(const struct eg_flow *f, uint32_t start,
			   uint32_t end);

/*
 * Mark flows idle past the timeouts (idle_timeout, or closed_timeout once
 * closed) as free. Visits at most `budget` slots from where the last call
 * stopped, so housekeeping is bounded. Returns the number expired.
 */
unsigned eg_flow_expire(struct eg_flow_table *t, uint64_t now_ns,
			unsigned budget);

void eg_flow_stats_get(const struct eg_flow_table *t,
		       struct eg_flow_stats *ret);

#endif
