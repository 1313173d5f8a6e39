/* SPDX-License-Identifier: MIT */
/* mic.c: microphone state source (first version: fixed and file). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "echoguard/mic.h"

struct eg_mic {
	atomic_int state;
	struct eg_config_mic cfg;
	struct eg_mic_stats st;
};

int eg_mic_new(const struct eg_config_mic *cfg, struct eg_mic **ret,
	       char *err, size_t errlen)
{
	struct eg_mic *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cfg = *cfg;
	atomic_store(&m->state, cfg->source == EG_MIC_FIXED ? !!cfg->value :
		     !!cfg->on_error);
	*ret = m;
	return 0;
}

struct eg_mic *eg_mic_free(struct eg_mic *m)
{
	free(m);
	return NULL;
}

int eg_mic_get(const struct eg_mic *m)
{
	return atomic_load_explicit(&((struct eg_mic *)m)->state,
				    memory_order_relaxed);
}

int eg_mic_refresh(struct eg_mic *m)
{
	return eg_mic_get(m);
}

int eg_mic_fd(const struct eg_mic *m)
{
	return -1;
}

short eg_mic_events(const struct eg_mic *m)
{
	return 0;
}

uint32_t eg_mic_poll_interval_ms(const struct eg_mic *m)
{
	return m->cfg.source == EG_MIC_FIXED ? 0 : m->cfg.poll_interval_ms;
}

void eg_mic_set(struct eg_mic *m, int state)
{
	m->cfg.source = EG_MIC_FIXED;
	m->cfg.value = !!state;
	atomic_store(&m->state, !!state);
}

void eg_mic_stats_get(const struct eg_mic *m, struct eg_mic_stats *ret)
{
	*ret = m->st;
	ret->state = eg_mic_get(m);
}
