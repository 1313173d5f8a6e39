/* SPDX-License-Identifier: MIT */
/*
 * journal.h: reading echoguardd's journal entries back (docs/journald.md)
 * through libsystemd's sd-journal API, for `echoguard status` and
 * `echoguard report`.
 *
 * The statistics entries carry totals since the daemon started; a "run" is
 * one daemon process (_BOOT_ID, _PID; a new run when EG_UPTIME_S goes
 * back). cli_journal_deltas turns them into the traffic between
 * consecutive entries, which a caller sums into its own time buckets.
 */
#ifndef ECHOGUARD_CLI_JOURNAL_H
#define ECHOGUARD_CLI_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-journal.h>

struct cli_journal {
	sd_journal *j;
	int pid;                  /* > 0: only this daemon's entries */
};

/* Open the local journal, or the journal files in dir when not NULL.
 * 0 or -errno. */
int cli_journal_open(struct cli_journal *jr, const char *dir, int pid);
void cli_journal_close(struct cli_journal *jr);

/* Select echoguardd's entries of EG_EVENT=event (the pid filter applied)
 * and seek to the tail (backwards, !forward) or to since_us (forward). */
int cli_journal_select(struct cli_journal *jr, const char *event,
		       bool forward, uint64_t since_us);

/* Step; 1 when there is an entry, 0 at the end, -errno. */
int cli_journal_step(struct cli_journal *jr, bool forward);

/* Field values of the current entry. str: "" when missing (returns
 * -ENOENT); u64/i64: def when missing or not a number. */
int cli_journal_str(struct cli_journal *jr, const char *field, char *buf,
		    size_t len);
uint64_t cli_journal_u64(struct cli_journal *jr, const char *field,
			 uint64_t def);
uint64_t cli_journal_time(struct cli_journal *jr);   /* realtime, us */

/* The counters that status and report add up (statistics entries). */
enum cli_counter {
	CLI_C_UPLOADS_ALLOWED, CLI_C_UPLOADS_DROPPED,
	CLI_C_BYTES_ALLOWED, CLI_C_BYTES_BLOCKED, CLI_C_LEAK_BYTES,
	CLI_C_PACKETS, CLI_C_DROPPED, CLI_C_BYTES_DROPPED,
	CLI_C_LOST, CLI_C_MIC_ERRORS,
	CLI_C_COUNT,
};

/* For each statistics entry in [since_us, until_us): the counters' growth
 * since the run's previous entry (all of them for a run's first entry),
 * its time and its EG_MIC. Entries up to 2 days before since_us set the
 * baseline only. fn returns < 0 to stop. Returns 0 or -errno. */
typedef int (*cli_delta_fn)(uint64_t t_us, int mic,
			    const uint64_t delta[CLI_C_COUNT], void *ud);
int cli_journal_deltas(struct cli_journal *jr, uint64_t since_us,
		       uint64_t until_us, cli_delta_fn fn, void *ud);

/* Wall-clock microseconds now, and of local midnight today. */
uint64_t cli_now_us(void);
uint64_t cli_midnight_us(void);

/* Write s as a JSON string (quoted, escaped). */
void cli_json_str(FILE *f, const char *s);

/* "2026-12-06 04:16:38" (local time) of t_us. */
void cli_format_time(uint64_t t_us, char *buf, size_t len);

#endif
