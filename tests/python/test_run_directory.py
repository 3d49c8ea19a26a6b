"""`train --out DIR` treats DIR as the user's: a run there is refused unless --resume or --force
(which moves it aside, deleting nothing); a second writer is refused at once, naming the first's
pid, also under --nproc; an --out that is a file, lies under a file or cannot be written is one
line with exit 2; --resume refuses flags that contradict the run and says the changes it applies.
"""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile
import time

from common import Checks, parse_args, run

args = parse_args()
check = Checks()
LK = args.latentkit
TINY = ["--model", "vae", "--data", "moons", "--hidden", "8", "--latent", "2", "--limit", "400",
        "--batch-size", "50", "--threads", "1", "--quiet"]
# Trains until stopped (a few milliseconds an epoch).
ENDLESS = ["--model", "vae", "--data", "moons", "--hidden", "8", "--latent", "2", "--limit", "4000",
           "--batch-size", "50", "--threads", "1", "--quiet", "--epochs", "1000000"]


def one_line_error(proc, *needles):
    """Exit 2 and one stderr line that starts like latentkit's errors and names every needle."""
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    return (proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("latentkit: error: ")
            and all(str(n) in lines[0] for n in needles)), (lines[0] if lines else f"(exit {proc.returncode}, no stderr)")


def epochs(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        return [json.loads(l)["epoch"] for l in f if l.strip()]


def attempt(*cmd, timeout=60):
    """Runs latentkit, killing it after `timeout` seconds (a second writer that is not refused
    would train on)."""
    proc = subprocess.Popen([LK, *map(str, cmd)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdout_text, proc.stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.stdout_text, proc.stderr = proc.communicate()
    return proc


def start(out, *extra):
    """An endless training into `out`, once its first epoch is recorded."""
    proc = subprocess.Popen([LK, "train", *map(str, ENDLESS), "--out", str(out), *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "checkpoints" / "last.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    if proc.poll() is not None:
        raise AssertionError(f"training into {out} ended early ({proc.returncode}): {proc.communicate()[1]}")
    return proc


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)

    # --- a finished run is not overwritten --------------------------------------------------
    out = tmp / "run"
    run(LK, "train", *TINY, "--epochs", 3, "--out", out)
    (out / "notes.txt").write_text("mine\n")
    before = (out / "checkpoints" / "last.pt").read_bytes()
    again = run(LK, "train", *TINY, "--epochs", 1, "--out", out, check=False)
    ok, line = one_line_error(again, out, "--resume", "--force")
    check(ok and (out / "checkpoints" / "last.pt").read_bytes() == before and epochs(out) == [1, 2, 3],
          f"train into a directory holding a run is refused and changes nothing: {line}")

    # --- --force moves it aside -------------------------------------------------------------
    forced = run(LK, "train", *TINY, "--epochs", 1, "--out", out, "--force", check=False)
    aside = sorted(p for p in tmp.iterdir() if p.name.startswith("run.old-"))
    check(forced.returncode == 0 and len(aside) == 1 and str(aside[0]) in forced.stderr
          and epochs(aside[0]) == [1, 2, 3] and (aside[0] / "notes.txt").read_text() == "mine\n"
          and (aside[0] / "checkpoints" / "last.pt").read_bytes() == before and epochs(out) == [1]
          and not (out / "notes.txt").exists(),
          f"--force moves the old run, with everything in it, to {aside[0].name if aside else '?'} "
          f"and trains afresh in {out.name}")
    check(one_line_error(run(LK, "train", *TINY, "--out", out, "--force", "--resume", check=False),
                         "--force", "--resume")[0], "--force with --resume is refused")

    # A directory with other files but no run, and an empty checkpoints/, are fine.
    other = tmp / "other"
    (other / "checkpoints").mkdir(parents=True)
    (other / "readme.txt").write_text("x")
    check(run(LK, "train", *TINY, "--epochs", 1, "--out", other, check=False).returncode == 0
          and (other / "readme.txt").exists(), "a directory holding no run (other files only) is trained into")

    # --- --resume: contradictions refused, changes said --------------------------------------
    res = run(LK, "train", "--resume", "--out", out, "--model", "ae", "--latent", 3, "--data", "spiral",
              check=False)
    ok, line = one_line_error(res, "--model ae", "--latent 3", "--data spiral")
    check(ok, f"--resume with another kind, latent size and data names all three: {line}")
    res = run(LK, "train", "--resume", "--out", out, "--model", "vae", "--data", "moons", "--latent", 2,
              "--epochs", 2, "--threads", 2, check=False)
    notes = [l for l in res.stderr.splitlines() if "note:" in l]
    check(res.returncode == 0 and epochs(out) == [1, 2] and any("--epochs 2 (was 1)" in n for n in notes)
          and any("--threads 2 (was 1)" in n for n in notes) and len(notes) == 2,
          f"--resume repeating the run's values is accepted; the changes are said: {notes}")
    # --lr may change: the optimiser continues with the new rate, and the run records it.
    base = tmp / "lr-base"
    run(LK, "train", *TINY, "--epochs", 1, "--out", base)
    same, faster = tmp / "lr-same", tmp / "lr-faster"
    shutil.copytree(base, same)
    shutil.copytree(base, faster)
    run(LK, "train", "--resume", "--out", same, "--epochs", 2, "--quiet")
    res = run(LK, "train", "--resume", "--out", faster, "--epochs", 2, "--lr", 0.05, "--quiet", check=False)
    with open(same / "metrics.jsonl") as f:
        a = [json.loads(l) for l in f if l.strip()]
    with open(faster / "metrics.jsonl") as f:
        b = [json.loads(l) for l in f if l.strip()]
    lr = json.loads((faster / "config.json").read_text())["train"]["lr"]
    losses = [m[1]["train"]["loss"] if len(m) > 1 else None for m in (a, b)]
    check(res.returncode == 0 and "--lr 0.05 (was 0.001)" in res.stderr and lr == 0.05
          and len(a) == len(b) == 2 and a[0] == b[0] and a[1]["train"] != b[1]["train"],
          f"--resume --lr 0.05 is said, recorded ({lr}) and trains the next epoch at the new rate "
          f"(epoch 2's train loss {losses[0]} at 0.001, {losses[1]} at 0.05)")
    missing = run(LK, "train", "--resume", "--out", tmp / "nothing", check=False)
    check(one_line_error(missing, tmp / "nothing")[0], f"--resume of a missing directory: {missing.stderr.strip()}")

    # --- --out that cannot be a run directory -------------------------------------------------
    afile = tmp / "afile"
    afile.write_text("not a directory\n")
    for target, what in ((afile, "an existing file"), (afile / "x", "a path under a file")):
        proc = run(LK, "train", *TINY, "--epochs", 1, "--out", target, check=False)
        ok, line = one_line_error(proc, target)
        check(ok and "internal" not in line and afile.read_text() == "not a directory\n",
              f"--out {what}: {line}")

    # A read-only directory. chmod does not stop root, so as root the trainer runs as nobody.
    ro = tmp / "ro"
    ro.mkdir()
    ro_nested = tmp / "ro2" / "x"
    (tmp / "ro2").mkdir()
    for d in (ro, tmp / "ro2"):
        d.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    preexec = None
    if os.geteuid() == 0:
        tmp.chmod(0o755)
        def preexec():  # noqa: E306
            os.setgid(65534)
            os.setuid(65534)
    for target in (ro, ro_nested):
        proc = subprocess.run([LK, "train", *map(str, TINY), "--epochs", "1", "--out", str(target)],
                              capture_output=True, text=True, preexec_fn=preexec)
        ok, line = one_line_error(proc, target)
        check(ok and "internal" not in line, f"--out {target.name} in a read-only directory"
              f"{' (run as nobody: root ignores modes)' if preexec else ''}: {line}")

    # --- two writers ------------------------------------------------------------------------
    busy = tmp / "busy"
    first = start(busy)
    started = time.time()
    for second in (["train", "--resume", "--out", busy, "--epochs", 1000001, "--quiet"],
                   ["train", *TINY, "--epochs", 1, "--out", busy, "--force"]):
        ok, line = one_line_error(attempt(*second, timeout=20), busy, f"pid {first.pid}")
        check(ok and time.time() - started < 30, f"a second writer ({'--resume' if '--resume' in second else 'afresh, --force'}) is refused at once: {line}")
    check(not [p for p in tmp.iterdir() if p.name.startswith("busy.old-")],
          "--force does not move a run that is being written")
    first.terminate()
    first.communicate(timeout=60)
    check(first.returncode == 130, f"the first writer was not disturbed (exit {first.returncode} on SIGTERM)")
    after = run(LK, "train", "--resume", "--out", busy, "--epochs", epochs(busy)[-1] + 1, check=False)
    check(after.returncode == 0, "once the writer has ended (its lock with it) the run resumes")

    # A writer killed with SIGKILL leaves its lock file, but not the lock.
    killed = tmp / "killed"
    victim = start(killed)
    victim.kill()
    victim.communicate()
    proc = run(LK, "train", "--resume", "--out", killed, "--epochs", 1, check=False)
    check(proc.returncode == 0, f"a writer's lock goes with it when it is killed (resume exit {proc.returncode})")

    # --- under --nproc the launcher holds the lock and rank 0 writes ---------------------------
    dist = tmp / "dist"
    launcher = start(dist, "--nproc", 2, "--dist-timeout", 20)
    second = attempt("train", *TINY, "--epochs", 1, "--out", dist, "--force", "--nproc", "2", timeout=60)
    ok, line = one_line_error(second, dist, f"pid {launcher.pid}")
    check(ok, f"--nproc 2: rank 0 trains under the launcher's lock; a second launcher is refused: {line}")
    launcher.send_signal(2)
    _, err = launcher.communicate(timeout=120)
    check(launcher.returncode == 130, f"the 2-rank run stops on SIGINT (exit {launcher.returncode})")
    res = run(LK, "train", "--resume", "--out", dist, "--epochs", epochs(dist)[-1] + 1, "--nproc", "2",
              "--quiet", check=False)
    check(res.returncode == 0, f"and resumes on 2 ranks (exit {res.returncode}) {res.stderr.strip()}")

check.finish()
