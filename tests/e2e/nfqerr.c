// SPDX-License-Identifier: MIT
/*
 * nfqerr: inject netlink errors into echoguardd's queue module (src/daemon/
 * nfq.c) on a real queue, for tests/e2e/e2e-nlerror.sh. Binds QUEUE with
 * fallback accept, and for the first packet sends a verdict the kernel
 * refuses (verdict code 7 > NF_MAX_VERDICT: EINVAL, the packet stays
 * queued) plus one for an id that does not exist (ENOENT); every later
 * packet is accepted. Both errors come back as NLMSG_ERROR messages on
 * the socket; the module must read them, give the refused packet its
 * fallback verdict and count both. Runs for SECONDS, then prints the
 * counters: "received R kernel_errors E unknown_ids U fallbacks F".
 *   nfqerr QUEUE SECONDS
 * Built against ff073b4's nfq.c (no error counters, no wake fd) it shows
 * the finding: the refused packet never gets a verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nfq.h"

int main(int argc, char **argv)
{
	struct eg_nfq_opts o = { 0 };
	struct eg_nfq_pkt pkts[EG_NFQ_RECV_BATCH];
	const struct eg_nfq_counters *c;
	struct eg_nfq *q;
	char err[256];
	time_t end;
	int injected = 0;

	if (argc != 3)
		return 2;
	o.queue = (uint16_t)atoi(argv[1]);
	o.maxlen = 64;
	o.batch_size = 1;
#ifdef EG_NFQ_RECV_WAKE
	o.fallback = EG_NFQ_ACCEPT;
#endif
	if (eg_nfq_open(&o, &q, err, sizeof(err)) < 0) {
		fprintf(stderr, "nfqerr: %s\n", err);
		return 1;
	}
	printf("bound\n");
	fflush(stdout);
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
#ifdef EG_NFQ_RECV_WAKE
		int n = eg_nfq_recv(q, pkts, EG_NFQ_RECV_BATCH, 100, -1);
#else
		int n = eg_nfq_recv(q, pkts, EG_NFQ_RECV_BATCH, 100);
#endif
		for (int i = 0; i < n; i++) {
			if (!injected) {
				injected = 1;
				(void)eg_nfq_verdict(q, pkts[i].id,
						     (enum eg_nfq_verdict)7, 0);
				(void)eg_nfq_verdict(q, pkts[i].id + 100000,
						     EG_NFQ_ACCEPT, 0);
				continue;
			}
			(void)eg_nfq_verdict(q, pkts[i].id, EG_NFQ_ACCEPT, 0);
		}
	}
	c = eg_nfq_counters(q);
#ifdef EG_NFQ_RECV_WAKE
	printf("received %llu kernel_errors %llu unknown_ids %llu fallbacks "
	       "%llu send_errors %llu\n", (unsigned long long)c->received,
	       (unsigned long long)c->kernel_errors,
	       (unsigned long long)c->unknown_ids,
	       (unsigned long long)c->kernel_fallbacks,
	       (unsigned long long)c->send_errors);
#else
	printf("received %llu kernel_errors 0 unknown_ids 0 fallbacks 0 "
	       "send_errors %llu\n", (unsigned long long)c->received,
	       (unsigned long long)c->send_errors);
#endif
	eg_nfq_free(q);
	return 0;
}
