"""`latentkit export`: the TorchScript module, opened by Python's torch.jit.load, computes the codes
and scores `latentkit encode` and `latentkit score` write (to 1e-5), for MLP and conv
autoencoders and VAEs, flows and the mixture; the Embedding Projector's files hold the codes,
labels, class names and inputs of `latentkit encode`."""
import gzip
import json
import pathlib
import shutil
import struct
import tempfile

from common import Checks, FASHION_MNIST, import_torch, parse_args, read_csv, require_fashion_mnist, run

ROWS = 150  # raw rows compared; one batch of latentkit's (so the seeded noise is drawn alike)


def first_images(n):
    """The first n test images of Fashion-MNIST as raw rows of 784 pixel levels, read here."""
    with gzip.open(f"{FASHION_MNIST}/t10k-images-idx3-ubyte.gz", "rb") as f:
        _, _, h, w = struct.unpack(">IIII", f.read(16))
        data = f.read(n * h * w)
    return [[float(b) for b in data[i * h * w:(i + 1) * h * w]] for i in range(n)]


def write_csv(path, rows):
    with open(path, "w") as f:
        f.write(",".join(f"c{j}" for j in range(len(rows[0]))) + "\n")
        for r in rows:
            f.write(",".join(f"{v:.9g}" for v in r) + "\n")


def max_rel(a, b):
    return max(abs(x - y) / max(1.0, abs(y)) for x, y in zip(a, b))


def main():
    args = parse_args()
    torch = import_torch()
    require_fashion_mnist()
    lk = args.latentkit
    check = Checks()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="latentkit-export-"))
    try:
        images = tmp / "images.csv"
        write_csv(images, first_images(ROWS))
        moons = tmp / "moons.csv"
        # Points of the plane, some far from the moons (large negative log-likelihoods).
        write_csv(moons, [[-1.5 + 0.02 * i, 1.0 - 0.013 * i] for i in range(ROWS)])
        fashion = ["--data", "fashion-mnist", "--limit", "400", "--epochs", "1"]
        runs = {
            "vae": (["--model", "vae", "--hidden", "64", "--latent", "4", *fashion], images),
            "vae-conv": (["--model", "vae", "--architecture", "conv", "--latent", "4", *fashion], images),
            "ae": (["--model", "ae", "--hidden", "64", "--latent", "3", *fashion], images),
            "iwae": (["--model", "iwae", "--hidden", "32", "--latent", "3", *fashion], images),
            "realnvp": (["--model", "realnvp", *fashion], images),
            "flow2d": (["--model", "flow2d", "--data", "moons", "--epochs", "2"], moons),
            "gmm": (["--model", "gmm", "--data", "moons", "--epochs", "3"], moons),
        }
        for name, (train_args, rows_csv) in runs.items():
            rd = tmp / name
            run(lk, "train", *train_args, "--out", rd, "--quiet")
            pt = tmp / f"{name}.pt"
            run(lk, "export", rd, "--format", "torchscript", "--out", pt, "--quiet")
            m = torch.jit.load(str(pt))
            _, raw = read_csv(rows_csv)
            x = torch.tensor(raw, dtype=torch.float32)

            run(lk, "encode", rd, "--input", rows_csv, "--out", tmp / f"{name}_codes.csv", "--quiet")
            _, ref_codes = read_csv(tmp / f"{name}_codes.csv")
            codes = m.encode(x)
            got = [v for r in codes.tolist() for v in r]
            ref = [v for r in ref_codes for v in r]
            check(len(got) == len(ref) and max_rel(got, ref) < 1e-5,
                  f"{name}: torch.jit.load(...).encode equals latentkit encode ({len(ref_codes)}x{codes.shape[1]}, "
                  f"max relative difference {max_rel(got, ref) if len(got) == len(ref) else float('nan'):.1e})")

            k, seed = 20, 3
            run(lk, "score", rd, "--input", rows_csv, "--k", k, "--seed", seed, "--out",
                tmp / f"{name}_scores.csv", "--quiet")
            h, ref_scores = read_csv(tmp / f"{name}_scores.csv")
            torch.manual_seed(seed)
            s = m.score(x, k)
            err = s["reconstruction_error"].tolist()
            ref_err = [r[h.index("reconstruction_error")] for r in ref_scores]
            check(max_rel(err, ref_err) < 1e-5,
                  f"{name}: reconstruction_error equals latentkit score's (max relative {max_rel(err, ref_err):.1e})")
            if "log_likelihood" in h:
                ll = s["log_likelihood"].tolist()
                ref_ll = [r[h.index("log_likelihood")] for r in ref_scores]
                check(max_rel(ll, ref_ll) < 1e-5,
                      f"{name}: log_likelihood (k={k}, seed {seed}) equals latentkit score's "
                      f"(max relative {max_rel(ll, ref_ll):.1e}, values around {sum(ref_ll) / len(ref_ll):.1f})")
            check(m.kind == train_args[1] and int(m.latent_dim) == codes.shape[1],
                  f"{name}: the module says its kind ({m.kind}) and latent size ({m.latent_dim})")

        # Decoding: the module's decode(encode(x)) is latentkit reconstruct's rows.
        run(lk, "reconstruct", tmp / "vae", "--input", images, "--n", ROWS, "--out", tmp / "recon.csv", "--quiet")
        _, ref_recon = read_csv(tmp / "recon.csv")
        m = torch.jit.load(str(tmp / "vae.pt"))
        _, raw = read_csv(images)
        recon = m.reconstruct(torch.tensor(raw, dtype=torch.float32)).tolist()
        worst = max(abs(a - b) for r, q in zip(recon, ref_recon) for a, b in zip(r, q))
        check(len(recon) == len(ref_recon) and worst < 1e-3,
              f"vae: reconstruct equals latentkit reconstruct in pixel levels (max difference {worst:.1e} of 255)")

        # A file that is not a run: one line, exit 2, nothing written.
        proc = run(lk, "export", tmp / "images.csv", "--format", "torchscript", "--out", tmp / "bad.pt", check=False)
        check(proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and not (tmp / "bad.pt").exists(),
              f"export of a non-run: exit 2, one line ({proc.stderr.strip()})")
        proc = run(lk, "export", tmp / "vae", "--format", "onnx", "--out", tmp / "x", check=False)
        check(proc.returncode == 2 and "onnx" in proc.stderr, f"an unknown format: exit 2 ({proc.stderr.strip()})")

        # The Embedding Projector's files, for the vae's first 500 test images.
        out = tmp / "projector"
        run(lk, "export", tmp / "vae", "--format", "projector", "--limit", "500", "--out", out, "--quiet")
        run(lk, "encode", tmp / "vae", "--out", tmp / "test_codes.csv", "--quiet")
        hc, all_codes = read_csv(tmp / "test_codes.csv")
        tensors = [[float(v) for v in line.split("\t")] for line in (out / "tensors.tsv").read_text().splitlines()]
        check(len(tensors) == 500 and max(abs(a - b) for t, c in zip(tensors, all_codes) for a, b in zip(t, c[:4])) < 1e-6,
              "projector: tensors.tsv holds latentkit encode's first 500 test codes")
        meta = (out / "metadata.tsv").read_text().splitlines()
        names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        rows_ok = all(line.split("\t") == [str(i), str(int(c[hc.index("label")])), names[int(c[hc.index("label")])]]
                      for i, (line, c) in enumerate(zip(meta[1:], all_codes)))
        check(meta[0] == "index\tlabel\tclass" and len(meta) == 501 and rows_ok,
              "projector: metadata.tsv has the labels and Fashion-MNIST's class names")
        cfg = json.loads((out / "projector_config.json").read_text())["embeddings"][0]
        check(cfg["tensorShape"] == [500, 4] and cfg["sprite"]["singleImageDim"] == [28, 28],
              "projector: the config gives the tensor's shape and the sprite's thumbnail size")
        png = (out / "sprite.png").read_bytes()
        width, height = struct.unpack(">II", png[16:24])
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and (width, height) == (23 * 28, 23 * 28),
              f"projector: sprite.png is a 23x23 grid of 28x28 thumbnails ({width}x{height})")
        (tmp / "mine").mkdir()
        (tmp / "mine" / "notes.txt").write_text("keep")
        proc = run(lk, "export", tmp / "vae", "--format", "projector", "--out", tmp / "mine", check=False)
        check(proc.returncode == 2 and (tmp / "mine" / "notes.txt").read_text() == "keep"
              and not (tmp / "mine" / "tensors.tsv").exists(),
              f"projector: a directory holding other files is refused ({proc.stderr.strip()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


if __name__ == "__main__":
    main()
