"""The adversarial autoencoder, the RBM and the deep autoencoder through the CLI on a slice of
Fashion-MNIST: each trains (deep-ae's pretraining epochs come first), its loss falls, and it
samples (where it has a prior), reconstructs, encodes and scores."""
import json
import os
import tempfile

from common import Checks, parse_args, read_csv, require_fashion_mnist, run

args = parse_args()
require_fashion_mnist()

check = Checks()


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


# kind, extra training flags, epochs lines expected, latent width, has a prior
CASES = [
    ("aae", ["--epochs", 2, "--latent", 8], 2, 8, True),
    ("aae", ["--epochs", 1, "--latent", 2, "--prior", "mixture:10"], 1, 2, True),
    ("rbm", ["--epochs", 2, "--latent", 64, "--gibbs-steps", 50], 2, 64, True),
    # 3 RBMs pretrained 1 epoch each, then 2 epochs of fine-tuning.
    ("deep-ae", ["--epochs", 2, "--pretrain-epochs", 1, "--hidden", "256,64", "--latent", 16], 5, 16, False),
    # 32 encoder outputs as 8 positions of 4 values: encode writes 8 code indices.
    ("vqvae", ["--epochs", 2, "--latent", 32, "--ema"], 2, 8, True),
    ("vamp", ["--epochs", 2, "--latent", 8, "--pseudo-inputs", 50], 2, 8, True),
]

with tempfile.TemporaryDirectory() as tmp:
    for i, (kind, flags, lines, latent, has_prior) in enumerate(CASES):
        out = os.path.join(tmp, f"{kind}{i}")
        run(args.latentkit, "train", "--model", kind, "--limit", 3000, *flags, "--out", out, "--quiet")
        m = metrics(out)
        check(len(m) == lines, f"{kind}: {len(m)} epochs in metrics.jsonl (expected {lines})")
        train_losses = [e["train"]["loss"] for e in m]
        # The last two epochs optimise the same objective: the later one must have a lower loss.
        if len(m) > 1:
            check(train_losses[-1] < train_losses[-2], f"{kind}: train loss falls {train_losses}")
        if kind == "aae":
            check(all(k in m[-1]["test"] for k in ("mmd", "disc_loss", "disc_acc", "gen_loss")),
                  f"aae: test terms {sorted(m[-1]['test'])}")
        check(os.path.exists(os.path.join(out, "checkpoints", "best.pt")), f"{kind}: best.pt written")

        codes = os.path.join(tmp, f"codes{i}.csv")
        run(args.latentkit, "encode", "--run", out, "--out", codes)
        header, rows = read_csv(codes)
        check(len(rows) == 10000 and header[:latent] == [f"z{j}" for j in range(latent)],
              f"{kind}: encode wrote {len(rows)} rows of {header[:3]}...")
        rec = os.path.join(tmp, f"rec{i}.png")
        run(args.latentkit, "reconstruct", "--run", out, "--n", 16, "--out", rec)
        check(os.path.getsize(rec) > 0, f"{kind}: reconstruct wrote a PNG")
        scores = os.path.join(tmp, f"scores{i}.csv")
        run(args.latentkit, "score", "--run", out, "--out", scores)
        header, rows = read_csv(scores)
        check("reconstruction_error" in header and len(rows) == 10000, f"{kind}: score columns {header}")
        samples = os.path.join(tmp, f"samples{i}.png")
        proc = run(args.latentkit, "sample", "--run", out, "--n", 16, "--out", samples, check=False)
        if has_prior:
            check(proc.returncode == 0 and os.path.getsize(samples) > 0, f"{kind}: sample wrote a PNG")
        else:
            check(proc.returncode == 2 and "no prior" in proc.stderr and "--sampler gaussian" in proc.stderr,
                  f"{kind}: sample refused in one line: {proc.stderr.strip()}")
            run(args.latentkit, "sample", "--run", out, "--n", 16, "--sampler", "gaussian", "--out", samples)
            check(os.path.getsize(samples) > 0, f"{kind}: sample --sampler gaussian wrote a PNG")

    # L-BFGS fine-tuning from random initialisation, checkpointed and resumed for a second epoch.
    out = os.path.join(tmp, "lbfgs")
    common = ["--model", "deep-ae", "--finetune", "lbfgs", "--pretrain-epochs", 0, "--hidden", 64,
              "--latent", 8, "--batch-size", 1000, "--limit", 3000, "--out", out, "--quiet"]
    run(args.latentkit, "train", *common, "--epochs", 1)
    run(args.latentkit, "train", "--resume", "--epochs", 2, "--out", out, "--quiet")
    m = metrics(out)
    check(len(m) == 2 and m[1]["test"]["loss"] < m[0]["test"]["loss"],
          f"deep-ae lbfgs: resumed to {len(m)} epochs, test loss {[e['test']['loss'] for e in m]}")

    bad = run(args.latentkit, "train", "--model", "rbm", "--scaling", "standardize", "--limit", 100,
              "--out", os.path.join(tmp, "bad"), check=False)
    check(bad.returncode == 2 and "--scaling" in bad.stderr, f"rbm on standardized data refused: {bad.stderr.strip()}")
    bad = run(args.latentkit, "train", "--model", "aae", "--prior", "mixture:4", "--limit", 100,
              "--out", os.path.join(tmp, "bad"), check=False)
    check(bad.returncode == 2 and "latent_dim" in bad.stderr, f"mixture prior with --latent 20 refused: {bad.stderr.strip()}")

check.finish()
