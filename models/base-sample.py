#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""base-sample.py: the bundled training data of `echoguard learn fit`.

Usage: base-sample.py --per-class N -o OUT.csv IN.csv...

A deterministic, class-stratified sample of the feature CSVs the default
model was trained on (models/build.sh): for every class, N rows evenly
spaced over all its rows in input order (so every source capture and every
simulated device contributes in proportion), or all of them when there are
fewer. Rows keep their input order. All inputs must share one header.
Standard library only.
"""
import argparse
import sys


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--per-class", type=int, required=True)
	ap.add_argument("-o", "--output", required=True)
	ap.add_argument("inputs", nargs="+")
	a = ap.parse_args()
	header, rows = None, []
	for path in a.inputs:
		with open(path, newline="") as f:
			h = f.readline()
			if header is None:
				header = h
			elif h != header:
				sys.exit("base-sample.py: %s: header differs from %s"
					 % (path, a.inputs[0]))
			rows.extend(f.readlines())
	col = header.rstrip("\r\n").split(",").index("class")
	by_class = {}
	for i, r in enumerate(rows):
		# the class column precedes source, the only quoted one
		by_class.setdefault(r.split(",")[col], []).append(i)
	keep = set()
	for idx in by_class.values():
		n = min(a.per_class, len(idx))
		keep.update(idx[(k * len(idx)) // n] for k in range(n))
	with open(a.output, "w", newline="") as f:
		f.write(header)
		f.writelines(rows[i] for i in sorted(keep))
	print("base-sample.py: %d of %d rows, %d classes -> %s"
	      % (len(keep), len(rows), len(by_class), a.output), file=sys.stderr)


if __name__ == "__main__":
	main()
