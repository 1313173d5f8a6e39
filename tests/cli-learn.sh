#!/bin/bash
# SPDX-License-Identifier: MIT
# cli-learn: `echoguard learn fit` on a recording made of the committed
# real captures (tests/data/vcf, 3 captures = 3 segments, in time order)
# with a microphone timeline that mutes the middle of the second one:
#  - the fit runs end to end: 2 segments learnt from, 1 held back; the exit
#    status (0 better, 3 not better) is the one its table and
#    compare.json say; the learned model loads;
#  - learn's labels: every app-data row sent in the muted span is
#    not_justified with microphone 0, none outside it is; the voice
#    windows are the 5 interactions of each capture learnt from;
#  - replay --context voice finds the uploads of the interactions;
#  - bad input is refused with the file or option named.
# usage: tests/cli-learn.sh SOURCE_DIR BUILD_DIR
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) fail=0
E=$build/src/echoguard
py=/usr/bin/python3
[ -x $py ] || { echo "SKIP: $py missing"; exit 77; }
tmp=$(mktemp -d /tmp/eg-learn.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cap=$src/tests/data/vcf
rec=$tmp/rec
mkdir "$rec"
check() {
	if "${@:2}"; then echo "ok - $1"; else echo "not ok - $1"; fail=$((fail + 1)); fi
}
# seg-EPOCH.pcap links in time order, and the muted span
$py - "$src/models/learn-eval.py" "$cap/pcap" "$rec" <<'PYEOF' || exit 1
import glob, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("le", sys.argv[1])
le = importlib.util.module_from_spec(spec)
spec.loader.exec_module(le)
caps = sorted((le.first_ts(p), p) for p in glob.glob(sys.argv[2] + "/*.pcap"))
for t, p in caps:
	os.symlink(p, "%s/seg-%010d.pcap" % (sys.argv[3], int(t)))
t1 = caps[1][0]
with open(sys.argv[3] + "/mic.csv", "w") as f:
	f.write("# written by cli-learn.sh\n%.3f,1\n%.3f,0\n%.3f,1\n"
		% (caps[0][0], t1 + 20, t1 + 60))
print("%.3f %.3f" % (t1 + 20, t1 + 60))
PYEOF
read -r m0 m1 < <(sed -n '3p;4p' "$rec/mic.csv" | cut -d, -f1 | tr '\n' ' ')

"$E" learn fit --dir "$rec" --model "$src/models/default.egf" \
	--base "$src/models/base.csv" --device 192.168.86.40 --trees 10 \
	>"$tmp/fit.out" 2>"$tmp/fit.err"
rc=$?
cat "$tmp/fit.out"
check "learn fit: exit 0 or 3 (was $rc)" test $rc = 0 -o $rc = 3
verdict=$(sed -n 's/^learn fit: \(better\|not better\): .*/\1/p' "$tmp/fit.out")
want=better; [ $rc = 3 ] && want="not better"
check "learn fit: the table's verdict ($verdict) is the exit status's" test "$verdict" = "$want"
check "compare.json: 3 segments, 2 learnt from, 1 held back" \
	grep -q '"segments":3,"trained_on":2,"held_back":1' "$rec/fit/compare.json"
b=false; [ $rc = 0 ] && b=true
check "compare.json: better is $b" grep -q "\"better\":$b" "$rec/fit/compare.json"
check "the learned model loads, shape schema" \
	sh -c "'$E' model info '$rec/fit/learned.egf' | grep -q 'shape'"
check "the held-back segment was replayed with both models" \
	test -s "$rec/fit/replay-running-recorded.json" -a -s "$rec/fit/replay-learned-muted.json"

# learn's labels (home.csv): muted span -> not_justified, microphone 0
$py - "$rec/fit/home.csv" "$m0" "$m1" >"$tmp/labels.out" <<'PYEOF'
import csv, sys, datetime
m0, m1 = float(sys.argv[2]), float(sys.argv[3])
r = csv.reader(open(sys.argv[1]))
h = next(r)
ci, mi, di = h.index("class"), h.index("microphone"), h.index("date")
app = ("expected", "justified", "not_justified")
inside = bad_in = bad_out = 0
for row in r:
	t = datetime.datetime.strptime(row[di], "%Y-%m-%d %H:%M:%S.%f").replace(
	    tzinfo=datetime.timezone.utc).timestamp()
	muted = m0 <= t < m1
	if row[ci] in app and muted:
		inside += 1
		bad_in += row[ci] != "not_justified" or float(row[mi]) != 0
	elif row[ci] in app:
		bad_out += row[ci] == "not_justified" or float(row[mi]) != 1
print(inside, bad_in, bad_out)
PYEOF
read -r inside bad_in bad_out <"$tmp/labels.out"
check "muted span: $inside app-data rows, all not_justified with microphone 0 ($bad_in not)" \
	test "$inside" -gt 100 -a "$bad_in" = 0
check "outside it: no app-data row not_justified or microphone 0 ($bad_out)" test "$bad_out" = 0
nw=$(grep -c ',learn_voice$' "$rec/fit/voice-windows.csv")
check "voice windows of the 2 captures learnt from: 10 (was $nw)" test "$nw" = 10

# replay --context voice finds the uploads of the interactions
"$E" replay --model "$src/models/default.egf" --device 192.168.86.40 --json \
	--summary --context voice "$cap/pcap" >"$tmp/voice.json"
"$E" replay --model "$src/models/default.egf" --device 192.168.86.40 --json \
	--summary --interactions "$cap/interactions.csv" "$cap/pcap" >"$tmp/truth.json"
read -r nv nt < <($py -c '
import json, sys
def n(p):
	s = json.loads(open(p).read().splitlines()[-1])
	return s["uploads"]["expected"]["listening"]["uploads"]
print(n(sys.argv[1]), n(sys.argv[2]))' "$tmp/voice.json" "$tmp/truth.json")
check "replay --context voice: $nv expected uploads, >= 90% of the $nt of the interactions" \
	test $((nv * 10)) -ge $((nt * 9))

# bad input
expect() { # NAME STATUS PATTERN CMD...
	local name=$1 st=$2 pat=$3
	shift 3
	"$@" >/dev/null 2>"$tmp/err"
	local rc=$?
	if [ $rc = "$st" ] && grep -q -- "$pat" "$tmp/err"; then
		echo "ok - $name"
	else
		echo "not ok - $name (exit $rc, want $st; stderr: $(head -c 300 "$tmp/err"))"
		fail=$((fail + 1))
	fi
}
mkdir "$tmp/one"
ln -s "$(ls "$rec"/seg-*.pcap | head -1)" "$tmp/one/seg-1541449000.pcap"
cp "$rec/mic.csv" "$tmp/one/"
echo "garbage" >"$tmp/base.csv"
M=(--model "$src/models/default.egf" --device 192.168.86.40 --trees 2)
expect "no --dir" 2 "dir is needed" "$E" learn fit "${M[@]}"
expect "--holdout out of range" 2 "holdout" "$E" learn fit --dir "$rec" --holdout 5 "${M[@]}"
expect "one segment" 1 "at least 2" "$E" learn fit --dir "$tmp/one" --base "$src/models/base.csv" "${M[@]}"
mv "$rec/mic.csv" "$rec/mic.bak"
expect "no mic.csv: named" 1 "$rec/mic.csv" "$E" learn fit --dir "$rec" --base "$src/models/base.csv" "${M[@]}"
mv "$rec/mic.bak" "$rec/mic.csv"
expect "missing --base: named" 1 "$tmp/nope.csv" "$E" learn fit --dir "$rec" --base "$tmp/nope.csv" "${M[@]}"
expect "corrupt --base: the step and its log named" 1 "training.*failed.*train.log" \
	"$E" learn fit --dir "$rec" --base "$tmp/base.csv" "${M[@]}"
expect "unknown step" 2 "unknown step" "$E" learn frobnicate
expect "extract --windows-out needs --context voice" 2 "needs --context voice" \
	"$E" extract --windows-out "$tmp/w.csv" "$cap/pcap"
echo "9x,1" >"$tmp/badmic"
expect "extract --mic: a bad line named" 2 "$tmp/badmic:1" \
	"$E" extract --mic "$tmp/badmic" "$cap/pcap"
[ $fail = 0 ] && echo "all passed" || echo "$fail failed"
[ $fail = 0 ]
