/* SPDX-License-Identifier: MIT */
/*
 * fuzz-capture.c: libFuzzer target over the capture reader.
 *
 * The input is written to a file (an in-memory memfd, reached by its
 * /proc/self/fd path, so nothing touches the disk), opened with
 * eg_capture_open, read to the end with eg_capture_next, and every frame
 * parsed with eg_packet_parse_frame, then fed to one engine (a small flow
 * table) with the file's own timestamps: whatever a capture says (0,
 * UINT64_MAX, backwards, equal; pcapng if_tsresol of any value) is what
 * the flow table and the features get, as in `echoguard extract` (the
 * flow-table crash of issue 11 was an all-UINT64_MAX capture). Checked:
 * frame numbers count up from 1, caplen fits the data, an error message
 * names the file, and after an error or the end the reader stays at its
 * end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "echoguard/engine/engine.h"
#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void write_input(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (fd < 0) {
		fd = memfd_create("eg-fuzz-capture", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eg_capture *cap = NULL;
	struct eg_frame f;
	struct eg_packet p;
	char err[512];
	uint64_t n = 0;
	int r;

	static struct eg_pkt_info info;
	struct eg_engine_params params;
	struct eg_engine *e = NULL;

	write_input(data, size);
	r = eg_capture_open(path, &cap, err, sizeof(err));
	if (r < 0) {
		if (cap || strncmp(err, path, strlen(path)) != 0)
			abort();
		return 0;
	}
	eg_engine_params_default(&params);
	params.flow.capacity = 16;
	params.flow.max_probe = 4;
	params.features = size & 1 ? EG_FEATURES_FLOW : EG_FEATURES_SEED;
	if (eg_engine_new(&params, &e) < 0)
		abort();
	(void)eg_capture_format(cap);
	while ((r = eg_capture_next(cap, &f, err, sizeof(err))) == 1) {
		if (f.index != ++n || (f.caplen && !f.data))
			abort();
		r = eg_packet_parse_frame(f.linktype, f.data, f.caplen, f.len,
					  &p);
		if (p.payload && p.payload + p.payload_caplen >
					 f.data + f.caplen)
			abort();
		(void)eg_engine_process(e, f.linktype, f.data, f.caplen, f.len,
					f.ts_ns, (int)(n & 1), &info);
		if (info.n_features > EG_FEAT_MAX)
			abort();
		if ((f.ts_ns & 0xff) == 0xff)
			eg_engine_tick(e, f.ts_ns);
	}
	if (r < 0 && strncmp(err, path, strlen(path)) != 0)
		abort();
	if (eg_capture_next(cap, &f, err, sizeof(err)) != 0)
		abort();
	eg_capture_free(cap);
	eg_engine_free(e);
	return 0;
}
