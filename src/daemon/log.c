// SPDX-License-Identifier: MIT
/* log.c: log lines to stderr or the journal; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <systemd/sd-journal.h>

#include "log.h"

static bool log_stderr = true;
static bool stderr_journal;      /* stderr is the journal's stream */
static int log_level = LOG_INFO;

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
};

void eg_log_setup(bool to_stderr, int level)
{
	log_stderr = to_stderr;
	log_level = level;
	stderr_journal = eg_log_stderr_is_journal();
}

void eg_log_set_level(int level)
{
	log_level = level;
}

bool eg_log_to_stderr(void)
{
	return log_stderr;
}

bool eg_log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void eg_log(int prio, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_stderr && stderr_journal) {
		/* --foreground under systemd: journald reads the "<N>"
		 * prefix as the line's priority (sd-daemon.h). */
		fprintf(stderr, "<%d>%s\n", prio & 7, msg);
		return;
	}
	if (log_stderr) {
		fprintf(stderr, "echoguardd: %s: %s\n",
			prio_names[prio & 7], msg);
		return;
	}
	sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
			"SYSLOG_IDENTIFIER=echoguardd", NULL);
}
