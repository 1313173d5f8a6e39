/* SPDX-License-Identifier: MIT */
/*
 * echoguard learn: a model fitted to this home, in one evening
 * (docs/learn.md). The steps are learn-*.c; see learn.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "learn.h"

#pragma weak learn_record
#pragma weak learn_fit
#pragma weak learn_install
#pragma weak learn_rollback

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} steps[] = {
	{ "record", learn_record, "record the device and the microphone (a ring of captures)" },
	{ "fit", learn_fit, "label, train on the bundled data and the home's, compare" },
	{ "install", learn_install, "install a fitted model (SIGHUP; the old one kept)" },
	{ "rollback", learn_rollback, "go back to the model installed before" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: echoguard learn STEP [options]  (docs/learn.md)\n");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].fn)
			fprintf(f, "  %-9s %s\n", steps[i].name, steps[i].help);
}

int cmd_learn(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].fn && !strcmp(argv[1], steps[i].name))
			return steps[i].fn(argc - 1, argv + 1);
	cli_error("learn: unknown step \"%s\"", argv[1]);
	usage(stderr);
	return 2;
}
