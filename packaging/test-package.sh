#!/bin/bash
# Build the Debian package, install it on this machine, check the installed
# files work, then remove it and check it left no rules behind.
# The rules part runs inside a network namespace of its own, so the host's
# firewall is never touched. Needs root.  usage: packaging/test-package.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg, network namespace)"; exit 77; }
ns=eg-pkg-$$
pass=0 fail=0
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); echo "ok   $what"
	else fail=$((fail + 1)); echo "FAIL $what"; fi
}
cleanup() { ip netns del $ns 2>/dev/null; }
trap cleanup EXIT

(cd "$build" && cpack -G DEB >/dev/null) || { echo "FAIL: cpack"; exit 1; }
deb=$(ls -t "$build"/echoguard_*_*.deb | head -1)
echo "# package: $deb ($(stat -c %s "$deb") bytes)"
dpkg -r echoguard >/dev/null 2>&1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >/dev/null 2>&1 ||
	dpkg -i "$deb" || { echo "FAIL: install"; exit 1; }
for f in /usr/bin/echoguard /usr/sbin/echoguardd /usr/share/echoguard/default.egf \
	 /usr/share/echoguard/base.csv \
	 /etc/echoguard/echoguard.ini /lib/systemd/system/echoguardd.service \
	 /usr/share/man/man8/echoguardd.8.gz /usr/share/man/man1/echoguard.1.gz \
	 /usr/share/man/man5/echoguard.ini.5.gz; do
	check "installed: $f" test -s "$f"
done
check "conffile: /etc/echoguard/echoguard.ini" grep -qx /etc/echoguard/echoguard.ini /var/lib/dpkg/info/echoguard.conffiles
check "user echoguard created" getent passwd echoguard
check "state dir /var/lib/echoguard: root, 0755 (learned models)" \
	test "$(stat -c %U:%a /var/lib/echoguard)" = root:755
check "echoguardd --check-config on the installed config and model" \
	/usr/sbin/echoguardd --check-config -c /etc/echoguard/echoguard.ini
check "echoguard model info on the installed model" \
	/usr/bin/echoguard model info /usr/share/echoguard/default.egf
# learn fit's default --base is the installed bundled data: with it
# there, a recording of two empty segments fails later, at labelling
rec=$(mktemp -d)
: >"$rec/seg-1700000000.pcap"
: >"$rec/seg-1700000900.pcap"
echo "1700000000,1" >"$rec/mic.csv"
/usr/bin/echoguard learn fit --dir "$rec" --model /usr/share/echoguard/default.egf \
	>/dev/null 2>"$rec/err"
check "learn fit finds the bundled data (base.csv) by default" \
	sh -c "! grep -q -- '--base' '$rec/err' && grep -q 'labelling' '$rec/err'"
rm -rf "$rec"
if command -v systemd-analyze >/dev/null; then
	unit=/lib/systemd/system/echoguardd.service
	# verify: nothing but the Documentation= man links may complain (a
	# machine without man-db's index cannot resolve them).
	systemd-analyze verify $unit >"$build/verify.log" 2>&1
	check "systemd-analyze verify: no complaint about the unit" \
		sh -c "! grep -v \"Command 'man \" '$build/verify.log' | grep -q ."
	exposure=$(systemd-analyze security --offline=yes $unit 2>/dev/null |
		sed -n 's/.*Overall exposure level for echoguardd.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security exposure: ${exposure:-?} (docs/daemon.md)"
	check "systemd-analyze security exposure <= 2.0 (${exposure:-none})" \
		awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
fi
# Rules: up in a namespace with the installed tool and config (a device
# address added to a copy of the config), then remove the package from
# inside the namespace: prerm must take our rules away and nothing else.
ip netns add $ns || { echo "FAIL: ip netns add"; exit 1; }
ip netns exec $ns iptables -A FORWARD -s 192.0.2.99 -j ACCEPT
cp /etc/echoguard/echoguard.ini /etc/echoguard/echoguard.ini.pkgtest
printf '\n[device]\naddress = 192.0.2.40\n' >>/etc/echoguard/echoguard.ini
check "echoguard rules up from the installed config" ip netns exec $ns /usr/bin/echoguard rules up --quiet -c /etc/echoguard/echoguard.ini
check "rules are up" ip netns exec $ns /usr/bin/echoguard rules status
mv /etc/echoguard/echoguard.ini.pkgtest /etc/echoguard/echoguard.ini
# The prerm reads the config for the device; put the address back for it.
printf '\n[device]\naddress = 192.0.2.40\n' >>/etc/echoguard/echoguard.ini
check "dpkg --purge (prerm in the namespace)" ip netns exec $ns dpkg --purge echoguard
check "no echoguard rules left" sh -c "! ip netns exec $ns iptables -S | grep -qi echoguard"
check "no nft table left" sh -c "! ip netns exec $ns nft list table inet echoguard"
check "a rule echoguard did not create is still there" sh -c "ip netns exec $ns iptables -S FORWARD | grep -q 192.0.2.99"
check "binaries gone" test ! -e /usr/sbin/echoguardd
check "config purged" test ! -e /etc/echoguard/echoguard.ini
check "state dir purged" test ! -e /var/lib/echoguard
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
