/* SPDX-License-Identifier: MIT */
/*
 * model.c: the model file (docs/model-format.md): write, read, validate.
 *
 * Little-endian throughout. The reader trusts nothing: every count is
 * bounded by the bytes that remain, every section carries a CRC-32, and the
 * trees then go through eg_forest_finish (indices, cycles, thresholds,
 * probabilities). Covered by tests/unit/test-model.c and
 * tests/fuzz/fuzz-model.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "echoguard/forest/train.h"
#include "forest-internal.h"

#define MAGIC "EGFOREST"
#define FORMAT_VERSION 1
#define MAX_FILE (1u << 30)
#define MAX_TREES (1u << 20)

/* --- writer ------------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t s[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(b, s, 4);
}

static void put_f32(struct buf *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	put_u32(b, u);
}

static void put_f64(struct buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, 8);
	put_u32(b, (uint32_t)u);
	put_u32(b, (uint32_t)(u >> 32));
}

static void put_str(struct buf *b, const char *s)
{
	size_t n = strnlen(s, EG_NAME_MAX);

	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

/* Sections: tag, length, CRC of the payload, payload. */
static size_t section_begin(struct buf *b, const char *tag)
{
	size_t at;

	put(b, tag, 4);
	at = b->len;
	put_u32(b, 0);
	put_u32(b, 0);
	return at;
}

static void section_end(struct buf *b, size_t at)
{
	uint32_t len, crc;

	if (b->err)
		return;
	len = (uint32_t)(b->len - at - 8);
	crc = eg_crc32(b->p + at + 8, len);
	for (int i = 0; i < 4; i++) {
		b->p[at + i] = (uint8_t)(len >> (8 * i));
		b->p[at + 4 + i] = (uint8_t)(crc >> (8 * i));
	}
}

int eg_forest_serialize(const struct eg_forest *f, uint8_t **ret,
			size_t *ret_len)
{
	struct buf b = { 0 };
	unsigned i, t;
	size_t at;

	put(&b, MAGIC, 8);
	put_u32(&b, FORMAT_VERSION);
	put_u32(&b, 4 + f->n_trees); /* sections */

	at = section_begin(&b, "SCHM");
	put_str(&b, f->schema_name);
	put_u32(&b, f->schema_version);
	put_u32(&b, f->n_features);
	for (i = 0; i < f->n_features; i++)
		put_str(&b, f->feature_names[i]);
	section_end(&b, at);

	at = section_begin(&b, "CLAS");
	put_u32(&b, f->n_classes);
	for (i = 0; i < f->n_classes; i++)
		put_str(&b, f->class_names[i]);
	section_end(&b, at);

	at = section_begin(&b, "FRST");
	put_u32(&b, f->n_trees);
	for (i = 0; i < f->n_features; i++)
		put_f64(&b, f->importances[i]);
	put_str(&b, ""); /* reserved */
	section_end(&b, at);

	for (t = 0; t < f->n_trees; t++) {
		const struct eg_rawtree *tr = &f->trees[t];

		at = section_begin(&b, "TREE");
		put_u32(&b, tr->n_nodes);
		put_u32(&b, tr->n_leaves);
		for (i = 0; i < tr->n_nodes; i++) {
			put_u32(&b, (uint32_t)tr->nodes[i].feature);
			put_f32(&b, tr->nodes[i].threshold);
			put_u32(&b, tr->nodes[i].left);
			put_u32(&b, tr->nodes[i].right);
		}
		for (i = 0; i < tr->n_leaves * f->n_classes; i++)
			put_f64(&b, tr->leaf_proba[i]);
		section_end(&b, at);
	}

	at = section_begin(&b, "META");
	put(&b, eg_forest_meta(f), strlen(eg_forest_meta(f)));
	section_end(&b, at);

	if (b.err) {
		free(b.p);
		return b.err;
	}
	*ret = b.p;
	*ret_len = b.len;
	return 0;
}

int eg_forest_save(const struct eg_forest *f, const char *path, char *err,
		   size_t errlen)
{
	uint8_t *p = NULL;
	size_t len = 0, off = 0;
	char tmp[4096];
	int fd, r;

	r = eg_forest_serialize(f, &p, &len);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	(void)fchmod(fd, 0644);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		(void)unlink(tmp);
	}
out:
	free(p);
	return r;
}

/* --- reader ------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	const char *name;
	char *err;
	size_t errlen;
	int bad;
};

static int fail(struct rd *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct rd *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r->bad) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (r->err && r->errlen)
			snprintf(r->err, r->errlen, "%s: %s", r->name, msg);
	}
	r->bad = 1;
	return -EBADMSG;
}

static int need(struct rd *r, size_t n, const char *what)
{
	if (r->bad)
		return -EBADMSG;
	if (n > r->len - r->off)
		return fail(r, "truncated at byte %zu reading %s", r->off, what);
	return 0;
}

static uint32_t get_u32(struct rd *r, const char *what)
{
	const uint8_t *s;

	if (need(r, 4, what) < 0)
		return 0;
	s = r->p + r->off;
	r->off += 4;
	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
	       (uint32_t)s[3] << 24;
}

static float get_f32(struct rd *r, const char *what)
{
	uint32_t u = get_u32(r, what);
	float v;

	memcpy(&v, &u, 4);
	return v;
}

static double get_f64(struct rd *r, const char *what)
{
	uint64_t lo = get_u32(r, what), hi = get_u32(r, what);
	uint64_t u = lo | hi << 32;
	double v;

	memcpy(&v, &u, 8);
	return v;
}

/* A name: printable ASCII/UTF-8, no control bytes, <= EG_NAME_MAX. */
static char *get_str(struct rd *r, const char *what, int allow_empty)
{
	uint32_t n = get_u32(r, what);
	char *s;
	uint32_t i;

	if (r->bad)
		return NULL;
	if (n > EG_NAME_MAX || (!n && !allow_empty)) {
		fail(r, "%s: length %u outside [1, %d]", what, n, EG_NAME_MAX);
		return NULL;
	}
	if (need(r, n, what) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (r->p[r->off + i] < 0x20 || r->p[r->off + i] == 0x7f) {
			fail(r, "%s: control byte in a name", what);
			return NULL;
		}
	s = malloc(n + 1);
	if (!s) {
		fail(r, "out of memory");
		return NULL;
	}
	memcpy(s, r->p + r->off, n);
	s[n] = 0;
	r->off += n;
	return s;
}

/* Open a section: check tag, bounds and CRC; returns its end offset. */
static size_t open_section(struct rd *r, const char *tag, unsigned idx)
{
	uint32_t len, crc;
	char got[5] = { 0 };

	if (need(r, 12, "a section header") < 0)
		return 0;
	memcpy(got, r->p + r->off, 4);
	if (memcmp(got, tag, 4)) {
		for (int i = 0; i < 4; i++)
			if (got[i] < 0x20 || got[i] > 0x7e)
				got[i] = '?';
		fail(r, "section %u: expected %s, found \"%s\"", idx, tag, got);
		return 0;
	}
	r->off += 4;
	len = get_u32(r, "a section length");
	crc = get_u32(r, "a section CRC");
	if (need(r, len, tag) < 0)
		return 0;
	if (eg_crc32(r->p + r->off, len) != crc) {
		fail(r, "section %u (%s): CRC mismatch", idx, tag);
		return 0;
	}
	return r->off + len;
}

static void close_section(struct rd *r, size_t end, const char *tag)
{
	if (!r->bad && r->off != end)
		fail(r, "section %s: %zu bytes left over", tag, end - r->off);
}

static int read_tree(struct rd *r, struct eg_forest *f, unsigned t)
{
	struct eg_rawtree *tr = &f->trees[t];
	size_t end = open_section(r, "TREE", 3 + t), i, room;

	if (r->bad)
		return -EBADMSG;
	tr->n_nodes = get_u32(r, "node count");
	tr->n_leaves = get_u32(r, "leaf count");
	if (r->bad)
		return -EBADMSG;
	room = end - r->off;
	if (tr->n_nodes == 0 || tr->n_leaves == 0 ||
	    tr->n_nodes > room / 16 ||
	    tr->n_leaves > room / 8 / f->n_classes ||
	    (size_t)tr->n_nodes * 16 +
	    (size_t)tr->n_leaves * 8 * f->n_classes != room)
		return fail(r, "tree %u: %u nodes and %u leaves do not fit "
			    "its %zu bytes", t, tr->n_nodes, tr->n_leaves, room);
	tr->nodes = malloc((size_t)tr->n_nodes * sizeof(*tr->nodes));
	tr->leaf_proba = malloc((size_t)tr->n_leaves * f->n_classes *
				sizeof(double));
	if (!tr->nodes || !tr->leaf_proba)
		return fail(r, "out of memory");
	for (i = 0; i < tr->n_nodes; i++) {
		tr->nodes[i].feature = (int32_t)get_u32(r, "node");
		tr->nodes[i].threshold = get_f32(r, "node");
		tr->nodes[i].left = get_u32(r, "node");
		tr->nodes[i].right = get_u32(r, "node");
	}
	for (i = 0; i < (size_t)tr->n_leaves * f->n_classes; i++)
		tr->leaf_proba[i] = get_f64(r, "leaf");
	close_section(r, end, "TREE");
	return r->bad ? -EBADMSG : 0;
}

static char **read_names(struct rd *r, unsigned n, const char *what)
{
	char **v = calloc(n, sizeof(*v));
	unsigned i, j;

	if (!v) {
		fail(r, "out of memory");
		return NULL;
	}
	for (i = 0; i < n && !r->bad; i++) {
		v[i] = get_str(r, what, 0);
		for (j = 0; v[i] && j < i; j++)
			if (!strcmp(v[i], v[j]))
				fail(r, "%s \"%s\" appears twice", what, v[i]);
	}
	if (r->bad) {
		eg_strv_free(v, n);
		return NULL;
	}
	return v;
}

static int check_schema(struct rd *r, const struct eg_forest *f,
			const struct eg_schema *s)
{
	char scratch[8];
	unsigned i;

	if (!s)
		return 0;
	if (!r->err || !r->errlen) {
		r->err = scratch;
		r->errlen = sizeof(scratch);
	}
	if (strcmp(f->schema_name, s->name))
		goto mismatch;
	if (f->schema_version != s->version) {
		snprintf(r->err, r->errlen, "%s: model schema %s version %u, "
			 "running features are version %u", r->name,
			 f->schema_name, f->schema_version, s->version);
		return -EPROTO;
	}
	if (f->n_features != s->n) {
		snprintf(r->err, r->errlen, "%s: model has %u features, "
			 "schema %s has %u", r->name, f->n_features, s->name,
			 s->n);
		return -EPROTO;
	}
	for (i = 0; i < s->n; i++)
		if (strcmp(f->feature_names[i], s->names[i])) {
			snprintf(r->err, r->errlen, "%s: feature %u is \"%s\" "
				 "in the model, \"%s\" in schema %s", r->name,
				 i, f->feature_names[i], s->names[i], s->name);
			return -EPROTO;
		}
	return 0;
mismatch:
	snprintf(r->err, r->errlen, "%s: model was trained on feature schema "
		 "\"%s\", the running feature set is \"%s\"", r->name,
		 f->schema_name, s->name);
	return -EPROTO;
}

static int parse(struct rd *r, const struct eg_schema *schema,
		 struct eg_forest **ret)
{
	struct eg_forest *f = NULL;
	char *sname = NULL, **fnames = NULL, **cnames = NULL;
	uint32_t ver, sver, nsec, nf = 0, nc = 0, nt, i;
	size_t end;
	int rc = -EBADMSG;

	if (r->len < 8 || memcmp(r->p, MAGIC, 8))
		return fail(r, "not an echoguard model (bad magic)");
	r->off = 8;
	ver = get_u32(r, "version");
	nsec = get_u32(r, "section count");
	if (!r->bad && ver != FORMAT_VERSION)
		return fail(r, "format version %u, this build reads %u", ver,
			    FORMAT_VERSION);
	if (r->bad)
		return -EBADMSG;

	end = open_section(r, "SCHM", 0);
	sname = get_str(r, "schema name", 0);
	sver = get_u32(r, "schema version");
	nf = get_u32(r, "feature count");
	if (!r->bad && (nf == 0 || nf > EG_CN_FEAT_MASK + 1))
		fail(r, "feature count %u outside [1, %u]", nf,
		     EG_CN_FEAT_MASK + 1);
	if (!r->bad)
		fnames = read_names(r, nf, "feature name");
	close_section(r, end, "SCHM");

	end = open_section(r, "CLAS", 1);
	nc = get_u32(r, "class count");
	if (!r->bad && (nc == 0 || nc > EG_MAX_CLASSES))
		fail(r, "class count %u outside [1, %d]", nc, EG_MAX_CLASSES);
	if (!r->bad)
		cnames = read_names(r, nc, "class name");
	close_section(r, end, "CLAS");

	end = open_section(r, "FRST", 2);
	nt = get_u32(r, "tree count");
	if (!r->bad && (nt == 0 || nt > MAX_TREES))
		fail(r, "tree count %u outside [1, %u]", nt, MAX_TREES);
	if (!r->bad && nsec != nt + 4)
		fail(r, "%u sections announced, %u trees need %u", nsec, nt,
		     nt + 4);
	if (r->bad)
		goto out;
	if (eg_forest_alloc(sname, sver, nf, (const char *const *)fnames, nc,
			    (const char *const *)cnames, nt, &f) < 0) {
		fail(r, "out of memory");
		goto out;
	}
	for (i = 0; i < nf; i++)
		f->importances[i] = get_f64(r, "importances");
	free(get_str(r, "reserved", 1));
	close_section(r, end, "FRST");

	for (i = 0; i < nt && !r->bad; i++)
		read_tree(r, f, i);

	end = open_section(r, "META", 3 + nt);
	if (!r->bad) {
		f->meta = malloc(end - r->off + 1);
		if (!f->meta) {
			fail(r, "out of memory");
			goto out;
		}
		memcpy(f->meta, r->p + r->off, end - r->off);
		f->meta[end - r->off] = 0;
		if (strlen(f->meta) != end - r->off)
			fail(r, "metadata holds a NUL byte");
		r->off = end;
	}
	if (!r->bad && r->off != r->len)
		fail(r, "%zu bytes after the last section", r->len - r->off);
	if (r->bad)
		goto out;
	{
		char why[256] = "";

		rc = eg_forest_finish(f, why, sizeof(why));
		if (rc < 0) {
			if (rc == -EBADMSG)
				fail(r, "%s", why);
			else
				fail(r, "%s", strerror(-rc));
			goto out;
		}
	}
	rc = check_schema(r, f, schema);
	if (rc < 0)
		goto out;
	*ret = f;
	f = NULL;
	rc = 0;
out:
	free(sname);
	eg_strv_free(fnames, nf);
	eg_strv_free(cnames, nc);
	eg_forest_free(f);
	return rc;
}

int eg_forest_load_buffer(const uint8_t *buf, size_t len, const char *name,
			  const struct eg_schema *schema,
			  struct eg_forest **ret, char *err, size_t errlen)
{
	struct rd r = { buf, len, 0, name ? name : "model", err, errlen, 0 };

	if (err && errlen)
		err[0] = 0;
	return parse(&r, schema, ret);
}

int eg_forest_load(const char *path, const struct eg_schema *schema,
		   struct eg_forest **ret, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t off = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE) {
		r = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		snprintf(err, errlen, "%s: not a regular file of at most "
			 "1 GiB", path);
		goto out;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, p + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read: %s", path,
				 strerror(-r));
			goto out;
		}
		off += (size_t)n;
	}
	r = eg_forest_load_buffer(p, off, path, schema, ret, err, errlen);
out:
	free(p);
	close(fd);
	return r;
}
