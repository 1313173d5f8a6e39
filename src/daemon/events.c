// SPDX-License-Identifier: MIT
/* events.c: upload, start/reload and microphone journal events; see
 * events.h and docs/journald.md. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "echoguard/net/packet.h"
#include "echoguard/util/util.h"

#include "events.h"
#include "log.h"
#include "util.h"

#define EG_UPLOAD_MESSAGE_ID "MESSAGE_ID=5e2d8c1b7a9f4c3e9b0a1d2c3e4f5a6b"
#define EG_RUN_MESSAGE_ID "MESSAGE_ID=6b3e9d2c8b0a4d4f8c1b2e3d4f5a6b7c"
#define EG_MIC_MESSAGE_ID "MESSAGE_ID=7c4f0e3d9c1b4e5a8d2c3f4e5a6b7c8d"

/* Close open record i: count its bytes, queue it for the journal when it
 * is worth a look, and remove it from the table. */
static void close_open(struct eg_upload_log *l, struct eg_upload_counters *c,
		       unsigned i, bool cut)
{
	struct eg_upload_event *ev = &l->open[i].ev;
	uint32_t head = l->head;
	uint32_t tail = __atomic_load_n(&l->tail, __ATOMIC_ACQUIRE);

	ev->cut = cut;
	CNT_INC(c->closed);
	if (ev->up.decision == EG_UPLOAD_DROP)
		CNT_ADD(c->bytes_blocked, ev->up.dropped_bytes);
	else
		CNT_ADD(c->bytes_allowed, ev->up.bytes);
	if (ev->up.decision == EG_UPLOAD_DROP || ev->doubt) {
		if (head - tail >= EG_UPLOAD_RING) {
			CNT_INC(c->events_lost);
		} else {
			l->ring[head % EG_UPLOAD_RING] = *ev;
			__atomic_store_n(&l->head, head + 1, __ATOMIC_RELEASE);
		}
	}
	l->open[i] = l->open[--l->n_open];
}

static int find_open(const struct eg_upload_log *l,
		     const struct eg_pkt_info *pi)
{
	for (unsigned i = 0; i < l->n_open; i++)
		if (l->open[i].flow == pi->flow &&
		    l->open[i].ev.up.device_port == pi->pkt.sport)
			return (int)i;
	return -1;
}

void eg_events_upload_packet(struct eg_upload_log *l,
			     struct eg_upload_counters *c,
			     const struct eg_pkt_info *pi,
			     const struct eg_decision *d, uint64_t now)
{
	struct eg_upload_event *ev;
	int i;

	if (d->upload == EG_UPLOAD_NONE || !pi->flow)
		return;
	i = find_open(l, pi);
	if (i >= 0 && l->open[i].ev.up.number != pi->flow->upload.number) {
		close_open(l, c, (unsigned)i, false);  /* the next upload */
		i = -1;
	}
	if (i < 0) {
		if (d->upload != EG_UPLOAD_ALLOW && d->upload != EG_UPLOAD_DROP)
			return;
		if (l->n_open == EG_UPLOAD_OPEN)
			close_open(l, c, 0, true);
		i = (int)l->n_open++;
		l->open[i].flow = pi->flow;
		ev = &l->open[i].ev;
		memset(ev, 0, sizeof(*ev));
		ev->decided_ns = now;
		ev->queue = l->queue;
	}
	ev = &l->open[i].ev;
	eg_upload_get(pi->flow, pi->dir, &ev->up);
	/* Confident allows (evidence past -drop_evidence) are routine; an
	 * allow that ran out of packets, or came while muted, is doubt. */
	if (ev->up.decision == EG_UPLOAD_ALLOW)
		ev->doubt = ev->up.evidence > -l->doubt_evidence ||
			    ev->up.muted_seen;
}

void eg_events_upload_tick(struct eg_upload_log *l,
			   struct eg_upload_counters *c, uint64_t now,
			   uint64_t gap_ns)
{
	unsigned i = 0;

	while (i < l->n_open) {
		const struct eg_upload *u = &l->open[i].ev.up;

		if (gap_ns == 0 || now - u->last_ns > gap_ns)
			close_open(l, c, i, false);
		else
			i++;
	}
}

bool eg_events_upload_pop(struct eg_upload_log *l, struct eg_upload_event *ret)
{
	uint32_t tail = l->tail;
	uint32_t head = __atomic_load_n(&l->head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return false;
	*ret = l->ring[tail % EG_UPLOAD_RING];
	__atomic_store_n(&l->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

static const char *upload_reason(const struct eg_upload_event *ev)
{
	if (ev->up.decision == EG_UPLOAD_DROP)
		return ev->up.muted_seen ? "muted" : "nobody_spoke";
	return ev->up.muted_seen ? "allowed_while_muted" : "allowed_after_doubt";
}

/* Wall-clock microseconds of monotonic time t (now: monotonic now). */
static unsigned long long wall_us(uint64_t t, uint64_t now)
{
	struct timespec ts;
	unsigned long long w;

	clock_gettime(CLOCK_REALTIME, &ts);
	w = (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000ull;
	return w - (now > t ? (now - t) / 1000ull : 0);
}

static bool take_token(struct eg_event_bucket *b, uint64_t now)
{
	b->tokens += EG_UPLOAD_EVENT_RATE * (double)(now - b->last_ns) / 1e9;
	if (b->last_ns == 0 || b->tokens > EG_UPLOAD_EVENT_RATE)
		b->tokens = EG_UPLOAD_EVENT_RATE;
	b->last_ns = now;
	if (b->tokens < 1) {
		b->suppressed++;
		return false;
	}
	b->tokens -= 1;
	b->logged++;
	return true;
}

void eg_events_upload_journal(struct eg_event_bucket *b,
			      const struct eg_upload_event *ev,
			      const char *mode, uint64_t now)
{
	const struct eg_upload *u = &ev->up;
	bool drop = u->decision == EG_UPLOAD_DROP;
	char dev[64], srv[64], msg[512];
	const char *server = u->sni[0] ? u->sni : srv;

	if (!take_token(b, now))
		return;
	eg_addr_format(u->ip_version, u->device, dev, sizeof(dev));
	eg_addr_format(u->ip_version, u->server, srv, sizeof(srv));
	snprintf(msg, sizeof(msg),
		 "upload %s%s: %s -> %s:%u, %u bytes in %u packets "
		 "(%u dropped, %u leaked), evidence %.1f over %u, mic %s, %s",
		 drop ? "blocked" : "allowed",
		 strcmp(mode, "monitor") == 0 && drop ? " (monitor: passed)" : "",
		 dev, server, u->server_port, u->bytes, u->pkts,
		 u->dropped_bytes, u->leaked, (double)u->evidence, u->scored,
		 u->muted_seen ? "muted" : "listening", upload_reason(ev));
	sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_INFO,
		"SYSLOG_IDENTIFIER=echoguardd", EG_UPLOAD_MESSAGE_ID,
		"EG_EVENT=upload", "EG_DECISION=%s", drop ? "drop" : "allow",
		"EG_REASON=%s", upload_reason(ev), "EG_MODE=%s", mode,
		"EG_START_US=%llu", wall_us(u->first_ns, now),
		"EG_DECIDED_US=%llu", wall_us(ev->decided_ns, now),
		"EG_DURATION_MS=%llu",
		(unsigned long long)((u->last_ns - u->first_ns) / 1000000ull),
		"EG_DEVICE=%s", dev, "EG_SERVER=%s", srv,
		"EG_SERVER_PORT=%u", u->server_port, "EG_SNI=%s", u->sni,
		"EG_BYTES=%u", u->bytes, "EG_PACKETS=%u", u->pkts,
		"EG_BYTES_BLOCKED=%u", u->dropped_bytes,
		"EG_PACKETS_BLOCKED=%u", u->dropped_pkts,
		"EG_LEAK_BYTES=%u", u->leaked,
		"EG_EVIDENCE=%.2f", (double)u->evidence, "EG_SCORED=%u", u->scored,
		"EG_MIC=%d", u->muted_seen ? 0 : 1,
		"EG_MIC_START=%d", u->mic_start ? 1 : 0,
		"EG_CUT=%d", ev->cut ? 1 : 0, "EG_QUEUE=%u", ev->queue, NULL);
	if (eg_log_to_stderr())
		eg_log(LOG_INFO, "%s", msg);
}

/* CRC-32 of a file, 0 when unreadable (the model's identity). */
static uint32_t file_crc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint32_t crc = 0;
	struct stat st;
	void *p;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			crc = eg_crc32(p, (size_t)st.st_size);
			munmap(p, (size_t)st.st_size);
		}
	}
	close(fd);
	return crc;
}

void eg_events_run(const struct eg_events_run *r)
{
	char msg[1024];
	uint32_t crc = file_crc(r->model);
	bool start = strcmp(r->what, "start") == 0;

	snprintf(msg, sizeof(msg), "%s: queues %s, model %s (%s, %u trees), "
		 "mode %s, fail %s, mic %s", start ? "started" : "model in use",
		 r->queues, r->model, r->model_kind, r->trees, r->mode, r->fail,
		 r->mic ? "listening" : "muted");
	sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_INFO,
		"SYSLOG_IDENTIFIER=echoguardd", EG_RUN_MESSAGE_ID,
		"EG_EVENT=%s", r->what, "EG_MODE=%s", r->mode,
		"EG_FAIL=%s", r->fail, "EG_MODEL=%s", r->model,
		"EG_MODEL_KIND=%s", r->model_kind,
		"EG_MODEL_FALLBACK=%s", r->model_fallback,
		"EG_MODEL_TREES=%u", r->trees, "EG_MODEL_CRC32=%08x", crc,
		"EG_QUEUES=%s", r->queues, "EG_MIC=%d", r->mic,
		"EG_STATS_INTERVAL=%u", r->stats_interval,
		"EG_VERSION=%s", r->version, NULL);
	/* a reload has its own log line (main.c) */
	if (start && eg_log_to_stderr())
		eg_log(LOG_INFO, "%s", msg);
}

void eg_events_reload_failed(const char *why)
{
	static const char what[] = "reload failed, keeping the running "
				   "configuration and model";

	sd_journal_send("MESSAGE=%s: %s", what, why, "PRIORITY=%d", LOG_ERR,
		"SYSLOG_IDENTIFIER=echoguardd", EG_RUN_MESSAGE_ID,
		"EG_EVENT=reload_failed", "EG_ERROR=%s", why, NULL);
	if (eg_log_to_stderr())
		eg_log(LOG_ERR, "%s: %s", what, why);
}

void eg_events_mic(int state)
{
	const char *s = state ? "listening" : "muted";

	sd_journal_send("MESSAGE=microphone %s", s, "PRIORITY=%d", LOG_INFO,
		"SYSLOG_IDENTIFIER=echoguardd", EG_MIC_MESSAGE_ID,
		"EG_EVENT=mic", "EG_MIC=%d", state, NULL);
	if (eg_log_to_stderr())
		eg_log(LOG_INFO, "microphone %s", s);
}
