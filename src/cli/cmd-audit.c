/* SPDX-License-Identifier: MIT */
/*
 * echoguard audit: what the shape of encrypted traffic leaks (issue 7).
 *
 *   echoguard audit traces [options] TRACE.csv|DIR|CAPTURE...
 *   echoguard audit windows [--packets N | --seconds S]... \
 *           (--interactions FILE | --mic FILE) CAPTURE|LABEL=CAPTURE...
 *
 * Both build a dataset (audit.h), evaluate the chosen classifiers over
 * repeated stratified splits and print a table; --report DIR writes
 * audit.json and one confusion-matrix SVG per evaluation.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit-common.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: echoguard audit traces [options] TRACE.csv|DIR|CAPTURE...\n"
"       echoguard audit windows [options] [--packets N]... [--seconds S]...\n"
"                               (--interactions FILE | --mic FILE)\n"
"                               CAPTURE|LABEL=CAPTURE...\n"
"traces:\n"
"  --labels name|FILE|dir:N  class from the trace name (name_N.csv ->\n"
"                       name), or FILE: a CSV command,category mapping\n"
"                       commands to classes (e.g. vcf/categories.csv), or\n"
"                       dir:N: the N-th folder of the path below the\n"
"                       argument (VOICE/COMMAND/x.pcap: dir:1 = VOICE);\n"
"                       directories are recursed  [name]\n"
"  --via-command        with --labels FILE: train on the commands, score\n"
"                       the mapped classes (a class scores as its best\n"
"                       command)\n"
"  --features KIND      stats | hist | both | sizehist | cumul | all, or\n"
"                       a + list (stats+cumul)  [both]\n"
"  --bins N             histogram bins  [15]\n"
"  --acks               keep pure ACKs (default: without; a size-only ACK\n"
"                       is IP length <= 52)\n"
"  --defend SPEC        pad:mtu | pad:BYTES | rate:PKTS_PER_S (repeatable;\n"
"                       the undefended traces are evaluated first)\n"
"  --dump FILE          write trace,label,features as CSV and stop\n"
"  --interactions FILE  cut captures into interactions (pcap,start,end,\n"
"                       trace,source rows; label from the trace column)\n"
"windows:\n"
"  --packets N          windows of N packets (repeatable)\n"
"  --seconds S          windows of S seconds (repeatable)\n"
"  --interactions FILE  windows inside an interaction are 'interaction',\n"
"                       the others 'idle' (by the window's midpoint)\n"
"  --mic FILE           a timeline CSV time,label (epoch seconds; a label\n"
"                       holds until the next row)\n"
"  LABEL=CAPTURE        a context label for every window of that capture\n"
"  --group-split        whole captures go to the test part (not windows)\n"
"both:\n"
"  --classifiers LIST   forest,tree,knn,adaboost,xtrees,mlp  [all]\n"
"  --repeats R          stratified splits  [10]\n"
"  --test-size F        [0.2]\n"
"  --split A/B/C        train/validation/test percentages (70/10/20): the\n"
"                       grid point best on validation is scored on test\n"
"                       (the MLP stops early on validation); no K-fold\n"
"  --servers LIST       captures: only the traffic to these servers: TLS\n"
"                       server-name suffixes and addresses or prefixes\n"
"                       (avs-alexa-na.amazon.com,52.94.0.0/16)\n"
"  --tune-folds K       K-fold grid tuning inside training (1: none)  [3]\n"
"  --topk K             [3]\n"
"  --device ADDR        the device's address in captures  [most frequent]\n"
"  --report DIR         audit.json and confusion-*.svg\n"
"  --seed N, --threads N (forest training threads)\n");
}

static int parse_uint(const char *opt, const char *s, unsigned lo,
		      unsigned hi, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		cli_error("%s: \"%s\" is not an integer in [%u, %u]", opt, s,
			  lo, hi);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_clfs(const char *s, bool *use)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(use, 0, _EG_CLF_MAX * sizeof(bool));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		enum eg_audit_clf c;

		if (eg_audit_clf_parse(tok, &c) < 0) {
			cli_error("--classifiers: unknown \"%s\" (forest, tree,"
				  " knn, adaboost, xtrees, mlp)", tok);
			return -EINVAL;
		}
		use[c] = true;
	}
	return 0;
}

/* --split A/B/C (percentages summing to 100, B may be 0 but A and C not) */
static int parse_split(const char *s, struct eg_audit_eval_opts *o)
{
	unsigned a, b, c;
	char tail;

	if (sscanf(s, "%u/%u/%u%c", &a, &b, &c, &tail) != 3 ||
	    a + b + c != 100 || !a || !c || !b) {
		cli_error("--split: \"%s\" is not TRAIN/VALIDATION/TEST "
			  "percentages, each above 0, summing to 100", s);
		return -EINVAL;
	}
	o->val_size = b / 100.0;
	o->test_size = c / 100.0;
	return 0;
}

/* --labels: name, FILE or dir:N */
static int parse_labels(const char *s, struct audit_cfg *c)
{
	c->labels = s;
	if (strncmp(s, "dir:", 4))
		return 0;
	return parse_uint("--labels dir:N", s + 4, 1, 64, &c->dir_level);
}

enum { O_LABELS = 256, O_FEATURES, O_BINS, O_ACKS, O_DEFEND, O_INTER,
       O_PACKETS, O_SECONDS, O_MIC, O_CLFS, O_REPEATS, O_TEST, O_FOLDS,
       O_TOPK, O_DEVICE, O_REPORT, O_SEED, O_THREADS, O_DUMP, O_VIA, O_GROUP,
       O_SPLIT, O_SERVERS };

int cmd_audit(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "labels", required_argument, NULL, O_LABELS },
		{ "features", required_argument, NULL, O_FEATURES },
		{ "bins", required_argument, NULL, O_BINS },
		{ "acks", no_argument, NULL, O_ACKS },
		{ "defend", required_argument, NULL, O_DEFEND },
		{ "interactions", required_argument, NULL, O_INTER },
		{ "packets", required_argument, NULL, O_PACKETS },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "mic", required_argument, NULL, O_MIC },
		{ "classifiers", required_argument, NULL, O_CLFS },
		{ "repeats", required_argument, NULL, O_REPEATS },
		{ "test-size", required_argument, NULL, O_TEST },
		{ "tune-folds", required_argument, NULL, O_FOLDS },
		{ "topk", required_argument, NULL, O_TOPK },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "report", required_argument, NULL, O_REPORT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "dump", required_argument, NULL, O_DUMP },
		{ "via-command", no_argument, NULL, O_VIA },
		{ "group-split", no_argument, NULL, O_GROUP },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "servers", required_argument, NULL, O_SERVERS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_cfg cfg;
	const char *mode;
	char err[256];
	unsigned v;
	char *end;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	if (strcmp(mode, "traces") && strcmp(mode, "windows")) {
		cli_error("audit: unknown mode \"%s\" (traces, windows)", mode);
		return 2;
	}
	audit_cfg_init(&cfg);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_LABELS:
			if (parse_labels(optarg, &cfg) < 0)
				return 2;
			break;
		case O_SPLIT:
			if (parse_split(optarg, &cfg.eo) < 0)
				return 2;
			break;
		case O_SERVERS:
			if (eg_audit_servers_parse(optarg, &cfg.servers, err,
						   sizeof(err)) < 0) {
				cli_error("--%s", err);
				return 2;
			}
			cfg.has_servers = true;
			break;
		case O_FEATURES:
			if (eg_audit_fkind_parse(optarg, &cfg.fo.kind) < 0) {
				cli_error("--features: \"%s\" is not stats, "
					  "hist, both or sizehist", optarg);
				return 2;
			}
			break;
		case O_BINS:
			if (parse_uint("--bins", optarg, 1, 256, &cfg.fo.bins))
				return 2;
			break;
		case O_ACKS: cfg.fo.acks = true; break;
		case O_DEFEND:
			if (cfg.n_def >= AUDIT_MAX_DEF ||
			    eg_audit_defend_parse(optarg,
						  &cfg.def[cfg.n_def]) < 0) {
				cli_error("--defend: \"%s\" is not pad:mtu, "
					  "pad:BYTES (1..1500) or rate:PKTS_PER_S"
					  " (at most %d)", optarg, AUDIT_MAX_DEF);
				return 2;
			}
			cfg.def_name[cfg.n_def++] = optarg;
			break;
		case O_INTER: cfg.interactions = optarg; break;
		case O_MIC: cfg.mic = optarg; break;
		case O_PACKETS:
		case O_SECONDS:
			if (cfg.n_win >= AUDIT_MAX_WIN) {
				cli_error("at most %d window sizes",
					  AUDIT_MAX_WIN);
				return 2;
			}
			cfg.win[cfg.n_win].seconds = c == O_SECONDS;
			cfg.win[cfg.n_win].size = strtod(optarg, &end);
			if (end == optarg || *end ||
			    !(cfg.win[cfg.n_win].size > 0) ||
			    (c == O_PACKETS &&
			     (cfg.win[cfg.n_win].size < 2 ||
			      cfg.win[cfg.n_win].size > 1e6 ||
			      floor(cfg.win[cfg.n_win].size) !=
			      cfg.win[cfg.n_win].size))) {
				cli_error("%s: \"%s\" is not a positive %s",
					  c == O_SECONDS ? "--seconds" :
					  "--packets", optarg, c == O_SECONDS ?
					  "number" : "integer >= 2");
				return 2;
			}
			cfg.n_win++;
			break;
		case O_CLFS:
			if (parse_clfs(optarg, cfg.use) < 0)
				return 2;
			break;
		case O_REPEATS:
			if (parse_uint("--repeats", optarg, 1, 10000,
				       &cfg.eo.repeats))
				return 2;
			break;
		case O_TEST:
			cfg.eo.test_size = strtod(optarg, &end);
			if (end == optarg || *end || !(cfg.eo.test_size > 0) ||
			    !(cfg.eo.test_size < 1)) {
				cli_error("--test-size: \"%s\" is not in (0, 1)",
					  optarg);
				return 2;
			}
			break;
		case O_FOLDS:
			if (parse_uint("--tune-folds", optarg, 1, 20,
				       &cfg.eo.tune_folds))
				return 2;
			break;
		case O_TOPK:
			if (parse_uint("--topk", optarg, 1, 256, &cfg.eo.topk))
				return 2;
			break;
		case O_DEVICE: cfg.device = optarg; break;
		case O_DUMP: cfg.dump = optarg; break;
		case O_VIA: cfg.via_command = true; break;
		case O_GROUP: cfg.eo.by_group = true; break;
		case O_REPORT: cfg.report = optarg; break;
		case O_SEED:
			if (parse_uint("--seed", optarg, 0, 4000000000u, &v))
				return 2;
			cfg.eo.seed = v;
			break;
		case O_THREADS:
			if (parse_uint("--threads", optarg, 1, 256,
				       &cfg.eo.threads))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		cli_error("audit %s: no input given", mode);
		return 2;
	}
	if ((cfg.via_command && cfg.dir_level) ||
	    (cfg.eo.val_size > 0 && cfg.eo.by_group)) {
		cli_error("audit: --via-command goes with --labels FILE, and "
			  "--split not with --group-split");
		return 2;
	}
	cfg.inputs = (const char *const *)argv + optind;
	cfg.n_inputs = (unsigned)(argc - optind);
	if (!strcmp(mode, "traces"))
		return audit_traces(&cfg);
	return audit_windows(&cfg);
}
