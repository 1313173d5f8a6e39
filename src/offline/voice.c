/* SPDX-License-Identifier: MIT */
/*
 * voice.c: voice-shaped uploads (voice.h). Covered by
 * tests/unit/test-voice.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "echoguard/engine/classes.h"
#include "echoguard/offline/voice.h"

void eg_voice_params_default(struct eg_voice_params *p)
{
	p->min_run = 10;
	p->max_gap = 0.2;
	p->min_size = 40;
	p->max_size = 1500;
	p->max_rate = 65536;
	p->before = 0.5;
	p->after = 5.0;
}

static int cmp_flow_time(const void *a, const void *b, void *arg)
{
	const struct eg_label_row *rows = arg;
	const struct eg_label_row *x = &rows[*(const size_t *)a];
	const struct eg_label_row *y = &rows[*(const size_t *)b];

	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_window(const void *a, const void *b)
{
	const struct eg_window *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A run being walked. */
struct run {
	uint64_t flow, first_ns, last_ns, bytes;
	uint32_t size[2];
	unsigned n_sizes, len;
};

static bool run_takes(const struct eg_voice_params *p, const struct run *r,
		      const struct eg_label_row *x)
{
	if (!r->len || x->flow_id != r->flow ||
	    (double)(x->ts_ns - r->last_ns) / 1e9 > p->max_gap)
		return false;
	return r->n_sizes < 2 || x->size == r->size[0] || x->size == r->size[1];
}

static void run_add(struct run *r, const struct eg_label_row *x)
{
	if (!r->len) {
		r->flow = x->flow_id;
		r->first_ns = x->ts_ns;
		r->n_sizes = 0;
		r->bytes = 0;
	}
	if (!(r->n_sizes > 0 && x->size == r->size[0]) &&
	    !(r->n_sizes > 1 && x->size == r->size[1]))
		r->size[r->n_sizes++] = x->size;
	r->last_ns = x->ts_ns;
	r->bytes += x->size;
	r->len++;
}

/* Is the finished run voice? Then its window goes to w[*nw]. */
static bool run_close(const struct eg_voice_params *p, const struct run *r,
		      struct eg_window *w)
{
	double secs = (double)(r->last_ns - r->first_ns) / 1e9;

	if (r->len < p->min_run || secs <= 0 ||
	    (double)r->bytes / secs > p->max_rate)
		return false;
	w->start = (double)r->first_ns / 1e9 - p->before;
	w->end = (double)r->last_ns / 1e9 + p->after;
	w->trace = NULL;
	return true;
}

static size_t merge(struct eg_window *w, size_t n)
{
	size_t i, k = 0;

	qsort(w, n, sizeof(*w), cmp_window);
	for (i = 0; i < n; i++) {
		if (k && w[i].start <= w[k - 1].end) {
			if (w[i].end > w[k - 1].end)
				w[k - 1].end = w[i].end;
			continue;
		}
		w[k++] = w[i];
	}
	return k;
}

static bool voice_row(const struct eg_voice_params *p,
		      const struct eg_label_row *x)
{
	return x->proto_class == EG_CLASS_EXPECTED && x->size >= p->min_size &&
	       x->size <= p->max_size;
}

int eg_voice_windows(const struct eg_voice_params *p,
		     const struct eg_label_row *rows, size_t n,
		     struct eg_window **ret, size_t *ret_n)
{
	struct eg_window *w;
	struct run r = { 0 };
	size_t *idx, m = 0, nw = 0, i;

	if (!p || (n && !rows) || !ret || !ret_n || p->min_run < 2)
		return -EINVAL;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	w = malloc((n / p->min_run + 1) * sizeof(*w));
	if (!idx || !w) {
		free(idx);
		free(w);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (voice_row(p, &rows[i]))
			idx[m++] = i;
	qsort_r(idx, m, sizeof(*idx), cmp_flow_time, (void *)rows);
	for (i = 0; i < m; i++) {
		const struct eg_label_row *x = &rows[idx[i]];

		if (!run_takes(p, &r, x)) {
			if (r.len && run_close(p, &r, &w[nw]))
				nw++;
			r.len = 0;
		}
		run_add(&r, x);
	}
	if (r.len && run_close(p, &r, &w[nw]))
		nw++;
	free(idx);
	i = nw;
	nw = merge(w, nw);
	if (!nw) {
		free(w);
		w = NULL;
	}
	*ret = w;
	*ret_n = nw;
	return (int)i;
}
