/* SPDX-License-Identifier: MIT */
/*
 * learn-fit.h: the pieces of `echoguard learn fit` (learn-fit.c: the
 * steps; learn-score.c: running the other subcommands, reading replay's
 * summary, the measures and the decision). Private to the cli.
 */
#ifndef ECHOGUARD_CLI_LEARN_FIT_H
#define ECHOGUARD_CLI_LEARN_FIT_H

#include <stdbool.h>
#include <stdio.h>

/* Run this program (/proc/self/exe) with argv (argv[0] "echoguard"),
 * stdout to out_path and stderr to err_path (NULL: inherited). Its exit
 * status, 128 + signal, or -errno when it could not start. */
int learn_spawn(char *const argv[], const char *out_path,
		const char *err_path);

#define LEARN_JSON_MAX 512

/* The numbers of a JSON object, by dotted path ("uploads.expected.
 * listening.uploads"). */
struct learn_json {
	unsigned n;
	char key[LEARN_JSON_MAX][96];
	double val[LEARN_JSON_MAX];
};

/* The summary line of an `echoguard replay --json` output file. 0,
 * -errno or -EBADMSG. */
int learn_json_read(const char *path, struct learn_json *ret);
/* The value at key, 0 when absent. */
double learn_json_get(const struct learn_json *j, const char *key);

/* One model's upload-level figures on the held-back segments. */
struct learn_measures {
	double expected, expected_touched;       /* voice-shaped, listening */
	double justified, justified_blocked;     /* other app data, listening */
	double muted, muted_bytes, muted_leak;   /* recorded muted spans */
	double sim_muted, sim_muted_bytes, sim_muted_leak; /* SIMULATED */
};

/* rec: the replay as recorded; mut: the replay as muted. */
void learn_measures(const struct learn_json *rec, const struct learn_json *mut,
		    struct learn_measures *m);
/* Is new better than old (docs/learn.md "Better")? *ret, and why. */
const char *learn_better(const struct learn_measures *old,
			 const struct learn_measures *new, bool *ret);
void learn_print_compare(FILE *f, const struct learn_measures *old,
			 const struct learn_measures *new);
void learn_measures_json(FILE *f, const char *name,
			 const struct learn_measures *m);

#endif
