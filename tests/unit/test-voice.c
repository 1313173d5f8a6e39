/* SPDX-License-Identifier: MIT */
/* test-voice.c: voice-shaped uploads (offline/voice.h) and the labels of
 * --context voice and of rows sent muted (offline/label.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "echoguard/offline/capture.h"
#include "echoguard/offline/label.h"
#include "echoguard/offline/voice.h"
#include "echoguard/net/packet.h"
#include "tap.h"

#define NS(s) ((uint64_t)((s) * 1e9 + 0.5))
#define T0 1700000000.0
#define MAXR 512

static struct eg_label_row rows[MAXR];
static size_t n;

static void add(double t, uint64_t flow, uint32_t size)
{
	struct eg_label_row *r = &rows[n++];

	memset(r, 0, sizeof(*r));
	r->ts_ns = NS(T0 + t);
	r->flow_id = flow;
	r->size = size;
	r->proto_class = EG_CLASS_EXPECTED;
}

/* count segments of size (or alternating sizes a, b) every gap s. */
static double stream(double t, uint64_t flow, unsigned count, uint32_t a,
		     uint32_t b, double gap)
{
	unsigned i;

	for (i = 0; i < count; i++, t += gap)
		add(t, flow, i % 2 ? b : a);
	return t;
}

static size_t windows(struct eg_window **w)
{
	struct eg_voice_params p;
	size_t nw = 99;

	eg_voice_params_default(&p);
	CHECK(eg_voice_windows(&p, rows, n, w, &nw) >= 0);
	return nw;
}

static void test_synthetic(void)
{
	struct eg_window *w;
	size_t nw;

	/* 30 records of 118 B, 30 ms apart: one run, its window. */
	n = 0;
	stream(10, 1, 30, 118, 118, 0.03);
	nw = windows(&w);
	CHECK_EQ(nw, 1);
	CHECK_NEAR(w[0].start, T0 + 10 - 0.5, 1e-3);
	CHECK_NEAR(w[0].end, T0 + 10 + 29 * 0.03 + 5, 1e-3);
	free(w);
	/* 9 are not a run. */
	n = 0;
	stream(10, 1, 9, 118, 118, 0.03);
	CHECK_EQ(windows(&w), 0);
	CHECK(w == NULL);
	/* Records split at the MSS: two sizes alternating are one run. */
	n = 0;
	stream(10, 1, 20, 1380, 564, 0.05);
	CHECK_EQ(windows(&w), 1);
	free(w);
	/* A third size ends a run: no size repeats in 1,2,3,1,2,3... */
	n = 0;
	{
		unsigned i;

		for (i = 0; i < 30; i++)
			add(10 + 0.03 * i, 1, 200 + (i % 3));
	}
	CHECK_EQ(windows(&w), 0);
	/* A gap over 0.2 s ends a run: 8 + 8 with 0.3 s between. */
	n = 0;
	stream(stream(10, 1, 8, 118, 118, 0.03) + 0.27, 1, 8, 118, 118, 0.03);
	CHECK_EQ(windows(&w), 0);
	/* Bulk: 1460-byte segments back to back (1 ms: 1.4 MB/s). */
	n = 0;
	stream(10, 1, 100, 1460, 1460, 0.001);
	CHECK_EQ(windows(&w), 0);
	/* Segments of two flows interleaved are two runs; segments of other
	 * classes (a keep-alive series is syn, retransmissions) are not. */
	n = 0;
	stream(10, 1, 12, 118, 118, 0.04);
	stream(10.02, 2, 12, 300, 300, 0.04);
	stream(100, 3, 20, 118, 118, 0.03);
	for (nw = n - 20; nw < n; nw++)
		rows[nw].proto_class = EG_CLASS_RETRANSMIT;
	CHECK_EQ(windows(&w), 1);      /* the two overlapping ones merged */
	CHECK(w && w[0].end < T0 + 20);
	free(w);
	/* Bad arguments. */
	{
		struct eg_voice_params p;

		eg_voice_params_default(&p);
		p.min_run = 1;
		CHECK_EQ(eg_voice_windows(&p, rows, n, &w, &nw), -EINVAL);
		CHECK_EQ(eg_voice_windows(NULL, rows, n, &w, &nw), -EINVAL);
	}
}

/* --context voice labels by the windows; a row sent muted is
 * not_justified whatever the context. */
static void test_labels(void)
{
	struct eg_label_params lp;
	size_t i;

	n = 0;
	stream(10, 1, 30, 118, 118, 0.03);   /* voice */
	add(12, 2, 700);                      /* in its window */
	add(40, 2, 700);                      /* far from it */
	add(41, 2, 700);
	rows[n - 1].muted = true;             /* sent muted */
	eg_label_params_default(&lp);
	lp.ctx = EG_CTX_VOICE;
	lp.margin = 0;
	CHECK(eg_label_apply(&lp, rows, n) >= 0);
	for (i = 0; i < 30; i++)
		CHECK_EQ(rows[i].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[30].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[31].label, EG_CLASS_JUSTIFIED);
	CHECK_EQ(rows[32].label, EG_CLASS_NOT_JUSTIFIED);
	lp.ctx = EG_CTX_ACTIVE;
	CHECK(eg_label_apply(&lp, rows, n) >= 0);
	CHECK_EQ(rows[31].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[32].label, EG_CLASS_NOT_JUSTIFIED);
	CHECK_EQ(eg_context_parse("voice"), EG_CTX_VOICE);
	CHECK_STREQ(eg_context_name(EG_CTX_VOICE), "voice");
}

/* The outbound rows of a real capture. */
static struct eg_label_row *read_real(const char *path, size_t *ret_n)
{
	struct eg_engine_params ep;
	struct eg_engine *e;
	struct eg_capture *cap;
	struct eg_frame fr;
	struct eg_pkt_info ri;
	struct eg_label_row *r = calloc(8000, sizeof(*r));
	char err[512];
	size_t k = 0;

	eg_engine_params_default(&ep);
	ep.device_version[0] = (uint8_t)eg_addr_parse("192.168.86.40", ep.devices[0]);
	ep.n_devices = 1;
	CHECK_EQ(eg_engine_new(&ep, &e), 0);
	CHECK_EQ(eg_capture_open(path, &cap, err, sizeof(err)), 0);
	while (eg_capture_next(cap, &fr, err, sizeof(err)) == 1 && k < 8000) {
		eg_engine_process(e, fr.linktype, fr.data, fr.caplen, fr.len,
				  fr.ts_ns, 1, &ri);
		if (!ri.outbound)
			continue;
		r[k].ts_ns = fr.ts_ns;
		r[k].flow_id = (uint64_t)(uintptr_t)ri.flow;
		r[k].size = ri.pkt.payload_len;
		r[k].proto_class = (uint8_t)ri.proto_class;
		r[k].ka_candidate = ri.ka_candidate;
		k++;
	}
	eg_capture_free(cap);
	eg_engine_free(e);
	*ret_n = k;
	return r;
}

/* Every interaction the data set's authors cut from these captures by
 * their own burst detection (source "trace") overlaps a voice window, and
 * every voice window holds one of them (none found in idle time). */
static void test_real(void)
{
	static const char *const caps[] = {
		"alexa_5_40s.pcap", "how_far_away_is_the_moon_5_30s.pcap",
		"what_is_the_weather_5_60_80_100_120_140_capture.pcap",
	};
	const char *data = eg_test_shared_data();
	struct eg_interactions *in;
	struct eg_voice_params p;
	char path[1024], err[512];
	size_t c;

	snprintf(path, sizeof(path), "%s/vcf/interactions.csv", data);
	CHECK_EQ(eg_interactions_load(path, &in, err, sizeof(err)), 0);
	eg_voice_params_default(&p);
	for (c = 0; c < 3; c++) {
		const struct eg_window *t;
		struct eg_window *w = NULL;
		struct eg_label_row *r;
		size_t nr, nw = 0, nt, i, j, hit = 0, held = 0;

		snprintf(path, sizeof(path), "%s/vcf/pcap/%s", data, caps[c]);
		r = read_real(path, &nr);
		CHECK(eg_voice_windows(&p, r, nr, &w, &nw) >= 0);
		nt = eg_interactions_find(in, caps[c], &t);
		for (i = 0; i < nt; i++)
			for (j = 0; j < nw; j++)
				if (w[j].start <= t[i].end && t[i].start <= w[j].end) {
					hit++;
					break;
				}
		for (j = 0; j < nw; j++)
			for (i = 0; i < nt; i++)
				if (w[j].start <= t[i].end && t[i].start <= w[j].end) {
					held++;
					break;
				}
		printf("# %s: %zu interactions, %zu voice windows; %zu "
		       "interactions found, %zu windows hold one\n", caps[c], nt,
		       nw, hit, held);
		CHECK_EQ(nt, 5);
		CHECK_EQ(hit, nt);
		CHECK_EQ(held, nw);
		free(w);
		free(r);
	}
	eg_interactions_free(in);
}

int main(void)
{
	test_synthetic();
	test_labels();
	test_real();
	return eg_test_done();
}
