# SPDX-License-Identifier: MIT
"""echomodel: the SIMULATED Echo's model for echosim.py: its parameters
(measured on the real captures by measure.py; docs/simulator.md), the
seeded state machine (Model, Msg) and the TLS records it sends. No I/O:
echosim.py writes it to pcapng or plays it over live sockets.
Standard library only.
"""
import base64
import random
import struct

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
