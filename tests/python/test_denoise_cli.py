"""`latentkit denoise` on a briefly trained dae: the PNG grid has the expected size (rows
clean / noisy / restored) and the printed restored PSNR beats the noisy one."""
import os
import re
import struct
import sys
import tempfile

from common import SKIP, parse_args, run

args = parse_args()
FASHION = "/usr/share/datasets/fashion-mnist"
if not os.path.isdir(FASHION):
    print(f"skipped: {FASHION} is not installed")
    sys.exit(SKIP)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert head[12:16] == b"IHDR", "no IHDR chunk first"
    return struct.unpack(">II", head[16:24])  # width, height


def psnr_lines(stdout):
    found = {}
    for name in ("noisy", "restored"):
        m = re.search(rf"^PSNR {name}\s+(-?[0-9.]+) dB", stdout, re.M)
        assert m, f"no 'PSNR {name}' line in:\n{stdout}"
        found[name] = float(m.group(1))
    return found


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "dae")
    run(args.latentkit, "train", "--model", "dae", "--noise", "gaussian:0.5", "--epochs", 1,
        "--limit", 3000, "--out", out, "--quiet")
    failures = 0
    for noise, n in (("gaussian:0.5", 16), ("mask:0.5", 10), ("salt-pepper:0.2", 16)):
        png = os.path.join(tmp, f"{noise.split(':')[0]}.png")
        proc = run(args.latentkit, "denoise", "--run", out, "--noise", noise, "--n", n, "--out", png)
        print(proc.stdout.strip())
        w, h = png_size(png)
        # 28x28 tiles, 8 columns, 2-pixel padding; each group of 8 inputs takes 3 grid rows.
        groups = (n + 7) // 8
        expected = (8 * 30 + 2, 3 * groups * 30 + 2)
        p = psnr_lines(proc.stdout)
        # The model was trained on gaussian:0.5, so only there must it beat the noisy input.
        ok = (w, h) == expected and (p["restored"] > p["noisy"] or not noise.startswith("gaussian"))
        print(f"{'ok  ' if ok else 'FAIL'} {noise}: png {w}x{h} (expected {expected[0]}x{expected[1]}), "
              f"PSNR noisy {p['noisy']} dB, restored {p['restored']} dB")
        failures += not ok
    # A malformed --noise is the user's error, named in one line.
    bad = run(args.latentkit, "denoise", "--run", out, "--noise", "gaussian", "--out",
              os.path.join(tmp, "x.png"), check=False)
    if bad.returncode != 2 or "--noise" not in bad.stderr:
        print(f"FAIL bad --noise: exit {bad.returncode}, {bad.stderr.strip()}")
        failures += 1
    print(f"{3 + 1 - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)
