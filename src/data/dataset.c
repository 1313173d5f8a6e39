/* SPDX-License-Identifier: MIT */
/*
 * dataset.c: feature CSVs into memory, in-memory datasets, splits, folds.
 *
 * The CSV reader is strict: a header line, then one record per line with
 * exactly as many fields; fields may be double-quoted ("" escapes a quote).
 * Feature values are read with strtof so a "%.9g" float round-trips bit for
 * bit. Errors name the file, the line and the column.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/dataset.h"
#include "echoguard/util/util.h"

#define MAX_FIELDS 8192

static const char *const non_features[] = { "date", "dstip", "synchronized",
					    "class", "source", NULL };

int eg_dataset_new(unsigned n_features, const char *const *feature_names,
		   unsigned n_classes, const char *const *class_names,
		   struct eg_dataset **ret)
{
	struct eg_dataset *d;

	if (n_features == 0 || n_features > EG_DATASET_MAX_FEATURES ||
	    n_classes == 0 || n_classes > EG_DATASET_MAX_CLASSES ||
	    !class_names)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->n_features = n_features;
	d->n_classes = n_classes;
	d->feature_names = eg_strv_copy(feature_names, n_features, "f");
	d->class_names = eg_strv_copy(class_names, n_classes, "c");
	snprintf(d->schema_name, sizeof(d->schema_name), "custom");
	if (!d->feature_names || !d->class_names) {
		eg_dataset_free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

struct eg_dataset *eg_dataset_free(struct eg_dataset *d)
{
	unsigned i;

	if (!d)
		return NULL;
	for (i = 0; d->feature_names && i < d->n_features; i++)
		free(d->feature_names[i]);
	for (i = 0; d->class_names && i < d->n_classes; i++)
		free(d->class_names[i]);
	for (i = 0; d->group_names && i < d->n_groups; i++)
		free(d->group_names[i]);
	free(d->feature_names);
	free(d->class_names);
	free(d->group_names);
	free(d->x);
	free(d->y);
	free(d->group);
	free(d);
	return NULL;
}

int eg_dataset_set_schema(struct eg_dataset *d, const char *name,
			  uint32_t version)
{
	if (!name || !*name || strlen(name) >= sizeof(d->schema_name))
		return -EINVAL;
	snprintf(d->schema_name, sizeof(d->schema_name), "%s", name);
	d->schema_version = version;
	return 0;
}

static int reserve(struct eg_dataset *d, int with_groups)
{
	uint32_t cap;
	float *x;
	uint16_t *y;
	uint32_t *g;

	if (d->n_rows < d->cap_rows)
		return 0;
	if (d->n_rows >= 0x7fffffff)
		return -E2BIG;
	cap = d->cap_rows ? d->cap_rows * 2 : 1024;
	x = realloc(d->x, (size_t)cap * d->n_features * sizeof(float));
	if (!x)
		return -ENOMEM;
	d->x = x;
	y = realloc(d->y, (size_t)cap * sizeof(uint16_t));
	if (!y)
		return -ENOMEM;
	d->y = y;
	if (with_groups) {
		g = realloc(d->group, (size_t)cap * sizeof(uint32_t));
		if (!g)
			return -ENOMEM;
		d->group = g;
	}
	d->cap_rows = cap;
	return 0;
}

static int group_index(struct eg_dataset *d, const char *name, uint32_t *ret)
{
	char **v;
	uint32_t i;

	/* Rows of one capture come together: check the last group first. */
	if (d->n_groups && !strcmp(d->group_names[d->n_groups - 1], name)) {
		*ret = d->n_groups - 1;
		return 0;
	}
	for (i = 0; i < d->n_groups; i++)
		if (!strcmp(d->group_names[i], name)) {
			*ret = i;
			return 0;
		}
	v = realloc(d->group_names, (d->n_groups + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->group_names = v;
	v[d->n_groups] = eg_strdup_max(name, EG_NAME_MAX);
	if (!v[d->n_groups])
		return -ENOMEM;
	*ret = d->n_groups++;
	return 0;
}

int eg_dataset_add(struct eg_dataset *d, const float *x, unsigned y,
		   const char *group)
{
	uint32_t i, g = 0;
	int r;

	if (y >= d->n_classes)
		return -EINVAL;
	if (d->n_rows && (group != NULL) != (d->group != NULL))
		return -EINVAL;
	for (i = 0; i < d->n_features; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	r = reserve(d, group != NULL);
	if (r < 0)
		return r;
	if (group) {
		r = group_index(d, group, &g);
		if (r < 0)
			return r;
		d->group[d->n_rows] = g;
	}
	memcpy(d->x + (size_t)d->n_rows * d->n_features, x,
	       d->n_features * sizeof(float));
	d->y[d->n_rows] = (uint16_t)y;
	d->n_rows++;
	return 0;
}

void eg_dataset_class_counts(const struct eg_dataset *d, const uint32_t *rows,
			     size_t n_rows, uint32_t *ret)
{
	size_t i;

	memset(ret, 0, d->n_classes * sizeof(*ret));
	if (!rows)
		n_rows = d->n_rows;
	for (i = 0; i < n_rows; i++)
		ret[d->y[rows ? rows[i] : i]]++;
}

/* --- CSV ---------------------------------------------------------------- */

/* Split one line in place; returns the field count or -1 past max. */
static int split_fields(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		if (n == max)
			return -1;
		if (*p == '"') {
			char *w = ++p;

			fields[n++] = w;
			while (*p) {
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			*w = 0;
			/* skip to the separator (garbage after a quote is
			 * tolerated as part of nothing) */
			while (*p && *p != ',')
				p++;
		} else {
			fields[n++] = p;
			while (*p && *p != ',')
				p++;
		}
		if (!*p)
			return n;
		*p++ = 0;
	}
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

struct colmap {
	int *feat;     /* CSV column of each feature */
	int label, group, n_cols;
};

static int find_col(char **hdr, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return i;
	return -1;
}

static int is_non_feature(const char *name, const char *label,
			  const char *group)
{
	int i;

	if (!strcmp(name, label) || (group && !strcmp(name, group)))
		return 1;
	for (i = 0; non_features[i]; i++)
		if (!strcmp(name, non_features[i]))
			return 1;
	return 0;
}

/* The feature names the spec asks for, given the first file's header. */
static int spec_features(const struct eg_dataset_spec *spec, char **hdr,
			 int n, const char *label, const char ***ret,
			 unsigned *ret_n)
{
	const char **v;
	unsigned k = 0;
	int i;

	if (spec->schema) {
		*ret = (const char **)spec->schema->names;
		*ret_n = spec->schema->n;
		return 0;
	}
	if (spec->features) {
		*ret = (const char **)spec->features;
		*ret_n = spec->n_features;
		return 0;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!is_non_feature(hdr[i], label, spec->group))
			v[k++] = hdr[i];
	*ret = v;
	*ret_n = k;
	return 1; /* caller frees v (not the strings) */
}

struct loader {
	const struct eg_dataset_spec *spec;
	struct eg_dataset *d;
	char **classes;      /* discovered class names (no fixed list) */
	unsigned n_classes;
	uint16_t *raw_y;     /* discovered: index into classes */
	size_t raw_cap;
	char *err;
	size_t errlen;
};

static int class_of(struct loader *L, const char *s, const char *file,
		    unsigned long line, const char *col, unsigned *ret)
{
	unsigned i;
	char **v;

	if (L->spec->classes) {
		for (i = 0; i < L->spec->n_classes; i++)
			if (!strcmp(L->spec->classes[i], s)) {
				*ret = i;
				return 0;
			}
		eg_err_set(L->err, L->errlen, "%s:%lu: column %s: unknown class "
			"\"%s\"", file, line, col, s);
		return -EINVAL;
	}
	for (i = 0; i < L->n_classes; i++)
		if (!strcmp(L->classes[i], s)) {
			*ret = i;
			return 0;
		}
	if (!*s || L->n_classes >= EG_DATASET_MAX_CLASSES) {
		eg_err_set(L->err, L->errlen, "%s:%lu: column %s: %s", file, line,
			col, *s ? "more than 256 classes" : "empty class");
		return -EINVAL;
	}
	v = realloc(L->classes, (L->n_classes + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	L->classes = v;
	v[L->n_classes] = eg_strdup_max(s, EG_NAME_MAX);
	if (!v[L->n_classes])
		return -ENOMEM;
	*ret = L->n_classes++;
	return 0;
}

/* One CSV being read: its header's columns mapped to the spec. */
struct csvfile {
	const char *path, *label;
	char **fld, **hdr;
	int *fcol, lcol, gcol, ncol;
	unsigned long lineno;
};

static int missing_col(struct loader *L, const struct csvfile *cf,
		       const char *col, const char *what)
{
	eg_err_set(L->err, L->errlen, "%s:1: column %s: missing from the "
		"header%s", cf->path, col, what);
	return -EINVAL;
}

/* Parses the header line (in place) and finds the feature, label and
 * group columns. */
static int map_header(struct loader *L, struct csvfile *cf, char *hline,
		      const char **fnames, unsigned nf)
{
	unsigned i;

	chomp(hline);
	cf->ncol = split_fields(hline, cf->hdr, MAX_FIELDS);
	if (cf->ncol < 0) {
		eg_err_set(L->err, L->errlen, "%s:1: more than %d columns",
			cf->path, MAX_FIELDS);
		return -EINVAL;
	}
	for (i = 0; i < nf; i++) {
		cf->fcol[i] = find_col(cf->hdr, cf->ncol, fnames[i]);
		if (cf->fcol[i] < 0)
			return missing_col(L, cf, fnames[i], "");
	}
	cf->lcol = find_col(cf->hdr, cf->ncol, cf->label);
	if (cf->lcol < 0)
		return missing_col(L, cf, cf->label, " (the label)");
	cf->gcol = -1;
	if (L->spec->group) {
		cf->gcol = find_col(cf->hdr, cf->ncol, L->spec->group);
		if (cf->gcol < 0)
			return missing_col(L, cf, L->spec->group,
					   " (the group)");
	}
	return 0;
}

/* Without a fixed class list the labels are remembered as discovered
 * (renumbered once every file is read). */
static int keep_raw_class(struct loader *L, unsigned y)
{
	if (L->d->n_rows > L->raw_cap) {
		uint16_t *ny = realloc(L->raw_y, L->d->cap_rows *
				       sizeof(uint16_t));

		if (!ny)
			return -ENOMEM;
		L->raw_y = ny;
		L->raw_cap = L->d->cap_rows;
	}
	L->raw_y[L->d->n_rows - 1] = (uint16_t)y;
	return 0;
}

/* One data line (in place): its features into row, then the dataset. */
static int load_line(struct loader *L, struct csvfile *cf, char *line,
		     const char **fnames, unsigned nf, float *row)
{
	int n = split_fields(line, cf->fld, MAX_FIELDS), r;
	unsigned i, y;

	if (n != cf->ncol) {
		eg_err_set(L->err, L->errlen, "%s:%lu: %d fields, the header "
			"has %d", cf->path, cf->lineno, n, cf->ncol);
		return -EINVAL;
	}
	for (i = 0; i < nf; i++) {
		const char *v = cf->fld[cf->fcol[i]];
		char *end;

		errno = 0;
		row[i] = strtof(v, &end);
		if (end == v || *end || !isfinite(row[i])) {
			eg_err_set(L->err, L->errlen, "%s:%lu: column %s: \"%s\" "
				"is not a finite number", cf->path, cf->lineno,
				fnames[i], v);
			return -EINVAL;
		}
	}
	r = class_of(L, cf->fld[cf->lcol], cf->path, cf->lineno, cf->label, &y);
	if (r < 0)
		return r;
	r = eg_dataset_add(L->d, row, L->spec->classes ? y : 0,
			   cf->gcol >= 0 ? cf->fld[cf->gcol] : NULL);
	if (r < 0) {
		eg_err_set(L->err, L->errlen, "%s:%lu: %s", cf->path,
			cf->lineno, strerror(-r));
		return r;
	}
	return L->spec->classes ? 0 : keep_raw_class(L, y);
}

static int load_file(struct loader *L, const char *path, const char **fnames,
		     unsigned nf, float *row)
{
	struct csvfile cf = { .path = path, .lineno = 1,
		.label = L->spec->label ? L->spec->label : "class" };
	char *line = NULL, *hline = NULL;
	size_t cap = 0;
	int r = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		r = -errno;
		eg_err_set(L->err, L->errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	cf.fld = malloc(MAX_FIELDS * sizeof(*cf.fld));
	cf.hdr = malloc(MAX_FIELDS * sizeof(*cf.hdr));
	cf.fcol = malloc(nf * sizeof(*cf.fcol));
	if (!cf.fld || !cf.hdr || !cf.fcol) {
		r = -ENOMEM;
	} else if (getline(&hline, &cap, f) < 0) {
		eg_err_set(L->err, L->errlen, "%s:1: empty file, no header", path);
		r = -EINVAL;
	} else {
		cap = 0;
		r = map_header(L, &cf, hline, fnames, nf);
	}
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		cf.lineno++;
		chomp(line);
		if (*line)
			r = load_line(L, &cf, line, fnames, nf, row);
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		eg_err_set(L->err, L->errlen, "%s:%lu: read error", path,
			cf.lineno);
	}
	if (r == -ENOMEM)
		eg_err_set(L->err, L->errlen, "%s:%lu: out of memory", path,
			cf.lineno);
	free(line);
	free(hline);
	free(cf.fld);
	free(cf.hdr);
	free(cf.fcol);
	fclose(f);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Discovered classes are sorted by name, as sklearn's classes_ are. */
static int finish_classes(struct loader *L)
{
	struct eg_dataset *d = L->d;
	unsigned i, j, map[EG_DATASET_MAX_CLASSES];
	char **sorted;

	sorted = malloc((L->n_classes ? L->n_classes : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, L->classes, L->n_classes * sizeof(*sorted));
	qsort(sorted, L->n_classes, sizeof(*sorted), cmp_str);
	for (i = 0; i < L->n_classes; i++)
		for (j = 0; j < L->n_classes; j++)
			if (L->classes[i] == sorted[j])
				map[i] = j;
	for (i = 0; i < d->n_rows; i++)
		d->y[i] = (uint16_t)map[L->raw_y[i]];
	for (i = 0; i < d->n_classes; i++)
		free(d->class_names[i]);
	free(d->class_names);
	d->class_names = sorted;
	d->n_classes = L->n_classes;
	free(L->classes);
	L->classes = NULL;
	L->n_classes = 0;
	return 0;
}

/* The first file's header line (kept in *hline, split into *hv: the
 * feature names may point into it), to resolve "every feature column". */
static int first_header(const char *path, char **hline, char ***hv,
			int *ret_ncol, char *err, size_t errlen)
{
	size_t cap = 0;
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		r = -errno;
		eg_err_set(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	r = getline(hline, &cap, f) < 0 ? -EINVAL : 0;
	fclose(f);
	if (r < 0) {
		eg_err_set(err, errlen, "%s:1: empty file, no header", path);
		return r;
	}
	chomp(*hline);
	*hv = malloc(MAX_FIELDS * sizeof(**hv));
	if (!*hv)
		return -ENOMEM;
	*ret_ncol = split_fields(*hline, *hv, MAX_FIELDS);
	return 0;
}

/* Every file into L->d (created here with the nf feature names). */
static int load_all(struct loader *L, const char *const *paths,
		    unsigned n_paths, const char **fnames, unsigned nf)
{
	static const char *const placeholder[] = { "?" };
	const struct eg_dataset_spec *spec = L->spec;
	float *row;
	unsigned i;
	int r;

	r = eg_dataset_new(nf, fnames, spec->classes ? spec->n_classes : 1,
			   spec->classes ? spec->classes : placeholder, &L->d);
	if (r < 0) {
		eg_err_set(L->err, L->errlen, "bad dataset specification");
		return r;
	}
	if (spec->schema)
		eg_dataset_set_schema(L->d, spec->schema->name,
				      spec->schema->version);
	row = malloc(nf * sizeof(float));
	if (!row)
		return -ENOMEM;
	for (i = 0; i < n_paths && r == 0; i++)
		r = load_file(L, paths[i], fnames, nf, row);
	free(row);
	if (r == 0 && !spec->classes)
		r = finish_classes(L);
	if (r == 0 && L->d->n_rows == 0) {
		eg_err_set(L->err, L->errlen, "%s: no data rows", paths[0]);
		r = -EINVAL;
	}
	return r;
}

int eg_dataset_load(const struct eg_dataset_spec *spec,
		    const char *const *paths, unsigned n_paths,
		    struct eg_dataset **ret, char *err, size_t errlen)
{
	struct loader L = { spec, NULL, NULL, 0, NULL, 0, err, errlen };
	const char **fnames = NULL;
	char *hline = NULL, **hv = NULL;
	unsigned nf = 0, i;
	int r, owned = 0, ncol = 0;

	if (n_paths == 0) {
		eg_err_set(err, errlen, "no input files");
		return -EINVAL;
	}
	r = first_header(paths[0], &hline, &hv, &ncol, err, errlen);
	if (r == 0)
		r = spec_features(spec, hv, ncol < 0 ? 0 : ncol,
				  spec->label ? spec->label : "class",
				  &fnames, &nf);
	if (r < 0)
		goto out;
	owned = r;
	if (nf == 0 || nf > EG_DATASET_MAX_FEATURES) {
		eg_err_set(err, errlen, "%s:1: %u feature columns (need 1 to %d)",
			paths[0], nf, EG_DATASET_MAX_FEATURES);
		r = -EINVAL;
		goto out;
	}
	r = load_all(&L, paths, n_paths, fnames, nf);
	if (r == 0) {
		*ret = L.d;
		L.d = NULL;
	}
out:
	if (r == -ENOMEM && err && !*err)
		eg_err_set(err, errlen, "out of memory");
	eg_dataset_free(L.d);
	for (i = 0; L.classes && i < L.n_classes; i++)
		free(L.classes[i]);
	free(L.classes);
	free(L.raw_y);
	if (owned)
		free(fnames);
	free(hv);
	free(hline);
	return r;
}
