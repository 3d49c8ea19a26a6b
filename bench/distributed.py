#!/usr/bin/python3
"""Data-parallel training of the reference VAE: latentkit against PyTorch DDP, both under torchrun.

For each rank count N in --ranks-list and each of --repeats repeats (alternating which side goes
first), one training epoch on Fashion-MNIST (the first --limit images; all by default), global batch --batch-size:
- latentkit:  torchrun --no_python --nproc_per_node N <latentkit> train --model vae
                  --data fashion-mnist --limit L --epochs 1 --batch-size B --hidden 400 --latent 20
                  --seed S --out <tmpdir> --quiet
  its time is "seconds" of metrics.jsonl (the epoch, evaluation excluded) and its gradient
  volume "allreduce_bytes_per_step" (written when N > 1);
- PyTorch:    torchrun --nproc_per_node N bench/reference_vae_ddp.py --limit L --batch-size B
  (DistributedDataParallel over Gloo, the same model, shards and optimiser; on one rank the plain
  model in one process, as latentkit's single rank is), timed the same way.
Each rank gets cores / N intra-op threads (OMP_NUM_THREADS is set so; PyTorch takes the better of
that and one thread, its best on small models), so N ranks on this machine share its cores: the table shows what the all-reduce and the smaller shards cost,
not a speed-up. Reported: medians, PyTorch seconds / latentkit seconds (above 1: latentkit is
faster), and each side's time at N relative to its own time at 1 rank.

The projection for machines connected by a network uses a stated model, not a measurement:
  step(N, b) = compute_per_sample * b / N + ring all-reduce(N)
  ring all-reduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency
with compute_per_sample from latentkit's 1-rank epoch here (one whole machine per rank), bytes
the measured all-reduce volume per step, and --bandwidth-gbit / --latency-us (default 10 Gb/s,
50 us: commodity Ethernet). It ignores overlap of the all-reduce with backward (latentkit starts
the buckets after backward) and the loss of efficiency of very small shards.

  /usr/bin/python3 bench/distributed.py --latentkit build/latentkit [--ranks-list 1,2]
      [--repeats 3] [--limit 0] [--markdown out.md]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = "distributed.py"


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def torchrun_prefix(torchrun, ranks):
    # Debian 12's torchrun (PyTorch 1.13, Python 3.11) cannot parse its default --redirects/--tee.
    return [torchrun, "--redirects", "1", "--tee", "1", "--nproc_per_node", str(ranks),
            "--master_addr", "127.0.0.1", "--master_port", str(free_port())]


def environment(ranks):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(max(1, cores() // ranks))
    return env


def run_checked(cmd, env, what):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        raise BenchError(f"{what} exited with status {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def latentkit_epoch(a, ranks, seed):
    with tempfile.TemporaryDirectory(prefix="latentkit_dist_") as tmp:
        out = os.path.join(tmp, "run")
        cmd = torchrun_prefix(a.torchrun, ranks) + [
            "--no_python", a.latentkit, "train", "--model", "vae", "--data", "fashion-mnist",
            "--limit", str(a.limit), "--epochs", "1", "--batch-size", str(a.batch_size),
            "--hidden", "400", "--latent", "20", "--seed", str(seed), "--out", out, "--quiet"]
        run_checked(cmd, environment(ranks), f"latentkit on {ranks} rank(s)")
        path = os.path.join(out, "metrics.jsonl")
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        if not lines:
            raise BenchError(f"{path}: empty")
        line = lines[-1]
        return {"seconds": float(line["seconds"]), "bytes": int(line.get("allreduce_bytes_per_step", 0)),
                "loss": float(line["train"]["loss"])}


def pytorch_epoch(a, ranks, seed, threads=0):
    cmd = torchrun_prefix(a.torchrun, ranks) + [
        os.path.join(HERE, "reference_vae_ddp.py"), "--limit", str(a.limit),
        "--batch-size", str(a.batch_size), "--seed", str(seed), "--threads", str(threads)]
    env = environment(ranks)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    stdout = run_checked(cmd, env, f"PyTorch DDP on {ranks} rank(s)")
    for line in reversed(stdout.splitlines()):
        if "{" in line:  # torchrun's --tee prefixes each line with the rank
            record = json.loads(line[line.index("{"):])
            return {"seconds": float(record["seconds"]), "bytes": int(record["allreduce_bytes_per_step"]),
                    "steps": int(record["steps"]), "loss": float(record["loss"])}
    raise BenchError(f"PyTorch DDP on {ranks} rank(s) printed no JSON line")


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(r) for r in rows])


def projection(per_sample, nbytes, bandwidth, latency, batches, rank_counts):
    rows = []
    for b in batches:
        single = per_sample * b
        row = [str(b), f"{single * 1e3:.2f}"]
        for n in rank_counts:
            comm = 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency
            step = per_sample * b / n + comm
            row.append(f"{step * 1e3:.2f} ms ({single / step:.1f}x)")
        rows.append(row)
    return table(["global batch", "1 rank (ms/step)"] + [f"{n} ranks" for n in rank_counts], rows)


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: expected a positive integer")
    return value


def main():
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("--latentkit", required=True)
    p.add_argument("--torchrun", default=shutil.which("torchrun") or "/usr/bin/torchrun")
    p.add_argument("--ranks-list", default="1,2")
    p.add_argument("--repeats", type=positive, default=3)
    p.add_argument("--limit", type=int, default=0, help="the first L training images (0: all 60,000)")
    p.add_argument("--batch-size", type=positive, default=128)
    p.add_argument("--bandwidth-gbit", type=float, default=10.0)
    p.add_argument("--latency-us", type=float, default=50.0)
    p.add_argument("--markdown")
    a = p.parse_args()
    for path, what in ((a.latentkit, "latentkit binary"), (a.torchrun, "torchrun")):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path}: no such {what} (or not executable)")
    rank_counts = [positive(x) for x in a.ranks_list.split(",")]
    if 1 not in rank_counts:
        rank_counts.insert(0, 1)
    if max(rank_counts) == 1:
        raise BenchError(f"--ranks-list {a.ranks_list}: needs a rank count above 1 (the all-reduce is measured there)")
    results = {}
    for n in rank_counts:
        lk, pt = [], []
        for r in range(a.repeats):
            order = [("lk", latentkit_epoch), ("pt", pytorch_epoch)]
            for name, fn in (order if r % 2 == 0 else order[::-1]):
                if name == "lk":
                    lk.append(fn(a, n, 1 + r))
                else:  # PyTorch at the better of cores / N threads per rank and one
                    runs = [fn(a, n, 1 + r)] + ([fn(a, n, 1 + r, 1)] if cores() // n > 1 else [])
                    pt.append(min(runs, key=lambda x: x["seconds"]))
        results[n] = (lk, pt)
        print(f"{n} rank(s): latentkit {[round(x['seconds'], 3) for x in lk]} s, "
              f"PyTorch DDP {[round(x['seconds'], 3) for x in pt]} s", file=sys.stderr, flush=True)

    med = {n: (statistics.median(x["seconds"] for x in lk), statistics.median(x["seconds"] for x in pt))
           for n, (lk, pt) in results.items()}
    rows = []
    for n in rank_counts:
        lk, pt = results[n]
        lk_bytes = lk[-1]["bytes"]
        rows.append([str(n), f"{med[n][0]:.3f}", f"{med[n][1]:.3f}", f"{med[n][1] / med[n][0]:.2f}",
                     f"{med[n][0] / med[1][0]:.2f}", f"{med[n][1] / med[1][1]:.2f}",
                     f"{lk_bytes / 1e6:.3f}" if n > 1 else "-", f"{pt[-1]['bytes'] / 1e6:.3f}" if n > 1 else "-"])
    measured = table(["ranks", "latentkit s", "PyTorch DDP s", "PyTorch / latentkit",
                      "latentkit vs 1 rank", "DDP vs 1 rank", "latentkit MB all-reduced/step",
                      "DDP MB/step"], rows)
    steps = results[1][1][0]["steps"]
    per_sample = med[1][0] / (steps * a.batch_size)
    nbytes = max(results[n][0][-1]["bytes"] for n in rank_counts)
    proj = projection(per_sample, nbytes, a.bandwidth_gbit * 1e9 / 8, a.latency_us * 1e-6,
                      [a.batch_size, 1024, 8192], [2, 8, 64])
    images = f"the first {a.limit}" if a.limit > 0 else "all"
    header = (f"Reference VAE (784-400-20), {images} Fashion-MNIST training images, global batch {a.batch_size}, "
              f"{steps} steps/epoch, {cores()} cores shared by the ranks, median of {a.repeats}.")
    text = (f"{header}\n\n{measured}\n\nProjected step time with one such machine per rank, "
            f"{a.bandwidth_gbit:g} Gb/s, {a.latency_us:g} us, {nbytes / 1e6:.3f} MB per all-reduce "
            f"(speed-up over 1 rank in brackets):\n\n{proj}\n")
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        sys.exit(2)
