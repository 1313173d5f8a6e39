#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""learn-segments.py: read the capture segments `echoguard learn record`
left in DIR, independently of echoguard (a pcap reader of its own).

  learn-segments.py DIR --device IP [--device IP]...

Prints one line per segment, oldest first:
  NAME EPOCH PACKETS TCP FIRST_TS BYTES LAST_TS
then "total PACKETS TCP". Exits 1, saying why, when a segment is not a
readable pcap (bad magic, a truncated record), holds a packet that is not
to or from a device (IPv4, IPv6, ARP), has its first packet before its
name's second, or when the names do not increase; or when a .part is left.
"""
import argparse
import ipaddress
import os
import re
import struct
import sys

NAME = re.compile(r"^seg-(\d{10})\.pcap$")


def addrs(frame):
	"""(set of addresses, is TCP) of an Ethernet frame."""
	if len(frame) < 14:
		return set(), False
	et = struct.unpack("!H", frame[12:14])[0]
	p = frame[14:]
	if et == 0x8100 and len(p) >= 4:
		et, p = struct.unpack("!H", p[2:4])[0], p[4:]
	if et == 0x0800 and len(p) >= 20:
		return {ipaddress.ip_address(p[12:16]),
			ipaddress.ip_address(p[16:20])}, p[9] == 6
	if et == 0x86DD and len(p) >= 40:
		return {ipaddress.ip_address(p[8:24]),
			ipaddress.ip_address(p[24:40])}, p[6] == 6
	if et == 0x0806 and len(p) >= 28:
		return {ipaddress.ip_address(p[14:18]),
			ipaddress.ip_address(p[24:28])}, False
	return set(), False


def read(path, devices):
	"""[(ts, is_tcp)] of a pcap; raises ValueError with the reason."""
	with open(path, "rb") as f:
		data = f.read()
	if len(data) < 24:
		raise ValueError("%s: no pcap header" % path)
	magic = data[:4]
	if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
		end = "<"
	elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
		end = ">"
	else:
		raise ValueError("%s: not a pcap (magic %s)" % (path, magic.hex()))
	linktype = struct.unpack(end + "I", data[20:24])[0]
	if linktype != 1:
		raise ValueError("%s: link type %d, want Ethernet" % (path, linktype))
	off, out = 24, []
	while off < len(data):
		if off + 16 > len(data):
			raise ValueError("%s: truncated record header at %d" % (path, off))
		sec, usec, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
		if off + 16 + incl > len(data):
			raise ValueError("%s: truncated record at %d" % (path, off))
		frame = data[off + 16:off + 16 + incl]
		a, tcp = addrs(frame)
		if not a & devices:
			raise ValueError("%s: packet %d (%s) is not the device's" %
					 (path, len(out) + 1, sorted(map(str, a))))
		out.append((sec + usec / 1e6, tcp))
		off += 16 + incl
	return out


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("dir")
	ap.add_argument("--device", action="append", required=True)
	a = ap.parse_args()
	devices = {ipaddress.ip_address(d) for d in a.device}
	names = sorted(os.listdir(a.dir))
	bad = [n for n in names if n.endswith(".part")]
	if bad:
		print("FAIL: unfinished segments left: %s" % bad, file=sys.stderr)
		return 1
	total = tcp_total = 0
	last = -1
	for n in names:
		m = NAME.match(n)
		if not m:
			continue
		epoch = int(m.group(1))
		if epoch <= last:
			print("FAIL: %s does not come after %d" % (n, last), file=sys.stderr)
			return 1
		last = epoch
		path = os.path.join(a.dir, n)
		try:
			pk = read(path, devices)
		except ValueError as e:
			print("FAIL: %s" % e, file=sys.stderr)
			return 1
		if pk and pk[0][0] < epoch:
			print("FAIL: %s: first packet at %.6f, before its name" % (n, pk[0][0]),
			      file=sys.stderr)
			return 1
		ntcp = sum(1 for _, t in pk if t)
		print("%s %d %d %d %.6f %d %.6f" % (n, epoch, len(pk), ntcp,
						    pk[0][0] if pk else 0,
						    os.path.getsize(path),
						    pk[-1][0] if pk else 0))
		total += len(pk)
		tcp_total += ntcp
	print("total %d %d" % (total, tcp_total))
	return 0


if __name__ == "__main__":
	sys.exit(main())
