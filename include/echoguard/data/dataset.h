/* SPDX-License-Identifier: MIT */
/*
 * dataset.h: labelled feature matrices for training and evaluation.
 *
 * A dataset is built either from feature CSVs (`echoguard extract` output,
 * columns chosen by name) or in memory from arrays (the audit builds
 * per-trace matrices with arbitrary class names). The fields are read-only
 * for callers; change a dataset only through these functions.
 *
 * Splits and folds return row index lists into the dataset; training takes
 * a dataset plus such a list (train.h).
 *
 * Covered by tests/unit/test-forest.c (loading, splits) and test-smote.c.
 */
#ifndef ECHOGUARD_DATASET_H
#define ECHOGUARD_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/util/schema.h"

#define EG_DATASET_MAX_FEATURES 4096
#define EG_DATASET_MAX_CLASSES 256 /* == EG_MAX_CLASSES */
#define EG_DATASET_NAME_MAX 64

struct eg_dataset {
	uint32_t n_rows;
	uint32_t n_features;
	uint32_t n_classes;
	uint32_t n_groups;        /* 0 when no group column */
	float *x;                 /* n_rows * n_features, row-major */
	uint16_t *y;              /* class index per row */
	uint32_t *group;          /* group index per row, NULL without groups */
	char **feature_names;     /* n_features */
	char **class_names;       /* n_classes */
	char **group_names;       /* n_groups */
	char schema_name[EG_DATASET_NAME_MAX]; /* "seed", "flow", or "custom" */
	uint32_t schema_version;  /* 0 for custom */
	uint32_t cap_rows;        /* allocated rows (internal) */
};

/* Which columns of a feature CSV to read. */
struct eg_dataset_spec {
	/* Feature columns: a schema (its names, name and version go into the
	 * model), or an explicit list of names (schema "custom", version 0).
	 * With neither, every column except label, group and the known
	 * non-feature columns (date, dstip, synchronized, class, source) is a
	 * feature. */
	const struct eg_schema *schema;
	const char *const *features;
	unsigned n_features;
	const char *label;        /* label column; NULL means "class" */
	const char *group;        /* group column or NULL (e.g. "source") */
	/* Fixed class list (index = label); NULL: the eight classes of
	 * features.h when every label parses with eg_class-style names is NOT
	 * assumed -- classes are then taken in order of first appearance. */
	const char *const *classes;
	unsigned n_classes;
};

/*
 * Load one or more CSVs with a header line. All files must hold the
 * requested columns (in any order). Fails with -EINVAL and an error naming
 * "FILE:LINE: column NAME: reason" for a missing column, a non-numeric or
 * non-finite value, an unknown class (with a fixed class list), a wrong
 * field count; -errno for I/O; -E2BIG past 2^31 rows.
 */
int eg_dataset_load(const struct eg_dataset_spec *spec,
		    const char *const *paths, unsigned n_paths,
		    struct eg_dataset **ret, char *err, size_t errlen);

/*
 * An empty dataset to fill with eg_dataset_add. Names are copied.
 * feature_names may be NULL (names become f0, f1, ...). class_names is
 * required (n_classes >= 1, <= EG_DATASET_MAX_CLASSES).
 */
int eg_dataset_new(unsigned n_features, const char *const *feature_names,
		   unsigned n_classes, const char *const *class_names,
		   struct eg_dataset **ret);

/*
 * Append a row: x has n_features values (must be finite), y < n_classes.
 * group is a group name or NULL (then the row has no group: all rows must
 * agree on having one or not). -EINVAL on bad input, -ENOMEM.
 */
int eg_dataset_add(struct eg_dataset *d, const float *x, unsigned y,
		   const char *group);

/* Set schema name/version carried into models trained on d. */
int eg_dataset_set_schema(struct eg_dataset *d, const char *name,
			  uint32_t version);

struct eg_dataset *eg_dataset_free(struct eg_dataset *d);

/* Per-class row counts over rows (NULL: all rows) into ret[n_classes]. */
void eg_dataset_class_counts(const struct eg_dataset *d, const uint32_t *rows,
			     size_t n_rows, uint32_t *ret);

/* A train/test partition: two row index lists (ascending). */
struct eg_split {
	uint32_t *train, *test;
	size_t n_train, n_test;
};

void eg_split_done(struct eg_split *s);

/*
 * Stratified random split as sklearn's train_test_split(test_size,
 * stratify=y) in spirit (not bit-identical): per class, round(test_size *
 * count) rows go to test. 0 < test_size < 1. Deterministic for a seed.
 */
int eg_split_random(const struct eg_dataset *d, double test_size,
		    uint64_t seed, struct eg_split *ret);

/*
 * Group split: whole groups go to test until about test_size of the rows
 * are there; groups are shuffled with seed. -EINVAL without groups or with
 * fewer than two groups.
 */
int eg_split_group(const struct eg_dataset *d, double test_size,
		   uint64_t seed, struct eg_split *ret);

/*
 * Stratified k-fold: ret_fold[n_rows] gets each row's fold in [0, k).
 * With by_group, whole groups are assigned to folds (balanced by rows).
 */
int eg_split_kfold(const struct eg_dataset *d, unsigned k, uint64_t seed,
		   bool by_group, uint32_t *ret_fold);

#endif
