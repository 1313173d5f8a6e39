#!/bin/sh
# bench-audit.sh BUILD_DIR: time `echoguard audit traces` feature extraction
# (loading the CSVs + per-trace statistics and histograms) over all the
# shared traces. Exit 77 when the shared data is absent.
set -eu
build=${1:?usage: bench-audit.sh BUILD_DIR}
data=${ECHOGUARD_SHARED_DATA:-${EG_SHARED_DATA:-$(dirname "$0")/../../../shared/data}}
traces=$data/vcf/traces
if [ ! -d "$traces" ]; then
	echo "bench-audit: $traces missing, skipped"
	exit 77
fi
bin=$build/src/echoguard
[ -x "$bin" ] || bin=$build/echoguard
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=$(ls "$traces" | grep -c '\.csv$')
printf '%-10s %7s %9s %12s\n' features traces seconds traces_per_s
for kind in stats hist both; do
	start=$(date +%s.%N)
	"$bin" audit traces --features "$kind" --dump "$out" "$traces" 2>/dev/null
	end=$(date +%s.%N)
	rows=$(($(wc -l < "$out") - 1))
	if [ "$rows" -ne "$n" ]; then
		echo "bench-audit: $kind: $rows rows for $n traces" >&2
		exit 1
	fi
	awk -v k="$kind" -v n="$n" -v s="$start" -v e="$end" \
		'BEGIN { printf "%-10s %7d %9.3f %12.0f\n", k, n, e - s, n / (e - s) }'
done
