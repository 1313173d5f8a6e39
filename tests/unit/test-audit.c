/* SPDX-License-Identifier: MIT */
/*
 * test-audit.c: the audit on small traces whose answer is known: classes
 * separable by one histogram bin are learnt perfectly by every classifier;
 * identical classes stay near chance; padding to the MTU removes all the
 * information size-only features had; top-k, stratified folds, the trace
 * CSV reader, the defences and the window features on hand-made packets.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/audit/audit.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A trace of n packets alternating out/in; out sizes drawn around size. */
static void make_trace(struct eg_audit_trace *t, unsigned n, uint32_t size,
		       uint32_t jitter)
{
	eg_audit_trace_init(t);
	for (unsigned i = 0; i < n; i++) {
		struct eg_audit_pkt p = { 0 };

		p.t = i * 0.01 + uniform() * 0.005;
		p.dir = i % 2 ? -1 : 1;
		p.size = (p.dir > 0 ? size : 600) +
			 (uint32_t)(uniform() * jitter);
		if (eg_audit_trace_push(t, &p) < 0)
			CHECK(!"out of memory");
	}
}

/* n traces per class; class c has outbound sizes sizes[c]. */
static struct eg_dataset *dataset(const struct eg_audit_fopts *o,
				  const uint32_t *sizes, unsigned nc,
				  unsigned per, const struct eg_audit_defend *def,
				  double *overhead)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	unsigned nf = eg_audit_feat_count(o);
	char *buf = malloc(48 * nf);
	const char **fn = malloc(nf * sizeof(*fn));
	float *x = malloc(nf * sizeof(*x));
	struct eg_dataset *d = NULL;
	uint64_t before = 0, after = 0;
	unsigned bad = 0;

	eg_audit_feat_names(o, buf, fn);
	CHECK_EQ(eg_dataset_new(nf, fn, nc, names, &d), 0);
	for (unsigned c = 0; c < nc; c++)
		for (unsigned i = 0; i < per; i++) {
			struct eg_audit_trace t;

			make_trace(&t, 40, sizes[c], 30);
			if (def)
				CHECK_EQ(eg_audit_defend_apply(def, &t, &before,
							       &after), 0);
			eg_audit_feat_compute(o, &t, x);
			for (unsigned j = 0; j < nf; j++)
				bad += !isfinite(x[j]);
			CHECK_EQ(eg_dataset_add(d, x, c, NULL), 0);
			eg_audit_trace_done(&t);
		}
	CHECK_EQ(bad, 0); /* every feature finite */
	if (overhead)
		*overhead = before ? 100.0 * ((double)after - before) / before
				   : 0;
	free(buf);
	free(fn);
	free(x);
	return d;
}

static struct eg_audit_eval_opts eval_opts(void)
{
	struct eg_audit_eval_opts e;

	eg_audit_eval_opts_default(&e);
	e.repeats = 5;
	e.test_size = 0.25;
	e.tune_folds = 2;
	e.topk = 1;
	return e;
}

static void test_separable(void)
{
	struct eg_audit_fopts o = { .kind = EG_AUDIT_F_SIZEHIST, .bins = 15 };
	static const uint32_t sizes[] = { 100, 1000 };
	struct eg_dataset *d = dataset(&o, sizes, 2, 20, NULL, NULL);
	struct eg_audit_eval_opts e = eval_opts();
	char err[256];

	for (int c = 0; c < _EG_CLF_MAX; c++) {
		struct eg_audit_result r;

		CHECK_EQ(eg_audit_evaluate(d, (enum eg_audit_clf)c, &e, &r, err,
					   sizeof(err)), 0);
		CHECK_NEAR(r.mean, 1.0, 1e-9);
		CHECK_NEAR(r.median, 1.0, 1e-9);
		CHECK_NEAR(r.std, 0.0, 1e-9);
		CHECK_NEAR(r.topk_mean, 1.0, 1e-9); /* top-1 == accuracy */
		/* 5 repeats x 5 test rows per class, all on the diagonal */
		CHECK_EQ(r.confusion[0], 25);
		CHECK_EQ(r.confusion[3], 25);
		CHECK_EQ(r.confusion[1] + r.confusion[2], 0);
		if (c != EG_CLF_KNN && c != EG_CLF_MLP) {
			/* the one informative feature family: size bins */
			double s = 0;

			for (unsigned j = 0; j < d->n_features; j++)
				s += r.importance[j];
			CHECK_NEAR(s, 1.0, 1e-6);
		} else {
			CHECK(r.importance == NULL);
		}
		eg_audit_result_done(&r);
	}
	eg_dataset_free(d);
}

static void test_identical(void)
{
	struct eg_audit_fopts o;
	static const uint32_t sizes[] = { 500, 500 };
	struct eg_dataset *d;
	struct eg_audit_eval_opts e = eval_opts();
	struct eg_audit_result r;
	char err[256];

	eg_audit_fopts_default(&o);
	d = dataset(&o, sizes, 2, 40, NULL, NULL);
	e.repeats = 10;
	for (int c = 0; c < _EG_CLF_MAX; c++) {
		CHECK_EQ(eg_audit_evaluate(d, (enum eg_audit_clf)c, &e, &r, err,
					   sizeof(err)), 0);
		/* chance is 50%; 10 x 20 test rows: sd of the mean ~3.5% */
		CHECK(r.mean > 0.30 && r.mean < 0.70);
		eg_audit_result_done(&r);
	}
	eg_dataset_free(d);
}

static void test_pad_mtu(void)
{
	struct eg_audit_fopts o = { .kind = EG_AUDIT_F_SIZEHIST, .bins = 15 };
	static const uint32_t sizes[] = { 100, 1000 };
	struct eg_audit_defend def;
	struct eg_audit_eval_opts e = eval_opts();
	struct eg_audit_result r;
	struct eg_dataset *d;
	double overhead;
	char err[256];

	CHECK_EQ(eg_audit_defend_parse("pad:mtu", &def), 0);
	d = dataset(&o, sizes, 2, 20, &def, &overhead);
	/* every row identical: the last size bin holds all packets */
	for (uint32_t i = 0; i < d->n_rows; i++)
		CHECK_EQ(memcmp(d->x, d->x + (size_t)i * d->n_features,
				d->n_features * sizeof(float)), 0);
	CHECK_NEAR(d->x[14], 1.0, 1e-9);
	/* sizes ~100..130 and ~1000..1030 out, ~600..630 in -> 1500 */
	CHECK(overhead > 150 && overhead < 300);
	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_FOREST, &e, &r, err,
				   sizeof(err)), 0);
	CHECK_NEAR(r.mean, 0.5, 1e-9); /* one leaf: always class a */
	eg_audit_result_done(&r);
	eg_dataset_free(d);
}

static void test_topk(void)
{
	/* Three classes, a and b indistinguishable, c apart: top-1 about
	 * 2/3 at best, top-2 exactly 1 for the forest. */
	struct eg_audit_fopts o = { .kind = EG_AUDIT_F_SIZEHIST, .bins = 15 };
	static const uint32_t sizes[] = { 300, 300, 1200 };
	struct eg_dataset *d = dataset(&o, sizes, 3, 20, NULL, NULL);
	struct eg_audit_eval_opts e = eval_opts();
	struct eg_audit_result r;
	char err[256];

	e.topk = 2;
	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_FOREST, &e, &r, err,
				   sizeof(err)), 0);
	CHECK(r.mean < 0.85);
	CHECK_NEAR(r.topk_mean, 1.0, 1e-9);
	eg_audit_result_done(&r);
	e.topk = 3;
	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_KNN, &e, &r, err,
				   sizeof(err)), 0);
	CHECK_NEAR(r.topk_mean, 1.0, 1e-9); /* k == classes: always */
	eg_audit_result_done(&r);
	eg_dataset_free(d);
}

static void test_class_map(void)
{
	/* a and b look alike, c and d look alike; a,b -> coarse 0 and
	 * c,d -> coarse 1: the fine accuracy is near 50 %, the coarse 100 %. */
	struct eg_audit_fopts o = { .kind = EG_AUDIT_F_SIZEHIST, .bins = 15 };
	static const uint32_t sizes[] = { 200, 200, 1100, 1100 };
	static const uint16_t map[] = { 0, 0, 1, 1 };
	struct eg_dataset *d = dataset(&o, sizes, 4, 12, NULL, NULL);
	struct eg_audit_eval_opts e = eval_opts();
	struct eg_audit_result r;
	char err[256];

	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_FOREST, &e, &r, err,
				   sizeof(err)), 0);
	CHECK(r.mean < 0.8);
	CHECK_EQ(r.n_classes, 4);
	eg_audit_result_done(&r);
	e.class_map = map;
	e.n_mapped = 2;
	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_FOREST, &e, &r, err,
				   sizeof(err)), 0);
	CHECK_NEAR(r.mean, 1.0, 1e-9);
	CHECK_EQ(r.n_classes, 2);
	CHECK_EQ(r.confusion[0] + r.confusion[3], 5 * 12); /* 3 per class */
	eg_audit_result_done(&r);
	eg_dataset_free(d);
}

static void test_kfold(void)
{
	static const char *const names[] = { "a", "b", "c" };
	struct eg_dataset *d;
	uint32_t rows[30], fold[30], cnt[3][3] = { { 0 } };
	float x = 0;

	CHECK_EQ(eg_dataset_new(1, NULL, 3, names, &d), 0);
	for (unsigned i = 0; i < 30; i++) {
		/* classes of 15, 9 and 6 rows */
		CHECK_EQ(eg_dataset_add(d, &x, i < 15 ? 0 : i < 24 ? 1 : 2,
					NULL), 0);
		rows[i] = i;
	}
	eg_audit_kfold(d, rows, 30, 3, 7, fold);
	for (unsigned i = 0; i < 30; i++) {
		CHECK(fold[i] < 3);
		cnt[d->y[i]][fold[i] % 3]++;
	}
	for (unsigned f = 0; f < 3; f++) {
		CHECK_EQ(cnt[0][f], 5);
		CHECK_EQ(cnt[1][f], 3);
		CHECK_EQ(cnt[2][f], 2);
	}
	eg_dataset_free(d);
}

static void test_group_split(void)
{
	static const char *const names[] = { "idle", "talk" };
	static const char *const groups[] = { "c1", "c2", "c3", "c4" };
	struct eg_audit_eval_opts e = eval_opts();
	struct eg_audit_result r;
	struct eg_dataset *d;
	uint64_t total = 0;
	char err[256];

	CHECK_EQ(eg_dataset_new(1, NULL, 2, names, &d), 0);
	for (unsigned i = 0; i < 40; i++) {
		float x = (float)(i % 2) * 10 + (float)uniform();

		CHECK_EQ(eg_dataset_add(d, &x, i % 2, groups[i / 10]), 0);
	}
	e.by_group = true;
	CHECK_EQ(eg_audit_evaluate(d, EG_CLF_TREE, &e, &r, err, sizeof(err)),
		 0);
	/* each split tests whole captures of 10 windows: 1 of 4 for 0.25 */
	for (unsigned i = 0; i < 4; i++)
		total += r.confusion[i];
	CHECK_EQ(total, 5 * 10);
	CHECK_NEAR(r.mean, 1.0, 1e-9);
	eg_audit_result_done(&r);
	eg_dataset_free(d);
}

static void test_csv(void)
{
	char path[] = "/tmp/test-audit-XXXXXX.csv", err[512];
	struct eg_audit_trace t;
	int fd = mkstemps(path, 4);
	FILE *f = fdopen(fd, "w");

	CHECK(f != NULL);
	fprintf(f, ",time,size,direction\n0,0.0,176.0,1.0\n"
		"1,0.5,40.0,-1.0\n2,0.75,1500.0,-1.0\n");
	fclose(f);
	eg_audit_trace_init(&t);
	CHECK_EQ(eg_audit_trace_load_csv(path, &t, err, sizeof(err)), 0);
	CHECK_EQ(t.n, 3);
	CHECK_EQ(t.p[0].size, 176);
	CHECK_EQ(t.p[1].dir, -1);
	CHECK_NEAR(t.p[2].t, 0.75, 1e-12);
	CHECK(!eg_audit_pkt_is_ack(&t.p[0]));
	CHECK(eg_audit_pkt_is_ack(&t.p[1]));
	CHECK_EQ(eg_audit_pkt_data(&t.p[0]), 176 - 52);
	f = fopen(path, "a");
	fprintf(f, "3,1.0,12,2\n");
	fclose(f);
	CHECK_EQ(eg_audit_trace_load_csv(path, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":5:") != NULL);
	CHECK_EQ(t.n, 0);
	unlink(path);
	eg_audit_trace_done(&t);
}

static void test_names(void)
{
	char b[64];

	eg_audit_command_name("what_time_is_it_5_3", b, sizeof(b));
	CHECK_STREQ(b, "what_time_is_it_5");
	eg_audit_command_name("alexa_5_40s_1", b, sizeof(b));
	CHECK_STREQ(b, "alexa_5_40s");
	eg_audit_command_name("plain", b, sizeof(b));
	CHECK_STREQ(b, "plain");
}

static void test_defences(void)
{
	struct eg_audit_defend d;
	struct eg_audit_trace t;
	struct eg_audit_pkt p = { .dir = 1 };
	uint64_t before = 0, after = 0;
	static const uint32_t in[] = { 40, 600, 1400, 1500 };
	static const uint32_t want[] = { 512, 1024, 1500, 1500 };

	CHECK_EQ(eg_audit_defend_parse("pad:0", &d), -EINVAL);
	CHECK_EQ(eg_audit_defend_parse("rate:x", &d), -EINVAL);
	CHECK_EQ(eg_audit_defend_parse("pad:512", &d), 0);
	eg_audit_trace_init(&t);
	for (unsigned i = 0; i < 4; i++) {
		p.size = in[i];
		p.t = i;
		eg_audit_trace_push(&t, &p);
	}
	CHECK_EQ(eg_audit_defend_apply(&d, &t, &before, &after), 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(t.p[i].size, want[i]);
	CHECK_EQ(before, 40 + 600 + 1400 + 1500);
	CHECK_EQ(after, 512 + 1024 + 1500 + 1500);
	/* rate: 3 s of outbound traffic at 10/s -> 31 MTU packets; 1 inbound
	 * packet of 100 bytes -> 1 MTU packet */
	p.dir = -1;
	p.size = 100;
	p.t = 1.5;
	eg_audit_trace_push(&t, &p);
	CHECK_EQ(eg_audit_defend_parse("rate:10", &d), 0);
	CHECK_EQ(eg_audit_defend_apply(&d, &t, &before, &after), 0);
	CHECK_EQ(t.n, 32);
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.p[i].t >= t.p[i - 1].t);
	CHECK_EQ(t.p[t.n - 1].size, 1500);
	eg_audit_trace_done(&t);
}

static void test_cumul(void)
{
	struct eg_audit_fopts o = { .kind = EG_AUDIT_F_CUMUL, .bins = 15 };
	enum eg_audit_fkind k;
	struct eg_audit_trace t;
	float x[EG_AUDIT_CUMUL_N + 38];
	double total = 0;

	CHECK_EQ(eg_audit_feat_count(&o), EG_AUDIT_CUMUL_N + 38);
	CHECK_EQ(eg_audit_fkind_parse("stats+cumul", &k), 0);
	CHECK_EQ(k, EG_AUDIT_F_STATS | EG_AUDIT_F_CUMUL);
	CHECK_EQ(eg_audit_fkind_parse("stats+nope", &k), -EINVAL);
	make_trace(&t, 80, 300, 0); /* 0.01 s apart: 0.8 s long */
	for (size_t i = 0; i < t.n; i++)
		total += t.p[i].dir > 0 ? t.p[i].size : -(double)t.p[i].size;
	eg_audit_feat_compute(&o, &t, x);
	/* the last sample is the whole trace's signed sum; the half-way
	 * sample after 40 alternating packets is 20 * (300 - 600) */
	CHECK_NEAR(x[EG_AUDIT_CUMUL_N - 1], total, 1e-3);
	CHECK_NEAR(x[EG_AUDIT_CUMUL_N / 2 - 1], 20 * (300.0 - 600), 1e-3);
	/* bytes at 30 s (the last time point) are all the bytes */
	CHECK_NEAR(x[EG_AUDIT_CUMUL_N + 18], 40 * 300, 1e-3);
	CHECK_NEAR(x[EG_AUDIT_CUMUL_N + 37], 40 * 600, 1e-3);
	/* at 0.1 s: packets 0..9 or 10 (jitter), about 5 outbound */
	CHECK(x[EG_AUDIT_CUMUL_N] >= 4 * 300 && x[EG_AUDIT_CUMUL_N] <= 6 * 300);
	eg_audit_trace_done(&t);
}

static void test_window(void)
{
	struct eg_audit_pkt p[4] = {
		{ .t = 0, .size = 100, .dir = 1, .proto = 6, .ttl = 64,
		  .window = 1000, .raddr = 1, .rport = 443, .has_hdr = true },
		{ .t = 1, .size = 300, .dir = -1, .proto = 6, .ttl = 60,
		  .window = 3000, .raddr = 1, .rport = 443, .has_hdr = true },
		{ .t = 3, .size = 80, .dir = 1, .proto = 17, .ttl = 64,
		  .raddr = 2, .rport = 53, .has_hdr = true },
		{ .t = 3, .size = 120, .dir = 1, .proto = 1, .ttl = 64,
		  .raddr = 3, .has_hdr = true },
	};
	float x[EG_AUDIT_WIN_FEATURES];

	eg_audit_win_compute(p, 4, x);
	CHECK_EQ(x[0], 2);              /* tcp */
	CHECK_EQ(x[1], 1);              /* udp */
	CHECK_EQ(x[2], 1);              /* icmp */
	CHECK_EQ(x[4], 3);              /* remote addresses */
	CHECK_EQ(x[5], 2);              /* remote ports 443, 53 */
	CHECK_NEAR(x[6], 150, 1e-4);    /* mean length */
	CHECK_NEAR(x[8], 2000, 1e-3);   /* mean TCP window */
	CHECK_NEAR(x[9], 1000, 1e-3);
	CHECK_NEAR(x[10], 1.0, 1e-6);   /* gaps 1, 2, 0 */
	CHECK_NEAR(x[12], 63, 1e-4);    /* mean TTL */
	CHECK_EQ(x[14], 3);             /* out packets */
	CHECK_EQ(x[17], 300);           /* in bytes */
	CHECK_STREQ(eg_audit_win_names[5], "remote_ports");
}

static void test_real_trace(void)
{
	/* Not eg_test_shared_data(): it would skip the whole program. */
	const char *dir = getenv("ECHOGUARD_SHARED_DATA") ?
			  getenv("ECHOGUARD_SHARED_DATA") : EG_SHARED_DATA;
	char path[4096], err[512], line[256];
	struct eg_audit_trace t;
	struct eg_audit_fopts o;
	unsigned lines = 0;
	float *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/vcf/traces/alexa_5_40s_1.csv", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "# %s missing: real-trace check skipped\n",
			path);
		return;
	}
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	eg_audit_trace_init(&t);
	CHECK_EQ(eg_audit_trace_load_csv(path, &t, err, sizeof(err)), 0);
	CHECK_EQ(t.n, lines - 1);
	CHECK_STREQ(t.name, "alexa_5_40s_1");
	eg_audit_fopts_default(&o);
	o.kind = EG_AUDIT_F_STATS;
	o.acks = true;
	x = calloc(eg_audit_feat_count(&o), sizeof(*x));
	eg_audit_feat_compute(&o, &t, x);
	CHECK_EQ(x[0] + x[25], t.n); /* out_pkts + in_pkts */
	free(x);
	eg_audit_trace_done(&t);
}

int main(void)
{
	test_names();
	test_csv();
	test_kfold();
	test_group_split();
	test_window();
	test_cumul();
	test_defences();
	test_separable();
	test_identical();
	test_pad_mtu();
	test_topk();
	test_class_map();
	test_real_trace();
	return eg_test_done();
}
