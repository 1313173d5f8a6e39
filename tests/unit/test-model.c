/* SPDX-License-Identifier: MIT */
/*
 * test-model.c: the model file. Save/load round trip; every truncation,
 * every single-byte flip, and targeted semantic corruptions (with the CRC
 * repaired, so the structural validation itself is exercised): child
 * indices out of range, backwards (cycles) or shared, feature indices
 * outside the schema, NaN and infinite thresholds, bad or non-normalised
 * probabilities, shared leaves, wrong counts. All refused, none crashes
 * (run under ASan in CI).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"
#include "tap.h"

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (j = 0; j < 8; j++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Offset of the n-th section header with tag (0-based among equal tags). */
static size_t find_section(const uint8_t *b, size_t len, const char *tag,
			   unsigned nth)
{
	size_t off = 16;

	while (off + 12 <= len) {
		if (!memcmp(b + off, tag, 4) && nth-- == 0)
			return off;
		off += 12 + rd32(b + off + 4);
	}
	return 0;
}

static void fix_crc(uint8_t *b, size_t sec)
{
	wr32(b + sec + 8, crc32_ref(b + sec + 12, rd32(b + sec + 4)));
}

static struct eg_forest *small_forest(void)
{
	static const char *const cls[] = { "ack", "expected", "justified" };
	static const char *const feats[] = { "length", "delta", "dstport" };
	struct eg_dataset *d = NULL;
	struct eg_forest *f = NULL;
	struct eg_train_params p;
	struct eg_rng r;
	char err[256];
	unsigned i;

	eg_dataset_new(3, feats, 3, cls, &d);
	eg_dataset_set_schema(d, "seed", 1);
	eg_rng_seed(&r, 3, 3);
	for (i = 0; i < 400; i++) {
		unsigned y = (unsigned)eg_rng_below(&r, 3);
		float x[3] = { (float)(y * 100 + eg_rng_below(&r, 150)),
			       (float)eg_rng_double(&r), 443 };

		eg_dataset_add(d, x, y, NULL);
	}
	eg_train_params_default(&p);
	p.trees = 3;
	p.max_depth = 4;
	if (eg_train(d, NULL, 0, &p, &f, err, sizeof(err)) < 0)
		fprintf(stderr, "train: %s\n", err);
	eg_forest_set_meta(f, "{\"test\": true}");
	eg_dataset_free(d);
	return f;
}

static int load(const uint8_t *b, size_t len, char *err, size_t errlen)
{
	struct eg_forest *f = NULL;
	int r = eg_forest_load_buffer(b, len, "m.egm", NULL, &f, err, errlen);

	if (r == 0)
		CHECK(f != NULL);
	else
		CHECK(f == NULL);
	eg_forest_free(f);
	return r;
}

static void test_round_trip(struct eg_forest *f, const uint8_t *b, size_t len)
{
	char path[] = "/tmp/eg-test-model-XXXXXX", err[512];
	struct eg_forest *g = NULL;
	uint8_t *b2 = NULL;
	size_t len2 = 0;
	struct eg_rng r;
	unsigned i, c;
	int fd = mkstemp(path);

	close(fd);
	CHECK_EQ(eg_forest_save(f, path, err, sizeof(err)), 0);
	CHECK_EQ(eg_forest_load(path, eg_forest_n_features(f) ? NULL : NULL,
				&g, err, sizeof(err)), 0);
	unlink(path);
	if (!g)
		return;
	CHECK_EQ(eg_forest_serialize(g, &b2, &len2), 0);
	CHECK(len2 == len && memcmp(b, b2, len) == 0);
	CHECK_STREQ(eg_forest_meta(g), "{\"test\": true}");
	CHECK_STREQ(eg_forest_schema_name(g), "seed");
	CHECK_EQ(eg_forest_schema_version(g), 1);
	CHECK_STREQ(eg_forest_class_name(g, 2), "justified");
	CHECK_STREQ(eg_forest_feature_name(g, 1), "delta");
	eg_rng_seed(&r, 1, 1);
	for (i = 0; i < 2000; i++) {
		float x[3] = { (float)eg_rng_below(&r, 400),
			       (float)eg_rng_double(&r), 443 }, p1[3], p2[3];

		CHECK_EQ(eg_forest_predict(f, x, p1), eg_forest_predict(g, x, p2));
		for (c = 0; c < 3; c++)
			CHECK(p1[c] == p2[c]);
	}
	free(b2);
	eg_forest_free(g);
	CHECK_EQ(eg_forest_load("/nonexistent/m.egm", NULL, &g, err,
				sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/m.egm") != NULL);
}

static void test_schema_check(const uint8_t *b, size_t len)
{
	static const char *const names[] = { "length", "delta", "dstport" };
	static const char *const other[] = { "length", "delta", "ttl" };
	struct eg_schema s = { "seed", 1, 3, names };
	struct eg_forest *f = NULL;
	char err[512];

	CHECK_EQ(eg_forest_load_buffer(b, len, "m", &s, &f, err, sizeof(err)), 0);
	f = eg_forest_free(f);
	s.name = "flow";
	CHECK_EQ(eg_forest_load_buffer(b, len, "m", &s, &f, err, sizeof(err)),
		 -EPROTO);
	CHECK(strstr(err, "\"seed\"") && strstr(err, "\"flow\""));
	s.name = "seed";
	s.version = 2;
	CHECK_EQ(eg_forest_load_buffer(b, len, "m", &s, &f, err, sizeof(err)),
		 -EPROTO);
	CHECK(strstr(err, "version") != NULL);
	s.version = 1;
	s.names = other;
	CHECK_EQ(eg_forest_load_buffer(b, len, "m", &s, &f, err, sizeof(err)),
		 -EPROTO);
	CHECK(strstr(err, "\"dstport\"") && strstr(err, "\"ttl\""));
	s.n = 2;
	CHECK_EQ(eg_forest_load_buffer(b, len, "m", &s, &f, err, sizeof(err)),
		 -EPROTO);
	CHECK(f == NULL);
}

static void test_truncations_and_flips(const uint8_t *b, size_t len)
{
	uint8_t *c = malloc(len);
	unsigned refused = 0, i;
	char err[512];
	size_t n;

	for (n = 0; n < len; n++) {
		memcpy(c, b, n);
		if (load(c, n, err, sizeof(err)) == -EBADMSG)
			refused++;
		else
			fprintf(stderr, "    prefix of %zu bytes accepted\n", n);
	}
	CHECK_EQ(refused, len);
	/* A truncation at each section boundary names the section. */
	for (i = 0; i < 4; i++) {
		static const char *const tags[] = { "SCHM", "CLAS", "FRST", "TREE" };
		size_t at = find_section(b, len, tags[i], 0);

		CHECK(at > 0);
		memcpy(c, b, at + 20);
		CHECK_EQ(load(c, at + 20, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "m.egm: truncated") != NULL);
	}
	refused = 0;
	for (n = 0; n < len; n++) {
		memcpy(c, b, len);
		c[n] ^= 0x5a;
		if (load(c, len, err, sizeof(err)) < 0)
			refused++;
		else
			fprintf(stderr, "    flip at byte %zu accepted\n", n);
	}
	CHECK_EQ(refused, len);
	/* Trailing garbage. */
	{
		uint8_t *l = malloc(len + 1);

		memcpy(l, b, len);
		l[len] = 0;
		CHECK_EQ(load(l, len + 1, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "after the last section") != NULL);
		free(l);
	}
	free(c);
}

/* Corrupt field at byte `rel` of the first TREE payload (node k at 8 + 16k:
 * feature, threshold, left, right; leaves after the nodes), repair CRC. */
static void corrupt_tree(const uint8_t *b, size_t len, size_t rel,
			 const void *val, size_t vlen, const char *expect)
{
	uint8_t *c = malloc(len);
	size_t sec = find_section(b, len, "TREE", 0);
	char err[512] = "";

	memcpy(c, b, len);
	memcpy(c + sec + 12 + rel, val, vlen);
	fix_crc(c, sec);
	CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, expect) != NULL);
	if (!strstr(err, expect))
		fprintf(stderr, "    got \"%s\", wanted \"%s\"\n", err, expect);
	free(c);
}

static void test_semantic(const struct eg_forest *f, const uint8_t *b,
			  size_t len)
{
	const struct eg_rawtree *t = &f->trees[0];
	size_t leaves = 8 + 16 * (size_t)t->n_nodes;
	uint32_t u, inner = 0, leaf = 0, i;
	float nan = NAN, inf = INFINITY;
	double d;

	/* The first inner node and the first leaf of tree 0. */
	while (t->nodes[inner].feature < 0)
		inner++;
	while (t->nodes[leaf].feature >= 0)
		leaf++;
	CHECK(t->n_nodes >= 3);

	u = t->n_nodes;
	corrupt_tree(b, len, 8 + 16 * inner + 8, &u, 4, "out of range");
	u = inner;      /* a node its own child: a cycle */
	corrupt_tree(b, len, 8 + 16 * inner + 8, &u, 4, "backwards");
	u = t->nodes[inner].left; /* both children the same node: shared */
	corrupt_tree(b, len, 8 + 16 * inner + 12, &u, 4, "shared");
	u = 3;          /* the schema has 3 features: 0..2 */
	corrupt_tree(b, len, 8 + 16 * inner, &u, 4, "outside the schema");
	u = 0xfffffff0u;
	corrupt_tree(b, len, 8 + 16 * inner, &u, 4, "outside the schema");
	corrupt_tree(b, len, 8 + 16 * inner + 4, &nan, 4, "not finite");
	corrupt_tree(b, len, 8 + 16 * inner + 4, &inf, 4, "not finite");
	u = t->n_leaves;
	corrupt_tree(b, len, 8 + 16 * leaf + 8, &u, 4, "leaf index");
	/* Point the first leaf at another leaf's probabilities. */
	for (i = leaf + 1; i < t->n_nodes; i++)
		if (t->nodes[i].feature < 0)
			break;
	u = t->nodes[i].left;
	corrupt_tree(b, len, 8 + 16 * leaf + 8, &u, 4, "shared");
	d = 1.5;
	corrupt_tree(b, len, leaves, &d, 8, "not in [0, 1]");
	d = -0.0001;
	corrupt_tree(b, len, leaves, &d, 8, "not in [0, 1]");
	d = NAN;
	corrupt_tree(b, len, leaves, &d, 8, "not in [0, 1]");
	/* Shift one class's mass away: the sum is no longer 1. */
	memcpy(&d, &t->leaf_proba[0], 8);
	d = d > 0.5 ? d - 0.25 : d + 0.25;
	corrupt_tree(b, len, leaves, &d, 8, "sum to");
	u = t->n_nodes + 1;
	corrupt_tree(b, len, 0, &u, 4, "do not fit");
	u = 0;
	corrupt_tree(b, len, 4, &u, 4, "do not fit");

	/* Header level: magic, version, counts. */
	{
		uint8_t *c = malloc(len);
		char err[512];
		size_t sec;

		memcpy(c, b, len);
		c[0] = 'X';
		CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "bad magic") != NULL);
		memcpy(c, b, len);
		wr32(c + 8, 2);
		CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "format version 2") != NULL);
		memcpy(c, b, len);
		sec = find_section(c, len, "FRST", 0);
		wr32(c + sec + 12, 1000); /* tree count */
		fix_crc(c, sec);
		CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
		memcpy(c, b, len);
		sec = find_section(c, len, "CLAS", 0);
		wr32(c + sec + 12, 0);
		fix_crc(c, sec);
		CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "class count 0") != NULL);
		memcpy(c, b, len);
		sec = find_section(c, len, "CLAS", 0);
		c[sec + 12 + 4 + 4 + 1] = '\n'; /* "a\nk" */
		fix_crc(c, sec);
		CHECK_EQ(load(c, len, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "control byte") != NULL);
		free(c);
	}
}

int main(void)
{
	struct eg_forest *f = small_forest();
	uint8_t *b = NULL;
	size_t len = 0;

	CHECK(f != NULL);
	if (!f)
		return eg_test_done();
	CHECK_EQ(eg_forest_serialize(f, &b, &len), 0);
	CHECK(len > 100);
	test_round_trip(f, b, len);
	test_schema_check(b, len);
	test_truncations_and_flips(b, len);
	test_semantic(f, b, len);
	free(b);
	eg_forest_free(f);
	return eg_test_done();
}
