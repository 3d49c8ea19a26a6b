"""`latentkit serve`'s page in a real browser: headless Chromium driven by Selenium.

What is asserted, against the API and the runs on disk (pictures are read back from the
page's canvases and compared with the API's answers for codes computed here with numpy):
- the page loads with no errors in the browser's console;
- the scatter shows as many points as GET /api/runs/{id}/codes returns for the test split;
- the first decoded picture is the API's decode of the mean code; clicking two places on the
  plane decodes two different pictures;
- hovering a point shows its input and its reconstruction (the API's examples);
- choosing raw dimensions as axes places the points at those coordinates of their codes;
- picking two points draws the linear and spherical strips (the API's decodes of both paths),
  and moving t updates the pictures at t;
- a latent-dimension slider changes that coordinate only and decodes the new point;
- the nearest neighbours of a clicked point are the k nearest codes (numpy, all dimensions);
- the decoded grid over the view has n x n cells, its corner cells the decodes of the view's
  corners;
- samples come as a PNG grid of the expected size and change with the seed;
- the dashboard draws a chart per loss term and the run's pictures, and its curves grow when
  the test appends an epoch to metrics.jsonl;
- for a 2-D flow, the density picture is brightest where the API's log-likelihood is lowest;
- with --screenshot, the page (of --screenshot-run, when given) is saved for the README.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import SKIP, Checks, run, write_halves_csv

p = argparse.ArgumentParser()
p.add_argument("--latentkit", required=True)
p.add_argument("--screenshot", help="also save the page as this PNG")
p.add_argument("--screenshot-run", help="the run (or directory of runs) the screenshot shows")
args = p.parse_args()
try:
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    print("skipped: python3-selenium is not installed")
    sys.exit(SKIP)
import numpy  # noqa: E402

check = Checks()


def api(port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}", data=data)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def serve(paths):
    server = subprocess.Popen([args.latentkit, "serve", *map(str, paths), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return server, int(server.stdout.readline().split("127.0.0.1:")[1].split("/")[0])


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options)


# The 8x8 picture in a square of a canvas, read back as 64 grey levels (pixel centres).
PICTURE = """const [id, x0, y0, size] = arguments, g = document.getElementById(id).getContext('2d');
const s = size / 8, out = [];
for (let i = 0; i < 8; ++i) for (let j = 0; j < 8; ++j)
  out.push(g.getImageData(x0 + j * s + s / 2, y0 + i * s + s / 2, 1, 1).data[0]);
return out;"""


def levels(rows):
    return numpy.clip(numpy.round(numpy.asarray(rows, dtype=numpy.float64)), 0, 255)


def slerp(a, b, t):
    na, nb = numpy.linalg.norm(a), numpy.linalg.norm(b)
    omega = numpy.arccos(numpy.clip(a @ b / (na * nb), -1, 1))
    return (numpy.sin((1 - t) * omega) * a + numpy.sin(t * omega) * b) / numpy.sin(omega)


with tempfile.TemporaryDirectory(prefix="latentkit-browser-") as tmp_name:
    tmp = pathlib.Path(tmp_name)
    write_halves_csv(tmp / "d.csv", 300, seed=5)
    rng = numpy.random.default_rng(5)  # the density cells sampled below
    runs = tmp / "runs"
    out = runs / "vae"
    run(args.latentkit, "train", "--model", "vae", "--data", f"csv:{tmp / 'd.csv'}", "--label-column", "64",
        "--image-shape", "1,8,8", "--latent", "3", "--epochs", "3", "--out", out, "--quiet")
    run(args.latentkit, "train", "--model", "flow2d", "--data", "moons", "--limit", "600", "--epochs", "2",
        "--out", runs / "flow2d", "--quiet")

    server, port = serve([runs])
    driver = None
    try:
        driver = browser()
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 30)
        js = driver.execute_script
        scatter = driver.find_element(By.ID, "scatter")
        status = driver.find_element(By.ID, "status")
        wait.until(lambda d: status.text.endswith("test codes"))  # the first run (flow2d) is open
        Select(driver.find_element(By.ID, "run")).select_by_value("vae")
        wait.until(lambda d: status.text.startswith("vae,") and status.text.endswith("test codes"))
        codes = numpy.asarray(api(port, "/runs/vae/codes?split=test&limit=2000")["rows"])
        shown = int(scatter.get_attribute("data-points"))
        check(shown == len(codes) and shown > 0,
              f"the scatter shows {shown} points, the API returns {len(codes)} test codes")

        def click_at(px, py):
            # Selenium 4 offsets are from the element's centre; the canvas has a 1-pixel border.
            ActionChains(driver).move_to_element_with_offset(scatter, px - 240, py - 240).click().perform()

        def pixel_of(i):
            return js("return toPixel(state.xy[arguments[0]], document.getElementById('scatter'));", i)

        decoded = driver.find_element(By.ID, "decoded")
        wait.until(lambda d: int(decoded.get_attribute("data-decodes")) >= 1)
        wait.until(lambda d: int(driver.find_element(By.ID, "samples").get_attribute("data-draws")) >= 1)
        mean = codes.mean(axis=0)
        first = numpy.asarray(js(PICTURE, "decoded", 0, 0, 192))
        expected = levels(api(port, "/runs/vae/decode", {"rows": [mean.tolist()]})["rows"][0])
        check(numpy.max(numpy.abs(first - expected)) <= 1,
              f"the first decoded picture is the API's decode of the mean code (largest pixel difference "
              f"{numpy.max(numpy.abs(first - expected)):.0f} of 255)")

        count = int(decoded.get_attribute("data-decodes"))
        pictures = []
        for px, py in ((40, 40), (440, 440)):
            click_at(px, py)
            wait.until(lambda d, n=count: int(decoded.get_attribute("data-decodes")) > n)
            count = int(decoded.get_attribute("data-decodes"))
            time.sleep(0.3)
            pictures.append(numpy.asarray(js(PICTURE, "decoded", 0, 0, 192)))
        change = float(numpy.abs(pictures[0] - pictures[1]).mean())
        check(change > 1.0, f"clicking two corners of the plane decodes two different pictures "
                            f"(mean pixel change {change:.1f} of 255)")

        # Hover: the hovered example's input and reconstruction.
        x, y = pixel_of(3)
        ActionChains(driver).move_to_element_with_offset(scatter, x - 240, y - 240).perform()
        hover = driver.find_element(By.ID, "hover")
        wait.until(lambda d: hover.get_attribute("data-index") is not None)
        i = int(hover.get_attribute("data-index"))
        time.sleep(0.2)
        ex = api(port, f"/runs/vae/examples?indices={i}")
        got_in = numpy.asarray(js(PICTURE, "hover-input", 0, 0, 96))
        got_re = numpy.asarray(js(PICTURE, "hover-recon", 0, 0, 96))
        check(numpy.array_equal(got_in, levels(ex["inputs"][0]))
              and numpy.max(numpy.abs(got_re - levels(ex["reconstructions"][0]))) <= 1,
              f"hovering test point {i} shows its input and its reconstruction (the API's examples)")

        # Raw dimensions as axes.
        Select(driver.find_element(By.ID, "axis-x")).select_by_value("z1")
        Select(driver.find_element(By.ID, "axis-y")).select_by_value("z3")
        xy = numpy.asarray(js("return state.xy;"))
        check(numpy.allclose(xy, (codes - mean)[:, [0, 2]], atol=1e-6),
              "axes z1 and z3 place every point at those coordinates of its code (less the mean)")

        # Interpolation between two picked points.
        driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=pick]").click()
        a_i, b_i = int(numpy.argmin(codes[:, 0])), int(numpy.argmax(codes[:, 0]))
        for k in (a_i, b_i):
            click_at(*pixel_of(k))
        strip = driver.find_element(By.ID, "strip-spherical")
        wait.until(lambda d: strip.get_attribute("data-frames") == "9")
        picked = js("return state.picked.map(p => p.index);")
        za, zb = codes[picked[0]], codes[picked[1]]
        ts = numpy.linspace(0, 1, 9)
        paths = [za + t * (zb - za) for t in ts] + [slerp(za, zb, t) for t in ts]
        want = levels(api(port, "/runs/vae/decode", {"rows": [z.tolist() for z in paths]})["rows"])
        time.sleep(0.3)
        got = [js(PICTURE, "strip-linear", 48 * k, 0, 48) for k in range(9)] + \
              [js(PICTURE, "strip-spherical", 48 * k, 0, 48) for k in range(9)]
        worst = float(numpy.max(numpy.abs(numpy.asarray(got) - want)))
        check(len(set(picked)) == 2 and worst <= 1,
              f"picking points {picked} draws the linear and spherical strips: the API's decodes of both "
              f"paths (largest pixel difference {worst:.0f})")
        box = driver.find_element(By.ID, "interpolation")
        updates = int(box.get_attribute("data-updates"))
        slider = driver.find_element(By.ID, "interp-t")
        slider.send_keys(*[Keys.ARROW_RIGHT] * 20)
        wait.until(lambda d: int(box.get_attribute("data-updates")) > updates)
        time.sleep(0.5)
        t = float(slider.get_attribute("value"))
        want = levels(api(port, "/runs/vae/decode", {"rows": [(za + t * (zb - za)).tolist(),
                                                               slerp(za, zb, t).tolist()]})["rows"])
        got = numpy.asarray([js(PICTURE, "at-linear", 0, 0, 96), js(PICTURE, "at-spherical", 0, 0, 96)])
        check(abs(t - 0.7) < 1e-9 and float(numpy.max(numpy.abs(got - want))) <= 1,
              f"moving t to {t} shows the linear and spherical decodes at t")

        # A latent-dimension slider.
        before = numpy.asarray(js("return state.point;"))
        count = int(decoded.get_attribute("data-decodes"))
        dim = driver.find_element(By.CSS_SELECTOR, "#sliders input[data-dim='1']")
        dim.send_keys(*[Keys.ARROW_RIGHT] * 30)
        wait.until(lambda d: int(decoded.get_attribute("data-decodes")) > count)
        time.sleep(0.5)
        after = numpy.asarray(js("return state.point;"))
        moved = numpy.flatnonzero(numpy.abs(after - before) > 1e-9).tolist()
        want = levels(api(port, "/runs/vae/decode", {"rows": [after.tolist()]})["rows"][0])
        got = numpy.asarray(js(PICTURE, "decoded", 0, 0, 192))
        check(moved == [1] and abs(after[1] - float(dim.get_attribute("value"))) < 1e-6
              and numpy.max(numpy.abs(got - want)) <= 1,
              f"the z2 slider changes coordinate {moved} only, to its value, and the picture is its decode")

        # Nearest neighbours.
        driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=neighbours]").click()
        click_at(*pixel_of(7))
        found = driver.find_element(By.ID, "neighbours")
        wait.until(lambda d: found.get_attribute("data-indices"))
        shown = [int(v) for v in found.get_attribute("data-indices").split(",")]
        d = numpy.linalg.norm(codes - codes[shown[0]], axis=1)
        check(len(shown) == 8 and sorted(d[shown]) == sorted(numpy.sort(d)[:8]),
              f"the 8 neighbours shown {shown} are the 8 nearest codes (numpy, all dimensions)")

        # The decoded grid over the view.
        driver.find_element(By.ID, "grid-draw").click()
        grid = driver.find_element(By.ID, "grid")
        wait.until(lambda d: grid.get_attribute("data-cells") == "100")
        view = js("return state.view;")

        def plane(px, py):
            return [view["cx"] + (px - 240) / view["scale"], view["cy"] - (py - 240) / view["scale"]]

        corners = []
        for px, py in ((24, 24), (456, 456)):  # centres of the first and last cells
            q = plane(px, py)
            z = mean.copy()
            z[0] += q[0]
            z[2] += q[1]
            corners.append(z.tolist())
        want = levels(api(port, "/runs/vae/decode", {"rows": corners})["rows"])
        got = numpy.asarray([js(PICTURE, "grid", 0, 0, 40), js(PICTURE, "grid", 360, 360, 40)])
        check(float(numpy.max(numpy.abs(got - want))) <= 1,
              "the 10 x 10 grid over the view: its corner cells are the decodes of the view's corners")

        # Samples from the prior, as a PNG grid.
        samples = driver.find_element(By.ID, "samples")
        draws = int(samples.get_attribute("data-draws"))
        size = js("return [arguments[0].naturalWidth, arguments[0].naturalHeight];", samples)
        grab = ("const img = arguments[0], c = document.createElement('canvas'); c.width = img.naturalWidth;"
                "c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
                "return Array.from(g.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 == 0));")
        one = js(grab, samples)
        seed = driver.find_element(By.ID, "sample-seed")
        seed.clear()
        seed.send_keys("2")
        driver.find_element(By.ID, "sample-draw").click()
        wait.until(lambda d: int(samples.get_attribute("data-draws")) > draws)
        wait.until(lambda d: js("return arguments[0].complete && arguments[0].naturalWidth > 0;", samples))
        two = js(grab, samples)
        check(size == [42, 42] and len(one) == len(two) == 42 * 42 and one != two,
              f"16 samples come as a {size[0]}x{size[1]} PNG grid (4 x 4 of 8x8) and change with the seed")

        # The dashboard.
        card = driver.find_element(By.CSS_SELECTOR, ".card[data-run=vae]")
        wait.until(lambda d: card.get_attribute("data-epochs") == "3")
        lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
        terms = sorted({k for line in lines for s in ("train", "test") for k, v in line.get(s, {}).items()
                        if isinstance(v, (int, float))})
        charts = sorted(c.get_attribute("data-term") for c in card.find_elements(By.CSS_SELECTOR, "canvas"))
        check(charts == terms and "loss" in terms, f"the dashboard draws a chart for every term: {charts}")
        wait.until(lambda d: len(card.find_elements(By.CSS_SELECTOR, ".pictures img")) >= 2)
        names = sorted(f.get_attribute("data-name") for f in card.find_elements(By.CSS_SELECTOR, ".pictures figure"))
        wait.until(lambda d: all(js("return arguments[0].naturalWidth > 0;", img)
                                 for img in card.find_elements(By.CSS_SELECTOR, ".pictures img")))
        check(names == sorted(p.name for p in out.glob("*.png")), f"the dashboard shows the run's pictures {names}")
        last = dict(lines[-1])
        last["epoch"] += 1
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(last) + "\n")
        try:
            wait.until(lambda d: card.get_attribute("data-epochs") == "4")
        except Exception:  # noqa: BLE001
            pass
        check(card.get_attribute("data-epochs") == "4", "the curves grow to 4 epochs when metrics.jsonl gains a line")

        # The density of a 2-D flow.
        Select(driver.find_element(By.ID, "run")).select_by_value("flow2d")
        density = driver.find_element(By.ID, "density")
        wait.until(lambda d: density.get_attribute("data-cells") == "4096")
        n = len(api(port, "/runs/flow2d/codes?split=test&limit=2000")["rows"])
        points = numpy.asarray(api(port, f"/runs/flow2d/examples?indices=0-{n - 1}")["inputs"])
        lo, hi = points.min(axis=0), points.max(axis=0)
        lo, hi = lo - 0.15 * (hi - lo), hi + 0.15 * (hi - lo)
        cells = rng.choice(4096, size=60, replace=False)
        centres = [[lo[0] + (c % 64 + 0.5) * (hi[0] - lo[0]) / 64, hi[1] - (c // 64 + 0.5) * (hi[1] - lo[1]) / 64]
                   for c in cells]
        logp = numpy.asarray(api(port, "/runs/flow2d/score", {"rows": centres, "k": 50})["log_likelihood"])
        red = numpy.asarray(js("const g = document.getElementById('density').getContext('2d');"
                               "return arguments[0].map(c => g.getImageData((c % 64 + 0.5) * 5, "
                               "(Math.floor(c / 64) + 0.5) * 5, 1, 1).data[0]);", cells.tolist()))
        rank = numpy.corrcoef(numpy.argsort(numpy.argsort(logp)), numpy.argsort(numpy.argsort(red)))[0, 1]
        check(rank < -0.9, f"the density picture is darker where the API's log-likelihood is higher "
                           f"(rank correlation {rank:.3f} over 60 cells)")

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errors, f"no errors in the browser's console ({len(errors)}: {errors[:2]})")
        if args.screenshot and not args.screenshot_run:
            driver.save_screenshot(args.screenshot)
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)

    if args.screenshot and args.screenshot_run:
        server, port = serve([args.screenshot_run])
        driver = browser()
        try:
            driver.get(f"http://127.0.0.1:{port}/")
            WebDriverWait(driver, 60).until(
                lambda d: int(d.find_element(By.ID, "samples").get_attribute("data-draws")) >= 1)
            # Every tool in use: two picked points, a hovered one, neighbours and the grid.
            driver.execute_script("pickPoint(state.codes[0], 0); pickPoint(state.codes[1], 1);"
                                  "hover(2); showNeighbours(state.codes[2]); drawGrid();")
            time.sleep(4)
            driver.save_screenshot(args.screenshot)
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=10)

check.finish()
