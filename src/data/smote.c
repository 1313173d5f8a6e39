/* SPDX-License-Identifier: MIT */
/*
 * smote.c: SMOTE oversampling (Chawla et al. 2002, imblearn's defaults:
 * every class up to the majority's count, k = 5 nearest neighbours).
 *
 * A synthetic row is x + u * (nn - x) with x a random row of the class, nn
 * one of x's k nearest same-class neighbours (Euclidean, unscaled features,
 * as imblearn) and u uniform in [0, 1): it lies on the segment between two
 * same-class rows. Neighbours are found by brute force, once per base row
 * that is drawn, so the cost is O(drawn * class size * features).
 * Covered by tests/unit/test-smote.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/smote.h"
#include "echoguard/util/util.h"

struct knn {
	uint32_t *nn;      /* per class member: k neighbour positions */
	uint8_t *done;     /* neighbours computed for this member */
};

static double dist2(const float *a, const float *b, unsigned F)
{
	double s = 0;
	unsigned i;

	for (i = 0; i < F; i++) {
		double d = (double)a[i] - b[i];

		s += d * d;
	}
	return s;
}

/* The k nearest members of the class (by position in members[]) to member
 * i, excluding i itself; ties broken by position for determinism. */
static void neighbours(const struct eg_dataset *d, const uint32_t *members,
		       uint32_t n, uint32_t i, unsigned k, uint32_t *ret,
		       double *bestd)
{
	const float *xi = d->x + (size_t)members[i] * d->n_features;
	unsigned have = 0, a;
	uint32_t j;

	for (j = 0; j < n; j++) {
		double dj;

		if (j == i)
			continue;
		dj = dist2(xi, d->x + (size_t)members[j] * d->n_features,
			   d->n_features);
		if (have == k && dj >= bestd[k - 1])
			continue;
		a = have < k ? have++ : k - 1;
		while (a > 0 && bestd[a - 1] > dj) {
			bestd[a] = bestd[a - 1];
			ret[a] = ret[a - 1];
			a--;
		}
		bestd[a] = dj;
		ret[a] = j;
	}
}

static int oversample_class(const struct eg_dataset *d, struct eg_dataset *out,
			    const uint32_t *members, uint32_t n, uint32_t need,
			    unsigned k, unsigned cls, struct eg_rng *rng)
{
	unsigned kk = k < n - 1 ? k : n - 1;
	uint32_t *nn = NULL, s;
	uint8_t *done = NULL;
	double *bestd = NULL;
	float *row = NULL;
	int r = -ENOMEM;

	nn = malloc((size_t)n * (kk ? kk : 1) * sizeof(uint32_t));
	done = calloc(n, 1);
	bestd = malloc((kk ? kk : 1) * sizeof(double));
	row = malloc(d->n_features * sizeof(float));
	if (!nn || !done || !bestd || !row)
		goto out;
	for (s = 0; s < need; s++) {
		uint32_t i = (uint32_t)eg_rng_below(rng, n), j, f;
		const float *xi = d->x + (size_t)members[i] * d->n_features;
		const float *xj;
		double u;

		if (kk == 0) {
			/* A lone row: SMOTE has no segment, duplicate it. */
			r = eg_dataset_add(out, xi, cls, NULL);
			if (r < 0)
				goto out;
			continue;
		}
		if (!done[i]) {
			neighbours(d, members, n, i, kk, nn + (size_t)i * kk,
				   bestd);
			done[i] = 1;
		}
		j = nn[(size_t)i * kk + eg_rng_below(rng, kk)];
		xj = d->x + (size_t)members[j] * d->n_features;
		u = eg_rng_double(rng);
		for (f = 0; f < d->n_features; f++)
			row[f] = (float)(xi[f] + u * ((double)xj[f] - xi[f]));
		r = eg_dataset_add(out, row, cls, NULL);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	free(nn);
	free(done);
	free(bestd);
	free(row);
	return r;
}

int eg_smote(const struct eg_dataset *d, const uint32_t *rows, size_t n_rows,
	     unsigned k, uint64_t seed, struct eg_dataset **ret)
{
	struct eg_dataset *out = NULL;
	uint32_t *cnt = NULL, *members = NULL, maxc = 0, c, m;
	struct eg_rng rng;
	size_t i;
	int r;

	if (!rows)
		n_rows = d->n_rows;
	if (n_rows == 0 || k == 0)
		return -EINVAL;
	r = eg_dataset_new(d->n_features, (const char *const *)d->feature_names,
			   d->n_classes, (const char *const *)d->class_names,
			   &out);
	if (r < 0)
		return r;
	eg_dataset_set_schema(out, d->schema_name, d->schema_version);
	cnt = calloc(d->n_classes, sizeof(*cnt));
	members = malloc(n_rows * sizeof(*members));
	r = -ENOMEM;
	if (!cnt || !members)
		goto out;
	for (i = 0; i < n_rows; i++) {
		uint32_t row = rows ? rows[i] : (uint32_t)i;

		r = eg_dataset_add(out, d->x + (size_t)row * d->n_features,
				   d->y[row], NULL);
		if (r < 0)
			goto out;
		cnt[d->y[row]]++;
	}
	for (c = 0; c < d->n_classes; c++)
		if (cnt[c] > maxc)
			maxc = cnt[c];
	eg_rng_seed(&rng, seed, 0x5307e);
	for (c = 0; c < d->n_classes; c++) {
		if (!cnt[c] || cnt[c] == maxc)
			continue;
		m = 0;
		for (i = 0; i < n_rows; i++) {
			uint32_t row = rows ? rows[i] : (uint32_t)i;

			if (d->y[row] == c)
				members[m++] = row;
		}
		r = oversample_class(d, out, members, m, maxc - cnt[c], k, c,
				     &rng);
		if (r < 0)
			goto out;
	}
	*ret = out;
	out = NULL;
	r = 0;
out:
	free(cnt);
	free(members);
	eg_dataset_free(out);
	return r;
}
