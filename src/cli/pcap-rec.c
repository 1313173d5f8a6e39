// SPDX-License-Identifier: MIT
/*
 * pcap-rec.c: the live capture `echoguard capture` and `echoguard learn
 * record` share (pcap-rec.h).
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "echoguard/net/packet.h"
#include "pcap-rec.h"

int pcap_rec_add_device(struct pcap_rec_filter *f, const char *s)
{
	uint8_t addr[16];
	int v = eg_addr_parse(s, addr);

	if (v < 0)
		return -EINVAL;
	return pcap_rec_add_addr(f, v, addr);
}

int pcap_rec_add_addr(struct pcap_rec_filter *f, int v, const uint8_t addr[16])
{
	size_t el = strlen(f->expr), dl = strlen(f->devices);
	char buf[64];
	int a, b;

	eg_addr_format(v, addr, buf, sizeof(buf));
	a = snprintf(f->expr + el, sizeof(f->expr) - el, "%shost %s",
		     el ? " or " : "", buf);
	b = snprintf(f->devices + dl, sizeof(f->devices) - dl, "%s%s",
		     dl ? "," : "", buf);
	if (a < 0 || b < 0 || (size_t)a >= sizeof(f->expr) - el ||
	    (size_t)b >= sizeof(f->devices) - dl) {
		f->expr[el] = 0;
		f->devices[dl] = 0;
		return -ENOSPC;
	}
	f->n++;
	return 0;
}

static int set_filter(const char *who, pcap_t *p, const char *expr)
{
	struct bpf_program prog;
	int r;

	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		cli_error("%s: filter \"%s\": %s", who, expr, pcap_geterr(p));
		return -EINVAL;
	}
	r = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (r < 0) {
		cli_error("%s: filter \"%s\": %s", who, expr, pcap_geterr(p));
		return -EINVAL;
	}
	return 0;
}

/* GRO on iface merges received segments before libpcap sees them, so a
 * capture's lengths are not the wire's (or the queue's, which gets each
 * segment): say so, for captures meant for training. Silent when the
 * interface cannot be asked (no ethtool support, "any"). */
static void warn_gro(const char *who, const char *iface)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GGRO };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && ev.data)
		cli_error("%s: interface %s: GRO is on: received segments are "
			  "merged before they are captured, so lengths differ from "
			  "what the daemon sees; for training, turn it off "
			  "(ethtool -K %s gro off; docs/troubleshooting.md)", who,
			  iface, iface);
	close(fd);
}

int pcap_rec_open(const char *who, const char *iface,
		  const struct pcap_rec_filter *f, int snaplen, pcap_t **ret,
		  int *ret_fd)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(iface, errbuf);
	int fd;

	if (!p) {
		cli_error("%s: %s: %s", who, iface, errbuf);
		return -ENODEV;
	}
	(void)pcap_set_snaplen(p, snaplen);
	(void)pcap_set_promisc(p, 1);
	(void)pcap_set_timeout(p, 200);
	(void)pcap_set_immediate_mode(p, 1);
	if (pcap_activate(p) < 0) {
		cli_error("%s: interface %s: %s", who, iface, pcap_geterr(p));
		goto fail;
	}
	if (set_filter(who, p, f->expr) < 0)
		goto fail;
	fd = pcap_get_selectable_fd(p);
	if (fd < 0 || pcap_setnonblock(p, 1, errbuf) < 0) {
		cli_error("%s: interface %s: cannot poll the capture", who, iface);
		goto fail;
	}
	warn_gro(who, iface);
	*ret = p;
	*ret_fd = fd;
	return 0;
fail:
	pcap_close(p);
	return -EIO;
}

double pcap_rec_mono_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
