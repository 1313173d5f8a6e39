#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""svg-check.py REPORT.svg [--bars N] [--blocked N] [--render]: validate the SVG of
`echoguard report`: well-formed XML, an <svg> root in the SVG namespace
with width, height and a viewBox that match, every rect inside the
viewBox with non-negative sizes, one <g class="bucket"> per bucket (at
least --bars) with a <title> and a blocked, an allowed and a muted bar, the
bar heights proportional to their bytes (the same scale for every bar),
and the buckets' data-blocked summing to --blocked. --render: draw it with
a real browser engine (chromium --headless --screenshot; exit 77 when
chromium is missing) and check the pixels at the middle of every bar at
least 3 px high have the bar's colour, and the muted band's grey matches
its opacity. Exit 0 or 1 with the reasons."""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

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


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, "PNG kind"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def render(path):
    """Screenshot the SVG with chromium; the errors found in the pixels."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        return None
    root = ET.parse(path).getroot()
    w, h = int(float(root.get("width"))), int(float(root.get("height")))
    with tempfile.TemporaryDirectory() as d:
        shot = os.path.join(d, "shot.png")
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--screenshot=" + shot,
                        "--window-size=%d,%d" % (w, h),
                        "file://" + os.path.abspath(path)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, check=False)
        if not os.path.exists(shot):
            return ["chromium wrote no screenshot"]
        pw, ph, px = read_png(shot)
    errs, seen = [], 0
    want = {"blocked": (0xd6, 0x27, 0x28), "allowed": (0x2c, 0xa0, 0x2c)}
    for r in root.iter(NS + "rect"):
        c = r.get("class")
        if c not in want and c != "muted":
            continue
        x = float(r.get("x")) + float(r.get("width")) / 2
        y = float(r.get("y")) + float(r.get("height")) / 2
        if c in want and float(r.get("height")) < 3:
            continue
        if c == "muted":
            g = round(255 - float(r.get("fill-opacity")) * (255 - 0x55))
            exp = (g, g, g)
        else:
            exp = want[c]
        got = px[int(y * ph / h)][int(x * pw / w)]
        seen += 1
        if max(abs(a - b) for a, b in zip(got, exp)) > 12:
            errs.append("pixel of %s bar at (%d, %d) is %s, not %s" % (c, x, y, got, exp))
    if seen == 0:
        errs.append("no bar to look at in the picture")
    return errs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("svg")
    p.add_argument("--bars", type=int, default=1)
    p.add_argument("--blocked", type=int)
    p.add_argument("--render", action="store_true")
    a = p.parse_args()
    try:
        errs = check(a.svg, a.bars, a.blocked)
        if a.render and not errs:
            r = render(a.svg)
            if r is None:
                print("svg-check: SKIP render: chromium not installed", file=sys.stderr)
                return 77
            errs = r
    except (ET.ParseError, OSError, ValueError, TypeError, AssertionError,
            subprocess.SubprocessError) as e:
        errs = ["%s: %s" % (a.svg, e)]
    for e in errs:
        print("svg-check: %s" % e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
