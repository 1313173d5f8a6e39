/* SPDX-License-Identifier: MIT */
/*
 * forest.c: the forest object: construction, validation of raw trees
 * (eg_forest_finish), accessors, and the small generator the trainer and
 * the splits use. The inference layouts and prediction are in
 * infer.c; the file format in model.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"

/* --- construction ------------------------------------------------------- */

int eg_forest_alloc(const char *schema_name, uint32_t schema_version,
		    unsigned n_features, const char *const *feature_names,
		    unsigned n_classes, const char *const *class_names,
		    unsigned n_trees, struct eg_forest **ret)
{
	struct eg_forest *f;

	if (n_features == 0 || n_features > EG_CN_FEAT_MASK + 1 ||
	    n_classes == 0 || n_classes > EG_MAX_CLASSES || n_trees == 0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->schema_name = eg_strdup_max(schema_name ? schema_name : "custom",
				       EG_NAME_MAX);
	f->schema_version = schema_version;
	f->n_features = n_features;
	f->n_classes = n_classes;
	f->n_trees = n_trees;
	f->feature_names = eg_strv_copy(feature_names, n_features, "f");
	f->class_names = eg_strv_copy(class_names, n_classes, "c");
	f->importances = calloc(n_features, sizeof(double));
	f->trees = calloc(n_trees, sizeof(*f->trees));
	if (!f->schema_name || !f->feature_names || !f->class_names ||
	    !f->importances || !f->trees) {
		eg_forest_free(f);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}


struct eg_forest *eg_forest_free(struct eg_forest *f)
{
	unsigned i;

	if (!f)
		return NULL;
	if (f->trees)
		for (i = 0; i < f->n_trees; i++) {
			free(f->trees[i].nodes);
			free(f->trees[i].leaf_proba);
		}
	free(f->trees);
	eg_forest_layout_free(f);
	eg_strv_free(f->feature_names, f->n_features);
	eg_strv_free(f->class_names, f->n_classes);
	free(f->schema_name);
	free(f->meta);
	free(f->importances);
	free(f);
	return NULL;
}

/* --- validation --------------------------------------------------------- */

/* Each node must be reached exactly once from the root (node 0): with
 * in-degree one everywhere and every node reached, the graph is a tree. */
static int check_tree(const struct eg_forest *f, unsigned t, unsigned *ret_depth,
		      char *err, size_t errlen)
{
	const struct eg_rawtree *tr = &f->trees[t];
	uint32_t n = tr->n_nodes, i, c;
	uint8_t *seen_leaf = NULL;
	uint32_t *depth = NULL, *parent_seen = NULL;
	unsigned maxd = 0;
	int r = -EBADMSG;

	if (n == 0 || tr->n_leaves == 0 || tr->n_leaves > n ||
	    tr->n_nodes != 2 * tr->n_leaves - 1) {
		eg_err_set(err, errlen, "tree %u: %u nodes and %u leaves do not "
			"make a binary tree", t, n, tr->n_leaves);
		return -EBADMSG;
	}
	seen_leaf = calloc(tr->n_leaves, 1);
	depth = calloc(n, sizeof(*depth));
	parent_seen = calloc(n, sizeof(*parent_seen));
	if (!seen_leaf || !depth || !parent_seen) {
		r = -ENOMEM;
		goto out;
	}
	parent_seen[0] = 1;
	/* Children must come after their parent (preorder), so one forward
	 * pass visits parents first and no cycle can exist. */
	for (i = 0; i < n; i++) {
		const struct eg_rawnode *nd = &tr->nodes[i];

		if (!parent_seen[i]) {
			eg_err_set(err, errlen, "tree %u: node %u is unreachable",
				t, i);
			goto out;
		}
		if (nd->feature == EG_LEAF_FEATURE) {
			if (nd->left >= tr->n_leaves || seen_leaf[nd->left]) {
				eg_err_set(err, errlen, "tree %u: node %u: leaf "
					"index %u out of range or shared", t, i,
					nd->left);
				goto out;
			}
			seen_leaf[nd->left] = 1;
			continue;
		}
		if (nd->feature < 0 || (unsigned)nd->feature >= f->n_features) {
			eg_err_set(err, errlen, "tree %u: node %u: feature %d "
				"outside the schema's %u", t, i, nd->feature,
				f->n_features);
			goto out;
		}
		if (!isfinite(nd->threshold)) {
			eg_err_set(err, errlen, "tree %u: node %u: threshold is "
				"not finite", t, i);
			goto out;
		}
		for (c = 0; c < 2; c++) {
			uint32_t ch = c ? nd->right : nd->left;

			if (ch <= i || ch >= n || parent_seen[ch]) {
				eg_err_set(err, errlen, "tree %u: node %u: child "
					"%u out of range, backwards or shared",
					t, i, ch);
				goto out;
			}
			parent_seen[ch] = 1;
			depth[ch] = depth[i] + 1;
			if (depth[ch] > maxd)
				maxd = depth[ch];
		}
	}
	for (i = 0; i < tr->n_leaves; i++) {
		const double *p = tr->leaf_proba + (size_t)i * f->n_classes;
		double s = 0;

		for (c = 0; c < f->n_classes; c++) {
			if (!isfinite(p[c]) || p[c] < 0 || p[c] > 1) {
				eg_err_set(err, errlen, "tree %u: leaf %u: "
					"probability %g of class %u is not in "
					"[0, 1]", t, i, p[c], c);
				goto out;
			}
			s += p[c];
		}
		if (fabs(s - 1) > 1e-6) {
			eg_err_set(err, errlen, "tree %u: leaf %u: probabilities "
				"sum to %.9g, not 1", t, i, s);
			goto out;
		}
	}
	*ret_depth = maxd;
	r = 0;
out:
	free(seen_leaf);
	free(depth);
	free(parent_seen);
	return r;
}

int eg_forest_finish(struct eg_forest *f, char *err, size_t errlen)
{
	unsigned t, d;
	int r;

	f->n_nodes = f->n_leaves = 0;
	f->max_depth = 0;
	for (t = 0; t < f->n_trees; t++) {
		if (!f->trees[t].nodes || !f->trees[t].leaf_proba) {
			eg_err_set(err, errlen, "tree %u is missing", t);
			return -EBADMSG;
		}
		r = check_tree(f, t, &d, err, errlen);
		if (r < 0)
			return r;
		if (d > f->max_depth)
			f->max_depth = d;
		f->n_nodes += f->trees[t].n_nodes;
		f->n_leaves += f->trees[t].n_leaves;
		if (f->n_leaves > 0x3fffffff) {
			eg_err_set(err, errlen, "more than 2^30 leaves");
			return -EBADMSG;
		}
	}
	for (t = 0; t < f->n_features; t++)
		if (!isfinite(f->importances[t]) || f->importances[t] < 0) {
			eg_err_set(err, errlen, "importance of feature %u is "
				"not a finite non-negative number", t);
			return -EBADMSG;
		}
	r = eg_forest_build_layout(f);
	if (r == -E2BIG) {
		eg_err_set(err, errlen, "a tree is too wide for the compact "
			"layout");
		return -EBADMSG;
	}
	return r;
}

/* --- accessors ---------------------------------------------------------- */

unsigned eg_forest_n_classes(const struct eg_forest *f) { return f->n_classes; }
unsigned eg_forest_n_features(const struct eg_forest *f) { return f->n_features; }
unsigned eg_forest_n_trees(const struct eg_forest *f) { return f->n_trees; }
const char *eg_forest_schema_name(const struct eg_forest *f) { return f->schema_name; }
uint32_t eg_forest_schema_version(const struct eg_forest *f) { return f->schema_version; }
size_t eg_forest_n_nodes(const struct eg_forest *f) { return f->n_nodes; }
unsigned eg_forest_max_depth(const struct eg_forest *f) { return f->max_depth; }

const char *eg_forest_class_name(const struct eg_forest *f, unsigned i)
{
	return i < f->n_classes ? f->class_names[i] : NULL;
}

const char *eg_forest_feature_name(const struct eg_forest *f, unsigned i)
{
	return i < f->n_features ? f->feature_names[i] : NULL;
}

int eg_forest_class_index(const struct eg_forest *f, const char *name)
{
	unsigned i;

	for (i = 0; i < f->n_classes; i++)
		if (!strcmp(f->class_names[i], name))
			return (int)i;
	return -ENOENT;
}

size_t eg_forest_mem_bytes(const struct eg_forest *f)
{
	return f->n_nodes * sizeof(struct eg_cnode) + f->n_table * f->n_classes * sizeof(double) +
	       f->n_trees * 2 * sizeof(uint32_t);
}

void eg_forest_importances(const struct eg_forest *f, double *ret)
{
	memcpy(ret, f->importances, f->n_features * sizeof(double));
}

int eg_forest_set_meta(struct eg_forest *f, const char *meta)
{
	char *m = strdup(meta ? meta : "");

	if (!m)
		return -ENOMEM;
	free(f->meta);
	f->meta = m;
	return 0;
}

const char *eg_forest_meta(const struct eg_forest *f)
{
	return f->meta ? f->meta : "";
}
