/* SPDX-License-Identifier: MIT */
/*
 * test-cli-args.c: numeric options of `echoguard rules` and `echoguard
 * capture` are refused when they are not exactly a number in range, with
 * exit status 2 and a message that names the option. Regression for
 * "--flow-reset 5x" taken as mark 5, marks over 32 bits, "--duration nan"
 * (a capture that never stops) and "--count -5" (a huge count). Refused
 * options stop before any rule is touched or interface opened. Also the
 * --margin of extract and replay (nan, negative, empty, overflow).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char bin[1024];
static char err[] = "/tmp/eg-test-cli-args-XXXXXX";

/* Exit status of `echoguard ARGS 2>err`, -1 if it did not exit. */
static int run(const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/null 2>'%s' </dev/null", bin,
		 args, err);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* args must be refused with status 2 and a message containing what. */
static void refused(const char *args, const char *what)
{
	char *msg;

	CHECK_EQ(run(args), 2);
	msg = eg_test_slurp(err);
	CHECK(msg && strstr(msg, what));
	if (!msg || !strstr(msg, what))
		fprintf(stderr, "    %s: stderr \"%s\" lacks \"%s\"\n", args,
			msg ? msg : "(none)", what);
	free(msg);
}

#define RULES "rules up --dry-run --backend iptables --device 10.0.0.2 "
#define CAPTURE "capture -i lo --device 10.0.0.2 --context idle -o /dev/null "

int main(void)
{
	int fd;
	char *msg;

	snprintf(bin, sizeof(bin), "%s/src/echoguard", EG_BINARY_DIR);
	if (access(bin, X_OK) < 0)
		eg_test_skip("the echoguard binary is not built");
	fd = mkstemp(err);
	if (fd < 0)
		eg_test_skip("cannot create a temporary file in /tmp");
	close(fd);

	/* The valid forms still work: the mark reaches the rules. */
	CHECK_EQ(run(RULES "--flow-reset 0x5"), 0);
	CHECK_EQ(run(RULES "--flow-reset 4294967295"), 0);
	refused(RULES "--flow-reset 5x", "--flow-reset 5x");
	refused(RULES "--flow-reset 0x100000001", "--flow-reset 0x100000001");
	refused(RULES "--flow-reset -1", "--flow-reset -1");
	refused(RULES "--flow-reset 0", "--flow-reset 0");
	refused(RULES "--flow-reset ''", "--flow-reset");

	/* A ninth device is "too many", not "not an IP address". */
	refused(RULES "--device 10.0.0.3 --device 10.0.0.4 --device 10.0.0.5 "
		"--device 10.0.0.6 --device 10.0.0.7 --device 10.0.0.8 "
		"--device 10.0.0.9 --device 10.0.0.10",
		"--device 10.0.0.10: at most 8 devices");
	CHECK_EQ(run("rules --help"), 0);
	/* A config error is a whole line, prefixed like every other. */
	refused(RULES "-c /nonexistent-eg.ini",
		"echoguard: /nonexistent-eg.ini: No such file or directory\n");

	refused(CAPTURE "--duration nan", "--duration nan");
	refused(CAPTURE "--duration inf", "--duration inf");
	refused(CAPTURE "--duration ''", "--duration");
	refused(CAPTURE "--duration 0", "--duration 0");
	refused(CAPTURE "--count -5", "--count -5");
	refused(CAPTURE "--count 99999999999999999999999",
		"--count 99999999999999999999999");
	refused(CAPTURE "--count 3x", "--count 3x");

	/* --margin of extract and replay: one parser (cli_parse_seconds). */
	refused("extract --margin nan /nonexistent.pcap", "--margin: \"nan\"");
	refused("extract --margin -1 /nonexistent.pcap", "--margin: \"-1\"");
	refused("extract --margin '' /nonexistent.pcap", "--margin: \"\"");
	refused("replay --margin 1e999 /nonexistent.pcap", "--margin: \"1e999\"");
	refused("replay --margin 2s /nonexistent.pcap", "--margin: \"2s\"");

	/* A --mic timeline time too large for nanoseconds names its line. */
	{
		char mic[] = "/tmp/eg-test-cli-args-mic-XXXXXX", args[2048],
		     what[128];
		FILE *f;

		fd = mkstemp(mic);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		CHECK(f != NULL);
		if (f) {
			fputs("# t state\n1700000000 1\n1e300 0\n", f);
			fclose(f);
			snprintf(args, sizeof(args),
				 "replay --model %s/models/default.egf --mic %s "
				 "/nonexistent.pcap", EG_SOURCE_DIR, mic);
			snprintf(what, sizeof(what), "--mic %s:3:", mic);
			refused(args, what);
			unlink(mic);
		}
	}

	/* replay's text time of a frame stamped before the first one: -0.5,
	 * not 2^64 ns - 0.5 s. Two raw-IP TCP frames, the second earlier. */
	{
		static const uint8_t ghdr[24] = {
			0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0xff, 0xff, 0, 0, 101, 0, 0, 0 }; /* LINKTYPE_RAW */
		uint8_t ip[40] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0,
				   10, 0, 0, 2, 52, 94, 1, 1,
				   0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 1,
				   0x50, 0x10, 0x01, 0xf4, 0, 0, 0, 0 };
		uint32_t rec[4];
		char pcap[] = "/tmp/eg-test-cli-args-pcap-XXXXXX", cmd[2048];
		FILE *f;
		int st;

		fd = mkstemp(pcap);
		f = fd >= 0 ? fdopen(fd, "wb") : NULL;
		CHECK(f != NULL);
		if (f) {
			fwrite(ghdr, 1, sizeof(ghdr), f);
			rec[0] = 1700000010; rec[1] = 500000;   /* 10.5 s */
			rec[2] = rec[3] = sizeof(ip);
			fwrite(rec, 1, sizeof(rec), f);
			fwrite(ip, 1, sizeof(ip), f);
			rec[0] = 1700000010; rec[1] = 0;        /* 10.0 s */
			ip[27] = 2;
			fwrite(rec, 1, sizeof(rec), f);
			fwrite(ip, 1, sizeof(ip), f);
			fclose(f);
			snprintf(cmd, sizeof(cmd),
				 "'%s' replay --model %s/models/default.egf "
				 "--device 10.0.0.2 '%s' >'%s' 2>&1", bin,
				 EG_SOURCE_DIR, pcap, err);
			st = system(cmd);
			CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
			msg = eg_test_slurp(err);
			CHECK(msg && strstr(msg, " -0.500000 "));
			CHECK(msg && !strstr(msg, "18446744073"));
			if (msg && !strstr(msg, " -0.500000 "))
				fprintf(stderr, "    replay said:\n%s", msg);
			free(msg);
			unlink(pcap);
		}
	}

	/* And the dry run shows the mark it was given, in hex. */
	{
		char cmd[2048];
		int st;

		snprintf(cmd, sizeof(cmd), "'%s' " RULES "--flow-reset 7 >'%s' 2>&1",
			 bin, err);
		st = system(cmd);
		CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		msg = eg_test_slurp(err);
		CHECK(msg && strstr(msg, "--mark 0x7 "));
		free(msg);
	}
	unlink(err);
	return eg_test_done();
}
