/* SPDX-License-Identifier: MIT */
/*
 * eval.c: repeated stratified splits with K-fold tuning of a small
 * grid inside the training part (as Jackson and Camp: 100 splits, 3-fold
 * grid search), and the metrics: mean, std and median accuracy, top-k
 * accuracy, balanced accuracy, confusion matrix, importances, training time.
 * Covered by tests/unit/test-audit.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echoguard/audit/audit.h"
#include "echoguard/util/util.h"

#define MAX_GRID 8

void eg_audit_eval_opts_default(struct eg_audit_eval_opts *o)
{
	o->repeats = 10;
	o->test_size = 0.2;
	o->tune_folds = 3;
	o->topk = 3;
	o->seed = 1;
	o->threads = 1;
	o->class_map = NULL;
	o->n_mapped = 0;
	o->by_group = false;
	o->val_size = 0;
}

void eg_audit_result_done(struct eg_audit_result *r)
{
	free(r->acc);
	free(r->topk);
	free(r->confusion);
	free(r->importance);
	memset(r, 0, sizeof(*r));
}

unsigned eg_audit_grid(enum eg_audit_clf c, struct eg_audit_hyper *ret,
		       unsigned max)
{
	static const struct eg_audit_hyper forest[] = {
		{ .trees = 100, .max_depth = 0, .min_leaf = 1 },
		{ .trees = 100, .max_depth = 0, .min_leaf = 3 },
		{ .trees = 100, .max_depth = 10, .min_leaf = 1 },
	};
	static const struct eg_audit_hyper tree[] = {
		{ .max_depth = 0, .min_leaf = 1 },
		{ .max_depth = 0, .min_leaf = 3 },
		{ .max_depth = 8, .min_leaf = 1 },
		{ .max_depth = 16, .min_leaf = 1 },
	};
	static const struct eg_audit_hyper knn[] = {
		{ .k = 1 }, { .k = 3 }, { .k = 5 }, { .k = 7 }, { .k = 9 },
	};
	static const struct eg_audit_hyper xtrees[] = {
		{ .trees = 300, .min_leaf = 1 },
		{ .trees = 100, .min_leaf = 1 },
	};
	static const struct eg_audit_hyper mlp[] = {
		{ .hidden1 = 100 }, { .hidden1 = 256 },
		{ .hidden1 = 100, .hidden2 = 100 },
	};
	static const struct eg_audit_hyper ada[] = {
		{ .rounds = 50 }, { .rounds = 200 }, { .rounds = 500 },
	};
	const struct eg_audit_hyper *g;
	unsigned n;

	switch (c) {
	case EG_CLF_FOREST: g = forest; n = 3; break;
	case EG_CLF_TREE: g = tree; n = 4; break;
	case EG_CLF_KNN: g = knn; n = 5; break;
	case EG_CLF_XTREES: g = xtrees; n = 2; break;
	case EG_CLF_MLP: g = mlp; n = 3; break;
	default: g = ada; n = 3; break;
	}
	for (unsigned i = 0; i < n && i < max; i++)
		ret[i] = g[i];
	return n;
}

/* The positions i of rows of class c, shuffled (Fisher-Yates with *s),
 * into pos; returns their number. */
static size_t class_shuffled(const struct eg_dataset *d, const uint32_t *rows,
			     size_t n, unsigned c, uint64_t *s, uint32_t *pos)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (d->y[rows[i]] == c)
			pos[m++] = (uint32_t)i;
	for (size_t i = m; i > 1; i--) {
		size_t j = eg_splitmix64(s) % i;
		uint32_t t = pos[i - 1];

		pos[i - 1] = pos[j];
		pos[j] = t;
	}
	return m;
}

void eg_audit_kfold(const struct eg_dataset *d, const uint32_t *rows,
		    size_t n, unsigned k, uint64_t seed, uint32_t *fold)
{
	uint32_t *pos = malloc((n ? n : 1) * sizeof(*pos));
	uint64_t s = seed ^ 0x5eedf01dull;
	unsigned next = 0;

	if (!pos) { /* degrade to round-robin, still stratification-free */
		for (size_t i = 0; i < n; i++)
			fold[i] = (uint32_t)(i % k);
		return;
	}
	for (unsigned c = 0; c < d->n_classes; c++) {
		size_t m = class_shuffled(d, rows, n, c, &s, pos);

		for (size_t i = 0; i < m; i++)
			fold[pos[i]] = next++ % k;
	}
	free(pos);
}

int eg_audit_split3(const struct eg_dataset *d, const uint32_t *rows,
		    size_t n, double val, double test, uint64_t seed,
		    uint8_t *part)
{
	uint32_t *pos = malloc((n ? n : 1) * sizeof(*pos));
	uint64_t s = seed ^ 0x3a17b0c5ull;
	size_t seen = 0, nv = 0, nt = 0;

	if (!pos)
		return -ENOMEM;
	for (unsigned c = 0; c < d->n_classes; c++) {
		size_t m = class_shuffled(d, rows, n, c, &s, pos), v, t;

		seen += m;
		t = (size_t)floor(test * seen + 0.5) - nt;
		v = (size_t)floor(val * seen + 0.5) - nv;
		t = t < m ? t : m;
		v = v < m - t ? v : m - t;
		for (size_t i = 0; i < m; i++)
			part[pos[i]] = i < t ? 2 : i < t + v ? 1 : 0;
		nt += t;
		nv += v;
	}
	free(pos);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Coarse scores: the best fine score per mapped class, into s (so the
 * coarse prediction is the class of the most likely fine class; sums
 * would favour the coarse classes with many fine ones, each adding its
 * share of noise). */
static void map_scores(const struct eg_audit_eval_opts *o, unsigned nc,
		       float *s)
{
	float sc[EG_DATASET_MAX_CLASSES];

	for (unsigned c = 0; c < o->n_mapped; c++)
		sc[c] = -INFINITY;
	for (unsigned c = 0; c < nc; c++)
		if (s[c] > sc[o->class_map[c]])
			sc[o->class_map[c]] = s[c];
	memcpy(s, sc, o->n_mapped * sizeof(*s));
}

/* Accuracy of m over rows (and top-k hits, confusion when not NULL), in
 * the mapped classes when o has a class map. */
static double score_rows(const struct eg_audit_model *m,
			 const struct eg_dataset *d,
			 const struct eg_audit_eval_opts *o,
			 const uint32_t *rows, size_t n, unsigned topk,
			 double *ret_topk, uint32_t *conf, float *s)
{
	size_t ok = 0, tk = 0;
	unsigned nc = o->class_map ? o->n_mapped : d->n_classes;

	for (size_t i = 0; i < n; i++) {
		const float *x = &d->x[(size_t)rows[i] * d->n_features];
		unsigned y = d->y[rows[i]], p = eg_audit_score(m, x, s);
		unsigned above = 0;

		if (o->class_map) {
			map_scores(o, d->n_classes, s);
			y = o->class_map[y];
			p = 0;
			for (unsigned c = 1; c < nc; c++)
				if (s[c] > s[p])
					p = c;
		}
		ok += p == y;
		/* rank of the true class: classes scored strictly higher,
		 * plus equal ones of lower index (the argmax tie rule) */
		for (unsigned c = 0; c < nc; c++)
			above += s[c] > s[y] || (s[c] == s[y] && c < y);
		tk += above < topk;
		if (conf)
			conf[(size_t)y * nc + p]++;
	}
	if (ret_topk)
		*ret_topk = n ? (double)tk / n : 0;
	return n ? (double)ok / n : 0;
}

/* K-fold tuning over the grid on the training rows; returns the index. */
static int tune(const struct eg_dataset *d, enum eg_audit_clf c,
		const struct eg_audit_hyper *grid, unsigned ng,
		const struct eg_audit_eval_opts *o, const uint32_t *rows,
		size_t n, uint64_t seed, float *s, char *err, size_t errlen)
{
	uint32_t *fold = malloc(n * sizeof(*fold));
	uint32_t *tr = malloc(n * sizeof(*tr)), *va = malloc(n * sizeof(*va));
	double best = -1;
	int bi = 0, r = 0;

	if (!fold || !tr || !va) {
		r = -ENOMEM;
		goto out;
	}
	eg_audit_kfold(d, rows, n, o->tune_folds, seed, fold);
	for (unsigned g = 0; g < ng; g++) {
		double acc = 0;

		for (unsigned k = 0; k < o->tune_folds; k++) {
			struct eg_audit_model *m;
			size_t nt = 0, nv = 0;

			for (size_t i = 0; i < n; i++) {
				if (fold[i] == k)
					va[nv++] = rows[i];
				else
					tr[nt++] = rows[i];
			}
			if (!nt || !nv)
				continue;
			r = eg_audit_fit(c, &grid[g], d, tr, nt, seed + k,
					 o->threads, &m, err, errlen);
			if (r < 0)
				goto out;
			acc += score_rows(m, d, o, va, nv, 1, NULL, NULL, s) *
			       nv;
			eg_audit_model_free(m);
		}
		if (acc > best) {
			best = acc;
			bi = (int)g;
		}
	}
	r = bi;
out:
	free(fold);
	free(tr);
	free(va);
	return r;
}

/* One repeat of the stratified (or group) split with K-fold tuning: the
 * model refitted on the training part with the best grid point. Returns
 * the grid index, or -errno with *sp freed. */
static int repeat_split(const struct eg_dataset *d, enum eg_audit_clf c,
			const struct eg_audit_hyper *grid, unsigned ng,
			const struct eg_audit_eval_opts *o, uint64_t seed,
			struct eg_split *sp, struct eg_audit_model **m,
			double *fit_s, float *s, char *err, size_t errlen)
{
	int g = 0, e;
	double t1;

	e = o->by_group ? eg_split_group(d, o->test_size, seed, sp) :
			  eg_split_random(d, o->test_size, seed, sp);
	if (e < 0) {
		snprintf(err, errlen, "split failed%s",
			 o->by_group ? " (needs two groups or more)" : "");
		return e;
	}
	if (o->tune_folds > 1 && ng > 1)
		g = tune(d, c, grid, ng, o, sp->train, sp->n_train, seed, s,
			 err, errlen);
	t1 = now_s();
	e = g < 0 ? g : eg_audit_fit(c, &grid[g], d, sp->train, sp->n_train,
				     seed, o->threads, m, err, errlen);
	*fit_s = now_s() - t1;
	if (e < 0) {
		eg_split_done(sp);
		return e;
	}
	return g;
}

/* Rows of part p into a fresh array (*ret, count *n). */
static int rows_of(const uint8_t *part, uint32_t nr, uint8_t p,
		   uint32_t **ret, size_t *n)
{
	*n = 0;
	*ret = malloc((nr ? nr : 1) * sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++)
		if (part[i] == p)
			(*ret)[(*n)++] = i;
	return 0;
}

/* One repeat of the train/validation/test split: every grid point fitted
 * on the training part, the best on the validation part kept (sp->train
 * holds the training rows, sp->test the test rows). */
static int repeat_split3(const struct eg_dataset *d, enum eg_audit_clf c,
			 const struct eg_audit_hyper *grid, unsigned ng,
			 const struct eg_audit_eval_opts *o, uint64_t seed,
			 struct eg_split *sp, struct eg_audit_model **m,
			 double *fit_s, float *s, char *err, size_t errlen)
{
	uint32_t *all = malloc((d->n_rows ? d->n_rows : 1) * sizeof(*all));
	uint8_t *part = malloc(d->n_rows ? d->n_rows : 1);
	uint32_t *va = NULL;
	size_t nv = 0;
	double best = -1;
	int g = -ENOMEM;

	memset(sp, 0, sizeof(*sp));
	*m = NULL;
	for (uint32_t i = 0; all && i < d->n_rows; i++)
		all[i] = i;
	if (!all || !part ||
	    eg_audit_split3(d, all, d->n_rows, o->val_size, o->test_size,
			    seed, part) < 0 ||
	    rows_of(part, d->n_rows, 0, &sp->train, &sp->n_train) < 0 ||
	    rows_of(part, d->n_rows, 1, &va, &nv) < 0 ||
	    rows_of(part, d->n_rows, 2, &sp->test, &sp->n_test) < 0)
		goto out;
	for (unsigned k = 0; k < ng; k++) {
		struct eg_audit_model *mk;
		double t1 = now_s(), acc;
		int e = eg_audit_fit_val(c, &grid[k], d, sp->train,
					 sp->n_train, va, nv, seed, o->threads,
					 &mk, err, errlen);

		if (e < 0) {
			g = e;
			goto out;
		}
		acc = score_rows(mk, d, o, va, nv, 1, NULL, NULL, s);
		if (acc > best || !*m) {
			best = acc;
			eg_audit_model_free(*m);
			*m = mk;
			*fit_s = now_s() - t1;
			g = (int)k;
		} else {
			eg_audit_model_free(mk);
		}
	}
out:
	free(all);
	free(part);
	free(va);
	if (g < 0) {
		*m = eg_audit_model_free(*m);
		eg_split_done(sp);
	}
	return g;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarise(struct eg_audit_result *r, const unsigned *chosen,
		      const struct eg_audit_hyper *grid, unsigned ng,
		      double bal)
{
	double *c = malloc(r->repeats * sizeof(*c)), s = 0, q = 0, t = 0;
	unsigned best = 0;

	for (unsigned i = 0; i < r->repeats; i++) {
		s += r->acc[i];
		q += r->acc[i] * r->acc[i];
		t += r->topk[i];
	}
	r->mean = s / r->repeats;
	r->std = sqrt(fmax(0, q / r->repeats - r->mean * r->mean));
	r->topk_mean = t / r->repeats;
	r->balanced_mean = bal / r->repeats;
	if (c) {
		memcpy(c, r->acc, r->repeats * sizeof(*c));
		qsort(c, r->repeats, sizeof(*c), cmp_double);
		r->median = r->repeats % 2 ? c[r->repeats / 2] :
			    (c[r->repeats / 2 - 1] + c[r->repeats / 2]) / 2;
		free(c);
	}
	for (unsigned g = 1; g < ng; g++)
		if (chosen[g] > chosen[best])
			best = g;
	r->chosen = grid[best];
}

/* Balanced accuracy of one repeat from its own confusion counts. */
static double balanced(const uint32_t *conf, unsigned nc)
{
	double s = 0;
	unsigned present = 0;

	for (unsigned y = 0; y < nc; y++) {
		uint64_t row = 0;

		for (unsigned p = 0; p < nc; p++)
			row += conf[(size_t)y * nc + p];
		if (row) {
			s += (double)conf[(size_t)y * nc + y] / row;
			present++;
		}
	}
	return present ? s / present : 0;
}

int eg_audit_evaluate(const struct eg_dataset *d, enum eg_audit_clf c,
		      const struct eg_audit_eval_opts *o,
		      struct eg_audit_result *ret, char *err, size_t errlen)
{
	struct eg_audit_hyper grid[MAX_GRID];
	struct eg_audit_result r = { .clf = c, .repeats = o->repeats,
				     .n_features = d->n_features };
	unsigned ng = eg_audit_grid(c, grid, MAX_GRID), chosen[MAX_GRID] = {0};
	size_t nc = o->class_map ? o->n_mapped : d->n_classes;
	uint32_t *conf1 = calloc(nc * nc, sizeof(*conf1));
	double *imp = malloc(d->n_features * sizeof(*imp)), bal = 0;
	float *s = malloc(EG_DATASET_MAX_CLASSES * sizeof(*s));
	int e = -ENOMEM;

	r.n_classes = (unsigned)nc;
	if (o->class_map && (!o->n_mapped ||
			     o->n_mapped > EG_DATASET_MAX_CLASSES)) {
		snprintf(err, errlen, "bad class map");
		e = -EINVAL;
		goto fail;
	}
	if (!o->repeats || !(o->test_size > 0 && o->test_size < 1) ||
	    !(o->val_size >= 0 && o->val_size + o->test_size < 1)) {
		snprintf(err, errlen, "repeats must be >= 1, test size in "
			 "(0, 1) and test + validation below 1");
		e = -EINVAL;
		goto fail;
	}
	r.acc = calloc(o->repeats, sizeof(double));
	r.topk = calloc(o->repeats, sizeof(double));
	r.confusion = calloc(nc * nc, sizeof(uint32_t));
	r.importance = calloc(d->n_features, sizeof(double));
	if (!r.acc || !r.topk || !r.confusion || !r.importance || !conf1 ||
	    !imp || !s)
		goto fail;
	for (unsigned rep = 0; rep < o->repeats; rep++) {
		uint64_t seed = o->seed + 1000003ull * rep;
		struct eg_split sp;
		struct eg_audit_model *m;
		int g;
		double fit_s, t0 = now_s();

		g = o->val_size > 0 ?
		    repeat_split3(d, c, grid, ng, o, seed, &sp, &m, &fit_s, s,
				  err, errlen) :
		    repeat_split(d, c, grid, ng, o, seed, &sp, &m, &fit_s, s,
				 err, errlen);
		if (g < 0) {
			e = g;
			goto fail;
		}
		chosen[g]++;
		r.fit_s += fit_s;
		r.train_s += now_s() - t0;
		memset(conf1, 0, nc * nc * sizeof(*conf1));
		r.acc[rep] = score_rows(m, d, o, sp.test, sp.n_test, o->topk,
					&r.topk[rep], conf1, s);
		bal += balanced(conf1, (unsigned)nc);
		for (size_t i = 0; i < nc * nc; i++)
			r.confusion[i] += conf1[i];
		if (eg_audit_importances(m, imp) == 0) {
			for (unsigned j = 0; j < d->n_features; j++)
				r.importance[j] += imp[j] / o->repeats;
		} else {
			free(r.importance);
			r.importance = NULL;
		}
		eg_audit_model_free(m);
		eg_split_done(&sp);
	}
	r.fit_s /= o->repeats;
	summarise(&r, chosen, grid, ng, bal);
	free(conf1);
	free(imp);
	free(s);
	*ret = r;
	return 0;
fail:
	if (e == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(conf1);
	free(imp);
	free(s);
	eg_audit_result_done(&r);
	return e;
}
