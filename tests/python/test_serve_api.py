"""`latentkit serve`'s JSON API, against the CLI on the same runs.

What is asserted:
- GET /api/runs lists the runs of a directory of runs with their kind and latent size;
  GET /api/runs/{id} and /metrics match the run's config and metrics.jsonl, /codes the codes
  `latentkit encode` writes for the test split;
- POST encode, decode, reconstruct and score answer what `latentkit encode`, `decode`,
  `reconstruct` and `score` write for the same rows (to 1e-5 relative); sample answers n rows of
  the input width, the same for the same seed;
- bad requests get their 4xx with a one-line JSON error: malformed JSON, rows of the wrong width,
  a non-number, too many rows, a body over --max-body-mb, an unknown run, action or path, a path
  that tries to leave the runs, a missing or wrong bearer token;
- 50 clients at once for a bounded time: no error, and every answer still equals the CLI's;
- a serve command line naming no run, or a port in use, is refused with one line and exit status 2.
"""
import concurrent.futures
import json
import os
import pathlib
import random
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from common import Checks, import_torch, parse_args, read_csv, run

args = parse_args()
torch = import_torch()
import numpy  # noqa: E402

check = Checks()
TOKEN = "s3cret"


def request(port, path, body=None, token=TOKEN, raw=None):
    """(status, parsed JSON answer) of one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def max_rel(a, b):
    a, b = numpy.asarray(a, dtype=numpy.float64), numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(numpy.max(numpy.abs(a - b) / numpy.maximum(numpy.abs(b), 1e-3)))


with tempfile.TemporaryDirectory(prefix="latentkit-serve-") as tmp_name:
    tmp = pathlib.Path(tmp_name)
    rng = numpy.random.default_rng(3)
    data = (rng.random((200, 64)) ** 2 * 255).astype(numpy.uint8)
    numpy.save(tmp / "d.npy", data)
    runs = tmp / "runs"
    for kind in ("vae", "ae"):
        run(args.latentkit, "train", "--model", kind, "--data", f"npy:{tmp / 'd.npy'}", "--image-shape",
            "1,8,8", "--epochs", "2", "--latent", "4", "--out", runs / kind, "--quiet")
    rows = data[:16].astype(numpy.float32)
    numpy.save(tmp / "rows.npy", rows)

    # The CLI's answers for the same rows.
    cli = {}
    for kind in ("vae", "ae"):
        r = runs / kind
        run(args.latentkit, "encode", r, "--input", tmp / "rows.npy", "--out", tmp / f"{kind}-z.csv", "--quiet")
        cli[kind, "encode"] = read_csv(tmp / f"{kind}-z.csv")[1]
        run(args.latentkit, "decode", r, "--input", tmp / f"{kind}-z.csv", "--out", tmp / f"{kind}-x.csv", "--quiet")
        cli[kind, "decode"] = read_csv(tmp / f"{kind}-x.csv")[1]
        run(args.latentkit, "reconstruct", r, "--input", tmp / "rows.npy", "--out", tmp / f"{kind}-r.csv", "--quiet")
        cli[kind, "reconstruct"] = read_csv(tmp / f"{kind}-r.csv")[1]
        run(args.latentkit, "score", r, "--input", tmp / "rows.npy", "--out", tmp / f"{kind}-s.csv", "--quiet")
        header, table = read_csv(tmp / f"{kind}-s.csv")
        cli[kind, "score"] = {name: [row[header.index(name)] for row in table] for name in header}

    bad = subprocess.run([args.latentkit, "serve", str(tmp / "nothing-here")], capture_output=True, text=True)
    check(bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "nothing-here" in bad.stderr,
          f"serve of a missing directory: exit {bad.returncode}, one line: {bad.stderr.strip()}")

    server = subprocess.Popen([args.latentkit, "serve", str(runs), "--port", "0", "--token", TOKEN,
                               "--max-rows", "100", "--max-body-mb", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.split("127.0.0.1:")[1].split("/")[0])

        second = subprocess.run([args.latentkit, "serve", str(runs), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
        check(second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1 and str(port) in second.stderr,
              f"a second serve on the port in use: exit {second.returncode}, one line: {second.stderr.strip()}")

        status, listed = request(port, "/api/runs")
        check(status == 200 and sorted((r["id"], r["kind"], r["latent"]) for r in listed)
              == [("ae", "ae", 4), ("vae", "vae", 4)], f"GET /api/runs lists both runs: {listed}")
        status, info = request(port, "/api/runs/vae")
        config = json.loads((runs / "vae" / "config.json").read_text())
        check(status == 200 and info["config"]["model"] == config["model"] and info["input_dim"] == 64
              and info["image_shape"] == [1, 8, 8], "GET /api/runs/vae: the run's config.json and shapes")
        status, lines = request(port, "/api/runs/vae/metrics")
        on_disk = [json.loads(x) for x in (runs / "vae" / "metrics.jsonl").read_text().splitlines() if x.strip()]
        check(status == 200 and lines == on_disk, f"GET /api/runs/vae/metrics: the {len(on_disk)} lines of metrics.jsonl")

        run(args.latentkit, "encode", runs / "vae", "--out", tmp / "test-z.csv", "--quiet")
        test_codes = read_csv(tmp / "test-z.csv")[1]
        status, codes = request(port, "/api/runs/vae/codes?split=test&limit=7")
        check(status == 200 and max_rel(codes["rows"], [r[:4] for r in test_codes[:7]]) < 1e-5
              and codes["labels"] is None,
              f"GET codes?split=test&limit=7: the first 7 of `latentkit encode`'s {len(test_codes)} test codes")
        status, codes = request(port, "/api/runs/vae/codes")
        check(status == 200 and len(codes["rows"]) == len(test_codes), "GET codes: the whole test split by default")

        def answers(kind):
            got = {}
            for action in ("encode", "reconstruct", "score"):
                got[action] = request(port, f"/api/runs/{kind}/{action}", {"rows": rows.tolist()})
            got["decode"] = request(port, f"/api/runs/{kind}/decode", {"rows": [r[:4] for r in cli[kind, "encode"]]})
            return got

        def agree(kind, got):
            """The largest relative difference from the CLI over the four actions."""
            if any(status != 200 for status, _ in got.values()):
                return float("inf")
            score = cli[kind, "score"]
            ref_score = score["log_likelihood"] if "log_likelihood" in score else score["reconstruction_error"]
            return max(max_rel(got["encode"][1]["rows"], [r[:4] for r in cli[kind, "encode"]]),
                       max_rel(got["decode"][1]["rows"], cli[kind, "decode"]),
                       max_rel(got["reconstruct"][1]["rows"], cli[kind, "reconstruct"]),
                       max_rel(got["score"][1]["rows"], ref_score),
                       max_rel(got["score"][1]["reconstruction_error"], score["reconstruction_error"]))

        for kind in ("vae", "ae"):
            worst = agree(kind, answers(kind))
            check(worst < 1e-5, f"{kind}: encode, decode, reconstruct and score equal the CLI's "
                                f"(largest relative difference {worst:.2e})")

        s1 = request(port, "/api/runs/vae/sample", {"n": 5, "seed": 7})
        s2 = request(port, "/api/runs/vae/sample", {"n": 5, "seed": 7})
        check(s1[0] == 200 and numpy.asarray(s1[1]["rows"]).shape == (5, 64) and s1 == s2,
              "sample: 5 rows of 64 values, the same for the same seed")

        def bad_request(what, path, expected, **kw):
            status, answer = request(port, path, **kw)
            ok = (status == expected and isinstance(answer, dict) and isinstance(answer.get("error"), str)
                  and "\n" not in answer["error"])
            check(ok, f"{what}: {status} {answer}")

        bad_request("malformed JSON", "/api/runs/vae/encode", 400, raw=b'{"rows": [[1, 2')
        bad_request("rows of the wrong width", "/api/runs/vae/encode", 400, body={"rows": [[1, 2, 3]]})
        bad_request("a value that is not a number", "/api/runs/vae/encode", 400,
                    body={"rows": [["x"] * 64]})
        bad_request("rows of unequal width", "/api/runs/vae/encode", 400, body={"rows": [[0] * 64, [0] * 63]})
        bad_request("more rows than --max-rows", "/api/runs/vae/encode", 400, body={"rows": [[0] * 64] * 101})
        bad_request("a body over --max-body-mb", "/api/runs/vae/encode", 413,
                    raw=b'{"rows": [[' + b"0," * (600 * 1024) + b"0]]}")
        bad_request("an unknown run", "/api/runs/nope/encode", 404, body={"rows": [[0] * 64]})
        bad_request("an unknown action", "/api/runs/vae/explode", 404, body={})
        bad_request("a path that leaves the runs", "/api/runs/..%2F..%2Fetc%2Fpasswd/metrics", 404)
        bad_request("codes of an unknown split", "/api/runs/vae/codes?split=secret", 400)
        bad_request("codes with a limit that is not a number", "/api/runs/vae/codes?limit=ten", 400)
        bad_request("an unknown path", "/api/files/etc/passwd", 404)
        bad_request("sampling n = 0", "/api/runs/vae/sample", 400, body={"n": 0})
        bad_request("sample from a model without a prior", "/api/runs/ae/sample", 400, body={"n": 2})
        bad_request("no bearer token", "/api/runs", 401, token=None)
        bad_request("a wrong bearer token", "/api/runs", 401, token="guess")

        # 50 clients at once, for a bounded time; every answer is still the CLI's.
        def client(seed):
            kind = random.Random(seed).choice(["vae", "ae"])
            deadline, worst, calls = time.time() + 4, 0.0, 0
            while time.time() < deadline:
                worst = max(worst, agree(kind, answers(kind)))
                calls += 1
            return worst, calls

        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(client, range(50)))
        took = time.time() - start
        worst = max(w for w, _ in results)
        calls = sum(c for _, c in results) * 4
        check(worst < 1e-5 and server.poll() is None,
              f"50 concurrent clients for {took:.1f} s: {calls} requests, every answer equal to the "
              f"CLI's (largest relative difference {worst:.2e}), the server still up")
    finally:
        server.terminate()
        server.wait(timeout=10)

check.finish()
