/* SPDX-License-Identifier: MIT */
/*
 * echoguard train: feature CSVs -> random forest model, with an honest
 * evaluation (random or capture-grouped split, optional k-fold CV) printed
 * in sklearn's layout and written to --report DIR.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "echoguard/forest/train.h"
#include "forest-common.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: echoguard train [OPTIONS] -o MODEL DATA.csv...\n"
"  --trees N            trees (100)\n"
"  --max-depth D        maximum depth, 0 = unlimited (0)\n"
"  --min-leaf K         minimum rows in a leaf (1)\n"
"  --max-features F     sqrt|log2|all|N features tried per split (sqrt)\n"
"  --criterion C        gini|entropy (gini)\n"
"  --balance B          none|smote|weights, training part only (none)\n"
"  --no-bootstrap       grow every tree on all training rows\n"
"  --seed S             random seed for split and trees (6, as the paper)\n"
"  --threads T          training threads (1)\n"
"  --split S            random|group|none (random; group keeps each\n"
"                       capture wholly in train or test)\n"
"  --test-size F        test share (0.3)\n"
"  --cv K               also report stratified K-fold cross-validation\n"
"  --features SET       auto|seed|flow|shape|custom columns (auto)\n"
"  --columns A,B,...    explicit feature columns (schema \"custom\")\n"
"  --label NAME         label column (class)\n"
"  --group NAME         group column for --split group (source)\n"
"  --report DIR         write report.json, report.svg, report.txt\n"
"  -o, --output MODEL   model file to write\n");
}

enum { O_TREES = 256, O_DEPTH, O_LEAF, O_MAXF, O_CRIT, O_BAL, O_NOBOOT,
       O_SEED, O_THREADS, O_SPLIT, O_TEST, O_CV, O_FEAT, O_COLS, O_LABEL,
       O_GROUP, O_REPORT };

static const struct option opts[] = {
	{ "trees", required_argument, NULL, O_TREES },
	{ "max-depth", required_argument, NULL, O_DEPTH },
	{ "min-leaf", required_argument, NULL, O_LEAF },
	{ "max-features", required_argument, NULL, O_MAXF },
	{ "criterion", required_argument, NULL, O_CRIT },
	{ "balance", required_argument, NULL, O_BAL },
	{ "no-bootstrap", no_argument, NULL, O_NOBOOT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "split", required_argument, NULL, O_SPLIT },
	{ "test-size", required_argument, NULL, O_TEST },
	{ "cv", required_argument, NULL, O_CV },
	{ "features", required_argument, NULL, O_FEAT },
	{ "columns", required_argument, NULL, O_COLS },
	{ "label", required_argument, NULL, O_LABEL },
	{ "group", required_argument, NULL, O_GROUP },
	{ "report", required_argument, NULL, O_REPORT },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct targs {
	struct eg_train_params p;
	const char *split, *features, *columns, *label, *group, *report, *out;
	double test_size;
	unsigned cv;
};

static int parse_uint(const char *opt, const char *s, unsigned long max,
		      unsigned long *ret)
{
	unsigned long v, min = 0;
	char *end;

	/* Counts that cannot be zero. */
	if (!strcmp(opt, "--trees") || !strcmp(opt, "--min-leaf") ||
	    !strcmp(opt, "--threads"))
		min = 1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || *s == '-') {
		cli_error("%s: \"%s\" is not an integer in [%lu, %lu]", opt, s,
			  min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct targs *a)
{
	unsigned long v;
	char *end;
	int c;

	eg_train_params_default(&a->p);
	a->p.seed = 6;
	a->split = "random";
	a->features = "auto";
	a->label = "class";
	a->group = "source";
	a->test_size = 0.3;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case O_TREES:
			if (parse_uint("--trees", optarg, 1u << 20, &v) || !v)
				return -1;
			a->p.trees = (unsigned)v;
			break;
		case O_DEPTH:
			if (parse_uint("--max-depth", optarg, 10000, &v))
				return -1;
			a->p.max_depth = (unsigned)v;
			break;
		case O_LEAF:
			if (parse_uint("--min-leaf", optarg, 1u << 30, &v) || !v)
				return -1;
			a->p.min_leaf = (unsigned)v;
			break;
		case O_MAXF:
			if (eg_train_parse_max_features(optarg, &a->p) < 0) {
				cli_error("--max-features: \"%s\" is not sqrt, "
					  "log2, all or a positive count", optarg);
				return -1;
			}
			break;
		case O_CRIT:
			if (!strcmp(optarg, "gini"))
				a->p.criterion = EG_CRIT_GINI;
			else if (!strcmp(optarg, "entropy"))
				a->p.criterion = EG_CRIT_ENTROPY;
			else {
				cli_error("--criterion: \"%s\" is not gini or "
					  "entropy", optarg);
				return -1;
			}
			break;
		case O_BAL:
			if (!strcmp(optarg, "none"))
				a->p.balance = EG_BALANCE_NONE;
			else if (!strcmp(optarg, "smote"))
				a->p.balance = EG_BALANCE_SMOTE;
			else if (!strcmp(optarg, "weights"))
				a->p.balance = EG_BALANCE_WEIGHTS;
			else {
				cli_error("--balance: \"%s\" is not none, smote "
					  "or weights", optarg);
				return -1;
			}
			break;
		case O_NOBOOT:
			a->p.bootstrap = false;
			break;
		case O_SEED:
			errno = 0;
			a->p.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				cli_error("--seed: \"%s\" is not an integer",
					  optarg);
				return -1;
			}
			break;
		case O_THREADS:
			if (parse_uint("--threads", optarg, 256, &v) || !v)
				return -1;
			a->p.threads = (unsigned)v;
			break;
		case O_SPLIT:
			if (strcmp(optarg, "random") && strcmp(optarg, "group") &&
			    strcmp(optarg, "none")) {
				cli_error("--split: \"%s\" is not random, group "
					  "or none", optarg);
				return -1;
			}
			a->split = optarg;
			break;
		case O_TEST:
			a->test_size = strtod(optarg, &end);
			if (end == optarg || *end || !(a->test_size > 0 &&
						       a->test_size < 1)) {
				cli_error("--test-size: \"%s\" is not in (0, 1)",
					  optarg);
				return -1;
			}
			break;
		case O_CV:
			if (parse_uint("--cv", optarg, 1000, &v) || v < 2) {
				cli_error("--cv: need at least 2 folds");
				return -1;
			}
			a->cv = (unsigned)v;
			break;
		case O_FEAT: a->features = optarg; break;
		case O_COLS: a->columns = optarg; break;
		case O_LABEL: a->label = optarg; break;
		case O_GROUP: a->group = optarg; break;
		case O_REPORT: a->report = optarg; break;
		case 'o': a->out = optarg; break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!a->out) {
		cli_error("train: -o MODEL is required");
		usage(stderr);
		return -1;
	}
	if (optind >= argc) {
		cli_error("train: no DATA.csv given");
		return -1;
	}
	return 0;
}

/* Split "a,b,c" in place into a vector. */
static const char **split_list(char *s, unsigned *ret_n)
{
	const char **v = calloc(strlen(s) + 2, sizeof(*v));
	unsigned n = 0;
	char *tok;

	if (!v)
		return NULL;
	while ((tok = strsep(&s, ",")))
		if (*tok)
			v[n++] = tok;
	*ret_n = n;
	return v;
}

static const char *crit_name(enum eg_criterion c)
{
	return c == EG_CRIT_ENTROPY ? "entropy" : "gini";
}

static const char *bal_name(enum eg_balance b)
{
	return b == EG_BALANCE_SMOTE ? "smote" :
	       b == EG_BALANCE_WEIGHTS ? "weights" : "none";
}

static char *build_meta(const struct targs *a, int nfiles, char **files,
			const struct eg_dataset *d, size_t n_train,
			size_t n_test, const struct eg_report *rep,
			double secs)
{
	char *buf = NULL, date[32];
	size_t len = 0;
	time_t now = time(NULL);
	FILE *m = open_memstream(&buf, &len);
	int i;

	if (!m)
		return NULL;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(m, "{\"tool\": \"echoguard %s\", \"date\": \"%s\", \"data\": [",
		EG_VERSION, date);
	for (i = 0; i < nfiles; i++) {
		const char *s;

		fputs(i ? ", \"" : "\"", m);
		for (s = files[i]; *s; s++)
			if (*s == '"' || *s == '\\')
				fprintf(m, "\\%c", *s);
			else if ((unsigned char)*s >= 0x20)
				fputc(*s, m);
		fputc('"', m);
	}
	fprintf(m, "], \"rows\": %u, \"train_rows\": %zu, \"test_rows\": %zu, "
		"\"params\": {\"trees\": %u, \"max_depth\": %u, \"min_leaf\": %u, "
		"\"max_features\": %u, \"criterion\": \"%s\", \"balance\": \"%s\", "
		"\"bootstrap\": %s, \"seed\": %llu, \"threads\": %u, "
		"\"split\": \"%s\", \"test_size\": %g}, \"train_seconds\": %.3f",
		d->n_rows, n_train, n_test, a->p.trees, a->p.max_depth,
		a->p.min_leaf, a->p.max_features == EG_MAXF_N ?
		a->p.max_features_n : 0, crit_name(a->p.criterion),
		bal_name(a->p.balance), a->p.bootstrap ? "true" : "false",
		(unsigned long long)a->p.seed, a->p.threads, a->split,
		a->test_size, secs);
	if (rep)
		fprintf(m, ", \"test_accuracy\": %.6f, \"test_macro_f1\": %.6f",
			rep->accuracy, rep->macro_f1);
	fputc('}', m);
	fclose(m);
	return buf;
}

static int run_cv(const struct targs *a, const struct eg_dataset *d)
{
	uint32_t *fold = malloc(d->n_rows * sizeof(*fold));
	uint32_t *tr = malloc(d->n_rows * sizeof(*tr));
	uint32_t *te = malloc(d->n_rows * sizeof(*te));
	struct eg_report *total = NULL;
	char err[512];
	unsigned k;
	int r = -ENOMEM;

	if (!fold || !tr || !te)
		goto out;
	r = eg_split_kfold(d, a->cv, a->p.seed, !strcmp(a->split, "group"),
			   fold);
	if (r < 0) {
		cli_error("--cv %u: cannot make the folds (%s)", a->cv,
			  !strcmp(a->split, "group") ? "fewer groups than folds?"
			  : "fewer rows than folds?");
		goto out;
	}
	for (k = 0; k < a->cv; k++) {
		struct eg_forest *f = NULL;
		struct eg_report *rep = NULL;
		size_t ntr = 0, nte = 0, i;

		for (i = 0; i < d->n_rows; i++) {
			if (fold[i] == k)
				te[nte++] = (uint32_t)i;
			else
				tr[ntr++] = (uint32_t)i;
		}
		r = eg_train(d, tr, ntr, &a->p, &f, err, sizeof(err));
		if (r < 0) {
			cli_error("cv fold %u: %s", k, err);
			goto out;
		}
		r = fc_evaluate(f, d, te, nte, &rep, NULL);
		eg_forest_free(f);
		if (r < 0)
			goto out;
		fprintf(stderr, "cv fold %u/%u: accuracy %.4f on %zu rows\n",
			k + 1, a->cv, rep->accuracy, nte);
		if (!total)
			total = rep;
		else {
			eg_report_merge(total, rep);
			eg_report_free(rep);
		}
	}
	eg_report_finish(total);
	printf("%u-fold cross-validation (%s folds), all folds pooled:\n\n",
	       a->cv, !strcmp(a->split, "group") ? "grouped" : "stratified");
	eg_report_print(total, stdout);
	printf("\n");
	r = 0;
out:
	eg_report_free(total);
	free(fold);
	free(tr);
	free(te);
	return r;
}

static int load_data(const struct targs *a, int nfiles, char **files,
		     struct eg_dataset **ret)
{
	struct eg_dataset_spec spec = { 0 };
	const struct eg_schema *schema = NULL;
	char **hdr = NULL, *cols = NULL, err[1024];
	const char **names = NULL;
	unsigned nh = 0, nc = 0;
	int r;

	r = fc_read_header(files[0], &hdr, &nh);
	if (r < 0) {
		cli_error("%s: cannot read the header: %s", files[0],
			  strerror(-r));
		return r;
	}
	spec.label = a->label;
	if (fc_has_column(hdr, nh, a->group))
		spec.group = a->group;
	else if (!strcmp(a->split, "group")) {
		cli_error("%s:1: column %s: missing, needed by --split group",
			  files[0], a->group);
		r = -EINVAL;
		goto out;
	}
	if (a->columns) {
		cols = strdup(a->columns);
		names = cols ? split_list(cols, &nc) : NULL;
		if (!names || !nc) {
			cli_error("--columns: empty list");
			r = -EINVAL;
			goto out;
		}
		spec.features = names;
		spec.n_features = nc;
	} else {
		r = fc_pick_schema(a->features, hdr, nh, &schema);
		if (r < 0)
			goto out;
		spec.schema = schema;
	}
	r = eg_dataset_load(&spec, (const char *const *)files,
			    (unsigned)nfiles, ret, err, sizeof(err));
	if (r < 0)
		cli_error("%s", err);
out:
	fc_strv_free(hdr);
	free(names);
	free(cols);
	return r;
}

int cmd_train(int argc, char **argv)
{
	struct targs a = { 0 };
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	struct eg_report *rep = NULL;
	struct eg_split sp = { 0 };
	char err[1024], *meta = NULL, **files;
	int nfiles, r, rc = 2;
	unsigned c;
	struct cli_progress prog;
	double t0, secs;

	r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? 0 : 2;
	files = argv + optind;
	nfiles = argc - optind;
	t0 = fc_now();
	if (load_data(&a, nfiles, files, &d) < 0)
		return 1;
	fprintf(stderr, "loaded %u rows, %u features (schema %s v%u), %u "
		"classes, %u groups in %.2f s\n", d->n_rows, d->n_features,
		d->schema_name, d->schema_version, d->n_classes, d->n_groups,
		fc_now() - t0);
	if (a.cv && run_cv(&a, d) < 0)
		goto out;
	if (!strcmp(a.split, "random"))
		r = eg_split_random(d, a.test_size, a.p.seed, &sp);
	else if (!strcmp(a.split, "group"))
		r = eg_split_group(d, a.test_size, a.p.seed, &sp);
	else
		r = 0;
	if (r < 0) {
		cli_error("--split %s: cannot split %u rows%s", a.split,
			  d->n_rows, !strcmp(a.split, "group") ?
			  " (need at least two groups)" : "");
		goto out;
	}
	if (!strcmp(a.split, "none"))
		fprintf(stderr, "training on all %u rows (no test part)\n",
			d->n_rows);
	else
		fprintf(stderr, "split %s: %zu train rows, %zu test rows\n",
			a.split, sp.n_train, sp.n_test);
	t0 = fc_now();
	cli_progress_init(&prog, "train", a.p.trees);
	a.p.progress = cli_progress_cb;
	a.p.progress_ud = &prog;
	r = eg_train(d, sp.train, sp.n_train, &a.p, &f, err, sizeof(err));
	cli_progress_end(&prog);
	secs = fc_now() - t0;
	if (r < 0) {
		cli_error("train: %s", err);
		goto out;
	}
	fprintf(stderr, "trained %u trees (%zu nodes, depth %u) in %.2f s "
		"with %u threads\n", eg_forest_n_trees(f), eg_forest_n_nodes(f),
		eg_forest_max_depth(f), secs, a.p.threads);
	if (sp.n_test) {
		if (fc_evaluate(f, d, sp.test, sp.n_test, &rep, NULL) < 0)
			goto out;
		printf("test part of --split %s (%zu rows):\n\n", a.split,
		       sp.n_test);
		eg_report_print(rep, stdout);
	}
	{
		double *imp = malloc(d->n_features * sizeof(double));

		if (imp) {
			eg_forest_importances(f, imp);
			eg_report_print_importances(imp,
				(const char *const *)d->feature_names,
				d->n_features, stdout);
			free(imp);
		}
	}
	meta = build_meta(&a, nfiles, files, d, sp.train ? sp.n_train :
			  d->n_rows, sp.n_test, rep, secs);
	if (!meta || eg_forest_set_meta(f, meta) < 0)
		goto out;
	if (eg_forest_save(f, a.out, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		goto out;
	}
	fprintf(stderr, "wrote %s\n", a.out);
	if (a.report) {
		if (!rep) {
			/* No test part: report on the training rows, said so. */
			fc_evaluate(f, d, NULL, 0, &rep, NULL);
			fprintf(stderr, "--report: no test part, the report is "
				"on the training rows\n");
		}
		if (rep && fc_write_report_dir(a.report, rep, f, meta,
					       "echoguard train") < 0)
			goto out;
	}
	(void)c;
	rc = 0;
out:
	free(meta);
	eg_report_free(rep);
	eg_split_done(&sp);
	eg_forest_free(f);
	eg_dataset_free(d);
	return rc;
}
