#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""voices.py: SIMULATED voices for the user-identification audit (issue 14).

    python3 src/sim/voices.py VCF_TRACES_DIR OUT_DIR [--seed N]

writes OUT_DIR/VOICE/COMMAND/COMMAND_K.csv (the VOICE/COMMAND/*.pcap layout
of the user-identification study, as trace CSVs; index,time,size,direction
as shared/data/vcf/traces): every real trace once, said by one of three
voices (repetition K of a command goes to voice (K + c) mod 3, c a number
of the command, so each voice says every command once or twice and no real
trace appears under two voices -- copies of one trace under several labels
would teach a classifier to name a sibling's voice, below chance). Read
with `echoguard audit traces --labels dir:1 OUT_DIR`.

The model, and all it assumes. Nothing here was measured on a real second
voice: the real traces have one speaker. Every trace starts from a real
trace of the command; what a voice changes is only the voice upload:

  - The voice packets are the Echo's outbound packets of IP length 150..170
    (158 in the captures: one 118-byte voice record each, about every
    15-20 ms). The speech segment runs from the first to the last of them.
  - A voice speaks at its own rate: the speech segment lasts RATE times
    as long (male 1.00, female_1 1.15, female_2 0.85: an assumed spread
    of speaking rates between synthetic voices), times a per-capture factor
    drawn from a normal of mean 1 and deviation JITTER (0.03). Packets of
    the segment (both directions) are moved along the stretched time line,
    later packets shifted by the change; voice packets are added (copies
    at evenly spaced new times) or removed (evenly spaced) so that their
    number scales too and the cadence stays.
  - Sizes, the answer and everything after the speech are the real trace's.

So a classifier can tell the voices apart only through the upload's length
relative to what the command usually takes: the figures on these traces say
that the audit's pipeline finds an effect of that size, not that real voices
differ that much.
"""
import argparse
import os
import random
import re

VOICES = (("male", 1.00), ("female_1", 1.15), ("female_2", 0.85))
JITTER = 0.03


def load(path):
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            p = line.strip().split(",")
            if len(p) >= 4:
                rows.append([float(p[1]), float(p[2]), float(p[3])])
    return rows


def is_voice(r):
    return r[2] > 0 and 150 <= r[1] <= 170


def speak(rows, factor):
    """The trace with its speech segment lasting factor times as long."""
    vi = [i for i, r in enumerate(rows) if is_voice(r)]
    if len(vi) < 2:
        return [list(r) for r in rows]
    t0, t1 = rows[vi[0]][0], rows[vi[-1]][0]
    out = []
    for r in rows:
        t = r[0]
        if t0 <= t <= t1:
            t = t0 + (t - t0) * factor
        elif t > t1:
            t += (t1 - t0) * (factor - 1)
        out.append([t, r[1], r[2]])
    n = len(vi)
    want = max(2, int(round(n * factor)))
    if want < n:      # drop evenly spaced voice packets (not the ends)
        drop = set(vi[1 + (k * (n - 2)) // (n - want)]
                   for k in range(n - want))
        out = [r for i, r in enumerate(out) if i not in drop]
    elif want > n:    # add copies at evenly spaced times of the segment
        s0, s1 = t0, t0 + (t1 - t0) * factor
        size = rows[vi[0]][1]
        for k in range(want - n):
            t = s0 + (s1 - s0) * (k + 0.5) / (want - n)
            out.append([t, size, 1.0])
        out.sort(key=lambda r: r[0])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("traces")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    names = sorted(n for n in os.listdir(a.traces) if n.endswith(".csv"))
    cmds = sorted(set(re.sub(r"_\d+\.csv$", "", n) for n in names))
    for name in names:
        m = re.match(r"(.*)_(\d+)\.csv$", name)
        if not m:
            continue
        cmd = m.group(1)
        voice, rate = VOICES[(int(m.group(2)) + cmds.index(cmd)) % 3]
        rows = load(os.path.join(a.traces, name))
        d = os.path.join(a.out, voice, cmd)
        os.makedirs(d, exist_ok=True)
        tr = speak(rows, rate * rng.gauss(1.0, JITTER))
        with open(os.path.join(d, name), "w") as f:
            f.write(",time,size,direction\n")
            for i, r in enumerate(tr):
                f.write("%d,%.6f,%.1f,%.1f\n" % (i, r[0], r[1], r[2]))


if __name__ == "__main__":
    main()
