#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# unmute-report.py DEVICE_LOG CLOUD_LOG T_UNMUTE: what a simulated Echo
# (echosim.py live --log) and its cloud (echosim.py server --log) saw around
# the moment the microphone was switched on (epoch seconds, or "mic": the
# device log's first mic=1 event). One line of
# "key value" pairs: the seconds from unmuting to the first voice upload
# the device sent and the cloud got ("never" when none), voice bytes sent
# and got after unmuting, injected (muted) voice bytes the cloud got, and
# the device's reconnects (all, and while muted: count and per minute of
# wall-clock muted time, from the device log's first line), and the wake
# word and voice bytes (TLS records) not sent after unmuting because the
# main connection was down (waiting for its reconnect). Used by e2e-recover.sh and demo.sh.
import json
import sys


def rows(path):
    for line in open(path):
        try:
            yield json.loads(line)
        except ValueError:
            pass


def main():
    dev, cloud = sys.argv[1], sys.argv[2]
    d, c = list(rows(dev)), list(rows(cloud))
    tu = float(sys.argv[3]) if sys.argv[3] != "mic" else next(
        r["t"] for r in d if r.get("ev") == "mic" and r["value"] == 1)
    # the voice stream on the main connection (the first one opened); the
    # interaction's short unagi-na requests are of kind voice too
    main = next((r["conn"] for r in d if r.get("ev") == "open"), 0)
    sent = [r for r in d if r.get("ev") == "send" and r.get("kind") == "voice"
            and r["t"] >= tu and r["conn"] == main]
    got = [r for r in c if r.get("ev") == "msg" and r.get("kind") == "voice"
           and r["t"] >= tu and r["conn"] == main]
    inj = sum(r["bytes"] for r in c
              if r.get("ev") == "msg" and r.get("kind") == "inject_voice")
    off = sum(r["bytes"] for r in d if r.get("ev") == "offline"
              and r.get("kind") in ("wake", "voice") and r["t"] >= tu)
    rec = [r["t"] for r in d if r.get("ev") == "reconnect"]
    muted_rec = sum(1 for t in rec if t < tu)
    muted_min = (tu - d[0]["t"]) / 60 if d and d[0]["t"] < tu else 0

    def after(v):
        return "%.1f" % (v[0]["t"] - tu) if v else "never"
    print("first_voice_sent_s %s first_voice_got_s %s voice_sent_B %d "
          "voice_got_B %d muted_voice_got_B %d reconnects %d "
          "muted_reconnects %d muted_reconnects_per_min %.1f "
          "speech_offline_B %d" % (
              after(sent), after(got), sum(r["bytes"] for r in sent),
              sum(r["bytes"] for r in got), inj, len(rec), muted_rec,
              muted_rec / muted_min if muted_min else 0.0, off))


if __name__ == "__main__":
    main()
