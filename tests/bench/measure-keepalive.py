#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""measure-keepalive.py PCAP|DIR...: what the Echo's keep-alive series
costs, the basis of [policy] muted_budget's default (docs/security.md).

Independent of the engine: reads pcap/pcapng itself, takes the Echo's
(192.168.86.40, or --device) outbound TCP segments whose payload is
exactly one TLS application-data record, and calls a series >= 3 records
of one size on one connection whose gaps are 20..40 s. Prints the record
sizes and periods, and the keep-alive payload bytes in every 60 s window
(sliding, per capture): max and the whole distribution's top."""
import argparse
import collections
import os
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    if magic == 0x0A0D0D0A:
        off, res, lt = 0, 1e-6, 1
        while off + 12 <= len(data):
            bt, bl = struct.unpack_from("<II", data, off)
            if bl < 12:
                break
            body = data[off + 8:off + bl - 4]
            if bt == 1:
                lt = struct.unpack_from("<H", body)[0]
                o = 8
                while o + 4 <= len(body):
                    code, ln = struct.unpack_from("<HH", body, o)
                    if code == 0:
                        break
                    if code == 9:
                        v = body[o + 4]
                        res = 10 ** -v if v < 128 else 2 ** -(v & 127)
                    o += 4 + ln + (-ln % 4)
            elif bt == 6:
                _, hi, lo, cap, _ = struct.unpack_from("<IIIII", body)
                yield ((hi << 32 | lo) * res, lt, body[20:20 + cap])
            off += bl
    else:
        nano = magic in (0xA1B23C4D,)
        lt = struct.unpack_from("<I", data, 20)[0]
        off = 24
        while off + 16 <= len(data):
            s, u, cap, _ = struct.unpack_from("<IIII", data, off)
            yield (s + u * (1e-9 if nano else 1e-6), lt,
                   data[off + 16:off + 16 + cap])
            off += 16 + cap


def ip_of(lt, fr):
    if lt == 1:
        et, o = struct.unpack_from("!H", fr, 12)[0], 14
        if et == 0x8100:
            et, o = struct.unpack_from("!H", fr, 16)[0], 18
        return fr[o:] if et == 0x0800 else None
    if lt == 113:
        return fr[16:]
    if lt in (101, 228):
        return fr
    return None


def records(path, device):
    dev = bytes(int(x) for x in device.split("."))
    for ts, lt, fr in frames(path):
        ip = ip_of(lt, fr)
        if not ip or len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        if ip[12:16] != dev:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack_from("!H", ip, 2)[0]
        tcp = ip[ihl:]
        if len(tcp) < 20:
            continue
        thl = (tcp[12] >> 4) * 4
        pay = tcp[thl:tot - ihl]
        if len(pay) < 5 or pay[0] != 23:
            continue
        rl = struct.unpack_from("!H", pay, 3)[0]
        if rl + 5 != len(pay):
            continue
        flow = (ip[16:20], tcp[:4])
        yield ts, flow, len(pay)


def series(recs):
    by = collections.defaultdict(list)
    for ts, flow, n in recs:
        by[(flow, n)].append(ts)
    out = []
    for (flow, n), tss in by.items():
        run = [tss[0]]
        for a, b in zip(tss, tss[1:]):
            if 20 <= b - a <= 40:
                run.append(b)
            else:
                if len(run) >= 3:
                    out += [(t, n) for t in run]
                run = [b]
        if len(run) >= 3:
            out += [(t, n) for t in run]
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--device", default="192.168.86.40")
    a = ap.parse_args()
    files = []
    for p in a.paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p))
        else:
            files.append(p)
    sizes, gaps, windows, total_s, total_b = (collections.Counter(), [], [],
                                              0.0, 0)
    for f in files:
        ks = series(records(f, a.device))
        ts_all = [t for t, _, _ in frames(f)]
        if not ts_all:
            continue
        total_s += ts_all[-1] - ts_all[0]
        for t, n in ks:
            sizes[n] += 1
            total_b += n
        for i, (t, _) in enumerate(ks):
            windows.append(sum(n for u, n in ks[i:] if u - t < 60))
        last = {}
        for t, n in ks:
            if n in last:
                gaps.append(t - last[n])
            last[n] = t
    windows.sort()
    gaps.sort()
    print("captures %d, %.0f s, keep-alive records %d" %
          (len(files), total_s, sum(sizes.values())))
    print("record sizes (TCP payload bytes: count): %s" %
          ", ".join("%d: %d" % kv for kv in sizes.most_common(8)))
    if gaps:
        print("gap median %.1f s (p5 %.1f, p95 %.1f)" % (
            gaps[len(gaps) // 2], gaps[len(gaps) // 20],
            gaps[len(gaps) * 19 // 20]))
    print("mean keep-alive payload %.1f bytes/min" %
          (total_b / total_s * 60 if total_s else 0))
    if windows:
        print("keep-alive payload in a 60 s window: max %d, p99 %d, "
              "median %d bytes" % (windows[-1],
                                   windows[len(windows) * 99 // 100],
                                   windows[len(windows) // 2]))


if __name__ == "__main__":
    sys.exit(main())
