/* SPDX-License-Identifier: MIT */
/*
 * config-values.c: typed values of the INI configuration (numbers,
 * booleans, choices, lists), queue lists and CIDRs, the list keys' items
 * and the engine's parameters. Contracts in
 * config-values.h and config.h; covered by tests/unit/test-config.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-values.h"
#include "echoguard/verdict/config.h"

int eg_config_parse_uint(const char *s, double min, double max, uint64_t *ret)
{
	unsigned long long v;
	int base = 10;
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	/* Base 10 unless "0x": base 0 would read "010" as octal 8. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		base = 16;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end)
		return -EINVAL;
	if ((double)v < min || (double)v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int eg_config_parse_double(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int eg_config_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int eg_config_parse_enum(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	return -EINVAL;
}

void eg_config_join_names(const char *const *names, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; names[i] && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? "|" : "",
				 names[i]);
}

/*
 * Split a list value at commas and white space into items, calling fn for
 * each. Empty items are skipped. Stops at the first fn error and returns it.
 */
int eg_config_for_each_item(const char *s,
			    int (*fn)(const char *item, void *ud),
			    void *ud)
{
	char item[256];

	while (*s) {
		size_t n;
		int r;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		n = strcspn(s, ", \t");
		if (!n)
			break;
		if (n >= sizeof(item))
			return -ENAMETOOLONG;
		memcpy(item, s, n);
		item[n] = 0;
		r = fn(item, ud);
		if (r < 0)
			return r;
		s += n;
	}
	return 0;
}

int eg_config_parse_queues(const char *s, uint16_t *ret, unsigned max,
			   unsigned *ret_n)
{
	uint8_t seen[65536 / 8] = { 0 };
	unsigned n = 0, q;
	const char *p = s;

	while (*p) {
		unsigned long a, b;
		char *end;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '-') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (a > 65535 || b > 65535 || b < a)
			return -ERANGE;
		if (*p && *p != ',' && !isspace((unsigned char)*p))
			return -EINVAL;
		for (q = a; q <= b; q++) {
			if (seen[q / 8] & (1u << (q % 8)))
				return -EEXIST;
			seen[q / 8] |= 1u << (q % 8);
			if (++n > max)
				return -E2BIG;
		}
	}
	if (!n)
		return -EINVAL;
	if (ret) {
		unsigned i = 0;

		for (q = 0; q < 65536; q++)
			if (seen[q / 8] & (1u << (q % 8)))
				ret[i++] = (uint16_t)q;
	}
	*ret_n = n;
	return 0;
}

int eg_cidr_parse(const char *s, struct eg_cidr *ret)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct eg_cidr c = { 0 };
	uint64_t prefix;
	unsigned i;
	int v;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = 0;
	v = eg_addr_parse(addr, c.addr);
	if (v < 0)
		return -EINVAL;
	c.version = (uint8_t)v;
	c.prefix = v == 4 ? 32 : 128;
	if (slash) {
		if (eg_config_parse_uint(slash + 1, 0, c.prefix, &prefix) < 0 ||
		    !isdigit((unsigned char)slash[1]))
			return -EINVAL;
		c.prefix = (uint8_t)prefix;
	}
	/* Clear host bits so matching is a plain prefix compare. */
	for (i = 0; i < 16; i++) {
		unsigned bits = c.prefix > i * 8 ? c.prefix - i * 8 : 0;

		if (bits < 8)
			c.addr[i] &= (uint8_t)(0xff00 >> bits);
	}
	*ret = c;
	return 0;
}

bool eg_cidr_match(const struct eg_cidr *c, int v, const uint8_t addr[16])
{
	unsigned full, rem;

	if (c->version != v)
		return false;
	full = c->prefix / 8;
	rem = c->prefix % 8;
	if (memcmp(c->addr, addr, full))
		return false;
	if (rem && ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff00 >> rem)))
		return false;
	return true;
}

const char *eg_verdict_name(enum eg_verdict v)
{
	return v == EG_VERDICT_DROP ? "drop" : "accept";
}

/* ---- list keys (config.c) ---------------------------------------------- */

int eg_config_add_address(const char *item, void *ud)
{
	struct eg_config_list *x = ud;
	unsigned n = x->c->device.n;
	uint8_t a[16];
	int v;

	v = eg_addr_parse(item, a);
	if (v < 0) {
		snprintf(x->why, sizeof(x->why),
			 "\"%s\" is not an IPv4 or IPv6 address", item);
		return -EINVAL;
	}
	if (n >= EG_CONFIG_MAX_DEVICES) {
		snprintf(x->why, sizeof(x->why), "more than %d addresses",
			 EG_CONFIG_MAX_DEVICES);
		return -E2BIG;
	}
	memcpy(x->c->device.addr[n], a, 16);
	x->c->device.version[n] = (uint8_t)v;
	x->c->device.n = n + 1;
	return 0;
}

int eg_config_add_class(const char *item, void *ud)
{
	struct eg_config_list *x = ud;
	int k;

	if (!strcasecmp(item, "none"))
		return 0;
	k = eg_class_parse(item);
	if (k < 0 || k >= EG_CLASS_COUNT) {
		snprintf(x->why, sizeof(x->why), "\"%s\" is not a class "
			 "(handshake, syn, ack, retransmit, not_relevant, "
			 "justified, not_justified, expected)", item);
		return -EINVAL;
	}
	x->c->policy.drop_classes |= 1u << k;
	return 0;
}

int eg_config_add_cidr(const char *item, void *ud)
{
	struct eg_config_list *x = ud;
	struct eg_config_policy *p = &x->c->policy;

	if (p->n_allow_cidrs >= EG_CONFIG_MAX_CIDRS) {
		snprintf(x->why, sizeof(x->why), "more than %d CIDRs",
			 EG_CONFIG_MAX_CIDRS);
		return -E2BIG;
	}
	if (eg_cidr_parse(item, &p->allow_cidrs[p->n_allow_cidrs]) < 0) {
		snprintf(x->why, sizeof(x->why), "\"%s\" is not a CIDR "
			 "(ADDRESS[/PREFIX], prefix 0..32 or 0..128)", item);
		return -EINVAL;
	}
	p->n_allow_cidrs++;
	return 0;
}

int eg_config_add_sni(const char *item, void *ud)
{
	struct eg_config_list *x = ud;
	struct eg_config_policy *p = &x->c->policy;
	size_t i, n = strlen(item);

	if (p->n_allow_sni >= EG_CONFIG_MAX_SNI) {
		snprintf(x->why, sizeof(x->why), "more than %d names",
			 EG_CONFIG_MAX_SNI);
		return -E2BIG;
	}
	if (n >= EG_SNI_MAX || (n == 1 && item[0] == '.')) {
		snprintf(x->why, sizeof(x->why), "\"%s\" is not a DNS name "
			 "suffix", item);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)item[i];

		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_') {
			snprintf(x->why, sizeof(x->why), "\"%s\" is not a DNS "
				 "name suffix (character '%c')", item, ch);
			return -EINVAL;
		}
		p->allow_sni[p->n_allow_sni][i] = (char)tolower(ch);
	}
	p->allow_sni[p->n_allow_sni][n] = 0;
	p->n_allow_sni++;
	return 0;
}

/* ---- the engine's share (config.h) ------------------------------------ */

void eg_config_engine_params(const struct eg_config *c,
			     struct eg_engine_params *ret)
{
	unsigned i;

	eg_engine_params_default(ret);
	ret->flow = c->flows;
	ret->features = c->model.features;
	ret->n_devices = c->device.n;
	for (i = 0; i < c->device.n && i < EG_CONFIG_MAX_DEVICES; i++) {
		memcpy(ret->devices[i], c->device.addr[i], 16);
		ret->device_version[i] = c->device.version[i];
	}
}
