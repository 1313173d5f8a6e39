// SPDX-License-Identifier: MIT
/*
 * echoguard report: per hour or day, the microphone's muted share, the
 * uploads blocked and allowed and their bytes, from echoguardd's journal
 * entries (statistics, start and mic events); a terminal table and, with
 * -o, an SVG picture (docs/cli.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "journal.h"

#define MAX_BUCKETS 400
#define MAX_MIC_POINTS 65536
#define HOUR_US (3600ull * 1000000ull)
#define DAY_US (24ull * HOUR_US)

struct bucket {
	uint64_t start_us;
	uint64_t c[CLI_C_COUNT];
	uint64_t muted_us, known_us;   /* mic timeline overlap */
};

struct mic_point {
	uint64_t t_us;
	int state;
};

struct report {
	uint64_t since_us, until_us, size_us;
	bool by_day;
	struct bucket *b;
	unsigned n;
	struct mic_point *mic;
	unsigned n_mic;
};

/* "@EPOCH", "YYYY-MM-DD[ HH:MM[:SS]]", "today", "yesterday", "-Nh", "-Nd". */
static int parse_time(const char *s, uint64_t *ret)
{
	struct tm tm = { 0 };
	char *end;
	long long v;
	const char *e;

	if (s[0] == '@' || s[0] == '-') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || v < 0)
			return -EINVAL;
		if (s[0] == '@' && !*end) {
			*ret = (uint64_t)v * 1000000ull;
			return 0;
		}
		if (s[0] == '-' && (!strcmp(end, "h") || !strcmp(end, "d"))) {
			*ret = cli_now_us() - (uint64_t)v *
			       (*end == 'h' ? HOUR_US : DAY_US);
			return 0;
		}
		return -EINVAL;
	}
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		*ret = cli_midnight_us() - (s[0] == 'y' ? DAY_US : 0);
		return 0;
	}
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e && *e == ' ')
		e = strptime(e + 1, strchr(e + 1, ':') != strrchr(e + 1, ':') ?
			     "%H:%M:%S" : "%H:%M", &tm);
	if (!e || *e)
		return -EINVAL;
	tm.tm_isdst = -1;
	*ret = (uint64_t)mktime(&tm) * 1000000ull;
	return 0;
}

/* The start of the local hour or day holding t. */
static uint64_t align(uint64_t t_us, bool day)
{
	time_t t = (time_t)(t_us / 1000000ull);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_min = tm.tm_sec = 0;
	if (day)
		tm.tm_hour = 0;
	tm.tm_isdst = -1;
	return (uint64_t)mktime(&tm) * 1000000ull;
}

static int bucket_of(const struct report *r, uint64_t t_us)
{
	/* Hours are fixed; days follow the local calendar (DST). */
	for (unsigned i = r->n; i-- > 0;)
		if (t_us >= r->b[i].start_us)
			return (int)i;
	return -1;
}

static int make_buckets(struct report *r)
{
	uint64_t t = align(r->since_us, r->by_day);

	r->b = calloc(MAX_BUCKETS, sizeof(*r->b));
	if (!r->b)
		return -ENOMEM;
	while (t < r->until_us && r->n < MAX_BUCKETS) {
		r->b[r->n++].start_us = t;
		/* + 1.5 h or 1.5 days, aligned: robust to DST changes */
		t = align(t + r->size_us + r->size_us / 2, r->by_day);
	}
	return t < r->until_us ? -E2BIG : 0;
}

static int add_delta(uint64_t t_us, int mic, const uint64_t d[CLI_C_COUNT],
		     void *ud)
{
	struct report *r = ud;
	int i = bucket_of(r, t_us);

	(void)mic;
	if (i < 0)
		return 0;
	for (unsigned c = 0; c < CLI_C_COUNT; c++)
		r->b[i].c[c] += d[c];
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	const struct mic_point *x = a, *y = b;

	return x->t_us < y->t_us ? -1 : x->t_us > y->t_us;
}

/* The microphone timeline: the start, mic and statistics entries from two
 * days before since_us up to until_us. */
static int read_mic(struct cli_journal *jr, struct report *r)
{
	/* statistics entries carry EG_MIC too: the timeline survives a
	 * lost start or mic entry */
	static const char *const events[] = { "start", "mic", "stats" };
	uint64_t from = r->since_us > 2 * DAY_US ? r->since_us - 2 * DAY_US : 1;
	uint64_t t;
	int k;

	r->mic = calloc(MAX_MIC_POINTS, sizeof(*r->mic));
	if (!r->mic)
		return -ENOMEM;
	for (unsigned e = 0; e < 3; e++) {
		k = cli_journal_select(jr, events[e], true, from);
		while (k >= 0 && r->n_mic < MAX_MIC_POINTS &&
		       (k = cli_journal_step(jr, true)) > 0) {
			t = cli_journal_time(jr);
			if (t >= r->until_us)
				break;
			r->mic[r->n_mic].t_us = t;
			r->mic[r->n_mic++].state =
				(int)cli_journal_u64(jr, "EG_MIC", 1);
		}
		if (k < 0)
			return k;
	}
	qsort(r->mic, r->n_mic, sizeof(*r->mic), cmp_point);
	return 0;
}

/* Spread the timeline's spans over the buckets (up to now). */
static void mic_overlap(struct report *r)
{
	uint64_t now = cli_now_us(), a, b, lo, hi;

	for (unsigned i = 0; i < r->n_mic; i++) {
		a = r->mic[i].t_us;
		b = i + 1 < r->n_mic ? r->mic[i + 1].t_us : now;
		for (unsigned k = 0; k < r->n; k++) {
			lo = r->b[k].start_us;
			hi = k + 1 < r->n ? r->b[k + 1].start_us : r->until_us;
			lo = a > lo ? a : lo;
			hi = b < hi ? b : hi;
			if (hi <= lo)
				continue;
			r->b[k].known_us += hi - lo;
			if (!r->mic[i].state)
				r->b[k].muted_us += hi - lo;
		}
	}
}

static void bucket_label(const struct report *r, uint64_t t, char *buf,
			 size_t len)
{
	time_t s = (time_t)(t / 1000000ull);
	struct tm tm;

	localtime_r(&s, &tm);
	strftime(buf, len, r->by_day ? "%Y-%m-%d" : "%Y-%m-%d %H:00", &tm);
}

static void muted_text(const struct bucket *b, char *buf, size_t len)
{
	if (!b->known_us)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f%%", 100.0 * (double)b->muted_us /
			 (double)b->known_us);
}

static void print_row(const char *label, const char *muted, const uint64_t *c)
{
	printf("%-16s %6s %8llu %14llu %8llu %14llu %7llu\n", label, muted,
	       (unsigned long long)c[CLI_C_UPLOADS_DROPPED],
	       (unsigned long long)c[CLI_C_BYTES_BLOCKED],
	       (unsigned long long)c[CLI_C_UPLOADS_ALLOWED],
	       (unsigned long long)c[CLI_C_BYTES_ALLOWED],
	       (unsigned long long)c[CLI_C_LEAK_BYTES]);
}

static void print_table(const struct report *r)
{
	uint64_t tot[CLI_C_COUNT] = { 0 }, muted = 0, known = 0;
	char a[32], z[32], m[16];
	struct bucket all = { 0 };

	cli_format_time(r->since_us, a, sizeof(a));
	cli_format_time(r->until_us, z, sizeof(z));
	printf("echoguard report: %s to %s, per %s (uploads and bytes: "
	       "payload of decided uploads)\n", a, z, r->by_day ? "day" : "hour");
	printf("%-16s %6s %8s %14s %8s %14s %7s\n", "time", "muted", "blocked",
	       "bytes_blocked", "allowed", "bytes_allowed", "leaked");
	for (unsigned i = 0; i < r->n; i++) {
		const struct bucket *b = &r->b[i];

		bucket_label(r, b->start_us, a, sizeof(a));
		muted_text(b, m, sizeof(m));
		print_row(a, m, b->c);
		for (unsigned c = 0; c < CLI_C_COUNT; c++)
			tot[c] += b->c[c];
		muted += b->muted_us;
		known += b->known_us;
	}
	all.muted_us = muted;
	all.known_us = known;
	muted_text(&all, m, sizeof(m));
	print_row("total", m, tot);
}

#define SVG_TOP 60
#define SVG_PLOT 200
#define SVG_LEFT 70

static void svg_bucket(FILE *f, const struct report *r, unsigned i,
		       double bw, uint64_t max)
{
	const struct bucket *b = &r->b[i];
	double x = SVG_LEFT + bw * i, hb, ha, fr;
	char label[32], m[16];

	bucket_label(r, b->start_us, label, sizeof(label));
	muted_text(b, m, sizeof(m));
	hb = SVG_PLOT * (double)b->c[CLI_C_BYTES_BLOCKED] / (double)max;
	ha = SVG_PLOT * (double)b->c[CLI_C_BYTES_ALLOWED] / (double)max;
	fr = b->known_us ? (double)b->muted_us / (double)b->known_us : 0;
	fprintf(f, "<g class=\"bucket\" data-start=\"%s\" data-blocked=\"%llu\" "
		"data-bytes-blocked=\"%llu\" data-allowed=\"%llu\" "
		"data-bytes-allowed=\"%llu\">\n<title>%s: muted %s; %llu uploads "
		"blocked (%llu B), %llu allowed (%llu B)</title>\n", label,
		(unsigned long long)b->c[CLI_C_UPLOADS_DROPPED],
		(unsigned long long)b->c[CLI_C_BYTES_BLOCKED],
		(unsigned long long)b->c[CLI_C_UPLOADS_ALLOWED],
		(unsigned long long)b->c[CLI_C_BYTES_ALLOWED], label, m,
		(unsigned long long)b->c[CLI_C_UPLOADS_DROPPED],
		(unsigned long long)b->c[CLI_C_BYTES_BLOCKED],
		(unsigned long long)b->c[CLI_C_UPLOADS_ALLOWED],
		(unsigned long long)b->c[CLI_C_BYTES_ALLOWED]);
	fprintf(f, "<rect class=\"blocked\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" fill=\"#d62728\"/>\n", x + bw * 0.1,
		SVG_TOP + SVG_PLOT - hb, bw * 0.4, hb);
	fprintf(f, "<rect class=\"allowed\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" fill=\"#2ca02c\"/>\n", x + bw * 0.5,
		SVG_TOP + SVG_PLOT - ha, bw * 0.4, ha);
	fprintf(f, "<rect class=\"muted\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		"height=\"14\" fill=\"#555555\" fill-opacity=\"%.2f\"/>\n",
		x, SVG_TOP + SVG_PLOT + 8, bw, fr);
	if (i % (unsigned)(60.0 / bw + 1) == 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
			"transform=\"rotate(40 %.1f %d)\">%s</text>\n", x,
			SVG_TOP + SVG_PLOT + 36, x, SVG_TOP + SVG_PLOT + 36,
			label);
	fprintf(f, "</g>\n");
}

static int write_svg(const struct report *r, const char *path)
{
	double bw = r->n ? 900.0 / r->n : 40;
	uint64_t max = 1;
	int width, height = SVG_TOP + SVG_PLOT + 110;
	FILE *f;

	if (bw > 40)
		bw = 40;
	if (bw < 4)
		bw = 4;
	width = SVG_LEFT + (int)(bw * r->n) + 30;
	if (width < 640)
		width = 640;
	for (unsigned i = 0; i < r->n; i++) {
		if (r->b[i].c[CLI_C_BYTES_BLOCKED] > max)
			max = r->b[i].c[CLI_C_BYTES_BLOCKED];
		if (r->b[i].c[CLI_C_BYTES_ALLOWED] > max)
			max = r->b[i].c[CLI_C_BYTES_ALLOWED];
	}
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="
		"\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"10\" y=\"20\" font-size=\"14\">echoguard: upload "
		"bytes per %s</text>\n<text x=\"10\" y=\"38\" font-size=\"11\">"
		"<tspan fill=\"#d62728\">blocked</tspan>, <tspan fill=\"#2ca02c\">"
		"allowed</tspan>; the grey band: share of the time muted</text>\n",
		width, height, width, height, r->by_day ? "day" : "hour");
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"black\"/>\n<text x=\"4\" y=\"%d\" font-size=\"10\">"
		"%llu B</text>\n<text x=\"4\" y=\"%d\" font-size=\"10\">0</text>\n"
		"<text x=\"4\" y=\"%d\" font-size=\"10\">muted</text>\n",
		SVG_LEFT, SVG_TOP + SVG_PLOT, width - 20, SVG_TOP + SVG_PLOT,
		SVG_TOP + 4, (unsigned long long)max, SVG_TOP + SVG_PLOT,
		SVG_TOP + SVG_PLOT + 19);
	for (unsigned i = 0; i < r->n; i++)
		svg_bucket(f, r, i, bw, max);
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? 0 : -EIO;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: echoguard report [--since T] [--until T] "
		"[--by hour|day] [-o report.svg] [--pid PID] [-D JOURNAL_DIR]\n"
		"T: @EPOCH, YYYY-MM-DD[ HH:MM[:SS]], today, yesterday, -Nh, -Nd "
		"(default: the last 24 hours by hour)\n");
}

static int parse_args(int argc, char **argv, struct report *r,
		      const char **out, const char **dir, int *pid)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "by", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "directory", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *by = NULL;
	int c;

	r->until_us = cli_now_us();
	r->since_us = r->until_us - DAY_US;
	while ((c = getopt_long(argc, argv, "s:u:b:o:p:D:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': if (parse_time(optarg, &r->since_us) < 0) goto bad; break;
		case 'u': if (parse_time(optarg, &r->until_us) < 0) goto bad; break;
		case 'b': by = optarg; break;
		case 'o': *out = optarg; break;
		case 'p': *pid = atoi(optarg); break;
		case 'D': *dir = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (by && strcmp(by, "hour") && strcmp(by, "day"))
		goto bad;
	r->by_day = by ? !strcmp(by, "day") :
		    r->until_us - r->since_us > 3 * DAY_US;
	r->size_us = r->by_day ? DAY_US : HOUR_US;
	if (optind < argc || r->until_us <= r->since_us)
		goto bad;
	return 0;
bad:
	cli_error("report: bad time or option (%s)", optarg ? optarg : "");
	usage(stderr);
	return -EINVAL;
}

int cmd_report(int argc, char **argv)
{
	struct report r = { 0 };
	struct cli_journal jr;
	const char *out = NULL, *dir = NULL;
	int pid = 0, k, rc = 0;

	if (parse_args(argc, argv, &r, &out, &dir, &pid) < 0)
		return 2;
	if (make_buckets(&r) < 0) {
		cli_error("report: more than %d buckets: use --by day or a "
			  "shorter span", MAX_BUCKETS);
		free(r.b);
		return 2;
	}
	if (cli_journal_open(&jr, dir, pid) < 0) {
		cli_error("report: cannot open the journal");
		free(r.b);
		return 4;
	}
	k = cli_journal_deltas(&jr, r.b[0].start_us, r.until_us, add_delta, &r);
	if (k >= 0)
		k = read_mic(&jr, &r);
	cli_journal_close(&jr);
	if (k < 0) {
		cli_error("report: reading the journal: %s", strerror(-k));
		rc = 4;
		goto out;
	}
	mic_overlap(&r);
	print_table(&r);
	if (out && (k = write_svg(&r, out)) < 0) {
		cli_error("report: %s: %s", out, strerror(-k));
		rc = 1;
	}
out:
	free(r.b);
	free(r.mic);
	return rc;
}
