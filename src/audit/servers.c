/* SPDX-License-Identifier: MIT */
/*
 * servers.c: --servers, the traffic to some servers only (issue 14): the
 * user-identification study kept the Alexa voice servers' addresses. A
 * server is named by a TLS server-name suffix (seen in a ClientHello the
 * device sent: every packet to or from that address is kept, before and
 * after the hello) or by an address prefix. Covered by
 * tests/unit/test-audit-mlp.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/audit/audit.h"
#include "echoguard/net/packet.h"
#include "echoguard/net/tls.h"
#include "audit-internal.h"

static int add_cidr(struct eg_audit_servers *s, const char *tok)
{
	char buf[128], *slash, *end;
	unsigned long bits;
	int v;

	snprintf(buf, sizeof(buf), "%s", tok);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	v = eg_addr_parse(buf, s->addr[s->n_cidr]);
	if (v < 0)
		return -EINVAL;
	bits = v == 4 ? 32 : 128;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end ||
		    bits > (v == 4 ? 32u : 128u))
			return -EINVAL;
	}
	s->bits[s->n_cidr] = (uint8_t)bits;
	s->ver[s->n_cidr++] = (uint8_t)v;
	return 0;
}

int eg_audit_servers_parse(const char *list, struct eg_audit_servers *ret,
			   char *err, size_t errlen)
{
	char buf[2048], *save = NULL, *tok;
	struct eg_audit_servers s;

	memset(&s, 0, sizeof(s));
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool addr = strspn(tok, "0123456789abcdefABCDEF.:/") ==
			    strlen(tok) && strpbrk(tok, ".:") &&
			    (strchr(tok, '/') || strchr(tok, ':') ||
			     strspn(tok, "0123456789.") == strlen(tok));

		if (s.n_sni + s.n_cidr >= EG_AUDIT_MAX_SERVERS ||
		    strlen(tok) >= sizeof(s.sni[0]) || !*tok) {
			snprintf(err, errlen, "servers: \"%s\": empty, too long"
				 " or more than %d", tok, EG_AUDIT_MAX_SERVERS);
			return -EINVAL;
		}
		if (addr && add_cidr(&s, tok) < 0) {
			snprintf(err, errlen, "servers: \"%s\" is not an "
				 "address or ADDR/BITS", tok);
			return -EINVAL;
		}
		if (!addr) {
			for (char *c = tok; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ?
					    *c - 'A' + 'a' : *c);
			snprintf(s.sni[s.n_sni++], sizeof(s.sni[0]), "%s", tok);
		}
	}
	*ret = s;
	return 0;
}

bool eg_audit_servers_addr(const struct eg_audit_servers *s, int ver,
			   const uint8_t a[16])
{
	for (unsigned i = 0; i < s->n_cidr; i++) {
		unsigned b = s->bits[i], full = b / 8, rest = b % 8;

		if (s->ver[i] != ver || memcmp(s->addr[i], a, full))
			continue;
		if (rest && ((s->addr[i][full] ^ a[full]) &
			     (0xff00u >> rest) & 0xff))
			continue;
		return true;
	}
	return false;
}

bool eg_audit_servers_sni(const struct eg_audit_servers *s, const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < s->n_sni; i++) {
		const char *suf = s->sni[i];
		size_t k = strlen(suf);

		if (k > n || strcmp(name + n - k, suf))
			continue;
		/* whole labels: "amazon.com" matches "a.amazon.com", not
		 * "notamazon.com"; a suffix starting with '.' is one */
		if (k == n || suf[0] == '.' || name[n - k - 1] == '.')
			return true;
	}
	return false;
}

bool eg_audit_servers_match(const struct eg_audit_servers *s,
			    const struct eg_packet *p, bool out)
{
	char name[256];

	if (eg_audit_servers_addr(s, p->ip_version, out ? p->dst : p->src))
		return true;
	if (!out || !s->n_sni || p->payload_caplen < 6 || !p->payload ||
	    p->payload[0] != EG_TLS_HANDSHAKE || p->payload[5] != 1)
		return false;
	return eg_tls_sni(p->payload, p->payload_caplen, name,
			  sizeof(name)) > 0 && eg_audit_servers_sni(s, name);
}
