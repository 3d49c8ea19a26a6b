#!/usr/bin/python3
"""latentkit against PyTorch on this machine, in one command; writes docs/PERFORMANCE.md.

  /usr/bin/python3 bench/performance.py --build build [--repeats 3] [--out docs/PERFORMANCE.md]

(`make bench` runs it.) Everything runs in this one invocation, alternating latentkit and
PyTorch so that both see the same machine load:

1. The floor. `latentkit_bench gemm` measures a 2048^3 float32 product through LibTorch's mm
   (the system BLAS) and through oneDNN's sgemm (what latentkit's fused steps call), and a bf16
   one. Each model's matrix products per epoch are counted (FLOPs below); the floor of an
   epoch is FLOPs / rate, and "x floor" is the measured epoch over that floor.
2. Training. One epoch of each model (`latentkit train ... --epochs 1`, time from
   metrics.jsonl, training only) against the same model in PyTorch (bench/reference_*.py,
   timed in this process) at 1 and 2 threads, --repeats times each; medians, PyTorch at its
   best thread count, ratio = PyTorch s / latentkit s. RealNVP trains on the first
   --realnvp-limit images (a full epoch takes minutes).
3. Quality. --quality-epochs epochs of the reference VAE in latentkit (fp32 and bf16) and in
   PyTorch: final test ELBOs.
4. Inference. `latentkit_bench infer` against the PyTorch VAE under torch.inference_mode():
   encode and score (squared reconstruction error) throughput at batch 1024, and single-image
   latency, median and 99th percentile over --calls calls.
5. Memory. Peak resident memory (VmHWM) of `latentkit train --model vae --epochs 1` and of the
   PyTorch script, against data + parameters + gradients + Adam's moments + one batch's
   activations.

FLOPs count multiply-adds as 2: per image, a layer of in x out weights costs 2 in out forward,
2 in out for its weight gradient and 2 in out for its input gradient (none for the first
layer). RealNVP's convolutions are counted from the PyTorch model's forward pass (2 Cin Cout
k^2 per output pixel) times 3.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_ae  # noqa: E402
import reference_realnvp  # noqa: E402
import reference_vae  # noqa: E402
from vae_epoch import BenchError, format_table, machine_info, read_metrics  # noqa: E402

PROG = "performance.py"
TRAIN_IMAGES = 60000
# The PyTorch reference of each model: make_model(seed) and train_epoch(...).
PYTORCH = {"vae": reference_vae, "ae": reference_ae, "realnvp": reference_realnvp}


def mlp_flops_per_image(layers):
    """Training FLOPs per image of Linear layers [(in, out), ...] in order."""
    total = 0
    for index, (i, o) in enumerate(layers):
        total += 2 * i * o * (2 if index == 0 else 3)
    return total


def conv_flops_per_image(model, image_shape):
    """Forward FLOPs of one image through every Conv2d of `model` (counted by hooks)."""
    counted = []

    def hook(module, inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        per_pixel = 2 * module.in_channels // module.groups * module.out_channels * k
        counted.append(per_pixel * output.shape[-1] * output.shape[-2])

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model.nll(torch.rand(1, *image_shape).reshape(1, -1))
    for h in handles:
        h.remove()
    return sum(counted)


def run_json(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise BenchError(f"{os.path.basename(cmd[0])} exited with status {proc.returncode}: "
                         f"{detail[-1] if detail else '(no output)'}")
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as e:
        raise BenchError(f"{os.path.basename(cmd[0])}: output is not JSON: {e}") from e


def run_measuring_peak(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd; returns (exit status, stderr text, peak resident MiB). The peak is the
    process's VmHWM, polled from /proc: ru_maxrss would include the high-water mark this (large)
    Python process hands down through fork and exec."""
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    peak_kib = 0
    status_path = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status_path) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    err = proc.stderr.read()
    proc.stderr.close()
    return proc.returncode, err, peak_kib / 1024


def latentkit_train(binary, model, epochs, seed, extra=()):
    """Runs `latentkit train`; returns (metrics records, peak resident MiB)."""
    with tempfile.TemporaryDirectory(prefix="latentkit_perf_") as tmp:
        out = os.path.join(tmp, "run")
        cmd = [binary, "train", "--model", model, "--data", "fashion-mnist", "--epochs",
               str(epochs), "--seed", str(seed), "--out", out, "--quiet", *extra]
        status, err, peak = run_measuring_peak(cmd)
        if status != 0:
            lines = err.strip().splitlines()
            raise BenchError(f"latentkit train --model {model} failed: "
                             f"{lines[-1] if lines else 'status %d' % status}")
        return read_metrics(os.path.join(out, "metrics.jsonl")), peak


def peak_rss_mib(cmd):
    status, err, peak = run_measuring_peak(cmd)
    if status != 0:
        raise BenchError(f"{' '.join(cmd[:3])}... exited with status {status}")
    return peak


def pytorch_epoch(model, threads, seed, train_x):
    module = PYTORCH[model]
    torch.set_num_threads(threads)
    net, optimizer = module.make_model(seed)
    _, seconds = module.train_epoch(net, optimizer, train_x, 128)
    return seconds


def bench_training(args, data, floors):
    """The training table: header and rows."""
    rows = []
    for model in ("vae", "ae", "realnvp"):
        limit = args.realnvp_limit if model == "realnvp" else 0
        train_x = data[model]
        variants = [("fp32", ())]
        if model != "realnvp":
            variants += [("bf16", ("--precision", "bf16")), ("autograd", ("--no-fused",))]
        if limit:
            variants = [(n, e + ("--limit", str(limit))) for n, e in variants]
        lk = {name: [] for name, _ in variants}
        pt = {t: [] for t in (1, 2)}
        for rep in range(args.repeats):
            seed = 1 + rep
            steps = [("lk", v) for v in variants] + [("pt", t) for t in pt]
            if rep % 2:
                steps.reverse()
            for side, what in steps:
                if side == "lk":
                    name, extra = what
                    records, _ = latentkit_train(args.latentkit, model, 1, seed, extra)
                    lk[name].append(float(records[-1]["seconds"]))
                else:
                    pt[what].append(pytorch_epoch(model, what, seed, train_x))
            print(f"  {model} repeat {rep + 1}/{args.repeats}: latentkit "
                  + ", ".join(f"{n} {v[-1]:.3f} s" for n, v in lk.items())
                  + "; PyTorch " + ", ".join(f"{t} thr {v[-1]:.3f} s" for t, v in pt.items()),
                  file=sys.stderr, flush=True)
        pt_med = {t: statistics.median(v) for t, v in pt.items()}
        pt_best_t = min(pt_med, key=pt_med.get)
        images = limit or TRAIN_IMAGES
        flops = floors["flops_per_image"][model] * images
        for name, times in lk.items():
            s = statistics.median(times)
            rate_key = "gemm_bf16_gflops" if name == "bf16" else None
            rows.append([
                model + ("" if name == "fp32" else f" ({name})"), f"{images:,}",
                f"{flops / 1e9:.1f}", f"{s:.3f}",
                f"{pt_med[pt_best_t]:.3f} ({pt_best_t} thr)", f"{pt_med[pt_best_t] / s:.2f}",
                f"{s / (flops / floors['torch_mm_gflops'] / 1e9):.2f}",
                f"{s / (flops / floors['gemm_gflops'] / 1e9):.2f}",
                f"{s / (flops / floors[rate_key] / 1e9):.2f}" if rate_key in floors else "—",
            ])
    header = ["model", "images", "GFLOP", "latentkit s", "PyTorch s (best)", "ratio",
              "x floor (LibTorch mm)", "x floor (oneDNN sgemm)", "x floor (bf16)"]
    return header, rows


def bench_quality(args, train_x, test_x):
    epochs = args.quality_epochs
    lk32, _ = latentkit_train(args.latentkit, "vae", epochs, 1)
    lk16, _ = latentkit_train(args.latentkit, "vae", epochs, 1, ("--precision", "bf16"))
    pt = reference_vae.train(train_x, test_x, epochs=epochs, seed=1, threads=1)
    e32 = float(lk32[-1]["test"]["elbo"])
    e16 = float(lk16[-1]["test"]["elbo"])
    ept = float(pt[-1]["test_elbo"])
    header = ["", f"test ELBO after {epochs} epochs", "vs latentkit fp32"]
    rows = [["latentkit fp32", f"{e32:.2f}", "—"],
            ["latentkit bf16", f"{e16:.2f}", f"{100 * (e16 - e32) / abs(e32):+.2f}%"],
            ["PyTorch fp32", f"{ept:.2f}", f"{100 * (ept - e32) / abs(e32):+.2f}%"]]
    return header, rows


def pytorch_inference(threads, calls, test_x):
    torch.set_num_threads(threads)
    model, _ = reference_vae.make_model(1)
    model.eval()

    def encode(x):
        return model.encode(x)[0]

    def score(x):
        return ((torch.sigmoid(model.decode(model.encode(x)[0])) - x) ** 2).sum(1)

    out = {}
    with torch.inference_mode():
        batch = test_x[:1024]
        for name, f in (("encode", encode), ("score", score)):
            f(batch)
            times = []
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(20):
                    f(batch)
                times.append((time.perf_counter() - start) / 20)
            out[f"{name}_batch_images_per_s"] = batch.shape[0] / statistics.median(times)
            for i in range(min(calls, 100)):
                f(test_x[i:i + 1])
            lat = []
            for i in range(calls):
                x = test_x[i % test_x.shape[0]:i % test_x.shape[0] + 1]
                start = time.perf_counter()
                f(x)
                lat.append((time.perf_counter() - start) * 1e6)
            lat.sort()
            out[f"{name}_single"] = {"median_us": lat[calls // 2],
                                     "p99_us": lat[min(calls - 1, calls * 99 // 100)]}
    return out


def bench_inference(args, test_x):
    lk = {t: run_json([args.bench, "--threads", str(t), "infer", "--model", "vae", "--calls",
                       str(args.calls)]) for t in (1, 2)}
    pt = {t: pytorch_inference(t, args.calls, test_x) for t in (1, 2)}
    rows = []
    for name in ("encode", "score"):
        key = f"{name}_batch_images_per_s"
        lt = max(lk, key=lambda t: lk[t][key])
        ptt = max(pt, key=lambda t: pt[t][key])
        rows.append([f"{name}, batch 1024 (images/s)", f"{lk[lt][key]:,.0f} ({lt} thr)",
                     f"{pt[ptt][key]:,.0f} ({ptt} thr)", f"{lk[lt][key] / pt[ptt][key]:.2f}"])
        single = f"{name}_single"
        for stat, label in (("median_us", "median"), ("p99_us", "p99")):
            lt = min(lk, key=lambda t: lk[t][single][stat])
            ptt = min(pt, key=lambda t: pt[t][single][stat])
            a, b = lk[lt][single][stat], pt[ptt][single][stat]
            rows.append([f"{name}, one image, {label} (µs)", f"{a:.1f} ({lt} thr)",
                         f"{b:.1f} ({ptt} thr)", f"{b / a:.2f}"])
    header = ["", "latentkit", "PyTorch", "latentkit advantage (x)"]
    return header, rows


def bench_memory(args):
    train_n, test_n, d = 60000, 10000, 784
    data_mib = (train_n + test_n) * (d * 4 + 8) / 2**20
    params = sum(i * o + o for i, o in ((784, 400), (400, 40), (20, 400), (400, 784)))
    state_mib = params * 4 * 4 / 2**20  # weights, gradients, Adam's two moments
    act_mib = 128 * (784 + 400 + 40 + 20 + 400 + 784) * 4 * 2 / 2**20  # values and gradients
    estimate = data_mib + state_mib + act_mib
    base = peak_rss_mib([args.latentkit, "--help"])
    _, lk_peak = latentkit_train(args.latentkit, "vae", 1, 1)
    pt_peak = peak_rss_mib(["/usr/bin/python3", os.path.join(HERE, "reference_vae.py"),
                            "--epochs", "1", "--threads", "1"])
    header = ["", "MiB"]
    rows = [["data (train + test, float32) ", f"{data_mib:.1f}"],
            ["parameters, gradients, Adam moments", f"{state_mib:.1f}"],
            ["activations and their gradients, one batch of 128", f"{act_mib:.1f}"],
            ["estimate (sum)", f"{estimate:.1f}"],
            ["latentkit peak RSS, `train --model vae --epochs 1`", f"{lk_peak:.1f}"],
            ["latentkit RSS of the loaded libraries alone (`latentkit --help`)", f"{base:.1f}"],
            ["latentkit peak RSS less the libraries", f"{lk_peak - base:.1f} "
             f"({(lk_peak - base) / estimate:.2f}x the estimate)"],
            ["PyTorch script peak RSS (python, torch, numpy loaded)", f"{pt_peak:.1f}"]]
    return header, rows


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build", help="latentkit's build directory (build)")
    parser.add_argument("--repeats", type=reference_vae.positive_int, default=3)
    parser.add_argument("--realnvp-limit", type=reference_vae.positive_int, default=6000)
    parser.add_argument("--quality-epochs", type=int, default=10,
                        help="epochs of the ELBO comparison; 0 skips it (10)")
    parser.add_argument("--calls", type=reference_vae.positive_int, default=10000)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "docs", "PERFORMANCE.md"))
    parser.add_argument("--data-dir", default=reference_vae.DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    try:
        args.latentkit = os.path.abspath(os.path.join(args.build, "latentkit"))
        args.bench = os.path.abspath(os.path.join(args.build, "latentkit_bench"))
        for b in (args.latentkit, args.bench):
            if not os.access(b, os.X_OK):
                raise BenchError(f"{b}: not found or not executable (build first)", status=2)
        try:
            train_x, test_x = reference_vae.load_fashion_mnist(args.data_dir)
            rnvp_train, _ = reference_realnvp.load(args.data_dir, args.realnvp_limit)
        except reference_vae.DataError as e:
            raise BenchError(str(e), status=2) from e
        data = {"vae": train_x, "ae": train_x, "realnvp": rnvp_train}
        info = machine_info()
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print("measuring the matrix-product rates...", file=sys.stderr, flush=True)
        floors = run_json([args.bench, "gemm"])
        rnvp, _ = reference_realnvp.make_model(1)
        floors["flops_per_image"] = {
            "vae": mlp_flops_per_image([(784, 400), (400, 40), (20, 400), (400, 784)]),
            "ae": mlp_flops_per_image([(784, 400), (400, 20), (20, 400), (400, 784)]),
            "realnvp": 3 * conv_flops_per_image(rnvp, reference_realnvp.IMAGE_SHAPE),
        }
        print("training epochs...", file=sys.stderr, flush=True)
        t_header, t_rows = bench_training(args, data, floors)
        q = None
        if args.quality_epochs > 0:
            print("quality...", file=sys.stderr, flush=True)
            q = bench_quality(args, train_x, test_x)
        print("inference...", file=sys.stderr, flush=True)
        i_header, i_rows = bench_inference(args, test_x)
        print("memory...", file=sys.stderr, flush=True)
        m_header, m_rows = bench_memory(args)
    except BenchError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.status

    machine = (f"{info['cpu']}, {info['cores']} cores usable ({info['logical_cpus']} logical); "
               f"{floors['blas']}; {floors['gemm_backend']}; torch {info['torch']} (Python "
               f"{info['python']}); load average {info['load']} at start; OMP_WAIT_POLICY "
               f"{info['omp_wait_policy']}")
    rates = (f"2048³ products: LibTorch mm {floors['torch_mm_gflops']:.0f} GFLOP/s "
             f"(BLAS, {floors['torch_mm_blas_threads']} threads), oneDNN sgemm "
             f"{floors['gemm_gflops']:.0f} GFLOP/s, bf16 "
             + (f"{floors['gemm_bf16_gflops']:.0f} GFLOP/s" if "gemm_bf16_gflops" in floors
                else "not available") + f" ({floors['threads']} threads)")
    print(f"machine: {machine}\n{rates}\n")
    print(format_table(t_header, t_rows) + "\n")
    if q:
        print(format_table(*q) + "\n")
    print(format_table(i_header, i_rows) + "\n")
    print(format_table(m_header, m_rows))

    doc = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/performance.py`); every figure below comes from one run "
        f"of it, started {started}.",
        "",
        f"**Machine:** {machine}.",
        "",
        f"**Matrix-product rates:** {rates}.",
        "",
        "## Training: one epoch",
        "",
        f"Median of {args.repeats} runs per row; PyTorch (`bench/reference_*.py`, the same "
        "model, loss, optimiser, batch 128 and data) at its best of 1 and 2 threads; ratio = "
        "PyTorch s / latentkit s. `x floor` = epoch time / (GFLOP / rate) for the three rates "
        "above. latentkit runs its defaults: fused steps for the MLP ae and vae, float32 unless "
        "marked bf16; `autograd` is `--no-fused` (LibTorch's modules and autograd). RealNVP "
        f"trains on the first {args.realnvp_limit:,} images.",
        "",
        markdown_table(t_header, t_rows),
        "",
    ]
    if q:
        doc += ["## Quality: the same model learns the same", "",
                f"Reference VAE, {args.quality_epochs} epochs, seed 1, one z sample per test "
                "image; latentkit at its default threads, PyTorch at 1 thread.", "",
                markdown_table(*q), ""]
    doc += ["## Inference", "",
            f"The reference VAE (random weights; timing does not depend on them) on "
            f"Fashion-MNIST test images. encode = the posterior mean, score = the squared error "
            f"of the reconstruction. Single-image figures over {args.calls:,} calls; each side "
            "at its best of 1 and 2 threads.", "",
            markdown_table(i_header, i_rows), "",
            "## Memory", "",
            "Peak resident set size (VmHWM) of one training epoch of the reference VAE, from process start "
            "(loading and evaluation included).",
            "", markdown_table(m_header, m_rows), "",
            "## GPU", "",
            ("A CUDA device is present, but this script measures the CPU only."
             if torch.cuda.is_available() else
             "Not measured: this machine has no CUDA device (LibTorch here is CPU-only)."), ""]
    out = os.path.abspath(args.out)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(doc))
    os.replace(tmp, out)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
