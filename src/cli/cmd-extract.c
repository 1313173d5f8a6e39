/* SPDX-License-Identifier: MIT */
/*
 * extract.c: `echoguard extract`: captures -> labelled feature CSV.
 *
 * One fresh engine per capture file (flows never span files); every packet
 * goes through eg_engine_process, the daemon's own per-packet path, and the
 * rows of a capture are kept (a growable array) until the capture is read,
 * because the keep-alive class needs the whole capture (label.h). Columns
 * and classes are documented in docs/cli.md and docs/features.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-util.h"
#include "echoguard/offline/capture.h"
#include "echoguard/offline/device.h"
#include "echoguard/engine/engine.h"
#include "echoguard/offline/label.h"
#include "echoguard/offline/voice.h"
#include "echoguard/net/packet.h"

#define OUT_BUFSZ (1 << 20)
#define TICK_EVERY 4096
/* Flows per capture: ample for a home device's capture and cheap to zero
 * (the daemon's default of 65536 costs 80 MB of memset per capture). */
#define EXTRACT_FLOWS 4096

/* The output's stdio buffer (static: stdout may outlive cmd_extract). */
static char outbuf[OUT_BUFSZ];

/* A CSV row waiting for its label. */
struct row {
	uint64_t ts_ns;
	uint32_t len;                /* payload length, dstport: the first */
	uint16_t dport;              /* columns of every schema's CSV */
	uint8_t dst[16];
	uint8_t ip_version;
	bool synced;
	float x[EG_FEAT_MAX];
};

struct extract {
	/* options */
	struct eg_engine_params ep;
	bool device_given, both;
	enum eg_context ctx;
	double margin;
	struct eg_interactions *inter;
	struct cli_mic mic;          /* --mic FILE; fixed -1 without */
	const char *out_path, *windows_path;
	/* state */
	FILE *out, *wout;            /* the CSV; --windows-out */
	struct row *rows;
	struct eg_label_row *lrows;
	size_t n, cap;
	struct cli_strv files;
	uint64_t packets, written, parse_errors, evicted;
	uint64_t counts[EG_CLASS_COUNT];
	unsigned errors;
	uint8_t last_dev[16];
	uint8_t last_dev_version;
	int64_t date_sec;
	char date_buf[32];
};

static void usage(FILE *f)
{
	fputs("usage: echoguard extract [OPTIONS] CAPTURE|DIR...\n"
	      "Run captures through the engine and write one labelled feature row\n"
	      "per packet as CSV (docs/cli.md).\n\n"
	      "  --device IP           the device's address (repeatable, up to 8);\n"
	      "                        default: per capture, the local address with\n"
	      "                        the most TLS flows\n"
	      "  --direction out|both  rows for the device's packets only (default)\n"
	      "                        or for both directions\n"
	      "  --features SET        seed (the paper's seven, default), flow or shape\n"
	      "  --context C           active, idle (default) or muted, for every capture;\n"
	      "                        voice: voice-shaped uploads are expected, the\n"
	      "                        other app data justified (docs/learn.md)\n"
	      "  --mic FILE            microphone timeline (EPOCH,STATE lines): app\n"
	      "                        data sent while muted is not_justified\n"
	      "  --windows-out FILE    with --context voice: write the voice windows\n"
	      "                        found (interactions.csv format)\n"
	      "  --interactions FILE   interaction windows (pcap,start,end,...); app\n"
	      "                        data inside a window is expected, outside justified\n"
	      "  --margin S            seconds added to both ends of a window (default 2)\n"
	      "  -o, --output FILE     write the CSV there (default stdout)\n", f);
}

static void say_device(struct extract *x, const char *path, unsigned flows)
{
	char buf[64];

	if (x->ep.n_devices == 0) {
		cli_error("%s: no local address with TLS flows; every packet is "
			  "taken as the device's (pass --device)", path);
		x->last_dev_version = 0;
		return;
	}
	if (x->last_dev_version == x->ep.device_version[0] &&
	    !memcmp(x->last_dev, x->ep.devices[0], 16))
		return;
	memcpy(x->last_dev, x->ep.devices[0], 16);
	x->last_dev_version = x->ep.device_version[0];
	eg_addr_format(x->ep.device_version[0], x->ep.devices[0], buf, sizeof(buf));
	cli_error("%s: device %s (the local address with the most TLS flows: "
		  "%u; pass --device to choose)", path, buf, flows);
}

/* --- CSV formatting (hot: no snprintf for integer-valued features) --- */

static char *put_uint(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "%.9g" of a float, exactly (integers below 1e9 take a fast path). */
static char *put_float(char *p, float f)
{
	if (f == truncf(f) && fabsf(f) < 1e9f && !(f == 0 && signbit(f))) {
		if (f < 0) {
			*p++ = '-';
			f = -f;
		}
		return put_uint(p, (uint64_t)f);
	}
	return p + snprintf(p, 32, "%.9g", (double)f);
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_date(struct extract *x, char *p, uint64_t ts_ns)
{
	int64_t sec = (int64_t)(ts_ns / 1000000000ull);
	unsigned usec = (unsigned)(ts_ns % 1000000000ull / 1000);
	int i;

	if (sec != x->date_sec || !x->date_buf[0]) {
		time_t t = (time_t)sec;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(x->date_buf, sizeof(x->date_buf), "%Y-%m-%d %H:%M:%S", &tm);
		x->date_sec = sec;
	}
	p = put_str(p, x->date_buf);
	*p++ = '.';
	for (i = 5; i >= 0; i--) {
		p[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	return p + 6;
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	if (!strpbrk(s, ",\"\n\r")) {
		snprintf(dst, len, "%s", s);
		return;
	}
	dst[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"')
			dst[o++] = '"';
		dst[o++] = *s;
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

/* The schema's vector starts with the paper's seven (seed, flow). */
static bool seed_first(const struct extract *x)
{
	return x->ep.features != EG_FEATURES_SHAPE;
}

static void write_header(struct extract *x)
{
	const struct eg_schema *s = eg_schema_get(x->ep.features);
	uint32_t i;

	if (!seed_first(x)) {
		/* length and dstport stay, as context: no model reads them */
		fputs("date,length,dstip,dstport,synchronized,class", x->out);
		for (i = 0; i < s->n; i++)
			fprintf(x->out, ",%s", s->names[i]);
		fputs(",source\n", x->out);
		return;
	}
	fputs("date,length,dstip,dstport,highest_layer,delta,ack_flag,"
	      "microphone,content_type,synchronized,class", x->out);
	for (i = 7; i < s->n; i++)
		fprintf(x->out, ",%s", s->names[i]);
	fputs(",source\n", x->out);
}

static void write_rows(struct extract *x, const char *source, uint32_t nfeat)
{
	char line[1024], src[600], ip[64];
	size_t i;
	uint32_t k;

	csv_field(src, sizeof(src), source);
	for (i = 0; i < x->n; i++) {
		const struct row *r = &x->rows[i];
		char *p = line;

		p = put_date(x, p, r->ts_ns);
		*p++ = ',';
		p = put_float(p, seed_first(x) ? r->x[0] : (float)r->len);
		*p++ = ',';
		if (r->ip_version)
			p = put_str(p, eg_addr_format(r->ip_version, r->dst, ip,
						      sizeof(ip)));
		if (!seed_first(x)) {
			*p++ = ',';
			p = put_float(p, (float)r->dport);
			*p++ = ',';
			*p++ = r->synced ? '1' : '0';
			*p++ = ',';
			p = put_str(p, eg_class_name(x->lrows[i].label));
		}
		for (k = 1; k < 7 && seed_first(x); k++) {
			*p++ = ',';
			p = put_float(p, r->x[k]);
		}
		if (seed_first(x)) {
			*p++ = ',';
			*p++ = r->synced ? '1' : '0';
			*p++ = ',';
			p = put_str(p, eg_class_name(x->lrows[i].label));
		}
		for (k = seed_first(x) ? 7 : 0; k < nfeat; k++) {
			*p++ = ',';
			p = put_float(p, r->x[k]);
		}
		*p++ = ',';
		p = put_str(p, src);
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), x->out);
		x->counts[x->lrows[i].label]++;
	}
	x->written += x->n;
}

/* Read one capture into x->rows; 0, or -1 after a reported read error. */
static int read_capture(struct extract *x, const char *path,
			struct eg_engine *e, int mic)
{
	struct eg_capture *cap;
	struct eg_frame fr;
	struct eg_pkt_info info;
	char err[512];
	int r;

	if (eg_capture_open(path, &cap, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	while ((r = eg_capture_next(cap, &fr, err, sizeof(err))) == 1) {
		struct row *row;
		struct eg_label_row *lr;
		int m = x->mic.fixed < 0 && x->mic.n ? cli_mic_at(&x->mic, fr.ts_ns)
						      : mic;

		x->packets++;
		if (eg_engine_process(e, fr.linktype, fr.data, fr.caplen, fr.len,
				      fr.ts_ns, m, &info) < 0)
			x->parse_errors++;
		if (fr.index % TICK_EVERY == 0)
			eg_engine_tick(e, fr.ts_ns);
		if (!x->both && !info.outbound)
			continue;
		if (x->n == x->cap &&
		    cli_grow2((void **)&x->rows, sizeof(*x->rows),
			      (void **)&x->lrows, sizeof(*x->lrows), &x->cap,
			      16384) < 0) {
			cli_error("%s: out of memory", path);
			eg_capture_free(cap);
			return -1;
		}
		row = &x->rows[x->n];
		lr = &x->lrows[x->n];
		x->n++;
		row->ts_ns = fr.ts_ns;
		row->ip_version = info.pkt.ip_version;
		row->len = info.parse_rc >= 0 ? info.pkt.payload_len : 0;
		row->dport = info.pkt.dport;
		memcpy(row->dst, info.pkt.dst, 16);
		row->synced = info.tls_synced;
		memcpy(row->x, info.features, info.n_features * sizeof(float));
		lr->ts_ns = fr.ts_ns;
		lr->flow_id = cli_flow_id(info.flow);
		lr->size = info.pkt.payload_len;
		lr->proto_class = (uint8_t)info.proto_class;
		lr->ka_candidate = info.ka_candidate;
		lr->muted = !m;
		lr->label = EG_CLASS_NOT_RELEVANT;
	}
	eg_capture_free(cap);
	if (r < 0) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

/* --context voice: the capture's voice windows (offline/voice.h) into lp
 * as interaction windows (freed by the caller), and to --windows-out. */
static int voice_windows(struct extract *x, const char *base,
			 struct eg_label_params *lp)
{
	struct eg_voice_params vp;
	struct eg_window *w = NULL;
	size_t n = 0, i;
	int r;

	eg_voice_params_default(&vp);
	r = eg_voice_windows(&vp, x->lrows, x->n, &w, &n);
	if (r < 0) {
		cli_error("%s: voice windows: %s", base, strerror(-r));
		return r;
	}
	lp->ctx = EG_CTX_WINDOWS;
	lp->windows = w;
	lp->n_windows = n;
	for (i = 0; x->wout && i < n; i++) {
		char name[512];

		csv_field(name, sizeof(name), base);
		fprintf(x->wout, "%s,%.6f,%.6f,,learn_voice\n", name, w[i].start,
			w[i].end);
	}
	return 0;
}

static void do_capture(struct extract *x, const char *path)
{
	struct eg_label_params lp;
	struct eg_engine *e;
	const char *base = strrchr(path, '/');
	int r, bad = 0;

	base = base ? base + 1 : path;
	if (!x->device_given) {
		char err[512];
		int version = 0;

		r = eg_device_guess(path, x->ep.devices[0], &version, err,
				    sizeof(err));
		x->ep.device_version[0] = (uint8_t)version;
		x->ep.n_devices = r > 0 ? 1 : 0;
		if (r >= 0)
			say_device(x, path, (unsigned)r);
	}
	r = eg_engine_new(&x->ep, &e);
	if (r < 0) {
		cli_error("%s: engine: %s", path, strerror(-r));
		x->errors++;
		return;
	}
	x->n = 0;
	if (read_capture(x, path, e, x->mic.fixed >= 0 ? x->mic.fixed :
			 x->ctx != EG_CTX_MUTED) < 0)
		bad = 1;
	eg_label_params_default(&lp);
	lp.ctx = x->inter ? EG_CTX_WINDOWS : x->ctx;
	lp.margin = x->margin;
	if (x->ctx == EG_CTX_VOICE && voice_windows(x, base, &lp) < 0) {
		bad = 1;
	} else if (x->inter) {
		lp.n_windows = eg_interactions_find(x->inter, base, &lp.windows);
		if (lp.n_windows == 0)
			cli_error("%s: no interaction window for \"%s\": all its "
				  "app data is justified", path, base);
	}
	r = eg_label_apply(&lp, x->lrows, x->n);
	if (r < 0) {
		cli_error("%s: labelling: %s", path, strerror(-r));
		bad = 1;
	} else {
		write_rows(x, base, eg_engine_schema(e)->n);
	}
	if (x->ctx == EG_CTX_VOICE)
		free((void *)lp.windows);
	x->errors += bad;
	{
		struct eg_flow_stats st;

		eg_flow_stats_get(eg_engine_flows(e), &st);
		x->evicted += st.evicted_lru;
	}
	eg_engine_free(e);
}

static int parse_args(struct extract *x, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "direction", required_argument, NULL, 'D' },
		{ "features", required_argument, NULL, 'f' },
		{ "context", required_argument, NULL, 'c' },
		{ "interactions", required_argument, NULL, 'i' },
		{ "margin", required_argument, NULL, 'm' },
		{ "mic", required_argument, NULL, 'M' },
		{ "windows-out", required_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *inter = NULL;
	bool ctx_given = false;
	char err[512];
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (x->ep.n_devices == 8) {
				cli_error("extract: at most 8 --device addresses");
				return -1;
			}
			r = eg_addr_parse(optarg, x->ep.devices[x->ep.n_devices]);
			if (r < 0) {
				cli_error("extract: --device: \"%s\" is not an IP address",
					  optarg);
				return -1;
			}
			x->ep.device_version[x->ep.n_devices++] = (uint8_t)r;
			x->device_given = true;
			break;
		case 'D':
			if (strcmp(optarg, "out") && strcmp(optarg, "both")) {
				cli_error("extract: --direction: \"%s\" is not out or both",
					  optarg);
				return -1;
			}
			x->both = !strcmp(optarg, "both");
			break;
		case 'f':
			if (eg_feature_set_find(optarg, &x->ep.features) < 0) {
				cli_error("extract: --features: \"%s\" is not seed, "
					  "flow or shape", optarg);
				return -1;
			}
			break;
		case 'c':
			r = eg_context_parse(optarg);
			if (r < 0) {
				cli_error("extract: --context: \"%s\" is not active, "
					  "idle, muted or voice", optarg);
				return -1;
			}
			x->ctx = (enum eg_context)r;
			ctx_given = true;
			break;
		case 'i':
			inter = optarg;
			break;
		case 'm':
			if (cli_parse_seconds(optarg, &x->margin) < 0) {
				cli_error("extract: --margin: \"%s\" is not a number of "
					  "seconds >= 0", optarg);
				return -1;
			}
			break;
		case 'M':
			if (cli_mic_load(&x->mic, optarg, "extract") < 0)
				return -1;
			break;
		case 'W':
			x->windows_path = optarg;
			break;
		case 'o':
			x->out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (ctx_given && inter) {
		cli_error("extract: --context and --interactions exclude each other");
		return -1;
	}
	if (x->windows_path && x->ctx != EG_CTX_VOICE) {
		cli_error("extract: --windows-out needs --context voice");
		return -1;
	}
	if (optind >= argc) {
		cli_error("extract: no capture given");
		usage(stderr);
		return -1;
	}
	if (inter) {
		r = eg_interactions_load(inter, &x->inter, err, sizeof(err));
		if (r < 0) {
			cli_error("%s", err);
			return -1;
		}
	}
	return 0;
}

static void summary(struct extract *x, double secs)
{
	int c;

	fprintf(stderr, "echoguard: extract: %zu capture%s, %llu packets, %llu "
		"rows in %.2f s (%.0f packets/s)", x->files.n,
		x->files.n == 1 ? "" : "s", (unsigned long long)x->packets,
		(unsigned long long)x->written, secs,
		secs > 0 ? (double)x->packets / secs : 0.0);
	if (x->parse_errors)
		fprintf(stderr, ", %llu malformed (not_relevant)",
			(unsigned long long)x->parse_errors);
	if (x->evicted)
		fprintf(stderr, ", %llu live flows evicted (table of %u)",
			(unsigned long long)x->evicted, EXTRACT_FLOWS);
	if (x->errors)
		fprintf(stderr, ", %u input%s with errors", x->errors,
			x->errors == 1 ? "" : "s");
	fputc('\n', stderr);
	for (c = 0; c < EG_CLASS_COUNT; c++)
		fprintf(stderr, "  %-14s %10llu  %5.1f%%\n", eg_class_name(c),
			(unsigned long long)x->counts[c],
			x->written ? 100.0 * (double)x->counts[c] / (double)x->written : 0.0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `echoguard extract`; see usage() and docs/cli.md. */
int cmd_extract(int argc, char **argv)
{
	struct extract x;
	struct cli_progress prog;
	double t0 = now_s();
	int i, r, status = 0;
	size_t k;

	memset(&x, 0, sizeof(x));
	eg_engine_params_default(&x.ep);
	x.ep.flow.capacity = EXTRACT_FLOWS;
	x.ctx = EG_CTX_IDLE;
	x.margin = 2.0;
	x.date_sec = -1;
	x.mic.fixed = -1;
	r = parse_args(&x, argc, argv);
	if (r != 0) {
		status = r > 0 ? 0 : 2;
		goto out;
	}
	for (i = optind; i < argc; i++) {
		r = eg_capture_walk(argv[i], cli_strv_add, &x.files);
		if (r < 0) {
			cli_error("%s: %s", argv[i], strerror(-r));
			x.errors++;
		}
	}
	if (x.out_path) {
		x.out = fopen(x.out_path, "we");
		if (!x.out) {
			cli_error("%s: %s", x.out_path, strerror(errno));
			status = 2;
			goto out;
		}
	} else {
		x.out = stdout;
	}
	setvbuf(x.out, outbuf, _IOFBF, OUT_BUFSZ);
	if (x.windows_path) {
		x.wout = fopen(x.windows_path, "we");
		if (!x.wout) {
			cli_error("%s: %s", x.windows_path, strerror(errno));
			status = 2;
			goto out;
		}
		fputs("pcap,start,end,trace,source\n", x.wout);
	}
	write_header(&x);
	cli_progress_init(&prog, "extract", x.files.n);
	for (k = 0; k < x.files.n; k++) {
		do_capture(&x, x.files.v[k]);
		cli_progress_step(&prog, k + 1);
	}
	cli_progress_end(&prog);
	if (fflush(x.out) != 0 || ferror(x.out)) {
		cli_error("%s: write error: %s", x.out_path ? x.out_path : "stdout",
			  strerror(errno));
		x.errors++;
	}
	if (x.wout && (fflush(x.wout) != 0 || ferror(x.wout))) {
		cli_error("%s: write error: %s", x.windows_path, strerror(errno));
		x.errors++;
	}
	summary(&x, now_s() - t0);
	status = x.errors ? 1 : 0;
out:
	if (x.wout)
		fclose(x.wout);
	if (x.out && x.out != stdout)
		fclose(x.out);
	else if (x.out == stdout)
		fflush(stdout);
	cli_strv_done(&x.files);
	free(x.rows);
	free(x.lrows);
	eg_interactions_free(x.inter);
	cli_mic_done(&x.mic);
	return status;
}
