#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""canon-meta.py MODEL DATE: make a model file's metadata reproducible.

`echoguard train` stores the wall-clock date, the training time and the
thread count in the META section (the last section of the file: tag
"META", u32 length, u32 CRC-32 of the payload, payload; see
src/forest/model.c). For a model that must rebuild bit for bit, this replaces
"date" with DATE and "train_seconds" with 0, keeps everything else, and
rewrites the section length and CRC. Standard library only.
"""
import json
import struct
import sys
import zlib


def main():
	if len(sys.argv) != 3:
		sys.exit("usage: canon-meta.py MODEL DATE")
	path, date = sys.argv[1], sys.argv[2]
	buf = open(path, "rb").read()
	if buf[:8] != b"EGFOREST":
		sys.exit("canon-meta.py: %s: not an echoguard model" % path)
	at = buf.rfind(b"META")
	if at < 0:
		sys.exit("canon-meta.py: %s: no META section" % path)
	n, crc = struct.unpack_from("<II", buf, at + 4)
	payload = buf[at + 12:at + 12 + n]
	if at + 12 + n != len(buf) or zlib.crc32(payload) != crc:
		sys.exit("canon-meta.py: %s: META is not the last intact section" % path)
	meta = json.loads(payload)
	meta["date"] = date
	meta["train_seconds"] = 0
	new = json.dumps(meta, sort_keys=True, separators=(", ", ": ")).encode()
	out = buf[:at + 4] + struct.pack("<II", len(new), zlib.crc32(new)) + new
	with open(path, "wb") as fh:
		fh.write(out)


if __name__ == "__main__":
	main()
