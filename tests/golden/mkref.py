#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkref.py: turn two tshark field dumps of one capture into the golden
per-packet reference (tests/golden/<capture>.ref.tsv).

Standard library only. mkref.sh runs tshark and calls this; see README.md
in this folder for every mapping choice. In short:

  pass A  tshark -2 (TCP and TLS reassembly on, the defaults): Wireshark's
          own TLS record parse. Every record is reported once, on the frame
          where it completes, in stream order; retransmitted segments are
          not dissected again. Summing 5 + tls.record.length from the
          direction's first payload byte places every record in sequence
          space: [start, end). A segment's content type is then the type of
          the record holding its FIRST payload byte, which is what
          echoguard's tracker reports (tshark itself names a record only on
          the frame where it completes).
  pass B  tshark with TCP and TLS reassembly off: every segment that starts
          with a whole record shows it at offset 0. Used only as a check:
          each such header must sit where pass A's map puts a record start,
          with the same type and length.

Output columns (tab separated, one row per frame):
  frame    Wireshark frame number (1-based)
  l4       tcp, udp, icmp, other
  paylen   TCP payload length (tcp.len), 0 for non-TCP
  ctype    content type of the first payload byte's record, 0 none
  layer    0 TLS, 1 TCP without payload, 2 DATA, 3 HTTP (non-TCP: 2 DATA,
           or 1 for a UDP datagram without payload)
  retrans  1 when Wireshark flags a retransmission (plain, fast or spurious;
           a repeated SYN or FIN too: each takes a sequence number), else 0
  ws       Wireshark's analysis flags: R retransmission, F fast
           retransmission, S spurious retransmission, O out-of-order,
           K keep-alive, Z zero-window probe, L previous segment not
           captured, '-' none
  src      where ctype came from: map (pass A record map), tail (a record
           that never completes in the capture: type byte read from
           tcp.payload at the expected header), passb (a whole record pass B
           sees at a segment start where pass A lost the stream), http,
           none, gap (TLS bytes
           Wireshark could not place: a hole in the capture or a stream it
           lost; ctype and layer are '?', the reference does not decide)
"""

import argparse
import bisect
import sys

# Field order of pass A; mkref.sh passes the same list to tshark -e.
FIELDS_A = [
    "frame.number", "frame.protocols", "ip.src", "ipv6.src", "tcp.stream",
    "tcp.srcport", "tcp.seq", "tcp.len", "tcp.nxtseq", "tcp.reassembled_in",
    "tls.record.content_type", "tls.record.length", "tls.record.version",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
    "tcp.analysis.keep_alive", "tcp.analysis.zero_window_probe",
    "tcp.analysis.lost_segment", "tcp.payload", "udp.length", "tcp.segment",
]
FIELDS_B = ["frame.number", "tcp.seq", "tls.record.content_type",
            "tls.record.length", "tls.record.version"]

WS_FLAGS = [("tcp.analysis.retransmission", "R"),
            ("tcp.analysis.fast_retransmission", "F"),
            ("tcp.analysis.spurious_retransmission", "S"),
            ("tcp.analysis.out_of_order", "O"),
            ("tcp.analysis.keep_alive", "K"),
            ("tcp.analysis.zero_window_probe", "Z"),
            ("tcp.analysis.lost_segment", "L")]

def plausible(t, version, length):
    """A record header Wireshark reported that a TLS 1.0-1.3 peer can send:
    type 20..24, version 3.0..3.4, length 1..2^14 + 2048."""
    return 20 <= t <= 24 and 0x0300 <= version <= 0x0304 and \
        0 < length <= 16384 + 2048


def ints(s):
    return [int(x) for x in s.split(",") if x != ""] if s else []


def read_dump(path, fields):
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != len(fields):
                sys.exit("%s:%d: %d fields, expected %d" %
                         (path, lineno, len(parts), len(fields)))
            rows.append(dict(zip(fields, parts)))
    return rows


def l4_of(protos):
    """The protocol right above the outer IP header (an ICMP error quotes
    an inner IP/TCP header: that frame is icmp, not tcp)."""
    for i, p in enumerate(protos):
        if p in ("ip", "ipv6"):
            nxt = protos[i + 1] if i + 1 < len(protos) else ""
            while nxt.startswith("ipv6.") and i + 2 < len(protos):
                i += 1
                nxt = protos[i + 1]
            if nxt in ("tcp", "udp"):
                return nxt
            if nxt in ("icmp", "icmpv6"):
                return "icmp"
            return "other"
    return "other"


class Frame:
    __slots__ = ("num", "protos", "l4", "udplen", "key", "seq", "len", "nxt",
                 "reass_in", "segs", "types", "lens", "vers", "ws", "payload")


def parse_a(rows):
    frames = []
    for r in rows:
        fr = Frame()
        fr.num = int(r["frame.number"])
        fr.protos = r["frame.protocols"].split(":")
        fr.l4 = l4_of(fr.protos)
        fr.udplen = ints(r["udp.length"])[0] if r["udp.length"] else 0
        fr.ws = "".join(c for f, c in WS_FLAGS if r[f] != "")
        fr.key = None
        fr.seq = fr.len = fr.nxt = 0
        fr.reass_in = 0
        fr.segs, fr.types, fr.lens, fr.vers, fr.payload = [], [], [], [], ""
        if fr.l4 == "tcp":
            src = r["ip.src"] or r["ipv6.src"]
            fr.key = (int(r["tcp.stream"]), src, int(r["tcp.srcport"]))
            fr.seq = int(r["tcp.seq"])
            fr.len = int(r["tcp.len"] or 0)
            fr.nxt = int(r["tcp.nxtseq"] or fr.seq)
            fr.reass_in = int(r["tcp.reassembled_in"] or 0)
            fr.segs = ints(r["tcp.segment"])
            fr.types = ints(r["tls.record.content_type"])
            fr.lens = ints(r["tls.record.length"])
            fr.vers = [int(v, 16) for v in
                       r["tls.record.version"].split(",") if v]
            fr.payload = r["tcp.payload"].replace(":", "")
        frames.append(fr)
    return frames


def is_retrans(fr):
    return any(c in fr.ws for c in "RFS")


class Direction:
    def __init__(self):
        self.starts = []   # record start seqs, ascending
        self.recs = []     # (start, end, type, src): src map, tail, passb
        self.cur = None    # where the next record header is expected
        self.anchors = 0   # times the map restarted after a gap
        self.problems = []

    def add(self, start, end, t, src="map"):
        i = bisect.bisect_left(self.starts, start)
        if i < len(self.starts) and self.starts[i] == start:
            return
        self.starts.insert(i, start)
        self.recs.insert(i, (start, end, t, src))

    def free(self, start, end):
        """Is [start, end) outside every record of the map?"""
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and self.recs[i][1] > start:
            return False
        return i + 1 >= len(self.starts) or self.starts[i + 1] >= end


def build_maps(frames):
    """Place pass A's records in sequence space, per direction.

    Records reported on a frame complete in it, in stream order. When the
    frame also completes a reassembly (tcp.segment lists the frames of the
    PDU), its first record began in an earlier segment: it starts where the
    previous record ended. Otherwise Wireshark dissected the frame on its
    own, so its first record starts at the frame's first payload byte; this
    re-anchors the map after bytes the capture never saw (a lost segment:
    the records in the hole stay unknown)."""
    dirs = {}
    by_num = {fr.num: fr for fr in frames}
    for fr in frames:
        if fr.key is None:
            continue
        d = dirs.setdefault(fr.key, Direction())
        if fr.len == 0 or is_retrans(fr) or not fr.types:
            continue
        if len(fr.types) != len(fr.lens) or len(fr.types) != len(fr.vers):
            d.problems.append("frame %d: %d types, %d lengths, %d versions" %
                              (fr.num, len(fr.types), len(fr.lens),
                               len(fr.vers)))
            d.cur = None
            continue
        if not all(plausible(t, v, n)
                   for t, v, n in zip(fr.types, fr.vers, fr.lens)):
            # Wireshark lost the stream and took bytes for a record (type
            # 25, a random version, a huge length): nothing here can be
            # placed until it dissects a frame alone again.
            d.problems.append("frame %d: Wireshark reports an implausible "
                              "record %s" % (fr.num, list(zip(
                                  fr.types, map(hex, fr.vers), fr.lens))))
            d.cur = None
            continue
        cont = len(fr.segs) > 1 and fr.segs[-1] == fr.num
        if not cont:
            hdr = fr.payload[:6]
            if hdr != "%02x03%02x" % (fr.types[0], fr.vers[0] & 0xff):
                # Not a header at the first byte: after a lost segment
                # Wireshark places records at an offset only it knows (the
                # end of a PDU it could not reassemble). Leave it unknown.
                d.problems.append("frame %d: records reported, but the "
                                  "payload does not start with a header" %
                                  fr.num)
                d.cur = None
                continue
            if d.cur is not None and d.cur != fr.seq:
                d.anchors += 1
            d.cur = fr.seq
        elif d.cur is None:
            # The direction's first records (or the first after a map
            # problem) complete a reassembly: place them backwards from the
            # segment's end, and accept that only if the first one then
            # starts inside the PDU's first segment.
            first = by_num.get(fr.segs[0])
            start = fr.nxt - sum(5 + n for n in fr.lens)
            if first is None or not first.seq <= start < first.nxt:
                d.problems.append("frame %d: completes a PDU whose start "
                                  "is unknown" % fr.num)
                continue
            d.cur = start
        start = d.cur
        end = start + sum(5 + n for n in fr.lens)
        # The last record reported here completes inside this segment; if
        # not, Wireshark lost the stream (a PDU reassembled across a hole):
        # leave these bytes unknown until the next frame it dissects alone.
        if not (fr.seq < end <= fr.nxt):
            d.problems.append("frame %d: records end at %d, segment is "
                              "[%d, %d)" % (fr.num, end, fr.seq, fr.nxt))
            d.cur = None
            continue
        for t, n in zip(fr.types, fr.lens):
            d.add(d.cur, d.cur + 5 + n, t)
            d.cur += 5 + n
    return dirs


def add_tails(frames, dirs):
    """A record still open at the end of the capture is never reported by
    pass A: read its type byte from the payload at the expected header."""
    for fr in frames:
        if fr.key is None or fr.len == 0 or is_retrans(fr):
            continue
        d = dirs[fr.key]
        if d.cur is None and d.recs:
            continue       # lost after a map problem: no tail guess
        if d.cur is None:
            # Nothing ever completed: the first payload byte is where a
            # record would start (a lone segment of a record cut off by the
            # end of the capture).
            d.cur = fr.seq
        while fr.seq <= d.cur < fr.nxt:
            off = d.cur - fr.seq
            hdr = fr.payload[2 * off:2 * off + 10]
            if len(hdr) < 10:
                break      # header split across segments: leave it
            t = int(hdr[0:2], 16)
            n = int(hdr[6:10], 16)
            if t not in (20, 21, 22, 23, 24) or hdr[2:4] != "03" or \
               int(hdr[4:6], 16) > 4 or not 0 < n <= 16384 + 2048:
                break      # what Wireshark would not take for a record
            d.add(d.cur, d.cur + 5 + n, t, "tail")
            d.cur += 5 + n


def check_pass_b(rows_b, frames, dirs):
    """Every whole record that pass B sees at a segment start must be where
    the map says, with the same type and length."""
    by_num = {fr.num: fr for fr in frames}
    seen = agree = 0
    bad, fill = [], []
    for r in rows_b:
        types = ints(r["tls.record.content_type"])
        lens = ints(r["tls.record.length"])
        vers = [int(v, 16) for v in r["tls.record.version"].split(",") if v]
        if not types or r["tcp.seq"] == "":
            continue
        fr = by_num[int(r["frame.number"])]
        d = dirs.get(fr.key)
        pos = int(r["tcp.seq"])
        for t, n, v in zip(types, lens, vers):
            if not 0x0300 <= v <= 0x0304:
                # Mid-session Wireshark takes any 0x14..0x18 byte at a
                # segment start for a record, whatever the version bytes:
                # ciphertext that only looks like a header (about 2 % of
                # continuation segments). Not a record; not counted.
                break
            seen += 1
            i = bisect.bisect_left(d.starts, pos) if d else -1
            if d and i < len(d.starts) and d.starts[i] == pos and \
               d.recs[i][2] == t and d.recs[i][1] - pos == 5 + n:
                agree += 1
            elif d and d.recs and d.free(pos, pos + 5 + n):
                # Where Wireshark lost the reassembled stream, its
                # per-segment parse still places this record: fill it in.
                fill.append((d, pos, pos + 5 + n, t))
            else:
                bad.append("frame %d: record type %d len %d at seq %d not in "
                           "the map" % (fr.num, t, n, pos))
            pos += 5 + n
    for d, start, end, t in fill:
        d.add(start, end, t, "passb")
    return seen, agree, bad, len(fill)


def http_frames(frames):
    """Frames that belong to an HTTP message: Wireshark dissected http on
    them, their payload was reassembled into such a frame, or (a
    retransmission, which Wireshark does not dissect again) their first
    payload byte lies in the sequence range of such a frame."""
    http = {fr.num for fr in frames if "http" in fr.protos}
    for fr in frames:
        if fr.reass_in in http:
            http.add(fr.num)
    ranges = {}
    for fr in frames:
        if fr.num in http and fr.len > 0:
            ranges.setdefault(fr.key, []).append((fr.seq, fr.nxt))
    for fr in frames:
        if fr.num not in http and fr.len > 0 and is_retrans(fr) and \
           any(a <= fr.seq < b for a, b in ranges.get(fr.key, ())):
            http.add(fr.num)
    # An out-of-order segment is not dissected either (Wireshark does not
    # reassemble out of order by default): in a direction that carries
    # HTTP it is HTTP (seen: the "HTTP/1.1 200 OK" segment of a response
    # arriving after its body).
    for fr in frames:
        if fr.num not in http and fr.len > 0 and "O" in fr.ws and \
           fr.key in ranges and fr.protos[-1] == "tcp":
            http.add(fr.num)
    return http


def classify(fr, dirs, http):
    """-> (ctype, layer, retrans, src) for one frame."""
    if fr.l4 == "udp" and fr.udplen == 8:
        return 0, 1, 0, "none"    # no payload: as a TCP segment without one
    if fr.l4 != "tcp":
        # DNS, NTP, ICMP...: the four-value encoding has no slot for them;
        # the issue defines DATA as "payload that is neither TLS nor HTTP".
        return 0, 2, 0, "none"
    retrans = 1 if is_retrans(fr) else 0
    if fr.len == 0:
        return 0, 1, retrans, "none"
    d = dirs[fr.key]
    i = bisect.bisect_right(d.starts, fr.seq) - 1
    if i >= 0 and d.recs[i][0] <= fr.seq < d.recs[i][1]:
        return d.recs[i][2], 0, retrans, d.recs[i][3]
    if i >= 0 and fr.num not in http:
        # After the direction's first record but in no record: bytes
        # Wireshark could not place (a hole in the capture, or it lost the
        # stream). The reference does not decide these.
        return "?", "?", retrans, "gap"
    if fr.num in http:
        return 0, 3, retrans, "http"
    if "tls" in fr.protos:
        # Wireshark calls it TLS but no record holds its first byte (e.g.
        # data before the first record of a direction caught mid-stream).
        return 0, 0, retrans, "none"
    return 0, 2, retrans, "none"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pass_a")
    ap.add_argument("pass_b")
    ap.add_argument("--name", default="", help="capture name for messages")
    ap.add_argument("--header", action="append", default=[],
                    help="a comment line to put at the top")
    args = ap.parse_args()

    frames = parse_a(read_dump(args.pass_a, FIELDS_A))
    rows_b = read_dump(args.pass_b, FIELDS_B)
    dirs = build_maps(frames)
    add_tails(frames, dirs)
    seen, agree, bad, filled = check_pass_b(rows_b, frames, dirs)
    http = http_frames(frames)

    out = sys.stdout
    for h in args.header:
        out.write("# %s\n" % h)
    problems = [p for d in dirs.values() for p in d.problems]
    out.write("# check: %d whole records at segment starts (reassembly off), "
              "%d where the map puts them, %d filled into its gaps; %d map "
              "problems\n" % (seen, agree, filled, len(problems)))
    for p in (problems + bad)[:50]:
        out.write("# problem: %s\n" % p)
    rows = [(fr, classify(fr, dirs, http)) for fr in frames]
    wsl = {}
    for fr, (ct, layer, rt, src) in rows:
        if fr.l4 == "tcp" and fr.len > 0:
            k = (fr.protos[-1], layer)
            wsl[k] = wsl.get(k, 0) + 1
    out.write("# layer of TCP segments with payload, Wireshark's last protocol "
              "-> ours: %s\n" % ", ".join(
                  "%s->%s %d" % (k[0], k[1], v)
                  for k, v in sorted(wsl.items(), key=str)))
    out.write("frame\tl4\tpaylen\tctype\tlayer\tretrans\tws\tsrc\n")
    stats = {}
    for fr, (ct, layer, rt, src) in rows:
        stats[src] = stats.get(src, 0) + 1
        out.write("%d\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n" %
                  (fr.num, fr.l4, fr.len, ct, layer, rt, fr.ws or "-", src))
    sys.stderr.write("%s: %d frames, %s; pass B %d/%d agree, %d filled, "
                     "%d problems\n" %
                     (args.name or args.pass_a, len(frames),
                      ", ".join("%s %d" % kv for kv in sorted(stats.items())),
                      agree, seen, filled, len(problems) + len(bad)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
