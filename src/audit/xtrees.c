/* SPDX-License-Identifier: MIT */
/*
 * xtrees.c: extremely randomised trees (Geurts, Ernst, Wehenkel
 * 2006; sklearn's ExtraTreesClassifier defaults): no bootstrap, at each
 * node sqrt(F) non-constant features each get one threshold drawn
 * uniformly between the node's minimum and maximum, the best by Gini
 * wins; grown until pure or min_leaf. Leaves hold class fractions; a
 * prediction is the mean of the trees' leaves. Used by clf.c.
 * Covered by tests/unit/test-audit.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit-internal.h"
#include "echoguard/util/util.h"

struct xnode {
	int32_t feat;          /* -1: leaf */
	float thr;             /* x <= thr goes left */
	uint32_t left, right;  /* node indices; for a leaf: offset in dist */
};

struct eg_audit_xtrees {
	unsigned n_trees, nc, nf;
	uint32_t *root;        /* [n_trees] */
	struct xnode *node;
	size_t n_node, cap_node;
	float *dist;
	size_t n_dist, cap_dist;
};

struct xbuild {
	struct eg_audit_xtrees *m;
	const struct eg_dataset *d;
	uint32_t *idx;         /* row indices, partitioned in place */
	double *cl, *cr;       /* class counts */
	unsigned *feats, min_leaf, max_f;
	uint64_t rng;
};

static int new_node(struct eg_audit_xtrees *m, uint32_t *ret)
{
	if (m->n_node == m->cap_node) {
		size_t cap = m->cap_node ? m->cap_node * 2 : 1024;
		struct xnode *n = realloc(m->node, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->node = n;
		m->cap_node = cap;
	}
	*ret = (uint32_t)m->n_node++;
	return 0;
}

static int make_leaf(struct xbuild *b, uint32_t id, size_t lo, size_t hi)
{
	struct eg_audit_xtrees *m = b->m;
	float *p;

	if (m->n_dist + m->nc > m->cap_dist) {
		size_t cap = m->cap_dist ? m->cap_dist * 2 : 64 * m->nc;
		float *n = realloc(m->dist, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->dist = n;
		m->cap_dist = cap;
	}
	p = m->dist + m->n_dist;
	memset(p, 0, m->nc * sizeof(*p));
	for (size_t i = lo; i < hi; i++)
		p[b->d->y[b->idx[i]]] += 1.0f / (float)(hi - lo);
	m->node[id].feat = -1;
	m->node[id].left = (uint32_t)m->n_dist;
	m->n_dist += m->nc;
	return 0;
}

static double gini_sum(const double *c, unsigned nc, double n)
{
	double s = 0;

	for (unsigned k = 0; k < nc; k++)
		s += c[k] * c[k];
	return n > 0 ? n - s / n : 0;
}

/* Grow the subtree of rows idx[lo, hi) at node id. */
static int grow(struct xbuild *b, uint32_t id, size_t lo, size_t hi)
{
	const struct eg_dataset *d = b->d;
	unsigned nf = d->n_features, nc = d->n_classes, tried = 0;
	double best = INFINITY;
	int32_t bf = -1;
	float bt = 0;
	size_t n = hi - lo, mid;
	uint32_t l, r;
	int e;

	memset(b->cl, 0, nc * sizeof(double));
	for (size_t i = lo; i < hi; i++)
		b->cl[d->y[b->idx[i]]]++;
	for (unsigned k = 0; k < nc; k++)
		if (b->cl[k] == (double)n) /* pure */
			return make_leaf(b, id, lo, hi);
	if (n < 2 * (size_t)b->min_leaf)
		return make_leaf(b, id, lo, hi);
	for (unsigned j = 0; j < nf; j++)
		b->feats[j] = j;
	for (unsigned j = 0; j < nf && tried < b->max_f; j++) {
		unsigned k = j + (unsigned)(eg_splitmix64(&b->rng) % (nf - j)), f;
		float mn = INFINITY, mx = -INFINITY, t;
		double nl = 0;

		f = b->feats[k];
		b->feats[k] = b->feats[j];
		b->feats[j] = f;
		for (size_t i = lo; i < hi; i++) {
			float v = d->x[(size_t)b->idx[i] * nf + f];

			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
		if (!(mx > mn))
			continue;
		tried++;
		t = mn + (float)((double)(eg_splitmix64(&b->rng) >> 11) /
				 9007199254740992.0) * (mx - mn);
		if (t >= mx)
			t = mn;
		memset(b->cl, 0, nc * sizeof(double));
		memset(b->cr, 0, nc * sizeof(double));
		for (size_t i = lo; i < hi; i++) {
			uint32_t row = b->idx[i];

			if (d->x[(size_t)row * nf + f] <= t) {
				b->cl[d->y[row]]++;
				nl++;
			} else {
				b->cr[d->y[row]]++;
			}
		}
		if (nl < b->min_leaf || n - nl < b->min_leaf)
			continue;
		{
			double g = gini_sum(b->cl, nc, nl) +
				   gini_sum(b->cr, nc, (double)n - nl);

			if (g < best) {
				best = g;
				bf = (int32_t)f;
				bt = t;
			}
		}
	}
	if (bf < 0)
		return make_leaf(b, id, lo, hi);
	mid = lo;
	for (size_t i = lo; i < hi; i++)
		if (d->x[(size_t)b->idx[i] * nf + (unsigned)bf] <= bt) {
			uint32_t tmp = b->idx[i];

			b->idx[i] = b->idx[mid];
			b->idx[mid++] = tmp;
		}
	if ((e = new_node(b->m, &l)) < 0 || (e = new_node(b->m, &r)) < 0)
		return e;
	b->m->node[id].feat = bf;
	b->m->node[id].thr = bt;
	b->m->node[id].left = l;
	b->m->node[id].right = r;
	if ((e = grow(b, l, lo, mid)) < 0)
		return e;
	return grow(b, r, mid, hi);
}

struct eg_audit_xtrees *eg_audit_xtrees_free(struct eg_audit_xtrees *m)
{
	if (!m)
		return NULL;
	free(m->root);
	free(m->node);
	free(m->dist);
	free(m);
	return NULL;
}

int eg_audit_xtrees_fit(const struct eg_dataset *d, const uint32_t *rows,
			size_t n, unsigned trees, unsigned min_leaf,
			uint64_t seed, struct eg_audit_xtrees **ret)
{
	struct eg_audit_xtrees *m = calloc(1, sizeof(*m));
	struct xbuild b = { .d = d, .min_leaf = min_leaf ? min_leaf : 1 };
	int e = -ENOMEM;

	if (!m)
		return -ENOMEM;
	m->n_trees = trees ? trees : 100;
	m->nc = d->n_classes;
	m->nf = d->n_features;
	b.m = m;
	b.max_f = (unsigned)lround(sqrt((double)m->nf));
	b.max_f = b.max_f ? b.max_f : 1;
	m->root = malloc(m->n_trees * sizeof(*m->root));
	b.idx = malloc(n * sizeof(*b.idx));
	b.cl = malloc(m->nc * sizeof(double));
	b.cr = malloc(m->nc * sizeof(double));
	b.feats = malloc(m->nf * sizeof(unsigned));
	if (!m->root || !b.idx || !b.cl || !b.cr || !b.feats)
		goto out;
	for (unsigned t = 0; t < m->n_trees; t++) {
		b.rng = seed * 0x100000001b3ull + t * 0x9e3779b97f4a7c15ull + 1;
		memcpy(b.idx, rows, n * sizeof(*b.idx));
		if ((e = new_node(m, &m->root[t])) < 0 ||
		    (e = grow(&b, m->root[t], 0, n)) < 0)
			goto out;
	}
	e = 0;
out:
	free(b.idx);
	free(b.cl);
	free(b.cr);
	free(b.feats);
	if (e < 0)
		eg_audit_xtrees_free(m);
	else
		*ret = m;
	return e;
}

void eg_audit_xtrees_proba(const struct eg_audit_xtrees *m, const float *x,
			   float *s)
{
	memset(s, 0, m->nc * sizeof(*s));
	for (unsigned t = 0; t < m->n_trees; t++) {
		const struct xnode *nd = &m->node[m->root[t]];
		const float *p;

		while (nd->feat >= 0)
			nd = &m->node[x[nd->feat] <= nd->thr ? nd->left :
				      nd->right];
		p = m->dist + nd->left;
		for (unsigned k = 0; k < m->nc; k++)
			s[k] += p[k] / (float)m->n_trees;
	}
}

/* Mean decrease in impurity is not tracked: split counts per feature,
 * normalised (a cruder importance, documented as such). */
void eg_audit_xtrees_importances(const struct eg_audit_xtrees *m, double *ret)
{
	double sum = 0;

	memset(ret, 0, m->nf * sizeof(*ret));
	for (size_t i = 0; i < m->n_node; i++)
		if (m->node[i].feat >= 0) {
			ret[m->node[i].feat]++;
			sum++;
		}
	for (unsigned j = 0; sum > 0 && j < m->nf; j++)
		ret[j] /= sum;
}
