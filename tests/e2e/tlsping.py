#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tlsping: one TLS 1.2 connection to an `echosim.py server`: handshake,
send one message of N bytes in the simulator's framing asking for a reply
of R bytes, read the reply. Exit 0 when all of it worked within the
timeout, 1 otherwise (the reason on stderr).

  tlsping.py ADDR PORT [--bytes N] [--reply R] [--timeout S]
"""
import argparse
import os
import socket
import ssl
import struct
import sys

HDR = struct.Struct("!2sBBIII")  # echosim LIVE_HDR: magic, ver, kind, conn, len, reply
KIND_EVENT = 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--bytes", type=int, default=200)
    ap.add_argument("--reply", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        raw = socket.create_connection((a.addr, a.port), timeout=a.timeout)
        s = ctx.wrap_socket(raw, server_hostname="tlsping.invalid")
        n = max(HDR.size, a.bytes)
        s.sendall(HDR.pack(b"EG", 1, KIND_EVENT, 0, n, a.reply) +
                  os.urandom(n - HDR.size))
        got = 0
        while got < a.reply:
            d = s.recv(a.reply - got)
            if not d:
                break
            got += len(d)
        s.close()
    except (OSError, ssl.SSLError) as e:
        print("tlsping: %s" % e, file=sys.stderr)
        return 1
    if got != a.reply:
        print("tlsping: reply %d of %d bytes" % (got, a.reply), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
