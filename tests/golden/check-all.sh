#!/bin/sh
# SPDX-License-Identifier: MIT
# check-all.sh BUILD_DIR [OUTDIR]: the golden comparison over EVERY shared
# capture, not only the three committed references. Makes the references
# with mkref.sh into OUTDIR (default /tmp/echoguard-golden-all; needs tshark,
# about 2 s per capture), runs golden-compare on each, and prints one line
# per capture plus the disagreement categories summed over all of them.
# Not a ctest test: the references are not committed. See README.md.
set -u
build=${1:?usage: check-all.sh BUILD_DIR [OUTDIR]}
out=${2:-/tmp/echoguard-golden-all}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${ECHOGUARD_SHARED_DATA:-$repo/../shared/data}
cmp=$build/tests/golden/golden-compare
[ -x "$cmp" ] || { echo "check-all.sh: $cmp not built" >&2; exit 2; }
mkdir -p "$out"
if [ -z "${CHECK_ALL_REUSE:-}" ]; then
	MKREF_CAPTURES=all MKREF_OUT=$out "$here/mkref.sh" "$data" 2>&1 |
		grep -v '^Running as\|^wrote' >"$out/mkref.txt"
fi
fail=0
printf '%-60s %8s %8s %8s %8s\n' capture frames ctype% layer% retrans%
for ref in "$out"/*.ref.tsv; do
	base=$(basename "$ref" .ref.tsv)
	"$cmp" --data "$data" --ref "$ref" --log "$out/$base.log" \
		"$base.pcap" >"$out/$base.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || fail=$((fail + 1))
	awk -v name="$base" -v rc="$rc" '
		/ frames$/ { frames = $2 }
		$1 == "content_type" { c = $5 } $1 == "highest_layer" { l = $5 }
		$1 == "retransmission" { r = $5 }
		END { printf "%-60.60s %8s %8s %8s %8s%s\n", name, frames, c, l, r,
		      rc == 0 ? "" : "  FAIL(" rc ")" }' "$out/$base.out"
done
echo
echo "disagreements by field and category, all captures:"
cat "$out"/*.log | grep -v '^#' | awk -F'\t' '{ n[$2 " | " $8]++ }
	END { for (k in n) printf "%7d  %s\n", n[k], k }' | sort -rn
echo "captures below 99.5 % on a field: $fail (outputs in $out)"
