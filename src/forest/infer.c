/* SPDX-License-Identifier: MIT */
/*
 * infer.c: the inference layouts and prediction (one row, batch).
 *
 * The default layout (EG_LAYOUT_DFS8_X16) stores each tree in depth-first
 * preorder in 8-byte nodes (the left child is the next node, the right one
 * an offset away; pure leaves carry their class inline), steps without a
 * branch, and walks sixteen trees at once so their cache misses overlap.
 * The other layouts stay for `echoguard model bench`; docs/forest.md has
 * the measurements. Prediction allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "forest-internal.h"

void eg_forest_layout_free(struct eg_forest *f)
{
	free(f->cnodes);
	free(f->roots);
	free(f->plain);
	free(f->plain_roots);
	free(f->plain_leaf);
	free(f->leaves);
	f->cnodes = NULL;
	f->roots = f->plain_roots = f->plain_leaf = NULL;
	f->plain = NULL;
	f->leaves = NULL;
}

/* --- layouts ------------------------------------------------------------ */

const char *eg_layout_name(enum eg_layout layout)
{
	static const char *const names[] = { "plain16-dfs", "compact8-dfs",
					     "compact8-bfs", "compact8-bfs-x4",
					     "compact8-dfs-x4", "compact8-dfs-x8",
					     "compact8-dfs-x16", "blocked64",
					     "blocked64-x4" };

	return (unsigned)layout < EG_LAYOUT_COUNT ? names[layout] : "?";
}

static int build_plain(struct eg_forest *f)
{
	size_t off = 0, leaf = 0;
	unsigned t;

	f->plain = malloc(f->n_nodes * sizeof(*f->plain));
	f->plain_roots = malloc(f->n_trees * sizeof(uint32_t));
	f->plain_leaf = malloc(f->n_trees * sizeof(uint32_t));
	if (!f->plain || !f->plain_roots || !f->plain_leaf)
		return -ENOMEM;
	for (t = 0; t < f->n_trees; t++) {
		memcpy(f->plain + off, f->trees[t].nodes,
		       f->trees[t].n_nodes * sizeof(*f->plain));
		f->plain_roots[t] = (uint32_t)off;
		f->plain_leaf[t] = (uint32_t)leaf;
		off += f->trees[t].n_nodes;
		leaf += f->trees[t].n_leaves;
	}
	return 0;
}

static struct eg_cnode leaf_node(const struct eg_forest *f,
				 uint32_t global_leaf)
{
	struct eg_cnode c = { 0, f->leafmeta[global_leaf] };

	return c;
}

/* Preorder copy: the left child is the next node, meta holds the offset to
 * the right child. Raw trees are preorder already. */
static int build_dfs8(struct eg_forest *f, const struct eg_rawtree *tr,
		      struct eg_cnode *out, uint32_t leaf0)
{
	uint32_t i;

	for (i = 0; i < tr->n_nodes; i++) {
		const struct eg_rawnode *nd = &tr->nodes[i];
		uint32_t off;

		if (nd->feature == EG_LEAF_FEATURE) {
			out[i] = leaf_node(f, leaf0 + nd->left);
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

/* Breadth-first: node k's children are at k + off and k + off + 1. */
static int build_bfs8(struct eg_forest *f, const struct eg_rawtree *tr,
		      struct eg_cnode *out, uint32_t leaf0, uint32_t *queue)
{
	uint32_t head = 0, tail = 1, i;

	queue[0] = 0; /* queue[k] = raw index of BFS node k */
	for (head = 0; head < tail; head++) {
		const struct eg_rawnode *nd = &tr->nodes[queue[head]];
		uint32_t off;

		if (nd->feature == EG_LEAF_FEATURE) {
			out[head] = leaf_node(f, leaf0 + nd->left);
			continue;
		}
		off = tail - head;
		if (off > EG_CN_OFF_MAX)
			return -E2BIG;
		queue[tail++] = nd->left;
		queue[tail++] = nd->right;
		out[head].threshold = nd->threshold;
		out[head].meta = (uint32_t)nd->feature | (off << EG_CN_FEAT_BITS);
	}
	i = tail;
	return i == tr->n_nodes ? 0 : -EBADMSG;
}

/*
 * Blocked: each 64-byte block holds a subtree of three levels in heap order
 * (slot s has its children at 2s+1 and 2s+2, slots 0..6), so one cache
 * line serves three steps. A node in the bottom level (slots 3..6) points
 * to a pair of consecutive blocks holding its two children. Blocks are
 * numbered per tree in creation order; the offset is in blocks.
 */
#define BLK 8
static int build_blk8(struct eg_forest *f, const struct eg_rawtree *tr,
		      struct eg_cnode *out, size_t cap_blocks,
		      uint32_t leaf0, uint32_t *queue, size_t *ret_blocks)
{
	/* queue: pairs (raw node, block) to lay out, FIFO */
	size_t head = 0, tail = 0, nblk = 1;

	queue[tail++] = 0;
	queue[tail++] = 0;
	while (head < tail) {
		uint32_t raw = queue[head++], b = queue[head++], slot[BLK];
		struct eg_cnode *blk = out + (size_t)b * BLK;
		unsigned s;

		for (s = 0; s < BLK; s++) {
			slot[s] = UINT32_MAX;
			blk[s] = (struct eg_cnode){ 0, EG_CN_LEAF | EG_CN_PURE };
		}
		slot[0] = raw;
		for (s = 0; s < 7; s++) {
			const struct eg_rawnode *nd;
			uint32_t off;

			if (slot[s] == UINT32_MAX)
				continue;
			nd = &tr->nodes[slot[s]];
			if (nd->feature == EG_LEAF_FEATURE) {
				blk[s] = leaf_node(f, leaf0 + nd->left);
				continue;
			}
			blk[s].threshold = nd->threshold;
			if (s < 3) {
				slot[2 * s + 1] = nd->left;
				slot[2 * s + 2] = nd->right;
				blk[s].meta = (uint32_t)nd->feature;
				continue;
			}
			if (nblk + 2 > cap_blocks)
				return -E2BIG;
			off = (uint32_t)(nblk - b);
			if (off > EG_CN_OFF_MAX)
				return -E2BIG;
			blk[s].meta = (uint32_t)nd->feature |
				      (off << EG_CN_FEAT_BITS);
			queue[tail++] = nd->left;
			queue[tail++] = (uint32_t)nblk;
			queue[tail++] = nd->right;
			queue[tail++] = (uint32_t)nblk + 1;
			nblk += 2;
		}
	}
	*ret_blocks = nblk;
	return 0;
}

static int build_blocked(struct eg_forest *f)
{
	size_t cap = 0, used = 0, maxn = 0, nb = 0;
	uint32_t *queue = NULL;
	unsigned t;
	int r = 0;

	/* At most one block per node. */
	for (t = 0; t < f->n_trees; t++) {
		cap += f->trees[t].n_nodes;
		if (f->trees[t].n_nodes > maxn)
			maxn = f->trees[t].n_nodes;
	}
	f->cnodes = aligned_alloc(64, cap * BLK * sizeof(struct eg_cnode));
	f->roots = malloc(f->n_trees * sizeof(uint32_t));
	queue = malloc((2 * maxn + 2) * 2 * sizeof(uint32_t));
	if (!f->cnodes || !f->roots || !queue) {
		r = -ENOMEM;
		goto out;
	}
	for (t = 0; t < f->n_trees && r == 0; t++) {
		size_t leaf0 = 0;
		unsigned u;

		for (u = 0; u < t; u++)
			leaf0 += f->trees[u].n_leaves;
		if (used * BLK > UINT32_MAX) {
			r = -E2BIG;
			break;
		}
		f->roots[t] = (uint32_t)(used * BLK);
		r = build_blk8(f, &f->trees[t], f->cnodes + used * BLK,
			       cap - used, (uint32_t)leaf0, queue, &nb);
		used += nb;
	}
	f->n_blocks = used;
out:
	free(queue);
	return r;
}

static int build_layout(struct eg_forest *f)
{
	size_t off = 0, leaf = 0, maxn = 0;
	uint32_t *queue = NULL;
	unsigned t;
	int r = 0;

	if (f->layout == EG_LAYOUT_PLAIN)
		return build_plain(f);
	if (f->layout == EG_LAYOUT_BLK8 || f->layout == EG_LAYOUT_BLK8_X4)
		return build_blocked(f);
	f->cnodes = malloc(f->n_nodes * sizeof(*f->cnodes));
	f->roots = malloc(f->n_trees * sizeof(uint32_t));
	for (t = 0; t < f->n_trees; t++)
		if (f->trees[t].n_nodes > maxn)
			maxn = f->trees[t].n_nodes;
	queue = malloc(maxn * sizeof(*queue));
	if (!f->cnodes || !f->roots || !queue) {
		r = -ENOMEM;
		goto out;
	}
	for (t = 0; t < f->n_trees && r == 0; t++) {
		f->roots[t] = (uint32_t)off;
		if (f->layout != EG_LAYOUT_BFS8 &&
		    f->layout != EG_LAYOUT_BFS8_X4)
			r = build_dfs8(f, &f->trees[t], f->cnodes + off,
				       (uint32_t)leaf);
		else
			r = build_bfs8(f, &f->trees[t], f->cnodes + off,
				       (uint32_t)leaf, queue);
		off += f->trees[t].n_nodes;
		leaf += f->trees[t].n_leaves;
	}
out:
	free(queue);
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

/* The probability table (plain: every leaf; compact: impure leaves only)
 * and, for compact layouts, each leaf's meta word. */
static int build_leaves(struct eg_forest *f)
{
	int compact = f->layout != EG_LAYOUT_PLAIN;
	size_t g = 0, slot = 0;
	unsigned t, i;

	f->leaves = malloc((f->n_leaves ? f->n_leaves : 1) * f->n_classes *
			   sizeof(double));
	f->leafmeta = compact ? malloc(f->n_leaves * sizeof(uint32_t)) : NULL;
	if (!f->leaves || (compact && !f->leafmeta))
		return -ENOMEM;
	for (t = 0; t < f->n_trees; t++) {
		const struct eg_rawtree *tr = &f->trees[t];

		for (i = 0; i < tr->n_leaves; i++, g++) {
			const double *p = tr->leaf_proba +
				(size_t)i * f->n_classes;
			int cls = compact ? pure_class(p, f->n_classes) : -1;

			if (cls >= 0) {
				f->leafmeta[g] = EG_CN_LEAF | EG_CN_PURE |
						 (uint32_t)cls;
				continue;
			}
			if (compact)
				f->leafmeta[g] = EG_CN_LEAF | (uint32_t)slot;
			memcpy(f->leaves + slot * f->n_classes, p,
			       f->n_classes * sizeof(double));
			slot++;
		}
	}
	f->n_table = slot;
	return 0;
}

int eg_forest_set_layout(struct eg_forest *f, enum eg_layout layout)
{
	int r;

	if ((unsigned)layout >= EG_LAYOUT_COUNT)
		return -EINVAL;
	eg_forest_layout_free(f);
	f->layout = layout;
	r = build_leaves(f);
	if (r == 0)
		r = build_layout(f);
	free(f->leafmeta);
	f->leafmeta = NULL;
	if (r < 0)
		eg_forest_layout_free(f);
	return r;
}

/* --- inference ---------------------------------------------------------- */

/* DFS step without a branch: the left child is next (1), the right one
 * `off` nodes away; a data-dependent branch here mispredicts half the time
 * and was the largest cost in profiles. */
static inline uint32_t dfs_step(uint32_t meta, float v, float thr)
{
	uint32_t go = v > thr;

	return 1 + ((0u - go) & ((meta >> EG_CN_FEAT_BITS) - 1));
}

static inline uint32_t walk_plain(const struct eg_rawnode *n, const float *x)
{
	uint32_t i = 0;

	while (n[i].feature != EG_LEAF_FEATURE)
		i = x[n[i].feature] <= n[i].threshold ? n[i].left : n[i].right;
	return n[i].left;
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

static inline uint32_t walk_bfs8(const struct eg_cnode *n, const float *x)
{
	const struct eg_cnode *p = n;

	while (!(p->meta & EG_CN_LEAF)) {
		uint32_t m = p->meta;

		p += (m >> EG_CN_FEAT_BITS) +
		     (x[m & EG_CN_FEAT_MASK] > p->threshold);
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

WALK_XN(walk_bfs8_x4, 4, (m >> EG_CN_FEAT_BITS) +
	(x[m & EG_CN_FEAT_MASK] > p[k]->threshold))
WALK_XN(walk_dfs8_x4, 4, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))
WALK_XN(walk_dfs8_x8, 8, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))
WALK_XN(walk_dfs8_x16, 16, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))

/* The trees left over after the groups, one by one. */
static void walk_rest(const struct eg_forest *f, const float *x, double *acc,
		      unsigned t, int bfs)
{
	for (; t < f->n_trees; t++)
		add_meta(f, bfs ? walk_bfs8(f->cnodes + f->roots[t], x) :
			 walk_dfs8(f->cnodes + f->roots[t], x), acc);
}

static inline uint32_t walk_blk8(const struct eg_cnode *blk, const float *x)
{
	unsigned slot = 0;

	for (;;) {
		uint32_t m = blk[slot].meta, go;

		if (m & EG_CN_LEAF)
			return m;
		go = x[m & EG_CN_FEAT_MASK] > blk[slot].threshold;
		if (slot < 3) {
			slot = 2 * slot + 1 + go;
		} else {
			blk += ((m >> EG_CN_FEAT_BITS) + go) * BLK;
			slot = 0;
		}
	}
}

static void walk_blk8_x4(const struct eg_forest *f, const float *x,
			 double *acc)
{
	unsigned t = 0, k;

	for (; t + 4 <= f->n_trees; t += 4) {
		const struct eg_cnode *b[4];
		unsigned slot[4] = { 0, 0, 0, 0 }, live = 4;
		uint32_t leaf[4];

		for (k = 0; k < 4; k++)
			b[k] = f->cnodes + f->roots[t + k];
		while (live) {
			live = 0;
			for (k = 0; k < 4; k++) {
				uint32_t m, go;

				if (!b[k])
					continue;
				m = b[k][slot[k]].meta;
				if (m & EG_CN_LEAF) {
					leaf[k] = m;
					b[k] = NULL;
					continue;
				}
				live++;
				go = x[m & EG_CN_FEAT_MASK] >
				     b[k][slot[k]].threshold;
				if (slot[k] < 3) {
					slot[k] = 2 * slot[k] + 1 + go;
				} else {
					b[k] += ((m >> EG_CN_FEAT_BITS) + go) * BLK;
					slot[k] = 0;
				}
			}
		}
		for (k = 0; k < 4; k++)
			add_meta(f, leaf[k], acc);
	}
	for (; t < f->n_trees; t++)
		add_meta(f, walk_blk8(f->cnodes + f->roots[t], x), acc);
}

static void accumulate(const struct eg_forest *f, const float *x, double *acc)
{
	unsigned t;

	switch (f->layout) {
	case EG_LAYOUT_PLAIN:
		for (t = 0; t < f->n_trees; t++)
			add_row(f, f->plain_leaf[t] +
				walk_plain(f->plain + f->plain_roots[t], x), acc);
		break;
	case EG_LAYOUT_DFS8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_dfs8(f->cnodes + f->roots[t], x), acc);
		break;
	case EG_LAYOUT_BFS8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_bfs8(f->cnodes + f->roots[t], x), acc);
		break;
	case EG_LAYOUT_BFS8_X4:
		walk_rest(f, x, acc, walk_bfs8_x4(f, x, acc, 0), 1);
		break;
	case EG_LAYOUT_DFS8_X8:
		walk_rest(f, x, acc, walk_dfs8_x8(f, x, acc, 0), 0);
		break;
	case EG_LAYOUT_DFS8_X16:
		/* 16 at a time, then 4 at a time, then the last few. */
		t = walk_dfs8_x16(f, x, acc, 0);
		walk_rest(f, x, acc, walk_dfs8_x4(f, x, acc, t), 0);
		break;
	case EG_LAYOUT_BLK8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_blk8(f->cnodes + f->roots[t], x), acc);
		break;
	case EG_LAYOUT_BLK8_X4:
		walk_blk8_x4(f, x, acc);
		break;
	default:
		walk_rest(f, x, acc, walk_dfs8_x4(f, x, acc, 0), 0);
		break;
	}
}

static unsigned finish_proba(const struct eg_forest *f, const double *acc,
			     float *ret_proba)
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

unsigned eg_forest_predict(const struct eg_forest *f, const float *x,
			   float *ret_proba)
{
	double acc[EG_MAX_CLASSES];

	memset(acc, 0, f->n_classes * sizeof(double));
	accumulate(f, x, acc);
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

	if (f->layout != EG_LAYOUT_DFS8 && f->layout != EG_LAYOUT_DFS8_X4 &&
	    f->layout != EG_LAYOUT_DFS8_X8 && f->layout != EG_LAYOUT_DFS8_X16)
		return -EOPNOTSUPP;
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
	if (f->n_nodes * sizeof(struct eg_cnode) >= BATCH_MIN_BYTES &&
	    eg_forest_batch_blocked(f, x, n, ret_class, ret_proba) == 0)
		return;
	for (i = 0; i < n; i++)
		ret_class[i] = eg_forest_predict(
			f, x + i * f->n_features,
			ret_proba ? ret_proba + i * f->n_classes : NULL);
}

