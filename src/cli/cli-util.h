/* SPDX-License-Identifier: MIT */
/*
 * cli-util.h: the pieces `echoguard extract` and `echoguard replay` share:
 * the list of input files, the growth of their per-packet row arrays and
 * the flow id written into label rows.
 */
#ifndef ECHOGUARD_CLI_UTIL_H
#define ECHOGUARD_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/net/flow.h"

/* A growable list of owned strings; zero-initialise, free with
 * cli_strv_done(). */
struct cli_strv {
	char **v;
	size_t n, cap;
};

/* Append a copy of s (eg_capture_walk callback: ud is the cli_strv).
 * 0 or -ENOMEM; the list is unchanged on failure. */
int cli_strv_add(const char *s, void *ud);
void cli_strv_done(struct cli_strv *l);

/*
 * Double two parallel arrays *a (elements of asz bytes) and *b (bsz)
 * from *cap to 2 * *cap elements (first when *cap is 0). 0 or -ENOMEM;
 * on failure *cap is unchanged and both arrays still hold *cap elements.
 */
int cli_grow2(void **a, size_t asz, void **b, size_t bsz, size_t *cap,
	      size_t first);

/* A flow's id for label rows: distinct for flows alive at the same time
 * and for a slot reused by a later flow (created_ns differs); 0 for none. */
uint64_t cli_flow_id(const struct eg_flow *f);

/* A finite number of seconds >= 0 ("1.5"), all of s; 0 or -EINVAL with
 * *ret untouched. */
int cli_parse_seconds(const char *s, double *ret);

#endif
