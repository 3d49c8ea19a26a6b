"""The Gaussian mixture through the CLI on a slice of Fashion-MNIST: `train --model gmm` (EM, one
iteration per epoch), eval (a dequantisation bound in bits/dim), score, encode, sample; a plain
autoencoder sampled through `--sampler gmm:3`; `quality`; and one-line refusals of bad flags."""
import json
import os
import re
import tempfile

from common import Checks, parse_args, read_csv, require_fashion_mnist, run

args = parse_args()
require_fashion_mnist()

check = Checks()


def refused(proc, word, what):
    lines = proc.stderr.strip().splitlines()
    check(proc.returncode == 2 and len(lines) == 1 and word in lines[0],
          f"{what} refused in one line: {proc.stderr.strip()}")


with tempfile.TemporaryDirectory() as tmp:
    gmm = os.path.join(tmp, "gmm")
    run(args.latentkit, "train", "--model", "gmm", "--components", 5, "--limit", 2000, "--epochs", 3,
        "--out", gmm, "--quiet")
    with open(os.path.join(gmm, "metrics.jsonl")) as f:
        m = [json.loads(line) for line in f if line.strip()]
    losses = [e["train"]["loss"] for e in m]
    check(len(m) == 3 and losses[-1] < losses[0], f"gmm: EM lowers the training NLL {losses}")
    check("bits_per_dim" in m[-1]["test"], f"gmm: test terms {sorted(m[-1]['test'])}")

    out = run(args.latentkit, "eval", "--run", gmm).stdout
    line = [l for l in out.splitlines() if l.startswith("log p(x)")]
    check(len(line) == 1 and ">=" in line[0] and "dequantisation bound" in line[0],
          f"gmm: eval reports a dequantisation bound: {line}")
    if line:
        bpd = float(re.search(r"\(([\d.]+) bits/dim\)", line[0]).group(1))
        check(0 < bpd < 8 and abs(bpd - m[-1]["test"]["bits_per_dim"]) < 0.05,
              f"gmm: eval bits/dim {bpd} near the last epoch's {m[-1]['test']['bits_per_dim']}")

    scores = os.path.join(tmp, "scores.csv")
    run(args.latentkit, "score", "--run", gmm, "--out", scores)
    header, rows = read_csv(scores)
    check("log_likelihood" in header and len(rows) == 10000, f"gmm: score columns {header}")
    codes = os.path.join(tmp, "codes.csv")
    run(args.latentkit, "encode", "--run", gmm, "--out", codes)
    header, rows = read_csv(codes)
    sums = [sum(r[:5]) for r in rows[:50]]
    check(header[:5] == [f"z{j}" for j in range(5)] and all(abs(s - 1) < 1e-4 for s in sums),
          f"gmm: encode writes 5 responsibilities summing to 1 ({header[:6]})")
    samples = os.path.join(tmp, "gmm.png")
    run(args.latentkit, "sample", "--run", gmm, "--n", 16, "--out", samples)
    check(os.path.getsize(samples) > 0, "gmm: sample wrote a PNG")
    run(args.latentkit, "train", "--resume", "--out", gmm, "--epochs", 4, "--quiet")
    with open(os.path.join(gmm, "metrics.jsonl")) as f:
        check(len([l for l in f if l.strip()]) == 4, "gmm: --resume adds a fourth EM epoch")

    ae = os.path.join(tmp, "ae")
    run(args.latentkit, "train", "--model", "ae", "--latent", 4, "--limit", 2000, "--epochs", 1,
        "--out", ae, "--quiet")
    samples = os.path.join(tmp, "ae.png")
    run(args.latentkit, "sample", "--run", ae, "--n", 16, "--sampler", "gmm:3", "--out", samples)
    check(os.path.getsize(samples) > 0, "ae: sample --sampler gmm:3 wrote a PNG")
    run(args.latentkit, "sample", "--run", ae, "--n", 16, "--sampler", "gmm:3:diag", "--out", samples)
    cache = os.path.join(tmp, "cache")
    q = run(args.latentkit, "quality", "--run", ae, "--n", 500, "--sampler", "gmm:3", "--cache", cache).stdout
    check("frechet" in q and "reference" in q and "trained now" in q, f"quality output:\n{q}")
    q = run(args.latentkit, "quality", "--run", ae, "--n", 500, "--cache", cache,
            "--sampler", "gaussian").stdout
    check("cached in" in q and "trained now" not in q, "quality: the second run uses the cached classifier")

    refused(run(args.latentkit, "sample", "--run", ae, "--sampler", "gmm:0", "--out", samples, check=False),
            "gmm:0", "--sampler gmm:0")
    refused(run(args.latentkit, "sample", "--run", ae, "--sampler", "gmm:3:foo", "--out", samples, check=False),
            "foo", "--sampler gmm:3:foo")
    refused(run(args.latentkit, "train", "--model", "gmm", "--covariance", "foo", "--out",
                os.path.join(tmp, "bad"), check=False), "covariance", "--covariance foo")
    refused(run(args.latentkit, "train", "--model", "gmm", "--components", 0, "--out",
                os.path.join(tmp, "bad"), check=False), "gmm_components", "--components 0")
    refused(run(args.latentkit, "train", "--model", "gmm", "--components", 300, "--limit", 500,
                "--epochs", 1, "--out", os.path.join(tmp, "bad"), check=False), "--batch-size",
            "--components above the batch size")

check.finish()
