/* SPDX-License-Identifier: MIT */
/*
 * config-text.c: the text side of config.c's error reports: the
 * FILE:LINE: [section] key: message accumulator and the "did you mean"
 * suggestion for a mistyped section or key. Covered by
 * tests/unit/test-config.c (test_unknown_names and the error tests).
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config-text.h"

/* ---- errors ------------------------------------------------------------ */

/* Append "FILE:LINE: [sec] key: msg\n"; cut with "...\n" when full. */
void eg_config_errs_add(struct eg_config_errs *e, unsigned line,
			const char *sec, const char *key, const char *fmt, ...)
{
	char msg[512], where[64] = "";
	va_list ap;
	int n;

	e->n++;
	if (!e->cap || e->len + 1 >= e->cap)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	if (sec && key)
		n = snprintf(e->buf + e->len, e->cap - e->len,
			     "%s%s: [%s] %s: %s\n", e->file, where, sec, key, msg);
	else if (sec)
		n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s: [%s]: %s\n",
			     e->file, where, sec, msg);
	else
		n = snprintf(e->buf + e->len, e->cap - e->len, "%s%s: %s\n",
			     e->file, where, msg);
	if (n < 0 || (size_t)n >= e->cap - e->len) {
		/* Did not fit: end the buffer with a visible cut. */
		if (e->cap >= 5)
			memcpy(e->buf + e->cap - 5, "...\n", 5);
		e->len = e->cap - 1;
		return;
	}
	e->len += (size_t)n;
}

/* ---- "did you mean" -------------------------------------------------- */

/* Levenshtein distance of two short names (longer ones: "far"). */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned d[EG_CONFIG_NAME_MAX + 1], i, j, la = strlen(a), lb = strlen(b);

	if (la > EG_CONFIG_NAME_MAX || lb > EG_CONFIG_NAME_MAX)
		return UINT_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = d[0];

		d[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned up = d[j], best;

			best = diag + (tolower((unsigned char)a[i - 1]) !=
				       tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			d[j] = best;
			diag = up;
		}
	}
	return d[lb];
}

/* The closest of n names to s, if close enough to be a likely typo. */
const char *eg_config_closest(const char *s, const char *const *names,
			      size_t n, size_t stride)
{
	const char *best = NULL;
	unsigned best_d = UINT_MAX, limit;
	size_t i;

	limit = strlen(s) <= 4 ? 1 : strlen(s) <= 8 ? 2 : 3;
	for (i = 0; i < n; i++) {
		const char *name = *(const char *const *)
			((const char *)names + i * stride);
		unsigned d = edit_distance(s, name);

		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	return best_d <= limit ? best : NULL;
}

/* Trim white space around s and lower-case it, in place. */
void eg_config_lower_trim(char *s)
{
	size_t n;
	char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	memmove(s, p, strlen(p) + 1);
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	for (p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

#define NTH(base, i, stride) \
	(*(const char *const *)((const char *)(base) + (i) * (stride)))

void eg_config_unknown_key(struct eg_config_errs *er, unsigned line,
			   const char *sec, const char *key,
			   const char *const *secs, const char *const *keys,
			   size_t n, size_t stride)
{
	const char *names[256], *hint;
	size_t i, m = 0;

	for (i = 0; i < n && m < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(NTH(secs, i, stride), sec))
			names[m++] = NTH(keys, i, stride);
	hint = eg_config_closest(key, names, m, sizeof(names[0]));
	if (hint) {
		eg_config_errs_add(er, line, sec, key,
				   "unknown key (did you mean \"%s\"?)", hint);
		return;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(NTH(keys, i, stride), key)) {
			eg_config_errs_add(er, line, sec, key,
					   "unknown key (it belongs in [%s])",
					   NTH(secs, i, stride));
			return;
		}
	eg_config_errs_add(er, line, sec, key, "unknown key");
}
