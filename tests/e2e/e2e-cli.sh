#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e-cli: echoguardd's options without a queue: --version, --help,
# --check-config on a valid config (exit 0, summary naming the model) and
# on invalid ones (exit 2, the message names file, section and key), a
# missing model (exit 2, names the path), an unknown option (exit 2), and
# a start with an invalid config (exit 2 before touching any queue).
# Usage: e2e-cli.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
D=$BUILD/src/echoguardd
[ -x "$D" ] || eg_skip "echoguardd not built"
EG_TMP=$(mktemp -d /tmp/eg-cli.XXXXXX)
trap 'rm -rf "$EG_TMP"' EXIT
eg_model "$BUILD" "$EG_TMP/model.egf"
run() { # EXPECTED_RC OUTPUT_REGEX ARGS...
	local want=$1 re=$2 out rc
	shift 2
	out=$("$D" "$@" 2>&1)
	rc=$?
	check "echoguardd $* -> exit $want, /$re/" \
		sh -c '[ "$1" = "$2" ] && printf "%s" "$3" | grep -Eq "$4"' _ "$rc" "$want" "$out" "$re"
	[ "$rc" = "$want" ] || echo "  got exit $rc: $out" >&2
}
eg_config "$EG_TMP/ok.ini" "[model]" "path = $EG_TMP/model.egf"
eg_config "$EG_TMP/key.ini" "[model]" "path = $EG_TMP/model.egf" "[policy]" "min_confidnce = 0.5"
eg_config "$EG_TMP/range.ini" "[model]" "path = $EG_TMP/model.egf" "[policy]" "min_confidence = 1.7"
eg_config "$EG_TMP/nomodel.ini" "[model]" "path = $EG_TMP/missing.egf"
head -c 200 "$EG_TMP/model.egf" >"$EG_TMP/bad.egf"
eg_config "$EG_TMP/badmodel.ini" "[model]" "path = $EG_TMP/bad.egf"
run 0 "^echoguardd [0-9]" --version
run 0 "check-config" --help
run 0 "OK: model .*model.egf \(shipped, 30 trees" --check-config -c "$EG_TMP/ok.ini"
run 2 "key.ini:[0-9]+: \[policy\] min_confidnce.*min_confidence" --check-config -c "$EG_TMP/key.ini"
run 2 "range.ini:[0-9]+: \[policy\] min_confidence" --check-config -c "$EG_TMP/range.ini"
run 2 "missing.egf" --check-config -c "$EG_TMP/nomodel.ini"
run 2 "bad.egf" --check-config -c "$EG_TMP/badmodel.ini"
run 2 "No such file|cannot|missing" --check-config -c "$EG_TMP/absent.ini"
run 2 "unrecognized|invalid|Usage" --bogus
run 2 "min_confidnce" --foreground -c "$EG_TMP/key.ini"
[ "${EG_FAILED:-0}" = 0 ] || eg_fail "$EG_FAILED checks failed"
echo PASS
