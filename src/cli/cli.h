/* SPDX-License-Identifier: MIT */
/*
 * cli.h: the subcommands of `echoguard`, one file each (src/cli/<name>.c),
 * and the few helpers they share. Each command gets argv from its own name
 * on and returns the process exit status: 0 success, 1 an input had an error
 * (the rest was still processed), 2 usage or configuration error.
 */
#ifndef ECHOGUARD_CLI_H
#define ECHOGUARD_CLI_H

#include <stdbool.h>
#include <stdio.h>

int cmd_extract(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_learn(int argc, char **argv);

/* Print "echoguard: <fmt>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A progress bar on stderr, drawn only when stderr is a terminal
 * (progress.c). */
struct cli_progress {
	bool tty;
	unsigned long long done, total;
	unsigned last_pct;
	const char *label;
	double t0, last_draw;
};
void cli_progress_init(struct cli_progress *p, const char *label,
		       unsigned long long total);
void cli_progress_step(struct cli_progress *p, unsigned long long done);
void cli_progress_end(struct cli_progress *p);
/* The same as a callback (eg_train_params.progress): ud is the bar. */
void cli_progress_cb(unsigned done, unsigned total, void *ud);

#endif
