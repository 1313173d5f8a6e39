#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-learn-install: `echoguard learn install|rollback` against a running
# echoguardd on a real NFQUEUE (enforce, microphone muted, a simulated Echo
# injecting one voice-like upload per phase on its own connection).
#  - model A, [model] path (the "shipped" one here), blocks the upload;
#  - `learn install` of a corrupt file is refused, nothing is touched;
#  - `learn install B` (B trained without any muted rows: it never says
#    not_justified) -> the daemon reloads, status says learned, and the
#    next upload reaches the cloud;
#  - `learn install A2` keeps B as .prev; `learn rollback` brings B back;
#  - a corrupt learned file put in place by hand + SIGHUP -> the daemon
#    warns naming the file, runs the shipped model A (the upload is
#    blocked again) and keeps running; status says shipped, and why;
#  - a reload the daemon refuses, and a rollback to a .prev that does not
#    load: exit 1 with the daemon's reason;
#  - `learn rollback` without .prev removes the learned file: shipped;
#  - `learn install` with no daemon: installed, exit 3.
# Usage: e2e-learn-install.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
E=$BUILD/src/echoguard
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
"$E" learn 2>&1 | grep -q "^  install" || eg_skip "echoguard built without learn install (libsystemd)"
eg_setup
eg_journald
eg_queue_rule 0 open
eg_model "$BUILD" "$EG_TMP/a.egf"
M=$EG_TMP/model
"$E" train --trees 10 --seed 2 --split none --features shape -o "$EG_TMP/b.egf" \
	"$M/idle.csv" "$M/talk.csv" >/dev/null 2>&1 || eg_fail "model B"
"$E" train --trees 12 --seed 3 --split none --features shape -o "$EG_TMP/a2.egf" \
	"$M/idle.csv" "$M/talk.csv" "$M/muted.csv" >/dev/null 2>&1 || eg_fail "model A2"
head -c 400 "$EG_TMP/a.egf" >"$EG_TMP/corrupt.egf"
eg_cert "$EG_TMP/cert"
echo 0 >"$EG_TMP/mic"
L=$EG_TMP/lib/learned.egf
# muted_budget = 0 and upload_packets = 0 (per-packet verdicts): the
# model alone decides. The budget would block the upload whatever the
# model says, and so would the upload-level rule for muted app data that
# the model does not confidently call a protocol class (policy.c,
# muted_proba); per packet, a model without not_justified drops nothing.
# The rest as e2e-status.
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/a.egf" "learned = $L" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "drop_classes = not_justified" "min_confidence = 0.5" \
	"on_drop = packet" "muted_budget = 0" "upload_packets = 0"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
LEARN=("$E" learn)
OPT=(-c "$EG_TMP/eg.ini" --pid "$DPID")
# replay_drops: packets `echoguard replay -c` (no --model: the daemon's
# choice) drops in a simulated muted capture with bulk uploads (the
# simulator's device: src/sim/echomodel.py DEVICE_IP); its stderr in
# $EG_TMP/replay.err.
replay_drops() {
	"$E" replay -c "$EG_TMP/eg.ini" --mic off --summary --json \
		--device 192.168.86.40 "$M/sim-muted-4.pcapng" 2>"$EG_TMP/replay.err" | /usr/bin/python3 -c '
import json, sys
print([json.loads(l) for l in sys.stdin if l.strip()][-1]["dropped"])'
}
jstatus() { # jstatus FIELD: a field of `echoguard status --json`
	"$E" status --json --pid "$DPID" | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# phase N PORT: one muted device injecting one voice upload; prints
# "sent got" (bytes of the upload the device sent, the cloud received).
phase() {
	local port=$1
	eg_server "$port" "$EG_TMP/s$port.jsonl"
	eg_live "$port" muted "$port" voice 24 "$EG_TMP/d$port.jsonl" \
		--param inject_period=14 --param ka_period=1000
	sleep 1
	echo "$(eg_sum_log "$EG_TMP/d$port.jsonl" send inject_voice)" \
		"$(eg_sum_log "$EG_TMP/s$port.jsonl" msg inject_voice)"
}

check "start: the shipped model (no learned file)" grep -q "(shipped, 30 trees)" "$EG_TMP/daemon.log"
drops_a=$(replay_drops)
read -r sent got < <(phase 4451)
eg_log "model A (shipped): upload $sent bytes sent, $got received"
check "shipped model A blocks the muted upload ($got of $sent)" test "$sent" -gt 0 -a "$got" -eq 0

out=$("${LEARN[@]}" install "$EG_TMP/corrupt.egf" "${OPT[@]}" 2>&1)
rc=$?
eg_log "install corrupt: rc $rc: $out"
check "install of a corrupt file: refused (exit 1)" test $rc -eq 1
check "install of a corrupt file: the message names it" grep -q "corrupt.egf" <<<"$out"
check "install of a corrupt file: nothing touched" test ! -e "$L" -a ! -e "$L.prev" -a ! -e "$L.info"

t0=$(date +%s%N)
out=$("${LEARN[@]}" install "$EG_TMP/b.egf" "${OPT[@]}" 2>&1)
rc=$?
eg_log "install B: rc $rc in $((($(date +%s%N) - t0) / 1000000)) ms: $out"
check "install B: exit 0, confirmed by the daemon" test $rc -eq 0
check "install B: the daemon runs the learned model" grep -q "runs the learned model $L" <<<"$out"
check "install B: the learned file is B" cmp -s "$L" "$EG_TMP/b.egf"
check "install B: readable by the daemon's user (0644)" test "$(stat -c %a "$L")" = 644
check "install B: .info has the CRC and the source" \
	grep -q "^source=$EG_TMP/b.egf" "$L.info"
check "install B: daemon log: reloaded with the learned model" \
	grep -q "reloaded .*model $L (learned, 10 trees)" "$EG_TMP/daemon.log"
check "status --json: model_kind learned" test "$(jstatus model_kind)" = learned
check "status --json: model is the learned file" test "$(jstatus model)" = "$L"
"$E" status --pid "$DPID" | grep -q "^model: *$L (learned, 10 trees" 
check "status (text): the learned model" test $? -eq 0
drops_b=$(replay_drops)
eg_log "replay -c of a muted capture: $drops_a packets dropped with the shipped model, $drops_b with the learned one"
check "replay -c: the learned model, as the daemon" grep -q "the learned model $L" "$EG_TMP/replay.err"
check "replay -c: the shipped model dropped, the learned one did not" test "$drops_a" -gt 0 -a "$drops_b" -eq 0
read -r sent got < <(phase 4452)
eg_log "model B (learned): upload $sent bytes sent, $got received"
check "learned model B lets the upload through ($got of $sent)" test "$sent" -gt 0 -a "$got" -eq "$sent"
check "journal statistics entry: EG_MODEL_KIND=learned" test "$(eg_jfield "$DPID" EG_MODEL_KIND)" = learned

out=$("${LEARN[@]}" install "$EG_TMP/a2.egf" "${OPT[@]}" 2>&1)
rc=$?
eg_log "install A2: rc $rc: $out"
check "install A2: exit 0" test $rc -eq 0
check "install A2: B kept as .prev" cmp -s "$L.prev" "$EG_TMP/b.egf"
check "install A2: the daemon runs 12 trees" grep -q "model $L (learned, 12 trees)" "$EG_TMP/daemon.log"

out=$("${LEARN[@]}" rollback "${OPT[@]}" 2>&1)
rc=$?
eg_log "rollback: rc $rc: $out"
check "rollback: exit 0, confirmed" test $rc -eq 0 -a -n "$(grep "runs the learned model" <<<"$out")"
check "rollback: B is the learned model again" cmp -s "$L" "$EG_TMP/b.egf"
check "rollback: .prev used up" test ! -e "$L.prev"
check "rollback: daemon log: B's 10 trees again" \
	test "$(grep -c "model $L (learned, 10 trees)" "$EG_TMP/daemon.log")" -eq 2

# A corrupt learned file put there by hand: the daemon must not care.
cp "$EG_TMP/corrupt.egf" "$L"
kill -HUP "$DPID"
eg_wait_for grep -q "learned model not used.*$L" "$EG_TMP/daemon.log"
check "corrupt learned file: the daemon warns, naming it" test $? -eq 0
eg_wait_for grep -q "reloaded .*model $EG_TMP/a.egf (shipped, 30 trees)" "$EG_TMP/daemon.log"
check "corrupt learned file: reloaded with the shipped model" test $? -eq 0
check "corrupt learned file: still running" kill -0 "$DPID"
check "status --json: model_kind shipped" test "$(jstatus model_kind)" = shipped
check "status --json: the fallback's reason" grep -q "$L" <<<"$(jstatus model_fallback)"
check "replay -c: the shipped model again, with the warning" test "$(replay_drops)" -eq "$drops_a"
check "replay -c: the warning names the learned file" grep -q "learned model not used.*$L" "$EG_TMP/replay.err"
read -r sent got < <(phase 4453)
eg_log "corrupt learned, shipped A: upload $sent bytes sent, $got received"
check "shipped model A blocks again ($got of $sent)" test "$sent" -gt 0 -a "$got" -eq 0

# A reload the daemon refuses (its config broken meanwhile): exit 1 with
# the daemon's reason; the corrupt learned file is kept as .prev.
cp "$EG_TMP/eg.ini" "$EG_TMP/good.ini"
printf '[policy]\nmin_confidnce = 2\n' >>"$EG_TMP/eg.ini"
out=$("${LEARN[@]}" install "$EG_TMP/a2.egf" -c "$EG_TMP/good.ini" --pid "$DPID" 2>&1)
rc=$?
eg_log "install A2, daemon config broken: rc $rc: $out"
check "refused reload: exit 1" test $rc -eq 1
check "refused reload: the daemon's reason" grep -q "refused the reload.*min_confidnce" <<<"$out"
cp "$EG_TMP/good.ini" "$EG_TMP/eg.ini"
# Rollback to that .prev: the daemon falls back to the shipped model and
# rollback says so (exit 1).
out=$("${LEARN[@]}" rollback "${OPT[@]}" 2>&1)
rc=$?
eg_log "rollback to a corrupt .prev: rc $rc: $out"
check "rollback to a corrupt .prev: exit 1, the daemon's reason" \
	test $rc -eq 1 -a -n "$(grep "runs the shipped model.*learned model not used: $L" <<<"$out")"

out=$("${LEARN[@]}" rollback "${OPT[@]}" 2>&1)
rc=$?
eg_log "rollback without .prev: rc $rc: $out"
check "rollback without .prev: exit 0" test $rc -eq 0
check "rollback without .prev: learned file removed" test ! -e "$L"
check "rollback without .prev: shipped" test "$(jstatus model_kind)" = shipped -a -z "$(jstatus model_fallback)"
check "the daemon refused one reload (the broken config)" test "$(grep -c "reload failed" "$EG_TMP/daemon.log")" -eq 1

kill -TERM "$DPID"
wait "$DPID"
check "SIGTERM: exit 0" test $? -eq 0
"${LEARN[@]}" install "$EG_TMP/b.egf" "${OPT[@]}" >/dev/null 2>&1
check "install with no daemon: exit 3, installed" test $? -eq 3 -a -e "$L"
[ "${EG_FAILED:-0}" = 0 ] || { tail -30 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
