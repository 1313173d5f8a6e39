/* SPDX-License-Identifier: MIT */
/*
 * clf.c: the audit's classifiers behind one interface: the forest
 * and a single CART tree (train.h), kNN on standardised features, and
 * AdaBoost (SAMME, Zhu et al. 2009) with decision stumps, the extra trees
 * (xtrees.c) and the multilayer perceptron (mlp.c).
 * Covered by tests/unit/test-audit.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/audit/audit.h"
#include "echoguard/forest/train.h"
#include "audit-internal.h"

const char *const eg_audit_clf_names[_EG_CLF_MAX] = {
	"forest", "tree", "knn", "adaboost", "xtrees", "mlp",
};

int eg_audit_clf_parse(const char *s, enum eg_audit_clf *ret)
{
	for (int i = 0; i < _EG_CLF_MAX; i++)
		if (!strcmp(s, eg_audit_clf_names[i])) {
			*ret = (enum eg_audit_clf)i;
			return 0;
		}
	return -EINVAL;
}

struct stump {
	unsigned f;
	float thr;            /* x[f] <= thr goes left */
	uint16_t cl, cr;
	double alpha;
};

struct eg_audit_model {
	enum eg_audit_clf c;
	unsigned n_classes, n_features;
	struct eg_forest *forest;
	/* kNN: standardised training rows */
	float *x, *mu, *sd;
	uint16_t *y;
	size_t n;
	unsigned k;
	/* AdaBoost */
	struct stump *st;
	size_t n_st;
	struct eg_audit_xtrees *xt;
	struct eg_audit_mlp *mlp;
};

struct eg_audit_model *eg_audit_model_free(struct eg_audit_model *m)
{
	if (!m)
		return NULL;
	eg_forest_free(m->forest);
	free(m->x);
	free(m->mu);
	free(m->sd);
	free(m->y);
	free(m->st);
	eg_audit_xtrees_free(m->xt);
	eg_audit_mlp_free(m->mlp);
	free(m);
	return NULL;
}

static int fit_forest(struct eg_audit_model *m, const struct eg_audit_hyper *h,
		      const struct eg_dataset *d, const uint32_t *rows,
		      size_t n, uint64_t seed, unsigned threads, char *err,
		      size_t errlen)
{
	struct eg_train_params p;

	eg_train_params_default(&p);
	p.seed = seed;
	p.threads = threads;
	p.max_depth = h->max_depth;
	p.min_leaf = h->min_leaf ? h->min_leaf : 1;
	if (m->c == EG_CLF_TREE) {
		p.trees = 1;
		p.bootstrap = false;
		p.max_features = EG_MAXF_ALL;
	} else {
		p.trees = h->trees ? h->trees : 100;
	}
	return eg_train(d, rows, n, &p, &m->forest, err, errlen);
}

void eg_audit_standardise(const struct eg_dataset *d, const uint32_t *rows,
			  size_t n, float *mu, float *sd)
{
	unsigned f = d->n_features;

	for (unsigned j = 0; j < f; j++) {
		double s = 0, q = 0, v;

		for (size_t i = 0; i < n; i++) {
			v = d->x[(size_t)rows[i] * f + j];
			s += v;
			q += v * v;
		}
		mu[j] = n ? (float)(s / n) : 0;
		v = n ? sqrt(fmax(0, q / n - (s / n) * (s / n))) : 0;
		sd[j] = v > 1e-12 ? (float)v : 1.0f;
	}
}

static int fit_knn(struct eg_audit_model *m, const struct eg_audit_hyper *h,
		   const struct eg_dataset *d, const uint32_t *rows, size_t n)
{
	unsigned f = d->n_features;

	m->k = h->k ? h->k : 1;
	m->n = n;
	m->x = malloc(n * f * sizeof(float));
	m->y = malloc(n * sizeof(uint16_t));
	m->mu = calloc(f, sizeof(float));
	m->sd = calloc(f, sizeof(float));
	if (!m->x || !m->y || !m->mu || !m->sd)
		return -ENOMEM;
	eg_audit_standardise(d, rows, n, m->mu, m->sd);
	for (size_t i = 0; i < n; i++) {
		const float *src = &d->x[(size_t)rows[i] * f];

		for (unsigned j = 0; j < f; j++)
			m->x[i * f + j] = (src[j] - m->mu[j]) / m->sd[j];
		m->y[i] = d->y[rows[i]];
	}
	return 0;
}

static unsigned argmax(const float *s, unsigned n)
{
	unsigned b = 0;

	for (unsigned i = 1; i < n; i++)
		if (s[i] > s[b])
			b = i;
	return b;
}

/* The k nearest (Euclidean, standardised) vote; nearer neighbours win
 * ties. Allocation-free for k <= 64. */
static void score_knn(const struct eg_audit_model *m, const float *x,
		      float *s)
{
	double bd[64];
	uint16_t by[64];
	float z[EG_DATASET_MAX_FEATURES];
	unsigned k = m->k < 64 ? m->k : 64, nb = 0, f = m->n_features;

	for (unsigned j = 0; j < f; j++)
		z[j] = (x[j] - m->mu[j]) / m->sd[j];
	for (size_t i = 0; i < m->n; i++) {
		const float *r = &m->x[i * f];
		float dist = 0;
		unsigned j;

		for (j = 0; j < f; j++) {
			float v = z[j] - r[j];

			dist += v * v;
		}
		if (nb == k && dist >= bd[nb - 1])
			continue;
		j = nb < k ? nb++ : nb - 1;
		while (j > 0 && bd[j - 1] > dist) {
			bd[j] = bd[j - 1];
			by[j] = by[j - 1];
			j--;
		}
		bd[j] = dist;
		by[j] = m->y[i];
	}
	for (unsigned c = 0; c < m->n_classes; c++)
		s[c] = 0;
	for (unsigned j = 0; j < nb; j++)
		s[by[j]] += (1.0f - 1e-3f * (float)j / (float)k) / (float)k;
}

struct ada_work {
	uint32_t *order;       /* [f][n] row positions sorted by value */
	double *w, *wl, *wr, *bestr;
	uint16_t *bestrc;
};

/* The best stump under weights w, chosen as a depth-1 CART tree (least
 * weighted Gini impurity, as sklearn's AdaBoost with max_depth=1 trees:
 * the misclassification error alone ties on most splits with many
 * classes), each side predicting its heaviest class. Returns the stump's
 * weighted error rate. */
static double best_stump(const struct eg_dataset *d, const uint32_t *rows,
			 size_t n, unsigned nc, struct ada_work *a,
			 struct stump *ret)
{
	unsigned f = d->n_features;
	double best = INFINITY, W = 0, err = 0;

	for (size_t i = 0; i < n; i++)
		W += a->w[i];
	for (unsigned j = 0; j < f; j++) {
		const uint32_t *o = &a->order[(size_t)j * n];
		double ml = 0, mr = 0, sql = 0, sqr = 0, wl = 0;
		uint16_t cl = 0, cr = 0;

		memset(a->wr, 0, nc * sizeof(double));
		for (size_t i = n; i-- > 1;) {
			uint16_t y = d->y[rows[o[i]]];

			a->wr[y] += a->w[o[i]];
			if (a->wr[y] > mr) {
				mr = a->wr[y];
				cr = y;
			}
			a->bestr[i - 1] = mr;
			a->bestrc[i - 1] = cr;
		}
		a->wr[d->y[rows[o[0]]]] += a->w[o[0]]; /* now the totals */
		for (unsigned c = 0; c < nc; c++)
			sqr += a->wr[c] * a->wr[c];
		memset(a->wl, 0, nc * sizeof(double));
		for (size_t i = 0; i + 1 < n; i++) {
			uint16_t y = d->y[rows[o[i]]];
			double w = a->w[o[i]], g, wr;
			float v = d->x[(size_t)rows[o[i]] * f + j];
			float nv = d->x[(size_t)rows[o[i + 1]] * f + j];

			sql += (a->wl[y] + w) * (a->wl[y] + w) -
			       a->wl[y] * a->wl[y];
			sqr += (a->wr[y] - w) * (a->wr[y] - w) -
			       a->wr[y] * a->wr[y];
			a->wl[y] += w;
			a->wr[y] -= w;
			wl += w;
			if (a->wl[y] > ml) {
				ml = a->wl[y];
				cl = y;
			}
			if (nv <= v)
				continue;
			wr = W - wl;
			g = (wl > 0 ? wl - sql / wl : 0) +
			    (wr > 0 ? wr - sqr / wr : 0);
			if (g < best - 1e-12 * W) {
				best = g;
				err = W - ml - a->bestr[i];
				ret->f = j;
				ret->thr = v + (nv - v) / 2;
				ret->cl = cl;
				ret->cr = a->bestrc[i];
			}
		}
	}
	if (best == INFINITY) { /* every feature constant: majority class */
		memset(a->wl, 0, nc * sizeof(double));
		for (size_t i = 0; i < n; i++)
			a->wl[d->y[rows[i]]] += a->w[i];
		ret->f = 0;
		ret->thr = INFINITY;
		ret->cl = ret->cr = 0;
		for (unsigned c = 1; c < nc; c++)
			if (a->wl[c] > a->wl[ret->cl])
				ret->cl = ret->cr = (uint16_t)c;
		err = W - a->wl[ret->cl];
	}
	return fmax(0, err) / W;
}

struct vpos { float v; uint32_t i; };

static int cmp_vpos(const void *a, const void *b)
{
	const struct vpos *x = a, *y = b;

	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

/* Row positions sorted by each feature's value into order[f][n]. */
static int presort(const struct eg_dataset *d, const uint32_t *rows,
		   size_t n, uint32_t *order)
{
	struct vpos *t = malloc(n * sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (unsigned j = 0; j < d->n_features; j++) {
		for (size_t i = 0; i < n; i++) {
			t[i].v = d->x[(size_t)rows[i] * d->n_features + j];
			t[i].i = (uint32_t)i;
		}
		qsort(t, n, sizeof(*t), cmp_vpos);
		for (size_t i = 0; i < n; i++)
			order[(size_t)j * n + i] = t[i].i;
	}
	free(t);
	return 0;
}

static int fit_ada(struct eg_audit_model *m, const struct eg_audit_hyper *h,
		   const struct eg_dataset *d, const uint32_t *rows, size_t n)
{
	unsigned f = d->n_features, nc = d->n_classes;
	unsigned rounds = h->rounds ? h->rounds : 50;
	struct ada_work a = { 0 };
	int r = -ENOMEM;

	a.order = malloc((size_t)f * n * sizeof(uint32_t));
	a.w = malloc(n * sizeof(double));
	a.wl = malloc(nc * sizeof(double));
	a.wr = malloc(nc * sizeof(double));
	a.bestr = malloc(n * sizeof(double));
	a.bestrc = malloc(n * sizeof(uint16_t));
	m->st = calloc(rounds, sizeof(struct stump));
	if (!a.order || !a.w || !a.wl || !a.wr || !a.bestr || !a.bestrc ||
	    !m->st)
		goto out;
	if (presort(d, rows, n, a.order) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		a.w[i] = 1.0 / n;
	for (unsigned t = 0; t < rounds; t++) {
		struct stump s;
		double e = best_stump(d, rows, n, nc, &a, &s), sum = 0;

		if (e >= 1.0 - 1.0 / nc && m->n_st > 0)
			break;
		e = fmax(e, 1e-10);
		s.alpha = log((1 - e) / e) + log(nc > 1 ? nc - 1.0 : 1.0);
		if (s.alpha <= 0)
			s.alpha = 1e-3;
		m->st[m->n_st++] = s;
		if (e <= 1e-10)
			break;
		for (size_t i = 0; i < n; i++) {
			float v = d->x[(size_t)rows[i] * f + s.f];
			uint16_t p = v <= s.thr ? s.cl : s.cr;

			if (p != d->y[rows[i]])
				a.w[i] *= exp(s.alpha);
			sum += a.w[i];
		}
		for (size_t i = 0; i < n; i++)
			a.w[i] /= sum;
	}
	r = 0;
out:
	free(a.order);
	free(a.w);
	free(a.wl);
	free(a.wr);
	free(a.bestr);
	free(a.bestrc);
	return r;
}

/* The MLP without a validation part: a stratified tenth of rows. */
static int fit_mlp(struct eg_audit_model *m, const struct eg_audit_hyper *h,
		   const struct eg_dataset *d, const uint32_t *rows, size_t n,
		   const uint32_t *val, size_t nv, uint64_t seed)
{
	uint32_t *tr, *va;
	uint8_t *part;
	size_t nt = 0;
	int r;

	if (nv)
		return eg_audit_mlp_fit(d, rows, n, val, nv, h, seed, &m->mlp);
	tr = malloc(n * sizeof(*tr));
	va = malloc(n * sizeof(*va));
	part = malloc(n);
	r = tr && va && part ? eg_audit_split3(d, rows, n, 0.1, 0, seed, part)
			     : -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (part[i])
			va[nv++] = rows[i];
		else
			tr[nt++] = rows[i];
	}
	if (r == 0 && !nt) /* too few rows to spare any */
		r = eg_audit_mlp_fit(d, rows, n, NULL, 0, h, seed, &m->mlp);
	else if (r == 0)
		r = eg_audit_mlp_fit(d, tr, nt, va, nv, h, seed, &m->mlp);
	free(tr);
	free(va);
	free(part);
	return r;
}

int eg_audit_fit_val(enum eg_audit_clf c, const struct eg_audit_hyper *h,
		     const struct eg_dataset *d, const uint32_t *rows,
		     size_t n, const uint32_t *val, size_t nv, uint64_t seed,
		     unsigned threads, struct eg_audit_model **ret, char *err,
		     size_t errlen)
{
	struct eg_audit_model *m;
	int r;

	if (!n || !d->n_features || c >= _EG_CLF_MAX) {
		snprintf(err, errlen, "nothing to fit (%zu rows, %u features)",
			 n, d->n_features);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->c = c;
	m->n_classes = d->n_classes;
	m->n_features = d->n_features;
	if (c == EG_CLF_FOREST || c == EG_CLF_TREE)
		r = fit_forest(m, h, d, rows, n, seed, threads, err, errlen);
	else if (c == EG_CLF_KNN)
		r = fit_knn(m, h, d, rows, n);
	else if (c == EG_CLF_XTREES)
		r = eg_audit_xtrees_fit(d, rows, n, h->trees, h->min_leaf, seed,
					&m->xt);
	else if (c == EG_CLF_MLP)
		r = fit_mlp(m, h, d, rows, n, val, nv, seed);
	else
		r = fit_ada(m, h, d, rows, n);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		else if (c == EG_CLF_MLP)
			snprintf(err, errlen, "mlp: a hidden layer above %d "
				 "units", EG_AUDIT_MLP_MAX_H);
		eg_audit_model_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

int eg_audit_fit(enum eg_audit_clf c, const struct eg_audit_hyper *h,
		 const struct eg_dataset *d, const uint32_t *rows, size_t n,
		 uint64_t seed, unsigned threads, struct eg_audit_model **ret,
		 char *err, size_t errlen)
{
	return eg_audit_fit_val(c, h, d, rows, n, NULL, 0, seed, threads, ret,
				err, errlen);
}

unsigned eg_audit_score(const struct eg_audit_model *m, const float *x,
			float *s)
{
	if (m->forest)
		return eg_forest_predict(m->forest, x, s);
	if (m->c == EG_CLF_KNN) {
		score_knn(m, x, s);
		return argmax(s, m->n_classes);
	}
	if (m->xt) {
		eg_audit_xtrees_proba(m->xt, x, s);
		return argmax(s, m->n_classes);
	}
	if (m->mlp) {
		eg_audit_mlp_proba(m->mlp, x, s);
		return argmax(s, m->n_classes);
	}
	for (unsigned c = 0; c < m->n_classes; c++)
		s[c] = 0;
	for (size_t i = 0; i < m->n_st; i++) {
		const struct stump *t = &m->st[i];

		s[x[t->f] <= t->thr ? t->cl : t->cr] += (float)t->alpha;
	}
	return argmax(s, m->n_classes);
}

int eg_audit_importances(const struct eg_audit_model *m, double *ret)
{
	double sum = 0;

	if (m->forest) {
		eg_forest_importances(m->forest, ret);
		return 0;
	}
	if (m->xt) {
		eg_audit_xtrees_importances(m->xt, ret);
		return 0;
	}
	for (unsigned j = 0; j < m->n_features; j++)
		ret[j] = 0;
	if (m->c == EG_CLF_KNN || m->c == EG_CLF_MLP)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < m->n_st; i++) {
		ret[m->st[i].f] += m->st[i].alpha;
		sum += m->st[i].alpha;
	}
	for (unsigned j = 0; sum > 0 && j < m->n_features; j++)
		ret[j] /= sum;
	return 0;
}
