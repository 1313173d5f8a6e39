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
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

from echomodel import *  # noqa: F401,F403 (the model, its parameters, TLS records)
from live_reconnect import Reconnector

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
