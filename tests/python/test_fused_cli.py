"""The fused training steps through the CLI on a slice of Fashion-MNIST: the reference VAE and
the plain autoencoder reach the same losses with and without them (`--no-fused`), bf16
(`--precision bf16`) stays close, and the flags that cannot apply are refused in one line."""
import json
import os
import tempfile

from common import Checks, parse_args, require_fashion_mnist, run

args = parse_args()
require_fashion_mnist()

check = Checks()


def last_metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()][-1]


def train(tmp, name, model, *extra):
    out = os.path.join(tmp, name)
    run(args.latentkit, "train", "--model", model, "--limit", 3000, "--epochs", 2, "--seed", 3,
        "--out", out, "--quiet", *extra)
    return last_metrics(out)


def refused(proc, word, what):
    lines = proc.stderr.strip().splitlines()
    check(proc.returncode != 0 and len(lines) == 1 and word in lines[0],
          f"{what} refused in one line: {proc.stderr.strip()}")


with tempfile.TemporaryDirectory() as tmp:
    fused_runs = {}
    for model in ("vae", "ae"):
        fused = fused_runs[model] = train(tmp, f"{model}-fused", model)
        plain = train(tmp, f"{model}-autograd", model, "--no-fused")
        # The same computation in a different order of float operations: after 2 epochs
        # (48 Adam steps) the losses agree to well under 0.1%.
        for split in ("train", "test"):
            a, b = fused[split]["loss"], plain[split]["loss"]
            check(abs(a - b) <= 1e-3 * abs(b),
                  f"{model}: fused {split} loss {a:.4f} vs autograd {b:.4f}")
        with open(os.path.join(tmp, f"{model}-autograd", "config.json")) as f:
            check(json.load(f)["train"]["fused"] is False, f"{model}: config.json records --no-fused")

    info = run(args.latentkit, "info").stdout
    if "bf16 available" in info:
        fp32 = fused_runs["vae"]
        bf16 = train(tmp, "vae-bf16", "vae", "--precision", "bf16")
        a, b = bf16["test"]["elbo"], fp32["test"]["elbo"]
        check(abs(a - b) <= 0.01 * abs(b) and a != b,
              f"vae: bf16 test ELBO {a:.3f} within 1% of fp32 {b:.3f} (and not identical)")
    else:
        print("bf16 not available here: its comparison skipped")

    refused(run(args.latentkit, "train", "--model", "dae", "--precision", "bf16", "--limit", 500,
                "--epochs", 1, "--out", os.path.join(tmp, "x"), check=False),
            "--precision bf16", "bf16 for a model without a fused step")
    refused(run(args.latentkit, "train", "--model", "vae", "--precision", "fp16", "--limit", 500,
                "--epochs", 1, "--out", os.path.join(tmp, "y"), check=False),
            "--precision", "an unknown precision")
    refused(run(args.latentkit, "train", "--model", "vae", "--blas-threads", -1, "--limit", 500,
                "--epochs", 1, "--out", os.path.join(tmp, "z"), check=False),
            "--blas-threads", "a negative BLAS thread count")

check.finish()
