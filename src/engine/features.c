/* SPDX-License-Identifier: MIT */
/*
 * features.c: the feature schemas and the one function that fills a
 * packet's feature vector from what the engine learnt about it. Every
 * feature is defined in docs/features.md; keep the two in step. Covered by
 * tests/unit/test-features.c and the golden tests.
 */
#include <netinet/in.h>
#include <string.h>

#include "echoguard/engine/engine.h"

static const char *const seed_names[] = {
	"length", "dstport", "highest_layer", "delta", "ack_flag",
	"microphone", "content_type",
};

static const char *const flow_names[] = {
	"length", "dstport", "highest_layer", "delta", "ack_flag",
	"microphone", "content_type",
	"out_bytes_1s", "out_pkts_1s", "out_bytes_5s", "out_pkts_5s",
	"in_bytes_1s", "in_bytes_5s", "flow_age", "since_app_any",
	"since_app_flow", "sni_class", "tcp_window", "ttl", "retrans",
	"ka_series", "n_records", "psh_flag",
};

#define N_SEED (sizeof(seed_names) / sizeof(seed_names[0]))
#define N_FLOW (sizeof(flow_names) / sizeof(flow_names[0]))

static const struct eg_schema schemas[] = {
	[EG_FEATURES_SEED] = { "seed", 1, N_SEED, seed_names },
	[EG_FEATURES_FLOW] = { "flow", 1, N_FLOW, flow_names },
};

_Static_assert(N_FLOW <= EG_FEAT_MAX, "flow schema exceeds EG_FEAT_MAX");

/* The schema of a feature set; NULL for an unknown set. */
const struct eg_schema *eg_schema_get(enum eg_feature_set set)
{
	if ((unsigned)set >= sizeof(schemas) / sizeof(schemas[0]))
		return NULL;
	return &schemas[set];
}

/* Look a schema up by name; NULL if unknown. */
const struct eg_schema *eg_schema_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (!strcmp(schemas[i].name, name))
			return &schemas[i];
	return NULL;
}

/*
 * The feature vector of one packet: the seven seed features, then (flow set)
 * rates, times, flow context and TCP/TLS shape. since_any and since_flow are
 * the seconds since the device's last app data on any flow and on this one.
 */
void eg_features_fill(const struct eg_schema *schema,
		      enum eg_feature_set set, struct eg_pkt_info *ri,
		      uint64_t ts_ns, int mic, double since_any,
		      double since_flow)
{
	const struct eg_packet *pkt = &ri->pkt;
	float *x = ri->features;
	uint64_t ob1 = 0, op1 = 0, ob5 = 0, op5 = 0, ib1 = 0, ip1 = 0, ib5 = 0,
		 ip5 = 0;
	bool tcp = pkt->l4_proto == IPPROTO_TCP && ri->parse_rc >= 0;

	x[0] = (float)(ri->parse_rc >= 0 ? pkt->payload_len : 0);
	x[1] = (float)pkt->dport;
	x[2] = (float)ri->layer;
	x[3] = (float)ri->delta;
	x[4] = (float)(tcp && (pkt->tcp_flags & EG_TCP_ACK) ? 1 : 0);
	x[5] = (float)(mic ? 1 : 0);
	x[6] = (float)ri->content_type;
	ri->n_features = schema->n;
	if (set != EG_FEATURES_FLOW)
		return;
	if (ri->flow) {
		const struct eg_flow_dir *od, *id;
		enum eg_dir odir = ri->outbound ? ri->dir : (enum eg_dir)!ri->dir;

		od = &ri->flow->dir[odir];
		id = &ri->flow->dir[!odir];
		eg_rate_sum(&od->rate, ts_ns, 4, &ob1, &op1);
		eg_rate_sum(&od->rate, ts_ns, EG_RATE_BUCKETS, &ob5, &op5);
		eg_rate_sum(&id->rate, ts_ns, 4, &ib1, &ip1);
		eg_rate_sum(&id->rate, ts_ns, EG_RATE_BUCKETS, &ib5, &ip5);
	}
	x[7] = (float)ob1;
	x[8] = (float)op1;
	x[9] = (float)ob5;
	x[10] = (float)op5;
	x[11] = (float)ib1;
	x[12] = (float)ib5;
	x[13] = (float)(ri->flow ? eg_ns_to_s(ts_ns, ri->flow->created_ns) : 0.0);
	x[14] = (float)since_any;
	x[15] = (float)since_flow;
	x[16] = (float)(ri->flow ? ri->flow->sni_class : EG_SNI_UNKNOWN);
	x[17] = (float)(tcp ? pkt->window : 0);
	x[18] = (float)pkt->ttl;
	x[19] = (float)(ri->seg == EG_SEG_RETRANS ? 1 : 0);
	x[20] = (float)(ri->keepalive_series ? 1 : 0);
	x[21] = (float)ri->n_records;
	x[22] = (float)(tcp && (pkt->tcp_flags & EG_TCP_PSH) ? 1 : 0);
}
