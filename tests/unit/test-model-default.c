/* SPDX-License-Identifier: MIT */
/*
 * test-model-default.c: the shipped model (models/default.egf) does what
 * docs/model-card.md says.
 *
 * - It loads (eg_forest_load with the shape schema) and its metadata names
 *   the recipe of models/build.sh.
 * - `echoguard replay` (the daemon's per-packet path) over the real shared
 *   captures with their interactions: the false-block rate of expected app
 *   data stays within the card's figures at min_confidence 0.5 and 0.7.
 * - The defect of the first model (it learnt "muted" from simulated
 *   captures only and let 99.9% of real uploads through): two real captures
 *   and then all of them replayed with the microphone muted (--mic off
 *   --context muted, "real, replayed as muted"): the share of upload bytes
 *   let through stays within the card's figure, and the device's syn,
 *   handshake and ack packets still pass as the card says.
 * - Over simulated muted captures made here with seeds the model never saw
 *   (an injected voice stream, an injected bulk upload), mic off: the share
 *   of unjustified upload bytes let through stays within the card's figure.
 * - Over simulated device variants it never saw (src/sim/variants.py,
 *   variants 101-106 are never trained on), made here with other seeds:
 *   muted with an injected voice stream, at least 99.9% of the unjustified
 *   bytes of variants 101-106 together are blocked (the target);
 *   listening, a talk capture's
 *   expected app-data packets are dropped at most 0.5% of the time.
 * - models/build.sh --check rebuilds the model from ../shared/data and the
 *   simulator and finds it identical, byte for byte.
 * The parts on real captures need the whole data set: they run as
 * `test-model-default --dataset` (ctest test-model-default-dataset, label
 * dataset), which skips (77) without ../shared/data; the plain run checks
 * the model file and the simulated captures. Both skip without
 * /usr/bin/python3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/engine/engine.h"
#include "echoguard/forest/forest.h"
#include "echoguard/forest/train.h"
#include "tap.h"

#define PY "/usr/bin/python3"
#define MODEL EG_SOURCE_DIR "/models/default.egf"
#define ECHOGUARD EG_BINARY_DIR "/src/echoguard"
#define GOAL_MISS 0.001   /* issue 10: >= 99.9% of muted upload bytes blocked */

/* The card's figures (docs/model-card.md, 5-fold split by capture file),
 * which a model trained on all the data must not exceed: read from the
 * min_confidence tables that models/card.py writes there. */
static double card_false_block_050 = -1, card_false_block_070 = -1,
	      card_rmiss_070 = -1, card_rctl_070 = -1, card_miss_070 = -1;

/*
 * "| 0.70 | 0.4546% (412 / 90624) | 39.8% |" (real, mic on) and
 * "| 0.70 | 0.0052% (9 / 17000 B) | 99.90% (8000 / 8008) | 0.0381% (10088 /
 * 26459233 B) | 100.00% (3000 / 3000) |" (real replayed as muted, simulated).
 */
static void read_card(void)
{
	char line[1024];
	FILE *fp = fopen(EG_SOURCE_DIR "/docs/model-card.md", "r");

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		double fb, jd, rmiss, rctl, miss;

		if (sscanf(line, "| 0.50 | %lf%% (%*d / %*d) | %lf%% |", &fb, &jd) == 2)
			card_false_block_050 = fb / 100;
		if (sscanf(line, "| 0.70 | %lf%% (%*d / %*d) | %lf%% |", &fb, &jd) == 2)
			card_false_block_070 = fb / 100;
		if (sscanf(line, "| 0.70 | %lf%% (%*d / %*d B) | %lf%% (%*d / %*d) | "
			   "%lf%%", &rmiss, &rctl, &miss) == 3) {
			card_rmiss_070 = rmiss / 100;
			card_rctl_070 = rctl / 100;
			card_miss_070 = miss / 100;
		}
	}
	fclose(fp);
}

static char tmpdir[] = "/tmp/eg-test-model-XXXXXX";

static const char *tmp(const char *name)
{
	static char path[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

/* Run replay --summary --json and read the summary's rate of key
 * ("false_block" or "miss") and its denominator; -1 on failure. */
static double replay_rate(const char *args, const char *key, long long *total)
{
	char cmd[4096], line[8192], want[64];
	double rate = -1;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "%s replay -c %s --model %s --summary --json %s "
		 "2>/dev/null", ECHOGUARD, tmp("model.ini"), MODEL, args);
	fp = popen(cmd, "r");
	if (!fp)
		return -1;
	snprintf(want, sizeof(want), "\"%s\":{", key);
	while (fgets(line, sizeof(line), fp)) {
		char *p = strstr(line, want), *r, *t;

		if (!p || !strstr(line, "\"type\":\"summary\""))
			continue;
		r = strstr(p, "\"rate\":");
		t = strstr(p, "\"total\":");
		if (!t)
			t = strstr(p, "\"bytes_total\":");
		if (r)
			rate = strtod(r + 7, NULL);
		if (t && total)
			*total = strtoll(strchr(t, ':') + 1, NULL, 10);
	}
	if (pclose(fp) == -1)
		return -1;
	return rate;
}

/* Replay args (mic off, context muted) and return the share of the syn,
 * handshake and ack packets accepted; -1 on failure. */
static double replay_control(const char *args)
{
	static const char *const ctl[] = { "syn", "handshake", "ack" };
	char cmd[4096], line[8192], want[64];
	long long acc = 0, all = 0;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "%s replay -c %s --model %s --summary --json %s "
		 "2>/dev/null", ECHOGUARD, tmp("model.ini"), MODEL, args);
	fp = popen(cmd, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *lab = strstr(line, "\"labels\":{");

		if (!lab || !strstr(line, "\"type\":\"summary\""))
			continue;
		for (int i = 0; i < 3; i++) {
			char *p, *a, *d;

			snprintf(want, sizeof(want), "\"%s\":{", ctl[i]);
			p = strstr(lab, want);
			if (!p)
				continue;
			a = strstr(p, "\"accepted\":");
			d = strstr(p, "\"dropped\":");
			if (!a || !d)
				continue;
			acc += strtoll(a + 11, NULL, 10);
			all += strtoll(a + 11, NULL, 10) + strtoll(d + 10, NULL, 10);
		}
	}
	if (pclose(fp) == -1 || all == 0)
		return -1;
	return (double)acc / all;
}

static void test_load(void)
{
	struct eg_forest *f = NULL;
	char err[512];
	int r = eg_forest_load(MODEL, eg_schema_get(EG_FEATURES_SHAPE), &f, err,
			       sizeof(err));

	if (r < 0)
		fprintf(stderr, "    %s\n", err);
	CHECK_EQ(r, 0);
	if (!f)
		return;
	CHECK(strstr(eg_forest_meta(f), "\"trees\": 50") != NULL);
	CHECK(strstr(eg_forest_meta(f), "\"max_depth\": 16") != NULL);
	CHECK(strstr(eg_forest_meta(f), "\"data\": [\"real.csv\", \"realmuted.csv\", "
			 "\"sim.csv\", \"vartalk.csv\", \"varmuted.csv\"]") != NULL);
	eg_forest_free(f);
}

static void test_real(const char *data)
{
	char args[2048];
	long long total = 0;
	double r;

	snprintf(args, sizeof(args), "--mic on --min-confidence 0.5 --interactions "
		 "%s/vcf/interactions.csv %s/vcf/pcap", data, data);
	r = replay_rate(args, "false_block", &total);
	printf("real captures, min_confidence 0.5: false blocks %.5f of %lld\n",
	       r, total);
	CHECK(total > 80000);
	CHECK(r >= 0 && r <= card_false_block_050);
	snprintf(args, sizeof(args), "--mic on --min-confidence 0.7 --interactions "
		 "%s/vcf/interactions.csv %s/vcf/pcap", data, data);
	r = replay_rate(args, "false_block", &total);
	printf("real captures, min_confidence 0.7: false blocks %.5f of %lld\n",
	       r, total);
	CHECK(r >= 0 && r <= card_false_block_070);
}

/* the regression test of the defect: real uploads while muted */
static void test_real_muted(const char *data)
{
	static const char *const caps[] = { "whats_trending_5.pcap",
		"what_happened_in_the_midterm_election_5.pcap", "" };
	char args[2048];
	long long total = 0;
	double r, c;

	for (int i = 0; i < 3; i++) {
		snprintf(args, sizeof(args), "--mic off --context muted "
			 "--min-confidence 0.7 %s/vcf/pcap/%s", data, caps[i]);
		total = 0;
		r = replay_rate(args, "miss", &total);
		c = replay_control(args);
		printf("real %s replayed as muted, min_confidence 0.7: upload bytes "
		       "let through %.6f of %lld, control accepted %.4f\n",
		       caps[i][0] ? caps[i] : "captures (all)", r, total, c);
		CHECK(total > (caps[i][0] ? 100000 : 10000000));
		/* all captures: the card's figure (it rounds to 0.0001%); one
		 * capture: the goal, 99.9% blocked (upload-level
		 * verdicts let the first segment of some uploads through, which
		 * weighs more in one capture than in all) */
		CHECK(r >= 0 && r <= (caps[i][0] ? GOAL_MISS :
				      card_rmiss_070 + 0.0000005));
		CHECK(c >= card_rctl_070 - 0.00005);
	}
}

static void test_sim(void)
{
	static const char *const inj[] = { "voice", "bulk" };
	char cmd[2048], args[2048], name[64];
	long long total = 0, all = 0;
	double r, through = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "sim-muted-%s-%d.pcapng", inj[i], 900 + i);
		snprintf(cmd, sizeof(cmd), PY " " EG_SOURCE_DIR "/src/sim/echosim.py "
			 "pcap --scenario muted --duration 900 --seed %d --inject %s "
			 "-o %s 2>/dev/null", 900 + i, inj[i], tmp(name));
		CHECK_EQ(system(cmd), 0);
		snprintf(args, sizeof(args), "--mic off --context muted "
			 "--min-confidence 0.7 %s", tmp(name));
		r = replay_rate(args, "miss", &total);
		printf("%s, min_confidence 0.7: unjustified bytes let through "
		       "%.6f of %lld\n", name, r, total);
		CHECK(total > 100000);
		CHECK(r >= 0);
		through += r * (double)total;
		all += total;
	}
	/* the card's group mixes injected voice and bulk uploads too */
	printf("both: %.6f of %lld\n", through / (double)all, all);
	CHECK(all > 0 && through / (double)all <= card_miss_070);
}

/* Make a capture of a variant (pcap ARGS) and replay it with MIC_ARGS
 * (the capture appended); the summary's rate of key and its total. */
static double variant_rate(int variant, const char *args, int seed,
			   const char *mic_args, bool inter, const char *key,
			   long long *total)
{
	char cmd[2048], rargs[2048], name[64];

	snprintf(name, sizeof(name), "sim-var-%d-%d.pcapng", variant, seed);
	snprintf(cmd, sizeof(cmd), PY " " EG_SOURCE_DIR "/src/sim/variants.py "
		 "pcap --variant %d %s --duration 600 --seed %d -o %s 2>/dev/null",
		 variant, args, seed, tmp(name));
	CHECK_EQ(system(cmd), 0);
	snprintf(rargs, sizeof(rargs), "%s %s%s%s %s", mic_args,
		 inter ? "--interactions " : "", inter ? tmp(name) : "",
		 inter ? ".interactions.csv" : "", tmp(name));
	*total = 0;
	return replay_rate(rargs, key, total);
}

/* Device variants never trained on, seeds build.sh never used. */
static void test_variants(void)
{
	long long total = 0;
	double r;

	long long all = 0;
	double through = 0;

	for (int v = 101; v <= 106; v++) {
		r = variant_rate(v, "--scenario muted --inject voice", 901,
				 "--mic off --context muted", false, "miss", &total);
		printf("variant %d (never trained on), muted: unjustified bytes let "
		       "through %.6f of %lld\n", v, r, total);
		CHECK(total > 50000 && r >= 0);
		through += r * (double)total;
		all += total;
	}
	/* the goal for the held-out variants: 99.9% blocked */
	printf("variants 101-106: %.6f of %lld\n", through / (double)all, all);
	CHECK(all > 0 && through / (double)all <= GOAL_MISS);
	r = variant_rate(102, "--scenario talk", 902, "--mic on", true,
			 "false_block", &total);
	printf("variant 102 (never trained on), listening: false blocks %.5f of "
	       "%lld\n", r, total);
	CHECK(total > 1000);
	CHECK(r >= 0 && r <= 0.005);
}

/* The whole data set: real captures replayed, the model rebuilt. */
static void test_dataset(void)
{
	const char *data = eg_test_dataset();
	char cmd[2048];

	test_real(data);
	test_real_muted(data);
	/* CI's check that the shipped model is what the recipe builds */
	snprintf(cmd, sizeof(cmd), "ECHOGUARD_SHARED_DATA=%s " EG_SOURCE_DIR
		 "/models/build.sh -B " EG_BINARY_DIR " --check >%s 2>&1", data,
		 tmp("build.log"));
	if (system(cmd) != 0) {
		CHECK(!"models/build.sh --check: the rebuilt model differs");
		snprintf(cmd, sizeof(cmd), "cat %s >&2", tmp("build.log"));
		(void)system(cmd);
	}
}

int main(int argc, char **argv)
{
	char cmd[2048];
	FILE *fp;

	if (eg_test_want_dataset(argc, argv))
		(void)eg_test_dataset(); /* skip before any work */
	if (access(PY, X_OK) != 0)
		eg_test_skip(PY " (Debian's python3) is not installed");
	if (access(ECHOGUARD, X_OK) != 0)
		eg_test_skip("the echoguard binary is not built");
	if (!mkdtemp(tmpdir))
		eg_test_skip("cannot create a temporary directory");
	fp = fopen(tmp("model.ini"), "w");
	if (!fp)
		eg_test_skip("cannot write the test config");
	/* The card's figures are the forest's: the muted budget, a layer on
	 * top of it, is measured in docs/security.md. Replay replays drops
	 * per packet whatever on_drop says (docs/replay.md). */
	fputs("[device]\naddress = 192.168.86.40\n[model]\nfeatures = shape\n"
	      "[policy]\nmuted_budget = 0\n", fp);
	fclose(fp);
	read_card();
	CHECK(card_false_block_050 >= 0 && card_false_block_070 >= 0 &&
	      card_rmiss_070 >= 0 && card_rctl_070 >= 0 && card_miss_070 >= 0);
	if (eg_test_want_dataset(argc, argv)) {
		test_dataset();
	} else {
		test_load();
		test_sim();
		test_variants();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
	return eg_test_done();
}
