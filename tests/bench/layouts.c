/* SPDX-License-Identifier: MIT */
/*
 * layouts.c: the inference layouts production does not use (layouts.h),
 * moved out of src/forest/infer.c; bench-layouts times them against the
 * production eg_forest_predict. The shared walking steps are
 * src/forest/walk.h, so the sums stay bit-identical to production.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layouts.h"
#include "walk.h"

#define BLK 8

const char *layout_name(enum layout_kind layout)
{
	static const char *const names[] = { "plain16-dfs", "compact8-dfs",
					     "compact8-bfs", "compact8-bfs-x4",
					     "compact8-dfs-x4", "compact8-dfs-x8",
					     "blocked64",
					     "blocked64-x4" };

	return (unsigned)layout < LAYOUT_COUNT ? names[layout] : "?";
}

static int build_plain(struct layout *l)
{
	const struct eg_forest *f = &l->view;
	size_t off = 0, leaf = 0;
	unsigned t;

	l->plain = malloc(f->n_nodes * sizeof(*l->plain));
	l->plain_roots = malloc(f->n_trees * sizeof(uint32_t));
	l->plain_leaf = malloc(f->n_trees * sizeof(uint32_t));
	if (!l->plain || !l->plain_roots || !l->plain_leaf)
		return -ENOMEM;
	for (t = 0; t < f->n_trees; t++) {
		memcpy(l->plain + off, f->trees[t].nodes,
		       f->trees[t].n_nodes * sizeof(*l->plain));
		l->plain_roots[t] = (uint32_t)off;
		l->plain_leaf[t] = (uint32_t)leaf;
		off += f->trees[t].n_nodes;
		leaf += f->trees[t].n_leaves;
	}
	return 0;
}

/* Plain: a probability row for every leaf, in global leaf order. */
static int build_plain_leaves(struct eg_forest *f)
{
	size_t g = 0;
	unsigned t;

	f->leaves = malloc((f->n_leaves ? f->n_leaves : 1) * f->n_classes *
			   sizeof(double));
	if (!f->leaves)
		return -ENOMEM;
	for (t = 0; t < f->n_trees; t++) {
		const struct eg_rawtree *tr = &f->trees[t];

		memcpy(f->leaves + g * f->n_classes, tr->leaf_proba,
		       tr->n_leaves * f->n_classes * sizeof(double));
		g += tr->n_leaves;
	}
	f->n_table = g;
	return 0;
}

static struct eg_cnode leaf_node(const struct eg_forest *f,
				 uint32_t global_leaf)
{
	struct eg_cnode c = { 0, f->leafmeta[global_leaf] };

	return c;
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

static int build_bfs(struct eg_forest *f)
{
	size_t off = 0, leaf = 0, maxn = 0;
	uint32_t *queue;
	unsigned t;
	int r = 0;

	for (t = 0; t < f->n_trees; t++)
		if (f->trees[t].n_nodes > maxn)
			maxn = f->trees[t].n_nodes;
	f->cnodes = malloc(f->n_nodes * sizeof(*f->cnodes));
	f->roots = malloc(f->n_trees * sizeof(uint32_t));
	queue = malloc(maxn * sizeof(*queue));
	if (!f->cnodes || !f->roots || !queue)
		r = -ENOMEM;
	for (t = 0; t < f->n_trees && r == 0; t++) {
		f->roots[t] = (uint32_t)off;
		r = build_bfs8(f, &f->trees[t], f->cnodes + off,
			       (uint32_t)leaf, queue);
		off += f->trees[t].n_nodes;
		leaf += f->trees[t].n_leaves;
	}
	free(queue);
	return r;
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

static int build_blocked(struct layout *l)
{
	struct eg_forest *f = &l->view;
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
	l->n_blocks = used;
out:
	free(queue);
	return r;
}

static int own_dfs(enum layout_kind k)
{
	return k == LAYOUT_DFS8 || k == LAYOUT_DFS8_X4 || k == LAYOUT_DFS8_X8;
}

void layout_done(struct layout *l)
{
	if (!own_dfs(l->kind)) {
		free(l->view.cnodes);
		free(l->view.roots);
		free(l->view.leaves);
	}
	free(l->view.leafmeta);
	free(l->plain);
	free(l->plain_roots);
	free(l->plain_leaf);
	memset(l, 0, sizeof(*l));
}

int layout_build(const struct eg_forest *f, enum layout_kind kind,
		 struct layout *ret)
{
	struct layout l = { .kind = kind, .view = *f };
	int r = 0;

	if (own_dfs(kind)) {
		*ret = l; /* the forest's own compact8-dfs arrays */
		return 0;
	}
	l.view.cnodes = NULL;
	l.view.roots = NULL;
	l.view.leaves = NULL;
	if (kind == LAYOUT_PLAIN) {
		r = build_plain_leaves(&l.view);
		if (r == 0)
			r = build_plain(&l);
	} else {
		r = eg_forest_build_leaves(&l.view);
		if (r == 0)
			r = kind == LAYOUT_BFS8 || kind == LAYOUT_BFS8_X4 ?
			    build_bfs(&l.view) : build_blocked(&l);
		free(l.view.leafmeta);
		l.view.leafmeta = NULL;
	}
	if (r < 0) {
		layout_done(&l);
		return r;
	}
	*ret = l;
	return 0;
}

size_t layout_bytes(const struct layout *l)
{
	const struct eg_forest *f = &l->view;
	size_t nodes = l->kind == LAYOUT_PLAIN ?
		f->n_nodes * sizeof(struct eg_rawnode) :
		l->kind == LAYOUT_BLK8 || l->kind == LAYOUT_BLK8_X4 ?
		l->n_blocks * 64 : f->n_nodes * sizeof(struct eg_cnode);

	return nodes + f->n_table * f->n_classes * sizeof(double) +
	       f->n_trees * 2 * sizeof(uint32_t);
}

/* --- walks ------------------------------------------------------------- */

static inline uint32_t walk_plain(const struct eg_rawnode *n, const float *x)
{
	uint32_t i = 0;

	while (n[i].feature != EG_LEAF_FEATURE)
		i = x[n[i].feature] <= n[i].threshold ? n[i].left : n[i].right;
	return n[i].left;
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

WALK_XN(walk_bfs8_x4, 4, (m >> EG_CN_FEAT_BITS) +
	(x[m & EG_CN_FEAT_MASK] > p[k]->threshold))
WALK_XN(walk_dfs8_x4, 4, dfs_step(m, x[m & EG_CN_FEAT_MASK],
	p[k]->threshold))
WALK_XN(walk_dfs8_x8, 8, dfs_step(m, x[m & EG_CN_FEAT_MASK],
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

static void accumulate(const struct layout *l, const float *x, double *acc)
{
	const struct eg_forest *f = &l->view;
	unsigned t;

	switch (l->kind) {
	case LAYOUT_PLAIN:
		for (t = 0; t < f->n_trees; t++)
			add_row(f, l->plain_leaf[t] +
				walk_plain(l->plain + l->plain_roots[t], x), acc);
		break;
	case LAYOUT_DFS8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_dfs8(f->cnodes + f->roots[t], x), acc);
		break;
	case LAYOUT_BFS8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_bfs8(f->cnodes + f->roots[t], x), acc);
		break;
	case LAYOUT_BFS8_X4:
		walk_rest(f, x, acc, walk_bfs8_x4(f, x, acc, 0), 1);
		break;
	case LAYOUT_DFS8_X8:
		walk_rest(f, x, acc, walk_dfs8_x8(f, x, acc, 0), 0);
		break;
	case LAYOUT_BLK8:
		for (t = 0; t < f->n_trees; t++)
			add_meta(f, walk_blk8(f->cnodes + f->roots[t], x), acc);
		break;
	case LAYOUT_BLK8_X4:
		walk_blk8_x4(f, x, acc);
		break;
	case LAYOUT_DFS8_X4:
	default:
		walk_rest(f, x, acc, walk_dfs8_x4(f, x, acc, 0), 0);
		break;
	}
}

unsigned layout_predict(const struct layout *l, const float *x,
			float *ret_proba)
{
	double acc[EG_MAX_CLASSES];

	memset(acc, 0, l->view.n_classes * sizeof(double));
	accumulate(l, x, acc);
	return finish_proba(&l->view, acc, ret_proba);
}
