/* SPDX-License-Identifier: MIT */
/*
 * classes.h: the reference paper's eight per-packet classes. The engine
 * fills the rule classes; labels (offline) and the forest (online) the
 * app-data ones. Covered by tests/unit/test-features.c.
 */
#ifndef ECHOGUARD_ENGINE_CLASSES_H
#define ECHOGUARD_ENGINE_CLASSES_H

/* The reference paper's eight classes, in its order. */
enum eg_class {
	EG_CLASS_HANDSHAKE = 0,
	EG_CLASS_SYN,            /* the device's periodic keep-alive records */
	EG_CLASS_ACK,
	EG_CLASS_RETRANSMIT,
	EG_CLASS_NOT_RELEVANT,
	EG_CLASS_JUSTIFIED,      /* app data, mic on, nobody spoke */
	EG_CLASS_NOT_JUSTIFIED,  /* app data while muted */
	EG_CLASS_EXPECTED,       /* app data while a person talks to it */
	EG_CLASS_COUNT,
};

const char *eg_class_name(enum eg_class c);
/* -EINVAL if unknown; accepts the paper's spellings. */
int eg_class_parse(const char *s);

#endif
