/* SPDX-License-Identifier: MIT */
/*
 * split.c: train/test partitions and folds of a dataset: stratified random
 * (the paper's protocol), by group (whole captures on one side, because
 * neighbouring packets of a capture are nearly identical), stratified or
 * grouped k folds. Deterministic for a seed. Covered by test-forest.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/dataset.h"
#include "echoguard/util/util.h"

void eg_split_done(struct eg_split *s)
{
	free(s->train);
	free(s->test);
	s->train = s->test = NULL;
	s->n_train = s->n_test = 0;
}

static void shuffle(uint32_t *v, size_t n, struct eg_rng *rng)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = eg_rng_below(rng, i);
		uint32_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* From a per-row "in test" mark, the two ascending index lists. */
static int split_from_marks(const struct eg_dataset *d, const uint8_t *test,
			    struct eg_split *ret)
{
	struct eg_split s = { 0 };
	uint32_t i;

	for (i = 0; i < d->n_rows; i++)
		s.n_test += test[i];
	s.n_train = d->n_rows - s.n_test;
	if (!s.n_test || !s.n_train)
		return -EINVAL;
	s.train = malloc(s.n_train * sizeof(uint32_t));
	s.test = malloc(s.n_test * sizeof(uint32_t));
	if (!s.train || !s.test) {
		eg_split_done(&s);
		return -ENOMEM;
	}
	s.n_train = s.n_test = 0;
	for (i = 0; i < d->n_rows; i++) {
		if (test[i])
			s.test[s.n_test++] = i;
		else
			s.train[s.n_train++] = i;
	}
	*ret = s;
	return 0;
}

int eg_split_random(const struct eg_dataset *d, double test_size,
		    uint64_t seed, struct eg_split *ret)
{
	uint32_t *idx = NULL, c, i, n;
	uint8_t *mark = NULL;
	struct eg_rng rng;
	int r = -ENOMEM;

	if (!(test_size > 0 && test_size < 1) || d->n_rows < 2)
		return -EINVAL;
	eg_rng_seed(&rng, seed, 0x5eed);
	idx = malloc(d->n_rows * sizeof(*idx));
	mark = calloc(d->n_rows, 1);
	if (!idx || !mark)
		goto out;
	for (c = 0; c < d->n_classes; c++) {
		n = 0;
		for (i = 0; i < d->n_rows; i++)
			if (d->y[i] == c)
				idx[n++] = i;
		shuffle(idx, n, &rng);
		for (i = 0; i < (uint32_t)floor(test_size * n + 0.5); i++)
			mark[idx[i]] = 1;
	}
	r = split_from_marks(d, mark, ret);
out:
	free(idx);
	free(mark);
	return r;
}

int eg_split_group(const struct eg_dataset *d, double test_size,
		   uint64_t seed, struct eg_split *ret)
{
	uint32_t *order = NULL, *size = NULL, i;
	uint8_t *gtest = NULL, *mark = NULL;
	double target = test_size * d->n_rows, got = 0;
	struct eg_rng rng;
	int r = -ENOMEM;

	if (!(test_size > 0 && test_size < 1) || !d->group || d->n_groups < 2)
		return -EINVAL;
	eg_rng_seed(&rng, seed, 0x6709);
	order = malloc(d->n_groups * sizeof(*order));
	size = calloc(d->n_groups, sizeof(*size));
	gtest = calloc(d->n_groups, 1);
	mark = calloc(d->n_rows, 1);
	if (!order || !size || !gtest || !mark)
		goto out;
	for (i = 0; i < d->n_rows; i++)
		size[d->group[i]]++;
	for (i = 0; i < d->n_groups; i++)
		order[i] = i;
	shuffle(order, d->n_groups, &rng);
	/* Take groups until the test part is as close to the target as a
	 * whole group allows; at least one group on each side. */
	for (i = 0; i + 1 < d->n_groups; i++) {
		double with = got + size[order[i]];

		if (got > 0 && fabs(with - target) >= fabs(got - target))
			continue;
		gtest[order[i]] = 1;
		got = with;
	}
	for (i = 0; i < d->n_rows; i++)
		mark[i] = gtest[d->group[i]];
	r = split_from_marks(d, mark, ret);
out:
	free(order);
	free(size);
	free(gtest);
	free(mark);
	return r;
}

int eg_split_kfold(const struct eg_dataset *d, unsigned k, uint64_t seed,
		   bool by_group, uint32_t *ret_fold)
{
	uint32_t *idx = NULL, *load = NULL, c, i, n;
	struct eg_rng rng;
	int r = -ENOMEM;

	if (k < 2 || k > d->n_rows || (by_group && (!d->group ||
						    d->n_groups < k)))
		return -EINVAL;
	eg_rng_seed(&rng, seed, 0xf01d);
	idx = malloc((d->n_rows > d->n_groups ? d->n_rows : d->n_groups) *
		     sizeof(*idx));
	load = calloc(k, sizeof(*load));
	if (!idx || !load)
		goto out;
	if (by_group) {
		uint32_t *gfold = calloc(d->n_groups, sizeof(*gfold));
		uint32_t *gsize = calloc(d->n_groups, sizeof(*gsize));

		if (!gfold || !gsize) {
			free(gfold);
			free(gsize);
			goto out;
		}
		for (i = 0; i < d->n_rows; i++)
			gsize[d->group[i]]++;
		for (i = 0; i < d->n_groups; i++)
			idx[i] = i;
		shuffle(idx, d->n_groups, &rng);
		/* Each group to the fold with the fewest rows so far. */
		for (i = 0; i < d->n_groups; i++) {
			uint32_t best = 0, f;

			for (f = 1; f < k; f++)
				if (load[f] < load[best])
					best = f;
			gfold[idx[i]] = best;
			load[best] += gsize[idx[i]];
		}
		for (i = 0; i < d->n_rows; i++)
			ret_fold[i] = gfold[d->group[i]];
		free(gfold);
		free(gsize);
		r = 0;
		goto out;
	}
	for (c = 0; c < d->n_classes; c++) {
		n = 0;
		for (i = 0; i < d->n_rows; i++)
			if (d->y[i] == c)
				idx[n++] = i;
		shuffle(idx, n, &rng);
		for (i = 0; i < n; i++)
			ret_fold[idx[i]] = (i + c) % k;
	}
	r = 0;
out:
	free(idx);
	free(load);
	return r;
}
