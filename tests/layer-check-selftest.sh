#!/bin/sh
# layer-check-selftest.sh SOURCE_DIR: the layer check must fail on a
# planted upward include and on a planted include cycle, naming the file
# and line, and pass on the unchanged copy.
set -eu
src=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$src/src" "$src/include" "$tmp/"
check() { python3 "$src/tests/layer-check.py" "$tmp" > "$tmp/out" 2>&1; }
fail() { echo "FAIL: $*"; cat "$tmp/out"; exit 1; }

check || fail "the unchanged tree does not pass"
echo "ok: the unchanged tree passes"

# net may not use verdict (an upward include).
sed -i '0,/^#include "echoguard/s||#include "echoguard/verdict/policy.h"\n&|' "$tmp/src/net/packet.c"
if check; then fail "an upward include passed"; fi
grep -q '^src/net/packet.c:[0-9]*: net includes echoguard/verdict/policy.h' "$tmp/out" ||
	fail "the upward include is not named"
echo "ok: an upward include fails: $(head -1 "$tmp/out")"
cp "$src/src/net/packet.c" "$tmp/src/net/packet.c"

# tls.h including flow.h closes a circle (flow.h includes tls.h).
sed -i '0,/^#include <stdint.h>/s||&\n#include "echoguard/net/flow.h"|' "$tmp/include/echoguard/net/tls.h"
if check; then fail "an include cycle passed"; fi
grep -q '^include cycle: .*include/echoguard/net/flow.h' "$tmp/out" ||
	fail "the cycle is not named"
echo "ok: a cycle fails: $(grep '^include cycle' "$tmp/out" | head -1)"
