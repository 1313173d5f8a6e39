#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-mlp.sh BUILD_DIR: echoguard's audit MLP side by side with sklearn's
# MLPClassifier (Debian's python3-sklearn) on the same features and the
# same 70/10/20 splits (issue 14), beside the forest and the extra trees:
#   commands    100 commands, the real trace CSVs (vcf/traces)
#   users-csv   5 pseudo-users (the K-th repetition of every command, see
#               audit-ref.py), real trace CSVs, --labels dir:1
#   users-pcap  the same from the real captures cut per interaction into
#               user_K/COMMAND/NAME.pcap (editcap), only the traffic to the
#               Echo's voice servers (--servers, the three addresses of the
#               largest TCP conversation of every capture)
#   voices      3 SIMULATED voices (src/sim/voices.py) from the real traces
# For each: accuracy (mean over BENCH_REPEATS splits, 10) and training time
# (wall seconds, all splits, the grid included) of mlp, forest, xtrees and
# sklearn's MLP; exit 1 when |mlp - sklearn| is above 2 points. Exit 77
# without the data, sklearn or editcap. BENCH_SETS picks data sets.
set -u
build=${1:-build}
eg=$build/src/echoguard
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
data=${ECHOGUARD_SHARED_DATA:-${EG_SHARED_DATA:-$repo/../shared/data}}
vcf=$data/vcf
reps=${BENCH_REPEATS:-10}
sets=${BENCH_SETS:-commands users-csv users-pcap voices}
py=/usr/bin/python3
voice_servers=52.94.227.146,52.94.229.122,52.94.235.50

[ -x "$eg" ] || { echo "SKIP: $eg not built"; exit 77; }
[ -d "$vcf/traces" ] || { echo "SKIP: $vcf/traces not found"; exit 77; }
$py -c 'import sklearn, numpy' 2>/dev/null ||
	{ echo "SKIP: $py has no sklearn (apt-get install python3-sklearn)"; exit 77; }
command -v editcap >/dev/null || { echo "SKIP: no editcap"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# acc_time REPORT_DIR CLASSIFIER: "mean train_s" from audit.json
acc_time() {
	$py - "$1/audit.json" "$2" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["classifier"] == sys.argv[2]:
        print("%.4f %.2f" % (r["mean"], r["train_s"]))
PY
}

status=0
printf '%-11s %7s %6s | %7s %8s | %7s %8s | %7s %8s | %7s %8s | %6s\n' \
	set traces cls mlp% mlp_s sk_mlp% sk_s forest% forest_s xtrees% \
	xtrees_s diff
for set in $sets; do
	opts="--labels dir:1"
	case $set in
	commands) in=$vcf/traces; opts="--labels name" ;;
	users-csv) in=$tmp/users-csv
		$py "$here/audit-ref.py" users-traces "$vcf" "$in" ;;
	users-pcap) in=$tmp/users-pcap
		$py "$here/audit-ref.py" users-pcaps "$vcf" "$in" || exit 1
		opts="$opts --servers $voice_servers" ;;
	voices) in=$tmp/voices
		$py "$repo/src/sim/voices.py" "$vcf/traces" "$in" ;;
	*) echo "unknown set $set"; exit 2 ;;
	esac
	# shellcheck disable=SC2086
	"$eg" audit traces $opts --split 70/10/20 --repeats "$reps" --seed 1 \
		--dump "$tmp/$set.csv" "$in" 2>/dev/null || { status=1; continue; }
	# shellcheck disable=SC2086
	"$eg" audit traces $opts --split 70/10/20 --repeats "$reps" --seed 1 \
		--classifiers mlp,forest,xtrees --report "$tmp/$set" "$in" \
		> "$tmp/$set.out" 2>&1 || { cat "$tmp/$set.out"; status=1; continue; }
	sk=$($py "$here/audit-ref.py" sklearn "$tmp/$set.csv") || { status=1; continue; }
	rows=$(($(wc -l < "$tmp/$set.csv") - 1))
	ncls=$(cut -d, -f2 "$tmp/$set.csv" | tail -n +2 | sort -u | wc -l)
	line=$(printf '%s %s %s %s %s %s' "$(acc_time "$tmp/$set" mlp)" \
		"$(echo "$sk" | cut -d' ' -f2,3)" \
		"$(acc_time "$tmp/$set" forest)" "$(acc_time "$tmp/$set" xtrees)")
	echo "$set $rows $ncls $line" | awk '{
		d = 100 * ($4 - $6);
		printf "%-11s %7d %6d | %7.1f %8.1f | %7.1f %8.1f | %7.1f %8.1f | %7.1f %8.1f | %+6.1f\n",
		       $1, $2, $3, 100 * $4, $5, 100 * $6, $7, 100 * $8, $9, 100 * $10, $11, d
		exit (d > 2 || d < -2) }' || status=1
done
exit $status
