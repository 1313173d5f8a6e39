/* SPDX-License-Identifier: MIT */
/*
 * report.h: classification reports (sklearn's classification_report
 * layout), confusion matrices, and their JSON and SVG renderings.
 *
 * Covered by tests/unit/test-forest.c.
 */
#ifndef ECHOGUARD_REPORT_H
#define ECHOGUARD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct eg_report {
	unsigned n_classes;
	char **class_names;      /* n_classes, owned */
	uint64_t *confusion;     /* [truth * n_classes + predicted] */
	uint64_t n;              /* rows added */
	/* Filled by eg_report_finish: */
	double *precision, *recall, *f1;
	uint64_t *support;
	double accuracy;
	double macro_p, macro_r, macro_f1;
	double weighted_p, weighted_r, weighted_f1;
};

int eg_report_new(unsigned n_classes, const char *const *class_names,
		  struct eg_report **ret);
struct eg_report *eg_report_free(struct eg_report *r);
void eg_report_add(struct eg_report *r, unsigned truth, unsigned predicted);
/* Add another report's counts (same classes): for cross-validation. */
int eg_report_merge(struct eg_report *r, const struct eg_report *other);
/* Compute the metrics from the confusion matrix (0 where undefined, as
 * sklearn with zero_division=0). */
void eg_report_finish(struct eg_report *r);

/*
 * Text: the classification report as sklearn prints it (classes with zero
 * support and no predictions are left out), then the confusion matrix.
 */
void eg_report_print(const struct eg_report *r, FILE *out);

/* Feature importances, sorted descending, as text. */
void eg_report_print_importances(const double *imp, const char *const *names,
				 unsigned n, FILE *out);

/*
 * JSON object with "classes", per-class metrics, accuracy, averages,
 * "confusion", and (when imp != NULL) "importances" {name: value}.
 * extra, when not NULL, is a JSON object text inserted as "meta".
 */
void eg_report_write_json(const struct eg_report *r, const double *imp,
			  const char *const *names, unsigned n_features,
			  const char *extra, FILE *out);

/* Self-contained SVG: confusion matrix heat map (row-normalised) and
 * importance bars (when imp != NULL). */
void eg_report_write_svg(const struct eg_report *r, const double *imp,
			 const char *const *names, unsigned n_features,
			 const char *title, FILE *out);

#endif
