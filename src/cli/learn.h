/* SPDX-License-Identifier: MIT */
/*
 * learn.h: `echoguard learn`, a model fitted to this home (docs/learn.md).
 * Private to the cli: cmd-learn.c dispatches to the steps.
 *
 *   record   learn-record.c: a ring of captures of the device and the
 *            microphone timeline, while the daemon runs (monitor mode)
 *   fit      learn-fit.c, learn-score.c: label without the owner (voice-
 *            shaped uploads, the microphone timeline), train on the
 *            bundled data and the home's, compare with the running model
 *            on the held-back last part (docs/learn.md)
 *   install  learn-install.c: install the fitted model (the old one is
 *            kept), SIGHUP the daemon; rollback
 *
 * The recording directory (DIR) holds:
 *   seg-EPOCH.pcap      one capture per segment (EPOCH: its first second,
 *                       ten digits, so names sort by time); the segment
 *                       being written is seg-EPOCH.pcap.part
 *   mic.csv             the microphone timeline: "EPOCH.mmm,STATE" lines
 *                       (STATE 1 listening, 0 muted; a line at start and
 *                       one per change; "#" lines are comments)
 *   recording.txt       key=value: version, devices, interface, started,
 *                       segment seconds, max_disk bytes, poll_ms
 */
#ifndef ECHOGUARD_CLI_LEARN_H
#define ECHOGUARD_CLI_LEARN_H

int learn_record(int argc, char **argv);
int learn_fit(int argc, char **argv);
int learn_install(int argc, char **argv);
int learn_rollback(int argc, char **argv);

#endif
