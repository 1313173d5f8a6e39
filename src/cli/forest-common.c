/* SPDX-License-Identifier: MIT */
/* forest-common.c: helpers shared by train.c, eval.c and model.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "echoguard/engine/engine.h"
#include "echoguard/forest/train.h"
#include "forest-common.h"


double fc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fc_strv_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

int fc_read_header(const char *path, char ***ret, unsigned *ret_n)
{
	char *line = NULL, *p, *tok, **v = NULL, **nv;
	size_t cap = 0;
	unsigned n = 0;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return -errno;
	if (getline(&line, &cap, f) < 0) {
		r = -EINVAL;
		goto out;
	}
	line[strcspn(line, "\r\n")] = 0;
	for (p = line; (tok = strsep(&p, ","));) {
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			goto out;
		}
		v = nv;
		if (*tok == '"' && strlen(tok) >= 2 && tok[strlen(tok) - 1] == '"') {
			tok[strlen(tok) - 1] = 0;
			tok++;
		}
		v[n] = strdup(tok);
		v[n + 1] = NULL;
		if (!v[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	v = NULL;
out:
	fc_strv_free(v);
	free(line);
	fclose(f);
	return r;
}

int fc_has_column(char *const *hdr, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return 1;
	return 0;
}

static int has_all(const struct eg_schema *s, char *const *hdr, unsigned n)
{
	unsigned i;

	for (i = 0; s && i < s->n; i++)
		if (!fc_has_column(hdr, n, s->names[i]))
			return 0;
	return s != NULL;
}

int fc_pick_schema(const char *want, char *const *hdr, unsigned n,
		   const struct eg_schema **ret)
{
	const struct eg_schema *s;

	*ret = NULL;
	if (!strcmp(want, "custom"))
		return 0;
	if (strcmp(want, "auto")) {
		s = eg_schema_find(want);
		if (!s) {
			cli_error("unknown feature schema \"%s\" (seed, flow, "
				  "shape, auto, custom)", want);
			return -ENOENT;
		}
		*ret = s;
		return 0;
	}
	s = eg_schema_find("shape");
	if (has_all(s, hdr, n)) {
		*ret = s;
		return 0;
	}
	s = eg_schema_find("flow");
	if (has_all(s, hdr, n)) {
		*ret = s;
		return 0;
	}
	s = eg_schema_find("seed");
	if (has_all(s, hdr, n))
		*ret = s;
	return 0;
}

int fc_evaluate(const struct eg_forest *f, const struct eg_dataset *d,
		const uint32_t *rows, size_t n, struct eg_report **ret,
		size_t *ret_unknown)
{
	const char **names;
	struct eg_report *rep = NULL;
	int map[EG_DATASET_MAX_CLASSES];
	float proba[EG_MAX_CLASSES];
	size_t i, unknown = 0;
	unsigned c;
	int r;

	if (eg_forest_n_features(f) != d->n_features)
		return -EINVAL;
	names = malloc(eg_forest_n_classes(f) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (c = 0; c < eg_forest_n_classes(f); c++)
		names[c] = eg_forest_class_name(f, c);
	r = eg_report_new(eg_forest_n_classes(f), names, &rep);
	free(names);
	if (r < 0)
		return r;
	for (c = 0; c < d->n_classes; c++)
		map[c] = eg_forest_class_index(f, d->class_names[c]);
	if (!rows)
		n = d->n_rows;
	for (i = 0; i < n; i++) {
		uint32_t row = rows ? rows[i] : (uint32_t)i;
		unsigned p = eg_forest_predict(f, d->x + (size_t)row *
					       d->n_features, proba);

		if (map[d->y[row]] < 0) {
			unknown++;
			continue;
		}
		eg_report_add(rep, (unsigned)map[d->y[row]], p);
	}
	eg_report_finish(rep);
	*ret = rep;
	if (ret_unknown)
		*ret_unknown = unknown;
	return 0;
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		cli_error("%s: %s", path, strerror(errno));
	return f;
}

int fc_write_report_dir(const char *dir, const struct eg_report *r,
			const struct eg_forest *f, const char *meta_json,
			const char *title)
{
	unsigned nf = eg_forest_n_features(f), i;
	const char **names = malloc(nf * sizeof(*names));
	double *imp = malloc(nf * sizeof(*imp));
	FILE *out;
	int rc = 0;

	if (!names || !imp) {
		rc = -ENOMEM;
		goto done;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		cli_error("%s: %s", dir, strerror(errno));
		goto done;
	}
	for (i = 0; i < nf; i++)
		names[i] = eg_forest_feature_name(f, i);
	eg_forest_importances(f, imp);
	if ((out = open_in(dir, "report.json"))) {
		eg_report_write_json(r, imp, names, nf, meta_json, out);
		if (fclose(out))
			rc = -EIO;
	} else {
		rc = -EIO;
	}
	if ((out = open_in(dir, "report.svg"))) {
		eg_report_write_svg(r, imp, names, nf, title, out);
		if (fclose(out))
			rc = -EIO;
	} else {
		rc = -EIO;
	}
	if ((out = open_in(dir, "report.txt"))) {
		eg_report_print(r, out);
		eg_report_print_importances(imp, names, nf, out);
		if (fclose(out))
			rc = -EIO;
	} else {
		rc = -EIO;
	}
done:
	free(names);
	free(imp);
	return rc;
}
