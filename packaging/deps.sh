#!/bin/sh
# Install the Debian packages echoguard needs to build, test and demo.
# Idempotent: installs only what is missing. Needs root (or sudo).
#   packaging/deps.sh [build|test|all|cross]   (default: all; cross adds
#   the arm64 cross compiler and multiarch -dev packages). chromium: the
#   browser engine that renders `echoguard report`'s SVG in e2e-status.
set -eu
profile=${1:-all}
build="cmake make gcc pkg-config libpcap-dev libnetfilter-queue-dev libmnl-dev
       libnfnetlink-dev libiniparser-dev libsystemd-dev"
test="clang libclang-rt-14-dev tshark python3 python3-sklearn python3-numpy
      python3-pandas iproute2 iptables nftables openssl systemd procps
      dpkg-dev file ethtool time chromium"
cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross libpcap-dev:arm64
       libnetfilter-queue-dev:arm64 libmnl-dev:arm64 libnfnetlink-dev:arm64
       libiniparser-dev:arm64 libsystemd-dev:arm64 qemu-user"
case $profile in
build) want=$build ;;
test | all) want="$build $test" ;;
cross) want="$build $cross" ;;
*) echo "usage: $0 [build|test|all|cross]" >&2; exit 2 ;;
esac
missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$SUDO debconf-set-selections 2>/dev/null || true
if [ "$profile" = cross ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
