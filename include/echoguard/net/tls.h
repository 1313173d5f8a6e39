/* SPDX-License-Identifier: MIT */
/*
 * tls.h: TLS record tracking by TCP sequence number, one tracker per flow
 * direction, plus ClientHello SNI and HTTP detection.
 *
 * The tracker knows where the next record header is expected (a sequence
 * number) and keeps small rings of recent records, so every segment learns
 * the content type of the record its first payload byte belongs to: a
 * continuation segment of a large app-data record is app data, a segment
 * that holds several records reports the first, a retransmitted or
 * out-of-order segment is answered from the rings without moving the
 * tracker back (it is read only when it carries bytes the tracker never
 * saw: the gap it waits for), and a lost sync recovers at the next
 * plausible record header. The exact rules: docs/flows-and-tls.md.
 *
 * No allocation; all state is inside struct eg_tls_dir.
 * Covered by tests/unit/test-tls.c, tests/fuzz/fuzz-flowtls.c and
 * tests/fuzz/fuzz-packet.c.
 */
#ifndef ECHOGUARD_TLS_H
#define ECHOGUARD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EG_TLS_HIST 8        /* recent records remembered per direction */
#define EG_TLS_RUNS 4        /* recent runs of same-type records */
#define EG_TLS_MAX_RECORD (16384 + 2048) /* TLSCiphertext upper bound */

enum eg_tls_type {
	EG_TLS_NONE = 0,
	EG_TLS_CHANGE_CIPHER_SPEC = 20,
	EG_TLS_ALERT = 21,
	EG_TLS_HANDSHAKE = 22,
	EG_TLS_APPLICATION_DATA = 23,
	EG_TLS_HEARTBEAT = 24,
};

/*
 * A record's place in the sequence space: [start, end), header included.
 * In runs[], adjacent records of one type share an entry (count > 1), so a
 * long run of app data stays known for retransmissions however many
 * records it has; hist[] keeps the last records one by one (exact header
 * counts for retransmitted segments).
 */
struct eg_tls_record {
	uint32_t start, end;
	uint8_t type;
	uint8_t count;           /* records in [start, end) */
};

/* Tracker states (docs/flows-and-tls.md). */
enum eg_tls_state {
	EG_TLS_S_IDLE = 0,       /* no record header seen yet */
	EG_TLS_S_SYNCED,         /* next_hdr is where the next header starts */
	EG_TLS_S_GAP,            /* next_hdr still exact, but newer data after a
				    gap was not understood */
	EG_TLS_S_LOST,           /* next_hdr unknown: hunting for a header */
};

struct eg_tls_dir {
	bool active;             /* a record header was ever seen */
	bool synced;             /* state == EG_TLS_S_SYNCED */
	uint8_t state;           /* enum eg_tls_state */
	uint32_t next_hdr;       /* seq of the next record header */
	uint8_t hdr_buf[5];      /* a header split across segments */
	uint8_t hdr_have;
	uint8_t n_hist, hist_pos;
	struct eg_tls_record hist[EG_TLS_HIST];
	uint8_t n_runs, run_pos;
	struct eg_tls_record runs[EG_TLS_RUNS];
	/* A gap the tracker jumped over: records from gap_hdr up to gap_end
	 * are learnt when the missing segments come (retransmitted). */
	bool gap_open;
	uint32_t gap_hdr, gap_end;
	uint32_t resyncs;        /* times sync was lost and found again */
	uint32_t desyncs;        /* times sync was lost */
};

/* What the tracker says of one segment. */
struct eg_tls_seg {
	uint8_t content_type;    /* of the record holding the first payload byte; 0 none */
	uint8_t n_headers;       /* record headers that start inside the segment */
	bool is_tls;             /* payload belongs to TLS records */
	bool synced;             /* the tracker was in sync for this segment */
	bool client_hello;       /* a ClientHello header starts in the segment */
	uint16_t ch_offset;      /* payload offset of that ClientHello record */
};

/* Reset a direction (embedded object: init, no done needed). */
void eg_tls_init(struct eg_tls_dir *d);

/*
 * Track one TCP segment of this direction: seq is its sequence number,
 * payload/caplen the bytes present, len the payload length from the headers
 * (caplen < len when the capture was cut). retrans says the flow layer saw
 * the whole payload before: the tracker then only answers from its history
 * -- unless the segment holds bytes the tracker never walked (next_hdr, or
 * the start of a gap it jumped over), which TCP guarantees are the same
 * bytes as first sent. Always fills *ret (is_tls false for non-TLS
 * payload); returns 0. ret->synced: content_type comes from a known record
 * (history, pending split header, or a header at the segment's first
 * byte), not from a guess. States and recovery: docs/flows-and-tls.md.
 */
int eg_tls_track(struct eg_tls_dir *d, uint32_t seq, const uint8_t *payload,
		 uint32_t caplen, uint32_t len, bool retrans,
		 struct eg_tls_seg *ret);

/*
 * Does buf start like a TLS record header (type 20..24, version 3.0..3.4,
 * length 1..EG_TLS_MAX_RECORD)? Needs 5 bytes.
 */
bool eg_tls_header_plausible(const uint8_t *buf, size_t len);

/*
 * Extract the server_name of a ClientHello whose record header starts at
 * rec (len bytes available). Writes a NUL-terminated, lower-cased name of at
 * most outlen-1 bytes. Returns its length, -ENOENT if there is no SNI,
 * -EBADMSG if the hello is malformed or truncated before the extension
 * (a hello cut after the server_name extension still yields the name),
 * or the name holds bytes outside 0x21..0x7e; -ENAMETOOLONG if the name
 * does not fit in outlen-1 bytes (never cut: a cut name ends with another
 * suffix); -EINVAL for no buffer. out is untouched on every error.
 */
int eg_tls_sni(const uint8_t *rec, size_t len, char *out, size_t outlen);

/* Does an L4 payload start like HTTP/1.x (a request method or "HTTP/1.")? */
bool eg_http_detect(const uint8_t *payload, size_t len);

#endif
