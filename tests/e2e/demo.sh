#!/bin/bash
# SPDX-License-Identifier: MIT
# demo: echoguardd protecting a simulated Echo, in throw-away network
# namespaces (needs root). `make demo` runs it. About a minute:
#   1. takes the bundled default model (models/default.egf);
#   2. installs the queue rules with `echoguard rules up` and starts
#      echoguardd on the gateway with the default policy (on_drop = flow:
#      a blocked upload's connection is reset);
#   3. microphone muted: the device keeps its keep-alives, and tries to
#      upload voice it should not -- watch it being dropped;
#   4. microphone on, a person talks: the voice goes through;
#   5. muted again, an upload is blocked on the Echo's one connection,
#      then the microphone is switched on: how long until its voice gets
#      through (the simulated Echo reconnects when its connection is
#      reset or stalls, with a back-off from 1 s);
#   6. shows the owner's view: `echoguard status` and `echoguard report`
#      (the SVG is kept as BUILD_DIR/demo-report.svg);
#   7. stops the daemon and shows its exit statistics entry in journald.
# Usage: demo.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-build}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || { echo "build first: make build" >&2; exit 1; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
eg_setup
eg_journald
say "the bundled default model (models/default.egf, docs/model-card.md)"
cp "$EG_SRC/models/default.egf" "$EG_TMP/model.egf" || eg_fail "models/default.egf missing"
"$BUILD/src/echoguard" model info "$EG_TMP/model.egf" 2>/dev/null | head -4
eg_cert "$EG_TMP/cert"
echo 0 >"$EG_TMP/mic"
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "stats_interval = 5" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[log]" "level = debug" "drop_event_rate = 5"
say "gateway: echoguard rules up (the product's rules helper) and echoguardd"
in_gw "$BUILD/src/echoguard" rules up --quiet -c "$EG_TMP/eg.ini" || eg_fail "echoguard rules up"
in_gw iptables -S ECHOGUARD
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
tail -f --pid=$EG_DAEMON_PID "$EG_TMP/daemon.log" | grep --line-buffered -E "drop |upload |microphone|started" &
TAIL=$!
eg_server 443 "$EG_TMP/srv-muted.jsonl"
say "microphone MUTED: keep-alives + injected voice uploads (20 s)"
in_dev /usr/bin/python3 "$EG_SIM" live --server "$EG_CLOUD_IP:443" --scenario muted \
	--seed 21 --inject voice --duration 40 --speed 2 --param inject_period=12 \
	--param ka_period=10 --reconnect --ping-timeout 5 --mic-file "$EG_TMP/mic" \
	--log "$EG_TMP/muted.jsonl" 2>/dev/null
echo "device sent: keep-alive $(eg_sum_log "$EG_TMP/muted.jsonl" send keepalive) B, injected voice $(eg_sum_log "$EG_TMP/muted.jsonl" send inject_voice) B"
echo "cloud got:   keep-alive $(eg_sum_log "$EG_TMP/srv-muted.jsonl" msg keepalive) B, injected voice $(eg_sum_log "$EG_TMP/srv-muted.jsonl" msg inject_voice) B"
say "microphone ON, a person talks (30 s)"
echo 1 >"$EG_TMP/mic"
eg_server 8443 "$EG_TMP/srv-talk.jsonl"
in_dev /usr/bin/python3 "$EG_SIM" live --server "$EG_CLOUD_IP:8443" --scenario talk \
	--seed 22 --duration 60 --speed 2 --mic-file "$EG_TMP/mic" \
	--log "$EG_TMP/talk.jsonl" 2>/dev/null
echo "device sent voice $(eg_sum_log "$EG_TMP/talk.jsonl" send voice) B; cloud got $(eg_sum_log "$EG_TMP/srv-talk.jsonl" msg voice) B"
say "muted, a blocked upload, then the microphone is switched ON: back to work (20 s)"
echo 0 >"$EG_TMP/mic"
eg_server 9443 "$EG_TMP/srv-unmute.jsonl"
in_dev /usr/bin/python3 "$EG_SIM" live --server "$EG_CLOUD_IP:9443" --scenario unmute \
	--seed 23 --inject voice --duration 40 --speed 2 --param unmute_at=14 \
	--param ka_period=10 --param inject_period=30 --reconnect --ping-timeout 5 \
	--mic-file "$EG_TMP/mic" --log "$EG_TMP/unmute.jsonl" 2>/dev/null &
SIM=$!
sleep 7
echo 1 >"$EG_TMP/mic"
T_UNMUTE=$(date +%s.%N)
wait $SIM
line=$(/usr/bin/python3 "$(dirname "$0")/unmute-report.py" "$EG_TMP/unmute.jsonl" \
	"$EG_TMP/srv-unmute.jsonl" "$T_UNMUTE")
f() { echo "$line" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
echo "muted upload bytes the cloud got: $(f muted_voice_got_B); the Echo reconnected $(f reconnects) time(s) (ping timeout 5 s, back-off from 1 s)"
echo "after unmuting, the first voice upload reached the cloud after $(f first_voice_got_s) s"

# one statistics entry (every 5 s) after the last upload closed
sleep 6
kill $TAIL 2>/dev/null
say "the owner's view: echoguard status (docs/cli.md)"
eg_journald
"$BUILD/src/echoguard" status --pid $EG_DAEMON_PID
say "echoguard report --since (this run) -o demo-report.svg"
"$BUILD/src/echoguard" report --pid $EG_DAEMON_PID --since "@$EG_DAEMON_T0" \
	-o "$BUILD/demo-report.svg" && echo "(the picture: $BUILD/demo-report.svg)"
say "kernel queue counters (queue waiting queue-full undeliverable id_sequence)"
eg_kcounters
# The daemon writes its final statistics entry as it exits (after the
# queues stopped: the totals of the whole run); make sure a journald is
# there to take it, then read the newest entry of this daemon. Not
# `--since T -n 1`: with --since, journalctl's -n counts from T, and
# printed the first periodic entry.
eg_journald
kill -TERM $EG_DAEMON_PID
wait $EG_DAEMON_PID
sleep 0.5
say "journald: the daemon's exit statistics entry (journalctl -t echoguardd EG_EVENT=stats -o verbose -r -n 1)"
journalctl --no-pager -o verbose --since "@$EG_DAEMON_T0" _PID=$EG_DAEMON_PID EG_EVENT=stats -r -n 1 >"$EG_TMP/exit-entry"
# -o verbose lists the fields in no fixed order: print them in this one.
for f in MESSAGE EG_UPTIME_S EG_PACKETS EG_ACCEPTED EG_DROPPED EG_BYTES_DROPPED \
	'EG_CLASS_[A-Z_]+' EG_REASON_CLASS_DROP EG_REASON_DROPPED_RANGE \
	EG_REASON_CONTROL EG_LOST EG_FLOWS_ACTIVE 'EG_KERNEL_[A-Z_]+' EG_MIC; do
	grep -E "^ +$f=" "$EG_TMP/exit-entry"
done
# The same totals went to the daemon's stderr as its last "stats:" line.
last=$(grep -o "stats: .*" "$EG_TMP/daemon.log" | tail -1)
grep -qF "MESSAGE=${last#stats: }" "$EG_TMP/exit-entry" ||
	echo "note: journald's newest entry is not the exit entry the daemon printed: ${last:-none}"
