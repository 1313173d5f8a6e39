/* SPDX-License-Identifier: MIT */
/*
 * pcap-rec.h: a live libpcap capture of some devices, shared by `echoguard
 * capture` (one file) and `echoguard learn record` (a ring of segments).
 * Private to the cli.
 *
 * The capture is opened non-blocking with immediate mode and its own fd to
 * poll(): a blocking pcap_next_ex() on an idle interface never returned,
 * so neither a --duration nor SIGTERM (libpcap retries the interrupted
 * poll) ended it.
 */
#ifndef ECHOGUARD_CLI_PCAP_REC_H
#define ECHOGUARD_CLI_PCAP_REC_H

#include <pcap/pcap.h>
#include <stdint.h>

/* Full frames: the largest snap length libpcap takes by default. */
#define PCAP_REC_SNAPLEN 262144

/* The filter "host DEV or host DEV2 ..." and the list "DEV,DEV2". */
struct pcap_rec_filter {
	char expr[1024];
	char devices[512];
	unsigned n;
};

/* Add a device given as text; -EINVAL when s is not an IP address,
 * -ENOSPC when the filter is full. Prints nothing. */
int pcap_rec_add_device(struct pcap_rec_filter *f, const char *s);
/* Add a device in the 16-byte form of eg_addr_parse (IP version v). */
int pcap_rec_add_addr(struct pcap_rec_filter *f, int v, const uint8_t addr[16]);

/*
 * Open iface for capture with filter f, snap length snaplen, promiscuous,
 * non-blocking. Returns 0 with *ret and *ret_fd (the fd to poll for
 * POLLIN); on failure prints "echoguard: WHO: IFACE: reason" and returns
 * -errno (*ret untouched).
 */
int pcap_rec_open(const char *who, const char *iface,
		  const struct pcap_rec_filter *f, int snaplen, pcap_t **ret,
		  int *ret_fd);

/* Seconds on the monotonic clock (deadlines ignore clock steps). */
double pcap_rec_mono_s(void);

#endif
