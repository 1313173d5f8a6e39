/* SPDX-License-Identifier: MIT */
/*
 * device.c: guess the device of a capture (device.h). Offline only: one
 * allocation per call (a set of flow hashes), none per packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/offline/capture.h"
#include "echoguard/offline/device.h"
#include "echoguard/net/packet.h"
#include "echoguard/net/tls.h"

#define SET_SLOTS 16384u        /* flow hashes; more flows are not counted */
#define SET_PROBE 64
#define MAX_ADDRS 32

struct cand {
	uint8_t a[16];
	uint8_t version;
	unsigned flows;
};

/* Is addr local (see device.h)? */
bool eg_addr_is_local(int ip_version, const uint8_t addr[16])
{
	const uint8_t *a = addr;

	if (ip_version == 4)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 169 && a[1] == 254);
	if (ip_version == 6)
		return (a[0] & 0xfe) == 0xfc ||
		       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
	return false;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* Direction-free hash of a TCP 5-tuple (never 0). */
static uint64_t tuple_hash(const struct eg_packet *p)
{
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = h1;

	h1 = hash_bytes(h1, p->src, 16);
	h1 = hash_bytes(h1, (const uint8_t *)&p->sport, 2);
	h2 = hash_bytes(h2, p->dst, 16);
	h2 = hash_bytes(h2, (const uint8_t *)&p->dport, 2);
	return (h1 ^ h2) | 1;
}

/* Insert h; true when it was new (a full probe window counts as seen). */
static bool set_add(uint64_t *set, uint64_t h)
{
	unsigned probe, s;

	for (probe = 0; probe < SET_PROBE; probe++) {
		s = (unsigned)(h + probe) & (SET_SLOTS - 1);
		if (set[s] == h)
			return false;
		if (set[s] == 0) {
			set[s] = h;
			return true;
		}
	}
	return false;
}

static void count(struct cand *c, unsigned *n, int version, const uint8_t *a)
{
	unsigned i;

	if (!eg_addr_is_local(version, a))
		return;
	for (i = 0; i < *n; i++)
		if (c[i].version == version && !memcmp(c[i].a, a, 16)) {
			c[i].flows++;
			return;
		}
	if (*n == MAX_ADDRS)
		return;
	memcpy(c[*n].a, a, 16);
	c[*n].version = (uint8_t)version;
	c[*n].flows = 1;
	(*n)++;
}

/* Pick the device of a capture; see device.h. */
int eg_device_guess(const char *path, uint8_t ret_addr[16], int *ret_version,
		    char *err, size_t errlen)
{
	struct cand c[MAX_ADDRS];
	unsigned n = 0, i, best = 0, bi = 0;
	struct eg_capture *cap;
	struct eg_frame fr;
	uint64_t *set;
	char rerr[256];
	int r;

	r = eg_capture_open(path, &cap, err, errlen);
	if (r < 0)
		return r;
	set = calloc(SET_SLOTS, sizeof(*set));
	if (!set) {
		eg_capture_free(cap);
		return -ENOMEM;
	}
	while (eg_capture_next(cap, &fr, rerr, sizeof(rerr)) == 1) {
		struct eg_packet p;

		if (eg_packet_parse_frame(fr.linktype, fr.data, fr.caplen, fr.len,
					  &p) < 0 || !eg_packet_is_tcp(&p) ||
		    p.payload_caplen < 5 ||
		    !eg_tls_header_plausible(p.payload, p.payload_caplen) ||
		    !set_add(set, tuple_hash(&p)))
			continue;
		count(c, &n, p.ip_version, p.src);
		count(c, &n, p.ip_version, p.dst);
	}
	free(set);
	eg_capture_free(cap);
	for (i = 0; i < n; i++)
		if (c[i].flows > best) {
			best = c[i].flows;
			bi = i;
		}
	if (best == 0)
		return 0;
	memcpy(ret_addr, c[bi].a, 16);
	*ret_version = c[bi].version;
	return (int)best;
}
