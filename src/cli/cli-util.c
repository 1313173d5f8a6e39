/* SPDX-License-Identifier: MIT */
/*
 * cli-util.c: helpers shared by extract.c and replay.c (cli-util.h).
 * Covered through tests/unit/test-extract.c and test-replay.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"

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
