// SPDX-License-Identifier: MIT
/*
 * nfq.c: one NFQUEUE queue: bind, configure, receive, verdict batching.
 * See nfq.h for the contract and docs/daemon.md for the choices (copy
 * mode, GSO off, fail-open flag, batching rules).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"
#include "util.h"

/* A packet of up to 64 KiB plus the netlink and nfqueue attributes. */
#define NFQ_BUF_SIZE (0x10000 + 1024) /* a multiple of 8: buffers stay aligned */
/* Per queued packet in the socket's receive buffer: the copied packet
 * (segmented: <= MTU) plus attributes plus the skb overhead the kernel
 * charges (truesize). */
#define NFQ_RCVBUF_PER_PKT 4096
#define NFQ_RCVBUF_MIN (1u << 20)
#define NFQ_RCVBUF_MAX (256u << 20)
#define NFQ_LINK_MTU 1500
/* nlmsg_seq of a fallback verdict: an error on it is counted, not retried. */
#define NFQ_SEQ_FALLBACK 1u

struct eg_nfq {
	struct mnl_socket *nl;
	unsigned portid;
	struct eg_nfq_opts o;
	uint32_t seq;
	bool have_last_id;
	uint32_t last_id;
	/* pending accept batch */
	unsigned pending;
	uint32_t pending_id;
	uint64_t pending_since;
	struct eg_nfq_counters c;
	char sendbuf[8192];          /* one verdict or config message */
	struct mmsghdr msgs[EG_NFQ_RECV_BATCH];
	struct iovec iov[EG_NFQ_RECV_BATCH];
	char *bufs;               /* EG_NFQ_RECV_BATCH * NFQ_BUF_SIZE */
};

uint64_t eg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int send_verdict(struct eg_nfq *q, int type, uint32_t id, int verdict,
			uint32_t mark);

/* A packet queued while the queue is being configured still needs its
 * verdict: it gets an accept, what the rule's bypass would have given it
 * a moment earlier with no listener. */
static int early_packet(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct eg_nfq *q = data;
	struct nfqnl_msg_packet_hdr *ph;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET ||
	    nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	(void)send_verdict(q, NFQNL_MSG_VERDICT, ntohl(ph->packet_id),
			   NF_ACCEPT, 0);
	return MNL_CB_OK;
}

/* Send a config message and wait for the kernel's ack: config errors
 * (queue already bound: -EBUSY, no nfnetlink_queue: -EOPNOTSUPP) must be
 * reported at start, not discovered as silence. */
static int send_acked(struct eg_nfq *q, struct nlmsghdr *nlh)
{
	char buf[8192];
	ssize_t n;
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, q->seq, q->portid, early_packet,
			       q);
		if (r == MNL_CB_ERROR)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
		/* MNL_CB_OK: an unrelated message (a packet); keep reading */
	}
}

static int configure(struct eg_nfq *q, char *err, size_t errlen)
{
	struct nlmsghdr *nlh;
	uint32_t flags = 0, mask;
	int r;

	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_CONFIG, q->o.queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	r = send_acked(q, nlh);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: bind: %s%s", q->o.queue,
			 strerror(-r), r == -EBUSY ?
			 " (another program holds this queue)" : "");
		return r;
	}

	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_CONFIG, q->o.queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->o.maxlen);
	if (q->o.fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (q->o.gso)
		flags |= NFQA_CFG_F_GSO;
	mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	r = send_acked(q, nlh);
	if (r < 0) {
		snprintf(err, errlen, "queue %u: set parameters: %s",
			 q->o.queue, strerror(-r));
		return r;
	}
	return 0;
}

static int set_socket_options(struct eg_nfq *q, char *err, size_t errlen)
{
	int fd = mnl_socket_get_fd(q->nl), one = 1;
	uint64_t want = (uint64_t)q->o.maxlen * NFQ_RCVBUF_PER_PKT;
	int size;

	if (want < NFQ_RCVBUF_MIN)
		want = NFQ_RCVBUF_MIN;
	if (want > NFQ_RCVBUF_MAX)
		want = NFQ_RCVBUF_MAX;
	size = (int)want;
	/* FORCE ignores net.core.rmem_max (needs CAP_NET_ADMIN, which a
	 * queue listener has anyway); fall back to the capped one. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Without this a full socket makes recv fail with ENOBUFS and the
	 * loop would have to resynchronise; the kernel counts the loss
	 * (queue_user_dropped) and we see it as a gap in packet ids. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
		       sizeof(one)) < 0) {
		snprintf(err, errlen, "queue %u: NETLINK_NO_ENOBUFS: %s",
			 q->o.queue, strerror(errno));
		return -errno;
	}
	return 0;
}

int eg_nfq_open(const struct eg_nfq_opts *o, struct eg_nfq **ret, char *err,
		size_t errlen)
{
	struct eg_nfq *q;
	int r;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->o = *o;
	if (q->o.maxlen == 0)
		q->o.maxlen = 1024;
	q->bufs = malloc((size_t)EG_NFQ_RECV_BATCH * NFQ_BUF_SIZE);
	if (!q->bufs) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < EG_NFQ_RECV_BATCH; i++) {
		q->iov[i].iov_base = q->bufs + (size_t)i * NFQ_BUF_SIZE;
		q->iov[i].iov_len = NFQ_BUF_SIZE;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		r = -errno;
		snprintf(err, errlen, "queue %u: netlink socket: %s", o->queue,
			 strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		snprintf(err, errlen, "queue %u: netlink bind: %s", o->queue,
			 strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	r = set_socket_options(q, err, errlen);
	if (r < 0)
		goto fail;
	r = configure(q, err, errlen);
	if (r < 0)
		goto fail;
	*ret = q;
	return 0;
fail:
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->bufs);
	free(q);
	return r;
}

struct eg_nfq *eg_nfq_free(struct eg_nfq *q)
{
	struct nlmsghdr *nlh;

	if (!q)
		return NULL;
	(void)eg_nfq_flush(q);
	nlh = nfq_nlmsg_put(q->sendbuf, NFQNL_MSG_CONFIG, q->o.queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
	(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(q->nl);
	free(q->bufs);
	free(q);
	return NULL;
}

/* Parse one NFQNL_MSG_PACKET into *p; false if it lacks the header. */
static bool parse_packet(struct eg_nfq *q, const struct nlmsghdr *nlh,
			 struct eg_nfq_pkt *p)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	uint32_t skbinfo = 0;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return false;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->mark = attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
	if (attr[NFQA_PAYLOAD]) {
		p->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	} else {
		p->data = NULL;
		p->caplen = 0;
	}
	p->len = attr[NFQA_CAP_LEN] ?
		 ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : p->caplen;
	if (attr[NFQA_SKB_INFO])
		skbinfo = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	p->gso = (skbinfo & NFQA_SKB_GSO) != 0;
	return true;
}

static void account(struct eg_nfq *q, const struct eg_nfq_pkt *p)
{
	CNT_INC(q->c.received);
	/* Ids are consecutive per queue; a jump means messages the kernel
	 * could not deliver (socket full): they were dropped or, with
	 * fail-open, accepted by the kernel, never left pending. */
	if (q->have_last_id && p->id != q->last_id + 1)
		CNT_ADD(q->c.id_gaps, (uint32_t)(p->id - q->last_id - 1));
	q->have_last_id = true;
	q->last_id = p->id;
	if (p->len > q->c.max_len)
		CNT_SET(q->c.max_len, p->len);
	if (p->len > NFQ_LINK_MTU)
		CNT_INC(q->c.gso_packets);
}

/* What mnl_cb_run2's callbacks fill while one datagram is walked. */
struct walk {
	struct eg_nfq *q;
	struct eg_nfq_pkt *pkts;
	unsigned n, max;
};

/* Re-send the verdict of a message the kernel refused, with the fallback
 * verdict: the packet is still queued (only ENOENT says it is not). */
static void refused(struct eg_nfq *q, const struct nlmsghdr *msg, size_t len)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_verdict_hdr *vh;
	int type = NFNL_MSG_TYPE(msg->nlmsg_type);
	struct nlmsghdr *nlh;

	if (msg->nlmsg_seq == NFQ_SEQ_FALLBACK || msg->nlmsg_len > len ||
	    (type != NFQNL_MSG_VERDICT && type != NFQNL_MSG_VERDICT_BATCH) ||
	    nfq_nlmsg_parse(msg, attr) < 0 || !attr[NFQA_VERDICT_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_VERDICT_HDR]) < sizeof(*vh))
		return;
	vh = mnl_attr_get_payload(attr[NFQA_VERDICT_HDR]);
	nlh = nfq_nlmsg_put(q->sendbuf, type, q->o.queue);
	nlh->nlmsg_seq = NFQ_SEQ_FALLBACK;
	nfq_nlmsg_verdict_put(nlh, (int)ntohl(vh->id), (int)q->o.fallback);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) >= 0)
		CNT_INC(q->c.kernel_fallbacks);
	else
		CNT_INC(q->c.send_errors);
}

/* NLMSG_ERROR: an ack (0) or the kernel refusing one of our messages,
 * which follows the error code (whole, without NETLINK_CAP_ACK). */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct walk *wk = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (len < sizeof(*e)) {
		CNT_INC(wk->q->c.bad_messages);
		return MNL_CB_OK;
	}
	if (e->error == 0) {
		CNT_INC(wk->q->c.acks);
		return MNL_CB_OK;
	}
	CNT_INC(wk->q->c.kernel_errors);
	if (e->error == -ENOENT)
		CNT_INC(wk->q->c.unknown_ids);
	else
		refused(wk->q, &e->msg, len - offsetof(struct nlmsgerr, msg));
	return MNL_CB_OK;
}

static int on_other(const struct nlmsghdr *nlh, void *data)
{
	struct walk *wk = data;

	(void)nlh;
	CNT_INC(wk->q->c.other_messages);
	return MNL_CB_OK;
}

/* A packet beyond max in one datagram still needs its one verdict. */
static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct walk *wk = data;
	struct eg_nfq_pkt extra;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET) {
		CNT_INC(wk->q->c.other_messages);
		return MNL_CB_OK;
	}
	if (!parse_packet(wk->q, nlh, wk->n < wk->max ? &wk->pkts[wk->n] :
			  &extra)) {
		CNT_INC(wk->q->c.bad_messages);
		return MNL_CB_OK;
	}
	if (wk->n < wk->max) {
		account(wk->q, &wk->pkts[wk->n]);
		wk->n++;
	} else {
		account(wk->q, &extra);
		(void)send_verdict(wk->q, NFQNL_MSG_VERDICT, extra.id,
				   (int)wk->q->o.fallback, 0);
	}
	return MNL_CB_OK;
}

/* A datagram cut by the buffer: its packet gets the fallback verdict if
 * the header says which (the packet header attribute comes first). */
static void truncated(struct eg_nfq *q, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlattr *a;
	const struct nfqnl_msg_packet_hdr *ph;
	size_t off = NLMSG_HDRLEN + sizeof(struct nfgenmsg);

	CNT_INC(q->c.truncated);
	if (len < off + sizeof(*a) + sizeof(*ph) ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
		return;
	a = (const struct nlattr *)(buf + off);
	if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR ||
	    a->nla_len < sizeof(*a) + sizeof(*ph))
		return;
	ph = (const struct nfqnl_msg_packet_hdr *)(a + 1);
	CNT_INC(q->c.received);
	(void)send_verdict(q, NFQNL_MSG_VERDICT, ntohl(ph->packet_id),
			   (int)q->o.fallback, 0);
}

/* Walk the netlink messages of one datagram into pkts. */
static unsigned unpack(struct eg_nfq *q, const struct mmsghdr *m,
		       const char *buf, struct eg_nfq_pkt *pkts, unsigned n,
		       unsigned max)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {   /* libmnl wants it mutable */
		[NLMSG_NOOP] = on_other, [NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_other, [NLMSG_OVERRUN] = on_other,
	};
	struct walk wk = { q, pkts, n, max };

	if (m->msg_hdr.msg_flags & MSG_TRUNC) {
		truncated(q, buf, m->msg_len);
		return n;
	}
	/* seq and portid 0: every message; a malformed one ends the walk. */
	if (mnl_cb_run2(buf, m->msg_len, 0, 0, on_data, &wk, ctl,
			NLMSG_MIN_TYPE) < 0)
		CNT_INC(q->c.bad_messages);
	return wk.n;
}

/* Wait for the socket or wake_fd; > 0 when the socket is readable. */
static int wait_readable(int fd, int wake_fd, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = wake_fd, .events = POLLIN } };
	uint64_t v;
	int r;

	r = poll(pfd, wake_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (wake_fd >= 0 && (pfd[1].revents & POLLIN))
		(void)!read(wake_fd, &v, sizeof(v));
	return r > 0 && (pfd[0].revents & (POLLIN | POLLERR));
}

int eg_nfq_recv(struct eg_nfq *q, struct eg_nfq_pkt *pkts, unsigned max,
		int timeout_ms, int wake_fd)
{
	int fd = mnl_socket_get_fd(q->nl), r;
	unsigned n = 0;

	if (max > EG_NFQ_RECV_BATCH)
		max = EG_NFQ_RECV_BATCH;
	if (timeout_ms != 0) {
		r = wait_readable(fd, wake_fd, timeout_ms);
		if (r <= 0)
			return r;
	}
	r = recvmmsg(fd, q->msgs, max, MSG_DONTWAIT, NULL);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			CNT_INC(q->c.enobufs);
			return 0;
		}
		return -errno;
	}
	for (int i = 0; i < r; i++)
		n = unpack(q, &q->msgs[i], q->iov[i].iov_base, pkts, n, max);
	return (int)n;
}

static int send_verdict(struct eg_nfq *q, int type, uint32_t id, int verdict,
			uint32_t mark)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(q->sendbuf, type, q->o.queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	/* sendto fails only for the socket's own reasons (ENOBUFS, EINTR),
	 * retried once; what the kernel says of the verdict itself (ENOENT
	 * for an id it no longer has, EINVAL) comes back as an NLMSG_ERROR
	 * read by eg_nfq_recv (on_error). */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) >= 0)
			return 0;
		CNT_INC(q->c.send_errors);
		if (errno == ENOENT)
			return -ENOENT;
	}
	return -errno;
}

int eg_nfq_flush(struct eg_nfq *q)
{
	int r;

	if (q->pending == 0)
		return 0;
	r = send_verdict(q, NFQNL_MSG_VERDICT_BATCH, q->pending_id, NF_ACCEPT,
			 0);
	/* Kept pending on failure so the next flush retries: those packets
	 * are still queued in the kernel and must not be left there. */
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		CNT_ADD(q->c.accepted, q->pending);
		CNT_INC(q->c.batches);
	}
	q->pending = 0;
	return r;
}

int eg_nfq_flush_if_old(struct eg_nfq *q, uint64_t now_ns)
{
	if (q->pending == 0 || now_ns - q->pending_since < q->o.batch_timeout_ns)
		return 0;
	return eg_nfq_flush(q);
}

int eg_nfq_verdict(struct eg_nfq *q, uint32_t id, enum eg_nfq_verdict v,
		   uint32_t mark)
{
	int r;

	if (v == EG_NFQ_ACCEPT && mark == 0 && q->o.batch_size > 1) {
		if (q->pending == 0)
			q->pending_since = eg_now_ns();
		q->pending++;
		q->pending_id = id;
		if (q->pending >= q->o.batch_size)
			return eg_nfq_flush(q);
		return 0;
	}
	/* A batch verdict covers every queued id up to its own: send the
	 * accepts before this one so the batch never reaches past a drop. */
	r = eg_nfq_flush(q);
	if (r < 0)
		return r;
	r = send_verdict(q, NFQNL_MSG_VERDICT, id, (int)v, mark);
	if (r < 0)
		return r;
	if (v == EG_NFQ_ACCEPT)
		CNT_INC(q->c.accepted);
	else if (v == EG_NFQ_DROP)
		CNT_INC(q->c.dropped);
	else
		CNT_INC(q->c.repeated);
	return 0;
}

unsigned eg_nfq_pending(const struct eg_nfq *q)
{
	return q->pending;
}

const struct eg_nfq_counters *eg_nfq_counters(const struct eg_nfq *q)
{
	return &q->c;
}

int eg_nfq_fd(const struct eg_nfq *q)
{
	return mnl_socket_get_fd(q->nl);
}
