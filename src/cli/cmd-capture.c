/* SPDX-License-Identifier: MIT */
/*
 * echoguard capture: record a device's traffic for training, with the
 * context it was recorded in.
 *
 *   echoguard capture -i IFACE --device IP [--device IP]... --context
 *       muted|idle|active [--duration S] [--count N] [--snaplen B] -o FILE
 *
 * Writes FILE (pcap, full frames by default) through libpcap with the
 * filter "host DEV or host DEV2 ...", and the side file FILE.context
 * ("key=value" lines: context, devices, interface, start and end times,
 * packets) that `echoguard extract` reads when it is given no --context.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pcap-rec.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *iface, *out, *context;
	struct pcap_rec_filter filter;
	double duration;
	unsigned long count;
	int snaplen;
};

static int write_side(const struct opts *o, time_t start, time_t end,
		      unsigned long pkts, unsigned long dropped)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.context", o->out);
	f = fopen(path, "w");
	if (!f) {
		int r = -errno;

		cli_error("capture: %s: %s", path, strerror(-r));
		return r;
	}
	fprintf(f, "# written by echoguard capture %s\n", EG_VERSION);
	fprintf(f, "context=%s\ndevices=%s\ninterface=%s\n", o->context,
		o->filter.devices, o->iface);
	fprintf(f, "start=%lld\nend=%lld\npackets=%lu\nkernel_dropped=%lu\n",
		(long long)start, (long long)end, pkts, dropped);
	if (fclose(f) != 0) {
		cli_error("capture: %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: echoguard capture -i IFACE --device IP [--device IP]...\n"
		"         --context muted|idle|active [--duration S] [--count N]\n"
		"         [--snaplen B] -o FILE\n"
		"Records the device's packets to FILE (pcap) and its context to\n"
		"FILE.context, which `echoguard extract` uses when given no --context.\n"
		"Stops after --duration seconds, --count packets, or Ctrl-C.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "context", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	char *end;
	int r;
	int c;

	while ((c = getopt_long(argc, argv, "i:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'o': o->out = optarg; break;
		case 'C':
			if (strcmp(optarg, "muted") && strcmp(optarg, "idle") &&
			    strcmp(optarg, "active")) {
				cli_error("capture: --context %s: want muted, idle or active", optarg);
				return -EINVAL;
			}
			o->context = optarg;
			break;
		case 'd':
			r = pcap_rec_add_device(&o->filter, optarg);
			if (r == -EINVAL) {
				cli_error("capture: --device %s: not an IP address", optarg);
				return r;
			}
			if (r < 0) {
				cli_error("capture: too many --device");
				return r;
			}
			break;
		case 't':
			o->duration = strtod(optarg, &end);
			/* !(x > 0) also refuses nan, which never times out */
			if (end == optarg || *end || !(o->duration > 0) ||
			    !isfinite(o->duration)) {
				cli_error("capture: --duration %s: want seconds > 0", optarg);
				return -EINVAL;
			}
			break;
		case 'n':
			/* strtoul takes "-5" as a huge count: digits only */
			errno = 0;
			o->count = strtoul(optarg, &end, 10);
			if (!isdigit((unsigned char)*optarg) || *end || errno ||
			    !o->count) {
				cli_error("capture: --count %s: want a number > 0", optarg);
				return -EINVAL;
			}
			break;
		case 's':
			o->snaplen = (int)strtol(optarg, &end, 10);
			if (*end || o->snaplen < 64 || o->snaplen > 262144) {
				cli_error("capture: --snaplen %s: want 64..262144", optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->iface || !o->out || !o->context || !o->filter.n || optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct opts o = { .snaplen = PCAP_REC_SNAPLEN };
	struct pcap_stat st = { 0 };
	pcap_dumper_t *dump = NULL;
	pcap_t *p = NULL;
	unsigned long pkts = 0;
	time_t start;
	double deadline;
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = 1, r, fd;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (pcap_rec_open("capture", o.iface, &o.filter, o.snaplen, &p, &fd) < 0)
		return 1;
	dump = pcap_dump_open(p, o.out);
	if (!dump) {
		cli_error("capture: %s: %s", o.out, pcap_geterr(p));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	start = time(NULL);
	deadline = o.duration > 0 ? pcap_rec_mono_s() + o.duration : 0;
	fprintf(stderr, "echoguard: capturing \"%s\" on %s to %s (context %s)\n",
		o.filter.expr, o.iface, o.out, o.context);
	while (!stop && (!o.count || pkts < o.count) &&
	       (!deadline || pcap_rec_mono_s() < deadline)) {
		struct pcap_pkthdr *h;
		const u_char *d;

		r = pcap_next_ex(p, &h, &d);
		if (r == 1) {
			pcap_dump((u_char *)dump, h, d);
			pkts++;
		} else if (r == 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			(void)poll(&pfd, 1, 100); /* EINTR: the loop checks stop */
		} else {
			cli_error("capture: %s: %s", o.iface, pcap_geterr(p));
			break;
		}
	}
	(void)pcap_stats(p, &st);
	pcap_dump_close(dump);
	dump = NULL;
	fprintf(stderr, "echoguard: %lu packets written, %u dropped by the kernel\n",
		pkts, st.ps_drop);
	rc = write_side(&o, start, time(NULL), pkts, st.ps_drop) < 0 ? 1 : 0;
out:
	if (dump)
		pcap_dump_close(dump);
	pcap_close(p);
	return rc;
}
