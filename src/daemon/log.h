/* SPDX-License-Identifier: MIT */
/*
 * log.h: the daemon's human-readable log lines.
 *
 * Lines go to the journal (sd_journal_send, with PRIORITY and the code
 * location) when the daemon runs under journald and not --foreground, and to
 * stderr ("echoguardd: <level>: message") otherwise. Only the main thread and
 * start-up code log; the packet path never does (it counts, and queues drop
 * events in a ring that the main thread logs, see worker.h).
 */
#ifndef EG_DAEMON_LOG_H
#define EG_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* to_stderr: log to stderr (else journal); level: highest priority logged. */
void eg_log_setup(bool to_stderr, int level);
void eg_log_set_level(int level);
bool eg_log_to_stderr(void);
/* Is stderr the journal's stream ($JOURNAL_STREAM names its dev:inode)? */
bool eg_log_stderr_is_journal(void);

void eg_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
