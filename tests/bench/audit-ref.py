#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""audit-ref.py: helpers of bench-mlp.sh (issue 14).

  audit-ref.py users-traces VCF_DIR OUT   pseudo-users from the trace CSVs
  audit-ref.py users-pcaps VCF_DIR OUT    the same from the captures, cut
                                          per interactions.csv row (editcap)
  audit-ref.py sklearn DUMP.csv           sklearn's MLPClassifier on the
                                          features and splits of
                                          `echoguard audit traces --split
                                          70/10/20 --dump`

The pseudo-user rule: every capture holds 5 repetitions of one command, said
one after the other by the same person; the K-th repetition of every
command is pseudo-user K (user_K/COMMAND/NAME). Same person, same voice:
a classifier can only find what differs between a first and a fifth
repetition (order, time of day, the cloud's state), so chance (20 %) is
the expected answer, and a result above it would measure those, not a
voice.

The reference fits exactly as echoguard's mlp (src/audit/mlp.c): inputs
standardised on the training part, the grid (100,), (256,), (100, 100),
alpha 1e-4, Adam lr 1e-3, batches of min(200, n), one partial_fit per
epoch (sklearn's own epoch: shuffled mini-batches), early stopping on the
validation part's log loss (no gain above 1e-4 for 10 epochs, at most 500
epochs, the best epoch's weights restored), the grid point with the best
validation accuracy scored on the test part. Prints the mean test accuracy
and the total fitting time.
"""
import copy
import csv
import os
import re
import subprocess
import sys
import time

GRID = ((100,), (256,), (100, 100))


def users_traces(vcf, out):
    src = os.path.join(vcf, "traces")
    for name in sorted(os.listdir(src)):
        m = re.match(r"(.*)_(\d+)\.csv$", name)
        if not m:
            continue
        d = os.path.join(out, "user_" + m.group(2), m.group(1))
        os.makedirs(d, exist_ok=True)
        os.symlink(os.path.abspath(os.path.join(src, name)),
                   os.path.join(d, name))


def users_pcaps(vcf, out):
    with open(os.path.join(vcf, "interactions.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["source"] == "trace"]
    for r in rows:
        m = re.match(r"(.*)_(\d+)\.csv$", r["trace"])
        d = os.path.join(out, "user_" + m.group(2), m.group(1))
        os.makedirs(d, exist_ok=True)
        subprocess.run(["editcap", "-A", r["start"], "-B",
                        "%.6f" % (float(r["end"]) + 1e-6),
                        os.path.join(vcf, "pcap", r["pcap"]),
                        os.path.join(d, m.group(0)[:-4] + ".pcap")],
                       check=True, stdout=subprocess.DEVNULL)


def fit_one(h, X, y, Xv, yv, classes, seed):
    import numpy as np
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=h, alpha=1e-4,
                        batch_size=min(200, len(y)), learning_rate_init=1e-3,
                        random_state=seed, shuffle=True)
    best, stale, keep = np.inf, 0, None
    for _ in range(500):
        clf.partial_fit(X, y, classes=classes)
        loss = log_loss(yv, clf.predict_proba(Xv), labels=classes)
        stale = stale + 1 if loss > best - 1e-4 else 0
        if loss < best:
            best = loss
            keep = (copy.deepcopy(clf.coefs_), copy.deepcopy(clf.intercepts_))
        if stale >= 10:
            break
    clf.coefs_, clf.intercepts_ = keep
    return clf


def reference(dump):
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    with open(dump) as f:
        rd = csv.reader(f)
        head = next(rd)
        rows = list(rd)
    sp = [i for i, h in enumerate(head) if h.startswith("split_")]
    first = max(sp) + 1
    y = np.array([r[1] for r in rows])
    X = np.array([[float(v) for v in r[first:]] for r in rows])
    classes = np.unique(y)
    accs, fit_s = [], 0.0
    for k, col in enumerate(sp):
        part = np.array([r[col] for r in rows])
        tr, va, te = (part == "train"), (part == "val"), (part == "test")
        sc = StandardScaler().fit(X[tr])
        Xt, Xv, Xe = sc.transform(X[tr]), sc.transform(X[va]), sc.transform(X[te])
        best, pick = -1, None
        for h in GRID:
            t0 = time.perf_counter()
            clf = fit_one(h, Xt, y[tr], Xv, y[va], classes, k + 1)
            fit_s += time.perf_counter() - t0
            acc = (clf.predict(Xv) == y[va]).mean()
            if acc > best:
                best, pick = acc, clf
        accs.append((pick.predict(Xe) == y[te]).mean())
    print("sklearn_mlp %.4f %.2f %d" % (np.mean(accs), fit_s, len(accs)))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "users-traces" and len(sys.argv) == 4:
        users_traces(sys.argv[2], sys.argv[3])
    elif cmd == "users-pcaps" and len(sys.argv) == 4:
        users_pcaps(sys.argv[2], sys.argv[3])
    elif cmd == "sklearn" and len(sys.argv) == 3:
        reference(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
