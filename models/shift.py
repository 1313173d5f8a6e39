#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""shift.py: does a model keep deciding well on an Echo it never saw?

Usage: /usr/bin/python3 models/shift.py --work DIR [--build BUILD]
           [--features flow,shape] [--folds 5] [--ablate] [--validate]
           [--json OUT.json] [--markdown OUT.md]

DIR is a `models/build.sh --keep DIR` directory. For each feature set, the
shipped recipe (models/build.sh: 50 trees of depth 16, seed 6) is trained
and `echoguard replay` (the daemon's per-packet path) scores it,
microphone listening and muted, per device, never averaging real and
simulated data:

  vcf, split by capture   K folds of the real captures: train on the other
                          folds (real + real replayed as muted) and all the
                          simulated data, replay the held-out captures
  held-out variants       train on everything build.sh uses, replay
                          simulated device variants 101-106 (variants.py),
                          which no model ever saw
  simulated only -> vcf   train on the device variants 1-12 alone (not
                          echosim's calibrated device, a copy of vcf's),
                          replay all real captures

Per packet: expected app-data packets dropped (mic on); upload bytes let
through (mic off, --context muted). Per upload: a voice upload is a run of
at least 10 outbound same-size app-data segments on one connection, each
at most 0.2 s after the previous member (segments of other sizes in
between neither join nor end it); sizes 100-600 B on real captures (the
voice_run rule of ../shared/data/vcf/README.md), 80-1460 B on variants
(several records per segment). An upload is touched when any outbound
packet of its connection was dropped from 0.5 s before its first member
(the wake-word audio, sent just before the stream: a hole there stalls
the stream behind it) to its last member.

--ablate: importance under shift. For each feature (shape) or suspect
group (flow), a forest of 20 trees is trained without it, on the data of
"held-out variants" and of "simulated only -> vcf", and `echoguard eval
--predictions` (argmax class, no min_confidence) gives the share of
expected rows predicted justified or not_justified on the held-out data.
--validate: ../shared/data/other-homes, with the shipped model only, once,
at the end: never used for training, tuning or feature choice.
Standard library only.
"""
import argparse
import bisect
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src", "sim"))
import variants  # noqa: E402

RECIPE = ["--trees", "50", "--max-depth", "16", "--seed", "6", "--threads",
	  "2", "--split", "none"]
ABLATE_RECIPE = ["--trees", "20", "--max-depth", "16", "--seed", "6",
		 "--threads", "2", "--split", "none"]
DEVICE = "192.168.86.40"
MIN_CONF = "0.7"
GROUPS = ["real", "realmuted", "sim", "vartalk", "varmuted"]
SIM_GROUPS = ["sim", "vartalk", "varmuted"]
# "simulated only": the device variants alone, not echosim's calibrated
# device, which copies vcf's absolute sizes and would hide the shift
VAR_GROUPS = ["vartalk", "varmuted"]
DROP = ("justified", "not_justified")
LEAD = 0.5   # s before a voice upload that belong to it (wake-word audio)
APP = ("expected", "justified", "not_justified")
FLOW_SUSPECTS = {"length": ["length"], "dstport+sni_class": ["dstport",
		 "sni_class"], "ttl+tcp_window": ["ttl", "tcp_window"],
		 "bytes rates": ["out_bytes_1s", "out_bytes_5s", "in_bytes_1s",
				 "in_bytes_5s"], "n_records": ["n_records"]}


def run(cmd, **kw):
	res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			     text=True, **kw)
	if res.returncode not in (0, 1):
		sys.exit("shift.py: %s: exit %d\n%s" % (" ".join(cmd),
							res.returncode, res.stderr))
	return res.stdout


# ------------------------------------------------------------ uploads
def voice_runs(pkts, lo, hi, min_len=10, gap=0.2):
	"""Voice uploads in one flow's outbound packets (time order): lists of
	indices into pkts of the run members."""
	runs, open_runs = [], {}
	for i, p in enumerate(pkts):
		if p["label"] not in APP or not lo <= p["payload"] <= hi:
			continue
		cur = open_runs.get(p["payload"])
		if cur and p["time"] - pkts[cur[-1]]["time"] <= gap:
			cur.append(i)
			continue
		if cur and len(cur) >= min_len:
			runs.append(cur)
		open_runs[p["payload"]] = [i]
	runs += [r for r in open_runs.values() if len(r) >= min_len]
	return sorted(runs)


def uploads(lines, lo, hi):
	"""[uploads, touched, packets in uploads, dropped in uploads] over the
	packet lines of `echoguard replay --json`."""
	flows = collections.defaultdict(list)
	for j in lines:
		flows[(j["file"], j["flow"])].append(j)
	out = [0, 0, 0, 0]
	for pkts in flows.values():
		pkts.sort(key=lambda p: (p["time"], p["frame"]))
		times = [p["time"] for p in pkts]
		for r in voice_runs(pkts, lo, hi):
			first = bisect.bisect_left(times, times[r[0]] - LEAD)
			span = pkts[first:r[-1] + 1]
			drops = sum(1 for p in span if p["verdict"] == "drop")
			out[0] += 1
			out[1] += 1 if drops else 0
			out[2] += len(span)
			out[3] += drops
	return out


def replay(eg, ini, model, files, extra):
	"""Packet lines and summary of `echoguard replay --json`."""
	out = run([eg, "replay", "-c", ini, "--model", model, "--json",
		   "--min-confidence", MIN_CONF] + extra + files)
	pkts, summ = [], None
	for line in out.splitlines():
		if line.startswith('{"type":"packet"'):
			pkts.append(json.loads(line))
		elif line.startswith('{"type":"summary"'):
			summ = json.loads(line)
	if summ is None:
		sys.exit("shift.py: replay printed no summary")
	return pkts, summ


def policy_uploads(s, label, mic):
	"""The policy's own upload figures (replay's summary, when this build's
	replay reports uploads): [uploads, untouched, dropped, holed, voice,
	voice touched, leak bytes, dropped uploads leaking > 1 segment]."""
	c = s.get("uploads", {}).get(label, {}).get(mic)
	if not c:
		return [0] * 8
	return [c[k] for k in ("uploads", "untouched", "dropped", "holed",
			       "voice", "voice_touched", "leak_bytes",
			       "leak_over_one_packet")]


def score_on(eg, ini, model, files, inter, sizes):
	"""Mic listening: per-packet false blocks, uploads touched."""
	pkts, s = replay(eg, ini, model, files, ["--mic", "on", "--interactions",
						 inter])
	return {"false_block": [s["false_block"]["dropped"],
				s["false_block"]["total"]],
		"uploads": uploads(pkts, *sizes),
		"policy": policy_uploads(s, "expected", "listening")}


def score_muted(eg, ini, model, files):
	"""Mic muted: upload bytes blocked, voice uploads let through whole."""
	pkts, s = replay(eg, ini, model, files, ["--mic", "off", "--context",
						 "muted"])
	m = s["miss"]
	return {"bytes_blocked": [m["bytes_total"] - m["bytes_accepted"],
				  m["bytes_total"]],
		"uploads": uploads(pkts, 80, 1460),
		"policy": policy_uploads(s, "not_justified", "muted")}


# ------------------------------------------------------------ data
class Data:
	"""The CSVs of one feature set and the captures behind them."""

	def __init__(self, a, fs):
		self.a, self.fs = a, fs
		self.dir = os.path.join(a.work, "shift-" + fs)
		os.makedirs(self.dir, exist_ok=True)
		self.caps = {"real": [os.path.join(a.vcf, "pcap")],
			     "realmuted": [os.path.join(a.vcf, "pcap")],
			     "sim": [os.path.join(a.work, "sim")],
			     "vartalk": [os.path.join(a.work, "vartalk")],
			     "varmuted": [os.path.join(a.work, "varmuted")]}
		self.inter = {"real": os.path.join(a.vcf, "interactions.csv"),
			      "vartalk": os.path.join(a.work, "vartalk.interactions.csv")}
		self.ini = os.path.join(self.dir, "replay.ini")
		with open(self.ini, "w") as fh:
			fh.write("[device]\naddress = %s\n[model]\nfeatures = %s\n" %
				 (DEVICE, fs))
		self.csv = {g: self.extract(g) for g in GROUPS}

	def extract(self, g):
		path = os.path.join(self.dir, g + ".csv")
		if os.path.exists(path):
			return path
		ctx = ["--interactions", self.inter[g]] if g in self.inter else \
		    ["--context", "muted"]
		run([self.a.eg, "extract", "--device", DEVICE, "--features", self.fs,
		     "--margin", "2", "-o", path] + ctx + self.caps[g])
		return path

	def train(self, name, parts, recipe=RECIPE, columns=None):
		"""Train on parts: CSV paths, or (CSV, sources to leave out)."""
		model = os.path.join(self.dir, name + ".egf")
		files = []
		for k, p in enumerate(parts):
			if isinstance(p, tuple):
				files.append(self.subset(p[0], p[1], "%s-%d" % (name, k)))
			else:
				files.append(p)
		cols = ["--columns", ",".join(columns)] if columns else \
		    ["--features", self.fs]
		cmd = [self.a.eg, "train"] + recipe + cols + ["-o", model] + files
		# the trainer is deterministic: the same command on the same
		# files gives the same model, so a rerun (another policy) reuses it
		stamp = model + ".cmd"
		if os.path.exists(model) and os.path.exists(stamp) and \
		    open(stamp).read() == " ".join(cmd):
			return model
		run(cmd)
		with open(stamp, "w") as fh:
			fh.write(" ".join(cmd))
		return model

	def subset(self, csv, leave_out, name, keep=False):
		"""A CSV without (or, keep: with only) the rows of some sources."""
		path = os.path.join(self.dir, name + ".csv")
		with open(csv) as fh, open(path, "w") as out:
			header = fh.readline()
			isrc = header.rstrip("\n").split(",").index("source")
			out.write(header)
			for line in fh:
				src = line.rstrip("\n").rsplit(",", 1)[1].strip('"')
				if (src in leave_out) == keep:
					out.write(line)
		assert isrc >= 0
		return path


def held_out_captures(a):
	"""Variants 101-106: a talk capture and a muted one each (seeds 11, 12:
	not those of build.sh), made once in DIR/heldtalk, DIR/heldmuted."""
	talk, muted = (os.path.join(a.work, d) for d in ("heldtalk", "heldmuted"))
	for d in (talk, muted):
		os.makedirs(d, exist_ok=True)
	sim = [a.py, os.path.join(HERE, "..", "src", "sim", "variants.py"), "pcap"]
	tfiles, mfiles = [], []
	for v in variants.HELD_OUT:
		t = os.path.join(talk, "sim-var-%d-talk.pcapng" % v)
		m = os.path.join(muted, "sim-var-%d-muted.pcapng" % v)
		if not os.path.exists(t):
			run(sim + ["--variant", str(v), "--scenario", "talk",
				   "--duration", "900", "--seed", "11", "-o", t])
		if not os.path.exists(m):
			run(sim + ["--variant", str(v), "--scenario", "muted",
				   "--inject", "voice", "--duration", "600", "--seed",
				   "12", "-o", m])
		tfiles.append(t)
		mfiles.append(m)
	inter = os.path.join(a.work, "heldtalk.interactions.csv")
	with open(inter, "w") as out:
		out.write("pcap,start,end,trace,source\n")
		for t in tfiles:
			with open(t + ".interactions.csv") as fh:
				out.writelines(fh.readlines()[1:])
	return tfiles, mfiles, inter


# ------------------------------------------------------------ experiments
def add(acc, res):
	for k, v in res.items():
		if k not in acc:
			acc[k] = [0] * len(v)
		acc[k] = [x + y for x, y in zip(acc[k], v)]


def vcf_folds(a, d):
	"""vcf split by capture, K folds; simulated data in every training."""
	caps = sorted(f for f in os.listdir(os.path.join(a.vcf, "pcap")))
	on, muted = {}, {}
	for k in range(a.folds):
		held = set(caps[k::a.folds])
		model = d.train("fold%d" % k, [(d.csv["real"], held),
					      (d.csv["realmuted"], held)] +
				[d.csv[g] for g in SIM_GROUPS])
		files = [os.path.join(a.vcf, "pcap", c) for c in sorted(held)]
		add(on, score_on(a.eg, d.ini, model, files, d.inter["real"],
				 (100, 600)))
		add(muted, score_muted(a.eg, d.ini, model, files))
		print("shift.py: %s fold %d/%d" % (d.fs, k + 1, a.folds),
		      file=sys.stderr)
	return {"on": on, "muted": muted}


def held_variants(a, d, held):
	tfiles, mfiles, inter = held
	model = d.train("all", [d.csv[g] for g in GROUPS])
	return {"on": score_on(a.eg, d.ini, model, tfiles, inter, (80, 1460)),
		"muted": score_muted(a.eg, d.ini, model, mfiles)}


def sim_to_vcf(a, d):
	model = d.train("simonly", [d.csv[g] for g in VAR_GROUPS])
	files = [os.path.join(a.vcf, "pcap")]
	return {"on": score_on(a.eg, d.ini, model, files, d.inter["real"],
			       (100, 600)),
		"muted": score_muted(a.eg, d.ini, model, files)}


def rows_false_drop(eg, model, csv):
	"""Argmax: share of expected rows predicted justified/not_justified."""
	pred = model + ".pred"
	run([eg, "eval", "--model", model, "--predictions", pred, csv])
	with open(csv) as fh, open(pred) as ph:
		icls = fh.readline().rstrip("\n").split(",").index("class")
		n = bad = 0
		for line, p in zip(fh, ph):
			if line.split(",")[icls] == "expected":
				n += 1
				bad += p.strip() in DROP
	return [bad, n]


def ablate(a, d, held_csv):
	"""Importance under shift: leave one feature (or group) out."""
	names = open(d.csv["real"]).readline().rstrip("\n").split(",")
	schema = [c for c in names if c not in ("date", "dstip", "synchronized",
						"class", "source")]
	if d.fs == "shape":
		schema = [c for c in schema if c not in ("length", "dstport")]
		cases = {"(none)": []}
		cases.update({c: [c] for c in schema})
	else:
		cases = {"(none)": []}
		cases.update(FLOW_SUSPECTS)
	out = {}
	for name, drop in cases.items():
		cols = [c for c in schema if c not in drop]
		m1 = d.train("abl-all", [d.csv[g] for g in GROUPS], ABLATE_RECIPE,
			     cols)
		m2 = d.train("abl-sim", [d.csv[g] for g in VAR_GROUPS],
			     ABLATE_RECIPE, cols)
		out[name] = {"held_variants": rows_false_drop(a.eg, m1, held_csv),
			     "sim_to_vcf": rows_false_drop(a.eg, m2, d.csv["real"])}
		print("shift.py: ablate %s %s %s" % (d.fs, name, out[name]),
		      file=sys.stderr)
	return out


def validate(a):
	"""other-homes, the shipped model, once."""
	oh = os.path.join(a.data, "other-homes")
	ini = os.path.join(a.work, "validate.ini")
	with open(ini, "w") as fh:
		fh.write("[model]\nfeatures = shape\n")
	model = os.path.join(HERE, "default.egf")
	res = {}
	normal = os.path.join(oh, "echodot2-normal.pcapng")
	dev = ["--device", "172.16.42.213"]
	pkts, s = replay(a.eg, ini, model, [normal], dev + ["--mic", "on",
							    "--context", "active"])
	app = [p for p in pkts if p["label"] in APP]
	res["echodot2-normal"] = {
	    "on_packets": [sum(p["verdict"] == "drop" for p in app), len(app)],
	    "on_uploads": uploads(pkts, 100, 600),
	    "on_policy": policy_uploads(s, "expected", "listening")}
	pkts, s = replay(a.eg, ini, model, [normal], dev + ["--mic", "off",
							    "--context", "muted"])
	m = s["miss"]
	res["echodot2-normal"]["muted_bytes_blocked"] = [
	    m["bytes_total"] - m["bytes_accepted"], m["bytes_total"]]
	res["echodot2-normal"]["muted_uploads"] = uploads(pkts, 100, 600)
	res["echodot2-normal"]["muted_policy"] = policy_uploads(s, "not_justified",
								"muted")
	vol = sorted(os.path.join(oh, f) for f in os.listdir(oh)
		     if f.startswith("echodot2LANVOLUMEOFF"))
	pkts, s = replay(a.eg, ini, model, vol, ["--device", "192.168.137.167",
						 "--mic", "on", "--context", "active"])
	app = [p for p in pkts if p["label"] in APP]
	res["volume-off"] = {"on_packets": [sum(p["verdict"] == "drop"
						for p in app), len(app)]}
	return res


# ------------------------------------------------------------ report
def pct(v, digits=2):
	return "%.*f%% (%d / %d)" % (digits, 100.0 * v[0] / max(1, v[1]), v[0],
				     v[1])


def markdown(res):
	pol = res.get("policy", "upload")
	if not any(res["features"].values()):
		return markdown_rest(res, [])
	lead = res.get("lead", LEAD)
	s = ["Policy: %s-level verdicts (the replay binary's); an upload's span "
	     "starts %g s before its first segment.\n" % (pol, lead),
	     "| features | data | mic on: voice uploads touched | mic on: voice "
	     "uploads touched, replay's count | mic on: expected packets dropped "
	     "| muted: upload bytes blocked | muted: voice uploads let through "
	     "whole | muted: uploads leaking more than one segment |",
	     "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
	titles = {"vcf_folds": "vcf, split by capture (real)",
		  "held_variants": "variants 101-106, never trained on (simulated)",
		  "sim_to_vcf": "vcf, trained on variants 1-12 only (real)"}
	for fs, exps in res["features"].items():
		for k, t in titles.items():
			if k not in exps:
				continue
			on, mu = exps[k]["on"], exps[k]["muted"]
			u, mu_u = on["uploads"], mu["uploads"]
			po, pm = on.get("policy", [0] * 8), mu.get("policy", [0] * 8)
			whole = [mu_u[0] - mu_u[1], mu_u[0]]
			s.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
			    fs, t, pct([u[1], u[0]]),
			    pct([po[5], po[4]]) if po[4] else "n/a",
			    pct(on["false_block"], 3), pct(mu["bytes_blocked"], 3),
			    pct(whole), pct([pm[7], pm[0]]) if pm[0] else "n/a"))
	return markdown_rest(res, s)


def markdown_rest(res, s):
	"""The ablation and validation tables."""
	for fs, ab in res.get("ablate", {}).items():
		s.append("\nImportance under shift, %s (argmax, 20 trees): expected "
			 "rows predicted justified or not_justified, without:\n" % fs)
		s.append("| left out | held-out variants | variants 1-12 only -> vcf |")
		s.append("| --- | ---: | ---: |")
		for name, v in ab.items():
			s.append("| %s | %s | %s |" % (name, pct(v["held_variants"], 3),
						       pct(v["sim_to_vcf"], 3)))
	if "validate" in res:
		v = res["validate"]["echodot2-normal"]
		s.append("\nValidation, other-homes (real, never used before this "
			 "line; the shipped model):\n")
		s.append("| capture | mic on: voice uploads touched | mic on: voice "
			 "uploads touched, replay's count | mic on: app-data packets "
			 "dropped | muted: upload bytes blocked | muted: voice uploads "
			 "let through whole | muted: uploads leaking more than one "
			 "segment |")
		s.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
		u, po, mu, pm = (v["on_uploads"], v["on_policy"], v["muted_uploads"],
				 v["muted_policy"])
		s.append("| echodot2-normal | %s | %s | %s | %s | %s | %s |" % (
		    pct([u[1], u[0]]), pct([po[5], po[4]]), pct(v["on_packets"], 3),
		    pct(v["muted_bytes_blocked"], 3), pct([mu[0] - mu[1], mu[0]]),
		    pct([pm[7], pm[0]])))
		w = res["validate"]["volume-off"]
		s.append("| echodot2LANVOLUMEOFF_1-3 | (no voice) | | %s | | | |" %
			 pct(w["on_packets"], 3))
	return "\n".join(s) + "\n"


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--work", required=True)
	ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
	ap.add_argument("--data", default=os.environ.get(
	    "ECHOGUARD_SHARED_DATA", os.path.join(HERE, "..", "..", "shared", "data")))
	ap.add_argument("--features", default="flow,shape")
	ap.add_argument("--folds", type=int, default=5)
	ap.add_argument("--experiments", default="vcf_folds,held_variants,sim_to_vcf")
	ap.add_argument("--ablate", action="store_true")
	ap.add_argument("--validate", action="store_true")
	ap.add_argument("--policy", default="upload", help="names the replay "
			"binary's policy in the report: upload or packet")
	ap.add_argument("--json")
	ap.add_argument("--markdown")
	a = ap.parse_args()
	a.eg = os.path.join(a.build, "src", "echoguard")
	a.vcf = os.path.join(a.data, "vcf")
	a.py = "/usr/bin/python3"
	held = held_out_captures(a)
	res = {"features": {}, "ablate": {}, "policy": a.policy, "lead": LEAD}
	exps = a.experiments.split(",") if a.experiments else []
	for fs in [f for f in a.features.split(",") if f]:
		d = Data(a, fs)
		r = res["features"][fs] = {}
		if "held_variants" in exps:
			r["held_variants"] = held_variants(a, d, held)
		if "sim_to_vcf" in exps:
			r["sim_to_vcf"] = sim_to_vcf(a, d)
		if "vcf_folds" in exps:
			r["vcf_folds"] = vcf_folds(a, d)
		if a.ablate:
			hcsv = os.path.join(d.dir, "heldtalk.csv")
			if not os.path.exists(hcsv):
				run([a.eg, "extract", "--device", DEVICE, "--features", fs,
				     "--interactions", held[2], "-o", hcsv,
				     os.path.join(a.work, "heldtalk")])
			res["ablate"][fs] = ablate(a, d, hcsv)
	if a.validate:
		res["validate"] = validate(a)
	md = markdown(res)
	for path, text in ((a.json, json.dumps(res, indent=1, sort_keys=True)),
			   (a.markdown, md)):
		if path:
			with open(path, "w") as fh:
				fh.write(text)
	sys.stdout.write(md)


if __name__ == "__main__":
	main()
