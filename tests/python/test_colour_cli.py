"""Colour images end to end: a folder of 3x32x32 PNG files written here by
scripts/colour_shapes.py (four classes, each a known coloured pattern at a random phase or
place), read by `--data images:DIR`, trains `vae --architecture conv`, `realnvp` and `glow`
through train, eval, sample, encode, latent-map.

What is asserted, against computations made here:
- the conv VAE's test reconstructions beat the mean-image predictor computed here from the same
  pixels, and its codes separate the classes (5 nearest training codes vote);
- the flows' test bits/dim improve over training and fall below those of independent per-pixel
  Gaussians fitted here to the training pixels (and so below the uniform 8-bit model's 8);
- PNG and folder inputs read as the same pixels as a .npy of them; pictures are RGB PNGs whose
  channels differ; class names reach the projector export;
- bad folders (a corrupt PNG, mixed sizes) fail in one line with the file, exit 2.
"""
import json
import pathlib
import random
import shutil
import struct
import sys
import tempfile
import zlib

from common import Checks, parse_args, read_csv, run

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
from colour_shapes import CLASSES, SIZE, png_bytes, write_folder  # noqa: E402

TRAIN_PER_CLASS, TEST_PER_CLASS = 200, 25


def read_png(path):
    """A PNG of 8-bit grey or RGB(A) -> (width, height, channels, flat list of levels)."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8, f"{path}: bit depth {depth}"
    c = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw, stride, out, prev = zlib.decompress(idat), w * c, [], [0] * (w * c)
    for y in range(h):
        f, line = raw[y * (stride + 1)], list(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - c] if i >= c else 0
            b, d = prev[i], prev[i - c] if i >= c else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - d
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - d)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else d)) & 255
        out += line
        prev = line
    return w, h, c, out


def chw(img):
    """RGB rows -> levels in C, H, W order, as latentkit's rows hold them."""
    return [img[y][x][c] for c in range(3) for y in range(SIZE) for x in range(SIZE)]


def gaussian_bits_per_dim(train, test):
    """Bits/dim of the test images under one Gaussian per value, fitted to the training images'
    dequantised values (level + 1/2) / 256 (a bin's uniform noise adds 1/(12 * 256^2) variance)."""
    import numpy
    tr = (numpy.array(train, dtype=numpy.float64) + 0.5) / 256
    te = (numpy.array(test, dtype=numpy.float64) + 0.5) / 256
    mu, var = tr.mean(0), tr.var(0) + 1 / (12 * 256 ** 2)
    nll = 0.5 * numpy.log(2 * numpy.pi * var) + (te - mu) ** 2 / (2 * var)
    return float(nll.mean() / numpy.log(2) + 8)  # + log2(256): density on [0, 1] -> on levels


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def main():
    args = parse_args()
    lk = args.latentkit
    check = Checks()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="latentkit-colour-"))
    try:
        data = tmp / "shapes"
        images = write_folder(data, random.Random(5), TRAIN_PER_CLASS, TEST_PER_CLASS)
        source = ["--data", f"images:{data}"]

        # --- the conv VAE -------------------------------------------------------------------
        vae = tmp / "vae"
        run(lk, "train", "--model", "vae", "--architecture", "conv", "--latent", "8", "--epochs", "15",
            "--batch-size", "16", "--lr", "0.002", *source, "--out", vae, "--quiet")
        cfg = json.loads((vae / "config.json").read_text())
        check(cfg["model"]["image_shape"] == [3, SIZE, SIZE],
              f"the folder is read as 3x{SIZE}x{SIZE} images ({cfg['model']['image_shape']})")
        report = json.loads(run(lk, "eval", vae, "--json").stdout)
        test_rows = [[v / 255 for v in chw(img)] for _, img in images["test"]]
        train_rows = [[v / 255 for v in chw(img)] for _, img in images["train"]]
        mean = [sum(col) / len(train_rows) for col in zip(*train_rows)]
        baseline = sum(sum((v - m) ** 2 for v, m in zip(r, mean)) for r in test_rows) / len(test_rows)
        check(report["samples"] == len(test_rows) and report["mse"] < 0.5 * baseline,
              f"vae: test reconstruction MSE {report['mse']:.2f} is under half the mean image's "
              f"{baseline:.2f} (unit scale, summed over 3072 values)")
        elbo = [m["test"]["loss"] if "test" in m else None for m in metrics(vae)]
        check(len(elbo) == 15 and None not in elbo and elbo[-1] < elbo[0],
              f"vae: the test loss fell over training ({elbo[0]:.1f} -> {elbo[-1]:.1f})")

        run(lk, "encode", vae, "--split", "train", "--out", tmp / "train_codes.csv", "--quiet")
        run(lk, "encode", vae, "--out", tmp / "test_codes.csv", "--quiet")
        h, train_codes = read_csv(tmp / "train_codes.csv")
        _, test_codes = read_csv(tmp / "test_codes.csv")
        li = h.index("label")
        zcols = [i for i, name in enumerate(h) if name != "label"]
        # 5 nearest training codes vote for each test code's class.
        train_z = [([r[i] for i in zcols], int(r[li])) for r in train_codes]

        def vote(z):
            near = sorted(train_z, key=lambda t: sum((a - b) ** 2 for a, b in zip(z, t[0])))[:5]
            labels = [label for _, label in near]
            return max(set(labels), key=labels.count)

        hits = sum(vote([r[i] for i in zcols]) == int(r[li]) for r in test_codes)
        labels_ok = sorted(int(r[li]) for r in test_codes) == [label for label, _ in images["test"]]
        check(labels_ok and hits / len(test_codes) > 0.8,
              f"vae: labels come from the class folders and the 5 nearest training codes name the "
              f"class of {hits}/{len(test_codes)} test images (chance 25%)")

        # Inputs: a folder of PNGs and a .npy of the same pixels give the same codes.
        import numpy
        red = [img for label, img in images["test"] if label == CLASSES.index("red-stripes")]
        numpy.save(tmp / "red.npy", numpy.array(red, dtype=numpy.uint8))  # [N, H, W, C]
        run(lk, "encode", vae, "--input", data / "test" / "red-stripes", "--out", tmp / "red_png.csv", "--quiet")
        run(lk, "encode", vae, "--input", tmp / "red.npy", "--out", tmp / "red_npy.csv", "--quiet")
        _, a = read_csv(tmp / "red_png.csv")
        _, b = read_csv(tmp / "red_npy.csv")
        check(len(a) == len(red) and a == b,
              f"vae: encode --input of the PNG folder equals encode of a .npy of its pixels ({len(a)} images)")
        run(lk, "encode", vae, "--input", data / "test" / "red-stripes" / "003.png", "--out", tmp / "one.csv", "--quiet")
        _, one = read_csv(tmp / "one.csv")
        worst = max(abs(x - y) for x, y in zip(one[0], a[3])) if len(one) == 1 else float("inf")
        check(worst < 1e-4, f"vae: one PNG file as --input gives that image's code (max difference {worst:.1e})")

        sample_png = tmp / "vae_samples.png"
        run(lk, "sample", vae, "--n", "16", "--out", sample_png, "--quiet")
        w, hgt, c, px = read_png(sample_png)
        spread = sum(abs(px[i] - px[i + 1]) for i in range(0, len(px) - 3, 3)) / (len(px) / 3)
        check(c == 3 and w * hgt >= 16 * SIZE * SIZE and spread > 5,
              f"vae: sample writes an RGB grid ({w}x{hgt}, {c} channels, mean |R-G| {spread:.1f})")
        run(lk, "latent-map", vae, "--out", tmp / "vae_map.png", "--quiet")
        w, hgt, c, _ = read_png(tmp / "vae_map.png")
        check(w > 100 and hgt > 100, f"vae: latent-map draws the test codes ({w}x{hgt})")
        out = tmp / "projector"
        run(lk, "export", vae, "--format", "projector", "--out", out, "--quiet")
        meta = (out / "metadata.tsv").read_text().splitlines()
        sprite = read_png(out / "sprite.png")
        check({m.split("\t")[2] for m in meta[1:]} == set(CLASSES)
              and sprite[2] in (3, 4),
              f"projector: metadata names the class folders; the sprite is in colour ({sprite[2]} channels)")

        # --- the flows ----------------------------------------------------------------------
        floor = gaussian_bits_per_dim([chw(img) for _, img in images["train"]],
                                      [chw(img) for _, img in images["test"]])
        for kind, epochs in (("realnvp", 3), ("glow", 3)):
            rd = tmp / kind
            run(lk, "train", "--model", kind, "--epochs", epochs, "--batch-size", "32", *source,
                "--out", rd, "--quiet")
            bpd = [m["test"]["bits_per_dim"] for m in metrics(rd) if "test" in m]
            report = json.loads(run(lk, "eval", rd, "--json").stdout)
            check(len(bpd) == epochs and bpd[-1] < bpd[0] and report["bits_per_dim"] < floor,
                  f"{kind}: test bits/dim {bpd[0]:.3f} -> {bpd[-1]:.3f} over {epochs} epochs; eval "
                  f"{report['bits_per_dim']:.3f}, below per-pixel Gaussians' {floor:.3f} (uniform: 8)")
            run(lk, "sample", rd, "--n", "16", "--out", tmp / f"{kind}.png", "--quiet")
            _, _, c, _ = read_png(tmp / f"{kind}.png")
            run(lk, "encode", rd, "--out", tmp / f"{kind}_codes.csv", "--quiet")
            hk, codes = read_csv(tmp / f"{kind}_codes.csv")
            run(lk, "latent-map", rd, "--out", tmp / f"{kind}_map.png", "--quiet")
            check(c == 3 and len(codes) == len(test_rows) and len(hk) == 3 * SIZE * SIZE + 1
                  and (tmp / f"{kind}_map.png").stat().st_size > 1000,
                  f"{kind}: sample (RGB), encode ({len(codes)} codes of {len(hk) - 1}) and latent-map run")

        # --- bad folders ----------------------------------------------------------------------
        bad = tmp / "bad"
        shutil.copytree(data / "test", bad)
        (bad / "red-stripes" / "010.png").write_bytes(png_bytes(images["test"][0][1])[:60])
        proc = run(lk, "train", "--model", "ae", "--epochs", "1", "--data", f"images:{bad}", "--out",
                   tmp / "never", check=False)
        msg = proc.stderr.strip()
        check(proc.returncode == 2 and len(msg.splitlines()) == 1 and "red-stripes/010.png" in msg
              and not (tmp / "never").exists(),
              f"a truncated PNG: exit 2, one line naming it ({msg})")
        (bad / "red-stripes" / "010.png").write_bytes(png_bytes([row[:20] for row in images["test"][0][1]]))
        proc = run(lk, "train", "--model", "ae", "--epochs", "1", "--data", f"images:{bad}", "--out",
                   tmp / "never", check=False)
        msg = proc.stderr.strip()
        check(proc.returncode == 2 and "red-stripes/010.png" in msg and "--image-size" in msg,
              f"mixed sizes: exit 2, the file and the way out ({msg})")
        small = tmp / "small"
        run(lk, "train", "--model", "ae", "--hidden", "16", "--latent", "2", "--epochs", "1", "--data",
            f"images:{bad}", "--image-size", "16x12", "--out", small, "--quiet")
        cfg = json.loads((small / "config.json").read_text())
        check(cfg["model"]["image_shape"] == [3, 16, 12] and cfg["data"]["image_size"] == "16x12",
              f"--image-size 16x12 resizes and crops every image ({cfg['model']['image_shape']})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


if __name__ == "__main__":
    main()
