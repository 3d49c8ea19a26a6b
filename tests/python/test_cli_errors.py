"""Bad input gives one line naming the file and the problem, exit status 2, no stack trace, and
no half-written output."""
import gzip
import os
import struct
import tempfile

from common import error_line_problems, parse_args, run

args = parse_args()
failures = []


def expect_error(argv, *needles):
    proc = run(args.latentkit, *argv, check=False)
    err = proc.stderr.strip()
    problems = error_line_problems(proc.returncode, proc.stderr, needles,
                                   forbidden=("Exception raised from", "frame #"))
    status = "ok  " if not problems else "FAIL"
    print(f"{status} {' '.join(map(str, argv))[:70]:70s} -> {err}")
    if problems:
        failures.append((argv, problems, err))


with tempfile.TemporaryDirectory() as tmp:
    p = lambda name: os.path.join(tmp, name)
    good = p("run")
    run(args.latentkit, "train", "--data", "moons", "--epochs", 1, "--limit", 500, "--hidden", 8,
        "--latent", 2, "--out", good, "--quiet")

    expect_error(["train", "--out", p("x"), "--bogus-flag"], "--bogus-flag")
    expect_error(["nosuchcommand"], "nosuchcommand")
    expect_error(["train", "--out", p("x"), "--epochs", "ten"], "--epochs")
    expect_error(["train", "--out", p("x"), "--model", "nosuchmodel", "--data", "moons"], "nosuchmodel")
    expect_error(["train", "--out", p("x"), "--data", "nosuchdata"], "nosuchdata")
    expect_error(["train", "--out", p("x"), "--data", f"idx:{p('missing')}"], p("missing"))
    expect_error(["train", "--out", p("x"), "--data", "moons", "--device", "cuda:7"], "--device")

    with open(p("nan.csv"), "w") as f:
        f.write("1,2\n3,nan\n")
    expect_error(["train", "--out", p("x"), "--data", f"csv:{p('nan.csv')}"], p("nan.csv"), "line 2")
    with open(p("text.csv"), "w") as f:
        f.write("1,2\n3,4\n5,abc\n")
    expect_error(["train", "--out", p("x"), "--data", f"csv:{p('text.csv')}"], p("text.csv"), "abc")
    with open(p("ragged.csv"), "w") as f:
        f.write("1,2\n3,4,5\n")
    expect_error(["train", "--out", p("x"), "--data", f"csv:{p('ragged.csv')}"], p("ragged.csv"))

    os.makedirs(p("idx"))
    with gzip.open(p("idx/train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">I", 0x0803) + struct.pack(">III", 10, 28, 28) + bytes(100))
    for name in ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"]:
        with open(p("idx/" + name), "wb") as f:
            f.write(struct.pack(">II", 0x0801, 10) + bytes(10))
    with open(p("idx/t10k-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x0803, 10, 28, 28) + bytes(10 * 28 * 28))
    expect_error(["train", "--out", p("x"), "--data", f"idx:{p('idx')}"], "train-images", "truncated")

    ckpt = os.path.join(good, "checkpoints", "last.pt")
    data = open(ckpt, "rb").read()
    with open(p("truncated.pt"), "wb") as f:
        f.write(data[: len(data) // 2])
    expect_error(["eval", "--run", p("truncated.pt")], p("truncated.pt"))
    with open(p("garbage.pt"), "wb") as f:
        f.write(b"not a checkpoint at all")
    expect_error(["sample", "--run", p("garbage.pt"), "--out", p("s.csv")], p("garbage.pt"))
    expect_error(["eval", "--run", p("nothing-here")], p("nothing-here"))
    expect_error(["encode", "--run", good, "--input", p("text.csv"), "--out", p("z.csv")], p("text.csv"))
    with open(p("wide.csv"), "w") as f:
        f.write("1,2,3\n4,5,6\n")
    expect_error(["score", "--run", good, "--input", p("wide.csv"), "--out", p("s.csv")], p("wide.csv"), "3 columns")
    expect_error(["sample", "--run", good, "--out", p("s.png")], p("s.png"))
    assert not os.path.exists(p("s.png")) and not os.path.exists(p("z.csv")) and not os.path.exists(p("s.csv")), \
        "an output was written by a failing command"
    leftovers = [f for f in os.listdir(tmp) if ".tmp." in f]
    assert not leftovers, f"temporary files left behind: {leftovers}"

print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
if failures:
    for argv, problems, err in failures:
        print("FAILED:", argv, problems, err)
    raise SystemExit(1)
