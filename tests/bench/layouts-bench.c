/* SPDX-License-Identifier: MIT */
/*
 * layouts-bench MODEL DATA.csv [ROWS]: every inference layout of
 * docs/forest.md side by side with the production one (eg_forest_predict,
 * compact8-dfs-x16) in one run, on the CSV's rows in order, one row at a
 * time as the daemon predicts per packet. Reports ns per row in thread CPU
 * time (the machine is shared; wall time counts other processes' turns),
 * the ratio to production, and bytes; production's batch path too. Exits
 * 1 when a layout predicts a different class or probability for any row.
 * Run by bench-layouts.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echoguard/data/dataset.h"
#include "layouts.h"

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One row at a time for at least 0.3 s; ns per row. l NULL: production. */
static double time_one(const struct eg_forest *f, const struct layout *l,
		       const float *x, unsigned n, uint32_t *cls)
{
	float proba[EG_MAX_CLASSES];
	unsigned i, rep = 0;
	double t0 = cpu_now();

	do {
		for (i = 0; i < n; i++) {
			const float *row = x + (size_t)i * f->n_features;

			cls[i] = l ? layout_predict(l, row, proba) :
				     eg_forest_predict(f, row, proba);
		}
		rep++;
	} while (cpu_now() - t0 < 0.3);
	return (cpu_now() - t0) / ((double)rep * n) * 1e9;
}

static double time_batch(const struct eg_forest *f, const float *x,
			 unsigned n, uint32_t *cls)
{
	unsigned rep = 0;
	double t0 = cpu_now();

	do {
		eg_forest_predict_batch(f, x, n, cls, NULL);
		rep++;
	} while (cpu_now() - t0 < 0.3);
	return (cpu_now() - t0) / ((double)rep * n) * 1e9;
}

/* Same class and bit-identical probabilities as production on every row. */
static int same_as_production(const struct eg_forest *f,
			      const struct layout *l, const float *x,
			      unsigned n)
{
	float pa[EG_MAX_CLASSES], pb[EG_MAX_CLASSES];
	unsigned i;

	for (i = 0; i < n; i++) {
		const float *row = x + (size_t)i * f->n_features;

		if (eg_forest_predict(f, row, pa) !=
		    layout_predict(l, row, pb) ||
		    memcmp(pa, pb, f->n_classes * sizeof(float)))
			return 0;
	}
	return 1;
}

static int run(const struct eg_forest *f, const float *x, unsigned n,
	       uint32_t *cls)
{
	double ref = time_one(f, NULL, x, n, cls), t;
	unsigned k;

	printf("%-20s %12s %8s %12s\n", "layout", "one row ns", "ratio",
	       "bytes");
	printf("%-20s %12.1f %8.2f %12zu\n", "compact8-dfs-x16 *", ref, 1.0,
	       eg_forest_mem_bytes(f));
	for (k = 0; k < LAYOUT_COUNT; k++) {
		struct layout l;
		int r = layout_build(f, (enum layout_kind)k, &l);

		if (r < 0) {
			fprintf(stderr, "%s: %s\n", layout_name(k), strerror(-r));
			return 1;
		}
		if (!same_as_production(f, &l, x, n)) {
			fprintf(stderr, "%s predicts differently from production\n",
				layout_name(k));
			layout_done(&l);
			return 1;
		}
		t = time_one(f, &l, x, n, cls);
		printf("%-20s %12.1f %8.2f %12zu\n", layout_name(k), t, t / ref,
		       layout_bytes(&l));
		layout_done(&l);
	}
	t = time_batch(f, x, n, cls);
	printf("%-20s %12.1f %8.2f %12zu\n", "production batch", t, t / ref,
	       eg_forest_mem_bytes(f));
	printf("(* = production; ratio = ns per row / production one-row ns;"
	       " %u rows)\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct eg_dataset_spec spec = { 0 };
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	uint32_t *cls = NULL;
	char err[1024];
	unsigned n;
	int rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: layouts-bench MODEL DATA.csv [ROWS]\n");
		return 2;
	}
	if (eg_forest_load(argv[1], NULL, &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	spec.features = (const char *const *)f->feature_names;
	spec.n_features = f->n_features;
	if (eg_dataset_load(&spec, (const char *const *)&argv[2], 1, &d, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
	n = n && n < d->n_rows ? n : (unsigned)d->n_rows;
	cls = malloc((n ? n : 1) * sizeof(*cls));
	if (cls && n)
		rc = run(f, d->x, n, cls);
out:
	free(cls);
	eg_dataset_free(d);
	eg_forest_free(f);
	return rc;
}
