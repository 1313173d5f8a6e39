/* SPDX-License-Identifier: MIT */
/*
 * nfq.h: one NFQUEUE queue over libnetfilter_queue's libmnl API.
 *
 * A struct eg_nfq owns one netlink socket bound to one queue number, the
 * receive buffers (sized once at open) and the pending verdict batch. It is
 * used by exactly one thread. Packets are handed out by eg_nfq_recv as
 * struct eg_nfq_pkt views into the receive buffers, valid until the next
 * eg_nfq_recv. Every packet handed out must get exactly one
 * eg_nfq_verdict; accepts are batched (NFQNL_MSG_VERDICT_BATCH), any other
 * verdict flushes the batch first, so a later batch can never cover a
 * packet that was meant to be dropped. Nothing is allocated after
 * eg_nfq_open. Covered by tests/e2e (real queues in network namespaces).
 */
#ifndef EG_DAEMON_NFQ_H
#define EG_DAEMON_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EG_NFQ_RECV_BATCH 32      /* messages per recvmmsg */
#define EG_NFQ_RECV_WAKE 1        /* eg_nfq_recv takes a wake fd */

enum eg_nfq_verdict {
	EG_NFQ_DROP = 0,          /* NF_DROP */
	EG_NFQ_ACCEPT = 1,        /* NF_ACCEPT */
	EG_NFQ_REPEAT = 4,        /* NF_REPEAT: re-run the hook (with a mark) */
};

struct eg_nfq_opts {
	uint16_t queue;
	uint32_t maxlen;          /* kernel queue length (packets) */
	bool fail_open;           /* NFQA_CFG_F_FAIL_OPEN */
	bool gso;                 /* NFQA_CFG_F_GSO: false = kernel segments */
	uint32_t batch_size;      /* accepts per batch verdict; <= 1 disables */
	uint64_t batch_timeout_ns;/* oldest pending accept waits at most this */
	enum eg_nfq_verdict fallback; /* for a verdict the kernel refused */
};

struct eg_nfq_pkt {
	uint32_t id;
	uint32_t mark;            /* skb mark, 0 when none */
	const uint8_t *data;      /* IP header first */
	uint32_t caplen;          /* bytes in data */
	uint32_t len;             /* packet length (NFQA_CAP_LEN or caplen) */
	bool gso;                 /* NFQA_SKB_GSO: not segmented (F_GSO only) */
};

struct eg_nfq_counters {
	uint64_t received;        /* packet messages */
	uint64_t accepted, dropped, repeated; /* verdicts given */
	uint64_t batches;         /* batch verdict messages sent */
	uint64_t id_gaps;         /* packet ids skipped: lost to the socket */
	uint64_t enobufs;         /* ENOBUFS from recv (NO_ENOBUFS unsupported) */
	uint64_t send_errors;     /* verdict sends that failed (then retried) */
	uint64_t bad_messages;    /* messages that could not be parsed */
	uint64_t max_len;         /* longest packet seen */
	uint64_t gso_packets;     /* packets longer than the link MTU could carry */
	/* Every message that is not a packet, by kind (docs/daemon.md
	 * "Kernel errors"): the kernel answers a refused verdict with an
	 * NLMSG_ERROR on the socket, not with an errno from sendto. */
	uint64_t kernel_errors;   /* NLMSG_ERROR with an error */
	uint64_t unknown_ids;     /* of those: ENOENT, no such packet queued */
	uint64_t acks;            /* NLMSG_ERROR 0 (acks) */
	uint64_t other_messages;  /* NOOP, DONE, OVERRUN, unknown types */
	uint64_t truncated;       /* MSG_TRUNC: a datagram cut by the buffer */
	uint64_t kernel_fallbacks;/* refused verdicts re-sent as the fallback */
};

struct eg_nfq;

/*
 * Open a socket, bind it to o->queue in copy-packet mode with the flags of
 * o, set NETLINK_NO_ENOBUFS and a receive buffer sized for o->maxlen
 * packets. Returns 0, or -errno with a message in err ("queue 3: bind:
 * Device or resource busy" when another program holds the queue).
 */
int eg_nfq_open(const struct eg_nfq_opts *o, struct eg_nfq **ret, char *err,
		size_t errlen);

/* Unbind and close; pending accepts are flushed first. Accepts NULL. */
struct eg_nfq *eg_nfq_free(struct eg_nfq *q);

/*
 * Receive up to max (<= EG_NFQ_RECV_BATCH) packets, waiting at most
 * timeout_ms for the first (0: do not wait; -1: forever) and returning
 * early when wake_fd (>= 0, an eventfd the caller owns) becomes readable
 * (it is not read here). Returns the number stored in pkts (0 on timeout,
 * wake-up or EINTR), or -errno on a socket error. Every other message is
 * consumed and counted (eg_nfq_counters): an NLMSG_ERROR for a verdict
 * with an error other than ENOENT gets the fallback verdict for the same
 * packet(s) (once: an error on that one is only counted); a datagram cut
 * short (MSG_TRUNC) whose packet id is readable gets the fallback verdict.
 */
int eg_nfq_recv(struct eg_nfq *q, struct eg_nfq_pkt *pkts, unsigned max,
		int timeout_ms, int wake_fd);

/*
 * Give packet id its verdict. Accepts without a mark join the batch;
 * anything else flushes the batch and is sent alone. mark != 0 sets the
 * packet mark. Returns 0 or -errno when the kernel refused the send twice
 * (counted; the caller then tries its fallback verdict).
 */
int eg_nfq_verdict(struct eg_nfq *q, uint32_t id, enum eg_nfq_verdict v,
		   uint32_t mark);

/* Send the pending batch now if any; also when it is older than the
 * batch timeout (call from the idle path with now_ns). */
int eg_nfq_flush(struct eg_nfq *q);
int eg_nfq_flush_if_old(struct eg_nfq *q, uint64_t now_ns);

/* Number of accepts waiting in the batch. */
unsigned eg_nfq_pending(const struct eg_nfq *q);

const struct eg_nfq_counters *eg_nfq_counters(const struct eg_nfq *q);
int eg_nfq_fd(const struct eg_nfq *q);

uint64_t eg_now_ns(void);

#endif
