"""A latentkit checkpoint opens with torch.load, and a PyTorch network built from its weights
computes the same codes and reconstructions as `latentkit encode` / `latentkit reconstruct`."""
import os
import sys
import tempfile

from common import import_torch, parse_args, read_csv, run

args = parse_args()
torch = import_torch()


def mlp_from(state, prefix):
    """The Linear layers stored under `prefix` (e.g. 'encoder.0.weight'), in order."""
    idx = sorted({int(k.split(".")[1]) for k in state if k.startswith(prefix + ".") and k.endswith(".weight")})
    return [(state[f"{prefix}.{i}.weight"], state[f"{prefix}.{i}.bias"]) for i in idx]


def forward(layers, x):
    for i, (w, b) in enumerate(layers):
        x = x @ w.T + b
        if i < len(layers) - 1:
            x = torch.relu(x)
    return x


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "run")
    run(args.latentkit, "train", "--model", "vae", "--data", "moons", "--epochs", 2, "--latent", 2,
        "--hidden", "16,8", "--batch-size", 64, "--limit", 2000, "--out", out, "--quiet")
    ck = torch.load(os.path.join(out, "checkpoints", "last.pt"))
    assert ck["format"] == "latentkit-checkpoint/1", ck["format"]
    model = ck["model"]
    offset, scale = ck["preprocess"]["offset"], ck["preprocess"]["scale"]

    points = torch.tensor([[0.0, 0.5], [1.0, -0.4], [-0.8, 0.3], [1.9, 0.1], [0.4, -0.2]])
    inp = os.path.join(tmp, "points.csv")
    with open(inp, "w") as f:
        f.write("a,b\n" + "".join(f"{x:.9g},{y:.9g}\n" for x, y in points.tolist()))
    codes_csv = os.path.join(tmp, "codes.csv")
    run(args.latentkit, "encode", "--run", out, "--input", inp, "--out", codes_csv)
    header, codes = read_csv(codes_csv)
    assert header == ["z0", "z1"], header

    x = (points - offset) / scale
    h = forward(mlp_from(model, "encoder"), x)
    mu = h[:, :2]
    err = (mu - torch.tensor(codes)).abs().max().item()
    print(f"encode: max |mu_latentkit - mu_pytorch| = {err:.3g}")
    assert err < 1e-4, err

    rec_csv = os.path.join(tmp, "rec.csv")
    run(args.latentkit, "reconstruct", "--run", out, "--input", inp, "--out", rec_csv)
    _, rec = read_csv(rec_csv)
    mean = forward(mlp_from(model, "decoder"), mu)       # Gaussian decoder: the mean, model space
    rec_ref = mean * scale + offset                      # back to raw units
    err = (rec_ref - torch.tensor(rec)).abs().max().item()
    print(f"reconstruct: max difference = {err:.3g}")
    assert err < 1e-4, err
print("1 passed, 0 failed")
