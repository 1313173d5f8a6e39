/* SPDX-License-Identifier: MIT */
/*
 * features.c: the feature schemas and the one function that fills a
 * packet's feature vector from what the engine learnt about it. Every
 * feature is defined in docs/features.md; keep the two in step. Covered by
 * tests/unit/test-features.c and the golden tests.
 */
#include <errno.h>
#include <math.h>
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

/* No absolute size, port, server name, TTL or window: what carries from
 * one Echo to another (docs/features.md "Feature set shape"). */
static const char *const shape_names[] = {
	"highest_layer", "delta", "ack_flag", "microphone", "content_type",
	"out_pkts_1s", "out_pkts_5s", "flow_age", "since_app_any",
	"since_app_flow", "retrans", "ka_series", "psh_flag", "rel_size",
	"fill", "run_len", "run_gap", "gap_reg", "rate_rel", "balance",
};

#define N_SEED (sizeof(seed_names) / sizeof(seed_names[0]))
#define N_FLOW (sizeof(flow_names) / sizeof(flow_names[0]))
#define N_SHAPE (sizeof(shape_names) / sizeof(shape_names[0]))

static const struct eg_schema schemas[] = {
	[EG_FEATURES_SEED] = { "seed", 1, N_SEED, seed_names },
	[EG_FEATURES_FLOW] = { "flow", 1, N_FLOW, flow_names },
	[EG_FEATURES_SHAPE] = { "shape", 1, N_SHAPE, shape_names },
};

_Static_assert(N_FLOW <= EG_FEAT_MAX, "flow schema exceeds EG_FEAT_MAX");
_Static_assert(N_SHAPE <= EG_FEAT_MAX, "shape schema exceeds EG_FEAT_MAX");

/* Shape state: see docs/features.md "Feature set shape". */
#define RUN_GAP_NS 1000000000ull  /* a run ends after 1 s without a member */
#define RUN_MAX 255               /* run_len is capped there */
#define RUN_INTERLOPERS 2         /* other sizes an established run survives */
#define TYP_WEIGHT 0.125f         /* moving average of app-data sizes */
#define GAP_WEIGHT 0.25f          /* moving mean gap and deviation */
#define REL_CAP 64.0f
#define GAP_REG_CAP 8.0f

/* The schema of a feature set; NULL for an unknown set. */
const struct eg_schema *eg_schema_get(enum eg_feature_set set)
{
	if ((unsigned)set >= sizeof(schemas) / sizeof(schemas[0]))
		return NULL;
	return &schemas[set];
}

/* The feature set of a schema name; -ENOENT if unknown. */
int eg_feature_set_find(const char *name, enum eg_feature_set *ret)
{
	size_t i;

	for (i = 0; name && i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (!strcmp(schemas[i].name, name)) {
			*ret = (enum eg_feature_set)i;
			return 0;
		}
	return -ENOENT;
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
 * Feed an outbound segment of new app data (payload len at ts_ns) to the
 * shape state; *ret_rel is its size relative to the typical one before it.
 * Returns its position in the run of same-size segments (1: a new run), or
 * 0 for a segment of another size inside an established run (at least 3
 * members, last one within RUN_GAP_NS), which that run survives up to
 * RUN_INTERLOPERS times in a row.
 */
static unsigned shape_update(struct eg_shape_state *st, uint32_t len,
			     uint64_t ts_ns, float *ret_rel)
{
	float typ = st->typ_size, flen = (float)len;
	bool recent = st->run_len && ts_ns >= st->run_last_ns &&
		      ts_ns - st->run_last_ns <= RUN_GAP_NS;

	*ret_rel = typ > 0 ? fminf(flen / typ, REL_CAP) : 1.0f;
	st->typ_size = typ > 0 ? typ + (flen - typ) * TYP_WEIGHT : flen;
	if (len > st->max_payload)
		st->max_payload = len;
	if (recent && len == st->run_size) {
		float gap = (float)eg_ns_to_s(ts_ns, st->run_last_ns);

		if (st->run_len == 1) {
			st->gap_mean = gap;
			st->gap_dev = 0;
		} else {
			st->gap_dev += (fabsf(gap - st->gap_mean) - st->gap_dev) *
				       GAP_WEIGHT;
			st->gap_mean += (gap - st->gap_mean) * GAP_WEIGHT;
		}
		if (st->run_len < RUN_MAX)
			st->run_len++;
		st->run_last_ns = ts_ns;
		st->interlopers = 0;
		return st->run_len;
	}
	if (recent && st->run_len >= 3 && st->interlopers < RUN_INTERLOPERS) {
		st->interlopers++;
		return 0;
	}
	st->run_size = len;
	st->run_len = 1;
	st->gap_mean = st->gap_dev = 0;
	st->run_last_ns = ts_ns;
	st->interlopers = 0;
	return 1;
}

/* a / b, or dflt when b is 0 */
static float ratio(double a, double b, float dflt)
{
	return b > 0 ? (float)(a / b) : dflt;
}

/*
 * The shape set: no absolute size, port, server name, TTL or window. The
 * device direction's shape state is updated here, by outbound segments of
 * new app data, so only engines of this set keep it.
 */
static void fill_shape(struct eg_pkt_info *ri, uint64_t ts_ns, int mic,
		       double since_any, double since_flow)
{
	const struct eg_packet *pkt = &ri->pkt;
	float *x = ri->features, rel = 0, fill = 0, run_gap = 0, gap_reg = -1;
	uint64_t ob1 = 0, op1 = 0, ob5 = 0, op5 = 0, ib5 = 0, ip5 = 0;
	bool tcp = pkt->l4_proto == IPPROTO_TCP && ri->parse_rc >= 0;
	uint32_t len = ri->parse_rc >= 0 ? pkt->payload_len : 0;
	unsigned run = 0;

	if (ri->flow) {
		enum eg_dir odir = ri->outbound ? ri->dir : (enum eg_dir)!ri->dir;
		struct eg_flow_dir *od = &ri->flow->dir[odir];
		struct eg_shape_state *st = &od->shape;

		eg_rate_sum(&od->rate, ts_ns, 4, &ob1, &op1);
		eg_rate_sum(&od->rate, ts_ns, EG_RATE_BUCKETS, &ob5, &op5);
		eg_rate_sum(&ri->flow->dir[!odir].rate, ts_ns, EG_RATE_BUCKETS,
			    &ib5, &ip5);
		if (ri->outbound && tcp && len && ri->seg == EG_SEG_NEW &&
		    ri->content_type == EG_TLS_APPLICATION_DATA) {
			run = shape_update(st, len, ts_ns, &rel);
			if (run >= 2)
				run_gap = st->gap_mean;
			if (run >= 3)
				gap_reg = fminf(ratio(st->gap_dev, st->gap_mean,
						      0), GAP_REG_CAP);
		} else if (ri->outbound && len) {
			rel = fminf(ratio(len, st->typ_size, 1.0f), REL_CAP);
		}
		if (ri->outbound && len)
			fill = ratio(len, st->max_payload > len ?
				     st->max_payload : len, 0);
	}
	x[0] = (float)ri->layer;
	x[1] = (float)ri->delta;
	x[2] = (float)(tcp && (pkt->tcp_flags & EG_TCP_ACK) ? 1 : 0);
	x[3] = (float)(mic ? 1 : 0);
	x[4] = (float)ri->content_type;
	x[5] = (float)op1;
	x[6] = (float)op5;
	x[7] = (float)(ri->flow ? eg_ns_to_s(ts_ns, ri->flow->created_ns) : 0.0);
	x[8] = (float)since_any;
	x[9] = (float)since_flow;
	x[10] = (float)(ri->seg == EG_SEG_RETRANS ? 1 : 0);
	x[11] = (float)(ri->keepalive_series ? 1 : 0);
	x[12] = (float)(tcp && (pkt->tcp_flags & EG_TCP_PSH) ? 1 : 0);
	x[13] = rel;
	x[14] = fill;
	x[15] = (float)run;
	x[16] = run_gap;
	x[17] = gap_reg;
	x[18] = ratio((double)ob1, (double)ob5, 0);
	x[19] = ratio((double)ob5, (double)(ob5 + ib5), -1);
	ri->n_features = N_SHAPE;
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

	if (set == EG_FEATURES_SHAPE) {
		fill_shape(ri, ts_ns, mic, since_any, since_flow);
		return;
	}
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
