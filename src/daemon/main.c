// SPDX-License-Identifier: MIT
/*
 * main.c: echoguardd. Options, start-up, the main thread's loop (signals,
 * microphone refresh, drop-event logging, stats, sd_notify, watchdog) and
 * SIGHUP reload. The packet path is in worker.c; docs/daemon.md describes
 * the whole.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "echoguard/verdict/config.h"
#include "echoguard/forest/forest.h"
#include "echoguard/verdict/mic.h"

#include "log.h"
#include "nfq.h"
#include "privs.h"
#include "runtime.h"
#include "stats.h"
#include "util.h"
#include "worker.h"

#define EXIT_CONFIG 2
#define MAIN_TICK_MS 100
#define RELOAD_WAIT_NS (10ull * 1000000000ull)

struct daemon {
	const char *config_path;       /* NULL: defaults */
	struct eg_runtime *_Atomic current;
	volatile int stop;
	struct eg_worker *workers;
	unsigned n_workers;            /* queues opened */
	unsigned n_started;            /* of those, threads started */
	struct eg_totals totals;
	uint64_t start_ns;
	uint64_t next_stats_ns, next_mic_ns, next_status_ns, next_watchdog_ns;
	uint64_t watchdog_usec;
	/* drop-event rate limit: a token bucket of drop_event_rate per s */
	double tokens;
	uint64_t tokens_ns;
	struct eg_event_bucket upload_bucket;  /* upload events (events.h) */
	char queues[256];
	int last_mic;
	bool mic_in_error;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: echoguardd [OPTIONS]\n"
		"Inline NFQUEUE classifier for an Amazon Echo's uploads.\n\n"
		"  -c, --config FILE   configuration (default %s if it exists,\n"
		"                      else built-in defaults)\n"
		"  -f, --foreground    log to stderr (default: journal when\n"
		"                      started by systemd)\n"
		"      --check-config  validate configuration and model, exit\n"
		"                      0 (valid) or 2 (invalid)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n\n"
		"Signals: SIGHUP reloads configuration and model, SIGTERM or\n"
		"SIGINT drains the queues and exits 0. See echoguardd(8),\n"
		"docs/daemon.md.\n", EG_CONFIG_DEFAULT_PATH);
}

static void format_queues(const struct eg_config *c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->daemon.n_queues && used < len; i++) {
		int r = snprintf(buf + used, len - used, "%s%u", i ? "," : "",
				 c->daemon.queues[i]);
		if (r < 0)
			break;
		used += (size_t)r;
	}
}

static struct eg_runtime *current(struct daemon *d)
{
	return atomic_load_explicit(&d->current, memory_order_acquire);
}

static int check_config(const char *path)
{
	struct eg_runtime *rt;
	char err[8192], queues[256];
	int r;

	r = eg_runtime_new(path, 1, &rt, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	format_queues(&rt->cfg, queues, sizeof(queues));
	if (rt->model.warning[0])
		fprintf(stderr, "warning: learned model not used: %s\n",
			rt->model.warning);
	printf("%s: OK: model %s (%s, %u trees, %u classes, %u features, "
	       "schema %s), queues %s, mode %s, fail %s\n",
	       path ? path : "(defaults)", rt->model.path,
	       eg_model_kind_name(rt->model.kind),
	       eg_forest_n_trees(rt->forest), rt->n_classes, rt->n_features,
	       eg_forest_schema_name(rt->forest), queues,
	       rt->cfg.policy.mode == EG_MODE_MONITOR ? "monitor" : "enforce",
	       rt->cfg.daemon.fail == EG_FAIL_OPEN ? "open" : "closed");
	eg_runtime_free(rt);
	return 0;
}

static void worker_setup(struct daemon *d, struct eg_worker *w,
			 const struct eg_config *c, uint16_t queue)
{
	w->queue = queue;
	w->current = &d->current;
	w->stop = &d->stop;
	w->recv_timeout_ms = c->daemon.recv_timeout_ms;
	w->nfq_opts.queue = w->queue;
	w->nfq_opts.maxlen = c->daemon.queue_maxlen;
	w->nfq_opts.fail_open = c->daemon.fail == EG_FAIL_OPEN;
	/* GSO off: the kernel segments before queueing, so lengths are the
	 * wire's, as in captures (docs/daemon.md). */
	w->nfq_opts.gso = false;
	w->nfq_opts.batch_size = c->daemon.batch_size;
	w->nfq_opts.batch_timeout_ns =
		(uint64_t)c->daemon.batch_timeout_ms * 1000000ull;
	w->nfq_opts.fallback = c->daemon.fallback_verdict == EG_VERDICT_DROP ?
			       EG_NFQ_DROP : EG_NFQ_ACCEPT;
	eg_config_engine_params(c, &w->engine_params);
	w->upload_gap_ns = c->policy.upload_gap_ns;
	w->uploads.queue = w->queue;
	w->uploads.doubt_evidence = (float)c->policy.upload_evidence;
}

/* Open every queue (needs CAP_NET_ADMIN, and root for SO_RCVBUFFORCE)
 * and each worker's wake-up eventfd; no thread yet. */
static int open_queues(struct daemon *d, const struct eg_runtime *rt)
{
	const struct eg_config *c = &rt->cfg;
	char err[512];
	int r;

	d->workers = calloc(c->daemon.n_queues, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < c->daemon.n_queues; i++) {
		struct eg_worker *w = &d->workers[i];

		worker_setup(d, w, c, c->daemon.queues[i]);
		w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->wake_fd < 0)
			return -errno;
		r = eg_nfq_open(&w->nfq_opts, &w->nfq, err, sizeof(err));
		d->n_workers++;
		if (r < 0) {
			eg_log(LOG_ERR, "%s", err);
			return r;
		}
	}
	return 0;
}

static int start_threads(struct daemon *d)
{
	char err[512];
	int r;

	for (unsigned i = 0; i < d->n_workers; i++) {
		r = eg_worker_start(&d->workers[i], err, sizeof(err));
		if (r < 0) {
			eg_log(LOG_ERR, "%s", err);
			return r;
		}
		d->n_started++;
	}
	return 0;
}

static void stop_workers(struct daemon *d)
{
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct eg_worker *w = &d->workers[i];

		if (w->wake_fd >= 0)
			(void)!write(w->wake_fd, &(uint64_t){ 1 },
				     sizeof(uint64_t));
		if (i < d->n_started)
			eg_worker_join(w);
		w->nfq = eg_nfq_free(w->nfq);   /* opened, never started */
		if (w->wake_fd >= 0)
			close(w->wake_fd);
	}
}

/* Wake every queue thread now (a reload waits for them). */
static void wake_workers(struct daemon *d)
{
	for (unsigned i = 0; i < d->n_workers; i++)
		(void)!write(d->workers[i].wake_fd, &(uint64_t){ 1 },
			     sizeof(uint64_t));
}

/* Keys that size or key the per-thread engines need a restart. */
static void warn_restart_keys(const struct eg_config *old,
			      const struct eg_config *new)
{
	if (old->daemon.n_queues != new->daemon.n_queues ||
	    memcmp(old->daemon.queues, new->daemon.queues,
		   sizeof(old->daemon.queues)) ||
	    old->daemon.queue_maxlen != new->daemon.queue_maxlen ||
	    old->daemon.fail != new->daemon.fail ||
	    old->daemon.batch_size != new->daemon.batch_size ||
	    old->daemon.batch_timeout_ms != new->daemon.batch_timeout_ms ||
	    old->daemon.recv_timeout_ms != new->daemon.recv_timeout_ms)
		eg_log(LOG_WARNING, "reload: [daemon] queue settings changed; "
		       "they take effect at the next restart");
	if (memcmp(&old->flows, &new->flows, sizeof(old->flows)) ||
	    memcmp(&old->device, &new->device, sizeof(old->device)))
		eg_log(LOG_WARNING, "reload: [flows] or [device] changed; "
		       "they take effect at the next restart");
}

static bool workers_caught_up(struct daemon *d, uint64_t gen)
{
	for (unsigned i = 0; i < d->n_workers; i++) {
		struct eg_worker *w = &d->workers[i];

		if (__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE))
			continue;
		if (__atomic_load_n(&w->seen_generation, __ATOMIC_ACQUIRE) < gen)
			return false;
	}
	return true;
}

static bool workers_alive(struct daemon *d, uint64_t now,
		          const struct eg_runtime *rt)
{
	uint64_t limit = 2000000000ull +
			 5ull * rt->cfg.daemon.recv_timeout_ms * 1000000ull;

	for (unsigned i = 0; i < d->n_workers; i++) {
		struct eg_worker *w = &d->workers[i];

		if (__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE))
			return false;
		if (now - __atomic_load_n(&w->heartbeat_ns, __ATOMIC_RELAXED) >
		    limit)
			return false;
	}
	return true;
}

/* WATCHDOG=1 at half the interval while every queue thread is alive. */
static void watchdog(struct daemon *d, uint64_t now,
		     const struct eg_runtime *rt)
{
	if (!d->watchdog_usec || now < d->next_watchdog_ns)
		return;
	if (workers_alive(d, now, rt))
		sd_notify(0, "WATCHDOG=1");
	d->next_watchdog_ns = now + d->watchdog_usec * 500ull;
}

/* Wake the queue threads and wait until all use runtime rt (false after
 * RELOAD_WAIT_NS: a thread stuck in a send may still read the old one,
 * which must then be leaked rather than freed). */
static bool wait_for_workers(struct daemon *d, const struct eg_runtime *rt)
{
	uint64_t t0 = eg_now_ns();

	wake_workers(d);
	while (!workers_caught_up(d, rt->generation)) {
		/* Still the main loop's duty while it waits. */
		watchdog(d, eg_now_ns(), rt);
		if (eg_now_ns() - t0 > RELOAD_WAIT_NS) {
			eg_log(LOG_ERR, "reload: a queue thread did not pick "
			       "up generation %llu; old model kept in memory",
			       (unsigned long long)rt->generation);
			return false;
		}
		usleep(1000);
	}
	return true;
}

/* SIGHUP: build the new runtime aside, swap, wait for the workers to
 * pass a batch boundary, free the old one. On error the old one stays. */
static const char *mode_name(const struct eg_runtime *rt)
{
	return rt->cfg.policy.mode == EG_MODE_MONITOR ? "monitor" : "enforce";
}

/* The start or reload entry (events.h). */
static void log_run(struct daemon *d, const struct eg_runtime *rt,
		    const char *what)
{
	struct eg_events_run r = {
		.what = what, .mode = mode_name(rt),
		.fail = rt->cfg.daemon.fail == EG_FAIL_OPEN ? "open" : "closed",
		.model = rt->model.path, .queues = d->queues,
		.model_kind = eg_model_kind_name(rt->model.kind),
		.model_fallback = rt->model.warning,
		.version = EG_VERSION, .trees = eg_forest_n_trees(rt->forest),
		.mic = eg_mic_get(rt->mic),
		.stats_interval = rt->cfg.daemon.stats_interval,
	};

	eg_events_run(&r);
}

static void reload(struct daemon *d)
{
	struct eg_runtime *old = current(d), *new;
	uint64_t gen = old->generation + 1;
	char err[8192];
	int r;

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	r = eg_runtime_new(d->config_path, gen, &new, err, sizeof(err));
	if (r == 0 && new->cfg.model.features != old->cfg.model.features) {
		snprintf(err, sizeof(err), "%s: [model] features changed from "
			 "%s to %s: the flow tables compute the old set; "
			 "restart echoguardd to change it",
			 d->config_path ? d->config_path : "(defaults)",
			 eg_schema_get(old->cfg.model.features)->name,
			 eg_schema_get(new->cfg.model.features)->name);
		new = eg_runtime_free(new);
		r = -EINVAL;
	}
	if (r < 0) {
		d->totals.reload_failures++;
		eg_events_reload_failed(err);
		sd_notify(0, "READY=1");
		return;
	}
	warn_restart_keys(&old->cfg, &new->cfg);
	eg_runtime_warn_model(new);
	eg_log_set_level(new->cfg.log.level);
	/* Workers see the mic state of whatever runtime they use: give the
	 * new source the current reading before publishing it. */
	(void)eg_mic_refresh(new->mic);
	atomic_store_explicit(&d->current, new, memory_order_release);
	if (!wait_for_workers(d, new))
		old = NULL;
	eg_runtime_free(old);
	d->totals.reloads++;
	d->totals.generation = gen;
	log_run(d, new, "reload");
	eg_log(LOG_INFO, "reloaded %s: model %s (%s, %u trees), generation %llu",
	       d->config_path ? d->config_path : "defaults", new->model.path,
	       eg_model_kind_name(new->model.kind),
	       eg_forest_n_trees(new->forest),
	       (unsigned long long)gen);
	sd_notify(0, "READY=1");
}

static void refresh_mic(struct daemon *d, const struct eg_runtime *rt)
{
	struct eg_mic_stats ms;
	int s = eg_mic_refresh(rt->mic);

	if (s < 0) {
		if (!d->mic_in_error) {
			eg_mic_stats_get(rt->mic, &ms);
			eg_log(LOG_WARNING, "microphone source unreadable (%s): "
			       "assuming %s", strerror(-s),
			       ms.state ? "listening" : "muted");
		}
		d->mic_in_error = true;
		return;
	}
	if (d->mic_in_error)
		eg_log(LOG_NOTICE, "microphone source readable again");
	d->mic_in_error = false;
	if (s != d->last_mic)
		eg_events_mic(s);
	d->last_mic = s;
}

static void log_uploads(struct daemon *d, const struct eg_runtime *rt,
			uint64_t now)
{
	struct eg_upload_event ev;

	for (unsigned i = 0; i < d->n_workers; i++)
		while (eg_events_upload_pop(&d->workers[i].uploads, &ev))
			eg_events_upload_journal(&d->upload_bucket, &ev,
						 mode_name(rt), now);
	d->totals.upload_events_logged = d->upload_bucket.logged;
	d->totals.upload_events_suppressed = d->upload_bucket.suppressed;
}

static void log_drops(struct daemon *d, const struct eg_runtime *rt,
		      uint64_t now)
{
	double rate = rt->cfg.log.drop_event_rate;
	struct eg_drop_event ev;
	bool want = rt->cfg.log.level >= LOG_DEBUG && rate > 0;

	d->tokens += rate * (double)(now - d->tokens_ns) / 1e9;
	if (d->tokens > rate)
		d->tokens = rate;
	d->tokens_ns = now;
	for (unsigned i = 0; i < d->n_workers; i++) {
		while (eg_worker_pop_drop(&d->workers[i], &ev)) {
			if (!want)
				continue;
			if (d->tokens < 1) {
				d->totals.drop_events_suppressed++;
				continue;
			}
			d->tokens -= 1;
			d->totals.drop_events_logged++;
			eg_stats_drop_event(&ev);
		}
	}
}

static void collect(struct daemon *d, const struct eg_runtime *rt,
		    uint64_t now)
{
	d->totals.uptime_ns = now - d->start_ns;
	eg_stats_collect(d->workers, d->n_workers, rt->mic, &d->totals);
	eg_budget_stats_get(rt->budget, &d->totals.budget);
}

static void periodic(struct daemon *d, uint64_t now)
{
	struct eg_runtime *rt = current(d);
	char status[512];

	log_drops(d, rt, now);
	log_uploads(d, rt, now);
	if (d->next_mic_ns && now >= d->next_mic_ns) {
		refresh_mic(d, rt);
		d->next_mic_ns = now + eg_mic_poll_interval_ms(rt->mic) *
			1000000ull;
	}
	if (now >= d->next_status_ns) {
		collect(d, rt, now);
		eg_stats_status(&d->totals, status, sizeof(status));
		eg_runtime_status_model(rt, status, sizeof(status));
		sd_notifyf(0, "STATUS=%s", status);
		d->next_status_ns = now + 1000000000ull;
	}
	if (rt->cfg.daemon.stats_interval && now >= d->next_stats_ns) {
		collect(d, rt, now);
		eg_stats_journal(&d->totals,
				 rt->cfg.policy.mode == EG_MODE_MONITOR ?
				 "monitor" : "enforce", rt->model.path,
				 eg_model_kind_name(rt->model.kind), d->queues);
		d->next_stats_ns = now + rt->cfg.daemon.stats_interval *
			1000000000ull;
	}
	watchdog(d, now, rt);
}

static void schedule_mic(struct daemon *d, uint64_t now)
{
	uint32_t ms = eg_mic_poll_interval_ms(current(d)->mic);

	d->next_mic_ns = ms ? now + ms * 1000000ull : 0;
}

/* The main thread's loop; returns the exit status. */
static int run(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	uint64_t now;
	int r;

	for (;;) {
		struct eg_runtime *rt = current(d);
		int mfd = eg_mic_fd(rt->mic);
		nfds_t n = 1;

		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (mfd >= 0) {
			pfd[1] = (struct pollfd){ .fd = mfd,
						  .events = eg_mic_events(rt->mic) };
			n = 2;
		}
		r = poll(pfd, n, MAIN_TICK_MS);
		if (r < 0 && errno != EINTR) {
			eg_log(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		now = eg_now_ns();
		if (r > 0 && n == 2 && pfd[1].revents)
			refresh_mic(d, rt);
		if (r > 0 && (pfd[0].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				eg_log(LOG_INFO, "SIGHUP: reloading");
				reload(d);
				schedule_mic(d, now);
			} else {
				eg_log(LOG_INFO, "%s: draining and exiting",
				       strsignal((int)si.ssi_signo));
				return 0;
			}
		}
		for (unsigned i = 0; i < d->n_workers; i++) {
			r = __atomic_load_n(&d->workers[i].failed,
					    __ATOMIC_ACQUIRE);
			if (r < 0) {
				eg_log(LOG_ERR, "queue %u: receive failed: %s",
				       d->workers[i].queue, strerror(-r));
				return 1;
			}
		}
		periodic(d, now);
	}
}

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Options into d; returns -1 to go on, else the exit status. */
static int parse_options(struct daemon *d, int argc, char **argv,
			 bool *ret_foreground)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool check = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:fVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->config_path = optarg; break;
		case 'f': *ret_foreground = true; break;
		case 'C': check = true; break;
		case 'V': printf("echoguardd %s\n", EG_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "echoguardd: unexpected argument \"%s\"\n",
			argv[optind]);
		return EXIT_CONFIG;
	}
	/* Without -c the default file is read when it exists, else the
	 * built-in defaults apply (docs/config.md). */
	if (!d->config_path && access(EG_CONFIG_DEFAULT_PATH, F_OK) == 0)
		d->config_path = EG_CONFIG_DEFAULT_PATH;
	return check ? check_config(d->config_path) : -1;
}

/* After the queues and the microphone are open: one capability, the
 * configured user (privs.h). */
static int drop_privileges(const struct eg_runtime *rt)
{
	struct eg_privs p;
	char err[512];
	int r;

	r = eg_privs_drop(rt->cfg.daemon.user, &p, err, sizeof(err));
	if (r < 0) {
		eg_log(LOG_ERR, "%s", err);
		return r;
	}
	eg_log(LOG_INFO, "running as uid %u gid %u%s, capabilities "
	       "effective %#llx permitted %#llx bounding %#llx",
	       (unsigned)p.uid, (unsigned)p.gid, p.switched ? " (switched)" :
	       "", p.cap_eff, p.cap_prm, p.cap_bnd);
	return 0;
}

/* Queues, privileges, threads, watchdog; the exit status on failure
 * (-1: running). */
static int start(struct daemon *d, struct eg_runtime *rt)
{
	int r;

	d->start_ns = eg_now_ns();
	r = open_queues(d, rt);
	/* Unreadable after the drop; not fatal (EG_KERNEL_QUEUES says). */
	(void)eg_kstat_hold(EG_KSTAT_PATH);
	if (r == 0)
		r = drop_privileges(rt);
	if (r == 0)
		r = start_threads(d);
	if (r < 0) {
		stop_workers(d);
		sd_notifyf(0, "STATUS=failed to start\nERRNO=%d", -r);
		return r == -ENOENT ? EXIT_CONFIG : 1;
	}
	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	d->next_stats_ns = d->start_ns + rt->cfg.daemon.stats_interval *
		1000000000ull;
	d->tokens_ns = d->start_ns;
	schedule_mic(d, d->start_ns);
	log_run(d, rt, "start");
	sd_notifyf(0, "READY=1\nSTATUS=running on queues %s", d->queues);
	return -1;
}

/* Drain, log the last entry, free. */
static void finish(struct daemon *d)
{
	struct eg_runtime *rt = current(d);
	struct eg_kstat kernel;
	unsigned kernel_queues;

	sd_notify(0, "STOPPING=1\nSTATUS=draining");
	/* The kernel forgets a queue when its socket closes: the exit entry
	 * carries the kernel's counters as read just before. */
	collect(d, rt, eg_now_ns());
	kernel = d->totals.kernel;
	kernel_queues = d->totals.kernel_queues_seen;
	stop_workers(d);
	collect(d, rt, eg_now_ns());
	d->totals.kernel = kernel;
	d->totals.kernel_queues_seen = kernel_queues;
	log_drops(d, rt, eg_now_ns());
	log_uploads(d, rt, eg_now_ns());
	eg_stats_journal(&d->totals, rt->cfg.policy.mode == EG_MODE_MONITOR ?
			 "monitor" : "enforce", rt->model.path,
			 eg_model_kind_name(rt->model.kind), d->queues);
	eg_log(LOG_INFO, "stopped");
	free(d->workers);
	eg_runtime_free(rt);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	bool foreground = false;
	struct eg_runtime *rt;
	char err[8192];
	int r, sfd, status;

	r = parse_options(&d, argc, argv, &foreground);
	if (r >= 0)
		return r;
	eg_log_setup(foreground || !eg_log_stderr_is_journal(), LOG_INFO);
	r = eg_runtime_new(d.config_path, 1, &rt, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		if (!eg_log_to_stderr())
			eg_log(LOG_ERR, "%s", err);
		return EXIT_CONFIG;
	}
	eg_log_set_level(rt->cfg.log.level);
	eg_runtime_warn_model(rt);
	atomic_store(&d.current, rt);
	format_queues(&rt->cfg, d.queues, sizeof(d.queues));
	d.last_mic = eg_mic_get(rt->mic);
	d.totals.generation = 1;
	sfd = setup_signals();
	if (sfd < 0) {
		eg_log(LOG_ERR, "signalfd: %s", strerror(-sfd));
		return 1;
	}
	status = start(&d, rt);
	if (status >= 0)
		return status;
	status = run(&d, sfd);
	finish(&d);
	close(sfd);
	return status;
}
