"""The picture commands through the CLI: a small VAE with a 2-D latent trained for one epoch on a
slice of Fashion-MNIST; plot, latent-map, manifold and interpolate write PNGs of the expected
sizes into the run directory (or --out), and bad requests are refused in one line."""
import os
import struct
import tempfile

from common import Checks, parse_args, require_fashion_mnist, run

args = parse_args()
require_fashion_mnist()

check = Checks()


def png_size(path):
    """(width, height, colour type) from the PNG signature and IHDR chunk, or None."""
    with open(path, "rb") as f:
        head = f.read(26)
    if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height, head[25]


def refused(proc, *words):
    lines = proc.stderr.strip().splitlines()
    return (proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("latentkit: error:")
            and all(w in lines[0] for w in words))


with tempfile.TemporaryDirectory() as tmp:
    v2 = os.path.join(tmp, "vae2")
    run(args.latentkit, "train", "--model", "vae", "--latent", 2, "--epochs", 1, "--limit", 2000,
        "--out", v2, "--quiet")

    proc = run(args.latentkit, "plot", v2)
    size = png_size(os.path.join(v2, "loss_curves.png"))
    # loss, elbo, kl, recon (and the KL weight) as panels of 440 pixels, at most 3 a row
    check(size is not None and size[0] in (880, 1320) and size[2] == 2, f"plot: loss_curves.png {size}")
    check("loss_curves.png" in proc.stdout, f"plot says where it wrote: {proc.stdout.strip()}")

    run(args.latentkit, "latent-map", v2, "--max-points", 1000)
    size = png_size(os.path.join(v2, "latent_map.png"))
    check(size == (900, 700, 2), f"latent-map: latent_map.png {size}")

    run(args.latentkit, "manifold", v2, "--grid", 8)
    size = png_size(os.path.join(v2, "manifold.png"))
    # 8 × 28-pixel images scaled by 640 // 224 = 2, plus margins for the labels
    check(size is not None and 8 * 56 < size[0] < 8 * 56 + 200 and 8 * 56 < size[1] < 8 * 56 + 200,
          f"manifold: manifold.png {size}")

    out = os.path.join(tmp, "path.png")
    run(args.latentkit, "interpolate", "--run", v2, "--from", 0, "--to", 1, "--steps", 6, "--out", out)
    size = png_size(out)
    # 6 steps and 2 inputs, 28-pixel images scaled by 2
    check(size is not None and size[0] > 8 * 56 and size[1] > 2 * 56, f"interpolate: {out} {size}")
    check(not os.path.exists(os.path.join(v2, "interpolation.png")), "interpolate --out leaves the run directory alone")

    proc = run(args.latentkit, "interpolate", v2, "--from", 10000, "--to", 1, check=False)
    check(refused(proc, "--from", "10000"), f"interpolate --from 10000 refused: {proc.stderr.strip()}")
    proc = run(args.latentkit, "interpolate", v2, "--from", 0, "--to", -1, check=False)
    check(refused(proc, "--to"), f"interpolate --to -1 refused: {proc.stderr.strip()}")
    proc = run(args.latentkit, "manifold", v2, "--grid", 0, check=False)
    check(refused(proc, "--grid"), f"manifold --grid 0 refused: {proc.stderr.strip()}")
    proc = run(args.latentkit, "plot", tmp, check=False)
    check(refused(proc, "metrics.jsonl"), f"plot of a directory without metrics refused: {proc.stderr.strip()}")

    v3 = os.path.join(tmp, "vae3")
    run(args.latentkit, "train", "--model", "vae", "--latent", 3, "--epochs", 1, "--limit", 1000,
        "--out", v3, "--quiet")
    proc = run(args.latentkit, "manifold", v3, check=False)
    check(refused(proc, "2-D latent", "3"), f"manifold of a 3-D latent refused: {proc.stderr.strip()}")
    check(not os.path.exists(os.path.join(v3, "manifold.png")), "nothing written on refusal")
    run(args.latentkit, "latent-map", v3, "--max-points", 500)
    size = png_size(os.path.join(v3, "latent_map.png"))
    check(size == (900, 700, 2), f"latent-map of a 3-D latent (PCA): {size}")

check.finish()
