"""`latentkit serve`'s page in a real browser: headless Chromium driven by Selenium.

What is asserted, against the API and the run on disk:
- the page loads with no errors in the browser's console;
- the scatter shows as many points as GET /api/runs/{id}/codes returns for the test split
  (capped at 2000, the page's limit);
- clicking two places on the plane decodes twice, and the decoded image changes (its pixels,
  read back from the canvas, differ); the first picture equals the API's decode of the mean code;
- the loss curves grow when the test appends an epoch to the run's metrics.jsonl;
- a screenshot is written for the README when --screenshot is given.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import SKIP, Checks, run

p = argparse.ArgumentParser()
p.add_argument("--latentkit", required=True)
p.add_argument("--screenshot", help="also save the page as this PNG")
args = p.parse_args()
try:
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
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
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


with tempfile.TemporaryDirectory(prefix="latentkit-browser-") as tmp_name:
    tmp = pathlib.Path(tmp_name)
    # Two classes of 8x8 images: a bright left half or a bright top half, with noise.
    rng = numpy.random.default_rng(5)
    images = rng.integers(0, 60, size=(300, 8, 8))
    labels = numpy.arange(300) % 2
    images[labels == 0, :, :4] += 180
    images[labels == 1, :4, :] += 180
    rows = numpy.clip(images, 0, 255).reshape(300, 64)
    with open(tmp / "d.csv", "w") as f:
        f.write(",".join([f"p{i}" for i in range(64)] + ["label"]) + "\n")
        for r, y in zip(rows, labels):
            f.write(",".join(map(str, r)) + f",{y}\n")
    out = tmp / "vae"
    run(args.latentkit, "train", "--model", "vae", "--data", f"csv:{tmp / 'd.csv'}", "--label-column", "64",
        "--image-shape", "1,8,8", "--latent", "2", "--epochs", "3", "--out", out, "--quiet")

    server = subprocess.Popen([args.latentkit, "serve", str(out), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = None
    try:
        port = int(server.stdout.readline().split("127.0.0.1:")[1].split("/")[0])
        service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
            if hasattr(webdriver, "ChromeService") else None
        driver = webdriver.Chrome(options=options, service=service) if service else webdriver.Chrome(options=options)
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 30)
        scatter = driver.find_element(By.ID, "scatter")
        wait.until(lambda d: scatter.get_attribute("data-points") != "0")
        codes = api(port, "/runs/vae/codes?split=test&limit=2000")
        shown = int(scatter.get_attribute("data-points"))
        check(shown == len(codes["rows"]) and shown > 0,
              f"the scatter shows {shown} points, the API returns {len(codes['rows'])} test codes")

        decoded = driver.find_element(By.ID, "decoded")
        wait.until(lambda d: int(decoded.get_attribute("data-decodes")) >= 1)

        def pixels():
            return driver.execute_script(
                "const c = document.getElementById('decoded'), g = c.getContext('2d');"
                "const s = c.width / 8, out = [];"
                "for (let i = 0; i < 8; ++i) for (let j = 0; j < 8; ++j)"
                "  out.push(g.getImageData(j * s + s / 2, i * s + s / 2, 1, 1).data[0]);"
                "return out;")

        mean = numpy.mean(numpy.asarray(codes["rows"]), axis=0).tolist()
        expected = numpy.clip(numpy.round(api(port, "/runs/vae/decode", {"rows": [mean]})["rows"][0]), 0, 255)
        first = numpy.asarray(pixels())
        check(numpy.max(numpy.abs(first - expected)) <= 1,
              f"the first decoded picture is the API's decode of the mean code (largest pixel difference "
              f"{numpy.max(numpy.abs(first - expected)):.0f} of 255)")

        count = int(decoded.get_attribute("data-decodes"))
        for dx, dy in ((-200, -200), (200, 200)):
            ActionChains(driver).move_to_element_with_offset(scatter, dx, dy).click().perform()
            wait.until(lambda d, n=count: int(decoded.get_attribute("data-decodes")) > n)
            count = int(decoded.get_attribute("data-decodes"))
            time.sleep(0.3)
            if dx < 0:
                corner_a = numpy.asarray(pixels())
        corner_b = numpy.asarray(pixels())
        change = float(numpy.abs(corner_a - corner_b).mean())
        check(change > 1.0, f"clicking two corners of the plane decodes two different pictures "
                            f"(mean pixel change {change:.1f} of 255)")

        curves = driver.find_element(By.ID, "curves")
        before = int(curves.get_attribute("data-epochs"))
        metrics = out / "metrics.jsonl"
        last = json.loads(metrics.read_text().splitlines()[-1])
        last["epoch"] += 1
        with open(metrics, "a") as f:
            f.write(json.dumps(last) + "\n")
        try:
            wait.until(lambda d: int(curves.get_attribute("data-epochs")) > before)
            after = int(curves.get_attribute("data-epochs"))
        except Exception:  # noqa: BLE001
            after = before
        check(before == 3 and after == 4, f"the loss curves grow from {before} to {after} epochs when "
                                          f"metrics.jsonl gains a line")

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        check(not errors, f"no errors in the browser's console ({len(errors)}: {errors[:2]})")
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)

check.finish()
