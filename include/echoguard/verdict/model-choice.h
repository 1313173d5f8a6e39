/* SPDX-License-Identifier: MIT */
/*
 * model-choice.h: which model file runs with a configuration. The daemon
 * (at start and on every SIGHUP) and `echoguard replay -c` both call
 * eg_model_choose, so they pick the same file (docs/daemon.md, "Which
 * model runs").
 *
 * [model] learned (written by `echoguard learn install`) is used when it
 * is set and the file exists; when it exists but does not load (corrupt,
 * unreadable, another feature schema than [model] features) the reason
 * is returned as a warning and [model] path, the shipped model, is loaded
 * instead: a bad learned file never stops the daemon. Covered by
 * tests/unit/test-model-choice.c.
 */
#ifndef ECHOGUARD_VERDICT_MODEL_CHOICE_H
#define ECHOGUARD_VERDICT_MODEL_CHOICE_H

#include <stddef.h>

#include "echoguard/forest/forest.h"
#include "echoguard/verdict/config.h"

enum eg_model_kind { EG_MODEL_SHIPPED = 0, EG_MODEL_LEARNED = 1 };

struct eg_model_choice {
	char path[EG_CONFIG_PATH_MAX];   /* the file loaded */
	enum eg_model_kind kind;
	char warning[1536];              /* "" or why the learned file that
					    exists was not used:
					    "FILE: reason" */
};

/*
 * Load the model c runs with (its schema must be [model] features) into
 * *ret_forest and say which one it is in *ret. Returns 0; or -errno with
 * err "PATH: reason" when the shipped model does not load (the learned
 * one never makes it fail). Nothing is written to *ret_forest or *ret on
 * failure.
 */
int eg_model_choose(const struct eg_config *c, struct eg_forest **ret_forest,
		    struct eg_model_choice *ret, char *err, size_t errlen);

/* "learned" or "shipped". */
const char *eg_model_kind_name(enum eg_model_kind k);

#endif
