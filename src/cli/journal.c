// SPDX-License-Identifier: MIT
/* journal.c: echoguardd's journal entries through sd-journal; see
 * journal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"

#define LOOKBACK_US (2ull * 86400ull * 1000000ull)
#define MAX_RUNS 256

static const char *const counter_field[CLI_C_COUNT] = {
	[CLI_C_UPLOADS_ALLOWED] = "EG_UPLOADS_ALLOWED",
	[CLI_C_UPLOADS_DROPPED] = "EG_UPLOADS_DROPPED",
	[CLI_C_BYTES_ALLOWED] = "EG_UPLOAD_BYTES_ALLOWED",
	[CLI_C_BYTES_BLOCKED] = "EG_UPLOAD_BYTES_BLOCKED",
	[CLI_C_LEAK_BYTES] = "EG_UPLOAD_LEAK_BYTES",
	[CLI_C_PACKETS] = "EG_PACKETS",
	[CLI_C_DROPPED] = "EG_DROPPED",
	[CLI_C_BYTES_DROPPED] = "EG_BYTES_DROPPED",
	[CLI_C_LOST] = "EG_LOST",
	[CLI_C_MIC_ERRORS] = "EG_MIC_ERRORS",
};

int cli_journal_open(struct cli_journal *jr, const char *dir, int pid)
{
	int r;

	jr->pid = pid;
	jr->j = NULL;
	if (dir)
		r = sd_journal_open_directory(&jr->j, dir, 0);
	else
		r = sd_journal_open(&jr->j, SD_JOURNAL_LOCAL_ONLY);
	return r < 0 ? r : 0;
}

void cli_journal_close(struct cli_journal *jr)
{
	if (jr->j)
		sd_journal_close(jr->j);
	jr->j = NULL;
}

int cli_journal_select(struct cli_journal *jr, const char *event,
		       bool forward, uint64_t since_us)
{
	char m[64];
	int r;

	sd_journal_flush_matches(jr->j);
	r = sd_journal_add_match(jr->j, "SYSLOG_IDENTIFIER=echoguardd", 0);
	snprintf(m, sizeof(m), "EG_EVENT=%s", event);
	if (r >= 0)
		r = sd_journal_add_match(jr->j, m, 0);
	if (r >= 0 && jr->pid > 0) {
		snprintf(m, sizeof(m), "_PID=%d", jr->pid);
		r = sd_journal_add_match(jr->j, m, 0);
	}
	if (r < 0)
		return r;
	if (forward)
		return since_us ? sd_journal_seek_realtime_usec(jr->j, since_us) :
		       sd_journal_seek_head(jr->j);
	return sd_journal_seek_tail(jr->j);
}

int cli_journal_step(struct cli_journal *jr, bool forward)
{
	return forward ? sd_journal_next(jr->j) : sd_journal_previous(jr->j);
}

int cli_journal_str(struct cli_journal *jr, const char *field, char *buf,
		    size_t len)
{
	const void *data;
	size_t n, fl = strlen(field);
	int r;

	buf[0] = '\0';
	r = sd_journal_get_data(jr->j, field, &data, &n);
	if (r < 0)
		return r;
	if (n <= fl + 1)
		return 0;
	n -= fl + 1;
	if (n >= len)
		n = len - 1;
	memcpy(buf, (const char *)data + fl + 1, n);
	buf[n] = '\0';
	return 0;
}

uint64_t cli_journal_u64(struct cli_journal *jr, const char *field,
			 uint64_t def)
{
	char buf[32], *end;
	unsigned long long v;

	if (cli_journal_str(jr, field, buf, sizeof(buf)) < 0 || !buf[0])
		return def;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return def;
	return v;
}

uint64_t cli_journal_time(struct cli_journal *jr)
{
	uint64_t t = 0;

	(void)sd_journal_get_realtime_usec(jr->j, &t);
	return t;
}

/* One daemon process: its boot, pid, last uptime and counters. */
struct run {
	char boot[40];
	int pid;
	uint64_t uptime;
	uint64_t last[CLI_C_COUNT];
};

static struct run *find_run(struct run *runs, unsigned *n, const char *boot,
			    int pid)
{
	for (unsigned i = 0; i < *n; i++)
		if (runs[i].pid == pid && !strcmp(runs[i].boot, boot))
			return &runs[i];
	if (*n == MAX_RUNS)   /* forget the oldest */
		memmove(runs, runs + 1, --*n * sizeof(*runs));
	memset(&runs[*n], 0, sizeof(*runs));
	snprintf(runs[*n].boot, sizeof(runs[*n].boot), "%s", boot);
	runs[*n].pid = pid;
	return &runs[(*n)++];
}

int cli_journal_deltas(struct cli_journal *jr, uint64_t since_us,
		       uint64_t until_us, cli_delta_fn fn, void *ud)
{
	struct run *runs = calloc(MAX_RUNS, sizeof(*runs)), *ru;
	uint64_t d[CLI_C_COUNT], v, t, up;
	unsigned n = 0;
	char boot[40];
	int r;

	if (!runs)
		return -ENOMEM;
	r = cli_journal_select(jr, "stats", true,
			       since_us > LOOKBACK_US ? since_us - LOOKBACK_US : 1);
	while (r >= 0 && (r = cli_journal_step(jr, true)) > 0) {
		t = cli_journal_time(jr);
		if (t >= until_us)
			break;
		(void)cli_journal_str(jr, "_BOOT_ID", boot, sizeof(boot));
		ru = find_run(runs, &n, boot, (int)cli_journal_u64(jr, "_PID", 0));
		up = cli_journal_u64(jr, "EG_UPTIME_S", 0);
		if (up < ru->uptime)  /* the pid was reused: a new run */
			memset(ru->last, 0, sizeof(ru->last));
		ru->uptime = up;
		for (unsigned c = 0; c < CLI_C_COUNT; c++) {
			v = cli_journal_u64(jr, counter_field[c], ru->last[c]);
			d[c] = v >= ru->last[c] ? v - ru->last[c] : v;
			ru->last[c] = v;
		}
		if (t >= since_us &&
		    fn(t, (int)cli_journal_u64(jr, "EG_MIC", 1), d, ud) < 0)
			break;
	}
	free(runs);
	return r < 0 ? r : 0;
}

uint64_t cli_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t cli_midnight_us(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (uint64_t)mktime(&tm) * 1000000ull;
}

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void cli_format_time(uint64_t t_us, char *buf, size_t len)
{
	time_t t = (time_t)(t_us / 1000000ull);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}
