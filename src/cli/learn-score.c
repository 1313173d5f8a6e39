/* SPDX-License-Identifier: MIT */
/*
 * learn-score.c: what `echoguard learn fit` measures and how it decides
 * (docs/learn.md, "Better"). Each model is replayed over the held-back
 * segments with `echoguard replay --json --summary` (the daemon's own
 * per-packet path, run as a child of this program): once as recorded
 * (the microphone timeline, voice-shaped uploads expected, the other app
 * data justified, app data sent muted not_justified) and once with every
 * segment replayed as muted (a SIMULATED context on real packets). The
 * summary's upload-level figures are read back from its JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "learn-fit.h"

extern char **environ;

int learn_spawn(char *const argv[], const char *out_path,
		const char *err_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r, status;

	r = posix_spawn_file_actions_init(&fa);
	if (r == 0 && out_path)
		r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
						     O_WRONLY | O_CREAT | O_TRUNC,
						     0644);
	if (r == 0 && err_path && out_path && !strcmp(err_path, out_path))
		r = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO,
						     STDERR_FILENO);
	else if (r == 0 && err_path)
		r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
						     O_WRONLY | O_CREAT | O_TRUNC,
						     0644);
	if (r == 0)
		r = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		cli_error("learn: echoguard %s: %s", argv[1], strerror(r));
		return -r;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	cli_error("learn: echoguard %s: killed by signal %d", argv[1],
		  WTERMSIG(status));
	return 128 + WTERMSIG(status);
}

/* ---- the replay summary's numbers, by dotted path ---------------------- */

struct jscan {
	const char *p;
	char path[160];
	struct learn_json *out;
};

static void skip_ws(struct jscan *s)
{
	while (isspace((unsigned char)*s->p))
		s->p++;
}

/* A JSON string into buf (escapes kept as the character after '\'). */
static int scan_str(struct jscan *s, char *buf, size_t len)
{
	size_t n = 0;

	if (*s->p != '"')
		return -EBADMSG;
	for (s->p++; *s->p && *s->p != '"'; s->p++) {
		if (*s->p == '\\' && s->p[1])
			s->p++;
		if (n + 1 < len)
			buf[n++] = *s->p;
	}
	if (*s->p != '"')
		return -EBADMSG;
	s->p++;
	buf[n] = '\0';
	return 0;
}

static int scan_value(struct jscan *s, int depth);

static int scan_object(struct jscan *s, int depth)
{
	size_t base = strlen(s->path);
	char key[96];

	s->p++;
	skip_ws(s);
	if (*s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (scan_str(s, key, sizeof(key)) < 0)
			return -EBADMSG;
		skip_ws(s);
		if (*s->p++ != ':')
			return -EBADMSG;
		snprintf(s->path + base, sizeof(s->path) - base, "%s%s",
			 base ? "." : "", key);
		if (scan_value(s, depth + 1) < 0)
			return -EBADMSG;
		s->path[base] = '\0';
		skip_ws(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p++ != '}')
			return -EBADMSG;
		return 0;
	}
}

static int scan_value(struct jscan *s, int depth)
{
	char tmp[256];
	char *end;
	double v;

	skip_ws(s);
	if (depth > 8)
		return -EBADMSG;
	if (*s->p == '{')
		return scan_object(s, depth);
	if (*s->p == '"')
		return scan_str(s, tmp, sizeof(tmp));
	if (!strncmp(s->p, "true", 4) || !strncmp(s->p, "null", 4)) {
		s->p += 4;
		return 0;
	}
	if (!strncmp(s->p, "false", 5)) {
		s->p += 5;
		return 0;
	}
	v = strtod(s->p, &end);
	if (end == s->p)
		return -EBADMSG;
	s->p = end;
	if (s->out->n < LEARN_JSON_MAX) {
		snprintf(s->out->key[s->out->n], sizeof(s->out->key[0]), "%s",
			 s->path);
		s->out->val[s->out->n++] = v;
	}
	return 0;
}

int learn_json_read(const char *path, struct learn_json *ret)
{
	char *buf = NULL, *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");
	struct jscan s = { .out = ret };
	int r = -EBADMSG;

	ret->n = 0;
	if (!f)
		return -errno;
	/* The summary is the last line (--summary prints no packet lines). */
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, "\"type\":\"summary\"")) {
			free(buf);
			buf = strdup(line);
		}
	fclose(f);
	free(line);
	if (buf) {
		s.p = buf;
		skip_ws(&s);
		r = *s.p == '{' ? scan_object(&s, 0) : -EBADMSG;
	}
	free(buf);
	return r;
}

double learn_json_get(const struct learn_json *j, const char *key)
{
	unsigned i;

	for (i = 0; i < j->n; i++)
		if (!strcmp(j->key[i], key))
			return j->val[i];
	return 0;
}

/* ---- the measures ------------------------------------------------------- */

void learn_measures(const struct learn_json *rec, const struct learn_json *mut,
		    struct learn_measures *m)
{
	memset(m, 0, sizeof(*m));
	m->expected = learn_json_get(rec, "uploads.expected.listening.uploads");
	m->expected_touched = m->expected -
		learn_json_get(rec, "uploads.expected.listening.untouched");
	m->justified = learn_json_get(rec, "uploads.justified.listening.uploads");
	m->justified_blocked = m->justified -
		learn_json_get(rec, "uploads.justified.listening.untouched");
	m->muted = learn_json_get(rec, "uploads.not_justified.muted.uploads");
	m->muted_bytes = learn_json_get(rec, "uploads.not_justified.muted.bytes");
	m->muted_leak = m->muted_bytes -
		learn_json_get(rec, "uploads.not_justified.muted.bytes_dropped");
	m->sim_muted = learn_json_get(mut, "uploads.not_justified.muted.uploads");
	m->sim_muted_bytes = learn_json_get(mut,
					    "uploads.not_justified.muted.bytes");
	m->sim_muted_leak = m->sim_muted_bytes -
		learn_json_get(mut, "uploads.not_justified.muted.bytes_dropped");
}

/* Not worse than old by more than 1 % and 1 kB (one upload's few packets
 * of noise between two forests). */
static bool leak_ok(double new, double old)
{
	return new <= old * 1.01 + 1024;
}

const char *learn_better(const struct learn_measures *old,
			 const struct learn_measures *new, bool *ret)
{
	*ret = false;
	if (new->expected_touched > old->expected_touched)
		return "it touches more uploads of interactions";
	if (!leak_ok(new->muted_leak, old->muted_leak) ||
	    !leak_ok(new->sim_muted_leak, old->sim_muted_leak))
		return "it lets more muted bytes through";
	*ret = true;
	if (new->expected_touched < old->expected_touched)
		return "it touches fewer uploads of interactions";
	if (new->justified_blocked > old->justified_blocked)
		return "it blocks more unrequested uploads";
	if (new->muted_leak + new->sim_muted_leak + 1024 <
	    old->muted_leak + old->sim_muted_leak)
		return "it lets fewer muted bytes through";
	*ret = false;
	return "it is no better on the held-back part";
}

static void row(FILE *f, const char *what, double a, double b)
{
	fprintf(f, "  %-52s %10.0f %10.0f\n", what, a, b);
}

void learn_print_compare(FILE *f, const struct learn_measures *o,
			 const struct learn_measures *n)
{
	fprintf(f, "  %-52s %10s %10s\n", "held back, upload level", "running",
		"learned");
	row(f, "uploads in voice windows, listening (expected)", o->expected,
	    n->expected);
	row(f, "  touched (a segment dropped)", o->expected_touched,
	    n->expected_touched);
	row(f, "other app-data uploads, listening (justified)", o->justified,
	    n->justified);
	row(f, "  blocked", o->justified_blocked, n->justified_blocked);
	row(f, "uploads while muted (recorded)", o->muted, n->muted);
	row(f, "  bytes let through", o->muted_leak, n->muted_leak);
	row(f, "SIMULATED: every held-back upload replayed as muted",
	    o->sim_muted, n->sim_muted);
	row(f, "  bytes let through", o->sim_muted_leak, n->sim_muted_leak);
}

void learn_measures_json(FILE *f, const char *name,
			 const struct learn_measures *m)
{
	fprintf(f, "\"%s\":{\"voice_uploads\":%.0f,\"voice_touched\":%.0f,"
		"\"justified_uploads\":%.0f,\"justified_blocked\":%.0f,"
		"\"muted_uploads\":%.0f,\"muted_bytes\":%.0f,"
		"\"muted_bytes_through\":%.0f,\"simulated_muted_uploads\":%.0f,"
		"\"simulated_muted_bytes\":%.0f,"
		"\"simulated_muted_bytes_through\":%.0f}", name, m->expected,
		m->expected_touched, m->justified, m->justified_blocked,
		m->muted, m->muted_bytes, m->muted_leak, m->sim_muted,
		m->sim_muted_bytes, m->sim_muted_leak);
}
