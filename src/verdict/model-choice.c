// SPDX-License-Identifier: MIT
/* model-choice.c: the learned model or the shipped one; see
 * model-choice.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "echoguard/verdict/model-choice.h"

const char *eg_model_kind_name(enum eg_model_kind k)
{
	return k == EG_MODEL_LEARNED ? "learned" : "shipped";
}

/* The learned model, when [model] learned names a file that exists and
 * loads: 1 and *ret_forest; 0 when there is none or it did not load (then
 * warning says why, or stays "" when there is no file). */
static int try_learned(const struct eg_config *c, struct eg_forest **ret_forest,
		       char *warning, size_t len)
{
	const char *path = c->model.learned;
	struct stat st;
	int r;

	warning[0] = 0;
	if (!path[0])
		return 0;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			snprintf(warning, len, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(warning, len, "%s: not a regular file", path);
		return 0;
	}
	r = eg_forest_load(path, eg_schema_get(c->model.features), ret_forest,
			   warning, len);
	if (r < 0) {
		/* eg_forest_load names the file in most messages; not in all */
		if (strncmp(warning, path, strlen(path)) != 0) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", warning);
			snprintf(warning, len, "%s: %s", path, why[0] ? why :
				 strerror(-r));
		}
		return 0;
	}
	return 1;
}

int eg_model_choose(const struct eg_config *c, struct eg_forest **ret_forest,
		    struct eg_model_choice *ret, char *err, size_t errlen)
{
	struct eg_model_choice *ch;
	struct eg_forest *f = NULL;
	int r;

	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (try_learned(c, &f, ch->warning, sizeof(ch->warning))) {
		ch->kind = EG_MODEL_LEARNED;
		snprintf(ch->path, sizeof(ch->path), "%s", c->model.learned);
	} else {
		ch->kind = EG_MODEL_SHIPPED;
		snprintf(ch->path, sizeof(ch->path), "%s", c->model.path);
		r = eg_forest_load(c->model.path,
				   eg_schema_get(c->model.features), &f, err,
				   errlen);
		if (r < 0) {
			free(ch);
			return r;
		}
	}
	*ret_forest = f;
	*ret = *ch;
	free(ch);
	return 0;
}
