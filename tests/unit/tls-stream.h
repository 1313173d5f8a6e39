/* SPDX-License-Identifier: MIT */
/*
 * tls-stream.h: a stream of TLS records with its ground truth (where each
 * record starts and ends, its type) for the TLS tracker tests
 * (test-tls.c, test-tls-order.c, test-tls-sni.c). One copy per program.
 */
#ifndef ECHOGUARD_TEST_TLS_STREAM_H
#define ECHOGUARD_TEST_TLS_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "echoguard/net/flow.h"
#include "echoguard/net/tls.h"
#include "tap.h"

/* --- a stream of records and its ground truth ------------------------ */

#define MAXREC 512
static uint8_t stream[1 << 20];
static uint32_t slen;
static uint32_t rstart[MAXREC], rend[MAXREC];
static uint8_t rtype[MAXREC];
static unsigned nrec;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static inline uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static inline uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static inline void reset_stream(void)
{
	slen = 0;
	nrec = 0;
}

/* Append a record: 5-byte header, random body (any bytes: the tracker
 * must not look inside records when it is in sync). */
static inline void add_rec(uint8_t type, uint16_t len)
{
	uint8_t *h = stream + slen;

	h[0] = type;
	h[1] = 3;
	h[2] = type == 22 ? 1 : 3;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
	for (uint32_t i = 0; i < len; i++)
		h[5 + i] = rnd8();
	rstart[nrec] = slen;
	rend[nrec] = slen + 5 + len;
	rtype[nrec] = type;
	nrec++;
	slen += 5 + len;
}

static inline void add_garbage(uint32_t n, uint8_t byte)
{
	memset(stream + slen, byte, n);
	slen += n;
}

static inline uint8_t type_at(uint32_t off)
{
	for (unsigned i = 0; i < nrec; i++)
		if (off >= rstart[i] && off < rend[i])
			return rtype[i];
	return 0;
}

static inline unsigned starts_in(uint32_t off, uint32_t n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nrec; i++)
		if (rstart[i] >= off && rstart[i] < off + n)
			k++;
	return k;
}

static inline struct eg_tls_seg deliver(struct eg_tls_dir *d, uint32_t isn,
				 uint32_t off, uint32_t n, bool retrans)
{
	struct eg_tls_seg s;

	CHECK_EQ(eg_tls_track(d, isn + off, stream + off, n, n, retrans, &s), 0);
	return s;
}

static inline void build_session(void)
{
	reset_stream();
	add_rec(22, 200);   /* ClientHello-sized handshake */
	stream[5] = 1;      /* handshake type: client_hello */
	add_rec(20, 1);     /* ChangeCipherSpec */
	add_rec(22, 40);    /* Finished */
	stream[rstart[2] + 5] = 20;
	add_rec(23, 3000);  /* spans several segments */
	add_rec(23, 46);    /* keep-alive-sized */
	for (int i = 0; i < 5; i++)
		add_rec(23, 118);
	add_rec(21, 26);
	add_rec(23, 1);
	add_rec(24, 20);
	add_rec(23, 16384 + 2048);
	add_rec(23, 7);
}

#endif
