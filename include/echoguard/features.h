/* SPDX-License-Identifier: MIT */
/*
 * features.h: the feature schemas, the eight classes, and the per-packet
 * engine that turns a raw packet into a feature vector. This is the one code
 * path shared by echoguardd, `echoguard extract`, `replay` and the tests, so
 * training and serving can never disagree. Every feature is defined exactly
 * in docs/features.md.
 *
 * Feature vectors are float: the CSV writer prints them with "%.9g", which
 * round-trips a float exactly, so a model trained on an extracted CSV sees
 * bit for bit the values the daemon computes.
 *
 * Covered by tests/unit/test-features.c and tests/golden.
 */
#ifndef ECHOGUARD_FEATURES_H
#define ECHOGUARD_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/flow.h"
#include "echoguard/packet.h"

/* The reference paper's eight classes, in its order. */
enum eg_class {
	EG_CLASS_HANDSHAKE = 0,
	EG_CLASS_SYN,            /* the device's periodic keep-alive records */
	EG_CLASS_ACK,
	EG_CLASS_RETRANSMIT,
	EG_CLASS_NOT_RELEVANT,
	EG_CLASS_JUSTIFIED,      /* app data, mic on, nobody spoke */
	EG_CLASS_NOT_JUSTIFIED,  /* app data while muted */
	EG_CLASS_EXPECTED,       /* app data while a person talks to it */
	EG_CLASS_COUNT,
};

/* Wireshark's highest layer, in the paper's encoding. */
enum eg_layer { EG_LAYER_TLS = 0, EG_LAYER_TCP = 1, EG_LAYER_DATA = 2,
		EG_LAYER_HTTP = 3 };

enum eg_sni_class { EG_SNI_UNKNOWN = 0, EG_SNI_VOICE = 1, EG_SNI_METRICS = 2,
		    EG_SNI_OTHER = 3 };

enum eg_feature_set { EG_FEATURES_SEED = 0, EG_FEATURES_FLOW = 1 };

#define EG_FEAT_MAX 32

/* A schema: what a model file carries and what inference checks by name. */
struct eg_schema {
	const char *name;         /* "seed" or "flow" */
	uint32_t version;
	uint32_t n;
	const char *const *names; /* n column names, in vector order */
};

const struct eg_schema *eg_schema_get(enum eg_feature_set set);
/* Look a schema up by name ("seed", "flow"); NULL if unknown. */
const struct eg_schema *eg_schema_find(const char *name);

const char *eg_class_name(enum eg_class c);
/* -EINVAL if unknown; accepts the paper's spellings. */
int eg_class_parse(const char *s);

/* Classify a server name (lower case). */
enum eg_sni_class eg_sni_classify(const char *sni);

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
