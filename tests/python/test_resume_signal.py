"""SIGINT during training saves a checkpoint and exits cleanly; --resume then gives the same
metrics and weights as an uninterrupted run (CPU, same seed and threads)."""
import json
import os
import signal
import subprocess
import tempfile
import time

from common import import_torch, parse_args, run

args = parse_args()
torch = import_torch()

# Batches of 4 keep an epoch long enough (about 0.25 s with the fused step) for the signal to
# land inside the second one.
TRAIN = ["train", "--model", "vae", "--data", "moons", "--hidden", "64,64", "--latent", 2,
         "--batch-size", 4, "--epochs", 3, "--threads", 1, "--seed", 7]


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    return [(m["epoch"], m["train"], m["test"]) for m in lines]


with tempfile.TemporaryDirectory() as tmp:
    full = os.path.join(tmp, "full")
    run(args.latentkit, *TRAIN, "--out", full, "--quiet")

    part = os.path.join(tmp, "part")
    proc = subprocess.Popen([args.latentkit, *map(str, TRAIN), "--out", part],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Interrupt once the first epoch is recorded, so the stop falls inside a later epoch.
    deadline = time.time() + 300
    while not os.path.exists(os.path.join(part, "metrics.jsonl")) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 130), (proc.returncode, err)
    interrupted = proc.returncode == 130
    if interrupted:
        assert "checkpoint saved" in err, err
        assert "Traceback" not in err and "Exception raised from" not in err, err
        ck = torch.load(os.path.join(part, "checkpoints", "last.pt"))
        state = json.loads(ck["state"])
        print(f"interrupted at epoch {state['epoch']} batch {state['batch']}")
    run(args.latentkit, "train", "--resume", "--out", part, "--quiet")

    a, b = metrics(full), metrics(part)
    assert len(a) == len(b) == 3, (len(a), len(b))
    assert a == b, f"metrics differ:\n{a}\n{b}"
    wa = torch.load(os.path.join(full, "checkpoints", "last.pt"))["model"]
    wb = torch.load(os.path.join(part, "checkpoints", "last.pt"))["model"]
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), f"weights {k} differ"
    print(f"resume {'after SIGINT ' if interrupted else ''}matches the uninterrupted run")
print("1 passed, 0 failed")
