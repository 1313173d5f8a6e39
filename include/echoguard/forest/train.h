/* SPDX-License-Identifier: MIT */
/*
 * train.h: training random forests (CART trees, bootstrap, random feature
 * subsets, per-leaf class probabilities), SMOTE, saving models, importances.
 *
 * Training is deterministic for a given seed: each tree draws from its own
 * generator seeded by (seed, tree index), so the result does not even
 * depend on the thread count. A single decision tree (as the audit needs) is
 * trees=1, bootstrap=false, max_features=EG_MAXF_ALL.
 *
 * Covered by tests/unit/test-forest.c and test-model.c.
 */
#ifndef ECHOGUARD_TRAIN_H
#define ECHOGUARD_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/data/dataset.h"
#include "echoguard/forest/forest.h"

enum eg_criterion { EG_CRIT_GINI = 0, EG_CRIT_ENTROPY = 1 };
enum eg_balance { EG_BALANCE_NONE = 0, EG_BALANCE_SMOTE = 1,
		  EG_BALANCE_WEIGHTS = 2 };
enum eg_max_features { EG_MAXF_SQRT = 0, EG_MAXF_LOG2 = 1, EG_MAXF_ALL = 2,
		       EG_MAXF_N = 3 };

struct eg_train_params {
	unsigned trees;            /* default 100 */
	unsigned max_depth;        /* 0: unlimited (default) */
	unsigned min_leaf;         /* min rows in a leaf, default 1 */
	enum eg_max_features max_features; /* default sqrt */
	unsigned max_features_n;   /* with EG_MAXF_N */
	enum eg_criterion criterion; /* default gini */
	enum eg_balance balance;   /* default none */
	unsigned smote_k;          /* default 5 */
	uint64_t seed;             /* default 0 */
	unsigned threads;          /* default 1; 0 means 1 */
	bool bootstrap;            /* default true */
	/* Optional: called in the calling thread as trees are done (trees
	 * finished so far, trees); NULL by default. */
	void (*progress)(unsigned done, unsigned total, void *ud);
	void *progress_ud;
};

void eg_train_params_default(struct eg_train_params *p);

/* "sqrt", "log2", "all" or a positive count. -EINVAL otherwise. */
int eg_train_parse_max_features(const char *s, struct eg_train_params *p);

/*
 * Train a forest on the rows (NULL: all rows) of d. Balancing (SMOTE or
 * class weights) is applied to these rows only, so pass the training part
 * of a split. The forest carries d's feature names, class names and schema
 * and is usable with eg_forest_predict at once. -EINVAL (with err) for bad
 * parameters or an empty set, -ENOMEM.
 */
int eg_train(const struct eg_dataset *d, const uint32_t *rows, size_t n_rows,
	     const struct eg_train_params *p, struct eg_forest **ret,
	     char *err, size_t errlen);

/*
 * Mean-decrease-impurity importances (sklearn's feature_importances_):
 * ret[n_features], summing to 1 (all 0 for a forest of single leaves).
 */
void eg_forest_importances(const struct eg_forest *f, double *ret);

/* Training metadata (free text, JSON by convention) stored in the model. */
int eg_forest_set_meta(struct eg_forest *f, const char *meta);
const char *eg_forest_meta(const struct eg_forest *f);

/* Save in the format of docs/model-format.md (atomically: temp + rename). */
int eg_forest_save(const struct eg_forest *f, const char *path,
		   char *err, size_t errlen);

/* Same into a malloc'd buffer (for tests and fuzzing). */
int eg_forest_serialize(const struct eg_forest *f, uint8_t **ret,
			size_t *ret_len);
/* Load from memory; same validation and errors as eg_forest_load ("name"
 * replaces the path in messages). */
int eg_forest_load_buffer(const uint8_t *buf, size_t len, const char *name,
			  const struct eg_schema *schema,
			  struct eg_forest **ret, char *err, size_t errlen);

#endif
