#!/bin/bash
# `echoguard rules` and `echoguard capture` for real, inside a network
# namespace this test creates and deletes (the host's firewall and
# interfaces are never touched).
#  - rules up/status/down with the iptables backend (auto-detected: this
#    kernel has no nft queue expression), idempotent, never touching a rule
#    it did not create, flow-reset rules present only with on_drop = flow;
#  - capture on a veth while traffic flows: the pcap holds exactly the
#    device's packets, the side file names the context.
# usage: tests/cli-netns.sh BUILD_DIR
set -u
eg=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)/src/echoguard
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "SKIP: ip netns unavailable"; exit 77; }
command -v iptables >/dev/null || { echo "SKIP: iptables missing"; exit 77; }
ns=eg-cli-$$ ns2=eg-cli2-$$
tmp=$(mktemp -d)
cleanup() { ip netns del $ns 2>/dev/null; ip netns del $ns2 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
check() { if "${@:2}" >/dev/null 2>&1; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi; }
nsx() { ip netns exec $ns "$@"; }

ip netns add $ns && ip netns add $ns2 || { echo "FAIL: ip netns add"; exit 1; }
nsx iptables -A FORWARD -s 192.0.2.99 -j ACCEPT
printf '[device]\naddress = 10.201.0.2\n[daemon]\nqueues = 0-1\nfail = closed\n[policy]\non_drop = flow\nflow_mark = 0x77\n' >"$tmp/eg.ini"

check "rules up (from the config)" nsx "$eg" rules up --quiet -c "$tmp/eg.ini"
nsx iptables -S >"$tmp/rules1"
check "status says up" nsx "$eg" rules status
check "device's packets queued, balanced over 0-1, no bypass (fail = closed)" \
	grep -qx -- "-A ECHOGUARD -s 10.201.0.2/32 -p tcp -j NFQUEUE --queue-balance 0:1" "$tmp/rules1"
check "server's packets queued too" \
	grep -qx -- "-A ECHOGUARD -d 10.201.0.2/32 -p tcp -j NFQUEUE --queue-balance 0:1" "$tmp/rules1"
check "on_drop = flow: mark saved to the connection" grep -q -- "-m mark --mark 0x77 -j CONNMARK --save-mark" "$tmp/rules1"
check "on_drop = flow: connection reset" grep -q -- "-m connmark --mark 0x77 -j REJECT --reject-with tcp-reset" "$tmp/rules1"
check "one jump from FORWARD" test "$(grep -c -- '-j ECHOGUARD' "$tmp/rules1")" = 1
check "rules up again: idempotent" nsx "$eg" rules up --quiet -c "$tmp/eg.ini"
nsx iptables -S >"$tmp/rules2"
check "rules up again: same rule set" cmp -s "$tmp/rules1" "$tmp/rules2"
check "fail = open adds the bypass" nsx "$eg" rules up --quiet -c "$tmp/eg.ini" --fail open
check "bypass present" sh -c "ip netns exec $ns iptables -S ECHOGUARD | grep -q -- --queue-bypass"
check "rules down" nsx "$eg" rules down --quiet
check "no ECHOGUARD rule left" sh -c "! ip netns exec $ns iptables -S | grep -q ECHOGUARD"
check "the foreign rule is still there" sh -c "ip netns exec $ns iptables -S FORWARD | grep -q 192.0.2.99"
check "status says down (exit 3)" sh -c "ip netns exec $ns $eg rules status; test \$? = 3"
check "rules down again: nothing to do, success" nsx "$eg" rules down --quiet
check "rules up without a device: usage error (exit 2)" sh -c "ip netns exec $ns $eg rules up --quiet; test \$? = 2"
# The default on_drop (flow) gets its reset rules with the default mark;
# on_drop = packet none.
printf '[device]\naddress = 10.201.0.2\n' >"$tmp/default.ini"
printf '[device]\naddress = 10.201.0.2\n[policy]\non_drop = packet\n' >"$tmp/packet.ini"
check "default config: rules up" nsx "$eg" rules up --quiet -c "$tmp/default.ini"
nsx iptables -S ECHOGUARD >"$tmp/rules3"
check "default on_drop (flow): mark saved to the connection" grep -q -- "-m mark --mark 0x4547 -j CONNMARK --save-mark" "$tmp/rules3"
check "default on_drop (flow): connection reset" grep -q -- "-m connmark --mark 0x4547 -j REJECT --reject-with tcp-reset" "$tmp/rules3"
check "on_drop = packet: rules up" nsx "$eg" rules up --quiet -c "$tmp/packet.ini"
nsx iptables -S ECHOGUARD >"$tmp/rules4"
check "on_drop = packet: queue rules, no reset rules" sh -c "grep -q NFQUEUE '$tmp/rules4' && ! grep -qE 'CONNMARK|REJECT' '$tmp/rules4'"
check "rules down (after the default-config checks)" nsx "$eg" rules down --quiet

# capture: a veth pair between the two namespaces; the "device" 10.201.0.2
# and another host 10.201.0.3 both talk to 10.201.0.1.
ip link add v0 netns $ns type veth peer name v1 netns $ns2
nsx ip addr add 10.201.0.1/24 dev v0
ip netns exec $ns2 ip addr add 10.201.0.2/24 dev v1
ip netns exec $ns2 ip addr add 10.201.0.3/24 dev v1
nsx ip link set v0 up; ip netns exec $ns2 ip link set v1 up
nsx ip link set lo up
sleep 1
nsx "$eg" capture -i v0 --device 10.201.0.2 --context muted --duration 4 -o "$tmp/cap.pcap" 2>"$tmp/cap.err" &
cpid=$!
sleep 1.5
send() { # SOURCE COUNT: UDP datagrams to 10.201.0.1:9 from SOURCE
	ip netns exec $ns2 /usr/bin/python3 -c "import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[2])):
    s.sendto(b'echoguard', ('10.201.0.1', 9)); time.sleep(0.1)" "$1" "$2"
}
send 10.201.0.2 3
send 10.201.0.3 2
wait $cpid
check "capture exits 0" test $? = 0
check "capture file written" test -s "$tmp/cap.pcap"
check "side file names the context" grep -qx "context=muted" "$tmp/cap.pcap.context"
check "side file names the device" grep -qx "devices=10.201.0.2" "$tmp/cap.pcap.context"
if command -v tshark >/dev/null; then
	n=$(tshark -r "$tmp/cap.pcap" -Y "!icmp && udp.dstport == 9 && ip.src == 10.201.0.2" 2>/dev/null | wc -l)
	other=$(tshark -r "$tmp/cap.pcap" -Y "ip.addr==10.201.0.3" 2>/dev/null | wc -l)
	check "the device's 3 datagrams captured ($n)" test "$n" -eq 3
	check "the other host's packets filtered out ($other)" test "$other" -eq 0
fi
check "capture: bad context refused (exit 2)" sh -c "$eg capture -i lo --device 10.0.0.1 --context sleeping -o $tmp/x.pcap 2>/dev/null; test \$? = 2"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
