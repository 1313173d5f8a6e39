/* SPDX-License-Identifier: MIT */
/*
 * inspect.c: the read-only tree walk of inspect.h over the raw trees.
 */
#include <errno.h>

#include "echoguard/forest/inspect.h"
#include "forest-internal.h"

size_t eg_forest_n_leaves(const struct eg_forest *f)
{
	return f->n_leaves;
}

uint32_t eg_forest_tree_n_nodes(const struct eg_forest *f, unsigned t)
{
	return t < f->n_trees ? f->trees[t].n_nodes : 0;
}

uint32_t eg_forest_tree_n_leaves(const struct eg_forest *f, unsigned t)
{
	return t < f->n_trees ? f->trees[t].n_leaves : 0;
}

int eg_forest_tree_node(const struct eg_forest *f, unsigned t, uint32_t i,
			struct eg_forest_node *ret)
{
	const struct eg_rawtree *tr;
	const struct eg_rawnode *n;
	struct eg_forest_node out = { 0 };

	if (t >= f->n_trees || i >= f->trees[t].n_nodes)
		return -ERANGE;
	tr = &f->trees[t];
	n = &tr->nodes[i];
	if (n->feature == EG_LEAF_FEATURE) {
		out.leaf = 1;
		out.proba = tr->leaf_proba + (size_t)n->left * f->n_classes;
	} else {
		out.feature = (unsigned)n->feature;
		out.threshold = n->threshold;
		out.left = n->left;
		out.right = n->right;
	}
	*ret = out;
	return 0;
}
