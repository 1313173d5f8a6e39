#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-enforce: echoguardd enforcing on a real NFQUEUE between a simulated
# Echo (device namespace) and TLS servers (cloud namespace).
#  1. microphone 0: the device's keep-alives, TLS handshakes and ACKs reach
#     the server; injected voice-like and bulk uploads do not, not even
#     their TCP retransmissions (checked on the cloud's wire with tshark
#     against the daemon's own drop events);
#  2. microphone 1 with interactions: the voice uploads reach the server;
#  3. the daemon saw wire-sized packets (GSO segmented by the kernel);
#  4. the kernel's queue counters show no packet left without a verdict
#     and match the daemon's; journald holds the structured fields.
# drop_classes = not_justified: the test is about the daemon, not about
# how well the model tells "justified" (mic on, nobody spoke) from
# "expected" app data -- with that class dropped too, a voice record the
# model calls justified would stall the upload (docs/model-card.md has the
# model's false-block rate).
# Usage: e2e-enforce.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
command -v tshark >/dev/null || eg_skip "tshark not installed"
eg_setup
eg_journald
eg_log "queue backend: $(eg_queue_backend)"
eg_queue_rule 0 open
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
echo 0 >"$EG_TMP/mic"
# min_confidence 0.5: the daemon's mechanics are tested here, with a small
# 30-tree model of four simulated captures that is less sure of itself than
# the shipped one (whose rates test-model-default and the model card check).
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "drop_classes = not_justified" "min_confidence = 0.5" "on_drop = packet" \
	"[log]" "level = debug" "drop_event_rate = 100000"
"$BUILD/src/echoguardd" --check-config -c "$EG_TMP/eg.ini" >/dev/null ||
	eg_fail "config rejected"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID

eg_server 4431 "$EG_TMP/ka.jsonl"
eg_server 4432 "$EG_TMP/voice.jsonl"
eg_server 4433 "$EG_TMP/bulk.jsonl"
ip netns exec "$EG_CLOUD" tshark -q -i cloud0 -f "tcp and src host $EG_DEV_IP" \
	-w "$EG_TMP/cloud.pcapng" >/dev/null 2>&1 &
TSHARK=$!
eg_bg $TSHARK
sleep 2

# 1. muted: three simulated devices at once (keep-alives only; injected
# voice; injected bulk), time compressed 2x.
eg_live 4431 muted 11 none 60 "$EG_TMP/ka.cli.jsonl" --param ka_period=10 &
P1=$!
eg_live 4432 muted 12 voice 60 "$EG_TMP/voice.cli.jsonl" --param inject_period=15 --param ka_period=1000 &
P2=$!
eg_live 4433 muted 13 bulk 60 "$EG_TMP/bulk.cli.jsonl" --param inject_period=15 --param bulk_bytes=100000 --param ka_period=1000 &
P3=$!
wait $P1 $P2 $P3

ka_sent=$(eg_sum_log "$EG_TMP/ka.cli.jsonl" send keepalive)
ka_got=$(eg_sum_log "$EG_TMP/ka.jsonl" msg keepalive)
v_sent=$(eg_sum_log "$EG_TMP/voice.cli.jsonl" send inject_voice)
v_got=$(eg_sum_log "$EG_TMP/voice.jsonl" msg inject_voice)
b_sent=$(eg_sum_log "$EG_TMP/bulk.cli.jsonl" send inject_bulk)
b_got=$(eg_sum_log "$EG_TMP/bulk.jsonl" msg inject_bulk)
opens=$(cat "$EG_TMP"/{ka,voice,bulk}.cli.jsonl | grep -c '"ev": "open"')
accepts=$(cat "$EG_TMP"/{ka,voice,bulk}.jsonl | grep -c '"ev": "accept"')
eg_log "muted: keep-alive bytes sent $ka_sent got $ka_got; voice sent $v_sent got $v_got; bulk sent $b_sent got $b_got; TLS opens $opens handshakes done $accepts"
check "muted: keep-alives were sent" test "$ka_sent" -gt 0
check "muted: every keep-alive byte reached the server" test "$ka_got" -eq "$ka_sent"
check "muted: every TLS handshake completed ($accepts/$opens)" test "$accepts" -eq "$opens" -a "$opens" -ge 3
check "muted: injected voice was sent" test "$v_sent" -gt 0
check "muted: no injected voice byte reached the server" test "$v_got" -eq 0
check "muted: injected bulk was sent" test "$b_sent" -gt 0
check "muted: no injected bulk byte reached the server" test "$b_got" -eq 0

# Retransmissions of dropped segments: the daemon's drop events name the
# (source port, sequence) of every dropped segment; none of them may be
# on the cloud's wire, and the daemon must have dropped retransmissions.
sleep 2
journalctl --no-pager -o json --since "@$EG_DAEMON_T0" _PID=$DPID EG_EVENT=drop 2>/dev/null |
	/usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if int(r.get("EG_LEN", 0)) > 0:
        print(r["EG_SPORT"], r["EG_SEQ"], r["EG_REASON"])' | sort -u >"$EG_TMP/drops.txt"
ndrops=$(wc -l <"$EG_TMP/drops.txt")
nretrans=$(grep -c dropped_range "$EG_TMP/drops.txt" || true)
check "muted: drop events logged ($ndrops)" test "$ndrops" -gt 0
check "muted: retransmissions of dropped segments were dropped ($nretrans)" test "$nretrans" -gt 0
kill -TERM $TSHARK 2>/dev/null
wait $TSHARK 2>/dev/null
tshark -r "$EG_TMP/cloud.pcapng" -Y "tcp.len > 0" -T fields \
	-e tcp.srcport -e tcp.seq_raw 2>/dev/null | sort -u >"$EG_TMP/wire.txt"
leaked=$(awk '{ print $1, $2 }' "$EG_TMP/drops.txt" | sort -u |
	comm -12 - "$EG_TMP/wire.txt" | wc -l)
check "muted: no dropped segment (nor its retransmission) on the cloud's wire ($leaked leaked of $ndrops)" test "$leaked" -eq 0
check "muted: the cloud saw the device's payload at all" test -s "$EG_TMP/wire.txt"

# 2. listening, a person talks: voice uploads get through.
echo 1 >"$EG_TMP/mic"
sleep 0.3
eg_server 4434 "$EG_TMP/talk.jsonl"
eg_live 4434 talk 14 none 90 "$EG_TMP/talk.cli.jsonl"
t_sent=$(eg_sum_log "$EG_TMP/talk.cli.jsonl" send voice)
t_got=$(eg_sum_log "$EG_TMP/talk.jsonl" msg voice)
r_got=$(eg_sum_log "$EG_TMP/talk.cli.jsonl" recv "*")
t_err=$(eg_count_log "$EG_TMP/talk.cli.jsonl" error)
eg_log "listening: voice bytes sent $t_sent got $t_got; response bytes received $r_got; errors $t_err"
check "listening: voice was sent" test "$t_sent" -gt 0
check "listening: every voice byte reached the server ($t_got of $t_sent)" \
	test "$t_got" -eq "$t_sent"
check "listening: responses downloaded (the device's ACKs pass)" test "$r_got" -gt 0

# 3, 4: kernel counters and journald.
sleep 1.5
waiting=$(eg_kwaiting)
idseq=$(eg_kcounters | awk '$1 == 0 { print $5 }')
kdrop=$(eg_kcounters | awk '$1 == 0 { print $3 + $4 }')
eg_journald
kill -TERM $DPID
wait $DPID
rc=$?
check "SIGTERM: echoguardd exits 0" test "$rc" -eq 0
sleep 0.5
pk=$(eg_jfield $DPID EG_PACKETS)
acc=$(eg_jfield $DPID EG_VERDICTS_ACCEPT)
drp=$(eg_jfield $DPID EG_VERDICTS_DROP)
rep=$(eg_jfield $DPID EG_VERDICTS_REPEAT)
lost=$(eg_jfield $DPID EG_LOST)
maxlen=$(eg_jfield $DPID EG_MAX_PACKET_LEN)
over=$(eg_jfield $DPID EG_OVERSIZED_PACKETS)
eg_log "kernel: waiting $waiting, id_sequence $idseq, kernel drops $kdrop; daemon: packets $pk accept $acc drop $drp repeat $rep lost $lost max len $maxlen"
check "kernel: no packet waiting for a verdict" test "$waiting" -eq 0
check "kernel: no packet dropped by the queue" test "$kdrop" -eq 0
check "every queued packet reached the daemon (EG_PACKETS = id_sequence)" test "$pk" = "$idseq"
check "every packet got exactly one verdict" test "$((acc + drp + rep))" = "$pk"
check "no message lost" test "$lost" = 0
check "wire-sized packets only (max $maxlen <= 1500, GSO segmented)" \
	test "$maxlen" -le 1500 -a "$over" = 0
for f in EG_ACCEPTED EG_DROPPED EG_CLASS_NOT_JUSTIFIED EG_CLASS_EXPECTED \
	 EG_REASON_CLASS_DROP EG_REASON_DROPPED_RANGE EG_PARSE_ERRORS \
	 EG_FLOWS_ACTIVE EG_FLOWS_EVICTED EG_KERNEL_WAITING \
	 EG_KERNEL_QUEUE_DROPPED EG_KERNEL_USER_DROPPED EG_MIC; do
	v=$(eg_jfield $DPID $f)
	check "journald: $f=$v" test -n "$v"
done
check "journald: EG_DROPPED > 0" test "$(eg_jfield $DPID EG_DROPPED)" -gt 0
check "journald: EG_CLASS_NOT_JUSTIFIED > 0" test "$(eg_jfield $DPID EG_CLASS_NOT_JUSTIFIED)" -gt 0
check "journald: periodic entries (>= 5)" test "$(eg_jcount $DPID stats)" -ge 5
check "journald: MESSAGE readable" \
	sh -c "journalctl --no-pager -o cat --since @$EG_DAEMON_T0 _PID=$DPID EG_EVENT=stats | tail -1 | grep -q 'packets ('"
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo "PASS"
