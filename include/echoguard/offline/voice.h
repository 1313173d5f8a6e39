/* SPDX-License-Identifier: MIT */
/*
 * voice.h: find voice-shaped uploads in a capture without anyone's help,
 * for `echoguard learn` (docs/learn.md). A person talking to an Echo
 * makes it stream audio: a constant-bitrate codec's records, sent as they
 * fill, on one connection. So a voice run is at least min_run consecutive
 * new app-data segments of one flow (the engine's app-data class), each at
 * most max_gap after the previous, of payload min_size..max_size bytes,
 * taking at most two distinct sizes (records of one size, or records
 * split at the MSS into a full segment and a rest), at an average rate of
 * at most max_rate bytes/s (bulk uploads go as fast as the link lets
 * them). Its window is [first - before, last + after]: the request and
 * the answer's follow-ups around the audio. This is the rule that marked
 * the vcf data set's "voice_run" rows (vcf/README.md), generalised to
 * other record sizes and pacings.
 * Offline code: allocates (a sort index and the windows).
 * Covered by tests/unit/test-voice.c.
 */
#ifndef ECHOGUARD_OFFLINE_VOICE_H
#define ECHOGUARD_OFFLINE_VOICE_H

#include <stddef.h>
#include <stdint.h>

#include "echoguard/offline/label.h"

struct eg_voice_params {
	unsigned min_run;        /* segments; 10 */
	double max_gap;          /* s between two segments of a run; 0.2 */
	uint32_t min_size;       /* TCP payload bytes; 40 */
	uint32_t max_size;       /* 1500 */
	double max_rate;         /* bytes/s over the run; 65536 */
	double before, after;    /* s of window around the run; 0.5 and 5 */
};

void eg_voice_params_default(struct eg_voice_params *p);

/*
 * The voice windows of a capture's rows (any order; rows of other classes
 * are ignored), sorted by start, overlapping ones merged. *ret is
 * malloc'd (NULL when none; free() it), *ret_n their number. Returns the
 * number of voice runs found, -EINVAL or -ENOMEM (*ret untouched).
 */
int eg_voice_windows(const struct eg_voice_params *p,
		     const struct eg_label_row *rows, size_t n,
		     struct eg_window **ret, size_t *ret_n);

#endif
