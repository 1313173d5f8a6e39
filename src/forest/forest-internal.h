/* SPDX-License-Identifier: MIT */
/*
 * forest-internal.h: the forest's in-memory representation, shared by
 * forest.c (layout, inference), model.c (file I/O) and train.c.
 *
 * A forest exists in two forms. The raw trees (struct eg_rawtree) are what
 * the trainer produces and the file stores: nodes in depth-first preorder,
 * 16 bytes each, leaves pointing into a per-tree table of class
 * probabilities. eg_forest_finish() validates the raw trees and builds the
 * inference layout from them (see docs/forest.md for the layouts measured).
 */
#ifndef ECHOGUARD_FOREST_INTERNAL_H
#define ECHOGUARD_FOREST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/forest/forest.h"
#include "echoguard/util/util.h"

#define EG_LEAF_FEATURE (-1)

struct eg_rawnode {
	int32_t feature;       /* EG_LEAF_FEATURE for a leaf */
	float threshold;       /* x[feature] <= threshold goes left */
	uint32_t left, right;  /* node indices; a leaf: left = leaf index */
};

struct eg_rawtree {
	uint32_t n_nodes, n_leaves;
	struct eg_rawnode *nodes;
	double *leaf_proba;    /* n_leaves * n_classes */
};

/* The inference layouts studied (docs/forest.md). */
enum eg_layout {
	EG_LAYOUT_PLAIN = 0,   /* raw 16-byte nodes, preorder, tree by tree */
	EG_LAYOUT_DFS8,        /* 8-byte nodes, preorder, left = next */
	EG_LAYOUT_BFS8,        /* 8-byte nodes, breadth-first, siblings adjacent */
	EG_LAYOUT_BFS8_X4,     /* BFS8, four trees stepped together */
	EG_LAYOUT_DFS8_X4,     /* DFS8, four trees stepped together */
	EG_LAYOUT_DFS8_X8,     /* DFS8, eight trees */
	EG_LAYOUT_DFS8_X16,    /* DFS8, sixteen trees, then fours (default) */
	EG_LAYOUT_BLK8,        /* 8-byte nodes, 3-level subtrees per 64-byte
				  cache line, tree by tree */
	EG_LAYOUT_BLK8_X4,     /* blocked, four trees stepped together */
	EG_LAYOUT_COUNT,
};
#define EG_LAYOUT_DEFAULT EG_LAYOUT_DFS8_X16

/* Compact node: meta bit 31 = leaf; then bit 30 = pure leaf whose class is
 * in bits 0..7 (no probability row: full trees have mostly pure leaves,
 * and skipping their rows keeps the model in cache), else bits 0..29 index
 * the table of impure leaves. An inner node: bits 0..11 feature, bits
 * 12..30 the child offset. */
struct eg_cnode {
	float threshold;
	uint32_t meta;
};
#define EG_CN_LEAF 0x80000000u
#define EG_CN_PURE 0x40000000u
#define EG_CN_FEAT_BITS 12
#define EG_CN_FEAT_MASK ((1u << EG_CN_FEAT_BITS) - 1)
#define EG_CN_OFF_MAX ((1u << (31 - EG_CN_FEAT_BITS)) - 1)

struct eg_forest {
	char *schema_name;
	uint32_t schema_version;
	unsigned n_features, n_classes, n_trees;
	char **feature_names;
	char **class_names;
	char *meta;
	double *importances;     /* n_features */
	struct eg_rawtree *trees;

	/* inference */
	enum eg_layout layout;
	struct eg_cnode *cnodes; /* all trees, concatenated */
	uint32_t *roots;         /* per tree: index of its root in cnodes */
	uint32_t *plain_roots;   /* per tree: offset into plain */
	struct eg_rawnode *plain;
	uint32_t *plain_leaf;    /* per tree: first global leaf index */
	double *leaves;          /* table leaves * n_classes (compact layouts:
				    impure leaves only; plain: all) */
	uint32_t *leafmeta;      /* while building: global leaf -> meta */
	size_t n_nodes, n_leaves, n_table, n_blocks;
	unsigned max_depth;
};

/* A forest with identity (names copied) and no trees yet. */
int eg_forest_alloc(const char *schema_name, uint32_t schema_version,
		    unsigned n_features, const char *const *feature_names,
		    unsigned n_classes, const char *const *class_names,
		    unsigned n_trees, struct eg_forest **ret);

/*
 * Validate f->trees (sizes, indices in range, each node reached exactly
 * once from the root so no cycles or sharing, features in range, finite
 * thresholds, probabilities in [0,1] summing to 1) and build the inference
 * layout. -EBADMSG with "reason" in err on failure.
 */
int eg_forest_finish(struct eg_forest *f, char *err, size_t errlen);

/* Batch prediction by blocks of rows walking one tree at a time (what
 * eg_forest_predict_batch uses for forests larger than the caches); DFS
 * layouts only, else -EOPNOTSUPP. Exposed for the tests. */
int eg_forest_batch_blocked(const struct eg_forest *f, const float *x,
			    size_t n, uint32_t *ret_class, float *ret_proba);

/* Free the inference arrays (infer.c). */
void eg_forest_layout_free(struct eg_forest *f);

/* Rebuild the inference arrays in another layout (benchmarks). */
int eg_forest_set_layout(struct eg_forest *f, enum eg_layout layout);
const char *eg_layout_name(enum eg_layout layout);

#endif
