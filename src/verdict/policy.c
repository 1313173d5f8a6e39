/* SPDX-License-Identifier: MIT */
/*
 * policy.c: one packet's verdict. The rules and their order are in
 * policy.h; this file only applies them and counts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/verdict/policy.h"

struct eg_policy {
	enum eg_policy_mode mode;
	enum eg_verdict fallback;
	enum eg_on_drop on_drop;
	uint32_t flow_mark;
	uint32_t drop_classes;
	float min_confidence;
	bool remember_drops;
	bool uploads;                       /* upload decisions on */
	struct eg_upload_params up;
	unsigned n_classes;                 /* the forest's; 0 without one */
	int8_t class_map[EG_MAX_CLASSES];   /* forest index -> eg_class, -1 */
	unsigned n_cidrs, n_sni;
	struct eg_cidr cidrs[EG_CONFIG_MAX_CIDRS];
	char sni[EG_CONFIG_MAX_SNI][EG_SNI_MAX];
	uint8_t sni_len[EG_CONFIG_MAX_SNI];
};

static const char *const reason_names[EG_REASON_COUNT] = {
	[EG_REASON_CLASS_ACCEPT] = "class_accept",
	[EG_REASON_CLASS_DROP] = "class_drop",
	[EG_REASON_LOW_CONFIDENCE] = "low_confidence",
	[EG_REASON_DROPPED_RANGE] = "dropped_range",
	[EG_REASON_FLOW_DROPPED] = "flow_dropped",
	[EG_REASON_ALLOW_CIDR] = "allow_cidr",
	[EG_REASON_ALLOW_SNI] = "allow_sni",
	[EG_REASON_CONTROL] = "control",
	[EG_REASON_NOT_OUTBOUND] = "not_outbound",
	[EG_REASON_FALLBACK] = "fallback",
	[EG_REASON_MONITOR] = "monitor",
	[EG_REASON_BUDGET] = "budget",
	[EG_REASON_KEEPALIVE] = "keepalive",
	[EG_REASON_UPLOAD_PENDING] = "upload_pending",
	[EG_REASON_UPLOAD_ALLOW] = "upload_allow",
	[EG_REASON_UPLOAD_DROP] = "upload_drop",
};

const char *eg_reason_name(enum eg_reason r)
{
	if ((unsigned)r >= EG_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

int eg_policy_new_names(const struct eg_config *c,
			const char *const *class_names, unsigned n_classes,
			struct eg_policy **ret, char *err, size_t errlen)
{
	struct eg_policy *p;
	unsigned i;

	if (c->policy.min_confidence < 0 || c->policy.min_confidence > 1 ||
	    c->policy.n_allow_cidrs > EG_CONFIG_MAX_CIDRS ||
	    c->policy.n_allow_sni > EG_CONFIG_MAX_SNI ||
	    n_classes > EG_MAX_CLASSES) {
		snprintf(err, errlen, "policy: invalid configuration");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "policy: out of memory");
		return -ENOMEM;
	}
	p->mode = c->policy.mode;
	p->fallback = c->daemon.fallback_verdict;
	p->on_drop = c->policy.on_drop;
	p->flow_mark = c->policy.flow_mark;
	p->drop_classes = c->policy.drop_classes;
	p->min_confidence = (float)c->policy.min_confidence;
	p->remember_drops = c->policy.remember_drops;
	p->uploads = c->policy.upload_packets > 0;
	eg_upload_params_default(&p->up);
	p->up.gap_ns = c->policy.upload_gap_ns;
	p->up.packets = c->policy.upload_packets;
	p->up.drop_evidence = (float)c->policy.upload_evidence;
	p->up.min_drop = c->policy.upload_min_drop;
	/* Muted: the first packet more likely a drop class than not decides
	 * drop (docs/uploads.md). */
	p->up.muted_evidence = 0.0f;
	memset(p->class_map, -1, sizeof(p->class_map));
	p->n_classes = n_classes;
	for (i = 0; i < n_classes; i++) {
		int k = class_names[i] ? eg_class_parse(class_names[i]) : -1;

		p->class_map[i] = k >= 0 && k < EG_CLASS_COUNT ? (int8_t)k : -1;
	}
	p->n_cidrs = c->policy.n_allow_cidrs;
	memcpy(p->cidrs, c->policy.allow_cidrs, sizeof(p->cidrs));
	p->n_sni = c->policy.n_allow_sni;
	for (i = 0; i < p->n_sni; i++) {
		snprintf(p->sni[i], EG_SNI_MAX, "%s", c->policy.allow_sni[i]);
		p->sni_len[i] = (uint8_t)strlen(p->sni[i]);
	}
	*ret = p;
	return 0;
}

int eg_policy_new(const struct eg_config *c, const struct eg_forest *f,
		  struct eg_policy **ret, char *err, size_t errlen)
{
	const char *names[EG_MAX_CLASSES];
	unsigned i, n = f ? eg_forest_n_classes(f) : 0;

	if (n > EG_MAX_CLASSES)
		n = EG_MAX_CLASSES;
	for (i = 0; i < n; i++)
		names[i] = eg_forest_class_name(f, i);
	return eg_policy_new_names(c, names, n, ret, err, errlen);
}

struct eg_policy *eg_policy_free(struct eg_policy *p)
{
	free(p);
	return NULL;
}

/* "amazon.com" allows "amazon.com" and "x.amazon.com", not "xamazon.com";
 * a suffix given with a leading dot (".amazon.com") only subdomains. */
static bool sni_allowed(const struct eg_policy *p, const char *sni)
{
	size_t n = strlen(sni);
	unsigned i;

	/* A name that fills the buffer may have been cut by whoever stored it:
	 * its real end is unknown, so no suffix matches (docs/security.md). */
	if (n == 0 || n >= EG_SNI_MAX - 1)
		return false;
	for (i = 0; i < p->n_sni; i++) {
		size_t k = p->sni_len[i];
		const char *tail;

		if (k == 0 || k > n)
			continue;
		tail = sni + n - k;
		if (memcmp(tail, p->sni[i], k))
			continue;
		if (k == n || p->sni[i][0] == '.' || tail[-1] == '.')
			return true;
	}
	return false;
}

static bool cidr_allowed(const struct eg_policy *p,
			 const struct eg_pkt_info *pi)
{
	unsigned i;

	for (i = 0; i < p->n_cidrs; i++)
		if (eg_cidr_match(&p->cidrs[i], pi->pkt.ip_version,
				  pi->pkt.dst))
			return true;
	return false;
}

static bool has_tcp_payload(const struct eg_pkt_info *pi)
{
	return pi->pkt.l4_proto == IPPROTO_TCP && pi->pkt.payload_len > 0;
}

/* Rule 7a: new TLS app data sent by the device on TCP. */
static bool is_upload_segment(const struct eg_pkt_info *pi)
{
	return pi->flow && pi->outbound && has_tcp_payload(pi) &&
	       pi->seg == EG_SEG_NEW && pi->proto_class == EG_CLASS_EXPECTED;
}

/* Rule 7a: one whole short app-data record outside any upload, or inside
 * one when it continues a keep-alive series or the forest's top class is
 * not a drop class; at most one per upload_gap (eg_upload_short). */
static bool short_record(const struct eg_policy *p, struct eg_pkt_info *pi,
			 const float *proba, unsigned top)
{
	bool inside = pi->keepalive_series;

	if (!pi->ka_candidate && !pi->keepalive_series)
		return false;
	if (proba && top < p->n_classes && (p->class_map[top] < 0 ||
	    !(p->drop_classes & (1u << p->class_map[top]))))
		inside = true;
	return eg_upload_short(&p->up, &pi->flow->upload, pi->ts_ns,
			       pi->pkt.payload_len, inside);
}

/* Rules 1-11 of policy.h, without the monitor rewrite and side effects. */
static enum eg_reason classify(const struct eg_policy *p,
			       struct eg_pkt_info *pi,
			       const float *proba, unsigned top)
{
	struct eg_flow *f = pi->flow;
	int cls;

	if (pi->parse_rc < 0)
		return EG_REASON_FALLBACK;
	if (!pi->outbound)
		return EG_REASON_NOT_OUTBOUND;
	if (p->n_cidrs && cidr_allowed(p, pi))
		return EG_REASON_ALLOW_CIDR;
	if (f && p->n_sni && sni_allowed(p, f->sni))
		return EG_REASON_ALLOW_SNI;
	if (f && p->on_drop == EG_ON_DROP_FLOW && f->drops > 0)
		return EG_REASON_FLOW_DROPPED;
	/* A retransmitted segment of a dropped one must be dropped too, or
	 * the blocked bytes get through on the second try. */
	if (f && p->remember_drops && has_tcp_payload(pi) &&
	    eg_flow_drop_overlaps(f, pi->pkt.seq,
				  pi->pkt.seq + pi->pkt.payload_len))
		return EG_REASON_DROPPED_RANGE;
	if (pi->pkt.payload_len == 0)
		return EG_REASON_CONTROL;
	if (p->uploads && is_upload_segment(pi))
		return short_record(p, pi, proba, top) ? EG_REASON_KEEPALIVE :
		       EG_REASON_UPLOAD_PENDING;
	if (!proba || top >= p->n_classes)
		return EG_REASON_FALLBACK;
	cls = p->class_map[top];
	if (cls < 0 || !(p->drop_classes & (1u << cls)))
		return EG_REASON_CLASS_ACCEPT;
	if (proba[top] < p->min_confidence)
		return EG_REASON_LOW_CONFIDENCE;
	return EG_REASON_CLASS_DROP;
}

static enum eg_verdict reason_verdict(const struct eg_policy *p,
				      enum eg_reason r)
{
	switch (r) {
	case EG_REASON_CLASS_DROP:
	case EG_REASON_DROPPED_RANGE:
	case EG_REASON_FLOW_DROPPED:
	case EG_REASON_UPLOAD_DROP:
		return EG_VERDICT_DROP;
	case EG_REASON_FALLBACK:
		return p->fallback;
	default:
		return EG_VERDICT_ACCEPT;
	}
}

/* The forest's probability of the drop classes together; -1 unscored. */
static float drop_proba(const struct eg_policy *p, const float *proba,
			unsigned top)
{
	float sum = 0;
	unsigned i;

	if (!proba || top >= p->n_classes)
		return -1.0f;
	for (i = 0; i < p->n_classes; i++)
		if (p->class_map[i] >= 0 &&
		    (p->drop_classes & (1u << p->class_map[i])))
			sum += proba[i];
	return sum;
}

/* Rule 7a, muted: the evidence of a scored upload segment. Nothing the
 * device sends while muted is a conversation: a segment that was not let
 * through as a short record counts as certain drop evidence (p = 1) unless
 * the forest is confident (top class at >= min_confidence) that it is a
 * protocol class (handshake, keep-alive, ...), not app data. Only when
 * not_justified (muted app data) is a drop class. */
static float muted_proba(const struct eg_policy *p, const float *proba,
			 unsigned top, float p_drop)
{
	int cls;

	if (p_drop < 0 || !(p->drop_classes & (1u << EG_CLASS_NOT_JUSTIFIED)))
		return p_drop;
	cls = p->class_map[top];
	if (cls >= 0 && cls != EG_CLASS_EXPECTED && cls != EG_CLASS_JUSTIFIED &&
	    cls != EG_CLASS_NOT_JUSTIFIED && proba[top] >= p->min_confidence)
		return p_drop;
	return 1.0f;
}

/* Rule 7a: the upload's decision with this packet as evidence. */
static enum eg_reason upload_step(const struct eg_policy *p,
				  struct eg_pkt_info *pi, const float *proba,
				  unsigned top, struct eg_policy_stats *stats,
				  struct eg_decision *d)
{
	struct eg_upload_state *u = &pi->flow->upload;
	enum eg_upload_decision before = u->state, after;
	uint32_t leaked = u->leaked;
	float p_drop = drop_proba(p, proba, top);
	bool started;

	if (!pi->mic)
		p_drop = muted_proba(p, proba, top, p_drop);
	after = eg_upload_step(&p->up, u, pi->ts_ns, pi->mic, pi->pkt.seq,
			       pi->pkt.payload_len, p_drop, &started);
	d->upload = after;
	d->upload_started = started;
	if (stats) {
		stats->uploads += started;
		if (after != before || started) {
			stats->uploads_allowed += after == EG_UPLOAD_ALLOW;
			stats->uploads_dropped += after == EG_UPLOAD_DROP;
		}
		/* A new upload starts its leak at 0. */
		stats->upload_leak_bytes += started ? u->leaked :
					    u->leaked - leaked;
	}
	return after == EG_UPLOAD_DROP ? EG_REASON_UPLOAD_DROP :
	       after == EG_UPLOAD_ALLOW ? EG_REASON_UPLOAD_ALLOW :
	       EG_REASON_UPLOAD_PENDING;
}

void eg_policy_decide(const struct eg_policy *p, struct eg_pkt_info *pi,
		      const float *proba, unsigned top,
		      struct eg_policy_stats *stats, struct eg_decision *ret)
{
	struct eg_decision d = { .cls = -1 };
	struct eg_flow *f = pi->flow;

	if (proba && pi->parse_rc >= 0 && top < p->n_classes) {
		d.cls = p->class_map[top];
		d.proba = proba[top];
	}
	d.reason = classify(p, pi, proba, top);
	if (d.reason == EG_REASON_UPLOAD_PENDING)
		d.reason = upload_step(p, pi, proba, top, stats, &d);
	d.would_reason = d.reason;
	d.verdict = reason_verdict(p, d.reason);
	/* Monitor keeps the flow state enforce would have (dropped ranges,
	 * dropped flows) so that its counts say what enforcing would do. */
	if (d.verdict == EG_VERDICT_DROP && f) {
		if (f->drops < UINT32_MAX)
			f->drops++;
		if (p->remember_drops && has_tcp_payload(pi))
			eg_flow_drop_remember(f, pi->pkt.seq,
					      pi->pkt.seq + pi->pkt.payload_len);
		if (p->on_drop == EG_ON_DROP_FLOW && p->mode != EG_MODE_MONITOR) {
			d.set_mark = true;
			d.mark = p->flow_mark;
		}
	}
	if (d.verdict == EG_VERDICT_DROP && p->mode == EG_MODE_MONITOR) {
		d.verdict = EG_VERDICT_ACCEPT;
		d.reason = EG_REASON_MONITOR;
	}
	if (stats) {
		uint32_t len = pi->pkt.wire_len;

		stats->packets++;
		stats->bytes += len;
		stats->verdicts[d.verdict]++;
		stats->bytes_by_verdict[d.verdict] += len;
		stats->reasons[d.reason]++;
		if (d.cls >= 0)
			stats->classes[d.cls]++;
		else
			stats->unclassified++;
	}
	*ret = d;
}

void eg_policy_stats_add(struct eg_policy_stats *a,
			 const struct eg_policy_stats *b)
{
	unsigned i;

	a->packets += b->packets;
	a->bytes += b->bytes;
	a->unclassified += b->unclassified;
	for (i = 0; i < 2; i++) {
		a->verdicts[i] += b->verdicts[i];
		a->bytes_by_verdict[i] += b->bytes_by_verdict[i];
	}
	for (i = 0; i < EG_REASON_COUNT; i++)
		a->reasons[i] += b->reasons[i];
	for (i = 0; i < EG_CLASS_COUNT; i++)
		a->classes[i] += b->classes[i];
	a->uploads += b->uploads;
	a->uploads_allowed += b->uploads_allowed;
	a->uploads_dropped += b->uploads_dropped;
	a->upload_leak_bytes += b->upload_leak_bytes;
}
