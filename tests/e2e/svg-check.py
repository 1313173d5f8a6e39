#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""svg-check.py REPORT.svg [--bars N] [--blocked N]: validate the SVG of
`echoguard report`: well-formed XML, an <svg> root in the SVG namespace
with width, height and a viewBox that match, every rect inside the
viewBox with non-negative sizes, one <g class="bucket"> per bucket (at
least --bars) with a <title> and a blocked, an allowed and a muted bar, the
bar heights proportional to their bytes (the same scale for every bar),
and the buckets' data-blocked summing to --blocked. Exit 0 or 1 with the
reasons."""
import argparse
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def check(path, bars, blocked):
    errs = []
    root = ET.parse(path).getroot()
    if root.tag != NS + "svg":
        return ["root is %s, not svg" % root.tag]
    w, h = float(root.get("width")), float(root.get("height"))
    vb = [float(v) for v in root.get("viewBox", "").split()]
    if vb != [0, 0, w, h]:
        errs.append("viewBox %s does not match %gx%g" % (vb, w, h))
    for r in root.iter(NS + "rect"):
        if r.get("width", "").endswith("%"):
            continue
        x, y = float(r.get("x", 0)), float(r.get("y", 0))
        rw, rh = float(r.get("width")), float(r.get("height"))
        if rw < 0 or rh < 0 or x < 0 or y < 0 or x + rw > w + 0.01 or y + rh > h + 0.01:
            errs.append("rect outside the picture: %s" % r.attrib)
    groups = [g for g in root.iter(NS + "g") if g.get("class") == "bucket"]
    if len(groups) < bars:
        errs.append("%d bucket groups, expected at least %d" % (len(groups), bars))
    total = 0
    bars_seen = []  # (bytes, height, what)
    for g in groups:
        if g.find(NS + "title") is None:
            errs.append("bucket %s has no title" % g.get("data-start"))
        rects = {r.get("class"): r for r in g.iter(NS + "rect")}
        for c in ("blocked", "allowed", "muted"):
            if c not in rects:
                errs.append("bucket %s has no %s bar" % (g.get("data-start"), c))
        total += int(g.get("data-blocked"))
        for c, key in (("blocked", "data-bytes-blocked"), ("allowed", "data-bytes-allowed")):
            if c in rects:
                bars_seen.append((int(g.get(key)), float(rects[c].get("height")),
                                  "%s %s" % (c, g.get("data-start"))))
    # one scale for every bar: the largest is the plot's full height
    top = max(bars_seen, default=(0, 0, ""))
    for b, hh, what in bars_seen:
        want = top[1] * b / top[0] if top[0] else 0
        if abs(hh - want) > 0.06:
            errs.append("bar %s: height %g, %g to scale" % (what, hh, want))
    if blocked is not None and total != blocked:
        errs.append("data-blocked sums to %d, expected %d" % (total, blocked))
    return errs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("svg")
    p.add_argument("--bars", type=int, default=1)
    p.add_argument("--blocked", type=int)
    a = p.parse_args()
    try:
        errs = check(a.svg, a.bars, a.blocked)
    except (ET.ParseError, OSError, ValueError, TypeError) as e:
        errs = ["%s: %s" % (a.svg, e)]
    for e in errs:
        print("svg-check: %s" % e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
