#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""measure.py: measure the real Echo captures the simulator is calibrated on.

Runs tshark once per capture in DATA/vcf/pcap (cached as TSV), then measures
the device's (192.168.86.40) keep-alive records, new TLS connections, voice
upload streams, idle metrics uploads, response downloads and their ACKs,
handshake sizes and server names, relative to DATA/vcf/interactions.csv.

Usage: /usr/bin/python3 src/sim/measure.py [--data ../shared/data]
           [--cache DIR] [--json OUT.json] [--markdown OUT.md] [CAPTURE...]
With CAPTURE arguments (simulated captures) it measures those instead, with
CAPTURE.interactions.csv as their windows, so both are measured alike.
Standard library only. The figures are written into docs/simulator.md.
"""
import argparse
import bisect
import collections
import concurrent.futures
import csv
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys

DEVICE = "192.168.86.40"
FIELDS = [
    "frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ip.len",
    "ip.ttl", "ip.proto", "tcp.stream", "tcp.srcport", "tcp.dstport",
    "tcp.len", "tcp.flags", "tcp.window_size_value", "tcp.options.mss_val",
    "tcp.options.wscale.shift", "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval", "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission", "tls.record.content_type",
    "tls.record.length", "tls.handshake.type",
    "tls.handshake.extensions_server_name", "udp.srcport", "udp.dstport",
    "dns.qry.name",
]


def dump(path, cache):
	"""tshark fields of every IPv4 frame of path, cached in cache dir."""
	st = os.stat(path)
	key = hashlib.sha1(("%s|%d|%d|%s" % (os.path.basename(path), st.st_size,
	    int(st.st_mtime), ",".join(FIELDS))).encode()).hexdigest()[:16]
	out = os.path.join(cache, key + ".tsv")
	if not os.path.exists(out):
		cmd = ["tshark", "-n", "-r", path, "-Y", "ip", "-T", "fields",
		       "-E", "separator=\t", "-E", "occurrence=a",
		       "-E", "aggregator=,"]
		for f in FIELDS:
			cmd += ["-e", f]
		res = subprocess.run(cmd, stdout=subprocess.PIPE,
				     stderr=subprocess.DEVNULL, check=False)
		tmp = out + ".tmp"
		with open(tmp, "wb") as fh:
			fh.write(res.stdout)
		os.replace(tmp, out)
	return out


def ints(s):
	return [int(x) for x in s.split(",") if x != ""] if s else []


class Pkt:
	__slots__ = ("no", "t", "src", "dst", "iplen", "ttl", "proto", "stream",
		     "sport", "dport", "tlen", "flags", "win", "mss", "wscale",
		     "sack", "ts", "retrans", "ctypes", "rlens", "hstypes", "sni",
		     "out", "server", "dns", "cont_app")


def load(tsv):
	pkts = []
	with open(tsv, encoding="utf-8", errors="replace") as fh:
		for line in fh:
			c = line.rstrip("\n").split("\t")
			if len(c) < len(FIELDS):
				c += [""] * (len(FIELDS) - len(c))
			p = Pkt()
			p.no = int(c[0])
			p.t = float(c[1])
			p.src, p.dst = c[2].split(",")[0], c[3].split(",")[0]
			p.iplen = ints(c[4])[0] if c[4] else 0
			p.ttl = ints(c[5])[0] if c[5] else 0
			p.proto = ints(c[6])[0] if c[6] else 0
			p.stream = int(c[7]) if c[7] else -1
			p.sport = int(c[8]) if c[8] else (int(c[23]) if c[23] else 0)
			p.dport = int(c[9]) if c[9] else (int(c[24]) if c[24] else 0)
			p.tlen = int(c[10]) if c[10] else 0
			p.flags = int(c[11], 16) if c[11] else 0
			p.win = int(c[12]) if c[12] else 0
			p.mss = int(c[13]) if c[13] else 0
			p.wscale = int(c[14]) if c[14] else -1
			p.sack = bool(c[15])
			p.ts = bool(c[16])
			p.retrans = bool(c[17] or c[18])
			p.ctypes = ints(c[19])
			p.rlens = ints(c[20])
			p.hstypes = ints(c[21])
			p.sni = c[22].split(",")[0]
			p.dns = c[25].split(",")[0]
			p.out = p.src == DEVICE
			p.server = p.dst if p.out else p.src
			p.cont_app = False
			if p.src == DEVICE or p.dst == DEVICE:
				pkts.append(p)
	mark_continuations(pkts)
	return pkts


def load_windows(path):
	win = collections.defaultdict(list)
	with open(path, newline="") as fh:
		for row in csv.DictReader(fh):
			win[row["pcap"]].append((float(row["start"]), float(row["end"]),
						 row["source"]))
	for v in win.values():
		v.sort()
	return win


def in_window(t, wins, margin=0.0):
	for s, e, _ in wins:
		if s - margin <= t <= e + margin:
			return True
	return False


def q(vals, p):
	"""Quantile p (0..1) by linear interpolation; NaN when empty."""
	if not vals:
		return float("nan")
	v = sorted(vals)
	k = (len(v) - 1) * p
	f = math.floor(k)
	c = min(f + 1, len(v) - 1)
	return v[f] + (v[c] - v[f]) * (k - f)


def summary(vals):
	if not vals:
		return {"n": 0}
	return {"n": len(vals), "min": min(vals), "p10": q(vals, .1),
		"median": q(vals, .5), "mean": statistics.fmean(vals),
		"p90": q(vals, .9), "max": max(vals)}


def is_appdata(p):
	"""New TCP payload carrying TLS application data: a segment where an
	app-data record starts, or a continuation segment (no record header)
	of an app-data record (mark_continuations sets p.cont_app)."""
	return p.tlen > 0 and not p.retrans and (
	    23 in p.ctypes or (not p.ctypes and getattr(p, "cont_app", False)))


def mark_continuations(pkts):
	"""Segments without a record header continue the previous record of
	their direction; flag those that continue application data."""
	last = {}
	for p in pkts:
		if p.stream < 0 or p.tlen == 0 or p.retrans:
			continue
		k = (p.stream, p.out)
		if p.ctypes:
			last[k] = p.ctypes[-1]
		else:
			p.cont_app = last.get(k) == 23


def streams_of(pkts):
	by = collections.defaultdict(list)
	for p in pkts:
		if p.stream >= 0:
			by[p.stream].append(p)
	return by


def measure_file(pkts, wins, acc):
	"""Accumulate one capture's figures into acc (dict of lists/counters)."""
	if not pkts:
		return
	t_first, t_last = pkts[0].t, pkts[-1].t
	acc["captures"] += 1
	acc["capture_seconds"] += t_last - t_first
	by = streams_of(pkts)
	sni = {s: next((p.sni for p in ps if p.out and p.sni), "")
	       for s, ps in by.items()}
	# Server IP -> name from DNS answers is not needed: SNI of a stream, or
	# the server IP for connections opened before the capture started.
	acc["packets_device"] += len(pkts)
	acc["retrans"] += sum(1 for p in pkts if p.retrans)
	acc["tcp_packets"] += sum(1 for p in pkts if p.stream >= 0)

	# A. keep-alives: an inbound 46-byte app-data segment answered by an
	# outbound 46-byte one on the same connection within 1 s.
	ka_times = collections.defaultdict(list)
	for s, ps in by.items():
		for i, p in enumerate(ps):
			if p.out or not is_appdata(p) or p.tlen != 46:
				continue
			for r in ps[i + 1:]:
				if r.t - p.t > 1.0:
					break
				if r.out and is_appdata(r):
					if r.tlen == 46:
						ka_times[s].append(r.t)
						acc["ka_reply_delay"].append(r.t - p.t)
						acc["ka_in_size"][p.tlen] += 1
						acc["ka_out_size"][r.tlen] += 1
						acc["ka_server"][sni[s] or p.server] += 1
						acc["ka_in_window"] += in_window(p.t, wins)
					break
	for s, ts in ka_times.items():
		for a, b in zip(ts, ts[1:]):
			acc["ka_period"].append(b - a)
	ka_set = {(s, round(t, 6)) for s, ts in ka_times.items() for t in ts}

	# B. new TLS connections (outbound ClientHello), SYN options, handshakes.
	hello_t = []
	for s, ps in by.items():
		ch = [p for p in ps if p.out and 1 in p.hstypes]
		if not ch:
			continue
		hello_t.append(ch[0].t)
		acc["sni"][sni[s] or "(none)"] += 1
		acc["ch_len"].append(ch[0].rlens[ch[0].hstypes.index(1)]
				     if len(ch[0].rlens) > ch[0].hstypes.index(1) else 0)
		syn = next((p for p in ps if p.out and p.flags & 0x12 == 0x02), None)
		if syn:
			acc["syn_opts"][(syn.mss, syn.wscale, syn.sack, syn.ts,
					 syn.win)] += 1
			acc["ttl_out"][syn.ttl] += 1
		synack = next((p for p in ps if not p.out and p.flags & 0x12 == 0x12), None)
		if synack:
			acc["synack_opts"][(synack.mss, synack.wscale, synack.sack,
					    synack.ts, synack.win)] += 1
			acc["ttl_in"][synack.ttl] += 1
			if syn:
				acc["rtt_syn"].append(synack.t - syn.t)
		# server flight: inbound TCP payload until the client's CCS
		ccs_i = next((i for i, p in enumerate(ps) if p.out and 20 in p.ctypes), None)
		if ccs_i is not None:
			srv = sum(p.tlen for p in ps[:ccs_i] if not p.out)
			acc["server_flight"].append(srv)
			acc["client_fin_flight"].append(ps[ccs_i].tlen)
		out_b = sum(p.tlen for p in ps if p.out and is_appdata(p))
		in_b = sum(p.tlen for p in ps if not p.out and is_appdata(p))
		acc["conn_out_bytes"].append(out_b)
		acc["conn_in_bytes"].append(in_b)
		fin = next((p for p in ps if p.flags & 0x05), None)
		if fin:
			acc["conn_life"].append(fin.t - ch[0].t)
		acc["conn_by_sni_out"][sni[s] or "(none)"].append(out_b)
		acc["conn_by_sni_in"][sni[s] or "(none)"].append(in_b)
	hello_t.sort()
	acc["new_conn"] += len(hello_t)
	for a, b in zip(hello_t, hello_t[1:]):
		acc["conn_interarrival"].append(b - a)
	acc["new_conn_in_window"] += sum(1 for t in hello_t if in_window(t, wins, 5.0))

	# C. voice streams: runs of >= 10 outbound 118-byte app-data segments
	# on one connection at most 0.3 s apart.
	voice_conn = set()
	for s, ps in by.items():
		v = [p for p in ps if p.out and is_appdata(p) and p.tlen == 118]
		acc["voice118_total"] += len(v)
		acc["voice118_in_window"] += sum(1 for p in v if in_window(p.t, wins))
		runs, cur = [], []
		for p in v:
			if cur and p.t - cur[-1].t > 0.3:
				runs.append(cur)
				cur = []
			cur.append(p)
		if cur:
			runs.append(cur)
		for r in runs:
			if len(r) < 10:
				continue
			voice_conn.add(s)
			acc["voice_runs"] += 1
			acc["voice_records"].append(len(r))
			acc["voice_duration"].append(r[-1].t - r[0].t)
			for a, b in zip(r, r[1:]):
				acc["voice_gap"].append(b.t - a.t)
			w = next(((ws, we) for ws, we, _ in wins
				  if ws - 1 <= r[0].t <= we), None)
			if w:
				acc["voice_start_after_window"].append(r[0].t - w[0])
				acc["voice_end_before_window_end"].append(w[1] - r[-1].t)
			# the wake-word burst: outbound app-data bytes on the
			# connection in the 1 s before the first 118-byte record
			pre = [p for p in ps if p.out and is_appdata(p)
			       and r[0].t - 1.0 <= p.t < r[0].t]
			acc["voice_pre_bytes"].append(sum(p.tlen for p in pre))
			# other outbound app data interleaved with the stream
			mid = [p for p in ps if p.out and is_appdata(p)
			       and r[0].t <= p.t <= r[-1].t and p.tlen != 118]
			acc["voice_other_segs"].append(len(mid))
			# E. the response: inbound app data on this connection from
			# the last voice record to 6 s later
			resp = [p for p in ps if not p.out and is_appdata(p)
				and r[-1].t < p.t <= r[-1].t + 6.0]
			acks = [p for p in ps if p.out and p.tlen == 0
				and p.flags & 0x17 == 0x10
				and r[-1].t < p.t <= r[-1].t + 6.0]
			if resp:
				acc["resp_bytes"].append(sum(p.tlen for p in resp))
				acc["resp_segs"].append(len(resp))
				acc["resp_delay"].append(resp[0].t - r[-1].t)
				acc["resp_duration"].append(resp[-1].t - resp[0].t)
				acc["resp_acks"].append(len(acks))
				for p in resp:
					acc["resp_seg_size"][min(p.tlen // 100 * 100, 1400)] += 1
	# inbound data segments vs outbound pure ACKs overall
	acc["in_data_segs"] += sum(1 for p in pkts if not p.out and p.tlen > 0)
	acc["out_pure_acks"] += sum(1 for p in pkts if p.out and p.tlen == 0
				    and p.flags & 0x17 == 0x10)

	# D. idle uploads: outbound app data outside every window (no margin
	# and a 10 s margin), not keep-alives, grouped in bursts per connection
	# (records less than 1 s apart).
	for margin, key in ((0.0, "idle"), (10.0, "idle10")):
		idle_s = _idle_seconds(t_first, t_last, wins, margin)
		acc[key + "_seconds"] += idle_s
		for s, ps in by.items():
			b, last = [], None
			for p in ps:
				if (not p.out or not is_appdata(p)
				    or in_window(p.t, wins, margin)
				    or (s, round(p.t, 6)) in ka_set):
					continue
				if last is not None and p.t - last > 1.0:
					_idle_burst(acc, key, b, sni[s] or p.server)
					b = []
				b.append(p)
				last = p.t
			if b:
				_idle_burst(acc, key, b, sni[s] or b[0].server)
	# DNS lookups of the device
	acc["dns"] += sum(1 for p in pkts if p.out and p.dport == 53)


def _idle_seconds(t0, t1, wins, margin):
	busy = 0.0
	for s, e, _ in wins:
		a, b = max(t0, s - margin), min(t1, e + margin)
		if b > a:
			busy += b - a
	return max(0.0, (t1 - t0) - busy)


def _idle_burst(acc, key, b, server):
	acc[key + "_bursts"] += 1
	acc[key + "_burst_bytes"].append(sum(p.tlen for p in b))
	acc[key + "_burst_segs"].append(len(b))
	acc[key + "_burst_server"][server] += 1
	acc[key + "_burst_server_bytes"][server] += sum(p.tlen for p in b)


def new_acc():
	acc = collections.defaultdict(list)
	for k in ("captures", "capture_seconds", "packets_device", "retrans",
		  "tcp_packets", "ka_in_window", "new_conn", "new_conn_in_window",
		  "voice118_total", "voice118_in_window", "voice_runs",
		  "in_data_segs", "out_pure_acks", "idle_seconds",
		  "idle10_seconds", "idle_bursts", "idle10_bursts", "dns"):
		acc[k] = 0
	for k in ("ka_in_size", "ka_out_size", "ka_server", "sni", "syn_opts",
		  "synack_opts", "ttl_out", "ttl_in", "resp_seg_size",
		  "idle_burst_server", "idle10_burst_server",
		  "idle_burst_server_bytes", "idle10_burst_server_bytes"):
		acc[k] = collections.Counter()
	acc["conn_by_sni_out"] = collections.defaultdict(list)
	acc["conn_by_sni_in"] = collections.defaultdict(list)
	return acc


def figures(acc):
	"""The measured figures as a JSON-able dict."""
	f = {"device": DEVICE, "captures": acc["captures"],
	     "capture_seconds": round(acc["capture_seconds"], 1),
	     "device_packets": acc["packets_device"],
	     "retransmission_share": acc["retrans"] / max(1, acc["tcp_packets"]),
	     "dns_queries": acc["dns"]}
	f["keepalive"] = {
		"count": len(acc["ka_reply_delay"]),
		"in_window": acc["ka_in_window"],
		"inbound_size": dict(acc["ka_in_size"]),
		"outbound_size": dict(acc["ka_out_size"]),
		"period_s": summary(acc["ka_period"]),
		"reply_delay_s": summary(acc["ka_reply_delay"]),
		"servers": dict(acc["ka_server"].most_common(10)),
	}
	f["connections"] = {
		"new_tls": acc["new_conn"],
		"new_tls_within_5s_of_window": acc["new_conn_in_window"],
		"per_hour": acc["new_conn"] / max(1e-9, acc["capture_seconds"]) * 3600,
		"interarrival_s": summary(acc["conn_interarrival"]),
		"sni": dict(acc["sni"].most_common()),
		"client_hello_record": summary(acc["ch_len"]),
		"server_flight_bytes": summary(acc["server_flight"]),
		"client_ccs_flight_bytes": summary(acc["client_fin_flight"]),
		"syn_options": {"mss=%d wscale=%d sack=%d ts=%d win=%d" % k: v
				for k, v in acc["syn_opts"].most_common(5)},
		"synack_options": {"mss=%d wscale=%d sack=%d ts=%d win=%d" % k: v
				   for k, v in acc["synack_opts"].most_common(5)},
		"ttl_out": dict(acc["ttl_out"].most_common(3)),
		"ttl_in": dict(acc["ttl_in"].most_common(5)),
		"syn_rtt_s": summary(acc["rtt_syn"]),
		"lifetime_s": summary(acc["conn_life"]),
		"app_out_bytes": summary(acc["conn_out_bytes"]),
		"app_in_bytes": summary(acc["conn_in_bytes"]),
		"by_sni": {k: {"n": len(v), "out_median": q(v, .5),
			       "in_median": q(acc["conn_by_sni_in"][k], .5)}
			   for k, v in acc["conn_by_sni_out"].items()},
	}
	f["voice"] = {
		"records_118_total": acc["voice118_total"],
		"records_118_in_window": acc["voice118_in_window"],
		"streams": acc["voice_runs"],
		"records_per_stream": summary(acc["voice_records"]),
		"gap_s": summary(acc["voice_gap"]),
		"gap_hist_ms": _hist([g * 1000 for g in acc["voice_gap"]],
				     [0, 5, 10, 14, 17, 20, 25, 30, 40, 60, 100, 300]),
		"duration_s": summary(acc["voice_duration"]),
		"start_after_window_start_s": summary(acc["voice_start_after_window"]),
		"end_before_window_end_s": summary(acc["voice_end_before_window_end"]),
		"wakeword_burst_bytes_1s_before": summary(acc["voice_pre_bytes"]),
		"other_outbound_segments_during": summary(acc["voice_other_segs"]),
	}
	f["response"] = {
		"bytes": summary(acc["resp_bytes"]),
		"segments": summary(acc["resp_segs"]),
		"delay_after_last_voice_s": summary(acc["resp_delay"]),
		"duration_s": summary(acc["resp_duration"]),
		"device_pure_acks": summary(acc["resp_acks"]),
		"segment_size_hist": {str(k): v for k, v in
				      sorted(acc["resp_seg_size"].items())},
		"overall_inbound_data_segments": acc["in_data_segs"],
		"overall_outbound_pure_acks": acc["out_pure_acks"],
	}
	for key in ("idle", "idle10"):
		sec = acc[key + "_seconds"]
		f[key] = {
			"idle_seconds": round(sec, 1),
			"bursts": acc[key + "_bursts"],
			"bursts_per_hour": acc[key + "_bursts"] / max(1e-9, sec) * 3600,
			"burst_bytes": summary(acc[key + "_burst_bytes"]),
			"burst_segments": summary(acc[key + "_burst_segs"]),
			"servers": dict(acc[key + "_burst_server"].most_common(8)),
			"server_bytes": dict(acc[key + "_burst_server_bytes"].most_common(8)),
		}
	return f


def _hist(vals, edges):
	h = collections.OrderedDict()
	for a, b in zip(edges, edges[1:] + [float("inf")]):
		h["%g-%g" % (a, b)] = sum(1 for v in vals if a <= v < b)
	return h


def _fmt(v):
	if isinstance(v, float):
		if math.isnan(v):
			return "-"
		return "%.4g" % v
	return str(v)


def md_summary_table(rows):
	"""rows: [(label, summary dict, unit)] -> markdown table."""
	out = ["| quantity | n | min | p10 | median | mean | p90 | max |",
	       "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
	for label, s, unit in rows:
		if not s.get("n"):
			out.append("| %s | 0 | | | | | | |" % label)
			continue
		out.append("| %s (%s) | %d | %s |" % (label, unit, s["n"], " | ".join(
		    _fmt(s[k]) for k in ("min", "p10", "median", "mean", "p90", "max"))))
	return "\n".join(out)


def md_counter(d, head, limit=15):
	out = ["| %s | count |" % head, "| --- | ---: |"]
	for k, v in list(d.items())[:limit]:
		out.append("| %s | %s |" % (k, _fmt(v)))
	return "\n".join(out)


def markdown(f):
	k, c, v, r = f["keepalive"], f["connections"], f["voice"], f["response"]
	s = []
	s.append("Measured on %d captures (%.0f s, %d packets of the device "
		 "%s); retransmissions %.2f%% of its TCP packets; %d DNS queries."
		 % (f["captures"], f["capture_seconds"], f["device_packets"],
		    f["device"], 100 * f["retransmission_share"], f["dns_queries"]))
	s.append("\n### Keep-alives\n")
	s.append("%d keep-alive exchanges (inbound app-data segment of 46 B, "
		 "answered by an outbound 46 B one on the same connection within "
		 "1 s); %d of them inside an interaction window. Inbound sizes %s, "
		 "outbound %s." % (k["count"], k["in_window"], k["inbound_size"],
				   k["outbound_size"]))
	s.append("")
	s.append(md_summary_table([("period, same connection", k["period_s"], "s"),
				   ("reply delay", k["reply_delay_s"], "s")]))
	s.append("")
	s.append(md_counter(k["servers"], "keep-alive server (SNI or address)"))
	s.append("\n### New TLS connections\n")
	s.append("%d ClientHellos from the device (%.1f per hour of capture); "
		 "%d of them within 5 s of an interaction window."
		 % (c["new_tls"], c["per_hour"], c["new_tls_within_5s_of_window"]))
	s.append("")
	s.append(md_summary_table([
		("inter-arrival, same capture", c["interarrival_s"], "s"),
		("ClientHello record length", c["client_hello_record"], "B"),
		("server flight (TCP payload to the client CCS)", c["server_flight_bytes"], "B"),
		("client CKE+CCS+Finished segment", c["client_ccs_flight_bytes"], "B"),
		("SYN to SYN/ACK", c["syn_rtt_s"], "s"),
		("ClientHello to first FIN/RST", c["lifetime_s"], "s"),
		("app-data bytes sent per connection", c["app_out_bytes"], "B"),
		("app-data bytes received per connection", c["app_in_bytes"], "B")]))
	s.append("")
	s.append("| SNI | connections | median bytes sent | median bytes received |")
	s.append("| --- | ---: | ---: | ---: |")
	for name, n in c["sni"].items():
		b = c["by_sni"].get(name, {})
		s.append("| %s | %d | %s | %s |" % (name, n, _fmt(b.get("out_median")),
						     _fmt(b.get("in_median"))))
	s.append("")
	s.append(md_counter(c["syn_options"], "device SYN options"))
	s.append("")
	s.append(md_counter(c["synack_options"], "server SYN/ACK options"))
	s.append("")
	s.append("Device TTL %s; server TTL %s." % (c["ttl_out"], c["ttl_in"]))
	s.append("\n### Voice upload streams\n")
	s.append("%d outbound 118-byte app-data segments, %d inside a window. "
		 "%d streams (runs of >= 10 on one connection, <= 0.3 s apart)."
		 % (v["records_118_total"], v["records_118_in_window"], v["streams"]))
	s.append("")
	s.append(md_summary_table([
		("records per stream", v["records_per_stream"], "n"),
		("gap between records", v["gap_s"], "s"),
		("stream duration", v["duration_s"], "s"),
		("stream start - window start", v["start_after_window_start_s"], "s"),
		("window end - stream end", v["end_before_window_end_s"], "s"),
		("outbound bytes in the 1 s before the stream", v["wakeword_burst_bytes_1s_before"], "B"),
		("other outbound segments during the stream", v["other_outbound_segments_during"], "n")]))
	s.append("")
	s.append(md_counter(v["gap_hist_ms"], "gap (ms)"))
	s.append("\n### Responses\n")
	s.append("Inbound app data on the voice connection in the 6 s after the "
		 "last voice record, and the device's pure ACKs in that time. "
		 "Overall the device sent %d pure ACKs for %d inbound data segments."
		 % (r["overall_outbound_pure_acks"], r["overall_inbound_data_segments"]))
	s.append("")
	s.append(md_summary_table([
		("response bytes", r["bytes"], "B"),
		("response segments", r["segments"], "n"),
		("first response byte after the last voice record", r["delay_after_last_voice_s"], "s"),
		("response duration", r["duration_s"], "s"),
		("device pure ACKs", r["device_pure_acks"], "n")]))
	s.append("")
	s.append(md_counter(r["segment_size_hist"], "response segment size (B, bin of 100)"))
	for key, label in (("idle", "no margin"), ("idle10", "windows widened by 10 s")):
		d = f[key]
		s.append("\n### Idle uploads (outside every window, %s)\n" % label)
		s.append("%.0f s idle; %d bursts of outbound app data (records < 1 s "
			 "apart on one connection, keep-alives excluded): %.1f per hour."
			 % (d["idle_seconds"], d["bursts"], d["bursts_per_hour"]))
		s.append("")
		s.append(md_summary_table([("burst bytes", d["burst_bytes"], "B"),
					   ("burst segments", d["burst_segments"], "n")]))
		s.append("")
		s.append("| server (SNI or address) | bursts | bytes |")
		s.append("| --- | ---: | ---: |")
		for name, n in d["servers"].items():
			s.append("| %s | %d | %d |" % (name, n, d["server_bytes"].get(name, 0)))
	return "\n".join(s) + "\n"


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	here = os.path.dirname(os.path.abspath(__file__))
	ap.add_argument("--data", default=os.environ.get(
	    "ECHOGUARD_SHARED_DATA", os.path.join(here, "../../../shared/data")))
	ap.add_argument("--cache", default=os.path.join(
	    os.environ.get("TMPDIR", "/tmp"), "echoguard-measure-cache"))
	ap.add_argument("--json", help="write the figures as JSON here")
	ap.add_argument("--markdown", help="write the markdown tables here")
	ap.add_argument("-j", type=int, default=2, help="tshark processes")
	ap.add_argument("captures", nargs="*", help="measure these (simulated) "
			"captures instead, with FILE.interactions.csv as windows")
	a = ap.parse_args()
	os.makedirs(a.cache, exist_ok=True)
	if a.captures:
		files = a.captures
		wins = collections.defaultdict(list)
		for f in files:
			side = f + ".interactions.csv"
			if os.path.exists(side):
				wins.update(load_windows(side))
	else:
		vcf = os.path.join(a.data, "vcf")
		pdir = os.path.join(vcf, "pcap")
		if not os.path.isdir(pdir):
			sys.exit("measure.py: %s: no such directory" % pdir)
		files = sorted(os.path.join(pdir, n) for n in os.listdir(pdir))
		wins = load_windows(os.path.join(vcf, "interactions.csv"))
	with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
		tsvs = list(ex.map(lambda p: dump(p, a.cache), files))
	acc = new_acc()
	for path, tsv in zip(files, tsvs):
		measure_file(load(tsv), wins.get(os.path.basename(path), []), acc)
	f = figures(acc)
	if a.json:
		with open(a.json, "w") as fh:
			json.dump(f, fh, indent=1, sort_keys=True)
	md = markdown(f)
	if a.markdown:
		with open(a.markdown, "w") as fh:
			fh.write(md)
	else:
		sys.stdout.write(md)


if __name__ == "__main__":
	main()
