/* SPDX-License-Identifier: MIT */
/*
 * fuzz-model: the model loader on arbitrary bytes. Through a file (the
 * daemon's path, eg_forest_load) and from memory. A model that loads must
 * predict without faults and survive a save/load round trip unchanged.
 * Random mutations rarely keep a section's CRC-32 right, so each input is
 * tried a second time with every CRC repaired: that way the fuzzer reaches
 * the structural validation (counts, indices, cycles, probabilities).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rewrite the CRC of every section whose length fits in the buffer. */
static void repair_crcs(uint8_t *b, size_t n)
{
	size_t off = 16;

	while (off + 12 <= n) {
		uint32_t len = b[off + 4] | b[off + 5] << 8 | b[off + 6] << 16 |
			       (uint32_t)b[off + 7] << 24, crc;

		if (len > n - off - 12)
			break;
		crc = eg_crc32(b + off + 12, len);
		b[off + 8] = (uint8_t)crc;
		b[off + 9] = (uint8_t)(crc >> 8);
		b[off + 10] = (uint8_t)(crc >> 16);
		b[off + 11] = (uint8_t)(crc >> 24);
		off += 12 + (size_t)len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct eg_forest *f = NULL, *g = NULL;
	float x[4096], proba[EG_MAX_CLASSES];
	uint8_t *b = NULL;
	size_t len = 0;
	char err[512];
	FILE *fp;
	int fd, r;

	snprintf(path, sizeof(path), "/tmp/fuzz-model-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	fp = fdopen(fd, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	r = eg_forest_load(path, NULL, &f, err, sizeof(err));
	unlink(path);
	if (r == 0) {
		unsigned i, n = eg_forest_n_features(f);

		for (i = 0; i < n; i++)
			x[i] = (float)(i * 37 % 1500);
		(void)eg_forest_predict(f, x, proba);
		if (eg_forest_serialize(f, &b, &len) == 0) {
			if (eg_forest_load_buffer(b, len, "round trip", NULL,
						  &g, err, sizeof(err)) < 0)
				abort(); /* what we write we must read */
			eg_forest_free(g);
			free(b);
		}
		eg_forest_free(f);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	f = NULL;
	b = malloc(size ? size : 1);
	if (!b)
		return 0;
	memcpy(b, data, size);
	repair_crcs(b, size);
	if (eg_forest_load_buffer(b, size, "mem", NULL, &f, err,
				  sizeof(err)) == 0) {
		unsigned i, n = eg_forest_n_features(f);

		for (i = 0; i < n; i++)
			x[i] = (float)(i * 53 % 700);
		(void)eg_forest_predict(f, x, proba);
		eg_forest_free(f);
	} else if (!err[0]) {
		abort();
	}
	free(b);
	return 0;
}
