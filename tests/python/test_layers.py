"""scripts/check_layers.py: the repository has no include from a lower layer to a higher one, and
the script does report one when a tree has it."""
import os
import pathlib
import subprocess
import sys
import tempfile

from common import Checks, parse_args

check = Checks()

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_layers.py"


def layers(root):
    return subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)


def main():
    parse_args()
    here = layers(ROOT)
    check(here.returncode == 0, f"no back-edges in the repository:\n{here.stdout}")
    with tempfile.TemporaryDirectory() as tmp:
        inc = pathlib.Path(tmp) / "include" / "latentkit"
        for d in ("models", "stats", "cli"):
            (inc / d).mkdir(parents=True)
        (pathlib.Path(tmp) / "src" / "stats").mkdir(parents=True)
        (inc / "models" / "vae.h").write_text('#include "latentkit/stats/pca.h"\n#include "latentkit/error.h"\n')
        (inc / "stats" / "pca.h").write_text("#pragma once\n")
        ok = layers(tmp)
        check(ok.returncode == 0, f"downward includes pass: {ok.stdout}")
        (pathlib.Path(tmp) / "src" / "stats" / "pca.cpp").write_text('#include "latentkit/models/vae.h"\n')
        bad = layers(tmp)
        check(bad.returncode == 1 and "src/stats/pca.cpp" in bad.stdout and "'models'" in bad.stdout,
              f"an upward include fails, naming the file and the layer: {bad.stdout}")
        (inc / "cli" / "x.h").write_text('#include "latentkit/serve/y.h"\n')
        unknown = layers(tmp)
        check(unknown.returncode == 1 and "'serve'" in unknown.stdout, f"an unlisted layer fails: {unknown.stdout}")
    check.finish()


if __name__ == "__main__":
    main()
