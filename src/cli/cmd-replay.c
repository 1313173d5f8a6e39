/* SPDX-License-Identifier: MIT */
/*
 * replay.c: `echoguard replay`: what echoguardd would do with a capture.
 *
 * Every packet the daemon would get runs through the daemon's own calls, in
 * its order: eg_engine_process (capture timestamps instead of the monotonic
 * clock), eg_forest_predict (only for parsed packets with payload, as the
 * daemon does), eg_policy_decide. The verdict of each packet is printed,
 * then a summary. With labels (--interactions or --context, label.h) it
 * also measures what enforcing would cost and miss: expected app-data
 * packets dropped (false blocks) and unjustified app-data bytes accepted
 * (misses). One fresh engine per capture file, as in `extract`.
 * docs/replay.md documents the options and the output.
 */
#include <errno.h>
#include <netinet/in.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "echoguard/offline/voice.h"
#include "replay.h"
#include "echoguard/offline/capture.h"
#include "echoguard/verdict/budget.h"
#include "echoguard/verdict/model-choice.h"
#include "echoguard/offline/device.h"
#include "echoguard/net/packet.h"
#include "echoguard/net/tls.h"

#define TICK_EVERY 4096

static char outbuf[1 << 20];

static void usage(FILE *f)
{
	fprintf(f,
	"usage: echoguard replay --model M [-c INI] [OPTIONS] CAPTURE|DIR...\n"
	"Run echoguardd's per-packet path (engine, forest, policy) over\n"
	"captures and print each packet's verdict and a summary.\n\n"
	"  --model M             the model file (default: the daemon's choice\n"
	"                        for -c: [model] learned if installed, else\n"
	"                        [model] path)\n"
	"  -c, --config INI      the daemon's config (default: built-in defaults)\n"
	"  --mic on|off|FILE     microphone state: fixed, or a file holding 0/1\n"
	"                        or lines \"EPOCH_SECONDS STATE\" (a timeline)\n"
	"  --device IP           the device's address (repeatable; default\n"
	"                        [device] address, else detected per capture)\n"
	"  --min-confidence X    override [policy] min_confidence\n"
	"  --mode enforce|monitor override [policy] mode\n"
	"  --on-drop packet|flow [policy] on_drop as replayed (default packet:\n"
	"                        a capture cannot reconnect after a reset, so\n"
	"                        flow would drop the rest of the capture's\n"
	"                        connection, which the Echo sends anew)\n"
	"  --feed out|both       whose packets go to the policy and are reported:\n"
	"                        every packet (both, the default: what the\n"
	"                        shipped rules queue) or the device's only; the\n"
	"                        engine sees both directions either way\n"
	"  --summary             only the summary\n"
	"  --json                JSON lines: one object per packet, then a\n"
	"                        summary object\n"
	"  --interactions FILE   label app data by interaction windows and\n"
	"  --margin S            report false blocks and misses (margin: 2 s)\n"
	"  --context C           or label a whole capture: active|idle|muted;\n"
	"                        voice: by its voice-shaped uploads\n"
	"  -h, --help\n");
}

/* ---- options ----------------------------------------------------------- */


static int parse_args(struct replay *x, int argc, char **argv,
		      uint8_t devs[][16], uint8_t *dev_v, unsigned *n_dev,
		      double *min_conf, int *mode)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'M' },
		{ "config", required_argument, NULL, 'c' },
		{ "mic", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'd' },
		{ "min-confidence", required_argument, NULL, 'C' },
		{ "mode", required_argument, NULL, 'o' },
		{ "feed", required_argument, NULL, 'f' },
		{ "on-drop", required_argument, NULL, 'D' },
		{ "summary", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "interactions", required_argument, NULL, 'i' },
		{ "margin", required_argument, NULL, 'g' },
		{ "context", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			x->model_path = optarg;
			break;
		case 'c':
			x->config_path = optarg;
			break;
		case 'm':
			x->mic_arg = optarg;
			break;
		case 'd':
			if (*n_dev >= EG_CONFIG_MAX_DEVICES) {
				cli_error("replay: --device: at most %d",
					  EG_CONFIG_MAX_DEVICES);
				return -1;
			}
			r = eg_addr_parse(optarg, devs[*n_dev]);
			if (r < 0) {
				cli_error("replay: --device: \"%s\" is not an IP "
					  "address", optarg);
				return -1;
			}
			dev_v[(*n_dev)++] = (uint8_t)r;
			break;
		case 'C':
			errno = 0;
			*min_conf = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(*min_conf >= 0) ||
			    *min_conf > 1) {
				cli_error("replay: --min-confidence: \"%s\" is not "
					  "in [0, 1]", optarg);
				return -1;
			}
			break;
		case 'o':
			if (!strcmp(optarg, "enforce"))
				*mode = EG_MODE_ENFORCE;
			else if (!strcmp(optarg, "monitor"))
				*mode = EG_MODE_MONITOR;
			else {
				cli_error("replay: --mode: \"%s\" is not enforce "
					  "or monitor", optarg);
				return -1;
			}
			break;
		case 'f':
			if (strcmp(optarg, "out") && strcmp(optarg, "both")) {
				cli_error("replay: --feed: \"%s\" is not out or "
					  "both", optarg);
				return -1;
			}
			x->feed_both = !strcmp(optarg, "both");
			break;
		case 'D':
			if (strcmp(optarg, "packet") && strcmp(optarg, "flow")) {
				cli_error("replay: --on-drop: \"%s\" is not packet "
					  "or flow", optarg);
				return -1;
			}
			x->on_drop = strcmp(optarg, "flow") ? EG_ON_DROP_PACKET :
							      EG_ON_DROP_FLOW;
			break;
		case 's':
			x->summary_only = true;
			break;
		case 'j':
			x->json = true;
			break;
		case 'i': {
			char err[512];

			if (x->inter) {
				cli_error("replay: --interactions given twice");
				return -1;
			}
			r = eg_interactions_load(optarg, &x->inter, err,
						 sizeof(err));
			if (r < 0) {
				cli_error("replay: %s", err);
				return -1;
			}
			x->labels = true;
			break;
		}
		case 'g':
			if (cli_parse_seconds(optarg, &x->margin) < 0) {
				cli_error("replay: --margin: \"%s\" is not a number "
					  "of seconds >= 0", optarg);
				return -1;
			}
			break;
		case 'x':
			r = eg_context_parse(optarg);
			if (r < 0 || r == EG_CTX_WINDOWS) {
				cli_error("replay: --context: \"%s\" is not active,"
					  " idle, muted or voice", optarg);
				return -1;
			}
			x->ctx = (enum eg_context)r;
			x->have_ctx = true;
			x->labels = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (x->inter && x->have_ctx) {
		cli_error("replay: --interactions and --context exclude each other");
		return -1;
	}
	if (optind >= argc) {
		cli_error("replay: no capture given (see --help)");
		return -1;
	}
	return 0;
}

/* ---- set-up ------------------------------------------------------------ */

/* The forest: --model, or the daemon's choice for -c (model-choice.h). */
static int load_model(struct replay *x, char *err, size_t errlen)
{
	struct eg_model_choice ch;
	int r;

	if (x->model_path || !x->config_path)
		return eg_forest_load(x->cfg.model.path, x->config_path ?
				      eg_schema_get(x->cfg.model.features) :
				      NULL, &x->forest, err, errlen);
	r = eg_model_choose(&x->cfg, &x->forest, &ch, err, errlen);
	if (r < 0)
		return r;
	if (ch.warning[0])
		cli_error("replay: warning: learned model not used, replaying "
			  "with the shipped model %s: %s", ch.path, ch.warning);
	else if (ch.kind == EG_MODEL_LEARNED)
		fprintf(stderr, "replay: the learned model %s ([model] "
			"learned)\n", ch.path);
	snprintf(x->cfg.model.path, sizeof(x->cfg.model.path), "%s", ch.path);
	return 0;
}

/* Config, overrides, model, policy. Returns 0, or -1 after a message. */
static int setup(struct replay *x, uint8_t devs[][16], const uint8_t *dev_v,
		 unsigned n_dev, double min_conf, int mode)
{
	char err[4096];
	unsigned i;
	int r;

	r = eg_config_load(x->config_path, x->model_path ?
			   EG_CONFIG_NO_MODEL_CHECK : 0, &x->cfg, err,
			   sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (x->model_path)
		snprintf(x->cfg.model.path, sizeof(x->cfg.model.path), "%s",
			 x->model_path);
	if (n_dev) {
		for (i = 0; i < n_dev; i++) {
			memcpy(x->cfg.device.addr[i], devs[i], 16);
			x->cfg.device.version[i] = dev_v[i];
		}
		x->cfg.device.n = n_dev;
	}
	x->device_given = x->cfg.device.n > 0;
	if (min_conf >= 0)
		x->cfg.policy.min_confidence = min_conf;
	if (mode >= 0)
		x->cfg.policy.mode = (enum eg_policy_mode)mode;
	/* The daemon resets a flow it drops from (on_drop = flow) and the
	 * Echo reconnects; a capture cannot: what it sent next on the same
	 * connection would all count as flow_dropped. Replay the drops per
	 * packet unless asked (docs/replay.md). */
	x->cfg.policy.on_drop = x->on_drop >= 0 ? (enum eg_on_drop)x->on_drop :
						 EG_ON_DROP_PACKET;

	/* With a config, the model must have its schema, as in the daemon,
	 * and without --model it is the one the daemon would run (the
	 * learned one when installed); with --model alone, the model says
	 * which features it needs. */
	r = load_model(x, err, sizeof(err));
	if (r < 0) {
		cli_error("replay: %s", err);
		return -1;
	}
	if (!x->config_path) {
		const struct eg_schema *s;

		s = eg_schema_find(eg_forest_schema_name(x->forest));
		if (!s || s->version != eg_forest_schema_version(x->forest) ||
		    s->n != eg_forest_n_features(x->forest)) {
			cli_error("replay: %s: feature schema \"%s\" v%u is not one "
				  "this build computes", x->cfg.model.path,
				  eg_forest_schema_name(x->forest),
				  eg_forest_schema_version(x->forest));
			return -1;
		}
		(void)eg_feature_set_find(s->name, &x->cfg.model.features);
	}
	r = eg_policy_new(&x->cfg, x->forest, &x->policy, err, sizeof(err));
	if (r < 0) {
		cli_error("replay: %s", err);
		return -1;
	}
	eg_config_engine_params(&x->cfg, &x->ep);

	/* The microphone: --mic, else what the context implies, else a fixed
	 * config value; a live source (sysfs, gpiod, file) says nothing about
	 * the capture's time, so it counts as listening. */
	if (x->mic_arg) {
		if (!strcmp(x->mic_arg, "on"))
			x->mic.fixed = 1;
		else if (!strcmp(x->mic_arg, "off"))
			x->mic.fixed = 0;
		else if (cli_mic_load(&x->mic, x->mic_arg, "replay") < 0)
			return -1;
	} else if (x->have_ctx) {
		x->mic.fixed = x->ctx != EG_CTX_MUTED;
	} else if (x->cfg.mic.source == EG_MIC_FIXED) {
		x->mic.fixed = !!x->cfg.mic.value;
	} else {
		x->mic.fixed = 1;
	}
	return 0;
}

/* Microphone state at ts_ns. */
static int mic_at(const struct replay *x, uint64_t ts_ns)
{
	return cli_mic_at(&x->mic, ts_ns);
}

/* Without a device address: eg_device_guess (device.h), as extract does. */
static unsigned detect_device(struct replay *x, const char *path)
{
	uint8_t addr[16];
	char err[512];
	int v, n;

	x->ep.n_devices = 0;
	n = eg_device_guess(path, addr, &v, err, sizeof(err));
	if (n <= 0)
		return 0;
	memcpy(x->ep.devices[0], addr, 16);
	x->ep.device_version[0] = (uint8_t)v;
	x->ep.n_devices = 1;
	return (unsigned)n;
}

/* ---- one capture ------------------------------------------------------- */

static void add_budget(struct replay *x)
{
	struct eg_budget_stats s;

	eg_budget_stats_get(x->budget, &s);
	x->bst.bytes += s.bytes;
	x->bst.packets += s.packets;
	x->bst.over_bytes += s.over_bytes;
	x->bst.over_packets += s.over_packets;
}

/* The daemon's per-packet path for one frame; keeps the row. */
static int one_packet(struct replay *x, struct eg_engine *e,
		      const struct eg_frame *fr)
{
	struct eg_pkt_info pi;
	struct eg_decision d;
	const float *proba = NULL;
	struct rrow *row;
	unsigned top = 0;
	int r;

	r = eg_engine_process(e, fr->linktype, fr->data, fr->caplen, fr->len,
			      fr->ts_ns, mic_at(x, fr->ts_ns), &pi);
	if (r < 0)
		x->parse_errors++;
	/* Every packet went through the engine (the daemon sees both
	 * directions of the device's TCP); the server's packets are always
	 * accepted, so by default only the device's verdicts are reported. */
	if (!x->feed_both && !pi.outbound && r >= 0)
		return 0;
	x->fed++;
	if (r >= 0 && pi.pkt.payload_len > 0 &&
	    pi.n_features == eg_forest_n_features(x->forest)) {
		top = eg_forest_predict(x->forest, pi.features, x->proba);
		proba = x->proba;
	}
	eg_policy_decide(x->policy, &pi, proba, top, &x->st, &d);
	(void)eg_budget_apply(x->budget, &pi, mic_at(x, fr->ts_ns), fr->ts_ns,
			      &d, &x->st);
	if (x->n == x->cap &&
	    cli_grow2((void **)&x->rows, sizeof(*x->rows), (void **)&x->lrows,
		      sizeof(*x->lrows), &x->cap, 65536) < 0)
		return -ENOMEM;
	row = &x->rows[x->n];
	memset(row, 0, sizeof(*row));
	row->frame = fr->index;
	row->ts_ns = fr->ts_ns;
	row->len = pi.pkt.wire_len ? pi.pkt.wire_len : fr->len;
	row->payload = pi.pkt.payload_len;
	row->sport = pi.pkt.sport;
	row->dport = pi.pkt.dport;
	row->ipv = pi.pkt.ip_version;
	memcpy(row->src, pi.pkt.src, 16);
	memcpy(row->dst, pi.pkt.dst, 16);
	row->outbound = pi.outbound;
	/* policy.h rule 7a, whether or not the policy decides per upload. */
	row->upseg = d.would_reason != EG_REASON_KEEPALIVE &&
		     pi.outbound && pi.flow && pi.seg == EG_SEG_NEW &&
		     pi.pkt.payload_len > 0 && !pi.keepalive_series &&
		     pi.pkt.l4_proto == IPPROTO_TCP &&
		     pi.proto_class == EG_CLASS_EXPECTED;
	row->mic = (uint8_t)pi.mic;
	row->server = pi.flow ? replay_server(x, pi.flow->sni) : 0;
	row->cls = (int8_t)d.cls;
	row->proba = d.proba;
	row->verdict = (uint8_t)d.verdict;
	row->reason = (uint8_t)d.reason;
	row->would = (uint8_t)d.would_reason;
	x->lrows[x->n] = (struct eg_label_row){
		.ts_ns = fr->ts_ns,
		.flow_id = cli_flow_id(pi.flow),
		.size = pi.pkt.payload_len,
		.proto_class = (uint8_t)pi.proto_class,
		.ka_candidate = pi.ka_candidate,
		.muted = !pi.mic,
		.label = EG_CLASS_NOT_RELEVANT,
	};
	x->n++;
	return 0;
}

/* Label the capture's rows (--interactions, --context; voice: the
 * windows of its voice-shaped uploads, offline/voice.h). */
static void label_capture(struct replay *x, const char *path,
			  const char *base)
{
	struct eg_label_params lp;
	struct eg_window *vw = NULL;
	int r = 0;

	eg_label_params_default(&lp);
	lp.ctx = x->inter ? EG_CTX_WINDOWS : x->ctx;
	lp.margin = x->margin;
	if (x->inter) {
		lp.n_windows = eg_interactions_find(x->inter, base, &lp.windows);
	} else if (x->ctx == EG_CTX_VOICE) {
		struct eg_voice_params vp;

		eg_voice_params_default(&vp);
		r = eg_voice_windows(&vp, x->lrows, x->n, &vw, &lp.n_windows);
		lp.ctx = EG_CTX_WINDOWS;
		lp.windows = vw;
	}
	if (r >= 0)
		r = eg_label_apply(&lp, x->lrows, x->n);
	if (r < 0) {
		cli_error("replay: %s: labelling: %s", path, strerror(-r));
		x->errors++;
	}
	if (lp.ctx == EG_CTX_WINDOWS || lp.ctx == EG_CTX_IDLE)
		replay_tally_idle(x, lp.windows, lp.n_windows);
	free(vw);
}

static void do_capture(struct replay *x, const char *path)
{
	const char *base = strrchr(path, '/');
	struct eg_capture *cap;
	struct eg_engine *e;
	struct eg_frame fr;
	char err[512];
	size_t i;
	int r;

	base = base ? base + 1 : path;
	if (!x->device_given && detect_device(x, path) == 0)
		fprintf(stderr, "echoguard: replay: %s: no device address found "
			"(give --device): every packet counts as the device's\n",
			path);
	else if (!x->device_given && !x->json) {
		char a[64];

		fprintf(stderr, "echoguard: replay: %s: device %s (detected)\n",
			path, eg_addr_format(x->ep.device_version[0],
					     x->ep.devices[0], a, sizeof(a)));
	}
	r = eg_engine_new(&x->ep, &e);
	x->budget = eg_budget_free(x->budget);
	if (r == 0 && (r = eg_budget_new(&x->cfg, &x->budget)) < 0)
		eg_engine_free(e);
	if (r < 0) {
		cli_error("replay: %s: engine: %s", path, strerror(-r));
		x->errors++;
		return;
	}
	r = eg_capture_open(path, &cap, err, sizeof(err));
	if (r < 0) {
		cli_error("replay: %s", err);
		x->errors++;
		eg_engine_free(e);
		return;
	}
	x->n = 0;
	while ((r = eg_capture_next(cap, &fr, err, sizeof(err))) == 1) {
		x->frames++;
		if (one_packet(x, e, &fr) < 0) {
			cli_error("replay: %s: out of memory", path);
			r = -ENOMEM;
			break;
		}
		if (fr.index % TICK_EVERY == 0)
			eg_engine_tick(e, fr.ts_ns);
	}
	if (r < 0) {
		if (r != -ENOMEM)
			cli_error("replay: %s", err);
		x->errors++;
	}
	eg_capture_free(cap);
	eg_engine_free(e);
	add_budget(x);

	if (x->labels)
		label_capture(x, path, base);
	if (replay_tally_uploads(x) < 0) {
		cli_error("replay: %s: out of memory", path);
		x->errors++;
	}
	for (i = 0; i < x->n; i++) {
		const struct rrow *row = &x->rows[i];
		int label = x->labels ? x->lrows[i].label : -1;

		/* Under monitor, count what enforce would have dropped. */
		int v = row->reason == EG_REASON_MONITOR ? EG_VERDICT_DROP :
			row->verdict;

		if (label >= 0 && label < EG_CLASS_COUNT && row->outbound) {
			x->la.pkts[label][v]++;
			x->la.payload[label][v] += row->payload;
		}
		if (!x->summary_only)
			replay_print_row(x, base, row, x->n ? x->rows[0].ts_ns : 0,
				  label);
	}
}

/* `echoguard replay`; see usage() and docs/replay.md. */
int cmd_replay(int argc, char **argv)
{
	uint8_t devs[EG_CONFIG_MAX_DEVICES][16], dev_v[EG_CONFIG_MAX_DEVICES];
	unsigned n_dev = 0;
	double min_conf = -1;
	int mode = -1, status = 2, r, i;
	struct replay *x;
	size_t k;

	x = calloc(1, sizeof(*x));
	if (!x) {
		cli_error("replay: out of memory");
		return 2;
	}
	x->margin = 2.0;
	x->mic.fixed = -1;
	x->feed_both = true;     /* the shipped rules queue both directions */
	x->on_drop = -1;         /* packet: see setup() */
	r = parse_args(x, argc, argv, devs, dev_v, &n_dev, &min_conf, &mode);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	if (!x->model_path && !x->config_path) {
		cli_error("replay: --model or -c with a [model] path is needed");
		goto out;
	}
	if (setup(x, devs, dev_v, n_dev, min_conf, mode) < 0)
		goto out;
	for (i = optind; i < argc; i++) {
		r = eg_capture_walk(argv[i], cli_strv_add, &x->files);
		if (r < 0) {
			cli_error("replay: %s: %s", argv[i], strerror(-r));
			x->errors++;
		}
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (!x->json && !x->summary_only)
		printf("%8s %11s %-47s %5s %-13s %5s %-6s %s%s\n", "frame", "time",
		       "flow", "len", "class", "proba", "verdict", "reason",
		       x->labels ? " [label]" : "");
	for (k = 0; k < x->files.n; k++)
		do_capture(x, x->files.v[k]);
	if (x->json)
		replay_summary_json(x);
	else
		replay_summary_text(x);
	if (fflush(stdout) != 0) {
		cli_error("replay: write error: %s", strerror(errno));
		x->errors++;
	}
	status = x->errors ? 1 : 0;
out:
	fflush(stdout);
	cli_strv_done(&x->files);
	free(x->rows);
	free(x->lrows);
	cli_mic_done(&x->mic);
	eg_interactions_free(x->inter);
	eg_policy_free(x->policy);
	eg_budget_free(x->budget);
	eg_forest_free(x->forest);
	free(x);
	return status;
}
