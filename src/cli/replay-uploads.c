/* SPDX-License-Identifier: MIT */
/*
 * replay-uploads.c: `echoguard replay`'s upload-level figures. The
 * uploads are cut from the replayed rows by the rule of policy.h 7a and
 * upload.h (new TLS app data from the device on one TCP connection, a
 * quiet gap of [policy] upload_gap ends one), whether or not the policy
 * decided per upload, so per-packet and per-upload policies are measured
 * the same way. Each upload is untouched (no segment dropped), dropped
 * (dropped from some segment to its end; the segments accepted before are
 * its leak) or holed (a segment accepted after a dropped one: TCP stalls
 * on the hole). docs/replay.md, docs/uploads.md.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define VOICE_MIN_RECORDS 10          /* vcf/README.md voice_run, by segment */
#define VOICE_MIN_SIZE 100
#define VOICE_MAX_SIZE 700
#define VOICE_MAX_GAP_NS 200000000ull

static const char *const group_names[UPL_GROUPS] = {
	"expected", "justified", "not_justified", "other", "unlabelled",
};

/* One upload while it is being walked. */
struct upl_walk {
	uint64_t flow, last_ns, voice_last_ns;
	unsigned votes[3];              /* expected, justified, not_justified */
	unsigned run;                   /* current voice run */
	bool voice, dropped, holed, mic;
	uint16_t server;
	uint64_t pkts, pkts_dropped, bytes, bytes_dropped;
	uint64_t leak_pkts, leak_bytes;
};

uint16_t replay_server(struct replay *x, const char *sni)
{
	unsigned i;

	for (i = 0; i < x->n_servers; i++)
		if (!strcmp(x->servers[i].name, sni))
			return (uint16_t)i;
	if (x->n_servers == REPLAY_MAX_SERVERS)
		return REPLAY_MAX_SERVERS - 1;
	snprintf(x->servers[i].name, sizeof(x->servers[i].name), "%s",
		 x->n_servers == REPLAY_MAX_SERVERS - 1 ? "(others)" : sni);
	return (uint16_t)x->n_servers++;
}

static const struct replay *sort_x;

static int cmp_seg(const void *a, const void *b)
{
	const struct eg_label_row *r = sort_x->lrows;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (r[i].flow_id != r[j].flow_id)
		return r[i].flow_id < r[j].flow_id ? -1 : 1;
	if (r[i].ts_ns != r[j].ts_ns)
		return r[i].ts_ns < r[j].ts_ns ? -1 : 1;
	return i < j ? -1 : i > j;
}

static bool dropped(const struct rrow *r)
{
	return r->reason == EG_REASON_MONITOR || r->verdict == EG_VERDICT_DROP;
}

static int group_of(const struct replay *x, const struct upl_walk *u)
{
	unsigned best = 0, i;

	if (!x->labels)
		return UPL_UNLABELLED;
	for (i = 1; i < 3; i++)
		if (u->votes[i] > u->votes[best])
			best = i;
	return u->votes[best] ? (int)best : UPL_OTHER;
}

static void close_upload(struct replay *x, const struct upl_walk *u)
{
	int g = group_of(x, u);
	struct upl_cell *c = &x->upl[g][u->mic];
	bool touched = u->dropped || u->holed;

	c->n++;
	c->untouched += !touched;
	c->holed += u->holed;
	c->dropped += u->dropped && !u->holed;
	c->voice += u->voice;
	c->voice_touched += u->voice && touched;
	c->pkts += u->pkts;
	c->pkts_dropped += u->pkts_dropped;
	c->bytes += u->bytes;
	c->bytes_dropped += u->bytes_dropped;
	if (u->dropped && !u->holed) {
		c->leak_pkts += u->leak_pkts;
		c->leak_bytes += u->leak_bytes;
		c->leak_over_one += u->leak_pkts > 1;
		if (u->leak_bytes > c->leak_max)
			c->leak_max = u->leak_bytes;
	}
	if (g == UPL_JUSTIFIED && u->mic && touched)
		x->servers[u->server].uploads_touched++;
}

/* One segment of the upload u (rows sorted by flow and time). */
static void add_segment(struct upl_walk *u, const struct rrow *r, int label)
{
	if (label == EG_CLASS_EXPECTED)
		u->votes[0]++;
	else if (label == EG_CLASS_JUSTIFIED)
		u->votes[1]++;
	else if (label == EG_CLASS_NOT_JUSTIFIED)
		u->votes[2]++;
	if (r->payload >= VOICE_MIN_SIZE && r->payload <= VOICE_MAX_SIZE) {
		u->run = u->run && r->ts_ns - u->voice_last_ns <=
			 VOICE_MAX_GAP_NS ? u->run + 1 : 1;
		u->voice_last_ns = r->ts_ns;
		u->voice |= u->run >= VOICE_MIN_RECORDS;
	} else {
		u->run = 0;
	}
	u->pkts++;
	u->bytes += r->payload;
	if (dropped(r)) {
		u->dropped = true;
		u->pkts_dropped++;
		u->bytes_dropped += r->payload;
	} else if (u->dropped) {
		u->holed = true;
	} else {
		u->leak_pkts++;
		u->leak_bytes += r->payload;
	}
	u->last_ns = r->ts_ns;
}

/* Drops outside interactions (mic listening): justified app data and
 * keep-alive records, by server name. */
static void tally_idle_drops(struct replay *x)
{
	size_t i;

	for (i = 0; x->labels && i < x->n; i++) {
		const struct rrow *r = &x->rows[i];
		int label = x->lrows[i].label;
		struct idle_server *s = &x->servers[r->server];

		if (!r->outbound || !r->mic || !dropped(r) ||
		    (label != EG_CLASS_JUSTIFIED && label != EG_CLASS_SYN))
			continue;
		s->pkts_dropped++;
		s->bytes_dropped += r->payload;
		s->keepalives_dropped += label == EG_CLASS_SYN;
	}
}

int replay_tally_uploads(struct replay *x)
{
	uint64_t gap = x->cfg.policy.upload_gap_ns;
	struct upl_walk u = { 0 };
	size_t *idx, n = 0, i;
	bool open = false;

	tally_idle_drops(x);
	idx = malloc((x->n ? x->n : 1) * sizeof(*idx));
	if (!idx)
		return -1;
	for (i = 0; i < x->n; i++)
		if (x->rows[i].upseg)
			idx[n++] = i;
	sort_x = x;
	qsort(idx, n, sizeof(*idx), cmp_seg);
	for (i = 0; i < n; i++) {
		const struct rrow *r = &x->rows[idx[i]];
		const struct eg_label_row *l = &x->lrows[idx[i]];

		if (!open || l->flow_id != u.flow || r->ts_ns - u.last_ns > gap) {
			if (open)
				close_upload(x, &u);
			memset(&u, 0, sizeof(u));
			u.flow = l->flow_id;
			u.mic = r->mic;
			u.server = r->server;
			open = true;
		}
		add_segment(&u, r, x->labels ? l->label : -1);
	}
	if (open)
		close_upload(x, &u);
	free(idx);
	return 0;
}

void replay_tally_idle(struct replay *x, const struct eg_window *w,
		       size_t n_w)
{
	double t0, t1, covered = 0, from, m = x->margin;
	size_t i;

	if (!x->n)
		return;
	t0 = t1 = (double)x->rows[0].ts_ns / 1e9;
	for (i = 1; i < x->n; i++) {
		double t = (double)x->rows[i].ts_ns / 1e9;

		t0 = t < t0 ? t : t0;
		t1 = t > t1 ? t : t1;
	}
	from = t0;                      /* windows are sorted by start */
	for (i = 0; i < n_w; i++) {
		double s = w[i].start - m > from ? w[i].start - m : from;
		double e = w[i].end + m < t1 ? w[i].end + m : t1;

		if (e > s) {
			covered += e - s;
			from = e;
		}
	}
	x->span_ns += (uint64_t)((t1 - t0) * 1e9);
	x->idle_ns += (uint64_t)((t1 - t0 - covered) * 1e9);
}

#define U(v) ((unsigned long long)(v))

static void cell_json(const char *mic, const struct upl_cell *c, bool first)
{
	printf("%s\"%s\":{\"uploads\":%llu,\"untouched\":%llu,\"dropped\":%llu,"
	       "\"holed\":%llu,\"voice\":%llu,\"voice_touched\":%llu,"
	       "\"packets\":%llu,\"packets_dropped\":%llu,\"bytes\":%llu,"
	       "\"bytes_dropped\":%llu,\"leak_bytes\":%llu,\"leak_packets\":%llu,"
	       "\"leak_over_one_packet\":%llu,\"leak_max_bytes\":%llu}",
	       first ? "" : ",", mic, U(c->n), U(c->untouched), U(c->dropped),
	       U(c->holed), U(c->voice), U(c->voice_touched), U(c->pkts),
	       U(c->pkts_dropped), U(c->bytes), U(c->bytes_dropped),
	       U(c->leak_bytes), U(c->leak_pkts), U(c->leak_over_one),
	       U(c->leak_max));
}

void replay_uploads_json(const struct replay *x)
{
	static const char *const mics[2] = { "muted", "listening" };
	bool first = true;
	unsigned g, m, i;

	printf(",\"uploads\":{");
	for (g = 0; g < UPL_GROUPS; g++) {
		bool fm = true;

		if (!x->upl[g][0].n && !x->upl[g][1].n)
			continue;
		printf("%s\"%s\":{", first ? "" : ",", group_names[g]);
		first = false;
		for (m = 0; m < 2; m++)
			if (x->upl[g][m].n) {
				cell_json(mics[m], &x->upl[g][m], fm);
				fm = false;
			}
		printf("}");
	}
	printf("}");
	if (!x->labels || !x->idle_ns)
		return;
	printf(",\"idle\":{\"hours\":%.4f,\"servers\":{",
	       (double)x->idle_ns / 3.6e12);
	for (i = 0, first = true; i < x->n_servers; i++) {
		const struct idle_server *s = &x->servers[i];

		if (!s->pkts_dropped && !s->uploads_touched)
			continue;
		printf("%s\"%s\":{\"packets_dropped\":%llu,\"bytes_dropped\":%llu,"
		       "\"keepalives_dropped\":%llu,\"uploads_touched\":%llu}",
		       first ? "" : ",", s->name[0] ? s->name : "(no name)",
		       U(s->pkts_dropped), U(s->bytes_dropped),
		       U(s->keepalives_dropped), U(s->uploads_touched));
		first = false;
	}
	printf("}}");
}

static void idle_text(const struct replay *x)
{
	double h = (double)x->idle_ns / 3.6e12;
	unsigned i;

	printf("outside interactions, microphone listening (%.2f h idle of "
	       "%.2f h captured), per idle hour: server  packets-dropped  "
	       "keep-alives-dropped  uploads-touched\n", h,
	       (double)x->span_ns / 3.6e12);
	for (i = 0; i < x->n_servers; i++) {
		const struct idle_server *s = &x->servers[i];

		if (!s->pkts_dropped && !s->uploads_touched)
			continue;
		printf("  %-40s %8.2f %8.2f %8.2f\n",
		       s->name[0] ? s->name : "(no name)",
		       h > 0 ? (double)s->pkts_dropped / h : 0,
		       h > 0 ? (double)s->keepalives_dropped / h : 0,
		       h > 0 ? (double)s->uploads_touched / h : 0);
	}
}

void replay_uploads_text(const struct replay *x)
{
	static const char *const mics[2] = { "muted", "listening" };
	unsigned g, m;

	printf("uploads (new TLS app data of one connection, quiet gap %g s; "
	       "docs/uploads.md):\n  %-13s %-9s %7s %9s %7s %5s %5s %6s %10s "
	       "%10s %9s %6s %8s\n", (double)x->cfg.policy.upload_gap_ns / 1e9,
	       "label", "mic", "uploads", "untouched", "dropped", "holed",
	       "voice", "voice-", "bytes", "bytes-", "leak", "leak>1", "max-leak");
	printf("  %-13s %-9s %7s %9s %7s %5s %5s %6s %10s %10s %9s %6s %8s\n",
	       "", "", "", "", "", "", "", "touched", "", "dropped", "bytes",
	       "pkt", "bytes");
	for (g = 0; g < UPL_GROUPS; g++)
		for (m = 0; m < 2; m++) {
			const struct upl_cell *c = &x->upl[g][m];

			if (!c->n)
				continue;
			printf("  %-13s %-9s %7llu %9llu %7llu %5llu %5llu %6llu "
			       "%10llu %10llu %9llu %6llu %8llu\n", group_names[g],
			       mics[m], U(c->n), U(c->untouched), U(c->dropped),
			       U(c->holed), U(c->voice), U(c->voice_touched),
			       U(c->bytes), U(c->bytes_dropped), U(c->leak_bytes),
			       U(c->leak_over_one), U(c->leak_max));
		}
	if (x->labels && x->idle_ns)
		idle_text(x);
}
