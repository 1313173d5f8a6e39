#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-privs: echoguardd gives up root itself. Started by hand as root (as
# `make demo` and a user do), then as the systemd unit starts it (User=,
# AmbientCapabilities=CAP_NET_ADMIN, CapabilityBoundingSet=CAP_NET_ADMIN,
# NoNewPrivileges=yes: emulated with setpriv, as no systemd runs here),
# each time /proc/PID/status of the process and of every thread is read:
# Uid, Gid, CapEff, CapPrm, CapInh, CapAmb, CapBnd, NoNewPrivs. Then a TLS
# connection through the queue (verdicts need CAP_NET_ADMIN) and a reload
# (the config and model must still be readable).
# At ff073b4 a hand-started daemon kept uid 0 and every capability.
# Usage: e2e-privs.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || eg_skip "setpriv (util-linux) missing"
eg_daemon_setup "$1"
eg_cert "$EG_TMP/cert"
eg_server 4431 "$EG_TMP/srv.jsonl"
NET_ADMIN=0000000000001000        # 1 << CAP_NET_ADMIN (12)
PING="$(dirname "$0")/tlsping.py"

# status PID FIELD: the field's value (first column) in /proc/PID/status
status() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"; }

# privs PID UID: every thread of PID runs as UID with CAP_NET_ADMIN only
# (inheritable and ambient: none, or CAP_NET_ADMIN as the unit gives)
privs() {
	local pid=$1 uid=$2 t bad=0
	for t in /proc/$pid/task/*; do
		t=${t##*/}
		local line="tid $t Uid $(status $t Uid) Gid $(status $t Gid)"
		line+=" CapEff $(status $t CapEff) CapPrm $(status $t CapPrm)"
		line+=" CapInh $(status $t CapInh) CapAmb $(status $t CapAmb)"
		line+=" CapBnd $(status $t CapBnd) NoNewPrivs $(status $t NoNewPrivs)"
		eg_log "$line"
		[ "$(status $t Uid)" = "$uid" ] && [ "$(status $t Gid)" != 0 -o "$uid" = 0 ] &&
		[ "$(status $t CapEff)" = $NET_ADMIN ] &&
		[ "$(status $t CapPrm)" = $NET_ADMIN ] &&
		[[ $(status $t CapInh) = @(0000000000000000|$NET_ADMIN) ]] &&
		[[ $(status $t CapAmb) = @(0000000000000000|$NET_ADMIN) ]] &&
		[ "$(status $t CapBnd)" = $NET_ADMIN ] &&
		[ "$(status $t NoNewPrivs)" = 1 ] || bad=1
	done
	[ $bad = 0 ]
}

run_case() {
	local what=$1 uid=$2 log=$EG_TMP/daemon-$3.log
	shift 3
	eg_config "$EG_TMP/eg.ini" "[daemon]" "queues = 0" "$@" \
		"[device]" "address = $EG_DEV_IP" "[model]" "path = $EG_TMP/model.egf" \
		"[policy]" "on_drop = packet"
	eg_daemon "$BUILD" "$EG_TMP/eg.ini" "$log"
	local pid=$EG_DAEMON_PID
	sleep 0.5
	check "$what: every thread uid $uid, CAP_NET_ADMIN only, no_new_privs" privs $pid $uid
	check "$what: a TLS connection through the queue" \
		in_dev /usr/bin/python3 "$PING" $EG_CLOUD_IP 4431 --timeout 4
	kill -HUP $pid
	eg_wait_for grep -q "reloaded" "$log"
	check "$what: a reload reads config and model" grep -q "reloaded" "$log"
	grep -E "running as|reload" "$log" >&2
	kill $pid
	wait $pid 2>/dev/null
}

NOBODY=$(id -u nobody)
# By hand, default user: "echoguard" when the package made it, else nobody.
if id echoguard >/dev/null 2>&1; then want=$(id -u echoguard); else want=$NOBODY; fi
run_case "by hand, default user" "$want" hand
run_case "by hand, user = root" 0 root "user = root"
# As the unit starts it: already unprivileged, the daemon changes nothing.
EG_DAEMON_WRAP="setpriv --reuid=$NOBODY --regid=$(id -g nobody) --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin --no-new-privs --"
run_case "as the unit (User=, Ambient/BoundingSet=CAP_NET_ADMIN)" "$NOBODY" unit
EG_DAEMON_WRAP=
[ "${EG_FAILED:-0}" = 0 ] || eg_fail "$EG_FAILED checks failed"
echo PASS
