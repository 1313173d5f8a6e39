/* SPDX-License-Identifier: MIT */
/*
 * util.h: the helpers every layer shares (src/util/util.c): error text, a
 * seedable generator, name vectors, CRC-32. Nothing here allocates except
 * the name vectors, and nothing logs.
 */
#ifndef ECHOGUARD_UTIL_UTIL_H
#define ECHOGUARD_UTIL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Names (features, classes, schemas) are cut at this many bytes. */
#define EG_NAME_MAX 255

/* printf into err (errlen bytes, terminated); nothing when err is NULL. */
void eg_err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* splitmix64 (Steele, Lea, Flood): advances *state, returns the next
 * output. Seeds the generators and the flow table's hash keys. */
uint64_t eg_splitmix64(uint64_t *state);

/* A tiny, fast, seedable generator (xoshiro256**). */
struct eg_rng {
	uint64_t s[4];
};
void eg_rng_seed(struct eg_rng *r, uint64_t seed, uint64_t stream);
uint64_t eg_rng_next(struct eg_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t eg_rng_below(struct eg_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double eg_rng_double(struct eg_rng *r);

/* A copy of s cut at max bytes; NULL on allocation failure. */
char *eg_strdup_max(const char *s, size_t max);
/* Copies of n names, each cut at EG_NAME_MAX; a NULL list or entry becomes
 * "<pfx><index>". NULL on allocation failure (nothing leaked). */
char **eg_strv_copy(const char *const *src, unsigned n, const char *pfx);
/* Frees n names and the array; accepts NULL. */
void eg_strv_free(char **v, unsigned n);

/* CRC-32 (IEEE, as zlib): the model file's sections. */
uint32_t eg_crc32(const uint8_t *p, size_t n);

#endif
