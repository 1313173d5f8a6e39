#!/bin/sh
# SPDX-License-Identifier: MIT
# check.sh [DATA_DIR]: the committed captures are what tests/data/README.md
# says. Always: each file's sha256 is the one the README lists, and every
# file under vcf/ is listed. With DATA_DIR (the whole data set, e.g.
# ../shared/data): each capture is byte-identical to DATA_DIR's, and
# vcf/interactions.csv holds exactly DATA_DIR's rows of these captures.
# ECHOGUARD_SHARED_DATA, when set, stands for DATA_DIR.
# Exit 0 good, 1 a difference, 77 DATA_DIR given but absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
sums=$(sed -n 's/^    \([0-9a-f]\{64\}  vcf\/.*\)$/\1/p' README.md)
[ -n "$sums" ] || { echo "FAIL: no sha256 lines in README.md"; exit 1; }
fail=0
echo "$sums" | sha256sum -c - || fail=1
for f in $(find vcf -type f | sort); do
	echo "$sums" | grep -q "  $f\$" ||
		{ echo "FAIL: $f is not listed in README.md"; fail=1; }
done
if [ $# -ge 1 ]; then
	data=${ECHOGUARD_SHARED_DATA:-$1}
	[ -d "$data/vcf/pcap" ] ||
		{ echo "SKIP: the whole data set ($data/vcf) is not here"; exit 77; }
	for f in vcf/pcap/*; do
		cmp "$f" "$data/$f" || { echo "FAIL: $f differs from $data/$f"; fail=1; }
	done
	names=$(cd vcf/pcap && ls | sed 's/[.]/[.]/g' | paste -sd'|')
	{ head -1 "$data/vcf/interactions.csv"
	  grep -E "^($names)," "$data/vcf/interactions.csv"; } |
		cmp - vcf/interactions.csv ||
		{ echo "FAIL: vcf/interactions.csv is not $data's rows"; fail=1; }
	echo "$(ls vcf/pcap | wc -l) captures and $(($(wc -l <vcf/interactions.csv) - 1)) interactions identical to $data"
fi
[ $fail -eq 0 ] && echo PASS
exit $fail
