#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-layouts.sh BUILD_DIR: the inference layouts of docs/forest.md
# against the production one in one run (layouts-bench, built from
# layouts-bench.c and layouts.c): one-row ns per row and the ratio to
# production, on the shipped models/default.egf (flow features) and the
# flow features of the first BENCH_CAPS (8) real captures of
# $ECHOGUARD_SHARED_DATA/vcf/pcap. BENCH_MODEL / BENCH_CSV override both.
# Exit 77 without the data, 1 when a layout predicts differently.
set -u

build=${1:-build}
eg=$build/src/echoguard
lb=$build/tests/bench/layouts-bench
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${ECHOGUARD_SHARED_DATA:-${EG_SHARED_DATA:-$repo/../shared/data}}
model=${BENCH_MODEL:-$repo/models/default.egf}

[ -x "$eg" ] && [ -x "$lb" ] || { echo "SKIP: $eg or $lb not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ -n "${BENCH_CSV:-}" ]; then
	csv=$BENCH_CSV
else
	[ -d "$data/vcf/pcap" ] || { echo "SKIP: $data/vcf/pcap not found"; exit 77; }
	mkdir "$tmp/caps"
	ls "$data/vcf/pcap" | sort | head -n "${BENCH_CAPS:-8}" | while read -r f; do
		ln -s "$data/vcf/pcap/$f" "$tmp/caps/$f"
	done
	fset=$("$eg" model info "$model" | sed -n 's/^schema: *\([a-z]*\) .*/\1/p')
	[ -n "$fset" ] || { echo "no schema in $model"; exit 1; }
	csv=$tmp/$fset.csv
	"$eg" extract --features "$fset" -o "$csv" "$tmp/caps" 2>/dev/null ||
		{ echo "extract --features $fset failed"; exit 1; }
fi
"$lb" "$model" "$csv" "${BENCH_ROWS:-0}"
