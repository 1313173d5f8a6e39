#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-budget: the muted leak budget in the real daemon. The microphone is
# muted and the forest is told to drop nothing (drop_classes = none), so
# every upload is accepted by the policy: only the budget stands between
# the device and the cloud. The device sends 16 flows of 200-byte
# TLS-looking segments, 600 in 6 s (120 KB); the cloud may receive at
# most muted_budget = 3072 payload bytes of them plus what refills in
# those seconds (3072 x 7 / 60: 3430 bytes, 17 segments of 200), and
# journald counts the rest (EG_REASON_BUDGET, EG_BUDGET_*).
# Usage: e2e-budget.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
eg_daemon_setup "$1"
eg_journald
eg_config "$EG_TMP/eg.ini" "[daemon]" "queues = 0" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" "[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = fixed" "value = muted" \
	"[policy]" "drop_classes = none" "muted_budget = 3072" "on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
E=$BUILD/tests/e2e/egpkt
ip netns exec "$EG_CLOUD" "$E" recv --dev cloud0 --dport 4433 --seconds 3 \
	>"$EG_TMP/recv.out" 2>&1 &
RPID=$!
eg_bg $RPID
in_cloud iptables -A INPUT -p tcp --dport 4433 -j DROP
sleep 0.3
in_dev "$E" send --src $EG_DEV_IP --dst $EG_CLOUD_IP --dport 4433 \
	--rate 100 --count 600 --flows 16 --payload 200 >"$EG_TMP/send.out"
wait $RPID
got=$(awk '/^received/ { print $2 }' "$EG_TMP/recv.out")
eg_log "$(cat "$EG_TMP/send.out"); cloud: $(cat "$EG_TMP/recv.out")"
check "the cloud got at most 3430 payload bytes (${got:-0} segments of 200 B)" \
	test "${got:-0}" -le 17 -a "${got:-0}" -ge 15
eg_journald
sleep 1.5
over=$(eg_jfield $DPID EG_BUDGET_OVER_PACKETS)
reason=$(eg_jfield $DPID EG_REASON_BUDGET)
bytes=$(eg_jfield $DPID EG_BUDGET_BYTES)
eg_log "journald: EG_BUDGET_BYTES $bytes EG_BUDGET_OVER_PACKETS $over EG_REASON_BUDGET $reason"
check "journald: budget bytes <= 3430 ($bytes = what the cloud got)" \
	test "${bytes:-9999}" -le 3430 -a "${bytes:-0}" = "$((${got:-0} * 200))"
check "journald: the rest refused and counted ($over = $reason, >= 580)" \
	test "${over:-0}" = "${reason:-x}" -a "${over:-0}" -ge 580
kill $DPID
wait $DPID 2>/dev/null
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
