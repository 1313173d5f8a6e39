/* SPDX-License-Identifier: MIT */
/*
 * mic.h: the microphone state source, read off the packet path.
 *
 * A struct eg_mic holds the cached state in an atomic int: the per-packet
 * code calls eg_mic_get (one relaxed atomic load, any thread), and one
 * thread (the daemon's main loop) refreshes it, either when eg_mic_fd()
 * becomes readable for eg_mic_events() (edge-triggered sysfs GPIO, GPIO
 * character device line events) or every poll_interval_ms.
 *
 * Sources ([microphone] source): sysfs (a /sys/class/gpio/gpioN/value file;
 * edges through POLLPRI|POLLERR when its "edge" file is set, else polled),
 * gpiod (a line of a GPIO character device, through the kernel's uapi
 * ioctls in <linux/gpio.h>, no libgpiod), file (any file holding 0 or 1,
 * polled), fixed (a constant). active_low inverts the raw value. When the
 * source cannot be read the state becomes on_error (documented default:
 * muted, so uploads get blocked) and the failure is counted.
 *
 * Covered by tests/unit/test-mic.c.
 */
#ifndef ECHOGUARD_MIC_H
#define ECHOGUARD_MIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/verdict/config.h"

struct eg_mic;

struct eg_mic_stats {
	uint64_t reads;        /* refreshes that read the source */
	uint64_t errors;       /* refreshes that failed: on_error assumed */
	uint64_t changes;      /* state changes seen */
	int state;             /* 1 listening, 0 muted */
	bool in_error;         /* the last refresh failed */
	int last_error;        /* -errno of the last failure, 0 if none */
	bool edge;             /* eg_mic_fd() delivers edges */
};

/*
 * Open the source described by cfg and read it once. Returns 0 and *ret;
 * 1 and *ret when the source exists in the config but cannot be read now
 * (missing file, bad content, GPIO line busy): the state is on_error, err
 * says why (log it as a warning), and every refresh retries; -EINVAL with
 * err for an unusable config (no path for sysfs/file, no chip for gpiod),
 * -ENOMEM. Not starting over an unreadable mic would leave the queue to
 * the kernel's fail mode, which may let everything through.
 */
int eg_mic_new(const struct eg_config_mic *cfg, struct eg_mic **ret,
	       char *err, size_t errlen);
/* Closes the source; accepts NULL; returns NULL. */
struct eg_mic *eg_mic_free(struct eg_mic *m);

/* The cached state: 1 listening, 0 muted. Safe from any thread. */
int eg_mic_get(const struct eg_mic *m);

/*
 * Read the source now (call when the fd fired or the poll interval passed;
 * also consumes pending edge events). Returns the new state (0/1), or
 * -errno when the source could not be read, in which case the state is set
 * to on_error. One refreshing thread at a time.
 */
int eg_mic_refresh(struct eg_mic *m);

/* An fd to poll() for eg_mic_events(), or -1 when the source has no edges
 * (then refresh every eg_mic_poll_interval_ms()). The fd can change after
 * a refresh (a failed source is re-opened): ask again after each one. */
int eg_mic_fd(const struct eg_mic *m);
short eg_mic_events(const struct eg_mic *m);
/* 0 for fixed sources (nothing to poll). */
uint32_t eg_mic_poll_interval_ms(const struct eg_mic *m);

/* Override the state (tests, `replay --mic on|off`): the source becomes
 * fixed. Not concurrent with eg_mic_refresh. */
void eg_mic_set(struct eg_mic *m, int state);

void eg_mic_stats_get(const struct eg_mic *m, struct eg_mic_stats *ret);

#endif
