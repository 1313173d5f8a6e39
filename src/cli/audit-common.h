/* SPDX-License-Identifier: MIT */
/*
 * audit-common.h: what the parts of `echoguard audit` share (src/cli/
 * audit.c parses options, audit-traces.c and audit-windows.c build the
 * datasets, audit-report.c evaluates, prints and writes --report).
 */
#ifndef ECHOGUARD_CLI_AUDIT_COMMON_H
#define ECHOGUARD_CLI_AUDIT_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include "echoguard/audit/audit.h"
#include "echoguard/offline/label.h"
#include "echoguard/data/dataset.h"

#define AUDIT_MAX_DEF 8
#define AUDIT_MAX_WIN 16
#define AUDIT_MAX_LABELS 256

struct audit_win { bool seconds; double size; };

struct audit_cfg {
	const char *labels, *interactions, *mic, *device, *report;
	const char *dump;         /* traces: write the features, no evaluation */
	bool via_command;         /* traces: train on commands, score --labels */
	unsigned dir_level;       /* traces: --labels dir:N (0: not) */
	bool has_servers;         /* --servers given */
	struct eg_audit_servers servers;
	struct eg_audit_fopts fo;
	struct eg_audit_eval_opts eo;
	struct eg_audit_defend def[AUDIT_MAX_DEF];
	const char *def_name[AUDIT_MAX_DEF];
	unsigned n_def;
	struct audit_win win[AUDIT_MAX_WIN];
	unsigned n_win;
	bool use[_EG_CLF_MAX];
	const char *const *inputs;
	unsigned n_inputs;
};

void audit_cfg_init(struct audit_cfg *c);
int audit_traces(const struct audit_cfg *c);
int audit_windows(const struct audit_cfg *c);

/* One interactions.csv row. */

/* Interned class names (sorted by audit_labels_sort). */
struct audit_labels {
	char *name[AUDIT_MAX_LABELS];
	unsigned n;
};
/* Index of name, added when new; -E2BIG past AUDIT_MAX_LABELS. */
int audit_labels_get(struct audit_labels *l, const char *name);
void audit_labels_done(struct audit_labels *l);

/* The report: audit.json in dir (NULL: none) and the printed table. */
struct audit_report {
	FILE *json;
	const char *dir;
	bool first;
};
int audit_report_open(struct audit_report *r, const char *dir,
		      const char *mode, const struct audit_cfg *c);
/* Evaluate every chosen classifier on d under the name `setting` (e.g.
 * "none" or "packets=50"), print one table row each, add them to the JSON,
 * write a confusion SVG. extra is a JSON fragment ("\"k\": v, ...") or "".
 * Returns 0, or 1 when an evaluation failed (the others still ran). */
int audit_report_run(struct audit_report *r, const struct audit_cfg *c,
		     const struct eg_dataset *d, const char *setting,
		     const char *extra);
/* Same, scoring in coarse classes: map[fine] < n_names (audit.h). */
int audit_report_run_mapped(struct audit_report *r,
			    const struct audit_cfg *c,
			    const struct eg_dataset *d, const char *setting,
			    const char *extra, const uint16_t *map,
			    const char *const *names, unsigned n_names);
int audit_report_close(struct audit_report *r);
void audit_json_string(FILE *f, const char *s);

#endif
