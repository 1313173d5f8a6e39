/* SPDX-License-Identifier: MIT */
/*
 * capture.c: pcap and pcapng files through libpcap, and the directory walk
 * that finds them.
 *
 * libpcap does the reading (pcap_fopen_offline_with_tstamp_precision with
 * nanosecond precision, so nanosecond pcap files keep their digits); this
 * file adds frame numbers, link types in LINKTYPE_* numbering, and error
 * messages that name the file and the frame. Covered by
 * tests/unit/test-capture.c and tests/fuzz/fuzz-capture.c.
 */
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"

#define WALK_MAX_DEPTH 64 /* deeper trees are refused with -ELOOP */

struct eg_capture {
	pcap_t *pcap;
	uint64_t index;     /* frames delivered so far */
	int linktype;       /* LINKTYPE_* */
	bool ng;            /* pcapng */
	bool done;          /* end of file or after an error */
	char path[];
};

/* The magic of a capture file's first 4 bytes: 1 pcap, 2 pcapng, 0 none. */
static int magic_kind(const uint8_t m[4])
{
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
		     (uint32_t)m[2] << 8 | m[3];

	switch (v) {
	case 0xa1b2c3d4: /* microseconds, either byte order */
	case 0xd4c3b2a1:
	case 0xa1b23c4d: /* nanoseconds */
	case 0x4d3cb2a1:
		return 1;
	case 0x0a0d0d0a: /* section header block, same in both orders */
		return 2;
	default:
		return 0;
	}
}

/* libpcap hands out DLT_* values; the frames carry LINKTYPE_* values. */
static int dlt_to_linktype(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
		return EG_LINK_RAW;
#ifdef DLT_LOOP
	case DLT_LOOP:
		return 108; /* LINKTYPE_LOOP */
#endif
	default:
		return dlt;
	}
}

static void set_err(char *err, size_t errlen, const char *path,
		    const char *reason)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, reason);
}

/*
 * Open path. The file is opened once with fopen so the magic can be seen
 * (for eg_capture_format and a clear message for non-captures), then handed
 * to libpcap, which closes it with pcap_close.
 */
int eg_capture_open(const char *path, struct eg_capture **ret, char *err,
		    size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct eg_capture *cap;
	uint8_t magic[4];
	size_t n, plen = strlen(path);
	FILE *f;
	int r, kind;

	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		set_err(err, errlen, path, strerror(errno));
		return r;
	}
	n = fread(magic, 1, sizeof(magic), f);
	if (ferror(f)) {
		r = errno ? -errno : -EIO;
		set_err(err, errlen, path, strerror(-r));
		fclose(f);
		return r;
	}
	if (n == 0 || (kind = n == 4 ? magic_kind(magic) : 0) == 0) {
		set_err(err, errlen, path,
			n == 0 ? "empty file, not a capture" :
				 "not a pcap or pcapng file (unknown magic)");
		fclose(f);
		return -EINVAL;
	}
	rewind(f);
	cap = calloc(1, sizeof(*cap) + plen + 1);
	if (!cap) {
		set_err(err, errlen, path, "out of memory");
		fclose(f);
		return -ENOMEM;
	}
	memcpy(cap->path, path, plen + 1);
	cap->pcap = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (!cap->pcap) {
		/* libpcap closes nothing on failure */
		fclose(f);
		set_err(err, errlen, path, pcap_err[0] ? pcap_err :
			"libpcap refused the file");
		free(cap);
		return -EINVAL;
	}
	cap->ng = kind == 2;
	cap->linktype = dlt_to_linktype(pcap_datalink(cap->pcap));
	*ret = cap;
	return 0;
}

int eg_capture_next(struct eg_capture *cap, struct eg_frame *ret, char *err,
		    size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	char reason[PCAP_ERRBUF_SIZE + 32];
	int r;

	if (cap->done)
		return 0;
	r = pcap_next_ex(cap->pcap, &hdr, &data);
	if (r == 1) {
		cap->index++;
		ret->ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u +
			     (uint64_t)hdr->ts.tv_usec; /* ns: see open */
		ret->index = cap->index;
		ret->linktype = cap->linktype;
		ret->data = data;
		ret->caplen = hdr->caplen;
		ret->len = hdr->len;
		return 1;
	}
	cap->done = true;
	if (r == PCAP_ERROR_BREAK)
		return 0;
	snprintf(reason, sizeof(reason), "frame %llu: %s",
		 (unsigned long long)cap->index + 1, pcap_geterr(cap->pcap));
	set_err(err, errlen, cap->path, reason);
	return -EIO;
}

int eg_capture_linktype(const struct eg_capture *cap)
{
	return cap->linktype;
}

const char *eg_capture_format(const struct eg_capture *cap)
{
	return cap->ng ? "pcapng" : "pcap";
}

struct eg_capture *eg_capture_free(struct eg_capture *cap)
{
	if (!cap)
		return NULL;
	pcap_close(cap->pcap);
	free(cap);
	return NULL;
}

/* Taken by name: *.pcap, *.pcapng, *.cap (any case). */
static bool has_capture_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcasecmp(dot, ".pcap") || !strcasecmp(dot, ".pcapng") ||
		       !strcasecmp(dot, ".cap"));
}

/* Taken by content: starts with a pcap or pcapng magic. */
static bool has_capture_magic(const char *path)
{
	uint8_t m[4];
	FILE *f = fopen(path, "rb");
	bool ok;

	if (!f)
		return false;
	ok = fread(m, 1, 4, f) == 4 && magic_kind(m) != 0;
	fclose(f);
	return ok;
}

/* Byte order, not the locale's collation: the same order everywhere. */
static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* The directories above the one being walked: a symlink back to one of
 * them is skipped instead of walked forever. */
struct ancestor {
	dev_t dev;
	ino_t ino;
	const struct ancestor *up;
};

static bool is_ancestor(const struct ancestor *a, const struct stat *st)
{
	for (; a; a = a->up)
		if (a->dev == st->st_dev && a->ino == st->st_ino)
			return true;
	return false;
}

static int walk(const char *path, const struct ancestor *up, int depth,
		int (*fn)(const char *file, void *userdata), void *userdata)
{
	struct dirent **list = NULL;
	size_t plen = strlen(path);
	const char *sep = plen && path[plen - 1] == '/' ? "" : "/";
	int n, i, r = 0;

	if (depth > WALK_MAX_DEPTH)
		return -ELOOP;
	n = scandir(path, &list, skip_dots, name_cmp);
	if (n < 0)
		return -errno;
	for (i = 0; i < n && r >= 0; i++) {
		size_t len = plen + strlen(list[i]->d_name) + 2;
		char *child = malloc(len);
		struct stat st;

		if (!child) {
			r = -ENOMEM;
			break;
		}
		snprintf(child, len, "%s%s%s", path, sep, list[i]->d_name);
		if (stat(child, &st) < 0) {
			; /* a dangling link: not a capture */
		} else if (S_ISDIR(st.st_mode)) {
			struct ancestor me = { st.st_dev, st.st_ino, up };

			if (!is_ancestor(up, &st))
				r = walk(child, &me, depth + 1, fn, userdata);
		} else if (S_ISREG(st.st_mode) &&
			   (has_capture_ext(list[i]->d_name) ||
			    has_capture_magic(child))) {
			r = fn(child, userdata);
		}
		free(child);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return r < 0 ? r : 0;
}

int eg_capture_walk(const char *path,
		    int (*fn)(const char *file, void *userdata),
		    void *userdata)
{
	struct ancestor top = { 0 };
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		r = fn(path, userdata);
		return r < 0 ? r : 0;
	}
	top.dev = st.st_dev;
	top.ino = st.st_ino;
	return walk(path, &top, 0, fn, userdata);
}
