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

/* A microphone timeline (--mic FILE of extract and replay, the mic.csv
 * of `echoguard learn record`): a file holding "0" or "1" alone (fixed),
 * or lines "EPOCH_SECONDS[ ,]STATE" (STATE 0 muted, 1 listening; '#'
 * comments and blank lines skipped), in any order: the state holds from
 * its time on, the first entry's from the start. Zero-initialise with
 * fixed = -1. */
struct cli_mic_change {
	uint64_t ts_ns;
	uint32_t pos;                    /* line order: the later line wins */
	int state;
};

struct cli_mic {
	int fixed;                       /* 0/1 fixed; -1 timeline */
	struct cli_mic_change *v;
	size_t n;
};

/* Load path into m (fixed -1, empty); errors name "who: --mic PATH:LINE"
 * on stderr. 0 or -1. */
int cli_mic_load(struct cli_mic *m, const char *path, const char *who);
/* The state at ts_ns (m loaded or fixed). */
int cli_mic_at(const struct cli_mic *m, uint64_t ts_ns);
void cli_mic_done(struct cli_mic *m);

/* A flow's id for label rows: distinct for flows alive at the same time
 * and for a slot reused by a later flow (created_ns differs); 0 for none. */
uint64_t cli_flow_id(const struct eg_flow *f);

/* A finite number of seconds >= 0 ("1.5"), all of s; 0 or -EINVAL with
 * *ret untouched. */
int cli_parse_seconds(const char *s, double *ret);

#endif
