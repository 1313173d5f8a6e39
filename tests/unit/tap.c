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

const char *eg_test_shared_data(void)
{
	static char buf[4096];
	const char *p = getenv("ECHOGUARD_SHARED_DATA");
	struct stat st;

#ifdef EG_SHARED_DATA
	if (!p)
		p = EG_SHARED_DATA;
#endif
	if (!p || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(buf, sizeof(buf),
			 "the shared captures (%s) are not here: a clone outside "
			 "the workspace has no ../shared/data",
			 p ? p : "ECHOGUARD_SHARED_DATA unset");
		eg_test_skip(buf);
	}
	return p;
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
