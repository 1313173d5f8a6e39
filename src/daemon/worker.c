// SPDX-License-Identifier: MIT
/*
 * worker.c: the per-queue thread and the per-packet path; see worker.h and
 * docs/daemon.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/budget.h"
#include "echoguard/verdict/mic.h"
#include "echoguard/verdict/policy.h"

#include "util.h"
#include "worker.h"

/* Housekeeping period: engine tick (flow expiry), snapshot, heartbeat. */
#define TICK_NS 100000000ull

static const uint8_t empty_packet[1];

static void push_drop(struct eg_worker *w, const struct eg_pkt_info *pi,
		      const struct eg_decision *d, uint64_t now)
{
	uint32_t head = w->ring_head;
	uint32_t tail = __atomic_load_n(&w->ring_tail, __ATOMIC_ACQUIRE);
	struct eg_drop_event *ev;

	if (head - tail >= EG_DROP_RING) {
		CNT_INC(w->wc.drop_events_lost);
		return;
	}
	ev = &w->ring[head % EG_DROP_RING];
	ev->ts_ns = now;
	ev->queue = w->queue;
	ev->ip_version = pi->pkt.ip_version;
	memcpy(ev->src, pi->pkt.src, 16);
	memcpy(ev->dst, pi->pkt.dst, 16);
	ev->sport = pi->pkt.sport;
	ev->dport = pi->pkt.dport;
	ev->len = pi->pkt.ip_total_len;
	ev->seq = pi->pkt.seq;
	ev->cls = d->cls;
	ev->proba = d->proba;
	ev->reason = d->would_reason;
	ev->sni[0] = '\0';
	if (pi->flow) {
		size_t n = strnlen(pi->flow->sni, sizeof(ev->sni) - 1);

		memcpy(ev->sni, pi->flow->sni, n);
		ev->sni[n] = '\0';
	}
	__atomic_store_n(&w->ring_head, head + 1, __ATOMIC_RELEASE);
}

bool eg_worker_pop_drop(struct eg_worker *w, struct eg_drop_event *ret)
{
	uint32_t tail = w->ring_tail;
	uint32_t head = __atomic_load_n(&w->ring_head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return false;
	*ret = w->ring[tail % EG_DROP_RING];
	__atomic_store_n(&w->ring_tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

/* Send the decision; when the kernel refuses it, the fallback verdict. */
static void give(struct eg_worker *w, const struct eg_runtime *rt,
		 uint32_t id, enum eg_verdict verdict, bool set_mark,
		 uint32_t mark)
{
	enum eg_nfq_verdict v = EG_NFQ_ACCEPT, fb;

	if (verdict == EG_VERDICT_DROP)
		/* on_drop = flow: NF_REPEAT with the mark runs the hook
		 * again, where the shipped rules save the mark to the
		 * connection and reject the packet (packaging/rules). */
		v = set_mark ? EG_NFQ_REPEAT : EG_NFQ_DROP;
	if (eg_nfq_verdict(w->nfq, id, v, v == EG_NFQ_REPEAT ? mark : 0) == 0)
		return;
	CNT_INC(w->wc.fallback_sends);
	fb = rt->cfg.daemon.fallback_verdict == EG_VERDICT_DROP ?
	     EG_NFQ_DROP : EG_NFQ_ACCEPT;
	if (eg_nfq_verdict(w->nfq, id, fb, 0) < 0)
		CNT_INC(w->wc.verdict_failures);
}

/* The per-packet path. */
static void handle(struct eg_worker *w, const struct eg_runtime *rt,
		   const struct eg_nfq_pkt *p, uint64_t now)
{
	const uint8_t *data = p->data ? p->data : empty_packet;
	const float *proba = NULL;
	struct eg_decision d;
	struct eg_pkt_info pi;
	unsigned top = 0;
	int r;

	/* A packet we marked for on_drop = flow comes back only when the
	 * rules that should reject it are missing: drop it here. */
	if (p->mark != 0 && p->mark == rt->cfg.policy.flow_mark) {
		CNT_INC(w->wc.mark_loops);
		give(w, rt, p->id, EG_VERDICT_DROP, false, 0);
		return;
	}
	r = eg_engine_process(w->engine, EG_LINK_RAW, data, p->caplen, p->len,
			      now, eg_mic_get(rt->mic), &pi);
	if (r < 0) {
		CNT_INC(w->wc.parse_errors);
		if ((unsigned)pi.pkt.error < _EG_PERR_MAX)
			CNT_INC(w->wc.parse_by_error[pi.pkt.error]);
	} else if (pi.pkt.payload_len > 0 && pi.n_features == rt->n_features) {
		/* Packets without payload are accepted by rule (CONTROL)
		 * before probabilities matter: the forest is asked only
		 * when its answer can change the verdict. */
		top = eg_forest_predict(rt->forest, pi.features, w->proba);
		proba = w->proba;
	} else if (pi.pkt.payload_len > 0) {
		CNT_INC(w->wc.unclassified);
	}
	eg_policy_decide(rt->policy, &pi, proba, top, &w->ps, &d);
	(void)eg_budget_apply(rt->budget, &pi, eg_mic_get(rt->mic), now, &d,
			      &w->ps);
	give(w, rt, p->id, d.verdict, d.set_mark, d.mark);
	if (d.verdict == EG_VERDICT_DROP) {
		CNT_ADD(w->wc.bytes_dropped, p->len);
		push_drop(w, &pi, &d, now);
	}
	if (d.upload != EG_UPLOAD_NONE)
		eg_events_upload_packet(&w->uploads, &w->wc.uploads, &pi, &d, now);
}

static void publish(struct eg_worker *w, uint64_t now)
{
	pthread_mutex_lock(&w->snap_lock);
	w->snap.taken_ns = now;
	w->snap.nfq = *eg_nfq_counters(w->nfq);
	w->snap.w = w->wc;
	w->snap.policy = w->ps;
	eg_flow_stats_get(eg_engine_flows(w->engine), &w->snap.flows);
	pthread_mutex_unlock(&w->snap_lock);
	__atomic_store_n(&w->heartbeat_ns, now, __ATOMIC_RELAXED);
}

static void housekeeping(struct eg_worker *w, uint64_t now)
{
	if (now - w->last_tick_ns < TICK_NS)
		return;
	w->last_tick_ns = now;
	eg_engine_tick(w->engine, now);
	eg_events_upload_tick(&w->uploads, &w->wc.uploads, now,
			      w->upload_gap_ns);
	publish(w, now);
}

static void *worker_main(void *arg)
{
	struct eg_nfq_pkt pkts[EG_NFQ_RECV_BATCH];
	struct eg_worker *w = arg;
	struct eg_runtime *rt;
	uint64_t now;
	int n, timeout, stop;

	for (;;) {
		stop = __atomic_load_n(w->stop, __ATOMIC_ACQUIRE);
		/* Draining: take what is queued without waiting. A pending
		 * batch waits at most its timeout for company. */
		timeout = (int)w->recv_timeout_ms;
		if (stop)
			timeout = 20;
		else if (eg_nfq_pending(w->nfq))
			timeout = (int)(w->nfq_opts.batch_timeout_ns / 1000000);
		n = eg_nfq_recv(w->nfq, pkts, EG_NFQ_RECV_BATCH, timeout,
				w->wake_fd);
		if (n < 0) {
			__atomic_store_n(&w->failed, n, __ATOMIC_RELEASE);
			break;
		}
		now = eg_now_ns();
		rt = atomic_load_explicit(w->current, memory_order_acquire);
		__atomic_store_n(&w->seen_generation, rt->generation,
				 __ATOMIC_RELEASE);
		for (int i = 0; i < n; i++)
			handle(w, rt, &pkts[i], now);
		/* Fewer than a full batch: the socket is drained, nothing is
		 * gained by holding the accepts back. */
		if (n < EG_NFQ_RECV_BATCH)
			(void)eg_nfq_flush(w->nfq);
		else
			(void)eg_nfq_flush_if_old(w->nfq, now);
		if (stop && n == 0)
			break;
		housekeeping(w, now);
	}
	(void)eg_nfq_flush(w->nfq);
	eg_events_upload_tick(&w->uploads, &w->wc.uploads, eg_now_ns(), 0);
	publish(w, eg_now_ns());
	return NULL;
}

int eg_worker_start(struct eg_worker *w, char *err, size_t errlen)
{
	sigset_t all, old;
	int r;

	/* Opened already when the caller dropped privileges in between. */
	r = w->nfq ? 0 : eg_nfq_open(&w->nfq_opts, &w->nfq, err, errlen);
	if (r < 0)
		return r;
	r = eg_engine_new(&w->engine_params, &w->engine);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: flow table: %s", w->queue,
			 strerror(-r));
		goto fail;
	}
	pthread_mutex_init(&w->snap_lock, NULL);
	w->last_tick_ns = eg_now_ns();
	publish(w, w->last_tick_ns);
	/* Signals are the main thread's (signalfd): workers block all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: thread: %s", w->queue,
			 strerror(-r));
		pthread_mutex_destroy(&w->snap_lock);
		goto fail;
	}
	{
		char name[16];

		snprintf(name, sizeof(name), "eg-queue-%u", w->queue);
		(void)pthread_setname_np(w->thread, name);
	}
	return 0;
fail:
	w->engine = eg_engine_free(w->engine);
	w->nfq = eg_nfq_free(w->nfq);
	return r;
}

void eg_worker_join(struct eg_worker *w)
{
	if (!w->nfq)
		return;
	pthread_join(w->thread, NULL);
	w->nfq = eg_nfq_free(w->nfq);
	w->engine = eg_engine_free(w->engine);
	pthread_mutex_destroy(&w->snap_lock);
}

void eg_worker_snapshot(struct eg_worker *w, struct eg_worker_snapshot *ret)
{
	pthread_mutex_lock(&w->snap_lock);
	*ret = w->snap;
	pthread_mutex_unlock(&w->snap_lock);
}
