#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-failmode: `fail = open | closed` when echoguardd dies (kill -9).
# open: the rule has --queue-bypass and the queue NFQA_CFG_F_FAIL_OPEN, so
# with no daemon the device's traffic continues; closed: neither, so it
# stops, and resumes when the daemon is back. A running daemon passes the
# same traffic in both modes.
# Usage: e2e-failmode.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
eg_setup
eg_model "$BUILD" "$EG_TMP/model.egf"
eg_cert "$EG_TMP/cert"
eg_server 4431 "$EG_TMP/srv.jsonl"
PING="$(dirname "$0")/tlsping.py"
ping_ok() { in_dev /usr/bin/python3 "$PING" $EG_CLOUD_IP 4431 --timeout 4 2>>"$EG_TMP/ping.err"; }
ping_fails() { ! ping_ok; }

for mode in open closed; do
	in_gw iptables -F FORWARD
	eg_queue_rule 0 $mode
	eg_config "$EG_TMP/$mode.ini" \
		"[daemon]" "queues = 0" "fail = $mode" \
		"[device]" "address = $EG_DEV_IP" \
		"[model]" "path = $EG_TMP/model.egf" \
		"[microphone]" "source = fixed" "value = 1" \
		"[policy]" "drop_classes = not_justified" "on_drop = packet"
	eg_daemon "$BUILD" "$EG_TMP/$mode.ini" "$EG_TMP/$mode.log"
	check "fail=$mode: traffic passes through the running daemon" ping_ok
	kill -9 $EG_DAEMON_PID
	wait $EG_DAEMON_PID 2>/dev/null
	sleep 0.3
	check "fail=$mode: the kernel forgot the listener (no queue line)" \
		test -z "$(eg_kcounters | awk '$1 == 0')"
	if [ $mode = open ]; then
		check "fail=open: after kill -9 traffic continues (bypass)" ping_ok
		check "fail=open: again" ping_ok
	else
		check "fail=closed: after kill -9 traffic stops" ping_fails
		eg_daemon "$BUILD" "$EG_TMP/$mode.ini" "$EG_TMP/$mode.2.log"
		check "fail=closed: traffic resumes with the daemon back" ping_ok
		kill -TERM $EG_DAEMON_PID
		wait $EG_DAEMON_PID
		check "fail=closed: SIGTERM exits 0" test $? -eq 0
	fi
done
[ "${EG_FAILED:-0}" = 0 ] || eg_fail "$EG_FAILED checks failed"
echo PASS
