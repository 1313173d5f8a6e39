#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-learn-record: `echoguard learn record` beside echoguardd in monitor
# mode on a real NFQUEUE. The simulated Echo (talk: a person speaks about
# every 37 s, time compressed 2x) goes through the gateway to its TLS
# server; the recorder runs in the gateway namespace on the device-side
# veth with 4 s segments and a 256 KiB bound, reading the daemon's own
# config (its [device] and [microphone]); the microphone file (standing
# for a sysfs GPIO value file) goes 1 -> 0 -> 1 at known times. Then:
#  1. segments rotated: names increasing, each a readable pcap holding only
#     the device's packets, its first packet not before its name's second;
#  2. the ring: the directory's captures never exceeded --max-disk (sampled
#     every 0.2 s), the oldest segments were deleted and logged;
#  3. mic.csv: exactly the start state and the two toggles, each within
#     0.3 s of when the test wrote the file;
#  4. the daemon (monitor) accepted every queued packet, and the device's
#     TCP packets in all the segments (each hard-linked aside as it
#     appeared, so the ring's deletions do not hide it) equal what the
#     kernel queued to the daemon (offloads off: wire-sized frames);
#     `echoguard replay` of them with mic.csv reads as many packets;
#  5. after SIGTERM: exit 0, no .part left, recording.txt right.
# Usage: e2e-learn-record.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
E=$BUILD/src/echoguard
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
# Wire-sized frames on the veths: with offloads on, libpcap on gw0 sees
# GRO-merged frames (19 of a run merged 46 more segments) where the queue
# gets each segment, and the counts of 4. could not be compared.
command -v ethtool >/dev/null || eg_skip "ethtool missing"
for x in "in_dev dev0" "in_gw gw0" "in_gw gw1" "in_cloud cloud0"; do
	set -- $x
	$1 ethtool -K "$2" gro off gso off tso off >/dev/null 2>&1 ||
		eg_fail "ethtool -K $2: offloads stay on"
done
eg_journald
eg_queue_rule 0 open
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
echo 1 >"$EG_TMP/mic"
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "mode = monitor" "on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
eg_server 4441 "$EG_TMP/srv.jsonl"

REC=$EG_TMP/rec ALL=$EG_TMP/all MAX=262144
mkdir -p "$ALL"
ip netns exec "$EG_GW" "$E" learn record -c "$EG_TMP/eg.ini" -i gw0 --dir "$REC" \
	--segment 4 --max-disk 0.25 --poll 50 2>"$EG_TMP/rec.err" &
RPID=$!
eg_bg $RPID
eg_wait_for grep -q "into $REC" "$EG_TMP/rec.err" || eg_fail "the recorder did not start"
t_start=$(date +%s.%N)

# each segment hard-linked aside as soon as it shows up (.part: the same
# file, renamed later), the directory's total sampled
worst=0 samples=0
watch_dir() {
	local f b base
	for f in "$REC"/seg-*.pcap "$REC"/seg-*.pcap.part; do
		[ -e "$f" ] || continue
		base=$(basename "$f" .part)
		[ -e "$ALL/$base" ] || ln "$f" "$ALL/$base" 2>/dev/null
	done
	b=$(find "$REC" -maxdepth 1 -name 'seg-*.pcap*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	[ "$b" -gt "$worst" ] && worst=$b
	samples=$((samples + 1))
}

eg_live 4441 talk 7 none 60 "$EG_TMP/live.jsonl" &
LIVE=$!
t0=$(date +%s)
t_mute= t_unmute=
while kill -0 $LIVE 2>/dev/null; do
	now=$(date +%s)
	if [ -z "$t_mute" ] && [ "$now" -ge $((t0 + 8)) ]; then
		echo 0 >"$EG_TMP/mic"
		t_mute=$(date +%s.%N)
	elif [ -n "$t_mute" ] && [ -z "$t_unmute" ] && [ "$now" -ge $((t0 + 16)) ]; then
		echo 1 >"$EG_TMP/mic"
		t_unmute=$(date +%s.%N)
	fi
	watch_dir
	sleep 0.2
done
wait $LIVE
sleep 1.5
watch_dir
kill -TERM $RPID
wait $RPID
rc=$?
watch_dir
eg_log "recorder: $(tail -1 "$EG_TMP/rec.err")"
check "learn record: exit 0 on SIGTERM" test "$rc" -eq 0
check "the simulated device talked ($(eg_count_log "$EG_TMP/live.jsonl" send) sends)" \
	test "$(eg_count_log "$EG_TMP/live.jsonl" send)" -gt 10

# 1. segments
/usr/bin/python3 "$EG_SRC/tests/e2e/learn-segments.py" "$REC" --device $EG_DEV_IP \
	>"$EG_TMP/kept.txt" 2>"$EG_TMP/kept.err"
check "kept segments: readable pcaps of the device's packets, names increasing, first packets not before their names, no .part ($(cat "$EG_TMP/kept.err"))" test $? -eq 0
/usr/bin/python3 "$EG_SRC/tests/e2e/learn-segments.py" "$ALL" --device $EG_DEV_IP \
	>"$EG_TMP/all.txt" 2>"$EG_TMP/all.err"
check "every segment ever written: the same ($(cat "$EG_TMP/all.err"))" test $? -eq 0
n_all=$(grep -c '^seg-' "$EG_TMP/all.txt")
n_kept=$(grep -c '^seg-' "$EG_TMP/kept.txt")
eg_log "segments: $n_all written, $n_kept kept; the directory's worst total $worst of $MAX bytes ($samples samples)"
check "segments rotated ($n_all written)" test "$n_all" -ge 5
# every packet of a segment within --segment seconds of its name
long=$(awk '/^seg-/ && $7 >= $2 + 4 { n++ } END { print n + 0 }' "$EG_TMP/all.txt")
check "no segment longer than --segment ($long)" test "$long" -eq 0

# 2. the ring
n_del=$(grep -c ': deleted seg-' "$EG_TMP/rec.err")
check "the captures never exceeded --max-disk ($worst <= $MAX)" test "$worst" -le "$MAX" -a "$samples" -ge 50
check "oldest segments deleted and logged ($n_del = $n_all - $n_kept)" \
	test "$n_del" -gt 0 -a "$n_del" -eq $((n_all - n_kept))
first_kept=$(awk '/^seg-/ { print $2; exit }' "$EG_TMP/kept.txt")
check "what was deleted is older than what was kept" \
	test "$(sed -n 's/.*deleted seg-\([0-9]*\)\.pcap.*/\1/p' "$EG_TMP/rec.err" | sort -n | tail -1)" -lt "$first_kept"
kept_bytes=$(awk '/^seg-/ { s += $6 } END { print s + 0 }' "$EG_TMP/kept.txt")
check "kept segments within the bound ($kept_bytes <= $MAX)" test "$kept_bytes" -le "$MAX"

# 3. the microphone timeline
grep -v '^#' "$REC/mic.csv" >"$EG_TMP/mic.lines"
eg_log "mic.csv: $(tr '\n' ' ' <"$EG_TMP/mic.lines"); written at $t_start (start) $t_mute (0) $t_unmute (1)"
check "mic.csv: three lines, states 1 0 1" test "$(cut -d, -f2 "$EG_TMP/mic.lines" | tr -d '\n')" = 101
near() { # near T_LINE T_WRITTEN: |line - written| <= 0.3 s
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d <= 0.3 && d >= -0.3) }'
}
l1=$(sed -n 1p "$EG_TMP/mic.lines" | cut -d, -f1)
l2=$(sed -n 2p "$EG_TMP/mic.lines" | cut -d, -f1)
l3=$(sed -n 3p "$EG_TMP/mic.lines" | cut -d, -f1)
check "mic.csv: the start line before the recording began ($l1 <= $t_start)" \
	awk -v a="$l1" -v b="$t_start" 'BEGIN { exit !(a <= b) }'
check "mic.csv: muted within 0.3 s ($l2 vs $t_mute)" near "$l2" "$t_mute"
check "mic.csv: listening again within 0.3 s ($l3 vs $t_unmute)" near "$l3" "$t_unmute"

# 4. what the daemon saw
sleep 1.2
idseq=$(eg_kcounters | awk '$1 == 0 { print $5 }')
waiting=$(eg_kwaiting)
eg_journald
kill -TERM $DPID
wait $DPID
sleep 0.5
pk=$(eg_jfield $DPID EG_PACKETS)
acc=$(eg_jfield $DPID EG_VERDICTS_ACCEPT)
drp=$(eg_jfield $DPID EG_VERDICTS_DROP)
tcp_all=$(awk '$1 == "total" { print $3 }' "$EG_TMP/all.txt")
n_pk=$(awk '$1 == "total" { print $2 }' "$EG_TMP/all.txt")
eg_log "kernel queued $idseq, waiting $waiting; daemon: packets $pk accept $acc drop $drp; recorded TCP packets $tcp_all"
check "monitor: the daemon accepted every packet ($acc of $pk, $drp dropped)" \
	test -n "$pk" -a "$acc" = "$pk" -a "$drp" = 0 -a "$waiting" = 0
check "the daemon saw every queued packet ($pk = $idseq)" test "$pk" = "$idseq"
check "recorded TCP packets = queued to the daemon ($tcp_all = $idseq)" test "$tcp_all" = "$idseq"
"$E" replay -c "$EG_TMP/eg.ini" --mic "$REC/mic.csv" --summary --json "$ALL" \
	>"$EG_TMP/replay.json" 2>"$EG_TMP/replay.err"
check "replay reads the segments with mic.csv" test $? -eq 0
rp=$(/usr/bin/python3 -c 'import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print(s.get("packets", ""))' "$EG_TMP/replay.json" 2>/dev/null)
check "replay counts the same packets ($rp = $n_pk, ARP included)" test "$rp" = "$n_pk"

# 5. recording.txt
r() { sed -n "s/^$1=//p" "$REC/recording.txt"; }
check "recording.txt: devices, interface, segment, max_disk" \
	test "$(r devices) $(r interface) $(r segment) $(r max_disk)" = "$EG_DEV_IP gw0 4 $MAX"
st=$(r started)
check "recording.txt: started ($st, the recorder said it started at $t_start), version" \
	test "$st" -le "${t_start%.*}" -a "$st" -ge $((${t_start%.*} - 3)) -a -n "$(r version)"
[ "${EG_FAILED:-0}" = 0 ] || { cat "$EG_TMP/rec.err" >&2; eg_fail "$EG_FAILED checks failed"; }
echo "PASS"
