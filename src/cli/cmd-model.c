/* SPDX-License-Identifier: MIT */
/*
 * echoguard model info|dump|bench: inspect a model file, and time its
 * inference (the layout comparison is tests/bench/bench-layouts.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "echoguard/forest/inspect.h"
#include "echoguard/forest/train.h"
#include "forest-common.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: echoguard model info MODEL\n"
"       echoguard model dump MODEL [TREE]\n"
"       echoguard model bench MODEL DATA.csv [ROWS]\n");
}

static void print_names(const char *label, unsigned n,
			const char *(*name)(const struct eg_forest *, unsigned),
			const struct eg_forest *f)
{
	unsigned i;

	printf("%s", label);
	for (i = 0; i < n; i++)
		printf(" %s", name(f, i));
}

static int info(const char *path, const struct eg_forest *f)
{
	unsigned nf = eg_forest_n_features(f), i;
	double *imp = malloc(nf * sizeof(double));
	const char **names = malloc(nf * sizeof(*names));
	struct stat st;

	printf("file:       %s (%lld bytes)\n", path,
	       stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
	printf("schema:     %s version %u, %u features\n",
	       eg_forest_schema_name(f), eg_forest_schema_version(f), nf);
	print_names("features:  ", nf, eg_forest_feature_name, f);
	printf("\nclasses:    %u:", eg_forest_n_classes(f));
	print_names("", eg_forest_n_classes(f), eg_forest_class_name, f);
	printf("\ntrees:      %u, %zu nodes, %zu leaves, max depth %u\n",
	       eg_forest_n_trees(f), eg_forest_n_nodes(f),
	       eg_forest_n_leaves(f), eg_forest_max_depth(f));
	printf("inference:  %zu bytes in layout %s\n", eg_forest_mem_bytes(f),
	       "compact8-dfs-x16");
	printf("metadata:   %s\n", eg_forest_meta(f)[0] ? eg_forest_meta(f) :
	       "(none)");
	if (imp && names) {
		for (i = 0; i < nf; i++)
			names[i] = eg_forest_feature_name(f, i);
		eg_forest_importances(f, imp);
		eg_report_print_importances(imp, names, nf, stdout);
	}
	free(imp);
	free(names);
	return 0;
}

static void dump_leaf(const struct eg_forest *f, const double *p)
{
	unsigned c;

	printf("leaf");
	for (c = 0; c < eg_forest_n_classes(f); c++)
		if (p[c] > 0)
			printf(" %s=%.4g", eg_forest_class_name(f, c), p[c]);
	printf("\n");
}

static void dump_tree(const struct eg_forest *f, unsigned t)
{
	uint32_t nn = eg_forest_tree_n_nodes(f, t), i;
	uint32_t *depth = calloc(nn, sizeof(*depth));
	struct eg_forest_node n;

	printf("tree %u: %u nodes, %u leaves\n", t, nn,
	       eg_forest_tree_n_leaves(f, t));
	for (i = 0; i < nn && eg_forest_tree_node(f, t, i, &n) == 0; i++) {
		unsigned d = depth ? depth[i] : 0;

		printf("%*s[%u] ", (int)(2 * d), "", i);
		if (n.leaf) {
			dump_leaf(f, n.proba);
			continue;
		}
		printf("%s <= %.9g ? [%u] : [%u]\n",
		       eg_forest_feature_name(f, n.feature), n.threshold,
		       n.left, n.right);
		if (depth) {
			depth[n.left] = d + 1;
			depth[n.right] = d + 1;
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

/* ns per row: one row at a time, as the daemon calls it per packet, or
 * the whole set in one eg_forest_predict_batch call; repeated for 0.3 s. */
static double time_rows(const struct eg_forest *f, const float *x,
			unsigned n, uint32_t *cls, int batch)
{
	float proba[EG_MAX_CLASSES];
	unsigned nf = eg_forest_n_features(f), i, rep = 0;
	double t0 = cpu_now();

	do {
		if (batch)
			eg_forest_predict_batch(f, x, n, cls, NULL);
		else
			for (i = 0; i < n; i++)
				cls[i] = eg_forest_predict(f, x + (size_t)i * nf,
							   proba);
		rep++;
	} while (cpu_now() - t0 < 0.3);
	return (cpu_now() - t0) / ((double)rep * n) * 1e9;
}

static int bench(const struct eg_forest *f, const char *csv, unsigned rows)
{
	struct eg_dataset_spec spec = { 0 };
	struct eg_dataset *d = NULL;
	unsigned nf = eg_forest_n_features(f), i, n;
	const char **fn = malloc(nf * sizeof(*fn));
	uint32_t *one = NULL, *batch = NULL;
	double t_one, t_batch;
	char err[1024];
	int r = -ENOMEM;

	if (!fn)
		return r;
	for (i = 0; i < nf; i++)
		fn[i] = eg_forest_feature_name(f, i);
	spec.features = fn;
	spec.n_features = nf;
	r = eg_dataset_load(&spec, &csv, 1, &d, err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		goto out;
	}
	n = rows && rows < d->n_rows ? rows : d->n_rows;
	one = malloc(n * sizeof(*one));
	batch = malloc(n * sizeof(*batch));
	r = -ENOMEM;
	if (!one || !batch)
		goto out;
	t_one = time_rows(f, d->x, n, one, 0);
	t_batch = time_rows(f, d->x, n, batch, 1);
	r = 0;
	if (memcmp(one, batch, n * sizeof(*one))) {
		cli_error("batch and one-row predictions differ");
		r = -EPROTO;
	}
	/* The table models/card.py reads (layout, ns, ns, bytes). */
	printf("%-16s %12s %12s %10s  (%u rows)\n", "layout", "one-row ns",
	       "batch ns/row", "bytes", n);
	printf("%-16s %12.1f %12.1f %10zu\n", "compact8-dfs-x16", t_one,
	       t_batch, eg_forest_mem_bytes(f));
out:
	free(fn);
	free(one);
	free(batch);
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
		unsigned t, from = 0, to = eg_forest_n_trees(f);

		if (argc > 3) {
			from = (unsigned)strtoul(argv[3], NULL, 10);
			if (from >= to) {
				cli_error("tree %s: the model has %u trees",
					  argv[3], to);
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
