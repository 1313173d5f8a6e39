/* SPDX-License-Identifier: MIT */
/* echoguard eval: a model's classification report on new feature CSVs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "echoguard/forest/train.h"
#include "forest-common.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: echoguard eval --model MODEL [--label NAME] "
		"[--report DIR]\n"
		"                     [--predictions FILE] DATA.csv...\n"
		"  --predictions FILE  write each row's predicted class name, one "
		"per line\n");
}

static int write_predictions(const char *path, const struct eg_forest *f,
			     const struct eg_dataset *d)
{
	FILE *out = fopen(path, "we");
	uint32_t i;

	if (!out) {
		cli_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	for (i = 0; i < d->n_rows; i++)
		fprintf(out, "%s\n", eg_forest_class_name(f,
			eg_forest_predict(f, d->x + (size_t)i * d->n_features,
					  NULL)));
	if (fclose(out)) {
		cli_error("%s: write error", path);
		return -EIO;
	}
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' },
		{ "report", required_argument, NULL, 'r' },
		{ "predictions", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model = NULL, *label = "class", *report = NULL;
	const char *predictions = NULL;
	struct eg_dataset_spec spec = { 0 };
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	struct eg_report *rep = NULL;
	const char **fn = NULL, **cn = NULL;
	char err[1024];
	unsigned i;
	size_t unknown = 0;
	double t0;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'l': label = optarg; break;
		case 'r': report = optarg; break;
		case 'p': predictions = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!model || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (eg_forest_load(model, NULL, &f, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 2;
	}
	fn = malloc(eg_forest_n_features(f) * sizeof(*fn));
	cn = malloc(eg_forest_n_classes(f) * sizeof(*cn));
	if (!fn || !cn)
		goto out;
	for (i = 0; i < eg_forest_n_features(f); i++)
		fn[i] = eg_forest_feature_name(f, i);
	for (i = 0; i < eg_forest_n_classes(f); i++)
		cn[i] = eg_forest_class_name(f, i);
	/* Columns by the model's own feature names, classes by its names. */
	spec.features = fn;
	spec.n_features = eg_forest_n_features(f);
	spec.label = label;
	spec.classes = cn;
	spec.n_classes = eg_forest_n_classes(f);
	if (eg_dataset_load(&spec, (const char *const *)argv + optind,
			    (unsigned)(argc - optind), &d, err,
			    sizeof(err)) < 0) {
		cli_error("%s", err);
		if (strstr(err, "unknown class")) {
			fprintf(stderr, "echoguard: model %s knows the classes:",
				model);
			for (i = 0; i < spec.n_classes; i++)
				fprintf(stderr, " %s", cn[i]);
			fputc('\n', stderr);
		}
		rc = 1;
		goto out;
	}
	t0 = fc_now();
	if (fc_evaluate(f, d, NULL, 0, &rep, &unknown) < 0)
		goto out;
	fprintf(stderr, "predicted %u rows in %.3f s\n", d->n_rows,
		fc_now() - t0);
	printf("model %s (%u trees, schema %s v%u) on %d file(s), %u rows:\n\n",
	       model, eg_forest_n_trees(f), eg_forest_schema_name(f),
	       eg_forest_schema_version(f), argc - optind, d->n_rows);
	eg_report_print(rep, stdout);
	if (predictions && write_predictions(predictions, f, d) < 0)
		goto out;
	if (report && fc_write_report_dir(report, rep, f, eg_forest_meta(f)[0] ?
					  eg_forest_meta(f) : NULL,
					  "echoguard eval") < 0)
		goto out;
	rc = 0;
out:
	free(fn);
	free(cn);
	eg_report_free(rep);
	eg_dataset_free(d);
	eg_forest_free(f);
	return rc;
}
