/* SPDX-License-Identifier: MIT */
/*
 * flow.c: the bidirectional flow table and per-direction TCP state.
 *
 * Layout: one allocation holds the table header, a tag array (one 32-bit
 * hash tag per slot, 0 = empty, so a probe window of 8 slots is one cache
 * line) and the flow slots. A lookup hashes the normalised 5-tuple with a
 * seeded multiply-xor mix, then scans the max_probe slots of its window:
 * a tag match plus a key compare finds the flow; otherwise the new flow
 * takes the first free or expired slot of the window, else evicts the
 * least recently used flow of the window (counted in evicted_lru).
 *
 * The rules (retransmission, keep-alive, zero-window probe, the keep-alive
 * series detector) are written out in docs/flows-and-tls.md.
 * Covered by tests/unit/test-flow.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "echoguard/net/flow.h"
#include "echoguard/util/util.h"

#define MAX_CAPACITY (1u << 24)
#define KA_MIN_PERIOD_NS 5000000000ull  /* shorter gaps never form a series */
#define KA_MIN_TOL_NS 500000000ull      /* tolerance: max(5 %, 500 ms) */

struct eg_flow_table {
	struct eg_flow_params p;
	uint32_t mask;
	uint32_t cursor;              /* eg_flow_expire resumes here */
	uint64_t k[4];                /* hash secrets derived from the seed */
	struct eg_flow_stats st;
	uint32_t *tags;               /* [capacity], 0 = empty slot */
	struct eg_flow *slots;        /* [capacity] */
};

void eg_flow_params_default(struct eg_flow_params *p)
{
	memset(p, 0, sizeof(*p));
	p->capacity = 8192; /* ~11 MB at 1368 B a slot: ample for one speaker */
	p->max_probe = 8;
	p->idle_timeout_ns = 300ull * 1000000000ull;
	p->closed_timeout_ns = 10ull * 1000000000ull;
	p->hash_seed = 0;
}

/* A random seed; falls back to the clock and an address when getrandom
 * would block (early boot), which is still unpredictable enough to stop
 * precomputed collisions. */
static uint64_t random_seed(const void *salt)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s) && s)
		return s;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return s ^ (uint64_t)(uintptr_t)salt;
}

/*
 * Allocate the table: the only allocation of this module. Capacity is
 * rounded up to a power of two (>= 16, <= 2^24); max_probe is clamped to
 * the capacity. -EINVAL for a zero capacity or probe count, capacity over
 * 2^24 or a zero idle timeout; -ENOMEM.
 */
int eg_flow_table_new(const struct eg_flow_params *p,
		      struct eg_flow_table **ret)
{
	struct eg_flow_table *t;
	uint32_t cap = 16;
	size_t off_tags, off_slots, size;
	uintptr_t base;
	uint64_t seed;

	if (!p || !ret || p->capacity == 0 || p->capacity > MAX_CAPACITY ||
	    p->max_probe == 0 || p->max_probe > 64 || p->idle_timeout_ns == 0)
		return -EINVAL;
	while (cap < p->capacity)
		cap <<= 1;

	/* calloc: a large table comes from fresh zero pages, so creation
	 * costs nothing per slot and untouched slots use no memory. The
	 * arrays start on cache lines inside the block. */
	off_tags = (sizeof(*t) + 63) & ~(size_t)63;
	off_slots = (off_tags + (size_t)cap * sizeof(uint32_t) + 63) &
		    ~(size_t)63;
	size = off_slots + (size_t)cap * sizeof(struct eg_flow) + 64;
	t = calloc(1, size);
	if (!t)
		return -ENOMEM;
	base = ((uintptr_t)t + 63) & ~(uintptr_t)63;
	t->p = *p;
	t->p.capacity = cap;
	if (t->p.max_probe > cap)
		t->p.max_probe = cap;
	t->mask = cap - 1;
	t->tags = (uint32_t *)(base + off_tags);
	t->slots = (struct eg_flow *)(base + off_slots);
	seed = p->hash_seed ? p->hash_seed : random_seed(t);
	t->p.hash_seed = seed;
	for (int i = 0; i < 4; i++)
		t->k[i] = eg_splitmix64(&seed) | 1;
	t->st.capacity = cap;
	*ret = t;
	return 0;
}

struct eg_flow_table *eg_flow_table_free(struct eg_flow_table *t)
{
	free(t);
	return NULL;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t h = (a ^ (b >> 29)) * 0xff51afd7ed558ccdull;

	h ^= h >> 32;
	h = (h ^ b) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
#endif
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Seeded hash of a normalised key (wyhash-style multiply-xor folding). */
static uint64_t key_hash(const struct eg_flow_table *t,
			 const struct eg_flow_key *k)
{
	uint64_t ports = (uint64_t)k->pa | (uint64_t)k->pb << 16 |
			 (uint64_t)k->proto << 32 |
			 (uint64_t)k->ip_version << 40;
	uint64_t h;

	h = mix(load64(k->a) ^ t->k[0], load64(k->a + 8) ^ t->k[1]);
	h ^= mix(load64(k->b) ^ t->k[2], load64(k->b + 8) ^ t->k[3]);
	return mix(h ^ t->k[1], ports ^ t->k[0]);
}

/* Build the normalised key; *src_is_a says whether the packet's source
 * is endpoint a (the smaller address, then port). */
static void key_make(const struct eg_packet *p, struct eg_flow_key *k,
		     bool *src_is_a)
{
	int c = memcmp(p->src, p->dst, 16);
	bool a_src = c < 0 || (c == 0 && p->sport <= p->dport);

	memset(k, 0, sizeof(*k));
	if (a_src) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->pa = p->sport;
		k->pb = p->dport;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->pa = p->dport;
		k->pb = p->sport;
	}
	k->proto = p->l4_proto;
	k->ip_version = p->ip_version;
	*src_is_a = a_src;
}

static inline uint64_t age_ns(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool flow_expired(const struct eg_flow_table *t,
			 const struct eg_flow *f, uint64_t now)
{
	uint64_t limit = f->closed ? t->p.closed_timeout_ns :
				     t->p.idle_timeout_ns;

	return age_ns(now, f->last_ns) > limit;
}

static void flow_start(struct eg_flow *f, const struct eg_flow_key *k,
		       bool src_is_a, uint64_t now)
{
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->in_use = true;
	f->fwd_is_a = src_is_a;
	f->created_ns = now;
	f->last_ns = now;
	eg_tls_init(&f->dir[EG_DIR_FWD].tls);
	eg_tls_init(&f->dir[EG_DIR_REV].tls);
}

/* FIN both ways or a RST closes a flow; its slot is reusable after
 * closed_timeout. */
static void flow_note_flags(struct eg_flow *f, const struct eg_packet *p,
			    enum eg_dir dir)
{
	if (p->l4_proto != IPPROTO_TCP)
		return;
	if (p->tcp_flags & EG_TCP_RST)
		f->closed = true;
	if (p->tcp_flags & EG_TCP_FIN) {
		f->dir[dir].fin_seen = true;
		if (f->dir[!dir].fin_seen)
			f->closed = true;
	}
}

static bool packet_has_ports(const struct eg_packet *p)
{
	if (p->error != EG_PERR_NONE)
		return false;
	if (p->ip_version != 4 && p->ip_version != 6)
		return false;
	if (p->l4_proto != IPPROTO_TCP && p->l4_proto != IPPROTO_UDP)
		return false;
	return !(p->is_fragment && !p->is_first_fragment);
}

/*
 * Find or create the flow of p. A flow that matches but is past its idle
 * timeout, or is closed and sees a new SYN (no ACK), starts afresh in the
 * same slot (counted in expired and created; returns 1).
 */
/* The slot for a new flow: the probe window's first free or expired one,
 * else its least recently used (evicted); counted either way. */
static uint32_t take_slot(struct eg_flow_table *t, uint32_t free_idx,
			  uint32_t lru_idx)
{
	if (free_idx == UINT32_MAX) {
		t->st.evicted_lru++;
		return lru_idx;
	}
	if (t->tags[free_idx])
		t->st.expired++;
	else
		t->st.active++;
	return free_idx;
}

int eg_flow_lookup(struct eg_flow_table *t, const struct eg_packet *p,
		   uint64_t now_ns, struct eg_flow **ret, enum eg_dir *ret_dir)
{
	struct eg_flow_key k;
	bool src_is_a;
	uint64_t h;
	uint32_t tag, idx, free_idx = UINT32_MAX, lru_idx = UINT32_MAX;
	uint64_t lru_ns = UINT64_MAX;
	struct eg_flow *f;
	enum eg_dir dir;
	int r = 0;

	if (!packet_has_ports(p))
		return -EINVAL;
	key_make(p, &k, &src_is_a);
	h = key_hash(t, &k);
	tag = (uint32_t)(h >> 32) | 1;
	t->st.lookups++;

	for (uint32_t i = 0; i < t->p.max_probe; i++) {
		idx = ((uint32_t)h + i) & t->mask;
		f = &t->slots[idx];
		if (t->tags[idx] == 0) {
			if (free_idx == UINT32_MAX)
				free_idx = idx;
			continue;
		}
		if (t->tags[idx] == tag && memcmp(&f->key, &k, sizeof(k)) == 0)
			goto found;
		if (free_idx == UINT32_MAX && flow_expired(t, f, now_ns))
			free_idx = idx;
		/* lru_idx == UINT32_MAX: the first occupied slot is the LRU
		 * so far even when every last_ns is UINT64_MAX (a capture's
		 * timestamps are the sender's: tests/unit/test-trust.c). */
		if (f->last_ns < lru_ns || lru_idx == UINT32_MAX) {
			lru_ns = f->last_ns;
			lru_idx = idx;
		}
	}

	/* A new flow. */
	idx = take_slot(t, free_idx, lru_idx);
	f = &t->slots[idx];
	t->tags[idx] = tag;
	flow_start(f, &k, src_is_a, now_ns);
	t->st.created++;
	r = 1;
	goto out;

found:
	t->st.hits++;
	/* Past the idle timeout, or a new SYN on a closed flow: a new flow.
	 * A closed flow past closed_timeout that still holds its slot goes
	 * on (a FIN retransmitted after 16 s is still that connection's). */
	if (age_ns(now_ns, f->last_ns) > t->p.idle_timeout_ns ||
	    (f->closed && p->l4_proto == IPPROTO_TCP &&
	     (p->tcp_flags & (EG_TCP_SYN | EG_TCP_ACK | EG_TCP_RST)) ==
		     EG_TCP_SYN)) {
		flow_start(f, &k, src_is_a, now_ns);
		t->st.expired++;
		t->st.created++;
		r = 1;
	}
out:
	if (now_ns > f->last_ns)
		f->last_ns = now_ns;
	dir = (src_is_a == f->fwd_is_a) ? EG_DIR_FWD : EG_DIR_REV;
	flow_note_flags(f, p, dir);
	*ret = f;
	*ret_dir = dir;
	return r;
}

/* --- rate buckets --------------------------------------------------- */

static inline uint32_t sat_add32(uint32_t a, uint32_t b)
{
	return a + b < a ? UINT32_MAX : a + b;
}

/*
 * Count one packet of `bytes` at now. The ring holds buckets head-19 ..
 * head; a newer bucket advances head and clears what it skips; an older
 * one still inside the window is added to its own bucket; anything older
 * is ignored. So out-of-order timestamps never corrupt the ring.
 */
static void rate_add(struct eg_rate *r, uint64_t now, uint32_t bytes)
{
	uint64_t b = now / EG_RATE_BUCKET_NS;
	unsigned slot;

	if (b > r->head) {
		uint64_t steps = b - r->head;

		if (steps >= EG_RATE_BUCKETS) {
			memset(r->bytes, 0, sizeof(r->bytes));
			memset(r->pkts, 0, sizeof(r->pkts));
			r->pos = 0;
		} else {
			for (uint64_t i = 0; i < steps; i++) {
				r->pos = (uint8_t)((r->pos + 1) % EG_RATE_BUCKETS);
				r->bytes[r->pos] = 0;
				r->pkts[r->pos] = 0;
			}
		}
		r->head = b;
		slot = r->pos;
	} else {
		uint64_t back = r->head - b;

		if (back >= EG_RATE_BUCKETS)
			return;
		slot = (r->pos + EG_RATE_BUCKETS - (unsigned)back) %
		       EG_RATE_BUCKETS;
	}
	r->bytes[slot] = sat_add32(r->bytes[slot], bytes);
	if (r->pkts[slot] < UINT16_MAX)
		r->pkts[slot]++;
}

/* Sum of buckets b-n+1 .. b (b = now's bucket) that the ring still holds. */
void eg_rate_sum(const struct eg_rate *r, uint64_t now_ns, unsigned buckets,
		 uint64_t *ret_bytes, uint64_t *ret_pkts)
{
	uint64_t b = now_ns / EG_RATE_BUCKET_NS, bytes = 0, pkts = 0, hi, lo;

	if (buckets > EG_RATE_BUCKETS)
		buckets = EG_RATE_BUCKETS;
	hi = b < r->head ? b : r->head;
	lo = r->head >= EG_RATE_BUCKETS - 1 ? r->head - (EG_RATE_BUCKETS - 1) : 0;
	if (b + 1 >= buckets && b + 1 - buckets > lo)
		lo = b + 1 - buckets;
	if (buckets && hi >= lo) {
		unsigned slot = (r->pos + EG_RATE_BUCKETS -
				 (unsigned)(r->head - hi)) % EG_RATE_BUCKETS;

		for (uint64_t bn = hi + 1; bn-- > lo;) {
			bytes += r->bytes[slot];
			pkts += r->pkts[slot];
			slot = slot ? slot - 1 : EG_RATE_BUCKETS - 1;
		}
	}
	if (ret_bytes)
		*ret_bytes = bytes;
	if (ret_pkts)
		*ret_pkts = pkts;
}

/* --- per-direction update ------------------------------------------- */

static enum eg_seg_kind tcp_track(struct eg_flow_dir *d,
				  const struct eg_flow_dir *peer,
				  const struct eg_packet *p)
{
	uint8_t fl = p->tcp_flags;
	uint32_t plen = p->payload_len;
	uint32_t space = plen + !!(fl & EG_TCP_SYN) + !!(fl & EG_TCP_FIN);
	uint32_t seq = p->seq, end = seq + space;

	if (fl & EG_TCP_RST)
		return plen ? EG_SEG_NEW : EG_SEG_NONE;
	if (!d->seq_valid) {
		/* First segment of this direction: a SYN, or mid-stream. */
		d->seq_valid = true;
		d->isn = seq;
		d->snd_max = end;
		return plen ? EG_SEG_NEW : EG_SEG_NONE;
	}
	/* Keep-alive: 0 or 1 byte one below what was sent, no SYN/FIN. */
	if (plen <= 1 && !(fl & (EG_TCP_SYN | EG_TCP_FIN)) &&
	    seq == d->snd_max - 1) {
		d->keepalives++;
		return EG_SEG_KEEPALIVE;
	}
	if (space == 0) {
		/* A pure ACK's seq is the sender's next sequence number: all
		 * below it was sent, even if the capture missed it. */
		if (eg_seq_lt(d->snd_max, seq))
			d->snd_max = seq;
		return EG_SEG_NONE;
	}
	/* Zero-window probe: 1 byte at snd_max while the peer's last
	 * advertised window is 0. It does not advance snd_max: the byte is
	 * sent again once the window opens. */
	if (plen == 1 && !(fl & (EG_TCP_SYN | EG_TCP_FIN)) &&
	    seq == d->snd_max && peer && peer->pkts && peer->window == 0)
		return EG_SEG_ZWP;
	if (eg_seq_le(end, d->snd_max)) {
		d->retrans++;
		return EG_SEG_RETRANS;
	}
	d->snd_max = end;
	return plen ? EG_SEG_NEW : EG_SEG_NONE;
}

/*
 * Counters, rate buckets, window/wscale and sequence tracking for one
 * packet of this direction. UDP packets update the counters and return
 * EG_SEG_NEW when they carry payload. A SYN and a FIN each take one
 * sequence number, so a repeated SYN or FIN is a retransmission.
 */
enum eg_seg_kind eg_flow_update(struct eg_flow_dir *d,
				const struct eg_flow_dir *peer,
				const struct eg_packet *p, uint64_t now_ns)
{
	if (d->pkts == 0)
		d->first_ns = now_ns;
	if (now_ns > d->last_ns)
		d->last_ns = now_ns;
	d->pkts++;
	d->bytes += p->ip_total_len;
	d->payload_bytes += p->payload_len;
	rate_add(&d->rate, now_ns, p->ip_total_len);
	if (p->l4_proto != IPPROTO_TCP)
		return p->payload_len ? EG_SEG_NEW : EG_SEG_NONE;
	d->window = p->window;
	if ((p->tcp_flags & EG_TCP_SYN) && p->opts.has_wscale)
		d->wscale = p->opts.wscale > 14 ? 14 : p->opts.wscale;
	return tcp_track(d, peer, p);
}

/* --- keep-alive series ---------------------------------------------- */

static uint64_t ka_tol(uint64_t period)
{
	uint64_t t = period / 20;

	return t > KA_MIN_TOL_NS ? t : KA_MIN_TOL_NS;
}

/* A series that missed more than two periods is stale: replaceable. */
static unsigned ka_weight(const struct eg_ka_series *s, uint64_t now)
{
	if (s->period_ns && age_ns(now, s->last_ns) >
				    2 * s->period_ns + ka_tol(s->period_ns))
		return 0;
	return s->hits;
}

/*
 * The detector (docs/flows-and-tls.md): per size, the last member's time,
 * a period and the number of gaps that matched it. A segment less than
 * 5 s after the last member, or after the last segment of its size, is
 * ignored. The first gap >= 5 s sets the period (hits = 1); a gap within
 * max(5 %, 500 ms) of the period is a hit (the period follows the mean of
 * the matched gaps); any other gap >= 5 s restarts the series with that gap
 * as its period. True from the second hit on: the third member.
 */
bool eg_ka_feed(struct eg_flow_dir *d, uint32_t size, uint64_t now_ns)
{
	struct eg_ka_series *s = NULL, *victim = NULL;
	uint64_t gap;

	if (size == 0)
		return false;
	for (int i = 0; i < EG_KA_CANDIDATES; i++) {
		struct eg_ka_series *c = &d->ka[i];

		if (c->size == size) {
			s = c;
			break;
		}
		if (!victim || (victim->size && !c->size))
			victim = c;
		else if (victim->size && c->size) {
			unsigned wv = ka_weight(victim, now_ns),
				 wc = ka_weight(c, now_ns);

			if (wc < wv || (wc == wv && c->last_ns < victim->last_ns))
				victim = c;
		}
	}
	if (!s) {
		memset(victim, 0, sizeof(*victim));
		victim->size = size;
		victim->last_ns = now_ns;
		victim->last_any_ns = now_ns;
		return false;
	}
	if (now_ns <= s->last_ns)
		return false;
	gap = now_ns - s->last_ns;
	/* Inside a run of this size (< 5 s since the last one, member or
	 * not): not a member, the series stays as it is. So a stray record
	 * near a member does not break a series, and a dense stream (voice,
	 * one record every 20 ms) never samples itself into one. */
	if (gap < KA_MIN_PERIOD_NS ||
	    age_ns(now_ns, s->last_any_ns) < KA_MIN_PERIOD_NS) {
		if (now_ns > s->last_any_ns)
			s->last_any_ns = now_ns;
		return false;
	}
	s->last_any_ns = now_ns;
	/* An established series ignores a same-size record that comes
	 * early (an app record that happens to have the keep-alive's size):
	 * the next member is still due one period after the last. */
	if (s->hits >= 2 && gap + ka_tol(s->period_ns) < s->period_ns)
		return false;
	s->last_ns = now_ns;
	if (s->period_ns && (gap > s->period_ns ? gap - s->period_ns :
						  s->period_ns - gap) <=
				    ka_tol(s->period_ns)) {
		unsigned w = s->hits < 8 ? s->hits + 1u : 8u;

		if (s->hits < UINT16_MAX)
			s->hits++;
		if (gap >= s->period_ns)
			s->period_ns += (gap - s->period_ns) / w;
		else
			s->period_ns -= (s->period_ns - gap) / w;
		return s->hits >= 2;
	}
	s->period_ns = gap;
	s->hits = 1;
	return false;
}

/* --- dropped ranges ------------------------------------------------- */

/*
 * Remember [start,end) as dropped. A range that touches or overlaps the
 * most recent one extends it (a stream of dropped segments takes one
 * slot), as long as the union stays far below 2^31 so the serial-number
 * comparisons remain valid; otherwise the oldest range is overwritten.
 */
void eg_flow_drop_remember(struct eg_flow *f, uint32_t start, uint32_t end)
{
	struct eg_seq_range *last;

	if (start == end)
		return;
	if (f->n_drop_ranges) {
		last = &f->drop_ranges[(f->drop_pos + EG_DROP_RANGES - 1) %
				       EG_DROP_RANGES];
		if (eg_seq_le(start, last->end) && eg_seq_le(last->start, end)) {
			uint32_t s = eg_seq_lt(start, last->start) ? start :
								     last->start;
			uint32_t e = eg_seq_lt(last->end, end) ? end : last->end;

			if (e - s < (1u << 30)) {
				last->start = s;
				last->end = e;
				return;
			}
		}
	}
	f->drop_ranges[f->drop_pos].start = start;
	f->drop_ranges[f->drop_pos].end = end;
	f->drop_pos = (uint8_t)((f->drop_pos + 1) % EG_DROP_RANGES);
	if (f->n_drop_ranges < EG_DROP_RANGES)
		f->n_drop_ranges++;
}

/* Does [start,end) share a byte with a remembered range? Wrap-safe. */
bool eg_flow_drop_overlaps(const struct eg_flow *f, uint32_t start,
			   uint32_t end)
{
	if (start == end)
		return false;
	for (unsigned i = 0; i < f->n_drop_ranges && i < EG_DROP_RANGES; i++) {
		const struct eg_seq_range *r = &f->drop_ranges[i];

		if (eg_seq_lt(start, r->end) && eg_seq_lt(r->start, end))
			return true;
	}
	return false;
}

/* --- housekeeping --------------------------------------------------- */

unsigned eg_flow_expire(struct eg_flow_table *t, uint64_t now_ns,
			unsigned budget)
{
	unsigned n = 0;

	if (budget > t->p.capacity)
		budget = t->p.capacity;
	while (budget--) {
		uint32_t i = t->cursor;

		t->cursor = (t->cursor + 1) & t->mask;
		if (t->tags[i] && flow_expired(t, &t->slots[i], now_ns)) {
			t->tags[i] = 0;
			t->slots[i].in_use = false;
			t->st.active--;
			t->st.expired++;
			n++;
		}
	}
	return n;
}

void eg_flow_stats_get(const struct eg_flow_table *t,
		       struct eg_flow_stats *ret)
{
	*ret = t->st;
}
