/* SPDX-License-Identifier: MIT */
/*
 * config.h: echoguardd's configuration, one INI file read with iniparser.
 * Shared by the daemon and `echoguard replay`, so both run with the same
 * settings. Every key, its default and range is in docs/config.md and, as a
 * commented default, in conf/echoguard.ini.
 *
 * Loading validates everything it reads and collects every error (not only
 * the first) as lines "FILE:LINE: [section] key: reason"; unknown sections
 * and keys get a "did you mean" hint. Nothing here logs or exits: the
 * daemon prints the message and exits 2.
 *
 * Covered by tests/unit/test-config.c.
 */
#ifndef ECHOGUARD_CONFIG_H
#define ECHOGUARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "echoguard/engine/engine.h"
#include "echoguard/net/flow.h"

#define EG_CONFIG_MAX_QUEUES 64
#define EG_CONFIG_MAX_DEVICES 8    /* = struct eg_engine_params devices */
#define EG_CONFIG_MAX_CIDRS 64
#define EG_CONFIG_MAX_SNI 64
#define EG_CONFIG_PATH_MAX 1024
#define EG_CONFIG_DEFAULT_PATH "/etc/echoguard/echoguard.ini"
#define EG_CONFIG_DEFAULT_MODEL "/usr/share/echoguard/default.egf"
/* [model] learned: `echoguard learn install` writes it (model-choice.h) */
#define EG_CONFIG_DEFAULT_LEARNED "/var/lib/echoguard/learned.egf"
/* [policy] muted_budget: measured on the real captures (docs/security.md) */
#define EG_CONFIG_DEFAULT_MUTED_BUDGET 3072

/* What a queued packet gets. Not the kernel's NF_* values: map them. */
enum eg_verdict { EG_VERDICT_ACCEPT = 0, EG_VERDICT_DROP = 1 };

/* fail = open: the kernel accepts when the queue is full (NFQA_CFG_F_FAIL_OPEN)
 * and the rule carries --queue-bypass (accept when no daemon listens).
 * fail = closed: neither, so packets are dropped in both cases. */
enum eg_fail_mode { EG_FAIL_OPEN = 0, EG_FAIL_CLOSED = 1 };

enum eg_policy_mode { EG_MODE_ENFORCE = 0, EG_MODE_MONITOR = 1 };

/* on_drop = flow: the verdict also sets the connection mark flow_mark, and
 * the shipped rules reject the rest of that connection in the kernel. */
enum eg_on_drop { EG_ON_DROP_PACKET = 0, EG_ON_DROP_FLOW = 1 };

enum eg_mic_source { EG_MIC_SYSFS = 0, EG_MIC_GPIOD, EG_MIC_FILE,
		     EG_MIC_FIXED };

/* An address prefix; addr in the 16-byte form of eg_addr_parse. */
struct eg_cidr {
	uint8_t addr[16];      /* host bits cleared */
	uint8_t version;       /* 4 or 6 */
	uint8_t prefix;        /* 0..32 or 0..128 */
};

struct eg_config_daemon {
	uint16_t queues[EG_CONFIG_MAX_QUEUES]; /* ascending, distinct */
	unsigned n_queues;                     /* >= 1; default queue 0 */
	uint32_t queue_maxlen;                 /* default 4096 */
	enum eg_fail_mode fail;                /* default open */
	enum eg_verdict fallback_verdict;      /* default accept */
	uint32_t batch_size;                   /* 1 = no batching; default 16 */
	uint32_t batch_timeout_ms;             /* default 2 */
	uint32_t stats_interval;               /* s, 0 = off; default 60 */
	uint32_t recv_timeout_ms;              /* default 200 */
	char user[EG_CONFIG_PATH_MAX];         /* run as; default "echoguard",
						  "root": keep uid 0 */
};

struct eg_config_mic {
	enum eg_mic_source source;     /* default fixed */
	char path[EG_CONFIG_PATH_MAX]; /* sysfs value file / file */
	char chip[EG_CONFIG_PATH_MAX]; /* gpiod: "/dev/gpiochip0" or "gpiochip0" */
	uint32_t line;                 /* gpiod line offset */
	bool active_low;               /* raw 0 means listening */
	int value;                     /* fixed: 1 listening, 0 muted; default 1 */
	int on_error;                  /* assumed when unreadable; default 0 (muted) */
	uint32_t poll_interval_ms;     /* re-read period without edges; default 200 */
};

struct eg_config_policy {
	enum eg_policy_mode mode;      /* default enforce */
	uint32_t drop_classes;         /* bit (1u << enum eg_class); default
					  justified | not_justified */
	double min_confidence;         /* [0, 1]; default 0.7 */
	enum eg_on_drop on_drop;       /* default flow */
	uint32_t flow_mark;            /* != 0; default 0x4547 ("EG") */
	struct eg_cidr allow_cidrs[EG_CONFIG_MAX_CIDRS];
	unsigned n_allow_cidrs;
	char allow_sni[EG_CONFIG_MAX_SNI][EG_SNI_MAX]; /* lower case suffixes */
	unsigned n_allow_sni;
	bool remember_drops;           /* drop retransmissions of dropped
					  ranges; default true */
	uint32_t muted_budget;         /* payload bytes a minute per device
					  while muted, 0 = off (budget.h) */
	/* Upload-level verdicts (verdict/upload.h, docs/uploads.md). */
	uint64_t upload_gap_ns;        /* quiet gap ending an upload; 1 s */
	uint32_t upload_packets;       /* 0 = per-packet verdicts; default 4 */
	double upload_evidence;        /* log-odds threshold; default 3 */
	uint32_t upload_min_drop;      /* listening: scored packets a drop
					  needs at least; default 2 */
};

struct eg_config {
	char file[EG_CONFIG_PATH_MAX]; /* the file read, "" for defaults */
	struct eg_config_daemon daemon;
	struct {
		uint8_t addr[EG_CONFIG_MAX_DEVICES][16];
		uint8_t version[EG_CONFIG_MAX_DEVICES];
		unsigned n;            /* 0: every queued packet is outbound */
	} device;
	struct {
		char path[EG_CONFIG_PATH_MAX];    /* the shipped model */
		char learned[EG_CONFIG_PATH_MAX]; /* used instead when it
						     exists; "" = off */
		enum eg_feature_set features;  /* default flow (the shipped model) */
	} model;
	struct eg_flow_params flows;
	struct eg_config_policy policy;
	struct eg_config_mic mic;
	struct {
		int level;                 /* syslog priority 0..7; default 6 (info) */
		uint32_t drop_event_rate;  /* drop events logged per s; default 10 */
	} log;
};

/* eg_config_load flags. */
#define EG_CONFIG_NO_MODEL_CHECK 0x1u /* don't require [model] path to exist */

/* Fill c with the documented defaults (what an empty file gives). */
void eg_config_default(struct eg_config *c);

/*
 * Read and validate path. Every error is collected into err (errlen bytes,
 * always terminated, one line "PATH:LINE: [section] key: reason" per error,
 * cut with "..." when it does not fit). Returns 0 and writes *ret on
 * success; -EINVAL when the content is invalid; -errno (-ENOENT, -EACCES)
 * when the file cannot be read. *ret is untouched on failure.
 */
int eg_config_load(const char *path, unsigned flags, struct eg_config *ret,
		   char *err, size_t errlen);

/* The engine parameters the config implies (flows, features, devices). */
void eg_config_engine_params(const struct eg_config *c,
			     struct eg_engine_params *ret);

/* Write the effective configuration as a valid INI file (every key). */
int eg_config_dump(const struct eg_config *c, FILE *f);

/* Parse "10.0.0.0/8", "2001:db8::/32" or a bare address; -EINVAL if bad. */
int eg_cidr_parse(const char *s, struct eg_cidr *ret);
/* Is addr (16-byte form, IP version v) inside c? */
bool eg_cidr_match(const struct eg_cidr *c, int v, const uint8_t addr[16]);

/* Parse a queue list: "0", "0-3", "0,2,5-6". Sorted, duplicates refused. */
int eg_config_parse_queues(const char *s, uint16_t *ret, unsigned max,
			   unsigned *ret_n);

const char *eg_verdict_name(enum eg_verdict v);

#endif
