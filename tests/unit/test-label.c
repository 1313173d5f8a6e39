/* SPDX-License-Identifier: MIT */
/* test-label.c: contexts, interaction files, keep-alive series, labelling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/engine/engine.h"
#include "echoguard/offline/label.h"
#include "tap.h"

#define NS(s) ((uint64_t)((s) * 1e9 + 0.5))
#define T0 1539622436.0

static char tmpdir[] = "/tmp/eg-test-label-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_context(void)
{
	CHECK_EQ(eg_context_parse("active"), EG_CTX_ACTIVE);
	CHECK_EQ(eg_context_parse("idle"), EG_CTX_IDLE);
	CHECK_EQ(eg_context_parse("muted"), EG_CTX_MUTED);
	CHECK_EQ(eg_context_parse("Muted"), -EINVAL);
	CHECK_EQ(eg_context_parse("interactions"), -EINVAL);
	CHECK_STREQ(eg_context_name(EG_CTX_IDLE), "idle");
}

static void test_interactions(void)
{
	struct eg_interactions *in = NULL;
	const struct eg_window *w;
	char err[512];
	const char *p;
	int r;

	p = write_file("ok.csv",
		       "pcap,start,end,trace,source\r\n"
		       "b.pcap,200.5,210,b_1.csv,trace\r\n"
		       "a.pcap,100,101.25,a_2.csv,trace\n"
		       "\n"
		       "\"what's, up.pcap\",5,6,x.csv,voice_run\n"
		       "a.pcap,50,60,a_1.csv,trace\n");
	r = eg_interactions_load(p, &in, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r < 0) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	CHECK_EQ(eg_interactions_count(in), 4);
	CHECK_EQ(eg_interactions_find(in, "/some/dir/a.pcap", &w), 2);
	CHECK(w && w[0].start == 50 && w[0].end == 60);
	CHECK(w && w[1].start == 100 && w[1].end == 101.25);
	/* the trace column travels with its row through the sort */
	CHECK_STREQ(w ? w[0].trace : NULL, "a_1.csv");
	CHECK_STREQ(w ? w[1].trace : NULL, "a_2.csv");
	CHECK_EQ(eg_interactions_find(in, "b.pcap", &w), 1);
	CHECK(w && w[0].start == 200.5 && w[0].end == 210);
	CHECK_EQ(eg_interactions_find(in, "what's, up.pcap", &w), 1);
	CHECK_EQ(eg_interactions_find(in, "c.pcap", &w), 0);
	CHECK(w == NULL);
	eg_interactions_free(in);

	/* Malformed rows name the file and line. */
	in = NULL;
	p = write_file("bad1.csv", "pcap,start,end,trace,source\n"
				   "a.pcap,1,2,x,trace\n"
				   "a.pcap,abc,2,x,trace\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(in == NULL);
	CHECK(strstr(err, "bad1.csv:3: start \"abc\"") != NULL);
	p = write_file("bad2.csv", "pcap,start,end\na.pcap,5,4\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad2.csv:2: end") != NULL);
	p = write_file("bad3.csv", "pcap,start,end\na.pcap,5\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad3.csv:2: expected pcap,start,end") != NULL);
	p = write_file("bad4.csv", "file,begin,end\na.pcap,5,6\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad4.csv:1: header") != NULL);
	p = write_file("bad5.csv", "pcap,start,end\n,5,6\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad5.csv:2: empty pcap name") != NULL);
	p = write_file("bad6.csv", "pcap,start,end\na.pcap,5,6x\n");
	CHECK_EQ(eg_interactions_load(p, &in, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "bad6.csv:2: end \"6x\"") != NULL);
	CHECK_EQ(eg_interactions_load("/nonexistent/i.csv", &in, err, sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "/nonexistent/i.csv") != NULL);
	CHECK(in == NULL);
}

static void add(struct eg_label_row *rows, size_t *n, double t, uint64_t flow,
		uint32_t size, enum eg_class pc, bool cand)
{
	struct eg_label_row *r = &rows[(*n)++];

	memset(r, 0, sizeof(*r));
	r->ts_ns = NS(T0 + t);
	r->flow_id = flow;
	r->size = size;
	r->proto_class = (uint8_t)pc;
	r->ka_candidate = cand;
	r->label = 0xff;
}

static const struct eg_label_row *by_time_base;

static int by_time(const void *a, const void *b)
{
	const struct eg_label_row *x = &by_time_base[*(const size_t *)a];
	const struct eg_label_row *y = &by_time_base[*(const size_t *)b];

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* eg_label_apply wants capture order: label a time-sorted copy. */
static int apply_sorted(const struct eg_label_params *p,
			struct eg_label_row *rows, size_t n)
{
	static size_t order[4096];
	static struct eg_label_row srt[4096];
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		order[i] = i;
	by_time_base = rows;
	qsort(order, n, sizeof(*order), by_time);
	for (i = 0; i < n; i++)
		srt[i] = rows[order[i]];
	r = eg_label_apply(p, srt, n);
	for (i = 0; i < n; i++)
		rows[order[i]].label = srt[i].label;
	return r;
}

static void test_keepalive(void)
{
	/* The 46-byte series of alexa_5_40s.pcap (frame times), with the
	 * extra 46-byte record 1 s after the fourth that is not part of it. */
	static const double ka[] = { 0.015, 30.007, 60.015, 90.006, 91.022,
				     120.001, 150.013, 180.010 };
	struct eg_label_row rows[4096];
	struct eg_label_params p;
	size_t n = 0, i, first_burst, n_burst = 0, paced;
	int r, syn = 0;

	for (i = 0; i < sizeof(ka) / sizeof(ka[0]); i++)
		add(rows, &n, ka[i], 1, 46, EG_CLASS_EXPECTED, true);
	/* Voice bursts on the same flow: 118-byte records 0.03 s apart for
	 * 6 s, every 35 s: same size, many long gaps, but no series. */
	first_burst = n;
	for (i = 0; i < 5; i++) {
		double t;

		for (t = 0; t < 6; t += 0.03) {
			add(rows, &n, 10 + 35.0 * i + t, 1, 118,
			    EG_CLASS_EXPECTED, true);
			n_burst++;
		}
	}
	/* A regular series on another flow with a 4 s period: too fast. */
	for (i = 0; i < 6; i++)
		add(rows, &n, 3 + 4.0 * i, 2, 50, EG_CLASS_EXPECTED, true);
	/* Only two members at 30 s: not a series. */
	add(rows, &n, 5, 3, 46, EG_CLASS_EXPECTED, true);
	add(rows, &n, 35, 3, 46, EG_CLASS_EXPECTED, true);
	/* Periodic, but not single-record candidates: never syn. */
	for (i = 0; i < 5; i++)
		add(rows, &n, 7 + 30.0 * i, 4, 46, EG_CLASS_EXPECTED, false);
	/* A series of retransmissions keeps its class. */
	for (i = 0; i < 5; i++)
		add(rows, &n, 8 + 30.0 * i, 5, 46, EG_CLASS_RETRANSMIT, true);
	/* The paper's 99 B every 90.8 s, one member missing (lost). */
	add(rows, &n, 1, 6, 99, EG_CLASS_EXPECTED, true);
	add(rows, &n, 91.8, 6, 99, EG_CLASS_EXPECTED, true);
	add(rows, &n, 273.4, 6, 99, EG_CLASS_EXPECTED, true);
	add(rows, &n, 364.2, 6, 99, EG_CLASS_EXPECTED, true);
	/* Requests repeated every 30 s: a 233-byte record opens each, but
	 * inside a burst of other app data: periodic, not a keep-alive. */
	paced = n;
	for (i = 0; i < 5; i++) {
		double t;

		add(rows, &n, 200 + 30.0 * i, 7, 233, EG_CLASS_EXPECTED, true);
		for (t = 0.05; t < 2; t += 0.1)
			add(rows, &n, 200 + 30.0 * i + t, 7, 118,
			    EG_CLASS_EXPECTED, false);
	}
	add(rows, &n, 2, 0, 0, EG_CLASS_ACK, false);
	add(rows, &n, 3, 0, 0, EG_CLASS_HANDSHAKE, false);

	eg_label_params_default(&p);
	p.ctx = EG_CTX_IDLE;
	r = apply_sorted(&p, rows, n);
	CHECK_EQ(r, 7 + 4);
	syn = 0;
	for (i = 0; i < 5; i++)
		syn += rows[paced + 21 * i].label == EG_CLASS_SYN;
	CHECK_EQ(syn, 0);
	CHECK_EQ(rows[paced].label, EG_CLASS_JUSTIFIED);
	syn = 0;
	for (i = 0; i < 8; i++) {
		if (i == 4)
			CHECK_EQ(rows[i].label, EG_CLASS_JUSTIFIED);
		else
			CHECK_EQ(rows[i].label, EG_CLASS_SYN);
	}
	for (i = first_burst; i < first_burst + n_burst; i++)
		syn += rows[i].label == EG_CLASS_SYN;
	CHECK_EQ(syn, 0);
	i = first_burst + n_burst;
	CHECK_EQ(rows[i].label, EG_CLASS_JUSTIFIED);      /* 4 s period */
	CHECK_EQ(rows[i + 6].label, EG_CLASS_JUSTIFIED);  /* two members */
	CHECK_EQ(rows[i + 7].label, EG_CLASS_JUSTIFIED);
	CHECK_EQ(rows[i + 8].label, EG_CLASS_JUSTIFIED);  /* not candidates */
	CHECK_EQ(rows[i + 13].label, EG_CLASS_RETRANSMIT);
	CHECK_EQ(rows[i + 18].label, EG_CLASS_SYN);       /* 90.8 s series */
	CHECK_EQ(rows[i + 21].label, EG_CLASS_SYN);
	CHECK_EQ(rows[n - 2].label, EG_CLASS_ACK);
	CHECK_EQ(rows[n - 1].label, EG_CLASS_HANDSHAKE);

	/* Muted: app data not_justified, keep-alives still syn. */
	p.ctx = EG_CTX_MUTED;
	CHECK_EQ(apply_sorted(&p, rows, n), 11);
	CHECK_EQ(rows[0].label, EG_CLASS_SYN);
	CHECK_EQ(rows[4].label, EG_CLASS_NOT_JUSTIFIED);
	CHECK_EQ(rows[first_burst].label, EG_CLASS_NOT_JUSTIFIED);
	p.ctx = EG_CTX_ACTIVE;
	CHECK_EQ(apply_sorted(&p, rows, n), 11);
	CHECK_EQ(rows[first_burst].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[n - 2].label, EG_CLASS_ACK);
}

static void test_windows(void)
{
	struct eg_window w[2] = { { T0 + 100, T0 + 110, NULL }, { T0 + 200, T0 + 201, NULL } };
	struct eg_label_row rows[16];
	struct eg_label_params p;
	size_t n = 0;

	add(rows, &n, 97.9, 1, 118, EG_CLASS_EXPECTED, false);   /* outside */
	add(rows, &n, 98.1, 1, 118, EG_CLASS_EXPECTED, false);   /* in margin */
	add(rows, &n, 105, 1, 118, EG_CLASS_EXPECTED, false);
	add(rows, &n, 111.9, 1, 118, EG_CLASS_EXPECTED, false);  /* in margin */
	add(rows, &n, 112.1, 1, 118, EG_CLASS_EXPECTED, false);  /* outside */
	add(rows, &n, 200.5, 1, 118, EG_CLASS_EXPECTED, false);
	add(rows, &n, 105, 1, 0, EG_CLASS_ACK, false);
	eg_label_params_default(&p);
	p.ctx = EG_CTX_WINDOWS;
	p.windows = w;
	p.n_windows = 2;
	p.margin = 2;
	CHECK_EQ(eg_label_apply(&p, rows, n), 0);
	CHECK_EQ(rows[0].label, EG_CLASS_JUSTIFIED);
	CHECK_EQ(rows[1].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[2].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[3].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[4].label, EG_CLASS_JUSTIFIED);
	CHECK_EQ(rows[5].label, EG_CLASS_EXPECTED);
	CHECK_EQ(rows[6].label, EG_CLASS_ACK);
	p.margin = 0;
	CHECK_EQ(eg_label_apply(&p, rows, n), 0);
	CHECK_EQ(rows[1].label, EG_CLASS_JUSTIFIED);
	CHECK_EQ(rows[3].label, EG_CLASS_JUSTIFIED);
	p.margin = -1;
	CHECK_EQ(eg_label_apply(&p, rows, n), -EINVAL);
	/* No windows for this capture: everything outside, justified. */
	p.margin = 2;
	p.n_windows = 0;
	CHECK_EQ(eg_label_apply(&p, rows, n), 0);
	CHECK_EQ(rows[2].label, EG_CLASS_JUSTIFIED);
}

/* The real interactions file loads and pairs with the committed captures
 * (5 windows each): tests/data's rows or the whole file; the whole file
 * (whole, label dataset) has every row, names with an apostrophe too. */
static void test_real_file(const char *data, int whole)
{
	static const char *const caps[] = { "how_far_away_is_the_moon_5_30s.pcap",
		"what_is_the_weather_5_60_80_100_120_140_capture.pcap",
		"alexa_5_40s.pcap" };
	struct eg_interactions *in = NULL;
	const struct eg_window *w = NULL;
	char path[1024], err[512];

	snprintf(path, sizeof(path), "%s/vcf/interactions.csv", data);
	CHECK_EQ(eg_interactions_load(path, &in, err, sizeof(err)), 0);
	if (whole)
		CHECK_EQ(eg_interactions_count(in), 482);
	else
		CHECK(eg_interactions_count(in) >= 15);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		CHECK_EQ(eg_interactions_find(in, caps[i], &w), 5);
	/* alexa_5_40s's first and last window */
	CHECK(w && w[0].start > 1539622442.25 && w[0].start < 1539622442.26);
	CHECK(w && w[4].end > 1539622602.25 && w[4].end < 1539622602.26);
	if (whole)
		CHECK(eg_interactions_find(in,
			"what's_the_weather_going_to_be_like_this_weekend_5_30s.pcap",
			&w) > 0);
	eg_interactions_free(in);
}

int main(int argc, char **argv)
{
	if (eg_test_want_dataset(argc, argv)) {
		test_real_file(eg_test_dataset(), 1);
		return eg_test_done();
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_context();
	test_interactions();
	test_keepalive();
	test_windows();
	test_real_file(eg_test_shared_data(), 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return eg_test_done();
}
