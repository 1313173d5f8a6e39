/* SPDX-License-Identifier: MIT */
/*
 * audit-windows.c: `echoguard audit windows`: windows of N packets or S
 * seconds over captures, each labelled with the state at its midpoint
 * (interaction/idle from an interactions file, a mic timeline, or a
 * context given as LABEL=CAPTURE), the Google Home study's window features,
 * and the classifiers' accuracy per window size.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-common.h"
#include "cli.h"

struct timeline { double t; char label[64]; };

static int timeline_load(const char *path, struct timeline **ret,
			 size_t *ret_n)
{
	FILE *f = fopen(path, "re");
	struct timeline *v = NULL;
	size_t n = 0, cap = 0;
	unsigned long lineno = 0;
	char line[256];

	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *comma, *end;
		struct timeline it;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || (lineno == 1 && !strncmp(line, "time", 4)))
			continue;
		comma = strchr(line, ',');
		it.t = strtod(line, &end);
		if (!comma || end != comma || !comma[1] ||
		    (n && it.t < v[n - 1].t)) {
			cli_error("%s:%lu: expected time,label in time order",
				  path, lineno);
			fclose(f);
			free(v);
			return -EINVAL;
		}
		snprintf(it.label, sizeof(it.label), "%s", comma + 1);
		if (n == cap) {
			struct timeline *nv = realloc(v, (cap = cap ? cap * 2 :
						      64) * sizeof(*v));
			if (!nv) {
				fclose(f);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = it;
	}
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

struct source {
	const char *path, *context; /* context: fixed label or NULL */
	char base[256];
	struct eg_audit_trace t;
};

struct labeller {
	const struct eg_interactions *in;
	const struct timeline *tl;
	size_t n_tl;
};

/* The label of time t in source s, or NULL when it has none. */
static const char *label_at(const struct labeller *l, const struct source *s,
			    double t)
{
	if (s->context)
		return s->context;
	if (l->tl) {
		const char *lab = NULL;

		for (size_t i = 0; i < l->n_tl && l->tl[i].t <= t; i++)
			lab = l->tl[i].label;
		return lab;
	}
	{
		const struct eg_window *w;
		size_t n = eg_interactions_find(l->in, s->base, &w);

		for (size_t i = 0; i < n; i++)
			if (w[i].start <= t && t <= w[i].end)
				return "interaction";
	}
	return "idle";
}

/* Windows of one size over every source into a new dataset. */
static int build(const struct labeller *lab,
		 struct source *src, unsigned n_src,
		 const struct audit_win *w, struct eg_dataset **ret)
{
	struct audit_labels l = { .n = 0 };
	struct eg_dataset *d = NULL;
	float x[EG_AUDIT_WIN_FEATURES];
	struct { size_t s; unsigned y; } *rows = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	for (unsigned k = 0; k < n_src; k++) {
		const struct eg_audit_trace *t = &src[k].t;
		size_t i = 0;

		while (i < t->n) {
			size_t j = i;
			double mid;
			const char *name;

			if (w->seconds) {
				double end = t->p[i].t + w->size;

				while (j < t->n && t->p[j].t < end)
					j++;
				mid = t->p[i].t + w->size / 2;
			} else {
				j = i + (size_t)w->size;
				if (j > t->n)
					break; /* a short last window */
				mid = (t->p[i].t + t->p[j - 1].t) / 2;
			}
			name = label_at(lab, &src[k], mid);
			if (name) {
				if ((r = audit_labels_get(&l, name)) < 0)
					goto out;
				if (n == cap) {
					void *nr = realloc(rows, (cap = cap ?
						cap * 2 : 1024) * sizeof(*rows));
					if (!nr) {
						r = -ENOMEM;
						goto out;
					}
					rows = nr;
				}
				rows[n].s = i | ((size_t)k << 40);
				rows[n].y = (unsigned)r;
				n++;
			}
			i = j;
		}
	}
	r = eg_dataset_new(EG_AUDIT_WIN_FEATURES, eg_audit_win_names, l.n ?
			   l.n : 1, l.n ? (const char *const *)l.name :
			   (const char *const[]){ "none" }, &d);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(rows[i].s >> 40);
		size_t a = rows[i].s & ((1ull << 40) - 1), b;
		const struct eg_audit_trace *t = &src[k].t;

		if (w->seconds) {
			for (b = a; b < t->n && t->p[b].t < t->p[a].t + w->size;)
				b++;
		} else {
			b = a + (size_t)w->size;
		}
		eg_audit_win_compute(&t->p[a], b - a, x);
		r = eg_dataset_add(d, x, rows[i].y, src[k].base);
		if (r < 0)
			goto out;
	}
	*ret = d;
	d = NULL;
out:
	eg_dataset_free(d);
	audit_labels_done(&l);
	free(rows);
	return r < 0 ? r : 0;
}

static int load_sources(const struct audit_cfg *c, struct source *src)
{
	for (unsigned i = 0; i < c->n_inputs; i++) {
		const char *in = c->inputs[i], *eq = strchr(in, '=');
		const char *b;
		char err[1024];
		static char ctx[AUDIT_MAX_LABELS][64];

		eg_audit_trace_init(&src[i].t);
		src[i].path = in;
		src[i].context = NULL;
		if (eq && i < AUDIT_MAX_LABELS && (size_t)(eq - in) < 64) {
			snprintf(ctx[i], sizeof(ctx[i]), "%.*s",
				 (int)(eq - in), in);
			src[i].context = ctx[i];
			src[i].path = eq + 1;
		}
		b = strrchr(src[i].path, '/');
		snprintf(src[i].base, sizeof(src[i].base), "%s",
			 b ? b + 1 : src[i].path);
		if (eg_audit_capture_load(src[i].path, c->device,
					  c->has_servers ? &c->servers : NULL,
					  &src[i].t,
					  err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return -EINVAL;
		}
	}
	return 0;
}

int audit_windows(const struct audit_cfg *c)
{
	struct labeller lab = { 0 };
	struct eg_interactions *in = NULL;
	struct timeline *tl = NULL;
	char err[1024];
	struct source *src = NULL;
	struct audit_report rep;
	int status = 0;

	if (!c->n_win) {
		cli_error("audit windows: give --packets N or --seconds S");
		return 2;
	}
	if (c->interactions &&
	    eg_interactions_load(c->interactions, &in, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 2;
	}
	if (c->mic && timeline_load(c->mic, &tl, &lab.n_tl) < 0) {
		eg_interactions_free(in);
		return 2;
	}
	lab.in = in;
	lab.tl = tl;
	src = calloc(c->n_inputs, sizeof(*src));
	if (!src || load_sources(c, src) < 0) {
		status = 2;
		goto out;
	}
	if (audit_report_open(&rep, c->report, "windows", c) < 0) {
		status = 2;
		goto out;
	}
	for (unsigned w = 0; w < c->n_win; w++) {
		struct eg_dataset *d = NULL;
		uint32_t counts[AUDIT_MAX_LABELS];
		char name[64], extra[256];
		uint32_t maj = 0;
		int r = build(&lab, src, c->n_inputs, &c->win[w], &d);

		if (r < 0) {
			cli_error("windows: %s", strerror(-r));
			status = 1;
			continue;
		}
		snprintf(name, sizeof(name), "%s=%g", c->win[w].seconds ?
			 "seconds" : "packets", c->win[w].size);
		eg_dataset_class_counts(d, NULL, 0, counts);
		printf("# %s: %u windows:", name, d->n_rows);
		for (unsigned k = 0; k < d->n_classes; k++) {
			printf(" %s %u", d->class_names[k], counts[k]);
			maj = counts[k] > maj ? counts[k] : maj;
		}
		printf(" (majority %.1f%%)\n", d->n_rows ?
		       100.0 * maj / d->n_rows : 0);
		snprintf(extra, sizeof(extra), "\"windows\": %u, "
			 "\"majority\": %.6f, ", d->n_rows,
			 d->n_rows ? (double)maj / d->n_rows : 0);
		if (d->n_classes < 2 || d->n_rows < 10) {
			cli_error("%s: need two classes and 10 windows", name);
			status = 1;
		} else {
			status |= audit_report_run(&rep, c, d, name, extra);
		}
		eg_dataset_free(d);
	}
	if (audit_report_close(&rep) < 0)
		status = 1;
out:
	for (unsigned i = 0; src && i < c->n_inputs; i++)
		eg_audit_trace_done(&src[i].t);
	free(src);
	eg_interactions_free(in);
	free(tl);
	return status;
}
