/* SPDX-License-Identifier: MIT */
/*
 * features.h: the feature schemas and the function that fills a feature
 * vector. Every feature is defined exactly in docs/features.md.
 *
 * Feature vectors are float: the CSV writer prints them with "%.9g", which
 * round-trips a float exactly, so a model trained on an extracted CSV sees
 * bit for bit the values the daemon computes.
 *
 * Covered by tests/unit/test-features.c and tests/golden.
 */
#ifndef ECHOGUARD_ENGINE_FEATURES_H
#define ECHOGUARD_ENGINE_FEATURES_H

#include <stdint.h>

#include "echoguard/util/schema.h"

/* Wireshark's highest layer, in the paper's encoding. */
enum eg_layer { EG_LAYER_TLS = 0, EG_LAYER_TCP = 1, EG_LAYER_DATA = 2,
		EG_LAYER_HTTP = 3 };

enum eg_feature_set { EG_FEATURES_SEED = 0, EG_FEATURES_FLOW = 1,
		      EG_FEATURES_SHAPE = 2 };

#define EG_FEAT_MAX 32

const struct eg_schema *eg_schema_get(enum eg_feature_set set);
/* Look a schema up by name ("seed", "flow", "shape"); NULL if unknown. */
const struct eg_schema *eg_schema_find(const char *name);
/* The feature set of a schema name; -ENOENT (*ret untouched) if unknown. */
int eg_feature_set_find(const char *name, enum eg_feature_set *ret);

struct eg_pkt_info;

/*
 * Fill ri->features and ri->n_features for the schema of set from what the
 * engine put in ri (packet, flow, TLS state) at time ts_ns, with the
 * microphone state mic (1 listening, 0 muted) and the seconds since the
 * device's last app data on any flow and on this flow. Allocates nothing.
 */
void eg_features_fill(const struct eg_schema *schema,
		      enum eg_feature_set set, struct eg_pkt_info *ri,
		      uint64_t ts_ns, int mic, double since_any,
		      double since_flow);

/* Seconds from earlier to later; 0 when later is not after earlier. */
static inline double eg_ns_to_s(uint64_t later, uint64_t earlier)
{
	if (later <= earlier)
		return 0.0;
	return (double)(later - earlier) / 1e9;
}

#endif
