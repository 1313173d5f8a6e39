/* SPDX-License-Identifier: MIT */
/*
 * cli-util.c: helpers shared by extract.c and replay.c (cli-util.h).
 * Covered through tests/unit/test-extract.c and test-replay.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "cli.h"

int cli_strv_add(const char *s, void *ud)
{
	struct cli_strv *l = ud;
	char *dup;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	dup = strdup(s);
	if (!dup)
		return -ENOMEM;
	l->v[l->n++] = dup;
	return 0;
}

void cli_strv_done(struct cli_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int cli_grow2(void **a, size_t asz, void **b, size_t bsz, size_t *cap,
	      size_t first)
{
	size_t ncap = *cap ? *cap * 2 : first;
	void *na, *nb;

	if (ncap < *cap || ncap > SIZE_MAX / (asz > bsz ? asz : bsz))
		return -ENOMEM;
	na = realloc(*a, ncap * asz);
	if (!na)
		return -ENOMEM;
	*a = na;
	nb = realloc(*b, ncap * bsz);
	if (!nb)
		return -ENOMEM;
	*b = nb;
	*cap = ncap;
	return 0;
}

uint64_t cli_flow_id(const struct eg_flow *f)
{
	if (!f)
		return 0;
	return ((uint64_t)(uintptr_t)f * 0x9e3779b97f4a7c15ull) ^ f->created_ns;
}

int cli_parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

#define MIC_MAX_CHANGES 1000000

static int cmp_mic(const void *a, const void *b)
{
	const struct cli_mic_change *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* See cli-util.h. */
int cli_mic_load(struct cli_mic *x, const char *path, const char *who)
{
	FILE *f = fopen(path, "re");
	char line[256];
	unsigned lineno = 0;

	if (!f) {
		cli_error("%s: --mic %s: %s", who, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		double t;
		long s;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		if ((*p == '0' || *p == '1') &&
		    strspn(p + 1, " \t\r\n") == strlen(p + 1) && x->n == 0 &&
		    x->fixed < 0) {
			x->fixed = *p - '0';
			continue;
		}
		/* Up to 1e10 s (year 2286): t * 1e9 must fit the ns count,
		 * or llround() overflows and the timeline is garbage. */
		t = strtod(p, &end);
		if (end == p || !(t >= 0) || !(t <= 1e10))
			goto bad;
		p = end + strspn(end, " \t,");
		s = strtol(p, &end, 10);
		if (end == p || (s != 0 && s != 1) ||
		    strspn(end, " \t\r\n") != strlen(end))
			goto bad;
		if (x->fixed >= 0 || x->n >= MIC_MAX_CHANGES)
			goto bad;
		if (x->n % 1024 == 0) {
			struct cli_mic_change *m = realloc(x->v, (x->n + 1024) *
						       sizeof(*m));

			if (!m)
				goto bad;
			x->v = m;
		}
		x->v[x->n].ts_ns = (uint64_t)llround(t * 1e9);
		x->v[x->n].pos = (uint32_t)x->n;
		x->v[x->n].state = (int)s;
		x->n++;
		continue;
bad:
		cli_error("%s: --mic %s:%u: expected \"0\", \"1\" or "
			  "\"EPOCH_SECONDS STATE\" (state 0 or 1)", who, path, lineno);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (x->fixed < 0 && x->n == 0) {
		cli_error("%s: --mic %s: empty", who, path);
		return -1;
	}
	if (x->n)
		qsort(x->v, x->n, sizeof(*x->v), cmp_mic);
	return 0;
}

int cli_mic_at(const struct cli_mic *m, uint64_t ts_ns)
{
	size_t lo = 0, hi = m->n;

	if (m->fixed >= 0 || !m->n)
		return m->fixed >= 0 ? m->fixed : 1;
	/* The last change at or before ts; before the first: its opposite
	 * is unknown, so the first entry's state holds from the start. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->v[mid].ts_ns <= ts_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return m->v[lo ? lo - 1 : 0].state;
}

void cli_mic_done(struct cli_mic *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
