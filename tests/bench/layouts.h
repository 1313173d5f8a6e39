/* SPDX-License-Identifier: MIT */
/*
 * layouts.h: the inference layouts measured in docs/forest.md that
 * production does not use, rebuilt from a loaded forest's raw trees for
 * bench-layouts, which times them against eg_forest_predict (the
 * production compact8-dfs-x16) in one run. Benchmark code only.
 */
#ifndef ECHOGUARD_BENCH_LAYOUTS_H
#define ECHOGUARD_BENCH_LAYOUTS_H

#include "forest-internal.h"

enum layout_kind {
	LAYOUT_PLAIN = 0,  /* raw 16-byte nodes, preorder, tree by tree */
	LAYOUT_DFS8,       /* 8-byte nodes, preorder, left = next */
	LAYOUT_BFS8,       /* 8-byte nodes, breadth-first, siblings adjacent */
	LAYOUT_BFS8_X4,    /* BFS8, four trees stepped together */
	LAYOUT_DFS8_X4,    /* DFS8, four trees stepped together */
	LAYOUT_DFS8_X8,    /* DFS8, eight trees */
	LAYOUT_BLK8,       /* 8-byte nodes, 3-level subtrees per 64-byte
			      cache line, tree by tree */
	LAYOUT_BLK8_X4,    /* blocked, four trees stepped together */
	LAYOUT_COUNT,
};

/* One layout of one forest. view is a shallow copy of the forest whose
 * inference arrays (cnodes, roots, leaves) are this layout's: the DFS
 * kinds share the forest's own arrays, the others own theirs. */
struct layout {
	enum layout_kind kind;
	struct eg_forest view;
	struct eg_rawnode *plain;
	uint32_t *plain_roots;  /* per tree: offset into plain */
	uint32_t *plain_leaf;   /* per tree: first global leaf index */
	size_t n_blocks;
};

const char *layout_name(enum layout_kind kind);
/* Build kind from f (which must outlive it); -ENOMEM, -E2BIG. */
int layout_build(const struct eg_forest *f, enum layout_kind kind,
		 struct layout *ret);
void layout_done(struct layout *l);
/* As eg_forest_predict, in this layout: bit-identical probabilities. */
unsigned layout_predict(const struct layout *l, const float *x,
			float *ret_proba);
/* Bytes of the inference arrays, as eg_forest_mem_bytes. */
size_t layout_bytes(const struct layout *l);

#endif
