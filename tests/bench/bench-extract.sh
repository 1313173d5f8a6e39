#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-extract.sh BUILD_DIR: packets per second of `echoguard extract`
# against `tshark -T fields` extracting the same columns from the same
# captures, in one run. Goal (issue 2): at least 50 times tshark.
#
# Captures: BENCH_CAPTURES (a number: the first N of the shared captures in
# name order; default 10; "all" for every one), from
# $ECHOGUARD_SHARED_DATA/vcf/pcap or ../shared/data/vcf/pcap.
# echoguard runs BENCH_REPEAT times (default 3) and tshark once per capture
# per repetition too (BENCH_TSHARK_REPEAT, default 1); the best wall time of
# each is reported. Both read the files from the page cache: one untimed
# read of every file comes first.
#
# The columns: the paper's CSV (date, length, dstip, dstport, highest_layer,
# delta, ack_flag, microphone, content_type, synchronized, class) for every
# packet (--direction both). tshark gets the fields that carry the same
# information: frame.time_epoch, tcp.len, ip.dst, tcp.dstport,
# frame.protocols (the highest layer is its last element), tcp.time_delta
# (needs tcp.calculate_timestamps), tcp.flags.ack, tls.record.content_type,
# tcp.analysis.retransmission. tshark does not label classes; echoguard does
# (its two-pass keep-alive analysis included), so the comparison favours
# tshark. Exit 77 when echoguard, tshark or the captures are missing.
set -u

build=${1:-build}
eg=$build/src/echoguard
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${ECHOGUARD_SHARED_DATA:-${EG_SHARED_DATA:-$repo/../shared/data}}
pcaps=$data/vcf/pcap
ncap=${BENCH_CAPTURES:-10}
repeat=${BENCH_REPEAT:-3}
trepeat=${BENCH_TSHARK_REPEAT:-1}

[ -x "$eg" ] || { echo "SKIP: $eg not built"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "SKIP: no tshark"; exit 77; }
[ -d "$pcaps" ] || { echo "SKIP: $pcaps not found"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/caps"
# Symbolic links in one directory: echoguard reads it as one input; names
# with apostrophes stay intact.
ls "$pcaps" | sort | { if [ "$ncap" = all ]; then cat; else head -n "$ncap"; fi; } \
	>"$tmp/list"
while IFS= read -r f; do
	ln -s "$pcaps/$f" "$tmp/caps/$f"
	cat "$pcaps/$f" >/dev/null
done <"$tmp/list"
n=$(wc -l <"$tmp/list")
bytes=$(cd "$tmp/caps" && cat -- * | wc -c)

now() { date +%s.%N; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# tshark: one process per capture (it reads one file at a time).
tbest=
i=0
while [ "$i" -lt "$trepeat" ]; do
	t0=$(now)
	while IFS= read -r f; do
		tshark -n -r "$tmp/caps/$f" -T fields -E separator=, \
			-o tcp.calculate_timestamps:TRUE \
			-e frame.time_epoch -e tcp.len -e ip.dst -e tcp.dstport \
			-e frame.protocols -e tcp.time_delta -e tcp.flags.ack \
			-e tls.record.content_type \
			-e tcp.analysis.retransmission 2>/dev/null
	done <"$tmp/list" >"$tmp/tshark.csv"
	t1=$(now)
	tbest=$(best "$(echo "$t1 - $t0" | bc -l)" "$tbest")
	i=$((i + 1))
done
tpkts=$(wc -l <"$tmp/tshark.csv")

ebest=
i=0
while [ "$i" -lt "$repeat" ]; do
	t0=$(now)
	"$eg" extract --direction both -o "$tmp/eg.csv" "$tmp/caps" \
		2>"$tmp/eg.err"
	rc=$?
	t1=$(now)
	if [ "$rc" -ne 0 ]; then
		echo "echoguard extract failed (exit $rc):"
		cat "$tmp/eg.err"
		exit 1
	fi
	ebest=$(best "$(echo "$t1 - $t0" | bc -l)" "$ebest")
	i=$((i + 1))
done
# Rows minus the header line.
epkts=$(($(wc -l <"$tmp/eg.csv") - 1))

awk -v n="$n" -v bytes="$bytes" -v tp="$tpkts" -v tt="$tbest" \
    -v ep="$epkts" -v et="$ebest" -v rep="$repeat" -v trep="$trepeat" 'BEGIN {
	printf "bench-extract: %d captures, %.1f MB, best of %d (echoguard) / %d (tshark)\n",
	       n, bytes / 1e6, rep, trep
	printf "%-18s %10s %9s %12s\n", "tool", "packets", "seconds", "packets/s"
	printf "%-18s %10d %9.3f %12.0f\n", "tshark -T fields", tp, tt, tp / tt
	printf "%-18s %10d %9.3f %12.0f\n", "echoguard extract", ep, et, ep / et
	ratio = (ep / et) / (tp / tt)
	printf "ratio: %.1fx tshark (goal >= 50x: %s)\n", ratio,
	       ratio >= 50 ? "met" : "NOT met"
}'
if [ "$tpkts" -ne "$epkts" ]; then
	echo "note: tshark printed $tpkts rows, echoguard $epkts"
fi
exit 0
