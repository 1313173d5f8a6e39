/* SPDX-License-Identifier: MIT */
/*
 * test-sim.c: the simulated Echo (src/sim/echosim.py) keeps its promises.
 *
 * Runs `echosim.py pcap` for the idle, talk and muted scenarios (and muted
 * with an injected voice upload) into a temporary directory, reads the
 * pcapng files back with eg_capture_* and eg_packet_parse_frame, and checks
 * independently of the simulator: IPv4 and TCP checksums, TCP sequence and
 * acknowledgement numbers, the Section Header Block comment, the keep-alive
 * period and size, the voice record size and gap distribution against the
 * figures measured on the real captures (docs/simulator.md), that voice
 * streams lie inside the side file's speech windows, that a muted capture
 * holds no voice stream unless one is injected, and that a seed gives the
 * same bytes twice. Then a live smoke test over 127.0.0.1: `echosim.py
 * server` and `echosim.py live` for a few seconds, and the bytes the server
 * logged per connection equal those the client logged. And two device
 * variants (src/sim/variants.py): their TTL, window, MSS, voice record
 * size and pacing, read back from the packets.
 *
 * Needs /usr/bin/python3 and openssl; exits 77 when they are missing.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "tap.h"

#define PY "/usr/bin/python3"
#define ECHOSIM EG_SOURCE_DIR "/src/sim/echosim.py"
#define MAX_FLOWS 256
#define MAX_VOICE 40000

static char tmpdir[] = "/tmp/eg-test-sim-XXXXXX";

static const char *tmp(const char *name)
{
	static char path[8][1024];
	static int k;

	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "    command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Run echosim.py pcap; returns 0 on success. */
static int sim_pcap(const char *scenario, int duration, int seed,
		    const char *extra, const char *out)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), PY " " ECHOSIM " pcap --scenario %s "
		 "--duration %d --seed %d %s -o %s 2>/dev/null", scenario,
		 duration, seed, extra ? extra : "", out);
	return run(cmd);
}

/* One's complement sum over buf, continuing from sum. */
static uint32_t sum16(const uint8_t *buf, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Per-flow, per-direction TCP state the checks follow. */
struct dir_state {
	bool seen;
	uint32_t next;       /* next new sequence number */
};

struct flow_state {
	uint16_t sport;      /* the device's port */
	uint8_t server[4];
	struct dir_state d[2]; /* 0 device -> server, 1 server -> device */
	double last_ka;
	double last_voice;
	unsigned voice_run;
	double run_start;
};

/* Statistics of one simulated capture, computed here from the packets. */
struct sim_stats {
	unsigned frames, tcp, bad_ip_csum, bad_tcp_csum;
	unsigned seq_errors, ack_unseen, retrans, syn_with_opts, syns;
	unsigned client_hellos, keepalives, ka_bad_period;
	double ka_period_min, ka_period_max;
	unsigned voice_records, n_gaps, voice_runs, runs_in_window;
	double gaps[MAX_VOICE];
	double run_starts[64];
	double first_ts, last_ts;
};

struct window {
	double start, end;
};

static struct flow_state *flow_find(struct flow_state *flows, unsigned *n,
				    uint16_t sport, const uint8_t server[4])
{
	for (unsigned i = 0; i < *n; i++)
		if (flows[i].sport == sport && !memcmp(flows[i].server, server, 4))
			return &flows[i];
	if (*n == MAX_FLOWS)
		return NULL;
	memset(&flows[*n], 0, sizeof(flows[*n]));
	flows[*n].sport = sport;
	memcpy(flows[*n].server, server, 4);
	return &flows[(*n)++];
}

/* Did the IPv4 and TCP checksums of frame f verify? Increments counters. */
static void check_sums(const struct eg_frame *f, const struct eg_packet *p,
		       struct sim_stats *st)
{
	const uint8_t *ip = f->data + p->link_offset;
	uint32_t tcp_len = p->ip_total_len - p->ip_header_len;
	uint32_t s;

	if (fold(sum16(ip, p->ip_header_len, 0)) != 0xffff)
		st->bad_ip_csum++;
	s = sum16(ip + 12, 8, 0) + 6 + tcp_len;
	if (fold(sum16(ip + p->ip_header_len, tcp_len, s)) != 0xffff)
		st->bad_tcp_csum++;
}

/* Sequence and acknowledgement numbers: new data continues where the
 * previous segment ended, and no ACK acknowledges bytes not yet sent. */
static void check_tcp(struct flow_state *fl, int dir, const struct eg_packet *p,
		      struct sim_stats *st)
{
	struct dir_state *me = &fl->d[dir], *peer = &fl->d[!dir];
	uint32_t len = p->payload_len + !!(p->tcp_flags & (EG_TCP_SYN | EG_TCP_FIN));

	if (p->tcp_flags & EG_TCP_SYN) {
		st->syns += dir == 0;
		st->syn_with_opts += dir == 0 && p->opts.mss == 1460 &&
				     p->opts.has_wscale && p->opts.sack_permitted;
		me->seen = true;
		me->next = p->seq + 1;
	} else if (me->seen && len > 0) {
		int32_t d = (int32_t)(p->seq - me->next);

		if (d < 0)
			st->retrans++;
		else if (d > 0)
			st->seq_errors++;
		else
			me->next = p->seq + len;
	}
	if ((p->tcp_flags & EG_TCP_ACK) && peer->seen &&
	    (int32_t)(p->ack - peer->next) > 0)
		st->ack_unseen++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void end_run(struct flow_state *fl, struct sim_stats *st)
{
	if (fl->voice_run >= 10) {
		if (st->voice_runs < 64)
			st->run_starts[st->voice_runs] = fl->run_start;
		st->voice_runs++;
	}
	fl->voice_run = 0;
}

/* Outbound app-data segments holding one record: keep-alives (46 B) and
 * voice records (118 B). */
static void check_records(struct flow_state *fl, const struct eg_packet *p,
			  double t, struct sim_stats *st)
{
	const uint8_t *b = p->payload;
	unsigned rlen;

	if (p->payload_caplen < 5 || b[0] != 0x17 || b[1] != 3 || b[2] != 3)
		return;
	rlen = (unsigned)b[3] << 8 | b[4];
	if (rlen + 5 != p->payload_len)
		return;
	if (p->payload_len == 46) {
		st->keepalives++;
		if (fl->last_ka > 0) {
			double d = t - fl->last_ka;

			if (d < st->ka_period_min)
				st->ka_period_min = d;
			if (d > st->ka_period_max)
				st->ka_period_max = d;
			st->ka_bad_period += d < 29.9 || d > 30.1;
		}
		fl->last_ka = t;
	} else if (p->payload_len == 118) {
		st->voice_records++;
		if (fl->voice_run > 0 && t - fl->last_voice <= 0.3) {
			if (st->n_gaps < MAX_VOICE)
				st->gaps[st->n_gaps++] = t - fl->last_voice;
		} else {
			end_run(fl, st);
			fl->run_start = t;
		}
		fl->voice_run++;
		fl->last_voice = t;
	}
}

static int read_stats(const char *path, struct sim_stats *st)
{
	static struct flow_state flows[MAX_FLOWS];
	unsigned n_flows = 0;
	struct eg_capture *cap;
	struct eg_frame f;
	char err[512];
	uint8_t dev[16];
	int r;

	memset(st, 0, sizeof(*st));
	st->ka_period_min = 1e9;
	CHECK_EQ(eg_addr_parse("192.168.86.40", dev), 4);
	r = eg_capture_open(path, &cap, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "    %s\n", err);
		return r;
	}
	CHECK_EQ(eg_capture_linktype(cap), EG_LINK_ETHERNET);
	CHECK_STREQ(eg_capture_format(cap), "pcapng");
	while ((r = eg_capture_next(cap, &f, err, sizeof(err))) == 1) {
		struct eg_packet p;
		struct flow_state *fl;
		double t = f.ts_ns / 1e9;
		int dir;

		if (st->frames++ == 0)
			st->first_ts = t;
		st->last_ts = t;
		if (eg_packet_parse_frame(f.linktype, f.data, f.caplen, f.len, &p) < 0 ||
		    !eg_packet_is_tcp(&p) || p.ip_version != 4)
			continue;
		st->tcp++;
		check_sums(&f, &p, st);
		dir = memcmp(p.src, dev, 4) == 0 ? 0 : 1;
		fl = flow_find(flows, &n_flows, dir ? p.dport : p.sport,
			       dir ? p.src : p.dst);
		if (!fl)
			continue;
		check_tcp(fl, dir, &p, st);
		if (dir == 0 && p.payload_caplen >= 6 && p.payload[0] == 0x16 &&
		    p.payload[5] == 1)
			st->client_hellos++;
		if (dir == 0)
			check_records(fl, &p, t, st);
	}
	if (r < 0)
		fprintf(stderr, "    %s\n", err);
	for (unsigned i = 0; i < n_flows; i++)
		end_run(&flows[i], st);
	eg_capture_free(cap);
	return r;
}

/* The speech windows of FILE.interactions.csv (pcap,start,end,trace,source). */
static unsigned read_windows(const char *csv, struct window *w, unsigned max,
			     unsigned *n_sim)
{
	char line[1024];
	unsigned n = 0;
	FILE *fp = fopen(csv, "r");

	*n_sim = 0;
	if (!fp)
		return 0;
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	CHECK_STREQ(line, "pcap,start,end,trace,source\n");
	while (fgets(line, sizeof(line), fp) && n < max) {
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;

		if (!c2)
			continue;
		w[n].start = strtod(c1 + 1, NULL);
		w[n].end = strtod(c2 + 1, NULL);
		*n_sim += strstr(line, ",sim\n") != NULL;
		n++;
	}
	fclose(fp);
	return n;
}

/* The Section Header Block's comment (read raw: libpcap hides it). */
static void check_comment(const char *path, const char *want)
{
	char buf[1024] = { 0 };
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	CHECK(n > 28);
	CHECK(memcmp(buf, "\x0a\x0d\x0d\x0a", 4) == 0);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	CHECK(memmem(buf, n, "SIMULATED by echoguard echosim", 30) != NULL);
	CHECK(memmem(buf, n, want, strlen(want)) != NULL);
}

static void test_idle(void)
{
	struct sim_stats *st = calloc(1, sizeof(*st));
	const char *f = tmp("sim-idle-7.pcapng");

	CHECK_EQ(sim_pcap("idle", 1800, 7, NULL, f), 0);
	CHECK_EQ(read_stats(f, st), 0);
	check_comment(f, "scenario=idle seed=7");
	CHECK(st->frames > 500);
	CHECK_EQ(st->bad_ip_csum, 0);
	CHECK_EQ(st->bad_tcp_csum, 0);
	CHECK_EQ(st->seq_errors, 0);
	CHECK_EQ(st->ack_unseen, 0);
	CHECK(st->retrans <= st->tcp / 50);
	CHECK_EQ(st->syns, st->syn_with_opts);
	CHECK(st->client_hellos == st->syns && st->syns >= 5);
	/* keep-alives: 46 B every 30 s (measured: median 30.00 s) */
	CHECK(st->keepalives >= 1800 / 30 - 2 && st->keepalives <= 1800 / 30);
	CHECK_EQ(st->ka_bad_period, 0);
	CHECK_NEAR(st->ka_period_min, 30.0, 0.05);
	CHECK_NEAR(st->ka_period_max, 30.0, 0.05);
	CHECK_EQ(st->voice_runs, 0);
	CHECK(st->last_ts - st->first_ts <= 1800.0);
	free(st);
}

static void test_talk(void)
{
	struct sim_stats *st = calloc(1, sizeof(*st));
	struct window w[64];
	unsigned n_w, n_sim, in = 0;
	const char *f = tmp("sim-talk-7.pcapng");
	double med, mean = 0;

	CHECK_EQ(sim_pcap("talk", 400, 7, NULL, f), 0);
	CHECK_EQ(read_stats(f, st), 0);
	check_comment(f, "scenario=talk seed=7");
	CHECK_EQ(st->bad_ip_csum, 0);
	CHECK_EQ(st->bad_tcp_csum, 0);
	CHECK_EQ(st->seq_errors, 0);
	CHECK_EQ(st->ack_unseen, 0);
	n_w = read_windows(tmp("sim-talk-7.pcapng.interactions.csv"), w, 64, &n_sim);
	CHECK(n_w >= 8);   /* one interaction about every 37 s */
	CHECK_EQ(n_sim, n_w);
	CHECK_EQ(st->voice_runs, n_w);
	for (unsigned i = 0; i < st->voice_runs && i < 64; i++)
		for (unsigned j = 0; j < n_w; j++)
			if (st->run_starts[i] >= w[j].start &&
			    st->run_starts[i] <= w[j].end) {
				in++;
				break;
			}
	CHECK_EQ(in, st->voice_runs);
	/* gaps between 118-byte records: measured median 15.5 ms, mean
	 * 20.5 ms, p10 12.4 ms, p90 34.9 ms */
	CHECK(st->n_gaps > 500);
	qsort(st->gaps, st->n_gaps, sizeof(double), cmp_double);
	med = st->gaps[st->n_gaps / 2];
	for (unsigned i = 0; i < st->n_gaps; i++)
		mean += st->gaps[i] / st->n_gaps;
	CHECK(med > 0.013 && med < 0.019);
	CHECK(mean > 0.017 && mean < 0.024);
	CHECK(st->gaps[st->n_gaps / 10] > 0.008);
	CHECK(st->gaps[st->n_gaps * 9 / 10] < 0.045);
	/* records per stream: measured median 122 */
	CHECK(st->voice_records / st->voice_runs > 80 &&
	      st->voice_records / st->voice_runs < 170);
	free(st);
}

static void test_muted(void)
{
	struct sim_stats *st = calloc(1, sizeof(*st));
	const char *f = tmp("sim-muted-7.pcapng"), *g = tmp("sim-muted-inj-7.pcapng");
	char cmd[2048];

	CHECK_EQ(sim_pcap("muted", 600, 7, NULL, f), 0);
	CHECK_EQ(read_stats(f, st), 0);
	CHECK_EQ(st->bad_tcp_csum, 0);
	CHECK_EQ(st->voice_records, 0);
	CHECK_EQ(st->voice_runs, 0);
	CHECK(st->keepalives >= 18);
	CHECK_EQ(sim_pcap("muted", 600, 7, "--inject voice", g), 0);
	CHECK_EQ(read_stats(g, st), 0);
	check_comment(g, "inject=voice");
	CHECK_EQ(st->bad_tcp_csum, 0);
	CHECK_EQ(st->seq_errors, 0);
	CHECK(st->voice_runs >= 5);
	/* the side file names every injected interval */
	snprintf(cmd, sizeof(cmd), "test $(grep -c ',inject_voice,sim$' %s) -eq %u",
		 tmp("sim-muted-inj-7.pcapng.labels.csv"), st->voice_runs);
	CHECK_EQ(run(cmd), 0);
	/* same seed, same bytes; another seed, other bytes */
	CHECK_EQ(sim_pcap("muted", 600, 7, NULL, tmp("sim-again-7.pcapng")), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", f, tmp("sim-again-7.pcapng"));
	CHECK_EQ(run(cmd), 0);
	CHECK_EQ(sim_pcap("muted", 600, 8, NULL, tmp("sim-other-8.pcapng")), 0);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", f, tmp("sim-other-8.pcapng"));
	CHECK(system(cmd) != 0);
	/* mixed: the last third muted, in the microphone timeline for
	 * `echoguard replay --mic FILE` and in the labels */
	CHECK_EQ(sim_pcap("mixed", 300, 7, NULL, tmp("sim-mixed-7.pcapng")), 0);
	snprintf(cmd, sizeof(cmd), "grep -q '^1767225600.000000 1$' %s && "
		 "grep -q '^1767225800.000000 0$' %s && grep -q "
		 "',1767225800.000000,1767225900.000000,muted,sim$' %s",
		 tmp("sim-mixed-7.pcapng.mic"), tmp("sim-mixed-7.pcapng.mic"),
		 tmp("sim-mixed-7.pcapng.labels.csv"));
	CHECK_EQ(run(cmd), 0);
	/* a name without "sim" is refused */
	snprintf(cmd, sizeof(cmd), PY " " ECHOSIM " pcap --scenario idle "
		 "--duration 10 --seed 1 -o %s 2>/dev/null", tmp("echo.pcapng"));
	CHECK(system(cmd) != 0);
	CHECK(access(tmp("echo.pcapng"), F_OK) != 0);
	free(st);
}

/* Sum "bytes" of the JSON lines holding all of the needles. */
static long long sum_bytes(const char *path, const char *n1, const char *n2)
{
	char line[2048];
	long long total = 0;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		const char *b = strstr(line, "\"bytes\": ");

		if (b && strstr(line, n1) && (!n2 || strstr(line, n2)))
			total += strtoll(b + 9, NULL, 10);
	}
	fclose(fp);
	return total;
}

static int count_lines(const char *path, const char *n1, const char *n2)
{
	char line[2048];
	int n = 0;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, n1) && (!n2 || strstr(line, n2));
	fclose(fp);
	return n;
}

static void test_live(void)
{
	char cmd[4096], portbuf[32] = { 0 }, needle[64];
	pid_t pid;
	int port = 0;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), PY " " ECHOSIM " mkcert %s >/dev/null",
		 tmp("cert"));
	if (run(cmd) != 0) {
		CHECK(!"mkcert failed");
		return;
	}
	pid = fork();
	if (pid == 0) {
		execl(PY, PY, ECHOSIM, "server", "--listen", "127.0.0.1:0",
		      "--cert", tmp("cert/cert.pem"), "--key", tmp("cert/key.pem"),
		      "--log", tmp("server.jsonl"), "--ready-file", tmp("port"),
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !port; i++) {
		usleep(100000);
		fp = fopen(tmp("port"), "r");
		if (fp) {
			if (fgets(portbuf, sizeof(portbuf), fp))
				port = atoi(portbuf);
			fclose(fp);
		}
	}
	CHECK(port > 0);
	if (port > 0) {
		snprintf(cmd, sizeof(cmd), PY " " ECHOSIM " live --server "
			 "127.0.0.1:%d --scenario talk --duration 16 --seed 5 "
			 "--speed 2 --param ka_period=3 --param talk_period=8 "
			 "--log %s 2>/dev/null", port, tmp("client.jsonl"));
		CHECK_EQ(run(cmd), 0);
		/* the same with a mic file reading 0: no wake word, no voice */
		fp = fopen(tmp("mic"), "w");
		if (fp) {
			fputs("0\n", fp);
			fclose(fp);
		}
		snprintf(cmd, sizeof(cmd), PY " " ECHOSIM " live --server "
			 "127.0.0.1:%d --scenario talk --duration 16 --seed 5 "
			 "--speed 2 --param ka_period=3 --param talk_period=8 "
			 "--mic-file %s --log %s 2>/dev/null", port, tmp("mic"),
			 tmp("muted.jsonl"));
		CHECK_EQ(run(cmd), 0);
		usleep(300000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (port <= 0)
		return;
	/* every byte the client wrote reached the server, per connection */
	/* (the server saw both runs: the mic-on one and the muted one) */
	long long sent = sum_bytes(tmp("client.jsonl"), "\"ev\": \"send\"", NULL) +
			 sum_bytes(tmp("muted.jsonl"), "\"ev\": \"send\"", NULL);
	long long got = sum_bytes(tmp("server.jsonl"), "\"ev\": \"msg\"", NULL);
	long long closed = sum_bytes(tmp("server.jsonl"), "\"ev\": \"close\"", NULL);

	CHECK(sent > 10000);
	CHECK_EQ(got, sent);
	CHECK_EQ(closed, sent);
	for (int c = 0; c < 4; c++) {
		snprintf(needle, sizeof(needle), "\"conn\": %d,", c);
		CHECK_EQ(sum_bytes(tmp("server.jsonl"), "\"ev\": \"msg\"", needle),
			 sum_bytes(tmp("client.jsonl"), "\"ev\": \"send\"", needle) +
			 sum_bytes(tmp("muted.jsonl"), "\"ev\": \"send\"", needle));
	}
	CHECK(sum_bytes(tmp("client.jsonl"), "\"kind\": \"voice\"", "\"ev\": \"send\"") > 0);
	CHECK(sum_bytes(tmp("client.jsonl"), "\"kind\": \"keepalive\"", "\"ev\": \"send\"") > 0);
	/* muted by the mic file: keep-alives only, the rest skipped */
	CHECK_EQ(count_lines(tmp("muted.jsonl"), "\"ev\": \"mic\"", "\"value\": 0"), 1);
	CHECK(count_lines(tmp("muted.jsonl"), "\"ev\": \"send\"", "keepalive") >= 3);
	CHECK_EQ(count_lines(tmp("muted.jsonl"), "\"ev\": \"send\"", "\"kind\": \"voice\""), 0);
	CHECK_EQ(count_lines(tmp("muted.jsonl"), "\"ev\": \"send\"", "\"kind\": \"wake\""), 0);
	CHECK(count_lines(tmp("muted.jsonl"), "\"ev\": \"done\"", "\"skipped_muted\": 0,") == 0);
	CHECK_EQ(count_lines(tmp("server.jsonl"), "\"ev\": \"msg\"", "\"kind\": \"wake\""),
		 count_lines(tmp("client.jsonl"), "\"ev\": \"send\"", "\"kind\": \"wake\""));
	/* TLS 1.2 on every connection, as the Echo's records are */
	CHECK(count_lines(tmp("server.jsonl"), "\"ev\": \"accept\"", NULL) >= 3);
	CHECK_EQ(count_lines(tmp("server.jsonl"), "\"ev\": \"accept\"", "TLSv1.2"),
		 count_lines(tmp("server.jsonl"), "\"ev\": \"accept\"", NULL));
}

/* What a variant's capture shows, read back from its packets. */
struct var_stats {
	unsigned out, bad_ttl, syns, bad_mss, over_mss, voice, runs, fast_gaps;
	unsigned gaps;
	uint16_t min_win;
	double max_gap;
};

static void var_read(const char *path, unsigned size, uint8_t ttl,
		     uint16_t mss, struct var_stats *v)
{
	struct eg_capture *cap;
	struct eg_frame f;
	char err[512];
	uint8_t dev[16];
	double last = -1;
	unsigned run = 0;

	memset(v, 0, sizeof(*v));
	v->min_win = 65535;
	CHECK_EQ(eg_addr_parse("192.168.86.40", dev), 4);
	CHECK_EQ(eg_capture_open(path, &cap, err, sizeof(err)), 0);
	while (cap && eg_capture_next(cap, &f, err, sizeof(err)) == 1) {
		struct eg_packet p;
		double t = f.ts_ns / 1e9;

		if (eg_packet_parse_frame(f.linktype, f.data, f.caplen, f.len, &p) < 0 ||
		    !eg_packet_is_tcp(&p) || memcmp(p.src, dev, 4))
			continue;
		v->out++;
		v->bad_ttl += p.ttl != ttl;
		if (p.tcp_flags & EG_TCP_SYN) {
			/* echosim writes the MSS option first: 2, 4, mss */
			const uint8_t *o = f.data + 14 + 20 + 20;

			v->syns++;
			v->bad_mss += o[0] != 2 || (o[2] << 8 | o[3]) != mss;
			continue;
		}
		if (p.window < v->min_win)
			v->min_win = p.window;
		v->over_mss += p.payload_len > mss;
		if (p.payload_len != size || p.payload_caplen < 5 || p.payload[0] != 23)
			continue;
		v->voice++;
		if (run && t - last <= 0.2) {
			v->gaps++;
			v->fast_gaps += t - last < 0.005;
			if (t - last > v->max_gap)
				v->max_gap = t - last;
		} else {
			run = 0;
		}
		v->runs += ++run == 10;
		last = t;
	}
	eg_capture_free(cap);
}

static void test_variants(void)
{
	static const char *const vp = PY " " EG_SOURCE_DIR "/src/sim/variants.py";
	struct var_stats v;
	char cmd[2048];

	/* 104: one 391-byte record a segment, steady, TTL 255, window 7760,
	 * MSS 1448 (docs/simulator.md) */
	snprintf(cmd, sizeof(cmd), "%s pcap --variant 104 --scenario talk "
		 "--duration 300 --seed 5 -o %s 2>/dev/null", vp,
		 tmp("sim-var-104.pcapng"));
	CHECK_EQ(run(cmd), 0);
	check_comment(tmp("sim-var-104.pcapng"), "variant=104(");
	var_read(tmp("sim-var-104.pcapng"), 391, 255, 1448, &v);
	printf("variant 104: %u outbound, %u voice segments, %u runs, %u/%u gaps "
	       "under 5 ms\n", v.out, v.voice, v.runs, v.fast_gaps, v.gaps);
	CHECK(v.out > 1000 && v.syns > 3);
	CHECK_EQ(v.bad_ttl, 0);
	CHECK_EQ(v.bad_mss, 0);
	CHECK_EQ(v.over_mss, 0);
	CHECK_EQ(v.min_win, 7760);
	CHECK(v.runs >= 4);
	CHECK(v.fast_gaps * 10 < v.gaps);
	/* 106: 242-byte records, bursty, TTL 128 */
	snprintf(cmd, sizeof(cmd), "%s pcap --variant 106 --scenario talk "
		 "--duration 300 --seed 5 -o %s 2>/dev/null", vp,
		 tmp("sim-var-106.pcapng"));
	CHECK_EQ(run(cmd), 0);
	var_read(tmp("sim-var-106.pcapng"), 242, 128, 1460, &v);
	printf("variant 106: %u voice segments, %u runs, %u/%u gaps under 5 ms, "
	       "longest %.3f s\n", v.voice, v.runs, v.fast_gaps, v.gaps, v.max_gap);
	CHECK_EQ(v.bad_ttl, 0);
	CHECK(v.runs >= 4);
	CHECK(v.fast_gaps * 2 > v.gaps);
	CHECK(v.max_gap <= 0.19);
	/* the same arguments give the same bytes */
	snprintf(cmd, sizeof(cmd), "%s pcap --variant 106 --scenario talk "
		 "--duration 300 --seed 5 -o %s 2>/dev/null && cmp -s %s %s", vp,
		 tmp("sim-var-106b.pcapng"), tmp("sim-var-106.pcapng"),
		 tmp("sim-var-106b.pcapng"));
	CHECK_EQ(run(cmd), 0);
}

int main(void)
{
	char cmd[1200];

	if (access(PY, X_OK) != 0)
		eg_test_skip(PY " (Debian's python3) is not installed");
	if (system("openssl version >/dev/null 2>&1") != 0)
		eg_test_skip("the openssl command line tool is not installed");
	if (!mkdtemp(tmpdir))
		eg_test_skip("cannot create a temporary directory");
	test_idle();
	test_talk();
	test_muted();
	test_live();
	test_variants();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (eg_test_failed == 0)
		(void)system(cmd);
	else
		fprintf(stderr, "    files kept in %s\n", tmpdir);
	return eg_test_done();
}
