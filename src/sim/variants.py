#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""variants: SIMULATED Echo device variants, for training and for held-out
evaluation of models that must work on an Echo they never saw.

The simulated Echo of echosim.py is calibrated on one real device (vcf:
118-byte voice records, one per segment, ~20 ms apart, TTL 64, window 1369,
46-byte keep-alives every 30 s, avs-alexa-na.amazon.com). A variant redraws
what differs between Echo generations, from a fixed seed per variant number:

  voice record size     TCP payload of one voice record, 80..700 bytes
  records per segment   1..4 (at most 0.1 s of audio per segment)
  pacing                steady (one segment per k records of audio) or
                        bursty (a few segments back to back, then a pause of
                        the audio they held; pauses stay under 0.2 s)
  audio per record      10..60 ms
  TTL, TCP window, MSS  of the device: 64/128/255, 500..65535, 1360..1460
  server name           of the voice connection, from the names real Echos
                        use and names no SNI rule knows
  keep-alive            record body 30..120 bytes, period 30/60/90.8 s
  side traffic scale    sizes of events, short connections, metrics, wake
                        audio: x0.5..2

Variant numbers 1-99 are for training; 101-199 are never trained on
(models/build.sh, models/shift.py). Everything else is echosim's model.

  variants.py pcap --variant N --scenario S --duration SEC --seed K
      [--inject voice|bulk] [--muted-sends LIST] -o F   (F contains "sim")
  variants.py table [N...]        a markdown table of the variants

Standard library only; the same arguments give the same bytes.
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import echosim as es  # noqa: E402

VOICE_SNIS = ["avs-alexa-na.amazon.com", "avs-alexa-eu.amazon.com",
	      "avs-alexa-fe.amazon.com", "bob-dispatch-prod-na.amazon.com",
	      "dcape-na.amazon.com", "alexa.na.gateway.devices.a2z.com",
	      "device-gateway.amazon.com", "echo-voice.example.invalid"]
TRAIN = list(range(1, 13))        # models/build.sh trains on these
HELD_OUT = list(range(101, 107))  # never trained on


def variant(n):
	"""The device variant number n, drawn from a fixed seed."""
	r = random.Random("echoguard-variant/%d" % n)
	v = {"n": n, "size": r.randint(80, 700), "per_seg": r.choice((1, 1, 2, 3, 4)),
	     "frame": round(r.uniform(0.010, 0.060), 4),
	     "pacing": r.choice(("steady", "bursty")),
	     "ttl": r.choice((64, 64, 128, 255)), "win": r.randint(500, 65535),
	     "server_win": r.randint(200, 30000),
	     "mss": r.choice((1460, 1448, 1440, 1400, 1380, 1360)),
	     "sni": r.choice(VOICE_SNIS), "ka_body": r.randint(30, 120),
	     "ka_period": r.choice((30.0, 30.0, 60.0, 90.8)),
	     "scale": round(r.uniform(0.5, 2.0), 3)}
	# at most 0.1 s of audio per segment
	while v["per_seg"] > 1 and v["per_seg"] * v["frame"] > 0.1:
		v["per_seg"] -= 1
	return v


class VariantModel(es.Model):
	"""echosim's device with a variant's voice stream, sizes and names."""

	SCALED = ("event", "short", "metrics", "wake")

	def __init__(self, v, scenario, duration, seed, inject="none",
		     muted_sends=es.MUTED_SENDS_DEFAULT):
		self.v = v
		params = {"ka_record": v["ka_body"], "ka_period": v["ka_period"],
			  "voice_record": v["size"] - 5}
		super().__init__(scenario, duration, seed, inject, muted_sends,
				 params)
		self.rng.seed("echoguard-variant/%d/%s/%d" % (v["n"], scenario, seed))
		self.conns[0] = (self.main, v["sni"])
		self.burst_left = 0

	def send(self, t, cid, kind, bodies, out=True):
		if out and kind in self.SCALED:
			bodies = [max(20, int(b * self.v["scale"])) for b in bodies]
		super().send(t, cid, kind, bodies, out)

	def segment_gap(self, k):
		"""Time to the next voice segment holding k records."""
		r, v = self.rng, self.v
		audio = k * v["frame"]
		if v["pacing"] == "steady":
			return audio * r.uniform(0.85, 1.15)
		if self.burst_left > 0:
			self.burst_left -= 1
			return r.uniform(0.001, 0.004)
		burst = max(2, int(0.15 / audio))
		self.burst_left = burst - 1
		return min(0.18, burst * audio * r.uniform(0.9, 1.1))

	def voice_stream(self, t, kind, n=None):
		"""About 2.5 s of audio in the variant's records and pacing."""
		r, v = self.rng, self.v
		if n is None:
			n = int(max(1.0, r.gauss(2.5, 0.6)) / v["frame"])
		self.burst_left = 0
		i = 0
		while i < n:
			k = min(v["per_seg"], n - i)
			self.send(t, self.main, kind, [v["size"] - 5] * k)
			i += k
			t += self.segment_gap(k)
		return t


def wire_class(v):
	"""echosim's Wire with the variant's TTL, window and MSS."""
	return type("VariantWire", (es.Wire,), {
	    "MSS": v["mss"], "DEVICE_TTL": v["ttl"], "DEVICE_WIN": v["win"],
	    "SERVER_WIN": v["server_win"]})


def note(v):
	return " variant=%d(%s)" % (v["n"], ",".join(
	    "%s=%s" % (k, v[k]) for k in sorted(v) if k != "n"))


def cmd_pcap(a):
	v = variant(a.variant)
	m = VariantModel(v, a.scenario, a.duration, a.seed, a.inject,
			 a.muted_sends).build()
	return es.cmd_pcap(a, model=m, wire=wire_class(v), note=note(v))


COLS = ["n", "size", "per_seg", "frame", "pacing", "ttl", "win", "mss", "sni",
	"ka_body", "ka_period", "scale"]


def cmd_table(a):
	nums = a.n or TRAIN + HELD_OUT
	print("| " + " | ".join(COLS) + " |")
	print("|" + " --- |" * len(COLS))
	for n in nums:
		v = variant(n)
		print("| " + " | ".join(str(v[c]) for c in COLS) + " |")
	return 0


def main(argv=None):
	ap = argparse.ArgumentParser(prog="variants.py", description=__doc__.split(
	    "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
	sub = ap.add_subparsers(dest="cmd", required=True)
	p = sub.add_parser("pcap", help="write a simulated capture of a variant")
	es.model_args(p)
	p.add_argument("--variant", type=int, required=True)
	p.add_argument("-o", "--output", required=True)
	p.add_argument("--start", type=float, default=1767225600.0)
	p = sub.add_parser("table", help="print the variants as a markdown table")
	p.add_argument("n", nargs="*", type=int)
	a = ap.parse_args(argv)
	if a.cmd == "pcap":
		a.muted_sends = tuple(x for x in a.muted_sends.split(",") if x)
		bad = [x for x in a.muted_sends if x not in es.MUTED_SENDS_ALL]
		if bad or a.param or a.duration <= 0:
			ap.error("--muted-sends, --param or --duration: not valid here")
		a.params = {}
		return cmd_pcap(a)
	return cmd_table(a)


if __name__ == "__main__":
	sys.exit(main())
