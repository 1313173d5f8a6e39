#!/bin/sh
# SPDX-License-Identifier: MIT
# models/build.sh: rebuild the default model bit for bit from the real
# captures (../shared/data/vcf), the simulated Echo and simulated device
# variants (fixed seeds).
#
#   models/build.sh [-B BUILD_DIR] [-o OUT.egf] [--check] [--keep DIR]
#
# Default output models/default.egf. --check builds into a temporary file
# and compares it with the shipped models/default.egf byte for byte (exit 1
# when they differ). The data: ECHOGUARD_SHARED_DATA or ../shared/data.
# Steps (each deterministic):
#   1. echoguard extract --features shape --margin 2 over vcf/pcap with
#      vcf/interactions.csv (expected/justified + the five protocol classes)
#   2. the same real captures extracted a second time with --context muted
#      (realmuted.csv: "real, replayed as muted": real packets labelled as
#      if the microphone had been muted, so every app-data packet is
#      not_justified and the microphone feature 0; a SIMULATED context on
#      real packets; the source column is the capture name, as in real.csv)
#   3. echosim.py pcap: 10 muted captures of 1800 s (seeds 1-10: 4 with
#      injected voice, 4 with injected bulk uploads, 2 with a chatty muted
#      device), extracted with --context muted (not_justified)
#   4. src/sim/variants.py: the training device variants 1-12 (never
#      101-199, kept for held-out evaluation), each a talk capture of 900 s
#      (seed 1, its interactions: vartalk.csv) and a muted one of 600 s
#      (seed 2, injected voice; --context muted: varmuted.csv)
#   5. echoguard train --features shape --trees 50 --max-depth 16 --seed 6
#      --split none on real.csv realmuted.csv sim.csv vartalk.csv varmuted.csv
#   6. the model's metadata is made reproducible: the training date and
#      duration are replaced by fixed values (models/canon-meta.py)
#   7. models/base.csv, the bundled training data of `echoguard learn fit`
#      (docs/learn.md): 2000 rows per class, evenly spaced over the
#      training CSVs of step 5 (models/base-sample.py)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build="$src/build"
out="$here/default.egf"
check=0
keep=
while [ $# -gt 0 ]; do
	case "$1" in
	-B) build=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--check) check=1; shift ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n 2,35p "$0"; exit 0 ;;
	*) echo "models/build.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done
# absolute: the training step runs in the work directory
case $build in /*) ;; *) build=$PWD/$build ;; esac
data=${ECHOGUARD_SHARED_DATA:-$src/../shared/data}
vcf="$data/vcf"
eg="$build/src/echoguard"
py=/usr/bin/python3
[ -d "$vcf/pcap" ] || { echo "models/build.sh: $vcf/pcap: no such directory" >&2; exit 77; }
[ -x "$eg" ] || { echo "models/build.sh: $eg: not built (cmake --build $build)" >&2; exit 2; }

# The recipe: change it only together with the shipped model and the card.
TREES=50
DEPTH=16
SEED=6
MARGIN=2
DURATION=1800
FEATURES=shape
VARIANTS="1 2 3 4 5 6 7 8 9 10 11 12"
MODEL_DATE=2026-11-22T00:00:00Z
BASE_PER_CLASS=2000

if [ -n "$keep" ]; then
	work=$keep
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/eg-model-XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/sim" "$work/vartalk" "$work/varmuted"

"$eg" extract --device 192.168.86.40 --features $FEATURES --margin $MARGIN \
	--interactions "$vcf/interactions.csv" -o "$work/real.csv" "$vcf/pcap"
"$eg" extract --device 192.168.86.40 --features $FEATURES --margin $MARGIN \
	--context muted -o "$work/realmuted.csv" "$vcf/pcap"

sim() { # scenario seed name extra...
	s=$1 seed=$2 name=$3
	shift 3
	"$py" "$src/src/sim/echosim.py" pcap --scenario "$s" --duration $DURATION \
		--seed "$seed" "$@" -o "$work/sim/$name-$seed.pcapng" 2>/dev/null
}
for i in 1 2 3 4; do sim muted $i sim-muted-voice --inject voice; done
for i in 5 6 7 8; do sim muted $i sim-muted-bulk --inject bulk; done
for i in 9 10; do
	sim muted $i sim-muted-chatty --muted-sends keepalive,connections,metrics,events
done
"$eg" extract --device 192.168.86.40 --features $FEATURES --context muted \
	-o "$work/sim.csv" "$work/sim"

var() { # variant: a talk capture and a muted one with injected voice
	"$py" "$src/src/sim/variants.py" pcap --variant "$1" --scenario talk \
		--duration 900 --seed 1 -o "$work/vartalk/sim-var-$1-talk.pcapng" \
		2>/dev/null
	"$py" "$src/src/sim/variants.py" pcap --variant "$1" --scenario muted \
		--inject voice --duration 600 --seed 2 \
		-o "$work/varmuted/sim-var-$1-muted.pcapng" 2>/dev/null
}
for v in $VARIANTS; do var "$v" & [ $((v % 2)) = 0 ] && wait; done
wait
cat "$work"/vartalk/*.interactions.csv | awk 'NR == 1 || !/^pcap,/' \
	>"$work/vartalk.interactions.csv"
"$eg" extract --device 192.168.86.40 --features $FEATURES --margin $MARGIN \
	--interactions "$work/vartalk.interactions.csv" -o "$work/vartalk.csv" \
	"$work/vartalk"
"$eg" extract --device 192.168.86.40 --features $FEATURES --context muted \
	-o "$work/varmuted.csv" "$work/varmuted"

# relative names: the metadata lists the CSVs as given
(cd "$work" && "$eg" train --features $FEATURES --trees $TREES \
	--max-depth $DEPTH --seed $SEED --threads 2 --split none -o model.egf \
	real.csv realmuted.csv sim.csv vartalk.csv varmuted.csv >train.log)
"$py" "$here/canon-meta.py" "$work/model.egf" "$MODEL_DATE"
(cd "$work" && "$py" "$here/base-sample.py" --per-class $BASE_PER_CLASS \
	-o base.csv real.csv realmuted.csv sim.csv vartalk.csv varmuted.csv \
	2>/dev/null)

if [ $check = 1 ]; then
	if cmp -s "$work/model.egf" "$here/default.egf" &&
		cmp -s "$work/base.csv" "$here/base.csv"; then
		echo "models/build.sh: rebuilt model and base.csv are identical to models/"
		exit 0
	fi
	echo "models/build.sh: rebuilt model or base.csv DIFFERS from models/" >&2
	cmp "$work/model.egf" "$here/default.egf" >&2 || true
	cmp "$work/base.csv" "$here/base.csv" >&2 || true
	exit 1
fi
cp "$work/model.egf" "$out.tmp"
mv "$out.tmp" "$out"
[ "$work/base.csv" -ef "$(dirname "$out")/base.csv" ] ||
	cp "$work/base.csv" "$(dirname "$out")/base.csv"
sha256sum "$out" | sed "s|  .*/|  |" >"$out.sha256"
echo "models/build.sh: wrote $out ($(wc -c <"$out") bytes)"
