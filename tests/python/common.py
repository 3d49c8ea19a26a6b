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
