/* SPDX-License-Identifier: MIT */
/*
 * test-trust.c: the issue-11 findings at module level, on inputs a hostile
 * device or capture chooses (the same findings through the CLI on crafted
 * captures: tests/e2e/trust-captures.py).
 *  - a server name too long for the flow is refused, never cut, and a name
 *    that fills the buffer matches no allow_sni suffix;
 *  - the flow table survives probe windows whose every flow has
 *    last_ns == UINT64_MAX (it wrote tags[UINT32_MAX]), and timestamps
 *    0, equal, and going backwards.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "echoguard/net/flow.h"
#include "echoguard/net/tls.h"
#include "echoguard/verdict/config.h"
#include "echoguard/verdict/policy.h"
#include "tap.h"

/* A minimal ClientHello whose server_name is name; returns its size. */
static size_t hello(uint8_t *b, const char *name)
{
	size_t l = strlen(name), n = 0, hs;

	b[n++] = 22, b[n++] = 3, b[n++] = 1, n += 2;
	b[n++] = 1, n += 3;
	hs = n;
	b[n++] = 3, b[n++] = 3;
	memset(b + n, 7, 32), n += 32;
	b[n++] = 0;                              /* no session id */
	b[n++] = 0, b[n++] = 2, b[n++] = 0x13, b[n++] = 0x01;
	b[n++] = 1, b[n++] = 0;                  /* null compression */
	b[n++] = (uint8_t)((l + 9) >> 8), b[n++] = (uint8_t)(l + 9);
	b[n++] = 0, b[n++] = 0;                  /* server_name */
	b[n++] = (uint8_t)((l + 5) >> 8), b[n++] = (uint8_t)(l + 5);
	b[n++] = (uint8_t)((l + 3) >> 8), b[n++] = (uint8_t)(l + 3);
	b[n++] = 0;
	b[n++] = (uint8_t)(l >> 8), b[n++] = (uint8_t)l;
	memcpy(b + n, name, l), n += l;
	b[hs - 3] = 0;
	b[hs - 2] = (uint8_t)((n - hs) >> 8), b[hs - 1] = (uint8_t)(n - hs);
	b[3] = (uint8_t)((n - 5) >> 8), b[4] = (uint8_t)(n - 5);
	return n;
}

/* The name: 116 "a"s then ".amazon.com.evil.example" (140 bytes). */
static void long_name(char *out)
{
	memset(out, 'a', 116);
	strcpy(out + 116, ".amazon.com.evil.example");
}

static void test_sni_not_cut(void)
{
	char name[200], out[EG_SNI_MAX];
	uint8_t b[512];
	size_t n;

	long_name(name);
	n = hello(b, name);
	snprintf(out, sizeof(out), "untouched");
	CHECK_EQ(eg_tls_sni(b, n, out, sizeof(out)), -ENAMETOOLONG);
	CHECK_STREQ(out, "untouched");
	/* 127 bytes fit, 128 do not. */
	name[127] = '\0';
	n = hello(b, name);
	CHECK_EQ(eg_tls_sni(b, n, out, sizeof(out)), 127);
	name[127] = 'a';
	name[128] = '\0';
	n = hello(b, name);
	CHECK_EQ(eg_tls_sni(b, n, out, sizeof(out)), -ENAMETOOLONG);
	n = hello(b, "Echo.Amazon.com");
	CHECK_EQ(eg_tls_sni(b, n, out, sizeof(out)), 15);
	CHECK_STREQ(out, "echo.amazon.com");
}

/* A flow whose stored name fills the buffer (cut by an older writer, or
 * 127 bytes sent) ends in ".amazon.com": no allow_sni match. */
static void test_policy_full_name(void)
{
	static const char *const names[] = { "expected", "not_justified" };
	const float proba[2] = { 0.0f, 1.0f };
	struct eg_flow flow;
	struct eg_pkt_info pi;
	struct eg_config c;
	struct eg_policy *p = NULL;
	struct eg_decision d;
	char err[256];
	size_t k;

	eg_config_default(&c);
	snprintf(c.policy.allow_sni[0], EG_SNI_MAX, "amazon.com");
	c.policy.n_allow_sni = 1;
	CHECK_EQ(eg_policy_new_names(&c, names, 2, &p, err, sizeof(err)), 0);
	if (!p)
		return;
	memset(&flow, 0, sizeof(flow));
	memset(&pi, 0, sizeof(pi));
	pi.outbound = true;
	pi.flow = &flow;
	pi.n_features = 1;
	pi.pkt.ip_version = 4;
	pi.pkt.l4_proto = IPPROTO_TCP;
	pi.pkt.payload_len = 300;

	for (k = 0; k < EG_SNI_MAX - 1 - 11; k++)
		flow.sni[k] = 'a';
	strcpy(flow.sni + k, ".amazon.com");
	CHECK_EQ(strlen(flow.sni), EG_SNI_MAX - 1);
	eg_policy_decide(p, &pi, proba, 1, NULL, &d);
	CHECK_EQ(d.reason, EG_REASON_CLASS_DROP);
	snprintf(flow.sni, sizeof(flow.sni), "a.amazon.com");
	eg_policy_decide(p, &pi, proba, 1, NULL, &d);
	CHECK_EQ(d.reason, EG_REASON_ALLOW_SNI);
	eg_policy_free(p);
}

static struct eg_packet syn(uint32_t i)
{
	struct eg_packet p;

	memset(&p, 0, sizeof(p));
	p.ip_version = 4;
	p.l4_proto = IPPROTO_TCP;
	p.src[0] = 192, p.src[1] = 168, p.src[2] = 86, p.src[3] = 40;
	p.dst[0] = 52, p.dst[1] = (uint8_t)(i >> 16), p.dst[2] = (uint8_t)(i >> 8);
	p.dst[3] = (uint8_t)i;
	p.sport = (uint16_t)(10000 + i);
	p.dport = 443;
	p.tcp_flags = EG_TCP_SYN;
	p.tcp_header_len = 20;
	p.ip_header_len = 20;
	p.ip_total_len = 40;
	p.wire_len = 40;
	return p;
}

/* 20,000 new flows into 16 slots at a fixed time t: every probe window
 * fills, then each new flow evicts one. */
static void flood(uint64_t t, uint64_t step)
{
	struct eg_flow_params fp;
	struct eg_flow_table *tab = NULL;
	struct eg_flow_stats st;
	struct eg_flow *f = NULL;
	enum eg_dir dir;
	uint32_t i, ok = 0;

	eg_flow_params_default(&fp);
	fp.capacity = 16;
	fp.max_probe = 8;
	fp.hash_seed = 7;
	CHECK_EQ(eg_flow_table_new(&fp, &tab), 0);
	for (i = 0; i < 20000; i++) {
		struct eg_packet p = syn(i);

		if (eg_flow_lookup(tab, &p, t, &f, &dir) == 1 && f)
			ok++;
		t += step;              /* 0 or -1: equal or backwards */
	}
	CHECK_EQ(ok, 20000);
	eg_flow_stats_get(tab, &st);
	CHECK_EQ(st.created, 20000);
	CHECK(st.evicted_lru + st.expired >= 20000 - 16);
	eg_flow_table_free(tab);
}

static void test_flow_extreme_time(void)
{
	flood(UINT64_MAX, 0);
	flood(0, 0);
	flood(UINT64_MAX, (uint64_t)-1);         /* backwards */
	flood(UINT64_MAX - 10000, 1);            /* up to UINT64_MAX */
}

int main(void)
{
	test_sni_not_cut();
	test_policy_full_name();
	test_flow_extreme_time();
	return eg_test_done();
}
