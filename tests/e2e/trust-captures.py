#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""trust-captures.py BUILD_DIR: the issue-11 findings through the CLI, on
crafted captures (tests/e2e/craft.py), as a user sending a capture would.

 1. allow_sni: with `allow_sni = amazon.com`, a flow whose server name is
    116 "a"s + ".amazon.com.evil.example" sends 20 app-data records while
    muted: none may be accepted as allow_sni (all 20 were: the name was cut
    at 127 bytes, then suffix-matched); a genuine x.amazon.com flow still is.
 2. the flow table: a pcapng with if_tsresol=9, every timestamp
    0xffffffffffffffff and 20,000 SYNs: `echoguard extract` must exit 0
    with 20,000 rows (it died with SIGSEGV); the same with timestamps 0,
    equal and going backwards, in every link type the reader supports.
Exit 0 all passed, 1 a check failed.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402

SRC = os.environ.get("EG_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(
                         os.path.abspath(__file__)))))
DEV = "192.168.86.40"
failed = 0


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failed += 1


def sni_capture(path, name, records=20):
    cap = craft.Capture()
    f = craft.TcpFlow(cap, DEV, "203.0.113.7", 40001, 443)
    t = f.handshake(1.0)
    f.send(t + 0.01, craft.client_hello(name))
    f.recv(t + 0.05, b"\x16\x03\x03\x00\x30" + bytes(48))
    for i in range(records):
        f.send(t + 1.0 + i * 0.2, craft.app_data(300))
        f.recv(t + 1.05 + i * 0.2)
    cap.write_pcap(path)


def replay(cli, ini, capture):
    out = subprocess.run([cli, "replay", "--model",
                          os.path.join(SRC, "models", "default.egf"),
                          "-c", ini, "--mic", "off", "--device", DEV,
                          "--feed", "out",
                          "--json", capture],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr)
        return []
    rows = [json.loads(line) for line in out.stdout.splitlines() if line]
    return [r for r in rows if r.get("type") != "summary" and
            r.get("payload", 0) > 5 and r.get("frame", 0) > 4]


def test_sni(cli, tmp):
    ini = os.path.join(tmp, "sni.ini")
    with open(ini, "w") as f:      # the budget off: allow_sni alone
        f.write("[policy]\nallow_sni = amazon.com\nmuted_budget = 0\n")
    long_name = "a" * 116 + ".amazon.com.evil.example"
    for name, want_allowed in ((long_name, False),
                               ("x.evil.example", False),
                               ("avs-alexa-4-na.amazon.com", True)):
        cap = os.path.join(tmp, "sni.pcap")
        sni_capture(cap, name)
        rows = replay(cli, ini, cap)
        allowed = sum(r["reason"] == "allow_sni" for r in rows)
        check(len(rows) == 20, "%s...: 20 app-data packets replayed (%d)"
              % (name[:24], len(rows)))
        check(allowed == (20 if want_allowed else 0),
              "%s... (%d bytes): %d of %d accepted as allow_sni, want %s"
              % (name[:24], len(name), allowed, len(rows),
                 "all" if want_allowed else "none"))
    # With the default muted budget even an allowed name gets at most the
    # budget out while muted (a device chooses its server name).
    with open(ini, "w") as f:
        f.write("[policy]\nallow_sni = amazon.com\n")
    rows = replay(cli, ini, cap)
    out = sum(r["payload"] for r in rows if r["verdict"] == "accept")
    over = sum(r["reason"] == "budget" for r in rows)
    check(0 < out <= 3072 and over > 0,
          "allow_sni flow while muted, default budget 3072: %d payload "
          "bytes out, %d packets refused (reason budget)" % (out, over))


def syn_flood(linktype, n=20000):
    cap = craft.Capture(linktype)
    for i in range(n):
        f = craft.TcpFlow(cap, DEV, "52.%d.%d.%d" % (i >> 16 & 255,
                                                     i >> 8 & 255, i & 255),
                          10000 + i % 50000, 443)
        f._emit(0, True, craft.SYN)
    return cap


def extract(cli, capture, tmp):
    csv = os.path.join(tmp, "out.csv")
    r = subprocess.run([cli, "extract", "--device", DEV, "-o", csv, capture],
                       capture_output=True, text=True, check=False)
    rows = 0
    if os.path.exists(csv):
        with open(csv) as f:
            rows = sum(1 for _ in f) - 1
    return r.returncode, rows


def test_flow_table(cli, tmp):
    cap = syn_flood(1)
    path = os.path.join(tmp, "flood.pcapng")
    cases = [("tsresol=9, every ts UINT64_MAX", 9, 0xFFFFFFFFFFFFFFFF),
             ("tsresol=6, every ts UINT64_MAX", 6, 0xFFFFFFFFFFFFFFFF),
             ("every ts 0", 9, 0)]
    for what, res, ts in cases:
        cap.write_pcapng(path, tsresol=res, raw_ts=ts)
        rc, rows = extract(cli, path, tmp)
        check(rc == 0 and rows == 20000,
              "extract, 20000 SYNs, %s: exit %d, %d rows" % (what, rc, rows))
    # Backwards, then equal, in each link type the reader takes.
    for lt in (1, 101, 113):
        cap = syn_flood(lt, 5000)
        cap.frames = [(10 ** 18 - i * 1000 if i < 2500 else 5, fr)
                      for i, (_, fr) in enumerate(cap.frames)]
        cap.write_pcapng(path, tsresol=9)
        rc, rows = extract(cli, path, tmp)
        check(rc == 0 and rows == 5000,
              "extract, link type %d, backwards then equal: exit %d, %d rows"
              % (lt, rc, rows))


def main():
    cli = os.path.join(sys.argv[1], "src", "echoguard")
    with tempfile.TemporaryDirectory(prefix="eg-trust-") as tmp:
        test_sni(cli, tmp)
        test_flow_table(cli, tmp)
    print("%s" % ("all passed" if not failed else "%d failed" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
