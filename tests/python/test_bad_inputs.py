"""Inputs that are not what they claim never hang, crash or print library text: FIFOs, devices and
directories given as files, files whose sizes or settings ask for more than the machine holds,
and config files with bad values. Each command must end within a timeout with exit 2 and one
line on stderr that names the file or the flag. (Ordinary damaged files: test_cli_errors.py.)"""
import json
import os
import subprocess
import struct
import tempfile
import zipfile

import numpy as np

from common import Checks, error_line_problems, parse_args, run

args = parse_args()
check = Checks()
TIMEOUT = 30  # seconds; a reader that blocks on a FIFO fails here instead of hanging ctest


def expect_error(argv, *needles, name=None):
    """The command exits 2 within TIMEOUT with one stderr line holding every needle."""
    label = name or " ".join(map(str, argv))[:80]
    try:
        proc = subprocess.run([args.latentkit, *map(str, argv)], capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return check(False, f"{label}: still running after {TIMEOUT} s (hangs)")
    err = proc.stderr.strip()
    problems = error_line_problems(proc.returncode, proc.stderr, needles)
    return check(not problems, f"{label} -> {err[:160]}" + (f"  [{'; '.join(problems)}]" if problems else ""))


with tempfile.TemporaryDirectory() as tmp:
    p = lambda *parts: os.path.join(tmp, *parts)
    good = p("run")
    run(args.latentkit, "train", "--data", "moons", "--epochs", 1, "--limit", 300, "--hidden", 8,
        "--latent", 2, "--out", good, "--quiet")
    fifo = p("pipe")
    os.mkfifo(fifo)
    out = p("out")  # never created: every command below fails before writing

    # ---- item 4: non-regular files are refused, not read (FIFOs block, /dev/zero never ends) ----
    expect_error(["info", "--run", "/dev/zero"], "/dev/zero", "character device")
    expect_error(["info", "--run", fifo], fifo, "FIFO")
    expect_error(["eval", "--run", fifo], fifo, "FIFO")
    fifo_run = p("fifo-run")
    os.makedirs(os.path.join(fifo_run, "checkpoints"))
    os.mkfifo(os.path.join(fifo_run, "checkpoints", "last.pt"))
    expect_error(["sample", "--run", fifo_run, "--out", p("s.csv")], os.path.join(fifo_run, "checkpoints", "last.pt"), "FIFO")
    expect_error(["train", "--data", f"csv:{fifo}", "--out", out], fifo, "FIFO")
    expect_error(["train", "--data", "csv:/dev/zero", "--out", out], "/dev/zero", "character device")
    expect_error(["train", "--data", f"npy:{fifo}", "--out", out], fifo, "FIFO")
    expect_error(["train", "--data", f"csv:{tmp}", "--out", out], tmp, "directory")
    idx = p("idx")
    os.makedirs(idx)
    os.mkfifo(os.path.join(idx, "train-images-idx3-ubyte"))
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        open(os.path.join(idx, name), "wb").close()
    expect_error(["train", "--data", f"idx:{idx}", "--out", out], os.path.join(idx, "train-images-idx3-ubyte"), "FIFO")
    images = p("images")
    os.makedirs(images)
    os.mkfifo(os.path.join(images, "a.png"))
    expect_error(["train", "--data", f"images:{images}", "--out", out], os.path.join(images, "a.png"), "FIFO")
    expect_error(["train", "--config", fifo, "--out", out], fifo, "FIFO")
    expect_error(["train", "--config", "/dev/zero", "--out", out], "/dev/zero")
    expect_error(["train", "--config", tmp, "--out", out], tmp, "directory")
    expect_error(["encode", "--run", good, "--input", fifo, "--out", p("z.csv")], fifo, "FIFO")
    expect_error(["score", "--run", good, "--input", "/dev/zero", "--out", p("s.csv")], "/dev/zero")
    fifo_csv = p("codes.csv")
    os.mkfifo(fifo_csv)
    expect_error(["decode", "--run", good, "--input", fifo_csv, "--out", p("d.csv")], fifo_csv, "FIFO")
    expect_error(["reconstruct", "--run", good, "--input", "/dev/zero", "--out", p("r.csv")], "/dev/zero")

    # ---- item 5: flags asking for more than the machine holds are refused before work starts ----
    expect_error(["train", "--data", "moons", "--hidden", "4000000000", "--out", out], "--hidden")
    expect_error(["train", "--data", "moons", "--hidden", "1000000,1000000", "--out", out], "--hidden", "memory")
    expect_error(["train", "--model", "deep-ae", "--data", "moons", "--scaling", "unit", "--hidden", "1000000,1000000",
                  "--out", out],
                 "--hidden", "memory")
    expect_error(["train", "--model", "aae", "--data", "moons", "--disc-hidden", "1000000,1000000", "--out", out],
                 "--disc-hidden", "memory")
    wide_npy = p("wide.npy")
    np.save(wide_npy, np.random.default_rng(0).normal(size=(60, 1000)).astype(np.float32))
    wide = p("wide-run")
    run(args.latentkit, "train", "--data", f"npy:{wide_npy}", "--epochs", 1, "--hidden", 8, "--latent", 2,
        "--out", wide, "--quiet")
    # 10^8 samples of 1000 values: 400 GB of float32 before the CSV's text.
    expect_error(["sample", "--run", wide, "--n", 100000000, "--out", p("s.csv")], "--n", "memory")
    expect_error(["sample", "--run", wide, "--n", 100000000, "--out", p("s.npy")], "--n", "memory")
    expect_error(["sample", "--run", good, "--n", "99999999999999999999", "--out", p("s.csv")], "--n", "1000000000")
    # Importance samples: k = 10^11 would estimate for days.
    expect_error(["eval", "--run", good, "--k", 99999999999], "--k", "100000")
    expect_error(["score", "--run", good, "--k", 99999999999, "--out", p("s.csv")], "--k", "100000")

    # The last resort: an allocation no check foresaw (4 TB of activations for a batch of 10^6
    # rows through 10^6 hidden units) is one line naming the command and the size, not library text.
    cfg = p("big-data.json")
    with open(cfg, "w") as f:
        json.dump({"model": {"kind": "ae"}, "data": {"source": "moons", "synthetic_size": 2000000},
                   "train": {"epochs": 1}}, f)
    expect_error(["train", "--config", cfg, "--batch-size", 1000000, "--hidden", 1000000, "--out", p("big-run")],
                 "train: out of memory", "TB")

    # ---- item 6: out-of-range integers and bad config files are refused, naming flag or file ----
    expect_error(["train", "--data", "moons", "--epochs", "99999999999999999999", "--out", out], "--epochs", "1000000")
    expect_error(["train", "--data", "moons", "--epochs", 2000000, "--out", out], "--epochs", "1000000")
    expect_error(["train", "--data", "moons", "--batch-size", 10**12, "--out", out], "--batch-size")
    expect_error(["train", "--data", "moons", "--latent", 2**40, "--out", out], "--latent")
    expect_error(["train", "--data", "moons", "--threads", 10**11, "--out", out], "--threads")
    expect_error(["train", "--data", "moons", "--hidden", "", "--out", out], "--hidden")
    expect_error(["train", "--model", "gmm", "--data", "moons", "--components", 10**9, "--out", out], "--components")

    def config_file(name, model=None, data=None, train=None):
        path = p(name)
        with open(path, "w") as f:
            json.dump({"model": model or {"kind": "vae"}, "data": data or {"source": "moons", "limit": 200},
                       "train": train or {"epochs": 1}}, f)
        return path

    cfg = config_file("unknown-kind.json", model={"kind": "nosuchkind", "latent_dim": -3})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "model.kind")
    cfg = config_file("negative-latent.json", model={"kind": "vae", "latent_dim": -3})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "model.latent_dim")
    cfg = config_file("no-kind.json", model={"latent_dim": -3})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "model.latent_dim")
    cfg = config_file("huge-epochs.json", train={"epochs": 99999999999})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "train.epochs")
    cfg = config_file("huge-hidden.json", model={"kind": "vae", "hidden": [4000000000]})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "model.hidden")
    cfg = config_file("negative-batch.json", train={"batch_size": -1})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "train.batch_size")

    # A checkpoint whose embedded config is out of range: refused by info and eval, naming it.
    # The config is JSON text inside the archive's data.pkl; the zip is rewritten with it changed.
    bad_ck = p("bad-config.pt")
    with zipfile.ZipFile(os.path.join(good, "checkpoints", "last.pt")) as zin, \
            zipfile.ZipFile(bad_ck, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("/data.pkl"):
                assert data.count(b'"latent_dim":2,') == 1, "the checkpoint's config changed form"
                data = data.replace(b'"latent_dim":2,', b'"latent_dim":0,')  # same length
            zout.writestr(info.filename, data)
    expect_error(["info", "--run", bad_ck], bad_ck, "model.latent_dim")
    expect_error(["eval", "--run", bad_ck], bad_ck, "model.latent_dim")

    # The archive is checked before LibTorch's zip reader and unpickler, which trust it.
    last = open(os.path.join(good, "checkpoints", "last.pt"), "rb").read()
    with zipfile.ZipFile(os.path.join(good, "checkpoints", "last.pt")) as zin, \
            zipfile.ZipFile(p("deflated.pt"), "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    expect_error(["info", "--run", p("deflated.pt")], p("deflated.pt"), "compressed")
    end = last.rfind(b"PK\x05\x06")
    moved = bytearray(last)
    moved[end + 16:end + 20] = struct.pack("<I", len(last) + 1000)  # the directory's offset
    with open(p("moved-directory.pt"), "wb") as f:
        f.write(moved)
    expect_error(["info", "--run", p("moved-directory.pt")], p("moved-directory.pt"), "zip")
    entry = last.rfind(b"PK\x01\x02", 0, last.rfind(b"/data.pkl"))
    grown = bytearray(last)
    grown[entry + 20:entry + 28] = struct.pack("<II", 0x7fffffff, 0x7fffffff)  # data.pkl's sizes
    with open(p("huge-pickle.pt"), "wb") as f:
        f.write(grown)
    expect_error(["info", "--run", p("huge-pickle.pt")], p("huge-pickle.pt"), "data.pkl")

    # ---- item 8: messages name the file the bad value came from ----
    cfg = config_file("empty-seed.json", data={"source": "moons", "seed": ""})
    expect_error(["train", "--config", cfg, "--out", out], cfg, "data.seed")
    empty_rows = p("no-columns.npy")
    np.save(empty_rows, np.zeros((10, 0), dtype=np.float32))
    expect_error(["train", "--data", f"npy:{empty_rows}", "--out", out], empty_rows)
    empty_csv_rows = p("no-columns-input.npy")
    np.save(empty_csv_rows, np.zeros((10, 0), dtype=np.float32))
    expect_error(["encode", "--run", good, "--input", empty_csv_rows, "--out", p("z.csv")], empty_csv_rows)

    for f in ("s.csv", "s.npy", "z.csv", "d.csv", "r.csv"):
        check(not os.path.exists(p(f)), f"no output {f} left by a failing command")

check.finish()
