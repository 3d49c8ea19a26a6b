"""Helpers shared by the Python reference tests (run by ctest with Debian's /usr/bin/python3)."""
import argparse
import subprocess
import sys

SKIP = 77  # ctest's SKIP_RETURN_CODE for these tests


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--latentkit", required=True, help="path of the latentkit binary")
    return p.parse_args()


def import_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: python3-torch is not installed")
        sys.exit(SKIP)
    import torch
    return torch


def run(binary, *args, check=True):
    proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"latentkit {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    return header, rows


FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def require_fashion_mnist():
    """Skips the test (exit 77) where Debian's dataset-fashion-mnist is not installed."""
    import os
    if not os.path.isdir(FASHION_MNIST):
        print(f"skipped: {FASHION_MNIST} is not installed")
        sys.exit(SKIP)


class Checks:
    """check(ok, what) prints one line per check and remembers failures; finish() prints the
    count line ctest's log shows and exits 1 when any check failed."""

    def __init__(self):
        self.failures = []
        self.passed = 0

    def __call__(self, ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok

    def finish(self):
        print(f"{self.passed} passed, {len(self.failures)} failed")
        sys.exit(1 if self.failures else 0)


def write_halves_csv(path, n, seed):
    """Two classes of 8x8 images with noise, a bright left half (label 0) or a bright top half
    (label 1), written as CSV: 64 pixel levels and the label (column 64) per row. Returns the
    [n, 64] pixel levels. Train on it with --label-column 64 --image-shape 1,8,8."""
    import numpy
    rng = numpy.random.default_rng(seed)
    images = rng.integers(0, 60, size=(n, 8, 8))
    labels = numpy.arange(n) % 2
    images[labels == 0, :, :4] += 180
    images[labels == 1, :4, :] += 180
    pixels = numpy.clip(images, 0, 255).reshape(n, 64)
    with open(path, "w") as f:
        f.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
        for r, y in zip(pixels, labels):
            f.write(",".join(map(str, r)) + f",{y}\n")
    return pixels


def error_line_problems(returncode, stderr, needles,
                        forbidden=("internal:", "Exception raised from", "frame #", "Traceback",
                                   "enforce fail")):
    """What is wrong with a refused command's answer: it must exit 2 with one stderr line that
    holds every needle and none of the forbidden texts (library errors, stack traces)."""
    err = stderr.strip()
    problems = []
    if returncode != 2:
        problems.append(f"exit {returncode}, expected 2")
    if len(err.splitlines()) != 1:
        problems.append(f"{len(err.splitlines())} lines on stderr, expected 1")
    problems += [f"message lacks {str(n)!r}" for n in needles if str(n) not in err]
    problems += [f"message holds {bad!r}" for bad in forbidden if bad in err]
    return problems
