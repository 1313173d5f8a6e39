/* SPDX-License-Identifier: MIT */
/*
 * sni.h: the kind of server a TLS server name names. The device chooses
 * its server name: a feature, not a security boundary (docs/security.md).
 */
#ifndef ECHOGUARD_NET_SNI_H
#define ECHOGUARD_NET_SNI_H

enum eg_sni_class { EG_SNI_UNKNOWN = 0, EG_SNI_VOICE = 1, EG_SNI_METRICS = 2,
		    EG_SNI_OTHER = 3 };


/* Classify a server name (lower case). */
enum eg_sni_class eg_sni_classify(const char *sni);

#endif
