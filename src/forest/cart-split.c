/* SPDX-License-Identifier: MIT */
/*
 * cart-split.c: the exact CART split search of train.c (train-internal.h):
 * impurity, and per feature a histogram over rank codes or a radix sort of
 * the node's codes, both scanning every boundary between distinct values.
 */
#include <math.h>
#include <string.h>

#include "train-internal.h"

/* --- impurity ----------------------------------------------------------- */

double eg_cart_impurity(const struct ctx *c, const double *cls, double W)
{
	double s = 0;
	uint32_t k;

	if (W <= 0)
		return 0;
	if (c->p->criterion == EG_CRIT_ENTROPY) {
		for (k = 0; k < c->C; k++)
			if (cls[k] > 0)
				s -= cls[k] / W * log2(cls[k] / W);
		return s;
	}
	for (k = 0; k < c->C; k++)
		s += (cls[k] / W) * (cls[k] / W);
	return 1 - s;
}

/* Larger is better; differs from -(WL*imp(L) + WR*imp(R)) by a constant. */
static double proxy(const struct ctx *c, const double *L, const double *T,
		    double WL, double W)
{
	double WR = W - WL, sl = 0, sr = 0, r;
	uint32_t k;

	if (c->p->criterion == EG_CRIT_ENTROPY) {
		for (k = 0; k < c->C; k++) {
			r = T[k] - L[k];
			if (L[k] > 0)
				sl += L[k] * log(L[k]);
			if (r > 1e-12)
				sr += r * log(r);
		}
		return sl + sr - WL * log(WL) - WR * log(WR);
	}
	for (k = 0; k < c->C; k++) {
		r = T[k] - L[k];
		sl += L[k] * L[k];
		sr += r * r;
	}
	return sl / WL + sr / WR;
}

/* --- split search ------------------------------------------------------- */

/* Sort (key, value) pairs by key: insertion sort when short, else LSD radix
 * with 8-bit digits over the key's significant bytes. Returns the arrays
 * holding the result (the inputs or the scratch pair). */
static void sort_pairs(struct work *w, uint32_t n, uint32_t nv,
		       uint32_t **ret_k, uint32_t **ret_v)
{
	uint32_t *k = w->keys, *v = w->vals, *tk = w->tmpk, *tv = w->tmpv;
	uint32_t count[256], i, shift, *t;

	if (n < 48) {
		for (i = 1; i < n; i++) {
			uint32_t kk = k[i], vv = v[i], j = i;

			while (j > 0 && k[j - 1] > kk) {
				k[j] = k[j - 1];
				v[j] = v[j - 1];
				j--;
			}
			k[j] = kk;
			v[j] = vv;
		}
		*ret_k = k;
		*ret_v = v;
		return;
	}
	for (shift = 0; shift < 32 && (nv - 1) >> shift; shift += 8) {
		uint32_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(k[i] >> shift) & 255]++;
		for (i = 0; i < 256; i++) {
			uint32_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			uint32_t o = count[(k[i] >> shift) & 255]++;

			tk[o] = k[i];
			tv[o] = v[i];
		}
		t = k; k = tk; tk = t;
		t = v; v = tv; tv = t;
	}
	*ret_k = k;
	*ret_v = v;
}

/* The running left side of a scan. For gini the sums of squared class
 * weights are updated per sample, so a boundary costs O(1), not O(C). */
struct scan {
	double WL, sl, sr;
	uint32_t nL;
};

static inline void scan_add(struct work *w, struct scan *s, uint32_t k,
			    double wt)
{
	double l = w->left[k], r = w->tot[k] - l;

	s->sl += wt * (2 * l + wt);
	s->sr += wt * (wt - 2 * r);
	w->left[k] = l + wt;
	s->WL += wt;
}

static void consider(struct work *w, struct best *b, int f,
		     const struct scan *s, uint32_t n, double W,
		     uint32_t code, uint32_t next)
{
	const struct ctx *c = w->c;
	double WR = W - s->WL, sc;

	if (s->nL < c->p->min_leaf || n - s->nL < c->p->min_leaf)
		return;
	if (s->WL <= 0 || WR <= 0)
		return;
	if (c->p->criterion == EG_CRIT_GINI)
		sc = s->sl / s->WL + s->sr / WR;
	else
		sc = proxy(c, w->left, w->tot, s->WL, W);
	if (sc > b->score) {
		b->score = sc;
		b->feature = f;
		b->code = code;
		b->next = next;
	}
}

static void scan_init(struct work *w, struct scan *s)
{
	const struct ctx *c = w->c;
	uint32_t k;

	memset(w->left, 0, c->C * sizeof(double));
	s->WL = s->sl = 0;
	s->sr = 0;
	s->nL = 0;
	for (k = 0; k < c->C; k++)
		s->sr += w->tot[k] * w->tot[k];
}

/* Best threshold of feature f on samples [lo, hi) (node totals in w->tot).
 * Returns 1 when the feature is constant on the node. */
static int split_feature(struct work *w, uint32_t lo, uint32_t hi, int f,
			 double W, struct best *b)
{
	const struct ctx *c = w->c;
	const uint32_t *code = c->code + (size_t)f * c->n;
	const uint32_t *idx = w->idx + lo, *yc = w->yc + lo;
	const double *cw = c->cw;
	uint32_t n = hi - lo, nv = c->nvals[f], i, k, prev = 0, *sk, *sv;
	struct scan s;
	int have = 0;

	scan_init(w, &s);
	if (nv <= n && nv <= c->hist_bins) {
		memset(w->hist, 0, (size_t)nv * c->C * sizeof(double));
		memset(w->hcnt, 0, nv * sizeof(uint32_t));
		for (i = 0; i < n; i++) {
			uint32_t cd = code[idx[i]], v = yc[i];

			w->hist[(size_t)cd * c->C + YC_CLASS(v)] +=
				YC_COUNT(v) * cw[YC_CLASS(v)];
			w->hcnt[cd]++;
		}
		for (i = 0; i < nv; i++) {
			const double *h = w->hist + (size_t)i * c->C;

			if (!w->hcnt[i])
				continue;
			if (w->hcnt[i] == n)
				return 1;
			if (have)
				consider(w, b, f, &s, n, W, prev, i);
			for (k = 0; k < c->C; k++)
				if (h[k] != 0)
					scan_add(w, &s, k, h[k]);
			s.nL += w->hcnt[i];
			prev = i;
			have = 1;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		w->keys[i] = code[idx[i]];
		w->vals[i] = yc[i];
	}
	sort_pairs(w, n, nv, &sk, &sv);
	if (sk[0] == sk[n - 1])
		return 1;
	for (i = 0; i < n; i++) {
		uint32_t cd = sk[i], v = sv[i];

		if (i && cd != prev)
			consider(w, b, f, &s, n, W, prev, cd);
		scan_add(w, &s, YC_CLASS(v), YC_COUNT(v) * cw[YC_CLASS(v)]);
		s.nL++;
		prev = cd;
	}
	return 0;
}

float eg_cart_threshold(const float *vals, uint32_t a, uint32_t b)
{
	float t = (float)(((double)vals[a] + (double)vals[b]) / 2);

	if (t >= vals[b] || t < vals[a])
		t = vals[a];
	return t;
}

/* Best split of idx[lo, hi) over a random subset of the features. */
void eg_cart_find_split(struct work *w, uint32_t lo, uint32_t hi, double W,
		       struct best *b)
{
	const struct ctx *c = w->c;
	uint32_t left = c->F, visited = 0, j;

	b->score = -INFINITY;
	b->feature = -1;
	for (j = 0; j < c->F; j++)
		w->feat[j] = j;
	/* Draw features without replacement; constant ones do not count
	 * towards max_features (as sklearn). */
	while (left && visited < c->mtry) {
		uint32_t pick = (uint32_t)eg_rng_below(&w->rng, left), f;

		f = w->feat[pick];
		w->feat[pick] = w->feat[--left];
		if (c->nvals[f] < 2)
			continue;
		if (!split_feature(w, lo, hi, (int)f, W, b))
			visited++;
	}
}

