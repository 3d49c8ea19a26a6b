"""Flows through the CLI: flow2d on moons writes its density picture; decode inverts encode
(f(f^-1(z)) = z through the files); the mean of `score` equals `eval`'s exact log p(x); a lower
sampling temperature gives a tighter spread; an image flow on 2-D data is refused in one line."""
import math
import os
import re
import sys
import tempfile

from common import parse_args, read_csv, run

args = parse_args()
failures = 0


def check(ok, what):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    failures += not ok


def column(path, name):
    header, rows = read_csv(path)
    return [r[header.index(name)] for r in rows]


def spread(path):
    _, rows = read_csv(path)
    n = len(rows)
    mean = [sum(r[j] for r in rows) / n for j in range(2)]
    return sum((r[j] - mean[j]) ** 2 for r in rows for j in range(2)) / n


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "moons")
    run(args.latentkit, "train", "--model", "flow2d", "--data", "moons", "--epochs", 3, "--flow-steps", 4,
        "--flow-hidden", 32, "--out", out, "--quiet")
    check(os.path.getsize(os.path.join(out, "density.png")) > 100, "density.png written")

    z = os.path.join(tmp, "z.csv")
    x = os.path.join(tmp, "x.csv")
    z2 = os.path.join(tmp, "z2.csv")
    run(args.latentkit, "encode", "--run", out, "--out", z)
    run(args.latentkit, "decode", "--run", out, "--input", z, "--out", x)
    run(args.latentkit, "encode", "--run", out, "--input", x, "--out", z2)
    _, a = read_csv(z)
    _, b = read_csv(z2)
    err = max(abs(p - q) for ra, rb in zip(a, b) for p, q in zip(ra, rb))
    check(len(a) == len(b) and err < 1e-3, f"encode(decode(z)) = z through CSV files (max error {err:.2e})")

    scores = os.path.join(tmp, "scores.csv")
    run(args.latentkit, "score", "--run", out, "--out", scores)
    ll = column(scores, "log_likelihood")
    ev = run(args.latentkit, "eval", "--run", out).stdout
    m = re.search(r"^log p\(x\)\s+(-?[0-9.]+) nats", ev, re.M)
    mean = sum(ll) / len(ll)
    check(m is not None and abs(float(m.group(1)) - mean) < 1e-3 and ">=" not in m.group(0),
          f"eval's exact log p(x) {m.group(1) if m else '?'} = mean score {mean:.4f}")

    cold = os.path.join(tmp, "cold.csv")
    warm = os.path.join(tmp, "warm.csv")
    run(args.latentkit, "sample", "--run", out, "--n", 2000, "--temperature", 0.5, "--out", cold)
    run(args.latentkit, "sample", "--run", out, "--n", 2000, "--out", warm)
    check(spread(cold) < spread(warm), f"temperature 0.5 spread {spread(cold):.3f} < 1.0 spread {spread(warm):.3f}")

    bad = run(args.latentkit, "train", "--model", "realnvp", "--data", "moons", "--out",
              os.path.join(tmp, "bad"), "--quiet", check=False)
    check(bad.returncode == 2 and "--model" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1,
          f"realnvp on 2-D data refused: exit {bad.returncode}, {bad.stderr.strip()}")
    bad = run(args.latentkit, "sample", "--run", out, "--temperature", 0, "--out", cold, check=False)
    check(bad.returncode == 2 and "--temperature" in bad.stderr, f"temperature 0 refused: {bad.stderr.strip()}")

print(f"{'failed' if failures else 'all passed'} ({failures} failures)")
sys.exit(1 if failures else 0)
