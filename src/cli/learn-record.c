// SPDX-License-Identifier: MIT
/*
 * echoguard learn record: while the daemon runs (monitor mode), record the
 * device's traffic as a ring of capture segments and the microphone's
 * timeline beside it, into the directory layout of learn.h
 * (docs/cli.md, "echoguard learn record").
 *
 *   echoguard learn record [-c INI] [--mic FILE] -i IFACE [--device IP]...
 *       --dir DIR [--segment S] [--max-disk MB] [--duration S] [--poll MS]
 *
 * One loop polls the capture's fd and the microphone's (when its source
 * delivers edges), with a timeout of at most --poll ms, so it never blocks
 * for long: SIGINT/SIGTERM or --duration end it within a poll. Segments
 * are opened at their first packet (named after its second), closed after
 * --segment seconds or an eighth of --max-disk, and the oldest closed ones
 * deleted whenever the directory's captures would exceed --max-disk
 * (learn-ring.h). mic.csv lines are written and flushed as they happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/mic.h"
#include "learn-ring.h"
#include "learn.h"
#include "pcap-rec.h"

#define WHO "learn record"
#define MB 1048576.0
#define STATUS_EVERY_S 60.0

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *config, *mic, *iface, *dir;
	struct pcap_rec_filter filter;
	uint32_t segment_s, poll_ms;
	uint64_t max_bytes;
	double duration;
};

struct rec {
	struct opts o;
	struct learn_ring ring;
	pcap_t *p;
	pcap_dumper_t *dump;       /* the open segment, NULL between them */
	int64_t seg_epoch;
	uint64_t seg_bytes;        /* written to it: header and records */
	struct eg_mic *mic;
	FILE *micf;
	int mic_written;           /* the state of the last line */
	bool mic_err;              /* in an error streak */
	double last_line, next_mic;
	unsigned long long pkts, segs_closed, segs_deleted;
	unsigned long long skipped; /* packets over the bound, not written */
	int err;                   /* a runtime failure: stop, exit 1 */
	struct cli_progress status;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: echoguard learn record [-c INI] [--mic FILE] -i IFACE\n"
		"         [--device IP]... --dir DIR [--segment S] [--max-disk MB]\n"
		"         [--duration S] [--poll MS]\n"
		"Records the device's traffic on IFACE as a ring of captures\n"
		"DIR/seg-EPOCH.pcap (a new one every --segment seconds, default 900;\n"
		"the oldest deleted to stay under --max-disk MB, default 2048) and the\n"
		"microphone's timeline DIR/mic.csv. Devices: --device, else the\n"
		"config's [device] address; microphone: --mic FILE (a file holding\n"
		"0 or 1, e.g. a sysfs GPIO value file), else the config's\n"
		"[microphone]. Stops on SIGINT/SIGTERM or after --duration seconds.\n");
}

/* A positive decimal in [lo, hi]: 0, or -EINVAL after naming the option. */
static int parse_num(const char *opt, const char *s, double lo, double hi,
		     double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= lo && v <= hi)) {
		cli_error(WHO ": %s %s: want a number in [%g, %g]", opt, s, lo, hi);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_opt(struct opts *o, int c)
{
	double v = 0;
	int r = 0;

	switch (c) {
	case 'c': o->config = optarg; break;
	case 'm': o->mic = optarg; break;
	case 'i': o->iface = optarg; break;
	case 'D': o->dir = optarg; break;
	case 'd':
		r = pcap_rec_add_device(&o->filter, optarg);
		if (r < 0)
			cli_error(WHO ": --device %s: %s", optarg, r == -EINVAL ?
				  "not an IP address" : "too many devices");
		break;
	case 's':
		r = parse_num("--segment", optarg, 1, 86400, &v);
		if (!r && v != floor(v)) {
			cli_error(WHO ": --segment %s: want whole seconds", optarg);
			r = -EINVAL;
		}
		o->segment_s = (uint32_t)v;
		break;
	case 'M':
		/* 1/16 MB: an eighth of it still holds a few full frames */
		r = parse_num("--max-disk", optarg, 0.0625, 1048576, &v);
		o->max_bytes = (uint64_t)(v * MB);
		break;
	case 't': r = parse_num("--duration", optarg, 0.001, 1e9, &o->duration); break;
	case 'p':
		r = parse_num("--poll", optarg, 10, 60000, &v);
		o->poll_ms = (uint32_t)v;
		break;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); return -EINVAL;
	}
	return r;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "mic", required_argument, NULL, 'm' },
		{ "interface", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "segment", required_argument, NULL, 's' },
		{ "max-disk", required_argument, NULL, 'M' },
		{ "duration", required_argument, NULL, 't' },
		{ "poll", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "c:i:h", lo, NULL)) != -1)
		if (parse_opt(o, c) < 0)
			return -EINVAL;
	if (optind != argc) {
		cli_error(WHO ": unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	if (!o->iface || !o->dir) {
		cli_error(WHO ": %s is required", o->iface ? "--dir" : "-i IFACE");
		usage(stderr);
		return -EINVAL;
	}
	if (!o->config && !o->mic) {
		cli_error(WHO ": no microphone: give -c INI (its [microphone]) "
			  "or --mic FILE");
		return -EINVAL;
	}
	return 0;
}

/* The config (when -c) into cfg, its devices unless --device gave some;
 * 0 or -EINVAL after a message. */
static int load_config(struct rec *x, struct eg_config *cfg)
{
	bool given = x->o.filter.n > 0;
	char err[4096];
	int r;

	eg_config_default(cfg);
	if (x->o.config) {
		r = eg_config_load(x->o.config, EG_CONFIG_NO_MODEL_CHECK, cfg,
				   err, sizeof(err));
		if (r < 0) {
			if (err[0])
				cli_error(WHO ": %s", err);
			else
				cli_error(WHO ": -c %s: %s", x->o.config, strerror(-r));
			return -EINVAL;
		}
	}
	for (unsigned i = 0; !given && i < cfg->device.n; i++)
		if (pcap_rec_add_addr(&x->o.filter, cfg->device.version[i],
				      cfg->device.addr[i]) < 0) {
			cli_error(WHO ": %s: too many [device] addresses", x->o.config);
			return -EINVAL;
		}
	if (!x->o.filter.n) {
		cli_error(WHO ": no device: give --device IP or [device] address in -c");
		return -EINVAL;
	}
	return 0;
}

/*
 * The config's microphone, or --mic FILE (source = file, not active_low;
 * on_error from the config), opened. 0, or -errno after a message (-EINVAL:
 * a usage or configuration error).
 */
static int setup_mic(struct rec *x)
{
	static struct eg_config cfg; /* large; one recorder per process */
	struct eg_config_mic mc;
	char err[4096];
	int r = load_config(x, &cfg);

	if (r < 0)
		return r;
	mc = cfg.mic;
	if (x->o.mic) {
		mc.source = EG_MIC_FILE;
		mc.active_low = false;
		snprintf(mc.path, sizeof(mc.path), "%s", x->o.mic);
	}
	r = eg_mic_new(&mc, &x->mic, err, sizeof(err));
	if (r < 0) {
		cli_error(WHO ": microphone: %s", r == -EINVAL ? err : strerror(-r));
		return r;
	}
	if (r == 1)
		cli_error(WHO ": warning: microphone: %s", err);
	return 0;
}

/* DIR/name into buf. */
static const char *path_of(const struct rec *x, const char *name, char *buf,
			   size_t len)
{
	snprintf(buf, len, "%s/%s", x->o.dir, name);
	return buf;
}

static double wall_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- ring */

/* Delete the k oldest closed segments, saying so. */
static void delete_oldest(struct rec *x, size_t k)
{
	char name[LEARN_RING_NAME_MAX], path[4200];

	while (k-- > 0 && x->ring.n) {
		struct learn_seg s = x->ring.segs[0];

		(void)learn_ring_name(s.epoch, false, name, sizeof(name));
		path_of(x, name, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT) {
			cli_error(WHO ": %s: %s", path, strerror(errno));
			x->err = -errno;
			return;
		}
		learn_ring_pop(&x->ring);
		x->segs_deleted++;
		fprintf(stderr, "echoguard: " WHO ": deleted %s (%llu bytes): "
			"the captures stay under %llu bytes\n", name,
			(unsigned long long)s.bytes,
			(unsigned long long)x->o.max_bytes);
	}
}

/* Make room for open_bytes beside the closed segments. */
static void trim(struct rec *x, uint64_t open_bytes)
{
	delete_oldest(x, learn_ring_excess(&x->ring, open_bytes, x->o.max_bytes));
}

static int close_segment(struct rec *x)
{
	char part[LEARN_RING_NAME_MAX], name[LEARN_RING_NAME_MAX];
	char from[4200], to[4200];
	int r = 0;

	if (!x->dump)
		return 0;
	if (pcap_dump_flush(x->dump) < 0)
		r = -EIO;
	pcap_dump_close(x->dump);
	x->dump = NULL;
	(void)learn_ring_name(x->seg_epoch, true, part, sizeof(part));
	(void)learn_ring_name(x->seg_epoch, false, name, sizeof(name));
	path_of(x, part, from, sizeof(from));
	if (r < 0 || rename(from, path_of(x, name, to, sizeof(to))) < 0) {
		cli_error(WHO ": %s: %s", from, strerror(r < 0 ? -r : errno));
		return x->err = r < 0 ? r : -errno;
	}
	r = learn_ring_push(&x->ring, x->seg_epoch, x->seg_bytes);
	x->segs_closed++;
	if (r < 0)
		return x->err = r;
	trim(x, 0);
	return 0;
}

/* Open seg-EPOCH.pcap.part, EPOCH the first packet's second (after the
 * last segment's, should the clock have gone back). */
static int open_segment(struct rec *x, int64_t ts)
{
	char name[LEARN_RING_NAME_MAX], path[4200];

	if (x->ring.n && ts <= x->ring.segs[x->ring.n - 1].epoch)
		ts = x->ring.segs[x->ring.n - 1].epoch + 1;
	if (learn_ring_name(ts, true, name, sizeof(name)) < 0) {
		cli_error(WHO ": packet time %lld out of range", (long long)ts);
		return x->err = -ERANGE;
	}
	x->dump = pcap_dump_open(x->p, path_of(x, name, path, sizeof(path)));
	if (!x->dump) {
		cli_error(WHO ": %s: %s", path, pcap_geterr(x->p));
		return x->err = -EIO;
	}
	x->seg_epoch = ts;
	x->seg_bytes = 24; /* the pcap file header */
	return 0;
}

static void on_packet(u_char *ud, const struct pcap_pkthdr *h, const u_char *d)
{
	struct rec *x = (struct rec *)ud;
	uint64_t add = 16 + (uint64_t)h->caplen; /* record header + data */
	int64_t ts = h->ts.tv_sec;

	if (x->dump && learn_ring_rotate(x->seg_epoch, x->seg_bytes, ts, add,
					 x->o.segment_s, x->o.max_bytes / 8))
		(void)close_segment(x);
	if (!x->err && !x->dump)
		(void)open_segment(x, ts);
	if (x->err) {
		pcap_breakloop(x->p);
		return;
	}
	/* More than the bound in one second (a segment is not closed within
	 * its first second: the next one's name would be the same): the
	 * packet is left out and counted, the bound holds. */
	if (x->seg_bytes + add > x->o.max_bytes) {
		x->skipped++;
		return;
	}
	trim(x, x->seg_bytes + add);
	pcap_dump((u_char *)x->dump, h, d);
	x->seg_bytes += add;
	x->pkts++;
}

/* ---------------------------------------------------------- microphone */

/* Append one line to mic.csv and flush it: a crash loses nothing. */
static void mic_line(struct rec *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mic_line(struct rec *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(x->micf, fmt, ap);
	va_end(ap);
	if (fflush(x->micf) != 0 || ferror(x->micf)) {
		cli_error(WHO ": %s/mic.csv: %s", x->o.dir, strerror(errno));
		x->err = -EIO;
	}
}

/*
 * Refresh the source (fired: its fd said so, or the poll tick) and write
 * what changed: a '#' line once per error streak, and the state (what
 * eg_mic gives: on_error while unreadable) at most one line per --poll.
 */
static void mic_update(struct rec *x, double now)
{
	double t = wall_s();
	int r = eg_mic_refresh(x->mic), s = eg_mic_get(x->mic);

	if (r < 0 && !x->mic_err)
		mic_line(x, "# %.3f microphone unreadable (%s): state %d (on_error)\n",
			 t, strerror(-r), s);
	else if (r >= 0 && x->mic_err)
		mic_line(x, "# %.3f microphone readable again\n", t);
	x->mic_err = r < 0;
	if (s != x->mic_written &&
	    (x->mic_written < 0 || now - x->last_line >= x->o.poll_ms / 1e3)) {
		mic_line(x, "%.3f,%d\n", t, s);
		x->mic_written = s;
		x->last_line = now;
	}
}

static int open_mic_csv(struct rec *x)
{
	char path[4200];

	path_of(x, "mic.csv", path, sizeof(path));
	x->micf = fopen(path, "ae");
	if (!x->micf) {
		cli_error(WHO ": %s: %s", path, strerror(errno));
		return -errno;
	}
	mic_line(x, "# %.3f started: echoguard learn record %s\n", wall_s(),
		 EG_VERSION);
	x->mic_written = -1;
	mic_update(x, pcap_rec_mono_s());
	return x->err;
}

/* ------------------------------------------------------------- the run */

/* recording.txt, written whole then renamed over the old one. */
static int write_recording(const struct rec *x, time_t start)
{
	char tmp[4200], path[4200];
	FILE *f;

	path_of(x, "recording.txt.tmp", tmp, sizeof(tmp));
	f = fopen(tmp, "we");
	if (!f) {
		cli_error(WHO ": %s: %s", tmp, strerror(errno));
		return -errno;
	}
	fprintf(f, "# written by echoguard learn record %s (docs/cli.md)\n"
		"version=%s\ndevices=%s\ninterface=%s\nstarted=%lld\n"
		"segment=%u\nmax_disk=%llu\npoll_ms=%u\n", EG_VERSION,
		EG_VERSION, x->o.filter.devices, x->o.iface, (long long)start,
		x->o.segment_s, (unsigned long long)x->o.max_bytes, x->o.poll_ms);
	if (fclose(f) != 0 ||
	    rename(tmp, path_of(x, "recording.txt", path, sizeof(path))) < 0) {
		cli_error(WHO ": %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* DIR created when missing, its stale parts recovered, its segments read
 * into the ring and trimmed to the bound. */
static int setup_dir(struct rec *x)
{
	int r;

	if (mkdir(x->o.dir, 0750) < 0 && errno != EEXIST) {
		cli_error(WHO ": --dir %s: %s", x->o.dir, strerror(errno));
		return -errno;
	}
	r = learn_ring_load(&x->ring, x->o.dir);
	if (r < 0) {
		cli_error(WHO ": --dir %s: %s", x->o.dir, strerror(-r));
		return r;
	}
	if (r > 0)
		fprintf(stderr, "echoguard: " WHO ": %s: %d unfinished segment%s "
			"(.part) of an earlier run kept as .pcap\n", x->o.dir, r,
			r == 1 ? "" : "s");
	trim(x, 0);
	return x->err;
}

static void status_line(struct rec *x)
{
	if (!x->status.tty)
		return;
	fprintf(stderr, "echoguard: " WHO ": %llu packets, %zu segments "
		"(%.1f MB) + open %.1f MB, %llu deleted, %llu left out, mic %d%s\n",
		x->pkts,
		x->ring.n, (double)x->ring.bytes / MB,
		x->dump ? (double)x->seg_bytes / MB : 0.0, x->segs_deleted,
		x->skipped, eg_mic_get(x->mic), x->mic_err ? " (unreadable)" : "");
}

/* One turn of the loop: wait for packets or the microphone, at most until
 * its next poll, then read what came. */
static void step(struct rec *x, int pfd)
{
	int mfd = eg_mic_fd(x->mic), ms;
	struct pollfd fds[2] = { { .fd = pfd, .events = POLLIN },
				 { .fd = mfd, .events = eg_mic_events(x->mic) } };
	double now = pcap_rec_mono_s();

	ms = (int)ceil((x->next_mic - now) * 1e3);
	ms = ms < 0 ? 0 : ms > (int)x->o.poll_ms ? (int)x->o.poll_ms : ms;
	if (poll(fds, mfd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR) {
		cli_error(WHO ": poll: %s", strerror(errno));
		x->err = -errno;
		return;
	}
	/* bounded per turn, so the microphone is never starved */
	if (pcap_dispatch(x->p, 1024, on_packet, (u_char *)x) == PCAP_ERROR) {
		cli_error(WHO ": interface %s: %s", x->o.iface, pcap_geterr(x->p));
		x->err = -EIO;
		return;
	}
	now = pcap_rec_mono_s();
	if ((mfd >= 0 && fds[1].revents) || now >= x->next_mic) {
		mic_update(x, now);
		x->next_mic = now + x->o.poll_ms / 1e3;
	}
	/* a quiet segment is closed a second after its time is up */
	if (x->dump && time(NULL) >= x->seg_epoch + x->o.segment_s + 1)
		(void)close_segment(x);
}

static void run(struct rec *x, int pfd)
{
	double t0 = pcap_rec_mono_s(), next_flush = t0 + 1,
	       next_status = t0 + STATUS_EVERY_S;
	double deadline = x->o.duration > 0 ? t0 + x->o.duration : 0;

	x->next_mic = t0 + x->o.poll_ms / 1e3;
	while (!stop && !x->err && (!deadline || pcap_rec_mono_s() < deadline)) {
		double now;

		step(x, pfd);
		now = pcap_rec_mono_s();
		if (x->dump && now >= next_flush) {
			if (pcap_dump_flush(x->dump) < 0) {
				cli_error(WHO ": %s: cannot write the open segment",
					  x->o.dir);
				x->err = -EIO;
			}
			next_flush = now + 1;
		}
		if (now >= next_status) {
			status_line(x);
			next_status = now + STATUS_EVERY_S;
		}
	}
}

int learn_record(int argc, char **argv)
{
	struct rec x = { .o = { .segment_s = 900, .poll_ms = 100,
				.max_bytes = (uint64_t)(2048 * MB) } };
	struct sigaction sa = { .sa_handler = on_signal };
	int pfd, rc = 1, r;

	if (parse_args(argc, argv, &x.o) < 0)
		return 2;
	r = setup_mic(&x);
	if (r < 0)
		return r == -EINVAL ? 2 : 1;
	learn_ring_init(&x.ring);
	cli_progress_init(&x.status, WHO, 0);
	if (pcap_rec_open("learn record", x.o.iface, &x.o.filter,
			  PCAP_REC_SNAPLEN, &x.p, &pfd) < 0)
		goto out;
	if (setup_dir(&x) < 0 || write_recording(&x, time(NULL)) < 0 ||
	    open_mic_csv(&x) < 0)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "echoguard: " WHO ": \"%s\" on %s into %s (segments of "
		"%u s, at most %llu bytes)\n", x.o.filter.expr, x.o.iface,
		x.o.dir, x.o.segment_s, (unsigned long long)x.o.max_bytes);
	run(&x, pfd);
	(void)close_segment(&x);
	if (x.micf)
		mic_line(&x, "# %.3f stopped\n", wall_s());
	fprintf(stderr, "echoguard: " WHO ": %llu packets, %llu segments closed, "
		"%llu deleted, %zu kept (%llu bytes)\n", x.pkts, x.segs_closed,
		x.segs_deleted, x.ring.n, (unsigned long long)x.ring.bytes);
	if (x.skipped)
		fprintf(stderr, "echoguard: " WHO ": %llu packets left out: more "
			"than --max-disk in one second\n", x.skipped);
	rc = x.err ? 1 : 0;
out:
	if (x.dump)
		pcap_dump_close(x.dump);
	if (x.micf)
		fclose(x.micf);
	if (x.p)
		pcap_close(x.p);
	learn_ring_done(&x.ring);
	eg_mic_free(x.mic);
	return rc;
}
