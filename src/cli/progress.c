// SPDX-License-Identifier: MIT
/*
 * progress.c: the progress bar of the long offline commands (extract over
 * many captures, train, audit): drawn on stderr only when stderr is a
 * terminal, redrawn at most 10 times a second, with the elapsed time and
 * an estimate of the rest; nothing at all otherwise (logs, pipes, tests).
 * See cli.h.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(struct cli_progress *p, const char *label,
		       unsigned long long total)
{
	p->tty = isatty(STDERR_FILENO);
	p->done = 0;
	p->total = total;
	p->last_pct = 101;
	p->label = label;
	p->t0 = now_s();
	p->last_draw = 0;
}

void cli_progress_step(struct cli_progress *p, unsigned long long done)
{
	unsigned pct, i, bar;
	double t, eta;

	p->done = done;
	if (!p->tty || p->total == 0)
		return;
	pct = (unsigned)(done * 100 / p->total);
	t = now_s();
	if (pct == p->last_pct && t - p->last_draw < 0.1)
		return;
	p->last_pct = pct;
	p->last_draw = t;
	bar = pct * 30 / 100;
	eta = done ? (t - p->t0) * (double)(p->total - done) / (double)done : 0;
	fprintf(stderr, "\r%s [", p->label);
	for (i = 0; i < 30; i++)
		fputc(i < bar ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%% (%llu/%llu) %.0f s, about %.0f s left\033[K",
		pct, done, p->total, t - p->t0, eta);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->tty && p->total)
		fputs("\r\033[K", stderr);
}

void cli_progress_cb(unsigned done, unsigned total, void *ud)
{
	struct cli_progress *p = ud;

	p->total = total;
	cli_progress_step(p, done);
}
