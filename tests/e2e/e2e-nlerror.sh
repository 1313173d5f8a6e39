#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-nlerror: the kernel's verdict errors are read. nfqerr (the daemon's
# own queue module, src/daemon/nfq.c) binds a queue that takes the
# device's TCP to the cloud, and answers the first packet (a SYN) with a
# verdict the kernel refuses (EINVAL: the packet stays queued) and one
# for an unknown packet id (ENOENT). Both come back as NLMSG_ERROR
# messages, not as an errno from sendto. The module must read them: the
# refused SYN gets the fallback verdict (accept) at once, so the
# connection opens without the SYN's 1 s retransmission and nothing stays
# queued; both errors are counted, the unknown id apart.
# At ff073b4 the errors were dropped unread: the first SYN waits in the
# kernel queue until the socket closes, the connection needs the
# retransmitted SYN.
# Usage: e2e-nlerror.sh BUILD_DIR   (EG_NFQERR: another nfqerr binary)
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
eg_require_netns
NFQERR=${EG_NFQERR:-$BUILD/tests/e2e/nfqerr}
[ -x "$NFQERR" ] || eg_skip "nfqerr not built"
eg_setup
in_gw iptables -A FORWARD -s $EG_DEV_IP -d $EG_CLOUD_IP -p tcp --dport 4500 \
	-j NFQUEUE --queue-num 7 || eg_fail "iptables NFQUEUE rule"
ip netns exec "$EG_CLOUD" /usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4500)); s.listen(16); time.sleep(30)' &
eg_bg $!
# connect: seconds the TCP handshake took (-1: failed)
connect() {
	in_dev /usr/bin/python3 -c 'import socket, sys, time
t = time.time()
try:
    socket.create_connection((sys.argv[1], 4500), timeout=4).close()
    print("%.3f" % (time.time() - t))
except OSError:
    print(-1)' $EG_CLOUD_IP
}
ip netns exec "$EG_GW" "$NFQERR" 7 6 >"$EG_TMP/nfqerr.out" 2>&1 &
NPID=$!
eg_bg $NPID
eg_wait_for grep -q bound "$EG_TMP/nfqerr.out" || eg_fail "nfqerr did not bind"
sleep 0.3
t=$(connect)
eg_log "first connection (its SYN refused by the kernel): $t s"
check "the refused SYN got the fallback accept at once ($t s < 0.5 s)" \
	/usr/bin/python3 -c "import sys; sys.exit(not 0 <= $t < 0.5)"
waiting=$(eg_kwaiting)
eg_log "packets waiting in the kernel queue: $waiting"
check "nothing left waiting in the kernel queue ($waiting)" test "$waiting" -eq 0
t=$(connect)
check "a later connection passes ($t s)" \
	/usr/bin/python3 -c "import sys; sys.exit(not 0 <= $t < 0.5)"
wait $NPID
cat "$EG_TMP/nfqerr.out" >&2
read -r _ rx _ kerr _ unk _ fb _ < <(grep '^received' "$EG_TMP/nfqerr.out")
check "both NLMSG_ERRORs counted ($kerr)" test "${kerr:-0}" -ge 2
check "the unknown id counted as such ($unk)" test "${unk:-0}" -ge 1
check "the refused verdict re-sent as the fallback ($fb)" test "${fb:-0}" -ge 1
[ "${EG_FAILED:-0}" = 0 ] || eg_fail "$EG_FAILED checks failed"
echo PASS
