/* SPDX-License-Identifier: MIT */
/*
 * audit-traces.c: `echoguard audit traces`: trace CSVs or captures (whole,
 * or cut by an interactions file) -> labels -> per-trace features ->
 * evaluation, once undefended and once per --defend.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit-common.h"
#include "cli.h"
#include "forest-common.h"

struct tset {
	struct eg_audit_trace *t;
	size_t n, cap;
};

static struct eg_audit_trace *tset_add(struct tset *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct eg_audit_trace *nt = realloc(s->t, cap * sizeof(*nt));

		if (!nt)
			return NULL;
		s->t = nt;
		s->cap = cap;
	}
	eg_audit_trace_init(&s->t[s->n]);
	return &s->t[s->n++];
}

static void tset_done(struct tset *s)
{
	for (size_t i = 0; i < s->n; i++)
		eg_audit_trace_done(&s->t[i]);
	free(s->t);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

/* A capture: whole, or one trace per interactions row of this file. */
static int add_capture(struct tset *s, const char *path,
		       const struct audit_cfg *c, const struct eg_interactions *in)
{
	const struct eg_window *w;
	struct eg_audit_trace all, *t;
	size_t n_w;
	char err[1024];
	int r;

	eg_audit_trace_init(&all);
	r = eg_audit_capture_load(path, c->device,
				  c->has_servers ? &c->servers : NULL, &all,
				  err, sizeof(err));
	if (r < 0) {
		cli_error("%s", err);
		return r;
	}
	if (!in) {
		t = tset_add(s);
		if (!t) {
			eg_audit_trace_done(&all);
			return -ENOMEM;
		}
		*t = all;
		for (size_t i = t->n; i-- > 0;)
			t->p[i].t -= t->p[0].t; /* from the first packet */
		return 0;
	}
	n_w = eg_interactions_find(in, base(path), &w);
	for (size_t i = 0; i < n_w; i++) {
		if (!w[i].trace)
			continue;
		t = tset_add(s);
		if (!t || eg_audit_trace_cut(&all, w[i].start, w[i].end, true,
					     t) < 0) {
			eg_audit_trace_done(&all);
			return -ENOMEM;
		}
		snprintf(t->name, sizeof(t->name), "%s", w[i].trace);
		if (ends_with(t->name, ".csv"))
			t->name[strlen(t->name) - 4] = '\0';
	}
	eg_audit_trace_done(&all);
	return 0;
}

/* --labels dir:N: the N-th folder of rel (the path below the argument)
 * for the traces from first on. */
static int dir_label(struct tset *s, size_t first, const char *rel,
		     unsigned level)
{
	const char *p = rel, *slash;

	for (unsigned k = 1; k < level && p; k++) {
		slash = strchr(p, '/');
		p = slash ? slash + 1 : NULL;
	}
	slash = p ? strchr(p, '/') : NULL;
	if (!slash) {
		cli_error("%s: --labels dir:%u: the path below the argument has"
			  " fewer than %u folders", rel, level, level);
		return -EINVAL;
	}
	for (size_t i = first; i < s->n; i++)
		snprintf(s->t[i].label, sizeof(s->t[i].label), "%.*s",
			 (int)(slash - p), p);
	return 0;
}

/* A file; rel is its path below the command-line argument. */
static int add_file(struct tset *s, const char *path, const char *rel,
		    const struct audit_cfg *c, const struct eg_interactions *in)
{
	struct eg_audit_trace *t;
	size_t first = s->n;
	char err[1024];
	int r;

	if (!ends_with(path, ".csv")) {
		r = add_capture(s, path, c, in);
	} else if (c->has_servers) {
		cli_error("%s: --servers needs captures (a trace CSV has no "
			  "addresses)", path);
		return -EINVAL;
	} else {
		t = tset_add(s);
		if (!t)
			return -ENOMEM;
		r = eg_audit_trace_load_csv(path, t, err, sizeof(err));
		if (r < 0) {
			cli_error("%s", err);
			s->n--;
		}
	}
	if (r >= 0 && c->dir_level)
		r = dir_label(s, first, rel, c->dir_level);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool wanted(const char *root, const char *rel, const char *name,
		   bool *dir)
{
	char path[4096];
	struct stat st;

	*dir = false;
	if (name[0] == '.')
		return false;
	if (ends_with(name, ".csv") || ends_with(name, ".pcap") ||
	    ends_with(name, ".pcapng"))
		return true;
	snprintf(path, sizeof(path), "%s/%s%s%s", root, rel, *rel ? "/" : "",
		 name);
	return (*dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* A directory root/rel: its *.csv, *.pcap, *.pcapng files and its
 * subdirectories, recursed, in sorted order. */
static int add_dir(struct tset *s, const char *root, const char *rel,
		   const struct audit_cfg *c, const struct eg_interactions *in)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096], sub[4096];
	struct cli_progress prog;
	size_t n = 0, cap = 0;
	bool isdir;
	int r = 0;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(path))) {
		cli_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!wanted(root, rel, e->d_name, &isdir))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 256) *
					    sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	cli_progress_init(&prog, "audit: captures", n);
	for (size_t i = 0; i < n && r >= 0; i++) {
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 names[i]);
		if (snprintf(path, sizeof(path), "%s/%s", root, sub) >=
		    (int)sizeof(path)) {
			cli_error("%s/%s: path too long", root, sub);
			r = -ENAMETOOLONG;
			break;
		}
		r = wanted(root, rel, names[i], &isdir) && isdir ?
		    add_dir(s, root, sub, c, in) :
		    add_file(s, path, sub, c, in);
		cli_progress_step(&prog, i + 1);
	}
	cli_progress_end(&prog);
out:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* Label every trace: command name, or the mapping file's class. */
static int label_traces(struct tset *s, const char *labels)
{
	char line[512], cmd[160];
	struct { char cmd[160], cls[160]; } *map = NULL;
	size_t n = 0, cap = 0;
	FILE *f;
	int r = 0;

	if (labels && !strncmp(labels, "dir:", 4))
		return 0; /* labelled while loading */
	for (size_t i = 0; i < s->n; i++) {
		eg_audit_command_name(s->t[i].name, cmd, sizeof(cmd));
		snprintf(s->t[i].label, sizeof(s->t[i].label), "%s", cmd);
	}
	if (!labels || !strcmp(labels, "name"))
		return 0;
	f = fopen(labels, "re");
	if (!f) {
		cli_error("%s: %s", labels, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *comma = strchr(line, ',');

		line[strcspn(line, "\r\n")] = '\0';
		if (!comma || !strcmp(line, "command,category"))
			continue;
		*comma = '\0';
		if (n == cap) {
			void *nm = realloc(map, (cap = cap ? cap * 2 : 128) *
					   sizeof(*map));
			if (!nm) {
				r = -ENOMEM;
				goto out;
			}
			map = nm;
		}
		snprintf(map[n].cmd, sizeof(map[n].cmd), "%.159s", line);
		snprintf(map[n].cls, sizeof(map[n].cls), "%.159s", comma + 1);
		n++;
	}
	for (size_t i = 0; i < s->n && r == 0; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!strcmp(map[j].cmd, s->t[i].label))
				break;
		if (j == n) {
			cli_error("%s: command \"%s\" of trace %s is not in "
				  "the mapping", labels, s->t[i].label,
				  s->t[i].name);
			r = -ENOENT;
		} else {
			snprintf(s->t[i].label, sizeof(s->t[i].label), "%s",
				 map[j].cls);
		}
	}
out:
	fclose(f);
	free(map);
	return r;
}

/* The class key of a trace: its label, or with via_command its command
 * name (the label is then the coarse class). */
static const char *key(const struct eg_audit_trace *t, bool via, char *buf,
		       size_t len)
{
	if (!via)
		return t->label;
	eg_audit_command_name(t->name, buf, len);
	return buf;
}

static int build_dataset(const struct tset *s, const struct audit_cfg *c,
			 struct eg_dataset **ret)
{
	char kb[160];
	unsigned nf = eg_audit_feat_count(&c->fo);
	struct audit_labels l = { .n = 0 };
	char *nbuf = malloc((size_t)48 * nf);
	const char **fn = malloc(nf * sizeof(*fn));
	float *x = malloc(nf * sizeof(*x));
	struct eg_dataset *d = NULL;
	int r = -ENOMEM;

	if (!nbuf || !fn || !x)
		goto out;
	for (size_t i = 0; i < s->n; i++)
		if ((r = audit_labels_get(&l, key(&s->t[i], c->via_command,
						       kb, sizeof(kb)))) < 0)
			goto out;
	qsort(l.name, l.n, sizeof(l.name[0]), cmp_str);
	eg_audit_feat_names(&c->fo, nbuf, fn);
	r = eg_dataset_new(nf, fn, l.n, (const char *const *)l.name, &d);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		eg_audit_feat_compute(&c->fo, &s->t[i], x);
		r = eg_dataset_add(d, x, (unsigned)audit_labels_get(&l,
				   key(&s->t[i], c->via_command, kb,
				       sizeof(kb))), NULL);
		if (r < 0)
			goto out;
	}
	*ret = d;
	d = NULL;
	r = 0;
out:
	eg_dataset_free(d);
	audit_labels_done(&l);
	free(nbuf);
	free(fn);
	free(x);
	return r;
}

/* With --split, the part of every row in every repeat (0 train, 1
 * validation, 2 test), as eg_audit_evaluate draws them: parts[rep * n + i]. */
static uint8_t *dump_parts(const struct eg_dataset *d,
			   const struct eg_audit_eval_opts *o)
{
	size_t n = d->n_rows;
	uint8_t *parts = malloc(o->repeats * n + 1);
	uint32_t *all = malloc((n + 1) * sizeof(*all));
	int r = parts && all ? 0 : -ENOMEM;

	for (size_t i = 0; all && i < n; i++)
		all[i] = (uint32_t)i;
	for (unsigned rep = 0; rep < o->repeats && r == 0; rep++)
		r = eg_audit_split3(d, all, n, o->val_size, o->test_size,
				    o->seed + 1000003ull * rep,
				    parts + rep * n);
	free(all);
	if (r < 0) {
		free(parts);
		return NULL;
	}
	return parts;
}

static void dump_rows(FILE *f, const struct tset *s,
		      const struct eg_dataset *d, const uint8_t *parts,
		      unsigned reps)
{
	static const char *const pn[] = { "train", "val", "test" };

	fprintf(f, "trace,label");
	for (unsigned k = 0; parts && k < reps; k++)
		fprintf(f, ",split_%u", k);
	for (unsigned j = 0; j < d->n_features; j++)
		fprintf(f, ",%s", d->feature_names[j]);
	for (uint32_t i = 0; i < d->n_rows; i++) {
		fprintf(f, "\n%s,%s", s->t[i].name, s->t[i].label);
		for (unsigned k = 0; parts && k < reps; k++)
			fprintf(f, ",%s", pn[parts[(size_t)k * d->n_rows + i]]);
		for (unsigned j = 0; j < d->n_features; j++)
			fprintf(f, ",%.9g", d->x[(size_t)i * d->n_features + j]);
	}
	fprintf(f, "\n");
}

/* --dump: name,label[,split_K...],features per trace; timing on stderr. */
static int dump(const struct tset *s, const struct audit_cfg *c, double t0)
{
	struct eg_dataset *d = NULL;
	uint8_t *parts = NULL;
	FILE *f;
	int r = build_dataset(s, c, &d);
	double t1 = fc_now();

	if (r == 0 && c->eo.val_size > 0 && !(parts = dump_parts(d, &c->eo)))
		r = -ENOMEM;
	if (r < 0) {
		cli_error("cannot build the dataset: %s", strerror(-r));
		eg_dataset_free(d);
		return 1;
	}
	f = fopen(c->dump, "we");
	if (!f) {
		cli_error("%s: %s", c->dump, strerror(errno));
		eg_dataset_free(d);
		free(parts);
		return 1;
	}
	dump_rows(f, s, d, parts, c->eo.repeats);
	r = fclose(f) ? 1 : 0;
	fprintf(stderr, "audit: %zu traces (load + features) in %.3f s, "
		"%.0f traces/s\n", s->n, t1 - t0, s->n / (t1 - t0));
	eg_dataset_free(d);
	free(parts);
	return r;
}

/* --via-command: the dataset's classes are commands; map each to its
 * trace label (the category). */
static int run_mapped(struct audit_report *rep, const struct audit_cfg *c,
		      const struct tset *s, const struct eg_dataset *d,
		      const char *name, const char *extra)
{
	struct audit_labels coarse = { .n = 0 };
	uint16_t map[EG_DATASET_MAX_CLASSES];
	char kb[160];
	int r = 0;

	for (size_t i = 0; i < s->n && r >= 0; i++)
		r = audit_labels_get(&coarse, s->t[i].label);
	if (r >= 0)
		qsort(coarse.name, coarse.n, sizeof(coarse.name[0]), cmp_str);
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		const char *k = key(&s->t[i], true, kb, sizeof(kb));

		for (unsigned f = 0; f < d->n_classes; f++)
			if (!strcmp(d->class_names[f], k))
				map[f] = (uint16_t)audit_labels_get(&coarse,
							s->t[i].label);
	}
	if (r < 0) {
		cli_error("%s: too many classes", name);
		audit_labels_done(&coarse);
		return 1;
	}
	printf("# scored in %u classes (trained on commands)\n", coarse.n);
	r = audit_report_run_mapped(rep, c, d, name, extra, map,
				    (const char *const *)coarse.name,
				    coarse.n);
	audit_labels_done(&coarse);
	return r;
}

static int run_setting(struct audit_report *rep, const struct audit_cfg *c,
		       const struct tset *s, const char *name, double overhead)
{
	struct eg_dataset *d = NULL;
	char extra[128];
	int r = build_dataset(s, c, &d);

	if (r < 0) {
		cli_error("%s: cannot build the dataset: %s", name,
			  strerror(-r));
		return 1;
	}
	snprintf(extra, sizeof(extra), "\"overhead_pct\": %.3f, "
		 "\"via_command\": %s, ", overhead,
		 c->via_command ? "true" : "false");
	printf("# %s: %u traces, %u classes, %u features, overhead %.1f%%\n",
	       name, d->n_rows, d->n_classes, d->n_features, overhead);
	if (c->via_command)
		r = run_mapped(rep, c, s, d, name, extra);
	else
		r = audit_report_run(rep, c, d, name, extra);
	eg_dataset_free(d);
	return r;
}

int audit_traces(const struct audit_cfg *c)
{
	struct tset s = { 0 };
	struct eg_interactions *in = NULL;
	struct audit_report rep;
	int r = 0, status = 0;
	double t0 = fc_now();
	char err[1024];

	if (c->interactions &&
	    eg_interactions_load(c->interactions, &in, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 2;
	}
	for (unsigned i = 0; i < c->n_inputs && r >= 0; i++) {
		struct stat st;

		if (stat(c->inputs[i], &st) < 0) {
			cli_error("%s: %s", c->inputs[i], strerror(errno));
			r = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			r = add_dir(&s, c->inputs[i], "", c, in);
		} else {
			r = add_file(&s, c->inputs[i], base(c->inputs[i]), c,
				     in);
		}
	}
	if (r >= 0 && s.n < 2) {
		cli_error("audit traces: %zu traces, need at least 2", s.n);
		r = -EINVAL;
	}
	if (r >= 0)
		r = label_traces(&s, c->labels);
	if (r >= 0 && c->dump) {
		status = dump(&s, c, t0);
		goto out;
	}
	if (r < 0 || audit_report_open(&rep, c->report, "traces", c) < 0) {
		status = 2;
		goto out;
	}
	status |= run_setting(&rep, c, &s, "none", 0);
	for (unsigned k = 0; k < c->n_def; k++) {
		struct tset ds = { 0 };
		uint64_t before = 0, after = 0;

		for (size_t i = 0; i < s.n && r >= 0; i++) {
			struct eg_audit_trace *t = tset_add(&ds);

			if (!t) {
				r = -ENOMEM;
				break;
			}
			*t = s.t[i];
			t->p = malloc((t->n ? t->n : 1) * sizeof(*t->p));
			t->cap = t->n ? t->n : 1;
			if (!t->p) {
				r = -ENOMEM;
				break;
			}
			memcpy(t->p, s.t[i].p, t->n * sizeof(*t->p));
			r = eg_audit_defend_apply(&c->def[k], t, &before,
						  &after);
		}
		if (r >= 0)
			status |= run_setting(&rep, c, &ds, c->def_name[k],
					      before ? 100.0 * ((double)after -
					      (double)before) / before : 0);
		tset_done(&ds);
		if (r < 0) {
			cli_error("%s: out of memory", c->def_name[k]);
			status = 1;
			break;
		}
	}
	if (audit_report_close(&rep) < 0)
		status = 1;
out:
	tset_done(&s);
	eg_interactions_free(in);
	return status;
}
