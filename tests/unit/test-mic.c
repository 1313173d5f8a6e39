/* SPDX-License-Identifier: MIT */
/*
 * test-mic.c: the microphone source on temporary files that behave like
 * /sys/class/gpio/gpioN/value ("0\n" / "1\n"): file and sysfs sources,
 * active_low, the on_error assumption and its counting, recovery, the
 * sysfs edge setup, fixed values and gpiod's failure on a missing chip.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/verdict/mic.h"
#include "tap.h"

static char dir[] = "/tmp/eg-test-mic-XXXXXX";

static void write_file(const char *name, const char *content)
{
	char path[256], tmp[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(tmp);
		exit(1);
	}
	if (rename(tmp, path) < 0) {
		perror(path);
		exit(1);
	}
}

static void cfg_for(struct eg_config_mic *c, enum eg_mic_source src,
		    const char *name)
{
	/* The documented defaults (test-config checks eg_config_default). */
	memset(c, 0, sizeof(*c));
	c->value = 1;
	c->on_error = 0;
	c->poll_interval_ms = 200;
	c->source = src;
	if (name)
		snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
}

static void test_file_source(void)
{
	struct eg_config_mic c;
	struct eg_mic_stats st;
	struct eg_mic *m = NULL;
	char err[256];

	write_file("value", "1\n");
	cfg_for(&c, EG_MIC_FILE, "value");
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 0);
	CHECK_EQ(eg_mic_get(m), 1);
	CHECK_EQ(eg_mic_fd(m), -1);            /* plain file: polled */
	CHECK_EQ(eg_mic_poll_interval_ms(m), 200);

	write_file("value", "0\n");
	CHECK_EQ(eg_mic_get(m), 1);            /* cached until refreshed */
	CHECK_EQ(eg_mic_refresh(m), 0);
	CHECK_EQ(eg_mic_get(m), 0);
	write_file("value", "1");              /* no newline is fine too */
	CHECK_EQ(eg_mic_refresh(m), 1);

	/* Unreadable: assume on_error (muted by default), count it. */
	write_file("value", "maybe\n");
	CHECK_EQ(eg_mic_refresh(m), -EBADMSG);
	CHECK_EQ(eg_mic_get(m), 0);
	unlink(c.path);
	CHECK_EQ(eg_mic_refresh(m), -ENOENT);
	eg_mic_stats_get(m, &st);
	CHECK_EQ(st.errors, 2);
	CHECK(st.in_error);
	CHECK_EQ(st.last_error, -ENOENT);
	CHECK_EQ(st.state, 0);

	/* Recovers by itself. */
	write_file("value", "1\n");
	CHECK_EQ(eg_mic_refresh(m), 1);
	eg_mic_stats_get(m, &st);
	CHECK(!st.in_error);
	CHECK_EQ(st.reads, 6);                 /* the open read counts too */
	/* 1 -> 0 -> 1 -> 0 (error) -> 1 */
	CHECK_EQ(st.changes, 4);
	m = eg_mic_free(m);
	CHECK(m == NULL);
}

static void test_active_low_and_on_error(void)
{
	struct eg_config_mic c;
	struct eg_mic *m = NULL;
	char err[256];

	write_file("low", "0\n");
	cfg_for(&c, EG_MIC_FILE, "low");
	c.active_low = true;
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 0);
	CHECK_EQ(eg_mic_get(m), 1);            /* raw 0 = listening */
	write_file("low", "1\n");
	CHECK_EQ(eg_mic_refresh(m), 0);
	eg_mic_free(m);

	/* on_error = listening is honoured (documented as less safe). */
	cfg_for(&c, EG_MIC_FILE, "absent");
	c.on_error = 1;
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 1);
	CHECK(strstr(err, "absent") != NULL);
	CHECK(strstr(err, "assuming listening") != NULL);
	CHECK_EQ(eg_mic_get(m), 1);
	eg_mic_free(m);

	/* Default on_error: muted, and the warning says so. */
	cfg_for(&c, EG_MIC_FILE, "absent");
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 1);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(strstr(err, "assuming muted") != NULL);
	CHECK_EQ(eg_mic_get(m), 0);
	/* The source appears later: picked up at the next refresh. */
	write_file("absent", "1\n");
	CHECK_EQ(eg_mic_refresh(m), 1);
	eg_mic_free(m);
}

static void test_sysfs_source(void)
{
	struct eg_config_mic c;
	struct eg_mic *m = NULL;
	char err[256], path[256], buf[16] = "";
	FILE *f;

	/* Without an "edge" file next to it: polled. */
	write_file("value", "0\n");
	cfg_for(&c, EG_MIC_SYSFS, "value");
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 0);
	CHECK_EQ(eg_mic_get(m), 0);
	CHECK_EQ(eg_mic_fd(m), -1);
	eg_mic_free(m);

	/* With edge = none, the source asks for both edges and polls the
	 * value fd for POLLPRI|POLLERR, like gpio-sysfs wants. */
	write_file("edge", "none\n");
	write_file("value", "1\n");
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 0);
	CHECK_EQ(eg_mic_get(m), 1);
	CHECK(eg_mic_fd(m) >= 0);
	CHECK_EQ(eg_mic_events(m), POLLPRI | POLLERR);
	snprintf(path, sizeof(path), "%s/edge", dir);
	f = fopen(path, "r");
	CHECK(f && fgets(buf, sizeof(buf), f));
	if (f)
		fclose(f);
	CHECK(strncmp(buf, "both", 4) == 0);
	/* The value fd stays open: a rename replaces the file under it, the
	 * open fd keeps reading the old inode, like a sysfs attribute would
	 * not; so rewrite in place to model the GPIO changing. */
	snprintf(path, sizeof(path), "%s/value", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
	CHECK_EQ(eg_mic_refresh(m), 0);
	/* Bad content drops the fd (re-opened at the next refresh). */
	f = fopen(path, "w");
	if (f) {
		fputs("2\n", f);
		fclose(f);
	}
	CHECK_EQ(eg_mic_refresh(m), -EBADMSG);
	CHECK_EQ(eg_mic_fd(m), -1);
	CHECK_EQ(eg_mic_get(m), 0);
	write_file("value", "1\n");
	CHECK_EQ(eg_mic_refresh(m), 1);
	CHECK(eg_mic_fd(m) >= 0);
	eg_mic_free(m);
	snprintf(path, sizeof(path), "%s/edge", dir);
	unlink(path);
}

static void test_fixed_and_config_errors(void)
{
	struct eg_config_mic c;
	struct eg_mic *m = NULL;
	char err[256];

	cfg_for(&c, EG_MIC_FIXED, NULL);
	c.value = 0;
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 0);
	CHECK_EQ(eg_mic_get(m), 0);
	CHECK_EQ(eg_mic_refresh(m), 0);
	CHECK_EQ(eg_mic_poll_interval_ms(m), 0);
	eg_mic_set(m, 1);
	CHECK_EQ(eg_mic_get(m), 1);
	eg_mic_free(m);

	m = NULL;
	cfg_for(&c, EG_MIC_SYSFS, NULL);
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), -EINVAL);
	CHECK(m == NULL);
	CHECK(strstr(err, "[microphone] path") != NULL);
	cfg_for(&c, EG_MIC_GPIOD, NULL);
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "[microphone] chip") != NULL);

	/* A chip that does not exist: degraded (muted), named in the warning. */
	snprintf(c.chip, sizeof(c.chip), "gpiochip-eg-test-none");
	c.line = 3;
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 1);
	CHECK(strstr(err, "/dev/gpiochip-eg-test-none line 3") != NULL);
	CHECK_EQ(eg_mic_get(m), 0);
	CHECK_EQ(eg_mic_refresh(m), -ENOENT);
	CHECK_EQ(eg_mic_fd(m), -1);
	eg_mic_free(m);

	/* A device that is not a GPIO chip: the line request ioctl fails. */
	snprintf(c.chip, sizeof(c.chip), "/dev/null");
	CHECK_EQ(eg_mic_new(&c, &m, err, sizeof(err)), 1);
	CHECK(strstr(err, "/dev/null line 3") != NULL);
	CHECK_EQ(eg_mic_refresh(m), -ENOTTY);
	CHECK_EQ(eg_mic_get(m), 0);
	eg_mic_free(m);
	CHECK(eg_mic_free(NULL) == NULL);
}

int main(void)
{
	char path[256];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_file_source();
	test_active_low_and_on_error();
	test_sysfs_source();
	test_fixed_and_config_errors();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return eg_test_done();
}
