/* SPDX-License-Identifier: MIT */
/*
 * feat.c: per-trace features (tcptrace-like statistics per direction,
 * histograms of sizes and inter-arrival times), per-window features (the
 * Google Home study's), and the countermeasures that transform traces.
 * Covered by tests/unit/test-audit.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echoguard/audit/audit.h"

/* Per-direction statistics, in this order. */
static const char *const stat_names[] = {
	"pkts", "bytes", "data_pkts", "data_bytes", "unique_bytes",
	"retrans", "pure_acks", "seg_min", "seg_mean", "seg_max", "seg_std",
	"size_mean", "size_std", "win_min", "win_mean", "win_max", "first_t",
	"last_t", "duration", "iat_mean", "iat_std", "iat_max", "bursts",
	"burst_mean_bytes", "burst_max_bytes",
};
#define N_STAT (sizeof(stat_names) / sizeof(stat_names[0]))
static const char *const total_names[] = {
	"pkts", "duration", "out_bytes_frac", "out_pkts_frac",
};
#define N_TOTAL (sizeof(total_names) / sizeof(total_names[0]))
#define IAT_LO 1e-5
#define IAT_HI 10.0
#define MAX_CONN 64

void eg_audit_fopts_default(struct eg_audit_fopts *o)
{
	o->kind = EG_AUDIT_F_BOTH;
	o->bins = 15;
	o->acks = false;
}

int eg_audit_fkind_parse(const char *s, enum eg_audit_fkind *ret)
{
	static const struct { const char *n; unsigned k; } t[] = {
		{ "stats", EG_AUDIT_F_STATS }, { "hist", EG_AUDIT_F_HIST },
		{ "both", EG_AUDIT_F_BOTH }, { "sizehist", EG_AUDIT_F_SIZEHIST },
		{ "cumul", EG_AUDIT_F_CUMUL }, { "all", EG_AUDIT_F_ALL },
	};
	unsigned k = 0;

	while (*s) {
		size_t n = strcspn(s, "+"), i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strlen(t[i].n) == n && !strncmp(s, t[i].n, n))
				break;
		if (i == sizeof(t) / sizeof(t[0]))
			return -EINVAL;
		k |= t[i].k;
		s += n;
		if (*s == '+')
			s++;
	}
	/* size histograms are part of hist */
	if ((k & EG_AUDIT_F_HIST) && (k & EG_AUDIT_F_SIZEHIST))
		k &= ~(unsigned)EG_AUDIT_F_SIZEHIST;
	if (!k)
		return -EINVAL;
	*ret = (enum eg_audit_fkind)k;
	return 0;
}

static const double cumul_t[] = {
	0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20,
	25, 30,
};
#define N_CUMUL_T (sizeof(cumul_t) / sizeof(cumul_t[0]))

unsigned eg_audit_feat_count(const struct eg_audit_fopts *o)
{
	unsigned n = 0;

	if (o->kind & EG_AUDIT_F_STATS)
		n += 2 * N_STAT + N_TOTAL;
	if (o->kind & EG_AUDIT_F_HIST)
		n += 4 * o->bins;
	else if (o->kind & EG_AUDIT_F_SIZEHIST)
		n += 2 * o->bins;
	if (o->kind & EG_AUDIT_F_CUMUL)
		n += EG_AUDIT_CUMUL_N + 2 * N_CUMUL_T;
	return n;
}

void eg_audit_feat_names(const struct eg_audit_fopts *o, char *buf,
			 const char **names)
{
	static const char *const dn[] = { "out", "in" };
	unsigned n = 0;

#define NAME(...) do { snprintf(buf + 48 * n, 48, __VA_ARGS__); \
		names[n] = buf + 48 * n; n++; } while (0)
	if (o->kind & EG_AUDIT_F_STATS) {
		for (int d = 0; d < 2; d++)
			for (size_t i = 0; i < N_STAT; i++)
				NAME("%s_%s", dn[d], stat_names[i]);
		for (size_t i = 0; i < N_TOTAL; i++)
			NAME("total_%s", total_names[i]);
	}
	if (o->kind & (EG_AUDIT_F_HIST | EG_AUDIT_F_SIZEHIST))
		for (int d = 0; d < 2; d++)
			for (unsigned b = 0; b < o->bins; b++)
				NAME("%s_size_h%u", dn[d], b);
	if (o->kind & EG_AUDIT_F_HIST)
		for (int d = 0; d < 2; d++)
			for (unsigned b = 0; b < o->bins; b++)
				NAME("%s_iat_h%u", dn[d], b);
	if (o->kind & EG_AUDIT_F_CUMUL) {
		for (unsigned i = 0; i < EG_AUDIT_CUMUL_N; i++)
			NAME("cumul_p%u", i);
		for (int d = 0; d < 2; d++)
			for (size_t i = 0; i < N_CUMUL_T; i++)
				NAME("%s_bytes_at_%gs", dn[d], cumul_t[i]);
	}
#undef NAME
}

static bool counted(const struct eg_audit_fopts *o,
		    const struct eg_audit_pkt *p)
{
	return o->acks || !eg_audit_pkt_is_ack(p);
}

struct conn_seq { uint32_t conn, end; bool used; };

/* Is p a retransmission (its data ends at or before the highest sequence
 * end seen on its connection in its direction)? Updates the table. */
static bool retrans(struct conn_seq *tab, const struct eg_audit_pkt *p)
{
	uint32_t key = p->conn ^ (p->dir > 0 ? 0x9e3779b9u : 0);
	uint32_t end = p->seq + p->payload;
	unsigned i = key % MAX_CONN;

	for (unsigned k = 0; k < MAX_CONN; k++, i = (i + 1) % MAX_CONN) {
		if (!tab[i].used) {
			tab[i].used = true;
			tab[i].conn = key;
			tab[i].end = end;
			return false;
		}
		if (tab[i].conn == key) {
			if ((int32_t)(end - tab[i].end) <= 0)
				return true;
			tab[i].end = end;
			return false;
		}
	}
	return false; /* table full: count as new data */
}

/* Statistics of one direction (dir) into x[N_STAT]. */
static void dir_stats(const struct eg_audit_fopts *o,
		      const struct eg_audit_trace *t, int dir, float *x)
{
	struct conn_seq tab[MAX_CONN];
	double pk = 0, by = 0, dp = 0, db = 0, ub = 0, rt = 0, acks = 0;
	double smin = 0, ssum = 0, ssq = 0, smax = 0, zsum = 0, zsq = 0;
	double wmin = 0, wsum = 0, wmax = 0, wn = 0;
	double first = 0, last = 0, isum = 0, isq = 0, imax = 0, in = 0;
	double bursts = 0, bcur = 0, bsum = 0, bmax = 0;
	int prev_dir = 0;

	memset(tab, 0, sizeof(tab));
	for (size_t i = 0; i < t->n; i++) {
		const struct eg_audit_pkt *p = &t->p[i];
		uint32_t data;

		if (!counted(o, p)) {
			if (p->dir == dir)
				acks++;
			continue;
		}
		if (p->dir != dir) {
			prev_dir = p->dir;
			continue;
		}
		if (prev_dir != dir) {
			bursts++;
			bcur = 0;
		}
		prev_dir = dir;
		bcur += p->size;
		bsum += p->size;
		if (bcur > bmax)
			bmax = bcur;
		if (pk > 0) {
			double d = fmax(0, p->t - last);

			isum += d;
			isq += d * d;
			imax = d > imax ? d : imax;
			in++;
		} else {
			first = p->t;
		}
		last = p->t;
		pk++;
		by += p->size;
		zsum += p->size;
		zsq += (double)p->size * p->size;
		if (eg_audit_pkt_is_ack(p))
			acks++;
		if (p->has_hdr && p->proto == 6) {
			wmin = wn == 0 || p->window < wmin ? p->window : wmin;
			wmax = p->window > wmax ? p->window : wmax;
			wsum += p->window;
			wn++;
		}
		data = eg_audit_pkt_data(p);
		if (!data)
			continue;
		dp++;
		db += data;
		if (p->has_hdr && p->proto == 6 && retrans(tab, p))
			rt++;
		else
			ub += data;
		smin = dp == 1 || data < smin ? data : smin;
		smax = data > smax ? data : smax;
		ssum += data;
		ssq += (double)data * data;
	}
	x[0] = pk; x[1] = by; x[2] = dp; x[3] = db; x[4] = ub; x[5] = rt;
	x[6] = acks; x[7] = smin; x[8] = dp ? ssum / dp : 0; x[9] = smax;
	x[10] = dp ? sqrt(fmax(0, ssq / dp - (ssum / dp) * (ssum / dp))) : 0;
	x[11] = pk ? zsum / pk : 0;
	x[12] = pk ? sqrt(fmax(0, zsq / pk - (zsum / pk) * (zsum / pk))) : 0;
	x[13] = wmin; x[14] = wn ? wsum / wn : 0; x[15] = wmax;
	x[16] = first; x[17] = last; x[18] = last - first;
	x[19] = in ? isum / in : 0;
	x[20] = in ? sqrt(fmax(0, isq / in - (isum / in) * (isum / in))) : 0;
	x[21] = imax; x[22] = bursts; x[23] = bursts ? bsum / bursts : 0;
	x[24] = bmax;
}

static unsigned size_bin(uint32_t size, unsigned bins)
{
	unsigned b = (unsigned)((double)size * bins / (EG_AUDIT_MTU + 1));

	return b < bins ? b : bins - 1;
}

/* Log-spaced bins from IAT_LO to IAT_HI; below/above go to the ends. */
static unsigned iat_bin(double d, unsigned bins)
{
	double f;

	if (d <= IAT_LO)
		return 0;
	f = log(d / IAT_LO) / log(IAT_HI / IAT_LO);
	if (f >= 1)
		return bins - 1;
	return (unsigned)(f * bins);
}

static void hists(const struct eg_audit_fopts *o,
		  const struct eg_audit_trace *t, float *sz, float *iat)
{
	double n[2] = { 0, 0 }, ni[2] = { 0, 0 }, last[2] = { 0, 0 };
	unsigned b = o->bins;

	memset(sz, 0, 2 * b * sizeof(*sz));
	if (iat)
		memset(iat, 0, 2 * b * sizeof(*iat));
	for (size_t i = 0; i < t->n; i++) {
		const struct eg_audit_pkt *p = &t->p[i];
		int d = p->dir > 0 ? 0 : 1;

		if (!counted(o, p))
			continue;
		sz[d * b + size_bin(p->size, b)]++;
		if (iat && n[d] > 0) {
			iat[d * b + iat_bin(p->t - last[d], b)]++;
			ni[d]++;
		}
		n[d]++;
		last[d] = p->t;
	}
	for (int d = 0; d < 2; d++)
		for (unsigned k = 0; k < b; k++) {
			if (n[d])
				sz[d * b + k] /= n[d];
			if (iat && ni[d])
				iat[d * b + k] /= ni[d];
		}
}

/* CUMUL features into x[EG_AUDIT_CUMUL_N + 2 * N_CUMUL_T]. */
static void cumul(const struct eg_audit_fopts *o,
		  const struct eg_audit_trace *t, float *x)
{
	size_t m = 0, k = 0;
	double c = 0, prev = 0, t0 = 0, out = 0, in = 0;
	float *xt = x + EG_AUDIT_CUMUL_N;

	for (size_t i = 0; i < t->n; i++)
		m += counted(o, &t->p[i]);
	memset(x, 0, (EG_AUDIT_CUMUL_N + 2 * N_CUMUL_T) * sizeof(*x));
	for (size_t i = 0, j = 0; i < t->n; i++) {
		const struct eg_audit_pkt *p = &t->p[i];

		if (!counted(o, p))
			continue;
		if (!j)
			t0 = p->t;
		/* time points passed before this packet get the sums so far */
		while (k < N_CUMUL_T && p->t - t0 > cumul_t[k]) {
			xt[k] = (float)out;
			xt[N_CUMUL_T + k] = (float)in;
			k++;
		}
		prev = c;
		c += p->dir > 0 ? (double)p->size : -(double)p->size;
		out += p->dir > 0 ? p->size : 0;
		in += p->dir > 0 ? 0 : p->size;
		j++;
		/* sample points whose packet position falls in (j-1, j] */
		for (unsigned s = 0; s < EG_AUDIT_CUMUL_N; s++) {
			double pos = (double)(s + 1) * m / EG_AUDIT_CUMUL_N;

			if (pos > j - 1 && pos <= j)
				x[s] = (float)(prev + (c - prev) *
					       (pos - (j - 1)));
		}
	}
	for (; k < N_CUMUL_T; k++) {
		xt[k] = (float)out;
		xt[N_CUMUL_T + k] = (float)in;
	}
}

void eg_audit_feat_compute(const struct eg_audit_fopts *o,
			   const struct eg_audit_trace *t, float *x)
{
	unsigned n = 0;

	if (o->kind & EG_AUDIT_F_STATS) {
		double pk, ob, ib;

		dir_stats(o, t, 1, x);
		dir_stats(o, t, -1, x + N_STAT);
		pk = x[0] + x[N_STAT];
		ob = x[1];
		ib = x[N_STAT + 1];
		n = 2 * N_STAT;
		x[n++] = pk;
		x[n++] = t->n ? t->p[t->n - 1].t - t->p[0].t : 0;
		x[n++] = ob + ib > 0 ? ob / (ob + ib) : 0;
		x[n++] = pk > 0 ? x[0] / pk : 0;
	}
	if (o->kind & EG_AUDIT_F_HIST) {
		hists(o, t, x + n, x + n + 2 * o->bins);
		n += 4 * o->bins;
	} else if (o->kind & EG_AUDIT_F_SIZEHIST) {
		hists(o, t, x + n, NULL);
		n += 2 * o->bins;
	}
	if (o->kind & EG_AUDIT_F_CUMUL)
		cumul(o, t, x + n);
}

const char *const eg_audit_win_names[EG_AUDIT_WIN_FEATURES] = {
	"tcp_pkts", "udp_pkts", "icmp_pkts", "other_pkts", "remote_addrs",
	"remote_ports", "len_mean", "len_std", "win_mean", "win_std",
	"ipt_mean", "ipt_std", "ttl_mean", "ttl_std", "out_pkts", "in_pkts",
	"out_bytes", "in_bytes",
};

/* Count of distinct values (a small open set; capped at 256). */
static unsigned distinct(uint32_t *set, unsigned *n, uint32_t v)
{
	for (unsigned i = 0; i < *n; i++)
		if (set[i] == v)
			return *n;
	if (*n < 256)
		set[(*n)++] = v;
	return *n;
}

static void mean_std(double s, double sq, double n, float *m, float *sd)
{
	*m = n ? s / n : 0;
	*sd = n ? sqrt(fmax(0, sq / n - (s / n) * (s / n))) : 0;
}

void eg_audit_win_compute(const struct eg_audit_pkt *p, size_t n, float *x)
{
	uint32_t addrs[256], ports[256];
	unsigned na = 0, np = 0;
	double c[4] = { 0 }, ls = 0, lq = 0, ws = 0, wq = 0, wn = 0;
	double is = 0, iq = 0, ts = 0, tq = 0, dir[4] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct eg_audit_pkt *q = &p[i];
		int o = q->dir > 0 ? 0 : 1;

		c[q->proto == 6 ? 0 : q->proto == 17 ? 1 :
		  q->proto == 1 || q->proto == 58 ? 2 : 3]++;
		distinct(addrs, &na, q->raddr);
		if (q->rport)
			distinct(ports, &np, q->rport);
		ls += q->size;
		lq += (double)q->size * q->size;
		if (q->proto == 6) {
			ws += q->window;
			wq += (double)q->window * q->window;
			wn++;
		}
		if (i) {
			double d = fmax(0, q->t - p[i - 1].t);

			is += d;
			iq += d * d;
		}
		ts += q->ttl;
		tq += (double)q->ttl * q->ttl;
		dir[o]++;
		dir[2 + o] += q->size;
	}
	for (int i = 0; i < 4; i++)
		x[i] = c[i];
	x[4] = na;
	x[5] = np;
	mean_std(ls, lq, n, &x[6], &x[7]);
	mean_std(ws, wq, wn, &x[8], &x[9]);
	mean_std(is, iq, n > 1 ? n - 1 : 0, &x[10], &x[11]);
	mean_std(ts, tq, n, &x[12], &x[13]);
	for (int i = 0; i < 4; i++)
		x[14 + i] = dir[i];
}

int eg_audit_defend_parse(const char *s, struct eg_audit_defend *ret)
{
	struct eg_audit_defend d = { .kind = EG_DEF_NONE };
	char *end;

	if (!strcmp(s, "none")) {
		*ret = d;
		return 0;
	}
	if (!strcmp(s, "pad:mtu")) {
		d.kind = EG_DEF_PAD;
		d.bucket = EG_AUDIT_MTU;
	} else if (!strncmp(s, "pad:", 4)) {
		unsigned long b = strtoul(s + 4, &end, 10);

		if (end == s + 4 || *end || b < 1 || b > EG_AUDIT_MTU)
			return -EINVAL;
		d.kind = EG_DEF_PAD;
		d.bucket = (unsigned)b;
	} else if (!strncmp(s, "rate:", 5)) {
		double r = strtod(s + 5, &end);

		if (end == s + 5 || *end || !(r > 0) || r > 1e6)
			return -EINVAL;
		d.kind = EG_DEF_RATE;
		d.rate = r;
	} else {
		return -EINVAL;
	}
	*ret = d;
	return 0;
}

static void pad_trace(unsigned bucket, struct eg_audit_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct eg_audit_pkt *p = &t->p[i];
		uint32_t s = (p->size + bucket - 1) / bucket * bucket;

		/* Larger than the MTU only in captures with offloads. */
		if (p->size <= EG_AUDIT_MTU && s > EG_AUDIT_MTU)
			s = EG_AUDIT_MTU;
		p->size = s;
		p->has_hdr = false;
	}
}

/* Constant rate: per direction, MTU packets every 1/rate s. */
static int rate_trace(double rate, struct eg_audit_trace *t)
{
	double first[2] = { 0, 0 }, last[2] = { 0, 0 }, bytes[2] = { 0, 0 };
	size_t cnt[2] = { 0, 0 }, n[2], k[2] = { 0, 0 };
	struct eg_audit_trace o;

	for (size_t i = 0; i < t->n; i++) {
		int d = t->p[i].dir > 0 ? 0 : 1;

		if (!cnt[d]++)
			first[d] = t->p[i].t;
		last[d] = t->p[i].t;
		bytes[d] += t->p[i].size;
	}
	for (int d = 0; d < 2; d++) {
		double a = cnt[d] ? floor((last[d] - first[d]) * rate) + 1 : 0;
		double b = ceil(bytes[d] / EG_AUDIT_MTU);

		n[d] = (size_t)(a > b ? a : b);
	}
	eg_audit_trace_init(&o);
	memcpy(o.name, t->name, sizeof(o.name));
	memcpy(o.label, t->label, sizeof(o.label));
	while (k[0] < n[0] || k[1] < n[1]) {
		double t0 = k[0] < n[0] ? first[0] + k[0] / rate : INFINITY;
		double t1 = k[1] < n[1] ? first[1] + k[1] / rate : INFINITY;
		int d = t0 <= t1 ? 0 : 1;
		struct eg_audit_pkt p = { .t = d ? t1 : t0,
					  .size = EG_AUDIT_MTU,
					  .dir = d ? -1 : 1 };

		k[d]++;
		if (eg_audit_trace_push(&o, &p) < 0) {
			eg_audit_trace_done(&o);
			return -ENOMEM;
		}
	}
	eg_audit_trace_done(t);
	*t = o;
	return 0;
}

int eg_audit_defend_apply(const struct eg_audit_defend *d,
			  struct eg_audit_trace *t, uint64_t *bytes_before,
			  uint64_t *bytes_after)
{
	uint64_t b = 0, a = 0;
	int r = 0;

	for (size_t i = 0; i < t->n; i++)
		b += t->p[i].size;
	if (d->kind == EG_DEF_PAD)
		pad_trace(d->bucket, t);
	else if (d->kind == EG_DEF_RATE)
		r = rate_trace(d->rate, t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++)
		a += t->p[i].size;
	*bytes_before += b;
	*bytes_after += a;
	return 0;
}
