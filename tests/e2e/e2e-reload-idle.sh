#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-reload-idle: a reload on an idle queue with recv_timeout_ms = 60000,
# under a watchdog. echoguardd runs with NOTIFY_SOCKET pointing at a
# listener here and WATCHDOG_USEC=10 s (as the unit's WatchdogSec=10), no
# packet ever reaches its queue, and it gets SIGHUP three times. Each
# reload must complete at once (the queue threads are woken, they do not
# sleep out their 60 s poll), free the old runtime (no "did not pick up"),
# and WATCHDOG=1 must keep coming at most 10 s apart (systemd would kill
# the daemon otherwise).
# At ff073b4 each reload waited its full 10 s, kept the old runtime in
# memory, and the watchdog went silent meanwhile.
# Usage: e2e-reload-idle.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
eg_daemon_setup "$1"
eg_config "$EG_TMP/eg.ini" "[daemon]" "queues = 0" "recv_timeout_ms = 60000" \
	"[device]" "address = $EG_DEV_IP" "[model]" "path = $EG_TMP/model.egf" \
	"[policy]" "on_drop = packet"
SOCK=$EG_TMP/notify.sock
/usr/bin/python3 -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        m = s.recv(4096).decode(errors="replace")
        for line in m.splitlines():
            out.write("%.3f %s\n" % (time.monotonic(), line))' "$SOCK" "$EG_TMP/notify.log" &
eg_bg $!
eg_wait_for test -S "$SOCK" || eg_fail "notify listener"
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=10000000
eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$EG_TMP/daemon.log"
unset NOTIFY_SOCKET WATCHDOG_USEC
DPID=$EG_DAEMON_PID
sleep 2
for i in 1 2 3; do
	t0=$(date +%s.%N)
	kill -HUP $DPID
	for _ in $(seq 150); do
		[ "$(grep -c reloaded "$EG_TMP/daemon.log")" -ge $i ] && break
		sleep 0.1
	done
	t=$(/usr/bin/python3 -c "import time; print('%.2f' % ($(date +%s.%N) - $t0))")
	eg_log "reload $i took $t s"
	check "reload $i on an idle queue completes within 2 s ($t s)" \
		/usr/bin/python3 -c "import sys; sys.exit(not $t < 2)"
	sleep 1
done
sleep 6
check "no reload left an old runtime behind" \
	bash -c "! grep -q 'did not pick up' '$EG_TMP/daemon.log'"
check "3 reloads logged" test "$(grep -c reloaded "$EG_TMP/daemon.log")" -eq 3
gap=$(awk '$2 == "WATCHDOG=1" { if (p) { g = $1 - p; if (g > m) m = g } p = $1; n++ }
	END { printf "%.2f %d", m, n }' "$EG_TMP/notify.log")
eg_log "watchdog pings: longest gap ${gap% *} s, ${gap#* } pings"
check "watchdog pings at most 6 s apart (WatchdogSec=10: 5 s expected)" \
	/usr/bin/python3 -c "import sys; g, n = '$gap'.split(); sys.exit(not (float(g) <= 6 and int(n) >= 3))"
check "RELOADING=1 then READY=1 each time" \
	test "$(grep -c 'RELOADING=1' "$EG_TMP/notify.log")" -eq 3
kill $DPID
wait $DPID 2>/dev/null
[ "${EG_FAILED:-0}" = 0 ] || { tail -20 "$EG_TMP/daemon.log" >&2; eg_fail "$EG_FAILED checks failed"; }
echo PASS
