// SPDX-License-Identifier: MIT
/*
 * echoguard status: is echoguardd running and healthy, the microphone now,
 * today's uploads, the last blocked ones and the kernel queue's health;
 * from the process table, the unit (systemd) and the journal
 * (docs/cli.md). Exit 0 running and healthy, 1 running but unhealthy,
 * 3 not running, 4 no journal access, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon-find.h"
#include "journal.h"

#define ST_HEALTHY 0
#define ST_UNHEALTHY 1
#define ST_USAGE 2
#define ST_NOT_RUNNING 3
#define ST_NO_JOURNAL 4
#define MAX_LAST 20
#define MAX_PROBLEMS 8

struct blocked {
	uint64_t t_us, bytes, pkts, leak;
	char server[160], reason[32], decision[8];
	int mic;
};

struct status {
	int pid;
	bool running;
	uint64_t uptime_s;
	char unit[256];                  /* the unit's STATUS= text */
	bool have_run, have_stats, have_mic;
	char mode[16], fail[16], model[512], crc[16], queues[64], version[32];
	char model_kind[16], model_fallback[512]; /* learned|shipped; why not
						     learned */
	unsigned trees, stats_interval;
	int mic;
	uint64_t mic_since_us, stats_us;
	uint64_t kwaiting, kqfull, kuser, lost;
	bool live_kernel;                /* read from /proc/PID/net now */
	uint64_t today[CLI_C_COUNT];
	struct blocked last[MAX_LAST];
	unsigned n_last;
	const char *problems[MAX_PROBLEMS];
	unsigned n_problems;
};

static void find_daemon(struct status *s, int want_pid)
{
	uint64_t start = 0;
	double up = 0;
	FILE *f;

	s->pid = cli_daemon_find(want_pid, s->unit, sizeof(s->unit),
				 &s->running, &start);
	f = fopen("/proc/uptime", "re");
	if (s->running && f && fscanf(f, "%lf", &up) == 1)
		s->uptime_s = (uint64_t)up - start / (uint64_t)sysconf(_SC_CLK_TCK);
	if (f)
		fclose(f);
}

/* The kernel's queue counters in the daemon's network namespace now. */
static void live_kernel(struct status *s)
{
	unsigned q, portid, total, mode, range, dropped, user, seq, one;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/netfilter/nfnetlink_queue",
		 s->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	s->live_kernel = true;
	s->kwaiting = s->kqfull = s->kuser = 0;
	while (fscanf(f, "%u %u %u %u %u %u %u %u %u", &q, &portid, &total,
		      &mode, &range, &dropped, &user, &seq, &one) == 9) {
		s->kwaiting += total;
		s->kqfull += dropped;
		s->kuser += user;
	}
	fclose(f);
}

static void problem(struct status *s, const char *what)
{
	if (s->n_problems < MAX_PROBLEMS)
		s->problems[s->n_problems++] = what;
}

static void read_run(struct cli_journal *jr, struct status *s)
{
	static const char *const events[] = { "start", "reload" };
	uint64_t t, best = 0;

	for (unsigned i = 0; i < 2; i++) {
		if (cli_journal_select(jr, events[i], false, 0) < 0 ||
		    cli_journal_step(jr, false) <= 0)
			continue;
		t = cli_journal_time(jr);
		if (t < best)
			continue;
		best = t;
		s->have_run = true;
		(void)cli_journal_str(jr, "EG_MODE", s->mode, sizeof(s->mode));
		(void)cli_journal_str(jr, "EG_FAIL", s->fail, sizeof(s->fail));
		(void)cli_journal_str(jr, "EG_MODEL", s->model, sizeof(s->model));
		(void)cli_journal_str(jr, "EG_MODEL_CRC32", s->crc, sizeof(s->crc));
		(void)cli_journal_str(jr, "EG_MODEL_KIND", s->model_kind,
				      sizeof(s->model_kind));
		(void)cli_journal_str(jr, "EG_MODEL_FALLBACK", s->model_fallback,
				      sizeof(s->model_fallback));
		(void)cli_journal_str(jr, "EG_QUEUES", s->queues, sizeof(s->queues));
		(void)cli_journal_str(jr, "EG_VERSION", s->version,
				      sizeof(s->version));
		s->trees = (unsigned)cli_journal_u64(jr, "EG_MODEL_TREES", 0);
		s->stats_interval = (unsigned)cli_journal_u64(jr,
						"EG_STATS_INTERVAL", 0);
		if (i == 0) {
			s->mic = (int)cli_journal_u64(jr, "EG_MIC", 0);
			s->mic_since_us = t;
			s->have_mic = true;
		}
	}
}

/* The latest statistics entry, and what grew since the one before. */
static void read_stats(struct cli_journal *jr, struct status *s)
{
	uint64_t grew_lost, grew_kernel, grew_mic;

	if (cli_journal_select(jr, "stats", false, 0) < 0 ||
	    cli_journal_step(jr, false) <= 0)
		return;
	s->have_stats = true;
	s->stats_us = cli_journal_time(jr);
	if (!s->have_run) {   /* the start entry was lost: what stats say */
		(void)cli_journal_str(jr, "EG_MODE", s->mode, sizeof(s->mode));
		(void)cli_journal_str(jr, "EG_MODEL", s->model, sizeof(s->model));
		(void)cli_journal_str(jr, "EG_MODEL_KIND", s->model_kind,
				      sizeof(s->model_kind));
		(void)cli_journal_str(jr, "EG_QUEUES", s->queues,
				      sizeof(s->queues));
	}
	if (!s->have_mic) {
		s->mic = (int)cli_journal_u64(jr, "EG_MIC", 1);
		s->have_mic = true;
	}
	s->kwaiting = cli_journal_u64(jr, "EG_KERNEL_WAITING", 0);
	s->kqfull = cli_journal_u64(jr, "EG_KERNEL_QUEUE_DROPPED", 0);
	s->kuser = cli_journal_u64(jr, "EG_KERNEL_USER_DROPPED", 0);
	s->lost = cli_journal_u64(jr, "EG_LOST", 0);
	grew_kernel = s->kqfull + s->kuser;
	grew_lost = s->lost;
	grew_mic = cli_journal_u64(jr, "EG_MIC_ERRORS", 0);
	if (s->have_mic && (int)cli_journal_u64(jr, "EG_MIC", 1) != s->mic) {
		s->mic = !s->mic;      /* changed, but no mic entry says when */
		s->mic_since_us = 0;
	}
	if (cli_journal_step(jr, false) > 0 &&
	    cli_journal_u64(jr, "EG_UPTIME_S", 0) > 0) {
		grew_kernel -= cli_journal_u64(jr, "EG_KERNEL_QUEUE_DROPPED", 0) +
			       cli_journal_u64(jr, "EG_KERNEL_USER_DROPPED", 0);
		grew_lost -= cli_journal_u64(jr, "EG_LOST", 0);
		grew_mic -= cli_journal_u64(jr, "EG_MIC_ERRORS", 0);
	}
	if (grew_lost)
		problem(s, "messages lost since the previous statistics entry");
	if (grew_kernel)
		problem(s, "the kernel dropped packets (queue full or "
			"undeliverable) since the previous statistics entry");
	if (grew_mic)
		problem(s, "the microphone source failed to read");
}

static void read_mic(struct cli_journal *jr, struct status *s)
{
	uint64_t t;

	if (cli_journal_select(jr, "mic", false, 0) < 0 ||
	    cli_journal_step(jr, false) <= 0)
		return;
	t = cli_journal_time(jr);
	if (t < s->mic_since_us)
		return;
	s->mic = (int)cli_journal_u64(jr, "EG_MIC", 0);
	s->mic_since_us = t;
	s->have_mic = true;
}

static int add_today(uint64_t t_us, int mic, const uint64_t d[CLI_C_COUNT],
		     void *ud)
{
	struct status *s = ud;

	(void)t_us;
	(void)mic;
	for (unsigned c = 0; c < CLI_C_COUNT; c++)
		s->today[c] += d[c];
	return 0;
}

static void read_blocked(struct cli_journal *jr, struct status *s,
			 unsigned n)
{
	struct blocked *b;
	char sni[128], srv[64];

	if (cli_journal_select(jr, "upload", false, 0) < 0)
		return;
	while (s->n_last < n && cli_journal_step(jr, false) > 0) {
		b = &s->last[s->n_last];
		(void)cli_journal_str(jr, "EG_DECISION", b->decision,
				      sizeof(b->decision));
		if (strcmp(b->decision, "drop") != 0)
			continue;
		b->t_us = cli_journal_u64(jr, "EG_START_US", cli_journal_time(jr));
		b->bytes = cli_journal_u64(jr, "EG_BYTES_BLOCKED", 0);
		b->pkts = cli_journal_u64(jr, "EG_PACKETS_BLOCKED", 0);
		b->leak = cli_journal_u64(jr, "EG_LEAK_BYTES", 0);
		b->mic = (int)cli_journal_u64(jr, "EG_MIC", 0);
		(void)cli_journal_str(jr, "EG_REASON", b->reason,
				      sizeof(b->reason));
		(void)cli_journal_str(jr, "EG_SNI", sni, sizeof(sni));
		(void)cli_journal_str(jr, "EG_SERVER", srv, sizeof(srv));
		snprintf(b->server, sizeof(b->server), "%s:%llu",
			 sni[0] ? sni : srv, (unsigned long long)
			 cli_journal_u64(jr, "EG_SERVER_PORT", 0));
		s->n_last++;
	}
}

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 10000000)
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	else if (b >= 10000)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static void print_daemon(const struct status *s)
{
	char t[32];

	if (!s->running) {
		printf("echoguardd: not running\n");
	} else {
		printf("echoguardd:  running, pid %d, up %lluh%02llum, mode %s, "
		       "fail %s, queues %s\n", s->pid,
		       (unsigned long long)s->uptime_s / 3600,
		       (unsigned long long)s->uptime_s / 60 % 60,
		       s->mode[0] ? s->mode : "?", s->fail[0] ? s->fail : "?",
		       s->queues[0] ? s->queues : "?");
		printf("model:       %s (%s, %u trees, crc32 %s), echoguardd %s\n",
		       s->model[0] ? s->model : "?",
		       s->model_kind[0] ? s->model_kind : "?", s->trees,
		       s->crc[0] ? s->crc : "?", s->version[0] ? s->version : "?");
	}
	if (s->running && s->model_fallback[0])
		printf("             (learned model not used: %s)\n",
		       s->model_fallback);
	if (s->unit[0])
		printf("unit status: %s\n", s->unit);
	if (s->have_mic) {
		cli_format_time(s->mic_since_us, t, sizeof(t));
		printf("microphone:  %s since %s\n", s->mic ? "listening" : "muted",
		       s->mic_since_us ? t : "(unknown)");
	}
}

static void print_tail(const struct status *s, int rc);

static void print_text(const struct status *s, int rc)
{
	char t[32], b1[32], b2[32];

	print_daemon(s);
	fmt_bytes(s->today[CLI_C_BYTES_BLOCKED], b1, sizeof(b1));
	fmt_bytes(s->today[CLI_C_BYTES_ALLOWED], b2, sizeof(b2));
	printf("today:       %llu uploads blocked (%s), %llu allowed (%s), "
	       "%llu bytes leaked before a block\n",
	       (unsigned long long)s->today[CLI_C_UPLOADS_DROPPED], b1,
	       (unsigned long long)s->today[CLI_C_UPLOADS_ALLOWED], b2,
	       (unsigned long long)s->today[CLI_C_LEAK_BYTES]);
	if (s->have_stats) {
		cli_format_time(s->stats_us, t, sizeof(t));
		printf("             (as of the statistics entry of %s)\n", t);
	}
	print_tail(s, rc);
}

static void print_tail(const struct status *s, int rc)
{
	char t[32];

	printf("last blocked uploads:%s\n", s->n_last ? "" : " none");
	for (unsigned i = 0; i < s->n_last; i++) {
		const struct blocked *b = &s->last[i];

		cli_format_time(b->t_us, t, sizeof(t));
		printf("  %s  %-32s %7llu B in %3llu packets  mic %-9s %s\n", t,
		       b->server, (unsigned long long)b->bytes,
		       (unsigned long long)b->pkts,
		       b->mic ? "listening" : "muted", b->reason);
	}
	printf("kernel queue: %llu waiting, %llu queue-full drops, %llu "
	       "undeliverable%s; %llu messages lost\n",
	       (unsigned long long)s->kwaiting, (unsigned long long)s->kqfull,
	       (unsigned long long)s->kuser, s->live_kernel ? " (now)" : "",
	       (unsigned long long)s->lost);
	printf("health:      %s\n", rc == ST_HEALTHY ? "ok" :
	       rc == ST_NOT_RUNNING ? "not running" :
	       rc == ST_NO_JOURNAL ? "no journal entries (journal access?)" :
	       "PROBLEMS");
	for (unsigned i = 0; i < s->n_problems; i++)
		printf("  - %s\n", s->problems[i]);
}

#define JU(name, v) printf(",\"%s\":%llu", name, (unsigned long long)(v))

static void json_field(const char *name, const char *v)
{
	printf(",\"%s\":", name);
	cli_json_str(stdout, v);
}

static void print_json(const struct status *s, int rc)
{
	printf("{\"exit\":%d,\"running\":%s", rc, s->running ? "true" : "false");
	JU("pid", s->running ? s->pid : 0);
	JU("uptime_s", s->uptime_s);
	json_field("mode", s->mode);
	json_field("fail", s->fail);
	json_field("model", s->model);
	json_field("model_crc32", s->crc);
	json_field("model_kind", s->model_kind);
	json_field("model_fallback", s->model_fallback);
	JU("model_trees", s->trees);
	json_field("queues", s->queues);
	json_field("version", s->version);
	json_field("unit_status", s->unit);
	json_field("mic", !s->have_mic ? "" : s->mic ? "listening" : "muted");
	JU("mic_since_us", s->mic_since_us);
	printf(",\"today\":{\"uploads_blocked\":%llu",
	       (unsigned long long)s->today[CLI_C_UPLOADS_DROPPED]);
	JU("uploads_allowed", s->today[CLI_C_UPLOADS_ALLOWED]);
	JU("bytes_blocked", s->today[CLI_C_BYTES_BLOCKED]);
	JU("bytes_allowed", s->today[CLI_C_BYTES_ALLOWED]);
	JU("leak_bytes", s->today[CLI_C_LEAK_BYTES]);
	JU("packets", s->today[CLI_C_PACKETS]);
	JU("packets_dropped", s->today[CLI_C_DROPPED]);
	JU("stats_us", s->stats_us);
	printf("},\"last_blocked\":[");
	for (unsigned i = 0; i < s->n_last; i++) {
		const struct blocked *b = &s->last[i];

		printf("%s{\"start_us\":%llu", i ? "," : "",
		       (unsigned long long)b->t_us);
		json_field("server", b->server);
		JU("bytes_blocked", b->bytes);
		JU("packets_blocked", b->pkts);
		JU("leak_bytes", b->leak);
		json_field("mic", b->mic ? "listening" : "muted");
		json_field("reason", b->reason);
		printf("}");
	}
	printf("],\"kernel\":{\"waiting\":%llu", (unsigned long long)s->kwaiting);
	JU("queue_full", s->kqfull);
	JU("undeliverable", s->kuser);
	JU("lost", s->lost);
	printf(",\"live\":%s},\"problems\":[", s->live_kernel ? "true" : "false");
	for (unsigned i = 0; i < s->n_problems; i++) {
		printf("%s", i ? "," : "");
		cli_json_str(stdout, s->problems[i]);
	}
	printf("]}\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: echoguard status [--json] [--pid PID] [-n N] "
		"[-D JOURNAL_DIR]\n"
		"Exit: 0 running and healthy, 1 running with problems, "
		"3 not running, 4 no journal access.\n");
}

static int health(struct status *s)
{
	uint64_t age;

	if (!s->running)
		return ST_NOT_RUNNING;
	if (!s->have_run && !s->have_stats)
		return ST_NO_JOURNAL;
	age = s->have_stats ? (cli_now_us() - s->stats_us) / 1000000 : s->uptime_s;
	if (s->stats_interval && age > 3ull * s->stats_interval + 5)
		problem(s, "no statistics entry for more than 3 intervals");
	return s->n_problems ? ST_UNHEALTHY : ST_HEALTHY;
}

struct status_args {
	const char *dir;
	int pid;
	unsigned n;
	bool json;
};

static int parse_args(int argc, char **argv, struct status_args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "directory", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->n = 5;
	while ((c = getopt_long(argc, argv, "jp:n:D:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': a->json = true; break;
		case 'p': a->pid = atoi(optarg); break;
		case 'n': a->n = (unsigned)atoi(optarg); break;
		case 'D': a->dir = optarg; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc || a->n > MAX_LAST) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_args a = { 0 };
	static struct status s;
	struct cli_journal jr;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc > 0 ? 0 : ST_USAGE;
	find_daemon(&s, a.pid);
	if (cli_journal_open(&jr, a.dir, s.pid) < 0) {
		cli_error("cannot open the journal%s%s", a.dir ? " in " : "",
			  a.dir ? a.dir : "");
		return ST_NO_JOURNAL;
	}
	if (s.pid > 0) {
		read_run(&jr, &s);
		read_stats(&jr, &s);
		read_mic(&jr, &s);
	}
	if (s.running)
		live_kernel(&s);
	jr.pid = a.pid;   /* today and the last blocked: every run */
	(void)cli_journal_deltas(&jr, cli_midnight_us(), cli_now_us() + 1,
				 add_today, &s);
	read_blocked(&jr, &s, a.n);
	cli_journal_close(&jr);
	rc = health(&s);
	if (a.json)
		print_json(&s, rc);
	else
		print_text(&s, rc);
	return rc;
}
