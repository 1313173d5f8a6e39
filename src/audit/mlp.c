/* SPDX-License-Identifier: MIT */
/*
 * mlp.c: a multilayer perceptron for the audit (issue 14), as sklearn's
 * MLPClassifier(solver="adam") in spirit: one or two ReLU hidden layers, a
 * softmax output, cross-entropy with an L2 penalty alpha, Adam (lr 1e-3,
 * betas 0.9/0.999, eps 1e-8), mini-batches of min(200, n) rows reshuffled
 * every epoch, Glorot-uniform initial weights (bound sqrt(6 / (in + out))),
 * inputs standardised with the training rows' mean and deviation. Early
 * stopping on a validation part: after every epoch the validation loss
 * (mean cross-entropy: smoother than sklearn's validation accuracy on the
 * few validation rows of 5 captures per class); no gain above 1e-4 for 10
 * epochs (or 500 epochs) stops, and the best epoch's weights are kept.
 *
 * Deterministic for a seed (one thread, fixed order of every sum).
 * Allocation is bounded and done once per fit: parameters x 5 (weights,
 * gradients, two Adam moments, best weights), the standardised rows, and
 * activations of one batch; hidden layers are at most EG_AUDIT_MLP_MAX_H.
 * Scoring allocates nothing. Covered by tests/unit/test-audit-mlp.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/util/util.h"
#include "audit-internal.h"

#define BATCH 200
#define MAX_EPOCHS 500
#define PATIENCE 10
#define TOL 1e-4

struct eg_audit_mlp {
	unsigned nl;                 /* weight layers: 2 or 3 */
	unsigned size[4];            /* size[0] inputs ... size[nl] classes */
	size_t off[4];               /* offset of layer l's weights in w */
	float *w;                    /* per layer: W[in][out] then b[out] */
	float *mu, *sd;              /* input standardisation */
};

struct mlp_work {
	float *g, *m, *v, *best;     /* gradients, Adam moments, best w */
	float *xs, *xv;              /* standardised training / validation rows */
	uint16_t *ys, *yv;
	float *act[4], *del[4];      /* batch activations and deltas */
	uint32_t *perm;
	size_t np;
};

struct eg_audit_mlp *eg_audit_mlp_free(struct eg_audit_mlp *m)
{
	if (m) {
		free(m->w);
		free(m->mu);
		free(m->sd);
		free(m);
	}
	return NULL;
}

static double uniform(uint64_t *rng)
{
	return (double)(eg_splitmix64(rng) >> 11) * 0x1.0p-53;
}

static size_t layer_params(const struct eg_audit_mlp *m, unsigned l)
{
	return ((size_t)m->size[l] + 1) * m->size[l + 1];
}

/* Forward pass of one standardised row; a[l] gets layer l's output
 * (a[0] = x), the last softmax probabilities. */
static void forward(const struct eg_audit_mlp *m, const float *w,
		    float *const *a)
{
	for (unsigned l = 0; l < m->nl; l++) {
		unsigned in = m->size[l], out = m->size[l + 1];
		const float *W = w + m->off[l], *b = W + (size_t)in * out;
		float *o = a[l + 1];

		memcpy(o, b, out * sizeof(*o));
		for (unsigned i = 0; i < in; i++) {
			float xi = a[l][i];
			const float *row = W + (size_t)i * out;

			if (xi == 0)
				continue;
			for (unsigned j = 0; j < out; j++)
				o[j] += xi * row[j];
		}
		if (l + 1 < m->nl) {
			for (unsigned j = 0; j < out; j++)
				o[j] = o[j] > 0 ? o[j] : 0;
		} else {
			float mx = o[0], s = 0;

			for (unsigned j = 1; j < out; j++)
				mx = o[j] > mx ? o[j] : mx;
			for (unsigned j = 0; j < out; j++)
				s += o[j] = expf(o[j] - mx);
			for (unsigned j = 0; j < out; j++)
				o[j] /= s;
		}
	}
}

/* Backward pass of one row whose forward activations are in a: adds its
 * gradient to g; del[l] is scratch of size[l]. */
static void backward(const struct eg_audit_mlp *m, const float *w,
		     float *const *a, float *const *del, unsigned y, float *g)
{
	unsigned L = m->nl;

	memcpy(del[L], a[L], m->size[L] * sizeof(float));
	del[L][y] -= 1;
	for (unsigned l = L; l-- > 0;) {
		unsigned in = m->size[l], out = m->size[l + 1];
		const float *W = w + m->off[l];
		float *G = g + m->off[l], *gb = G + (size_t)in * out;

		for (unsigned j = 0; j < out; j++)
			gb[j] += del[l + 1][j];
		for (unsigned i = 0; i < in; i++) {
			float xi = a[l][i], s = 0;
			const float *row = W + (size_t)i * out;
			float *grow = G + (size_t)i * out;

			if (xi != 0)
				for (unsigned j = 0; j < out; j++)
					grow[j] += xi * del[l + 1][j];
			if (l == 0)
				continue;
			if (xi > 0)
				for (unsigned j = 0; j < out; j++)
					s += row[j] * del[l + 1][j];
			del[l][i] = s;
		}
	}
}

/* One Adam step with the batch gradient g (sum over bs rows) and the L2
 * penalty alpha on the weights (not the biases), as sklearn. */
static void adam(const struct eg_audit_mlp *m, struct mlp_work *wk,
		 unsigned bs, float alpha, unsigned long step)
{
	const double b1 = 0.9, b2 = 0.999;
	double lr = 1e-3 * sqrt(1 - pow(b2, (double)step)) /
		    (1 - pow(b1, (double)step));

	for (unsigned l = 0; l < m->nl; l++) {
		size_t o = m->off[l], nw = (size_t)m->size[l] * m->size[l + 1];
		size_t np = layer_params(m, l);

		for (size_t i = 0; i < np; i++) {
			float gi = (wk->g[o + i] + (i < nw ? alpha *
				    m->w[o + i] : 0)) / (float)bs;

			wk->m[o + i] = (float)(b1 * wk->m[o + i] +
					       (1 - b1) * gi);
			wk->v[o + i] = (float)(b2 * wk->v[o + i] +
					       (1 - b2) * gi * gi);
			m->w[o + i] -= (float)(lr * wk->m[o + i] /
					       (sqrt(wk->v[o + i]) + 1e-8));
		}
	}
}

/* Mean cross-entropy of the net over n standardised rows. */
static double loss(const struct eg_audit_mlp *m, struct mlp_work *wk,
		   const float *x, const uint16_t *y, size_t n)
{
	double l = 0;
	float *a[4];

	for (unsigned k = 1; k <= m->nl; k++)
		a[k] = wk->act[k];
	for (size_t i = 0; i < n; i++) {
		a[0] = (float *)&x[i * m->size[0]];
		forward(m, m->w, a);
		l -= log(fmax(a[m->nl][y[i]], 1e-12));
	}
	return n ? l / n : 0;
}

static void work_done(struct mlp_work *wk)
{
	free(wk->g);
	free(wk->m);
	free(wk->v);
	free(wk->best);
	free(wk->xs);
	free(wk->xv);
	free(wk->ys);
	free(wk->yv);
	free(wk->perm);
	for (unsigned l = 0; l < 4; l++) {
		free(wk->act[l]);
		free(wk->del[l]);
	}
}

/* Layer sizes, the standardisation and Glorot-uniform weights. */
static int init_net(struct eg_audit_mlp *m, const struct eg_dataset *d,
		    const uint32_t *rows, size_t n,
		    const struct eg_audit_hyper *h, uint64_t *rng, size_t *np)
{
	unsigned f = d->n_features;

	m->nl = h->hidden2 ? 3 : 2;
	m->size[0] = f;
	m->size[1] = h->hidden1 ? h->hidden1 : 100;
	m->size[2] = h->hidden2 ? h->hidden2 : d->n_classes;
	m->size[m->nl] = d->n_classes;
	if (m->size[1] > EG_AUDIT_MLP_MAX_H || h->hidden2 > EG_AUDIT_MLP_MAX_H)
		return -EINVAL;
	*np = 0;
	for (unsigned l = 0; l < m->nl; l++) {
		m->off[l] = *np;
		*np += layer_params(m, l);
	}
	m->w = malloc(*np * sizeof(float));
	m->mu = malloc(f * sizeof(float));
	m->sd = malloc(f * sizeof(float));
	if (!m->w || !m->mu || !m->sd)
		return -ENOMEM;
	eg_audit_standardise(d, rows, n, m->mu, m->sd);
	for (unsigned l = 0; l < m->nl; l++) {
		unsigned in = m->size[l], out = m->size[l + 1];
		double bound = sqrt(6.0 / (in + out));

		for (size_t i = 0; i < layer_params(m, l); i++)
			m->w[m->off[l] + i] = (float)((2 * uniform(rng) - 1) *
						       bound);
	}
	return 0;
}

static void standardise_rows(const struct eg_audit_mlp *m,
			     const struct eg_dataset *d, const uint32_t *rows,
			     size_t n, float *x, uint16_t *y)
{
	unsigned f = m->size[0];

	for (size_t i = 0; i < n; i++) {
		const float *src = &d->x[(size_t)rows[i] * f];

		for (unsigned j = 0; j < f; j++)
			x[i * f + j] = (src[j] - m->mu[j]) / m->sd[j];
		y[i] = d->y[rows[i]];
	}
}

static int work_init(struct mlp_work *wk, const struct eg_audit_mlp *m,
		     size_t np, size_t n, size_t nv)
{
	unsigned f = m->size[0];

	wk->np = np;
	wk->g = malloc(np * sizeof(float));
	wk->m = calloc(np, sizeof(float));
	wk->v = calloc(np, sizeof(float));
	wk->best = malloc(np * sizeof(float));
	wk->xs = malloc(n * f * sizeof(float));
	wk->xv = malloc((nv ? nv : 1) * f * sizeof(float));
	wk->ys = malloc(n * sizeof(uint16_t));
	wk->yv = malloc((nv ? nv : 1) * sizeof(uint16_t));
	wk->perm = malloc(n * sizeof(uint32_t));
	if (!wk->g || !wk->m || !wk->v || !wk->best || !wk->xs || !wk->xv ||
	    !wk->ys || !wk->yv || !wk->perm)
		return -ENOMEM;
	for (unsigned l = 1; l <= m->nl; l++) {
		wk->act[l] = malloc(m->size[l] * sizeof(float));
		wk->del[l] = malloc(m->size[l] * sizeof(float));
		if (!wk->act[l] || !wk->del[l])
			return -ENOMEM;
	}
	return 0;
}

/* One epoch of mini-batches over the shuffled training rows. */
static void epoch(struct eg_audit_mlp *m, struct mlp_work *wk, size_t n,
		  float alpha, uint64_t *rng, unsigned long *step)
{
	unsigned bs = n < BATCH ? (unsigned)n : BATCH, f = m->size[0];
	float *a[4];

	for (size_t i = n; i > 1; i--) {
		size_t j = eg_splitmix64(rng) % i;
		uint32_t t = wk->perm[i - 1];

		wk->perm[i - 1] = wk->perm[j];
		wk->perm[j] = t;
	}
	for (unsigned l = 1; l <= m->nl; l++)
		a[l] = wk->act[l];
	for (size_t s = 0; s < n; s += bs) {
		size_t e = s + bs < n ? s + bs : n;

		memset(wk->g, 0, wk->np * sizeof(float));
		for (size_t i = s; i < e; i++) {
			a[0] = &wk->xs[(size_t)wk->perm[i] * f];
			forward(m, m->w, a);
			backward(m, m->w, a, wk->del, wk->ys[wk->perm[i]],
				 wk->g);
		}
		adam(m, wk, (unsigned)(e - s), alpha, ++*step);
	}
}

/* Epochs until the validation loss stops improving (the best epoch's
 * weights kept); without validation rows, the training loss stands in. */
static void train(struct eg_audit_mlp *m, struct mlp_work *wk, size_t n,
		  size_t nv, float alpha, uint64_t *rng)
{
	double best = INFINITY;
	unsigned stale = 0;
	unsigned long step = 0;

	for (size_t i = 0; i < n; i++)
		wk->perm[i] = (uint32_t)i;
	memcpy(wk->best, m->w, wk->np * sizeof(float));
	for (unsigned ep = 0; ep < MAX_EPOCHS && stale < PATIENCE; ep++) {
		double l;

		epoch(m, wk, n, alpha, rng, &step);
		l = nv ? loss(m, wk, wk->xv, wk->yv, nv) :
			 loss(m, wk, wk->xs, wk->ys, n);
		stale = l > best - TOL ? stale + 1 : 0;
		if (l < best) {
			best = l;
			memcpy(wk->best, m->w, wk->np * sizeof(float));
		}
	}
	memcpy(m->w, wk->best, wk->np * sizeof(float));
}

int eg_audit_mlp_fit(const struct eg_dataset *d, const uint32_t *rows,
		     size_t n, const uint32_t *val, size_t nv,
		     const struct eg_audit_hyper *h, uint64_t seed,
		     struct eg_audit_mlp **ret)
{
	struct eg_audit_mlp *m = calloc(1, sizeof(*m));
	struct mlp_work wk = { 0 };
	uint64_t rng = seed ^ 0x6d6c70ull;
	size_t np = 0;
	int r;

	if (!m)
		return -ENOMEM;
	r = init_net(m, d, rows, n, h, &rng, &np);
	if (r == 0)
		r = work_init(&wk, m, np, n, nv);
	if (r == 0) {
		standardise_rows(m, d, rows, n, wk.xs, wk.ys);
		standardise_rows(m, d, val, nv, wk.xv, wk.yv);
		train(m, &wk, n, nv, h->alpha > 0 ? h->alpha : 1e-4f, &rng);
	}
	work_done(&wk);
	if (r < 0) {
		eg_audit_mlp_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

void eg_audit_mlp_proba(const struct eg_audit_mlp *m, const float *x,
			float *s)
{
	float z[EG_DATASET_MAX_FEATURES], h1[EG_AUDIT_MLP_MAX_H];
	float h2[EG_AUDIT_MLP_MAX_H];
	float *a[4] = { z, h1, h2, s };

	for (unsigned j = 0; j < m->size[0]; j++)
		z[j] = (x[j] - m->mu[j]) / m->sd[j];
	a[m->nl] = s;
	forward(m, m->w, a);
}
