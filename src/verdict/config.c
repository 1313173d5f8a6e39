/* SPDX-License-Identifier: MIT */
/*
 * config.c: the INI configuration (config.h).
 *
 * iniparser reads the values. Because it gives no line numbers, keeps only
 * the last of duplicate keys and accepts any section, the file is first
 * scanned here line by line: that scan finds the line of every key, syntax
 * errors, duplicates and unknown sections/keys. Then every known key is
 * parsed from iniparser's dictionary and checked against its range. All
 * errors are collected before returning (config-text.c formats them and
 * suggests the name a typo meant; config-values.c parses the values).
 */
#include <ctype.h>
#include <errno.h>
#include <iniparser.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-text.h"
#include "config-values.h"
#include "echoguard/verdict/config.h"

#define MAX_ENTRIES 512        /* keys in one file */
#define NAME_MAX_LEN EG_CONFIG_NAME_MAX

/* ---- the keys ---------------------------------------------------------- */

enum ktype { K_UINT, K_DOUBLE, K_SECONDS, K_BOOL, K_ENUM, K_PATH,
	     K_QUEUES, K_ADDRS, K_CLASSES, K_CIDRS, K_SNIS, K_LEVEL };

struct key_def {
	const char *sec, *key;
	enum ktype type;
	size_t off;                   /* into struct eg_config */
	double min, max;              /* K_UINT, K_DOUBLE, K_SECONDS */
	const char *const *names;     /* K_ENUM: value i is names[i] */
};

static const char *const fail_names[] = { "open", "closed", NULL };
static const char *const verdict_names[] = { "accept", "drop", NULL };
static const char *const feature_names[] = { "seed", "flow", "shape", NULL };
static const char *const mode_names[] = { "enforce", "monitor", NULL };
static const char *const on_drop_names[] = { "packet", "flow", NULL };
static const char *const source_names[] = { "sysfs", "gpiod", "file", "fixed",
					    NULL };
static const char *const mic_state_names[] = { "muted", "listening", NULL };
static const char *const level_names[] = { "emerg", "alert", "crit", "err",
					   "warning", "notice", "info", "debug",
					   NULL };

#define OFF(field) offsetof(struct eg_config, field)

static const struct key_def keys[] = {
	{ "daemon", "queues", K_QUEUES, OFF(daemon.queues), 0, 65535, NULL },
	{ "daemon", "queue_maxlen", K_UINT, OFF(daemon.queue_maxlen), 1, 1 << 20, NULL },
	{ "daemon", "fail", K_ENUM, OFF(daemon.fail), 0, 0, fail_names },
	{ "daemon", "fallback_verdict", K_ENUM, OFF(daemon.fallback_verdict), 0, 0,
	  verdict_names },
	{ "daemon", "batch_size", K_UINT, OFF(daemon.batch_size), 1, 1024, NULL },
	{ "daemon", "batch_timeout_ms", K_UINT, OFF(daemon.batch_timeout_ms), 0, 1000,
	  NULL },
	{ "daemon", "stats_interval", K_UINT, OFF(daemon.stats_interval), 0, 86400,
	  NULL },
	{ "daemon", "recv_timeout_ms", K_UINT, OFF(daemon.recv_timeout_ms), 1, 60000,
	  NULL },
	{ "daemon", "user", K_PATH, OFF(daemon.user), 0, 0, NULL },
	{ "device", "address", K_ADDRS, OFF(device), 0, 0, NULL },
	{ "model", "path", K_PATH, OFF(model.path), 0, 0, NULL },
	{ "model", "learned", K_PATH, OFF(model.learned), 0, 0, NULL },
	{ "model", "features", K_ENUM, OFF(model.features), 0, 0, feature_names },
	{ "flows", "capacity", K_UINT, OFF(flows.capacity), 16, 1 << 24, NULL },
	{ "flows", "max_probe", K_UINT, OFF(flows.max_probe), 1, 64, NULL },
	{ "flows", "idle_timeout", K_SECONDS, OFF(flows.idle_timeout_ns), 1, 86400,
	  NULL },
	{ "flows", "closed_timeout", K_SECONDS, OFF(flows.closed_timeout_ns), 0, 3600,
	  NULL },
	{ "policy", "mode", K_ENUM, OFF(policy.mode), 0, 0, mode_names },
	{ "policy", "drop_classes", K_CLASSES, OFF(policy.drop_classes), 0, 0, NULL },
	{ "policy", "min_confidence", K_DOUBLE, OFF(policy.min_confidence), 0, 1, NULL },
	{ "policy", "on_drop", K_ENUM, OFF(policy.on_drop), 0, 0, on_drop_names },
	{ "policy", "flow_mark", K_UINT, OFF(policy.flow_mark), 1, 4294967295.0, NULL },
	{ "policy", "allow_cidrs", K_CIDRS, OFF(policy), 0, 0, NULL },
	{ "policy", "allow_sni", K_SNIS, OFF(policy), 0, 0, NULL },
	{ "policy", "remember_drops", K_BOOL, OFF(policy.remember_drops), 0, 0, NULL },
	{ "policy", "muted_budget", K_UINT, OFF(policy.muted_budget), 0, 1 << 30,
	  NULL },
	{ "policy", "upload_gap", K_SECONDS, OFF(policy.upload_gap_ns), 0.01, 60, NULL },
	{ "policy", "upload_packets", K_UINT, OFF(policy.upload_packets), 0, 1000, NULL },
	{ "policy", "upload_evidence", K_DOUBLE, OFF(policy.upload_evidence), 0.1, 40, NULL },
	{ "policy", "upload_min_drop", K_UINT, OFF(policy.upload_min_drop), 1, 1000, NULL },
	{ "microphone", "source", K_ENUM, OFF(mic.source), 0, 0, source_names },
	{ "microphone", "path", K_PATH, OFF(mic.path), 0, 0, NULL },
	{ "microphone", "chip", K_PATH, OFF(mic.chip), 0, 0, NULL },
	{ "microphone", "line", K_UINT, OFF(mic.line), 0, 511, NULL },
	{ "microphone", "active_low", K_BOOL, OFF(mic.active_low), 0, 0, NULL },
	{ "microphone", "value", K_ENUM, OFF(mic.value), 0, 0, mic_state_names },
	{ "microphone", "on_error", K_ENUM, OFF(mic.on_error), 0, 0, mic_state_names },
	{ "microphone", "poll_interval_ms", K_UINT, OFF(mic.poll_interval_ms), 10,
	  60000, NULL },
	{ "log", "level", K_LEVEL, OFF(log.level), 0, 7, level_names },
	{ "log", "drop_event_rate", K_UINT, OFF(log.drop_event_rate), 0, 100000, NULL },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = { "daemon", "device", "model", "flows",
					"policy", "microphone", "log" };
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* ---- defaults ---------------------------------------------------------- */

void eg_config_default(struct eg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->daemon.queues[0] = 0;
	c->daemon.n_queues = 1;
	c->daemon.queue_maxlen = 4096;
	c->daemon.fail = EG_FAIL_OPEN;
	c->daemon.fallback_verdict = EG_VERDICT_ACCEPT;
	c->daemon.batch_size = 16;
	c->daemon.batch_timeout_ms = 2;
	c->daemon.stats_interval = 60;
	c->daemon.recv_timeout_ms = 200;
	snprintf(c->daemon.user, sizeof(c->daemon.user), "echoguard");
	snprintf(c->model.path, sizeof(c->model.path), "%s",
		 EG_CONFIG_DEFAULT_MODEL);
	snprintf(c->model.learned, sizeof(c->model.learned), "%s",
		 EG_CONFIG_DEFAULT_LEARNED);
	c->model.features = EG_FEATURES_SHAPE;
	eg_flow_params_default(&c->flows);
	c->policy.mode = EG_MODE_ENFORCE;
	c->policy.drop_classes = 1u << EG_CLASS_JUSTIFIED |
				 1u << EG_CLASS_NOT_JUSTIFIED;
	c->policy.min_confidence = 0.7; /* models/model-card.md: false blocks <= 1% from 0.6 on */
	c->policy.on_drop = EG_ON_DROP_FLOW; /* docs/config.md: back to work sooner */
	c->policy.flow_mark = 0x4547;
	c->policy.remember_drops = true;
	c->policy.muted_budget = EG_CONFIG_DEFAULT_MUTED_BUDGET;
	c->policy.upload_gap_ns = 1000000000ull;  /* docs/uploads.md */
	c->policy.upload_packets = 4;
	c->policy.upload_evidence = 3.0;
	c->policy.upload_min_drop = 2;
	c->mic.source = EG_MIC_FIXED;
	c->mic.value = 1;
	c->mic.on_error = 0;
	c->mic.line = 0;
	c->mic.poll_interval_ms = 200;
	c->log.level = 6;
	c->log.drop_event_rate = 10;
}

/* ---- one key ----------------------------------------------------------- */

static int set_uint(void *field, const struct key_def *k, const char *v,
		    char *why, size_t whylen)
{
	uint64_t u;
	int r = eg_config_parse_uint(v, k->min, k->max, &u);

	if (r == -EINVAL)
		snprintf(why, whylen, "\"%s\" is not a whole number", v);
	else if (r == -ERANGE)
		snprintf(why, whylen, "\"%s\" is not in [%.0f, %.0f]", v,
			 k->min, k->max);
	else
		*(uint32_t *)field = (uint32_t)u;
	return r;
}

/* K_DOUBLE, or K_SECONDS stored as nanoseconds. */
static int set_double(void *field, const struct key_def *k, const char *v,
		      char *why, size_t whylen)
{
	double d;
	int r = eg_config_parse_double(v, k->min, k->max, &d);

	if (r == -EINVAL)
		snprintf(why, whylen, "\"%s\" is not a number%s", v,
			 k->type == K_SECONDS ? " of seconds" : "");
	else if (r == -ERANGE)
		snprintf(why, whylen, "\"%s\" is not in [%g, %g]", v,
			 k->min, k->max);
	else if (k->type == K_DOUBLE)
		*(double *)field = d;
	else
		*(uint64_t *)field = (uint64_t)llround(d * 1e9);
	return r;
}

/* K_ENUM, or K_LEVEL (a name or 0..7); the microphone states also 0|1. */
static int set_enum(void *field, const struct key_def *k, const char *v,
		    char *why, size_t whylen)
{
	char names[128];
	uint64_t u;
	int r = eg_config_parse_enum(v, k->names);

	if (r < 0 && k->type == K_LEVEL &&
	    eg_config_parse_uint(v, 0, 7, &u) == 0)
		r = (int)u;
	if (r < 0 && k->names == mic_state_names &&
	    eg_config_parse_uint(v, 0, 1, &u) == 0)
		r = (int)u;
	if (r < 0) {
		eg_config_join_names(k->names, names, sizeof(names));
		snprintf(why, whylen, "\"%s\" is not one of %s%s", v,
			 names, k->type == K_LEVEL ? " or 0..7" :
			 k->names == mic_state_names ? " or 0|1" : "");
		return -EINVAL;
	}
	*(int *)field = r;
	return 0;
}

static int set_queues(struct eg_config *c, const char *v, char *why,
		      size_t whylen)
{
	int r = eg_config_parse_queues(v, c->daemon.queues,
				       EG_CONFIG_MAX_QUEUES,
				       &c->daemon.n_queues);

	if (r == -EEXIST)
		snprintf(why, whylen, "\"%s\" names a queue twice", v);
	else if (r == -E2BIG)
		snprintf(why, whylen, "\"%s\": more than %d queues", v,
			 EG_CONFIG_MAX_QUEUES);
	else if (r == -ERANGE)
		snprintf(why, whylen, "\"%s\": queue numbers are 0..65535"
			 " and ranges low-high", v);
	else if (r < 0)
		snprintf(why, whylen, "\"%s\" is not a queue list "
			 "(e.g. 0, 0-3, 0,2)", v);
	return r;
}

/* A list key: emptied, then each item added. */
static int set_list(struct eg_config *c, const struct key_def *k,
		    const char *v, char *why, size_t whylen)
{
	struct eg_config_list x = { .c = c };
	int (*add)(const char *, void *);
	int r;

	switch (k->type) {
	case K_ADDRS:
		c->device.n = 0;
		add = eg_config_add_address;
		break;
	case K_CLASSES:
		c->policy.drop_classes = 0;
		add = eg_config_add_class;
		break;
	case K_CIDRS:
		c->policy.n_allow_cidrs = 0;
		add = eg_config_add_cidr;
		break;
	default:
		c->policy.n_allow_sni = 0;
		add = eg_config_add_sni;
		break;
	}
	r = eg_config_for_each_item(v, add, &x);
	if (r == -ENAMETOOLONG)
		snprintf(x.why, sizeof(x.why), "an item is too long");
	if (r < 0)
		snprintf(why, whylen, "%s", x.why);
	return r;
}

/* Parse value v of key k into c; on error write the reason to why. */
static int set_key(struct eg_config *c, const struct key_def *k,
		   const char *v, char *why, size_t whylen)
{
	void *field = (char *)c + k->off;
	int r;

	switch (k->type) {
	case K_UINT:
		return set_uint(field, k, v, why, whylen);
	case K_DOUBLE:
	case K_SECONDS:
		return set_double(field, k, v, why, whylen);
	case K_BOOL:
		r = eg_config_parse_bool(v, field);
		if (r < 0)
			snprintf(why, whylen, "\"%s\" is not a boolean "
				 "(true|false|yes|no|on|off|1|0)", v);
		return r;
	case K_ENUM:
	case K_LEVEL:
		return set_enum(field, k, v, why, whylen);
	case K_PATH:
		if (strlen(v) >= EG_CONFIG_PATH_MAX) {
			snprintf(why, whylen, "longer than %d bytes",
				 EG_CONFIG_PATH_MAX - 1);
			return -ENAMETOOLONG;
		}
		snprintf(field, EG_CONFIG_PATH_MAX, "%s", v);
		return 0;
	case K_QUEUES:
		return set_queues(c, v, why, whylen);
	case K_ADDRS:
	case K_CLASSES:
	case K_CIDRS:
	case K_SNIS:
		return set_list(c, k, v, why, whylen);
	default:
		return -EINVAL;
	}
}

/* ---- the line scan ----------------------------------------------------- */

struct entry {
	char sec[NAME_MAX_LEN], key[NAME_MAX_LEN];
	unsigned line;
	const struct key_def *def;     /* NULL: unknown */
};

struct scan {
	struct entry *e;
	unsigned n;
};

static int section_index(const char *s)
{
	size_t i;

	for (i = 0; i < N_SECTIONS; i++)
		if (!strcmp(s, sections[i]))
			return (int)i;
	return -1;
}

static const struct key_def *find_key(const char *sec, const char *key)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].sec, sec) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

/* An unknown key: a typo of a key of this section, or a key of another. */
static void unknown_key(struct eg_config_errs *er, const struct entry *en)
{
	eg_config_unknown_key(er, en->line, en->sec, en->key, &keys[0].sec,
			      &keys[0].key, N_KEYS, sizeof(keys[0]));
}

/* A "[name]" line: remember the section, report it if unknown (once,
 * not for each of its keys). */
static void scan_section(char *p, unsigned lineno, char *sec, size_t seclen,
			 bool *ret_known, struct eg_config_errs *er)
{
	char *end = strchr(p, ']');
	const char *hint;

	if (!end) {
		eg_config_errs_add(er, lineno, NULL, NULL,
			 "syntax error: \"[\" without \"]\"");
		return;
	}
	*end = 0;
	snprintf(sec, seclen, "%s", p + 1);
	eg_config_lower_trim(sec);
	*ret_known = section_index(sec) >= 0;
	if (*ret_known)
		return;
	hint = eg_config_closest(sec, sections, N_SECTIONS, sizeof(sections[0]));
	if (hint)
		eg_config_errs_add(er, lineno, sec, NULL,
			 "unknown section (did you mean [%s]?)", hint);
	else
		eg_config_errs_add(er, lineno, sec, NULL, "unknown section (sections: "
			 "daemon, device, model, flows, policy, microphone, log)");
}

/* A "key = value" line of a known section (name: the text before '='):
 * record where the key is, or report it unknown or duplicate. */
static int scan_key(struct scan *sc, const char *sec, const char *name,
		    unsigned lineno, struct eg_config_errs *er)
{
	struct entry *en;
	unsigned i;

	if (sc->n >= MAX_ENTRIES) {
		eg_config_errs_add(er, lineno, NULL, NULL, "more than %d keys",
			 MAX_ENTRIES);
		return -EINVAL;
	}
	en = &sc->e[sc->n];
	snprintf(en->sec, sizeof(en->sec), "%s", sec);
	snprintf(en->key, sizeof(en->key), "%s", name);
	eg_config_lower_trim(en->key);
	en->line = lineno;
	if (!en->key[0]) {
		eg_config_errs_add(er, lineno, sec, NULL, "syntax error: empty key");
		return 0;
	}
	en->def = find_key(en->sec, en->key);
	if (!en->def) {
		unknown_key(er, en);
		return 0;
	}
	for (i = 0; i < sc->n; i++)
		if (sc->e[i].def == en->def) {
			eg_config_errs_add(er, lineno, sec, en->key,
				 "duplicate key (first set on line %u)",
				 sc->e[i].line);
			return 0;
		}
	sc->n++;
	return 0;
}

/*
 * Scan the file's lines like iniparser reads them (sections "[name]",
 * "key = value", comments starting with ';' or '#', '\' continues a line)
 * and record where each key is. Syntax errors, unknown sections and keys,
 * and duplicates go to er.
 */
static int scan_file(FILE *f, struct scan *sc, struct eg_config_errs *er)
{
	char line[4096], sec[NAME_MAX_LEN] = "";
	bool sec_known = false, cont = false;
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq;
		size_t n = strlen(line);

		lineno++;
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			eg_config_errs_add(er, lineno, NULL, NULL, "line too long");
			return -EINVAL;
		}
		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = 0;
		if (cont) {               /* continuation of the previous value */
			cont = n && line[n - 1] == '\\';
			continue;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == ';' || *p == '#')
			continue;
		if (*p == '[') {
			scan_section(p, lineno, sec, sizeof(sec), &sec_known, er);
			continue;
		}
		eq = strchr(p, '=');
		if (!eq) {
			eg_config_errs_add(er, lineno, NULL, NULL, "syntax error: expected "
				 "\"key = value\" or \"[section]\"");
			continue;
		}
		cont = n && line[n - 1] == '\\';
		*eq = 0;
		if (!sec[0]) {
			eg_config_lower_trim(p);
			eg_config_errs_add(er, lineno, NULL, NULL,
				 "key \"%s\" before any [section]", p);
		} else if (sec_known && scan_key(sc, sec, p, lineno, er) < 0) {
			return -EINVAL;
		}
	}
	if (ferror(f)) {
		eg_config_errs_add(er, 0, NULL, NULL, "read error");
		return -EIO;
	}
	return 0;
}

/* iniparser reports syntax errors through a global callback; core never
 * prints, so keep the last message for our own report. */
static _Thread_local char ini_msg[256];

static int ini_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ini_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ini_msg, sizeof(ini_msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Checks across keys, and the model file. */
static void check_whole(const struct eg_config *c, const struct scan *sc,
			unsigned flags, struct eg_config_errs *er)
{
	unsigned i, path_line = 0, mic_line = 0;

	for (i = 0; i < sc->n; i++) {
		if (!strcmp(sc->e[i].sec, "model") && !strcmp(sc->e[i].key, "path"))
			path_line = sc->e[i].line;
		if (!strcmp(sc->e[i].sec, "microphone") &&
		    !strcmp(sc->e[i].key, "source"))
			mic_line = sc->e[i].line;
	}
	if ((c->mic.source == EG_MIC_SYSFS || c->mic.source == EG_MIC_FILE) &&
	    !c->mic.path[0])
		eg_config_errs_add(er, mic_line, "microphone", "path",
			 "required with source = %s",
			 source_names[c->mic.source]);
	if (c->mic.source == EG_MIC_GPIOD && !c->mic.chip[0])
		eg_config_errs_add(er, mic_line, "microphone", "chip",
			 "required with source = gpiod");
	if (!c->model.path[0])
		eg_config_errs_add(er, path_line, "model", "path", "empty");
	else if (!(flags & EG_CONFIG_NO_MODEL_CHECK) &&
		 access(c->model.path, R_OK) < 0)
		eg_config_errs_add(er, path_line, "model", "path", "cannot read \"%s\": %s",
			 c->model.path, strerror(errno));
}

static int load(const char *path, unsigned flags, struct eg_config *c,
		struct eg_config_errs *er)
{
	struct scan sc = { 0 };
	dictionary *d = NULL;
	FILE *f;
	unsigned i;
	int r;

	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		eg_config_errs_add(er, 0, NULL, NULL, "%s", strerror(errno));
		return r;
	}
	sc.e = calloc(MAX_ENTRIES, sizeof(*sc.e));
	if (!sc.e) {
		fclose(f);
		eg_config_errs_add(er, 0, NULL, NULL, "out of memory");
		return -ENOMEM;
	}
	r = scan_file(f, &sc, er);
	fclose(f);
	if (r < 0 && r != -EINVAL)
		goto out;
	iniparser_set_error_callback(ini_error);
	ini_msg[0] = 0;
	d = iniparser_load(path);
	if (!d) {
		if (!er->n)
			eg_config_errs_add(er, 0, NULL, NULL, "iniparser cannot read it%s%s",
				 ini_msg[0] ? ": " : "", ini_msg);
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < sc.n; i++) {
		const struct entry *en = &sc.e[i];
		char name[2 * NAME_MAX_LEN + 2], why[256];
		const char *v;

		snprintf(name, sizeof(name), "%s:%s", en->sec, en->key);
		v = iniparser_getstring(d, name, NULL);
		if (!v) {
			eg_config_errs_add(er, en->line, en->sec, en->key,
				 "iniparser did not read this key");
			continue;
		}
		if (set_key(c, en->def, v, why, sizeof(why)) < 0)
			eg_config_errs_add(er, en->line, en->sec, en->key, "%s", why);
	}
	check_whole(c, &sc, flags, er);
	r = er->n ? -EINVAL : 0;
out:
	if (d)
		iniparser_freedict(d);
	free(sc.e);
	return r;
}

int eg_config_load(const char *path, unsigned flags, struct eg_config *ret,
		   char *err, size_t errlen)
{
	struct eg_config_errs er = { .buf = err, .cap = errlen,
			   .file = path ? path : "(defaults)" };
	struct eg_config *c;
	int r;

	if (errlen)
		err[0] = 0;
	c = malloc(sizeof(*c));
	if (!c) {
		eg_config_errs_add(&er, 0, NULL, NULL, "out of memory");
		return -ENOMEM;
	}
	eg_config_default(c);
	if (path) {
		snprintf(c->file, sizeof(c->file), "%s", path);
		r = load(path, flags, c, &er);
	} else {
		struct scan none = { 0 };

		check_whole(c, &none, flags, &er);
		r = er.n ? -EINVAL : 0;
	}
	/* Drop the final newline: callers print the text as one message. */
	if (er.len && err[er.len - 1] == '\n')
		err[er.len - 1] = 0;
	if (r == 0)
		*ret = *c;
	free(c);
	return r;
}

/* ---- dump -------------------------------------------------------------- */

static void dump_list_sep(FILE *f, unsigned i)
{
	if (i)
		fputs(", ", f);
}

int eg_config_dump(const struct eg_config *c, FILE *f)
{
	char buf[64];
	unsigned i, k, n;

	fprintf(f, "[daemon]\nqueues = ");
	for (i = 0; i < c->daemon.n_queues; i++) {
		dump_list_sep(f, i);
		fprintf(f, "%u", c->daemon.queues[i]);
	}
	fprintf(f, "\nqueue_maxlen = %u\nfail = %s\nfallback_verdict = %s\n"
		"batch_size = %u\nbatch_timeout_ms = %u\nstats_interval = %u\n"
		"recv_timeout_ms = %u\nuser = \"%s\"\n\n[device]\naddress = ",
		c->daemon.queue_maxlen, fail_names[c->daemon.fail],
		verdict_names[c->daemon.fallback_verdict], c->daemon.batch_size,
		c->daemon.batch_timeout_ms, c->daemon.stats_interval,
		c->daemon.recv_timeout_ms, c->daemon.user);
	for (i = 0; i < c->device.n; i++) {
		dump_list_sep(f, i);
		fputs(eg_addr_format(c->device.version[i], c->device.addr[i],
				     buf, sizeof(buf)), f);
	}
	fprintf(f, "\n\n[model]\npath = \"%s\"\nlearned = \"%s\"\n"
		"features = %s\n\n[flows]\n"
		"capacity = %u\nmax_probe = %u\nidle_timeout = %.17g\n"
		"closed_timeout = %.17g\n\n[policy]\nmode = %s\ndrop_classes = ",
		c->model.path, c->model.learned, feature_names[c->model.features],
		c->flows.capacity, c->flows.max_probe,
		c->flows.idle_timeout_ns / 1e9, c->flows.closed_timeout_ns / 1e9,
		mode_names[c->policy.mode]);
	for (k = 0, n = 0; k < EG_CLASS_COUNT; k++)
		if (c->policy.drop_classes & (1u << k)) {
			dump_list_sep(f, n++);
			fputs(eg_class_name(k), f);
		}
	if (!n)
		fputs("none", f);
	fprintf(f, "\nmin_confidence = %.17g\non_drop = %s\nflow_mark = 0x%x\n"
		"allow_cidrs = ", c->policy.min_confidence,
		on_drop_names[c->policy.on_drop], c->policy.flow_mark);
	for (i = 0; i < c->policy.n_allow_cidrs; i++) {
		const struct eg_cidr *x = &c->policy.allow_cidrs[i];

		dump_list_sep(f, i);
		fprintf(f, "%s/%u", eg_addr_format(x->version, x->addr, buf,
						   sizeof(buf)), x->prefix);
	}
	fputs("\nallow_sni = ", f);
	for (i = 0; i < c->policy.n_allow_sni; i++) {
		dump_list_sep(f, i);
		fputs(c->policy.allow_sni[i], f);
	}
	fprintf(f, "\nremember_drops = %s\nmuted_budget = %u\nupload_gap = %.17g\n"
		"upload_packets = %u\nupload_evidence = %.17g\nupload_min_drop = %u\n"
		"\n[microphone]\nsource = %s\n"
		"path = \"%s\"\nchip = \"%s\"\nline = %u\nactive_low = %s\nvalue = %s\n"
		"on_error = %s\npoll_interval_ms = %u\n\n[log]\nlevel = %s\n"
		"drop_event_rate = %u\n",
		c->policy.remember_drops ? "true" : "false",
		c->policy.muted_budget, c->policy.upload_gap_ns / 1e9,
		c->policy.upload_packets, c->policy.upload_evidence,
		c->policy.upload_min_drop,
		source_names[c->mic.source], c->mic.path, c->mic.chip,
		c->mic.line, c->mic.active_low ? "true" : "false",
		mic_state_names[!!c->mic.value],
		mic_state_names[!!c->mic.on_error], c->mic.poll_interval_ms,
		level_names[c->log.level & 7], c->log.drop_event_rate);
	return ferror(f) ? -EIO : 0;
}
