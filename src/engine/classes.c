/* SPDX-License-Identifier: MIT */
/*
 * classes.c: the reference paper's eight classes and their names.
 * Covered by tests/unit/test-features.c.
 */
#include <errno.h>
#include <string.h>

#include "echoguard/engine/classes.h"

static const char *const class_names[EG_CLASS_COUNT] = {
	[EG_CLASS_HANDSHAKE] = "handshake",
	[EG_CLASS_SYN] = "syn",
	[EG_CLASS_ACK] = "ack",
	[EG_CLASS_RETRANSMIT] = "retransmit",
	[EG_CLASS_NOT_RELEVANT] = "not_relevant",
	[EG_CLASS_JUSTIFIED] = "justified",
	[EG_CLASS_NOT_JUSTIFIED] = "not_justified",
	[EG_CLASS_EXPECTED] = "expected",
};

/* The paper's name of a class; "?" for an out-of-range value. */
const char *eg_class_name(enum eg_class c)
{
	if ((unsigned)c >= EG_CLASS_COUNT)
		return "?";
	return class_names[c];
}

/*
 * Parse a class name: the paper's spellings, case-insensitive, with '-' or
 * ' ' accepted for '_' ("Not Relevant", "not-justified"). -EINVAL if
 * unknown.
 */
int eg_class_parse(const char *s)
{
	char buf[32];
	size_t i, n;
	int c;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '-' || ch == ' ')
			ch = '_';
		else if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		buf[i] = ch;
	}
	buf[n] = '\0';
	for (c = 0; c < EG_CLASS_COUNT; c++)
		if (!strcmp(buf, class_names[c]))
			return c;
	if (!strcmp(buf, "notrelevant"))
		return EG_CLASS_NOT_RELEVANT;
	if (!strcmp(buf, "notjustified") || !strcmp(buf, "unjustified"))
		return EG_CLASS_NOT_JUSTIFIED;
	return -EINVAL;
}
