#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-learn: the evening of docs/learn.md, compressed, on a real NFQUEUE.
# echoguardd runs the shipped model (models/default.egf) in monitor mode;
# the simulated Echo (unmute: muted for the first 60 s of 180, voice-like
# uploads injected meanwhile, then a person talks about every 37 s; time
# compressed 2x) goes through the gateway; `echoguard learn record`
# records it from the daemon's own config in 8 s segments while the
# microphone file (a sysfs GPIO value file's stand-in) goes 0 -> 1 when
# the sim unmutes. Then `echoguard learn fit -c --install --holdout 0.25`:
#  1. the recording: segments and the microphone timeline;
#  2. learn's labels: voice windows found in the part learnt from (the
#     simulated Echo talked there), every app-data row sent in the muted
#     span not_justified, none outside it;
#  3. fit compared with the model the daemon runs (the shipped one);
#  4. its verdict and what happened agree: better (exit 0) -> the learned
#     file is the fitted model, the daemon's reload entry names it, status
#     says learned, and `learn rollback` brings the shipped model back;
#     not better (exit 3) -> nothing installed, no reload;
#  5. fit against a running model that breaks every upload (a model whose
#     only class is not_justified, replayed with the same policy) finds
#     the learned one better: exit 0, installed and confirmed.
# Usage: e2e-learn.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
E=$BUILD/src/echoguard
PY=/usr/bin/python3
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_journald
eg_queue_rule 0 open
eg_cert "$EG_TMP/cert"
echo 0 >"$EG_TMP/mic"
L=$EG_TMP/lib/learned.egf
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_SRC/models/default.egf" "features = shape" "learned = $L" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "mode = monitor" "on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
eg_server 4441 "$EG_TMP/srv.jsonl"

REC=$EG_TMP/rec
ip netns exec "$EG_GW" "$E" learn record -c "$EG_TMP/eg.ini" -i gw0 --dir "$REC" \
	--segment 8 --poll 50 2>"$EG_TMP/rec.err" &
RPID=$!
eg_bg $RPID
eg_wait_for grep -q "into $REC" "$EG_TMP/rec.err" || eg_fail "the recorder did not start"
t_mute=$(date +%s.%N)
eg_live 4441 unmute 11 voice 180 "$EG_TMP/live.jsonl" --param inject_period=8 \
	--param unmute_at=60 &
LIVE=$!
t0=$(date +%s.%N) t_unmute=
while kill -0 $LIVE 2>/dev/null; do
	if [ -z "$t_unmute" ] && awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { exit !(a >= b + 30) }'; then
		echo 1 >"$EG_TMP/mic"
		t_unmute=$(date +%s.%N)
	fi
	sleep 0.1
done
wait $LIVE
sleep 1
kill -TERM $RPID
wait $RPID
check "learn record: exit 0 on SIGTERM" test $? -eq 0
nseg=$(ls "$REC"/seg-*.pcap 2>/dev/null | wc -l)
check "1. the recording: $nseg segments, mic.csv 0 1" \
	test "$nseg" -ge 8 -a "$(grep -v '^#' "$REC/mic.csv" | cut -d, -f2 | tr -d '\n')" = 01

"$E" learn fit -c "$EG_TMP/eg.ini" --dir "$REC" --trees 10 --holdout 0.25 --base "$EG_SRC/models/base.csv" \
	--install --pid "$DPID" >"$EG_TMP/fit.out" 2>"$EG_TMP/fit.err"
rc=$?
cat "$EG_TMP/fit.out" >&2
eg_log "learn fit: exit $rc; $(tail -2 "$EG_TMP/fit.err" | tr '\n' ' ')"
check "learn fit: exit 0 or 3 (was $rc)" test $rc = 0 -o $rc = 3

# 2. learn's labels
nw=$(grep -c ',learn_voice$' "$REC/fit/voice-windows.csv")
check "2. voice windows in the part learnt from ($nw; the sim sent $(grep -c '"kind": "voice"' "$EG_TMP/live.jsonl") voice records)" test "$nw" -ge 1
read -r inside bad_in bad_out < <($PY - "$REC/fit/home.csv" "$t_mute" "$t_unmute" <<'PYEOF'
import csv, datetime, sys
m0, m1 = float(sys.argv[2]) + 0.5, float(sys.argv[3]) - 0.5
r = csv.reader(open(sys.argv[1]))
h = next(r)
ci, di = h.index("class"), h.index("date")
inside = bad_in = bad_out = 0
for row in r:
	if row[ci] not in ("expected", "justified", "not_justified"):
		continue
	t = datetime.datetime.strptime(row[di], "%Y-%m-%d %H:%M:%S.%f").replace(
	    tzinfo=datetime.timezone.utc).timestamp()
	if m0 <= t <= m1:
		inside += 1
		bad_in += row[ci] != "not_justified"
	elif not (m0 - 1 <= t <= m1 + 1):
		bad_out += row[ci] == "not_justified"
print(inside, bad_in, bad_out)
PYEOF
)
check "2. muted span: $inside app-data rows, all not_justified ($bad_in not; the sim injected $(grep -c '"kind": "inject_voice"' "$EG_TMP/live.jsonl") records)" \
	test "$inside" -gt 10 -a "$bad_in" = 0
check "2. listening: no app-data row not_justified ($bad_out)" test "$bad_out" = 0

# 3. compared with what the daemon runs
check "3. compared with the shipped model the daemon runs" \
	grep -q "running $EG_SRC/models/default.egf" "$EG_TMP/fit.out"

# 4. the verdict and what happened
reloads() { journalctl --no-pager -o cat --since "@$EG_DAEMON_T0" _PID="$DPID" EG_EVENT=reload 2>/dev/null | wc -l; }
if [ $rc = 0 ]; then
	check "4. better: the learned file is the fitted model" cmp -s "$L" "$REC/fit/learned.egf"
	check "4. better: status says learned" sh -c "'$E' status --pid $DPID | grep -q learned"
	"$E" learn rollback -c "$EG_TMP/eg.ini" --pid "$DPID" >"$EG_TMP/rb.out" 2>&1
	check "4. rollback: the shipped model runs again ($(tail -1 "$EG_TMP/rb.out"))" \
		grep -q "runs the shipped model" "$EG_TMP/rb.out"
else
	check "4. not better: nothing installed" test ! -e "$L"
	check "4. not better: the daemon never reloaded ($(reloads))" test "$(reloads)" = 0
	check "4. compare.json says so" grep -q '"better":false' "$REC/fit/compare.json"
fi

# 5. a running model that breaks every upload: only not_justified rows
$PY - "$REC/fit/home-muted.csv" "$EG_TMP/nj.csv" <<'PYEOF'
import sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
	h = f.readline()
	o.write(h)
	ci = h.split(",").index("class")
	for line in f:
		x = line.split(",")
		x[ci] = "not_justified"
		o.write(",".join(x))
PYEOF
"$E" train --features shape --trees 3 --split none -o "$EG_TMP/breaks.egf" "$EG_TMP/nj.csv" >/dev/null 2>&1
sed -i "s|^path = .*|path = $EG_TMP/breaks.egf|; s|^mode = monitor|mode = enforce|" "$EG_TMP/eg.ini"
kill -HUP "$DPID"
eg_wait_for grep -q "breaks.egf" "$EG_TMP/daemon.log" || eg_fail "the daemon did not reload breaks.egf"
rm -f "$L" "$L.prev"
"$E" learn fit -c "$EG_TMP/eg.ini" --dir "$REC" --trees 10 --holdout 0.25 --base "$EG_SRC/models/base.csv" \
	--install --pid "$DPID" >"$EG_TMP/fit2.out" 2>"$EG_TMP/fit2.err"
rc2=$?
cat "$EG_TMP/fit2.out" >&2
touched=$(sed -n 's/^ *touched (a segment dropped) *\([0-9]*\) *\([0-9]*\)$/\1 \2/p' "$EG_TMP/fit2.out")
check "5. against a model that breaks uploads: better, installed (exit $rc2; touched running/learned: $touched)" \
	test $rc2 = 0 -a -e "$L"
check "5. the daemon confirmed it runs the learned model" \
	sh -c "'$E' status --pid $DPID | grep -q learned"
[ "${EG_FAILED:-0}" = 0 ] || { cat "$EG_TMP/fit.err" "$EG_TMP/fit2.err" >&2; eg_fail "$EG_FAILED checks failed"; }
echo "PASS"
