#!/usr/bin/python3
# Writes the crafted seed corpus of fuzz-packet and fuzz-capture into
# tests/fuzz/corpus/<target>/. Every seed is built here from scratch (no
# bytes from real captures). Rerun after changing it: make-seeds.py
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from craft import csum  # noqa: E402  (the one Internet checksum)

DEV = bytes([192, 168, 86, 40])
SRV = bytes([52, 94, 236, 248])


def ip4(src, dst, proto, l4, frag=0x4000, opts=b""):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(l4),
                    0x1234, frag, 64, proto, 0, src, dst) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + l4


def ip6(nh, payload, ext=b""):
    src = bytes.fromhex("fd000000000000000000000000000040")
    dst = bytes.fromhex("2a0104f8000000000000000000000001")
    return struct.pack("!IHBB", 0x60000000, len(ext) + len(payload), nh,
                       64) + src + dst + ext + payload


def tcp(sport, dport, seq, ack, flags, payload=b"", opts=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags,
                       502, 0, 0) + opts + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(pkt, etype=0x0800, tags=()):
    h = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02"
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + pkt


def client_hello(sni):
    name = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0,
                      len(name)) + name
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\xc0\x2f" +
            b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def record(ctype, n):
    return bytes([ctype, 3, 3]) + struct.pack("!H", n) + bytes(n)


SYN_OPTS = bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0,
                  0, 0])


def conversation():
    """A TLS connection from the device: handshake, app data split over
    segments, several records in one segment, a retransmission, FIN."""
    c, s = 0xFFFFFF00, 1000  # client seq wraps during the flow
    out = []

    def o(flags, payload=b"", seq=None):
        out.append(ip4(DEV, SRV, 6, tcp(50000, 443, c if seq is None else seq,
                                         s, flags, payload)))

    def i(flags, payload=b""):
        out.append(ip4(SRV, DEV, 6, tcp(443, 50000, s, c, flags, payload)))

    out.append(ip4(DEV, SRV, 6, tcp(50000, 443, c - 1, 0, 0x02, b"",
                                    SYN_OPTS)))
    i(0x12)
    ch = client_hello("avs-alexa-4-na.amazon.com")
    o(0x18, ch)
    c = (c + len(ch)) & 0xFFFFFFFF
    sh = record(22, 80) + record(20, 1) + record(22, 40)
    i(0x18, sh)
    s += len(sh)
    big = record(23, 300)
    o(0x10, big[:150])
    o(0x18, big[:150], seq=c)  # retransmission
    c = (c + 150) & 0xFFFFFFFF
    o(0x18, big[150:])
    c = (c + 150) & 0xFFFFFFFF
    two = record(23, 46) + record(23, 118)
    o(0x18, two)
    c = (c + len(two)) & 0xFFFFFFFF
    i(0x10)
    o(0x11)
    return out


def packet_seed(link_sel, flags, pkts, ms=10):
    b = bytes([link_sel, flags])
    for p in pkts:
        b += struct.pack("!HB", len(p), ms) + p
    return b


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pcap(linktype, frames, nano=False):
    b = struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0,
                    0, 65535, linktype)
    for k, fr in enumerate(frames):
        b += struct.pack("<IIII", 1700000000 + k, 123, len(fr), len(fr)) + fr
    return b


def pcapng(linktype, frames, be=False):
    e = ">" if be else "<"

    def block(t, body):
        n = 12 + len(body) + (-len(body)) % 4
        return (struct.pack(e + "II", t, n) + body + bytes((-len(body)) % 4) +
                struct.pack(e + "I", n))
    b = block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    b += block(1, struct.pack(e + "HHI", linktype, 0, 65535) +
               struct.pack(e + "HHB3xHH", 9, 1, 6, 0, 0))
    for k, fr in enumerate(frames):
        t = 1700000000000000 + k * 1000
        b += block(6, struct.pack(e + "IIIII", 0, t >> 32, t & 0xFFFFFFFF,
                                  len(fr), len(fr)) + fr)
    return b


def main():
    conv = conversation()
    # link selectors index fuzz-packet.c's linktypes[]: 0 raw, 1 ethernet,
    # 2 sll, 3 sll2, 4 null
    write("fuzz-packet", "raw-tls-conversation", packet_seed(0, 1, conv))
    write("fuzz-packet", "eth-tls-conversation-flowset",
          packet_seed(1, 5, [eth(p) for p in conv]))
    write("fuzz-packet", "eth-qinq-muted",
          packet_seed(1, 2, [eth(p, tags=((0x88A8, 10), (0x8100, 20)))
                             for p in conv[:4]]))
    ext = (bytes([60, 0, 1, 4, 0, 0, 0, 0]) +          # hop-by-hop
           bytes([44, 0, 1, 4, 0, 0, 0, 0]) +          # destination options
           bytes([6, 0, 0, 1, 0, 0, 0, 7]))            # fragment, first, M
    v6 = ip6(0, tcp(50001, 443, 1, 1, 0x18, record(23, 30)), ext)
    frag2 = ip6(44, b"\x06\x00\x00\x40\x00\x00\x00\x07" + bytes(24))
    write("fuzz-packet", "raw-ipv6-ext-fragments",
          packet_seed(0, 0, [v6, frag2]))
    sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, bytes(8))
    dns = ip4(DEV, bytes([192, 168, 86, 1]), 17, udp(5353, 53, b"\x12\x34" +
                                                      bytes(10)))
    f1 = ip4(DEV, SRV, 6, tcp(50002, 443, 5, 5, 0x18, record(23, 40)),
             frag=0x2000, opts=bytes([0x94, 4, 0, 0]))
    f2 = ip4(DEV, SRV, 6, bytes(16), frag=0x0005)
    write("fuzz-packet", "sll2-udp-ipv4-fragments",
          packet_seed(3, 1, [sll2 + p for p in (dns, f1, f2)]))
    write("fuzz-packet", "null-loopback",
          packet_seed(4, 0, [struct.pack("<I", 2) + conv[0],
                             struct.pack("<I", 30) + v6]))

    frames = [eth(p) for p in conv[:5]]
    write("fuzz-capture", "pcap-ethernet", pcap(1, frames))
    write("fuzz-capture", "pcap-raw-nano", pcap(101, conv[:3], nano=True))
    write("fuzz-capture", "pcapng-ethernet", pcapng(1, frames))
    write("fuzz-capture", "pcapng-be-sll2",
          pcapng(276, [sll2 + p for p in (dns, f1)], be=True))
    write("fuzz-capture", "pcap-truncated", pcap(1, frames)[:-17])


main()
