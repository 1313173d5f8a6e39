/* SPDX-License-Identifier: MIT */
/*
 * train-internal.h: the training context and per-thread work space shared
 * by train.c (bootstrap, growing trees, threads, entry point) and
 * cart-split.c (impurity and the exact best-split search).
 */
#ifndef ECHOGUARD_FOREST_TRAIN_INTERNAL_H
#define ECHOGUARD_FOREST_TRAIN_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"

/* The shared training context, read-only while trees grow (but
 * next_tree and err, atomics). */
struct ctx {
	const struct eg_train_params *p;
	uint32_t n, F, C;
	uint32_t *code;     /* F * n, column-major */
	float **vals;       /* per feature: sorted distinct values */
	uint32_t *nvals;
	uint16_t *y;        /* n */
	double *cw;         /* C class weights */
	unsigned mtry;
	uint32_t hist_bins; /* histogram capacity in codes */
	struct eg_forest *f;
	double *imp;        /* trees * F */
	unsigned next_tree;
	unsigned trees_done;        /* atomic; for p->progress */
	pthread_t caller;           /* the thread that reports progress */
	int err;
};

/* The per-thread work space. */
struct frame {
	uint32_t lo, hi, depth, parent;
	int side; /* 0 root, 1 left child of parent, 2 right */
};

struct work {
	struct ctx *c;
	struct eg_rng rng;
	/* idx[i]: training row of sample i of the tree; yc[i]: its class in
	 * bits 0..7 and bootstrap count above, kept aligned with idx so the
	 * scans read labels sequentially instead of gathering them. */
	uint32_t *idx, *yc, *keys, *vals, *tmpk, *tmpv, *cnt, *feat;
	double *hist, *tot, *left;
	uint32_t *hcnt;
	struct frame *stack;
	/* the tree being grown */
	struct eg_rawnode *nodes;
	double *leafp;
	uint32_t n_nodes, cap_nodes, n_leaves, cap_leaves;
	double *imp;
};

struct best {
	double score;
	int feature;
	uint32_t code;     /* rows with code <= this go left */
	uint32_t next;     /* the next distinct code present */
};

#define YC_CLASS(v) ((v) & 255u)
#define YC_COUNT(v) ((v) >> 8)

/* Impurity (gini or entropy, c->p->criterion) of class weights cls
 * summing to W; 0 when W <= 0. */
double eg_cart_impurity(const struct ctx *c, const double *cls, double W);

/* Best split of w->idx[lo, hi) (node totals in w->tot, weight W) over a
 * random subset of the features drawn with w->rng; b->feature < 0 when
 * none splits. */
void eg_cart_find_split(struct work *w, uint32_t lo, uint32_t hi, double W,
			struct best *b);

/* The threshold between distinct values vals[a] < vals[b]: their float
 * midpoint, never equal to vals[b]. */
float eg_cart_threshold(const float *vals, uint32_t a, uint32_t b);

#endif
