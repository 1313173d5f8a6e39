// SPDX-License-Identifier: MIT
/*
 * egtrain: the smallest trainer that gives the e2e tests a model of the
 * seed schema from `echoguard extract` CSVs, through the same core calls
 * as `echoguard train` (eg_dataset_load, eg_train, eg_forest_save). The
 * tests prefer `echoguard train` when it is built.
 *
 *   egtrain OUT.egf TREES SEED CSV...
 */
#include <stdio.h>
#include <stdlib.h>

#include "echoguard/dataset.h"
#include "echoguard/features.h"
#include "echoguard/forest.h"
#include "echoguard/train.h"

int main(int argc, char **argv)
{
	const char *classes[EG_CLASS_COUNT];
	struct eg_dataset_spec spec = { 0 };
	struct eg_train_params p;
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	char err[4096];
	int r;

	if (argc < 5) {
		fprintf(stderr, "usage: egtrain OUT.egf TREES SEED CSV...\n");
		return 2;
	}
	for (unsigned c = 0; c < EG_CLASS_COUNT; c++)
		classes[c] = eg_class_name((enum eg_class)c);
	spec.schema = eg_schema_get(EG_FEATURES_SEED);
	spec.classes = classes;
	spec.n_classes = EG_CLASS_COUNT;
	r = eg_dataset_load(&spec, (const char *const *)argv + 4,
			    (unsigned)(argc - 4), &d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "egtrain: %s\n", err);
		return 1;
	}
	eg_train_params_default(&p);
	p.trees = (unsigned)atoi(argv[2]);
	p.seed = strtoull(argv[3], NULL, 0);
	p.threads = 2;
	r = eg_train(d, NULL, 0, &p, &f, err, sizeof(err));
	if (r == 0)
		r = eg_forest_save(f, argv[1], err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "egtrain: %s\n", err);
	else
		printf("egtrain: %u rows, %u trees -> %s\n", d->n_rows,
		       eg_forest_n_trees(f), argv[1]);
	eg_forest_free(f);
	eg_dataset_free(d);
	return r < 0 ? 1 : 0;
}
