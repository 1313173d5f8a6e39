/* SPDX-License-Identifier: MIT */
/*
 * test-config.c: the INI config: defaults, every key read, and every error
 * path (unknown section, unknown key with a hint, a key in the wrong
 * section, wrong types, out-of-range values, bad lists, bad CIDRs, missing
 * model file, duplicate keys, syntax errors, empty and missing files), all
 * errors collected with file and line, *ret untouched on failure; dump and
 * re-load give the same config; the shipped conf/echoguard.ini loads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echoguard/verdict/config.h"
#include "tap.h"

static char dir[] = "/tmp/eg-test-config-XXXXXX";
static char ini[300], model[300];
static char err[4096];

/* Write text to the test INI file and load it (no model check unless the
 * text names the test's model). */
static int load_text(const char *text, unsigned flags, struct eg_config *c)
{
	FILE *f = fopen(ini, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(ini);
		exit(1);
	}
	return eg_config_load(ini, flags, c, err, sizeof(err));
}

/* err holds a line starting "INI:LINE: " followed by want. */
static int has_error(unsigned line, const char *want)
{
	char prefix[400];
	const char *p = err;

	snprintf(prefix, sizeof(prefix), "%s:%u: ", ini, line);
	while ((p = strstr(p, prefix))) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char row[1024];

		snprintf(row, sizeof(row), "%.*s", (int)n, p);
		if (strstr(row, want))
			return 1;
		p += strlen(prefix);
	}
	fprintf(stderr, "    wanted line %u \"%s\" in:\n%s\n", line, want, err);
	return 0;
}

static unsigned count_lines(const char *s)
{
	unsigned n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_defaults(void)
{
	struct eg_config c, d;

	eg_config_default(&d);
	CHECK_EQ(d.daemon.n_queues, 1);
	CHECK_EQ(d.daemon.queues[0], 0);
	CHECK_EQ(d.daemon.queue_maxlen, 4096);
	CHECK_EQ(d.daemon.fail, EG_FAIL_OPEN);
	CHECK_EQ(d.daemon.fallback_verdict, EG_VERDICT_ACCEPT);
	CHECK_EQ(d.policy.mode, EG_MODE_ENFORCE);
	CHECK_EQ(d.policy.drop_classes, (1u << EG_CLASS_JUSTIFIED) |
		 (1u << EG_CLASS_NOT_JUSTIFIED));
	CHECK_NEAR(d.policy.min_confidence, 0.7, 0);
	CHECK_EQ(d.model.features, EG_FEATURES_SHAPE); /* the shipped model */
	CHECK(d.policy.remember_drops);
	CHECK_EQ(d.policy.on_drop, EG_ON_DROP_FLOW); /* docs/config.md */
	CHECK_EQ(d.policy.flow_mark, 0x4547);  /* packaging/rules */
	CHECK_EQ(d.mic.source, EG_MIC_FIXED);
	CHECK_EQ(d.mic.on_error, 0);           /* muted: the safe assumption */
	CHECK_EQ(d.log.level, 6);
	CHECK_STREQ(d.model.path, EG_CONFIG_DEFAULT_MODEL);
	CHECK_STREQ(d.model.learned, EG_CONFIG_DEFAULT_LEARNED);

	/* No file: defaults, still validated (the model must exist). */
	memset(&c, 0xaa, sizeof(c));
	CHECK_EQ(eg_config_load(NULL, EG_CONFIG_NO_MODEL_CHECK, &c, err,
				sizeof(err)), 0);
	CHECK_STREQ(err, "");
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	if (access(EG_CONFIG_DEFAULT_MODEL, R_OK) < 0) {
		CHECK_EQ(eg_config_load(NULL, 0, &c, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "[model] path: cannot read \""
			      EG_CONFIG_DEFAULT_MODEL "\"") != NULL);
	}

	/* An empty file and one of only comments: the defaults. */
	memset(&c, 0, sizeof(c));
	CHECK_EQ(load_text("", EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	CHECK_STREQ(c.file, ini);
	memset(c.file, 0, sizeof(c.file));
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	CHECK_EQ(load_text("; nothing\n# here\n\n[policy]\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	memset(c.file, 0, sizeof(c.file));
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
}

static const char full[] =
	"[daemon]\n"
	"queues = 0-3, 7\n"
	"queue_maxlen = 8192\n"
	"fail = closed\n"
	"fallback_verdict = drop\n"
	"batch_size = 32\n"
	"batch_timeout_ms = 5\n"
	"stats_interval = 10\n"
	"recv_timeout_ms = 100\n"
	"[device]\n"
	"address = 192.168.86.40, 2001:db8::40\n"
	"[model]\n"
	"path = %s\n"
	"learned = /srv/eg/home.egf\n"
	"features = flow\n"
	"[flows]\n"
	"capacity = 1024\n"
	"max_probe = 16\n"
	"idle_timeout = 120.5\n"
	"closed_timeout = 0\n"
	"[Policy]\n"                           /* case-insensitive, like iniparser */
	"MODE = monitor ; a comment after the value\n"
	"drop_classes = not_justified\n"
	"min_confidence = 0.75\n"
	"on_drop = packet\n"
	"flow_mark = 0x10\n"
	"allow_cidrs = 10.1.2.3/8 2001:db8::/32\n"
	"allow_sni = Device-Metrics-US.amazon.com, .example.org\n"
	"remember_drops = no\n"
	"[microphone]\n"
	"source = sysfs\n"
	"path = /sys/class/gpio/gpio17/value\n"
	"chip = gpiochip1\n"
	"line = 17\n"
	"active_low = yes\n"
	"value = muted\n"
	"on_error = listening\n"
	"poll_interval_ms = 50\n"
	"[log]\n"
	"level = debug\n"
	"drop_event_rate = 0\n";

static void test_every_key(void)
{
	struct eg_config c, again;
	char text[4096], dump[] = "/tmp/eg-test-config-dump-XXXXXX";
	uint8_t a[16];
	FILE *f;
	int fd;

	snprintf(text, sizeof(text), full, model);
	CHECK_EQ(load_text(text, 0, &c), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(c.daemon.n_queues, 5);
	CHECK_EQ(c.daemon.queues[0], 0);
	CHECK_EQ(c.daemon.queues[3], 3);
	CHECK_EQ(c.daemon.queues[4], 7);
	CHECK_EQ(c.daemon.queue_maxlen, 8192);
	CHECK_EQ(c.daemon.fail, EG_FAIL_CLOSED);
	CHECK_EQ(c.daemon.fallback_verdict, EG_VERDICT_DROP);
	CHECK_EQ(c.daemon.batch_size, 32);
	CHECK_EQ(c.daemon.batch_timeout_ms, 5);
	CHECK_EQ(c.daemon.stats_interval, 10);
	CHECK_EQ(c.daemon.recv_timeout_ms, 100);
	CHECK_EQ(c.device.n, 2);
	CHECK_EQ(c.device.version[0], 4);
	CHECK_EQ(c.device.version[1], 6);
	CHECK_EQ(eg_addr_parse("192.168.86.40", a), 4);
	CHECK(memcmp(a, c.device.addr[0], 16) == 0);
	CHECK_STREQ(c.model.path, model);
	CHECK_STREQ(c.model.learned, "/srv/eg/home.egf");
	CHECK_EQ(c.model.features, EG_FEATURES_FLOW);
	CHECK_EQ(c.flows.capacity, 1024);
	CHECK_EQ(c.flows.max_probe, 16);
	CHECK_EQ(c.flows.idle_timeout_ns, 120500000000ull);
	CHECK_EQ(c.flows.closed_timeout_ns, 0);
	CHECK_EQ(c.policy.mode, EG_MODE_MONITOR);
	CHECK_EQ(c.policy.drop_classes, 1u << EG_CLASS_NOT_JUSTIFIED);
	CHECK_NEAR(c.policy.min_confidence, 0.75, 0);
	CHECK_EQ(c.policy.on_drop, EG_ON_DROP_PACKET); /* not the default */
	CHECK_EQ(c.policy.flow_mark, 16);
	CHECK_EQ(c.policy.n_allow_cidrs, 2);
	CHECK_EQ(c.policy.allow_cidrs[0].prefix, 8);
	CHECK_EQ(c.policy.allow_cidrs[0].addr[0], 10);
	CHECK_EQ(c.policy.allow_cidrs[0].addr[1], 0);  /* host bits cleared */
	CHECK_EQ(c.policy.allow_cidrs[1].version, 6);
	CHECK_EQ(c.policy.n_allow_sni, 2);
	CHECK_STREQ(c.policy.allow_sni[0], "device-metrics-us.amazon.com");
	CHECK_STREQ(c.policy.allow_sni[1], ".example.org");
	CHECK(!c.policy.remember_drops);
	CHECK_EQ(c.mic.source, EG_MIC_SYSFS);
	CHECK_STREQ(c.mic.path, "/sys/class/gpio/gpio17/value");
	CHECK_STREQ(c.mic.chip, "gpiochip1");
	CHECK_EQ(c.mic.line, 17);
	CHECK(c.mic.active_low);
	CHECK_EQ(c.mic.value, 0);
	CHECK_EQ(c.mic.on_error, 1);
	CHECK_EQ(c.mic.poll_interval_ms, 50);
	CHECK_EQ(c.log.level, 7);
	CHECK_EQ(c.log.drop_event_rate, 0);

	/* dump writes a file that loads back to the same config. */
	fd = mkstemp(dump);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	CHECK(f && eg_config_dump(&c, f) == 0);
	if (f)
		fclose(f);
	CHECK_EQ(eg_config_load(dump, 0, &again, err, sizeof(err)), 0);
	memcpy(again.file, c.file, sizeof(c.file));
	CHECK(memcmp(&again, &c, sizeof(c)) == 0);
	unlink(dump);

	/* Numbers: 0x hex, 0..7 levels, 0/1 for mic states, "none" classes. */
	CHECK_EQ(load_text("[log]\nlevel = 3\n[microphone]\nvalue = 0\n"
			   "[policy]\ndrop_classes = none\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	CHECK_EQ(c.log.level, 3);
	CHECK_EQ(c.mic.value, 0);
	CHECK_EQ(c.policy.drop_classes, 0);
	/* A leading zero is decimal, not octal: 010 is ten, 080 eighty. */
	CHECK_EQ(load_text("[flows]\nmax_probe = 010\n[microphone]\n"
			   "poll_interval_ms = 080\n[policy]\nflow_mark = 0X1f\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	CHECK_EQ(c.flows.max_probe, 10);
	CHECK_EQ(c.mic.poll_interval_ms, 80);
	CHECK_EQ(c.policy.flow_mark, 31);
}

static void test_unknown_names(void)
{
	struct eg_config c;

	CHECK_EQ(load_text("[polcy]\nmode = monitor\n[frobnicate]\nx = 1\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(1, "[polcy]: unknown section (did you mean [policy]?)"));
	CHECK(has_error(3, "[frobnicate]: unknown section (sections: daemon"));
	/* One error per unknown section, not one per key in it. */
	CHECK_EQ(count_lines(err), 2);

	CHECK_EQ(load_text("[policy]\nmin_confidense = 0.5\n"
			   "[daemon]\nmode = monitor\nfrobnicate = 1\n"
			   "[microphone]\nactivelow = 1\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "[policy] min_confidense: unknown key (did you mean "
			"\"min_confidence\"?)"));
	CHECK(has_error(4, "[daemon] mode: unknown key (it belongs in [policy])"));
	CHECK(has_error(5, "[daemon] frobnicate: unknown key"));
	CHECK(strstr(err, "frobnicate: unknown key (") == NULL);
	CHECK(has_error(7, "[microphone] activelow: unknown key (did you mean "
			"\"active_low\"?)"));
	CHECK_EQ(count_lines(err), 4);
}

static void test_wrong_types_and_ranges(void)
{
	struct eg_config c;

	CHECK_EQ(load_text("[daemon]\n"
			   "queue_maxlen = abc\n"          /* 2 */
			   "batch_size = 0\n"              /* 3 */
			   "batch_timeout_ms = -1\n"       /* 4 */
			   "fail = sometimes\n"            /* 5 */
			   "[policy]\n"
			   "min_confidence = 1.7\n"        /* 7 */
			   "remember_drops = maybe\n"      /* 8 */
			   "mode = block\n"                /* 9 */
			   "flow_mark = 0\n"               /* 10 */
			   "[flows]\n"
			   "capacity = 8\n"                /* 12 */
			   "max_probe = 65\n"              /* 13 */
			   "idle_timeout = soon\n"         /* 14 */
			   "[log]\n"
			   "level = loud\n"                /* 16 */
			   "[microphone]\n"
			   "value = 2\n"                   /* 18 */
			   "poll_interval_ms = 5\n",       /* 19 */
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "[daemon] queue_maxlen: \"abc\" is not a whole number"));
	CHECK(has_error(3, "[daemon] batch_size: \"0\" is not in [1, 1024]"));
	CHECK(has_error(4, "[daemon] batch_timeout_ms: \"-1\" is not a whole number"));
	CHECK(has_error(5, "[daemon] fail: \"sometimes\" is not one of open|closed"));
	CHECK(has_error(7, "[policy] min_confidence: \"1.7\" is not in [0, 1]"));
	CHECK(has_error(8, "[policy] remember_drops: \"maybe\" is not a boolean"));
	CHECK(has_error(9, "[policy] mode: \"block\" is not one of enforce|monitor"));
	CHECK(has_error(10, "[policy] flow_mark: \"0\" is not in [1, 4294967295]"));
	CHECK(has_error(12, "[flows] capacity: \"8\" is not in [16, 16777216]"));
	CHECK(has_error(13, "[flows] max_probe: \"65\" is not in [1, 64]"));
	CHECK(has_error(14, "[flows] idle_timeout: \"soon\" is not a number of seconds"));
	CHECK(has_error(16, "[log] level: \"loud\" is not one of emerg|"));
	CHECK(has_error(18, "[microphone] value: \"2\" is not one of muted|listening or 0|1"));
	CHECK(has_error(19, "[microphone] poll_interval_ms: \"5\" is not in [10, 60000]"));
	CHECK_EQ(count_lines(err), 14);        /* all collected */
}

static void test_lists(void)
{
	struct eg_config c;

	CHECK_EQ(load_text("[daemon]\nqueues = 3-1\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "[daemon] queues: \"3-1\": queue numbers are 0..65535"));
	CHECK_EQ(load_text("[daemon]\nqueues = 0,1,1\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "names a queue twice"));
	CHECK_EQ(load_text("[daemon]\nqueues = zero\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "\"zero\" is not a queue list"));
	CHECK_EQ(load_text("[daemon]\nqueues = 0-100\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "more than 64 queues"));
	CHECK_EQ(load_text("[daemon]\nqueues =\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "is not a queue list"));

	CHECK_EQ(load_text("[policy]\ndrop_classes = justified, bogus\n"
			   "[device]\naddress = 192.168.86.40, nothere\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "[policy] drop_classes: \"bogus\" is not a class"));
	CHECK(has_error(4, "[device] address: \"nothere\" is not an IPv4 or IPv6"));
	CHECK_EQ(load_text("[device]\naddress = 10.0.0.1 10.0.0.2 10.0.0.3 "
			   "10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8 10.0.0.9\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "more than 8 addresses"));

	CHECK_EQ(load_text("[policy]\nallow_sni = good.example, bad/name\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "[policy] allow_sni: \"bad/name\" is not a DNS name"));
}

static void test_cidrs(void)
{
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0/8",
					   "::1/129", "10.0.0.0/", "/8",
					   "10.0.0.0/8x", "10.0.0.0/-1" };
	struct eg_cidr x;
	struct eg_config c;
	uint8_t a[16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		CHECK_EQ(eg_cidr_parse(bad[i], &x), -EINVAL);
		snprintf(text, sizeof(text), "[policy]\nallow_cidrs = %s\n",
			 bad[i]);
		CHECK_EQ(load_text(text, EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
		CHECK(has_error(2, "[policy] allow_cidrs: \""));
		CHECK(strstr(err, bad[i]) != NULL);
	}
	CHECK_EQ(eg_cidr_parse("192.168.86.0/23", &x), 0);
	CHECK_EQ(eg_addr_parse("192.168.87.255", a), 4);
	CHECK(eg_cidr_match(&x, 4, a));
	CHECK_EQ(eg_addr_parse("192.168.88.0", a), 4);
	CHECK(!eg_cidr_match(&x, 4, a));
	CHECK_EQ(eg_addr_parse("2001:db8::1", a), 6);
	CHECK(!eg_cidr_match(&x, 4, a));
	CHECK(!eg_cidr_match(&x, 6, a));
	CHECK_EQ(eg_cidr_parse("2001:db8::/33", &x), 0);
	CHECK(eg_cidr_match(&x, 6, a));
	CHECK_EQ(eg_cidr_parse("0.0.0.0/0", &x), 0);
	CHECK_EQ(eg_addr_parse("203.0.113.9", a), 4);
	CHECK(eg_cidr_match(&x, 4, a));
	CHECK_EQ(eg_cidr_parse("203.0.113.9", &x), 0);   /* bare: /32 */
	CHECK_EQ(x.prefix, 32);
	CHECK(eg_cidr_match(&x, 4, a));
}

static void test_model_and_cross_keys(void)
{
	struct eg_config c;

	CHECK_EQ(load_text("[model]\npath = /nonexistent/eg-model.egf\n", 0, &c),
		 -EINVAL);
	CHECK(has_error(2, "[model] path: cannot read \"/nonexistent/eg-model.egf\":"
			" No such file or directory"));
	/* The flag skips the check (replay --model overrides the path). */
	CHECK_EQ(load_text("[model]\npath = /nonexistent/eg-model.egf\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	CHECK_EQ(load_text("[model]\npath =\n", EG_CONFIG_NO_MODEL_CHECK, &c),
		 -EINVAL);
	CHECK(has_error(2, "[model] path: empty"));
	/* learned: empty turns it off; it need not exist (model-choice.h) */
	CHECK_EQ(load_text("[model]\nlearned =\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), 0);
	CHECK_STREQ(c.model.learned, "");
	CHECK_EQ(load_text("[model]\nlearned = /nonexistent/learned.egf\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), 0);
	CHECK_STREQ(c.model.learned, "/nonexistent/learned.egf");
	CHECK_EQ(load_text("[model]\nlernt = x\n", EG_CONFIG_NO_MODEL_CHECK,
			   &c), -EINVAL);
	CHECK(has_error(2, "[model] lernt: unknown key"));

	CHECK_EQ(load_text("\n[microphone]\nsource = sysfs\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(3, "[microphone] path: required with source = sysfs"));
	CHECK_EQ(load_text("[microphone]\nsource = gpiod\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(2, "[microphone] chip: required with source = gpiod"));
}

static void test_syntax_and_duplicates(void)
{
	struct eg_config c, before;

	CHECK_EQ(load_text("[policy]\nmode = monitor\nmin_confidence = 0.6\n"
			   "mode = enforce\n[policy]\nmin_confidence = 0.7\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(4, "[policy] mode: duplicate key (first set on line 2)"));
	CHECK(has_error(6, "[policy] min_confidence: duplicate key (first set on "
			"line 3)"));
	CHECK_EQ(count_lines(err), 2);

	/* Errors leave *ret untouched. */
	memset(&c, 0x5a, sizeof(c));
	before = c;
	CHECK_EQ(load_text("mode = monitor\n[policy\n[log]\nlevel\n",
			   EG_CONFIG_NO_MODEL_CHECK, &c), -EINVAL);
	CHECK(has_error(1, "key \"mode\" before any [section]"));
	CHECK(has_error(2, "syntax error: \"[\" without \"]\""));
	CHECK(has_error(4, "syntax error: expected \"key = value\""));
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);

	/* A missing file: -ENOENT and its name. */
	CHECK_EQ(eg_config_load("/nonexistent/eg.ini", 0, &c, err, sizeof(err)),
		 -ENOENT);
	CHECK_STREQ(err, "/nonexistent/eg.ini: No such file or directory");

	/* A small error buffer is cut visibly, and the count is still right. */
	{
		char small[40];

		CHECK_EQ(eg_config_load(ini, EG_CONFIG_NO_MODEL_CHECK, &c, small,
					sizeof(small)), -EINVAL);
		CHECK_EQ(strlen(small), sizeof(small) - 2);   /* final \n dropped */
		CHECK(strcmp(small + strlen(small) - 3, "...") == 0);
	}
}

/* The shipped example config must load (with its model check off: the
 * model is installed elsewhere) and equal the defaults, since it documents
 * them as comments. */
static void test_shipped_ini(void)
{
	struct eg_config c, d;

	CHECK_EQ(eg_config_load(EG_SOURCE_DIR "/conf/echoguard.ini",
				EG_CONFIG_NO_MODEL_CHECK, &c, err, sizeof(err)),
		 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	eg_config_default(&d);
	memset(c.file, 0, sizeof(c.file));
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
}

int main(void)
{
	FILE *f;
	char cmd[300];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(ini, sizeof(ini), "%s/test.ini", dir);
	snprintf(model, sizeof(model), "%s/model.egf", dir);
	f = fopen(model, "w");
	if (!f || fclose(f) != 0)
		return 1;
	test_defaults();
	test_every_key();
	test_unknown_names();
	test_wrong_types_and_ranges();
	test_lists();
	test_cidrs();
	test_model_and_cross_keys();
	test_syntax_and_duplicates();
	test_shipped_ini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return eg_test_done();
}
