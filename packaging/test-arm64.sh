#!/bin/bash
# The arm64 build computes the same features and verdicts as this machine's:
# run both on a real capture (arm64 under qemu-user) and compare the
# extracted CSV byte for byte and the replay verdicts line for line.
# usage: packaging/test-arm64.sh HOST_BUILD_DIR ARM64_BUILD_DIR
set -u
host=$1 arm=$2
q="qemu-aarch64 -L /usr/aarch64-linux-gnu"
command -v qemu-aarch64 >/dev/null || { echo "SKIP: qemu-user not installed"; exit 77; }
data=${ECHOGUARD_SHARED_DATA:-$(dirname "$0")/../../shared/data}
cap="$data/vcf/pcap/alexa_5_40s.pcap"
[ -r "$cap" ] || { echo "SKIP: $cap not here (no ../shared/data)"; exit 77; }
model=$(dirname "$0")/../models/default.egf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "${@:2}"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi; }
check "arm64 binary runs" $q "$arm/src/echoguard" --version
for f in seed flow; do
	"$host/src/echoguard" extract --features $f --interactions "$data/vcf/interactions.csv" -o "$tmp/host-$f.csv" "$cap" 2>/dev/null
	$q "$arm/src/echoguard" extract --features $f --interactions "$data/vcf/interactions.csv" -o "$tmp/arm-$f.csv" "$cap" 2>/dev/null
	check "extract --features $f: arm64 CSV identical ($(wc -l <"$tmp/host-$f.csv") rows)" cmp -s "$tmp/host-$f.csv" "$tmp/arm-$f.csv"
done
for mic in on off; do
	"$host/src/echoguard" replay --model "$model" --mic $mic --json "$cap" >"$tmp/host-$mic.json" 2>/dev/null
	$q "$arm/src/echoguard" replay --model "$model" --mic $mic --json "$cap" >"$tmp/arm-$mic.json" 2>/dev/null
	check "replay --mic $mic: arm64 verdicts identical ($(wc -l <"$tmp/host-$mic.json") lines)" cmp -s "$tmp/host-$mic.json" "$tmp/arm-$mic.json"
done
# The shipped config, pointed at the repository's model instead of the
# installed one.
sed "s|^;path = .*|path = $(cd "$(dirname "$model")" && pwd)/default.egf|" \
	"$(dirname "$0")/../conf/echoguard.ini" >"$tmp/eg.ini"
check "arm64 echoguardd --check-config: shipped config, default model" \
	$q "$arm/src/echoguardd" --check-config -c "$tmp/eg.ini"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
