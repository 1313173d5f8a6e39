/* SPDX-License-Identifier: MIT */
/*
 * inspect.h: a read-only walk over a loaded forest's trees, for
 * `echoguard model info|dump` (the raw trees as the file stores them:
 * nodes in depth-first preorder, leaves with class probabilities).
 */
#ifndef ECHOGUARD_FOREST_INSPECT_H
#define ECHOGUARD_FOREST_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/forest/forest.h"

/* One node of one tree. An inner node sends x[feature] <= threshold to
 * node `left`, else to node `right`; a leaf has leaf = 1 and proba points
 * to its eg_forest_n_classes probabilities (valid while the forest is). */
struct eg_forest_node {
	int leaf;
	unsigned feature;
	float threshold;
	uint32_t left, right;
	const double *proba;
};

/* Total leaves over all trees. */
size_t eg_forest_n_leaves(const struct eg_forest *f);
/* Nodes and leaves of tree t; 0 when t is out of range. */
uint32_t eg_forest_tree_n_nodes(const struct eg_forest *f, unsigned t);
uint32_t eg_forest_tree_n_leaves(const struct eg_forest *f, unsigned t);
/* Node i of tree t into *ret; -ERANGE (ret untouched) when out of range. */
int eg_forest_tree_node(const struct eg_forest *f, unsigned t, uint32_t i,
			struct eg_forest_node *ret);

#endif
