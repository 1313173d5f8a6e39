/* SPDX-License-Identifier: MIT */
/*
 * test-sklearn.c: src/cli/sklearn2eg.py exports a fitted sklearn
 * RandomForestClassifier; echoguard must predict exactly what sklearn
 * predicts on 10,000 rows not seen in training. Two forests: full trees
 * (pure leaves) and depth-limited trees (leaf probabilities matter).
 * Skipped (77) when Debian's /usr/bin/python3 lacks sklearn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"
#include "tap.h"

#define N_TEST 10000

static const char *const cls[] = { "ack", "expected", "handshake", "justified" };

/* Rows like packets: integer lengths and ports, float gaps, flags, noise. */
static void write_csv(const char *path, unsigned n, uint64_t seed)
{
	FILE *f = fopen(path, "w");
	struct eg_rng r;
	unsigned i;

	eg_rng_seed(&r, seed, 2);
	fprintf(f, "length,dstport,delta,ack_flag,class,source\n");
	for (i = 0; i < n; i++) {
		unsigned y = (unsigned)eg_rng_below(&r, 4);
		unsigned len = y == 0 ? 0 : (unsigned)(y * 150 + eg_rng_below(&r, 400));
		float delta = (float)(eg_rng_double(&r) * (y == 3 ? 10 : 2));

		fprintf(f, "%u,%u,%.9g,%u,%s,s%u\n", len,
			eg_rng_double(&r) < 0.9 ? 443 : 80 + y, delta,
			(unsigned)eg_rng_below(&r, 2), cls[y], i % 7);
	}
	fclose(f);
}

static void compare(const char *dir, const char *train, const char *test,
		    const char *extra)
{
	char cmd[16384], model[4200], pred[4200], err[512], line[64];
	struct eg_dataset_spec spec = { 0 };
	static const char *const feats[] = { "length", "dstport", "delta",
					     "ack_flag" };
	const char *files[1] = { test };
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	unsigned i, same = 0;
	FILE *p;

	snprintf(model, sizeof(model), "%s/sk.egm", dir);
	snprintf(pred, sizeof(pred), "%s/sk.pred", dir);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/src/cli/sklearn2eg.py "
		 "fit %s -o %s --features length,dstport,delta,ack_flag %s "
		 "--predict %s %s", EG_SOURCE_DIR, train, model, extra, test,
		 pred);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(eg_forest_load(model, NULL, &f, err, sizeof(err)), 0);
	spec.features = feats;
	spec.n_features = 4;
	CHECK_EQ(eg_dataset_load(&spec, files, 1, &d, err, sizeof(err)), 0);
	p = fopen(pred, "r");
	CHECK(f && d && p);
	if (!f || !d || !p)
		goto out;
	CHECK_EQ(d->n_rows, N_TEST);
	for (i = 0; i < d->n_rows && fgets(line, sizeof(line), p); i++) {
		unsigned c = eg_forest_predict(f, d->x + (size_t)i * 4, NULL);

		line[strcspn(line, "\n")] = 0;
		same += !strcmp(line, eg_forest_class_name(f, c));
	}
	printf("sklearn %s: %u of %u predictions identical\n", extra, same,
	       d->n_rows);
	CHECK_EQ(same, N_TEST);
out:
	if (p)
		fclose(p);
	eg_dataset_free(d);
	eg_forest_free(f);
}

int main(void)
{
	char dir[] = "/tmp/eg-test-sklearn-XXXXXX", train[64], test[64];
	char cmd[128];

	if (system("/usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null"))
		eg_test_skip("/usr/bin/python3 has no sklearn (Debian's "
			     "python3-sklearn)");
	if (!mkdtemp(dir))
		eg_test_skip("cannot make a temporary directory");
	snprintf(train, sizeof(train), "%s/train.csv", dir);
	snprintf(test, sizeof(test), "%s/test.csv", dir);
	write_csv(train, 4000, 1);
	write_csv(test, N_TEST, 2);
	compare(dir, train, test, "--trees 25");
	compare(dir, train, test, "--trees 40 --max-depth 5");
	compare(dir, train, test, "--trees 1 --max-features all");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
	return eg_test_done();
}
