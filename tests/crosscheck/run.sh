#!/bin/sh
# Cross-check flow.c/tls.c against an independent reference on real
# captures (docs/flows-and-tls.md, "Agreement with an independent
# reference"). Not part of ctest: needs tshark and takes ~2 minutes.
#   tests/crosscheck/run.sh BUILD_DIR CAPTURE...
# Per capture: packets, payload packets, and the number of differences in
# content_type (ct_diff), n_headers (nh_diff) and retransmission /
# keep-alive / zero-window-probe flags against tshark (rt_diff).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc -O2 -I"$here/../../include" "$here/track.c" "$build/src/libeg_offline.a" \
   "$build/src/libeg_engine.a" "$build/src/libeg_net.a" "$build/src/libeg_util.a" \
   -lpcap -liniparser -lm -o "$tmp/track"
for f in "$@"; do
	"$tmp/track" "$f" > "$tmp/mine.txt"
	/usr/bin/python3 "$here/ref.py" "$f" > "$tmp/ref.txt" 2>/dev/null
	printf '%s ' "$(basename "$f")"
	/usr/bin/python3 "$here/cmp.py" "$tmp/mine.txt" "$tmp/ref.txt"
done
