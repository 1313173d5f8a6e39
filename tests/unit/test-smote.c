/* SPDX-License-Identifier: MIT */
/*
 * test-smote.c: SMOTE brings every class to the majority's count; each
 * synthetic row lies on the segment between a real row of its class and
 * one of that row's k nearest same-class neighbours; the real rows come
 * first and unchanged; results are deterministic for a seed; only the
 * given (training) rows are used.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/smote.h"
#include "echoguard/forest/train.h"
#include "forest-internal.h"
#include "tap.h"

#define K 5

static double d2(const float *a, const float *b)
{
	return ((double)a[0] - b[0]) * ((double)a[0] - b[0]) +
	       ((double)a[1] - b[1]) * ((double)a[1] - b[1]);
}

/* Is j among the K nearest of i (within members of class c, rows < n)? */
static int is_knn(const struct eg_dataset *d, uint32_t n, unsigned c,
		  uint32_t i, uint32_t j)
{
	double dij = d2(d->x + 2 * i, d->x + 2 * j);
	uint32_t m, closer = 0;

	for (m = 0; m < n; m++)
		if (m != i && d->y[m] == c &&
		    d2(d->x + 2 * i, d->x + 2 * m) < dij)
			closer++;
	return closer < K;
}

/* On the segment a..b: collinear, and between the ends. */
static int on_segment(const float *p, const float *a, const float *b)
{
	double abx = (double)b[0] - a[0], aby = (double)b[1] - a[1];
	double apx = (double)p[0] - a[0], apy = (double)p[1] - a[1];
	double cross = abx * apy - aby * apx, len2 = abx * abx + aby * aby;
	double t;

	if (len2 == 0)
		return apx == 0 && apy == 0;
	t = (abx * apx + aby * apy) / len2;
	return fabs(cross) <= 1e-4 * (1 + len2) && t >= -1e-6 && t <= 1 + 1e-6;
}

int main(void)
{
	static const char *const cls[] = { "big", "small", "lone", "absent" };
	struct eg_dataset *d = NULL, *s = NULL, *s2 = NULL;
	uint32_t cnt[4], rows[200], nrows = 0, i, j, n_orig;
	struct eg_rng r;
	float x[2];

	eg_dataset_new(2, NULL, 4, cls, &d);
	eg_rng_seed(&r, 11, 0);
	for (i = 0; i < 120; i++) {
		x[0] = (float)(eg_rng_double(&r) * 10);
		x[1] = (float)(eg_rng_double(&r) * 10);
		eg_dataset_add(d, x, 0, NULL);
	}
	for (i = 0; i < 17; i++) {    /* two clusters, so kNN matters */
		x[0] = (float)(20 + (i % 2) * 30 + eg_rng_double(&r));
		x[1] = (float)(eg_rng_double(&r) * 3);
		eg_dataset_add(d, x, 1, NULL);
	}
	x[0] = -5;
	x[1] = -5;
	eg_dataset_add(d, x, 2, NULL);
	/* A held-out row of class 1, far away: must never be used. */
	x[0] = 1000;
	x[1] = 1000;
	eg_dataset_add(d, x, 1, NULL);
	for (i = 0; i + 1 < d->n_rows; i++)
		rows[nrows++] = i;
	n_orig = nrows;

	CHECK_EQ(eg_smote(d, rows, nrows, K, 7, &s), 0);
	eg_dataset_class_counts(s, NULL, 0, cnt);
	CHECK_EQ(cnt[0], 120);
	CHECK_EQ(cnt[1], 120);
	CHECK_EQ(cnt[2], 120);   /* the lone row, duplicated */
	CHECK_EQ(cnt[3], 0);     /* a class without rows stays empty */
	CHECK(s->group == NULL);
	/* Real rows first, unchanged. */
	CHECK(memcmp(s->x, d->x, n_orig * 2 * sizeof(float)) == 0);
	CHECK(memcmp(s->y, d->y, n_orig * sizeof(uint16_t)) == 0);
	for (i = n_orig; i < s->n_rows; i++) {
		const float *p = s->x + 2 * i;
		int found = 0;

		CHECK(p[0] < 999);   /* never towards the held-out row */
		if (s->y[i] == 2) {
			CHECK(p[0] == -5 && p[1] == -5);
			continue;
		}
		CHECK_EQ(s->y[i], 1);
		for (j = 0; j < n_orig && !found; j++) {
			uint32_t k;

			if (d->y[j] != 1)
				continue;
			for (k = 0; k < n_orig && !found; k++)
				if (k != j && d->y[k] == 1 &&
				    on_segment(p, d->x + 2 * j, d->x + 2 * k) &&
				    is_knn(d, n_orig, 1, j, k))
					found = 1;
		}
		CHECK(found);
		/* Both clusters are 30 apart: a segment between them would
		 * put points in the gap, which 5-NN within a cluster of 8 or
		 * 9 never does. */
		CHECK(p[0] < 22 || p[0] > 49);
	}
	CHECK_EQ(eg_smote(d, rows, nrows, K, 7, &s2), 0);
	CHECK(s2->n_rows == s->n_rows &&
	      memcmp(s->x, s2->x, s->n_rows * 2 * sizeof(float)) == 0);
	s2 = eg_dataset_free(s2);
	CHECK_EQ(eg_smote(d, rows, nrows, K, 8, &s2), 0);
	CHECK(memcmp(s->x, s2->x, s->n_rows * 2 * sizeof(float)) != 0);

	/* Training with SMOTE balances the training rows only. */
	{
		struct eg_train_params p;
		struct eg_forest *f = NULL;
		char err[256];
		float q[2] = { 20.5f, 1.5f }, proba[4];

		eg_train_params_default(&p);
		p.trees = 10;
		p.balance = EG_BALANCE_SMOTE;
		CHECK_EQ(eg_train(d, rows, nrows, &p, &f, err, sizeof(err)), 0);
		CHECK_EQ(eg_forest_predict(f, q, proba), 1);
		eg_forest_free(f);
	}
	eg_dataset_free(s);
	eg_dataset_free(s2);
	eg_dataset_free(d);
	return eg_test_done();
}
