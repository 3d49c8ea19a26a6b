"""The installed package, as a user meets it: `cmake --install` into a fresh prefix, the examples
built out of tree against it (find_package(latentkit CONFIG), and one again with pkg-config), then
run on a small trained run, each checked against what the `latentkit` program computes itself."""
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from common import Checks, FASHION_MNIST, parse_args, read_csv, require_fashion_mnist, run

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sh(*args, env=None, cwd=None):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def quantile(values, q):
    """Linear interpolation between order statistics (torch.quantile's and numpy's default)."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def main():
    args = parse_args()
    require_fashion_mnist()
    build = pathlib.Path(args.latentkit).resolve().parent
    check = Checks()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="latentkit-package-"))
    try:
        prefix = tmp / "prefix"
        sh("cmake", "--install", build, "--prefix", prefix)
        lib = next(prefix.glob("lib*/liblatentkit.a"), None)
        check(lib is not None, "the static library is installed")
        check((prefix / "include/latentkit/latentkit.h").is_file() and
              (prefix / "include/latentkit/version.h").is_file(), "the public headers are installed")
        config = next(prefix.glob("lib*/cmake/latentkit/latentkitConfig.cmake"), None)
        check(config is not None, "the CMake package config is installed")
        pc = next(prefix.glob("lib*/pkgconfig/latentkit.pc"), None)
        check(pc is not None, "the pkg-config file is installed")
        binary = prefix / "bin/latentkit"
        check(binary.is_file(), "the latentkit program is installed")

        # Out of tree, against the prefix only: a fresh copy of examples/ somewhere else.
        examples = tmp / "examples"
        shutil.copytree(ROOT / "examples", examples)
        sh("cmake", "-S", examples, "-B", tmp / "ex-build", f"-DCMAKE_PREFIX_PATH={prefix}",
           "-DCMAKE_BUILD_TYPE=Release")
        sh("cmake", "--build", tmp / "ex-build", "-j", str(os.cpu_count() or 2))
        exe = {name: tmp / "ex-build" / name
               for name in ("encode_images", "anomaly_scores", "sample_images", "train_model")}
        check(all(p.is_file() for p in exe.values()), "the four examples build with find_package(latentkit)")

        env = dict(os.environ, PKG_CONFIG_PATH=str(pc.parent))
        flags = sh("pkg-config", "--cflags", "--libs", "latentkit", env=env).stdout.split()
        sh("g++", "-O1", examples / "encode_images.cpp", "-o", tmp / "encode_images_pc", *flags)
        check((tmp / "encode_images_pc").is_file(), "encode_images builds from pkg-config's flags alone")

        # docs/API.md's snippets compile against the installed headers, in the order they are read.
        snippets = tmp / "api_snippets.cpp"
        snippets.write_text(api_snippets_program((ROOT / "docs/API.md").read_text()))
        proc = subprocess.run(["g++", "-fsyntax-only", snippets, *flags], capture_output=True, text=True)
        check(proc.returncode == 0, "docs/API.md's C++ snippets compile" +
              ("" if proc.returncode == 0 else ":\n" + proc.stderr[-2000:]))

        # A small trained run, by the installed program.
        run_dir = tmp / "run"
        run(binary, "train", "--model", "vae", "--data", "fashion-mnist", "--limit", "600", "--epochs", "1",
            "--quiet", "--out", run_dir)
        images = f"{FASHION_MNIST}/t10k-images-idx3-ubyte.gz"

        # encode_images == latentkit encode, on uint8 [N, 28, 28] straight from the IDX file.
        run(binary, "encode", run_dir, "--input", images, "--out", tmp / "ref_codes.csv", "--quiet")
        _, ref = read_csv(tmp / "ref_codes.csv")
        for tool in ("encode_images", "encode_images_pc"):
            path = exe.get(tool, tmp / tool)
            sh(path, run_dir, images, tmp / f"{tool}.csv")
            _, got = read_csv(tmp / f"{tool}.csv")
            worst = max(abs(a - b) for r, g in zip(ref, got) for a, b in zip(r, g)) if got else math.inf
            check(len(got) == len(ref) == 10000 and worst < 1e-5,
                  f"{tool}: 10000 codes equal latentkit encode's (max difference {worst:.2e})")

        # anomaly_scores: rows in raw pixel levels, some of them noise; the same scores as
        # latentkit score, and a threshold at the 0.99 quantile of the training split's scores.
        _, test_rows = read_csv_rows_from_idx(images, 30)
        import random
        rnd = random.Random(3)
        noise = [[float(rnd.randrange(256)) for _ in range(784)] for _ in range(5)]
        rows = test_rows + noise
        with open(tmp / "rows.csv", "w") as f:
            f.write(",".join(f"p{j}" for j in range(784)) + "\n")
            for r in rows:
                f.write(",".join(f"{v:g}" for v in r) + "\n")
        run(binary, "score", run_dir, "--input", tmp / "rows.csv", "--out", tmp / "ref_scores.csv", "--quiet")
        run(binary, "score", run_dir, "--split", "train", "--out", tmp / "train_scores.csv", "--quiet")
        h, ref_scores = read_csv(tmp / "ref_scores.csv")
        ll = h.index("log_likelihood")
        h2, train_scores = read_csv(tmp / "train_scores.csv")
        threshold = quantile([-r[h2.index("log_likelihood")] for r in train_scores], 0.99)
        out = sh(exe["anomaly_scores"], run_dir, tmp / "rows.csv", "0.99")
        lines = out.stdout.strip().splitlines()
        got = [line.split(",") for line in lines[1:]]
        check(lines[0] == "index,score,anomalous" and len(got) == len(rows), "anomaly_scores prints a row per input")
        worst = max(abs(float(g[1]) + r[ll]) / max(1.0, abs(r[ll])) for g, r in zip(got, ref_scores))
        check(worst < 1e-5, f"anomaly_scores' scores are latentkit score's -log p(x) (max relative difference {worst:.2e})")
        agree = all(int(g[2]) == int(-r[ll] > threshold) for g, r in zip(got, ref_scores)
                    if abs(-r[ll] - threshold) > 1e-3 * abs(threshold))
        check(agree, f"rows are flagged exactly when above the training split's 0.99 quantile ({threshold:.2f} nats)")
        check(all(int(g[2]) == 1 for g in got[-5:]), "the five noise rows are flagged")
        check(sum(int(g[2]) for g in got[:30]) <= 3, "at most 3 of 30 real test images are flagged")

        # sample_images writes the same PNG as latentkit sample (same seed, same grid).
        sh(exe["sample_images"], run_dir, tmp / "samples.png", "16", "7")
        run(binary, "sample", run_dir, "--n", "16", "--seed", "7", "--out", tmp / "ref_samples.png", "--quiet")
        check((tmp / "samples.png").read_bytes() == (tmp / "ref_samples.png").read_bytes(),
              "sample_images' PNG is byte for byte latentkit sample's")

        # train_model trains a run directory the program reads like its own.
        out = sh(exe["train_model"], "moons", tmp / "moons", "vae", "2").stdout
        metrics = (tmp / "moons/metrics.jsonl").read_text().strip().splitlines()
        check(len(metrics) == 2, "train_model trained 2 epochs (metrics.jsonl has 2 lines)")
        import json
        cfg = json.loads((tmp / "moons/config.json").read_text())
        check(cfg["model"]["latent_dim"] == 2 and cfg["data"]["source"] == "moons",
              "its config.json holds what the program set")
        run(binary, "score", tmp / "moons", "--out", tmp / "moons_scores.csv", "--quiet")
        h, s = read_csv(tmp / "moons_scores.csv")
        mean = sum(r[h.index("reconstruction_error")] for r in s) / len(s)
        printed = float(out.strip().split()[-1])
        check(abs(printed - mean) < 1e-3 * max(1.0, mean),
              f"the test reconstruction error it prints ({printed}) is latentkit score's mean ({mean:.4f})")

        # Bad input through the public API: one line naming the file, exit 2.
        proc = subprocess.run([exe["encode_images"], run_dir, tmp / "missing.idx", tmp / "x.csv"],
                              capture_output=True, text=True)
        check(proc.returncode == 2 and "missing.idx" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1,
              f"a missing input file: exit 2, one line naming it ({proc.stderr.strip()})")
        proc = subprocess.run([exe["encode_images"], tmp / "moons", images, tmp / "x.csv"],
                              capture_output=True, text=True)
        check(proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1,
              f"images given to a 2-D model: exit 2, one line ({proc.stderr.strip()})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check.finish()


def api_snippets_program(markdown):
    """docs/API.md's ```cpp blocks as one program: their #include lines at the top, the first
    block (which opens `run`) in main, each later one in its own scope after it."""
    blocks, inside, current = [], False, []
    for line in markdown.splitlines():
        if line.strip() == "```cpp":
            inside, current = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append(current)
        elif inside:
            current.append(line)
    includes = [l for b in blocks for l in b if l.startswith("#include")]
    bodies = [[l for l in b if not l.startswith("#include")] for b in blocks]
    out = includes + ["int main() {", "try {"]
    out += bodies[0]
    for b in bodies[1:]:
        out += ["{"] + b + ["}"]
    out += ["} catch (const latentkit::InputError&) { return 2; }", "return 0;", "}"]
    return "\n".join(out) + "\n"


def read_csv_rows_from_idx(path, n):
    """The first n images of an IDX file as raw rows of 784 pixel levels (read independently)."""
    import gzip
    import struct
    with gzip.open(path, "rb") as f:
        magic, count, h, w = struct.unpack(">IIII", f.read(16))
        data = f.read(n * h * w)
    rows = [[float(b) for b in data[i * h * w:(i + 1) * h * w]] for i in range(n)]
    return None, rows


if __name__ == "__main__":
    sys.exit(main())
