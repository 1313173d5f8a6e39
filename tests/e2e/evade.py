#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""evade.py BUILD_DIR [--minutes M] [--check]: simulated devices that try
to get audio out while the microphone is muted, each with one technique of
issue 11, replayed through `echoguard replay` (the daemon's per-packet
path: engine, bundled forest, policy, muted budget) with the budget off
and on. SIMULATED: no muted Echo was ever captured; these are crafted
captures (tests/e2e/craft.py), never to be mixed with real figures.

Every capture also carries the Echo's own keep-alive series (a 46-byte
record every 30 s on one long connection, as measured on the real
captures: tests/bench/measure-keepalive.py), which must keep passing.
The device wants to send 200 audio bytes a second for M minutes (default
10). Printed per technique: audio payload bytes sent, and accepted with
the budget off and on, and the keep-alive records accepted. With --check,
exit 1 unless with the budget every technique gets at most the budget's
bound (muted_budget x (M + 1)) out, and every keep-alive of the
well-behaved device passes. (A device that spends its budget on data
starves its own keep-alives: that is its choice, shown in the table.)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEV4, DEV6 = "192.168.86.40", "2001:db8:86::40"
SRV4, SRV6 = "52.94.233.7", "2001:db8:aa::7"
RATE = 200                      # audio bytes a second the device wants out
T0 = 1700000000.0


class Sim:
    """One capture: the keep-alive series plus the technique's packets."""

    def __init__(self):
        self.cap = craft.Capture()
        self.audio, self.ka = set(), set()     # id() of the frame tuples
        self.port = 41000

    def mark(self, kind, f, t, payload):
        f.send(t, payload)
        kind.add(id(self.cap.frames[-1]))

    def numbers(self, kind):
        """Sort the capture by time; the 1-based frame numbers of kind."""
        self.cap.frames.sort(key=lambda x: x[0])
        return {i + 1 for i, fr in enumerate(self.cap.frames)
                if id(fr) in kind}

    def conn(self, t, src=DEV4, dst=SRV4, dport=443, sni="avs.example.net"):
        self.port += 1
        f = craft.TcpFlow(self.cap, src, dst, self.port, dport)
        t = f.handshake(t)
        f.send(t + 0.005, craft.client_hello(sni))
        f.recv(t + 0.03, b"\x16\x03\x03\x00\x40" + bytes(64))
        f.send(t + 0.04, b"\x14\x03\x03\x00\x01\x01" + craft.app_data(40))
        return f, t + 0.05

    def keepalives(self, minutes):
        f, t = self.conn(T0, sni="dcape-na.amazon.com")
        for i in range(minutes * 2):
            self.mark(self.ka, f, T0 + 15 + 30 * i, craft.app_data(41))
            f.recv(T0 + 15.04 + 30 * i)

    def stream(self, f, t0, minutes, size, pace=None):
        """Records of `size` payload bytes at RATE, on flow f."""
        every = pace or size / RATE
        t, end = t0, t0 + minutes * 60
        while t < end:
            self.mark(self.audio, f, t, craft.app_data(size - 5))
            f.recv(t + 0.04)
            t += every
        return t


def tech_plain(s, m):
    f, t = s.conn(T0 + 2)
    s.stream(f, t, m, 300)


def tech_keepalive_size(s, m):
    f, t = s.conn(T0 + 2)
    s.stream(f, t, m, 46)


def tech_keepalive_paced(s, m):
    """46-byte records every 30 s on as many connections as the rate
    needs (a keep-alive series each)."""
    n = int(RATE * 30 / 46) + 1
    flows = [s.conn(T0 + 2 + i * 0.2)[0] for i in range(n)]
    for k in range(m * 2):
        for i, f in enumerate(flows):
            t = T0 + 40 + 30 * k + i * 30.0 / n
            s.mark(s.audio, f, t, craft.app_data(41))
            f.recv(t + 0.04)


def tech_conn_per_record(s, m):
    t, end = T0 + 2, T0 + 2 + m * 60
    while t < end:
        f, t1 = s.conn(t)
        s.mark(s.audio, f, t1 + 0.01, craft.app_data(295))
        f.recv(t1 + 0.05)
        f.close(t1 + 0.06)
        t += 300 / RATE


def tech_ack_sized(s, m):
    f, t = s.conn(T0 + 2)
    end = t + m * 60
    while t < end:
        s.mark(s.audio, f, t, os.urandom(6))
        t += 6 / RATE


def tech_other_port(s, m):
    f, t = s.conn(T0 + 2, dport=8443)
    s.stream(f, t, m, 300)


def tech_ipv6(s, m):
    f, t = s.conn(T0 + 2, src=DEV6, dst=SRV6)
    s.stream(f, t, m, 300)


def tech_allowed_sni(s, m):
    f, t = s.conn(T0 + 2, sni="avs-alexa-4-na.amazon.com")
    s.stream(f, t, m, 300)


def tech_none(s, m):
    """A well-behaved muted device: its keep-alives only."""


TECHNIQUES = [
    ("none: keep-alives only (a well-behaved muted Echo)", tech_none),
    ("plain upload, 300-byte records", tech_plain),
    ("records split/padded to keep-alive size (46 B)", tech_keepalive_size),
    ("paced like keep-alives (46 B every 30 s, many connections)",
     tech_keepalive_paced),
    ("a new connection per record", tech_conn_per_record),
    ("data in ACK-sized segments (6 B payload)", tech_ack_sized),
    ("another destination port (8443)", tech_other_port),
    ("IPv6 (the device's listed address)", tech_ipv6),
    ("TLS server name from the allow list", tech_allowed_sni),
]


def replay(cli, ini, cap):
    r = subprocess.run([cli, "replay", "--model",
                        os.path.join(SRC, "models", "default.egf"), "-c", ini,
                        "--mic", "off", "--json", cap],
                       capture_output=True, text=True, check=True)
    return [json.loads(x) for x in r.stdout.splitlines()
            if x and '"type":"summary"' not in x]


def accepted(rows, frames):
    return sum(r["payload"] for r in rows
               if r["frame"] in frames and r["verdict"] == "accept")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--budget", type=int, default=3072)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    cli = os.path.join(a.build, "src", "echoguard")
    bound = a.budget * (a.minutes + 1)
    bad = 0
    print("SIMULATED devices, muted, %d min each, replayed through the "
          "bundled model; budget %d B/min (bound over the run: %d B)"
          % (a.minutes, a.budget, bound))
    print("| technique | audio bytes sent | out, budget off | out, budget on "
          "| keep-alive records passed (on) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="eg-evade-") as tmp:
        inis = {}
        for name, b in (("off", 0), ("on", a.budget)):
            inis[name] = os.path.join(tmp, name + ".ini")
            with open(inis[name], "w") as f:
                f.write("[device]\naddress = %s, %s\n[policy]\nallow_sni = "
                        "amazon.com\nmuted_budget = %d\n" % (DEV4, DEV6, b))
        for title, fn in TECHNIQUES:
            s = Sim()
            s.keepalives(a.minutes)
            fn(s, a.minutes)
            audio, kas = s.numbers(s.audio), s.numbers(s.ka)
            cap = os.path.join(tmp, "t.pcap")
            s.cap.write_pcap(cap)
            off = replay(cli, inis["off"], cap)
            on = replay(cli, inis["on"], cap)
            sent = sum(r["payload"] for r in on if r["frame"] in audio)
            ka = sum(1 for r in on if r["frame"] in kas and
                     r["verdict"] == "accept")
            out_off, out_on = accepted(off, audio), accepted(on, audio)
            print("| %s | %d | %d (%.1f%%) | %d (%.2f%%) | %d/%d |" % (
                title, sent, out_off, 100.0 * out_off / max(sent, 1),
                out_on, 100.0 * out_on / max(sent, 1), ka, len(kas)))
            if out_on > bound or (fn is tech_none and ka != len(kas)):
                bad += 1
    return 1 if a.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
