/* SPDX-License-Identifier: MIT */
/*
 * forest-internal.h: the forest's in-memory representation, shared by
 * forest.c (layout, inference), model.c (file I/O) and train.c.
 *
 * A forest exists in two forms. The raw trees (struct eg_rawtree) are what
 * the trainer produces and the file stores: nodes in depth-first preorder,
 * 16 bytes each, leaves pointing into a per-tree table of class
 * probabilities. eg_forest_finish() validates the raw trees and builds the
 * inference layout from them (docs/forest.md; the other layouts measured
 * there are in tests/bench/layouts.c).
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

	/* inference: compact8-dfs (docs/forest.md) */
	struct eg_cnode *cnodes; /* all trees, concatenated, preorder */
	uint32_t *roots;         /* per tree: index of its root in cnodes */
	double *leaves;          /* impure leaves * n_classes */
	uint32_t *leafmeta;      /* while building: global leaf -> meta */
	size_t n_nodes, n_leaves, n_table;
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
 * eg_forest_predict_batch uses for forests larger than the caches).
 * Exposed for the tests; returns 0. */
int eg_forest_batch_blocked(const struct eg_forest *f, const float *x,
			    size_t n, uint32_t *ret_class, float *ret_proba);

/* Free the inference arrays (infer.c). */
void eg_forest_layout_free(struct eg_forest *f);

/* Build the inference arrays (compact8-dfs; eg_forest_finish calls it):
 * -E2BIG when a tree is too wide for 19-bit child offsets. */
int eg_forest_build_layout(struct eg_forest *f);

/* The probability table of impure leaves (f->leaves, f->n_table) and each
 * global leaf's compact meta word (f->leafmeta, freed by the caller). Also
 * used by the layout benchmark (tests/bench/layouts.c). */
int eg_forest_build_leaves(struct eg_forest *f);

#endif
