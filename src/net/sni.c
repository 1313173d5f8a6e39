/* SPDX-License-Identifier: MIT */
/*
 * sni.c: what kind of server a TLS server name names (voice, metrics,
 * other). The name is chosen by the device: this is a feature, never a
 * security decision. Covered by tests/unit/test-features.c.
 */
#include <stdbool.h>
#include <stddef.h>

#include "echoguard/net/sni.h"

/* Glob with '*' only (any run of characters, possibly empty). */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = ++pat;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*
 * Voice: the Alexa Voice Service and its dialogue endpoints. Metrics:
 * telemetry uploads. Names seen in the shared captures: unagi-na.amazon.com
 * (metrics), device-metrics-us.amazon.com (metrics), dcape-na.amazon.com,
 * api.amazonalexa.com (voice), arcus-uswest.amazon.com, api.amazon.com,
 * *.cloudfront.net (other).
 */
static const char *const voice_globs[] = {
	"avs-alexa*.amazon.com", "bob-dispatch*.amazon.com",
	"dcape*.amazon.com", "*.amazonalexa.com", "amazonalexa.com",
	"alexa.*.gateway.devices.a2z.com", "*avs*.amazon.com",
};
static const char *const metrics_globs[] = {
	"device-metrics*", "*unagi*", "*metrics*.amazon.com",
	"*-metrics.amazon.*",
};

/* Classify a lower-case server name; NULL or "" is unknown (no SNI seen). */
enum eg_sni_class eg_sni_classify(const char *sni)
{
	size_t i;

	if (!sni || !*sni)
		return EG_SNI_UNKNOWN;
	for (i = 0; i < sizeof(metrics_globs) / sizeof(metrics_globs[0]); i++)
		if (glob_match(metrics_globs[i], sni))
			return EG_SNI_METRICS;
	for (i = 0; i < sizeof(voice_globs) / sizeof(voice_globs[0]); i++)
		if (glob_match(voice_globs[i], sni))
			return EG_SNI_VOICE;
	return EG_SNI_OTHER;
}
