#!/bin/bash
# SPDX-License-Identifier: MIT
# `echoguard learn record` without the daemon: bad input, then a recording
# on the loopback of a network namespace this test creates and deletes.
#  - usage errors exit 2 and name the option (missing --dir, -i, the
#    microphone, the device; bad --segment, --max-disk, --poll, --device,
#    an unreadable -c); runtime errors exit 1 and name the interface or
#    the directory;
#  - a recording of a device (127.0.0.2) beside another host (127.0.0.3):
#    segments rotate (names increasing, each a readable pcap of the
#    device's packets only, first packet not before its name), the oldest
#    are deleted (logged) and the directory never holds more than
#    --max-disk, no .part after SIGTERM;
#  - the microphone source missing at start: a '#' line once, the on_error
#    state, then "readable again" and the toggles;
#  - a second run in the same directory: a stale .part of a crashed run is
#    renamed to .pcap, mic.csv keeps its lines, recording.txt is rewritten.
# usage: tests/cli-learn-record.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg=$build/src/echoguard
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "SKIP: ip netns unavailable"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }
ns=eg-lrec-$$
tmp=$(mktemp -d /tmp/eg-lrec.XXXXXX)
rec=
cleanup() {
	[ -n "$rec" ] && kill "$rec" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
check() { if "${@:2}" >/dev/null 2>&1; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi; }
nsx() { ip netns exec $ns "$@"; }

ip netns add $ns || { echo "FAIL: ip netns add"; exit 1; }
nsx ip link set lo up

# exits CODE with a message containing WHAT: refused CODE WHAT ARGS...
refused() {
	local code=$1 what=$2
	shift 2
	nsx "$eg" learn record "$@" >/dev/null 2>"$tmp/err" </dev/null
	local rc=$?
	[ "$rc" = "$code" ] && grep -qF -- "$what" "$tmp/err" ||
		{ echo "    exit $rc: $(cat "$tmp/err" | head -3)"; return 1; }
}
echo 1 >"$tmp/mic"
ok=(--mic "$tmp/mic" -i lo --device 127.0.0.2)
check "no --dir: exit 2, says --dir" refused 2 "--dir" "${ok[@]}"
check "no -i: exit 2, says -i" refused 2 "-i IFACE" --mic "$tmp/mic" --dir "$tmp/x"
check "no microphone: exit 2, says so" refused 2 "no microphone" -i lo --device 127.0.0.2 --dir "$tmp/x"
check "no device: exit 2, says so" refused 2 "no device" --mic "$tmp/mic" -i lo --dir "$tmp/x"
for s in 0 1.5 abc -3 ""; do
	check "--segment '$s': exit 2" refused 2 "--segment $s" "${ok[@]}" --dir "$tmp/x" --segment "$s"
done
for m in 0 -1 nan 1e400 0.01 5x; do
	check "--max-disk '$m': exit 2" refused 2 "--max-disk $m" "${ok[@]}" --dir "$tmp/x" --max-disk "$m"
done
check "--poll 5: exit 2" refused 2 "--poll 5" "${ok[@]}" --dir "$tmp/x" --poll 5
check "--duration nan: exit 2" refused 2 "--duration nan" "${ok[@]}" --dir "$tmp/x" --duration nan
check "--device 300.1.1.1: exit 2" refused 2 "--device 300.1.1.1" --mic "$tmp/mic" -i lo --device 300.1.1.1 --dir "$tmp/x"
check "-c missing file: exit 2, names it" refused 2 "$tmp/none.ini" -c "$tmp/none.ini" -i lo --dir "$tmp/x"
check "unknown interface: exit 1, names it" refused 1 "eg-nope0" "${ok[@]}" -i eg-nope0 --dir "$tmp/x"
check "directory that cannot be made: exit 1, names it" refused 1 "/dev/null/rec" "${ok[@]}" --dir /dev/null/rec
check "nothing created by refused runs" test ! -e "$tmp/x"
printf '[device]\naddress = 127.0.0.2\n[microphone]\nsource = file\npath = %s\n' "$tmp/mic" >"$tmp/eg.ini"
check "-c: devices and microphone from the config" \
	nsx "$eg" learn record -c "$tmp/eg.ini" -i lo --dir "$tmp/cfg" --duration 0.3
check "-c: recording.txt names the config's device" grep -qx "devices=127.0.0.2" "$tmp/cfg/recording.txt"

# The recording: the microphone file is missing at first.
dir=$tmp/rec max=131072
rm -f "$tmp/mic"
ip netns exec $ns "$eg" learn record --mic "$tmp/mic" -i lo --device 127.0.0.2 \
	--dir "$dir" --segment 2 --max-disk 0.125 --poll 50 2>"$tmp/rec.err" &
rec=$!
sleep 0.7
echo 1 >"$tmp/mic"
# about 40 KB/s from 127.0.0.1 to the device (and the ICMP answers), a
# trickle to the other host
nsx /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.time()
while time.time() - t0 < 7:
    s.sendto(b"d" * 400, ("127.0.0.2", 9))
    s.sendto(b"o" * 400, ("127.0.0.3", 9))
    time.sleep(0.025)' &
send=$!
worst=0 samples=0 t_end=$(($(date +%s) + 7))
while [ "$(date +%s)" -le "$t_end" ]; do
	[ "$(date +%s)" -eq $((t_end - 4)) ] && [ ! -s "$tmp/muted" ] && { echo 0 >"$tmp/mic"; echo x >"$tmp/muted"; }
	b=$(find "$dir" -maxdepth 1 -name 'seg-*.pcap*' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	[ "$b" -gt "$worst" ] && worst=$b
	samples=$((samples + 1))
	sleep 0.1
done
wait $send
kill -TERM $rec
wait $rec
rc=$?
rec=
check "SIGTERM: exit 0" test "$rc" = 0
echo "# worst total $worst of $max bytes over $samples samples"
check "the captures never held more than --max-disk ($worst <= $max)" test "$worst" -le "$max" -a "$samples" -ge 30
check "the ring was used ($worst > $max / 2)" test "$worst" -gt $((max / 2))
nsx /usr/bin/python3 "$here/e2e/learn-segments.py" "$dir" --device 127.0.0.2 >"$tmp/segs" 2>"$tmp/segs.err"
check "segments: readable, the device's only, names increasing, no .part ($(cat "$tmp/segs.err"))" test $? = 0
nseg=$(grep -c '^seg-' "$tmp/segs")
ndel=$(grep -c ': deleted seg-' "$tmp/rec.err")
check "segments kept ($nseg) and deleted ($ndel)" test "$nseg" -ge 2 -a "$ndel" -ge 2
oldest_kept=$(awk 'NR == 1 { print $2 }' "$tmp/segs")
newest_del=$(sed -n 's/.*deleted seg-\([0-9]*\)\.pcap.*/\1/p' "$tmp/rec.err" | sort -n | tail -1)
check "the oldest were deleted ($newest_del < $oldest_kept)" test "$newest_del" -lt "$oldest_kept"
check "each deleted segment is gone" sh -c "! ls '$dir'/seg-$newest_del.pcap"
grep -v '^#' "$dir/mic.csv" | cut -d, -f2 | tr '\n' ' ' >"$tmp/states"
check "mic.csv: on_error (0), then 1, then 0 ($(cat "$tmp/states"))" test "$(cat "$tmp/states")" = "0 1 0 "
check "mic.csv: one 'unreadable' comment" test "$(grep -c '^# .* microphone unreadable' "$dir/mic.csv")" = 1
check "mic.csv: 'readable again'" grep -q '^# .* microphone readable again' "$dir/mic.csv"
check "mic.csv: EPOCH.mmm,STATE lines" test "$(grep -v '^#' "$dir/mic.csv" | grep -cvE '^[0-9]{10}\.[0-9]{3},[01]$')" = 0
check "recording.txt" sh -c "grep -qx 'interface=lo' '$dir/recording.txt' && grep -qx 'segment=2' '$dir/recording.txt' && grep -qx 'max_disk=$max' '$dir/recording.txt' && grep -qx 'devices=127.0.0.2' '$dir/recording.txt'"
started1=$(sed -n 's/^started=//p' "$dir/recording.txt")

# A crashed run's part (its last record cut short), then a second run.
oldest=$(ls "$dir" | grep '^seg-' | head -1)
head -c -7 "$dir/$oldest" >"$dir/seg-$((oldest_kept - 1)).pcap.part"
lines=$(wc -l <"$dir/mic.csv")
sleep 1
nsx "$eg" learn record --mic "$tmp/mic" -i lo --device 127.0.0.2 --dir "$dir" \
	--segment 2 --max-disk 1 --duration 0.5 2>"$tmp/rec2.err"
check "second run: exit 0" test $? = 0
check "second run: the stale part is now seg-$((oldest_kept - 1)).pcap" \
	sh -c "test -s '$dir/seg-$((oldest_kept - 1)).pcap' && ! ls '$dir'/*.part"
check "second run: says it kept an unfinished segment" grep -q "1 unfinished segment" "$tmp/rec2.err"
check "second run: mic.csv appended, not rewritten" test "$(head -n "$lines" "$dir/mic.csv" | wc -l)" = "$lines" -a "$(wc -l <"$dir/mic.csv")" -gt "$lines"
check "second run: recording.txt rewritten" test "$(sed -n 's/^started=//p' "$dir/recording.txt")" -gt "$started1"
check "second run: the old segments are still there" test "$(ls "$dir" | grep -c '^seg-')" -eq $((nseg + 1))
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
