#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-extract.sh BUILD_DIR: packets per second of `echoguard extract`
# against `tshark -T fields` extracting the same columns from the same
# captures, in one run. Goal (issue 2): at least 50 times tshark.
#
# Captures: BENCH_CAPTURES (a number: the first N of the shared captures in
# name order, or "all", the default: 94 captures, 256779 packets), from
# $ECHOGUARD_SHARED_DATA/vcf/pcap or ../shared/data/vcf/pcap.
# echoguard runs BENCH_REPEAT times (default 3) and tshark once per capture
# per repetition too (BENCH_TSHARK_REPEAT, default 1); the best wall and CPU
# time (user + sys, /usr/bin/time) of each is reported; the ratio by CPU time
# depends less on what else the machine runs. Both read the files from the
# page cache: one untimed read of every file comes first.
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
ncap=${BENCH_CAPTURES:-all}
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

# timed OUT CMD...: run CMD, append "wall cpu" (seconds; cpu = user + sys
# of CMD and its children) to OUT. Without GNU time, cpu is wall.
timed() {
	_out=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@"
		_rc=$?
		awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$tmp/time" >>"$_out"
	else
		_t0=$(date +%s.%N)
		"$@"
		_rc=$?
		_t1=$(date +%s.%N)
		echo "$_t0 $_t1" | awk '{ d = $2 - $1; printf "%.3f %.3f\n", d, d }' >>"$_out"
	fi
	return $_rc
}

# tshark: one process per capture (it reads one file at a time); a script
# file so that /usr/bin/time can run it.
cat >"$tmp/tshark-all.sh" <<'EOS'
while IFS= read -r f; do
	tshark -n -r "$1/caps/$f" -T fields -E separator=, \
		-o tcp.calculate_timestamps:TRUE \
		-e frame.time_epoch -e tcp.len -e ip.dst -e tcp.dstport \
		-e frame.protocols -e tcp.time_delta -e tcp.flags.ack \
		-e tls.record.content_type \
		-e tcp.analysis.retransmission 2>/dev/null
done <"$1/list" >"$1/tshark.csv"
EOS

: >"$tmp/tshark.times"
i=0
while [ "$i" -lt "$trepeat" ]; do
	timed "$tmp/tshark.times" sh "$tmp/tshark-all.sh" "$tmp"
	i=$((i + 1))
done
tpkts=$(wc -l <"$tmp/tshark.csv")

: >"$tmp/eg.times"
i=0
while [ "$i" -lt "$repeat" ]; do
	if ! timed "$tmp/eg.times" "$eg" extract --direction both \
		-o "$tmp/eg.csv" "$tmp/caps" 2>"$tmp/eg.err"; then
		echo "echoguard extract failed:"
		cat "$tmp/eg.err"
		exit 1
	fi
	i=$((i + 1))
done
# Rows minus the header line.
epkts=$(($(wc -l <"$tmp/eg.csv") - 1))

# Best (lowest) wall and cpu of the repetitions.
tw=$(sort -n -k1,1 "$tmp/tshark.times" | head -n 1 | cut -d' ' -f1)
tc=$(sort -n -k2,2 "$tmp/tshark.times" | head -n 1 | cut -d' ' -f2)
ew=$(sort -n -k1,1 "$tmp/eg.times" | head -n 1 | cut -d' ' -f1)
ec=$(sort -n -k2,2 "$tmp/eg.times" | head -n 1 | cut -d' ' -f2)

awk -v n="$n" -v bytes="$bytes" -v tp="$tpkts" -v tw="$tw" -v tc="$tc" \
    -v ep="$epkts" -v ew="$ew" -v ec="$ec" -v rep="$repeat" \
    -v trep="$trepeat" 'BEGIN {
	printf "bench-extract: %d captures, %.1f MB, best of %d (echoguard) / %d (tshark)\n",
	       n, bytes / 1e6, rep, trep
	printf "%-18s %10s %8s %8s %12s %12s\n", "tool", "packets", "wall s",
	       "cpu s", "pkts/s wall", "pkts/s cpu"
	printf "%-18s %10d %8.3f %8.3f %12.0f %12.0f\n", "tshark -T fields",
	       tp, tw, tc, tp / tw, tp / (tc > 0 ? tc : 0.001)
	printf "%-18s %10d %8.3f %8.3f %12.0f %12.0f\n", "echoguard extract",
	       ep, ew, ec, ep / ew, ep / (ec > 0 ? ec : 0.001)
	rw = (ep / ew) / (tp / tw)
	rc = (ep / (ec > 0 ? ec : 0.001)) / (tp / (tc > 0 ? tc : 0.001))
	printf "ratio: %.1fx tshark by wall time, %.1fx by CPU time (goal >= 50x: %s)\n",
	       rw, rc, (rw >= 50) ? "met" : "NOT met by wall time"
}'
if [ "$tpkts" -ne "$epkts" ]; then
	echo "note: tshark printed $tpkts rows, echoguard $epkts"
fi
exit 0
