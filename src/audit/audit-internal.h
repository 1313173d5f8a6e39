/* SPDX-License-Identifier: MIT */
/* audit-internal.h: what the audit's core modules share (not public). */
#ifndef ECHOGUARD_AUDIT_INTERNAL_H
#define ECHOGUARD_AUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/audit/audit.h"

struct eg_audit_xtrees;
struct eg_packet;

/* Is p (out: sent by the device) exchanged with a server of s by address,
 * or a ClientHello naming one of its server names? (servers.c) */
bool eg_audit_servers_match(const struct eg_audit_servers *s,
			    const struct eg_packet *p, bool out);

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

struct eg_audit_mlp;

/* The multilayer perceptron (mlp.c) on rows of d, early stopping on the
 * val rows (nv of them; 0: on the training accuracy). -EINVAL for a hidden
 * layer above EG_AUDIT_MLP_MAX_H, -ENOMEM. */
int eg_audit_mlp_fit(const struct eg_dataset *d, const uint32_t *rows,
		     size_t n, const uint32_t *val, size_t nv,
		     const struct eg_audit_hyper *h, uint64_t seed,
		     struct eg_audit_mlp **ret);
/* Softmax probabilities into s[n_classes]; allocates nothing. */
void eg_audit_mlp_proba(const struct eg_audit_mlp *m, const float *x,
			float *s);
struct eg_audit_mlp *eg_audit_mlp_free(struct eg_audit_mlp *m);

/* Mean and deviation (1 for a constant feature) of every feature over
 * rows of d (clf.c; kNN and the MLP standardise with them). */
void eg_audit_standardise(const struct eg_dataset *d, const uint32_t *rows,
			  size_t n, float *mu, float *sd);

#endif
