"""The parts of `latentkit serve`'s API that the explorer's tools and the dashboard use, against
the CLI on the same runs.

What is asserted:
- compare's output layout (OUT/runs/<run> beside OUT/compare.csv) is expanded, and GET
  /api/tables answers the table as Python's csv module reads it;
- GET /api/runs/{id} says which tools a run has (prior, labels, temperature, likelihood);
- GET examples?indices=...: the rows are rows of the data file, their codes are those
  `latentkit encode` writes for the same test rows, their reconstructions `latentkit reconstruct`'s;
- GET pictures lists the run's PNG files with their sizes, and /pictures/{name} answers their
  bytes; other names (a file that is not a picture, a path out of the run) are 404;
- ?format=png: decode and sample answer the very bytes `latentkit decode/sample --out x.png` write;
- sample with "label" (cvae) and "temperature" (flow2d) equals `latentkit sample --label/--temperature`;
- bad forms are 400: PNG of a table model or of encode, an unknown format, a temperature for a
  model without one, more importance samples than a request may compute, indices out of range;
- a run that a `latentkit train --resume` continues while it is served is reopened: /api/runs shows
  the new epoch count and decode answers the new checkpoint's `latentkit decode`.
"""
import csv
import json
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from common import Checks, import_torch, parse_args, read_csv, run, write_halves_csv

args = parse_args()
torch = import_torch()
import numpy  # noqa: E402

check = Checks()


def request(port, path, body=None):
    """(status, content type, bytes) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def get_json(port, path, body=None):
    status, _, data = request(port, path, body)
    return status, json.loads(data)


def max_rel(a, b):
    a, b = numpy.asarray(a, dtype=numpy.float64), numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(numpy.max(numpy.abs(a - b) / numpy.maximum(numpy.abs(b), 1e-3)))


def write_csv_rows(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join(repr(float(v)) for v in r) + "\n")


with tempfile.TemporaryDirectory(prefix="latentkit-serve-tools-") as tmp_name:
    tmp = pathlib.Path(tmp_name)
    pixels = write_halves_csv(tmp / "d.csv", 240, seed=11)
    data_flags = ["--data", f"csv:{tmp / 'd.csv'}", "--label-column", "64", "--image-shape", "1,8,8"]

    out = tmp / "compared"  # compare's layout: runs/ and compare.csv
    vae = out / "runs" / "vae"
    run(args.latentkit, "train", "--model", "vae", *data_flags, "--latent", "3", "--epochs", "2",
        "--out", vae, "--quiet")
    with open(out / "compare.csv", "w") as f:
        f.write("model,kind,parameters,test_mse\nvae,vae,123,0.5\nae,ae,99,\n")
    cvae = tmp / "cvae"
    run(args.latentkit, "train", "--model", "cvae", *data_flags, "--latent", "3", "--epochs", "1",
        "--out", cvae, "--quiet")
    flow = tmp / "flow2d"
    run(args.latentkit, "train", "--model", "flow2d", "--data", "moons", "--limit", "400", "--epochs", "1",
        "--out", flow, "--quiet")

    server = subprocess.Popen([args.latentkit, "serve", str(out), str(cvae), str(flow), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().split("127.0.0.1:")[1].split("/")[0])
        status, runs = get_json(port, "/api/runs")
        check(status == 200 and sorted(r["id"] for r in runs) == ["cvae", "flow2d", "vae"],
              f"compare's output is expanded to its runs/: {[r['id'] for r in runs]}")
        status, tables = get_json(port, "/api/tables")
        with open(out / "compare.csv") as f:
            expected = list(csv.reader(f))
        check(status == 200 and len(tables) == 1 and tables[0]["id"] == "compared"
              and [tables[0]["header"]] + tables[0]["rows"] == expected,
              f"GET /api/tables: compare.csv as the csv module reads it ({tables})")

        facts = {r["id"]: get_json(port, f"/api/runs/{r['id']}")[1] for r in runs}
        check([facts["vae"][k] for k in ("has_prior", "conditional", "has_temperature", "has_log_likelihood")]
              == [True, False, False, True]
              and facts["cvae"]["conditional"] and not facts["flow2d"]["conditional"]
              and facts["flow2d"]["has_temperature"] and facts["flow2d"]["input_dim"] == 2,
              "GET /api/runs/{id} says which tools each run has (prior, labels, temperature, likelihood)")

        # Examples of the test split against the CLI.
        run(args.latentkit, "encode", vae, "--out", tmp / "test-z.csv", "--quiet")
        test_codes = numpy.asarray(read_csv(tmp / "test-z.csv")[1])[:, :3]
        picked = [0, 5, 6, 7, 9]
        status, ex = get_json(port, "/api/runs/vae/examples?split=test&indices=0,5-7,9")
        inputs = numpy.asarray(ex["inputs"])
        known = {tuple(r) for r in pixels.astype(numpy.float64)}
        check(status == 200 and ex["indices"] == picked and all(tuple(r) in known for r in inputs)
              and ex["labels"] is not None and len(ex["labels"]) == 5,
              "examples?indices=0,5-7,9: the inputs are rows of the data file, with their labels")
        check(max_rel(ex["codes"], test_codes[picked]) < 1e-5,
              "examples: the codes are `latentkit encode`'s for those test rows")
        write_csv_rows(tmp / "ex.csv", inputs)
        run(args.latentkit, "reconstruct", vae, "--input", tmp / "ex.csv", "--out", tmp / "ex-r.csv", "--quiet")
        check(max_rel(ex["reconstructions"], read_csv(tmp / "ex-r.csv")[1]) < 1e-5,
              "examples: the reconstructions are `latentkit reconstruct`'s of the same rows")

        # Pictures the run holds.
        status, pictures = get_json(port, "/api/runs/vae/pictures")
        on_disk = {p.name: p.stat().st_size for p in vae.glob("*.png")}
        check(status == 200 and {p["name"]: p["bytes"] for p in pictures} == on_disk and len(on_disk) >= 2,
              f"GET pictures lists the run's PNG files: {sorted(on_disk)}")
        status, kind, body = request(port, "/api/runs/vae/pictures/samples.png")
        check(status == 200 and kind == "image/png" and body == (vae / "samples.png").read_bytes(),
              "GET pictures/samples.png answers the file's bytes")
        for name in ("config.json", "..%2Fvae%2Fconfig.json", "missing.png"):
            status, _, _ = request(port, f"/api/runs/vae/pictures/{name}")
            check(status == 404, f"GET pictures/{name}: 404 ({status})")

        # ?format=png against the CLI's PNG files.
        codes = test_codes[:10]
        write_csv_rows(tmp / "z.csv", codes)
        run(args.latentkit, "decode", vae, "--input", tmp / "z.csv", "--out", tmp / "x.png", "--columns", "5",
            "--quiet")
        status, kind, body = request(port, "/api/runs/vae/decode?format=png&columns=5", {"rows": codes.tolist()})
        check(status == 200 and kind == "image/png" and body == (tmp / "x.png").read_bytes(),
              "decode?format=png answers the bytes of `latentkit decode --out x.png`")
        run(args.latentkit, "sample", vae, "--n", "12", "--seed", "3", "--columns", "4", "--out", tmp / "s.png",
            "--quiet")
        status, kind, body = request(port, "/api/runs/vae/sample?format=png&columns=4", {"n": 12, "seed": 3})
        check(status == 200 and kind == "image/png" and body == (tmp / "s.png").read_bytes(),
              "sample?format=png answers the bytes of `latentkit sample --out s.png`")

        # Labels and temperatures.
        run(args.latentkit, "sample", cvae, "--n", "6", "--seed", "2", "--label", "1", "--out", tmp / "c.csv",
            "--quiet")
        status, answer = get_json(port, "/api/runs/cvae/sample", {"n": 6, "seed": 2, "label": 1})
        check(status == 200 and max_rel(answer["rows"], read_csv(tmp / "c.csv")[1]) < 1e-5,
              "cvae sample with a label equals `latentkit sample --label 1`")
        run(args.latentkit, "sample", flow, "--n", "50", "--seed", "4", "--temperature", "0.5",
            "--out", tmp / "f.csv", "--quiet")
        status, cold = get_json(port, "/api/runs/flow2d/sample", {"n": 50, "seed": 4, "temperature": 0.5})
        status_hot, hot = get_json(port, "/api/runs/flow2d/sample", {"n": 50, "seed": 4})
        check(status == 200 and max_rel(cold["rows"], read_csv(tmp / "f.csv")[1]) < 1e-5,
              "flow2d sample at temperature 0.5 equals `latentkit sample --temperature 0.5`")
        spread = (numpy.std(cold["rows"], axis=0).mean(), numpy.std(hot["rows"], axis=0).mean())
        check(status_hot == 200 and spread[0] < spread[1],
              f"samples at temperature 0.5 are less spread than at 1 ({spread[0]:.3f} < {spread[1]:.3f})")

        for what, path, body in (
                ("PNG of a table model", "/api/runs/flow2d/sample?format=png", {"n": 4}),
                ("PNG of encode", "/api/runs/vae/encode?format=png", {"rows": [[0] * 64]}),
                ("an unknown format", "/api/runs/vae/decode?format=bmp", {"rows": [[0, 0, 0]]}),
                ("zero columns", "/api/runs/vae/decode?format=png&columns=0", {"rows": [[0, 0, 0]]}),
                ("a temperature for a model without one", "/api/runs/vae/sample", {"n": 2, "temperature": 0.5}),
                ("a negative temperature", "/api/runs/flow2d/sample", {"n": 2, "temperature": -1}),
                ("a label that is not an integer", "/api/runs/cvae/sample", {"n": 2, "label": "one"}),
                ("101 rows x k 10000", "/api/runs/vae/score", {"rows": [[0] * 64] * 101, "k": 10000}),
                ("an index out of range", "/api/runs/vae/examples?indices=0,100000", None),
                ("indices that are not numbers", "/api/runs/vae/examples?indices=a,b", None),
                ("an empty range", "/api/runs/vae/examples?indices=5-2", None),
                ("a range past the end", "/api/runs/vae/examples?indices=0-100000", None),
                ("no indices", "/api/runs/vae/examples", None)):
            status, kind, data = request(port, path, body)
            answer = json.loads(data) if kind == "application/json" else None
            check(status == 400 and answer and "\n" not in answer.get("error", "\n"),
                  f"{what}: 400 with a one-line error ({status} {answer})")

        # A run continued while it is served is reopened.
        run(args.latentkit, "train", "--resume", "--out", vae, "--epochs", "4", "--quiet")
        deadline, epochs = time.time() + 30, None
        while time.time() < deadline:
            epochs = {r["id"]: r["epochs"] for r in get_json(port, "/api/runs")[1]}["vae"]
            if epochs == 4:
                break
            time.sleep(0.3)
        run(args.latentkit, "decode", vae, "--input", tmp / "z.csv", "--out", tmp / "x4.csv", "--quiet")
        status, answer = get_json(port, "/api/runs/vae/decode", {"rows": codes.tolist()})
        status_m, lines = get_json(port, "/api/runs/vae/metrics")
        check(epochs == 4 and max_rel(answer["rows"], read_csv(tmp / "x4.csv")[1]) < 1e-5 and len(lines) == 4,
              f"a run resumed while served: /api/runs shows {epochs} epochs, decode answers the new "
              f"checkpoint's `latentkit decode`, metrics has {len(lines)} lines")
        check(server.poll() is None, "the server is still up")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

check.finish()
