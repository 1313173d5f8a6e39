#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-flowmark: on_drop = flow with the rules of packaging/rules. When the
# daemon drops a packet it answers NF_REPEAT with the packet mark
# flow_mark; the shipped rules save it to the connection and reject the
# packet and the rest of that connection with a TCP reset, in the kernel.
# Checked: the muted device's injected upload connection is reset (the
# client sees an error), the server gets none of its bytes, the daemon
# gave REPEAT verdicts and saw no marked packet come back.
# Usage: e2e-flowmark.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_journald
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
# The shipped rules, with the test's device address.
sed "s/192.168.86.40/$EG_DEV_IP/" "$EG_SRC/packaging/rules/echoguard.rules" |
	in_gw iptables-restore --noflush || eg_fail "iptables-restore of packaging/rules"
echo 0 >"$EG_TMP/mic"
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "on_drop = flow" "flow_mark = 0x4547"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
eg_server 4432 "$EG_TMP/voice.jsonl"
in_dev timeout 120 /usr/bin/python3 "$EG_SIM" live --server "$EG_CLOUD_IP:4432" \
	--scenario muted --seed 12 --inject voice --duration 40 --speed 2 \
	--param inject_period=10 --mic-file "$EG_TMP/mic" \
	--log "$EG_TMP/voice.cli.jsonl" 2>/dev/null
v_sent=$(eg_sum_log "$EG_TMP/voice.cli.jsonl" send inject_voice)
v_got=$(eg_sum_log "$EG_TMP/voice.jsonl" msg inject_voice)
errors=$(grep '"ev": "error"' "$EG_TMP/voice.cli.jsonl" | head -3)
rejected=$(in_gw iptables -L FORWARD -v -x -n | awk '/REJECT/ { print $1 }')
sleep 1.5
eg_journald
kill -TERM $DPID
wait $DPID
sleep 0.5
rep=$(eg_jfield $DPID EG_VERDICTS_REPEAT)
loops=$(eg_jfield $DPID EG_MARK_LOOPS)
fd=$(eg_jfield $DPID EG_REASON_FLOW_DROPPED)
eg_log "voice sent $v_sent got $v_got; REJECT rule hits $rejected; REPEAT verdicts $rep; mark loops $loops; client errors: $errors"
check "injected voice was sent" test "$v_sent" -gt 0
check "no injected byte reached the server" test "$v_got" -eq 0
check "the daemon answered drops with REPEAT + mark ($rep)" test "$rep" -gt 0
check "the kernel rules rejected the connection ($rejected packets)" test "$rejected" -gt 0
check "the client saw the connection reset" sh -c "grep -q '\"ev\": \"error\"' '$EG_TMP/voice.cli.jsonl'"
check "no marked packet came back to the queue ($loops)" test "$loops" = 0
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
