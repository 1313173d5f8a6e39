// SPDX-License-Identifier: MIT
/* runtime.c: build and free a struct eg_runtime; see runtime.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runtime.h"

/* The learned model or the shipped one (model-choice.h). */
static int load_model(struct eg_runtime *rt, char *err, size_t errlen)
{
	int r;

	r = eg_model_choose(&rt->cfg, &rt->forest, &rt->model, err, errlen);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	rt->n_classes = eg_forest_n_classes(rt->forest);
	rt->n_features = eg_forest_n_features(rt->forest);
	for (unsigned i = 0; i < EG_MAX_CLASSES; i++)
		rt->class_map[i] = i < rt->n_classes ?
			eg_class_parse(eg_forest_class_name(rt->forest, i)) : -1;
	return 0;
}

int eg_runtime_new(const char *path, uint64_t generation,
		   struct eg_runtime **ret, char *err, size_t errlen)
{
	struct eg_runtime *rt;
	char sub[1024];
	int r;

	rt = calloc(1, sizeof(*rt));
	if (!rt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rt->generation = generation;
	if (path) {
		r = eg_config_load(path, 0, &rt->cfg, err, errlen);
		if (r < 0)
			goto fail;
	} else {
		eg_config_default(&rt->cfg);
	}
	r = load_model(rt, err, errlen);
	if (r < 0)
		goto fail;
	r = eg_policy_new(&rt->cfg, rt->forest, &rt->policy, err, errlen);
	if (r < 0)
		goto fail;
	r = eg_budget_new(&rt->cfg, &rt->budget);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r = eg_mic_new(&rt->cfg.mic, &rt->mic, sub, sizeof(sub));
	if (r < 0) {
		snprintf(err, errlen, "%s: [microphone]: %s",
			 path ? path : "(defaults)", sub);
		goto fail;
	}
	*ret = rt;
	return 0;
fail:
	eg_runtime_free(rt);
	return r;
}

struct eg_runtime *eg_runtime_free(struct eg_runtime *rt)
{
	if (!rt)
		return NULL;
	eg_mic_free(rt->mic);
	eg_budget_free(rt->budget);
	eg_policy_free(rt->policy);
	eg_forest_free(rt->forest);
	free(rt);
	return NULL;
}

void eg_runtime_warn_model(const struct eg_runtime *rt)
{
	if (rt->model.warning[0])
		eg_log(LOG_WARNING, "learned model not used, running the shipped "
		       "model %s instead: %s", rt->model.path, rt->model.warning);
}

void eg_runtime_status_model(const struct eg_runtime *rt, char *buf,
			     size_t len)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "; model %s %s",
			 eg_model_kind_name(rt->model.kind), rt->model.path);
}
