/* SPDX-License-Identifier: MIT */
/* test-device.c: local addresses and the device guess of a capture. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "echoguard/offline/device.h"
#include "echoguard/net/packet.h"
#include "tap.h"

static int local(const char *s)
{
	uint8_t a[16];
	int v = eg_addr_parse(s, a);

	return v > 0 && eg_addr_is_local(v, a);
}

int main(void)
{
	uint8_t addr[16], want[16];
	char err[512], path[1024], buf[64];
	const char *data;
	int version = -1, r;

	CHECK(local("10.1.2.3"));
	CHECK(local("172.16.0.1"));
	CHECK(local("172.31.255.255"));
	CHECK(!local("172.32.0.1"));
	CHECK(!local("172.15.0.1"));
	CHECK(local("192.168.86.40"));
	CHECK(!local("192.169.0.1"));
	CHECK(local("169.254.1.1"));
	CHECK(!local("52.94.227.146"));
	CHECK(local("fd00::10"));
	CHECK(local("fc12::1"));
	CHECK(local("fe80::1"));
	CHECK(local("febf::1"));
	CHECK(!local("fec0::1"));
	CHECK(!local("2001:db8::1"));
	CHECK(!eg_addr_is_local(0, addr));

	r = eg_device_guess("/nonexistent/x.pcap", addr, &version, err,
			    sizeof(err));
	CHECK(r < 0);
	CHECK(strstr(err, "/nonexistent/x.pcap") != NULL);
	CHECK_EQ(version, -1);

	data = eg_test_shared_data();
	snprintf(path, sizeof(path), "%s/vcf/pcap/alexa_5_40s.pcap", data);
	r = eg_device_guess(path, addr, &version, err, sizeof(err));
	printf("# alexa_5_40s: %d TLS flows\n", r);
	/* `tshark -r alexa_5_40s.pcap -Y tls.record -T fields -e tcp.stream
	 * | sort -u`: 7 TCP streams (0 1 2 7 8 9 10) carry TLS records, all
	 * of them the Echo's. */
	CHECK_EQ(r, 7);
	CHECK_EQ(version, 4);
	eg_addr_parse("192.168.86.40", want);
	CHECK(!memcmp(addr, want, 16));
	CHECK_STREQ(eg_addr_format(version, addr, buf, sizeof(buf)),
		    "192.168.86.40");
	return eg_test_done();
}
