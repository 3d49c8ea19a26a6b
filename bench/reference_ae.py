#!/usr/bin/python3
"""PyTorch reference for latentkit's plain autoencoder (`latentkit train --model ae
--data fashion-mnist`, all other flags at their defaults) on Fashion-MNIST.

Model (latentkit's defaults for kind "ae": hidden {400}, latent 20, activation relu,
architecture mlp; the likelihood "auto" resolves to "bce" because Fashion-MNIST is scaled to
[0, 1]): encoder Linear(784, 400), ReLU, Linear(400, 20) -> code z; decoder (the encoder's
widths mirrored) Linear(20, 400), ReLU, Linear(400, 784) -> Bernoulli logits. 644,804
parameters, PyTorch's (= LibTorch's) default Linear initialisation, built in latentkit's order
(encoder, then decoder) after torch.manual_seed(seed), so a given seed starts from the same
weights as latentkit with that --seed.
Loss per image = BCE-with-logits summed over the 784 pixels (likelihood "mse": squared error
summed over pixels); the optimised loss is its mean over the batch. Adam (lr 1e-3, betas
(0.9, 0.999), eps 1e-8, no weight decay), batch 128, the training set reshuffled every epoch by
torch.randperm (the last, partial batch is kept), pixels are grey levels / 255 as float32 (not
binarised). The whole data set lives in memory as tensors (no DataLoader). --limit N keeps the
first N training images (the test set is unchanged), like latentkit's --limit.

Each epoch prints one JSON line:
  {"epoch": e, "train_loss": mean training loss, "test_loss": mean test loss, "seconds": s}
where test_loss is the per-image reconstruction loss averaged over the 10,000 test images
(latentkit's metrics.jsonl "test"."loss", evaluated in batches of 1000) and seconds is the wall
time of the training epoch only (no loading, no evaluation).

Run with Debian's python3-torch:  /usr/bin/python3 bench/reference_ae.py --epochs 10
"""

import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_common  # noqa: E402

PROG = "reference_ae.py"

INPUT_DIM = 784
HIDDEN = (400,)
LATENT = 20
LIKELIHOOD = "bce"  # what latentkit's "auto" picks for data scaled to [0, 1]
LR = 1e-3
BATCH_SIZE = 128
EVAL_BATCH_SIZE = 1000
SEED = 1  # latentkit's default --seed


def mlp(widths_in, hidden, out):
    """Linear layers with ReLU between them (none after the last): latentkit's make_mlp."""
    layers = []
    width = widths_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Deterministic MLP autoencoder. Parameter names match latentkit's checkpoints
    (encoder.0.weight, ..., decoder.2.bias), so load_latentkit_weights can load them."""

    def __init__(self, input_dim=INPUT_DIM, hidden=HIDDEN, latent=LATENT, likelihood=LIKELIHOOD):
        super().__init__()
        if likelihood not in ("bce", "mse"):
            raise ValueError(f"likelihood must be bce or mse, got {likelihood!r}")
        self.bce = likelihood == "bce"
        self.encoder = mlp(input_dim, list(hidden), latent)
        self.decoder = mlp(latent, list(reversed(hidden)), input_dim)

    def forward(self, x):
        """x: [B, D] -> raw decoder output [B, D] (logits for bce)."""
        return self.decoder(self.encoder(x))

    def recon_loss(self, x, out):
        """Per-image reconstruction loss [B]."""
        if self.bce:
            return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(dim=1)
        return (out - x).pow(2).sum(dim=1)

    def reconstruct(self, x):
        out = self(x)
        return torch.sigmoid(out) if self.bce else out


def make_model(seed=SEED, hidden=HIDDEN, latent=LATENT, likelihood=LIKELIHOOD, lr=LR):
    """Seeds torch's global RNG (initialisation and shuffling) and builds model + Adam."""
    torch.manual_seed(seed)
    model = Autoencoder(INPUT_DIM, hidden, latent, likelihood)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return model, optimizer


# Shared with the other reference: --limit loading, parameter counts, checkpoint weights.
load = reference_common.load
count_parameters = reference_common.count_parameters
load_latentkit_weights = reference_common.load_latentkit_weights


def train_epoch(model, optimizer, train_x, batch_size=BATCH_SIZE):
    """One pass over train_x in a fresh random order. Returns (mean train loss, seconds)."""
    model.train()
    n = train_x.shape[0]
    start = time.perf_counter()
    perm = torch.randperm(n)
    total = torch.zeros((), dtype=torch.float64)
    for begin in range(0, n, batch_size):
        x = train_x[perm[begin : begin + batch_size]]
        per_image = model.recon_loss(x, model(x))
        loss = per_image.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += per_image.detach().sum().double()
    seconds = time.perf_counter() - start
    return total.item() / n, seconds


@torch.no_grad()
def evaluate(model, test_x, batch_size=EVAL_BATCH_SIZE):
    """Mean per-image test loss (= latentkit's test "loss" and "recon") and "mse", the squared
    error of the decoded output (sigmoid of the logits for bce) per image. Returns a dict."""
    model.eval()
    n = test_x.shape[0]
    loss_sum = 0.0
    mse_sum = 0.0
    for begin in range(0, n, batch_size):
        x = test_x[begin : begin + batch_size]
        out = model(x)
        loss_sum += model.recon_loss(x, out).double().sum().item()
        xhat = torch.sigmoid(out) if model.bce else out
        mse_sum += (xhat - x).pow(2).sum(dim=1).double().sum().item()
    return {"loss": loss_sum / n, "recon": loss_sum / n, "mse": mse_sum / n}


def train(train_x, test_x, epochs=10, seed=SEED, batch_size=BATCH_SIZE, lr=LR, threads=None,
          on_epoch=None):
    """Trains from scratch; calls on_epoch(record) after each epoch and returns all records."""
    if threads is not None:
        torch.set_num_threads(threads)
    model, optimizer = make_model(seed, lr=lr)
    records = []
    for epoch in range(1, epochs + 1):
        train_loss, seconds = train_epoch(model, optimizer, train_x, batch_size)
        test = evaluate(model, test_x)
        record = {"epoch": epoch, "train_loss": train_loss, "test_loss": test["loss"],
                  "seconds": seconds}
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return records


def main(argv=None):
    return reference_common.main(PROG, __doc__, train, SEED, BATCH_SIZE, LR, argv)


if __name__ == "__main__":
    sys.exit(main())
