/* SPDX-License-Identifier: MIT */
/*
 * mic.c: the microphone state source (mic.h).
 *
 * One thread refreshes, any thread reads the cached state. A source that
 * cannot be read (missing file, bad content, GPIO line busy) is not fatal:
 * the state becomes on_error, the failure is counted, and the next refresh
 * tries again (re-opening the source). Failing to start instead would leave
 * the queue to the kernel's fail mode, which with fail = open lets
 * everything through: the opposite of what a privacy filter should do.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "echoguard/verdict/mic.h"

struct eg_mic {
	atomic_int state;                 /* read by every packet thread */
	struct eg_config_mic cfg;
	int fd;                           /* sysfs value / GPIO line; -1 */
	bool edge;
	short events;
	/* Written by the refreshing thread, read by stats readers. */
	atomic_uint_fast64_t reads, errors, changes;
	atomic_int last_error;
	atomic_bool in_error;
};

static void close_fd(struct eg_mic *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->edge = false;
	m->events = 0;
}

/* "0" or "1", optionally surrounded by white space (sysfs adds "\n"). */
static int parse_value(const char *buf, ssize_t n)
{
	ssize_t i = 0;
	int v;

	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			 buf[i] == '\r'))
		i++;
	if (i >= n || (buf[i] != '0' && buf[i] != '1'))
		return -EBADMSG;
	v = buf[i++] - '0';
	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			 buf[i] == '\r'))
		i++;
	return i == n ? v : -EBADMSG;
}

static int read_value_fd(int fd)
{
	char buf[16];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return parse_value(buf, n);
}

/*
 * A sysfs GPIO value file delivers edges (POLLPRI|POLLERR) when the "edge"
 * file next to it is not "none". Ask for "both"; if that is refused or the
 * file is not there (a plain file), the source is polled instead.
 */
static bool sysfs_setup_edge(const char *value_path)
{
	char path[PATH_MAX], buf[16];
	const char *slash = strrchr(value_path, '/');
	int fd, len = slash ? (int)(slash - value_path) : 0;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%.*s%sedge", len, value_path,
		     slash ? "/" : "") >= (int)sizeof(path))
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0 && strncmp(buf, "none", 4) == 0) {
		if (lseek(fd, 0, SEEK_SET) < 0 || write(fd, "both", 4) != 4)
			n = -1;
		else if (lseek(fd, 0, SEEK_SET) == 0)
			n = read(fd, buf, sizeof(buf) - 1);
	}
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return !strncmp(buf, "both", 4) || !strncmp(buf, "rising", 6) ||
	       !strncmp(buf, "falling", 7);
}

static int sysfs_read(struct eg_mic *m)
{
	int v;

	if (m->fd < 0) {
		m->fd = open(m->cfg.path, O_RDONLY | O_CLOEXEC);
		if (m->fd < 0)
			return -errno;
		m->edge = sysfs_setup_edge(m->cfg.path);
		m->events = m->edge ? POLLPRI | POLLERR : 0;
	}
	/* Reading from offset 0 also re-arms the edge notification. */
	v = read_value_fd(m->fd);
	if (v < 0)
		close_fd(m);
	return v;
}

/* A plain file is opened each time: writers may replace it by rename. */
static int file_read(struct eg_mic *m)
{
	int fd = open(m->cfg.path, O_RDONLY | O_CLOEXEC), v;

	if (fd < 0)
		return -errno;
	v = read_value_fd(fd);
	close(fd);
	return v;
}

static void chip_path(const char *chip, char *buf, size_t len)
{
	if (strchr(chip, '/'))
		snprintf(buf, len, "%s", chip);
	else
		snprintf(buf, len, "/dev/%s", chip);
}

/* Request the line as an input with both edges (GPIO uapi v2); without
 * edge support, as a plain input that is polled. */
static int gpiod_request(struct eg_mic *m)
{
	struct gpio_v2_line_request req;
	char path[PATH_MAX];
	int chip, r, flags;

	chip_path(m->cfg.chip, path, sizeof(path));
	chip = open(path, O_RDONLY | O_CLOEXEC);
	if (chip < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.offsets[0] = m->cfg.line;
	req.num_lines = 1;
	snprintf(req.consumer, sizeof(req.consumer), "echoguard");
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT |
			   GPIO_V2_LINE_FLAG_EDGE_RISING |
			   GPIO_V2_LINE_FLAG_EDGE_FALLING;
	m->edge = true;
	r = ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req);
	if (r < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		req.config.flags = GPIO_V2_LINE_FLAG_INPUT;
		m->edge = false;
		r = ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req);
	}
	r = r < 0 ? -errno : 0;
	close(chip);
	if (r < 0) {
		m->edge = false;
		return r;
	}
	m->fd = req.fd;
	flags = fcntl(m->fd, F_GETFL);
	if (flags >= 0)
		(void)fcntl(m->fd, F_SETFL, flags | O_NONBLOCK);
	m->events = m->edge ? POLLIN : 0;
	return 0;
}

static int gpiod_read(struct eg_mic *m)
{
	struct gpio_v2_line_values vals = { .mask = 1 };
	struct gpio_v2_line_event ev[16];
	int r;

	if (m->fd < 0) {
		r = gpiod_request(m);
		if (r < 0)
			return r;
	}
	/* Consume queued edge events: the value read below is what counts. */
	while (m->edge && read(m->fd, ev, sizeof(ev)) > 0)
		;
	if (ioctl(m->fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &vals) < 0) {
		r = -errno;
		close_fd(m);
		return r;
	}
	return (int)(vals.bits & 1);
}

static int read_source(struct eg_mic *m)
{
	switch (m->cfg.source) {
	case EG_MIC_SYSFS:
		return sysfs_read(m);
	case EG_MIC_FILE:
		return file_read(m);
	case EG_MIC_GPIOD:
		return gpiod_read(m);
	case EG_MIC_FIXED:
		return !!m->cfg.value;
	}
	return -EINVAL;
}

static void set_state(struct eg_mic *m, int s)
{
	if (atomic_exchange(&m->state, s) != s)
		atomic_fetch_add(&m->changes, 1);
}

int eg_mic_refresh(struct eg_mic *m)
{
	int raw, s;

	if (m->cfg.source == EG_MIC_FIXED)
		return eg_mic_get(m);
	atomic_fetch_add(&m->reads, 1);
	raw = read_source(m);
	if (raw < 0) {
		atomic_fetch_add(&m->errors, 1);
		atomic_store(&m->last_error, raw);
		atomic_store(&m->in_error, true);
		set_state(m, !!m->cfg.on_error);
		return raw;
	}
	s = raw ^ (m->cfg.active_low ? 1 : 0);
	atomic_store(&m->in_error, false);
	set_state(m, s);
	return s;
}

static const char *source_what(const struct eg_config_mic *c, char *buf,
			       size_t len)
{
	if (c->source == EG_MIC_GPIOD) {
		char path[PATH_MAX];

		chip_path(c->chip, path, sizeof(path));
		snprintf(buf, len, "%s line %u", path, c->line);
	} else {
		snprintf(buf, len, "%s", c->path);
	}
	return buf;
}

int eg_mic_new(const struct eg_config_mic *cfg, struct eg_mic **ret,
	       char *err, size_t errlen)
{
	struct eg_mic *m;
	char what[PATH_MAX + 32];
	int r;

	if (errlen)
		err[0] = 0;
	if ((cfg->source == EG_MIC_SYSFS || cfg->source == EG_MIC_FILE) &&
	    !cfg->path[0]) {
		snprintf(err, errlen, "[microphone] path: required with this "
			 "source");
		return -EINVAL;
	}
	if (cfg->source == EG_MIC_GPIOD && !cfg->chip[0]) {
		snprintf(err, errlen, "[microphone] chip: required with source "
			 "= gpiod");
		return -EINVAL;
	}
	if ((unsigned)cfg->source > EG_MIC_FIXED) {
		snprintf(err, errlen, "[microphone] source: unknown");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cfg = *cfg;
	m->fd = -1;
	atomic_init(&m->state, cfg->source == EG_MIC_FIXED ? !!cfg->value :
		    !!cfg->on_error);
	r = eg_mic_refresh(m);
	/* Not counted as a change: the first value is not an edge. */
	atomic_store(&m->changes, 0);
	*ret = m;
	if (r < 0) {
		snprintf(err, errlen, "microphone %s: %s; assuming %s until it "
			 "can be read", source_what(cfg, what, sizeof(what)),
			 r == -EBADMSG ? "does not hold 0 or 1" : strerror(-r),
			 cfg->on_error ? "listening" : "muted");
		return 1;
	}
	return 0;
}

struct eg_mic *eg_mic_free(struct eg_mic *m)
{
	if (!m)
		return NULL;
	close_fd(m);
	free(m);
	return NULL;
}

int eg_mic_get(const struct eg_mic *m)
{
	return atomic_load_explicit(&((struct eg_mic *)m)->state,
				    memory_order_relaxed);
}

int eg_mic_fd(const struct eg_mic *m)
{
	return m->edge ? m->fd : -1;
}

short eg_mic_events(const struct eg_mic *m)
{
	return m->edge ? m->events : 0;
}

uint32_t eg_mic_poll_interval_ms(const struct eg_mic *m)
{
	return m->cfg.source == EG_MIC_FIXED ? 0 : m->cfg.poll_interval_ms;
}

void eg_mic_set(struct eg_mic *m, int state)
{
	close_fd(m);
	m->cfg.source = EG_MIC_FIXED;
	m->cfg.value = !!state;
	atomic_store(&m->in_error, false);
	set_state(m, !!state);
}

void eg_mic_stats_get(const struct eg_mic *m, struct eg_mic_stats *ret)
{
	struct eg_mic *mm = (struct eg_mic *)m;

	memset(ret, 0, sizeof(*ret));
	ret->reads = atomic_load(&mm->reads);
	ret->errors = atomic_load(&mm->errors);
	ret->changes = atomic_load(&mm->changes);
	ret->state = eg_mic_get(m);
	ret->in_error = atomic_load(&mm->in_error);
	ret->last_error = atomic_load(&mm->last_error);
	ret->edge = m->edge;
}
