#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make-seeds-extreme.py: seeds with extreme timestamps and lengths for
fuzz-capture and fuzz-packet (issue 11): pcapng with if_tsresol 9 and 6
and every timestamp UINT64_MAX, 0, equal, backwards; pcap of each link
type; fuzz-packet inputs in each clock mode with huge and zero lengths.
Crafted (tests/e2e/craft.py), no bytes of real captures. Small: a few
hundred bytes to a few KB each."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "e2e"))
import craft  # noqa: E402


def flows(linktype, n=6):
    cap = craft.Capture(linktype)
    for i in range(n):
        f = craft.TcpFlow(cap, "192.168.86.40" if i % 2 else "2001:db8::40",
                          "52.94.0.%d" % i if i % 2 else "2001:db8:1::%d" % i,
                          40000 + i, 443)
        t = f.handshake(1.0 + i)
        f.send(t + 0.01, craft.client_hello("a" * (120 + i) + ".amazon.com"))
        f.send(t + 0.2, craft.app_data(46))
    return cap


def main():
    out = os.path.join(here, "corpus")
    cap = flows(1)
    d = os.path.join(out, "fuzz-capture")
    for name, res, ts in (("u64max-ns", 9, 0xFFFFFFFFFFFFFFFF),
                          ("u64max-us", 6, 0xFFFFFFFFFFFFFFFF),
                          ("zero-ns", 9, 0)):
        cap.write_pcapng(os.path.join(d, "extreme-%s.pcapng" % name),
                         tsresol=res, raw_ts=ts)
    back = flows(113)
    back.frames = [(10 ** 18 - i * 10 ** 9, fr)
                   for i, (_, fr) in enumerate(back.frames)]
    back.write_pcapng(os.path.join(d, "extreme-backwards-sll.pcapng"))
    raw = flows(101)
    raw.frames = [(5, fr) for _, fr in raw.frames]        # all equal
    raw.write_pcap(os.path.join(d, "extreme-equal-raw.pcap"))
    # fuzz-packet: [linktype selector][flags] then [u16 len][u8 ms][bytes]
    d = os.path.join(out, "fuzz-packet")
    ip_frames = [fr for _, fr in flows(101).frames]
    for mode in range(4):
        for extra, tag in ((0x20, "huge"), (0x40, "zero"), (0, "plain")):
            flags = 1 | 4 | mode << 3 | extra
            body = b"".join(struct.pack("!HB", len(fr), (i * 37) % 256) + fr
                            for i, fr in enumerate(ip_frames[:12]))
            with open(os.path.join(d, "extreme-clock%d-%s" % (mode, tag)),
                      "wb") as f:
                f.write(bytes([0, flags]) + body)


if __name__ == "__main__":
    main()
