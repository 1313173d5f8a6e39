/* SPDX-License-Identifier: MIT */
/*
 * schema.h: a feature schema as a plain descriptor: what a model file
 * carries and what a dataset or a model load checks by name. The engine
 * (engine/features.h) defines the concrete schemas; the forest and the
 * datasets only compare names, so they need not include the packet path.
 */
#ifndef ECHOGUARD_UTIL_SCHEMA_H
#define ECHOGUARD_UTIL_SCHEMA_H

#include <stdint.h>

struct eg_schema {
	const char *name;         /* "seed" or "flow" */
	uint32_t version;
	uint32_t n;
	const char *const *names; /* n column names, in vector order */
};

#endif
