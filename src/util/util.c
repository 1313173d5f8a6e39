/* SPDX-License-Identifier: MIT */
/*
 * util.c: the small helpers every layer shares: error text, a seedable
 * generator, name vectors, CRC-32. One copy each (they were four copies
 * of splitmix64 and two of the name-vector free). Covered by
 * tests/unit/test-util.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/util/util.h"

void eg_err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- random numbers ----------------------------------------------------- */

uint64_t eg_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void eg_rng_seed(struct eg_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = eg_splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t eg_rng_next(struct eg_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t eg_rng_below(struct eg_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift with rejection: unbiased. */
	unsigned __int128 m = (unsigned __int128)eg_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t t = -n % n;

		while (lo < t) {
			m = (unsigned __int128)eg_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double eg_rng_double(struct eg_rng *r)
{
	return (double)(eg_rng_next(r) >> 11) * 0x1.0p-53;
}

char *eg_strdup_max(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* --- strings ------------------------------------------------------------ */

void eg_strv_free(char **v, unsigned n)
{
	unsigned i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char **eg_strv_copy(const char *const *src, unsigned n, const char *pfx)
{
	char **v = calloc(n ? n : 1, sizeof(*v));
	char buf[32];
	unsigned i;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		if (src && src[i]) {
			v[i] = eg_strdup_max(src[i], EG_NAME_MAX);
		} else {
			snprintf(buf, sizeof(buf), "%s%u", pfx, i);
			v[i] = strdup(buf);
		}
		if (!v[i]) {
			eg_strv_free(v, i);
			return NULL;
		}
	}
	return v;
}

/* --- CRC-32 ------------------------------------------------------------- */

uint32_t eg_crc32(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	uint32_t c = 0xffffffffu;
	size_t i;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		uint32_t k, v;
		int j;

		for (k = 0; k < 256; k++) {
			v = k;
			for (j = 0; j < 8; j++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[k] = v;
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}
