/* SPDX-License-Identifier: MIT */
/*
 * test-forest.c: trees on tiny data sets whose correct CART trees are known,
 * determinism across thread counts, class weights, importances, the CSV
 * loader's errors, splits and folds, and the classification report's
 * layout (compared with sklearn's output for the same labels).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/data/dataset.h"
#include "echoguard/data/report.h"
#include "echoguard/forest/train.h"
#include "forest-internal.h"
#include "tap.h"

static const char *const two[] = { "no", "yes" };

static struct eg_dataset *make(unsigned nf, unsigned nc, const float *x,
			       const unsigned *y, unsigned n)
{
	static const char *const cls[] = { "c0", "c1", "c2", "c3" };
	struct eg_dataset *d = NULL;
	unsigned i;

	if (eg_dataset_new(nf, NULL, nc, nc == 2 ? two : cls, &d) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (eg_dataset_add(d, x + i * nf, y[i], NULL) < 0)
			return eg_dataset_free(d);
	return d;
}

static void single_tree(struct eg_train_params *p)
{
	eg_train_params_default(p);
	p->trees = 1;
	p->bootstrap = false;
	p->max_features = EG_MAXF_ALL;
}

/* 1 feature, 0 0 | 1 1: one split at the midpoint 2.5, two pure leaves. */
static void test_threshold(void)
{
	const float x[] = { 1, 2, 3, 4 };
	const unsigned y[] = { 0, 0, 1, 1 };
	struct eg_dataset *d = make(1, 2, x, y, 4);
	struct eg_train_params p;
	struct eg_forest *f = NULL;
	float proba[2], q;
	char err[256];

	single_tree(&p);
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_n_nodes(f), 3);
	CHECK_EQ(f->trees[0].nodes[0].feature, 0);
	CHECK(f->trees[0].nodes[0].threshold == 2.5f);
	q = 2.5f;
	CHECK_EQ(eg_forest_predict(f, &q, proba), 0); /* <= goes left */
	CHECK(proba[0] == 1.0f && proba[1] == 0.0f);
	q = nextafterf(2.5f, 3);
	CHECK_EQ(eg_forest_predict(f, &q, proba), 1);
	CHECK_EQ(eg_forest_max_depth(f), 1);
	eg_forest_free(f);
	eg_dataset_free(d);
}

/* XOR needs depth 2: 7 nodes, 4 pure leaves; a stump cannot do better
 * than one half. */
static void test_xor(void)
{
	float x[32];
	unsigned y[16], i;
	struct eg_dataset *d;
	struct eg_train_params p;
	struct eg_forest *f = NULL;
	float proba[2], q[2];
	char err[256];

	for (i = 0; i < 16; i++) {
		x[2 * i] = (float)(i & 1);
		x[2 * i + 1] = (float)((i >> 1) & 1);
		y[i] = (i & 1) ^ ((i >> 1) & 1);
	}
	d = make(2, 2, x, y, 16);
	single_tree(&p);
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_n_nodes(f), 7);
	for (i = 0; i < 4; i++) {
		q[0] = (float)(i & 1);
		q[1] = (float)(i >> 1);
		CHECK_EQ(eg_forest_predict(f, q, proba), (i & 1) ^ (i >> 1));
		CHECK(proba[(i & 1) ^ (i >> 1)] == 1.0f);
	}
	f = eg_forest_free(f);
	p.max_depth = 1;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_n_nodes(f), 3);
	q[0] = q[1] = 0;
	eg_forest_predict(f, q, proba);
	CHECK_NEAR(proba[0], 0.5, 1e-6);
	f = eg_forest_free(f);
	/* min_leaf 5 on 16 rows still allows the first split (8 | 8) but
	 * not the second (4 | 4). */
	p.max_depth = 0;
	p.min_leaf = 5;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_n_nodes(f), 3);
	eg_forest_free(f);
	eg_dataset_free(d);
}

/* Leaves carry class frequencies, not just a majority; class weights
 * ("balanced") re-weight them. */
static void test_leaf_probabilities(void)
{
	const float x[] = { 1, 1, 1, 1 };
	const unsigned y[] = { 0, 0, 0, 1 };
	struct eg_dataset *d = make(1, 2, x, y, 4);
	struct eg_train_params p;
	struct eg_forest *f = NULL;
	float proba[2], q = 1;
	char err[256];

	single_tree(&p);
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_n_nodes(f), 1);
	CHECK_EQ(eg_forest_predict(f, &q, proba), 0);
	CHECK_NEAR(proba[0], 0.75, 1e-6);
	CHECK_NEAR(proba[1], 0.25, 1e-6);
	f = eg_forest_free(f);
	p.balance = EG_BALANCE_WEIGHTS;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	eg_forest_predict(f, &q, proba);
	CHECK_NEAR(proba[0], 0.5, 1e-6);
	CHECK_NEAR(proba[1], 0.5, 1e-6);
	eg_forest_free(f);
	eg_dataset_free(d);
}

/* Noisy 3-class data in 4 features for the forest-level tests. */
static struct eg_dataset *noisy(unsigned n, uint64_t seed)
{
	struct eg_dataset *d = NULL;
	struct eg_rng r;
	static const char *const cls[] = { "a", "b", "c" };
	unsigned i;

	eg_rng_seed(&r, seed, 1);
	if (eg_dataset_new(4, NULL, 3, cls, &d) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		float x[4];
		unsigned y = (unsigned)eg_rng_below(&r, 3);

		x[0] = (float)(y * 1.0 + eg_rng_double(&r) * 1.5);
		x[1] = (float)(eg_rng_below(&r, 10));          /* noise */
		x[2] = (float)(y == 2 ? 1 : 0) * (eg_rng_double(&r) < 0.8);
		x[3] = 7;                                      /* constant */
		eg_dataset_add(d, x, y, NULL);
	}
	return d;
}

static void test_determinism_and_importances(void)
{
	struct eg_dataset *d = noisy(3000, 42);
	struct eg_train_params p;
	struct eg_forest *f1 = NULL, *f2 = NULL, *f3 = NULL;
	uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL;
	size_t l1 = 0, l2 = 0, l3 = 0;
	double imp[4], s;
	char err[256];

	eg_train_params_default(&p);
	p.trees = 24;
	p.seed = 9;
	p.threads = 1;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f1, err, sizeof(err)), 0);
	p.threads = 3;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f2, err, sizeof(err)), 0);
	p.seed = 10;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f3, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_serialize(f1, &b1, &l1), 0);
	CHECK_EQ(eg_forest_serialize(f2, &b2, &l2), 0);
	CHECK_EQ(eg_forest_serialize(f3, &b3, &l3), 0);
	CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0);
	CHECK(l1 != l3 || memcmp(b1, b3, l1) != 0);
	eg_forest_importances(f1, imp);
	s = imp[0] + imp[1] + imp[2] + imp[3];
	CHECK_NEAR(s, 1, 1e-9);
	CHECK(imp[3] == 0);              /* constant: never split on */
	CHECK(imp[0] > imp[1]);          /* signal beats noise */
	CHECK(imp[0] > 0.3);
	free(b1);
	free(b2);
	free(b3);
	eg_forest_free(f1);
	eg_forest_free(f2);
	eg_forest_free(f3);
	eg_dataset_free(d);
}

/* The forest generalises: held-out accuracy on the noisy set is well
 * above chance (a Bayes-optimal rule gets about 0.8 here). */
static void test_accuracy_and_layouts(void)
{
	struct eg_dataset *d = noisy(6000, 5);
	struct eg_train_params p;
	struct eg_forest *f = NULL;
	struct eg_split sp;
	uint32_t *ref, *got, i, ok = 0;
	float *x;
	char err[256];

	eg_train_params_default(&p);
	p.trees = 40;
	p.min_leaf = 5;
	CHECK_EQ(eg_split_random(d, 0.3, 6, &sp), 0);
	CHECK_EQ(eg_train(d, sp.train, sp.n_train, &p, &f, err, sizeof(err)), 0);
	x = malloc(sp.n_test * 4 * sizeof(float));
	ref = malloc(sp.n_test * sizeof(*ref));
	got = malloc(sp.n_test * sizeof(*got));
	for (i = 0; i < sp.n_test; i++) {
		memcpy(x + i * 4, d->x + sp.test[i] * 4, 4 * sizeof(float));
		ref[i] = eg_forest_predict(f, x + i * 4, NULL);
		ok += ref[i] == d->y[sp.test[i]];
	}
	CHECK((double)ok / sp.n_test > 0.7);
	/* Batched (both paths) predicts exactly as one by one, probabilities
	 * included; the other layouts are checked by bench-layouts. */
	{
		float pa[3], pb[3 * 8];
		uint32_t c8[8];

		eg_forest_predict_batch(f, x, sp.n_test, got, NULL);
		CHECK(memcmp(ref, got, sp.n_test * sizeof(*got)) == 0);
		CHECK_EQ(eg_forest_batch_blocked(f, x, sp.n_test, got, NULL), 0);
		CHECK(memcmp(ref, got, sp.n_test * sizeof(*got)) == 0);
		CHECK_EQ(eg_forest_batch_blocked(f, x, 8, c8, pb), 0);
		for (i = 0; i < 8; i++) {
			CHECK_EQ(eg_forest_predict(f, x + i * 4, pa), c8[i]);
			CHECK(memcmp(pa, pb + i * 3, sizeof(pa)) == 0);
		}
	}
	/* More rows than one block of the blocked batch (32768 / 3). */
	{
		size_t nb = 12000, k;
		float *xb = malloc(nb * 4 * sizeof(float));
		uint32_t *cb = malloc(nb * sizeof(*cb)), bad = 0;

		for (k = 0; k < nb; k++)
			memcpy(xb + k * 4, x + (k % sp.n_test) * 4,
			       4 * sizeof(float));
		CHECK_EQ(eg_forest_batch_blocked(f, xb, nb, cb, NULL), 0);
		for (k = 0; k < nb; k++)
			bad += cb[k] != ref[k % sp.n_test];
		CHECK_EQ(bad, 0);
		free(xb);
		free(cb);
	}
	free(x);
	free(ref);
	free(got);
	eg_split_done(&sp);
	eg_forest_free(f);
	eg_dataset_free(d);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_csv(void)
{
	char path[] = "/tmp/eg-test-forest-XXXXXX", err[512];
	struct eg_dataset_spec spec = { 0 };
	const char *files[1] = { path };
	static const char *const feats[] = { "length", "delta" };
	struct eg_dataset *d = NULL;
	int fd = mkstemp(path);

	close(fd);
	write_file(path, "date,length,delta,class,source\n"
		   "x,10,0.5,ack,a.pcap\n"
		   "x,20,1e-3,expected,a.pcap\n"
		   "\"x,y\",30,2,ack,\"b,c.pcap\"\n");
	spec.features = feats;
	spec.n_features = 2;
	spec.group = "source";
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), 0);
	CHECK_EQ(d->n_rows, 3);
	CHECK_EQ(d->n_classes, 2);
	CHECK_STREQ(d->class_names[0], "ack"); /* sorted, as sklearn */
	CHECK_EQ(d->y[1], 1);
	CHECK(d->x[3] == 1e-3f);
	CHECK_EQ(d->n_groups, 2);
	CHECK_STREQ(d->group_names[1], "b,c.pcap");
	d = eg_dataset_free(d);
	/* Everything but the known non-features, when nothing is named. */
	spec.features = NULL;
	spec.n_features = 0;
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), 0);
	CHECK_EQ(d->n_features, 2);
	d = eg_dataset_free(d);

	write_file(path, "length,delta,class\n1,2,ack\n3,zz,ack\n");
	spec.group = NULL;
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":3: column delta: \"zz\"") != NULL);
	write_file(path, "length,class\n1,ack\n");
	spec.features = feats;
	spec.n_features = 2;
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":1: column delta: missing") != NULL);
	write_file(path, "length,delta,class\n1,2,ack\n1,2\n");
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":3: 2 fields, the header has 3") != NULL);
	write_file(path, "length,delta,class\n1,nan,ack\n");
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":2: column delta") != NULL);
	{
		static const char *const cls[] = { "ack" };

		write_file(path, "length,delta,class\n1,2,ack\n1,2,syn\n");
		spec.classes = cls;
		spec.n_classes = 1;
		CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)),
			 -EINVAL);
		CHECK(strstr(err, ":3: column class: unknown class \"syn\""));
	}
	unlink(path);
	files[0] = "/nonexistent/x.csv";
	CHECK(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)) == -ENOENT);
	CHECK(d == NULL);
}

static void test_splits(void)
{
	static const char *const cls[] = { "a", "b" };
	struct eg_dataset *d = NULL;
	struct eg_split sp;
	uint32_t fold[1000], i, g, nb = 0, cnt[5] = { 0 };
	char name[16];
	float x = 0;

	eg_dataset_new(1, NULL, 2, cls, &d);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "g%u", i / 50);
		eg_dataset_add(d, &x, i % 10 == 0, name);
	}
	CHECK_EQ(eg_split_random(d, 0.3, 6, &sp), 0);
	CHECK_EQ(sp.n_test, 300);
	for (i = 0; i < sp.n_test; i++)
		nb += d->y[sp.test[i]];
	CHECK_EQ(nb, 30); /* stratified: 30% of the 100 b rows */
	eg_split_done(&sp);
	CHECK_EQ(eg_split_group(d, 0.3, 6, &sp), 0);
	CHECK_EQ(sp.n_test, 300); /* six whole groups of 50 */
	for (g = 0; g < d->n_groups; g++) {
		int in_tr = 0, in_te = 0;

		for (i = 0; i < sp.n_train; i++)
			in_tr |= d->group[sp.train[i]] == g;
		for (i = 0; i < sp.n_test; i++)
			in_te |= d->group[sp.test[i]] == g;
		CHECK(!(in_tr && in_te));
	}
	eg_split_done(&sp);
	CHECK_EQ(eg_split_kfold(d, 5, 1, false, fold), 0);
	for (i = 0; i < 1000; i++)
		cnt[fold[i]]++;
	for (i = 0; i < 5; i++)
		CHECK_EQ(cnt[i], 200);
	CHECK_EQ(eg_split_kfold(d, 5, 1, true, fold), 0);
	for (i = 1; i < 1000; i++)
		if (d->group[i] == d->group[i - 1])
			CHECK(fold[i] == fold[i - 1]);
	eg_dataset_free(d);
}

/* sklearn.metrics.classification_report on the same labels printed
 * exactly this (sklearn 1.2.1). */
static void test_report(void)
{
	static const char *const cls[] = { "a", "b", "c" };
	static const char expect[] =
		"              precision    recall  f1-score   support\n\n"
		"           a       0.67      0.67      0.67         3\n"
		"           b       0.67      0.67      0.67         3\n"
		"           c       0.75      0.75      0.75         4\n\n"
		"    accuracy                           0.70        10\n"
		"   macro avg       0.69      0.69      0.69        10\n"
		"weighted avg       0.70      0.70      0.70        10\n";
	const unsigned yt[] = { 0, 0, 1, 1, 1, 2, 2, 2, 2, 0 };
	const unsigned yp[] = { 0, 1, 1, 1, 2, 2, 2, 0, 2, 0 };
	struct eg_report *r = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	unsigned i;

	CHECK_EQ(eg_report_new(3, cls, &r), 0);
	for (i = 0; i < 10; i++)
		eg_report_add(r, yt[i], yp[i]);
	eg_report_finish(r);
	CHECK_NEAR(r->accuracy, 0.7, 1e-12);
	CHECK_NEAR(r->precision[2], 0.75, 1e-12);
	m = open_memstream(&buf, &len);
	eg_report_print(r, m);
	fclose(m);
	CHECK(len > sizeof(expect) - 1 &&
	      memcmp(buf, expect, sizeof(expect) - 1) == 0);
	if (memcmp(buf, expect, sizeof(expect) - 1))
		fprintf(stderr, "%s", buf);
	free(buf);
	eg_report_free(r);
}

int main(void)
{
	test_threshold();
	test_xor();
	test_leaf_probabilities();
	test_determinism_and_importances();
	test_accuracy_and_layouts();
	test_csv();
	test_splits();
	test_report();
	return eg_test_done();
}
