/* SPDX-License-Identifier: MIT */
/*
 * tls.c: TLS record tracking by TCP sequence number, ClientHello SNI,
 * HTTP detection.
 *
 * One tracker per flow direction. It knows where the next record header
 * starts (next_hdr) and keeps a ring of recent records, so a segment's
 * first payload byte is located in a known record whenever possible. The
 * states (idle, synced, gap, lost), the walk and the recovery rules are
 * written out in docs/flows-and-tls.md; the golden tests compare them with
 * Wireshark. Nothing here allocates or does I/O: it runs for every packet.
 *
 * Covered by tests/unit/test-tls.c.
 */
#include <errno.h>
#include <string.h>

#include "echoguard/net/seq.h"
#include "echoguard/net/tls.h"

#define HDR 5u

enum scan_mode {
	SCAN_RESYNC,  /* successor checked when it lies in the segment */
	SCAN_FIRST,   /* no TLS seen yet: the successor must be in the segment
			 (plausible) or the record must end the segment */
};

void eg_tls_init(struct eg_tls_dir *d)
{
	memset(d, 0, sizeof(*d));
}

/* Are the first n (1..5) bytes of b a possible record header? */
static bool prefix_ok(const uint8_t *b, size_t n)
{
	uint32_t l;

	if ((uint8_t)(b[0] - 20) > 4)
		return false;
	if (n >= 2 && b[1] != 3)
		return false;
	if (n >= 3 && b[2] > 4)
		return false;
	if (n >= 4 && b[3] > (EG_TLS_MAX_RECORD >> 8))
		return false;
	if (n >= 5) {
		l = (uint32_t)b[3] << 8 | b[4];
		if (l == 0 || l > EG_TLS_MAX_RECORD)
			return false;
	}
	return true;
}

bool eg_tls_header_plausible(const uint8_t *buf, size_t len)
{
	return buf && len >= HDR && prefix_ok(buf, HDR);
}

static inline uint32_t rec_len(const uint8_t *h)
{
	return (uint32_t)h[3] << 8 | h[4];
}

/*
 * A header at off that is plausible and whose successor, when any of it
 * lies in the captured bytes, starts plausibly too. SCAN_FIRST also wants
 * evidence inside the segment: a complete plausible successor, or the
 * record ending exactly where the segment ends.
 */
static bool header_ok_at(const uint8_t *p, uint32_t caplen, uint32_t len,
			 uint32_t off, enum scan_mode mode)
{
	uint32_t next;

	if (caplen < HDR || off > caplen - HDR || !prefix_ok(p + off, HDR))
		return false;
	next = off + HDR + rec_len(p + off);
	if (next < caplen) {
		uint32_t n = caplen - next < HDR ? caplen - next : HDR;

		if (!prefix_ok(p + next, n))
			return false;
		return mode != SCAN_FIRST || n == HDR;
	}
	return mode != SCAN_FIRST || (next == len && caplen == len);
}

/* First offset >= from holding a header by header_ok_at(); -1 if none. */
static int64_t scan(const uint8_t *p, uint32_t caplen, uint32_t len,
		    uint32_t from, enum scan_mode mode)
{
	for (uint32_t off = from; caplen >= HDR && off <= caplen - HDR; off++) {
		if ((uint8_t)(p[off] - 20) > 4 || p[off + 1] != 3)
			continue;
		if (header_ok_at(p, caplen, len, off, mode))
			return off;
	}
	return -1;
}

static void ring_put(struct eg_tls_record *ring, uint8_t *n, uint8_t *pos,
		     unsigned size, uint32_t start, uint32_t end, uint8_t type)
{
	struct eg_tls_record *r = &ring[*pos];

	r->start = start;
	r->end = end;
	r->type = type;
	r->count = 1;
	*pos = (uint8_t)((*pos + 1) % size);
	if (*n < size)
		(*n)++;
}

/* Remember a record: one by one in hist[], merged into runs[]. */
static void hist_push(struct eg_tls_dir *d, uint32_t start, uint32_t end,
		      uint8_t type)
{
	struct eg_tls_record *r;

	ring_put(d->hist, &d->n_hist, &d->hist_pos, EG_TLS_HIST, start, end,
		 type);
	if (d->n_runs) {
		r = &d->runs[(d->run_pos + EG_TLS_RUNS - 1) % EG_TLS_RUNS];
		if (r->type == type && r->end == start && r->count < UINT8_MAX &&
		    end - r->start < (1u << 30)) {
			r->end = end;
			r->count++;
			return;
		}
	}
	ring_put(d->runs, &d->n_runs, &d->run_pos, EG_TLS_RUNS, start, end,
		 type);
}

static const struct eg_tls_record *ring_find(const struct eg_tls_record *ring,
					     unsigned n, unsigned pos,
					     unsigned size, uint32_t seq)
{
	for (unsigned i = 1; i <= n; i++) {
		const struct eg_tls_record *r = &ring[(pos + size - i) % size];

		if (eg_seq_le(r->start, seq) && eg_seq_lt(seq, r->end))
			return r;
	}
	return NULL;
}

/*
 * The content type of the record holding byte seq: the pending split
 * header (whose record goes on at next_hdr + hdr_have), then the records,
 * then the runs, newest first. 0 when unknown.
 */
static uint8_t known_type(const struct eg_tls_dir *d, uint32_t seq)
{
	const struct eg_tls_record *r;

	if (d->hdr_have && (d->state == EG_TLS_S_SYNCED ||
			    d->state == EG_TLS_S_GAP) &&
	    eg_seq_le(d->next_hdr, seq) &&
	    eg_seq_le(seq, d->next_hdr + d->hdr_have))
		return d->hdr_buf[0];
	r = ring_find(d->hist, d->n_hist, d->hist_pos, EG_TLS_HIST, seq);
	if (!r)
		r = ring_find(d->runs, d->n_runs, d->run_pos, EG_TLS_RUNS, seq);
	return r ? r->type : 0;
}

/* Plausible headers chained from off while they start before limit. */
static unsigned count_chain(const uint8_t *p, uint32_t caplen, uint32_t off,
			    uint32_t limit)
{
	unsigned n = 0;

	while (off < limit && caplen >= HDR && off <= caplen - HDR &&
	       prefix_ok(p + off, HDR)) {
		n++;
		off += HDR + rec_len(p + off);
	}
	return n;
}

/*
 * Headers starting in a segment the tracker does not walk (an old
 * retransmission): exact from hist[] for the bytes it covers; before
 * that, the bytes are walked from a run's start inside the segment, or
 * from offset 0 when the segment starts inside a run with a plausible
 * header (records the history cannot place are not counted).
 */
static unsigned hist_count(const struct eg_tls_dir *d, uint32_t seq,
			   const uint8_t *p, uint32_t caplen, uint32_t len)
{
	const struct eg_tls_record *oldest;
	uint32_t lim;
	unsigned n = 0;

	for (unsigned i = 0; i < d->n_hist; i++)
		n += d->hist[i].start - seq < len;
	oldest = d->n_hist ? &d->hist[(d->hist_pos + EG_TLS_HIST - d->n_hist) %
				      EG_TLS_HIST] : NULL;
	if (oldest && eg_seq_le(oldest->start, seq))
		return n;
	lim = oldest && oldest->start - seq < len ? oldest->start - seq : len;
	for (unsigned i = 0; i < d->n_runs; i++) {
		const struct eg_tls_record *r = &d->runs[i];
		uint32_t s_off = r->start - seq, from, l;

		if (s_off < lim)
			from = s_off;
		else if (eg_seq_lt(r->start, seq) && eg_seq_lt(seq, r->end) &&
			 header_ok_at(p, caplen, len, 0, SCAN_RESYNC))
			from = 0;
		else
			continue;
		l = r->end - seq < lim ? r->end - seq : lim;
		n += count_chain(p, caplen, from, l);
	}
	return n;
}

static void set_state(struct eg_tls_dir *d, enum eg_tls_state s)
{
	d->state = (uint8_t)s;
	d->synced = s == EG_TLS_S_SYNCED;
	if (s == EG_TLS_S_SYNCED)
		d->active = true;
	if (s == EG_TLS_S_LOST)
		d->hdr_have = 0;
}

/* What one walk learnt, for the answer. */
struct walk {
	bool first_at_zero;   /* a header starts at payload offset 0 */
	uint8_t first_type;
};

static void lose(struct eg_tls_dir *d)
{
	if (d->state == EG_TLS_S_SYNCED || d->state == EG_TLS_S_GAP)
		d->desyncs++;
	set_state(d, EG_TLS_S_LOST);
}

/*
 * Parse every header from payload offset off (a header position) to the
 * end of the segment. An implausible header loses sync and hunts for the
 * next plausible one in the rest of the segment. A header cut by the end
 * of the segment waits in hdr_buf; one cut by the capture's snap length
 * loses sync. Leaves next_hdr at the first header after the segment.
 */
static void walk(struct eg_tls_dir *d, uint32_t seq, const uint8_t *p,
		 uint32_t caplen, uint32_t len, uint32_t off,
		 struct eg_tls_seg *ret, struct walk *w)
{
	d->hdr_have = 0;
	set_state(d, EG_TLS_S_SYNCED);
	while (off < len) {
		const uint8_t *h;
		int64_t found;

		if (caplen >= HDR && off <= caplen - HDR) {
			h = p + off;
			if (prefix_ok(h, HDR)) {
				uint32_t end = off + HDR + rec_len(h);

				hist_push(d, seq + off, seq + end, h[0]);
				if (ret->n_headers < UINT8_MAX)
					ret->n_headers++;
				if (off == 0) {
					w->first_at_zero = true;
					w->first_type = h[0];
				}
				if (h[0] == EG_TLS_HANDSHAKE && !ret->client_hello &&
				    off + HDR < caplen && h[HDR] == 1 &&
				    off <= UINT16_MAX) {
					ret->client_hello = true;
					ret->ch_offset = (uint16_t)off;
				}
				off = end;
				continue;
			}
			lose(d);
			found = scan(p, caplen, len, off + 1, SCAN_RESYNC);
			if (found < 0)
				return;
			d->resyncs++;
			set_state(d, EG_TLS_S_SYNCED);
			off = (uint32_t)found;
			continue;
		}
		h = caplen == len ? p + off : NULL;  /* then off < caplen */
		if (h && prefix_ok(h, len - off)) {
			/* A header split by the end of the segment. */
			memcpy(d->hdr_buf, h, len - off);
			d->hdr_have = (uint8_t)(len - off);
			if (ret->n_headers < UINT8_MAX)
				ret->n_headers++;
			if (off == 0) {
				w->first_at_zero = true;
				w->first_type = h[0];
			}
			break;
		}
		lose(d);
		return;
	}
	d->next_hdr = seq + off;
}

/*
 * The segment starts at next_hdr + hs, inside a header whose first
 * hdr_have bytes came with an earlier segment: complete it from this
 * payload, then walk on after its record.
 */
static void complete(struct eg_tls_dir *d, uint32_t seq, const uint8_t *p,
		     uint32_t caplen, uint32_t len, uint32_t hs,
		     struct eg_tls_seg *ret, struct walk *w)
{
	uint8_t h[HDR];
	uint32_t need = HDR - hs, start = d->next_hdr;

	memcpy(h, d->hdr_buf, hs);
	if (caplen < need) {
		if (caplen)
			memcpy(h + hs, p, caplen);
		if (caplen == len && prefix_ok(h, hs + caplen)) {
			memcpy(d->hdr_buf, h, hs + caplen);
			d->hdr_have = (uint8_t)(hs + caplen);
			return;
		}
		lose(d);
		return;
	}
	memcpy(h + hs, p, need);
	if (!prefix_ok(h, HDR)) {
		int64_t found;

		lose(d);
		found = scan(p, caplen, len, 0, SCAN_RESYNC);
		if (found >= 0) {
			d->resyncs++;
			walk(d, seq, p, caplen, len, (uint32_t)found, ret, w);
		}
		return;
	}
	hist_push(d, start, start + HDR + rec_len(h), h[0]);
	walk(d, seq, p, caplen, len, start + HDR + rec_len(h) - seq, ret, w);
}

/*
 * Hunt for a header in a new segment that the tracker cannot place: at
 * offset 0 first, then anywhere. Found: walk from there. Not found: a
 * synced tracker goes to GAP (next_hdr kept: the missing bytes may still
 * come), the others stay as they are.
 */
static void hunt(struct eg_tls_dir *d, uint32_t seq, const uint8_t *p,
		 uint32_t caplen, uint32_t len, struct eg_tls_seg *ret,
		 struct walk *w)
{
	enum eg_tls_state prev = d->state;
	enum scan_mode mode = prev == EG_TLS_S_IDLE ? SCAN_FIRST : SCAN_RESYNC;
	int64_t off = -1;

	if (header_ok_at(p, caplen, len, 0, SCAN_RESYNC))
		off = 0;
	else if (caplen > 1)
		off = scan(p, caplen, len, 1, mode);
	if (off < 0) {
		if (prev == EG_TLS_S_SYNCED) {
			d->desyncs++;
			set_state(d, EG_TLS_S_GAP);
		}
		return;
	}
	if (prev == EG_TLS_S_SYNCED && off > 0)
		d->desyncs++;
	if (prev != EG_TLS_S_IDLE && (prev != EG_TLS_S_SYNCED || off > 0))
		d->resyncs++;
	/* Jumping over a gap from an exact position: remember it. */
	if ((prev == EG_TLS_S_SYNCED || prev == EG_TLS_S_GAP) && !d->hdr_have &&
	    eg_seq_lt(d->next_hdr, seq + (uint32_t)off)) {
		d->gap_open = true;
		d->gap_hdr = d->next_hdr;
		d->gap_end = seq + (uint32_t)off;
	}
	walk(d, seq, p, caplen, len, (uint32_t)off, ret, w);
}

/*
 * A segment holding gap_hdr: walk its records up to gap_end into the
 * history, without touching next_hdr (the tracker is already past the
 * gap). A header split or implausible there closes the gap for good.
 */
static void fill_gap(struct eg_tls_dir *d, uint32_t seq, const uint8_t *p,
		     uint32_t caplen, uint32_t len, struct eg_tls_seg *ret,
		     struct walk *w)
{
	uint32_t off = d->gap_hdr - seq, stop = d->gap_end - seq;

	while (off < len && off < stop) {
		const uint8_t *h;

		if (caplen < HDR || off > caplen - HDR ||
		    !prefix_ok(p + off, HDR)) {
			d->gap_open = false;
			return;
		}
		h = p + off;
		hist_push(d, seq + off, seq + off + HDR + rec_len(h), h[0]);
		if (ret->n_headers < UINT8_MAX)
			ret->n_headers++;
		if (off == 0) {
			w->first_at_zero = true;
			w->first_type = h[0];
		}
		off += HDR + rec_len(h);
	}
	d->gap_hdr = seq + off;
	if (off >= stop)
		d->gap_open = false;
}

/*
 * Track one segment (contract in tls.h). A retransmission is answered from
 * the history, except that it may fill the gap the tracker waits for: a
 * segment that holds next_hdr is walked whatever the flow layer called
 * it, since TCP never changes the bytes at a sequence number.
 */
int eg_tls_track(struct eg_tls_dir *d, uint32_t seq, const uint8_t *payload,
		 uint32_t caplen, uint32_t len, bool retrans,
		 struct eg_tls_seg *ret)
{
	struct walk w = { 0 };
	bool walked = false;
	uint8_t type;
	uint32_t end = seq + len;

	memset(ret, 0, sizeof(*ret));
	if (!payload)
		caplen = 0;
	if (caplen > len)
		caplen = len;
	if (len == 0) {
		ret->synced = d->synced;
		return 0;
	}
	type = known_type(d, seq);

	if (d->gap_open && d->next_hdr - d->gap_end > (1u << 30))
		d->gap_open = false;    /* long past: serial numbers would lie */
	if (d->gap_open && eg_seq_le(seq, d->gap_hdr) &&
	    eg_seq_lt(d->gap_hdr, end)) {
		fill_gap(d, seq, payload, caplen, len, ret, &w);
		walked = true;
		goto answer;
	}
	switch (d->state) {
	case EG_TLS_S_SYNCED:
	case EG_TLS_S_GAP:
		if (d->hdr_have && eg_seq_lt(d->next_hdr, seq) &&
		    eg_seq_le(seq, d->next_hdr + d->hdr_have)) {
			complete(d, seq, payload, caplen, len, seq - d->next_hdr,
				 ret, &w);
			walked = true;
		} else if (eg_seq_le(seq, d->next_hdr) &&
			   eg_seq_lt(d->next_hdr, end)) {
			walk(d, seq, payload, caplen, len, d->next_hdr - seq,
			     ret, &w);
			walked = true;
		} else if (eg_seq_lt(d->next_hdr, seq)) {
			/* Beyond next_hdr: bytes the tracker never walked, even
			 * when the flow layer saw later data first. */
			hunt(d, seq, payload, caplen, len, ret, &w);
			walked = true;
		}
		break;
	case EG_TLS_S_IDLE:
	case EG_TLS_S_LOST:
	default:
		if (!retrans) {
			hunt(d, seq, payload, caplen, len, ret, &w);
			walked = true;
		}
		break;
	}

answer:
	ret->synced = type != 0;
	if (!type && w.first_at_zero) {
		type = w.first_type;
		ret->synced = true;
	}
	if (!type && !walked && header_ok_at(payload, caplen, len, 0,
					     SCAN_RESYNC))
		type = payload[0];      /* a guess: not "synced" */
	if (!walked) {
		unsigned n = hist_count(d, seq, payload, caplen, len);

		ret->n_headers = (uint8_t)(n < UINT8_MAX ? n : UINT8_MAX);
	}
	ret->content_type = type;
	ret->is_tls = d->active || type != 0;
	return 0;
}

/* --- ClientHello SNI ------------------------------------------------ */

struct rd {
	const uint8_t *p;
	size_t n;        /* bytes available */
};

static bool rd_skip(struct rd *r, size_t k)
{
	if (r->n < k)
		return false;
	r->p += k;
	r->n -= k;
	return true;
}

static bool rd_u8(struct rd *r, uint32_t *v)
{
	if (r->n < 1)
		return false;
	*v = r->p[0];
	return rd_skip(r, 1);
}

static bool rd_u16(struct rd *r, uint32_t *v)
{
	if (r->n < 2)
		return false;
	*v = (uint32_t)r->p[0] << 8 | r->p[1];
	return rd_skip(r, 2);
}

/* The server_name extension body (RFC 6066 3). */
static int sni_ext(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	struct rd r = { p, n };
	uint32_t list, type, nl;
	size_t k;

	if (!rd_u16(&r, &list) || list > r.n)
		return -EBADMSG;
	r.n = list;
	while (r.n) {
		if (!rd_u8(&r, &type) || !rd_u16(&r, &nl) || nl > r.n)
			return -EBADMSG;
		if (type != 0) {
			(void)rd_skip(&r, nl);
			continue;
		}
		if (nl == 0)
			return -EBADMSG;
		for (k = 0; k < nl; k++)
			if (r.p[k] < 0x21 || r.p[k] > 0x7e)
				return -EBADMSG;
		/* A name cut to fit would end differently from the one the
		 * device sent: allow_sni would match a suffix it never had. */
		if (nl >= outlen)
			return -ENAMETOOLONG;
		for (k = 0; k < nl; k++) {
			uint8_t c = r.p[k];

			out[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		out[k] = '\0';
		return (int)k;
	}
	return -ENOENT;
}

/*
 * Parse as far as the bytes go: a hello cut after its server_name still
 * yields the name; one cut before it is -EBADMSG. Lengths are checked
 * against both the declared enclosing length and the bytes present.
 */
int eg_tls_sni(const uint8_t *rec, size_t len, char *out, size_t outlen)
{
	struct rd r;
	uint32_t rl, hl, v, el, type, xl;
	size_t declared;

	if (!rec || !out || outlen == 0)
		return -EINVAL;
	if (len < HDR || rec[0] != EG_TLS_HANDSHAKE || rec[1] != 3)
		return -EBADMSG;
	rl = rec_len(rec);
	r.p = rec + HDR;
	r.n = len - HDR < rl ? len - HDR : rl;
	if (!rd_u8(&r, &type) || type != 1 || r.n < 3)
		return -EBADMSG;
	hl = (uint32_t)r.p[0] << 16 | (uint32_t)r.p[1] << 8 | r.p[2];
	(void)rd_skip(&r, 3);
	if (hl + 4 > rl)            /* fragmented over records: read what we have */
		hl = rl - 4;
	if (r.n > hl)
		r.n = hl;
	declared = hl;
	/* version, random, session id, cipher suites, compression */
	if (!rd_skip(&r, 2 + 32) || !rd_u8(&r, &v) || v > 32 || !rd_skip(&r, v))
		return -EBADMSG;
	if (!rd_u16(&r, &v) || v < 2 || (v & 1) || !rd_skip(&r, v))
		return -EBADMSG;
	if (!rd_u8(&r, &v) || v < 1 || !rd_skip(&r, v))
		return -EBADMSG;
	if (r.n == 0) {
		/* No extensions if the hello really ends here. */
		size_t used = (size_t)(r.p - (rec + HDR + 4));

		return used == declared ? -ENOENT : -EBADMSG;
	}
	if (!rd_u16(&r, &el))
		return -EBADMSG;
	if ((size_t)(r.p - (rec + HDR + 4)) + el > declared)
		return -EBADMSG;
	while (el) {
		if (el < 4 || !rd_u16(&r, &type) || !rd_u16(&r, &xl))
			return -EBADMSG;
		el -= 4;
		if (xl > el)
			return -EBADMSG;
		if (r.n < xl)
			return -EBADMSG;    /* cut before the end of this one */
		if (type == 0)
			return sni_ext(r.p, xl, out, outlen);
		(void)rd_skip(&r, xl);
		el -= xl;
	}
	return -ENOENT;
}

/* --- HTTP ----------------------------------------------------------- */

bool eg_http_detect(const uint8_t *payload, size_t len)
{
	static const struct { const char *s; uint8_t n; } tok[] = {
		{ "GET ", 4 }, { "POST ", 5 }, { "HEAD ", 5 }, { "PUT ", 4 },
		{ "DELETE ", 7 }, { "OPTIONS ", 8 }, { "CONNECT ", 8 },
		{ "TRACE ", 6 }, { "PATCH ", 6 }, { "HTTP/1.", 7 },
	};

	if (!payload || len < 4)
		return false;
	switch (payload[0]) {
	case 'G': case 'P': case 'H': case 'D': case 'O': case 'C': case 'T':
		break;
	default:
		return false;
	}
	for (size_t i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
		if (len >= tok[i].n && memcmp(payload, tok[i].s, tok[i].n) == 0)
			return true;
	return false;
}
