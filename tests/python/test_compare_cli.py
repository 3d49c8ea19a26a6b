"""`latentkit compare` on a slice of Fashion-MNIST: its table agrees with `eval` run on the same
runs, its kNN accuracy with a brute-force count over the codes `encode` writes, a second call
reuses the trained runs and gives the same table, and bad arguments are refused in one line."""
import csv
import json
import os
import tempfile

from common import Checks, import_torch, parse_args, require_fashion_mnist, run

args = parse_args()
require_fashion_mnist()
torch = import_torch()

check = Checks()


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def read_table(path):
    with open(path) as f:
        return {row["model"]: row for row in csv.DictReader(f)}


def knn_brute_force(train, train_y, test, test_y, k):
    """Majority vote of the k nearest training codes; a tied vote goes to the tied label whose
    nearest member is closest."""
    d = torch.cdist(test.double(), train.double())
    idx = d.topk(k, largest=False).indices  # [M, k], nearest first
    right = 0
    for i in range(test.shape[0]):
        labels = train_y[idx[i]].tolist()
        counts = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        best = max(counts.values())
        tied = [lab for lab in counts if counts[lab] == best]
        winner = next(lab for lab in labels if lab in tied)  # nearest first
        right += winner == int(test_y[i])
    return right / test.shape[0]


def codes(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    t = torch.tensor([[float(v) for v in r] for r in rows[1:]])
    return t[:, :-1], t[:, -1].long()


MODELS = ["ae", "vae", "gaussian", "gmm"]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "cmp")
    flags = ["compare", "--models", ",".join(MODELS), "--epochs", 1, "--limit", 2000, "--k", 5,
             "--fd-samples", 500, "--cache", os.path.join(tmp, "cache"), "--out", out]
    first = run(args.latentkit, *flags)
    table = read_table(os.path.join(out, "compare.csv"))
    check(list(table) == MODELS, f"one row per model in order: {list(table)}")
    md = open(os.path.join(out, "compare.md")).read()
    check(all(f"| {m} |" in md for m in MODELS), "compare.md has every model's row")

    # Reconstruction error and likelihoods: the same figures as `eval` on the same runs.
    ev = {}
    for m in MODELS:
        proc = run(args.latentkit, "eval", os.path.join(out, "runs", m), "--k", 5, "--json")
        ev[m] = json.loads(proc.stdout)
    check(close(float(table["ae"]["test_mse"]), ev["ae"]["mse"], 1e-4),
          f"ae MSE {table['ae']['test_mse']} = eval's {ev['ae']['mse']:.4f}")
    check(close(float(table["vae"]["nll_nats"]), -ev["vae"]["log_likelihood"], 5e-3),
          f"vae NLL {table['vae']['nll_nats']} ~ eval's {-ev['vae']['log_likelihood']:.3f} (IWAE k=5, other draws)")
    check(table["vae"]["nll_kind"] == "IWAE bound" and table["vae"]["nll_on_8bit_scale"] == "0",
          "vae NLL is marked an IWAE bound of its own likelihood")
    for m in ("gaussian", "gmm"):
        check(close(float(table[m]["bits_per_dim"]), ev[m]["bits_per_dim"], 5e-3),
              f"{m} bits/dim {table[m]['bits_per_dim']} ~ eval's {ev[m]['bits_per_dim']:.4f}")
        check(table[m]["nll_kind"] == "dequantisation bound" and table[m]["nll_on_8bit_scale"] == "1",
              f"{m} NLL is on the 8-bit scale")
        check(table[m]["test_mse"] == "", f"{m} has no reconstruction error")
    check(table["ae"]["nll_nats"] == "", "ae has no likelihood")

    # Parameters: the tensors of the checkpoint.
    ck = torch.load(os.path.join(out, "runs", "ae", "checkpoints", "last.pt"))
    check(int(table["ae"]["parameters"]) == sum(t.numel() for t in ck["model"].values()),
          f"ae parameters {table['ae']['parameters']}")

    # kNN accuracy: a brute-force count over the codes `encode` writes.
    ae = os.path.join(out, "runs", "ae")
    run(args.latentkit, "encode", "--run", ae, "--split", "train", "--out", os.path.join(tmp, "tr.csv"))
    run(args.latentkit, "encode", "--run", ae, "--split", "test", "--out", os.path.join(tmp, "te.csv"))
    tr, tr_y = codes(os.path.join(tmp, "tr.csv"))
    te, te_y = codes(os.path.join(tmp, "te.csv"))
    expected = knn_brute_force(tr, tr_y, te, te_y, 5)
    check(abs(float(table["ae"]["knn_accuracy"]) - expected) < 2e-3,
          f"ae 5-NN accuracy {table['ae']['knn_accuracy']} = brute force {expected:.4f}")

    # Sample quality: finite and positive; the ae samples through a fitted Gaussian.
    for m in MODELS:
        check(float(table[m]["fd_prior"]) > 0, f"{m} FD {table[m]['fd_prior']} ({table[m]['prior_sampler']})")
    check(table["ae"]["prior_sampler"] == "gaussian" and float(table["ae"]["fd_gmm"]) > 0,
          "ae samples through a Gaussian and a mixture fitted to its codes")
    for name in ("ae_samples.png", "ae_latent_map.png", "ae_loss.png", "vae_samples.png"):
        p = os.path.join(out, "plots", name)
        ok = os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        check(ok, f"plots/{name} is a PNG")

    # A second call reuses the runs and reproduces the table.
    second = run(args.latentkit, *flags)
    check(second.stdout.count("trained already") == len(MODELS), "second call trains nothing")
    again = read_table(os.path.join(out, "compare.csv"))
    same = all(close(float(again[m][c]), float(table[m][c]), 1e-4)
               for m in MODELS for c in ("fd_prior", "knn_accuracy") if table[m][c])
    check(same, "second call gives the same figures")

    # Refusals: one line, non-zero exit.
    for bad, needle in ((["--models", "ae,nosuch"], "nosuch"),
                        (["--runs", os.path.join(tmp, "missing")], "missing"),
                        (["--models", "ae", "--epochs", 0], "--epochs")):
        p = run(args.latentkit, "compare", *bad, "--out", os.path.join(tmp, "x"), check=False)
        err = p.stderr.strip()
        check(p.returncode != 0 and len(err.splitlines()) == 1 and needle in err,
              f"refused {bad}: {err!r}")

check.finish()
