"""Image flows through the CLI on Fashion-MNIST (a tiny realnvp, briefly trained): decode(encode(x))
gives back the exact 8-bit levels of a CSV of images; eval's bits/dim is -log p(x) / (784 ln 2) of
the printed log p(x); sample --temperature writes a grid."""
import math
import os
import random
import re
import sys
import tempfile

from common import SKIP, parse_args, read_csv, run

args = parse_args()
FASHION = "/usr/share/datasets/fashion-mnist"
if not os.path.isdir(FASHION):
    print(f"skipped: {FASHION} is not installed")
    sys.exit(SKIP)

failures = 0


def check(ok, what):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    failures += not ok


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "realnvp")
    run(args.latentkit, "train", "--model", "realnvp", "--data", "fashion-mnist", "--limit", 512, "--epochs", 1,
        "--flow-steps", 1, "--flow-hidden", 8, "--out", out, "--quiet")

    random.seed(3)
    images = [[random.randrange(256) for _ in range(784)] for _ in range(5)]
    src = os.path.join(tmp, "in.csv")
    with open(src, "w") as f:
        f.write(",".join(f"p{j}" for j in range(784)) + "\n")
        for row in images:
            f.write(",".join(map(str, row)) + "\n")
    z = os.path.join(tmp, "z.csv")
    back = os.path.join(tmp, "back.csv")
    run(args.latentkit, "encode", "--run", out, "--input", src, "--out", z)
    run(args.latentkit, "decode", "--run", out, "--input", z, "--out", back)
    _, rows = read_csv(back)
    err = max(abs(a - b) for ra, rb in zip(rows, images) for a, b in zip(ra, rb))
    check(len(rows) == 5 and err < 1e-3, f"decode(encode(x)) gives the 8-bit levels back (max error {err:.2e})")

    ev = run(args.latentkit, "eval", "--run", out).stdout
    m = re.search(r"^log p\(x\)\s+>= (-?[0-9.]+) nats\s+\(([0-9.]+) bits/dim\)", ev, re.M)
    if m:
        hand = -float(m.group(1)) / (784 * math.log(2))
        check(abs(hand - float(m.group(2))) < 1e-3 and 1 < hand < 20,
              f"bits/dim {m.group(2)} = -log p / (784 ln 2) = {hand:.4f}")
    else:
        check(False, f"no log p(x) line in:\n{ev}")

    png = os.path.join(tmp, "cold.png")
    run(args.latentkit, "sample", "--run", out, "--n", 16, "--temperature", 0.7, "--out", png)
    check(os.path.getsize(png) > 100, "sample --temperature 0.7 wrote a PNG")

print(f"{'failed' if failures else 'all passed'} ({failures} failures)")
sys.exit(1 if failures else 0)
