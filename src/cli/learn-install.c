// SPDX-License-Identifier: MIT
/*
 * learn-install.c: `echoguard learn install MODEL` and `echoguard learn
 * rollback` (learn.h, docs/cli.md "echoguard learn install / rollback").
 *
 * The learned model is one file, [model] learned (default
 * /var/lib/echoguard/learned.egf); the daemon runs it instead of the
 * shipped [model] path whenever it exists and loads (model-choice.h).
 * Install validates MODEL against the config's feature schema before
 * touching anything, copies it next to the learned file (tmp, fsync,
 * rename: the learned file is never half written and never missing), keeps
 * the model it replaces as learned.egf.prev (one generation), writes
 * learned.egf.info, SIGHUPs echoguardd and waits for its journal entry
 * saying which model it now runs. Rollback puts .prev back, or removes
 * the learned file so the shipped model runs again. The shipped model is
 * never touched.
 *
 * Exit: 0 done (and the daemon confirmed it runs the expected model);
 * 1 refused or failed (nothing changed when refused before the copy; the
 * daemon did not confirm, refused the reload or fell back to the shipped
 * model); 2 usage or configuration error; 3 installed but no echoguardd
 * runs (it uses the file when it starts); 4 installed and signalled but
 * the journal cannot be read to confirm.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon-find.h"
#include "journal.h"
#include "learn.h"
#include "echoguard/forest/forest.h"
#include "echoguard/forest/train.h"
#include "echoguard/util/util.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/model-choice.h"

#define EX_OK 0
#define EX_FAILED 1
#define EX_USAGE 2
#define EX_NOT_RUNNING 3
#define EX_NO_JOURNAL 4
#define MAX_MODEL_BYTES (256u << 20)  /* far above any forest we train */
#define POLL_US 200000

struct opts {
	const char *config, *model;
	int pid;
	bool no_reload, shipped;
	unsigned timeout_s;
	struct eg_config cfg;
	char prev[EG_CONFIG_PATH_MAX + 16], info[EG_CONFIG_PATH_MAX + 16];
	char prev_info[EG_CONFIG_PATH_MAX + 32];
};

/* What the daemon's reload entry must say. */
struct expect {
	enum eg_model_kind kind;
	const char *path;
	uint32_t crc;
};

/* ---- files ------------------------------------------------------------- */

/* The whole file in a new buffer (*ret, *ret_len); -errno. */
static int read_all(const char *path, uint8_t **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t k;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MODEL_BYTES) {
		r = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size &&
	       (k = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)k;
	if (n != (size_t)st.st_size)
		r = -EIO;
out:
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* CRC-32 of a file (the daemon's EG_MODEL_CRC32), 0 when unreadable. */
static uint32_t file_crc(const char *path)
{
	uint8_t *buf;
	size_t n;
	uint32_t crc;

	if (read_all(path, &buf, &n) < 0)
		return 0;
	crc = eg_crc32(buf, n);
	free(buf);
	return crc;
}

/* fsync the directory of path, so a rename survives a power cut. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Write buf to path atomically: PATH.tmp (mode 0644, fsync), rename. */
static int write_atomic(const char *path, const void *buf, size_t n)
{
	char tmp[EG_CONFIG_PATH_MAX + 8];
	const uint8_t *p = buf;
	size_t done = 0;
	ssize_t k;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	errno = 0;
	while (done < n && (k = write(fd, p + done, n - done)) > 0)
		done += (size_t)k;
	/* readable by the daemon's user whatever the umask */
	if (done != n || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	else
		sync_dir(path);
	return r;
}

/* Keep path as prev: a hard link renamed over prev, so path itself stays
 * in place until the new file replaces it. 0 when there is no path. */
static int keep_as(const char *path, const char *prev)
{
	char tmp[EG_CONFIG_PATH_MAX + 40];

	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", prev);
	(void)unlink(tmp);
	if (link(path, tmp) < 0)
		return -errno;
	if (rename(tmp, prev) < 0) {
		int r = -errno;

		(void)unlink(tmp);
		return r;
	}
	return 0;
}

/* ---- the info file ------------------------------------------------------ */

/* The model's metadata on one line (newlines and tabs as spaces). */
static void meta_line(const struct eg_forest *f, char *buf, size_t len)
{
	const char *m = eg_forest_meta(f);
	size_t i;

	snprintf(buf, len, "%s", m ? m : "");
	for (i = 0; buf[i]; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			buf[i] = ' ';
}

static int write_info(const struct opts *o, const struct eg_forest *f,
		      uint32_t crc, size_t size)
{
	char src[PATH_MAX], when[32], meta[1024], text[4096];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (!realpath(o->model, src))
		snprintf(src, sizeof(src), "%s", o->model);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	meta_line(f, meta, sizeof(meta));
	n = snprintf(text, sizeof(text),
		     "# echoguard learn install (docs/cli.md)\n"
		     "installed=%s\ninstalled_epoch=%lld\nsource=%s\n"
		     "crc32=%08x\nbytes=%zu\ntrees=%u\nclasses=%u\n"
		     "schema=%s v%u\nmeta=%s\n", when, (long long)now, src, crc,
		     size, eg_forest_n_trees(f), eg_forest_n_classes(f),
		     eg_forest_schema_name(f), eg_forest_schema_version(f), meta);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENAMETOOLONG;
	return write_atomic(o->info, text, (size_t)n);
}

/* ---- the daemon --------------------------------------------------------- */

/* The reload entry since since_us, if any: 1 and *ret_ok when it runs the
 * expected model (a message either way); 0 none yet; -1 no journal. */
static int read_reload(int pid, uint64_t since_us, const struct expect *e,
		       bool *ret_ok)
{
	char model[EG_CONFIG_PATH_MAX], kind[16], crc[16], why[1536];
	struct cli_journal jr;
	int found = 0;

	if (cli_journal_open(&jr, NULL, pid) < 0)
		return -1;
	if (cli_journal_select(&jr, "reload_failed", true, since_us) >= 0 &&
	    cli_journal_step(&jr, true) > 0) {
		(void)cli_journal_str(&jr, "EG_ERROR", why, sizeof(why));
		cli_error("learn: echoguardd refused the reload (it keeps the "
			  "model it ran): %s", why);
		*ret_ok = false;
		found = 1;
	} else if (cli_journal_select(&jr, "reload", true, since_us) >= 0 &&
		   cli_journal_step(&jr, true) > 0) {
		(void)cli_journal_str(&jr, "EG_MODEL", model, sizeof(model));
		(void)cli_journal_str(&jr, "EG_MODEL_KIND", kind, sizeof(kind));
		(void)cli_journal_str(&jr, "EG_MODEL_CRC32", crc, sizeof(crc));
		(void)cli_journal_str(&jr, "EG_MODEL_FALLBACK", why, sizeof(why));
		*ret_ok = !strcmp(kind, eg_model_kind_name(e->kind)) &&
			  !strcmp(model, e->path) &&
			  (e->kind == EG_MODEL_SHIPPED ||
			   strtoul(crc, NULL, 16) == e->crc);
		if (*ret_ok)
			printf("echoguardd (pid %d) reloaded: it runs the %s model "
			       "%s (crc32 %s)\n", pid, kind, model, crc);
		else
			cli_error("learn: echoguardd (pid %d) reloaded but runs the "
				  "%s model %s (crc32 %s)%s%s", pid, kind, model,
				  crc, why[0] ? ": learned model not used: " : "",
				  why);
		found = 1;
	}
	cli_journal_close(&jr);
	return found;
}

/* SIGHUP the daemon and wait for its reload entry; the exit status. */
static int reload(const struct opts *o, const struct expect *e)
{
	bool running, ok = false;
	uint64_t t0, waited = 0;
	int pid, r;

	pid = cli_daemon_find(o->pid, NULL, 0, &running, NULL);
	if (!running) {
		printf("no echoguardd runs%s: it will use this when it starts\n",
		       o->pid > 0 ? " with that pid" : "");
		return EX_NOT_RUNNING;
	}
	fflush(stdout);      /* what was done, before the daemon's answer */
	t0 = cli_now_us();
	if (kill(pid, SIGHUP) < 0) {
		cli_error("learn: SIGHUP to echoguardd (pid %d): %s", pid,
			  strerror(errno));
		return EX_FAILED;
	}
	for (;;) {
		r = read_reload(pid, t0, e, &ok);
		if (r < 0) {
			cli_error("learn: sent SIGHUP to echoguardd (pid %d) but "
				  "cannot read the journal to confirm", pid);
			return EX_NO_JOURNAL;
		}
		if (r > 0)
			return ok ? EX_OK : EX_FAILED;
		if (waited >= o->timeout_s * 1000000ull)
			break;
		usleep(POLL_US);
		waited += POLL_US;
	}
	cli_error("learn: echoguardd (pid %d) did not confirm a reload within "
		  "%u s", pid, o->timeout_s);
	return EX_FAILED;
}

/* ---- the steps ---------------------------------------------------------- */

static void usage(FILE *f, bool install)
{
	if (install)
		fprintf(f, "usage: echoguard learn install MODEL [-c INI] [--pid PID] "
			"[--no-reload] [--timeout S]\n");
	else
		fprintf(f, "usage: echoguard learn rollback [-c INI] [--pid PID] "
			"[--shipped] [--no-reload] [--timeout S]\n");
	fprintf(f, "Exit: 0 done and confirmed by echoguardd, 1 refused or "
		"failed, 2 usage, 3 no echoguardd runs, 4 no journal to "
		"confirm (docs/cli.md).\n");
}

/* The options: -1 to go on, else the exit status. */
static int parse(int argc, char **argv, bool install, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "no-reload", no_argument, NULL, 'n' },
		{ "shipped", no_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->timeout_s = 10;
	while ((c = getopt_long(argc, argv, "c:p:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->pid = atoi(optarg); break;
		case 'n': o->no_reload = true; break;
		case 's':
			if (install)
				goto bad;
			o->shipped = true;
			break;
		case 't': o->timeout_s = (unsigned)atoi(optarg); break;
		case 'h': usage(stdout, install); return EX_OK;
		default: goto bad;
		}
	}
	if (optind + (install ? 1 : 0) != argc)
		goto bad;
	o->model = install ? argv[optind] : NULL;
	return -1;
bad:
	usage(stderr, install);
	return EX_USAGE;
}

/* The config (-c, else the daemon's default file) and the side files'
 * names; 0 or an exit status after a message. */
static int setup(struct opts *o)
{
	char err[4096];
	const char *path = o->config ? o->config : EG_CONFIG_DEFAULT_PATH;

	if (!o->config && access(path, F_OK) < 0)
		path = NULL;            /* no config installed: the defaults */
	if (eg_config_load(path, EG_CONFIG_NO_MODEL_CHECK, &o->cfg, err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EX_USAGE;
	}
	if (!o->cfg.model.learned[0]) {
		cli_error("learn: %s: [model] learned is empty: learned models "
			  "are off", path ? path : "(defaults)");
		return EX_USAGE;
	}
	snprintf(o->prev, sizeof(o->prev), "%s.prev", o->cfg.model.learned);
	snprintf(o->info, sizeof(o->info), "%s.info", o->cfg.model.learned);
	snprintf(o->prev_info, sizeof(o->prev_info), "%s.prev.info",
		 o->cfg.model.learned);
	return 0;
}

/* Options and config of a step: the opts, or NULL and *ret_status. */
static struct opts *begin(int argc, char **argv, bool install,
			  int *ret_status)
{
	struct opts *o = calloc(1, sizeof(*o));
	int r;

	if (!o) {
		*ret_status = EX_FAILED;
		return NULL;
	}
	r = parse(argc, argv, install, o);   /* -1: go on */
	if (r >= 0 || (r = setup(o)) != 0) {
		*ret_status = r;
		free(o);
		return NULL;
	}
	return o;
}

/* Validate MODEL: its bytes (exactly those that get installed) load with
 * the config's schema. *ret_forest, *ret_buf: the forest and the bytes. */
static int validate(const struct opts *o, struct eg_forest **ret_forest,
		    uint8_t **ret_buf, size_t *ret_len)
{
	char err[2048];
	uint8_t *buf;
	size_t n;
	int r;

	r = read_all(o->model, &buf, &n);
	if (r < 0) {
		cli_error("learn install: refused, nothing installed: %s: %s",
			  o->model, r == -EINVAL ? "not a regular file of at "
			  "most 256 MiB" : strerror(-r));
		return -1;
	}
	r = eg_forest_load_buffer(buf, n, o->model,
				  eg_schema_get(o->cfg.model.features),
				  ret_forest, err, sizeof(err));
	if (r < 0) {
		cli_error("learn install: refused, nothing installed: %s", err);
		free(buf);
		return -1;
	}
	*ret_buf = buf;
	*ret_len = n;
	return 0;
}

/* Move the installed model aside, put the new bytes in place. */
static int put_in_place(const struct opts *o, const uint8_t *buf, size_t n)
{
	const char *dst = o->cfg.model.learned;
	char dir[EG_CONFIG_PATH_MAX], *slash;
	int r;

	snprintf(dir, sizeof(dir), "%s", dst);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		/* searchable by the daemon's user whatever the umask */
		if (mkdir(dir, 0755) == 0)
			(void)chmod(dir, 0755);
		else if (errno != EEXIST)
			return -errno;
	}
	r = keep_as(dst, o->prev);
	if (r == 0)
		r = keep_as(o->info, o->prev_info);
	if (r == 0)
		r = write_atomic(dst, buf, n);
	return r;
}

int learn_install(int argc, char **argv)
{
	struct expect e = { EG_MODEL_LEARNED, NULL, 0 };
	struct eg_forest *f = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	int r, status;
	struct opts *o = begin(argc, argv, true, &status);

	if (!o)
		return status;
	status = EX_FAILED;
	if (validate(o, &f, &buf, &n) < 0)
		goto out;
	e.path = o->cfg.model.learned;
	e.crc = eg_crc32(buf, n);
	r = put_in_place(o, buf, n);
	if (r < 0) {
		cli_error("learn install: %s: %s", e.path, strerror(-r));
		goto out;
	}
	if (write_info(o, f, e.crc, n) < 0)
		cli_error("learn install: %s: cannot write it", o->info);
	printf("installed %s as %s (crc32 %08x, %u trees)%s\n", o->model,
	       e.path, e.crc, eg_forest_n_trees(f),
	       access(o->prev, F_OK) == 0 ? "; the model before is kept as .prev" :
	       "");
	status = o->no_reload ? EX_OK : reload(o, &e);
out:
	eg_forest_free(f);
	free(buf);
	free(o);
	return status;
}

/* Put .prev back as the learned model, or remove the learned model. */
static int roll_back(const struct opts *o, struct expect *e)
{
	const char *dst = o->cfg.model.learned;

	if (!o->shipped && access(o->prev, F_OK) == 0) {
		if (rename(o->prev, dst) < 0)
			return -errno;
		if (rename(o->prev_info, o->info) < 0)
			(void)unlink(o->info);
		sync_dir(dst);
		e->kind = EG_MODEL_LEARNED;
		e->path = dst;
		e->crc = file_crc(dst);
		printf("%s is the learned model again (crc32 %08x)\n", dst, e->crc);
		return 0;
	}
	if (unlink(dst) < 0 && errno != ENOENT)
		return -errno;
	(void)unlink(o->info);
	sync_dir(dst);
	e->kind = EG_MODEL_SHIPPED;
	e->path = o->cfg.model.path;
	printf("no learned model installed: the shipped model %s runs\n",
	       e->path);
	return 0;
}

int learn_rollback(int argc, char **argv)
{
	struct expect e = { 0 };
	int r, status;
	struct opts *o = begin(argc, argv, false, &status);

	if (!o)
		return status;
	r = roll_back(o, &e);
	if (r < 0) {
		cli_error("learn rollback: %s: %s", o->cfg.model.learned,
			  strerror(-r));
		status = EX_FAILED;
		goto out;
	}
	status = o->no_reload ? EX_OK : reload(o, &e);
out:
	free(o);
	return status;
}
