/* SPDX-License-Identifier: MIT */
/*
 * bench-core: nanoseconds per packet of the core path (eg_engine_process:
 * parse, flow lookup and update, TLS tracking, features) without I/O.
 *
 * The frames of a few real captures are read into memory first; then each
 * capture is replayed through a fresh engine (flows start empty, as in
 * `echoguard extract`) again and again until --seconds have passed. Only
 * the eg_engine_process calls are timed, in wall and thread CPU time (engine creation is not; the flow
 * table has BENCH_FLOWS slots so creating one is cheap). Prints a
 * small table: per capture and feature set, packets, ns/packet, Mpps.
 *
 * With --model M (a model of the flow feature set) it times the daemon's
 * whole per-packet path instead: eg_engine_process, eg_forest_predict for
 * packets with payload and eg_policy_decide with the default policy and
 * the microphone listening (the set column says "full"). It uses only
 * calls that also exist at the branch point of the upload verdicts
 * (ff073b4), so bench-ratio.sh builds this same file against both trees
 * and reports the ratio of their costs, in one run.
 *
 * usage: bench-core [--data DIR] [--seconds S] [--model M] [CAPTURE_NAME...]
 * Names are looked up in DIR/vcf/pcap ($ECHOGUARD_SHARED_DATA, else --data);
 * a name with a '/' is a path. Exit 77 when the data is missing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "echoguard/offline/capture.h"
#include "echoguard/engine/engine.h"
#include "echoguard/net/packet.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"

#define BENCH_FLOWS 4096

struct mframe {
	uint64_t ts_ns;
	uint32_t caplen, len;
	int linktype;
	uint8_t *data;
};

struct mcap {
	const char *name;
	struct mframe *f;
	size_t n;
	uint64_t bytes;
};

static const char *const default_caps[] = {
	"alexa_5_40s.pcap",
	"what_is_the_weather_5_60_80_100_120_140_capture.pcap",
	"how_far_away_is_the_moon_5_30s.pcap",
	"whats_trending_5.pcap",
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of this thread: on a shared machine wall time also counts the
 * other processes' turns; both are reported. */
static uint64_t cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* Read every frame of path into memory; -errno with a message on failure. */
static int load(const char *path, struct mcap *m)
{
	struct eg_capture *cap;
	struct eg_frame fr;
	char err[512];
	size_t alloc = 0;
	int rc;

	rc = eg_capture_open(path, &cap, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	while ((rc = eg_capture_next(cap, &fr, err, sizeof(err))) > 0) {
		struct mframe *mf;

		if (m->n == alloc) {
			size_t na = alloc ? alloc * 2 : 4096;

			mf = realloc(m->f, na * sizeof(*mf));
			if (!mf) {
				rc = -ENOMEM;
				break;
			}
			m->f = mf;
			alloc = na;
		}
		mf = &m->f[m->n];
		mf->data = malloc(fr.caplen ? fr.caplen : 1);
		if (!mf->data) {
			rc = -ENOMEM;
			break;
		}
		memcpy(mf->data, fr.data, fr.caplen);
		mf->ts_ns = fr.ts_ns;
		mf->caplen = fr.caplen;
		mf->len = fr.len;
		mf->linktype = fr.linktype;
		m->bytes += fr.caplen;
		m->n++;
	}
	if (rc < 0)
		fprintf(stderr, "%s\n", rc == -ENOMEM ? "out of memory" : err);
	eg_capture_free(cap);
	return rc < 0 ? rc : 0;
}

/*
 * Replay m through fresh engines of feature set fs until budget_ns of
 * processing time; returns the packets processed and the time spent.
 */
/* The whole path of --model: forest and policy, shared read-only. */
static struct eg_forest *forest;
static struct eg_policy *policy;
static float proba[EG_MAX_CLASSES];

static uint64_t full_packet(struct eg_pkt_info *in)
{
	struct eg_decision d;
	const float *pr = NULL;
	unsigned top = 0;

	if (in->parse_rc >= 0 && in->pkt.payload_len > 0 &&
	    in->n_features == eg_forest_n_features(forest)) {
		top = eg_forest_predict(forest, in->features, proba);
		pr = proba;
	}
	eg_policy_decide(policy, in, pr, top, NULL, &d);
	return (uint64_t)d.verdict + (uint64_t)d.reason;
}

static int load_model(const char *path)
{
	struct eg_config c;
	char err[512];

	eg_config_default(&c);
	if (eg_forest_load(path, eg_schema_get(EG_FEATURES_FLOW), &forest, err,
			   sizeof(err)) < 0 ||
	    eg_policy_new(&c, forest, &policy, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-core: %s\n", err);
		return -1;
	}
	return 0;
}

static int run(const struct mcap *m, enum eg_feature_set fs,
	       uint64_t budget_ns, uint64_t *ret_pkts, uint64_t *ret_ns,
	       uint64_t *ret_cpu, uint64_t *ret_sink)
{
	struct eg_engine_params p;
	uint64_t pkts = 0, spent = 0, cpu = 0, sink = 0, start = now_ns();
	int rc;

	eg_engine_params_default(&p);
	/* A table sized for these captures (under 100 flows each): a fresh
	 * engine per replay must be cheap to create, and the 65536-slot
	 * default would make every replay touch fresh pages. */
	p.flow.capacity = BENCH_FLOWS;
	p.features = fs;
	(void)eg_addr_parse("192.168.86.40", p.devices[0]);
	p.device_version[0] = 4;
	p.n_devices = 1;
	do {
		struct eg_engine *e;
		struct eg_pkt_info in;
		uint64_t t0, c0;
		size_t i;

		rc = eg_engine_new(&p, &e);
		if (rc < 0)
			return rc;
		t0 = now_ns();
		c0 = cpu_ns();
		for (i = 0; i < m->n; i++) {
			const struct mframe *f = &m->f[i];

			(void)eg_engine_process(e, f->linktype, f->data,
						f->caplen, f->len, f->ts_ns, 1,
						&in);
			sink += in.content_type + in.layer;
			if (policy)
				sink += full_packet(&in);
		}
		cpu += cpu_ns() - c0;
		spent += now_ns() - t0;
		pkts += m->n;
		eg_engine_free(e);
	} while (spent < budget_ns && now_ns() - start < 4 * budget_ns);
	*ret_pkts = pkts;
	*ret_ns = spent;
	*ret_cpu = cpu;
	*ret_sink = sink;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "model", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = EG_SHARED_DATA, *model = NULL;
	const char *const *names = default_caps;
	double seconds = 1.0;
	uint64_t tot_pkts[2] = { 0 }, tot_ns[2] = { 0 }, tot_cpu[2] = { 0 };
	uint64_t sink = 0;
	struct mcap *caps;
	struct stat st;
	size_t n_names = sizeof(default_caps) / sizeof(default_caps[0]);
	size_t i, j;
	int c, fs, status = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'm': model = optarg; break;
		case 'h':
			printf("usage: bench-core [--data DIR] [--seconds S] "
			       "[--model M] [CAPTURE_NAME...]\n");
			return 0;
		default: return 2;
		}
	}
	if (getenv("ECHOGUARD_SHARED_DATA") && *getenv("ECHOGUARD_SHARED_DATA"))
		data = getenv("ECHOGUARD_SHARED_DATA");
	if (optind < argc) {
		names = (const char *const *)argv + optind;
		n_names = (size_t)(argc - optind);
	}
	if (stat(data, &st) < 0) {
		printf("SKIP: shared data %s not found (set "
		       "ECHOGUARD_SHARED_DATA)\n", data);
		return 77;
	}
	caps = calloc(n_names, sizeof(*caps));
	if (!caps)
		return 1;
	for (i = 0; i < n_names; i++) {
		char path[4096];

		if (strchr(names[i], '/'))
			snprintf(path, sizeof(path), "%s", names[i]);
		else
			snprintf(path, sizeof(path), "%s/vcf/pcap/%s", data,
				 names[i]);
		if (stat(path, &st) < 0) {
			printf("SKIP: %s: %s\n", path, strerror(errno));
			status = 77;
			goto out;
		}
		caps[i].name = names[i];
		if (load(path, &caps[i]) < 0)
			goto out;
	}

	if (model && load_model(model) < 0)
		goto out;
	if (policy)
		printf("full path (engine, forest, policy), frames in memory, "
		       "%.1f s per capture\n", seconds);
	else
		printf("core path (eg_engine_process), frames in memory, %.1f s "
		       "per capture and feature set\n", seconds);
	printf("%-55s %-4s %8s %10s %8s %8s %7s\n", "capture", "set", "frames",
	       "replayed", "ns/pkt", "cpu-ns", "Mpps");
	for (i = 0; i < n_names; i++) {
		for (fs = policy ? 1 : 0; fs < 2; fs++) {
			uint64_t pkts, ns, cpu;
			int rc;

			rc = run(&caps[i], fs, (uint64_t)(seconds * 1e9),
				 &pkts, &ns, &cpu, &sink);
			if (rc < 0) {
				fprintf(stderr, "eg_engine_new: %s\n",
					strerror(-rc));
				goto out;
			}
			tot_pkts[fs] += pkts;
			tot_ns[fs] += ns;
			tot_cpu[fs] += cpu;
			printf("%-55.55s %-4s %8zu %10llu %8.1f %8.1f %7.2f\n",
			       caps[i].name, policy ? "full" : fs ? "flow" : "seed",
			       caps[i].n,
			       (unsigned long long)pkts, (double)ns / pkts,
			       (double)cpu / pkts, pkts * 1e3 / ns);
		}
	}
	for (fs = policy ? 1 : 0; fs < 2; fs++)
		printf("%-55s %-4s %8s %10llu %8.1f %8.1f %7.2f\n", "all",
		       policy ? "full" : fs ? "flow" : "seed", "",
		       (unsigned long long)tot_pkts[fs],
		       (double)tot_ns[fs] / tot_pkts[fs],
		       (double)tot_cpu[fs] / tot_pkts[fs],
		       tot_pkts[fs] * 1e3 / tot_ns[fs]);
	status = 0;
	(void)sink;
out:
	for (i = 0; i < n_names; i++) {
		for (j = 0; j < caps[i].n; j++)
			free(caps[i].f[j].data);
		free(caps[i].f);
	}
	free(caps);
	eg_policy_free(policy);
	eg_forest_free(forest);
	return status;
}
