/* SPDX-License-Identifier: MIT */
/*
 * test-extract.c: `echoguard extract` end to end on a real capture: the CSV
 * header, one row per outbound packet, the labels, a truncated copy of the
 * capture (rows kept, file and frame named, exit 1), usage errors (exit 2).
 * Reads alexa_5_40s.pcap from ../shared/data, else tests/data; needs the
 * built binary.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define HEADER "date,length,dstip,dstport,highest_layer,delta,ack_flag," \
	"microphone,content_type,synchronized,class,source\n"

static char tmpdir[] = "/tmp/eg-test-extract-XXXXXX";
static char bin[1024];

/* Run a shell command; its exit status, or -1. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Rows whose `class` column (11th) is cls. */
static unsigned count_class(const char *csv, const char *cls)
{
	const char *line = strchr(csv, '\n');
	unsigned n = 0;

	while (line && line[1]) {
		const char *p = line + 1;
		int col;

		for (col = 0; col < 10 && p; col++) {
			p = strchr(p, ',');
			if (p)
				p++;
		}
		if (p && !strncmp(p, cls, strlen(cls)) && p[strlen(cls)] == ',')
			n++;
		line = strchr(p ? p : line + 1, '\n');
	}
	return n;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	const char *data = eg_test_shared_data();
	char cap[1024], inter[1024], out[1200], err[1200], trunc[1200];
	char *csv, *msg;
	int st;

	snprintf(bin, sizeof(bin), "%s/src/echoguard", EG_BINARY_DIR);
	if (access(bin, X_OK) < 0)
		eg_test_skip("the echoguard binary is not built");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cap, sizeof(cap), "%s/vcf/pcap/alexa_5_40s.pcap", data);
	snprintf(inter, sizeof(inter), "%s/vcf/interactions.csv", data);
	snprintf(out, sizeof(out), "%s/out.csv", tmpdir);
	snprintf(err, sizeof(err), "%s/err.txt", tmpdir);

	/* The device is found on its own; 1684 of the 2780 frames are its. */
	st = run("'%s' extract --interactions '%s' -o '%s' '%s' 2>'%s'", bin,
		 inter, out, cap, err);
	CHECK_EQ(st, 0);
	csv = eg_test_slurp(out);
	msg = eg_test_slurp(err);
	CHECK(csv != NULL && msg != NULL);
	if (!csv || !msg)
		return eg_test_done();
	CHECK(!strncmp(csv, HEADER, strlen(HEADER)));
	CHECK_EQ(count_lines(csv), 1 + 1684);
	CHECK(strstr(msg, "device 192.168.86.40") != NULL);
	CHECK(strstr(msg, "1 capture, 2780 packets, 1684 rows") != NULL);
	CHECK_EQ(count_class(csv, "syn"), 7);
	CHECK(count_class(csv, "expected") > 1300);
	CHECK(count_class(csv, "handshake") > 0);
	CHECK_EQ(count_class(csv, "not_justified"), 0);
	/* Frame 2, the first keep-alive: its row in full. */
	CHECK(strstr(csv, "\n2018-10-15 16:53:56.085940,46,52.94.227.146,443,0,0,"
			  "1,1,23,1,syn,alexa_5_40s.pcap\n") != NULL);
	free(csv);
	free(msg);

	/* Muted, flow features, both directions: every frame a row. */
	st = run("'%s' extract --context muted --features flow --direction both "
		 "--device 192.168.86.40 -o '%s' '%s' 2>'%s'", bin, out, cap, err);
	CHECK_EQ(st, 0);
	csv = eg_test_slurp(out);
	CHECK(csv != NULL); /* a missing output must fail, not skip */
	if (csv) {
		CHECK_EQ(count_lines(csv), 1 + 2780);
		CHECK(strstr(csv, ",class,out_bytes_1s,out_pkts_1s,") != NULL);
		CHECK(strstr(csv, ",psh_flag,source\n") != NULL);
		CHECK_EQ(count_class(csv, "expected"), 0);
		CHECK_EQ(count_class(csv, "justified"), 0);
		CHECK(count_class(csv, "not_justified") > 1300);
		CHECK_EQ(count_class(csv, "syn"), 7);
		free(csv);
	}

	/* A truncated copy with an awkward name, plus a missing input. */
	snprintf(trunc, sizeof(trunc), "%s/it's a cut.pcap", tmpdir);
	st = run("head -c 300000 '%s' > \"%s\"", cap, trunc);
	CHECK_EQ(st, 0);
	st = run("'%s' extract --device 192.168.86.40 -o '%s' \"%s\" "
		 "'%s/none.pcap' 2>'%s'", bin, out, trunc, tmpdir, err);
	CHECK_EQ(st, 1);
	csv = eg_test_slurp(out);
	msg = eg_test_slurp(err);
	CHECK(csv != NULL && msg != NULL);
	if (csv && msg) {
		/* Every row comes before the cut: fewer than the 1684. */
		CHECK(count_lines(csv) > 500);
		CHECK(count_lines(csv) < 1 + 1684);
		CHECK(strstr(msg, "it's a cut.pcap: frame 1433:") != NULL);
		CHECK(strstr(msg, "none.pcap") != NULL);
		CHECK(strstr(csv, ",it's a cut.pcap\n") != NULL);
	}
	free(csv);
	free(msg);

	/* Usage errors. */
	CHECK_EQ(run("'%s' extract --context loud '%s' 2>/dev/null", bin, cap), 2);
	CHECK_EQ(run("'%s' extract --context idle --interactions '%s' '%s' "
		     "2>/dev/null", bin, inter, cap), 2);
	CHECK_EQ(run("'%s' extract --margin -1 '%s' 2>/dev/null", bin, cap), 2);
	CHECK_EQ(run("'%s' extract 2>/dev/null", bin), 2);
	CHECK_EQ(run("'%s' extract --help >/dev/null", bin), 0);

	run("rm -rf '%s'", tmpdir);
	return eg_test_done();
}
