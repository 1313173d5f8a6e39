# SPDX-License-Identifier: MIT
# lib.sh: shared helpers of the echoguardd end-to-end tests (bash, sourced).
#
# Topology, all in namespaces this script creates and removes:
#
#   eg-dev-$$  dev0 10.200.1.2/24 --- gw0 10.200.1.1/24  eg-gw-$$
#                                     gw1 10.200.2.1/24 --- cloud0 10.200.2.2/24  eg-cloud-$$
#
# The gateway forwards; its FORWARD chain queues the device's TCP towards
# the cloud to NFQUEUE (--queue-bypass when fail = open). Nothing is sent
# to any address outside these namespaces. eg_cleanup (trap EXIT) kills
# what the test started and deletes the namespaces, which removes their
# veths and rules with them.

EG_DEV=eg-dev-$$
EG_GW=eg-gw-$$
EG_CLOUD=eg-cloud-$$
EG_DEV_IP=10.200.1.2
EG_GW_DEV_IP=10.200.1.1
EG_GW_CLOUD_IP=10.200.2.1
EG_CLOUD_IP=10.200.2.2
EG_PIDS=()
EG_TMP=
EG_STARTED_JOURNALD=

eg_log() { echo "# $*" >&2; }
eg_fail() { echo "FAIL: $*" >&2; exit 1; }
eg_skip() { echo "SKIP: $*" >&2; exit 77; }

# Exit 77 unless we are root with working network namespaces.
eg_require_netns() {
	[ "$(id -u)" = 0 ] || eg_skip "needs root (network namespaces, NFQUEUE)"
	command -v ip >/dev/null || eg_skip "iproute2 (ip) not installed"
	ip netns list >/dev/null 2>&1 || eg_skip "ip netns unavailable"
	command -v iptables >/dev/null || eg_skip "iptables not installed"
	[ -x /usr/bin/python3 ] || eg_skip "/usr/bin/python3 missing"
}

eg_cleanup() {
	local rc=$? p
	for p in "${EG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${EG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "$EG_DEV" "$EG_GW" "$EG_CLOUD"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$EG_TMP" ] && [ -z "$EG_KEEP_TMP" ]; then
		rm -rf "$EG_TMP"
	fi
	exit $rc
}

# Remember a background pid for cleanup. Start background programs with
# `ip netns exec NS prog &` (not the in_* functions, which would put a
# subshell between $! and the program).
eg_bg() { EG_PIDS+=("$1"); }

in_dev() { ip netns exec "$EG_DEV" "$@"; }
in_gw() { ip netns exec "$EG_GW" "$@"; }
in_cloud() { ip netns exec "$EG_CLOUD" "$@"; }

eg_setup() {
	trap eg_cleanup EXIT
	trap 'exit 130' INT TERM
	EG_TMP=$(mktemp -d /tmp/eg-e2e.XXXXXX)
	# echoguardd drops to an unprivileged user (nobody here) and must
	# still read its config, model and microphone file on reload.
	chmod 755 "$EG_TMP"
	ip netns add "$EG_DEV" && ip netns add "$EG_GW" &&
		ip netns add "$EG_CLOUD" || eg_fail "cannot create namespaces"
	ip link add dev0 netns "$EG_DEV" type veth peer name gw0 netns "$EG_GW" ||
		eg_fail "veth dev0/gw0"
	ip link add gw1 netns "$EG_GW" type veth peer name cloud0 netns "$EG_CLOUD" ||
		eg_fail "veth gw1/cloud0"
	in_dev ip addr add $EG_DEV_IP/24 dev dev0
	in_gw ip addr add $EG_GW_DEV_IP/24 dev gw0
	in_gw ip addr add $EG_GW_CLOUD_IP/24 dev gw1
	in_cloud ip addr add $EG_CLOUD_IP/24 dev cloud0
	for x in "in_dev dev0" "in_gw gw0" "in_gw gw1" "in_cloud cloud0"; do
		set -- $x
		$1 ip link set lo up
		$1 ip link set "$2" up
	done
	in_dev ip route add default via $EG_GW_DEV_IP
	in_cloud ip route add default via $EG_GW_CLOUD_IP
	in_gw sysctl -qw net.ipv4.ip_forward=1
}

# Which firewall can queue here: "nft" when the native queue statement
# works (tried in a scratch table of the gateway), else "iptables".
eg_queue_backend() {
	if in_gw nft add table inet egprobe 2>/dev/null &&
	   in_gw nft add chain inet egprobe c '{ type filter hook forward priority 0; }' 2>/dev/null &&
	   in_gw nft add rule inet egprobe c meta l4proto tcp queue num 9 bypass 2>/dev/null; then
		in_gw nft delete table inet egprobe 2>/dev/null
		echo nft
	else
		in_gw nft delete table inet egprobe 2>/dev/null
		echo iptables
	fi
}

# eg_queue_rule QUEUE_SPEC open|closed [FLOW_MARK]
# Queue the device's TCP with the cloud, both ways. QUEUE_SPEC: "0" or "0:3"
# (balanced). With a flow mark, install the on_drop = flow rules first
# (the same as packaging/rules/echoguard.rules). Without it, the test's
# config must say on_drop = packet: the default, flow, needs those rules.
eg_queue_rule() {
	local spec=$1 fail=$2 mark=$3 bypass= target
	[ "$fail" = open ] && bypass=--queue-bypass
	case $spec in
	*:*) target="--queue-balance $spec" ;;
	*) target="--queue-num $spec" ;;
	esac
	if [ -n "$mark" ]; then
		in_gw iptables -A FORWARD -p tcp -m mark --mark "$mark" \
			-j CONNMARK --save-mark
		in_gw iptables -A FORWARD -p tcp -m connmark --mark "$mark" \
			-j REJECT --reject-with tcp-reset
	fi
	# Both directions, as `echoguard rules` installs them: the server's
	# packets feed the flow features (and are always accepted).
	in_gw iptables -A FORWARD -s $EG_DEV_IP -d $EG_CLOUD_IP -p tcp \
		-j NFQUEUE $target $bypass || eg_fail "iptables NFQUEUE rule"
	in_gw iptables -A FORWARD -s $EG_CLOUD_IP -d $EG_DEV_IP -p tcp \
		-j NFQUEUE $target $bypass || eg_fail "iptables NFQUEUE rule"
}

# Kernel queue counters of the gateway: "queue total dropped user_dropped id_seq"
eg_kcounters() {
	in_gw cat /proc/net/netfilter/nfnetlink_queue |
		awk '{ print $1, $3, $6, $7, $8 }'
}

# Sum of packets waiting for a verdict in the gateway's queues.
eg_kwaiting() {
	in_gw cat /proc/net/netfilter/nfnetlink_queue |
		awk '{ s += $3 } END { print s + 0 }'
}

# Start journald if none runs (the tests check structured fields). Call it
# again before stopping a daemon whose exit entry a test reads: on a shared
# machine another job's journald may have come and gone meanwhile.
# journald is a system service, not the test's: one a test starts stays up
# for the tests running beside it (stopping it at one test's cleanup cut
# off the entries of another test reading the journal at the same time).
start_journald() {
	setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
	EG_STARTED_JOURNALD=$!
	sleep 0.5
}

eg_journald() {
	if ! pgrep -x systemd-journal >/dev/null 2>&1 &&
	   ! [ -S /run/systemd/journal/socket ]; then
		[ -x /lib/systemd/systemd-journald ] ||
			eg_skip "no journald and /lib/systemd/systemd-journald missing"
		mkdir -p /run/systemd/journal
		start_journald
	elif ! pgrep -x systemd-journal >/dev/null 2>&1; then
		# a stale socket without a server
		rm -f /run/systemd/journal/socket
		mkdir -p /run/systemd/journal
		start_journald
	fi
	command -v journalctl >/dev/null || eg_skip "journalctl missing"
}

# eg_wait_for CMD... : retry a command for up to 10 s.
eg_wait_for() {
	local i
	for i in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# eg_daemon_setup BUILD_DIR: the start of a daemon test: root and netns
# (else skip), echoguardd built, the namespaces, a model in
# $EG_TMP/model.egf and the queue rule (queue 0, fail open). Sets BUILD.
eg_daemon_setup() {
	BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
	eg_require_netns
	[ -x "$BUILD/src/echoguardd" ] || eg_skip "echoguardd not built"
	eg_setup
	eg_model "$BUILD" "$EG_TMP/model.egf"
	eg_queue_rule 0 open
}

# eg_daemon BUILD CONFIG LOG: start echoguardd in the gateway namespace.
eg_daemon() {
	local build=$1 conf=$2 log=$3
	EG_DAEMON_T0=$(($(date +%s) - 1))
	# ip netns exec execs the command: $! is the daemon itself
	ip netns exec "$EG_GW" $EG_DAEMON_WRAP "$build/src/echoguardd" --foreground -c "$conf" >"$log" 2>&1 &
	EG_DAEMON_PID=$!
	eg_bg $EG_DAEMON_PID
	eg_wait_for grep -q "started:" "$log" ||
		{ cat "$log" >&2; eg_fail "echoguardd did not start"; }
}

EG_SRC=${EG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
EG_SIM=$EG_SRC/src/sim/echosim.py

# eg_model BUILD OUT: a model of the flow schema (the daemon's default)
# for the tests.
# $EG_MODEL if set; else trained here from simulated captures (idle, talk,
# muted with injected voice and bulk uploads) through `echoguard extract`
# and `echoguard train`.
eg_model() {
	local build=$1 out=$2 d
	if [ -n "$EG_MODEL" ]; then
		cp "$EG_MODEL" "$out" && return 0
	fi
	[ -f "$EG_SIM" ] || eg_skip "no simulator ($EG_SIM) to train a model"
	d=$EG_TMP/model
	mkdir -p "$d"
	/usr/bin/python3 "$EG_SIM" pcap --scenario idle --duration 600 --seed 1 -o "$d/sim-idle-1.pcapng" >/dev/null 2>&1 &&
	/usr/bin/python3 "$EG_SIM" pcap --scenario talk --duration 600 --seed 2 -o "$d/sim-talk-2.pcapng" >/dev/null 2>&1 &&
	/usr/bin/python3 "$EG_SIM" pcap --scenario muted --duration 600 --seed 3 --inject voice -o "$d/sim-muted-3.pcapng" >/dev/null 2>&1 &&
	/usr/bin/python3 "$EG_SIM" pcap --scenario muted --duration 600 --seed 4 --inject bulk -o "$d/sim-muted-4.pcapng" >/dev/null 2>&1 ||
		eg_fail "echosim pcap"
	local E=$build/src/echoguard
	$E extract --features shape --context idle -o "$d/idle.csv" "$d/sim-idle-1.pcapng" 2>/dev/null &&
	$E extract --features shape --interactions "$d/sim-talk-2.pcapng.interactions.csv" -o "$d/talk.csv" "$d/sim-talk-2.pcapng" 2>/dev/null &&
	# As models/build.sh does: the idle and talk captures once more as if
	# muted, so the model ties "muted" to the microphone feature, not to
	# the shapes of the simulated muted captures.
	$E extract --features shape --context muted -o "$d/muted.csv" "$d/sim-muted-3.pcapng" "$d/sim-muted-4.pcapng" \
		"$d/sim-idle-1.pcapng" "$d/sim-talk-2.pcapng" 2>/dev/null ||
		eg_fail "echoguard extract"
	$E train --trees 30 --seed 1 --split none --features shape --threads 2 \
		-o "$out" "$d/idle.csv" "$d/talk.csv" "$d/muted.csv" >/dev/null 2>&1 ||
		eg_fail "echoguard train"
}

# eg_config FILE KEY=VALUE... : write a config (sections given as [x]).
eg_config() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# eg_cert DIR: a self-signed certificate for the cloud's TLS servers.
eg_cert() {
	/usr/bin/python3 "$EG_SIM" mkcert "$1" >/dev/null || eg_fail "mkcert"
}

# eg_server PORT LOG: the simulator's TLS server in the cloud namespace.
eg_server() {
	ip netns exec "$EG_CLOUD" /usr/bin/python3 "$EG_SIM" server --listen "$EG_CLOUD_IP:$1" \
		--cert "$EG_TMP/cert/cert.pem" --key "$EG_TMP/cert/key.pem" \
		--log "$2" --ready-file "$2.ready" 2>/dev/null &
	eg_bg $!
	eg_wait_for test -s "$2.ready" || eg_fail "TLS server on port $1"
}

# eg_live PORT SCENARIO SEED INJECT DURATION LOG [PARAM...]: the simulated
# Echo in the device namespace against the cloud's server on PORT, time
# compressed 2x, the microphone from $EG_TMP/mic.
eg_live() {
	local port=$1 sc=$2 seed=$3 inj=$4 dur=$5 log=$6
	shift 6
	in_dev timeout 300 /usr/bin/python3 "$EG_SIM" live \
		--server "$EG_CLOUD_IP:$port" --scenario "$sc" --seed "$seed" \
		--inject "$inj" --duration "$dur" --speed 2 \
		--mic-file "$EG_TMP/mic" --log "$log" "$@" 2>>"$EG_TMP/live.err"
}

# eg_jfield PID FIELD [EVENT]: FIELD of the last journal entry of PID
# (EG_EVENT=stats unless EVENT given); empty when none.
eg_jfield() {
	# --since: pids are reused; only this daemon's entries count
	journalctl --no-pager -o json --since "@${EG_DAEMON_T0:-0}" _PID="$1" \
		EG_EVENT="${3:-stats}" 2>/dev/null |
		/usr/bin/python3 -c '
import json, sys
last = None
for line in sys.stdin:
    try:
        last = json.loads(line)
    except ValueError:
        pass
print(last.get(sys.argv[1], "") if last else "")' "$2"
}

# eg_jcount PID EVENT: number of journal entries of PID with EG_EVENT.
eg_jcount() {
	journalctl --no-pager -o cat --since "@${EG_DAEMON_T0:-0}" _PID="$1" \
		EG_EVENT="$2" 2>/dev/null | wc -l
}

# eg_sum_log FILE EV KIND: sum of "bytes" of JSON lines with ev and kind
# (kind "*" for any).
eg_sum_log() {
	/usr/bin/python3 - "$@" <<'PY'
import json, sys
path, ev, kind = sys.argv[1:4]
n = 0
try:
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("ev") == ev and (kind == "*" or r.get("kind") == kind):
            n += int(r.get("bytes", 0))
except OSError:
    pass
print(n)
PY
}

# eg_count_log FILE EV: number of JSON lines with that ev.
eg_count_log() {
	grep -c "\"ev\": \"$2\"" "$1" 2>/dev/null || true
}

check() {
	# check DESCRIPTION COND...: print ok/not ok, remember failures
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		EG_FAILED=$((${EG_FAILED:-0} + 1))
	fi
}
