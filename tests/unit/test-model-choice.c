/* SPDX-License-Identifier: MIT */
/*
 * test-model-choice.c: eg_model_choose, the one choice of the daemon and
 * `echoguard replay -c`: [model] learned off, missing, valid (it runs),
 * corrupt, of another feature schema, unreadable (not a regular file) ->
 * the shipped model runs with a warning naming the learned file; a
 * shipped model that does not load fails and writes nothing.
 *
 * The models are small forests trained here on made-up rows (the choice
 * is under test, not what they predict): "shipped" has 3 trees, "learned"
 * 5, so which one was loaded is visible.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "echoguard/data/dataset.h"
#include "echoguard/engine/features.h"
#include "echoguard/forest/train.h"
#include "echoguard/verdict/model-choice.h"
#include "tap.h"

static char dir[] = "/tmp/eg-test-model-choice-XXXXXX";
static char shipped[300], learned[300], other[300];
static char err[4096];

/* A forest of the schema of set with n trees, saved to path. */
static void make_model(enum eg_feature_set set, unsigned trees,
		       const char *path)
{
	static const char *const classes[] = { "expected", "not_justified" };
	const struct eg_schema *s = eg_schema_get(set);
	struct eg_train_params p;
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	float x[256] = { 0 };
	unsigned i;

	if (s->n > 256 || eg_dataset_new(s->n, s->names, 2, classes, &d) < 0 ||
	    eg_dataset_set_schema(d, s->name, s->version) < 0) {
		fprintf(stderr, "dataset\n");
		exit(1);
	}
	for (i = 0; i < 40; i++) {
		x[0] = (float)i;
		x[s->n - 1] = (float)(i % 7);
		if (eg_dataset_add(d, x, i < 20 ? 0 : 1, NULL) < 0)
			exit(1);
	}
	eg_train_params_default(&p);
	p.trees = trees;
	p.seed = 1;
	if (eg_train(d, NULL, 0, &p, &f, err, sizeof(err)) < 0 ||
	    eg_forest_save(f, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	eg_forest_free(f);
	eg_dataset_free(d);
}

/* Choose with learned set to path; returns eg_model_choose's result. */
static int choose(const char *path, struct eg_model_choice *ch,
		  unsigned *ret_trees)
{
	struct eg_config c;
	struct eg_forest *f = NULL;
	int r;

	eg_config_default(&c);
	snprintf(c.model.path, sizeof(c.model.path), "%s", shipped);
	snprintf(c.model.learned, sizeof(c.model.learned), "%s", path);
	c.model.features = EG_FEATURES_SHAPE;
	r = eg_model_choose(&c, &f, ch, err, sizeof(err));
	if (r == 0)
		*ret_trees = eg_forest_n_trees(f);
	eg_forest_free(f);
	return r;
}

static void test_off_and_missing(void)
{
	struct eg_model_choice ch;
	unsigned trees = 0;

	CHECK_EQ(choose("", &ch, &trees), 0);
	CHECK_EQ(ch.kind, EG_MODEL_SHIPPED);
	CHECK_STREQ(ch.path, shipped);
	CHECK_STREQ(ch.warning, "");
	CHECK_EQ(trees, 3);
	/* not installed: the shipped model, silently */
	CHECK_EQ(choose(learned, &ch, &trees), 0);
	CHECK_EQ(ch.kind, EG_MODEL_SHIPPED);
	CHECK_STREQ(ch.warning, "");
	CHECK_STREQ(eg_model_kind_name(ch.kind), "shipped");
}

static void test_learned(void)
{
	struct eg_model_choice ch;
	unsigned trees = 0;

	make_model(EG_FEATURES_SHAPE, 5, learned);
	CHECK_EQ(choose(learned, &ch, &trees), 0);
	CHECK_EQ(ch.kind, EG_MODEL_LEARNED);
	CHECK_STREQ(ch.path, learned);
	CHECK_STREQ(ch.warning, "");
	CHECK_EQ(trees, 5);
	CHECK_STREQ(eg_model_kind_name(ch.kind), "learned");
}

/* The learned file exists but cannot run: shipped, and why. */
static void check_fallback(const char *path, const char *why)
{
	struct eg_model_choice ch;
	unsigned trees = 0;

	CHECK_EQ(choose(path, &ch, &trees), 0);
	CHECK_EQ(ch.kind, EG_MODEL_SHIPPED);
	CHECK_STREQ(ch.path, shipped);
	CHECK_EQ(trees, 3);
	CHECK(strncmp(ch.warning, path, strlen(path)) == 0);
	CHECK(strstr(ch.warning, why) != NULL);
	if (!strstr(ch.warning, why))
		fprintf(stderr, "    warning \"%s\", wanted \"%s\"\n",
			ch.warning, why);
}

static void test_fallbacks(void)
{
	char path[400];

	/* corrupt: the first 200 bytes of a valid model */
	CHECK_EQ(truncate(learned, 200), 0);
	check_fallback(learned, "truncated");
	/* another feature schema than [model] features */
	make_model(EG_FEATURES_FLOW, 4, other);
	check_fallback(other, "schema");
	/* not a regular file */
	check_fallback(dir, "not a regular file");
	/* unreadable: a path through a file */
	snprintf(path, sizeof(path), "%s/x", shipped);
	check_fallback(path, strerror(ENOTDIR));
}

/* A shipped model that does not load fails; nothing is written. */
static void test_shipped_broken(void)
{
	struct eg_model_choice ch, before;
	struct eg_config c;
	struct eg_forest *f = (struct eg_forest *)&ch;

	eg_config_default(&c);
	snprintf(c.model.path, sizeof(c.model.path), "%s", learned); /* cut */
	c.model.learned[0] = 0;
	memset(&ch, 0x5a, sizeof(ch));
	before = ch;
	CHECK(eg_model_choose(&c, &f, &ch, err, sizeof(err)) < 0);
	CHECK(strstr(err, learned) != NULL);
	CHECK(f == (struct eg_forest *)&ch);
	CHECK(memcmp(&ch, &before, sizeof(ch)) == 0);
}

int main(void)
{
	char cmd[400];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(shipped, sizeof(shipped), "%s/shipped.egf", dir);
	snprintf(learned, sizeof(learned), "%s/learned.egf", dir);
	snprintf(other, sizeof(other), "%s/flow.egf", dir);
	make_model(EG_FEATURES_SHAPE, 3, shipped);
	test_off_and_missing();
	test_learned();
	test_fallbacks();
	test_shipped_broken();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return eg_test_done();
}
