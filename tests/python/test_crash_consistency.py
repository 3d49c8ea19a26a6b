"""A run directory stays consistent when training is killed at any instant.

- kill -9 at random moments of many short epochs, half of them the instant a checkpoint's
  temporary file appears (inside the checkpoint write): after every kill `info --run` reads the
  run and metrics.jsonl holds exactly epochs 1..E or 1..E+1 (E the checkpoint's epoch; one line
  ahead is repaired on resume); resumed to the end, the log is epochs 1..N in order, each line
  equal to an uninterrupted run's, metrics.csv agrees, and no temporary file is left;
- a torn last line and a line missing behind the checkpoint are repaired on resume;
- SIGINT twice (the second while the checkpoint is written) still exits 130 with a checkpoint
  that loads.
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import tempfile
import time

from common import Checks, parse_args, run

args = parse_args()
check = Checks()
LK = args.latentkit
EPOCHS = 40
# Wide layers make a checkpoint of 6 MB, so its write is long enough to be hit; 4 batches keep
# an epoch at a few tens of milliseconds.
TRAIN = ["--model", "vae", "--data", "moons", "--hidden", "512,512", "--latent", "2", "--limit", "400",
         "--batch-size", "100", "--threads", "1", "--seed", "5", "--quiet"]


def log_lines(run_dir):
    """(epochs of the whole lines, whether the file ends in a torn line)."""
    path = pathlib.Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return [], False
    text = path.read_text()
    lines = text.split("\n")
    torn = lines[-1] != ""
    out = []
    for line in lines[:-1]:
        if line.strip():
            out.append(json.loads(line)["epoch"])
    return out, torn


def comparable(run_dir):
    """The terms of every epoch, without the timings (which differ between runs)."""
    with open(pathlib.Path(run_dir) / "metrics.jsonl") as f:
        return [(m["epoch"], m["train"], m["test"]) for m in map(json.loads, filter(str.strip, f))]


def temporaries(run_dir):
    return [str(p) for p in pathlib.Path(run_dir).rglob("*") if ".tmp." in p.name]


def epochs_done(run_dir):
    """The checkpoint's epoch by `latentkit info --json`, or None when there is no checkpoint yet."""
    proc = subprocess.run([LK, "info", "--run", str(run_dir), "--json"], capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc
    return json.loads(proc.stdout)["epochs_done"], proc


def logged_count(run_dir):
    try:
        return (pathlib.Path(run_dir) / "metrics.jsonl").read_bytes().count(b"\n")
    except OSError:
        return 0


def kill_during(cmd, run_dir, rng, target):
    """Starts cmd and kills it with SIGKILL: as soon as `target` (a checkpoint's temporary file,
    "last.pt.tmp." or "best.pt.tmp.") exists, or, when target is None, at a random moment 0 to 40
    ms after 1 to 3 more epochs were logged. Points are events, not times, so that a loaded
    machine moves them all alike. Returns (exit status or None when it finished first, whether
    target was hit)."""
    before = logged_count(run_dir)
    grow = rng.randint(1, 3)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ckdir = pathlib.Path(run_dir) / "checkpoints"
    deadline = time.time() + 120
    hit = False
    while proc.poll() is None and time.time() < deadline:
        if target:
            if ckdir.is_dir() and any(n.startswith(target) for n in os.listdir(ckdir)):
                hit = True
                break
        elif logged_count(run_dir) >= before + grow:
            time.sleep(rng.uniform(0, 0.04))
            break
        else:
            time.sleep(0.001)
    if proc.poll() is not None:
        proc.communicate()
        return None, False
    proc.kill()
    proc.communicate()
    return proc.returncode, hit


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    reference = tmp / "reference"
    run(LK, "train", *TRAIN, "--epochs", EPOCHS, "--out", reference)
    want = comparable(reference)

    # --- kill -9, again and again, until the run is complete ---------------------------------
    rng = random.Random(16)
    out = tmp / "killed"
    kills = inside = 0
    consistent = []
    info_ok = True
    ahead_seen = 0
    for attempt in range(16):
        started = (out / "checkpoints" / "last.pt").exists()
        cmd = [LK, "train", *TRAIN, "--epochs", str(EPOCHS), "--out", str(out)]
        if started:
            cmd = [LK, "train", "--resume", "--out", str(out), "--quiet"]
        elif out.exists():
            cmd.append("--force")  # killed before the first checkpoint: nothing to resume
        # Inside last.pt's write, inside best.pt's (last.pt is the commit: the log's line must be
        # on the disk by then), or anywhere.
        target = (None, "last.pt.tmp.", None, "best.pt.tmp.")[attempt % 4]
        rc, hit = kill_during(cmd, out, rng, target)
        if rc is None:
            break
        kills += 1
        inside += hit
        done, proc = epochs_done(out)
        if done is None:
            info_ok &= proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
            continue
        logged, torn = log_lines(out)
        ok = logged in (list(range(1, done + 1)), list(range(1, done + 2)))
        ahead_seen += logged == list(range(1, done + 2))
        consistent.append(ok)
        if not ok:
            print(f"  after kill {kills}: checkpoint at epoch {done}, log {logged}{' (torn)' if torn else ''}")
    check(kills >= 10 and inside >= 3, f"{kills} kills with SIGKILL, {inside} of them inside a checkpoint write")
    check(info_ok, "`info --run` reads the run after every kill (or says in one line that no checkpoint is there yet)")
    check(consistent and all(consistent),
          f"after each of {len(consistent)} kills the log holds epochs 1..E or 1..E+1 for the checkpoint's E "
          f"({ahead_seen} times one line ahead)")
    final = subprocess.run([LK, "train", "--resume", "--out", str(out), "--quiet"], capture_output=True, text=True)
    got = comparable(out)
    check(final.returncode == 0 and [e for e, _, _ in got] == list(range(1, EPOCHS + 1)),
          f"resumed to the end: epochs 1..{EPOCHS} in order, none missing or repeated "
          f"({[e for e, _, _ in got][:3]}..{[e for e, _, _ in got][-3:]})")
    check(got == want, "and every line equals the uninterrupted run's (train and test terms)")
    with open(out / "metrics.csv") as f:
        rows = [line.split(",")[0] for line in f.read().splitlines()[1:]]
    check(rows == [str(e) for e in range(1, EPOCHS + 1)], "metrics.csv has the same epochs")
    left = temporaries(out)
    check(not left, f"no temporary file is left once a resume has run ({left[:2]})")

    # --- a stale temporary of a dead writer is removed; a live writer's is not ----------------
    stale = out / "checkpoints" / "last.pt.tmp.999999999"
    stale.write_bytes(b"half a checkpoint")
    sleeper = subprocess.Popen(["sleep", "30"])
    live = out / "checkpoints" / f"last.pt.tmp.{sleeper.pid}"
    live.write_bytes(b"being written")
    run(LK, "train", "--resume", "--out", out, "--epochs", EPOCHS + 1)
    check(not stale.exists() and live.exists(),
          "the next start removes a temporary whose writer is gone, and keeps one whose writer is alive")
    sleeper.kill()
    sleeper.wait()
    live.unlink()

    # --- a torn last line, and a line missing behind the checkpoint -----------------------------
    path = out / "metrics.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # epoch EPOCHS+1 torn
    res = run(LK, "train", "--resume", "--out", out, "--epochs", EPOCHS + 2, "--quiet")
    logged, torn = log_lines(out)
    check(logged == list(range(1, EPOCHS + 3)) and not torn and "restored" in res.stderr,
          f"a torn last line is replaced by the checkpoint's copy: {res.stderr.strip()}")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]) + lines[-1] + lines[-1])  # EPOCHS+1 missing, EPOCHS+2 twice
    res = run(LK, "train", "--resume", "--out", out, "--epochs", EPOCHS + 3, "--quiet")
    logged, _ = log_lines(out)
    check(logged == list(range(1, EPOCHS + 1)) + [EPOCHS + 2, EPOCHS + 3] and "dropped 1" in res.stderr,
          f"a repeated line is dropped (a gap of an older run stays a gap): {res.stderr.strip()}")

    # --- SIGINT twice ----------------------------------------------------------------------------
    results = []
    for trial in range(4):
        twice = tmp / f"twice-{trial}"
        cmd = [LK, "train", *TRAIN, "--epochs", "100000", "--out", str(twice)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ck = twice / "checkpoints" / "last.pt"
        deadline = time.time() + 60
        while not ck.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        if trial % 2:
            # The second one as the interrupt's checkpoint is being written: its temporary exists.
            ckdir = str(twice / "checkpoints")
            while proc.poll() is None and not any(".tmp." in n for n in os.listdir(ckdir)):
                pass
        alive = proc.poll() is None
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        done, info = epochs_done(twice)
        if alive:
            results.append((proc.returncode, "checkpoint saved" in err, "already stopping" in err, done is not None))
    check(len(results) >= 2 and all(r == (130, True, True, True) for r in results),
          f"SIGINT, then SIGINT and SIGTERM at once or during the checkpoint write: exit 130 with a "
          f"checkpoint that loads, each time (exit, saved, second answered, loads): {results}")

check.finish()
