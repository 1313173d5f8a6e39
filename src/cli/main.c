/* SPDX-License-Identifier: MIT */
/* echoguard: the offline tool. `echoguard help` lists the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Weak until every subcommand file exists; see the table below. */
#pragma weak cmd_extract
#pragma weak cmd_train
#pragma weak cmd_eval
#pragma weak cmd_model
#pragma weak cmd_replay
#pragma weak cmd_audit
#pragma weak cmd_rules
#pragma weak cmd_capture
#pragma weak cmd_status
#pragma weak cmd_report
#pragma weak cmd_learn

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "extract", cmd_extract, "captures -> labelled feature CSV" },
	{ "train", cmd_train, "train a random forest on feature CSVs" },
	{ "eval", cmd_eval, "evaluate a model on feature CSVs" },
	{ "model", cmd_model, "inspect a model file (info, dump)" },
	{ "replay", cmd_replay, "run the daemon's per-packet path over a capture" },
	{ "audit", cmd_audit, "measure what traffic shape leaks (traces, windows)" },
	{ "rules", cmd_rules, "install/remove the NFQUEUE rules (up, down, status)" },
	{ "capture", cmd_capture, "capture a device's traffic with its context" },
	{ "status", cmd_status, "is echoguardd running, what did it block today" },
	{ "report", cmd_report, "uploads and microphone per hour or day (table, SVG)" },
	{ "learn", cmd_learn, "fit a model to this home (record, label, fit, install)" },
};

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("echoguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: echoguard COMMAND [OPTIONS]...\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn)
			fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`echoguard COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("echoguard %s\n", EG_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn && !strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see `echoguard help`)", argv[1]);
	return 2;
}
