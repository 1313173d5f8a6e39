/* SPDX-License-Identifier: MIT */
/* audit-internal.h: what the audit's core modules share (not public). */
#ifndef ECHOGUARD_AUDIT_INTERNAL_H
#define ECHOGUARD_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/audit/audit.h"

struct eg_audit_xtrees;

/* Extra-trees on rows of d (xtrees.c). -ENOMEM. */
int eg_audit_xtrees_fit(const struct eg_dataset *d, const uint32_t *rows,
			size_t n, unsigned trees, unsigned min_leaf,
			uint64_t seed, struct eg_audit_xtrees **ret);
/* Mean leaf class fractions into s[n_classes]. */
void eg_audit_xtrees_proba(const struct eg_audit_xtrees *m, const float *x,
			   float *s);
/* Split counts per feature, summing to 1 (0 for single leaves). */
void eg_audit_xtrees_importances(const struct eg_audit_xtrees *m,
				 double *ret);
struct eg_audit_xtrees *eg_audit_xtrees_free(struct eg_audit_xtrees *m);

#endif
