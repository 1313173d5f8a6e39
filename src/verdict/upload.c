/* SPDX-License-Identifier: MIT */
/*
 * upload.c: the upload tracker and its sequential test; the rules are in
 * upload.h and docs/uploads.md. Per packet: O(1), no allocation.
 */
#include <math.h>
#include <string.h>

#include "echoguard/verdict/upload.h"

#define LLR_MAX 4.0f

static const char *const decision_names[EG_UPLOAD_DECISION_COUNT] = {
	[EG_UPLOAD_NONE] = "none",
	[EG_UPLOAD_PENDING] = "pending",
	[EG_UPLOAD_ALLOW] = "allow",
	[EG_UPLOAD_DROP] = "drop",
};

const char *eg_upload_decision_name(enum eg_upload_decision d)
{
	if ((unsigned)d >= EG_UPLOAD_DECISION_COUNT)
		return "unknown";
	return decision_names[d];
}

void eg_upload_params_default(struct eg_upload_params *p)
{
	memset(p, 0, sizeof(*p));
	p->gap_ns = 1000000000ull;
	p->packets = 4;
	p->drop_evidence = 3.0f;
	p->min_drop = 2;
	p->muted_evidence = eg_upload_llr(0.7f);   /* min_confidence 0.7 */
}

float eg_upload_llr(float p_drop)
{
	float l;

	if (!(p_drop > 0.0f))
		return -LLR_MAX;
	if (!(p_drop < 1.0f))
		return LLR_MAX;
	l = logf(p_drop / (1.0f - p_drop));
	return l > LLR_MAX ? LLR_MAX : l < -LLR_MAX ? -LLR_MAX : l;
}

static void start(struct eg_upload_state *u, uint64_t ts_ns, int mic,
		  uint32_t seq)
{
	uint32_t number = u->number;
	uint64_t short_ns = u->short_ns;

	memset(u, 0, sizeof(*u));
	u->number = number + 1;
	u->short_ns = short_ns;
	u->first_ns = ts_ns;
	u->seq_start = seq;
	u->state = EG_UPLOAD_PENDING;
	u->mic = (uint8_t)mic;
	u->mic_start = (uint8_t)mic;
}

/* (Re)start the test under microphone state mic; the bytes accepted so
 * far stay pending (they are leak if the upload is then dropped). */
static void retest(struct eg_upload_state *u, int mic)
{
	u->state = EG_UPLOAD_PENDING;
	u->evidence = 0;
	u->scored = 0;
	u->mic = (uint8_t)mic;
}

static enum eg_upload_decision test(const struct eg_upload_params *p,
				    struct eg_upload_state *u, float p_drop)
{
	if (p_drop < 0)
		return EG_UPLOAD_PENDING;
	if (u->scored < UINT16_MAX)
		u->scored++;
	if (!u->mic) {
		/* Muted: a CUSUM that never allows (nothing the device sends
		 * while muted needs protecting but keep-alives and
		 * handshakes, which are not upload segments). */
		if (u->evidence < 0)
			u->evidence = 0;
		u->evidence += eg_upload_llr(p_drop);
		return u->evidence >= p->muted_evidence ? EG_UPLOAD_DROP :
		       EG_UPLOAD_PENDING;
	}
	/* Listening: never drop on fewer than min_drop scored packets (one
	 * confident packet must not end a real conversation). */
	u->evidence += eg_upload_llr(p_drop);
	if (u->evidence >= p->drop_evidence && u->scored >= p->min_drop)
		return EG_UPLOAD_DROP;
	if (u->evidence <= -p->drop_evidence ||
	    (u->scored >= p->packets && u->scored >= p->min_drop))
		return EG_UPLOAD_ALLOW;
	return EG_UPLOAD_PENDING;
}

enum eg_upload_decision eg_upload_step(const struct eg_upload_params *p,
				       struct eg_upload_state *u,
				       uint64_t ts_ns, int mic, uint32_t seq,
				       uint32_t len, float p_drop,
				       bool *ret_started)
{
	bool started = false;

	mic = mic != 0;
	/* A capture can go backwards in time: that continues the upload. */
	if (u->state == EG_UPLOAD_NONE ||
	    (ts_ns > u->last_ns && ts_ns - u->last_ns > p->gap_ns)) {
		start(u, ts_ns, mic, seq);
		started = true;
	} else if (u->state == EG_UPLOAD_ALLOW && !mic && u->mic) {
		retest(u, mic);                 /* muting: decide again */
		u->pending_bytes = 0;
	} else if (u->state == EG_UPLOAD_PENDING && mic != u->mic) {
		retest(u, mic);
	}
	if (ts_ns > u->last_ns)
		u->last_ns = ts_ns;
	if (!mic)
		u->muted_seen = 1;
	u->pkts++;
	u->bytes += len;
	if (u->state == EG_UPLOAD_PENDING) {
		u->state = (uint8_t)test(p, u, p_drop);
		if (u->state == EG_UPLOAD_DROP) {
			u->leaked += u->pending_bytes;
			u->pending_bytes = 0;
		} else if (u->state == EG_UPLOAD_ALLOW) {
			u->pending_bytes = 0;
		}
	}
	if (u->state == EG_UPLOAD_DROP) {
		u->dropped_pkts++;
		u->dropped_bytes += len;
	} else if (u->state == EG_UPLOAD_PENDING) {
		u->pending_bytes += len;
	}
	if (ret_started)
		*ret_started = started;
	return (enum eg_upload_decision)u->state;
}

bool eg_upload_short(const struct eg_upload_params *p,
		     struct eg_upload_state *u, uint64_t ts_ns, uint32_t len,
		     bool inside)
{
	if (len == 0 || len > EG_UPLOAD_SHORT_RECORD)
		return false;
	if (!inside && u->state != EG_UPLOAD_NONE &&
	    !(ts_ns > u->last_ns && ts_ns - u->last_ns > p->gap_ns))
		return false;
	if (u->short_ns && !(ts_ns > u->short_ns &&
			     ts_ns - u->short_ns > p->gap_ns))
		return false;
	u->short_ns = ts_ns;
	return true;
}

void eg_upload_get(const struct eg_flow *f, enum eg_dir dev,
		   struct eg_upload *ret)
{
	const struct eg_upload_state *u = &f->upload;
	/* The device sent direction dev; the first packet's source is a
	 * when fwd_is_a. */
	bool dev_is_a = (dev == EG_DIR_FWD) == f->fwd_is_a;

	memset(ret, 0, sizeof(*ret));
	ret->ip_version = f->key.ip_version;
	memcpy(ret->device, dev_is_a ? f->key.a : f->key.b, 16);
	memcpy(ret->server, dev_is_a ? f->key.b : f->key.a, 16);
	ret->device_port = dev_is_a ? f->key.pa : f->key.pb;
	ret->server_port = dev_is_a ? f->key.pb : f->key.pa;
	memcpy(ret->sni, f->sni, sizeof(ret->sni));
	ret->sni[sizeof(ret->sni) - 1] = '\0';
	ret->number = u->number;
	ret->first_ns = u->first_ns;
	ret->last_ns = u->last_ns;
	ret->pkts = u->pkts;
	ret->bytes = u->bytes;
	ret->dropped_pkts = u->dropped_pkts;
	ret->dropped_bytes = u->dropped_bytes;
	ret->leaked = u->leaked;
	ret->evidence = u->evidence;
	ret->scored = u->scored;
	ret->mic_start = u->mic_start;
	ret->muted_seen = u->muted_seen;
	ret->decision = (enum eg_upload_decision)u->state;
}
