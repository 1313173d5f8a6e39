/* SPDX-License-Identifier: MIT */
/*
 * engine.h: the per-packet engine that turns a raw packet into a feature
 * vector. This is the one code path shared by echoguardd, `echoguard
 * extract`, `replay` and the tests, so training and serving can never
 * disagree.
 *
 * Covered by tests/unit/test-features.c and tests/golden.
 */
#ifndef ECHOGUARD_ENGINE_ENGINE_H
#define ECHOGUARD_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/engine/classes.h"
#include "echoguard/engine/features.h"
#include "echoguard/net/flow.h"
#include "echoguard/net/packet.h"
#include "echoguard/net/sni.h"

/*
 * The engine: a flow table plus device-wide state. One per thread (the
 * daemon runs one per queue); the model is shared read-only elsewhere.
 */
struct eg_engine;

struct eg_engine_params {
	struct eg_flow_params flow;
	enum eg_feature_set features;
	/* Device addresses (16-byte form, see eg_addr_parse); a packet whose
	 * source is one of them is outbound. Zero devices: every packet is
	 * treated as outbound (the daemon's queue only carries the device's
	 * packets). */
	uint8_t devices[8][16];
	uint8_t device_version[8];
	unsigned n_devices;
};

void eg_engine_params_default(struct eg_engine_params *p);
int eg_engine_new(const struct eg_engine_params *p, struct eg_engine **ret);
struct eg_engine *eg_engine_free(struct eg_engine *e);

/* Everything the engine learnt about one packet. */
struct eg_pkt_info {
	int parse_rc;               /* eg_packet_parse_* result */
	struct eg_packet pkt;
	struct eg_flow *flow;       /* NULL when not TCP/UDP or not parsed */
	enum eg_dir dir;
	bool outbound;              /* sent by a device */
	enum eg_seg_kind seg;
	uint8_t content_type;       /* TLS type of the first payload byte's record */
	uint8_t n_records;          /* TLS headers starting in the segment */
	bool tls_synced;
	enum eg_layer layer;
	bool keepalive_series;      /* eg_ka_feed said yes (online) */
	bool ka_candidate;          /* outbound new data that is exactly one
				       whole TLS app-data record: what the
				       keep-alive detectors look at */
	double delta;               /* s since previous packet, same flow+dir; 0 first */
	enum eg_class proto_class;  /* rule class: handshake/ack/retransmit/
				       not_relevant, or EG_CLASS_EXPECTED for
				       "app data, context decides" */
	uint64_t ts_ns;             /* the ts_ns given to eg_engine_process */
	int8_t mic;                 /* the mic given: 1 listening, 0 muted */
	uint32_t n_features;
	float features[EG_FEAT_MAX];
};

/*
 * The per-packet path: parse (link type, or EG_LINK_RAW for NFQUEUE), flow
 * lookup and update, TLS tracking, SNI, features. mic is 1 listening, 0
 * muted. ts_ns is capture time offline, a monotonic clock in the daemon.
 * Never allocates, always fills *ret. Returns the parse result (0 or -errno):
 * a failed parse still yields a not_relevant record with features.
 */
int eg_engine_process(struct eg_engine *e, int linktype, const uint8_t *buf,
		      size_t caplen, size_t wirelen, uint64_t ts_ns, int mic,
		      struct eg_pkt_info *ret);

/* Bounded housekeeping (flow expiry); call from the idle loop. */
void eg_engine_tick(struct eg_engine *e, uint64_t now_ns);

const struct eg_schema *eg_engine_schema(const struct eg_engine *e);
struct eg_flow_table *eg_engine_flows(struct eg_engine *e);

#endif
