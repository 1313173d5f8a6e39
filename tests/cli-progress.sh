#!/bin/bash
# SPDX-License-Identifier: MIT
# cli-progress: the long offline commands draw a progress bar on a terminal
# and stay quiet otherwise. extract over the committed captures and train
# (and learn fit, its steps) run once with stderr on a pseudo-terminal
# (script(1)) and once on a pipe: the bar ("label [###...] NN% (k/n)") shows only on the terminal,
# reaches 100% (n/n), and the pipe's stderr has no carriage return.
# usage: tests/cli-progress.sh SOURCE_DIR BUILD_DIR
src=$1 build=$2 fail=0
E=$build/src/echoguard
command -v script >/dev/null || { echo "SKIP: script(1) missing"; exit 77; }
tmp=$(mktemp -d /tmp/eg-progress.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cap=$src/tests/data/vcf
n=$(ls "$cap/pcap" | wc -l)
run() { # NAME CMD...: tty and pipe runs of CMD, stderr kept
	local name=$1
	shift
	script -qec "$*" "$tmp/$name.typescript" >/dev/null 2>&1
	"$@" >/dev/null 2>"$tmp/$name.pipe.err"
}
run extract "$E" extract --features flow --interactions "$cap/interactions.csv" -o "$tmp/x.csv" "$cap/pcap"
run train "$E" train --trees 30 --threads 2 --split none --features flow -o "$tmp/m.egf" "$tmp/x.csv"
# learn fit over the committed captures as a recording (cli-learn.sh)
rec=$tmp/rec
mkdir "$rec"
i=0
for f in "$cap"/pcap/*.pcap; do
	i=$((i + 1))
	ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$rec/seg-154000000$i.pcap"
done
echo "1500000000,1" >"$rec/mic.csv"
run learn "$E" learn fit --dir "$rec" --model "$src/models/default.egf" \
	--base "$src/models/base.csv" --device 192.168.86.40 --trees 4
check() {
	if "${@:2}"; then echo "ok - $1"; else echo "not ok - $1"; fail=$((fail + 1)); fi
}
check "extract: a bar on the terminal reaching $n/$n" grep -aq "extract \[#*\] 100% ($n/$n)" "$tmp/extract.typescript"
check "train: a bar on the terminal reaching 30/30" grep -aq "train \[#*\] 100% (30/30)" "$tmp/train.typescript"
check "train: the bar moved (several redraws)" test "$(tr '\r' '\n' <"$tmp/train.typescript" | grep -ac '^train \[')" -ge 2
check "learn fit: its steps on the terminal, up to [7/7]" grep -aq "learn fit \[7/7\] replaying" "$tmp/learn.typescript"
check "learn fit: no step lines when stderr is a pipe" sh -c "! grep -aq 'learn fit \[' $tmp/learn.pipe.err"
for c in extract train learn; do
	check "$c: no bar when stderr is a pipe" sh -c "! grep -aq \"$c \\[\" $tmp/$c.pipe.err"
	check "$c: no carriage return when stderr is a pipe" sh -c "! grep -aq \$(printf '\\r') $tmp/$c.pipe.err"
done
[ "$fail" = 0 ] && echo PASS
[ "$fail" = 0 ]
