#!/usr/bin/python3
# Seed corpus of fuzz-flowtls (format in fuzz-flowtls.c): a TLS session cut
# in order, in tiny pieces, reordered, with garbage and a capture cut,
# keep-alive records on a 30 s period, and a bare ClientHello.
#   tests/fuzz/make-seeds-flowtls.py  (writes tests/fuzz/corpus/fuzz-flowtls/)
import os, random, struct
random.seed(7)
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'fuzz-flowtls')
os.makedirs(d, exist_ok=True)

def rec(t, n, first=None):
    body = bytes(random.randrange(256) for _ in range(n))
    if first is not None:
        body = bytes([first]) + body[1:]
    return bytes([t, 3, 3]) + struct.pack('>H', n) + body

def hello(name):
    sn = name.encode()
    ext = struct.pack('>HHHBH', 0, len(sn) + 5, len(sn) + 3, 0, len(sn)) + sn
    ext += struct.pack('>HH', 16, 5) + b'\x00\x03\x02h2'
    body = (b'\x03\x03' + bytes(32) + b'\x20' + bytes(32) + struct.pack('>H', 4)
            + b'\x13\x01\x13\x02' + b'\x01\x00' + struct.pack('>H', len(ext)) + ext)
    hs = b'\x01' + struct.pack('>I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('>H', len(hs)) + hs

def seg(payload, fl=0, delta=0, cut=0):
    return struct.pack('>BhHB', fl, delta, len(payload), cut) + payload

def pieces(s, sizes):
    out, i, k = [], 0, 0
    while i < len(s):
        n = sizes[k % len(sizes)]
        out.append(s[i:i + n])
        i += n
        k += 1
    return out

stream = (hello('avs-alexa-4-na.amazon.com') + rec(20, 1) + rec(22, 40, 20)
          + rec(23, 3000) + rec(23, 46) + b''.join(rec(23, 118) for _ in range(4))
          + rec(21, 26))
srv = rec(22, 90, 2) + rec(20, 1) + rec(22, 40, 20) + rec(23, 500)
seeds = {}
seeds['inorder'] = (b''.join(seg(x) for x in pieces(stream, [1448]))
                    + b''.join(seg(x, fl=0x40) for x in pieces(srv, [700])))
seeds['tiny'] = b''.join(seg(x) for x in pieces(stream[:600], [1, 2, 3, 4, 5, 7]))
p = pieces(stream, [500])
seeds['reorder'] = (seg(p[0]) + seg(p[2], fl=1, delta=500) + seg(p[1], fl=1 | 2, delta=-1000)
                    + b''.join(seg(x) for x in p[3:]))
seeds['garbage'] = (seg(rec(23, 10)) + seg(b'\xaa' * 200 + rec(23, 50) + rec(23, 60))
                    + seg(rec(23, 300), fl=4, cut=200))
seeds['keepalive'] = (b''.join(seg(rec(23, 41), fl=1 | 8, delta=30000) for _ in range(5))
                      + seg(b'', fl=0x80 | 1, delta=0x0011)
                      + seg(b'', fl=0x80 | 0x40 | 1, delta=0x0004))
seeds['hello'] = hello('Echo.Example.COM')
for name, data in seeds.items():
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)
