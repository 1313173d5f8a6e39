#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-status: the owner's view on a real NFQUEUE. echoguardd (enforce,
# logging to the machine's journald) sits between a simulated Echo and TLS
# servers; the microphone is muted while the device sends injected
# voice-like uploads, then on while a person talks. Then:
#  1. the journal has one upload event per blocked upload, with the bytes
#     the simulator sent and the cloud never got;
#  2. `echoguard status --pid` (text and --json) says running and healthy
#     (exit 0), the mode, fail mode, model, the microphone state and since
#     when, today's blocked/allowed uploads and bytes equal to the
#     daemon's own statistics entry and to what the simulator sent, the
#     last blocked uploads, and the kernel queue's counters equal to
#     /proc/net/netfilter/nfnetlink_queue;
#  3. `echoguard report` over the run: the table's totals equal status's,
#     and the SVG parses as SVG with one bar group per bucket, its bars to
#     scale, and chromium (headless) draws the bars in their colours
#     (tests/e2e/svg-check.py);
#  4. after SIGTERM, status exits 3 (not running).
# Skipped (77) when journald was restarted during the run (on a shared
# machine another job may stop the journald it started): entries sent
# meanwhile are lost, and the journal checks would fail for that.
# Usage: e2e-status.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
E=$BUILD/src/echoguard
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
"$E" help | grep -q "^  status" || eg_skip "echoguard built without libsystemd"
eg_setup
eg_journald
eg_queue_rule 0 open
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
echo 0 >"$EG_TMP/mic"
# min_confidence 0.5 and drop_classes = not_justified: as e2e-enforce
# (a small test model; the daemon's bookkeeping is under test here), and
# on_drop = packet: this test queues with its own rule, without the reset
# rules on_drop = flow needs (echoguard rules up installs them).
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = file" "path = $EG_TMP/mic" "poll_interval_ms = 50" \
	"[policy]" "drop_classes = not_justified" "min_confidence = 0.5" \
	"on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
for k in 1 2 3; do eg_server 444$k "$EG_TMP/v$k.jsonl"; done
eg_server 4434 "$EG_TMP/talk.jsonl"
sleep 1

# muted: three devices at once, each with one injected voice upload on its
# own TLS connection (a blocked upload stalls its connection: TCP waits for
# the dropped bytes, so one blocked upload per connection), no keep-alives;
# the gateway's device side is captured to count their app-data bytes.
ip netns exec "$EG_GW" tshark -q -i gw0 -f "tcp and src host $EG_DEV_IP" -w "$EG_TMP/gw.pcapng" >/dev/null 2>&1 &
TSHARK=$!
eg_bg $TSHARK
sleep 2
LIVE=()
for k in 1 2 3; do
	eg_live 444$k muted 2$k voice 30 "$EG_TMP/v$k.cli.jsonl" --param inject_period=20 --param ka_period=1000 &
	LIVE+=($!)
done
wait "${LIVE[@]}"
sleep 1.5
kill -INT $TSHARK
wait $TSHARK 2>/dev/null
echo 1 >"$EG_TMP/mic"
sleep 0.5
eg_live 4434 talk 14 none 40 "$EG_TMP/talk.cli.jsonl"
# the upload records close after upload_gap (1 s); a statistics entry
# every second
sleep 3

v_n=0 v_sent=0 v_got=0
for k in 1 2 3; do
	grep -q inject_voice "$EG_TMP/v$k.cli.jsonl" && v_n=$((v_n + 1))
	v_sent=$((v_sent + $(eg_sum_log "$EG_TMP/v$k.cli.jsonl" send inject_voice)))
	v_got=$((v_got + $(eg_sum_log "$EG_TMP/v$k.jsonl" msg inject_voice)))
done
# app data on the device's side: payload segments after the handshake,
# first transmissions only (content type 23 in the segment)
wire=$(tshark -r "$EG_TMP/gw.pcapng" -Y "tcp.len > 0 && tcp.dstport >= 4441 && tcp.dstport <= 4443 && !tcp.analysis.retransmission && tls.record.content_type == 23" \
	-T fields -e tcp.len 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
t_sent=$(eg_sum_log "$EG_TMP/talk.cli.jsonl" send voice)
t_got=$(eg_sum_log "$EG_TMP/talk.jsonl" msg voice)
eg_log "injected voice: $v_n connections, $v_sent bytes sent, $v_got got, $wire app-data bytes on the device's wire; talk: $t_sent sent, $t_got got"
check "muted: each device injected voice ($v_n of 3)" test "$v_n" -eq 3
check "muted: no injected byte reached the cloud" test "$v_got" -eq 0
check "listening: the talk's voice reached the cloud" test "$t_got" -eq "$t_sent" -a "$t_sent" -gt 0

# The journal is the machine's: a journald started by another job on this
# shared machine may have been stopped by it meanwhile (tests/e2e/lib.sh),
# and whatever the daemon sent then is lost. The daemon sends a statistics
# entry every second: a gap of more than 3 s between two of them means the
# journal missed entries, and its checks would test the machine, not us.
journal_gap() { # the longest gap (s) over which journald was restarted
	journalctl --no-pager -o json --since "@$EG_DAEMON_T0" _PID=$DPID EG_EVENT=stats 2>/dev/null |
		/usr/bin/python3 -c '
import json, subprocess, sys
t = [int(json.loads(l)["__REALTIME_TIMESTAMP"]) for l in sys.stdin if l.strip()]
worst = 0
for a, b in zip(t, t[1:]):
    if b - a <= 3000000:
        continue
    # a daemon that stopped sending is a failure; a journald that was
    # stopped and started again says so itself
    out = subprocess.run(["journalctl", "--no-pager", "-q", "-o", "cat",
                          "-t", "systemd-journald", "--since", "@%.6f" % (a / 1e6),
                          "--until", "@%.6f" % (b / 1e6 + 1)],
                         capture_output=True, text=True).stdout
    if "Journal started" in out:
        worst = max(worst, (b - a) // 1000000)
print(worst)'
}
gap=$(journal_gap)
[ "$gap" -le 3 ] || eg_skip "journald missed the daemon's entries for $gap s (restarted by another job on this machine): the journal checks cannot hold"

# 1. upload events
journalctl --no-pager -o json --since "@$EG_DAEMON_T0" _PID=$DPID EG_EVENT=upload \
	>"$EG_TMP/uploads.json" 2>/dev/null
n_ev=$(grep -c '"EG_DECISION":"drop"' "$EG_TMP/uploads.json")
read ev_bytes ev_leak < <(/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [e for e in r if e["EG_DECISION"] == "drop"]
print(sum(int(e["EG_BYTES_BLOCKED"]) for e in r), sum(int(e["EG_LEAK_BYTES"]) for e in r))' "$EG_TMP/uploads.json")
eg_log "upload events: $n_ev blocked, $ev_bytes bytes blocked, $ev_leak leaked"
check "journal: one blocked-upload event per injecting connection ($n_ev = $v_n)" test "$n_ev" -eq "$v_n"
check "journal: blocked + leaked bytes = the app data on the wire ($ev_bytes + $ev_leak = $wire)" \
	test "$((ev_bytes + ev_leak))" -eq "$wire" -a "$wire" -gt 0
check "journal: events say muted" grep -q '"EG_MIC":"0"' "$EG_TMP/uploads.json"
check "journal: events name the server" grep -q '"EG_SNI":"avs-alexa-na.amazon.com"' "$EG_TMP/uploads.json"
check "journal: events are info level" sh -c "! grep -q '\"PRIORITY\":\"7\"' $EG_TMP/uploads.json"
check "journal: a start event with the model" test -n "$(eg_jfield $DPID EG_MODEL_CRC32 start)"
check "journal: a mic event (listening)" test "$(eg_jfield $DPID EG_MIC mic)" = 1

# 2. status (another job's journald may have come and gone meanwhile:
# make sure one runs, and give the daemon a statistics entry to send it)
eg_journald
sleep 2.2
"$E" status --pid $DPID >"$EG_TMP/status.txt"
rc=$?
"$E" status --pid $DPID --json >"$EG_TMP/status.json"
cat "$EG_TMP/status.txt"
check "status: exit 0 (running, healthy)" test "$rc" -eq 0
check "status: says running with the pid" grep -q "running, pid $DPID" "$EG_TMP/status.txt"
gap=$(journal_gap)
[ "$gap" -le 3 ] || eg_skip "journald missed the daemon's entries for $gap s (restarted by another job on this machine): the journal checks cannot hold"
j() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(str(d).lower() if isinstance(d, bool) else d)' "$EG_TMP/status.json" "$1"; }
check "status --json: running" test "$(j running)" = true
check "status --json: mode enforce, fail open" test "$(j mode)/$(j fail)" = enforce/open
check "status --json: the model" test "$(j model)" = "$EG_TMP/model.egf"
check "status --json: mic listening" test "$(j mic)" = listening
mic_t=$(j mic_since_us)
check "status --json: mic since the switch (within 10 s of it)" \
	test "$mic_t" -gt $(( ($(date +%s) - 60) * 1000000 ))
blocked=$(j today.uploads_blocked)
bbytes=$(j today.bytes_blocked)
allowed=$(j today.uploads_allowed)
abytes=$(j today.bytes_allowed)
check "status: today's blocked uploads = the injected ones ($blocked = $v_n)" test "$blocked" -eq "$v_n"
check "status: today's blocked bytes = the upload events' ($bbytes = $ev_bytes)" test "$bbytes" -eq "$ev_bytes"
check "status: blocked = EG_UPLOADS_DROPPED" test "$blocked" = "$(eg_jfield $DPID EG_UPLOADS_DROPPED)"
check "status: allowed = EG_UPLOADS_ALLOWED ($allowed)" test "$allowed" = "$(eg_jfield $DPID EG_UPLOADS_ALLOWED)"
check "status: allowed uploads and bytes during the talk ($allowed, $abytes)" test "$allowed" -gt 0 -a "$abytes" -gt 0
check "status: allowed bytes at most the device's voice and other app data ($abytes)" \
	test "$abytes" -le $((t_sent * 2 + 100000))
check "status: the last blocked uploads listed" test "$(grep -c 'avs-alexa-na.amazon.com:444[123] .* mic muted' "$EG_TMP/status.txt")" -eq "$v_n"
kw=$(eg_kcounters | awk '$1 == 0 { print $2 }')
kq=$(eg_kcounters | awk '$1 == 0 { print $3 }')
check "status: kernel waiting = /proc ($(j kernel.waiting) = $kw)" test "$(j kernel.waiting)" = "$kw"
check "status: kernel queue-full = /proc" test "$(j kernel.queue_full)" = "$kq"
check "status: nothing lost" test "$(j kernel.lost)" = 0

# 3. report (the table and the SVG)
if "$E" help | grep -q "^  report"; then
	"$E" report --pid $DPID --since "@$EG_DAEMON_T0" --by hour \
		-o "$EG_TMP/report.svg" >"$EG_TMP/report.txt"
	check "report: exit 0" test $? -eq 0
	cat "$EG_TMP/report.txt"
	tot=$(awk '$1 == "total" { print $3, $4, $5, $6 }' "$EG_TMP/report.txt")
	check "report: totals = status (blocked $blocked $bbytes, allowed $allowed $abytes: $tot)" \
		test "$tot" = "$blocked $bbytes $allowed $abytes"
	check "report: the SVG is valid" /usr/bin/python3 "$(dirname "$0")/svg-check.py" \
		"$EG_TMP/report.svg" --bars 1 --blocked "$blocked"
	# drawn by a real browser engine (chromium, packaging/deps.sh test)
	/usr/bin/python3 "$(dirname "$0")/svg-check.py" "$EG_TMP/report.svg" --render
	rc=$?
	[ "$rc" = 77 ] && eg_log "SKIP the SVG's rendering: chromium not installed"
	[ "$rc" = 77 ] || check "report: chromium draws the bars in their colours" test "$rc" = 0
	# the checker itself: a bar off scale and a wrong count must fail it
	sed 's/class="blocked" \(.*\) height="[0-9.]*"/class="blocked" \1 height="77.0"/' \
		"$EG_TMP/report.svg" >"$EG_TMP/bad.svg"
	check "svg-check rejects a bar off scale" sh -c "! /usr/bin/python3 $(dirname "$0")/svg-check.py $EG_TMP/bad.svg 2>/dev/null"
	check "svg-check rejects a wrong blocked count" sh -c "! /usr/bin/python3 $(dirname "$0")/svg-check.py $EG_TMP/report.svg --blocked $((blocked + 1)) 2>/dev/null"
fi

# 4. stopped
kill -TERM $DPID
wait $DPID
"$E" status --pid $DPID >/dev/null
check "status: exit 3 once stopped" test $? -eq 3
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo "PASS"
