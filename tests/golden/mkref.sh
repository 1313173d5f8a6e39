#!/bin/sh
# SPDX-License-Identifier: MIT
# mkref.sh: make the golden per-packet references with tshark.
#
#   tests/golden/mkref.sh [DATA_DIR]
#
# DATA_DIR defaults to ../shared/data relative to the repository (or
# $ECHOGUARD_SHARED_DATA). For each capture in CAPTURES it runs tshark twice
# (pass A: reassembly on, the defaults, two-pass analysis; pass B: TCP and
# TLS reassembly off) and hands both dumps to mkref.py, which writes
# tests/golden/<capture>.ref.tsv. The header of every reference names the
# tshark version and these exact commands. Needs tshark and /usr/bin/python3
# (standard library only). The golden test itself never runs tshark.
#
# For a wider check outside the committed set: MKREF_CAPTURES="a.pcap b.pcap"
# (or "all") and MKREF_OUT=/some/dir (see README.md, "All 94 captures").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${1:-${ECHOGUARD_SHARED_DATA:-$repo/../shared/data}}
pcaps=$data/vcf/pcap

CAPTURES="alexa_5_40s.pcap
what_is_the_weather_5_60_80_100_120_140_capture.pcap
how_far_away_is_the_moon_5_30s.pcap"
outdir=${MKREF_OUT:-$here}
case ${MKREF_CAPTURES:-} in
"") ;;
all) CAPTURES=$(ls "$pcaps") ;;
*) CAPTURES=$(printf '%s\n' $MKREF_CAPTURES) ;;
esac

FIELDS_A="frame.number frame.protocols ip.src ipv6.src tcp.stream tcp.srcport
tcp.seq tcp.len tcp.nxtseq tcp.reassembled_in tls.record.content_type
tls.record.length tls.record.version tcp.analysis.retransmission tcp.analysis.fast_retransmission
tcp.analysis.spurious_retransmission tcp.analysis.out_of_order
tcp.analysis.keep_alive tcp.analysis.zero_window_probe
tcp.analysis.lost_segment tcp.payload udp.length tcp.segment"
FIELDS_B="frame.number tcp.seq tls.record.content_type tls.record.length tls.record.version"

command -v tshark >/dev/null || { echo "mkref.sh: tshark not found" >&2; exit 1; }
[ -d "$pcaps" ] || { echo "mkref.sh: $pcaps: no such directory" >&2; exit 1; }

version=$(tshark --version 2>/dev/null | head -n 1)
eflags() { for f in $1; do printf ' -e %s' "$f"; done; }
# Options common to both passes: fields, tab separated, every occurrence,
# comma aggregated; relative sequence numbers and sequence analysis on (the
# defaults, stated so a changed preferences file cannot alter them).
common="-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=,
-o tcp.relative_sequence_numbers:TRUE -o tcp.analyze_sequence_numbers:TRUE"
passa="-2 -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE"
passb="-o tcp.desegment_tcp_streams:FALSE -o tls.desegment_ssl_records:FALSE"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "$CAPTURES" | while IFS= read -r cap; do
	[ -n "$cap" ] || continue
	in=$pcaps/$cap
	out=$outdir/${cap%.pcap}.ref.tsv
	# shellcheck disable=SC2046,SC2086 # word splitting of the option lists
	tshark -n -r "$in" $common $passa $(eflags "$FIELDS_A") \
		>"$tmp/a.tsv" 2>"$tmp/a.err" || { cat "$tmp/a.err" >&2; exit 1; }
	# shellcheck disable=SC2046,SC2086
	tshark -n -r "$in" $common $passb $(eflags "$FIELDS_B") \
		>"$tmp/b.tsv" 2>"$tmp/b.err" || { cat "$tmp/b.err" >&2; exit 1; }
	/usr/bin/python3 "$here/mkref.py" "$tmp/a.tsv" "$tmp/b.tsv" --name "$cap" \
		--header "golden reference for $cap ($(sha256sum <"$in" | cut -c1-16)... sha256), made by tests/golden/mkref.sh" \
		--header "$version" \
		--header "pass A: tshark -n -r CAPTURE $(echo $common $passa) -e <$(echo $FIELDS_A | tr ' ' ',')>" \
		--header "pass B: tshark -n -r CAPTURE $(echo $common $passb) -e <$(echo $FIELDS_B | tr ' ' ',')>" \
		--header "then: /usr/bin/python3 tests/golden/mkref.py A B (columns and mapping: tests/golden/README.md)" \
		>"$out.tmp"
	mv "$out.tmp" "$out"
	echo "wrote $out"
done
