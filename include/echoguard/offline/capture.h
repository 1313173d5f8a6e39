/* SPDX-License-Identifier: MIT */
/*
 * capture.h: reading capture files (pcap and pcapng) through libpcap.
 *
 * A thin, opaque wrapper: it hands out frames with their capture timestamp,
 * link type and lengths, counts them, and turns libpcap's errors (including
 * a truncated last record) into -errno plus a message naming the file and the
 * frame number. Frames point into libpcap's buffer and are valid until the
 * next call. Covered by tests/unit/test-capture.c, tests/fuzz/fuzz-capture.c.
 */
#ifndef ECHOGUARD_CAPTURE_H
#define ECHOGUARD_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct eg_capture;

struct eg_frame {
	uint64_t ts_ns;        /* capture time, ns since the Unix epoch */
	uint64_t index;        /* 1-based frame number, as Wireshark counts */
	int linktype;          /* LINKTYPE_* of the file (enum eg_linktype) */
	const uint8_t *data;
	uint32_t caplen;       /* bytes in data */
	uint32_t len;          /* bytes on the wire */
};

/*
 * Open a capture file. On failure returns -errno and writes a message
 * "PATH: reason" into err (errlen bytes, always terminated).
 */
int eg_capture_open(const char *path, struct eg_capture **ret, char *err,
		    size_t errlen);

/*
 * Next frame. Returns 1 and fills *ret; 0 at a clean end of file; -EIO (or
 * another -errno) on a read error or truncated record, with err set to
 * "PATH: frame N: reason". After an error the capture is at its end: the
 * frames before it were all delivered.
 */
int eg_capture_next(struct eg_capture *cap, struct eg_frame *ret, char *err,
		    size_t errlen);

/* Link type of the file (of its first interface for pcapng). */
int eg_capture_linktype(const struct eg_capture *cap);

/* "pcap" or "pcapng". */
const char *eg_capture_format(const struct eg_capture *cap);

/* Closes; accepts NULL; returns NULL. */
struct eg_capture *eg_capture_free(struct eg_capture *cap);

/*
 * Call fn for every capture file under path (a file is itself; a directory
 * is walked recursively, in sorted order, taking *.pcap, *.pcapng, *.cap and
 * files whose first bytes are a pcap/pcapng magic). Stops at the first
 * negative return of fn and returns it; -errno if a directory can't be read.
 */
int eg_capture_walk(const char *path,
		    int (*fn)(const char *file, void *userdata),
		    void *userdata);

#endif
