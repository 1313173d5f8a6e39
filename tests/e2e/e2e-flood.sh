#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-flood: a million distinct flows (TCP SYNs, every one a new 4-tuple)
# through echoguardd at a steady rate. The flow table is bounded (its
# capacity from the config), so the daemon's resident memory must stay
# flat once the table is full, and every packet must still get exactly one
# verdict (fail = closed, so the kernel would count anything it had to
# drop for a full queue).
# Usage: e2e-flood.sh BUILD_DIR [PACKETS] [RATE]
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
N=${2:-1000000}
RATE=${3:-50000}
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_journald
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_queue_rule 0 closed
in_cloud iptables -A INPUT -p tcp -j DROP      # no RST storm back
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = closed" "queue_maxlen = 65536" "stats_interval = 1" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[flows]" "capacity = 16384" "[policy]" "on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
rss() { awk '/^VmRSS/ { print $2 }' /proc/$DPID/status; }
rss0=$(rss)
ip netns exec "$EG_DEV" "$BUILD/tests/e2e/egpkt" send --src $EG_DEV_IP \
	--dst $EG_CLOUD_IP --dport 1000 --distinct --count $N --rate $RATE \
	--seconds 120 >"$EG_TMP/send.out" &
SENDER=$!
eg_bg $SENDER
# sample the daemon's RSS every second once the table had time to fill
samples=()
while kill -0 $SENDER 2>/dev/null; do
	sleep 1
	samples+=("$(rss)")
done
wait $SENDER
sleep 2
rss_end=$(rss)
n=${#samples[@]}
[ $n -ge 4 ] || eg_fail "sender too short to sample ($n samples)"
rss_mid=${samples[$((n / 4))]}
max=0
for s in "${samples[@]:$((n / 4))}"; do [ "$s" -gt $max ] && max=$s; done
sent=$(awk '{ print $2 }' "$EG_TMP/send.out")
waiting=$(eg_kwaiting)
idseq=$(eg_kcounters | awk '$1 == 0 { print $5 }')
kdrop=$(eg_kcounters | awk '$1 == 0 { print $3 }')
kudrop=$(eg_kcounters | awk '$1 == 0 { print $4 }')
eg_journald
kill -TERM $DPID
wait $DPID
rc=$?
sleep 0.5
pk=$(eg_jfield $DPID EG_PACKETS)
acc=$(eg_jfield $DPID EG_VERDICTS_ACCEPT)
drp=$(eg_jfield $DPID EG_VERDICTS_DROP)
created=$(eg_jfield $DPID EG_FLOWS_CREATED)
active=$(eg_jfield $DPID EG_FLOWS_ACTIVE)
evicted=$(eg_jfield $DPID EG_FLOWS_EVICTED)
expired=$(eg_jfield $DPID EG_FLOWS_EXPIRED)
eg_log "$(cat "$EG_TMP/send.out"); RSS kB: start $rss0, at 1/4 $rss_mid, max after $max, end $rss_end"
eg_log "kernel id_sequence $idseq waiting $waiting queue-full $kdrop undeliverable $kudrop; daemon packets $pk accept $acc drop $drp; flows created $created active $active evicted $evicted expired $expired"
check "sent $N distinct flows" test "$sent" = "$N"
check "SIGTERM: exit 0" test "$rc" -eq 0
check "kernel: nothing waiting" test "$waiting" -eq 0
check "kernel: no packet dropped for a full queue or lost" test "$kdrop" -eq 0 -a "$kudrop" -eq 0
check "every packet reached the daemon ($pk = $idseq >= $N)" test "$pk" = "$idseq" -a "$pk" -ge "$N"
check "one verdict each" test "$((acc + drp))" = "$pk"
check "flows created for every SYN ($created)" test "$created" -ge "$N"
check "flow table bounded ($active <= 16384)" test "$active" -le 16384
check "RSS flat after the table filled (max $max kB <= $rss_mid kB + 1024)" test "$max" -le $((rss_mid + 1024))
check "RSS flat to the end ($rss_end kB)" test "$rss_end" -le $((rss_mid + 1024))
[ "${EG_FAILED:-0}" = 0 ] || { tail -5 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
