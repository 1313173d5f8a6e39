#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-ratio: the per-packet cost of this tree against a reference commit
# (EG_BENCH_BASE, default ff073b4: the branch point of the upload-level
# verdicts), in one run on the same machine. The reference is exported
# into a temporary directory, gets this tree's tests/bench/bench-core.c
# (it uses only calls both trees have) and is built with this build's
# CMAKE_BUILD_TYPE; then the two bench-core binaries run alternately,
# three rounds each, over the same frames in memory and the same model:
#   core: eg_engine_process alone (flow feature set);
#   full: engine + forest + policy, the daemon's per-packet path, with
#         the reference's own models/default.egf (flow feature set: the
#         reference has no shape schema, so both trees load that model).
# Prints each round's thread-CPU ns/packet and the median ratio new/old.
# Goal (issue 10): full <= 2x. Usage: bench-ratio.sh BUILD_DIR (77: no data)
# POSIX sh: ctest runs it with `sh`.
set -u
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BASE=${EG_BENCH_BASE:-ff073b4}
DATA=${EG_SHARED_DATA:-$SRC/../shared/data}
NEW=$BUILD/tests/bench/bench-core
SECS=${EG_BENCH_SECONDS:-1}
[ -f "$DATA/vcf/pcap/alexa_5_40s.pcap" ] || { echo "SKIP: no shared data in $DATA"; exit 77; }
[ -x "$NEW" ] || { echo "SKIP: $NEW not built"; exit 77; }
git -C "$SRC" cat-file -e "$BASE^{commit}" 2>/dev/null ||
	{ echo "SKIP: reference $BASE is not in this clone"; exit 77; }
T=$(mktemp -d /tmp/eg-bench-ratio.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/base"
git -C "$SRC" archive "$BASE" | tar -x -C "$T/base"
cp "$SRC/tests/bench/bench-core.c" "$T/base/tests/bench/bench-core.c"
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
if ! cmake -S "$T/base" -B "$T/build" -DCMAKE_BUILD_TYPE="${type:-RelWithDebInfo}" \
	-DEG_SHARED_DATA="$DATA" >"$T/cmake.log" 2>&1 ||
   ! cmake --build "$T/build" --target bench-core -j 2 >>"$T/cmake.log" 2>&1; then
	tail -20 "$T/cmake.log"
	echo "FAIL: the reference $BASE does not build"
	exit 1
fi
OLD=$T/build/tests/bench/bench-core
MODEL=$T/base/models/default.egf
# cpu-ns/packet of the "all" line: cost BINARY core|full
cost() {
	if [ "$2" = full ]; then
		"$1" --model "$MODEL" --seconds "$SECS"
	else
		"$1" --seconds "$SECS"
	fi | awk '$1 == "all" && ($2 == "flow" || $2 == "full") { print $5 }'
}
median() { sort -g | sed -n 2p; }
echo "per-packet thread-CPU ns, reference $BASE vs this tree ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)), $type, ${SECS} s per capture"
printf '%-5s %-6s %10s %10s %7s\n' path round old new ratio
fail=0
for path in core full; do
	: >"$T/ratios"
	for round in 1 2 3; do
		o=$(cost "$OLD" $path)
		n=$(cost "$NEW" $path)
		[ -n "$o" ] && [ -n "$n" ] ||
			{ echo "FAIL: no 'all' line from bench-core ($path)"; exit 1; }
		r=$(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.3f", n / o }')
		echo "$r" >>"$T/ratios"
		printf '%-5s %-6s %10s %10s %7s\n' $path $round "$o" "$n" "$r"
	done
	m=$(median <"$T/ratios")
	echo "$path: median ratio new/old $m"
	awk -v m="$m" 'BEGIN { exit !(m <= 2.0) }' || { echo "FAIL: $path costs more than 2x"; fail=1; }
done
exit $fail
