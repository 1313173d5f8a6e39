#!/bin/bash
# Run every built libFuzzer target for SECONDS each, starting from its seed
# corpus tests/fuzz/corpus/<target>/ (read-only: new inputs go to a scratch
# dir). Fails if any target crashes, leaks, times out or finds nothing to
# run. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/, logs in
# BUILD_DIR/fuzz-logs/. EG_FUZZ_KEEP=DIR keeps each target's new inputs
# in DIR/<target>/ (the benchmark run: 600 s a target, one at a time).
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [SECONDS]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$build/fuzz-artifacts
logs=$build/fuzz-logs
mkdir -p "$artifacts" "$logs"

mapfile -t targets < <(find "$build" -path '*/CMakeFiles' -prune -o \
	-type f -name 'fuzz-*' -perm -u+x -print | sort)
if [ ${#targets[@]} -eq 0 ]; then
	echo "$0: no fuzz-* executables under $build (configure with CC=clang -DEG_FUZZ=ON)" >&2
	exit 1
fi

failed=0
for exe in "${targets[@]}"; do
	name=$(basename "$exe")
	if [ -n "${EG_FUZZ_KEEP:-}" ]; then
		scratch=$EG_FUZZ_KEEP/$name
		mkdir -p "$scratch"
	else
		scratch=$(mktemp -d)
	fi
	seeds=()
	[ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
	log=$logs/$name.log
	rc=0
	"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
		"$scratch" "${seeds[@]}" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
	corpus=$(find "$scratch" -type f | wc -l)
	[ -n "${EG_FUZZ_KEEP:-}" ] || rm -rf "$scratch"
	if [ $rc -ne 0 ]; then
		failed=1
		echo "FAIL $name (exit $rc) after ${execs:-?} executions; log $log:"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
	else
		echo "ok   $name: ${secs}s, ${execs:-?} executions, ${cov:-cov: ?}, $corpus new inputs"
	fi
done
exit $failed
