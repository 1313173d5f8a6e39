// SPDX-License-Identifier: MIT
/*
 * egpkt: packet generator and receiver for the echoguardd e2e tests and
 * benchmarks. Runs inside the namespaces the scripts create; only sends to
 * the destination given on the command line.
 *
 *   egpkt send  --src A --dst B [--count N] [--rate PPS] [--flows F]
 *               [--distinct] [--payload BYTES] [--dport P] [--seconds S]
 *       raw IPv4/TCP packets. --distinct: every packet a new flow (source
 *       port and destination port step through 1M combinations) as a SYN;
 *       else F flows of ACK|PSH segments whose payload starts like a TLS
 *       application-data record and carries the send time (CLOCK_REALTIME)
 *       and a sequence number. --src-spread K: flow f's source address
 *       is SRC + f % K (to spread flows over --queue-balance queues). Paced to PPS (0: as fast as possible),
 *       bounded by N packets and S seconds. Prints "sent N in S s".
 *   egpkt recv  --dev IFACE --dport P [--count N] [--seconds S]
 *       counts egpkt data packets arriving on IFACE (AF_PACKET) until N or
 *       S seconds of silence, and prints "received N span S pps R
 *       p50_us X p99_us Y" (latency = kernel receive time - send time).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x45475054u /* "EGPT" */

struct opts {
	const char *src, *dst, *dev;
	uint64_t count;
	double rate, seconds;
	unsigned flows, payload, spread;
	uint16_t dport;
	int distinct;
};

struct stamp {
	uint8_t tls[5];           /* 17 03 03 len: looks like TLS app data */
	uint32_t magic;
	uint64_t seq;
	int64_t sec, nsec;
} __attribute__((packed));

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len > 1; len -= 2, p += 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)(p[0] << 8);
	return s;
}

static void tcp_csum(struct iphdr *ip, struct tcphdr *th, size_t tcplen)
{
	uint32_t s = 0;
	uint8_t pseudo[12];

	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (uint8_t)(tcplen >> 8);
	pseudo[11] = (uint8_t)tcplen;
	th->check = 0;
	s = csum_add(s, pseudo, sizeof(pseudo));
	s = csum_add(s, th, tcplen);
	th->check = htons(csum_fold(s));
}

#define BATCH 64

static int flush_batch(int fd, struct mmsghdr *mm, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int r = sendmmsg(fd, mm + done, n - done, 0);

		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(50);
				continue;
			}
			perror("egpkt: sendmmsg");
			return -1;
		}
		done += (unsigned)r;
	}
	return 0;
}

static int do_send(const struct opts *o)
{
	static uint8_t pkts[BATCH][2048];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned nb = 0;
	uint8_t *pkt = pkts[0];
	struct iphdr *ip;
	struct tcphdr *th;
	struct stamp *st;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint32_t *seqs;
	unsigned plen = o->distinct ? 0 : o->payload;
	double t0, deadline, next;
	uint32_t src0;
	uint64_t n;
	int fd, one = 1;

	if (plen && plen < sizeof(*st))
		plen = sizeof(*st);
	if (plen > 1400)
		plen = 1400;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("egpkt: raw socket");
		return 1;
	}
	seqs = calloc(o->flows ? o->flows : 1, sizeof(*seqs));
	if (!seqs)
		return 1;
	inet_pton(AF_INET, o->dst, &to.sin_addr);
	memset(mm, 0, sizeof(mm));
	ip = (struct iphdr *)pkt;
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	inet_pton(AF_INET, o->src, &ip->saddr);
	src0 = ntohl(ip->saddr);
	ip->daddr = to.sin_addr.s_addr;
	ip->tot_len = htons((uint16_t)(40 + plen));
	th = (struct tcphdr *)(pkt + 20);
	th->doff = 5;
	th->window = htons(65535);
	for (unsigned i = 0; i < BATCH; i++) {
		memcpy(pkts[i], pkts[0], 40);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = 40 + plen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = sizeof(to);
	}
	t0 = now_s(CLOCK_MONOTONIC);
	deadline = o->seconds > 0 ? t0 + o->seconds : 1e300;
	next = t0;
	for (n = 0; n < o->count; n++) {
		pkt = pkts[nb];
		ip = (struct iphdr *)pkt;
		th = (struct tcphdr *)(pkt + 20);
		st = (struct stamp *)(pkt + 40);
		if (o->distinct) {
			/* 1M distinct flows: 65000 source ports x 16+ ports */
			th->source = htons((uint16_t)(1024 + n % 64000));
			th->dest = htons((uint16_t)(o->dport + (n / 64000) % 1000));
			th->seq = htonl((uint32_t)n * 2654435761u);
			th->ack_seq = 0;
			th->syn = 1;
			th->ack = th->psh = 0;
		} else {
			unsigned f = (unsigned)(n % o->flows);

			th->source = htons((uint16_t)(20000 + f));
			if (o->spread > 1)
				ip->saddr = htonl(src0 + f % o->spread);
			th->dest = htons(o->dport);
			th->seq = htonl(1000 + seqs[f]);
			seqs[f] += plen;
			th->ack_seq = htonl(1);
			th->syn = 0;
			th->ack = th->psh = 1;
			st->tls[0] = 0x17;
			st->tls[1] = 3;
			st->tls[2] = 3;
			st->tls[3] = (uint8_t)((plen - 5) >> 8);
			st->tls[4] = (uint8_t)(plen - 5);
			st->magic = htonl(MAGIC);
			st->seq = n;
			{
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				st->sec = ts.tv_sec;
				st->nsec = ts.tv_nsec;
			}
		}
		ip->id = htons((uint16_t)n);
		tcp_csum(ip, th, 20 + plen);
		/* As fast as possible: batches of BATCH per sendmmsg. Paced:
		 * one packet per send, on time. */
		if (++nb == BATCH || o->rate > 0 || n + 1 == o->count) {
			if (flush_batch(fd, mm, nb) < 0)
				return 1;
			nb = 0;
		}
		if (o->rate > 0) {
			next += 1.0 / o->rate;
			for (;;) {
				double t = now_s(CLOCK_MONOTONIC);

				if (t >= next)
					break;
				if (next - t > 0.0002) {
					struct timespec d = { 0, (long)((next - t - 0.0001) * 1e9) };
					nanosleep(&d, NULL);
				}
			}
		}
		if ((n & 1023) == 0 && nb == 0 &&
		    now_s(CLOCK_MONOTONIC) > deadline) {
			n++;
			break;
		}
	}
	if (nb && flush_batch(fd, mm, nb) < 0)
		return 1;
	printf("sent %llu in %.3f s\n", (unsigned long long)n,
	       now_s(CLOCK_MONOTONIC) - t0);
	free(seqs);
	close(fd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_recv(const struct opts *o)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP) };
	uint8_t buf[4096];
	char cbuf[256];
	double *lat, first = 0, last = 0, quiet = o->seconds > 0 ? o->seconds : 2;
	uint64_t n = 0, cap = o->count ? o->count : 10000000;
	int fd, one = 1, r;

	lat = calloc(cap, sizeof(*lat));
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (!lat || fd < 0) {
		perror("egpkt: packet socket");
		return 1;
	}
	sll.sll_ifindex = (int)if_nametoindex(o->dev);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("egpkt: bind");
		return 1;
	}
	r = 16 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &r, sizeof(r));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	printf("ready\n");
	fflush(stdout);
	while (n < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		struct timespec rx = { 0, 0 };
		struct iphdr *ip = (struct iphdr *)buf;
		struct tcphdr *th;
		struct stamp st;
		ssize_t len;

		if (poll(&p, 1, (int)(quiet * 1000)) <= 0)
			break;
		len = recvmsg(fd, &mh, 0);
		if (len < 40 || ip->protocol != IPPROTO_TCP)
			continue;
		th = (struct tcphdr *)(buf + ip->ihl * 4);
		if (ntohs(th->dest) != o->dport ||
		    len < ip->ihl * 4 + th->doff * 4 + (ssize_t)sizeof(st))
			continue;
		memcpy(&st, (uint8_t *)th + th->doff * 4, sizeof(st));
		if (ntohl(st.magic) != MAGIC)
			continue;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_TIMESTAMPNS)
				memcpy(&rx, CMSG_DATA(c), sizeof(rx));
		if (!rx.tv_sec)
			clock_gettime(CLOCK_REALTIME, &rx);
		last = (double)rx.tv_sec + (double)rx.tv_nsec / 1e9;
		if (!n)
			first = last;
		lat[n++] = (double)(rx.tv_sec - st.sec) * 1e6 +
			   (double)(rx.tv_nsec - st.nsec) / 1e3;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("received %llu span %.6f pps %.0f p50_us %.1f p99_us %.1f\n",
	       (unsigned long long)n, last - first,
	       n > 1 && last > first ? (double)(n - 1) / (last - first) : 0.0,
	       n ? lat[n / 2] : 0.0, n ? lat[(size_t)((double)n * 0.99)] : 0.0);
	free(lat);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "src", 1, NULL, 's' }, { "dst", 1, NULL, 'd' },
		{ "dev", 1, NULL, 'i' }, { "count", 1, NULL, 'n' },
		{ "rate", 1, NULL, 'r' }, { "flows", 1, NULL, 'f' },
		{ "payload", 1, NULL, 'p' }, { "dport", 1, NULL, 'P' },
		{ "seconds", 1, NULL, 'S' }, { "distinct", 0, NULL, 'D' },
		{ "src-spread", 1, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .count = 1000, .flows = 1, .payload = 100,
			  .dport = 443 };
	int c;

	if (argc < 2) {
		fprintf(stderr, "usage: egpkt send|recv [options]\n");
		return 2;
	}
	while ((c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'i': o.dev = optarg; break;
		case 'n': o.count = strtoull(optarg, NULL, 0); break;
		case 'r': o.rate = atof(optarg); break;
		case 'f': o.flows = (unsigned)atoi(optarg); break;
		case 'p': o.payload = (unsigned)atoi(optarg); break;
		case 'P': o.dport = (uint16_t)atoi(optarg); break;
		case 'S': o.seconds = atof(optarg); break;
		case 'D': o.distinct = 1; break;
		case 'x': o.spread = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (o.flows == 0)
		o.flows = 1;
	if (!strcmp(argv[1], "send") && o.src && o.dst)
		return do_send(&o);
	if (!strcmp(argv[1], "recv") && o.dev)
		return do_recv(&o);
	fprintf(stderr, "egpkt: bad arguments\n");
	return 2;
}
