/* SPDX-License-Identifier: MIT */
/*
 * device.h: finding the device in a capture when nobody said which address
 * it has (offline tools: `echoguard extract`, `replay`). Covered by
 * tests/unit/test-device.c.
 */
#ifndef ECHOGUARD_DEVICE_H
#define ECHOGUARD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 1918, 169.254/16, fc00::/7, fe80::/10: addresses a home device has. */
bool eg_addr_is_local(int ip_version, const uint8_t addr[16]);

/*
 * Read the capture at path once and pick the local address with the most
 * TCP flows (5-tuples) that carry a plausible TLS record header; ties go
 * to the address seen first. Returns the winner's number of TLS flows (> 0)
 * and fills ret_addr / *ret_version; 0 when no local address has a TLS
 * flow (ret_* untouched); -errno when the capture can't be opened, with
 * "PATH: reason" in err. A read error part way counts what was read.
 */
int eg_device_guess(const char *path, uint8_t ret_addr[16], int *ret_version,
		    char *err, size_t errlen);

#endif
