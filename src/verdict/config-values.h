/* SPDX-License-Identifier: MIT */
/*
 * config-values.h: the typed value parsers behind config.c (internal to
 * eg_verdict). Each returns 0 and writes its result, or -EINVAL for a
 * malformed value, -ERANGE for a number outside [min, max].
 */
#ifndef ECHOGUARD_CONFIG_VALUES_H
#define ECHOGUARD_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A whole number (decimal or 0x hex) in [min, max]. */
int eg_config_parse_uint(const char *s, double min, double max, uint64_t *ret);
/* A finite decimal number in [min, max]. */
int eg_config_parse_double(const char *s, double min, double max, double *ret);
/* true|false|yes|no|on|off|1|0, any case. */
int eg_config_parse_bool(const char *s, bool *ret);
/* The index of s in the NULL-terminated names (any case), or -EINVAL. */
int eg_config_parse_enum(const char *s, const char *const *names);
/* "a|b|c" into buf. */
void eg_config_join_names(const char *const *names, char *buf, size_t len);
/* Call fn for each item of a comma/space separated list (empty items are
 * skipped); stops at and returns the first negative return of fn;
 * -ENAMETOOLONG for an item of 256 bytes or more. */
int eg_config_for_each_item(const char *s,
			    int (*fn)(const char *item, void *ud),
			    void *ud);

/* The list keys: one item of [device] address, [policy] drop_classes,
 * allow_cidrs, allow_sni added to x->c (ud is a struct eg_config_list);
 * on error the reason is in x->why. */
struct eg_config;
struct eg_config_list {
	struct eg_config *c;
	char why[160];
};
int eg_config_add_address(const char *item, void *ud);
int eg_config_add_class(const char *item, void *ud);
int eg_config_add_cidr(const char *item, void *ud);
int eg_config_add_sni(const char *item, void *ud);

#endif
