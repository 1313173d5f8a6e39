/* SPDX-License-Identifier: MIT */
/*
 * replay.h: the state `echoguard replay` shares between its packet loop
 * (cmd-replay.c) and its report (replay-report.c: rows, the summary, the
 * upload-level figures). Private to the cli.
 */
#ifndef ECHOGUARD_CLI_REPLAY_H
#define ECHOGUARD_CLI_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli-util.h"
#include "echoguard/engine/engine.h"
#include "echoguard/forest/forest.h"
#include "echoguard/offline/label.h"
#include "echoguard/verdict/budget.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"

#define REPLAY_MAX_SERVERS 256   /* server names counted apart; the rest
				    share the last slot */

/* What replay keeps of one packet until its capture is labelled. */
struct rrow {
	uint64_t frame, ts_ns;
	uint32_t len, payload;           /* IP total length, TCP/UDP payload */
	uint16_t sport, dport;
	uint8_t ipv, src[16], dst[16];
	bool outbound;
	bool upseg;                      /* an upload segment (policy.h 7a) */
	uint8_t mic;
	uint16_t server;                 /* index into struct replay servers */
	int8_t cls;
	float proba;
	uint8_t verdict, reason, would;
};


/* Per-label outcome of the outbound packets. */
struct label_acct {
	uint64_t pkts[EG_CLASS_COUNT][2];      /* [label][verdict] */
	uint64_t payload[EG_CLASS_COUNT][2];   /* payload bytes */
};

/* Upload-level outcome (replay-report.c): by the upload's label and the
 * microphone state when it started. */
enum { UPL_EXPECTED, UPL_JUSTIFIED, UPL_NOT_JUSTIFIED, UPL_OTHER,
       UPL_UNLABELLED, UPL_GROUPS };

struct upl_cell {
	uint64_t n, untouched, dropped, holed;
	uint64_t voice, voice_touched;         /* uploads holding a voice run */
	uint64_t pkts, pkts_dropped;
	uint64_t bytes, bytes_dropped;         /* payload */
	uint64_t leak_bytes, leak_pkts;        /* accepted before the first drop */
	uint64_t leak_over_one;                /* dropped uploads leaking > 1 segment */
	uint64_t leak_max;                     /* bytes, the largest leak */
};

/* What the policy drops outside interactions (label justified or a
 * keep-alive), by server name. */
struct idle_server {
	char name[EG_SNI_MAX];
	uint64_t pkts_dropped, bytes_dropped, keepalives_dropped;
	uint64_t uploads_touched;
};

struct replay {
	/* options */
	struct eg_config cfg;
	const char *model_path, *config_path, *mic_arg;
	bool summary_only, json, feed_both, device_given, labels;
	int on_drop;                     /* --on-drop, -1: packet (see setup) */
	bool have_ctx;
	enum eg_context ctx;
	double margin;
	struct eg_interactions *inter;
	struct cli_mic mic;              /* fixed -1: timeline or config */
	/* state */
	struct eg_forest *forest;
	struct eg_policy *policy;
	struct eg_budget *budget;        /* one per capture, as its engine */
	struct eg_budget_stats bst;      /* summed over the captures */
	struct eg_engine_params ep;
	float proba[EG_MAX_CLASSES];
	struct rrow *rows;
	struct eg_label_row *lrows;
	size_t n, cap;
	struct cli_strv files;
	/* totals */
	struct eg_policy_stats st;
	struct label_acct la;
	struct upl_cell upl[UPL_GROUPS][2];    /* [group][mic at start] */
	struct idle_server servers[REPLAY_MAX_SERVERS];
	unsigned n_servers;
	uint64_t idle_ns, span_ns;             /* outside windows; captured */
	uint64_t frames, fed, parse_errors;
	unsigned errors;
	bool json_first;
};

/* One packet's line (text or JSON); t0: the capture's first time. */
void replay_print_row(const struct replay *x, const char *base,
		      const struct rrow *r, uint64_t t0, int label);
/* s as a JSON string (quoted, escaped). */
void replay_json_str(FILE *f, const char *s);
/* The server-name slot of sni (interned; "" is a name too). */
uint16_t replay_server(struct replay *x, const char *sni);
/* Count the uploads of the capture's rows x->rows[0..n) (after labels). */
int replay_tally_uploads(struct replay *x);
/* Idle time of one capture: its span minus its interaction windows. */
void replay_tally_idle(struct replay *x, const struct eg_window *w,
		       size_t n_w);
/* The upload-level part of the summary (replay-uploads.c). */
void replay_uploads_json(const struct replay *x);
void replay_uploads_text(const struct replay *x);
void replay_summary_json(const struct replay *x);
void replay_summary_text(const struct replay *x);

#endif
