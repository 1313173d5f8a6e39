/* SPDX-License-Identifier: MIT */
/*
 * audit-report.c: shared parts of `echoguard audit`: defaults, the
 * interactions file, label interning, and evaluating classifiers into the
 * printed table, audit.json and confusion-matrix SVGs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit-common.h"
#include "cli.h"

void audit_cfg_init(struct audit_cfg *c)
{
	memset(c, 0, sizeof(*c));
	eg_audit_fopts_default(&c->fo);
	eg_audit_eval_opts_default(&c->eo);
	for (int i = 0; i < _EG_CLF_MAX; i++)
		c->use[i] = true;
}

int audit_labels_get(struct audit_labels *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return (int)i;
	if (l->n >= AUDIT_MAX_LABELS)
		return -E2BIG;
	l->name[l->n] = strdup(name);
	if (!l->name[l->n])
		return -ENOMEM;
	return (int)l->n++;
}

void audit_labels_done(struct audit_labels *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->name[i]);
	l->n = 0;
}

void audit_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int audit_report_open(struct audit_report *r, const char *dir,
		      const char *mode, const struct audit_cfg *c)
{
	char path[4096];

	memset(r, 0, sizeof(*r));
	r->first = true;
	printf("%-16s %-9s %7s %7s %7s %7s %7s %9s\n", "setting", "clf",
	       "mean%", "std%", "median%", "top-k%", "bal%", "train_s");
	if (!dir)
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		cli_error("%s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/audit.json", dir);
	r->json = fopen(path, "we");
	if (!r->json) {
		cli_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	r->dir = dir;
	fprintf(r->json, "{\"mode\": \"%s\", \"repeats\": %u, "
		"\"test_size\": %g, \"tune_folds\": %u, \"topk\": %u, "
		"\"seed\": %llu, \"features\": %u, \"bins\": %u, "
		"\"acks\": %s,\n \"results\": [", mode, c->eo.repeats,
		c->eo.test_size, c->eo.tune_folds, c->eo.topk,
		(unsigned long long)c->eo.seed, c->fo.kind, c->fo.bins,
		c->fo.acks ? "true" : "false");
	return 0;
}

/* A heat map of the row-normalised confusion matrix. */
static int write_svg(const char *path, const char *const *names, unsigned n,
		     const uint32_t *conf, const char *title)
{
	unsigned cell = n > 60 ? 6 : n > 20 ? 14 : 40;
	unsigned margin = n > 30 ? 20 : 150, w = margin + n * cell + 20;
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" font-family=\"sans-serif\" font-size=\"11\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"4\" y=\"14\">", w, w + 20);
	for (const char *s = title; *s; s++)
		fputs(*s == '<' ? "&lt;" : *s == '&' ? "&amp;" :
		      (char[2]){ *s, 0 }, f);
	fprintf(f, " (rows: true class, columns: predicted)</text>\n");
	for (unsigned y = 0; y < n; y++) {
		uint64_t row = 0;

		for (unsigned p = 0; p < n; p++)
			row += conf[(size_t)y * n + p];
		if (margin > 20) {
			fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">"
				"%.24s</text>\n", margin - 4,
				margin + y * cell + cell / 2 + 4, names[y]);
			fprintf(f, "<text transform=\"translate(%u,%u) "
				"rotate(-60)\">%.24s</text>\n",
				margin + y * cell + cell / 2, margin - 4,
				names[y]);
		}
		for (unsigned p = 0; p < n; p++) {
			double v = row ? (double)conf[(size_t)y * n + p] / row :
				   0;
			int shade = 255 - (int)lround(v * 255);

			fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" "
				"height=\"%u\" fill=\"rgb(%d,%d,255)\"><title>"
				"%u</title></rect>\n", margin + p * cell,
				margin + y * cell, cell, cell, shade, shade,
				conf[(size_t)y * n + p]);
		}
	}
	fprintf(f, "</svg>\n");
	return fclose(f) ? -EIO : 0;
}

static void json_result(FILE *f, const struct eg_dataset *d,
			const struct eg_audit_result *r, const char *setting,
			const char *extra, unsigned topk,
			const char *const *names)
{
	unsigned nc = r->n_classes;

	fprintf(f, "\n  {\"setting\": ");
	audit_json_string(f, setting);
	fprintf(f, ", %s\"classifier\": \"%s\", \"rows\": %u, "
		"\"classes\": %u, \"mean\": %.6f, \"std\": %.6f, "
		"\"median\": %.6f, \"topk\": %u, \"topk_mean\": %.6f, "
		"\"balanced_mean\": %.6f, \"train_s\": %.4f, "
		"\"fit_s\": %.4f, \"chosen\": {\"trees\": %u, \"max_depth\": %u,"
		" \"min_leaf\": %u, \"k\": %u, \"rounds\": %u, \"hidden\": "
		"[%u, %u]},\n   \"acc\": [",
		extra, eg_audit_clf_names[r->clf], d->n_rows, nc,
		r->mean, r->std, r->median, topk, r->topk_mean,
		r->balanced_mean, r->train_s, r->fit_s, r->chosen.trees,
		r->chosen.max_depth, r->chosen.min_leaf, r->chosen.k,
		r->chosen.rounds, r->chosen.hidden1, r->chosen.hidden2);
	for (unsigned i = 0; i < r->repeats; i++)
		fprintf(f, "%s%.4f", i ? ", " : "", r->acc[i]);
	fprintf(f, "],\n   \"classes_names\": [");
	for (unsigned i = 0; i < nc; i++) {
		fprintf(f, "%s", i ? ", " : "");
		audit_json_string(f, names[i]);
	}
	fprintf(f, "],\n   \"confusion\": [");
	for (unsigned y = 0; y < nc; y++) {
		fprintf(f, "%s[", y ? ", " : "");
		for (unsigned p = 0; p < nc; p++)
			fprintf(f, "%s%u", p ? "," : "",
				r->confusion[(size_t)y * nc + p]);
		fprintf(f, "]");
	}
	fprintf(f, "],\n   \"importances\": [");
	if (r->importance) {
		/* the 20 most important features, best first */
		bool taken[EG_DATASET_MAX_FEATURES] = { false };

		for (unsigned k = 0; k < 20 && k < d->n_features; k++) {
			unsigned b = 0;

			while (taken[b])
				b++;
			for (unsigned j = b + 1; j < d->n_features; j++)
				if (!taken[j] && r->importance[j] >
						 r->importance[b])
					b = j;
			taken[b] = true;
			fprintf(f, "%s[", k ? ", " : "");
			audit_json_string(f, d->feature_names[b]);
			fprintf(f, ", %.5f]", r->importance[b]);
		}
	}
	fprintf(f, "]}");
}

int audit_report_run(struct audit_report *rep, const struct audit_cfg *c,
		     const struct eg_dataset *d, const char *setting,
		     const char *extra)
{
	return audit_report_run_mapped(rep, c, d, setting, extra, NULL,
				       (const char *const *)d->class_names,
				       d->n_classes);
}

int audit_report_run_mapped(struct audit_report *rep,
			    const struct audit_cfg *c,
			    const struct eg_dataset *d, const char *setting,
			    const char *extra, const uint16_t *map,
			    const char *const *names, unsigned n_names)
{
	struct eg_audit_eval_opts eo = c->eo;
	int ret = 0;

	eo.class_map = map;
	eo.n_mapped = map ? n_names : 0;

	for (int k = 0; k < _EG_CLF_MAX; k++) {
		struct eg_audit_result r;
		char err[512], path[4096];

		if (!c->use[k])
			continue;
		if (eg_audit_evaluate(d, (enum eg_audit_clf)k, &eo, &r, err,
				      sizeof(err)) < 0) {
			cli_error("%s %s: %s", setting, eg_audit_clf_names[k],
				  err);
			ret = 1;
			continue;
		}
		printf("%-16s %-9s %7.1f %7.1f %7.1f %7.1f %7.1f %9.3f\n",
		       setting, eg_audit_clf_names[k], 100 * r.mean,
		       100 * r.std, 100 * r.median, 100 * r.topk_mean,
		       100 * r.balanced_mean, r.train_s);
		fflush(stdout);
		if (rep->json) {
			fprintf(rep->json, "%s", rep->first ? "" : ",");
			rep->first = false;
			json_result(rep->json, d, &r, setting, extra,
				    c->eo.topk, names);
			snprintf(path, sizeof(path), "%s/confusion-%s-%s.svg",
				 rep->dir, setting, eg_audit_clf_names[k]);
			for (char *p = path + strlen(rep->dir) + 1; *p; p++)
				if (*p == '/' || *p == ':' || *p == '=')
					*p = '_';
			snprintf(err, sizeof(err), "%s, %s: %.1f%% mean accuracy",
				 setting, eg_audit_clf_names[k], 100 * r.mean);
			if (write_svg(path, names, n_names, r.confusion,
				      err) < 0) {
				cli_error("%s: cannot write", path);
				ret = 1;
			}
		}
		eg_audit_result_done(&r);
	}
	return ret;
}

int audit_report_close(struct audit_report *r)
{
	if (!r->json)
		return 0;
	fprintf(r->json, "\n]}\n");
	if (fclose(r->json)) {
		cli_error("%s/audit.json: write error", r->dir);
		return -EIO;
	}
	r->json = NULL;
	return 0;
}
