/* SPDX-License-Identifier: MIT */
/*
 * audit.h: what an eavesdropper learns from the shape of encrypted traffic
 * (issue 7). Traces (one interaction each) or windows over a capture become
 * feature vectors; classifiers (the forest, a single CART tree, kNN,
 * AdaBoost-SAMME with stumps, extra trees, a multilayer perceptron) are
 * evaluated over repeated stratified splits with K-fold tuning, or over
 * train/validation/test splits; countermeasures transform traces first.
 *
 * Modules: trace.c (loading CSV traces and captures, cutting),
 * feat.c (per-trace and per-window features, defences),
 * clf.c (kNN, AdaBoost, forest/tree wrappers), xtrees.c, mlp.c,
 * servers.c (--servers), eval.c (repeated splits, tuning, metrics).
 * Covered by tests/unit/test-audit.c and test-audit-mlp.c.
 * Nothing here logs or exits; errors come back as -errno plus a message.
 */
#ifndef ECHOGUARD_AUDIT_H
#define ECHOGUARD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echoguard/data/dataset.h"

#define EG_AUDIT_MTU 1500
/*
 * Size-only traces (the CSVs carry IP total length only): a packet of IP
 * length <= 52 is taken as a pure ACK. 40 is a bare ACK (20 + 20), 52 an ACK
 * with the timestamp option or one SACK block, as the Echo sends them; 60
 * (two SACK blocks, or 20 data bytes) is ambiguous and counted as data.
 * The data bytes of a size-only packet are estimated as size - 52.
 */
#define EG_AUDIT_ACK_MAX 52
#define EG_AUDIT_HDR_EST 52

/* One packet as the audit sees it. */
struct eg_audit_pkt {
	double t;            /* seconds: from the trace start (CSV) or epoch */
	uint32_t size;       /* IP total length */
	int8_t dir;          /* +1 sent by the device, -1 received */
	bool has_hdr;        /* the fields below come from real headers */
	uint8_t proto;       /* 6 TCP, 17 UDP, 1/58 ICMP; 0 unknown */
	uint8_t ttl;
	uint8_t flags;       /* TCP flags */
	uint16_t window;     /* raw TCP window */
	uint16_t rport;      /* remote (non-device) port */
	uint32_t payload;    /* L4 payload bytes */
	uint32_t seq;        /* TCP sequence number */
	uint32_t raddr;      /* hash of the remote address */
	uint32_t conn;       /* hash of the 5-tuple (direction-independent) */
};

struct eg_audit_trace {
	char name[160];      /* file name without directory and extension */
	char label[160];     /* class name (filled by the caller) */
	struct eg_audit_pkt *p;
	size_t n, cap;
};

void eg_audit_trace_init(struct eg_audit_trace *t);
void eg_audit_trace_done(struct eg_audit_trace *t);
/* Append a packet (grows the array). -ENOMEM. */
int eg_audit_trace_push(struct eg_audit_trace *t, const struct eg_audit_pkt *p);
/* Is this packet a pure ACK (header rule when known, size rule else)? */
bool eg_audit_pkt_is_ack(const struct eg_audit_pkt *p);
/* Estimated L4 data bytes. */
uint32_t eg_audit_pkt_data(const struct eg_audit_pkt *p);

/*
 * Load a trace CSV (header line, then index,time,size,direction as in
 * shared/data/vcf/traces). t->name is the file's base name without ".csv".
 * -EINVAL with "FILE:LINE: reason", -errno for I/O. t must be initialised;
 * on failure it is left empty.
 */
int eg_audit_trace_load_csv(const char *path, struct eg_audit_trace *t,
			    char *err, size_t errlen);

/* --servers: the traffic to some servers only (servers.c). */
#define EG_AUDIT_MAX_SERVERS 32
struct eg_audit_servers {
	unsigned n_sni, n_cidr;
	char sni[EG_AUDIT_MAX_SERVERS][128];   /* lower-case suffixes */
	uint8_t addr[EG_AUDIT_MAX_SERVERS][16]; /* eg_addr_parse form */
	uint8_t bits[EG_AUDIT_MAX_SERVERS], ver[EG_AUDIT_MAX_SERVERS];
};
/* A comma-separated list of TLS server-name suffixes ("amazon.com",
 * whole labels) and addresses or prefixes ("52.94.0.0/16", "2001:db8::/32",
 * "1.2.3.4"). -EINVAL with err naming the entry. */
int eg_audit_servers_parse(const char *list, struct eg_audit_servers *ret,
			   char *err, size_t errlen);
/* Is the address (version 4 or 6) in one of the prefixes? */
bool eg_audit_servers_addr(const struct eg_audit_servers *s, int ver,
			   const uint8_t a[16]);
/* Does the server name end with one of the suffixes (whole labels)? */
bool eg_audit_servers_sni(const struct eg_audit_servers *s, const char *name);

/*
 * Load every IP packet of a capture to or from the device (dev: a dotted
 * IPv4 or IPv6 address; NULL: the address seen in most packets). Times are
 * epoch seconds. With srv (NULL: all), only the packets exchanged with a
 * server address of srv: an address in its prefixes, or one the device sent
 * a TLS ClientHello to with a matching server name anywhere in the capture
 * (its packets before the hello included; at most EG_AUDIT_MAX_ADDRS such
 * addresses). -EINVAL/-EIO with "FILE: reason".
 */
#define EG_AUDIT_MAX_ADDRS 1024
int eg_audit_capture_load(const char *path, const char *dev,
			  const struct eg_audit_servers *srv,
			  struct eg_audit_trace *t, char *err, size_t errlen);

/* Copy the packets of src with start <= t <= end into dst (times rebased
 * to the first copied packet when rebase). */
int eg_audit_trace_cut(const struct eg_audit_trace *src, double start,
		       double end, bool rebase, struct eg_audit_trace *dst);

/* Base name of the command a trace name stands for: "what_time_5_3" ->
 * "what_time_5" (the trailing _N repetition number removed). */
void eg_audit_command_name(const char *trace, char *ret, size_t len);

/* --- features ------------------------------------------------------- */

enum eg_audit_fkind {
	EG_AUDIT_F_STATS = 1,      /* tcptrace-like statistics */
	EG_AUDIT_F_HIST = 2,       /* size + inter-arrival histograms */
	EG_AUDIT_F_BOTH = 3,
	EG_AUDIT_F_SIZEHIST = 4,   /* size histograms only (size-only attacker) */
	EG_AUDIT_F_CUMUL = 8,      /* cumulative bytes over packets and time
				    * (CUMUL, Panchenko et al. 2016) */
	EG_AUDIT_F_ALL = 11,       /* stats + hist + cumul */
};
/* CUMUL: signed cumulative bytes at EG_AUDIT_CUMUL_N packet fractions, and
 * outbound / inbound bytes so far at fixed times (0.1 s .. 30 s). */
#define EG_AUDIT_CUMUL_N 40

struct eg_audit_fopts {
	enum eg_audit_fkind kind;
	unsigned bins;             /* histogram bins, default 15 */
	bool acks;                 /* include pure ACKs (default false) */
};

void eg_audit_fopts_default(struct eg_audit_fopts *o);
/* "stats", "hist", "both", "sizehist", "cumul", "all", or a '+'-joined
 * list of stats, hist, sizehist and cumul; -EINVAL else. */
int eg_audit_fkind_parse(const char *s, enum eg_audit_fkind *ret);
/* Number of features for o. */
unsigned eg_audit_feat_count(const struct eg_audit_fopts *o);
/* Names into names[eg_audit_feat_count] (each at most 48 bytes, stored in
 * buf of 48 * count bytes). */
void eg_audit_feat_names(const struct eg_audit_fopts *o, char *buf,
			 const char **names);
/* Features of one trace into x[eg_audit_feat_count]; all finite. */
void eg_audit_feat_compute(const struct eg_audit_fopts *o,
			   const struct eg_audit_trace *t, float *x);

/* Window features of the Google Home study (counts of TCP/UDP/ICMP,
 * distinct remote addresses and ports, mean/std of length, TCP window,
 * inter-packet time and TTL, plus packets and bytes per direction). */
#define EG_AUDIT_WIN_FEATURES 18
extern const char *const eg_audit_win_names[EG_AUDIT_WIN_FEATURES];
void eg_audit_win_compute(const struct eg_audit_pkt *p, size_t n, float *x);

/* --- countermeasures ---------------------------------------------------- */

enum eg_audit_defence { EG_DEF_NONE = 0, EG_DEF_PAD, EG_DEF_RATE };

struct eg_audit_defend {
	enum eg_audit_defence kind;
	unsigned bucket;           /* EG_DEF_PAD: round sizes up to it (cap MTU) */
	double rate;               /* EG_DEF_RATE: MTU packets per s per direction */
};

/* "none", "pad:mtu", "pad:N", "rate:R"; -EINVAL else. */
int eg_audit_defend_parse(const char *s, struct eg_audit_defend *ret);
/*
 * Transform t in place. pad: every size rounded up to a multiple of bucket,
 * at most the MTU (pad:mtu sets every size to 1500); the padded packets lose
 * their headers (an observer can no longer tell ACKs). rate (BuFLO-like):
 * per direction, MTU-sized packets every 1/rate s from the direction's first
 * packet for max(duration, time to send its bytes). Adds the bytes before
 * and after to *bytes_before / *bytes_after. -ENOMEM.
 */
int eg_audit_defend_apply(const struct eg_audit_defend *d,
			  struct eg_audit_trace *t, uint64_t *bytes_before,
			  uint64_t *bytes_after);

/* --- classifiers ------------------------------------------------------ */

enum eg_audit_clf { EG_CLF_FOREST = 0, EG_CLF_TREE, EG_CLF_KNN, EG_CLF_ADA,
		    EG_CLF_XTREES, EG_CLF_MLP, _EG_CLF_MAX };

/* The MLP's hidden layers have at most this many units. */
#define EG_AUDIT_MLP_MAX_H 1024

extern const char *const eg_audit_clf_names[_EG_CLF_MAX];
/* "forest", "tree", "knn", "adaboost", "xtrees" (extremely randomised
 * trees, xtrees.c), "mlp" (multilayer perceptron, mlp.c); -EINVAL else. */
int eg_audit_clf_parse(const char *s, enum eg_audit_clf *ret);

struct eg_audit_hyper {
	unsigned trees;            /* forest, xtrees */
	unsigned max_depth;        /* forest, tree (0 unlimited) */
	unsigned min_leaf;         /* forest, tree, xtrees */
	unsigned k;                /* knn */
	unsigned rounds;           /* adaboost */
	unsigned hidden1, hidden2; /* mlp: units of the hidden layers (hidden2
				    * 0: one layer), at most EG_AUDIT_MLP_MAX_H */
	float alpha;               /* mlp: L2 penalty (0: 1e-4) */
};

struct eg_audit_model;

/* Fit a classifier on rows of d. -EINVAL/-ENOMEM with err. The MLP
 * stops early on a stratified tenth of the rows (eg_audit_split3). */
int eg_audit_fit(enum eg_audit_clf c, const struct eg_audit_hyper *h,
		 const struct eg_dataset *d, const uint32_t *rows, size_t n,
		 uint64_t seed, unsigned threads, struct eg_audit_model **ret,
		 char *err, size_t errlen);
/* Same with a validation part given (val, nv > 0): the MLP stops early on
 * it and trains on all of rows; the other classifiers ignore it. */
int eg_audit_fit_val(enum eg_audit_clf c, const struct eg_audit_hyper *h,
		     const struct eg_dataset *d, const uint32_t *rows,
		     size_t n, const uint32_t *val, size_t nv, uint64_t seed,
		     unsigned threads, struct eg_audit_model **ret, char *err,
		     size_t errlen);
/* Class scores (higher = more likely) into s[n_classes]; returns argmax
 * (lowest index on ties). */
unsigned eg_audit_score(const struct eg_audit_model *m, const float *x,
			float *s);
/* Feature importances into ret[n_features] (sum 1, or all 0 for kNN).
 * Returns 0 when the classifier has them, -EOPNOTSUPP else. */
int eg_audit_importances(const struct eg_audit_model *m, double *ret);
struct eg_audit_model *eg_audit_model_free(struct eg_audit_model *m);

/* --- evaluation --------------------------------------------------------- */

struct eg_audit_eval_opts {
	unsigned repeats;          /* R stratified splits, default 10 */
	double test_size;          /* default 0.2 */
	unsigned tune_folds;       /* K (0 or 1: no tuning), default 3 */
	unsigned topk;             /* default 3 */
	uint64_t seed;
	unsigned threads;
	/* Optional: score in coarser classes. Training (and the stratified
	 * splits) use d's fine classes; class_map[fine] gives the coarse
	 * class, a coarse score is the best of its fine ones (the coarse
	 * prediction is the class of the likeliest fine class), and accuracy,
	 * top-k and the confusion matrix count coarse classes (n_mapped). */
	const uint16_t *class_map;
	unsigned n_mapped;
	/* Split by d's groups (whole groups go to test, eg_split_group)
	 * instead of stratified rows: windows of one capture are neighbours
	 * in time, so a row split lets a model see the test's surroundings. */
	bool by_group;
	/* A train/validation/test split as the user-identification study's
	 * 70/10/20 (val_size 0.1, test_size 0.2; 0: off): every repeat splits
	 * stratified in three (eg_audit_split3); each grid point is fitted on
	 * the training part (the MLP stopping early on the validation part)
	 * and the one best on the validation part is scored on the test
	 * part. No K-fold tuning then. */
	double val_size;
};

void eg_audit_eval_opts_default(struct eg_audit_eval_opts *o);

struct eg_audit_result {
	enum eg_audit_clf clf;
	unsigned repeats;
	double *acc;               /* [repeats] */
	double *topk;              /* [repeats] */
	double mean, std, median, topk_mean, balanced_mean;
	uint32_t *confusion;       /* [n_classes * n_classes], true row, summed */
	double *importance;        /* [n_features] mean, NULL when none */
	double train_s;            /* total training seconds (incl. tuning) */
	double fit_s;              /* mean seconds of the final fit per repeat */
	struct eg_audit_hyper chosen; /* most often chosen hyper-parameters */
	unsigned n_classes, n_features;
};

void eg_audit_result_done(struct eg_audit_result *r);

/* The tuning grid of a classifier (a small, documented grid); returns its
 * size, fills up to max entries. */
unsigned eg_audit_grid(enum eg_audit_clf c, struct eg_audit_hyper *ret,
		       unsigned max);

/*
 * R stratified splits of d; in each, K-fold tuning over eg_audit_grid on
 * the training part, a fit with the best hyper-parameters, the test part
 * scored. -EINVAL/-ENOMEM with err.
 */
int eg_audit_evaluate(const struct eg_dataset *d, enum eg_audit_clf c,
		      const struct eg_audit_eval_opts *o,
		      struct eg_audit_result *ret, char *err, size_t errlen);

/*
 * Stratified three-way split of rows: part[i] for rows[i] is 0 (train),
 * 1 (validation) or 2 (test). Per class (rows shuffled with seed) the
 * validation and test counts are the running totals round(val * count so
 * far) and round(test * count so far) minus what earlier classes got, so
 * the overall shares are exact and a class of 5 gets 1 test row and
 * alternately 0 or 1 validation rows at 70/10/20. Deterministic; -ENOMEM.
 */
int eg_audit_split3(const struct eg_dataset *d, const uint32_t *rows,
		    size_t n, double val, double test, uint64_t seed,
		    uint8_t *part);

/* Stratified K-fold over a row list: fold[i] for rows[i]. Deterministic. */
void eg_audit_kfold(const struct eg_dataset *d, const uint32_t *rows,
		    size_t n, unsigned k, uint64_t seed, uint32_t *fold);

#endif
