/* SPDX-License-Identifier: MIT */
/*
 * infer.c: the production inference layout and prediction (one row,
 * batch).
 *
 * The layout (compact8-dfs-x16 in docs/forest.md) stores each tree in
 * depth-first preorder in 8-byte nodes (the left child is the next node,
 * the right one an offset away; pure leaves carry their class inline),
 * steps without a branch, and walks sixteen trees at once so their cache
 * misses overlap. The other layouts measured live in tests/bench/layouts.c
 * (bench-layouts). Prediction allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

void eg_forest_layout_free(struct eg_forest *f)
{
	free(f->cnodes);
	free(f->roots);
	free(f->leaves);
	f->cnodes = NULL;
	f->roots = NULL;
	f->leaves = NULL;
}

/* --- layout ------------------------------------------------------------- */

/* Preorder copy: the left child is the next node, meta holds the offset to
 * the right child. Raw trees are preorder already. */
static int build_dfs8(const struct eg_forest *f, const struct eg_rawtree *tr,
		      struct eg_cnode *out, uint32_t leaf0)
{
	uint32_t i;

	for (i = 0; i < tr->n_nodes; i++) {
		const struct eg_rawnode *nd = &tr->nodes[i];
		uint32_t off;

		if (nd->feature == EG_LEAF_FEATURE) {
			out[i].threshold = 0;
			out[i].meta = f->leafmeta[leaf0 + nd->left];
			continue;
		}
		if (nd->left != i + 1)
			return -E2BIG; /* not preorder: cannot happen after check */
		off = nd->right - i;
		if (off > EG_CN_OFF_MAX)
			return -E2BIG;
		out[i].threshold = nd->threshold;
		out[i].meta = (uint32_t)nd->feature | (off << EG_CN_FEAT_BITS);
	}
	return 0;
}

static int build_trees(struct eg_forest *f)
{
	size_t off = 0, leaf = 0;
	unsigned t;
	int r = 0;

	f->cnodes = malloc(f->n_nodes * sizeof(*f->cnodes));
	f->roots = malloc(f->n_trees * sizeof(uint32_t));
	if (!f->cnodes || !f->roots)
		return -ENOMEM;
	for (t = 0; t < f->n_trees && r == 0; t++) {
		f->roots[t] = (uint32_t)off;
		r = build_dfs8(f, &f->trees[t], f->cnodes + off, (uint32_t)leaf);
		off += f->trees[t].n_nodes;
		leaf += f->trees[t].n_leaves;
	}
	return r;
}

/* The class of a one-hot leaf, or -1. */
static int pure_class(const double *p, unsigned n)
{
	int cls = -1;
	unsigned c;

	for (c = 0; c < n; c++) {
		if (p[c] == 1.0 && cls < 0)
			cls = (int)c;
		else if (p[c] != 0.0)
			return -1;
	}
	return cls;
}

int eg_forest_build_leaves(struct eg_forest *f)
{
	size_t g = 0, slot = 0;
	unsigned t, i;

	f->leaves = malloc((f->n_leaves ? f->n_leaves : 1) * f->n_classes *
			   sizeof(double));
	f->leafmeta = malloc((f->n_leaves ? f->n_leaves : 1) *
			     sizeof(uint32_t));
	if (!f->leaves || !f->leafmeta)
		return -ENOMEM;
	for (t = 0; t < f->n_trees; t++) {
		const struct eg_rawtree *tr = &f->trees[t];

		for (i = 0; i < tr->n_leaves; i++, g++) {
			const double *p = tr->leaf_proba +
				(size_t)i * f->n_classes;
			int cls = pure_class(p, f->n_classes);

			if (cls >= 0) {
				f->leafmeta[g] = EG_CN_LEAF | EG_CN_PURE |
						 (uint32_t)cls;
				continue;
			}
			f->leafmeta[g] = EG_CN_LEAF | (uint32_t)slot;
			memcpy(f->leaves + slot * f->n_classes, p,
			       f->n_classes * sizeof(double));
			slot++;
		}
	}
	f->n_table = slot;
	return 0;
}

int eg_forest_build_layout(struct eg_forest *f)
{
	int r;

	eg_forest_layout_free(f);
	r = eg_forest_build_leaves(f);
	if (r == 0)
		r = build_trees(f);
	free(f->leafmeta);
	f->leafmeta = NULL;
	if (r < 0)
		eg_forest_layout_free(f);
	return r;
}

/* --- inference ---------------------------------------------------------- */

WALK_XN(walk_dfs8_x4, 4, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))
WALK_XN(walk_dfs8_x16, 16, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))

unsigned eg_forest_predict(const struct eg_forest *f, const float *x,
			   float *ret_proba)
{
	double acc[EG_MAX_CLASSES];
	unsigned t;

	memset(acc, 0, f->n_classes * sizeof(double));
	/* 16 trees at a time, then 4 at a time, then the last few. */
	t = walk_dfs8_x4(f, x, acc, walk_dfs8_x16(f, x, acc, 0));
	for (; t < f->n_trees; t++)
		add_meta(f, walk_dfs8(f->cnodes + f->roots[t], x), acc);
	return finish_proba(f, acc, ret_proba);
}

/* Batch: rows in blocks, trees in the outer loop, so one tree (a few
 * hundred KB at most in 8-byte nodes) stays in cache while a block of rows
 * walks it, instead of every row pulling the whole forest through the
 * cache. BATCH_W rows walk a tree together. Sums are per row in tree order,
 * bit-identical to eg_forest_predict. The accumulator lives on the stack
 * (256 KiB):
 * no allocation. */
#define BATCH_ACC 32768 /* doubles: 256 KiB of stack */
#define BATCH_MIN_BYTES (8u << 20)
#ifndef BATCH_W
#define BATCH_W 8      /* rows walking one tree together */
#endif

static void batch_block_dfs8(const struct eg_forest *f, const float *x,
			     size_t n, double *acc)
{
	unsigned nf = f->n_features, C = f->n_classes, t;
	size_t i;

	for (t = 0; t < f->n_trees; t++) {
		const struct eg_cnode *root = f->cnodes + f->roots[t];

		for (i = 0; i + BATCH_W <= n; i += BATCH_W) {
			const struct eg_cnode *p[BATCH_W];
			const float *xr[BATCH_W];
			unsigned k, live = BATCH_W;

			for (k = 0; k < BATCH_W; k++) {
				xr[k] = x + (i + k) * nf;
				p[k] = root;
			}
			while (live) {
				live = 0;
				for (k = 0; k < BATCH_W; k++) {
					uint32_t m = p[k]->meta;

					if (m & EG_CN_LEAF)
						continue;
					live++;
					p[k] += dfs_step(m,
						xr[k][m & EG_CN_FEAT_MASK],
						p[k]->threshold);
				}
			}
			for (k = 0; k < BATCH_W; k++)
				add_meta(f, p[k]->meta, acc + (i + k) * C);
		}
		for (; i < n; i++)
			add_meta(f, walk_dfs8(root, x + i * nf), acc + i * C);
	}
}

int eg_forest_batch_blocked(const struct eg_forest *f, const float *x,
			    size_t n, uint32_t *ret_class, float *ret_proba)
{
	double acc[BATCH_ACC];
	size_t block = BATCH_ACC / f->n_classes, i, j;

	for (i = 0; i < n; i += block) {
		size_t m = n - i < block ? n - i : block;

		memset(acc, 0, m * f->n_classes * sizeof(double));
		batch_block_dfs8(f, x + i * f->n_features, m, acc);
		for (j = 0; j < m; j++)
			ret_class[i + j] = finish_proba(
				f, acc + j * f->n_classes,
				ret_proba ? ret_proba + (i + j) * f->n_classes :
				NULL);
	}
	return 0;
}

void eg_forest_predict_batch(const struct eg_forest *f, const float *x,
			     size_t n, uint32_t *ret_class, float *ret_proba)
{
	size_t i;

	/* A forest that fits in the caches gains nothing from walking trees
	 * in the outer loop; stepping 16 trees per row is faster there
	 * (docs/forest.md). */
	if (f->n_nodes * sizeof(struct eg_cnode) >= BATCH_MIN_BYTES) {
		(void)eg_forest_batch_blocked(f, x, n, ret_class, ret_proba);
		return;
	}
	for (i = 0; i < n; i++)
		ret_class[i] = eg_forest_predict(
			f, x + i * f->n_features,
			ret_proba ? ret_proba + i * f->n_classes : NULL);
}
