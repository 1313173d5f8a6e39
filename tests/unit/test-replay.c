/* SPDX-License-Identifier: MIT */
/*
 * test-replay.c: `echoguard replay` on a real capture (../shared/data, else
 * tests/data).
 *
 * A model is trained here from the capture's own extracted rows (echoguard
 * extract muted and active, eg_dataset_load, eg_train: app data is
 * not_justified when muted, expected when listening). Then the CLI's JSON output is
 * checked against:
 *  - an independent count of the frames whose source is the device (what
 *    the daemon's queue gets) and of those without payload (rule CONTROL);
 *  - the daemon's per-packet calls made here in-process (engine, forest,
 *    policy): the same verdict for every packet, in the same order;
 *  - the microphone: --mic off drops far more than on; a timeline file
 *    muted from the start equals off, "1" equals on, muted for half the
 *    capture lies in between;
 *  - monitor mode: no drop, and as many MONITOR reasons as drops enforced;
 *  - labels: --context muted has no expected packets; --context active has
 *    no unjustified bytes; misses + drops add up;
 *  - errors: a bad option value, a missing model, a bad config: exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "echoguard/offline/capture.h"
#include "echoguard/verdict/config.h"
#include "echoguard/data/dataset.h"
#include "echoguard/engine/engine.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/policy.h"
#include "echoguard/forest/train.h"
#include "tap.h"

#define DEVICE "192.168.86.40"
#define CLI EG_BINARY_DIR "/src/echoguard"

static char dir[] = "/tmp/eg-test-replay-XXXXXX";
static char capture[512], model[300], csv[300], out[300];
static double t_first, t_last;      /* the capture's first/last frame */

static int run(const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "%s replay %s > %s 2>%s.err", CLI, args, out,
		 out);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after "key": in s (the first occurrence), or -1. */
static long long json_num(const char *s, const char *key)
{
	char k[128];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = s ? strstr(s, k) : NULL;
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static const char *summary_of(const char *s)
{
	return s ? strstr(s, "{\"type\":\"summary\"") : NULL;
}

static void train_model(void)
{
	struct eg_dataset_spec spec = { 0 };
	struct eg_train_params p;
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	char csv2[320];
	const char *paths[2] = { csv, csv2 };
	char cmd[2048], err[1024];

	/* The capture's rows twice: as if muted throughout (microphone 0, app
	 * data not_justified) and as if a person talked all along
	 * (microphone 1, app data expected): the forest learns that the
	 * microphone decides. */
	snprintf(csv2, sizeof(csv2), "%s.active", csv);
	snprintf(cmd, sizeof(cmd), "%s extract --device " DEVICE " --context muted"
		 " -o %s '%s' 2>/dev/null", CLI, csv, capture);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s extract --device " DEVICE " --context "
		 "active -o %s '%s' 2>/dev/null", CLI, csv2, capture);
	CHECK_EQ(system(cmd), 0);
	spec.schema = eg_schema_get(EG_FEATURES_SEED);
	CHECK_EQ(eg_dataset_load(&spec, paths, 2, &d, err, sizeof(err)), 0);
	if (!d) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	eg_train_params_default(&p);
	p.trees = 10;
	p.seed = 7;
	CHECK_EQ(eg_train(d, NULL, 0, &p, &f, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_save(f, model, err, sizeof(err)), 0);
	eg_forest_free(f);
	eg_dataset_free(d);
}

/* Independent: frames sent by the device, and those without payload. */
static void count_frames(long long *ret_dev, long long *ret_nopayload)
{
	struct eg_capture *cap;
	struct eg_frame fr;
	uint8_t dev[16];
	char err[256];

	*ret_dev = *ret_nopayload = 0;
	CHECK_EQ(eg_addr_parse(DEVICE, dev), 4);
	CHECK_EQ(eg_capture_open(capture, &cap, err, sizeof(err)), 0);
	while (eg_capture_next(cap, &fr, err, sizeof(err)) == 1) {
		struct eg_packet p;

		if (t_first == 0)
			t_first = (double)fr.ts_ns / 1e9;
		t_last = (double)fr.ts_ns / 1e9;
		if (eg_packet_parse_frame(fr.linktype, fr.data, fr.caplen, fr.len,
					  &p) < 0 || p.ip_version != 4 ||
		    memcmp(p.src, dev, 16))
			continue;
		(*ret_dev)++;
		if (p.payload_len == 0)
			(*ret_nopayload)++;
	}
	eg_capture_free(cap);
}

/* The daemon's calls in-process; compare each verdict with the JSON. */
static void compare_in_process(const char *json, int mic)
{
	struct eg_config c;
	struct eg_engine_params ep;
	struct eg_engine *e = NULL;
	struct eg_forest *f = NULL;
	struct eg_policy *pol = NULL;
	struct eg_capture *cap;
	struct eg_frame fr;
	float proba[EG_MAX_CLASSES];
	char err[512];
	const char *p = json;
	unsigned mismatches = 0, n = 0;

	eg_config_default(&c);
	c.model.features = EG_FEATURES_SEED;    /* the model's schema */
	snprintf(c.model.path, sizeof(c.model.path), "%s", model);
	CHECK_EQ(eg_addr_parse(DEVICE, c.device.addr[0]), 4);
	c.device.version[0] = 4;
	c.device.n = 1;
	CHECK_EQ(eg_forest_load(model, eg_schema_get(EG_FEATURES_SEED), &f, err,
				sizeof(err)), 0);
	CHECK_EQ(eg_policy_new(&c, f, &pol, err, sizeof(err)), 0);
	eg_config_engine_params(&c, &ep);
	CHECK_EQ(eg_engine_new(&ep, &e), 0);
	CHECK_EQ(eg_capture_open(capture, &cap, err, sizeof(err)), 0);
	if (!f || !pol || !e)
		exit(1);
	while (eg_capture_next(cap, &fr, err, sizeof(err)) == 1) {
		struct eg_pkt_info pi;
		struct eg_decision d;
		const float *pr = NULL;
		unsigned top = 0;
		char want[128];
		int r;

		r = eg_engine_process(e, fr.linktype, fr.data, fr.caplen, fr.len,
				      fr.ts_ns, mic, &pi);
		if (r >= 0 && !pi.outbound)
			continue;
		if (r >= 0 && pi.pkt.payload_len > 0) {
			top = eg_forest_predict(f, pi.features, proba);
			pr = proba;
		}
		eg_policy_decide(pol, &pi, pr, top, NULL, &d);
		snprintf(want, sizeof(want), "\"frame\":%llu,",
			 (unsigned long long)fr.index);
		p = strstr(p, want);
		if (!p) {
			mismatches++;
			break;
		}
		snprintf(want, sizeof(want), "\"verdict\":\"%s\",\"reason\":\"%s\"",
			 eg_verdict_name(d.verdict), eg_reason_name(d.reason));
		{
			const char *eol = strchr(p, '\n');
			const char *hit = strstr(p, want);

			if (!hit || (eol && hit > eol))
				mismatches++;
		}
		n++;
	}
	CHECK_EQ(mismatches, 0);
	CHECK(n > 100);
	eg_capture_free(cap);
	eg_engine_free(e);
	eg_policy_free(pol);
	eg_forest_free(f);
}

int main(void)
{
	const char *data = eg_test_shared_data();
	long long dev, nopay, drops, drops_on;
	char args[4096], *s, ini[400];
	FILE *fi;

	snprintf(capture, sizeof(capture), "%s/vcf/pcap/alexa_5_40s.pcap", data);
	if (access(capture, R_OK) < 0)
		eg_test_skip("alexa_5_40s.pcap is not in the shared data");
	if (access(CLI, X_OK) < 0)
		eg_test_skip("the echoguard binary is not built");
	if (!mkdtemp(dir))
		return 1;
	snprintf(model, sizeof(model), "%s/model.egf", dir);
	snprintf(csv, sizeof(csv), "%s/rows.csv", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	train_model();
	count_frames(&dev, &nopay);
	CHECK(dev > 500);

	/* Enforce, mic on: every device packet once, control = no payload. */
	snprintf(args, sizeof(args), "--model %s --device " DEVICE " --mic on "
		 "--feed out --json '%s'", model, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK(s != NULL);
	CHECK_EQ(json_num(summary_of(s), "packets"), dev);
	CHECK_EQ(json_num(summary_of(s), "control"), nopay);
	drops_on = json_num(summary_of(s), "dropped");
	{
		long long lines = 0;
		const char *p = s;

		while ((p = strstr(p, "{\"type\":\"packet\"")) && ++lines)
			p++;
		CHECK_EQ(lines, dev);
	}
	compare_in_process(s, 1);
	free(s);

	/* Muted: the model learnt app data with mic 0 is not_justified. */
	snprintf(args, sizeof(args), "--model %s --device " DEVICE " --mic off "
		 "--json --summary '%s'", model, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK(s && strstr(s, "\"type\":\"packet\"") == NULL);
	drops = json_num(summary_of(s), "dropped");
	CHECK(drops > 100);
	CHECK_EQ(json_num(summary_of(s), "class_drop") +
		 json_num(summary_of(s), "dropped_range") +
		 json_num(summary_of(s), "flow_dropped") +
		 json_num(summary_of(s), "upload_drop"), drops);
	/* Muted, the uploads are dropped whole: none untouched or holed,
	 * leaking at most one segment each. */
	CHECK(json_num(summary_of(s), "uploads_dropped") > 0);
	CHECK(strstr(summary_of(s), "\"holed\":0,") != NULL);
	CHECK(strstr(summary_of(s), "\"leak_over_one_packet\":0,") != NULL);
	free(s);

	/* A microphone timeline muted from the epoch on: the same as off;
	 * a file holding "1": the same as on. */
	snprintf(ini, sizeof(ini), "%s/mic.txt", dir);
	fi = fopen(ini, "w");
	if (fi) {
		fprintf(fi, "# epoch state\n0 0\n");
		fclose(fi);
	}
	snprintf(args, sizeof(args), "--model %s --device " DEVICE " --mic %s "
		 "--json --summary '%s'", model, ini, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK_EQ(json_num(summary_of(s), "dropped"), drops);
	free(s);
	fi = fopen(ini, "w");
	if (fi) {
		fprintf(fi, "1\n");
		fclose(fi);
	}
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK_EQ(json_num(summary_of(s), "dropped"), drops_on);
	CHECK(drops_on < drops / 10);          /* the microphone decides */
	free(s);
	/* Muted for the first half of the capture only: in between. */
	fi = fopen(ini, "w");
	if (fi) {
		fprintf(fi, "0 0\n%.6f 1\n", (t_first + t_last) / 2);
		fclose(fi);
	}
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK(json_num(summary_of(s), "dropped") > drops_on);
	CHECK(json_num(summary_of(s), "dropped") < drops);
	free(s);
	fi = fopen(ini, "w");
	if (fi) {
		fprintf(fi, "0 0\nyesterday 1\n");
		fclose(fi);
	}
	CHECK_EQ(run(args), 2);
	snprintf(args, sizeof(args), "%s.err", out);
	s = eg_test_slurp(args);
	CHECK(s && strstr(s, "mic.txt:2: expected") != NULL);
	free(s);

	/* Monitor: the same decisions, none enforced. */
	snprintf(args, sizeof(args), "--model %s --device " DEVICE " --mic off "
		 "--mode monitor --json --summary '%s'", model, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK_EQ(json_num(summary_of(s), "dropped"), 0);
	CHECK_EQ(json_num(summary_of(s), "monitor"), drops);
	free(s);
	/* With labels, monitor reports enforce's rates. */
	{
		char *en, *mo;

		snprintf(args, sizeof(args), "--model %s --device " DEVICE
			 " --context muted --json --summary '%s'", model, capture);
		CHECK_EQ(run(args), 0);
		en = eg_test_slurp(out);
		snprintf(args, sizeof(args), "--model %s --device " DEVICE
			 " --context muted --mode monitor --json --summary '%s'",
			 model, capture);
		CHECK_EQ(run(args), 0);
		mo = eg_test_slurp(out);
		CHECK(en && mo && strstr(en, "\"miss\":") && strstr(mo, "\"miss\":"));
		if (en && mo && strstr(en, "\"miss\":") && strstr(mo, "\"miss\":"))
			CHECK_STREQ(strstr(en, "\"labels\":"), strstr(mo, "\"labels\":"));
		free(en);
		free(mo);
	}

	/* Labels: muted context -> nothing expected, all misses+drops are
	 * unjustified app data; active -> nothing unjustified. */
	snprintf(args, sizeof(args), "--model %s --device " DEVICE
		 " --context muted --json --summary '%s'", model, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	{
		const char *fb = s ? strstr(s, "\"false_block\":") : NULL;
		const char *nj = s ? strstr(s, "\"not_justified\":{") : NULL;

		CHECK(fb && nj);
		CHECK_EQ(json_num(fb, "total"), 0);
		CHECK(json_num(strstr(s, "\"miss\":"), "bytes_total") > 10000);
		/* Dropped not_justified packets appear as drops. */
		CHECK(json_num(nj, "dropped") > 0);
		CHECK(json_num(nj, "dropped") <= json_num(summary_of(s),
							   "dropped"));
	}
	free(s);
	snprintf(args, sizeof(args), "--model %s --device " DEVICE
		 " --context active --json --summary '%s'", model, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK_EQ(json_num(s ? strstr(s, "\"miss\":") : NULL, "bytes_total"), 0);
	CHECK(json_num(s ? strstr(s, "\"false_block\":") : NULL, "total") > 100);
	free(s);

	/* A config: min_confidence 1 in the file, the CLI's flag wins. */
	snprintf(ini, sizeof(ini), "%s/eg.ini", dir);
	fi = fopen(ini, "w");
	CHECK(fi != NULL);
	if (fi) {
		fprintf(fi, "[policy]\nmode = monitor\n[model]\nfeatures = seed\npath = %s\n"
			"[device]\naddress = " DEVICE "\n", model);
		fclose(fi);
	}
	snprintf(args, sizeof(args), "-c %s --mic off --mode enforce --json "
		 "--summary '%s'", ini, capture);
	CHECK_EQ(run(args), 0);
	s = eg_test_slurp(out);
	CHECK_EQ(json_num(summary_of(s), "dropped"), drops);
	free(s);

	/* Errors: exit 2 and a message naming the problem. */
	snprintf(args, sizeof(args), "--model %s --min-confidence 1.5 '%s'",
		 model, capture);
	CHECK_EQ(run(args), 2);
	snprintf(args, sizeof(args), "--model %s/none.egf '%s'", dir, capture);
	CHECK_EQ(run(args), 2);
	snprintf(args, sizeof(args), "%s.err", out);
	s = eg_test_slurp(args);
	CHECK(s && strstr(s, "none.egf") != NULL);
	free(s);
	fi = fopen(ini, "w");
	if (fi) {
		fprintf(fi, "[policy]\nmin_confidance = 0.4\n");
		fclose(fi);
	}
	snprintf(args, sizeof(args), "-c %s --model %s '%s'", ini, model,
		 capture);
	CHECK_EQ(run(args), 2);
	snprintf(args, sizeof(args), "%s.err", out);
	s = eg_test_slurp(args);
	CHECK(s && strstr(s, "eg.ini:2: [policy] min_confidance: unknown key "
			  "(did you mean \"min_confidence\"?)") != NULL);
	free(s);

	/* on_drop: replayed per packet by default (a capture cannot
	 * reconnect); --on-drop flow drops the rest of a dropped connection,
	 * so it never drops fewer packets and says flow_dropped. */
	{
		long long pkt_drops, flow_drops, flow_reason;

		snprintf(args, sizeof(args), "--model %s --device " DEVICE
			 " --mic off --json '%s'", model, capture);
		CHECK_EQ(run(args), 0);
		s = eg_test_slurp(out);
		pkt_drops = json_num(summary_of(s), "dropped");
		CHECK_EQ(json_num(summary_of(s), "flow_dropped"), 0);
		free(s);
		snprintf(args, sizeof(args), "--model %s --device " DEVICE
			 " --mic off --on-drop flow --json '%s'", model, capture);
		CHECK_EQ(run(args), 0);
		s = eg_test_slurp(out);
		flow_drops = json_num(summary_of(s), "dropped");
		flow_reason = json_num(summary_of(s), "flow_dropped");
		printf("# muted: %lld drops per packet, %lld with --on-drop flow "
		       "(%lld flow_dropped)\n", pkt_drops, flow_drops,
		       flow_reason);
		CHECK(pkt_drops > 0);
		CHECK(flow_reason > 0);
		CHECK(flow_drops >= pkt_drops);
		free(s);
		CHECK_EQ(run("--model x --on-drop reset x.pcap"), 2);
	}

	snprintf(args, sizeof(args), "rm -rf '%s'", dir);
	if (system(args) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return eg_test_done();
}
