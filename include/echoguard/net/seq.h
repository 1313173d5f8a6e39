/* SPDX-License-Identifier: MIT */
/*
 * seq.h: TCP sequence-number arithmetic (RFC 1982 serial numbers, 32 bits),
 * shared by the flow table and TLS record tracking. Covered by
 * tests/unit/test-flow.c.
 */
#ifndef ECHOGUARD_NET_SEQ_H
#define ECHOGUARD_NET_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Serial-number comparison: is a before b (RFC 1982, 32 bits)? */
static inline bool eg_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool eg_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}


/* A half-open range of sequence numbers [start, end). */
struct eg_seq_range { uint32_t start, end; };

#endif
