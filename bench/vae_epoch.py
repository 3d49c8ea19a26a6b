#!/usr/bin/python3
"""Times one training epoch of the reference VAE in latentkit and in PyTorch, side by side.

For each thread count T in --threads-list, repeats --repeats times (alternating which of the
two goes first): one latentkit epoch, run as
  <latentkit> train --model vae --data fashion-mnist --epochs 1 --batch-size 128 --lr 1e-3
                    --hidden 400 --latent 20 --threads T --seed S --out <tmpdir> --quiet
with its time read from <tmpdir>/metrics.jsonl ("seconds": training only, evaluation excluded),
and one PyTorch epoch of bench/reference_vae.py's model (same architecture, loss, optimiser,
batch size and data), trained from a fresh initialisation with torch.set_num_threads(T) in
this process and timed the same way. Reports the medians and their ratio
(PyTorch seconds / latentkit seconds: above 1 means latentkit is faster), plus the best
of each over the thread counts.

--quality instead trains both for --epochs epochs (default 10) at one thread count and prints
both final test ELBOs and their difference.

Run with Debian's python3-torch:
  /usr/bin/python3 bench/vae_epoch.py --latentkit build/latentkit [--markdown out.md]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import torch

# PyTorch's own start-up thread setting: what "threads 0" means on the PyTorch side.
DEFAULT_TORCH_THREADS = torch.get_num_threads()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_vae  # noqa: E402

PROG = "vae_epoch.py"


class BenchError(Exception):
    """Reported as one line; carries the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def machine_info():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    try:
        load = "%.2f" % os.getloadavg()[0]
    except OSError:
        load = "?"
    return {
        "load": load,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "cpu": model,
        "cores": usable,
        "logical_cpus": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def read_metrics(path):
    """Parses latentkit's metrics.jsonl into a list of dicts (one per epoch)."""
    if not os.path.isfile(path):
        raise BenchError(f"{path}: latentkit wrote no metrics.jsonl")
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise BenchError(f"{path}:{number}: not JSON: {e}") from e
            if not isinstance(record, dict) or "seconds" not in record:
                raise BenchError(f"{path}:{number}: no \"seconds\" key")
            records.append(record)
    if not records:
        raise BenchError(f"{path}: empty")
    return records


def run_latentkit(binary, threads, seed, epochs, batch_size, lr):
    """Runs `latentkit train` in a temporary directory; returns its metrics records."""
    with tempfile.TemporaryDirectory(prefix="latentkit_bench_") as tmp:
        out = os.path.join(tmp, "run")
        cmd = [binary, "train", "--model", "vae", "--data", "fashion-mnist",
               "--epochs", str(epochs), "--batch-size", str(batch_size), "--lr", repr(lr),
               "--hidden", str(reference_vae.HIDDEN), "--latent", str(reference_vae.LATENT),
               "--threads", str(threads), "--seed", str(seed), "--out", out, "--quiet"]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            last = detail[-1] if detail else "(no output)"
            raise BenchError(f"latentkit exited with status {proc.returncode}: {last}")
        return read_metrics(os.path.join(out, "metrics.jsonl"))


def latentkit_elbo(record):
    test = record.get("test")
    if not isinstance(test, dict) or "elbo" not in test:
        raise BenchError("latentkit metrics.jsonl: last record has no test.elbo")
    return float(test["elbo"])


def pytorch_epoch(data, threads, seed, batch_size, lr):
    torch.set_num_threads(threads or DEFAULT_TORCH_THREADS)
    model, optimizer = reference_vae.make_model(seed, lr=lr)
    _, seconds = reference_vae.train_epoch(model, optimizer, data[0], batch_size)
    return seconds


def format_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return " | ".join(str(c).rjust(w) for c, w in zip(cells, widths))

    return "\n".join([line(header), "-+-".join("-" * w for w in widths)] +
                     [line(r) for r in rows])


def format_markdown(header, rows, info, repeats):
    out = [f"CPU: {info['cpu']} ({info['cores']} cores usable), torch {info['torch']}, "
           f"load average {info['load']} at start, OMP_WAIT_POLICY {info['omp_wait_policy']}; "
           f"median of {repeats} one-epoch runs; ratio = PyTorch s / latentkit s.", "",
           "| " + " | ".join(header) + " |",
           "|" + "|".join("---:" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def bench_speed(args, data, info):
    header = ["threads", "latentkit s", "PyTorch s", "ratio"]
    rows = []
    medians = {}
    for threads in args.threads_list:
        lk_times, pt_times = [], []
        for rep in range(args.repeats):
            seed = args.seed + rep
            order = ("lk", "pt") if rep % 2 == 0 else ("pt", "lk")
            for which in order:
                if which == "lk":
                    records = run_latentkit(args.latentkit, threads, seed, 1, args.batch_size,
                                            args.lr)
                    lk_times.append(float(records[-1]["seconds"]))
                else:
                    pt_times.append(pytorch_epoch(data, threads, seed, args.batch_size, args.lr))
            print(f"  threads {threads} repeat {rep + 1}/{args.repeats}: "
                  f"latentkit {lk_times[-1]:.3f} s, PyTorch {pt_times[-1]:.3f} s",
                  file=sys.stderr, flush=True)
        lk, pt = statistics.median(lk_times), statistics.median(pt_times)
        medians[threads] = (lk, pt)
        rows.append([threads, f"{lk:.3f}", f"{pt:.3f}", f"{pt / lk:.2f}"])
    if len(medians) > 1:
        lk_best_t = min(medians, key=lambda t: medians[t][0])
        pt_best_t = min(medians, key=lambda t: medians[t][1])
        lk_best, pt_best = medians[lk_best_t][0], medians[pt_best_t][1]
        rows.append([f"best (lk {lk_best_t}, PyTorch {pt_best_t})", f"{lk_best:.3f}",
                     f"{pt_best:.3f}", f"{pt_best / lk_best:.2f}"])
    print(f"machine: {info['cpu']}, {info['cores']} cores usable "
          f"({info['logical_cpus']} logical), torch {info['torch']}, python {info['python']}, "
          f"load average {info['load']} at start, OMP_WAIT_POLICY {info['omp_wait_policy']}")
    print(f"one training epoch (60,000 images, batch {args.batch_size}), median of "
          f"{args.repeats}; ratio = PyTorch s / latentkit s (> 1: latentkit faster)")
    print(format_table(header, rows))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(format_markdown(header, rows, info, args.repeats))


def bench_quality(args, data, info):
    threads = args.threads_list[0]
    print(f"machine: {info['cpu']}, {info['cores']} cores usable, torch {info['torch']}; "
          f"{args.epochs} epochs at {threads} thread(s), seed {args.seed}", flush=True)
    records = run_latentkit(args.latentkit, threads, args.seed, args.epochs, args.batch_size,
                            args.lr)
    lk_elbo = latentkit_elbo(records[-1])
    lk_seconds = sum(float(r["seconds"]) for r in records)
    pt_records = reference_vae.train(data[0], data[1], epochs=args.epochs, seed=args.seed,
                                     batch_size=args.batch_size, lr=args.lr,
                                     threads=threads or DEFAULT_TORCH_THREADS)
    pt_elbo = pt_records[-1]["test_elbo"]
    pt_seconds = sum(r["seconds"] for r in pt_records)
    header = ["", "final test ELBO", "train s (total)"]
    rows = [["latentkit", f"{lk_elbo:.2f}", f"{lk_seconds:.1f}"],
            ["PyTorch", f"{pt_elbo:.2f}", f"{pt_seconds:.1f}"]]
    print(format_table(header, rows))
    print(f"ELBO difference (latentkit - PyTorch): {lk_elbo - pt_elbo:+.2f} nats "
          f"after {len(records)} latentkit / {len(pt_records)} PyTorch epochs")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(f"CPU: {info['cpu']}, torch {info['torch']}, {args.epochs} epochs, "
                    f"{threads} thread(s)\n\n| | final test ELBO | train s (total) |\n"
                    "|---|---:|---:|\n")
            for r in rows:
                f.write("| " + " | ".join(r) + " |\n")
            f.write(f"\nELBO difference (latentkit - PyTorch): {lk_elbo - pt_elbo:+.2f}\n")


def parse_threads(text):
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected thread counts >= 0, got {text!r}")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Time one VAE training epoch in latentkit and in PyTorch.")
    parser.add_argument("--latentkit", required=True, help="path to the latentkit binary")
    parser.add_argument("--repeats", type=reference_vae.positive_int, default=3)
    parser.add_argument("--threads-list", type=parse_threads, default=[0, 1, 2],
                        help="comma-separated thread counts; 0 is each side's own default "
                             "(latentkit: intra-op threads on all cores, one OpenBLAS thread; "
                             "PyTorch: its start-up setting) (default 0,1,2)")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    parser.add_argument("--quality", action="store_true",
                        help="train both --epochs epochs and compare final test ELBOs")
    parser.add_argument("--epochs", type=reference_vae.positive_int, default=10,
                        help="epochs for --quality (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=reference_vae.positive_int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data-dir", default=reference_vae.DEFAULT_DATA_DIR,
                        help="Fashion-MNIST directory for the PyTorch side")
    args = parser.parse_args(argv)

    try:
        binary = os.path.abspath(args.latentkit)
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise BenchError(f"latentkit binary not found or not executable: {args.latentkit}",
                             status=2)
        args.latentkit = binary
        try:
            data = reference_vae.load_fashion_mnist(args.data_dir)
        except reference_vae.DataError as e:
            raise BenchError(str(e), status=2) from e
        info = machine_info()
        if args.quality:
            bench_quality(args, data, info)
        else:
            bench_speed(args, data, info)
    except BenchError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.status
    return 0


if __name__ == "__main__":
    sys.exit(main())
