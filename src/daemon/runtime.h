/* SPDX-License-Identifier: MIT */
/*
 * runtime.h: what a SIGHUP replaces as one unit -- the configuration, the
 * model, the policy built from both, and the microphone source -- and how
 * the worker threads move from one to the next.
 *
 * The main thread builds a complete new struct eg_runtime off to the side;
 * on any error the running one stays. Then it publishes the new one with one
 * atomic pointer store (release). Each worker loads the pointer (acquire)
 * once per batch of packets, between packets, and then records the
 * generation it now uses. When every worker has recorded the new
 * generation, nobody can still be reading the old runtime and the main
 * thread frees it: RCU with the workers' batch boundaries as the
 * quiescent states. The main thread wakes every worker through its eventfd
 * right after the store, so the wait is bounded by one batch of packets
 * even on an idle queue with a long recv_timeout_ms (tests/e2e/
 * e2e-reload-idle.sh).
 */
#ifndef EG_DAEMON_RUNTIME_H
#define EG_DAEMON_RUNTIME_H

#include <stdint.h>

#include "echoguard/verdict/budget.h"
#include "echoguard/verdict/config.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/mic.h"
#include "echoguard/verdict/model-choice.h"
#include "echoguard/verdict/policy.h"

struct eg_runtime {
	uint64_t generation;
	struct eg_config cfg;
	struct eg_forest *forest;
	struct eg_model_choice model; /* which file forest is, learned or
					 shipped, and why not learned */
	struct eg_policy *policy;
	struct eg_mic *mic;
	struct eg_budget *budget;   /* muted leak budget; a reload starts it
				       afresh (docs/daemon.md) */
	unsigned n_classes;        /* eg_forest_n_classes(forest) */
	unsigned n_features;       /* eg_forest_n_features(forest) */
	int class_map[EG_MAX_CLASSES]; /* forest index -> enum eg_class, -1 */
};

/*
 * Build a runtime from the config file path (NULL: defaults). Loads and
 * checks the config, the model (the learned one or the shipped one,
 * eg_model_choose, against the schema of [model] features), the policy,
 * and opens the mic. Returns 0, or -errno
 * with err holding every message (file, section, key / model path).
 * -EINVAL: invalid configuration or model (exit status 2 at start).
 */
int eg_runtime_new(const char *path, uint64_t generation,
		   struct eg_runtime **ret, char *err, size_t errlen);
struct eg_runtime *eg_runtime_free(struct eg_runtime *rt);

/* A learned model that exists but did not load: log a warning naming the
 * file and the reason (the shipped model runs; docs/daemon.md). */
void eg_runtime_warn_model(const struct eg_runtime *rt);
/* Append "; model learned|shipped PATH" to the STATUS= text in buf. */
void eg_runtime_status_model(const struct eg_runtime *rt, char *buf,
			     size_t len);

#endif
