#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-multiqueue: `queues = 0-3`, one thread per queue, the rule balancing
# flows over the four queues (--queue-balance 0:3). Every queue gets
# traffic, every packet a verdict; the totals add up over the threads and
# match the kernel's per-queue counters.
# Usage: e2e-multiqueue.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_journald
eg_model "$BUILD" "$EG_TMP/model.egf"
# --queue-balance hashes addresses, not ports: the flows come from 16
# source addresses of the device's subnet.
in_gw iptables -A FORWARD -s 10.200.1.0/24 -d $EG_CLOUD_IP -p tcp \
	-j NFQUEUE --queue-balance 0:3 --queue-bypass
in_cloud iptables -A INPUT -p tcp --dport 4433 -j DROP
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0-3" "stats_interval = 1" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = fixed" "value = 1" "[policy]" "on_drop = packet"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
threads=$(grep -l '^eg-queue-' /proc/$DPID/task/*/comm 2>/dev/null | wc -l)
ip netns exec "$EG_DEV" "$BUILD/tests/e2e/egpkt" send --src $EG_DEV_IP \
	--dst $EG_CLOUD_IP --dport 4433 --rate 20000 --count 40000 --flows 64 \
	--payload 150 --src-spread 16 >"$EG_TMP/send.out"
sleep 1.5
eg_kcounters >"$EG_TMP/k.txt"
busy=$(awk '$5 > 0' "$EG_TMP/k.txt" | wc -l)
idsum=$(awk '{ s += $5 } END { print s + 0 }' "$EG_TMP/k.txt")
waiting=$(eg_kwaiting)
eg_journald
kill -TERM $DPID
wait $DPID
rc=$?
sleep 0.5
pk=$(eg_jfield $DPID EG_PACKETS)
acc=$(eg_jfield $DPID EG_VERDICTS_ACCEPT)
drp=$(eg_jfield $DPID EG_VERDICTS_DROP)
eg_log "threads $threads; kernel per queue (queue waiting dropped user_dropped id_seq): $(tr '\n' ';' <"$EG_TMP/k.txt"); daemon packets $pk"
check "four queue threads" test "$threads" -eq 4
check "SIGTERM: exit 0" test "$rc" -eq 0
check "all four queues carried traffic" test "$busy" -eq 4
check "EG_QUEUES=0,1,2,3" test "$(eg_jfield $DPID EG_QUEUES)" = "0,1,2,3"
check "EG_KERNEL_QUEUES=4" test "$(eg_jfield $DPID EG_KERNEL_QUEUES)" = 4
check "kernel: nothing waiting" test "$waiting" -eq 0
check "every packet reached the daemon ($pk = $idsum >= 40000)" test "$pk" = "$idsum" -a "$pk" -ge 40000
check "one verdict each" test "$((acc + drp))" = "$pk"
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
