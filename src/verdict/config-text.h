/* SPDX-License-Identifier: MIT */
/*
 * config-text.h: error report and "did you mean" helpers of config.c
 * (internal to eg_verdict, not installed).
 */
#ifndef ECHOGUARD_CONFIG_TEXT_H
#define ECHOGUARD_CONFIG_TEXT_H

#include <stddef.h>

#define EG_CONFIG_NAME_MAX 64 /* longest section or key name compared */

/* Errors for humans, one per line, into a caller's buffer. */
struct eg_config_errs {
	char *buf;
	size_t len, cap;
	unsigned n;        /* errors reported, also those cut off */
	const char *file;
};

/* Append "FILE:LINE: [sec] key: msg\n" (line 0, sec or key NULL leave
 * that part out); a full buffer ends with a visible "...\n". */
void eg_config_errs_add(struct eg_config_errs *e, unsigned line,
			const char *sec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The closest of n names (every stride bytes from names) to s, when
 * close enough to be a likely typo (edit distance 1 to 3 by length,
 * any case); NULL otherwise. */
const char *eg_config_closest(const char *s, const char *const *names,
			      size_t n, size_t stride);

/*
 * Report an unknown key of [sec] at line: a likely typo of one of that
 * section's keys ("did you mean"), or the section it belongs in. The n
 * known keys are (section, key) name pairs read every stride bytes from
 * secs and keys (the fields of a table of key definitions).
 */
void eg_config_unknown_key(struct eg_config_errs *er, unsigned line,
			   const char *sec, const char *key,
			   const char *const *secs, const char *const *keys,
			   size_t n, size_t stride);

/* Trim white space around s and lower-case it, in place. */
void eg_config_lower_trim(char *s);

#endif
