# SPDX-License-Identifier: MIT
"""craft.py: crafted captures for the trust-boundary tests (tests/e2e).

Builds Ethernet/IPv4/IPv6/TCP frames with correct checksums, TLS records
(a ClientHello with any server name, application data of any size) and
writes them as pcap (any link type, micro or nano seconds) or pcapng (any
if_tsresol, raw 64-bit timestamps). No dependency besides Python 3.

    cap = Capture()
    f = TcpFlow(cap, "192.168.86.40", "52.94.233.1", 40000, 443)
    f.handshake(t=1.0); f.send(1.1, client_hello("x.amazon.com"))
    f.send(1.2, app_data(300)); cap.write_pcap("x.pcap")
"""
import ipaddress
import os
import struct

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
DEV_MAC, GW_MAC = b"\x02\x00\x00\x00\x00\x40", b"\x02\x00\x00\x00\x00\x01"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", window=502):
    """A TCP segment (20-byte header) with its checksum over the pseudo
    header of src/dst (ipaddress objects)."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, window, 0, 0)
    seg = hdr + payload
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(seg), 6)
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip(src, dst, proto, payload, ttl=64, ident=0):
    """An IPv4 or IPv6 packet (by the addresses' version) around payload."""
    if src.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                        0x4000, ttl, proto, 0, src.packed, dst.packed)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, ttl,
                       src.packed, dst.packed) + payload


def eth(packet, outbound=True):
    ethertype = ETH_P_IP if packet[0] >> 4 == 4 else ETH_P_IPV6
    a, b = (GW_MAC, DEV_MAC) if outbound else (DEV_MAC, GW_MAC)
    return a + b + struct.pack("!H", ethertype) + packet


def client_hello(name):
    """A TLS 1.2-framed ClientHello carrying server_name `name`."""
    ext = b""
    if name is not None:
        n = name.encode()
        entry = b"\0" + struct.pack("!H", len(n)) + n
        body = struct.pack("!H", len(entry)) + entry
        ext += struct.pack("!HH", 0, len(body)) + body
    ext += struct.pack("!HHHH", 10, 4, 2, 0x001D)      # supported_groups
    hello = (b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) +
             struct.pack("!HHH", 4, 0x1301, 0xC02F) + b"\x01\x00" +
             struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(hello))[1:] + hello
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def app_data(n):
    """One TLS application-data record of n body bytes (n <= 16640)."""
    return b"\x17\x03\x03" + struct.pack("!H", n) + os.urandom(n)


class Capture:
    """Frames with integer nanosecond timestamps; written sorted as given."""

    def __init__(self, linktype=1):
        self.linktype = linktype
        self.frames = []          # (ts_ns, bytes)

    def add(self, t, frame):
        self.frames.append((int(round(t * 1e9)) if isinstance(t, float)
                            else int(t), frame))

    def l2(self, packet, outbound):
        if self.linktype == 1:
            return eth(packet, outbound)
        if self.linktype == 101:              # LINKTYPE_RAW
            return packet
        if self.linktype == 113:              # Linux cooked (SLL)
            proto = ETH_P_IP if packet[0] >> 4 == 4 else ETH_P_IPV6
            return (struct.pack("!HHH", 4 if outbound else 0, 1, 6) +
                    DEV_MAC + b"\0\0" + struct.pack("!H", proto) + packet)
        raise ValueError("link type %d" % self.linktype)

    def write_pcap(self, path, nano=True):
        magic = 0xA1B23C4D if nano else 0xA1B2C3D4
        div = 1 if nano else 1000
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144,
                                self.linktype))
            for ts, fr in self.frames:
                sec, sub = divmod(ts, 1000000000)
                f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, sub // div,
                                    len(fr), len(fr)) + fr)

    def write_pcapng(self, path, tsresol=9, raw_ts=None):
        """raw_ts: a fixed 64-bit timestamp (in if_tsresol units) for every
        packet, instead of each frame's own."""
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            n = len(body) + 12
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        opt = struct.pack("<HHB3x", 9, 1, tsresol) + b"\0\0\0\0"
        idb = struct.pack("<HHI", self.linktype, 0, 262144) + opt
        scale = 10 ** tsresol if tsresol < 128 else 2 ** (tsresol & 127)
        with open(path, "wb") as f:
            f.write(block(0x0A0D0D0A, shb) + block(1, idb))
            for ts, fr in self.frames:
                t = raw_ts if raw_ts is not None else ts * scale // 10 ** 9
                body = struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF,
                                   len(fr), len(fr)) + fr
                f.write(block(6, body))


class TcpFlow:
    """One TCP connection between a device (src) and a server (dst)."""

    def __init__(self, cap, src, dst, sport, dport, seq=1000, peer_seq=9000):
        self.cap = cap
        self.src, self.dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        self.sport, self.dport = sport, dport
        self.seq, self.peer = seq, peer_seq
        self.sent = 0             # payload bytes the device sent

    def _emit(self, t, outbound, flags, payload=b""):
        if outbound:
            seg = tcp(self.src, self.dst, self.sport, self.dport, self.seq,
                      self.peer, flags, payload)
            pkt = ip(self.src, self.dst, 6, seg)
            self.seq += len(payload) + (1 if flags & (SYN | FIN) else 0)
            self.sent += len(payload)
        else:
            seg = tcp(self.dst, self.src, self.dport, self.sport, self.peer,
                      self.seq, flags, payload, window=65535)
            pkt = ip(self.dst, self.src, 6, seg, ttl=230)
            self.peer += len(payload) + (1 if flags & (SYN | FIN) else 0)
        self.cap.add(t, self.cap.l2(pkt, outbound))

    def handshake(self, t):
        self._emit(t, True, SYN)
        self._emit(t + 0.02, False, SYN | ACK)
        self._emit(t + 0.021, True, ACK)
        return t + 0.021

    def send(self, t, payload, flags=PSH | ACK):
        self._emit(t, True, flags, payload)

    def recv(self, t, payload=b""):
        self._emit(t, False, PSH | ACK if payload else ACK, payload)

    def close(self, t):
        self._emit(t, True, FIN | ACK)
        self._emit(t + 0.02, False, FIN | ACK)
        self._emit(t + 0.021, True, ACK)
