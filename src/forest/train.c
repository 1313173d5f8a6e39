/* SPDX-License-Identifier: MIT */
/*
 * train.c: random-forest training (CART), multi-threaded across trees.
 *
 * Before the trees grow, each feature's values over the training rows are
 * replaced by their rank among the feature's distinct values (its "code").
 * A node then finds a feature's best threshold either by a histogram over
 * codes (when the feature has no more distinct values than the node has
 * rows: packet features such as ports, flags and content types) or by a
 * radix sort of the node's codes. Both scan every boundary between two
 * distinct values, so the search is exact CART, as sklearn's best splitter;
 * thresholds are the float midpoint of the two values (never equal to the
 * upper one), and x <= threshold goes left.
 *
 * Bootstrap draws become integer sample weights; class weights multiply
 * them. min_leaf counts distinct rows, as sklearn's min_samples_leaf does.
 * Each tree seeds its own generator from (seed, tree index): the forest is
 * the same for any thread count.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/smote.h"
#include "echoguard/forest/train.h"
#include "train-internal.h"

#define HIST_MAX_BYTES (64u << 20)

void eg_train_params_default(struct eg_train_params *p)
{
	memset(p, 0, sizeof(*p));
	p->trees = 100;
	p->min_leaf = 1;
	p->max_features = EG_MAXF_SQRT;
	p->criterion = EG_CRIT_GINI;
	p->balance = EG_BALANCE_NONE;
	p->smote_k = 5;
	p->threads = 1;
	p->bootstrap = true;
}

int eg_train_parse_max_features(const char *s, struct eg_train_params *p)
{
	char *end;
	unsigned long n;

	if (!strcmp(s, "sqrt")) {
		p->max_features = EG_MAXF_SQRT;
	} else if (!strcmp(s, "log2")) {
		p->max_features = EG_MAXF_LOG2;
	} else if (!strcmp(s, "all") || !strcmp(s, "none")) {
		p->max_features = EG_MAXF_ALL;
	} else {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno || end == s || *end || n == 0 || n > 65535)
			return -EINVAL;
		p->max_features = EG_MAXF_N;
		p->max_features_n = (unsigned)n;
	}
	return 0;
}

struct vpair {
	float v;
	uint32_t i;
};

static int cmp_vpair(const void *a, const void *b)
{
	const struct vpair *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Rank-code every feature over the training rows. */
static int encode(struct ctx *c, const struct eg_dataset *d,
		  const uint32_t *rows)
{
	struct vpair *vp = malloc(c->n * sizeof(*vp));
	uint32_t f, i, k;

	if (!vp)
		return -ENOMEM;
	for (f = 0; f < c->F; f++) {
		for (i = 0; i < c->n; i++) {
			vp[i].v = d->x[(size_t)(rows ? rows[i] : i) * c->F + f];
			vp[i].i = i;
		}
		qsort(vp, c->n, sizeof(*vp), cmp_vpair);
		c->vals[f] = malloc(c->n * sizeof(float));
		if (!c->vals[f]) {
			free(vp);
			return -ENOMEM;
		}
		k = 0;
		for (i = 0; i < c->n; i++) {
			if (i == 0 || vp[i].v != vp[i - 1].v)
				c->vals[f][k++] = vp[i].v;
			c->code[(size_t)f * c->n + vp[i].i] = k - 1;
		}
		c->nvals[f] = k;
	}
	free(vp);
	return 0;
}

static void work_free(struct work *w)
{
	free(w->idx);
	free(w->yc);
	free(w->keys);
	free(w->vals);
	free(w->tmpk);
	free(w->tmpv);
	free(w->cnt);
	free(w->feat);
	free(w->hist);
	free(w->hcnt);
	free(w->tot);
	free(w->left);
	free(w->stack);
	free(w->nodes);
	free(w->leafp);
}

static int work_init(struct work *w, struct ctx *c)
{
	size_t n = c->n;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->idx = malloc(n * sizeof(uint32_t));
	w->yc = malloc(n * sizeof(uint32_t));
	w->keys = malloc(n * sizeof(uint32_t));
	w->vals = malloc(n * sizeof(uint32_t));
	w->tmpk = malloc(n * sizeof(uint32_t));
	w->tmpv = malloc(n * sizeof(uint32_t));
	w->cnt = malloc(n * sizeof(uint32_t));
	w->feat = malloc(c->F * sizeof(uint32_t));
	w->hist = malloc((size_t)c->hist_bins * c->C * sizeof(double));
	w->hcnt = malloc((size_t)c->hist_bins * sizeof(uint32_t));
	w->tot = malloc(c->C * sizeof(double));
	w->left = malloc(c->C * sizeof(double));
	w->stack = malloc((n + 64) * sizeof(*w->stack));
	if (!w->idx || !w->yc || !w->keys || !w->vals || !w->tmpk ||
	    !w->tmpv || !w->cnt || !w->feat || !w->hist || !w->hcnt || !w->tot ||
	    !w->left || !w->stack) {
		work_free(w);
		return -ENOMEM;
	}
	return 0;
}

/* --- growing one tree --------------------------------------------------- */

static int push_node(struct work *w, struct eg_rawnode nd, uint32_t *ret)
{
	if (w->n_nodes == w->cap_nodes) {
		uint32_t cap = w->cap_nodes ? w->cap_nodes * 2 : 256;
		struct eg_rawnode *p = realloc(w->nodes, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->nodes = p;
		w->cap_nodes = cap;
	}
	w->nodes[w->n_nodes] = nd;
	*ret = w->n_nodes++;
	return 0;
}

static int push_leaf(struct work *w, double W, uint32_t *ret)
{
	const struct ctx *c = w->c;
	uint32_t k;

	if (w->n_leaves == w->cap_leaves) {
		uint32_t cap = w->cap_leaves ? w->cap_leaves * 2 : 128;
		double *p = realloc(w->leafp, (size_t)cap * c->C * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->leafp = p;
		w->cap_leaves = cap;
	}
	for (k = 0; k < c->C; k++)
		w->leafp[(size_t)w->n_leaves * c->C + k] = w->tot[k] / W;
	*ret = w->n_leaves++;
	return 0;
}

static void node_totals(struct work *w, uint32_t lo, uint32_t hi, double *ret_W)
{
	const struct ctx *c = w->c;
	double W = 0;
	uint32_t i;

	memset(w->tot, 0, c->C * sizeof(double));
	for (i = lo; i < hi; i++) {
		uint32_t v = w->yc[i];
		double wt = YC_COUNT(v) * c->cw[YC_CLASS(v)];

		w->tot[YC_CLASS(v)] += wt;
		W += wt;
	}
	*ret_W = W;
}

static int is_pure(const struct ctx *c, const double *tot)
{
	uint32_t k, nz = 0;

	for (k = 0; k < c->C; k++)
		nz += tot[k] > 0;
	return nz <= 1;
}

static uint32_t partition(struct work *w, uint32_t lo, uint32_t hi,
			  const struct best *b)
{
	const uint32_t *code = w->c->code + (size_t)b->feature * w->c->n;
	uint32_t i = lo, j = hi;

	while (i < j) {
		if (code[w->idx[i]] <= b->code) {
			i++;
		} else {
			uint32_t t = w->idx[--j], v = w->yc[j];

			w->idx[j] = w->idx[i];
			w->idx[i] = t;
			w->yc[j] = w->yc[i];
			w->yc[i] = v;
		}
	}
	return i;
}

static void link_child(struct work *w, const struct frame *fr, uint32_t id)
{
	if (fr->side == 1)
		w->nodes[fr->parent].left = id;
	else if (fr->side == 2)
		w->nodes[fr->parent].right = id;
}

/* The tree's samples: bootstrap counts (or every row once) packed with
 * the class into w->yc, rows into w->idx; returns how many. */
static uint32_t draw_samples(struct work *w)
{
	const struct ctx *c = w->c;
	uint32_t i, m = 0;

	if (c->p->bootstrap) {
		memset(w->cnt, 0, c->n * sizeof(uint32_t));
		for (i = 0; i < c->n; i++)
			w->cnt[eg_rng_below(&w->rng, c->n)]++;
	}
	for (i = 0; i < c->n; i++) {
		uint32_t k = c->p->bootstrap ? w->cnt[i] : 1;

		if (!k)
			continue;
		w->idx[m] = i;
		w->yc[m++] = c->y[i] | k << 8;
	}
	return m;
}

static int make_leaf(struct work *w, const struct frame *fr, double W)
{
	uint32_t leaf, id;
	int r;

	r = push_leaf(w, W, &leaf);
	if (r == 0)
		r = push_node(w, (struct eg_rawnode){ EG_LEAF_FEATURE, 0, leaf,
						      0 }, &id);
	if (r == 0)
		link_child(w, fr, id);
	return r;
}

/* Splits the node of fr by b (node totals in w->tot, weight W), adds the
 * split's weighted impurity decrease to the feature's importance, and
 * pushes the two children on the stack (right first, so the left subtree
 * comes next: preorder). */
static int make_split(struct work *w, const struct frame *fr, double W,
		      const struct best *b, uint32_t *sp)
{
	const struct ctx *c = w->c;
	double imp_node = eg_cart_impurity(c, w->tot, W), WL, WR, impL, impR;
	uint32_t mid = partition(w, fr->lo, fr->hi, b), id;
	int r;

	r = push_node(w, (struct eg_rawnode){ b->feature,
		eg_cart_threshold(c->vals[b->feature], b->code, b->next),
		0, 0 }, &id);
	if (r < 0)
		return r;
	link_child(w, fr, id);
	node_totals(w, fr->lo, mid, &WL);
	impL = eg_cart_impurity(c, w->tot, WL);
	node_totals(w, mid, fr->hi, &WR);
	impR = eg_cart_impurity(c, w->tot, WR);
	w->imp[b->feature] += W * imp_node - WL * impL - WR * impR;
	w->stack[(*sp)++] = (struct frame){ mid, fr->hi, fr->depth + 1, id, 2 };
	w->stack[(*sp)++] = (struct frame){ fr->lo, mid, fr->depth + 1, id, 1 };
	return 0;
}

/* Per-tree importances normalised as sklearn's tree does. */
static void tree_importances(struct work *w, double Wroot)
{
	const struct ctx *c = w->c;
	double s = 0;
	uint32_t i;

	for (i = 0; i < c->F; i++) {
		w->imp[i] /= Wroot > 0 ? Wroot : 1;
		s += w->imp[i];
	}
	for (i = 0; s > 0 && i < c->F; i++)
		w->imp[i] /= s;
}

/* Copies the grown tree out of the work space into the forest. */
static int store_tree(struct work *w, unsigned t)
{
	const struct ctx *c = w->c;
	struct eg_rawtree *tr = &c->f->trees[t];

	tr->nodes = malloc(w->n_nodes * sizeof(*tr->nodes));
	tr->leaf_proba = malloc((size_t)w->n_leaves * c->C * sizeof(double));
	if (!tr->nodes || !tr->leaf_proba)
		return -ENOMEM;
	memcpy(tr->nodes, w->nodes, w->n_nodes * sizeof(*tr->nodes));
	memcpy(tr->leaf_proba, w->leafp,
	       (size_t)w->n_leaves * c->C * sizeof(double));
	tr->n_nodes = w->n_nodes;
	tr->n_leaves = w->n_leaves;
	return 0;
}

static int grow(struct work *w, unsigned t)
{
	const struct ctx *c = w->c;
	const struct eg_train_params *p = c->p;
	uint32_t sp = 0;
	double W, Wroot = 0;
	int r;

	eg_rng_seed(&w->rng, p->seed, t + 1);
	w->n_nodes = w->n_leaves = 0;
	w->imp = c->imp + (size_t)t * c->F;
	w->stack[sp++] = (struct frame){ 0, draw_samples(w), 0, 0, 0 };
	while (sp) {
		struct frame fr = w->stack[--sp];
		uint32_t n = fr.hi - fr.lo;
		struct best b;

		node_totals(w, fr.lo, fr.hi, &W);
		if (fr.side == 0)
			Wroot = W;
		b.feature = -1;
		if (!((p->max_depth && fr.depth >= p->max_depth) ||
		      n < 2 * p->min_leaf || n < 2 || is_pure(c, w->tot)))
			eg_cart_find_split(w, fr.lo, fr.hi, W, &b);
		r = b.feature < 0 ? make_leaf(w, &fr, W) :
		    make_split(w, &fr, W, &b, &sp);
		if (r < 0)
			return r;
	}
	tree_importances(w, Wroot);
	return store_tree(w, t);
}

static void *worker(void *arg)
{
	struct ctx *c = arg;
	struct work w;
	unsigned t;
	int r;

	r = work_init(&w, c);
	if (r < 0) {
		__atomic_store_n(&c->err, r, __ATOMIC_RELAXED);
		return NULL;
	}
	for (;;) {
		t = __atomic_fetch_add(&c->next_tree, 1, __ATOMIC_RELAXED);
		if (t >= c->p->trees || __atomic_load_n(&c->err, __ATOMIC_RELAXED))
			break;
		r = grow(&w, t);
		if (r < 0) {
			__atomic_store_n(&c->err, r, __ATOMIC_RELAXED);
			break;
		}
		t = __atomic_add_fetch(&c->trees_done, 1, __ATOMIC_RELAXED);
		if (c->p->progress && pthread_equal(pthread_self(), c->caller))
			c->p->progress(t, c->p->trees, c->p->progress_ud);
	}
	work_free(&w);
	return NULL;
}

/* --- entry point -------------------------------------------------------- */

static unsigned mtry_of(const struct eg_train_params *p, unsigned F)
{
	unsigned m;

	switch (p->max_features) {
	case EG_MAXF_SQRT:
		m = (unsigned)sqrt((double)F);
		break;
	case EG_MAXF_LOG2:
		m = (unsigned)log2((double)F);
		break;
	case EG_MAXF_N:
		m = p->max_features_n;
		break;
	default:
		m = F;
	}
	return m < 1 ? 1 : m > F ? F : m;
}

static void class_weights(struct ctx *c)
{
	uint32_t k, present = 0, *cnt = calloc(c->C, sizeof(uint32_t));
	size_t i;

	for (k = 0; k < c->C; k++)
		c->cw[k] = 1;
	if (c->p->balance != EG_BALANCE_WEIGHTS || !cnt) {
		free(cnt);
		return;
	}
	for (i = 0; i < c->n; i++)
		cnt[c->y[i]]++;
	for (k = 0; k < c->C; k++)
		present += cnt[k] > 0;
	/* sklearn's "balanced": n / (classes * count). */
	for (k = 0; k < c->C; k++)
		c->cw[k] = cnt[k] ? (double)c->n / ((double)present * cnt[k]) : 1;
	free(cnt);
}

static int train_smote(const struct eg_dataset *d, const uint32_t *rows,
		       size_t n_rows, const struct eg_train_params *p,
		       struct eg_forest **ret, char *err, size_t errlen)
{
	struct eg_train_params q = *p;
	struct eg_dataset *s = NULL;
	int r;

	r = eg_smote(d, rows, n_rows, p->smote_k, p->seed, &s);
	if (r < 0) {
		eg_err_set(err, errlen, "SMOTE: %s", strerror(-r));
		return r;
	}
	q.balance = EG_BALANCE_NONE;
	r = eg_train(s, NULL, 0, &q, ret, err, errlen);
	eg_dataset_free(s);
	return r;
}

/* Checks the rows and parameters; n_rows resolved to the dataset's when
 * rows is NULL. */
static int check_params(const struct eg_dataset *d, const uint32_t *rows,
			size_t *n_rows, const struct eg_train_params *p,
			char *err, size_t errlen)
{
	if (!rows)
		*n_rows = d->n_rows;
	if (*n_rows == 0 || *n_rows > 0x7fffffff) {
		eg_err_set(err, errlen, "no training rows");
		return -EINVAL;
	}
	if (p->trees == 0 || p->trees > (1u << 20) || p->min_leaf == 0 ||
	    (p->max_features == EG_MAXF_N && p->max_features_n == 0)) {
		eg_err_set(err, errlen, "bad parameters: trees %u, min_leaf %u",
			p->trees, p->min_leaf);
		return -EINVAL;
	}
	return 0;
}

static void ctx_done(struct ctx *c)
{
	uint32_t i;

	for (i = 0; c->vals && i < c->F; i++)
		free(c->vals[i]);
	free(c->vals);
	free(c->nvals);
	free(c->code);
	free(c->y);
	free(c->cw);
	free(c->imp);
	eg_forest_free(c->f);
}

/* The context of a training run: an empty forest, the labels, class
 * weights and rank codes of the training rows. ctx_done frees it also on
 * failure. */
static int ctx_init(struct ctx *c, const struct eg_dataset *d,
		    const uint32_t *rows, size_t n_rows,
		    const struct eg_train_params *p)
{
	uint32_t i;
	int r;

	c->p = p;
	c->n = (uint32_t)n_rows;
	c->F = d->n_features;
	c->C = d->n_classes;
	c->mtry = mtry_of(p, c->F);
	c->hist_bins = HIST_MAX_BYTES / (c->C * sizeof(double));
	if (c->hist_bins > c->n)
		c->hist_bins = c->n;
	r = eg_forest_alloc(d->schema_name, d->schema_version, c->F,
			    (const char *const *)d->feature_names, c->C,
			    (const char *const *)d->class_names, p->trees, &c->f);
	if (r < 0)
		return r;
	c->code = malloc((size_t)c->F * c->n * sizeof(uint32_t));
	c->vals = calloc(c->F, sizeof(float *));
	c->nvals = calloc(c->F, sizeof(uint32_t));
	c->y = malloc(c->n * sizeof(uint16_t));
	c->cw = malloc(c->C * sizeof(double));
	c->imp = calloc((size_t)p->trees * c->F, sizeof(double));
	if (!c->code || !c->vals || !c->nvals || !c->y || !c->cw || !c->imp)
		return -ENOMEM;
	for (i = 0; i < c->n; i++)
		c->y[i] = d->y[rows ? rows[i] : i];
	class_weights(c);
	return encode(c, d, rows);
}

/* Grows every tree: p->threads workers (this thread is one) take the
 * next tree until none is left or one fails. */
static int run_workers(struct ctx *c)
{
	unsigned nth = c->p->threads ? c->p->threads : 1, t, started = 0;
	pthread_t *th;

	if (nth > c->p->trees)
		nth = c->p->trees;
	th = calloc(nth, sizeof(*th));
	if (!th)
		return -ENOMEM;
	c->caller = pthread_self();
	for (t = 1; t < nth; t++) {
		if (pthread_create(&th[t], NULL, worker, c))
			break;
		started++;
	}
	worker(c);
	for (t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	free(th);
	if (c->p->progress && !c->err)
		c->p->progress(c->trees_done, c->p->trees, c->p->progress_ud);
	return c->err;
}

/* Forest importances: the per-tree ones summed over the trees that split
 * at all, normalised. */
static void forest_importances(struct ctx *c)
{
	struct eg_forest *f = c->f;
	double s = 0;
	unsigned t;
	uint32_t i;

	for (t = 0; t < c->p->trees; t++) {
		if (f->trees[t].n_nodes < 2)
			continue;
		for (i = 0; i < c->F; i++)
			f->importances[i] += c->imp[(size_t)t * c->F + i];
	}
	for (i = 0; i < c->F; i++)
		s += f->importances[i];
	for (i = 0; s > 0 && i < c->F; i++)
		f->importances[i] /= s;
}

int eg_train(const struct eg_dataset *d, const uint32_t *rows, size_t n_rows,
	     const struct eg_train_params *p, struct eg_forest **ret,
	     char *err, size_t errlen)
{
	struct ctx c = { 0 };
	char why[256] = "";
	int r;

	r = check_params(d, rows, &n_rows, p, err, errlen);
	if (r < 0)
		return r;
	if (p->balance == EG_BALANCE_SMOTE)
		return train_smote(d, rows, n_rows, p, ret, err, errlen);
	r = ctx_init(&c, d, rows, n_rows, p);
	if (r < 0 && !c.f) {
		eg_err_set(err, errlen, "cannot allocate the forest");
		return r;
	}
	if (r == 0)
		r = run_workers(&c);
	if (r < 0)
		goto out;
	forest_importances(&c);
	r = eg_forest_finish(c.f, why, sizeof(why));
	if (r < 0) {
		eg_err_set(err, errlen, "internal error: trained forest "
			"fails validation: %s", why);
		goto out;
	}
	*ret = c.f;
	c.f = NULL;
out:
	if (r == -ENOMEM)
		eg_err_set(err, errlen, "out of memory");
	ctx_done(&c);
	return r;
}
