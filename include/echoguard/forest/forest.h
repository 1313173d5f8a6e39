/* SPDX-License-Identifier: MIT */
/*
 * forest.h: random-forest inference on a loaded, validated, immutable model.
 *
 * A struct eg_forest is read-only after eg_forest_load: any number of threads
 * may call eg_forest_predict on it at once. Prediction allocates nothing.
 * The model file format is docs/model-format.md; training is in train.h.
 */
#ifndef ECHOGUARD_FOREST_H
#define ECHOGUARD_FOREST_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/util/schema.h"

#define EG_MAX_CLASSES 256

struct eg_forest;

/*
 * Load and validate a model file. When schema is not NULL the model's
 * feature schema must match it by name, version and column names, or the
 * load fails with -EPROTO and a message naming the difference. Any
 * corruption fails with -EBADMSG (or -errno for I/O) and a message
 * "PATH: reason". err gets errlen bytes, always terminated.
 */
int eg_forest_load(const char *path, const struct eg_schema *schema,
		   struct eg_forest **ret, char *err, size_t errlen);

/* Accepts NULL; returns NULL. */
struct eg_forest *eg_forest_free(struct eg_forest *f);

unsigned eg_forest_n_classes(const struct eg_forest *f);
const char *eg_forest_class_name(const struct eg_forest *f, unsigned i);
unsigned eg_forest_n_features(const struct eg_forest *f);
unsigned eg_forest_n_trees(const struct eg_forest *f);
/* The schema name/version the model was trained on. */
const char *eg_forest_schema_name(const struct eg_forest *f);
uint32_t eg_forest_schema_version(const struct eg_forest *f);

/*
 * Class probabilities for one feature vector x (eg_forest_n_features
 * floats): the mean of the trees' leaf distributions, written to
 * ret_proba[eg_forest_n_classes]. Returns the index of the most probable
 * class (lowest index on ties).
 */
unsigned eg_forest_predict(const struct eg_forest *f, const float *x,
			   float *ret_proba);

/*
 * Batch prediction: x holds n rows of eg_forest_n_features floats
 * (row-major); ret_class[n] gets the predicted class indices and, when not
 * NULL, ret_proba[n * n_classes] the probabilities. Same results as n calls
 * of eg_forest_predict, faster for large forests (blocks of rows walk one
 * tree at a time). Allocates nothing; uses 256 KiB of stack.
 */
void eg_forest_predict_batch(const struct eg_forest *f, const float *x,
			     size_t n, uint32_t *ret_class, float *ret_proba);

const char *eg_forest_feature_name(const struct eg_forest *f, unsigned i);
/* Total nodes over all trees, the deepest tree's depth (root = 0), and
 * the bytes the inference arrays take in memory. */
size_t eg_forest_n_nodes(const struct eg_forest *f);
unsigned eg_forest_max_depth(const struct eg_forest *f);
size_t eg_forest_mem_bytes(const struct eg_forest *f);

/* Look a class up by name; -ENOENT if the model has no such class. */
int eg_forest_class_index(const struct eg_forest *f, const char *name);

#endif
