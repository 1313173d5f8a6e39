/* SPDX-License-Identifier: MIT */
/*
 * walk.h: the inline steps of a compact (8-byte node) tree walk and of
 * leaf accumulation, shared by infer.c (production) and the layout
 * benchmark (tests/bench/layouts.c), so both sum leaves the same way.
 */
#ifndef ECHOGUARD_FOREST_WALK_H
#define ECHOGUARD_FOREST_WALK_H

#include "forest-internal.h"

/* DFS step without a branch: the left child is next (1), the right one
 * `off` nodes away; a data-dependent branch here mispredicts half the time
 * and was the largest cost in profiles. */
static inline uint32_t dfs_step(uint32_t meta, float v, float thr)
{
	uint32_t go = v > thr;

	return 1 + ((0u - go) & ((meta >> EG_CN_FEAT_BITS) - 1));
}

static inline uint32_t walk_dfs8(const struct eg_cnode *n, const float *x)
{
	const struct eg_cnode *p = n;

	while (!(p->meta & EG_CN_LEAF)) {
		uint32_t m = p->meta;

		p += dfs_step(m, x[m & EG_CN_FEAT_MASK], p->threshold);
	}
	return p->meta;
}

static inline void add_row(const struct eg_forest *f, uint32_t row,
			   double *acc)
{
	const double *p = f->leaves + (size_t)row * f->n_classes;
	unsigned c;

	for (c = 0; c < f->n_classes; c++)
		acc[c] += p[c];
}

/* A compact leaf: a pure one adds exactly 1 to its class, which is what
 * adding its one-hot row would do. */
static inline void add_meta(const struct eg_forest *f, uint32_t meta,
			    double *acc)
{
	if (meta & EG_CN_PURE)
		acc[meta & 0xff] += 1.0;
	else
		add_row(f, meta & ~EG_CN_LEAF, acc);
}

/* N trees at once: the loads of N independent walks overlap. Groups of N
 * trees from tree t0 on; returns the first tree not walked. The leaves are
 * added in tree order, as the one-tree walks do, so the sums are
 * bit-identical. */
#define WALK_XN(NAME, N, STEP)                                              \
static unsigned NAME(const struct eg_forest *f, const float *x,             \
		     double *acc, unsigned t)                               \
{                                                                           \
	unsigned k;                                                         \
                                                                            \
	for (; t + N <= f->n_trees; t += N) {                               \
		const struct eg_cnode *p[N];                                \
		unsigned live = N;                                          \
                                                                            \
		for (k = 0; k < N; k++)                                     \
			p[k] = f->cnodes + f->roots[t + k];                 \
		while (live) {                                              \
			live = 0;                                           \
			for (k = 0; k < N; k++) {                           \
				uint32_t m = p[k]->meta;                    \
                                                                            \
				if (m & EG_CN_LEAF)                         \
					continue;                           \
				live++;                                     \
				p[k] += STEP;                               \
			}                                                   \
		}                                                           \
		for (k = 0; k < N; k++)                                     \
			add_meta(f, p[k]->meta, acc);                       \
	}                                                                   \
	return t;                                                           \
}

/* The most probable class (lowest index on ties) of summed leaves; the
 * mean probabilities to ret_proba when not NULL. */
static inline unsigned finish_proba(const struct eg_forest *f,
				    const double *acc, float *ret_proba)
{
	unsigned c, best = 0;

	for (c = 0; c < f->n_classes; c++) {
		if (acc[c] > acc[best])
			best = c;
		if (ret_proba)
			ret_proba[c] = (float)(acc[c] / f->n_trees);
	}
	return best;
}

#endif
