"""Data-parallel training: N local ranks (`train --nproc N`, and torchrun) against one process.

What is asserted, against computations made here:
- for vae (fused step), dae (autograd), aae (three optimizers), rbm (CD statistics), gmm (E-step
  sums, k-means++ start), realnvp (dequantisation noise) and glow (ActNorm's data-dependent
  start), 2 ranks
  and 1 rank with the same global batch and seed give the same metrics and weights (each
  checkpoint opened here with torch.load), within the float32 tolerance stated per model; the same
  for 3 ranks with shards of unequal size;
- a run stopped by SIGINT on 2 ranks resumes on 1 and on 3 ranks and ends where an uninterrupted
  1-rank run ends;
- a rank killed mid-epoch, or one that hangs (SIGSTOP), ends the others within --dist-timeout
  with one line naming the rank and the run, and the checkpoint on disk still loads;
- under torchrun with --max_restarts 1, a rank killed once: the group restarts, resumes from the
  last checkpoint and completes every epoch.
"""
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from common import Checks, import_torch, parse_args, run

args = parse_args()
torch = import_torch()
import numpy  # noqa: E402  (python3-numpy comes with python3-torch)

check = Checks()
ROWS, SIDE = 300, 8


def images(path):
    """ROWS 8x8 grey images: a bright square at a random place on a dim noisy ground."""
    rng = random.Random(11)
    data = numpy.zeros((ROWS, SIDE * SIDE), dtype=numpy.uint8)
    for n in range(ROWS):
        r, c, s = rng.randrange(0, 5), rng.randrange(0, 5), rng.randrange(2, 4)
        for i in range(SIDE):
            for j in range(SIDE):
                inside = r <= i < r + s and c <= j < c + s
                data[n, i * SIDE + j] = rng.randrange(180, 256) if inside else rng.randrange(0, 60)
    numpy.save(path, data)


def train(out, kind, extra, nproc=1, env=None, check_rc=True, epochs=2):
    cmd = [args.latentkit, "train", "--model", kind, "--data", f"npy:{DATA}", "--image-shape",
           f"1,{SIDE},{SIDE}", "--epochs", str(epochs), "--out", str(out), "--quiet", *extra]
    if nproc > 1:
        cmd += ["--nproc", str(nproc)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check_rc and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def weights(run_dir):
    ck = torch.load(str(pathlib.Path(run_dir) / "checkpoints" / "last.pt"))
    return {k: v for k, v in ck["model"].items() if torch.is_tensor(v) and v.is_floating_point()}


def metrics(run_dir):
    lines = (pathlib.Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def rank_pid(launcher, rank):
    """The process of `rank` among the launcher's children (its RANK variable tells)."""
    children = subprocess.run(["pgrep", "-P", str(launcher)], capture_output=True, text=True).stdout.split()
    for pid in children:
        try:
            env = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in env:
            return int(pid)
    return None


def compare(a, b, tol_weights, tol_metrics):
    """Largest weight difference, largest relative difference of the train and test terms."""
    wa, wb = weights(a), weights(b)
    if wa.keys() != wb.keys():
        return float("inf"), float("inf")
    dw = max((wa[k].double() - wb[k].double()).abs().max().item() for k in wa)
    dm = 0.0
    ma, mb = metrics(a), metrics(b)
    if len(ma) != len(mb):
        return dw, float("inf")
    for la, lb in zip(ma, mb):
        for part in ("train", "test"):
            for name, va in la[part].items():
                if name == "mmd":  # a statistic of whole evaluation batches, not of rows
                    continue
                vb = lb[part].get(name)
                if vb is None:
                    return dw, float("inf")
                dm = max(dm, abs(va - vb) / max(1.0, abs(va)))
    return dw, dm


tmp = pathlib.Path(tempfile.mkdtemp(prefix="latentkit-dist-"))
DATA = tmp / "squares.npy"
try:
    images(DATA)
    common = ["--batch-size", "30", "--seed", "3"]
    # kind: (flags, weight tolerance, metric tolerance). float32 sums over shards differ from the
    # whole batch's in the last bits; Adam's normalised steps carry that into the weights.
    cases = {
        "vae": (["--latent", "4", "--hidden", "32"], 1e-4, 1e-5),
        "dae": (["--latent", "4", "--hidden", "32", "--noise", "gaussian:0.2"], 1e-4, 1e-5),
        "aae": (["--latent", "2", "--hidden", "32"], 1e-4, 1e-5),
        "rbm": (["--latent", "16"], 1e-5, 1e-5),
        "gmm": (["--components", "3", "--covariance", "diag"], 1e-6, 1e-6),
        "realnvp": (["--flow-steps", "1", "--flow-hidden", "8"], 1e-4, 1e-5),
        # ActNorm starts its offsets where their gradient is zero: Adam's normalised step turns
        # rounding-level differences of those gradients into steps of up to --lr (1e-3) each.
        "glow": (["--flow-steps", "1", "--flow-hidden", "8"], 5e-3, 1e-5),
    }
    for kind, (flags, tol_w, tol_m) in cases.items():
        one, two = tmp / f"{kind}-1", tmp / f"{kind}-2"
        train(one, kind, common + flags)
        train(two, kind, common + flags, nproc=2)
        dw, dm = compare(one, two, tol_w, tol_m)
        check(dw < tol_w and dm < tol_m,
              f"{kind}: 2 ranks = 1 rank after {len(metrics(one))} epochs of 8 steps: weights within "
              f"{dw:.2e} (< {tol_w:g}), train and test terms within {dm:.2e} relative (< {tol_m:g})")

    # Three ranks, shards of 11, 11 and 10 rows of each global batch of 32.
    for kind in ("vae", "rbm"):
        flags, tol_w, tol_m = cases[kind]
        one, three = tmp / f"{kind}-1-b32", tmp / f"{kind}-3-b32"
        odd = ["--batch-size", "32", "--seed", "3"] + flags
        train(one, kind, odd)
        train(three, kind, odd, nproc=3)
        dw, dm = compare(one, three, tol_w, tol_m)
        check(dw < tol_w and dm < tol_m,
              f"{kind}: 3 ranks (shards 11, 11, 10) = 1 rank: weights within {dw:.2e}, terms within {dm:.2e}")

    # --- stopped on 2 ranks, resumed on 1 and on 3 --------------------------------------------
    flags = common + ["--latent", "4", "--hidden", "64,64", "--no-fused"]
    straight = tmp / "straight"
    train(straight, "vae", flags, epochs=4)
    stopped = tmp / "stopped"
    cmd = [args.latentkit, "train", "--model", "vae", "--data", f"npy:{DATA}", "--image-shape",
           f"1,{SIDE},{SIDE}", "--epochs", "4", "--out", str(stopped), "--quiet", "--nproc", "2", *flags]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (stopped / "metrics.jsonl").exists() and metrics(stopped):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    state = json.loads(torch.load(str(stopped / "checkpoints" / "last.pt"))["state"])
    at = (state["epoch"], state["batch"])
    check(proc.returncode == 130 and "stopped by signal" in err,
          f"SIGINT to `train --nproc 2` stops both ranks with one checkpoint (exit {proc.returncode}, "
          f"saved at epoch {at[0]} batch {at[1]})")
    for ranks in (1, 3):
        resumed = tmp / f"resumed-{ranks}"
        shutil.copytree(stopped, resumed)
        cmd = [args.latentkit, "train", "--resume", "--out", str(resumed), "--quiet"]
        if ranks > 1:
            cmd += ["--nproc", str(ranks)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        dw, dm = compare(straight, resumed, 1e-4, 1e-5) if r.returncode == 0 else (float("inf"),) * 2
        check(r.returncode == 0 and dw < 1e-4 and dm < 1e-5,
              f"the run stopped on 2 ranks resumes on {ranks} and ends where 1 uninterrupted rank "
              f"ends: weights within {dw:.2e}, terms within {dm:.2e}")

    def faulty_group(name, timeout, sig):
        """A 2-rank run whose rank 1 gets `sig` after the first epoch: (run dir, exit status,
        seconds from the signal to the end, non-empty stderr lines, the victim's pid or None)."""
        out = tmp / name
        cmd = [args.latentkit, "train", "--model", "vae", "--data", f"npy:{DATA}", "--image-shape",
               f"1,{SIDE},{SIDE}", "--epochs", "200", "--out", str(out), "--quiet", "--nproc", "2",
               "--dist-timeout", str(timeout), *flags]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and not ((out / "metrics.jsonl").exists() and metrics(out)):
            time.sleep(0.05)
        victim = rank_pid(proc.pid, 1)
        signalled_at = time.time()
        if victim:
            os.kill(victim, sig)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        lines = [line for line in err.splitlines() if line.strip()]
        return out, proc.returncode, time.time() - signalled_at, lines, victim

    # --- a rank dies ------------------------------------------------------------------------
    dead, rc, took, lines, victim = faulty_group("dead", 5, signal.SIGKILL)
    check(victim is not None and rc not in (0, None) and took < 5 + 10 and len(lines) == 1
          and "rank 1 of 2" in lines[0] and str(dead) in lines[0],
          f"killing rank 1 ends the group in {took:.1f} s (timeout 5 s), exit {rc}, one line: "
          f"{lines[0] if lines else '(none)'}")
    try:
        ck = torch.load(str(dead / "checkpoints" / "last.pt"))
        loadable = json.loads(ck["state"])["epoch"] >= 1 and len(ck["model"]) > 0
    except Exception as e:  # noqa: BLE001
        loadable = False
    check(loadable, "the checkpoint left on disk loads with torch.load")

    # --- a rank hangs (SIGSTOP) -------------------------------------------------------------
    hung, rc, took, lines, victim = faulty_group("hung", 4, signal.SIGSTOP)
    # 4 s of timeout, 1.5 s to tell who is missing, 5 s before the launcher stops the hung rank.
    check(victim is not None and rc == 4 and took < 4 + 1.5 + 5 + 5 and len(lines) == 1
          and "rank 1 of 2 stopped answering" in lines[0] and str(hung) in lines[0],
          f"a hung rank 1 ends the group in {took:.1f} s (timeout 4 s), exit {rc}: "
          f"{lines[0] if lines else '(none)'}")

    # --- torchrun restarts the group once ------------------------------------------------------
    torchrun = shutil.which("torchrun") or "/usr/bin/torchrun"
    if os.path.exists(torchrun):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        elastic = tmp / "elastic"
        # Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its default --redirects
        # and --tee values (meta-llama/llama#86); 1 (stdout) for both avoids that.
        cmd = [torchrun, "--redirects", "1", "--tee", "1", "--no_python", "--nproc_per_node", "2", "--max_restarts", "1",
               "--master_addr", "127.0.0.1", "--master_port", str(port), args.latentkit, "train",
               "--model", "vae", "--data", f"npy:{DATA}", "--image-shape", f"1,{SIDE},{SIDE}",
               "--epochs", "12", "--out", str(elastic), "--quiet", "--dist-timeout", "5", *flags]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and not ((elastic / "metrics.jsonl").exists() and len(metrics(elastic)) >= 2):
            time.sleep(0.05)
        victim = None
        for pid in subprocess.run(["pgrep", "-f", str(elastic)], capture_output=True, text=True).stdout.split():
            try:
                env = pathlib.Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"RANK=1" in env and b"TORCHELASTIC_RESTART_COUNT=0" in env:
                victim = int(pid)
        if victim:
            os.kill(victim, signal.SIGKILL)
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        epochs = [m["epoch"] for m in metrics(elastic)] if (elastic / "metrics.jsonl").exists() else []
        check(victim is not None and proc.returncode == 0 and epochs == list(range(1, 13))
              and "restart 1 of the group" in err,
              f"torchrun --max_restarts 1: rank 1 killed once, the group restarted from the last "
              f"checkpoint and finished (exit {proc.returncode}, epochs {epochs[:1]}..{epochs[-1:]})")
    else:
        print("note: torchrun not found; the restart check did not run")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
check.finish()
