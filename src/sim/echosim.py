#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""echosim: a SIMULATED Amazon Echo, calibrated on the real captures.

One model of the device (a seeded state machine: idle with keep-alives,
events and metrics uploads, new TLS connections, wake word -> voice upload
stream -> response download, streaming, muted mode, injected unjustified
uploads) and three ways to run it:

  echosim.py pcap --scenario S --duration SEC --seed N [--inject K] -o F
      writes a pcapng of Ethernet/IPv4/TCP/TLS 1.2 frames (F must contain
      "sim"), F.interactions.csv (when a person spoke, in the format of
      vcf/interactions.csv, source "sim") and F.labels.csv (every interval:
      speech, muted, inject_voice, inject_bulk, stream) and F.mic (the
      microphone timeline "EPOCH STATE" for `echoguard replay --mic F.mic`).
  echosim.py live --server ADDR:PORT --scenario S --duration SEC --seed N
      [--sni NAME] [--mic-file PATH] --log F.jsonl
      the same model over real TLS 1.2 sockets (one write per record).
  echosim.py server --listen ADDR:PORT --cert C --key K --log F.jsonl
      a threaded TLS server that logs what it receives and answers.
  echosim.py mkcert DIR
      a self-signed certificate (DIR/cert.pem, DIR/key.pem) via openssl.

Scenarios: idle (mic on, nobody speaks), talk (interactions about every
37 s), muted (mic off), mixed (idle, talk and muted phases), stream (a
command, then a long download), unmute (muted until --param unmute_at,
default a third of the run, then a person talks). In live mode
--reconnect reopens the main connection when it stalls (no answer within
--ping-timeout) or is reset, as a real Echo does, after a capped
exponential back-off (live_reconnect.py). The figures come from
src/sim/measure.py on the real captures; see docs/simulator.md.
Standard library only; the same arguments give the same bytes.
"""
import argparse
import base64
import json
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

from live_reconnect import Reconnector

VERSION = "0.1.0"

# --- the model's parameters, measured on the real captures (docs/simulator.md)
PARAMS = {
	"ka_period": 30.0,          # s, keep-alive period (measured median 30.00)
	"ka_jitter": 0.01,          # s, p10..p90 29.99..30.01
	"ka_record": 41,            # TLS record body: 46-byte TCP payload
	"ka_reply_delay": 0.0063,   # s, median device reply delay
	"event_per_hour": 60.0,     # idle event bursts on the main connection
	"metrics_per_hour": 2.7,    # uploads to device-metrics-us (measured 2.7/h)
	"metrics_bytes": 11000,     # B per metrics upload (measured ~11 KB)
	"new_conn_period": 120.0,   # s, new short TLS connection (issue/paper)
	"talk_period": 37.0,        # s between interactions in the captures
	"voice_record": 113,        # TLS record body: 118-byte TCP payload
	"voice_records_mean": 126.0,  # per stream (measured p10 93, p90 165)
	"voice_records_sd": 28.0,
	"wake_bytes": 17600,        # B sent in the 1 s before the stream (p10 16.4 K, p90 19.2 K)
	"resp_bytes_median": 42000, # B in the 6 s after the stream (p10 16.7 K, p90 129 K)
	"resp_bytes_sigma": 0.8,    # lognormal spread fitted to p10/p90
	"resp_duration": 1.8,       # s (median)
	"unagi_per_talk": 4.6,      # short unagi-na connections per interaction
	"retrans_share": 0.005,     # share of device data segments sent twice
	"stream_kbps": 256.0,       # streaming download rate
	"inject_period": 60.0,      # s between injected uploads
	"bulk_bytes": 200000,       # B per injected bulk upload
	"rtt": 0.040,               # s (SYN -> SYN/ACK median 0.0399)
	"unmute_at": 0.0,           # s, scenario unmute: muted until then (0: a third)
}
# Measured gaps between 118-byte voice records (ms bins, counts).
VOICE_GAPS = [((0, 5), 2716), ((5, 10), 1451), ((10, 14), 13977),
	      ((14, 17), 14108), ((17, 20), 2571), ((20, 25), 10368),
	      ((25, 30), 5374), ((30, 40), 8719), ((40, 60), 1467),
	      ((60, 100), 394), ((100, 300), 286)]
# What a muted device sends. A privacy-respecting device keeps only the
# keep-alive of its channel; "connections", "metrics" and "events" may be
# allowed with --muted-sends.
MUTED_SENDS_DEFAULT = ("keepalive",)
MUTED_SENDS_ALL = ("keepalive", "connections", "metrics", "events")

DEVICE_IP = "192.168.86.40"
DEVICE_MAC = bytes.fromhex("fc65de0a1b2c")   # an Amazon OUI
GATEWAY_MAC = bytes.fromhex("f4f5d8112233")
MAIN_SNI = "avs-alexa-na.amazon.com"  # assumption: opened before every capture
SERVERS = {
	MAIN_SNI: "52.94.235.50",
	"unagi-na.amazon.com": "54.239.26.255",
	"device-metrics-us.amazon.com": "52.94.232.230",
	"api.amazonalexa.com": "54.239.27.11",
	"api.amazon.com": "52.94.229.122",
	"arcus-uswest.amazon.com": "52.119.196.87",
	"dvi8md6049w6b.cloudfront.net": "52.85.113.140",
}
# Short connections in idle time, weighted like the captures' SNIs.
SHORT_SNIS = [("unagi-na.amazon.com", 6), ("api.amazonalexa.com", 2),
	      ("arcus-uswest.amazon.com", 1), ("api.amazon.com", 1)]

# A self-signed P-256 certificate (CN=echosim.invalid, O=SIMULATED echoguard
# echosim) that the simulated servers present, repeated to the chain size.
SIM_CERT_DER = base64.b64decode(
	"MIIB1TCCAXugAwIBAgIUc4ZiZLBDw102ahww6ObeffgDRccwCgYIKoZIzj0EAwIw"
	"QDEYMBYGA1UEAwwPZWNob3NpbS5pbnZhbGlkMSQwIgYDVQQKDBtTSU1VTEFURUQg"
	"ZWNob2d1YXJkIGVjaG9zaW0wHhcNMjYxMTIyMDMxMjQwWhcNMzYxMTE5MDMxMjQw"
	"WjBAMRgwFgYDVQQDDA9lY2hvc2ltLmludmFsaWQxJDAiBgNVBAoMG1NJTVVMQVRF"
	"RCBlY2hvZ3VhcmQgZWNob3NpbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBoq"
	"XcOOQB+/DbVpgMpHfgBRWR9QKLck1PuspspM/4gpVCw6swdiu+kR91TvzD4/JBfp"
	"KW9V0A3m/vEugfQN5UGjUzBRMB0GA1UdDgQWBBT3kc/YjV3AW2U0UJInziOdiZi1"
	"NTAfBgNVHSMEGDAWgBT3kc/YjV3AW2U0UJInziOdiZi1NTAPBgNVHRMBAf8EBTAD"
	"AQH/MAoGCCqGSM49BAMCA0gAMEUCIQCMs+6quXPpXwSZGucf+MgabiO0wFTyWdCz"
	"xTcPxsgYEAIgZC/jXw3l+LdqWMYQUvXorJDScFWpTbTzIotSLRFc2nY="
)

# live framing: every app-data write starts with this header
LIVE_HDR = struct.Struct("!2sBBIII")  # magic, version, kind, conn, len, reply
LIVE_MAGIC = b"EG"
KINDS = ["keepalive", "event", "metrics", "wake", "voice", "short", "stream",
	 "inject_voice", "inject_bulk", "response", "handshake"]
# TLS 1.2 AES-GCM record overhead: 8-byte explicit nonce + 16-byte tag.
GCM_OVERHEAD = 24


# ---------------------------------------------------------------- the model
class Msg:
	"""One message of the device model: records of a connection."""
	__slots__ = ("t", "conn", "out", "kind", "records", "op")

	def __init__(self, t, conn, out, kind, records, op="data"):
		self.t, self.conn, self.out, self.kind = t, conn, out, kind
		self.records = records  # [(content_type, body_length)]
		self.op = op            # data | open | close


class Model:
	"""The device as a seeded generator of messages (time-ordered)."""

	def __init__(self, scenario, duration, seed, inject="none",
		     muted_sends=MUTED_SENDS_DEFAULT, params=None):
		self.rng = random.Random("echosim/%s/%d" % (scenario, seed))
		self.scenario, self.duration = scenario, float(duration)
		self.inject, self.muted_sends = inject, set(muted_sends)
		self.p = dict(PARAMS)
		self.p.update(params or {})
		self.msgs, self.labels = [], []
		self.conns = []  # (id, sni)
		self.next_conn = 0
		self.muted = []  # [(start, end)]
		self.main = self.open_conn(0.0, MAIN_SNI, "handshake", keep=True)

	# -- building blocks
	def open_conn(self, t, sni, kind, keep=False):
		cid = self.next_conn
		self.next_conn += 1
		self.conns.append((cid, sni))
		self.msgs.append(Msg(t, cid, True, kind, [], op="open"))
		return cid

	def close_conn(self, t, cid, kind):
		self.msgs.append(Msg(t, cid, True, kind, [(21, 26)], op="close"))

	def send(self, t, cid, kind, bodies, out=True):
		self.msgs.append(Msg(t, cid, out, kind, [(23, b) for b in bodies]))

	def is_muted(self, t):
		return any(a <= t < b for a, b in self.muted)

	def allowed(self, t, what):
		return not self.is_muted(t) or what in self.muted_sends

	def label(self, kind, a, b):
		self.labels.append((kind, round(a, 6), round(min(b, self.duration), 6)))

	# -- behaviours
	def keepalives(self):
		t = 1.0 + self.rng.uniform(0, self.p["ka_period"])
		while t < self.duration:
			if self.allowed(t, "keepalive"):
				self.send(t, self.main, "keepalive", [self.p["ka_record"]],
					  out=False)
				d = self.rng.lognormvariate(0, 0.4) * self.p["ka_reply_delay"]
				self.send(t + d, self.main, "keepalive", [self.p["ka_record"]])
			t += self.p["ka_period"] + self.rng.uniform(
			    -self.p["ka_jitter"], self.p["ka_jitter"])

	def poisson(self, per_hour, start=0.5):
		t = start
		while per_hour > 0:
			t += self.rng.expovariate(per_hour / 3600.0)
			if t >= self.duration:
				return
			yield t

	def event(self, t, kind="event", n=None):
		"""An event burst on the main connection (1-3 uploads of ~4.9 KB
		within half a second, as in the captures) and the answers."""
		r = self.rng
		for k in range(n or r.choice((1, 2, 2, 3))):
			self.send(t, self.main, kind, [r.randint(226, 238), 131,
						       r.randint(4380, 4390), 77, 33])
			a = t + self.p["rtt"] + r.uniform(0.05, 0.25)
			self.send(a, self.main, "response", [r.randint(86, 88), 33],
				  out=False)
			t += r.uniform(0.03, 0.5)

	def events(self):
		for t in self.poisson(self.p["event_per_hour"]):
			if self.allowed(t, "events"):
				self.event(t)

	def short_conn(self, t, sni, kind="short", out_body=None, in_body=None):
		"""A short TLS connection: handshake, one request, one answer."""
		r = self.rng
		cid = self.open_conn(t, sni, kind)
		t1 = t + 3.5 * self.p["rtt"] + r.uniform(0.01, 0.05)
		self.send(t1, cid, kind, [out_body or r.randint(700, 760)])
		t2 = t1 + self.p["rtt"] + r.uniform(0.0, 0.02)
		self.send(t2, cid, "response", [in_body or r.randint(355, 365)],
			  out=False)
		self.close_conn(t2 + 0.003, cid, kind)
		return t2 + 0.05

	def short_conns(self):
		t = self.rng.uniform(5, self.p["new_conn_period"])
		while t < self.duration:
			if self.allowed(t, "connections"):
				names = [n for n, w in SHORT_SNIS for _ in range(w)]
				self.short_conn(t, self.rng.choice(names))
			t += self.rng.expovariate(1.0 / self.p["new_conn_period"])

	def metrics(self):
		for t in self.poisson(self.p["metrics_per_hour"], start=2.0):
			if not self.allowed(t, "metrics"):
				continue
			n = int(self.rng.gauss(self.p["metrics_bytes"], 2000))
			bodies = [min(16384, n - i) for i in range(0, max(n, 600), 16384)]
			cid = self.open_conn(t, "device-metrics-us.amazon.com", "metrics")
			t1 = t + 3.5 * self.p["rtt"] + 0.02
			self.send(t1, cid, "metrics", [641] + bodies)
			t2 = t1 + self.p["rtt"] + 0.05
			self.send(t2, cid, "response", [261], out=False)
			self.close_conn(t2 + 0.01, cid, "metrics")

	def voice_gap(self):
		x = self.rng.uniform(0, sum(w for _, w in VOICE_GAPS))
		for (a, b), w in VOICE_GAPS:
			if x < w:
				return self.rng.uniform(a, b) / 1000.0
			x -= w
		return 0.02

	def voice_stream(self, t, kind, n=None):
		"""n 118-byte records on the main connection; returns the end."""
		r = self.rng
		if n is None:
			n = int(min(290, max(30, r.gauss(self.p["voice_records_mean"],
							  self.p["voice_records_sd"]))))
		for _ in range(n):
			self.send(t, self.main, kind, [self.p["voice_record"]])
			t += self.voice_gap()
		return t

	def interaction(self, t):
		"""Wake word, voice stream, response, side connections, events."""
		r = self.rng
		start = t
		# wake word: the audio around the wake word, ~5.4 KB at once
		wake = int(r.gauss(self.p["wake_bytes"], 1500))
		bodies = [229, 131]
		left = max(400, wake - 370)
		while left > 0:
			bodies.append(min(left, r.randint(1500, 4800)))
			left -= bodies[-1]
		self.send(t, self.main, "wake", bodies)
		v0 = t + r.uniform(0.09, 0.2)
		v1 = self.voice_stream(v0, "voice")
		# events interleaved with the stream (measured ~5 segments)
		for k in range(2):
			self.event(v0 + (k + 1) * (v1 - v0) / 3, "voice", n=1)
		# side connections to unagi-na during the interaction
		n_side = int(self.p["unagi_per_talk"] + r.random())
		for k in range(n_side):
			self.short_conn(start + 0.1 + k * (v1 - start + 2.0) / n_side,
					"unagi-na.amazon.com", "voice")
		# the response: directives, then speech audio in 16 KB records
		total = int(r.lognormvariate(0, self.p["resp_bytes_sigma"]) *
			    self.p["resp_bytes_median"])
		rt = v1 + r.uniform(0.002, 0.2)
		self.send(rt, self.main, "response", [375, 639], out=False)
		self.send(rt + 0.01, self.main, "voice", [77, 33])
		left, n = max(0, total - 1014), 0
		dur = self.p["resp_duration"] * r.uniform(0.5, 1.5)
		while left > 0:
			body = min(left, 16408)
			self.send(rt + 0.3 + dur * n / max(1, total // 16408 + 1),
				  self.main, "response", [body], out=False)
			left -= body
			n += 1
		end = rt + 0.3 + dur
		self.send(end, self.main, "voice", [r.randint(226, 238), 131])
		self.label("speech", start, end + 0.5)
		# a post-interaction event about 11 s after the wake word
		return end + 0.5, start + r.uniform(10.5, 12.5)

	def talks(self, t0, t1, period):
		t = t0 + self.rng.uniform(2.0, 6.0)
		while t < t1 - 8.0:
			end, post = self.interaction(t)
			if post < self.duration:
				self.event(post, "voice")
			t = max(end + 2.0, t + period + self.rng.uniform(-3, 3))

	def stream(self, t):
		"""A command, then a long download from the CDN until the end."""
		end, _ = self.interaction(t)
		cid = self.open_conn(end, "dvi8md6049w6b.cloudfront.net", "stream")
		t1 = end + 4 * self.p["rtt"]
		self.send(t1, cid, "stream", [r for r in (517, 92)])
		rate = self.p["stream_kbps"] * 1000 / 8
		t2 = t1 + self.p["rtt"]
		while t2 < self.duration - 1.0:
			chunk = int(rate * 10 * self.rng.uniform(0.8, 1.2))
			bodies = [16384] * (chunk // 16384) + [chunk % 16384 or 1]
			self.send(t2, cid, "stream", bodies, out=False)
			t2 += 10.0
			self.send(t2 - 0.2, cid, "stream", [self.rng.randint(90, 120)])
		self.close_conn(self.duration - 0.5, cid, "stream")
		self.label("stream", end, self.duration - 0.5)
		self.label("speech", end, self.duration - 0.5)

	def injections(self):
		"""Unjustified uploads, while muted (or idle): caught if blocked."""
		if self.inject == "none":
			return
		r = self.rng
		t = r.uniform(5, 5 + self.p["inject_period"])
		while t < self.duration - 5:
			ok = self.is_muted(t) or self.scenario == "idle" or (
			    self.scenario == "mixed" and not any(
				k == "speech" and a - 15 <= t <= b + 15
				for k, a, b in self.labels))
			if ok and self.inject == "voice":
				e = self.voice_stream(t, "inject_voice")
				self.label("inject_voice", t, e)
			elif ok and self.inject == "bulk":
				n = int(self.p["bulk_bytes"] * r.uniform(0.5, 1.5))
				self.send(t, self.main, "inject_bulk",
					  [16384] * (n // 16384) + [n % 16384 or 1])
				self.label("inject_bulk", t, t + n / 1e6 + 0.1)
			t += self.p["inject_period"] * r.uniform(0.7, 1.3)

	def build(self):
		d, sc = self.duration, self.scenario
		if sc == "muted":
			self.muted.append((0.0, d + 1))
			self.label("muted", 0.0, d)
		elif sc == "unmute":
			# muted until unmute_at (s), then a person talks
			u = float(self.p["unmute_at"]) or d / 3
			self.muted.append((0.0, u))
			self.label("muted", 0.0, u)
		elif sc == "mixed":
			# thirds: idle, talk, muted (then talk again when long)
			a, b = d / 3, 2 * d / 3
			self.muted.append((b, d + 1))
			self.label("muted", b, d)
		self.keepalives()
		self.events()
		self.short_conns()
		self.metrics()
		if sc == "talk":
			self.talks(0.0, d, self.p["talk_period"])
		elif sc == "mixed":
			self.talks(d / 3, 2 * d / 3, self.p["talk_period"])
		elif sc == "unmute":
			self.talks(self.muted[0][1] - 1.0, d, self.p["talk_period"])
		elif sc == "stream":
			self.stream(self.rng.uniform(2, 5))
		self.injections()
		if sc == "unmute" and self.inject == "voice":
			# the worst moment: an injected upload 3 s before
			# unmuting, so that the main connection has a hole
			# when the person starts talking
			u = self.muted[0][1]
			e = self.voice_stream(u - 3.0, "inject_voice", n=20)
			self.label("inject_voice", u - 3.0, e)
		self.msgs = [m for m in self.msgs if m.t < d or m.op == "close"]
		self.msgs.sort(key=lambda m: (m.t, m.op != "open"))
		self.labels.sort(key=lambda x: (x[1], x[0]))
		return self


# ------------------------------------------------------------ TLS records
def client_hello(rng, sni, session_id, target=253):
	"""A TLS 1.2 ClientHello record carrying the SNI, its body padded to
	target bytes (measured: 253)."""
	suites = [0xc02f, 0xc030, 0xc02b, 0xc02c, 0xcca8, 0xcca9, 0xc013,
		  0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a]
	name = sni.encode()
	ext = b""
	ext += struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0,
			   len(name)) + name
	ext += struct.pack("!HH", 0xff01, 1) + b"\x00"           # reneg info
	ext += struct.pack("!HHH", 10, 8, 6) + struct.pack("!3H", 29, 23, 24)
	ext += struct.pack("!HHB", 11, 2, 1) + b"\x00"           # point formats
	ext += struct.pack("!HH", 35, 0)                          # session ticket
	sig = [0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0804, 0x0805]
	ext += struct.pack("!HHH", 13, 2 + 2 * len(sig), 2 * len(sig)) + \
	    struct.pack("!%dH" % len(sig), *sig)
	ext += struct.pack("!HH", 23, 0)                          # ext. master
	body = struct.pack("!H", 0x0303) + rng.randbytes(32) + \
	    bytes([len(session_id)]) + session_id + \
	    struct.pack("!H", 2 * len(suites)) + \
	    struct.pack("!%dH" % len(suites), *suites) + b"\x01\x00"
	pad = target - 4 - len(body) - 2 - len(ext) - 4
	if pad >= 0:
		ext += struct.pack("!HH", 21, pad) + bytes(pad)
	body += struct.pack("!H", len(ext)) + ext
	hs = b"\x01" + len(body).to_bytes(3, "big") + body
	return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def handshake_record(rng, hs_type, length):
	"""A handshake record holding one message of the given body length."""
	body = rng.randbytes(length)
	if hs_type == 11:  # Certificate: the sim certificate, as a chain
		n = max(1, (length - 3) // (len(SIM_CERT_DER) + 3))
		chain = (len(SIM_CERT_DER).to_bytes(3, "big") + SIM_CERT_DER) * n
		body = len(chain).to_bytes(3, "big") + chain
	elif hs_type == 12:  # ServerKeyExchange: ECDHE P-256, signed
		body = b"\x03\x00\x17\x41\x04" + rng.randbytes(64) + \
		    b"\x04\x01\x01\x00" + rng.randbytes(256)
	elif hs_type == 16:  # ClientKeyExchange: an uncompressed P-256 point
		body = b"\x41\x04" + rng.randbytes(64)
	elif hs_type == 2:  # ServerHello: version, random, session id, suite
		body = struct.pack("!H", 0x0303) + rng.randbytes(32) + b"\x20" + \
		    rng.randbytes(32) + b"\xc0\x2f\x00" + \
		    struct.pack("!HHHB", 5, 0xff01, 1, 0)
	hs = bytes([hs_type]) + len(body).to_bytes(3, "big") + body
	return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def record(rng, ctype, length):
	if ctype == 20:
		return b"\x14\x03\x03\x00\x01\x01"
	return bytes([ctype]) + b"\x03\x03" + struct.pack("!H", length) + \
	    rng.randbytes(length)


# ------------------------------------------------------------ pcap output
def csum(data):
	if len(data) % 2:
		data += b"\x00"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return (~s) & 0xffff


class Wire:
	"""Turns messages into Ethernet/IPv4/TCP frames with consistent TCP."""
	MSS = 1460
	DEVICE_TTL = 64                 # device variants (variants.py) differ
	DEVICE_WIN, SERVER_WIN = 1369, 440

	def __init__(self, model, start):
		self.m, self.rng, self.start = model, model.rng, start
		self.frames = []  # (t, seq, bytes)
		self.tcp = {}
		self.ipid = {True: self.rng.randrange(65536),
			     False: self.rng.randrange(65536)}
		self.resumable = set()
		self.n = 0

	def emit(self, t, c, out, flags, payload=b"", opts=b"", seq=None):
		src, dst = (DEVICE_IP, c["ip"]) if out else (c["ip"], DEVICE_IP)
		sp, dp = (c["sport"], 443) if out else (443, c["sport"])
		if seq is None:
			seq = c["snd"][out]
		ack = c["snd"][not out] if flags & 0x10 else 0
		win = c["win"][out]
		if out and payload == b"" and flags == 0x10:
			c["win"][out] = min(65535, win + 46)  # the device's window updates
		thl = 20 + len(opts)
		hdr = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xffffffff,
				  ack & 0xffffffff, (thl // 4) << 4, flags, win, 0, 0) + opts
		ips, ipd = socket.inet_aton(src), socket.inet_aton(dst)
		pseudo = ips + ipd + struct.pack("!BBH", 0, 6, thl + len(payload))
		tc = csum(pseudo + hdr + payload)
		hdr = hdr[:16] + struct.pack("!H", tc) + hdr[18:]
		self.ipid[out] = (self.ipid[out] + 1) & 0xffff
		tot = 20 + thl + len(payload)
		ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, self.ipid[out],
				 0x4000, self.DEVICE_TTL if out else c["ttl"], 6, 0,
				 ips, ipd)
		ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
		eth = (GATEWAY_MAC + DEVICE_MAC) if out else (DEVICE_MAC + GATEWAY_MAC)
		self.frames.append((t, self.n, eth + b"\x08\x00" + ip + hdr + payload))
		self.n += 1
		if seq == c["snd"][out]:
			c["snd"][out] += len(payload) + (1 if flags & 0x03 else 0)

	def data(self, t, c, out, payload):
		"""Segment payload at the MSS; the receiver ACKs every other one."""
		t = max(t, c["busy"][out])
		rtt = self.m.p["rtt"]
		segs = [payload[i:i + self.MSS] for i in range(0, len(payload), self.MSS)]
		for i, s in enumerate(segs):
			last = i == len(segs) - 1
			seq = c["snd"][out]
			self.emit(t, c, out, 0x18 if last else 0x10, s)
			if out and self.rng.random() < self.m.p["retrans_share"]:
				self.emit(t + 0.2 + rtt, c, out, 0x18, s, seq=seq)
			if last or i % 2 == 1:
				d = rtt / 2 + self.rng.uniform(0, 0.005) if out else \
				    self.rng.uniform(0.0005, 0.003)
				self.emit(t + d, c, not out, 0x10)
				if not out and self.rng.random() < 0.5:
					self.emit(t + d + 0.0004, c, not out, 0x10)
			t += len(s) * 8 / 50e6 + 0.00005  # 50 Mbit/s
		c["busy"][out] = t
		return t

	def open(self, t, msg):
		cid, sni = self.m.conns[msg.conn]
		rng, rtt = self.rng, self.m.p["rtt"]
		c = {"ip": SERVERS.get(sni, "52.94.235.50"), "sni": sni,
		     "sport": 30000 + rng.randrange(30000), "ttl": rng.choice(
			 (230, 232, 233, 234)), "snd": {True: rng.getrandbits(32),
							False: rng.getrandbits(32)},
		     "win": {True: self.DEVICE_WIN, False: self.SERVER_WIN},
		     "busy": {True: 0.0, False: 0.0}}
		self.tcp[cid] = c
		syn_opts = struct.pack("!BBH", 2, 4, self.MSS) + b"\x04\x02" + \
		    struct.pack("!BBII", 8, 10, rng.getrandbits(32), 0) + \
		    b"\x01\x03\x03\x06"
		c["win"][True] = 65535
		self.emit(t, c, True, 0x02, opts=syn_opts)
		c["win"][True] = self.DEVICE_WIN
		c["win"][False] = 8190
		t += rtt * rng.uniform(0.9, 1.2)
		self.emit(t, c, False, 0x12, opts=struct.pack("!BBH", 2, 4, 1460) +
			  b"\x01\x01\x04\x02\x01\x03\x03\x06")
		c["win"][False] = self.SERVER_WIN
		t += 0.0015
		self.emit(t, c, True, 0x10)
		resumed = sni in self.resumable
		sid = rng.randbytes(32) if resumed else b""
		t = self.data(t + 0.002, c, True, client_hello(rng, sni, sid))
		t += rtt
		if resumed:
			flight = handshake_record(rng, 2, 0) + record(rng, 20, 1) + \
			    record(rng, 22, 40)
			t = self.data(t, c, False, flight)
			self.data(t + 0.002, c, True, record(rng, 20, 1) + record(rng, 22, 40))
		else:
			flight = handshake_record(rng, 2, 0) + \
			    handshake_record(rng, 11, rng.randint(4800, 5000)) + \
			    handshake_record(rng, 12, 329) + handshake_record(rng, 14, 0)
			t = self.data(t, c, False, flight)
			t = self.data(t + 0.004, c, True, handshake_record(rng, 16, 66) +
				      record(rng, 20, 1) + record(rng, 22, 40))
			self.data(t + rtt, c, False, record(rng, 20, 1) + record(rng, 22, 40))
			self.resumable.add(sni)
		c["busy"][True] = max(c["busy"][True], t + rtt + 0.003)

	def close(self, t, msg):
		c = self.tcp[msg.conn]
		t = max(t, c["busy"][True], c["busy"][False])
		t = self.data(t, c, True, record(self.rng, 21, 26))
		self.emit(t + 0.0005, c, True, 0x11)
		t += self.m.p["rtt"]
		self.emit(t, c, False, 0x11)
		self.emit(t + 0.001, c, True, 0x10)

	def run(self):
		for msg in self.m.msgs:
			if msg.op == "open":
				self.open(msg.t, msg)
			elif msg.op == "close":
				self.close(msg.t, msg)
			else:
				c = self.tcp[msg.conn]
				payload = b"".join(record(self.rng, ct, n)
						   for ct, n in msg.records)
				self.data(msg.t, c, msg.out, payload)
		self.frames.sort(key=lambda f: (f[0], f[1]))
		return [(self.start + t, fr) for t, _, fr in self.frames
			if t < self.m.duration]


def pcapng_write(path, frames, comment):
	def opt(code, val):
		return struct.pack("<HH", code, len(val)) + val + \
		    b"\x00" * (-len(val) % 4)

	def block(btype, body):
		n = 12 + len(body)
		return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

	shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + \
	    opt(1, comment.encode()) + opt(4, ("echoguard echosim " +
					     VERSION).encode()) + opt(0, b"")
	idb = struct.pack("<HHI", 1, 0, 262144) + opt(9, b"\x09") + opt(0, b"")
	with open(path, "wb") as fh:
		fh.write(block(0x0A0D0D0A, shb))
		fh.write(block(1, idb))
		for ts, fr in frames:
			ns = int(round(ts * 1e9))
			body = struct.pack("<IIIII", 0, ns >> 32, ns & 0xffffffff,
					   len(fr), len(fr)) + fr + b"\x00" * (-len(fr) % 4)
			fh.write(block(6, body))


def cmd_pcap(a, model=None, wire=Wire, note=""):
	"""Write the capture and its side files; variants.py passes its own
	model (built) and Wire class, and a note for the capture comment."""
	base = os.path.basename(a.output)
	if "sim" not in base:
		sys.exit("echosim: %s: the file name must contain \"sim\"" % a.output)
	m = model or Model(a.scenario, a.duration, a.seed, a.inject,
			   a.muted_sends, a.params).build()
	frames = wire(m, a.start).run()
	comment = ("SIMULATED by echoguard echosim %s scenario=%s seed=%d "
		   "duration=%g inject=%s muted_sends=%s%s" %
		   (VERSION, a.scenario, a.seed, a.duration, a.inject,
		    ",".join(sorted(m.muted_sends)), note))
	pcapng_write(a.output, frames, comment)
	with open(a.output + ".interactions.csv", "w") as fh:
		fh.write("pcap,start,end,trace,source\n")
		n = 0
		for kind, s, e in m.labels:
			if kind == "speech":
				n += 1
				fh.write("%s,%.6f,%.6f,%s-%d,sim\n" % (
				    base, a.start + s, a.start + e, base, n))
	with open(a.output + ".mic", "w") as fh:
		# the microphone timeline, as `echoguard replay --mic FILE` reads it
		fh.write("# SIMULATED: echosim %s scenario=%s seed=%d\n" %
			 (VERSION, a.scenario, a.seed))
		fh.write("%.6f 1\n" % a.start)
		for s, e in m.muted:
			fh.write("%.6f 0\n" % (a.start + s))
			if e < m.duration:
				fh.write("%.6f 1\n" % (a.start + e))
	with open(a.output + ".labels.csv", "w") as fh:
		fh.write("pcap,start,end,kind,source\n")
		for kind, s, e in m.labels:
			fh.write("%s,%.6f,%.6f,%s,sim\n" % (base, a.start + s,
							    a.start + e, kind))
	print("%s: %d frames, %d connections, scenario=%s seed=%d" %
	      (a.output, len(frames), len(m.conns), a.scenario, a.seed),
	      file=sys.stderr)
	return 0


# ------------------------------------------------------------ live output
class JsonLog:
	def __init__(self, path):
		self.fh = open(path, "a", buffering=1) if path else None
		self.lock = threading.Lock()

	def write(self, **kw):
		if not self.fh:
			return
		kw.setdefault("t", round(time.time(), 6))
		with self.lock:
			self.fh.write(json.dumps(kw, sort_keys=True) + "\n")


def tls12_client_context():
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE  # the test server's cert is self-signed
	ctx.minimum_version = ssl.TLSVersion.TLSv1_2
	ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # records like the Echo's
	ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256")
	return ctx


def read_mic(path):
	"""1 listening, 0 muted (a sysfs GPIO value file); None when unset."""
	if not path:
		return None
	try:
		with open(path) as fh:
			return 0 if fh.read(1) == "0" else 1
	except OSError:
		return None


class Live:
	"""Replays the model's device messages over real TLS connections."""

	def __init__(self, a):
		self.a, self.log = a, JsonLog(a.log)
		host, port = a.server.rsplit(":", 1)
		self.addr = (host.strip("[]"), int(port))
		self.ctx = tls12_client_context()
		self.socks = {}
		self.stats = {"sent_bytes": 0, "sent_msgs": 0, "skipped_muted": 0,
			      "recv_bytes": 0, "errors": 0, "reconnects": 0,
			      "skipped_late": 0, "skipped_offline": 0}
		self.mic_last = None
		self.rc = Reconnector(self, a.backoff, a.backoff_max)

	def open(self, cid, sni):
		raw = socket.create_connection(self.addr,
					       timeout=self.a.ping_timeout)
		raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		s = self.ctx.wrap_socket(raw, server_hostname=self.a.sni or sni)
		self.socks[cid] = s
		self.log.write(ev="open", conn=cid, sni=self.a.sni or sni,
			       cipher=s.cipher()[0], version=s.version())

	def send(self, cid, kind, body, reply):
		"""One TLS record of body bytes (plaintext = body - GCM overhead)."""
		s = self.socks.get(cid)
		n = max(LIVE_HDR.size, body - GCM_OVERHEAD)
		buf = LIVE_HDR.pack(LIVE_MAGIC, 1, KINDS.index(kind), cid, n, reply)
		buf += os.urandom(n - LIVE_HDR.size)
		# Logged before the write: a blocked upload (its segments dropped
		# by the gateway) was still attempted, and sendall may time out.
		self.stats["sent_bytes"] += n
		self.stats["sent_msgs"] += 1
		self.log.write(ev="send", conn=cid, kind=kind, bytes=n, reply=reply)
		s.sendall(buf)
		got = 0
		while got < reply:
			d = s.recv(reply - got)
			if not d:  # reset or closed: the connection is gone
				raise ConnectionResetError("closed by the peer")
			got += len(d)
		if reply:
			self.rc.exchanged(cid)
			self.stats["recv_bytes"] += got
			self.log.write(ev="recv", conn=cid, kind=kind, bytes=got)

	def run(self, m):
		t0 = time.monotonic()
		msgs = m.msgs
		for i, msg in enumerate(msgs):
			self.rc.sleep_until(t0 + msg.t / self.a.speed)
			mic = read_mic(self.a.mic_file)
			if mic is not None and mic != self.mic_last:
				self.log.write(ev="mic", value=mic)
				self.mic_last = mic
			try:
				self.step(m, msgs, i, msg, mic)
			except (OSError, ssl.SSLError) as e:
				self.stats["errors"] += 1
				self.log.write(ev="error", conn=msg.conn, kind=msg.kind,
					       error=str(e))
				dead = self.socks.pop(msg.conn, None)
				if dead is not None:
					dead.close()  # abandoned, as a device does
				self.rc.lost(m, msg.conn)
		for cid, s in list(self.socks.items()):
			self.close(cid)
		self.log.write(ev="done", **self.stats)
		return self.stats

	# message kind -> the --muted-sends item that allows it while muted;
	# None: never sent while muted; True: always (not an upload decision)
	MUTED_KIND = {"keepalive": "keepalive", "event": "events",
		      "metrics": "metrics", "short": "connections",
		      "wake": None, "voice": None, "stream": True,
		      "inject_voice": True, "inject_bulk": True}

	def muted_allows(self, kind):
		k = self.MUTED_KIND.get(kind, True)
		return k is True or (k is not None and k in self.a.muted_sends)

	def step(self, m, msgs, i, msg, mic):
		cid = msg.conn
		if msg.op == "open":
			self.open(cid, m.conns[cid][1])
			return
		if cid not in self.socks:
			# reset or stalled, a reconnect not yet due
			if msg.out and msg.op == "data":
				self.stats["skipped_offline"] += 1
				self.log.write(ev="offline", conn=cid, kind=msg.kind,
					       bytes=sum(n for _, n in msg.records))
			return
		if msg.op == "close":
			self.close(cid)
			return
		if not msg.out:
			return  # inbound messages are the server's replies
		if mic == 1 and msg.kind.startswith("inject") and \
		   m.is_muted(msg.t):
			# an injected upload of the muted time that a stall held
			# back until after unmuting: it would be a listening-time
			# upload now, which is not what it stands for
			self.stats["skipped_late"] += 1
			return
		if mic == 0 and not self.muted_allows(msg.kind):
			# a muted microphone hears no wake word, and a muted
			# device sends only what --muted-sends allows
			self.stats["skipped_muted"] += 1
			return
		# the reply this message asks for: the next inbound message
		# on the connection when it comes before the next outbound one
		# (all inbound data of the connection, keep-alives aside, until
		# its next outbound message, within 3 s); a keep-alive asks for
		# the server's keep-alive
		reply = 0
		for nxt in msgs[i + 1:i + 400]:
			if nxt.conn != cid or nxt.kind == "keepalive":
				continue
			if nxt.out or nxt.op != "data" or nxt.t - msg.t > 3.0:
				break
			reply += sum(n - GCM_OVERHEAD for _, n in nxt.records)
		if msg.kind == "keepalive":
			reply = int(m.p["ka_record"]) - GCM_OVERHEAD
		for k, (ct, body) in enumerate(msg.records):
			last = k == len(msg.records) - 1
			self.send(cid, msg.kind, body, reply if last else 0)

	def close(self, cid):
		s = self.socks.pop(cid, None)
		if s is None:
			return
		try:
			s.unwrap()
		except (OSError, ssl.SSLError, ValueError):
			pass
		s.close()
		self.log.write(ev="close", conn=cid)


def cmd_live(a):
	m = Model(a.scenario, a.duration, a.seed, a.inject, a.muted_sends,
		  a.params).build()
	st = Live(a).run(m)
	print("echosim live: %d messages, %d bytes sent, %d received, %d "
	      "skipped (muted), %d errors" % (st["sent_msgs"], st["sent_bytes"],
	      st["recv_bytes"], st["skipped_muted"], st["errors"]),
	      file=sys.stderr)
	return 1 if st["errors"] else 0


# ------------------------------------------------------------ server
def recv_exact(s, n):
	buf = b""
	while len(buf) < n:
		d = s.recv(n - len(buf))
		if not d:
			return None
		buf += d
	return buf


def serve_conn(raw, peer, ctx, log, counter):
	with counter["lock"]:
		counter["n"] += 1
		sid = counter["n"]
	total, msgs, sni_name, conn = 0, 0, None, None
	try:
		raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		raw.settimeout(600)
		s = ctx.wrap_socket(raw, server_side=True)
		sni_name = getattr(s, "_eg_sni", None)
		log.write(ev="accept", sconn=sid, peer="%s:%d" % peer[:2],
			  version=s.version(), cipher=s.cipher()[0])
		while True:
			hdr = recv_exact(s, LIVE_HDR.size)
			if hdr is None:
				break
			magic, ver, kind, conn, n, reply = LIVE_HDR.unpack(hdr)
			if magic != LIVE_MAGIC or n < LIVE_HDR.size:
				# not our framing: count whatever arrives
				rest = s.recv(65536)
				total += len(hdr) + len(rest)
				log.write(ev="raw", sconn=sid, bytes=len(hdr) + len(rest))
				continue
			rest = recv_exact(s, n - LIVE_HDR.size)
			if rest is None:
				total += len(hdr)
				break
			total += n
			msgs += 1
			log.write(ev="msg", sconn=sid, conn=conn, kind=KINDS[kind]
				  if kind < len(KINDS) else str(kind), bytes=n)
			if reply:
				s.sendall(os.urandom(min(reply, 1 << 24)))
		try:
			s.unwrap()
		except (OSError, ssl.SSLError, ValueError):
			pass
	except (OSError, ssl.SSLError) as e:
		log.write(ev="error", sconn=sid, error=str(e))
	finally:
		log.write(ev="close", sconn=sid, conn=conn, bytes=total, msgs=msgs,
			  sni=sni_name)
		raw.close()


def cmd_server(a):
	log = JsonLog(a.log)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	ctx.minimum_version = ssl.TLSVersion.TLSv1_2
	ctx.load_cert_chain(a.cert, a.key)

	def on_sni(sslsock, name, _ctx):
		sslsock._eg_sni = name
	ctx.sni_callback = on_sni
	host, port = a.listen.rsplit(":", 1)
	host = host.strip("[]")
	fam = socket.AF_INET6 if ":" in host else socket.AF_INET
	ls = socket.socket(fam, socket.SOCK_STREAM)
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind((host, int(port)))
	ls.listen(64)
	log.write(ev="listen", addr="%s:%d" % ls.getsockname()[:2])
	print("echosim server: listening on %s:%d" % ls.getsockname()[:2],
	      file=sys.stderr, flush=True)
	if a.ready_file:
		with open(a.ready_file, "w") as fh:
			fh.write("%d\n" % ls.getsockname()[1])
	counter = {"n": 0, "lock": threading.Lock()}
	try:
		while True:
			raw, peer = ls.accept()
			threading.Thread(target=serve_conn, daemon=True,
					 args=(raw, peer, ctx, log, counter)).start()
	except KeyboardInterrupt:
		return 0


def cmd_mkcert(a):
	os.makedirs(a.dir, exist_ok=True)
	cert, key = os.path.join(a.dir, "cert.pem"), os.path.join(a.dir, "key.pem")
	subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
			"-nodes", "-keyout", key, "-out", cert, "-days", "3650",
			"-subj", "/CN=echosim.invalid"], check=True,
		       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	print(cert)
	print(key)
	return 0


# ------------------------------------------------------------ command line
def parse_params(items):
	out = {}
	for it in items or []:
		k, _, v = it.partition("=")
		if k not in PARAMS:
			sys.exit("echosim: --param %s: unknown (known: %s)" %
				 (it, ", ".join(sorted(PARAMS))))
		try:
			out[k] = float(v)
		except ValueError:
			sys.exit("echosim: --param %s: %r is not a number" % (k, v))
	return out


def model_args(p):
	p.add_argument("--scenario", required=True,
		       choices=["idle", "talk", "muted", "mixed", "stream",
				"unmute"])
	p.add_argument("--duration", type=float, required=True, help="seconds")
	p.add_argument("--seed", type=int, required=True)
	p.add_argument("--inject", default="none", choices=["none", "voice", "bulk"],
		       help="unjustified uploads while muted (or idle)")
	p.add_argument("--muted-sends", default=",".join(MUTED_SENDS_DEFAULT),
		       help="what the device sends while muted, from %s (default "
		       "%%(default)s)" % ",".join(MUTED_SENDS_ALL))
	p.add_argument("--param", action="append", metavar="KEY=VALUE",
		       help="override a model parameter (see PARAMS)")


def main(argv=None):
	ap = argparse.ArgumentParser(prog="echosim.py", description=__doc__.split(
	    "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
	ap.add_argument("--version", action="version", version=VERSION)
	sub = ap.add_subparsers(dest="cmd", required=True)
	p = sub.add_parser("pcap", help="write a simulated capture")
	model_args(p)
	p.add_argument("-o", "--output", required=True)
	p.add_argument("--start", type=float, default=1767225600.0,
		       help="epoch of the first frame (default 2026-01-01)")
	p = sub.add_parser("live", help="run the model over real TLS sockets")
	model_args(p)
	p.add_argument("--server", required=True, help="ADDR:PORT")
	p.add_argument("--sni", help="server name for every connection")
	p.add_argument("--mic-file", help="0/1 file: 0 muted, 1 listening")
	p.add_argument("--ping-timeout", type=float, default=10.0,
		       help="s without an answer (or to connect) after which "
		       "a connection counts as stalled (default 10)")
	p.add_argument("--reconnect", action="store_true",
		       help="reopen the main connection when it stalls or is "
		       "reset, as a real Echo does, with a capped exponential "
		       "back-off (default: give it up)")
	p.add_argument("--backoff", type=float, default=1.0,
		       help="s before the first reconnect; doubled after each "
		       "further loss, reset by a successful exchange (default 1)")
	p.add_argument("--backoff-max", type=float, default=32.0,
		       help="s, the back-off's cap (default 32)")
	p.add_argument("--log", help="JSON lines, one per send")
	p.add_argument("--speed", type=float, default=1.0,
		       help="time compression (2 = twice as fast)")
	p = sub.add_parser("server", help="a TLS server that logs what it gets")
	p.add_argument("--listen", required=True, help="ADDR:PORT (port 0: any)")
	p.add_argument("--cert", required=True)
	p.add_argument("--key", required=True)
	p.add_argument("--log", help="JSON lines")
	p.add_argument("--ready-file", help="write the bound port here")
	p = sub.add_parser("mkcert", help="make DIR/cert.pem and DIR/key.pem")
	p.add_argument("dir")
	a = ap.parse_args(argv)
	if hasattr(a, "muted_sends"):
		ms = tuple(x for x in a.muted_sends.split(",") if x)
		bad = [x for x in ms if x not in MUTED_SENDS_ALL]
		if bad:
			ap.error("--muted-sends: unknown %s" % ",".join(bad))
		a.muted_sends = ms
		a.params = parse_params(a.param)
		if a.duration <= 0:
			ap.error("--duration must be > 0")
	return {"pcap": cmd_pcap, "live": cmd_live, "server": cmd_server,
		"mkcert": cmd_mkcert}[a.cmd](a)


if __name__ == "__main__":
	sys.exit(main())
