/* SPDX-License-Identifier: MIT */
/*
 * tap.h: the unit tests' few assertion macros. Each failed check prints
 * file:line and the expression; eg_test_done() prints "N passed, N failed"
 * and returns the exit status (0 all passed, 1 otherwise).
 */
#ifndef ECHOGUARD_TAP_H
#define ECHOGUARD_TAP_H

#include <stdio.h>
#include <string.h>

extern unsigned eg_test_passed, eg_test_failed;

void eg_test_check(int ok, const char *file, int line, const char *expr);
int eg_test_done(void);
/* Exit 77 with a reason when a precondition (data, root) is missing. */
void eg_test_skip(const char *why) __attribute__((noreturn));
/* A directory laid out like ../shared/data (vcf/pcap/NAME.pcap,
 * vcf/interactions.csv) holding at least the captures of tests/data: the
 * whole data set (the env override ECHOGUARD_SHARED_DATA, else
 * EG_SHARED_DATA) when it is here, else EG_SOURCE_DIR/tests/data. Skips
 * the test when neither exists. */
const char *eg_test_shared_data(void);
/* The whole data set (all 94 captures): ECHOGUARD_SHARED_DATA, else
 * EG_SHARED_DATA; skips the test, saying why, when it is absent. For the
 * tests of the ctest label `dataset`. */
const char *eg_test_dataset(void);
/* 1 when the program was asked for its `dataset` part (argv[1] is
 * "--dataset"), else 0. */
int eg_test_want_dataset(int argc, char **argv);
/* The whole file at path, NUL-terminated, in a buffer the caller frees;
 * NULL when it cannot be read. */
char *eg_test_slurp(const char *path);

#define CHECK(expr) eg_test_check(!!(expr), __FILE__, __LINE__, #expr)
#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		eg_test_check(a_ == b_, __FILE__, __LINE__, #a " == " #b);  \
		if (a_ != b_)                                               \
			fprintf(stderr, "    %lld != %lld\n", a_, b_);      \
	} while (0)
#define CHECK_STREQ(a, b)                                                   \
	do {                                                                \
		const char *a_ = (a), *b_ = (b);                            \
		int ok_ = a_ && b_ && strcmp(a_, b_) == 0;                  \
		eg_test_check(ok_, __FILE__, __LINE__, #a " == " #b);       \
		if (!ok_)                                                   \
			fprintf(stderr, "    \"%s\" != \"%s\"\n",           \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");    \
	} while (0)
#define CHECK_NEAR(a, b, eps)                                               \
	do {                                                                \
		double a_ = (a), b_ = (b);                                  \
		int ok_ = (a_ - b_) <= (eps) && (b_ - a_) <= (eps);         \
		eg_test_check(ok_, __FILE__, __LINE__, #a " ~= " #b);       \
		if (!ok_)                                                   \
			fprintf(stderr, "    %.9g != %.9g\n", a_, b_);      \
	} while (0)

#endif
