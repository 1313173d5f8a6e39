/* SPDX-License-Identifier: MIT */
/*
 * smote.h: oversampling the training rows of a dataset. Covered by
 * tests/unit/test-smote.c.
 */
#ifndef ECHOGUARD_DATA_SMOTE_H
#define ECHOGUARD_DATA_SMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/data/dataset.h"

/*
 * SMOTE (Chawla et al.; imblearn's defaults): every class with fewer rows
 * than the largest gets synthetic rows until it has as many; a synthetic
 * row is x + u * (n - x), u uniform in [0, 1), n one of x's k nearest
 * same-class neighbours (Euclidean). The result holds the given rows
 * first, then the synthetic ones; groups are dropped. A class with a single
 * row is duplicated instead. Deterministic for a seed.
 */
int eg_smote(const struct eg_dataset *d, const uint32_t *rows, size_t n_rows,
	     unsigned k, uint64_t seed, struct eg_dataset **ret);

#endif
