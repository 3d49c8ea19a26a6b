#!/usr/bin/env python3
"""Fails (exit 1) when a file of a lower layer includes a header of a higher one.

The layers, bottom to top, are listed in LAYERS (and in docs/DESIGN.md): a file in
include/latentkit/<layer>/ or src/<layer>/ may include headers of its own layer and of the
layers below it. include/latentkit/error.h belongs to util, the umbrella include/latentkit/latentkit.h to api.
Usage: scripts/check_layers.py [ROOT]   (default: the repository holding this script)
"""
import pathlib
import re
import sys

LAYERS = ["util", "data", "stats", "nn", "models", "flows", "catalog", "exec", "eval", "viz",
          "export", "dist", "train", "api", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"latentkit/([^"]+)"', re.M)


def layer_of_header(path):
    """'models/vae.h' -> 'models'; 'error.h' -> 'util'; the umbrella 'latentkit.h' -> 'api'."""
    if path == "latentkit.h":
        return "api"
    return path.split("/")[0] if "/" in path else "util"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    files = []
    for base, depth in ((root / "include" / "latentkit", 0), (root / "src", 0)):
        for f in sorted(base.rglob("*")):
            if f.suffix not in (".h", ".cpp"):
                continue
            rel = f.relative_to(base).as_posix()
            files.append((f, layer_of_header(rel)))
    problems = []
    unknown = set()
    for f, layer in files:
        if layer not in LAYERS:
            unknown.add(layer)
            continue
        for included in INCLUDE.findall(f.read_text(errors="replace")):
            target = layer_of_header(included)
            if target not in LAYERS:
                unknown.add(target)
            elif LAYERS.index(target) > LAYERS.index(layer):
                problems.append(f"{f.relative_to(root)}: layer '{layer}' includes latentkit/{included} "
                                f"of the higher layer '{target}'")
    for name in sorted(unknown):
        problems.append(f"layer '{name}' is not in the list of layers (scripts/check_layers.py)")
    for p in problems:
        print(p)
    print(f"checked {len(files)} files against layers {' < '.join(LAYERS)}: "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
