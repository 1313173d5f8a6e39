/* SPDX-License-Identifier: MIT */
/*
 * label.c: offline labelling (label.h): interaction windows, contexts and
 * the two-pass keep-alive periodicity analysis. Covered by
 * tests/unit/test-label.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/engine/engine.h"
#include "echoguard/offline/label.h"
#include "echoguard/offline/voice.h"

#define KA_MAX_SKIP 2      /* other group members allowed between two links */
#define KA_TOL_FRAC 0.02
#define KA_TOL_MIN 0.25
#define KA_QUIET_NS 500000000ull /* no other app data of the flow within */

struct eg_interactions {
	size_t n;
	char **names;               /* basenames, sorted with windows */
	struct eg_window *windows;
};

static const char *const ctx_names[] = {
	[EG_CTX_ACTIVE] = "active", [EG_CTX_IDLE] = "idle",
	[EG_CTX_MUTED] = "muted", [EG_CTX_WINDOWS] = "interactions",
	[EG_CTX_VOICE] = "voice",
};

/* "active", "idle", "muted", "voice" -> enum; -EINVAL otherwise. */
int eg_context_parse(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	for (i = EG_CTX_ACTIVE; i <= EG_CTX_VOICE; i++)
		if (i != EG_CTX_WINDOWS && !strcmp(s, ctx_names[i]))
			return i;
	return -EINVAL;
}

const char *eg_context_name(enum eg_context c)
{
	if ((unsigned)c > EG_CTX_VOICE)
		return "?";
	return ctx_names[c];
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * Split one CSV line in place into at most max fields (RFC 4180 quotes
 * allowed). Returns the field count, or -1 on an unterminated quote.
 */
static int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *r = line, *w;

	while (n < max) {
		fields[n++] = w = r;
		if (*r == '"') {
			r++;
			for (;;) {
				if (!*r)
					return -1;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
		}
		while (*r && *r != ',')
			*w++ = *r++;
		if (!*r) {
			*w = '\0';
			return n;
		}
		*w = '\0';
		r++;
	}
	return n;
}

static int parse_double(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int add_row(struct eg_interactions *in, size_t *cap, const char *name,
		   double start, double end, const char *trace)
{
	if (in->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char **nn = realloc(in->names, ncap * sizeof(*nn));
		struct eg_window *nw;

		if (!nn)
			return -ENOMEM;
		in->names = nn;
		nw = realloc(in->windows, ncap * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		in->windows = nw;
		*cap = ncap;
	}
	in->windows[in->n].trace = NULL;
	if (trace && *trace) {
		in->windows[in->n].trace = strdup(trace);
		if (!in->windows[in->n].trace)
			return -ENOMEM;
	}
	in->names[in->n] = strdup(base_name(name));
	if (!in->names[in->n]) {
		free((char *)in->windows[in->n].trace);
		return -ENOMEM;
	}
	in->windows[in->n].start = start;
	in->windows[in->n].end = end;
	in->n++;
	return 0;
}

/* Sort rows by (name, start): insertion sort, the files are small. */
static void sort_rows(struct eg_interactions *in)
{
	size_t i, j;

	for (i = 1; i < in->n; i++) {
		char *name = in->names[i];
		struct eg_window w = in->windows[i];

		for (j = i; j > 0; j--) {
			int c = strcmp(in->names[j - 1], name);

			if (c < 0 || (c == 0 && in->windows[j - 1].start <= w.start))
				break;
			in->names[j] = in->names[j - 1];
			in->windows[j] = in->windows[j - 1];
		}
		in->names[j] = name;
		in->windows[j] = w;
	}
}

/* Parse one data line; on error write "reason" into err. */
static int parse_line(struct eg_interactions *in, size_t *cap, char *line,
		      char *err, size_t errlen)
{
	char *f[8];
	double start, end;
	int nf = csv_split(line, f, 8);

	if (nf < 0) {
		snprintf(err, errlen, "unterminated quote");
		return -EBADMSG;
	}
	if (nf < 3) {
		snprintf(err, errlen, "expected pcap,start,end,... but got %d field%s",
			 nf, nf == 1 ? "" : "s");
		return -EBADMSG;
	}
	if (!*f[0]) {
		snprintf(err, errlen, "empty pcap name");
		return -EBADMSG;
	}
	if (parse_double(f[1], &start) < 0) {
		snprintf(err, errlen, "start \"%.40s\" is not a number", f[1]);
		return -EBADMSG;
	}
	if (parse_double(f[2], &end) < 0) {
		snprintf(err, errlen, "end \"%.40s\" is not a number", f[2]);
		return -EBADMSG;
	}
	if (end < start) {
		snprintf(err, errlen, "end %.6f is before start %.6f", end, start);
		return -EBADMSG;
	}
	if (add_row(in, cap, f[0], start, end, nf > 3 ? f[3] : NULL) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Load an interactions file; see label.h. */
int eg_interactions_load(const char *path, struct eg_interactions **ret,
			 char *err, size_t errlen)
{
	struct eg_interactions *in;
	char *line = NULL, why[160];
	size_t linecap = 0, cap = 0, lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while ((len = getline(&line, &linecap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (lineno == 1) {
			if (strncmp(line, "pcap,start,end", 14) != 0) {
				snprintf(err, errlen,
					 "%s:1: header must start with pcap,start,end",
					 path);
				r = -EBADMSG;
				break;
			}
			continue;
		}
		if (len == 0 || line[0] == '#')
			continue;
		r = parse_line(in, &cap, line, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
			break;
		}
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	if (r == 0 && lineno == 0) {
		r = -EBADMSG;
		snprintf(err, errlen, "%s:1: empty file (no header)", path);
	}
	free(line);
	fclose(f);
	if (r < 0) {
		eg_interactions_free(in);
		return r;
	}
	sort_rows(in);
	*ret = in;
	return 0;
}

/* Accepts NULL; returns NULL. */
struct eg_interactions *eg_interactions_free(struct eg_interactions *in)
{
	size_t i;

	if (!in)
		return NULL;
	for (i = 0; i < in->n; i++) {
		free(in->names[i]);
		free((char *)in->windows[i].trace);
	}
	free(in->names);
	free(in->windows);
	free(in);
	return NULL;
}

size_t eg_interactions_count(const struct eg_interactions *in)
{
	return in ? in->n : 0;
}

/* The sorted windows of one capture basename; see label.h. */
size_t eg_interactions_find(const struct eg_interactions *in,
			    const char *basename, const struct eg_window **ret)
{
	size_t i, j;
	const char *b = base_name(basename);

	*ret = NULL;
	if (!in)
		return 0;
	for (i = 0; i < in->n && strcmp(in->names[i], b) != 0; i++)
		;
	for (j = i; j < in->n && !strcmp(in->names[j], b); j++)
		;
	if (j > i)
		*ret = &in->windows[i];
	return j - i;
}

void eg_label_params_default(struct eg_label_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ctx = EG_CTX_IDLE;
	p->ka_min_period = 5.0;
	p->ka_min_members = 3;
}

/* Order candidate indices by (flow, size, time, index). */
static int cmp_cand(const void *a, const void *b, void *base)
{
	const struct eg_label_row *rows = base;
	const struct eg_label_row *x = &rows[*(const size_t *)a];
	const struct eg_label_row *y = &rows[*(const size_t *)b];

	if (x->flow_id != y->flow_id)
		return x->flow_id < y->flow_id ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double t_of(const struct eg_label_row *rows, const size_t *idx, size_t i)
{
	return (double)rows[idx[i]].ts_ns / 1e9;
}

/*
 * Is row i quiet: no other app data of its flow within KA_QUIET_NS? Rows
 * are in capture order, so the scan stops at the first row farther away.
 */
static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static bool is_quiet(const struct eg_label_row *rows, size_t n, size_t i)
{
	const struct eg_label_row *r = &rows[i];
	size_t j;

	for (j = i; j-- > 0 && absdiff(r->ts_ns, rows[j].ts_ns) <= KA_QUIET_NS;)
		if (rows[j].flow_id == r->flow_id &&
		    rows[j].proto_class == EG_CLASS_EXPECTED)
			return false;
	for (j = i + 1; j < n && absdiff(rows[j].ts_ns, r->ts_ns) <= KA_QUIET_NS; j++)
		if (rows[j].flow_id == r->flow_id &&
		    rows[j].proto_class == EG_CLASS_EXPECTED)
			return false;
	return true;
}

/*
 * Chains of one (flow, size) group idx[0..n): mark series members syn.
 * gaps is scratch space for n doubles; chain for n indices; quiet[k] says
 * whether idx[k] is quiet. Returns the number of rows marked.
 */
static size_t group_series(const struct eg_label_params *p,
			   struct eg_label_row *rows, const size_t *idx,
			   size_t n, double *gaps, size_t *chain, bool *used,
			   const bool *quiet)
{
	size_t i, ng = 0, marked = 0, s, nq;
	double period, tol;

	for (i = 0; i + 1 < n; i++) {
		double g = t_of(rows, idx, i + 1) - t_of(rows, idx, i);

		if (g >= p->ka_min_period)
			gaps[ng++] = g;
	}
	if (ng + 1 < p->ka_min_members || ng == 0)
		return 0;
	qsort(gaps, ng, sizeof(*gaps), cmp_double);
	period = ng % 2 ? gaps[ng / 2] : (gaps[ng / 2 - 1] + gaps[ng / 2]) / 2;
	tol = period * KA_TOL_FRAC > KA_TOL_MIN ? period * KA_TOL_FRAC : KA_TOL_MIN;
	memset(used, 0, n * sizeof(*used));
	for (s = 0; s < n; s++) {
		size_t len = 0, cur = s;

		if (used[s])
			continue;
		chain[len++] = s;
		for (;;) {
			size_t j, best = n;
			double best_err = 4 * tol + 1;

			for (j = cur + 1; j < n && j <= cur + 1 + KA_MAX_SKIP; j++) {
				double g = t_of(rows, idx, j) - t_of(rows, idx, cur);
				double k = g < 1.5 * period ? 1 : 2;
				double e = fabs(g - k * period);

				/* A skipped (lost) member only when no direct
				 * successor fits: rank by k, then error. */
				if (!used[j] && e <= tol * k &&
				    e + (k - 1) * 2 * tol < best_err) {
					best = j;
					best_err = e + (k - 1) * 2 * tol;
				}
			}
			if (best == n)
				break;
			chain[len++] = best;
			cur = best;
		}
		/* Requests repeated at a steady pace make periodic same-size
		 * records too, but inside bursts; keep-alives are mostly alone:
		 * at least a third of a series must be quiet. */
		for (i = 0, nq = 0; i < len; i++)
			nq += quiet[chain[i]];
		if (len < p->ka_min_members || 3 * nq < len)
			continue;
		for (i = 0; i < len; i++) {
			used[chain[i]] = true;
			rows[idx[chain[i]]].label = EG_CLASS_SYN;
		}
		marked += len;
	}
	return marked;
}

/* App data by context (windows: the interactions', or the voice runs'). */
static uint8_t context_class(const struct eg_label_params *p,
			     const struct eg_window *w, size_t nw,
			     const struct eg_label_row *row)
{
	double t = (double)row->ts_ns / 1e9;
	size_t i;

	if (row->muted)
		return EG_CLASS_NOT_JUSTIFIED;
	switch (p->ctx) {
	case EG_CTX_ACTIVE:
		return EG_CLASS_EXPECTED;
	case EG_CTX_MUTED:
		return EG_CLASS_NOT_JUSTIFIED;
	case EG_CTX_WINDOWS:
	case EG_CTX_VOICE:
		for (i = 0; i < nw; i++)
			if (t >= w[i].start - p->margin &&
			    t <= w[i].end + p->margin)
				return EG_CLASS_EXPECTED;
		return EG_CLASS_JUSTIFIED;
	case EG_CTX_IDLE:
	default:
		return EG_CLASS_JUSTIFIED;
	}
}

/* Pass two: every app-data row its context class. */
static int label_app_data(const struct eg_label_params *p,
			  struct eg_label_row *rows, size_t n)
{
	const struct eg_window *w = p->windows;
	struct eg_window *vw = NULL;
	size_t nw = p->n_windows, i;

	if (p->ctx == EG_CTX_VOICE) {
		struct eg_voice_params vp;
		int r;

		eg_voice_params_default(&vp);
		r = eg_voice_windows(p->voice ? p->voice : &vp, rows, n, &vw,
				     &nw);
		if (r < 0)
			return r;
		w = vw;
	}
	for (i = 0; i < n; i++)
		if (rows[i].label == EG_CLASS_EXPECTED)
			rows[i].label = context_class(p, w, nw, &rows[i]);
	free(vw);
	return 0;
}

/* Label a capture's rows; see label.h. */
int eg_label_apply(const struct eg_label_params *p, struct eg_label_row *rows,
		   size_t n)
{
	size_t i, nc = 0, a, b, marked = 0;
	size_t *idx = NULL, *chain = NULL;
	double *gaps = NULL;
	bool *used = NULL, *quiet = NULL;
	int r = 0;

	if (!p || (n && !rows) || (unsigned)p->ctx > EG_CTX_VOICE ||
	    (p->n_windows && !p->windows) || p->margin < 0 ||
	    p->ka_min_members < 2)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		rows[i].label = rows[i].proto_class < EG_CLASS_COUNT ?
			rows[i].proto_class : EG_CLASS_NOT_RELEVANT;
		if (rows[i].proto_class == EG_CLASS_EXPECTED && rows[i].ka_candidate)
			nc++;
	}
	if (nc >= p->ka_min_members && nc > 0) {
		idx = malloc(nc * sizeof(*idx));
		chain = malloc(nc * sizeof(*chain));
		gaps = malloc(nc * sizeof(*gaps));
		used = malloc(nc * sizeof(*used));
		quiet = malloc(nc * sizeof(*quiet));
		if (!idx || !chain || !gaps || !used || !quiet) {
			r = -ENOMEM;
			goto out;
		}
		nc = 0;
		for (i = 0; i < n; i++)
			if (rows[i].proto_class == EG_CLASS_EXPECTED &&
			    rows[i].ka_candidate)
				idx[nc++] = i;
		qsort_r(idx, nc, sizeof(*idx), cmp_cand, rows);
		for (a = 0; a < nc; a++)
			quiet[a] = is_quiet(rows, n, idx[a]);
		for (a = 0; a < nc; a = b) {
			const struct eg_label_row *ra = &rows[idx[a]];

			for (b = a + 1; b < nc && rows[idx[b]].flow_id == ra->flow_id &&
			     rows[idx[b]].size == ra->size; b++)
				;
			if (b - a >= p->ka_min_members)
				marked += group_series(p, rows, idx + a, b - a,
						       gaps, chain, used,
						       quiet + a);
		}
	}
	r = label_app_data(p, rows, n);
	if (r == 0)
		r = (int)marked;
out:
	free(idx);
	free(chain);
	free(gaps);
	free(used);
	free(quiet);
	return r;
}
