/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <sys/stat.h>

#include "tap.h"

unsigned eg_test_passed, eg_test_failed;

void eg_test_check(int ok, const char *file, int line, const char *expr)
{
	if (ok) {
		eg_test_passed++;
		return;
	}
	eg_test_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expr);
}

int eg_test_done(void)
{
	printf("%u passed, %u failed\n", eg_test_passed, eg_test_failed);
	return eg_test_failed ? 1 : 0;
}

void eg_test_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

/* ECHOGUARD_SHARED_DATA, else EG_SHARED_DATA; NULL when it has no vcf/pcap. */
static const char *whole_set(const char **tried)
{
	static char pcap[4096];
	const char *p = getenv("ECHOGUARD_SHARED_DATA");
	struct stat st;

#ifdef EG_SHARED_DATA
	if (!p || !*p)
		p = EG_SHARED_DATA;
#endif
	*tried = p && *p ? p : "ECHOGUARD_SHARED_DATA unset";
	if (!p || !*p)
		return NULL;
	snprintf(pcap, sizeof(pcap), "%s/vcf/pcap", p);
	return stat(pcap, &st) == 0 && S_ISDIR(st.st_mode) ? p : NULL;
}

const char *eg_test_shared_data(void)
{
	const char *tried, *p = whole_set(&tried);
	struct stat st;

	if (p)
		return p;
#ifdef EG_SOURCE_DIR
	p = EG_SOURCE_DIR "/tests/data";
	if (stat(EG_SOURCE_DIR "/tests/data/vcf/pcap", &st) == 0)
		return p;
#endif
	eg_test_skip("neither the shared captures nor tests/data/vcf are here");
}

const char *eg_test_dataset(void)
{
	static char buf[4096];
	const char *tried, *p = whole_set(&tried);

	if (p)
		return p;
	snprintf(buf, sizeof(buf),
		 "the whole data set (%s/vcf/pcap) is not here: this clone has "
		 "no ../shared/data (set ECHOGUARD_SHARED_DATA to the "
		 "VCFingerprinting data); `make check` tested with tests/data",
		 tried);
	eg_test_skip(buf);
}

int eg_test_want_dataset(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--dataset") == 0;
}

char *eg_test_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
out:
	fclose(f);
	return buf;
}
