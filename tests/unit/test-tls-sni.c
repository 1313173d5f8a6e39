/* SPDX-License-Identifier: MIT */
/*
 * test-tls-sni.c: ClientHello SNI extraction (and every truncation and
 * corruption of the hello), HTTP detection.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tls-stream.h"

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A ClientHello as a TLS 1.3 client sends it; returns its size and where
 * the server_name extension ends. */
static size_t build_hello(uint8_t *b, const char *name, size_t *sni_end)
{
	size_t n = 0, rec_len_at, hs_len_at, ext_len_at, ext_start;
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0xc02b,
					   0xc02f, 0xc02c, 0xc030, 0x009c };

	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 1;
	rec_len_at = n;
	n += 2;
	b[n++] = 1;                         /* client_hello */
	hs_len_at = n;
	n += 3;
	b[n++] = 3;
	b[n++] = 3;                         /* legacy_version */
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();            /* random */
	b[n++] = 32;                        /* session id */
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();
	n += put16(b + n, sizeof(suites));
	for (size_t i = 0; i < sizeof(suites) / 2; i++)
		n += put16(b + n, suites[i]);
	b[n++] = 1;
	b[n++] = 0;                         /* compression: null */
	ext_len_at = n;
	n += 2;
	ext_start = n;
	/* supported_groups */
	n += put16(b + n, 10);
	n += put16(b + n, 6);
	n += put16(b + n, 4);
	n += put16(b + n, 0x001d);
	n += put16(b + n, 0x0017);
	/* ec_point_formats */
	n += put16(b + n, 11);
	n += put16(b + n, 2);
	b[n++] = 1;
	b[n++] = 0;
	if (name) {
		size_t l = strlen(name);

		n += put16(b + n, 0);
		n += put16(b + n, (unsigned)(l + 5));
		n += put16(b + n, (unsigned)(l + 3));
		b[n++] = 0;                 /* host_name */
		n += put16(b + n, (unsigned)l);
		memcpy(b + n, name, l);
		n += l;
		*sni_end = n;
	}
	/* ALPN h2 */
	n += put16(b + n, 16);
	n += put16(b + n, 5);
	n += put16(b + n, 3);
	b[n++] = 2;
	b[n++] = 'h';
	b[n++] = '2';
	/* key_share x25519 */
	n += put16(b + n, 51);
	n += put16(b + n, 38);
	n += put16(b + n, 36);
	n += put16(b + n, 0x001d);
	n += put16(b + n, 32);
	for (int i = 0; i < 32; i++)
		b[n++] = rnd8();
	put16(b + ext_len_at, (unsigned)(n - ext_start));
	b[hs_len_at] = 0;
	put16(b + hs_len_at + 1, (unsigned)(n - hs_len_at - 3));
	put16(b + rec_len_at, (unsigned)(n - rec_len_at - 2));
	return n;
}

static void test_sni(void)
{
	uint8_t h[1024], c[1024];
	char out[EG_SNI_MAX], small[8];
	size_t n, sni_end = 0, e2;
	unsigned bad = 0;
	struct eg_tls_dir d;
	struct eg_tls_seg s;

	n = build_hello(h, "Avs-Alexa-4-NA.Amazon.COM", &sni_end);
	CHECK_EQ(eg_tls_sni(h, n, out, sizeof(out)), 25);
	CHECK_STREQ(out, "avs-alexa-4-na.amazon.com");
	/* Never cut to fit (a cut name has another suffix): untouched. */
	snprintf(small, sizeof(small), "keep");
	CHECK_EQ(eg_tls_sni(h, n, small, sizeof(small)), -ENAMETOOLONG);
	CHECK_STREQ(small, "keep");
	CHECK_EQ(eg_tls_sni(h, n, out, 0), -EINVAL);
	CHECK_EQ(eg_tls_sni(NULL, n, out, sizeof(out)), -EINVAL);

	/* Every truncation: an error before the name is complete, the name
	 * after; never a read past the end (ASan checks the copy). */
	for (size_t cut = 0; cut <= n; cut++) {
		int r;

		memcpy(c, h, cut);
		r = eg_tls_sni(c, cut, out, sizeof(out));
		if (cut < sni_end)
			bad += r != -EBADMSG;
		else
			bad += r != 25 || strcmp(out, "avs-alexa-4-na.amazon.com");
	}
	CHECK_EQ(bad, 0);

	/* No server_name: -ENOENT; one without extensions at all too. */
	n = build_hello(h, NULL, &e2);
	CHECK_EQ(eg_tls_sni(h, n, out, sizeof(out)), -ENOENT);
	{
		uint8_t m[128];
		size_t k = 0;

		m[k++] = 22; m[k++] = 3; m[k++] = 1; k += 2;
		m[k++] = 1; m[k++] = 0; k += 2;
		m[k++] = 3; m[k++] = 3;
		memset(m + k, 7, 32); k += 32;
		m[k++] = 0;
		k += put16(m + k, 2); k += put16(m + k, 0x002f);
		m[k++] = 1; m[k++] = 0;
		put16(m + 3, (unsigned)(k - 5));
		put16(m + 7, (unsigned)(k - 9));
		CHECK_EQ(eg_tls_sni(m, k, out, sizeof(out)), -ENOENT);
		CHECK_EQ(eg_tls_sni(m, k - 1, out, sizeof(out)), -EBADMSG);
	}

	/* Lies in lengths. */
	n = build_hello(h, "echo.example", &sni_end);
	memcpy(c, h, n);
	c[5] = 2;                                  /* not a ClientHello */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[0] = 23;
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[43] = 33;                                /* session id > 32 */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	put16(c + sni_end - 12 - 5, 0x7fff);       /* name list too long */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);
	memcpy(c, h, n);
	c[sni_end - 4] = 'A' - 64;                 /* control character */
	CHECK_EQ(eg_tls_sni(c, n, out, sizeof(out)), -EBADMSG);

	/* Random corruption: never a crash, a name only when valid. */
	for (int round = 0; round < 20000; round++) {
		int r;

		memcpy(c, h, n);
		for (int k = 0; k < 1 + round % 4; k++)
			c[rnd((uint32_t)n)] = rnd8();
		r = eg_tls_sni(c, n - rnd(20), out, sizeof(out));
		if (r >= 0 && (strlen(out) != (size_t)r || r == 0))
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* The tracker flags the hello and where it starts. */
	n = build_hello(h, "echo.example", &sni_end);
	eg_tls_init(&d);
	CHECK_EQ(eg_tls_track(&d, 100, h, (uint32_t)n, (uint32_t)n, false, &s), 0);
	CHECK(s.client_hello);
	CHECK_EQ(s.ch_offset, 0);
	CHECK_EQ(s.content_type, 22);
	CHECK_EQ(eg_tls_sni(h + s.ch_offset, n - s.ch_offset, out,
			    sizeof(out)), 12);
	CHECK_STREQ(out, "echo.example");
}

static void test_http(void)
{
	static const char *yes[] = { "GET / HTTP/1.1", "POST /x", "HEAD /",
				     "PUT /a", "DELETE /a", "OPTIONS *",
				     "CONNECT a:443", "TRACE /", "PATCH /",
				     "HTTP/1.1 200 OK", "HTTP/1.0 404" };
	static const char *no[] = { "GE", "GET/", "get / HTTP/1.1", "HTTP/2",
				    "\x16\x03\x01", "POSTX", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(eg_http_detect((const uint8_t *)yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!eg_http_detect((const uint8_t *)no[i], strlen(no[i])));
	CHECK(!eg_http_detect(NULL, 10));
	CHECK(!eg_http_detect((const uint8_t *)"GET / HTTP/1.1", 3));
}

int main(void)
{
	test_sni();
	test_http();
	return eg_test_done();
}
