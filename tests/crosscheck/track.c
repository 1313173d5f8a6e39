/* SPDX-License-Identifier: MIT */
/* Per frame: what flow.c and tls.c say (tests/crosscheck/run.sh). Columns:
 * frame, payload length, enum eg_seg_kind, content_type, n_headers, synced,
 * is_tls, tracker state. */

#include <stdio.h>
#include <netinet/in.h>
#include "echoguard/offline/capture.h"
#include "echoguard/net/packet.h"
#include "echoguard/net/flow.h"
#include "echoguard/net/tls.h"
int main(int argc, char **argv)
{
	struct eg_capture *c; struct eg_frame fr; char err[512];
	struct eg_flow_params fp; struct eg_flow_table *t;
	eg_flow_params_default(&fp); fp.hash_seed = 1;
	eg_flow_table_new(&fp, &t);
	if (eg_capture_open(argv[1], &c, err, sizeof err) < 0) { fprintf(stderr, "%s\n", err); return 1; }
	while (eg_capture_next(c, &fr, err, sizeof err) == 1) {
		struct eg_packet p; struct eg_flow *f; enum eg_dir d;
		int r = eg_packet_parse_frame(fr.linktype, fr.data, fr.caplen, fr.len, &p);
		if (r < 0 || p.l4_proto != IPPROTO_TCP || eg_flow_lookup(t, &p, fr.ts_ns, &f, &d) < 0) continue;
		enum eg_seg_kind k = eg_flow_update(&f->dir[d], &f->dir[!d], &p, fr.ts_ns);
		struct eg_tls_seg s;
		eg_tls_track(&f->dir[d].tls, p.seq, p.payload, p.payload_caplen, p.payload_len, k == EG_SEG_RETRANS, &s);
		printf("%llu\t%u\t%d\t%u\t%u\t%d\t%d\t%d\n", (unsigned long long)fr.index, p.payload_len, k, s.content_type, s.n_headers, s.synced, s.is_tls, f->dir[d].tls.state);
	}
	return 0;
}
