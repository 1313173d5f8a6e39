/* SPDX-License-Identifier: MIT */
/*
 * engine.c: the one per-packet pipeline (parse -> flow -> TLS -> SNI ->
 * features) shared by echoguardd, `echoguard extract`, `replay` and the
 * tests, so training and serving can never disagree. Never allocates after
 * eg_engine_new. Covered by tests/unit/test-features.c and tests/golden.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/engine/engine.h"

#define SINCE_APP_CAP 3600.0
#define EXPIRE_BUDGET 256
#define KA_QUIET_NS 1000000000ull  /* see ka_worth_feeding */

static const uint8_t no_bytes[1];

struct eg_engine {
	struct eg_engine_params p;
	const struct eg_schema *schema;
	struct eg_flow_table *flows;
	uint64_t last_app_ns;      /* device's last new app data, any flow */
	bool have_app;
};

/* Defaults: flow table defaults, the seed set, no device (all outbound). */
void eg_engine_params_default(struct eg_engine_params *p)
{
	memset(p, 0, sizeof(*p));
	eg_flow_params_default(&p->flow);
	p->features = EG_FEATURES_SEED;
}

/*
 * Create an engine (the flow table is its only other allocation).
 * -EINVAL on bad parameters, -ENOMEM.
 */
int eg_engine_new(const struct eg_engine_params *p, struct eg_engine **ret)
{
	struct eg_engine *e;
	int r;

	if (!p || !ret || p->n_devices > 8 || !eg_schema_get(p->features))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = *p;
	e->schema = eg_schema_get(p->features);
	r = eg_flow_table_new(&p->flow, &e->flows);
	if (r < 0) {
		free(e);
		return r;
	}
	*ret = e;
	return 0;
}

/* Free an engine; accepts NULL; returns NULL. */
struct eg_engine *eg_engine_free(struct eg_engine *e)
{
	if (!e)
		return NULL;
	eg_flow_table_free(e->flows);
	free(e);
	return NULL;
}

const struct eg_schema *eg_engine_schema(const struct eg_engine *e)
{
	return e->schema;
}

struct eg_flow_table *eg_engine_flows(struct eg_engine *e)
{
	return e->flows;
}

/* Expire idle flows, visiting a bounded number of slots. */
void eg_engine_tick(struct eg_engine *e, uint64_t now_ns)
{
	(void)eg_flow_expire(e->flows, now_ns, EXPIRE_BUDGET);
}

static bool is_device(const struct eg_engine *e, const struct eg_packet *pkt)
{
	unsigned i;

	if (e->p.n_devices == 0)
		return true;
	for (i = 0; i < e->p.n_devices; i++)
		if (e->p.device_version[i] == pkt->ip_version &&
		    !memcmp(e->p.devices[i], pkt->src, 16))
			return true;
	return false;
}

/* Seconds since an app-data time, capped; the cap when never (t == 0). */
static double since_app(uint64_t now, uint64_t t, bool have)
{
	double s;

	if (!have)
		return SINCE_APP_CAP;
	s = eg_ns_to_s(now, t);
	return s > SINCE_APP_CAP ? SINCE_APP_CAP : s;
}

/*
 * A segment that is exactly one whole TLS app-data record (header at its
 * first byte, record ends at its last): the keep-alive candidates.
 */
static bool single_app_record(const struct eg_packet *pkt)
{
	uint32_t rlen;

	if (pkt->payload_caplen < 5 || pkt->payload[0] != EG_TLS_APPLICATION_DATA ||
	    !eg_tls_header_plausible(pkt->payload, pkt->payload_caplen))
		return false;
	rlen = (uint32_t)pkt->payload[3] << 8 | pkt->payload[4];
	return rlen + 5 == pkt->payload_len;
}

/*
 * Feed the keep-alive detector with a record of a size it already follows,
 * or one after a quiet spell: the many sizes of a voice burst would
 * otherwise churn its few candidate slots and push the series out.
 */
static bool ka_worth_feeding(const struct eg_flow_dir *d, uint32_t size,
			     uint64_t ts_ns)
{
	unsigned i;

	for (i = 0; i < EG_KA_CANDIDATES; i++)
		if (d->ka[i].size == size)
			return true;
	/* An earlier timestamp (captures can go backwards) is no quiet
	 * spell: ts_ns - last_app_ns would wrap around. */
	return !d->last_app_ns || (ts_ns > d->last_app_ns &&
				   ts_ns - d->last_app_ns >= KA_QUIET_NS);
}

/*
 * Wireshark dissects any payload on its HTTP ports as HTTP (a request
 * body continuing past its first segment shows as HTTP "Continuation"), so
 * highest_layer follows it there: the common ones of its default range.
 */
static bool http_port(uint16_t port)
{
	return port == 80 || port == 8080 || port == 3128 || port == 8088;
}

/* Store the ClientHello's server name on the flow (first one wins). */
static void take_sni(struct eg_flow *f, const struct eg_packet *pkt,
		     const struct eg_tls_seg *ts)
{
	char name[EG_SNI_MAX];
	int r;

	if (f->sni[0] || !ts->client_hello || ts->ch_offset >= pkt->payload_caplen)
		return;
	r = eg_tls_sni(pkt->payload + ts->ch_offset,
		       pkt->payload_caplen - ts->ch_offset, name, sizeof(name));
	if (r <= 0)
		return;
	memcpy(f->sni, name, sizeof(name));
	f->sni[EG_SNI_MAX - 1] = '\0';
	f->sni_class = (uint8_t)eg_sni_classify(f->sni);
}

/* The rule class; see docs/features.md "proto_class". */
static enum eg_class rule_class(const struct eg_pkt_info *ri, bool is_tcp)
{
	const struct eg_packet *pkt = &ri->pkt;

	if (ri->parse_rc < 0 || !is_tcp || !ri->flow)
		return EG_CLASS_NOT_RELEVANT;
	if (ri->seg == EG_SEG_RETRANS)
		return EG_CLASS_RETRANSMIT;
	if ((pkt->payload_len == 0 || ri->seg == EG_SEG_KEEPALIVE ||
	     ri->seg == EG_SEG_ZWP) && (pkt->tcp_flags & EG_TCP_ACK))
		return EG_CLASS_ACK;
	if (pkt->payload_len == 0)
		return EG_CLASS_NOT_RELEVANT;
	switch (ri->content_type) {
	case EG_TLS_CHANGE_CIPHER_SPEC:
	case EG_TLS_ALERT:
	case EG_TLS_HANDSHAKE:
		return EG_CLASS_HANDSHAKE;
	case EG_TLS_APPLICATION_DATA:
		return ri->outbound ? EG_CLASS_EXPECTED : EG_CLASS_NOT_RELEVANT;
	default:
		return EG_CLASS_NOT_RELEVANT;
	}
}

/* TCP: flow update, TLS tracking, SNI, keep-alive series. */
static void process_tcp(struct eg_engine *e, struct eg_pkt_info *ri,
			struct eg_flow_dir *d, const struct eg_flow_dir *peer,
			uint64_t ts_ns)
{
	const struct eg_packet *pkt = &ri->pkt;
	struct eg_tls_seg ts;
	bool old;

	ri->seg = eg_flow_update(d, peer, pkt, ts_ns);
	if (pkt->payload_len == 0) {
		ri->layer = EG_LAYER_TCP;
		return;
	}
	old = ri->seg == EG_SEG_RETRANS || ri->seg == EG_SEG_KEEPALIVE;
	memset(&ts, 0, sizeof(ts));
	/* payload is NULL when the snap length cut all of it: hand the
	 * tracker an empty non-NULL buffer (pointer arithmetic on NULL is
	 * undefined even with a zero offset). */
	(void)eg_tls_track(&d->tls, pkt->seq,
			   pkt->payload ? pkt->payload : no_bytes,
			   pkt->payload_caplen, pkt->payload_len, old, &ts);
	ri->tls_synced = ts.synced;
	if (ts.is_tls) {
		ri->layer = EG_LAYER_TLS;
		ri->content_type = ts.content_type;
		ri->n_records = ts.n_headers;
		take_sni(ri->flow, pkt, &ts);
	} else if (eg_http_detect(pkt->payload, pkt->payload_caplen) ||
		   http_port(pkt->sport) || http_port(pkt->dport)) {
		ri->layer = EG_LAYER_HTTP;
	} else {
		ri->layer = EG_LAYER_DATA;
	}
	if (ri->outbound && ri->seg == EG_SEG_NEW &&
	    ri->content_type == EG_TLS_APPLICATION_DATA) {
		ri->ka_candidate = single_app_record(pkt);
		if (ri->ka_candidate && ka_worth_feeding(d, pkt->payload_len,
							 ts_ns))
			ri->keepalive_series = eg_ka_feed(d, pkt->payload_len,
							  ts_ns);
		/* The latest time, even when this packet's is earlier. */
		if (ts_ns > d->last_app_ns)
			d->last_app_ns = ts_ns;
		if (!e->have_app || ts_ns > e->last_app_ns)
			e->last_app_ns = ts_ns;
		e->have_app = true;
	}
}

/*
 * The per-packet path (see engine.h). Never allocates; always fills *ret;
 * returns the parse result.
 */
int eg_engine_process(struct eg_engine *e, int linktype, const uint8_t *buf,
		      size_t caplen, size_t wirelen, uint64_t ts_ns, int mic,
		      struct eg_pkt_info *ret)
{
	struct eg_pkt_info *ri = ret;
	struct eg_flow_dir *d = NULL, *peer = NULL;
	double since_any, since_flow = SINCE_APP_CAP;
	bool tcp;
	int rc;

	memset(ri, 0, offsetof(struct eg_pkt_info, features));
	if (linktype == EG_LINK_RAW)
		rc = eg_packet_parse_ip(buf, caplen, &ri->pkt);
	else
		rc = eg_packet_parse_frame(linktype, buf, caplen, wirelen,
					   &ri->pkt);
	ri->parse_rc = rc;
	ri->ts_ns = ts_ns;
	ri->mic = (int8_t)(mic != 0);
	ri->outbound = is_device(e, &ri->pkt);
	ri->layer = EG_LAYER_DATA;
	tcp = rc >= 0 && ri->pkt.l4_proto == IPPROTO_TCP;
	since_any = since_app(ts_ns, e->last_app_ns, e->have_app);
	if (rc >= 0 && (tcp || ri->pkt.l4_proto == IPPROTO_UDP) &&
	    eg_flow_lookup(e->flows, &ri->pkt, ts_ns, &ri->flow, &ri->dir) >= 0) {
		const struct eg_flow_dir *od;

		d = &ri->flow->dir[ri->dir];
		peer = &ri->flow->dir[!ri->dir];
		if (d->last_ns)
			ri->delta = eg_ns_to_s(ts_ns, d->last_ns);
		od = ri->outbound ? d : peer;
		since_flow = since_app(ts_ns, od->last_app_ns, od->last_app_ns != 0);
	}
	if (ri->flow && tcp) {
		process_tcp(e, ri, d, peer, ts_ns);
	} else if (ri->flow) {
		/* UDP: counters and rate buckets through the flow layer; its
		 * sequence verdict means nothing here. */
		(void)eg_flow_update(d, peer, &ri->pkt, ts_ns);
		ri->seg = ri->pkt.payload_len ? EG_SEG_NEW : EG_SEG_NONE;
		ri->layer = ri->pkt.payload_len ? EG_LAYER_DATA : EG_LAYER_TCP;
	} else if (rc >= 0 && tcp) {
		ri->layer = ri->pkt.payload_len ? EG_LAYER_DATA : EG_LAYER_TCP;
	}
	ri->proto_class = rule_class(ri, tcp);
	eg_features_fill(e->schema, e->p.features, ri, ts_ns, mic, since_any,
			 since_flow);
	return rc;
}
