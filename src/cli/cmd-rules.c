/* SPDX-License-Identifier: MIT */
/*
 * echoguard rules up|down|status: install and remove the rules that send the
 * device's outbound TCP to the NFQUEUE, plus, for on_drop = flow, the rule
 * that resets a connection whose connmark the daemon set.
 *
 * Backends, detected at run time (--backend auto):
 *   nft       a table `inet echoguard` of our own, when the kernel has the
 *             nft queue expression (probed with a scratch table);
 *   iptables  a chain ECHOGUARD (iptables and ip6tables) reached by one
 *             jump rule in FORWARD carrying the comment "echoguard".
 * Either way we only create, list and delete our own table or chain and the
 * one jump rule: rules we did not create are never touched.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "echoguard/verdict/config.h"
#include "echoguard/net/packet.h"

extern char **environ;

#define NFT_TABLE "echoguard"
#define IPT_CHAIN "ECHOGUARD"
#define IPT_COMMENT "echoguard"
#define MAX_ARGS 40

struct rules {
	const char *config_path;
	const char *hook;            /* FORWARD (gateway) or OUTPUT (local) */
	char devices[8][64];
	int device_version[8];
	unsigned n_devices;
	unsigned queue_first, queue_last;
	bool bypass;                 /* fail = open */
	bool flow_reset;             /* on_drop = flow */
	unsigned long flow_mark;
	bool dry_run, quiet;
};

/* Run argv; returns the exit status, or -errno if it could not start. */
static int run(const struct rules *r, char *const argv[], bool show)
{
	pid_t pid;
	int st, rc, i;

	if (show || r->dry_run) {
		for (i = 0; argv[i]; i++)
			printf("%s%s", i ? " " : "", argv[i]);
		putchar('\n');
		fflush(stdout);
	}
	if (r->dry_run)
		return 0;
	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Run quietly (stdout and stderr to /dev/null); for probes and checks. */
static int run_quiet(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -rc;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Does the kernel have nft's queue expression? Probe in a scratch table. */
static bool nft_has_queue(void)
{
	char *del[] = { "nft", "delete", "table", "inet", "echoguard_probe", NULL };
	char *chk[] = { "nft", "--version", NULL };
	FILE *f;
	int rc;

	if (run_quiet(chk) != 0)
		return false;
	f = popen("nft -f - >/dev/null 2>&1", "w");
	if (!f)
		return false;
	fputs("table inet echoguard_probe {\n"
	      " chain c { type filter hook forward priority 0; policy accept;\n"
	      "  meta l4proto tcp ip saddr 192.0.2.1 queue num 0 bypass\n"
	      " }\n}\n", f);
	rc = pclose(f);
	(void)run_quiet(del);
	return rc == 0;
}

static void queue_spec(const struct rules *r, char *buf, size_t len)
{
	if (r->queue_first == r->queue_last)
		snprintf(buf, len, "%u", r->queue_first);
	else
		snprintf(buf, len, "%u-%u", r->queue_first, r->queue_last);
}

static int nft_up(const struct rules *r)
{
	char q[32], script[4096];
	size_t off = 0;
	unsigned i;
	FILE *f;
	int rc;

	queue_spec(r, q, sizeof(q));
	off += snprintf(script + off, sizeof(script) - off,
			"table inet " NFT_TABLE " {}\n"
			"delete table inet " NFT_TABLE "\n"
			"table inet " NFT_TABLE " {\n"
			" chain %s { type filter hook %s priority 0; policy accept;\n",
			r->hook[0] == 'F' ? "forward" : "output",
			r->hook[0] == 'F' ? "forward" : "output");
	/* on_drop = flow: the daemon answers a dropped packet with NF_REPEAT
	 * and the packet mark flow_mark; the hook runs again, the mark is
	 * saved on the connection, and every packet of it, both ways, gets a
	 * TCP reset from here on. */
	if (r->flow_reset)
		off += snprintf(script + off, sizeof(script) - off,
				"  meta l4proto tcp meta mark 0x%lx ct mark set meta mark\n"
				"  meta l4proto tcp ct mark 0x%lx reject with tcp reset\n",
				r->flow_mark, r->flow_mark);
	for (i = 0; i < r->n_devices && off < sizeof(script); i++) {
		const char *fam = r->device_version[i] == 6 ? "ip6" : "ip";

		/* Both directions: the engine's flow features (in_bytes_*,
		 * zero-window probes) need the server's packets too, exactly
		 * as `echoguard extract` sees them in a capture. The queue
		 * hash is symmetric, so a flow stays on one queue thread. */
		off += snprintf(script + off, sizeof(script) - off,
				"  %s saddr %s meta l4proto tcp queue num %s%s\n"
				"  %s daddr %s meta l4proto tcp queue num %s%s\n",
				fam, r->devices[i], q, r->bypass ? " bypass" : "",
				fam, r->devices[i], q, r->bypass ? " bypass" : "");
	}
	if (off >= sizeof(script) - 8)
		return -E2BIG;
	off += snprintf(script + off, sizeof(script) - off, " }\n}\n");
	if (r->dry_run || !r->quiet)
		fputs(script, stdout);
	if (r->dry_run)
		return 0;
	f = popen("nft -f -", "w");
	if (!f)
		return -errno;
	fputs(script, f);
	rc = pclose(f);
	return rc == 0 ? 0 : -EIO;
}

static int nft_down(const struct rules *r)
{
	char *list[] = { "nft", "list", "table", "inet", NFT_TABLE, NULL };
	char *del[] = { "nft", "delete", "table", "inet", NFT_TABLE, NULL };

	if (r->dry_run)
		return run(r, del, true) ? -EIO : 0;
	if (run_quiet(list) != 0)
		return 0; /* not there: nothing of ours to remove */
	return run(r, del, !r->quiet) ? -EIO : 0;
}

/* iptables or ip6tables for an IP version. */
static char *ipt_cmd(int version)
{
	return version == 6 ? "ip6tables" : "iptables";
}

static bool ipt_uses(const struct rules *r, int version)
{
	unsigned i;

	for (i = 0; i < r->n_devices; i++)
		if (r->device_version[i] == version)
			return true;
	return false;
}

static int ipt_down_one(const struct rules *r, int v)
{
	char *hook = (char *)r->hook;
	char *chk[] = { ipt_cmd(v), "-w", "-n", "-L", IPT_CHAIN, NULL };
	char *jdel[] = { ipt_cmd(v), "-w", "-D", hook, "-m", "comment",
			 "--comment", IPT_COMMENT, "-j", IPT_CHAIN, NULL };
	char *flush[] = { ipt_cmd(v), "-w", "-F", IPT_CHAIN, NULL };
	char *xdel[] = { ipt_cmd(v), "-w", "-X", IPT_CHAIN, NULL };
	int guard = 16;

	if (!r->dry_run && run_quiet(chk) != 0)
		return 0; /* our chain is not there */
	/* Remove every copy of our jump rule, then our chain. */
	while (guard-- > 0 && (r->dry_run ? run(r, jdel, true) : run_quiet(jdel)) == 0)
		if (r->dry_run)
			break;
	if (run(r, flush, !r->quiet) || run(r, xdel, !r->quiet))
		return -EIO;
	return 0;
}

static int ipt_up_one(const struct rules *r, int v)
{
	char q[32], mark[48];
	char *hook = (char *)r->hook;
	char *mk[] = { ipt_cmd(v), "-w", "-N", IPT_CHAIN, NULL };
	char *jump[] = { ipt_cmd(v), "-w", "-I", hook, "1", "-m", "comment",
			 "--comment", IPT_COMMENT, "-j", IPT_CHAIN, NULL };
	unsigned i;
	int rc;

	rc = ipt_down_one(r, v);
	if (rc < 0)
		return rc;
	if (run(r, mk, !r->quiet))
		return -EIO;
	snprintf(mark, sizeof(mark), "0x%lx", r->flow_mark);
	if (r->flow_reset) {
		/* See nft_up: save the daemon's mark on the connection, then
		 * reset the connection both ways. */
		char *save[] = { ipt_cmd(v), "-w", "-A", IPT_CHAIN, "-p", "tcp",
				 "-m", "mark", "--mark", mark, "-j", "CONNMARK",
				 "--save-mark", NULL };
		char *rst[] = { ipt_cmd(v), "-w", "-A", IPT_CHAIN, "-p", "tcp",
				"-m", "connmark", "--mark", mark, "-j", "REJECT",
				"--reject-with", "tcp-reset", NULL };

		if (run(r, save, !r->quiet) || run(r, rst, !r->quiet))
			return -EIO;
	}
	if (r->queue_first == r->queue_last)
		snprintf(q, sizeof(q), "%u", r->queue_first);
	else
		snprintf(q, sizeof(q), "%u:%u", r->queue_first, r->queue_last);
	for (i = 0; i < r->n_devices; i++) {
		char *argv[MAX_ARGS];
		int n, k;

		if (r->device_version[i] != v)
			continue;
		/* Both directions (see nft_up): -s for the device's packets,
		 * -d for the server's. */
		for (k = 0; k < 2; k++) {
			n = 0;
			argv[n++] = ipt_cmd(v);
			argv[n++] = "-w";
			argv[n++] = "-A";
			argv[n++] = IPT_CHAIN;
			argv[n++] = k ? "-d" : "-s";
			argv[n++] = (char *)r->devices[i];
			argv[n++] = "-p";
			argv[n++] = "tcp";
			argv[n++] = "-j";
			argv[n++] = "NFQUEUE";
			argv[n++] = r->queue_first == r->queue_last ?
				"--queue-num" : "--queue-balance";
			argv[n++] = q;
			if (r->bypass)
				argv[n++] = "--queue-bypass";
			argv[n] = NULL;
			if (run(r, argv, !r->quiet))
				return -EIO;
		}
	}
	return run(r, jump, !r->quiet) ? -EIO : 0;
}

static int ipt_status_one(const struct rules *r, int v)
{
	char *ls[] = { ipt_cmd(v), "-w", "-n", "-v", "-L", IPT_CHAIN, NULL };
	char *chk[] = { ipt_cmd(v), "-w", "-C", (char *)r->hook, "-m", "comment",
			"--comment", IPT_COMMENT, "-j", IPT_CHAIN, NULL };

	if (run_quiet(ls) != 0) {
		printf("%s: no %s chain (rules are down)\n", ipt_cmd(v), IPT_CHAIN);
		return 1;
	}
	printf("%s: jump from %s: %s\n", ipt_cmd(v), r->hook,
	       run_quiet(chk) == 0 ? "present" : "MISSING");
	(void)run(r, ls, false);
	return 0;
}

static int parse_queues(const char *s, struct rules *r)
{
	unsigned a, b;
	int n = 0;

	if (sscanf(s, "%u-%u%n", &a, &b, &n) == 2 && s[n] == '\0' && a <= b &&
	    b <= 65535) {
		r->queue_first = a;
		r->queue_last = b;
		return 0;
	}
	if (sscanf(s, "%u%n", &a, &n) == 1 && s[n] == '\0' && a <= 65535) {
		r->queue_first = r->queue_last = a;
		return 0;
	}
	return -EINVAL;
}

static int add_device(struct rules *r, const char *s)
{
	uint8_t addr[16];
	int v = eg_addr_parse(s, addr);

	if (v < 0 || r->n_devices >= 8)
		return -EINVAL;
	eg_addr_format(v, addr, r->devices[r->n_devices], sizeof(r->devices[0]));
	r->device_version[r->n_devices++] = v;
	return 0;
}

static int from_config(struct rules *r)
{
	static struct eg_config c; /* large (path buffers); one per process */
	char err[4096];
	unsigned i;
	int rc;

	rc = eg_config_load(r->config_path, EG_CONFIG_NO_MODEL_CHECK, &c, err,
			    sizeof(err));
	if (rc < 0) {
		/* err has no final newline (one message, maybe several lines) */
		cli_error("%s", err);
		return rc;
	}
	for (i = 0; i < c.device.n && r->n_devices < 8; i++) {
		eg_addr_format(c.device.version[i], c.device.addr[i],
			       r->devices[r->n_devices], sizeof(r->devices[0]));
		r->device_version[r->n_devices++] = c.device.version[i];
	}
	/* iptables' --queue-balance and nft's queue num take one range. */
	for (i = 1; i < c.daemon.n_queues; i++) {
		if (c.daemon.queues[i] != c.daemon.queues[i - 1] + 1) {
			cli_error("rules: %s: [daemon] queues: the rules need one "
				  "contiguous range (e.g. 0-3)", r->config_path);
			return -EINVAL;
		}
	}
	r->queue_first = c.daemon.queues[0];
	r->queue_last = c.daemon.queues[c.daemon.n_queues - 1];
	r->bypass = c.daemon.fail == EG_FAIL_OPEN;
	r->flow_reset = c.policy.on_drop == EG_ON_DROP_FLOW;
	r->flow_mark = c.policy.flow_mark;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: echoguard rules up|down|status [-c INI] [--device IP]...\n"
		"         [--queues N|A-B] [--fail open|closed] [--flow-reset MARK]\n"
		"         [--hook forward|output] [--backend auto|nft|iptables]\n"
		"         [--dry-run] [--quiet]\n"
		"Installs (up), removes (down) or shows (status) the rules that queue\n"
		"the device's outbound TCP to echoguardd. Only our own nft table\n"
		"`inet echoguard` or iptables chain ECHOGUARD (and its one jump rule)\n"
		"are ever touched. Options override the config file's values.\n");
}

/*
 * Options and the config file (-c) into *r, the command-line values
 * winning; the backend (auto resolved) and action into ret_*. 0 to go on,
 * 1 after --help, 2 on a usage or configuration error (reported).
 */
static int parse_args(int argc, char **argv, struct rules *r,
		      const char **ret_backend, const char **ret_action)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "fail", required_argument, NULL, 'f' },
		{ "flow-reset", required_argument, NULL, 'm' },
		{ "hook", required_argument, NULL, 'H' },
		{ "backend", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	struct rules cli = *r;
	const char *backend = "auto";
	bool have_cfg = false, cli_dev = false, cli_q = false, cli_fail = false,
	     cli_mark = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': r->config_path = optarg; have_cfg = true; break;
		case 'd':
			if (cli.n_devices == 8) {
				cli_error("rules: --device %s: at most 8 devices", optarg);
				return 2;
			}
			if (add_device(&cli, optarg) < 0) {
				cli_error("rules: --device %s: not an IP address", optarg);
				return 2;
			}
			cli_dev = true;
			break;
		case 'q':
			if (parse_queues(optarg, &cli) < 0) {
				cli_error("rules: --queues %s: want N or A-B", optarg);
				return 2;
			}
			cli_q = true;
			break;
		case 'f':
			if (strcmp(optarg, "open") && strcmp(optarg, "closed")) {
				cli_error("rules: --fail %s: want open or closed", optarg);
				return 2;
			}
			cli.bypass = !strcmp(optarg, "open");
			cli_fail = true;
			break;
		case 'm':
			/* A connmark is 32 bits; "5x" is a typo, not mark 5. */
			errno = 0;
			cli.flow_mark = strtoul(optarg, &end, 0);
			if (!isdigit((unsigned char)*optarg) || *end || errno ||
			    !cli.flow_mark || cli.flow_mark > UINT32_MAX) {
				cli_error("rules: --flow-reset %s: want a non-zero 32-bit mark", optarg);
				return 2;
			}
			cli.flow_reset = true;
			cli_mark = true;
			break;
		case 'H':
			if (!strcmp(optarg, "forward")) r->hook = "FORWARD";
			else if (!strcmp(optarg, "output")) r->hook = "OUTPUT";
			else { cli_error("rules: --hook %s: want forward or output", optarg); return 2; }
			break;
		case 'b': backend = optarg; break;
		case 'n': r->dry_run = true; break;
		case 'Q': r->quiet = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	*ret_action = argv[optind];
	if (strcmp(backend, "auto") && strcmp(backend, "nft") &&
	    strcmp(backend, "iptables")) {
		cli_error("rules: --backend %s: want auto, nft or iptables", backend);
		return 2;
	}
	if (have_cfg && from_config(r) < 0)
		return 2;
	if (cli_dev) {
		memcpy(r->devices, cli.devices, sizeof(r->devices));
		memcpy(r->device_version, cli.device_version, sizeof(r->device_version));
		r->n_devices = cli.n_devices;
	}
	if (cli_q) {
		r->queue_first = cli.queue_first;
		r->queue_last = cli.queue_last;
	}
	if (cli_fail)
		r->bypass = cli.bypass;
	if (cli_mark) {
		r->flow_reset = true;
		r->flow_mark = cli.flow_mark;
	}
	if (!strcmp(backend, "auto"))
		backend = nft_has_queue() ? "nft" : "iptables";
	*ret_backend = backend;
	return 0;
}

int cmd_rules(int argc, char **argv)
{
	struct rules r = { .hook = "FORWARD", .bypass = true, .flow_mark = 0 };
	const char *backend, *action;
	int rc;

	rc = parse_args(argc, argv, &r, &backend, &action);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (!strcmp(action, "up")) {
		if (!r.n_devices) {
			cli_error("rules: no device address (--device or [device] address)");
			return 2;
		}
		if (!r.quiet)
			printf("# backend: %s\n", backend);
		if (!strcmp(backend, "nft")) {
			rc = nft_up(&r);
		} else {
			if (ipt_uses(&r, 4))
				rc = ipt_up_one(&r, 4);
			if (!rc && ipt_uses(&r, 6))
				rc = ipt_up_one(&r, 6);
		}
	} else if (!strcmp(action, "down")) {
		/* Remove ours from both backends: the kernel may have changed. */
		rc = nft_down(&r);
		if (!rc)
			rc = ipt_down_one(&r, 4);
		if (!rc) {
			char *v6[] = { "ip6tables", "-w", "-n", "-L", "INPUT", NULL };
			if (run_quiet(v6) == 0)
				rc = ipt_down_one(&r, 6);
		}
	} else if (!strcmp(action, "status")) {
		char *list[] = { "nft", "list", "table", "inet", NFT_TABLE, NULL };
		int up = 0;

		if (run_quiet(list) == 0) {
			printf("nft: table inet %s present\n", NFT_TABLE);
			(void)run(&r, list, false);
			up = 1;
		}
		if (ipt_status_one(&r, 4) == 0)
			up = 1;
		return up ? 0 : 3;
	} else {
		cli_error("rules: unknown action '%s' (up, down, status)", action);
		return 2;
	}
	if (rc < 0) {
		cli_error("rules %s: a %s command failed (are you root? see above)",
			  action, backend);
		return 1;
	}
	return 0;
}
