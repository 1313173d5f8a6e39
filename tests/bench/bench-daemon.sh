#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-daemon: echoguardd's throughput and added latency on a real
# NFQUEUE, in network namespaces (tests/e2e/lib.sh topology: device ->
# gateway -> cloud). The same packets (16 flows of 120-byte TLS-looking
# segments, sent from the device namespace with a raw socket and received
# with AF_PACKET in the cloud namespace, kernel receive timestamps) go
# first through the kernel alone (forwarding), then through one queue
# thread of echoguardd running the trained model (mode = monitor: every
# packet is parsed, tracked, classified and given a verdict, all accepted).
#   - max rate: 300000 packets as fast as the sender can;
#   - latency: 10000 packets/s for 3 s, p50/p99 one-way latency; the
#     daemon's added latency is the difference to the kernel's.
#   - capacity of the queue thread: packets / CPU seconds of that thread
#     (independent of the sender's own limit on this machine).
# Goals: >= 100k packets/s per queue thread, p99 added < 200 us at 10k/s.
# Usage: bench-daemon.sh BUILD_DIR    (exit 77 without root/netns)
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/../e2e/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
[ -x "$BUILD/tests/e2e/egpkt" ] || eg_skip "egpkt not built"
eg_setup
eg_model "$BUILD" "$EG_TMP/model.egf"
in_cloud iptables -A INPUT -p tcp --dport 4433 -j DROP
P=$BUILD/tests/e2e/egpkt
MAXN=${EG_BENCH_PACKETS:-300000}

# run COUNT RATE -> "received N span S pps R p50_us X p99_us Y"
run() {
	ip netns exec "$EG_CLOUD" "$P" recv --dev cloud0 --dport 4433 \
		--count "$1" --seconds 2 >"$EG_TMP/recv.out" &
	local rp=$!
	sleep 0.3
	in_dev "$P" send --src $EG_DEV_IP --dst $EG_CLOUD_IP --dport 4433 \
		--count "$1" --rate "$2" --flows 16 --payload 120 >/dev/null
	wait $rp
	tail -1 "$EG_TMP/recv.out"
}
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
# CPU seconds of the daemon's queue thread
thread_cpu() {
	local t
	for t in /proc/$1/task/*; do
		if [ "$(cat $t/comm)" = eg-queue-0 ]; then
			awk -v hz=$(getconf CLK_TCK) '{ printf "%.3f\n", ($14 + $15) / hz }' $t/stat
		fi
	done
}

k_max=$(run $MAXN 0)
k_lat=$(run 30000 10000)

eg_queue_rule 0 closed
eg_config "$EG_TMP/eg.ini" \
	"[daemon]" "queues = 0" "fail = closed" "queue_maxlen = 65536" \
	"[device]" "address = $EG_DEV_IP" \
	"[model]" "path = $EG_TMP/model.egf" \
	"[microphone]" "source = fixed" "value = 0" \
	"[policy]" "mode = monitor"
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
DPID=$EG_DAEMON_PID
cpu0=$(thread_cpu $DPID)
d_max=$(run $MAXN 0)
cpu1=$(thread_cpu $DPID)
d_lat=$(run 30000 10000)
kill -TERM $DPID
wait $DPID
# The same latency run with the daemon under SCHED_FIFO (chrt -f 10; in
# systemd: CPUSchedulingPolicy=fifo, docs/daemon.md): on a busy
# machine the default scheduler's wake-up delay, not the daemon's work,
# makes the tail (docs/daemon.md).
EG_DAEMON_WRAP="chrt -f 10" eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon-rt.log"
r_lat=$(run 30000 10000)
kill -TERM $EG_DAEMON_PID
wait $EG_DAEMON_PID

kp=$(field "$k_max" pps); dp=$(field "$d_max" pps)
dn=$(field "$d_max" received)
cap=$(awk -v n="$dn" -v a="$cpu0" -v b="$cpu1" 'BEGIN { c = b - a; printf "%.0f", (c > 0) ? (n / c) : 0 }')
k50=$(field "$k_lat" p50_us); k99=$(field "$k_lat" p99_us)
d50=$(field "$d_lat" p50_us); d99=$(field "$d_lat" p99_us)
a50=$(awk -v a="$d50" -v b="$k50" 'BEGIN { printf "%.1f", a - b }')
a99=$(awk -v a="$d99" -v b="$k99" 'BEGIN { printf "%.1f", a - b }')
r50=$(field "$r_lat" p50_us); r99=$(field "$r_lat" p99_us)
ra50=$(awk -v a="$r50" -v b="$k50" 'BEGIN { printf "%.1f", a - b }')
ra99=$(awk -v a="$r99" -v b="$k99" 'BEGIN { printf "%.1f", a - b }')
echo "bench-daemon (1 queue thread, model $(basename "$EG_TMP/model.egf"), mode monitor)"
printf "%-34s %12s %12s %8s\n" "" "kernel" "echoguardd" "ratio"
printf "%-34s %12s %12s %8s\n" "max packets/s (wire)" "$kp" "$dp" \
	"$(awk -v a="$dp" -v b="$kp" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
printf "%-34s %12s %12s\n" "queue thread capacity (pkts/CPU s)" "-" "$cap"
printf "%-34s %12s %12s %8s\n" "latency p50 at 10k/s (us)" "$k50" "$d50" "+$a50"
printf "%-34s %12s %12s %8s\n" "latency p99 at 10k/s (us)" "$k99" "$d99" "+$a99"
printf "%-34s %12s %12s %8s\n" "  same, SCHED_FIFO p50 (us)" "$k50" "$r50" "+$ra50"
printf "%-34s %12s %12s %8s\n" "  same, SCHED_FIFO p99 (us)" "$k99" "$r99" "+$ra99"
echo "kernel max: $k_max"
echo "daemon max: $d_max (thread CPU $cpu0 -> $cpu1 s)"
echo "kernel 10k: $k_lat"
echo "daemon 10k: $d_lat"
echo "daemon 10k SCHED_FIFO: $r_lat"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
ok=0
if [ "$cap" -ge 100000 ]; then echo "goal met: >= 100k packets/s per queue thread ($cap)"
else echo "goal MISSED: >= 100k packets/s per queue thread ($cap)"; ok=1; fi
if awk -v a="$ra99" 'BEGIN { exit !(a < 200) }'; then echo "goal met: p99 added latency < 200 us (SCHED_FIFO: +$ra99; default scheduling: +$a99)"
else echo "goal MISSED: p99 added latency < 200 us (SCHED_FIFO: +$ra99; default scheduling: +$a99)"; ok=1; fi
exit $ok
