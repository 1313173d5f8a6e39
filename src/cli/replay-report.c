/* SPDX-License-Identifier: MIT */
/*
 * replay-report.c: what `echoguard replay` prints: one line per packet,
 * the summary (text or JSON) with the per-packet figures by label and the
 * upload-level figures (replay-uploads.c counts them). docs/replay.md.
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"
#include "echoguard/net/packet.h"

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* One text or JSON line; the text time is relative to t0 (negative for
 * a frame stamped before the first: captures can go backwards). */
void replay_print_row(const struct replay *x, const char *base,
		      const struct rrow *r, uint64_t t0, int label)
{
	char s[64], d[64], flow[160];
	const char *cls = r->cls >= 0 ? eg_class_name(r->cls) : "-";

	if (r->ipv)
		snprintf(flow, sizeof(flow), "%s:%u>%s:%u",
			 eg_addr_format(r->ipv, r->src, s, sizeof(s)), r->sport,
			 eg_addr_format(r->ipv, r->dst, d, sizeof(d)), r->dport);
	else
		snprintf(flow, sizeof(flow), "-");
	if (x->json) {
		printf("{\"type\":\"packet\",\"file\":");
		json_str(stdout, base);
		printf(",\"frame\":%llu,\"time\":%.6f,\"flow\":\"%s\",\"len\":%u,"
		       "\"payload\":%u,\"class\":",
		       (unsigned long long)r->frame, (double)r->ts_ns / 1e9, flow,
		       r->len, r->payload);
		if (r->cls >= 0)
			printf("\"%s\",\"proba\":%.4f", cls, r->proba);
		else
			printf("null,\"proba\":null");
		printf(",\"verdict\":\"%s\",\"reason\":\"%s\"",
		       eg_verdict_name(r->verdict), eg_reason_name(r->reason));
		if (r->reason == EG_REASON_MONITOR)
			printf(",\"would\":\"%s\"", eg_reason_name(r->would));
		if (label >= 0)
			printf(",\"label\":\"%s\"", eg_class_name(label));
		printf("}\n");
		return;
	}
	printf("%8llu %11.6f %-47s %5u %-13s ", (unsigned long long)r->frame,
	       (double)(int64_t)(r->ts_ns - t0) / 1e9, flow, r->len, cls);
	if (r->cls >= 0)
		printf("%5.3f ", r->proba);
	else
		printf("    - ");
	printf("%-6s %s", eg_verdict_name(r->verdict), eg_reason_name(r->reason));
	if (r->reason == EG_REASON_MONITOR)
		printf("(%s)", eg_reason_name(r->would));
	if (label >= 0)
		printf(" [%s]", eg_class_name(label));
	putchar('\n');
}

/* ---- summary ----------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void rates(const struct replay *x, uint64_t *fb, uint64_t *fb_n,
		  uint64_t *miss, uint64_t *miss_n)
{
	const struct label_acct *a = &x->la;

	*fb = a->pkts[EG_CLASS_EXPECTED][EG_VERDICT_DROP];
	*fb_n = *fb + a->pkts[EG_CLASS_EXPECTED][EG_VERDICT_ACCEPT];
	*miss = a->payload[EG_CLASS_JUSTIFIED][EG_VERDICT_ACCEPT] +
		a->payload[EG_CLASS_NOT_JUSTIFIED][EG_VERDICT_ACCEPT];
	*miss_n = *miss + a->payload[EG_CLASS_JUSTIFIED][EG_VERDICT_DROP] +
		  a->payload[EG_CLASS_NOT_JUSTIFIED][EG_VERDICT_DROP];
}

void replay_summary_json(const struct replay *x)
{
	const struct eg_policy_stats *s = &x->st;
	uint64_t fb, fb_n, miss, miss_n;
	unsigned i;

	printf("{\"type\":\"summary\",\"captures\":%zu,\"frames\":%llu,"
	       "\"packets\":%llu,\"parse_errors\":%llu,\"mode\":\"%s\","
	       "\"min_confidence\":%g,\"accepted\":%llu,\"dropped\":%llu,"
	       "\"bytes_accepted\":%llu,\"bytes_dropped\":%llu,",
	       x->files.n, (unsigned long long)x->frames,
	       (unsigned long long)s->packets,
	       (unsigned long long)x->parse_errors,
	       x->cfg.policy.mode == EG_MODE_MONITOR ? "monitor" : "enforce",
	       x->cfg.policy.min_confidence,
	       (unsigned long long)s->verdicts[EG_VERDICT_ACCEPT],
	       (unsigned long long)s->verdicts[EG_VERDICT_DROP],
	       (unsigned long long)s->bytes_by_verdict[EG_VERDICT_ACCEPT],
	       (unsigned long long)s->bytes_by_verdict[EG_VERDICT_DROP]);
	printf("\"uploads_started\":%llu,\"uploads_allowed\":%llu,"
	       "\"uploads_dropped\":%llu,\"upload_leak_bytes\":%llu,",
	       (unsigned long long)s->uploads,
	       (unsigned long long)s->uploads_allowed,
	       (unsigned long long)s->uploads_dropped,
	       (unsigned long long)s->upload_leak_bytes);
	printf("\"reasons\":{");
	for (i = 0; i < EG_REASON_COUNT; i++)
		printf("%s\"%s\":%llu", i ? "," : "", eg_reason_name(i),
		       (unsigned long long)s->reasons[i]);
	printf("},\"classes\":{");
	for (i = 0; i < EG_CLASS_COUNT; i++)
		printf("%s\"%s\":%llu", i ? "," : "", eg_class_name(i),
		       (unsigned long long)s->classes[i]);
	printf(",\"unclassified\":%llu}", (unsigned long long)s->unclassified);
	if (x->labels) {
		rates(x, &fb, &fb_n, &miss, &miss_n);
		printf(",\"labels\":{");
		for (i = 0; i < EG_CLASS_COUNT; i++)
			printf("%s\"%s\":{\"accepted\":%llu,\"dropped\":%llu,"
			       "\"payload_accepted\":%llu,\"payload_dropped\":%llu}",
			       i ? "," : "", eg_class_name(i),
			       (unsigned long long)x->la.pkts[i][0],
			       (unsigned long long)x->la.pkts[i][1],
			       (unsigned long long)x->la.payload[i][0],
			       (unsigned long long)x->la.payload[i][1]);
		printf("},\"false_block\":{\"dropped\":%llu,\"total\":%llu,"
		       "\"rate\":%.6f},\"miss\":{\"bytes_accepted\":%llu,"
		       "\"bytes_total\":%llu,\"rate\":%.6f}",
		       (unsigned long long)fb, (unsigned long long)fb_n,
		       ratio(fb, fb_n), (unsigned long long)miss,
		       (unsigned long long)miss_n, ratio(miss, miss_n));
	}
	replay_uploads_json(x);
	printf("}\n");
}

void replay_summary_text(const struct replay *x)
{
	const struct eg_policy_stats *s = &x->st;
	uint64_t fb, fb_n, miss, miss_n;
	unsigned i;

	printf("\n%zu capture%s, %llu frames, %llu packets to the daemon "
	       "(%llu malformed), mode %s, min_confidence %g\n",
	       x->files.n, x->files.n == 1 ? "" : "s",
	       (unsigned long long)x->frames, (unsigned long long)s->packets,
	       (unsigned long long)x->parse_errors,
	       x->cfg.policy.mode == EG_MODE_MONITOR ? "monitor" : "enforce",
	       x->cfg.policy.min_confidence);
	printf("verdicts: accept %llu (%llu bytes), drop %llu (%llu bytes, "
	       "%.2f%% of bytes)\n",
	       (unsigned long long)s->verdicts[EG_VERDICT_ACCEPT],
	       (unsigned long long)s->bytes_by_verdict[EG_VERDICT_ACCEPT],
	       (unsigned long long)s->verdicts[EG_VERDICT_DROP],
	       (unsigned long long)s->bytes_by_verdict[EG_VERDICT_DROP],
	       100.0 * ratio(s->bytes_by_verdict[EG_VERDICT_DROP], s->bytes));
	printf("policy uploads: %llu started, %llu decided allow, %llu decided "
	       "drop, %llu bytes accepted before a drop decision\n",
	       (unsigned long long)s->uploads,
	       (unsigned long long)s->uploads_allowed,
	       (unsigned long long)s->uploads_dropped,
	       (unsigned long long)s->upload_leak_bytes);
	printf("reasons:");
	for (i = 0; i < EG_REASON_COUNT; i++)
		if (s->reasons[i])
			printf(" %s %llu", eg_reason_name(i),
			       (unsigned long long)s->reasons[i]);
	printf("\nforest class (packets with payload):");
	for (i = 0; i < EG_CLASS_COUNT; i++)
		if (s->classes[i])
			printf(" %s %llu", eg_class_name(i),
			       (unsigned long long)s->classes[i]);
	printf(", none %llu\n", (unsigned long long)s->unclassified);
	replay_uploads_text(x);
	if (!x->labels)
		return;
	printf("by label (the device's packets%s): label  accepted  dropped  "
	       "payload-bytes-accepted  payload-bytes-dropped\n",
	       x->cfg.policy.mode == EG_MODE_MONITOR ?
	       "; monitor: dropped = enforce would drop" : "");
	for (i = 0; i < EG_CLASS_COUNT; i++)
		printf("  %-14s %9llu %8llu %12llu %12llu\n", eg_class_name(i),
		       (unsigned long long)x->la.pkts[i][0],
		       (unsigned long long)x->la.pkts[i][1],
		       (unsigned long long)x->la.payload[i][0],
		       (unsigned long long)x->la.payload[i][1]);
	rates(x, &fb, &fb_n, &miss, &miss_n);
	printf("false blocks: %llu of %llu expected app-data packets dropped "
	       "(%.4f)\n", (unsigned long long)fb, (unsigned long long)fb_n,
	       ratio(fb, fb_n));
	printf("misses: %llu of %llu unjustified app-data payload bytes "
	       "accepted (%.4f)\n", (unsigned long long)miss,
	       (unsigned long long)miss_n, ratio(miss, miss_n));
}

