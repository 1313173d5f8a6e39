/* SPDX-License-Identifier: MIT */
/*
 * echoguard model info|dump|bench: inspect a model file, and measure
 * inference per layout (the numbers in docs/forest.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "echoguard/forest/train.h"
#include "forest-common.h"
#include "forest-internal.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: echoguard model info MODEL\n"
"       echoguard model dump MODEL [TREE]\n"
"       echoguard model bench MODEL DATA.csv [ROWS]\n");
}

static int info(const char *path, const struct eg_forest *f)
{
	double *imp = malloc(f->n_features * sizeof(double));
	struct stat st;
	unsigned i;

	printf("file:       %s (%lld bytes)\n", path,
	       stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
	printf("schema:     %s version %u, %u features\n", f->schema_name,
	       f->schema_version, f->n_features);
	printf("features:  ");
	for (i = 0; i < f->n_features; i++)
		printf(" %s", f->feature_names[i]);
	printf("\nclasses:    %u:", f->n_classes);
	for (i = 0; i < f->n_classes; i++)
		printf(" %s", f->class_names[i]);
	printf("\ntrees:      %u, %zu nodes, %zu leaves, max depth %u\n",
	       f->n_trees, f->n_nodes, f->n_leaves, f->max_depth);
	printf("inference:  %zu bytes in layout %s\n", eg_forest_mem_bytes(f),
	       eg_layout_name(f->layout));
	printf("metadata:   %s\n", eg_forest_meta(f)[0] ? eg_forest_meta(f) :
	       "(none)");
	if (imp) {
		eg_forest_importances(f, imp);
		eg_report_print_importances(imp,
			(const char *const *)f->feature_names, f->n_features,
			stdout);
		free(imp);
	}
	return 0;
}

static void dump_tree(const struct eg_forest *f, unsigned t)
{
	const struct eg_rawtree *tr = &f->trees[t];
	uint32_t *depth = calloc(tr->n_nodes, sizeof(*depth)), i, c;

	printf("tree %u: %u nodes, %u leaves\n", t, tr->n_nodes, tr->n_leaves);
	for (i = 0; i < tr->n_nodes; i++) {
		const struct eg_rawnode *n = &tr->nodes[i];
		unsigned d = depth ? depth[i] : 0;

		printf("%*s[%u] ", (int)(2 * d), "", i);
		if (n->feature == EG_LEAF_FEATURE) {
			const double *p = tr->leaf_proba +
				(size_t)n->left * f->n_classes;

			printf("leaf");
			for (c = 0; c < f->n_classes; c++)
				if (p[c] > 0)
					printf(" %s=%.4g", f->class_names[c], p[c]);
			printf("\n");
			continue;
		}
		printf("%s <= %.9g ? [%u] : [%u]\n",
		       f->feature_names[n->feature], n->threshold, n->left,
		       n->right);
		if (depth) {
			depth[n->left] = d + 1;
			depth[n->right] = d + 1;
		}
	}
	free(depth);
}

/* CPU time of this thread: the machine is shared, and wall time would
 * count other processes' turns on the core. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench(const struct eg_forest *cf, const char *csv, unsigned rows)
{
	struct eg_forest *f = (struct eg_forest *)cf;
	struct eg_dataset_spec spec = { 0 };
	struct eg_dataset *d = NULL;
	const char **fn = malloc(f->n_features * sizeof(*fn));
	uint32_t *cls = NULL, *ref = NULL;
	float proba[EG_MAX_CLASSES];
	char err[1024];
	unsigned i, l, n, rep;
	int r = -ENOMEM;

	if (!fn)
		return r;
	for (i = 0; i < f->n_features; i++)
		fn[i] = f->feature_names[i];
	spec.features = fn;
	spec.n_features = f->n_features;
	r = eg_dataset_load(&spec, &csv, 1, &d, err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		goto out;
	}
	n = rows && rows < d->n_rows ? rows : d->n_rows;
	cls = malloc(n * sizeof(*cls));
	ref = malloc(n * sizeof(*ref));
	if (!cls || !ref)
		goto out;
	printf("%-16s %12s %12s %10s  (* = default)\n", "layout", "one-row ns",
	       "batch ns/row", "bytes");
	for (l = 0; l < EG_LAYOUT_COUNT; l++) {
		double t0, one, batch;
		unsigned sink = 0;

		r = eg_forest_set_layout(f, (enum eg_layout)l);
		if (r < 0)
			goto out;
		/* One row at a time, as the daemon calls it per packet. */
		rep = 0;
		t0 = cpu_now();
		do {
			for (i = 0; i < n; i++)
				sink += eg_forest_predict(f, d->x + (size_t)i *
							  f->n_features, proba);
			rep++;
		} while (cpu_now() - t0 < 0.3);
		one = (cpu_now() - t0) / ((double)rep * n) * 1e9;
		rep = 0;
		t0 = cpu_now();
		do {
			eg_forest_predict_batch(f, d->x, n, cls, NULL);
			rep++;
		} while (cpu_now() - t0 < 0.3);
		batch = (cpu_now() - t0) / ((double)rep * n) * 1e9;
		if (l == 0)
			memcpy(ref, cls, n * sizeof(*ref));
		else if (memcmp(ref, cls, n * sizeof(*ref))) {
			cli_error("layout %s predicts differently", eg_layout_name(l));
			r = -EPROTO;
			goto out;
		}
		printf("%-16s %12.1f %12.1f %10zu%s\n", eg_layout_name(l), one,
		       batch, eg_forest_mem_bytes(f),
		       l == EG_LAYOUT_DEFAULT ? " *" :
		       sink == 0xffffffff ? " " : "");
	}
	r = eg_forest_set_layout(f, EG_LAYOUT_DEFAULT);
out:
	free(fn);
	free(cls);
	free(ref);
	eg_dataset_free(d);
	return r;
}

int cmd_model(int argc, char **argv)
{
	struct eg_forest *f = NULL;
	char err[1024];
	int rc = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (eg_forest_load(argv[2], NULL, &f, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 1;
	}
	if (!strcmp(argv[1], "info")) {
		info(argv[2], f);
	} else if (!strcmp(argv[1], "dump")) {
		unsigned t, from = 0, to = f->n_trees;

		if (argc > 3) {
			from = (unsigned)strtoul(argv[3], NULL, 10);
			if (from >= f->n_trees) {
				cli_error("tree %s: the model has %u trees",
					  argv[3], f->n_trees);
				rc = 2;
				goto out;
			}
			to = from + 1;
		}
		for (t = from; t < to; t++)
			dump_tree(f, t);
	} else if (!strcmp(argv[1], "bench") && argc >= 4) {
		if (bench(f, argv[3], argc > 4 ?
			  (unsigned)strtoul(argv[4], NULL, 10) : 0) < 0)
			rc = 1;
	} else {
		usage(stderr);
		rc = 2;
	}
out:
	eg_forest_free(f);
	return rc;
}
