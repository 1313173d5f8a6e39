/* SPDX-License-Identifier: MIT */
/* config.c: first version, defaults only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "echoguard/config.h"

void eg_config_default(struct eg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->daemon.n_queues = 1;
	c->daemon.queue_maxlen = 4096;
	c->daemon.fail = EG_FAIL_OPEN;
	c->daemon.fallback_verdict = EG_VERDICT_ACCEPT;
	c->daemon.batch_size = 16;
	c->daemon.batch_timeout_ms = 2;
	c->daemon.stats_interval = 60;
	c->daemon.recv_timeout_ms = 200;
	snprintf(c->model.path, sizeof(c->model.path), "%s",
		 EG_CONFIG_DEFAULT_MODEL);
	c->model.features = EG_FEATURES_SEED;
	eg_flow_params_default(&c->flows);
	c->policy.mode = EG_MODE_ENFORCE;
	c->policy.drop_classes = 1u << EG_CLASS_JUSTIFIED |
				 1u << EG_CLASS_NOT_JUSTIFIED;
	c->policy.min_confidence = 0.5;
	c->policy.flow_mark = 0x4547;
	c->policy.remember_drops = true;
	c->mic.source = EG_MIC_FIXED;
	c->mic.value = 1;
	c->mic.on_error = 0;
	c->mic.poll_interval_ms = 200;
	c->log.level = 6;
	c->log.drop_event_rate = 10;
}

int eg_config_load(const char *path, unsigned flags, struct eg_config *ret,
		   char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: not implemented yet", path);
	return -ENOSYS;
}

bool eg_cidr_match(const struct eg_cidr *c, int v, const uint8_t addr[16])
{
	unsigned full, rem;

	if (c->version != v)
		return false;
	full = c->prefix / 8;
	rem = c->prefix % 8;
	if (memcmp(c->addr, addr, full))
		return false;
	if (rem && ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rem))))
		return false;
	return true;
}
