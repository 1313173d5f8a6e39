/* SPDX-License-Identifier: MIT */
/*
 * forest-common.h: what `echoguard train`, `eval` and `model` share:
 * choosing feature columns, evaluating a model on rows, writing --report.
 */
#ifndef ECHOGUARD_CLI_FOREST_COMMON_H
#define ECHOGUARD_CLI_FOREST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/data/dataset.h"
#include "echoguard/forest/forest.h"
#include "echoguard/data/report.h"

/* Column names of a CSV's header line (malloc'd vector, NULL-terminated). */
int fc_read_header(const char *path, char ***ret, unsigned *ret_n);
void fc_strv_free(char **v);
int fc_has_column(char *const *hdr, unsigned n, const char *name);

/*
 * Pick the feature columns for training: "seed" or "flow" (the engine's
 * schemas), "auto" (flow when the header has all its columns, else seed,
 * else every numeric column as schema "custom"), or "custom".
 */
int fc_pick_schema(const char *want, char *const *hdr, unsigned n,
		   const struct eg_schema **ret);

/* Predict rows (NULL: all) of d with f into a finished report; d's classes
 * are mapped to f's by name (rows of a class the model lacks are counted
 * as misclassified into no class, and reported in *ret_unknown). */
int fc_evaluate(const struct eg_forest *f, const struct eg_dataset *d,
		const uint32_t *rows, size_t n, struct eg_report **ret,
		size_t *ret_unknown);

/* DIR/report.json, DIR/report.svg and DIR/report.txt. */
int fc_write_report_dir(const char *dir, const struct eg_report *r,
			const struct eg_forest *f, const char *meta_json,
			const char *title);

double fc_now(void);

#endif
