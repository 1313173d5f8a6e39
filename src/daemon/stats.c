// SPDX-License-Identifier: MIT
/* stats.c: totals, journald entries, STATUS line; see stats.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "echoguard/engine/engine.h"
#include "echoguard/net/packet.h"

#include "log.h"
#include "stats.h"
#include "util.h"

/* journalctl MESSAGE_ID=... selects the periodic entries and drop events. */
#define EG_STATS_MESSAGE_ID "MESSAGE_ID=4f1c2b9a6d3e4e0f8a7b5c6d7e8f9012"
#define EG_DROP_MESSAGE_ID "MESSAGE_ID=9a1b7e3c2d4f4a5b8c6d0e1f2a3b4c5d"

static void add_nfq(struct eg_nfq_counters *a, const struct eg_nfq_counters *b)
{
	a->received += b->received;
	a->accepted += b->accepted;
	a->dropped += b->dropped;
	a->repeated += b->repeated;
	a->batches += b->batches;
	a->id_gaps += b->id_gaps;
	a->enobufs += b->enobufs;
	a->send_errors += b->send_errors;
	a->bad_messages += b->bad_messages;
	a->gso_packets += b->gso_packets;
	a->kernel_errors += b->kernel_errors;
	a->unknown_ids += b->unknown_ids;
	a->acks += b->acks;
	a->other_messages += b->other_messages;
	a->truncated += b->truncated;
	a->kernel_fallbacks += b->kernel_fallbacks;
	if (b->max_len > a->max_len)
		a->max_len = b->max_len;
}

static void add_worker(struct eg_worker_counters *a,
		       const struct eg_worker_counters *b)
{
	a->parse_errors += b->parse_errors;
	for (unsigned i = 0; i < _EG_PERR_MAX; i++)
		a->parse_by_error[i] += b->parse_by_error[i];
	a->unclassified += b->unclassified;
	a->fallback_sends += b->fallback_sends;
	a->verdict_failures += b->verdict_failures;
	a->mark_loops += b->mark_loops;
	a->drop_events_lost += b->drop_events_lost;
	a->bytes_dropped += b->bytes_dropped;
	a->uploads.closed += b->uploads.closed;
	a->uploads.bytes_allowed += b->uploads.bytes_allowed;
	a->uploads.bytes_blocked += b->uploads.bytes_blocked;
	a->uploads.events_lost += b->uploads.events_lost;
}

static void add_flows(struct eg_flow_stats *a, const struct eg_flow_stats *b)
{
	a->lookups += b->lookups;
	a->hits += b->hits;
	a->created += b->created;
	a->evicted_lru += b->evicted_lru;
	a->expired += b->expired;
	a->active += b->active;
	a->capacity += b->capacity;
}

void eg_stats_collect(struct eg_worker *w, unsigned n,
		      const struct eg_mic *mic, struct eg_totals *ret)
{
	struct eg_worker_snapshot s;
	struct eg_kstat k;

	memset(&ret->nfq, 0, sizeof(ret->nfq));
	memset(&ret->w, 0, sizeof(ret->w));
	memset(&ret->policy, 0, sizeof(ret->policy));
	memset(&ret->flows, 0, sizeof(ret->flows));
	memset(&ret->kernel, 0, sizeof(ret->kernel));
	ret->kernel_queues_seen = 0;
	ret->n_queues = n;
	for (unsigned i = 0; i < n; i++) {
		eg_worker_snapshot(&w[i], &s);
		add_nfq(&ret->nfq, &s.nfq);
		add_worker(&ret->w, &s.w);
		eg_policy_stats_add(&ret->policy, &s.policy);
		add_flows(&ret->flows, &s.flows);
		if (eg_kstat_read(EG_KSTAT_PATH, w[i].queue, &k) == 0) {
			ret->kernel.total += k.total;
			ret->kernel.dropped += k.dropped;
			ret->kernel.user_dropped += k.user_dropped;
			ret->kernel.id_sequence += k.id_sequence;
			ret->kernel_queues_seen++;
		}
	}
	if (mic)
		eg_mic_stats_get(mic, &ret->mic);
}

void eg_stats_status(const struct eg_totals *t, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%llu packets: %llu accepted, %llu dropped; mic %s; "
		 "flows %u/%u; parse errors %llu; lost %llu; kernel waiting %u",
		 (unsigned long long)t->nfq.received,
		 (unsigned long long)t->policy.verdicts[EG_VERDICT_ACCEPT],
		 (unsigned long long)t->policy.verdicts[EG_VERDICT_DROP],
		 t->mic.state ? "listening" : "muted", t->flows.active,
		 t->flows.capacity, (unsigned long long)t->w.parse_errors,
		 (unsigned long long)(t->nfq.id_gaps + t->nfq.enobufs),
		 t->kernel.total);
}

/* A growing list of "FIELD=value" iovecs in one fixed buffer. */
struct fields {
	char buf[8192];
	size_t used;
	struct iovec iov[128];
	unsigned n;
};

static void field(struct fields *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void field(struct fields *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (f->n >= ELEMENTSOF(f->iov) || f->used >= sizeof(f->buf))
		return;
	va_start(ap, fmt);
	r = vsnprintf(f->buf + f->used, sizeof(f->buf) - f->used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(f->buf) - f->used)
		return;
	f->iov[f->n].iov_base = f->buf + f->used;
	f->iov[f->n].iov_len = (size_t)r;
	f->n++;
	f->used += (size_t)r + 1;
}

/* "not_justified" -> "NOT_JUSTIFIED" for field names. */
static void upper(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

#define U(x) ((unsigned long long)(x))

void eg_stats_journal(const struct eg_totals *t, const char *mode,
		      const char *model, const char *model_kind,
		      const char *queues)
{
	static struct fields f;
	const struct eg_policy_stats *p = &t->policy;
	char name[64], msg[512];

	memset(&f, 0, sizeof(f));
	snprintf(msg, sizeof(msg),
		 "%llu packets (%llu accepted, %llu dropped, %llu bytes "
		 "blocked), %llu uploads (%llu allowed, %llu dropped), "
		 "mic %s, %u/%u flows, %llu parse errors, "
		 "%llu lost; kernel: %u waiting, %u queue-full drops, "
		 "%u undeliverable",
		 U(t->nfq.received), U(p->verdicts[EG_VERDICT_ACCEPT]),
		 U(p->verdicts[EG_VERDICT_DROP]), U(t->w.bytes_dropped),
		 U(p->uploads), U(p->uploads_allowed), U(p->uploads_dropped),
		 t->mic.state ? "listening" : "muted", t->flows.active,
		 t->flows.capacity, U(t->w.parse_errors),
		 U(t->nfq.id_gaps + t->nfq.enobufs), t->kernel.total,
		 t->kernel.dropped, t->kernel.user_dropped);
	field(&f, "MESSAGE=%s", msg);
	field(&f, "PRIORITY=%d", LOG_INFO);
	field(&f, "SYSLOG_IDENTIFIER=echoguardd");
	field(&f, "%s", EG_STATS_MESSAGE_ID);
	field(&f, "EG_EVENT=stats");
	field(&f, "EG_UPTIME_S=%llu", U(t->uptime_ns / 1000000000ull));
	field(&f, "EG_MODE=%s", mode);
	field(&f, "EG_MODEL=%s", model);
	field(&f, "EG_MODEL_KIND=%s", model_kind);
	field(&f, "EG_QUEUES=%s", queues);
	field(&f, "EG_GENERATION=%llu", U(t->generation));
	field(&f, "EG_RELOADS=%llu", U(t->reloads));
	field(&f, "EG_RELOAD_FAILURES=%llu", U(t->reload_failures));
	field(&f, "EG_PACKETS=%llu", U(t->nfq.received));
	field(&f, "EG_BYTES=%llu", U(p->bytes));
	field(&f, "EG_ACCEPTED=%llu", U(p->verdicts[EG_VERDICT_ACCEPT]));
	field(&f, "EG_DROPPED=%llu", U(p->verdicts[EG_VERDICT_DROP]));
	field(&f, "EG_BYTES_DROPPED=%llu", U(t->w.bytes_dropped));
	field(&f, "EG_VERDICTS_ACCEPT=%llu", U(t->nfq.accepted));
	field(&f, "EG_VERDICTS_DROP=%llu", U(t->nfq.dropped));
	field(&f, "EG_VERDICTS_REPEAT=%llu", U(t->nfq.repeated));
	field(&f, "EG_VERDICT_BATCHES=%llu", U(t->nfq.batches));
	for (unsigned c = 0; c < EG_CLASS_COUNT; c++) {
		upper(eg_class_name((enum eg_class)c), name, sizeof(name));
		field(&f, "EG_CLASS_%s=%llu", name, U(p->classes[c]));
	}
	field(&f, "EG_UNCLASSIFIED=%llu", U(p->unclassified));
	field(&f, "EG_UPLOADS=%llu", U(p->uploads));
	field(&f, "EG_UPLOADS_ALLOWED=%llu", U(p->uploads_allowed));
	field(&f, "EG_UPLOADS_DROPPED=%llu", U(p->uploads_dropped));
	field(&f, "EG_UPLOAD_LEAK_BYTES=%llu", U(p->upload_leak_bytes));
	field(&f, "EG_UPLOAD_BYTES_ALLOWED=%llu", U(t->w.uploads.bytes_allowed));
	field(&f, "EG_UPLOAD_BYTES_BLOCKED=%llu", U(t->w.uploads.bytes_blocked));
	field(&f, "EG_UPLOAD_EVENTS_LOGGED=%llu", U(t->upload_events_logged));
	field(&f, "EG_UPLOAD_EVENTS_SUPPRESSED=%llu",
	      U(t->upload_events_suppressed + t->w.uploads.events_lost));
	for (unsigned r = 0; r < EG_REASON_COUNT; r++) {
		upper(eg_reason_name((enum eg_reason)r), name, sizeof(name));
		field(&f, "EG_REASON_%s=%llu", name, U(p->reasons[r]));
	}
	field(&f, "EG_PARSE_ERRORS=%llu", U(t->w.parse_errors));
	field(&f, "EG_FALLBACK_SENDS=%llu", U(t->w.fallback_sends));
	field(&f, "EG_VERDICT_FAILURES=%llu", U(t->w.verdict_failures));
	field(&f, "EG_SEND_ERRORS=%llu", U(t->nfq.send_errors));
	field(&f, "EG_MARK_LOOPS=%llu", U(t->w.mark_loops));
	field(&f, "EG_LOST=%llu", U(t->nfq.id_gaps + t->nfq.enobufs));
	field(&f, "EG_BAD_MESSAGES=%llu", U(t->nfq.bad_messages));
	field(&f, "EG_MAX_PACKET_LEN=%llu", U(t->nfq.max_len));
	field(&f, "EG_NL_ERRORS=%llu", U(t->nfq.kernel_errors));
	field(&f, "EG_NL_UNKNOWN_IDS=%llu", U(t->nfq.unknown_ids));
	field(&f, "EG_NL_ACKS=%llu", U(t->nfq.acks));
	field(&f, "EG_NL_OTHER=%llu", U(t->nfq.other_messages));
	field(&f, "EG_NL_TRUNCATED=%llu", U(t->nfq.truncated));
	field(&f, "EG_NL_FALLBACKS=%llu", U(t->nfq.kernel_fallbacks));
	field(&f, "EG_BUDGET_BYTES=%llu", U(t->budget.bytes));
	field(&f, "EG_BUDGET_PACKETS=%llu", U(t->budget.packets));
	field(&f, "EG_BUDGET_OVER_BYTES=%llu", U(t->budget.over_bytes));
	field(&f, "EG_BUDGET_OVER_PACKETS=%llu", U(t->budget.over_packets));
	field(&f, "EG_OVERSIZED_PACKETS=%llu", U(t->nfq.gso_packets));
	field(&f, "EG_FLOWS_ACTIVE=%u", t->flows.active);
	field(&f, "EG_FLOWS_CAPACITY=%u", t->flows.capacity);
	field(&f, "EG_FLOWS_CREATED=%llu", U(t->flows.created));
	field(&f, "EG_FLOWS_EVICTED=%llu", U(t->flows.evicted_lru));
	field(&f, "EG_FLOWS_EXPIRED=%llu", U(t->flows.expired));
	field(&f, "EG_MIC=%d", t->mic.state);
	field(&f, "EG_MIC_ERRORS=%llu", U(t->mic.errors));
	field(&f, "EG_MIC_CHANGES=%llu", U(t->mic.changes));
	field(&f, "EG_DROP_EVENTS_LOGGED=%llu", U(t->drop_events_logged));
	field(&f, "EG_DROP_EVENTS_SUPPRESSED=%llu",
	      U(t->drop_events_suppressed + t->w.drop_events_lost));
	field(&f, "EG_KERNEL_QUEUES=%u", t->kernel_queues_seen);
	field(&f, "EG_KERNEL_WAITING=%u", t->kernel.total);
	field(&f, "EG_KERNEL_QUEUE_DROPPED=%u", t->kernel.dropped);
	field(&f, "EG_KERNEL_USER_DROPPED=%u", t->kernel.user_dropped);
	field(&f, "EG_KERNEL_ID_SEQUENCE=%u", t->kernel.id_sequence);
	(void)sd_journal_sendv(f.iov, (int)f.n);
	if (eg_log_to_stderr())
		eg_log(LOG_INFO, "stats: %s", msg);
}

void eg_stats_drop_event(const struct eg_drop_event *ev)
{
	char src[64], dst[64], msg[512];
	const char *cls = ev->cls >= 0 ? eg_class_name((enum eg_class)ev->cls) :
		"none";

	eg_addr_format(ev->ip_version, ev->src, src, sizeof(src));
	eg_addr_format(ev->ip_version, ev->dst, dst, sizeof(dst));
	snprintf(msg, sizeof(msg),
		 "drop %s:%u -> %s:%u len %u seq %u class %s p=%.2f "
		 "reason %s%s%s", src, ev->sport, dst, ev->dport, ev->len,
		 ev->seq, cls, (double)ev->proba, eg_reason_name(ev->reason),
		 ev->sni[0] ? " sni " : "", ev->sni);
	sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_DEBUG,
			"SYSLOG_IDENTIFIER=echoguardd", EG_DROP_MESSAGE_ID,
			"EG_EVENT=drop", "EG_QUEUE=%u", ev->queue,
			"EG_SRC=%s", src, "EG_DST=%s", dst,
			"EG_SPORT=%u", ev->sport, "EG_DPORT=%u", ev->dport,
			"EG_LEN=%u", ev->len, "EG_SEQ=%u", ev->seq,
			"EG_CLASS=%s", cls, "EG_PROBA=%.3f", (double)ev->proba,
			"EG_REASON=%s", eg_reason_name(ev->reason),
			"EG_SNI=%s", ev->sni, NULL);
	if (eg_log_to_stderr())
		eg_log(LOG_DEBUG, "%s", msg);
}
