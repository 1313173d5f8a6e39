#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""card.py: the figures of docs/model-card.md, measured with echoguard itself.

Usage: /usr/bin/python3 models/card.py --work DIR [--build BUILD] [--folds 5]
           [--json OUT.json] [--markdown OUT.md] [--update docs/model-card.md]

DIR is a `models/build.sh --keep DIR` directory (real.csv, realmuted.csv,
sim.csv, vartalk.csv, varmuted.csv and the simulated captures in DIR/sim).
The device variants' CSVs are in the training data of every fold. Split by capture file: the
real captures and the simulated ones are each dealt round-robin (sorted by
name) into K folds; a real capture's normal and muted copies share its name
(the source column) and so always fall in the same fold. For every fold a
model is trained with the shipped recipe on the other folds (`echoguard
train`), then, for three groups scored apart:
  - `echoguard eval --predictions` on the held-out rows gives per-class
    precision/recall/F1 for the real captures (mic on), the real captures
    replayed as muted and the simulated Echo muted captures;
  - `echoguard replay` (the daemon's per-packet path) over the held-out
    captures gives, for several min_confidence, the false blocks of
    expected app data (real captures, --mic on --interactions), and the
    unjustified upload bytes let through plus the share of the muted
    device's syn/handshake/ack packets accepted (the real captures and the
    simulated ones, each with --mic off --context muted).
Nothing is averaged across real and simulated data. Standard library only.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

RECIPE = ["--features", "shape", "--trees", "50", "--max-depth", "16",
	  "--seed", "6", "--threads", "2", "--split", "none"]
MIN_CONF = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
MARGINS = [0, 2, 5, 10]
# the three groups, scored apart: real captures (mic on, interactions),
# the same real captures replayed as muted (mic off, context muted: a
# simulated context on real packets), simulated Echo muted captures
KINDS = ["real", "realmuted", "sim"]
TITLES = {"real": "real captures (mic on, interactions)",
	  "realmuted": "real captures replayed as muted (mic off, --context muted)",
	  "sim": "simulated Echo muted captures (mic off, --context muted)"}
# simulated device variants 1-12 (models/build.sh), in every fold's training
VARIANT_CSVS = ["vartalk.csv", "varmuted.csv"]
# what a muted device must still be able to send
CONTROL = ["syn", "handshake", "ack"]
DEFAULT_MIN_CONF = 0.7     # conf/echoguard.ini


def read_csv(path):
	with open(path) as fh:
		header = fh.readline()
		rows = fh.readlines()
	cols = header.rstrip("\n").split(",")
	return header, cols, rows


def field(row, i):
	return row.rstrip("\n").split(",")[i]


def run(cmd, **kw):
	res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			     text=True, **kw)
	if res.returncode not in (0, 1):
		sys.exit("card.py: %s: exit %d\n%s" % (" ".join(cmd), res.returncode,
						       res.stderr))
	return res.stdout


def replay(eg, ini, model, files, extra, mc):
	out = run([eg, "replay", "-c", ini, "--model", model, "--summary",
		   "--json", "--min-confidence", str(mc)] + extra + files)
	for line in reversed(out.splitlines()):
		if line.startswith("{") and '"summary"' in line:
			return json.loads(line)
	sys.exit("card.py: replay printed no summary")


def prf(pairs, classes):
	out = {}
	for c in classes:
		tp = sum(1 for t, p in pairs if t == c and p == c)
		fp = sum(1 for t, p in pairs if t != c and p == c)
		fn = sum(1 for t, p in pairs if t == c and p != c)
		pr = tp / (tp + fp) if tp + fp else 0.0
		rc = tp / (tp + fn) if tp + fn else 0.0
		f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
		out[c] = {"precision": pr, "recall": rc, "f1": f1,
			  "support": tp + fn}
	return out


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	here = os.path.dirname(os.path.abspath(__file__))
	ap.add_argument("--work", required=True)
	ap.add_argument("--build", default=os.path.join(here, "..", "build"))
	ap.add_argument("--data", default=os.environ.get(
	    "ECHOGUARD_SHARED_DATA", os.path.join(here, "..", "..", "shared", "data")))
	ap.add_argument("--folds", type=int, default=5)
	ap.add_argument("--json")
	ap.add_argument("--markdown")
	ap.add_argument("--update", metavar="DOC", help="replace the part of DOC "
			"between the card.py markers (docs/model-card.md)")
	ap.add_argument("--trees", help="override the recipe (exploration)")
	ap.add_argument("--max-depth", help="override the recipe (exploration)")
	ap.add_argument("--extra", default="", help="more train options "
			"(exploration), e.g. \"--balance weights\"")
	ap.add_argument("--no-replay", action="store_true",
			help="only the classification reports")
	ap.add_argument("--shift", metavar="JSON[,JSON]", help="add the "
			"per-device, upload-level tables of `models/shift.py --json`")
	ap.add_argument("--from-json", metavar="JSON", help="write the card from "
			"the --json of an earlier run instead of measuring")
	a = ap.parse_args()
	for opt, val in (("--trees", a.trees), ("--max-depth", a.max_depth)):
		if val is not None:
			RECIPE[RECIPE.index(opt) + 1] = val
	RECIPE.extend(a.extra.split())
	if a.from_json:
		with open(a.from_json) as fh:
			res = json.load(fh)
		output(a, res, sorted(set().union(*res["counts"].values())))
		return
	eg = os.path.join(a.build, "src", "echoguard")
	vcf = os.path.join(a.data, "vcf")
	work = a.work
	ini = os.path.join(work, "card.ini")
	with open(ini, "w") as fh:
		# replay replays drops per packet (a capture cannot reconnect
		# after on_drop = flow's reset: docs/replay.md)
		fh.write("[device]\naddress = 192.168.86.40\n[model]\nfeatures = shape\n")

	header, cols, real = read_csv(os.path.join(work, "real.csv"))
	_, _, rmut = read_csv(os.path.join(work, "realmuted.csv"))
	_, _, sim = read_csv(os.path.join(work, "sim.csv"))
	isrc, icls = cols.index("source"), cols.index("class")
	data = {"real": real, "realmuted": rmut, "sim": sim}
	by_src = {k: collections.defaultdict(list) for k in KINDS}
	for k in KINDS:
		for r in data[k]:
			by_src[k][field(r, isrc)].append(r)
	real_src = sorted(by_src["real"])
	sim_src = sorted(by_src["sim"])
	if sorted(by_src["realmuted"]) != real_src:
		sys.exit("card.py: realmuted.csv and real.csv name different captures")
	# a capture's normal and muted copies share its name, so they are
	# always in the same fold
	K = a.folds
	folds = [{"real": real_src[k::K], "realmuted": real_src[k::K],
		  "sim": sim_src[k::K]} for k in range(K)]

	counts = {k: collections.Counter(field(r, icls) for r in data[k])
		  for k in KINDS}
	pairs = {k: [] for k in KINDS}
	fb = {mc: [0, 0] for mc in MIN_CONF}      # dropped, total (expected)
	jd = {mc: [0, 0] for mc in MIN_CONF}      # real justified bytes dropped
	# per muted group: bytes accepted, total; control packets accepted, total
	miss = {g: {mc: [0, 0] for mc in MIN_CONF} for g in ("realmuted", "sim")}
	ctl = {g: {mc: [0, 0] for mc in MIN_CONF} for g in ("realmuted", "sim")}
	fb_margin = {m: [0, 0] for m in MARGINS}
	for k, fold in enumerate(folds):
		held = set(fold["real"]) | set(fold["sim"])
		fdir = os.path.join(work, "fold%d" % k)
		os.makedirs(fdir, exist_ok=True)
		with open(os.path.join(fdir, "train.csv"), "w") as fh:
			fh.write(header)
			for kind in KINDS:
				for s, rows in sorted(by_src[kind].items()):
					if s not in held:
						fh.writelines(rows)
		model = os.path.join(fdir, "model.egf")
		# the training device variants are in every fold's training data
		# (models/shift.py scores variants never trained on)
		run([eg, "train"] + RECIPE + ["-o", model,
					      os.path.join(fdir, "train.csv")] +
		    [os.path.join(work, v) for v in VARIANT_CSVS])
		for kind in KINDS:
			test = os.path.join(fdir, "test-%s.csv" % kind)
			rows = [r for s in fold[kind] for r in by_src[kind][s]]
			with open(test, "w") as fh:
				fh.write(header)
				fh.writelines(rows)
			pred = os.path.join(fdir, "pred-%s.txt" % kind)
			run([eg, "eval", "--model", model, "--predictions", pred, test])
			with open(pred) as fh:
				p = [x.strip() for x in fh]
			pairs[kind] += [(field(r, icls), q) for r, q in zip(rows, p)]
		rfiles = [os.path.join(vcf, "pcap", s) for s in fold["real"]]
		sfiles = [os.path.join(work, "sim", s) for s in fold["sim"]]
		for mc in ([] if a.no_replay else MIN_CONF):
			j = replay(eg, ini, model, rfiles, ["--mic", "on", "--interactions",
				   os.path.join(vcf, "interactions.csv")], mc)
			fb[mc][0] += j["false_block"]["dropped"]
			fb[mc][1] += j["false_block"]["total"]
			lab = j["labels"]["justified"]
			jd[mc][0] += lab["payload_dropped"]
			jd[mc][1] += lab["payload_dropped"] + lab["payload_accepted"]
			for g, files in (("realmuted", rfiles), ("sim", sfiles)):
				j = replay(eg, ini, model, files, ["--mic", "off",
					   "--context", "muted"], mc)
				miss[g][mc][0] += j["miss"]["bytes_accepted"]
				miss[g][mc][1] += j["miss"]["bytes_total"]
				for c in CONTROL:
					lab = j["labels"][c]
					ctl[g][mc][0] += lab["accepted"]
					ctl[g][mc][1] += lab["accepted"] + lab["dropped"]
		for m in ([] if a.no_replay else MARGINS):
			j = replay(eg, ini, model, rfiles, ["--mic", "on", "--margin", str(m),
				   "--interactions", os.path.join(vcf, "interactions.csv")], 0.5)
			fb_margin[m][0] += j["false_block"]["dropped"]
			fb_margin[m][1] += j["false_block"]["total"]
		print("card.py: fold %d/%d done" % (k + 1, K), file=sys.stderr)

	classes = sorted(set().union(*counts.values()))
	res = {"folds": K, "recipe": RECIPE,
	       "captures": {"real": len(real_src), "realmuted": len(real_src),
			    "sim": len(sim_src)},
	       "counts": {k: dict(v) for k, v in counts.items()},
	       "report": {k: prf(pairs[k], sorted(counts[k])) for k in pairs},
	       "accuracy": {k: sum(1 for t, p in pairs[k] if t == p) / len(pairs[k])
			    for k in pairs},
	       "false_block": {str(mc): v for mc, v in fb.items()},
	       "justified_bytes_dropped": {str(mc): v for mc, v in jd.items()},
	       "miss": {g: {str(mc): v for mc, v in d.items()}
			for g, d in miss.items()},
	       "control_accepted": {g: {str(mc): v for mc, v in d.items()}
				    for g, d in ctl.items()},
	       "false_block_by_margin": {str(m): v for m, v in fb_margin.items()}}
	shipped = os.path.join(here, "default.egf")
	if os.path.exists(shipped):
		res["model"] = model_facts(eg, shipped, os.path.join(work, "real.csv"))
	if a.json:
		with open(a.json, "w") as fh:
			json.dump(res, fh, indent=1, sort_keys=True)
	output(a, res, classes)


def output(a, res, classes):
	"""The card's markdown: to --update DOC, --markdown FILE or stdout."""
	md = markdown(res, classes)
	if a.shift:
		sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
		import shift
		md += "\n" + SHIFT_TITLE
		for path in a.shift.split(","):
			with open(path) as fh:
				md += shift.markdown(json.load(fh)) + "\n"
	if a.update:
		with open(a.update) as fh:
			doc = fh.read()
		b, e = "<!-- card.py begin -->\n", "<!-- card.py end -->"
		if b not in doc or e not in doc:
			sys.exit("card.py: %s: no card.py markers" % a.update)
		doc = doc[:doc.index(b) + len(b)] + md + doc[doc.index(e):]
		with open(a.update, "w") as fh:
			fh.write(doc)
	if a.markdown:
		with open(a.markdown, "w") as fh:
			fh.write(md)
	elif not a.update:
		sys.stdout.write(md)


SHIFT_TITLE = """Per device, per packet and per upload (`models/shift.py`, at
min_confidence 0.7, each row its own experiment; real and simulated never
averaged). A voice upload: at least 10 outbound same-size app-data segments
on one connection, each at most 0.2 s after the previous one; touched: any
outbound packet of the connection dropped from 0.5 s before its first
segment (the wake-word audio) to its last:

"""


def pct(v, digits=4):
	return "%.*f%%" % (digits, 100.0 * v[0] / max(1, v[1]))


def markdown(res, classes):
	s = []
	s.append("| class | real rows (mic on) | real replayed as muted rows | "
		 "simulated Echo muted rows |")
	s.append("| --- | ---: | ---: | ---: |")
	for c in classes:
		s.append("| %s | %s |" % (c, " | ".join(
		    "%d" % res["counts"][k].get(c, 0) for k in KINDS)))
	for kind in KINDS:
		s.append("\n%s, %d captures, %d-fold split by capture file, accuracy "
			 "%.4f:\n" % (TITLES[kind][0].upper() + TITLES[kind][1:],
				      res["captures"][kind], res["folds"],
				      res["accuracy"][kind]))
		s.append("| class | precision | recall | F1 | support |")
		s.append("| --- | ---: | ---: | ---: | ---: |")
		for c, v in sorted(res["report"][kind].items()):
			s.append("| %s | %.3f | %.3f | %.3f | %d |" % (
			    c, v["precision"], v["recall"], v["f1"], v["support"]))
	s.append("\nReal captures, mic on (false blocks: expected app-data packets "
		 "dropped; justified bytes: app data sent while nobody spoke):\n")
	s.append("| min_confidence | false blocks of expected app data | real "
		 "justified bytes dropped |")
	s.append("| ---: | ---: | ---: |")
	for mc in MIN_CONF:
		f, j = res["false_block"][str(mc)], res["justified_bytes_dropped"][str(mc)]
		s.append("| %.2f | %s (%d / %d) | %s |" % (mc, pct(f), f[0], f[1],
							   pct(j, 1)))
	s.append("\nMuted (mic off, --context muted: every app-data byte is an "
		 "unjustified upload; control: the syn, handshake and ack packets "
		 "the muted device sends, which must pass):\n")
	s.append("| min_confidence | real replayed as muted: upload bytes let "
		 "through | real replayed as muted: control accepted | simulated "
		 "Echo muted: upload bytes let through | simulated Echo muted: "
		 "control accepted |")
	s.append("| ---: | ---: | ---: | ---: | ---: |")
	for mc in MIN_CONF:
		cells = []
		for g in ("realmuted", "sim"):
			m, c = res["miss"][g][str(mc)], res["control_accepted"][g][str(mc)]
			cells.append("%s (%d / %d B)" % (pct(m), m[0], m[1]))
			cells.append("%s (%d / %d)" % (pct(c, 2), c[0], c[1]))
		s.append("| %.2f | %s |" % (mc, " | ".join(cells)))
	s.append("\n| label margin (s) | false blocks at min_confidence 0.5 |")
	s.append("| ---: | ---: |")
	for m in MARGINS:
		f = res["false_block_by_margin"][str(m)]
		s.append("| %d | %s (%d / %d) |" % (m, pct(f), f[0], f[1]))
	s.append("")
	s.append(goals(res))
	if "model" in res:
		s.append("")
		s.append("| shipped model | |")
		s.append("| --- | --- |")
		for k, v in res["model"].items():
			s.append("| %s | %s |" % (k, v))
	return "\n".join(s) + "\n"


def rate(v):
	return v[0] / max(1, v[1])


def listed(mcs):
	return ("at min_confidence %s" % ", ".join("%g" % m for m in mcs)
		if mcs else "no")


def goals(res):
	"""The issue's goals against the measured figures, and the
	min_confidence they recommend."""
	fb, ms = res["false_block"], res["miss"]
	ok_fb = [mc for mc in MIN_CONF if rate(fb[str(mc)]) <= 0.01]
	ok_ms = {g: [mc for mc in MIN_CONF if rate(ms[g][str(mc)]) <= 0.01]
		 for g in ms}
	both = [mc for mc in MIN_CONF if mc in ok_fb and
		all(mc in v for v in ok_ms.values())]
	fj = res["report"]["real"]["justified"]["f1"]
	s = ["| goal | result | met? |", "| --- | --- | --- |"]
	s.append("| false blocks of expected app data <= 1%% (real, split by "
		 "capture) | %.2f%% at min_confidence 0.5, %.2f%% at 0.7 | %s |" % (
		     100 * rate(fb["0.5"]), 100 * rate(fb["0.7"]), listed(ok_fb)))
	for g, title in (("realmuted", "real replayed as muted"),
			 ("sim", "simulated Echo muted")):
		s.append("| >= 99%% of unjustified upload bytes blocked (%s) "
			 "| %.3f%% blocked at 0.5, %.3f%% at 0.7 | %s |" % (
			     title, 100 - 100 * rate(ms[g]["0.5"]),
			     100 - 100 * rate(ms[g]["0.7"]), listed(ok_ms[g])))
	s.append("| all three at once | | %s |" % listed(both))
	s.append("| F1 justified > 0.78 (real) | %.3f | %s |" % (
	    fj, "yes" if fj > 0.78 else "no, %.3f short" % (0.78 - fj)))
	for g, title in (("realmuted", "real replayed as muted"),
			 ("sim", "simulated Echo muted")):
		fn = res["report"][g].get("not_justified", {"f1": 0})["f1"]
		s.append("| F1 not_justified > 0.69 (%s) | %.3f | %s |" % (
		    title, fn, "yes" if fn > 0.69 else "no"))
	# the default stays unless it fails a goal that another value meets
	if DEFAULT_MIN_CONF in both:
		rec = "keep the default %g: it meets all three" % DEFAULT_MIN_CONF
	elif both:
		best = min(both, key=lambda m: abs(m - DEFAULT_MIN_CONF))
		rec = ("change the default %g to %g: %g fails a goal, %g meets all "
		       "three" % (DEFAULT_MIN_CONF, best, DEFAULT_MIN_CONF, best))
	else:
		rec = "no min_confidence meets all three goals; see the tables"
	s.append("\nmin_confidence: %s." % rec)
	return "\n".join(s)


def model_facts(eg, path, csv):
	"""Size, nodes and one-row inference time of the shipped model."""
	info = run([eg, "model", "info", path])
	facts = {"file": "%s, %d bytes" % (os.path.basename(path),
					     os.path.getsize(path))}
	for line in info.splitlines():
		for key in ("trees:", "inference:"):
			if line.startswith(key):
				facts[key.rstrip(":")] = line.split(":", 1)[1].strip()
	bench = run([eg, "model", "bench", path, csv, "20000"])
	best = None
	for line in bench.splitlines():
		f = line.split()
		if len(f) == 4 and f[1].replace(".", "", 1).isdigit():
			if best is None or float(f[1]) < best[1]:
				best = (f[0], float(f[1]), float(f[2]))
	if best:
		facts["one-row inference"] = ("%.1f us (layout %s; batch %.1f us/row; "
					      "`echoguard model bench`, 20000 rows, on a "
					      "shared 2-core VM)" % (best[1] / 1000, best[0],
								    best[2] / 1000))
	return facts


if __name__ == "__main__":
	main()
