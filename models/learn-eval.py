#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""learn-eval.py: does `echoguard learn` make a model fitted to a home
better for that home? Measured at the upload level, before and after
learning from the first part of a recording, scored on the rest with the
TRUE labels (which learn never sees: it labels by itself).

Usage: /usr/bin/python3 models/learn-eval.py --work DIR [--build BUILD]
           [--variants N] [--candidates 101-112] [--json OUT] [--markdown OUT]

Two homes, never mixed (one is real, the other SIMULATED):

  vcf as a new home   the real captures of ../shared/data/vcf, in time
                      order, as a recording (microphone listening all
                      along). The running model never saw them: the
                      shipped recipe (models/build.sh) trained on its
                      simulated data alone, and learn's bundled data is
                      the same sample of that data (base-sample.py).
                      Truth: vcf/interactions.csv (margin 2 s).
  worst variants      the held-out SIMULATED device variants (variants.py
                      --candidates, never trained on) that the shipped
                      model handles worst (most voice uploads touched on
                      a talk capture, then fewest unrequested uploads
                      blocked), each recorded for an evening: 12 segments
                      of 15 minutes of the mixed scenario (idle, talk,
                      muted thirds, voice-like uploads injected while
                      muted and while idle). Running model: the shipped
                      default.egf, bundled data models/base.csv. Truth:
                      the simulator's interactions and microphone.

For each: `echoguard learn fit` (its own labels and its own verdict), then
`echoguard replay` of the running and the learned model over the
held-back segments with the true labels: uploads touched by label and
microphone state, voice uploads touched, bytes let through while muted
(recorded and, for vcf, SIMULATED by replaying the held-back part as
muted), per-packet false blocks; and how exact learn's labels were on the
part it learnt from (app-data packets, learn's label against the truth).
"""
import argparse
import csv
import glob
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
PY = "/usr/bin/python3"


def first_ts(path):
	"""The first packet's time of a pcap or pcapng file (epoch seconds)."""
	with open(path, "rb") as f:
		d = f.read(1 << 20)
	if d[:4] != b"\x0a\x0d\x0d\x0a":
		bo = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
		nano = d[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
		s, u = struct.unpack(bo + "II", d[24:32])
		return s + u * (1e-9 if nano else 1e-6)
	bo = "<" if d[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
	i, res = 0, 1e-6
	while i + 12 <= len(d):
		bt, bl = struct.unpack(bo + "II", d[i:i + 8])
		if bl < 12:
			break
		if bt == 1:                      # interface: if_tsresol
			j = i + 16
			while j + 4 <= i + bl - 4:
				oc, ol = struct.unpack(bo + "HH", d[j:j + 4])
				if oc == 0:
					break
				if oc == 9:
					v = d[j + 4]
					res = 2.0 ** -(v & 0x7f) if v & 0x80 else 10.0 ** -v
				j += 4 + (ol + 3) // 4 * 4
		elif bt == 6:                    # enhanced packet
			hi, lo = struct.unpack(bo + "II", d[i + 12:i + 20])
			return ((hi << 32) | lo) * res
		i += bl
	sys.exit("learn-eval.py: %s: no packet in its first MB" % path)


def run(cmd, out=None, check=True):
	with open(out, "w") if out else open(os.devnull, "w") as f:
		p = subprocess.run(cmd, stdout=f if out else subprocess.DEVNULL,
				   stderr=subprocess.PIPE, text=True)
	if check and p.returncode not in (0,):
		sys.exit("learn-eval.py: %s: exit %d\n%s" % (" ".join(cmd[:3]),
							     p.returncode, p.stderr[-2000:]))
	return p.returncode


def summary(path):
	for line in open(path):
		if '"type":"summary"' in line:
			return json.loads(line)
	sys.exit("learn-eval.py: %s: no summary" % path)


def cell(s, label, mic):
	return s.get("uploads", {}).get(label, {}).get(mic, {})


def figures(rec, muted=None):
	"""Upload-level figures of a replay with true labels."""
	e, j = cell(rec, "expected", "listening"), cell(rec, "justified", "listening")
	m = cell(rec, "not_justified", "muted")
	f = {
	    "expected_uploads": e.get("uploads", 0),
	    "expected_touched": e.get("uploads", 0) - e.get("untouched", 0),
	    "voice_uploads": e.get("voice", 0),
	    "voice_touched": e.get("voice_touched", 0),
	    "justified_uploads": j.get("uploads", 0),
	    "justified_blocked": j.get("uploads", 0) - j.get("untouched", 0),
	    "muted_uploads": m.get("uploads", 0),
	    "muted_blocked": m.get("uploads", 0) - m.get("untouched", 0),
	    "muted_bytes": m.get("bytes", 0),
	    "muted_bytes_through": m.get("bytes", 0) - m.get("bytes_dropped", 0),
	    "expected_packets_dropped": rec.get("false_block", {}).get("dropped", 0),
	    "expected_packets": rec.get("false_block", {}).get("total", 0),
	}
	if muted is not None:
		mm = cell(muted, "not_justified", "muted")
		f["sim_muted_uploads"] = mm.get("uploads", 0)
		f["sim_muted_bytes"] = mm.get("bytes", 0)
		f["sim_muted_bytes_through"] = mm.get("bytes", 0) - mm.get("bytes_dropped", 0)
	return f


class Home:
	def __init__(self, a, name, device):
		self.a, self.name, self.device = a, name, device
		self.dir = os.path.join(a.work, name)
		self.rec = os.path.join(self.dir, "rec")
		shutil.rmtree(self.dir, ignore_errors=True)
		os.makedirs(self.rec)
		self.truth = os.path.join(self.dir, "truth.interactions.csv")
		self.truth_mic = os.path.join(self.rec, "mic.csv")
		self.eg = os.path.join(a.build, "src", "echoguard")

	def segments(self):
		return sorted(glob.glob(os.path.join(self.rec, "seg-*.pcap")))

	def fit(self, model, base):
		out = os.path.join(self.dir, "fit.txt")
		rc = run([self.eg, "learn", "fit", "--dir", self.rec, "--model", model,
			  "--base", base, "--device", self.device, "--threads",
			  str(self.a.threads)], out, check=False)
		if rc not in (0, 3):
			sys.exit("learn-eval.py: learn fit on %s: exit %d" % (self.name, rc))
		cmp = json.load(open(os.path.join(self.rec, "fit", "compare.json")))
		return cmp, open(out).read()

	def replay(self, model, held, tag, muted=False):
		out = os.path.join(self.dir, "replay-%s%s.json" % (tag, "-muted" if muted else ""))
		cmd = [self.eg, "replay", "--model", model, "--device", self.device,
		       "--json", "--summary", "--mode", "enforce"]
		if muted:
			cmd += ["--context", "muted"]
		else:
			cmd += ["--interactions", self.truth, "--margin", "2",
				"--mic", self.truth_mic]
		run(cmd + held, out)
		return summary(out)

	def label_exactness(self, n_train):
		"""learn's labels against the truth on the part it learnt from."""
		segs = self.segments()[:n_train]
		auto = os.path.join(self.dir, "auto.csv")
		truth = os.path.join(self.dir, "truth.csv")
		base = [self.eg, "extract", "--features", "shape", "--device", self.device]
		run(base + ["--context", "voice", "--mic", self.truth_mic, "-o", auto] + segs)
		run(base + ["--interactions", self.truth, "--mic", self.truth_mic,
			    "-o", truth] + segs)
		n = {}
		with open(auto) as fa, open(truth) as ft:
			ra, rt = csv.reader(fa), csv.reader(ft)
			ia = next(ra).index("class")
			it = next(rt).index("class")
			for x, y in zip(ra, rt):
				if y[it] in ("expected", "justified", "not_justified"):
					k = "%s->%s" % (y[it], x[ia])
					n[k] = n.get(k, 0) + 1
		tot = sum(n.values())
		agree = sum(v for k, v in n.items() if k.split("->")[0] == k.split("->")[1])
		tp, fn = n.get("expected->expected", 0), n.get("expected->justified", 0)
		fp, tn = n.get("justified->expected", 0), n.get("justified->justified", 0)
		return {"packets": tot, "agreement": agree / tot if tot else 0,
			"expected_recall": tp / (tp + fn) if tp + fn else 0,
			"expected_precision": tp / (tp + fp) if tp + fp else 0,
			"justified_recall": tn / (tn + fp) if tn + fp else 0,
			"pairs": n}

	def evaluate(self, running, base, sim_muted):
		cmp, text = self.fit(running, base)
		segs = self.segments()
		n_train = cmp["trained_on"]
		held = segs[n_train:]
		learned = os.path.join(self.rec, "fit", "learned.egf")
		res = {"segments": len(segs), "trained_on": n_train,
		       "held_back": len(held), "learn_verdict": cmp["better"],
		       "learn_why": cmp["why"], "learn_own_measures": cmp,
		       "labels": self.label_exactness(n_train)}
		for tag, model in (("before", running), ("after", learned)):
			rec = self.replay(model, held, tag)
			mut = self.replay(model, held, tag, muted=True) if sim_muted else None
			res[tag] = figures(rec, mut)
		print("learn-eval.py: %s: %s" % (self.name, json.dumps(
		    {k: res[k] for k in ("before", "after", "learn_verdict")})),
		      file=sys.stderr)
		return res


def vcf_home(a):
	"""vcf as a new home for a model that never saw it."""
	h = Home(a, "vcf", "192.168.86.40")
	vcf = os.path.join(a.data, "vcf")
	keep = os.path.join(a.work, "build")
	if not os.path.exists(os.path.join(keep, "sim.csv")):
		run(["sh", os.path.join(HERE, "build.sh"), "-B", a.build, "--keep", keep,
		     "-o", os.path.join(keep, "default-rebuilt.egf")])
	sim_csvs = [os.path.join(keep, f) for f in ("sim.csv", "vartalk.csv", "varmuted.csv")]
	novcf = os.path.join(h.dir, "novcf.egf")
	base = os.path.join(h.dir, "base-novcf.csv")
	run([h.eg, "train", "--features", "shape", "--trees", "50", "--max-depth", "16",
	     "--seed", "6", "--threads", str(a.threads), "--split", "none", "-o", novcf]
	    + sim_csvs)
	run([PY, os.path.join(HERE, "base-sample.py"), "--per-class", "2000", "-o", base]
	    + sim_csvs)
	names = {}
	caps = sorted((first_ts(p), p) for p in glob.glob(os.path.join(vcf, "pcap", "*.pcap")))
	for t, p in caps:
		seg = "seg-%010d.pcap" % int(t)
		os.symlink(os.path.abspath(p), os.path.join(h.rec, seg))
		names[os.path.basename(p)] = seg
	with open(h.truth_mic, "w") as f:
		f.write("# vcf: the microphone was on all along (vcf/README.md)\n")
		f.write("%.6f,1\n" % caps[0][0])
	with open(os.path.join(vcf, "interactions.csv"), newline="") as fi, \
	     open(h.truth, "w", newline="") as fo:
		r, w = csv.reader(fi), csv.writer(fo, lineterminator="\n")
		w.writerow(next(r))
		for row in r:
			if row and row[0] in names:
				w.writerow([names[row[0]]] + row[1:])
	res = h.evaluate(novcf, base, sim_muted=True)
	res["running_model"] = "shipped recipe on simulated data only (never saw vcf)"
	return res


def sim_capture(a, v, scenario, duration, seed, start, out, inject="voice"):
	run([PY, os.path.join(SRC, "src", "sim", "variants.py"), "pcap", "--variant",
	     str(v), "--scenario", scenario, "--duration", str(duration), "--seed",
	     str(seed), "--inject", inject, "--start", "%.1f" % start, "-o", out])


def rank_variants(a):
	"""The held-out variants the shipped model handles worst."""
	eg = os.path.join(a.build, "src", "echoguard")
	d = os.path.join(a.work, "rank")
	os.makedirs(d, exist_ok=True)
	scores = []
	for v in a.candidates:
		cap = os.path.join(d, "sim-var-%d-talk.pcapng" % v)
		sim_capture(a, v, "talk", 900, 3, 1767225600.0, cap, inject="none")
		out = os.path.join(d, "replay-%d.json" % v)
		run([eg, "replay", "--model", a.model, "--device", "192.168.86.40",
		     "--json", "--summary", "--mode", "enforce", "--interactions",
		     cap + ".interactions.csv", "--margin", "2", cap], out)
		f = figures(summary(out))
		scores.append((f["voice_touched"], f["expected_touched"],
			       -f["justified_blocked"], v, f))
	scores.sort(reverse=True)
	return scores


def variant_home(a, v):
	h = Home(a, "variant-%d" % v, "192.168.86.40")
	t0, seg_s = 1767225600.0, 900
	mic = ["# SIMULATED variant %d: the simulator's microphone timeline" % v]
	rows = []
	for k in range(12):
		start = t0 + k * seg_s
		cap = os.path.join(h.dir, "sim-var-%d-%02d.pcapng" % (v, k))
		sim_capture(a, v, "mixed", seg_s, 100 + k, start, cap)
		seg = "seg-%010d.pcap" % int(start)
		os.symlink(cap, os.path.join(h.rec, seg))
		for line in open(cap + ".mic"):
			if line.strip() and not line.startswith("#"):
				t, s = line.split()
				mic.append("%s,%s" % (t, s))
		with open(cap + ".interactions.csv", newline="") as f:
			r = csv.reader(f)
			header = next(r)
			rows += [[seg] + row[1:] for row in r if row]
	with open(h.truth_mic, "w") as f:
		f.write("\n".join(mic) + "\n")
	with open(h.truth, "w", newline="") as f:
		w = csv.writer(f, lineterminator="\n")
		w.writerow(header)
		w.writerows(rows)
	res = h.evaluate(a.model, a.base, sim_muted=False)
	res["running_model"] = "shipped default.egf"
	return res


def pct(a, b):
	return "%d/%d" % (a, b) if b else "0/0"


def markdown(r):
	out = []
	def table(title, res, sim):
		out.append("### %s\n" % title)
		out.append("Held back: the last %d of %d segments (learnt from the first %d). "
			   "learn fit's own verdict: **%s** (%s).\n" % (
			       res["held_back"], res["segments"], res["trained_on"],
			       "better" if res["learn_verdict"] else "not better",
			       res["learn_why"]))
		out.append("| upload level, true labels | before (running) | after (learned) |")
		out.append("| --- | --- | --- |")
		b, f = res["before"], res["after"]
		rows = [("voice uploads touched (listening)", "voice_touched", "voice_uploads"),
			("uploads of interactions touched (listening)", "expected_touched", "expected_uploads"),
			("unrequested uploads blocked (listening)", "justified_blocked", "justified_uploads"),
			("muted uploads blocked", "muted_blocked", "muted_uploads")]
		for name, k, n in rows:
			out.append("| %s | %s | %s |" % (name, pct(b[k], b[n]), pct(f[k], f[n])))
		out.append("| bytes let through while muted | %s of %s | %s of %s |" % (
		    b["muted_bytes_through"], b["muted_bytes"], f["muted_bytes_through"], f["muted_bytes"]))
		if "sim_muted_bytes" in b:
			out.append("| SIMULATED: held-back part replayed as muted, bytes let through | %s of %s | %s of %s |" % (
			    b["sim_muted_bytes_through"], b["sim_muted_bytes"],
			    f["sim_muted_bytes_through"], f["sim_muted_bytes"]))
		out.append("| per packet: expected app-data packets dropped | %s | %s |" % (
		    pct(b["expected_packets_dropped"], b["expected_packets"]),
		    pct(f["expected_packets_dropped"], f["expected_packets"])))
		lab = res["labels"]
		out.append("\nlearn's own labels on the part it learnt from, against the truth "
			   "(app-data packets): agreement %.3f, expected recall %.3f, precision %.3f, "
			   "justified recall %.3f.\n" % (lab["agreement"], lab["expected_recall"],
							lab["expected_precision"], lab["justified_recall"]))
	if "vcf" in r:
		table("vcf as a new home (REAL captures; running model never saw them)", r["vcf"], False)
	for v in r.get("variants", []):
		table("SIMULATED variant %d (ranked among the worst for the shipped model)" % v["variant"],
		      v, True)
	if "ranking" in r:
		out.append("### Ranking of the held-out variants (shipped model, 15 min talk capture, SIMULATED)\n")
		out.append("| variant | voice uploads touched | uploads of interactions touched | unrequested blocked |")
		out.append("| --- | --- | --- | --- |")
		for s in r["ranking"]:
			f = s["figures"]
			out.append("| %d | %s | %s | %s |" % (s["variant"], pct(f["voice_touched"], f["voice_uploads"]),
							    pct(f["expected_touched"], f["expected_uploads"]),
							    pct(f["justified_blocked"], f["justified_uploads"])))
	return "\n".join(out) + "\n"


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--work", required=True)
	ap.add_argument("--build", default=os.path.join(SRC, "build"))
	ap.add_argument("--data", default=os.environ.get(
	    "ECHOGUARD_SHARED_DATA", os.path.join(SRC, "..", "shared", "data")))
	ap.add_argument("--variants", type=int, default=3, help="how many of the worst")
	ap.add_argument("--candidates", default="101-112")
	ap.add_argument("--threads", type=int, default=2)
	ap.add_argument("--only", choices=["vcf", "variants"])
	ap.add_argument("--check", action="store_true",
			help="exit 1 unless learning helped where it said it would")
	ap.add_argument("--json")
	ap.add_argument("--markdown")
	a = ap.parse_args()
	a.work = os.path.abspath(a.work)
	a.build = os.path.abspath(a.build)
	lo, hi = (int(x) for x in a.candidates.split("-"))
	a.candidates = list(range(lo, hi + 1))
	a.model = os.path.join(HERE, "default.egf")
	a.base = os.path.join(HERE, "base.csv")
	if a.only != "variants" and not os.path.isdir(os.path.join(a.data, "vcf", "pcap")):
		print("SKIP: %s/vcf/pcap: no such directory (the whole data set)" % a.data)
		sys.exit(77)
	os.environ["ECHOGUARD_SHARED_DATA"] = os.path.abspath(a.data)
	os.makedirs(a.work, exist_ok=True)
	r = {}
	if a.only != "variants":
		r["vcf"] = vcf_home(a)
	if a.only != "vcf":
		ranking = rank_variants(a)
		r["ranking"] = [{"variant": s[3], "figures": s[4]} for s in ranking]
		r["variants"] = []
		for s in ranking[:a.variants]:
			res = variant_home(a, s[3])
			res["variant"] = s[3]
			r["variants"].append(res)
	if a.json:
		with open(a.json, "w") as f:
			json.dump(r, f, indent=1, sort_keys=True)
	md = markdown(r)
	if a.markdown:
		with open(a.markdown, "w") as f:
			f.write(md)
	sys.stdout.write(md)
	if a.check:
		bad = check(r)
		for b in bad:
			print("learn-eval.py: CHECK FAILED: " + b, file=sys.stderr)
		sys.exit(1 if bad else 0)


def check(r):
	"""What must hold (tests/CMakeLists.txt: learn-eval)."""
	bad = []
	v = r.get("vcf")
	if v:
		b, f = v["before"], v["after"]
		if not v["learn_verdict"]:
			bad.append("vcf: learn fit said not better")
		if not f["voice_touched"] < b["voice_touched"]:
			bad.append("vcf: voice uploads touched %d -> %d" % (
			    b["voice_touched"], f["voice_touched"]))
		if f["expected_touched"] > b["expected_touched"]:
			bad.append("vcf: uploads of interactions touched %d -> %d" % (
			    b["expected_touched"], f["expected_touched"]))
		if f["sim_muted_bytes_through"] > b["sim_muted_bytes_through"] * 1.01 + 1024:
			bad.append("vcf: simulated muted bytes through %d -> %d" % (
			    b["sim_muted_bytes_through"], f["sim_muted_bytes_through"]))
		if v["labels"]["expected_recall"] < 0.95:
			bad.append("vcf: learn's expected recall %.3f" % v["labels"]["expected_recall"])
	for v in r.get("variants", []):
		b, f = v["before"], v["after"]
		if v["learn_verdict"] and (f["expected_touched"] > b["expected_touched"] or
					   f["muted_bytes_through"] > b["muted_bytes_through"] * 1.01 + 1024):
			bad.append("variant %d: installed, but true figures got worse" % v["variant"])
	return bad


if __name__ == "__main__":
	main()
