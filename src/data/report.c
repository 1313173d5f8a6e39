/* SPDX-License-Identifier: MIT */
/*
 * report.c: classification report, confusion matrix, JSON and SVG.
 *
 * The text layout is sklearn's classification_report (digits=2) so numbers
 * can be compared with the reference paper's side by side. Metrics with a
 * zero denominator are 0 (sklearn's zero_division=0).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/data/report.h"

int eg_report_new(unsigned n_classes, const char *const *class_names,
		  struct eg_report **ret)
{
	struct eg_report *r;
	unsigned i;

	if (n_classes == 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->n_classes = n_classes;
	r->class_names = calloc(n_classes, sizeof(char *));
	r->confusion = calloc((size_t)n_classes * n_classes, sizeof(uint64_t));
	r->precision = calloc(n_classes, sizeof(double));
	r->recall = calloc(n_classes, sizeof(double));
	r->f1 = calloc(n_classes, sizeof(double));
	r->support = calloc(n_classes, sizeof(uint64_t));
	if (!r->class_names || !r->confusion || !r->precision || !r->recall ||
	    !r->f1 || !r->support) {
		eg_report_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < n_classes; i++) {
		r->class_names[i] = strdup(class_names[i]);
		if (!r->class_names[i]) {
			eg_report_free(r);
			return -ENOMEM;
		}
	}
	*ret = r;
	return 0;
}

struct eg_report *eg_report_free(struct eg_report *r)
{
	unsigned i;

	if (!r)
		return NULL;
	for (i = 0; r->class_names && i < r->n_classes; i++)
		free(r->class_names[i]);
	free(r->class_names);
	free(r->confusion);
	free(r->precision);
	free(r->recall);
	free(r->f1);
	free(r->support);
	free(r);
	return NULL;
}

void eg_report_add(struct eg_report *r, unsigned truth, unsigned predicted)
{
	if (truth >= r->n_classes || predicted >= r->n_classes)
		return;
	r->confusion[(size_t)truth * r->n_classes + predicted]++;
	r->n++;
}

int eg_report_merge(struct eg_report *r, const struct eg_report *o)
{
	size_t i;

	if (o->n_classes != r->n_classes)
		return -EINVAL;
	for (i = 0; i < (size_t)r->n_classes * r->n_classes; i++)
		r->confusion[i] += o->confusion[i];
	r->n += o->n;
	return 0;
}

static uint64_t predicted_count(const struct eg_report *r, unsigned c)
{
	uint64_t s = 0;
	unsigned t;

	for (t = 0; t < r->n_classes; t++)
		s += r->confusion[(size_t)t * r->n_classes + c];
	return s;
}

/* sklearn reports the labels present in y_true or y_pred. */
static int shown(const struct eg_report *r, unsigned c)
{
	return r->support[c] || predicted_count(r, c);
}

void eg_report_finish(struct eg_report *r)
{
	unsigned c, n = r->n_classes, shown_n = 0;
	uint64_t correct = 0;

	r->macro_p = r->macro_r = r->macro_f1 = 0;
	r->weighted_p = r->weighted_r = r->weighted_f1 = 0;
	for (c = 0; c < n; c++) {
		uint64_t tp = r->confusion[(size_t)c * n + c], s = 0, pc;
		unsigned k;

		for (k = 0; k < n; k++)
			s += r->confusion[(size_t)c * n + k];
		pc = predicted_count(r, c);
		r->support[c] = s;
		correct += tp;
		r->precision[c] = pc ? (double)tp / pc : 0;
		r->recall[c] = s ? (double)tp / s : 0;
		r->f1[c] = r->precision[c] + r->recall[c] > 0 ?
			2 * r->precision[c] * r->recall[c] /
			(r->precision[c] + r->recall[c]) : 0;
	}
	for (c = 0; c < n; c++) {
		if (!shown(r, c))
			continue;
		shown_n++;
		r->macro_p += r->precision[c];
		r->macro_r += r->recall[c];
		r->macro_f1 += r->f1[c];
		if (r->n) {
			double w = (double)r->support[c] / r->n;

			r->weighted_p += w * r->precision[c];
			r->weighted_r += w * r->recall[c];
			r->weighted_f1 += w * r->f1[c];
		}
	}
	if (shown_n) {
		r->macro_p /= shown_n;
		r->macro_r /= shown_n;
		r->macro_f1 /= shown_n;
	}
	r->accuracy = r->n ? (double)correct / r->n : 0;
}

void eg_report_print(const struct eg_report *r, FILE *out)
{
	int width = 12, c, k, n = (int)r->n_classes, cw = 6;

	for (c = 0; c < n; c++)
		if ((int)strlen(r->class_names[c]) > width)
			width = (int)strlen(r->class_names[c]);
	fprintf(out, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision",
		"recall", "f1-score", "support");
	for (c = 0; c < n; c++)
		if (shown(r, (unsigned)c))
			fprintf(out, "%*s  %9.2f %9.2f %9.2f %9llu\n", width,
				r->class_names[c], r->precision[c],
				r->recall[c], r->f1[c],
				(unsigned long long)r->support[c]);
	fprintf(out, "\n%*s  %9s %9s %9.2f %9llu\n", width, "accuracy", "", "",
		r->accuracy, (unsigned long long)r->n);
	fprintf(out, "%*s  %9.2f %9.2f %9.2f %9llu\n", width, "macro avg",
		r->macro_p, r->macro_r, r->macro_f1, (unsigned long long)r->n);
	fprintf(out, "%*s  %9.2f %9.2f %9.2f %9llu\n", width, "weighted avg",
		r->weighted_p, r->weighted_r, r->weighted_f1,
		(unsigned long long)r->n);

	for (c = 0; c < n; c++) {
		char buf[32];
		int l = snprintf(buf, sizeof(buf), "%llu",
				 (unsigned long long)r->support[c]);

		if (l + 1 > cw)
			cw = l + 1;
	}
	fprintf(out, "\nconfusion matrix (rows: true class, columns: "
		"predicted, in class order)\n%*s ", width, "");
	for (k = 0; k < n; k++)
		fprintf(out, " %*d", cw, k);
	fputc('\n', out);
	for (c = 0; c < n; c++) {
		fprintf(out, "%*s ", width, r->class_names[c]);
		for (k = 0; k < n; k++)
			fprintf(out, " %*llu", cw, (unsigned long long)
				r->confusion[(size_t)c * n + k]);
		fprintf(out, "   %d\n", c);
	}
}

static int cmp_imp_desc(const void *a, const void *b, void *ctx)
{
	const double *imp = ctx;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	if (imp[x] != imp[y])
		return imp[x] < imp[y] ? 1 : -1;
	return x < y ? -1 : 1;
}

static unsigned *order_by_importance(const double *imp, unsigned n)
{
	unsigned *o = malloc((n ? n : 1) * sizeof(*o)), i;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = i;
	qsort_r(o, n, sizeof(*o), cmp_imp_desc, (void *)imp);
	return o;
}

void eg_report_print_importances(const double *imp, const char *const *names,
				 unsigned n, FILE *out)
{
	unsigned *o = order_by_importance(imp, n), i;

	if (!o)
		return;
	fprintf(out, "\nfeature importances (mean decrease in impurity)\n");
	for (i = 0; i < n; i++)
		fprintf(out, "  %-16s %.4f\n", names[o[i]], imp[o[i]]);
	free(o);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void eg_report_write_json(const struct eg_report *r, const double *imp,
			  const char *const *names, unsigned n_features,
			  const char *extra, FILE *out)
{
	unsigned c, k, n = r->n_classes;

	fprintf(out, "{\n  \"classes\": [");
	for (c = 0; c < n; c++) {
		fputs(c ? ", " : "", out);
		json_str(out, r->class_names[c]);
	}
	fprintf(out, "],\n  \"per_class\": {\n");
	for (c = 0; c < n; c++) {
		fputs("    ", out);
		json_str(out, r->class_names[c]);
		fprintf(out, ": {\"precision\": %.6f, \"recall\": %.6f, "
			"\"f1-score\": %.6f, \"support\": %llu}%s\n",
			r->precision[c], r->recall[c], r->f1[c],
			(unsigned long long)r->support[c], c + 1 < n ? "," : "");
	}
	fprintf(out, "  },\n  \"accuracy\": %.6f,\n  \"rows\": %llu,\n",
		r->accuracy, (unsigned long long)r->n);
	fprintf(out, "  \"macro avg\": {\"precision\": %.6f, \"recall\": %.6f, "
		"\"f1-score\": %.6f},\n", r->macro_p, r->macro_r, r->macro_f1);
	fprintf(out, "  \"weighted avg\": {\"precision\": %.6f, \"recall\": "
		"%.6f, \"f1-score\": %.6f},\n", r->weighted_p, r->weighted_r,
		r->weighted_f1);
	fprintf(out, "  \"confusion\": [");
	for (c = 0; c < n; c++) {
		fprintf(out, "%s\n    [", c ? "," : "");
		for (k = 0; k < n; k++)
			fprintf(out, "%s%llu", k ? ", " : "", (unsigned long long)
				r->confusion[(size_t)c * n + k]);
		fputc(']', out);
	}
	fprintf(out, "\n  ]");
	if (imp) {
		fprintf(out, ",\n  \"importances\": {");
		for (k = 0; k < n_features; k++) {
			fputs(k ? ", " : "", out);
			json_str(out, names[k]);
			fprintf(out, ": %.6f", imp[k]);
		}
		fputc('}', out);
	}
	if (extra && *extra)
		fprintf(out, ",\n  \"meta\": %s", extra);
	fprintf(out, "\n}\n");
}

static void xml_str(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

void eg_report_write_svg(const struct eg_report *r, const double *imp,
			 const char *const *names, unsigned n_features,
			 const char *title, FILE *out)
{
	unsigned n = r->n_classes, c, k, *o = NULL;
	int cell = 56, lab = 130, top = 70, w, h, bars_y, bw = 300;
	double maxi = 0;

	w = lab + (int)n * cell + 40;
	if (w < lab + bw + 180)
		w = lab + bw + 180;
	bars_y = top + (int)n * cell + 90;
	h = bars_y + (imp ? (int)n_features * 20 + 40 : 0);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		w, h);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">");
	xml_str(out, title ? title : "echoguard report");
	fprintf(out, "</text>\n<text x=\"10\" y=\"40\">accuracy %.4f on %llu "
		"rows; confusion matrix, rows = true class, cells = share of "
		"the row (count below)</text>\n", r->accuracy,
		(unsigned long long)r->n);
	for (c = 0; c < n; c++) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
			lab - 6, top + (int)c * cell + cell / 2 + 4);
		xml_str(out, r->class_names[c]);
		fprintf(out, "</text>\n<text transform=\"translate(%d,%d) "
			"rotate(-30)\">", lab + (int)c * cell + 8, top - 6);
		xml_str(out, r->class_names[c]);
		fputs("</text>\n", out);
		for (k = 0; k < n; k++) {
			uint64_t v = r->confusion[(size_t)c * n + k];
			double s = r->support[c] ? (double)v / r->support[c] : 0;
			int shade = 255 - (int)lround(s * 205);

			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"rgb(%d,%d,255)\" "
				"stroke=\"#ccc\"><title>%llu</title></rect>\n",
				lab + (int)k * cell, top + (int)c * cell, cell,
				cell, shade, shade, (unsigned long long)v);
			fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor="
				"\"middle\" fill=\"%s\">%.2f</text>"
				"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
				"font-size=\"9\" fill=\"%s\">%llu</text>\n",
				lab + (int)k * cell + cell / 2,
				top + (int)c * cell + cell / 2,
				s > 0.6 ? "white" : "black", s,
				lab + (int)k * cell + cell / 2,
				top + (int)c * cell + cell / 2 + 13,
				s > 0.6 ? "white" : "black",
				(unsigned long long)v);
		}
	}
	if (imp && (o = malloc((n_features ? n_features : 1) * sizeof(*o)))) {
		for (k = 0; k < n_features; k++) {
			o[k] = k;
			if (imp[k] > maxi)
				maxi = imp[k];
		}
		qsort_r(o, n_features, sizeof(*o), cmp_imp_desc, (void *)imp);
		fprintf(out, "<text x=\"10\" y=\"%d\" font-size=\"14\" "
			"font-weight=\"bold\">feature importances (mean "
			"decrease in impurity)</text>\n", bars_y - 14);
		for (k = 0; k < n_features; k++) {
			int y = bars_y + (int)k * 20;
			int len = maxi > 0 ? (int)lround(imp[o[k]] / maxi * bw) : 0;

			fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
				lab - 6, y + 12);
			xml_str(out, names[o[k]]);
			fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"14\" fill=\"#e07b39\"/><text x=\"%d\" "
				"y=\"%d\">%.4f</text>\n", lab, y, len,
				lab + len + 6, y + 12, imp[o[k]]);
		}
		free(o);
	}
	fputs("</svg>\n", out);
}
