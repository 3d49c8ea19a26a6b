#!/usr/bin/python3
"""Requests per second and latency of `latentkit serve`, with the model's share of the time.

Trains (or takes with --run) a reference VAE on Fashion-MNIST, starts `latentkit serve` on it,
and sends, over keep-alive connections from --clients threads for --seconds each:
  /decode with one code, /score with one row, /score with 256 rows (test images).
Prints requests per second, p50 and p99 latency (seen by the client: JSON encoding, HTTP,
parsing included) and the fraction of that time spent in the model's computation, which the
server reports per request in its X-Latentkit-Model-Seconds header.

  /usr/bin/python3 bench/serve.py --latentkit build/latentkit [--run DIR] [--clients 1]
      [--seconds 5]
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference_common import load  # noqa: E402


def hammer(port, path, body, seconds):
    """(latencies, model seconds) of back-to-back requests on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body)
    latencies, model = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        conn.request("POST", path, payload, {"Content-Type": "application/json"})
        res = conn.getresponse()
        data = res.read()
        latencies.append(time.perf_counter() - start)
        if res.status != 200:
            raise SystemExit(f"serve.py: error: {path}: {res.status} {data[:200]!r}")
        model.append(float(res.getheader("X-Latentkit-Model-Seconds", "nan")))
    conn.close()
    return latencies, model


def main():
    p = argparse.ArgumentParser(prog="serve.py")
    p.add_argument("--latentkit", required=True)
    p.add_argument("--run", help="a run directory (default: train a vae for 1 epoch)")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="latentkit_serve_") as tmp:
        run_dir = a.run
        if not run_dir:
            run_dir = os.path.join(tmp, "vae")
            subprocess.run([a.latentkit, "train", "--model", "vae", "--data", "fashion-mnist", "--epochs", "1",
                            "--out", run_dir, "--quiet"], check=True)
        server = subprocess.Popen([a.latentkit, "serve", run_dir, "--port", "0", "--http-threads",
                                   str(max(8, a.clients))], stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline().split("127.0.0.1:")[1].split("/")[0])
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", "/api/runs")
            listed = json.loads(conn.getresponse().read())[0]
            run_id, latent = listed["id"], listed["latent"]
            conn.close()
            _, test_x = load("/usr/share/datasets/fashion-mnist", 0)
            rows = (test_x[:256] * 255).round().tolist()
            cases = [("/decode, 1 code", "decode", {"rows": [[0.0] * latent]}),
                     ("/score, 1 row", "score", {"rows": rows[:1]}),
                     ("/score, 256 rows", "score", {"rows": rows})]
            print(f"latentkit serve, run {run_id} (latent {latent}), {a.clients} keep-alive client(s), "
                  f"{a.seconds:g} s per case\n")
            print("| request | requests/s | p50 ms | p99 ms | in the model |")
            print("|---|---|---|---|---|")
            for name, action, body in cases:
                path = f"/api/runs/{run_id}/{action}"
                hammer(port, path, body, 0.5)  # warm-up
                results = [None] * a.clients
                threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, hammer(port, path, body, a.seconds)))
                           for i in range(a.clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                lat = sorted(x for r in results for x in r[0])
                model = sum(x for r in results for x in r[1])
                p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
                print(f"| {name} | {len(lat) / a.seconds:.0f} | {statistics.median(lat) * 1e3:.2f} | "
                      f"{p99 * 1e3:.2f} | {model / sum(lat):.0%} |")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
