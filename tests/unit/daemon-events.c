/* SPDX-License-Identifier: MIT */
/*
 * daemon-events.c (ctest daemon-events): the daemon's upload records
 * (src/daemon/events.c) on crafted flows: a record opens when an upload is
 * decided, follows its later segments, closes after the quiet gap or at
 * the flow's next upload; blocked and doubtful allows are queued for the
 * journal, confident allows only counted; a full table closes its oldest
 * record early (cut), a full ring counts the event as lost; the bytes
 * counters add up. The journal writer itself runs in e2e-status.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "tap.h"

#define MS 1000000ull

struct conn {
	struct eg_flow f;
	struct eg_pkt_info pi;
};

static void conn_init(struct conn *c, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->f.key.ip_version = 4;
	inet_pton(AF_INET, "192.168.86.40", c->f.key.a + 12);
	inet_pton(AF_INET, "52.94.233.1", c->f.key.b + 12);
	c->f.key.pa = port;
	c->f.key.pb = 443;
	c->f.fwd_is_a = true;
	snprintf(c->f.sni, sizeof(c->f.sni), "avs-alexa-na.amazon.com");
	c->pi.flow = &c->f;
	c->pi.dir = EG_DIR_FWD;
	c->pi.pkt.sport = port;
}

/* One segment of len bytes of the flow's current upload, decided dec
 * (the policy's job, done by hand here: the state the tracker reads). */
static void seg(struct eg_upload_log *l, struct eg_upload_counters *n,
		struct conn *c, uint64_t t, uint32_t len,
		enum eg_upload_decision dec, float evidence, int mic)
{
	struct eg_upload_state *u = &c->f.upload;
	struct eg_decision d = { .upload = dec };

	if (u->number == 0 || t - u->last_ns > 1000 * MS) {
		uint32_t number = u->number;

		memset(u, 0, sizeof(*u));
		u->number = number + 1;
		u->first_ns = t;
		d.upload_started = true;
	}
	u->last_ns = t;
	u->pkts++;
	u->bytes += len;
	if (dec == EG_UPLOAD_DROP) {
		u->dropped_pkts++;
		u->dropped_bytes += len;
	}
	u->state = (uint8_t)dec;
	u->evidence = evidence;
	u->muted_seen |= !mic;
	eg_events_upload_packet(l, n, &c->pi, &d, t);
}

static unsigned drain(struct eg_upload_log *l, struct eg_upload_event *ev,
		      unsigned max)
{
	unsigned k = 0;

	while (k < max && eg_events_upload_pop(l, &ev[k]))
		k++;
	return k;
}

static struct eg_upload_log lg;

static void test_lifecycle(void)
{
	struct eg_upload_counters n = { 0 };
	struct eg_upload_event ev[8];
	struct conn a, b, c;
	uint64_t t = 1000 * MS;

	memset(&lg, 0, sizeof(lg));
	lg.doubt_evidence = 3.0f;
	lg.queue = 2;
	conn_init(&a, 50000);
	conn_init(&b, 50001);
	conn_init(&c, 50002);
	/* a: pending then blocked while muted; b: a confident allow;
	 * c: allowed after doubt (evidence never below -3) */
	seg(&lg, &n, &a, t, 100, EG_UPLOAD_PENDING, 1.0f, 0);
	CHECK_EQ(lg.n_open, 0);             /* undecided: nothing yet */
	seg(&lg, &n, &a, t += 10 * MS, 200, EG_UPLOAD_DROP, 4.0f, 0);
	seg(&lg, &n, &a, t += 10 * MS, 300, EG_UPLOAD_DROP, 4.0f, 0);
	seg(&lg, &n, &b, t, 1000, EG_UPLOAD_ALLOW, -4.0f, 1);
	seg(&lg, &n, &b, t += 10 * MS, 1000, EG_UPLOAD_ALLOW, -4.0f, 1);
	seg(&lg, &n, &c, t, 400, EG_UPLOAD_ALLOW, -1.0f, 1);
	CHECK_EQ(lg.n_open, 3);
	eg_events_upload_tick(&lg, &n, t + 500 * MS, 1000 * MS);
	CHECK_EQ(lg.n_open, 3);             /* not quiet for a gap yet */
	CHECK_EQ(drain(&lg, ev, 8), 0);
	eg_events_upload_tick(&lg, &n, t + 1100 * MS, 1000 * MS);
	CHECK_EQ(lg.n_open, 0);
	CHECK_EQ(n.closed, 3);
	CHECK_EQ(n.bytes_blocked, 500);     /* the dropped segments of a */
	CHECK_EQ(n.bytes_allowed, 2400);    /* b and c, whole */
	CHECK_EQ(drain(&lg, ev, 8), 2);     /* b is routine: counted only */
	CHECK_EQ(ev[0].up.decision, EG_UPLOAD_DROP);
	CHECK_EQ(ev[0].up.bytes, 600);      /* the whole upload, leak included */
	CHECK_EQ(ev[0].up.dropped_bytes, 500);
	CHECK_EQ(ev[0].up.pkts, 3);
	CHECK_EQ(ev[0].up.device_port, 50000);
	CHECK_EQ(ev[0].up.server_port, 443);
	CHECK_STREQ(ev[0].up.sni, "avs-alexa-na.amazon.com");
	CHECK(ev[0].up.muted_seen);
	CHECK_EQ(ev[0].queue, 2);
	CHECK(!ev[0].cut);
	CHECK_EQ(ev[1].up.decision, EG_UPLOAD_ALLOW);
	CHECK(ev[1].doubt);
	CHECK_EQ(ev[1].up.device_port, 50002);

	/* The next upload on a flow closes the record of the previous one
	 * at once, without waiting for the tick. */
	t += 5000 * MS;
	seg(&lg, &n, &a, t, 100, EG_UPLOAD_DROP, 4.0f, 0);
	seg(&lg, &n, &a, t + 1500 * MS, 70, EG_UPLOAD_DROP, 4.0f, 0);
	CHECK_EQ(lg.n_open, 1);
	CHECK_EQ(drain(&lg, ev, 8), 1);
	CHECK_EQ(ev[0].up.bytes, 100);
	eg_events_upload_tick(&lg, &n, t, 0); /* exit: close everything */
	CHECK_EQ(lg.n_open, 0);
	CHECK_EQ(drain(&lg, ev, 8), 1);
	CHECK_EQ(ev[0].up.bytes, 70);
	CHECK_EQ(n.bytes_blocked, 670);
}

static void test_limits(void)
{
	static struct conn cs[EG_UPLOAD_OPEN + EG_UPLOAD_RING + 8];
	struct eg_upload_counters n = { 0 };
	struct eg_upload_event ev;
	uint64_t t = 1000 * MS;
	unsigned k;

	memset(&lg, 0, sizeof(lg));
	lg.doubt_evidence = 3.0f;
	/* One more decided upload than the table holds: the oldest record
	 * is closed early, marked cut. */
	for (k = 0; k <= EG_UPLOAD_OPEN; k++) {
		conn_init(&cs[k], (uint16_t)(40000 + k));
		seg(&lg, &n, &cs[k], t, 10, EG_UPLOAD_DROP, 4.0f, 0);
	}
	CHECK_EQ(lg.n_open, EG_UPLOAD_OPEN);
	CHECK_EQ(n.closed, 1);
	CHECK(eg_events_upload_pop(&lg, &ev));
	CHECK(ev.cut);
	CHECK_EQ(ev.up.device_port, 40000);
	/* More blocked uploads than the ring holds, nobody reading: the
	 * rest are counted as lost, never waited for. */
	for (; k < sizeof(cs) / sizeof(cs[0]); k++) {
		conn_init(&cs[k], (uint16_t)(40000 + k));
		seg(&lg, &n, &cs[k], t, 10, EG_UPLOAD_DROP, 4.0f, 0);
	}
	eg_events_upload_tick(&lg, &n, t, 0);
	CHECK_EQ(n.closed, sizeof(cs) / sizeof(cs[0]));
	/* one was popped above: the rest went for the ring's places */
	CHECK_EQ(n.events_lost, sizeof(cs) / sizeof(cs[0]) - 1 - EG_UPLOAD_RING);
	for (k = 0; eg_events_upload_pop(&lg, &ev); k++)
		;
	CHECK_EQ(k, EG_UPLOAD_RING);
	CHECK_EQ(n.bytes_blocked, 10 * (sizeof(cs) / sizeof(cs[0])));
}

int main(void)
{
	test_lifecycle();
	test_limits();
	return eg_test_done();
}
