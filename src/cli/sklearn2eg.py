#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sklearn2eg: export a fitted sklearn RandomForestClassifier (or a single
DecisionTreeClassifier) to an echoguard model file (docs/model-format.md),
so forests trained the way the research papers trained them deploy on the
gateway unchanged.

  sklearn2eg.py convert MODEL.pkl -o OUT.egm --schema seed --schema-version 1
                [--features a,b,c]
  sklearn2eg.py fit DATA.csv -o OUT.egm [--trees N] [--max-depth D]
                [--seed S] [--features a,b,c] [--label class]
                [--predict DATA.csv PRED.txt] [--jobs N]

`fit` trains sklearn on a feature CSV (what `echoguard extract` writes) and
converts it; with --predict it also writes sklearn's predicted class names,
one per line, for comparing with `echoguard`.

Thresholds: sklearn compares float32 features with float64 thresholds;
echoguard compares floats with float thresholds, so each threshold becomes
the largest float not above it, which makes `x <= t` decide identically for
every float x. Leaf values are normalised to probabilities (float64, as
sklearn's predict_proba).  Uses Debian's python3-sklearn and python3-numpy.
"""
import argparse
import json
import pickle
import struct
import sys
import zlib

import numpy as np

MAGIC = b"EGFOREST"
VERSION = 1
NON_FEATURES = {"date", "dstip", "synchronized", "class", "source"}


def _str(s):
    b = s.encode("utf-8")
    if not 0 < len(b) <= 255:
        raise ValueError("name %r must be 1 to 255 bytes" % s)
    return struct.pack("<I", len(b)) + b


def _section(tag, payload):
    return tag + struct.pack("<II", len(payload), zlib.crc32(payload) & 0xffffffff) + payload


def float_below(t):
    """Largest float32 f with f <= t (t a float64)."""
    f = np.float32(t)
    if float(f) > t:
        f = np.nextafter(f, np.float32(-np.inf))
    return f


def _tree_payload(tree, n_classes):
    t = tree.tree_
    left, right = t.children_left, t.children_right
    nodes, leaves = [], []
    order, index = [], {}
    stack = [0]
    while stack:  # preorder renumbering, left subtree first
        i = stack.pop()
        index[i] = len(order)
        order.append(i)
        if left[i] != -1:
            stack.append(right[i])
            stack.append(left[i])
    for i in order:
        if left[i] == -1:
            v = np.asarray(t.value[i][0], dtype=np.float64)
            s = v.sum()
            p = v / s if s > 0 else np.full(n_classes, 1.0 / n_classes)
            nodes.append(struct.pack("<ifII", -1, 0.0, len(leaves), 0))
            leaves.append(p)
        else:
            nodes.append(struct.pack("<ifII", int(t.feature[i]),
                                     float(float_below(float(t.threshold[i]))),
                                     index[left[i]], index[right[i]]))
    out = struct.pack("<II", len(nodes), len(leaves)) + b"".join(nodes)
    out += b"".join(struct.pack("<%dd" % n_classes, *p) for p in leaves)
    return out


def convert(clf, path, feature_names, schema="custom", schema_version=0, meta=None):
    """Write clf (fitted RandomForestClassifier or DecisionTreeClassifier)."""
    trees = list(getattr(clf, "estimators_", [clf]))
    classes = [str(c) for c in clf.classes_]
    n_features = clf.n_features_in_
    if len(feature_names) != n_features:
        raise ValueError("%d feature names for a model of %d features"
                         % (len(feature_names), n_features))
    if getattr(clf, "n_outputs_", 1) != 1:
        raise ValueError("multi-output models are not supported")
    sections = []
    p = _str(schema) + struct.pack("<II", schema_version, n_features)
    p += b"".join(_str(n) for n in feature_names)
    sections.append(_section(b"SCHM", p))
    p = struct.pack("<I", len(classes)) + b"".join(_str(c) for c in classes)
    sections.append(_section(b"CLAS", p))
    imp = np.asarray(clf.feature_importances_, dtype=np.float64)
    p = struct.pack("<I", len(trees)) + struct.pack("<%dd" % n_features, *imp)
    p += struct.pack("<I", 0)
    sections.append(_section(b"FRST", p))
    for t in trees:
        sections.append(_section(b"TREE", _tree_payload(t, len(classes))))
    import sklearn
    m = dict(meta or {})
    m.setdefault("tool", "sklearn2eg (sklearn %s)" % sklearn.__version__)
    m.setdefault("params", {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
                            for k, v in clf.get_params().items()})
    sections.append(_section(b"META", json.dumps(m).encode()))
    data = MAGIC + struct.pack("<II", VERSION, len(sections)) + b"".join(sections)
    with open(path, "wb") as f:
        f.write(data)


def read_csv(path, features, label):
    import csv
    with open(path, newline="") as f:
        rd = csv.reader(f)
        hdr = next(rd)
        if features is None:
            features = [h for h in hdr if h not in NON_FEATURES and h != label]
        cols = [hdr.index(c) for c in features]
        lc = hdr.index(label)
        X, y = [], []
        for row in rd:
            if not row:
                continue
            X.append([float(row[c]) for c in cols])
            y.append(row[lc])
    return np.asarray(X, dtype=np.float32), np.asarray(y), features


def main(argv):
    ap = argparse.ArgumentParser(prog="sklearn2eg.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert")
    c.add_argument("model")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("--schema", default="custom")
    c.add_argument("--schema-version", type=int, default=0)
    c.add_argument("--features")
    f = sub.add_parser("fit")
    f.add_argument("data")
    f.add_argument("-o", "--output", required=True)
    f.add_argument("--trees", type=int, default=100)
    f.add_argument("--max-depth", type=int, default=0)
    f.add_argument("--max-features", default="sqrt")
    f.add_argument("--seed", type=int, default=6)
    f.add_argument("--jobs", type=int, default=1)
    f.add_argument("--features")
    f.add_argument("--label", default="class")
    f.add_argument("--schema", default="custom")
    f.add_argument("--schema-version", type=int, default=0)
    f.add_argument("--predict", nargs=2, metavar=("DATA", "OUT"))
    a = ap.parse_args(argv)
    feats = a.features.split(",") if a.features else None
    if a.cmd == "convert":
        with open(a.model, "rb") as fh:
            clf = pickle.load(fh)
        names = feats or [str(n) for n in getattr(clf, "feature_names_in_",
                                                  ["f%d" % i for i in range(clf.n_features_in_)])]
        convert(clf, a.output, names, a.schema, a.schema_version)
        return 0
    from sklearn.ensemble import RandomForestClassifier
    X, y, names = read_csv(a.data, feats, a.label)
    mf = a.max_features
    mf = None if mf == "all" else (int(mf) if mf.isdigit() else mf)
    clf = RandomForestClassifier(n_estimators=a.trees, max_depth=a.max_depth or None,
                                 max_features=mf, random_state=a.seed, n_jobs=a.jobs)
    clf.fit(X, y)
    convert(clf, a.output, names, a.schema, a.schema_version,
            {"data": [a.data], "rows": int(len(y))})
    if a.predict:
        X2, _, _ = read_csv(a.predict[0], names, a.label)
        with open(a.predict[1], "w") as fh:
            fh.writelines("%s\n" % p for p in clf.predict(X2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
