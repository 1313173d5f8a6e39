#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""layer-check.py: the #includes of src/ and include/echoguard/ follow the
layers of src/layers.txt.

  tests/layer-check.py [SOURCE_DIR]

A file of layer L (src/L/..., include/echoguard/L/...) may include
"echoguard/M/..." only when M is L or a layer L may use, and a private
header "x.h" only when it lies beside it in src/L. The headers' include
graph must have no cycle (a header that, through others, includes itself).
Exit 0 when every rule holds, 1 with one line per violation
"FILE:LINE: ..." otherwise, 2 on a malformed layers.txt.
Covered by the ctest test layer-check and, with a planted upward include,
layer-check-selftest.
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_layers(path):
    layers = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"([a-z]+):\s*([a-z ]*)", line)
            if not m:
                sys.exit(f"{path}:{n}: expected 'layer: deps...', got {line!r}")
            name, deps = m.group(1), m.group(2).split()
            for d in deps:
                if d not in layers:
                    sys.exit(f"{path}:{n}: {name} uses {d}, which is not "
                             "listed above it (layers are listed lowest first)")
            layers[name] = set(deps)
    return layers


def layer_of(rel):
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    if parts[:2] == ["include", "echoguard"] and len(parts) > 3:
        return parts[2]
    return None


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    layers = read_layers(os.path.join(top, "src", "layers.txt"))
    problems = []
    graph = {}  # header (path relative to top) -> headers it includes
    files = []
    for root in ("src", os.path.join("include", "echoguard")):
        for dirpath, _, names in os.walk(os.path.join(top, root)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, name), top))
    for rel in sorted(files):
        layer = layer_of(rel)
        if layer is None:
            problems.append(f"{rel}: not inside a layer folder")
            continue
        if layer not in layers:
            problems.append(f"{rel}: layer {layer!r} is not in src/layers.txt")
            continue
        allowed = layers[layer] | {layer}
        edges = graph.setdefault(rel, [])
        with open(os.path.join(top, rel), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INC.match(line)
                if not m:
                    continue
                target = m.group(1)
                if target.startswith("echoguard/"):
                    parts = target.split("/")
                    if len(parts) != 3:
                        problems.append(f"{rel}:{n}: {target}: public headers "
                                        "are echoguard/LAYER/NAME.h")
                        continue
                    if parts[1] not in allowed:
                        problems.append(
                            f"{rel}:{n}: {layer} includes {target}: layer "
                            f"{parts[1]} is not below {layer} (src/layers.txt: "
                            f"{layer}: {' '.join(sorted(layers[layer])) or '-'})")
                    edges.append(os.path.join("include", target))
                else:
                    here = os.path.normpath(os.path.join(os.path.dirname(rel), target))
                    if rel.startswith("include/") or layer_of(here) != layer \
                            or not os.path.exists(os.path.join(top, here)):
                        problems.append(f"{rel}:{n}: {target}: a private header "
                                        "must lie beside the file in its own layer")
                    edges.append(here)
    problems += cycles(graph)
    for p in problems:
        print(p)
    print(f"layer-check: {len(files)} files, {len(layers)} layers, "
          f"{len(problems)} problems")
    return 1 if problems else 0


def cycles(graph):
    """Each cycle in the include graph, once, as 'a -> b -> a'."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                loop = stack[stack.index(nxt):] + [nxt]
                found.append("include cycle: " + " -> ".join(loop))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


if __name__ == "__main__":
    sys.exit(main())
