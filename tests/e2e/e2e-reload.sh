#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-reload: SIGHUP under traffic. While packets flow through the queue,
# the model file is replaced (30 trees <-> 10 trees) and echoguardd gets
# SIGHUP, several times; then once with an invalid config and once with a
# corrupt model: those reloads fail, the running model stays, traffic goes
# on. Every packet still gets exactly one verdict and none is lost.
# Usage: e2e-reload.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_journald
eg_model "$BUILD" "$EG_TMP/a.egf"
"$BUILD/src/echoguard" train --trees 10 --seed 2 --split none --features shape \
	-o "$EG_TMP/b.egf" "$EG_TMP"/model/{idle,talk,muted}.csv >/dev/null 2>&1 ||
	eg_fail "second model"
cp "$EG_TMP/a.egf" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
eg_server 4431 "$EG_TMP/srv.jsonl"
eg_queue_rule 0 open
in_cloud iptables -A INPUT -p tcp --dport 4433 -j DROP
CONF=(	"[daemon]" "queues = 0" "fail = open" "stats_interval = 1"
	"[device]" "address = $EG_DEV_IP"
	"[model]" "path = $EG_TMP/model.egf"
	"[microphone]" "source = fixed" "value = 1"
	"[policy]" "drop_classes = not_justified" "on_drop = packet" )
eg_config "$EG_TMP/eg.ini" "${CONF[@]}"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
PING="$(dirname "$0")/tlsping.py"

# Traffic: 16 flows of TLS-looking segments at 5000 packets/s for 12 s,
# plus a TLS connection every 0.5 s.
ip netns exec "$EG_DEV" "$BUILD/tests/e2e/egpkt" send --src $EG_DEV_IP \
	--dst $EG_CLOUD_IP --dport 4433 --rate 5000 --count 60000 --flows 16 \
	--payload 200 >"$EG_TMP/send.out" &
SENDER=$!
eg_bg $SENDER
pings=0 pings_ok=0
t_end=$((SECONDS + 11))
hup=0
while [ $SECONDS -lt $t_end ]; do
	hup=$((hup + 1))
	case $hup in
	1|3|5) cp "$EG_TMP/b.egf" "$EG_TMP/model.tmp" ;;
	*) cp "$EG_TMP/a.egf" "$EG_TMP/model.tmp" ;;
	esac
	if [ $hup -eq 7 ]; then
		# an invalid config: the reload must fail and change nothing
		eg_config "$EG_TMP/eg.ini" "${CONF[@]}" "[policy]" "min_confidnce = 2"
	elif [ $hup -eq 8 ]; then
		eg_config "$EG_TMP/eg.ini" "${CONF[@]}"
		head -c 300 "$EG_TMP/a.egf" >"$EG_TMP/model.tmp"   # corrupt
	fi
	if [ $hup -le 8 ]; then
		mv "$EG_TMP/model.tmp" "$EG_TMP/model.egf"
		kill -HUP $DPID
	fi
	pings=$((pings + 1))
	in_dev /usr/bin/python3 "$PING" $EG_CLOUD_IP 4431 --timeout 4 && pings_ok=$((pings_ok + 1))
	sleep 0.5
done
wait $SENDER
sleep 1.5
cp "$EG_TMP/a.egf" "$EG_TMP/model.egf"
check "daemon alive after 8 SIGHUPs" kill -0 $DPID
reloaded=$(grep -c "reloaded" "$EG_TMP/daemon.log")
failed=$(grep -c "reload failed" "$EG_TMP/daemon.log")
t10=$(grep "reloaded" "$EG_TMP/daemon.log" | grep -c "(shipped, 10 trees)")
t30=$(grep "reloaded" "$EG_TMP/daemon.log" | grep -c "(shipped, 30 trees)")
eg_log "reloads ok $reloaded (10 trees: $t10, 30 trees: $t30), failed $failed; TLS connections $pings_ok/$pings"
check "6 reloads took effect, alternating models" test "$reloaded" -eq 6 -a "$t10" -eq 3 -a "$t30" -eq 3
check "2 bad reloads refused (config error, corrupt model)" test "$failed" -eq 2
check "the config error names file and key" grep -q "min_confidnce" "$EG_TMP/daemon.log"
check "every TLS connection during the reloads worked ($pings_ok/$pings)" test "$pings_ok" -eq "$pings"
waiting=$(eg_kwaiting)
idseq=$(eg_kcounters | awk '$1 == 0 { print $5 }')
kdrop=$(eg_kcounters | awk '$1 == 0 { print $3 + $4 }')
eg_journald
kill -TERM $DPID
wait $DPID
check "SIGTERM: exit 0" test $? -eq 0
sleep 0.5
pk=$(eg_jfield $DPID EG_PACKETS)
acc=$(eg_jfield $DPID EG_VERDICTS_ACCEPT)
drp=$(eg_jfield $DPID EG_VERDICTS_DROP)
eg_log "kernel id_sequence $idseq waiting $waiting drops $kdrop; daemon packets $pk accept $acc drop $drp; $(cat "$EG_TMP/send.out")"
check "journald: EG_RELOADS=6" test "$(eg_jfield $DPID EG_RELOADS)" = 6
check "journald: EG_RELOAD_FAILURES=2" test "$(eg_jfield $DPID EG_RELOAD_FAILURES)" = 2
check "journald: EG_GENERATION=7" test "$(eg_jfield $DPID EG_GENERATION)" = 7
check "kernel: nothing waiting" test "$waiting" -eq 0
check "kernel: no queue drops" test "$kdrop" -eq 0
check "every queued packet reached the daemon ($pk = $idseq)" test "$pk" = "$idseq" -a "$pk" -gt 60000
check "one verdict each" test "$((acc + drp))" = "$pk"
check "no message lost" test "$(eg_jfield $DPID EG_LOST)" = 0
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
