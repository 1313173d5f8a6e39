#!/bin/bash
# Docs that must stay true to the code:
# - docs/man/echoguard.ini.5 is what docs/man/mkini5.py makes of conf/echoguard.ini;
# - every key of conf/echoguard.ini is described in docs/config.md;
# - every subcommand `echoguard help` lists has a section in docs/cli.md and
#   an entry in echoguard(1).
# usage: tests/docs-check.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2 fail=0
py=/usr/bin/python3
[ -x $py ] || { echo "SKIP: $py missing"; exit 77; }
if ! diff -u "$src/docs/man/echoguard.ini.5" <($py "$src/docs/man/mkini5.py" "$src/conf/echoguard.ini"); then
	echo "FAIL: docs/man/echoguard.ini.5 is stale: run docs/man/mkini5.py conf/echoguard.ini > docs/man/echoguard.ini.5"
	fail=$((fail + 1))
fi
keys=0
while read -r key; do
	keys=$((keys + 1))
	grep -q "\`$key\`" "$src/docs/config.md" || { echo "FAIL: conf/echoguard.ini key '$key' is not in docs/config.md"; fail=$((fail + 1)); }
done < <(sed -n 's/^;\([a-z_]*\) *=.*/\1/p' "$src/conf/echoguard.ini")
[ "$keys" -gt 20 ] || { echo "FAIL: only $keys keys found in conf/echoguard.ini"; fail=$((fail + 1)); }
cmds=0
for c in $("$build/src/echoguard" help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
	cmds=$((cmds + 1))
	grep -q "^## .*echoguard $c" "$src/docs/cli.md" || { echo "FAIL: docs/cli.md has no section for 'echoguard $c'"; fail=$((fail + 1)); }
	grep -q "^\\\\fB$c" "$src/docs/man/echoguard.1" || { echo "FAIL: echoguard(1) does not describe '$c'"; fail=$((fail + 1)); }
done
[ "$cmds" -ge 6 ] || { echo "FAIL: only $cmds subcommands listed by echoguard help"; fail=$((fail + 1)); }
echo "$((keys + cmds * 2 + 1 - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
