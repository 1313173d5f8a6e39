/* SPDX-License-Identifier: MIT */
/*
 * learn-fit.c: `echoguard learn fit` (docs/learn.md). From a recording
 * (learn.h: segments and the microphone timeline):
 *   1. split: the last --holdout of the segments (by time) are held back;
 *   2. label the others without the owner's help (extract --context voice
 *      --mic: voice-shaped uploads expected, other app data justified, app
 *      data sent muted not_justified), and once more as muted (the home's
 *      real packets in a SIMULATED muted context, as models/build.sh does
 *      with the bundled captures);
 *   3. train the bundled recipe (models/build.sh) on the bundled training
 *      data (--base) together with the home's;
 *   4. replay the running model and the new one over the held-back
 *      segments, compare by the upload-level measures (learn-score.c) and
 *      say whether the new one is better; --install then installs it.
 * Every step is this program's own subcommand, run as a child: the same
 * code as by hand, and a crash in one step is reported, not shared.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli-util.h"
#include "echoguard/engine/features.h"
#include "echoguard/net/packet.h"
#include "echoguard/util/schema.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/model-choice.h"
#include "learn-fit.h"
#include "learn.h"

#ifndef EG_BASE_CSV
#define EG_BASE_CSV "/usr/share/echoguard/base.csv"
#endif

#define LEARN_STEPS 7             /* label x2, train, replay x4 */
#define MAX_ARGS 32768            /* a week of 15-minute segments, and more */

struct fit {
	const char *dir, *config, *model, *base, *out, *pid;
	char devices[8][64];
	unsigned n_devices, trees, threads;
	double holdout;
	bool install;
	const char *features;
	struct cli_strv segs;           /* sorted by time */
	size_t n_train;
	bool tty;                       /* stderr is a terminal: say the steps */
	unsigned step;
	char work[4096], mic[4096];
	struct eg_model_choice choice;  /* -c without --model */
};

/* An argv under construction (strings owned by the caller or fit). */
struct args {
	unsigned n;
	char *v[MAX_ARGS + 1];
};

static struct args argbuf;      /* one step at a time */

static void arg(struct args *a, const char *s)
{
	if (a->n < MAX_ARGS)
		a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static void usage(FILE *f)
{
	fputs("usage: echoguard learn fit --dir DIR [-c INI] [--device IP]...\n"
	      "        [--model RUNNING.egf] [--base CSV] [--holdout F]\n"
	      "        [--trees N] [--threads T] [-o LEARNED.egf] [--install [--pid PID]]\n"
	      "Label a recording of `learn record`, train on the bundled data and\n"
	      "the home's, and compare with the running model on the held-back\n"
	      "last part of the recording (docs/learn.md). Exit 0: better (and\n"
	      "installed with --install), 3: not better, 1: error, 2: usage.\n", f);
}

static int parse_num(const char *opt, const char *s, double lo, double hi,
		     double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v <= hi)) {
		cli_error("learn fit: %s: \"%s\" is not a number in [%g, %g]",
			  opt, s, lo, hi);
		return -1;
	}
	*ret = v;
	return 0;
}

static int parse_args(struct fit *x, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'D' },
		{ "model", required_argument, NULL, 'm' },
		{ "base", required_argument, NULL, 'b' },
		{ "holdout", required_argument, NULL, 'H' },
		{ "trees", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "install", no_argument, NULL, 'i' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': x->dir = optarg; break;
		case 'c': x->config = optarg; break;
		case 'm': x->model = optarg; break;
		case 'b': x->base = optarg; break;
		case 'o': x->out = optarg; break;
		case 'i': x->install = true; break;
		case 'p': x->pid = optarg; break;
		case 'D':
			if (x->n_devices == 8) {
				cli_error("learn fit: at most 8 --device addresses");
				return -1;
			}
			snprintf(x->devices[x->n_devices++], 64, "%s", optarg);
			break;
		case 'H':
			if (parse_num("--holdout", optarg, 0.01, 0.9, &x->holdout) < 0)
				return -1;
			break;
		case 't':
		case 'T':
			if (parse_num(c == 't' ? "--trees" : "--threads", optarg, 1,
				      c == 't' ? 1000 : 64, &v) < 0)
				return -1;
			*(c == 't' ? &x->trees : &x->threads) = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!x->dir || optind < argc) {
		cli_error("learn fit: %s", !x->dir ? "--dir is needed" :
			  "unexpected argument");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The config's devices, features and model (options win). */
static int read_config(struct fit *x, struct eg_config *cfg)
{
	char err[2048];
	unsigned i;

	if (!x->config)
		return 0;
	if (eg_config_load(x->config, EG_CONFIG_NO_MODEL_CHECK, cfg, err,
			   sizeof(err)) < 0) {
		cli_error("learn fit: %s", err);
		return -1;
	}
	x->features = eg_schema_get(cfg->model.features)->name;
	if (!x->model) {
		struct eg_forest *f = NULL;

		/* The one the daemon runs: the learned model if installed. */
		if (eg_model_choose(cfg, &f, &x->choice, err, sizeof(err)) < 0) {
			cli_error("learn fit: the running model: %s", err);
			return -1;
		}
		eg_forest_free(f);
		if (x->choice.warning[0])
			cli_error("learn fit: %s; comparing with the shipped model",
				  x->choice.warning);
		x->model = x->choice.path;
	}
	for (i = 0; !x->n_devices && i < cfg->device.n; i++)
		eg_addr_format(cfg->device.version[i], cfg->device.addr[i],
			       x->devices[i], 64);
	if (!x->n_devices)
		x->n_devices = cfg->device.n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* seg-EPOCH.pcap of x->dir, sorted by name (= by time). */
static int list_segments(struct fit *x)
{
	DIR *d = opendir(x->dir);
	struct dirent *e;
	char path[4096];

	if (!d) {
		cli_error("learn fit: %s: %s", x->dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n != 19 || strncmp(e->d_name, "seg-", 4) ||
		    strspn(e->d_name + 4, "0123456789") != 10 ||
		    strcmp(e->d_name + 14, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", x->dir, e->d_name);
		if (cli_strv_add(path, &x->segs) < 0) {
			closedir(d);
			cli_error("learn fit: out of memory");
			return -1;
		}
	}
	closedir(d);
	qsort(x->segs.v, x->segs.n, sizeof(*x->segs.v), cmp_str);
	if (x->segs.n < 2) {
		cli_error("learn fit: %s: %zu segments (seg-EPOCH.pcap); at least "
			  "2 are needed, one to learn from and one to check on",
			  x->dir, x->segs.n);
		return -1;
	}
	x->n_train = x->segs.n - (size_t)(x->segs.n * x->holdout + 0.999);
	if (x->n_train < 1)
		x->n_train = 1;
	if (x->n_train == x->segs.n)
		x->n_train--;
	return 0;
}

static void add_devices(const struct fit *x, struct args *a)
{
	unsigned i;

	for (i = 0; i < x->n_devices; i++) {
		arg(a, "--device");
		arg(a, x->devices[i]);
	}
}

static void add_segments(const struct fit *x, struct args *a, size_t from,
			 size_t to)
{
	size_t i;

	for (i = from; i < to && a->n < MAX_ARGS; i++)
		arg(a, x->segs.v[i]);
}

/* After a step's failure: the messages of its log ("echoguard: ..."
 * lines, at most 8), else its last 8 lines. */
static void show_log(const char *path)
{
	char line[512], ring[8][512];
	unsigned n = 0, shown = 0, i;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "echoguard: ", 11) && shown < 8) {
			fprintf(stderr, "  | %s", line);
			shown++;
		}
		snprintf(ring[n++ % 8], sizeof(ring[0]), "%s", line);
	}
	fclose(f);
	for (i = n > 8 ? n - 8 : 0; !shown && i < n; i++)
		fprintf(stderr, "  | %s", ring[i % 8]);
}

/* Run one step: its stderr to WORK/NAME.log (stdout to out, or the log
 * too); "learn fit [k/n] what" on a terminal only; on failure the step,
 * its exit status and the tail of its log, always. */
static int step(struct fit *x, const char *name, const char *what,
		struct args *a, const char *out)
{
	char log[4200];
	int r;

	snprintf(log, sizeof(log), "%s/%s.log", x->work, name);
	x->step++;
	if (x->tty)
		fprintf(stderr, "learn fit [%u/%u] %s\n", x->step, LEARN_STEPS,
			what);
	if (a->n >= MAX_ARGS) {
		cli_error("learn fit: too many segments for one step (at most %d)",
			  MAX_ARGS - 24);
		return -1;
	}
	r = learn_spawn(a->v, out ? out : log, log);
	if (r != 0) {
		cli_error("learn fit: %s failed (exit %d); see %s", what, r, log);
		show_log(log);
		return -1;
	}
	return 0;
}

static void work_path(const struct fit *x, const char *name, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/%s", x->work, name);
}

/* `echoguard extract --context ctx -o out` with the devices. */
static void extract_args(const struct fit *x, struct args *a, const char *ctx,
			 const char *out)
{
	a->n = 0;
	arg(a, "echoguard"); arg(a, "extract"); arg(a, "--features");
	arg(a, x->features); arg(a, "--context"); arg(a, ctx);
	arg(a, "-o"); arg(a, out);
	add_devices(x, a);
}

/* Steps 2 and 3: the home's labelled CSVs and the new model. */
static int label_and_train(struct fit *x, const char *model_out)
{
	char home[4200], muted[4200], win[4200];
	struct args *a = &argbuf;

	work_path(x, "home.csv", home, sizeof(home));
	work_path(x, "home-muted.csv", muted, sizeof(muted));
	work_path(x, "voice-windows.csv", win, sizeof(win));
	extract_args(x, a, "voice", home);
	arg(a, "--mic"); arg(a, x->mic); arg(a, "--windows-out"); arg(a, win);
	add_segments(x, a, 0, x->n_train);
	if (step(x, "label", "labelling the home's segments (voice-shaped "
		 "uploads)", a, NULL) < 0)
		return -1;
	extract_args(x, a, "muted", muted);
	add_segments(x, a, 0, x->n_train);
	if (step(x, "label-muted", "the same segments as muted (SIMULATED "
		 "context)", a, NULL) < 0)
		return -1;
	{
		char trees[16], threads[16];

		snprintf(trees, sizeof(trees), "%u", x->trees);
		snprintf(threads, sizeof(threads), "%u", x->threads);
		a->n = 0;
		arg(a, "echoguard"); arg(a, "train"); arg(a, "--features");
		arg(a, x->features); arg(a, "--trees"); arg(a, trees);
		arg(a, "--max-depth"); arg(a, "16"); arg(a, "--seed");
		arg(a, "6"); arg(a, "--threads"); arg(a, threads);
		arg(a, "--split"); arg(a, "none"); arg(a, "-o");
		arg(a, model_out); arg(a, x->base); arg(a, home);
		arg(a, muted);
		return step(x, "train", "training on the bundled data and the "
			    "home's", a, NULL);
	}
}

/* Step 4 for one model: its measures on the held-back segments. */
static int score(struct fit *x, const char *model, const char *name,
		 struct learn_measures *m)
{
	static struct learn_json rec, mut;
	char out_rec[4200], out_mut[4200], what[256], logname[64];
	struct args *a = &argbuf;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		char *out = pass ? out_mut : out_rec;

		snprintf(what, sizeof(what), "replaying the held-back segments "
			 "with the %s model%s", name, pass ? " as muted" : "");
		snprintf(out, 4200, "%s/replay-%s-%s.json", x->work, name,
			 pass ? "muted" : "recorded");
		a->n = 0;
		arg(a, "echoguard"); arg(a, "replay"); arg(a, "--model");
		arg(a, model);
		if (x->config) {
			arg(a, "-c");
			arg(a, x->config);
		}
		arg(a, "--mode"); arg(a, "enforce"); arg(a, "--json");
		arg(a, "--summary"); arg(a, "--context");
		arg(a, pass ? "muted" : "voice");
		if (!pass) {
			arg(a, "--mic");
			arg(a, x->mic);
		}
		add_devices(x, a);
		add_segments(x, a, x->n_train, x->segs.n);
		snprintf(logname, sizeof(logname), "replay-%s-%s", name,
			 pass ? "muted" : "recorded");
		if (step(x, logname, what, a, out) < 0)
			return -1;
	}
	if (learn_json_read(out_rec, &rec) < 0 ||
	    learn_json_read(out_mut, &mut) < 0) {
		cli_error("learn fit: %s, %s: no replay summary", out_rec,
			  out_mut);
		return -1;
	}
	learn_measures(&rec, &mut, m);
	return 0;
}

static int write_compare(const struct fit *x, const struct learn_measures *o,
			 const struct learn_measures *n, bool better,
			 const char *why)
{
	char path[4200];
	FILE *f;

	work_path(x, "compare.json", path, sizeof(path));
	f = fopen(path, "we");
	if (!f) {
		cli_error("learn fit: %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\"segments\":%zu,\"trained_on\":%zu,\"held_back\":%zu,",
		x->segs.n, x->n_train, x->segs.n - x->n_train);
	learn_measures_json(f, "running", o);
	fputc(',', f);
	learn_measures_json(f, "learned", n);
	fprintf(f, ",\"better\":%s,\"why\":\"%s\"}\n", better ? "true" : "false",
		why);
	return fclose(f) == 0 ? 0 : -1;
}

#pragma weak learn_install

static int install_check(const struct fit *x)
{
	if (x->pid && !x->install) {
		cli_error("learn fit: --pid goes with --install");
		return -1;
	}
	if (x->install && !learn_install) {
		cli_error("learn fit: --install: this echoguard has no learn install");
		return -1;
	}
	return 0;
}

static int run(struct fit *x)
{
	struct learn_measures old, new;
	char cand[4200];
	const char *why;
	bool better;
	int r;

	snprintf(x->work, sizeof(x->work), "%s/fit", x->dir);
	snprintf(x->mic, sizeof(x->mic), "%s/mic.csv", x->dir);
	if (mkdir(x->work, 0755) < 0 && errno != EEXIST) {
		cli_error("learn fit: %s: %s", x->work, strerror(errno));
		return 1;
	}
	if (access(x->mic, R_OK) < 0) {
		cli_error("learn fit: %s: %s (written by learn record)", x->mic,
			  strerror(errno));
		return 1;
	}
	if (access(x->base, R_OK) < 0) {
		cli_error("learn fit: --base %s: %s", x->base, strerror(errno));
		return 1;
	}
	snprintf(cand, sizeof(cand), "%s", x->out ? x->out : "");
	if (!x->out)
		work_path(x, "learned.egf", cand, sizeof(cand));
	x->tty = isatty(STDERR_FILENO);
	if (x->tty)
		fprintf(stderr, "learn fit: %zu segments: learning from the first "
			"%zu, checking on the last %zu\n", x->segs.n, x->n_train,
			x->segs.n - x->n_train);
	if (label_and_train(x, cand) < 0 || score(x, x->model, "running", &old) < 0 ||
	    score(x, cand, "learned", &new) < 0)
		return 1;
	why = learn_better(&old, &new, &better);
	printf("learn fit: running %s, learned %s\n", x->model, cand);
	learn_print_compare(stdout, &old, &new);
	printf("learn fit: %s: %s\n", better ? "better" : "not better", why);
	fflush(stdout);
	if (write_compare(x, &old, &new, better, why) < 0)
		return 1;
	if (!better)
		return 3;
	if (x->install) {
		char *av[8] = { "install", cand };
		int n = 2;

		if (x->config) {
			av[n++] = "-c";
			av[n++] = (char *)x->config;
		}
		if (x->pid) {
			av[n++] = "--pid";
			av[n++] = (char *)x->pid;
		}
		optind = 1;
		r = learn_install(n, av);
		/* 3: installed, no daemon runs (it takes it when it starts) */
		return r == 3 ? 0 : r;
	}
	return 0;
}

int learn_fit(int argc, char **argv)
{
	struct fit x = { .holdout = 0.25, .trees = 50, .threads = 2,
			 .base = EG_BASE_CSV, .features = "shape" };
	struct eg_config *cfg = calloc(1, sizeof(*cfg));
	int r = 2;

	if (!cfg) {
		cli_error("learn fit: out of memory");
		return 1;
	}
	r = parse_args(&x, argc, argv);
	if (r != 0) {
		r = r > 0 ? 0 : 2;
		goto out;
	}
	r = 2;
	if (read_config(&x, cfg) < 0)
		goto out;
	if (!x.model) {
		cli_error("learn fit: the running model: give -c INI or --model");
		goto out;
	}
	if (install_check(&x) < 0)
		goto out;
	r = 1;
	if (list_segments(&x) < 0)
		goto out;
	r = run(&x);
out:
	cli_strv_done(&x.segs);
	free(cfg);
	return r;
}
