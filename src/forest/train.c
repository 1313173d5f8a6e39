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
#include "forest-internal.h"

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

/* --- shared training context -------------------------------------------- */

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
	int err;
};

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

/* --- per-thread work space ---------------------------------------------- */

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

/* --- impurity ----------------------------------------------------------- */

static double impurity(const struct ctx *c, const double *cls, double W)
{
	double s = 0;
	uint32_t k;

	if (W <= 0)
		return 0;
	if (c->p->criterion == EG_CRIT_ENTROPY) {
		for (k = 0; k < c->C; k++)
			if (cls[k] > 0)
				s -= cls[k] / W * log2(cls[k] / W);
		return s;
	}
	for (k = 0; k < c->C; k++)
		s += (cls[k] / W) * (cls[k] / W);
	return 1 - s;
}

/* Larger is better; differs from -(WL*imp(L) + WR*imp(R)) by a constant. */
static double proxy(const struct ctx *c, const double *L, const double *T,
		    double WL, double W)
{
	double WR = W - WL, sl = 0, sr = 0, r;
	uint32_t k;

	if (c->p->criterion == EG_CRIT_ENTROPY) {
		for (k = 0; k < c->C; k++) {
			r = T[k] - L[k];
			if (L[k] > 0)
				sl += L[k] * log(L[k]);
			if (r > 1e-12)
				sr += r * log(r);
		}
		return sl + sr - WL * log(WL) - WR * log(WR);
	}
	for (k = 0; k < c->C; k++) {
		r = T[k] - L[k];
		sl += L[k] * L[k];
		sr += r * r;
	}
	return sl / WL + sr / WR;
}

/* --- split search ------------------------------------------------------- */

struct best {
	double score;
	int feature;
	uint32_t code;     /* rows with code <= this go left */
	uint32_t next;     /* the next distinct code present */
};

#define YC_CLASS(v) ((v) & 255u)
#define YC_COUNT(v) ((v) >> 8)

/* Sort (key, value) pairs by key: insertion sort when short, else LSD radix
 * with 8-bit digits over the key's significant bytes. Returns the arrays
 * holding the result (the inputs or the scratch pair). */
static void sort_pairs(struct work *w, uint32_t n, uint32_t nv,
		       uint32_t **ret_k, uint32_t **ret_v)
{
	uint32_t *k = w->keys, *v = w->vals, *tk = w->tmpk, *tv = w->tmpv;
	uint32_t count[256], i, shift, *t;

	if (n < 48) {
		for (i = 1; i < n; i++) {
			uint32_t kk = k[i], vv = v[i], j = i;

			while (j > 0 && k[j - 1] > kk) {
				k[j] = k[j - 1];
				v[j] = v[j - 1];
				j--;
			}
			k[j] = kk;
			v[j] = vv;
		}
		*ret_k = k;
		*ret_v = v;
		return;
	}
	for (shift = 0; shift < 32 && (nv - 1) >> shift; shift += 8) {
		uint32_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(k[i] >> shift) & 255]++;
		for (i = 0; i < 256; i++) {
			uint32_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			uint32_t o = count[(k[i] >> shift) & 255]++;

			tk[o] = k[i];
			tv[o] = v[i];
		}
		t = k; k = tk; tk = t;
		t = v; v = tv; tv = t;
	}
	*ret_k = k;
	*ret_v = v;
}

/* The running left side of a scan. For gini the sums of squared class
 * weights are updated per sample, so a boundary costs O(1), not O(C). */
struct scan {
	double WL, sl, sr;
	uint32_t nL;
};

static inline void scan_add(struct work *w, struct scan *s, uint32_t k,
			    double wt)
{
	double l = w->left[k], r = w->tot[k] - l;

	s->sl += wt * (2 * l + wt);
	s->sr += wt * (wt - 2 * r);
	w->left[k] = l + wt;
	s->WL += wt;
}

static void consider(struct work *w, struct best *b, int f,
		     const struct scan *s, uint32_t n, double W,
		     uint32_t code, uint32_t next)
{
	const struct ctx *c = w->c;
	double WR = W - s->WL, sc;

	if (s->nL < c->p->min_leaf || n - s->nL < c->p->min_leaf)
		return;
	if (s->WL <= 0 || WR <= 0)
		return;
	if (c->p->criterion == EG_CRIT_GINI)
		sc = s->sl / s->WL + s->sr / WR;
	else
		sc = proxy(c, w->left, w->tot, s->WL, W);
	if (sc > b->score) {
		b->score = sc;
		b->feature = f;
		b->code = code;
		b->next = next;
	}
}

static void scan_init(struct work *w, struct scan *s)
{
	const struct ctx *c = w->c;
	uint32_t k;

	memset(w->left, 0, c->C * sizeof(double));
	s->WL = s->sl = 0;
	s->sr = 0;
	s->nL = 0;
	for (k = 0; k < c->C; k++)
		s->sr += w->tot[k] * w->tot[k];
}

/* Best threshold of feature f on samples [lo, hi) (node totals in w->tot).
 * Returns 1 when the feature is constant on the node. */
static int split_feature(struct work *w, uint32_t lo, uint32_t hi, int f,
			 double W, struct best *b)
{
	const struct ctx *c = w->c;
	const uint32_t *code = c->code + (size_t)f * c->n;
	const uint32_t *idx = w->idx + lo, *yc = w->yc + lo;
	const double *cw = c->cw;
	uint32_t n = hi - lo, nv = c->nvals[f], i, k, prev = 0, *sk, *sv;
	struct scan s;
	int have = 0;

	scan_init(w, &s);
	if (nv <= n && nv <= c->hist_bins) {
		memset(w->hist, 0, (size_t)nv * c->C * sizeof(double));
		memset(w->hcnt, 0, nv * sizeof(uint32_t));
		for (i = 0; i < n; i++) {
			uint32_t cd = code[idx[i]], v = yc[i];

			w->hist[(size_t)cd * c->C + YC_CLASS(v)] +=
				YC_COUNT(v) * cw[YC_CLASS(v)];
			w->hcnt[cd]++;
		}
		for (i = 0; i < nv; i++) {
			const double *h = w->hist + (size_t)i * c->C;

			if (!w->hcnt[i])
				continue;
			if (w->hcnt[i] == n)
				return 1;
			if (have)
				consider(w, b, f, &s, n, W, prev, i);
			for (k = 0; k < c->C; k++)
				if (h[k] != 0)
					scan_add(w, &s, k, h[k]);
			s.nL += w->hcnt[i];
			prev = i;
			have = 1;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		w->keys[i] = code[idx[i]];
		w->vals[i] = yc[i];
	}
	sort_pairs(w, n, nv, &sk, &sv);
	if (sk[0] == sk[n - 1])
		return 1;
	for (i = 0; i < n; i++) {
		uint32_t cd = sk[i], v = sv[i];

		if (i && cd != prev)
			consider(w, b, f, &s, n, W, prev, cd);
		scan_add(w, &s, YC_CLASS(v), YC_COUNT(v) * cw[YC_CLASS(v)]);
		s.nL++;
		prev = cd;
	}
	return 0;
}

static float threshold_between(const float *vals, uint32_t a, uint32_t b)
{
	float t = (float)(((double)vals[a] + (double)vals[b]) / 2);

	if (t >= vals[b] || t < vals[a])
		t = vals[a];
	return t;
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

/* Best split of idx[lo, hi) over a random subset of the features. */
static void find_split(struct work *w, uint32_t lo, uint32_t hi, double W,
		       struct best *b)
{
	const struct ctx *c = w->c;
	uint32_t left = c->F, visited = 0, j;

	b->score = -INFINITY;
	b->feature = -1;
	for (j = 0; j < c->F; j++)
		w->feat[j] = j;
	/* Draw features without replacement; constant ones do not count
	 * towards max_features (as sklearn). */
	while (left && visited < c->mtry) {
		uint32_t pick = (uint32_t)eg_rng_below(&w->rng, left), f;

		f = w->feat[pick];
		w->feat[pick] = w->feat[--left];
		if (c->nvals[f] < 2)
			continue;
		if (!split_feature(w, lo, hi, (int)f, W, b))
			visited++;
	}
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

static int grow(struct work *w, unsigned t)
{
	const struct ctx *c = w->c;
	const struct eg_train_params *p = c->p;
	uint32_t i, m = 0, sp = 0, id;
	double W, Wroot = 0;
	int r;

	eg_rng_seed(&w->rng, p->seed, t + 1);
	w->n_nodes = w->n_leaves = 0;
	w->imp = c->imp + (size_t)t * c->F;
	if (p->bootstrap) {
		memset(w->cnt, 0, c->n * sizeof(uint32_t));
		for (i = 0; i < c->n; i++)
			w->cnt[eg_rng_below(&w->rng, c->n)]++;
	}
	for (i = 0; i < c->n; i++) {
		uint32_t k = p->bootstrap ? w->cnt[i] : 1;

		if (!k)
			continue;
		w->idx[m] = i;
		w->yc[m++] = c->y[i] | k << 8;
	}
	w->stack[sp++] = (struct frame){ 0, m, 0, 0, 0 };
	while (sp) {
		struct frame fr = w->stack[--sp];
		struct best b;
		double imp_node, WL, WR, impL, impR;
		uint32_t mid, n = fr.hi - fr.lo;

		node_totals(w, fr.lo, fr.hi, &W);
		if (fr.side == 0)
			Wroot = W;
		b.feature = -1;
		if (!((p->max_depth && fr.depth >= p->max_depth) ||
		      n < 2 * p->min_leaf || n < 2 || is_pure(c, w->tot)))
			find_split(w, fr.lo, fr.hi, W, &b);
		if (b.feature < 0) {
			uint32_t leaf;

			r = push_leaf(w, W, &leaf);
			if (r == 0)
				r = push_node(w, (struct eg_rawnode){
					EG_LEAF_FEATURE, 0, leaf, 0 }, &id);
			if (r < 0)
				return r;
			link_child(w, &fr, id);
			continue;
		}
		imp_node = impurity(c, w->tot, W);
		mid = partition(w, fr.lo, fr.hi, &b);
		r = push_node(w, (struct eg_rawnode){ b.feature,
			threshold_between(c->vals[b.feature], b.code, b.next),
			0, 0 }, &id);
		if (r < 0)
			return r;
		link_child(w, &fr, id);
		/* Importance: weighted impurity decrease of this split. */
		node_totals(w, fr.lo, mid, &WL);
		impL = impurity(c, w->tot, WL);
		node_totals(w, mid, fr.hi, &WR);
		impR = impurity(c, w->tot, WR);
		w->imp[b.feature] += W * imp_node - WL * impL - WR * impR;
		/* Right first so the left subtree comes next: preorder. */
		w->stack[sp++] = (struct frame){ mid, fr.hi, fr.depth + 1, id, 2 };
		w->stack[sp++] = (struct frame){ fr.lo, mid, fr.depth + 1, id, 1 };
	}
	/* Per-tree importances normalised as sklearn's tree does. */
	{
		double s = 0;

		for (i = 0; i < c->F; i++) {
			w->imp[i] /= Wroot > 0 ? Wroot : 1;
			s += w->imp[i];
		}
		for (i = 0; s > 0 && i < c->F; i++)
			w->imp[i] /= s;
	}
	{
		struct eg_rawtree *tr = &c->f->trees[t];

		tr->nodes = malloc(w->n_nodes * sizeof(*tr->nodes));
		tr->leaf_proba = malloc((size_t)w->n_leaves * c->C *
					sizeof(double));
		if (!tr->nodes || !tr->leaf_proba)
			return -ENOMEM;
		memcpy(tr->nodes, w->nodes, w->n_nodes * sizeof(*tr->nodes));
		memcpy(tr->leaf_proba, w->leafp,
		       (size_t)w->n_leaves * c->C * sizeof(double));
		tr->n_nodes = w->n_nodes;
		tr->n_leaves = w->n_leaves;
	}
	return 0;
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

int eg_train(const struct eg_dataset *d, const uint32_t *rows, size_t n_rows,
	     const struct eg_train_params *p, struct eg_forest **ret,
	     char *err, size_t errlen)
{
	struct ctx c = { 0 };
	struct eg_forest *f = NULL;
	pthread_t *th = NULL;
	unsigned t, nth, started = 0;
	uint32_t i;
	int r;

	if (!rows)
		n_rows = d->n_rows;
	if (n_rows == 0 || n_rows > 0x7fffffff) {
		eg_err_set(err, errlen, "no training rows");
		return -EINVAL;
	}
	if (p->trees == 0 || p->trees > (1u << 20) || p->min_leaf == 0 ||
	    (p->max_features == EG_MAXF_N && p->max_features_n == 0)) {
		eg_err_set(err, errlen, "bad parameters: trees %u, min_leaf %u",
			p->trees, p->min_leaf);
		return -EINVAL;
	}
	if (p->balance == EG_BALANCE_SMOTE)
		return train_smote(d, rows, n_rows, p, ret, err, errlen);

	c.p = p;
	c.n = (uint32_t)n_rows;
	c.F = d->n_features;
	c.C = d->n_classes;
	c.mtry = mtry_of(p, c.F);
	c.hist_bins = HIST_MAX_BYTES / (c.C * sizeof(double));
	if (c.hist_bins > c.n)
		c.hist_bins = c.n;
	r = eg_forest_alloc(d->schema_name, d->schema_version, c.F,
			    (const char *const *)d->feature_names, c.C,
			    (const char *const *)d->class_names, p->trees, &f);
	if (r < 0) {
		eg_err_set(err, errlen, "cannot allocate the forest");
		return r;
	}
	c.f = f;
	c.code = malloc((size_t)c.F * c.n * sizeof(uint32_t));
	c.vals = calloc(c.F, sizeof(float *));
	c.nvals = calloc(c.F, sizeof(uint32_t));
	c.y = malloc(c.n * sizeof(uint16_t));
	c.cw = malloc(c.C * sizeof(double));
	c.imp = calloc((size_t)p->trees * c.F, sizeof(double));
	if (!c.code || !c.vals || !c.nvals || !c.y || !c.cw || !c.imp) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c.n; i++)
		c.y[i] = d->y[rows ? rows[i] : i];
	class_weights(&c);
	r = encode(&c, d, rows);
	if (r < 0)
		goto out;

	nth = p->threads ? p->threads : 1;
	if (nth > p->trees)
		nth = p->trees;
	th = calloc(nth, sizeof(*th));
	if (!th) {
		r = -ENOMEM;
		goto out;
	}
	for (t = 1; t < nth; t++) {
		if (pthread_create(&th[t], NULL, worker, &c))
			break;
		started++;
	}
	worker(&c);
	for (t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	r = c.err;
	if (r < 0)
		goto out;

	/* Forest importances: mean over trees that split at all. */
	{
		unsigned used = 0;
		double s = 0;

		for (t = 0; t < p->trees; t++) {
			if (f->trees[t].n_nodes < 2)
				continue;
			used++;
			for (i = 0; i < c.F; i++)
				f->importances[i] += c.imp[(size_t)t * c.F + i];
		}
		for (i = 0; i < c.F; i++)
			s += f->importances[i];
		for (i = 0; s > 0 && i < c.F; i++)
			f->importances[i] /= s;
		(void)used;
	}
	{
		char why[256] = "";

		r = eg_forest_finish(f, why, sizeof(why));
		if (r < 0) {
			eg_err_set(err, errlen, "internal error: trained forest "
				"fails validation: %s", why);
			goto out;
		}
	}
	*ret = f;
	f = NULL;
out:
	if (r == -ENOMEM)
		eg_err_set(err, errlen, "out of memory");
	for (i = 0; c.vals && i < c.F; i++)
		free(c.vals[i]);
	free(c.vals);
	free(c.nvals);
	free(c.code);
	free(c.y);
	free(c.cw);
	free(c.imp);
	free(th);
	eg_forest_free(f);
	return r;
}
