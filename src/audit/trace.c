/* SPDX-License-Identifier: MIT */
/*
 * trace.c: traces for the audit: trace CSVs (index,time,size,
 * direction), whole captures reduced to the device's packets, and cutting
 * a capture into interactions. Covered by tests/unit/test-audit.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/audit/audit.h"
#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "audit-internal.h"

void eg_audit_trace_init(struct eg_audit_trace *t)
{
	memset(t, 0, sizeof(*t));
}

void eg_audit_trace_done(struct eg_audit_trace *t)
{
	free(t->p);
	t->p = NULL;
	t->n = t->cap = 0;
}

int eg_audit_trace_push(struct eg_audit_trace *t, const struct eg_audit_pkt *p)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct eg_audit_pkt *np = realloc(t->p, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		t->p = np;
		t->cap = cap;
	}
	t->p[t->n++] = *p;
	return 0;
}

bool eg_audit_pkt_is_ack(const struct eg_audit_pkt *p)
{
	if (p->has_hdr)
		return p->proto == 6 && p->payload == 0 &&
		       !(p->flags & (EG_TCP_SYN | EG_TCP_FIN | EG_TCP_RST));
	return p->size <= EG_AUDIT_ACK_MAX;
}

uint32_t eg_audit_pkt_data(const struct eg_audit_pkt *p)
{
	if (p->has_hdr)
		return p->payload;
	return p->size > EG_AUDIT_HDR_EST ? p->size - EG_AUDIT_HDR_EST : 0;
}

/* Base name without directory and the given extension. */
static void base_name(const char *path, const char *ext, char *ret,
		      size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n, el = strlen(ext);

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > el && strcmp(b + n - el, ext) == 0)
		n -= el;
	if (n >= len)
		n = len - 1;
	memcpy(ret, b, n);
	ret[n] = '\0';
}

void eg_audit_command_name(const char *trace, char *ret, size_t len)
{
	size_t n = strlen(trace), i = n;

	while (i > 0 && isdigit((unsigned char)trace[i - 1]))
		i--;
	if (i > 0 && i < n && trace[i - 1] == '_')
		n = i - 1;
	if (n >= len)
		n = len - 1;
	memcpy(ret, trace, n);
	ret[n] = '\0';
}

/* Parse one data line "index,time,size,direction". */
static int parse_line(char *line, struct eg_audit_pkt *p)
{
	char *s = line, *end;
	double v[4];

	for (int i = 0; i < 4; i++) {
		errno = 0;
		v[i] = strtod(s, &end);
		if (end == s || errno || !isfinite(v[i]))
			return -EINVAL;
		s = end;
		if (i < 3) {
			if (*s != ',')
				return -EINVAL;
			s++;
		}
	}
	while (*s == '\r' || *s == '\n' || *s == ' ')
		s++;
	if (*s || v[2] < 20 || v[2] > 65535 || (v[3] != 1 && v[3] != -1) ||
	    v[1] < 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->t = v[1];
	p->size = (uint32_t)v[2];
	p->dir = (int8_t)v[3];
	return 0;
}

int eg_audit_trace_load_csv(const char *path, struct eg_audit_trace *t,
			    char *err, size_t errlen)
{
	char line[512];
	unsigned long lineno = 0;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	eg_audit_trace_done(t);
	base_name(path, ".csv", t->name, sizeof(t->name));
	while (fgets(line, sizeof(line), f)) {
		struct eg_audit_pkt p;

		lineno++;
		if (lineno == 1 && !isdigit((unsigned char)line[0]))
			continue; /* header */
		if (line[0] == '\n' || line[0] == '\r')
			continue;
		if (parse_line(line, &p) < 0) {
			snprintf(err, errlen, "%s:%lu: expected index,time,size,"
				 "direction (size 20..65535, direction +-1)",
				 path, lineno);
			r = -EINVAL;
			goto out;
		}
		/* Times may step back a little (capture order): the
		 * features clamp negative gaps to 0. */
		r = eg_audit_trace_push(t, &p);
		if (r < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
	}
	if (ferror(f)) {
		r = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
out:
	fclose(f);
	if (r < 0)
		eg_audit_trace_done(t);
	return r;
}

static uint32_t hash_bytes(const uint8_t *b, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The address seen in most IP packets of the first frames (a gateway
 * capture of one device: the device is in every packet). */
static int guess_device(const char *path, uint8_t dev[16], char *err,
			size_t errlen)
{
	struct { uint8_t a[16]; unsigned n; } tab[64];
	unsigned ntab = 0, best = 0;
	struct eg_capture *cap;
	struct eg_frame fr;
	int r, frames = 0;

	r = eg_capture_open(path, &cap, err, errlen);
	if (r < 0)
		return r;
	memset(tab, 0, sizeof(tab));
	while (frames++ < 2000 && eg_capture_next(cap, &fr, err, errlen) > 0) {
		struct eg_packet p;
		const uint8_t *a[2];

		if (eg_packet_parse_frame(fr.linktype, fr.data, fr.caplen,
					  fr.len, &p) < 0 && !p.ip_version)
			continue;
		a[0] = p.src;
		a[1] = p.dst;
		for (int k = 0; k < 2; k++) {
			unsigned i;

			for (i = 0; i < ntab; i++)
				if (!memcmp(tab[i].a, a[k], 16))
					break;
			if (i == ntab && ntab < 64)
				memcpy(tab[ntab++].a, a[k], 16);
			if (i < ntab)
				tab[i].n++;
		}
	}
	eg_capture_free(cap);
	if (!ntab) {
		snprintf(err, errlen, "%s: no IP packets", path);
		return -EINVAL;
	}
	for (unsigned i = 1; i < ntab; i++)
		if (tab[i].n > tab[best].n)
			best = i;
	memcpy(dev, tab[best].a, 16);
	return 0;
}

static void fill_pkt(const struct eg_packet *p, const struct eg_frame *fr,
		     bool out, struct eg_audit_pkt *ap)
{
	const uint8_t *ra = out ? p->dst : p->src;
	uint16_t rport = out ? p->dport : p->sport;
	uint16_t lport = out ? p->sport : p->dport;
	uint32_t h;

	memset(ap, 0, sizeof(*ap));
	ap->t = (double)fr->ts_ns / 1e9;
	ap->size = p->ip_total_len ? p->ip_total_len : p->wire_len;
	ap->dir = out ? 1 : -1;
	ap->has_hdr = true;
	ap->proto = p->l4_proto;
	ap->ttl = p->ttl;
	ap->flags = p->tcp_flags;
	ap->window = p->window;
	ap->rport = rport;
	ap->payload = p->payload_len;
	ap->seq = p->seq;
	ap->raddr = hash_bytes(ra, 16, 2166136261u);
	h = hash_bytes((const uint8_t *)&rport, 2, ap->raddr);
	h = hash_bytes((const uint8_t *)&lport, 2, h);
	ap->conn = hash_bytes(&p->l4_proto, 1, h);
}

/* The server addresses (hashes, as raddr) of --servers seen so far. */
struct addr_set {
	uint32_t h[EG_AUDIT_MAX_ADDRS];
	unsigned n;
};

static bool set_has(const struct addr_set *s, uint32_t h)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->h[i] == h)
			return true;
	return false;
}

/* Keep only the packets of t exchanged with an address in s. */
static void keep_servers(struct eg_audit_trace *t, const struct addr_set *s)
{
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++)
		if (set_has(s, t->p[i].raddr))
			t->p[k++] = t->p[i];
	t->n = k;
}

int eg_audit_capture_load(const char *path, const char *dev,
			  const struct eg_audit_servers *srv,
			  struct eg_audit_trace *t, char *err, size_t errlen)
{
	struct addr_set *set = NULL;
	uint8_t d[16] = { 0 };
	struct eg_capture *cap;
	struct eg_frame fr;
	int r;

	if (dev) {
		if (eg_addr_parse(dev, d) < 0) {
			snprintf(err, errlen, "%s: bad device address", dev);
			return -EINVAL;
		}
	} else {
		r = guess_device(path, d, err, errlen);
		if (r < 0)
			return r;
	}
	if (srv && !(set = calloc(1, sizeof(*set)))) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	r = eg_capture_open(path, &cap, err, errlen);
	if (r < 0) {
		free(set);
		return r;
	}
	eg_audit_trace_done(t);
	base_name(path, ".pcap", t->name, sizeof(t->name));
	while ((r = eg_capture_next(cap, &fr, err, errlen)) > 0) {
		struct eg_packet p;
		struct eg_audit_pkt ap;
		bool out;

		if (eg_packet_parse_frame(fr.linktype, fr.data, fr.caplen,
					  fr.len, &p) < 0 && !p.ip_version)
			continue;
		if (!p.ip_version || p.is_fragment)
			continue;
		out = !memcmp(p.src, d, 16);
		if (!out && memcmp(p.dst, d, 16))
			continue;
		fill_pkt(&p, &fr, out, &ap);
		if (set && set->n < EG_AUDIT_MAX_ADDRS &&
		    !set_has(set, ap.raddr) &&
		    eg_audit_servers_match(srv, &p, out))
			set->h[set->n++] = ap.raddr;
		if (t->n && ap.t < t->p[t->n - 1].t)
			ap.t = t->p[t->n - 1].t; /* keep times monotonic */
		if (eg_audit_trace_push(t, &ap) < 0) {
			r = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			break;
		}
	}
	eg_capture_free(cap);
	if (r >= 0 && set)
		keep_servers(t, set);
	free(set);
	if (r < 0) {
		eg_audit_trace_done(t);
		return r;
	}
	return 0;
}

int eg_audit_trace_cut(const struct eg_audit_trace *src, double start,
		       double end, bool rebase, struct eg_audit_trace *dst)
{
	double t0 = 0;
	bool first = true;

	eg_audit_trace_done(dst);
	for (size_t i = 0; i < src->n; i++) {
		struct eg_audit_pkt p = src->p[i];

		if (p.t < start || p.t > end)
			continue;
		if (first && rebase)
			t0 = p.t;
		first = false;
		p.t -= t0;
		if (eg_audit_trace_push(dst, &p) < 0) {
			eg_audit_trace_done(dst);
			return -ENOMEM;
		}
	}
	return 0;
}
