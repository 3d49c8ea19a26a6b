#!/usr/bin/python3
"""PyTorch reference for latentkit's reference VAE on Fashion-MNIST.

Model: 784-400-20 MLP VAE. Encoder Linear(784, 400), ReLU, Linear(400, 40) whose first 20
outputs are mu and last 20 are log sigma^2; decoder Linear(20, 400), ReLU, Linear(400, 784)
giving Bernoulli logits. Loss per image = BCE-with-logits summed over the 784 pixels + the
closed-form KL(q(z|x) || N(0, I)); the optimised loss is its mean over the batch.
Adam (lr 1e-3), batch 128, reshuffled every epoch (the last, partial batch is kept), pixels
are grey levels / 255 as float32 (not binarised). The whole data set lives in memory as
tensors and batches are taken with a randperm (no DataLoader).

Each epoch prints one JSON line:
  {"epoch": e, "train_loss": mean training loss, "test_elbo": mean test ELBO, "seconds": s}
where test_elbo = -(recon + KL) averaged over the 10,000 test images with one z sample each,
and seconds is the wall time of the training epoch only (evaluation excluded).

Run with Debian's python3-torch:  /usr/bin/python3 bench/reference_vae.py --epochs 10
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"

INPUT_DIM = 784
HIDDEN = 400
LATENT = 20


class DataError(Exception):
    """A missing or malformed data file (reported as one line, exit status 2)."""


def read_idx_images(path):
    """Reads a gzip'd IDX3 image file into a float32 tensor [N, rows*cols] in [0, 1]."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file (Fashion-MNIST IDX images expected)")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    if len(raw) < 16:
        raise DataError(f"{path}: truncated IDX header")
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise DataError(f"{path}: not an IDX3 ubyte image file (magic 0x{magic:08x})")
    expected = n * rows * cols
    if len(raw) - 16 != expected:
        raise DataError(f"{path}: expected {expected} pixel bytes, found {len(raw) - 16}")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    return torch.from_numpy(pixels.astype(np.float32) / np.float32(255.0))


def load_fashion_mnist(data_dir=DEFAULT_DATA_DIR):
    """Returns (train_images [60000, 784], test_images [10000, 784]) as float32 tensors."""
    train = read_idx_images(os.path.join(data_dir, TRAIN_IMAGES))
    test = read_idx_images(os.path.join(data_dir, TEST_IMAGES))
    return train, test


class VAE(nn.Module):
    def __init__(self, input_dim=INPUT_DIM, hidden=HIDDEN, latent=LATENT):
        super().__init__()
        self.latent = latent
        self.enc1 = nn.Linear(input_dim, hidden)
        self.enc2 = nn.Linear(hidden, 2 * latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, input_dim)

    def encode(self, x):
        stats = self.enc2(F.relu(self.enc1(x)))
        return stats[:, : self.latent], stats[:, self.latent :]

    def decode(self, z):
        return self.dec2(F.relu(self.dec1(z)))

    def loss_terms(self, x):
        """Per-image (recon, kl), each of shape [batch]; one reparameterised z sample."""
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.decode(z)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
        return recon, kl


def make_model(seed, hidden=HIDDEN, latent=LATENT, lr=1e-3):
    """Seeds torch's global RNG (initialisation, shuffling and z samples) and builds model + Adam."""
    torch.manual_seed(seed)
    model = VAE(INPUT_DIM, hidden, latent)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return model, optimizer


def train_epoch(model, optimizer, train_x, batch_size=128):
    """One pass over train_x in a fresh random order. Returns (mean train loss, seconds)."""
    model.train()
    n = train_x.shape[0]
    start = time.perf_counter()
    perm = torch.randperm(n)
    total = torch.zeros((), dtype=torch.float64)
    for begin in range(0, n, batch_size):
        x = train_x[perm[begin : begin + batch_size]]
        recon, kl = model.loss_terms(x)
        per_image = recon + kl
        loss = per_image.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += per_image.detach().sum().double()
    seconds = time.perf_counter() - start
    return total.item() / n, seconds


@torch.no_grad()
def evaluate(model, test_x, batch_size=1000):
    """Mean test ELBO (= -(recon + KL)) over test_x, one z sample per image. Returns a dict."""
    model.eval()
    n = test_x.shape[0]
    recon_sum = 0.0
    kl_sum = 0.0
    for begin in range(0, n, batch_size):
        recon, kl = model.loss_terms(test_x[begin : begin + batch_size])
        recon_sum += recon.double().sum().item()
        kl_sum += kl.double().sum().item()
    return {"elbo": -(recon_sum + kl_sum) / n, "recon": recon_sum / n, "kl": kl_sum / n}


def train(train_x, test_x, epochs=10, seed=0, batch_size=128, lr=1e-3, threads=None,
          on_epoch=None):
    """Trains from scratch; calls on_epoch(record) after each epoch and returns all records."""
    if threads is not None:
        torch.set_num_threads(threads)
    model, optimizer = make_model(seed, lr=lr)
    records = []
    for epoch in range(1, epochs + 1):
        train_loss, seconds = train_epoch(model, optimizer, train_x, batch_size)
        test = evaluate(model, test_x)
        record = {"epoch": epoch, "train_loss": train_loss, "test_elbo": test["elbo"],
                  "seconds": seconds}
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return records


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch.set_num_threads (default: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help=f"directory holding the Fashion-MNIST .gz files ({DEFAULT_DATA_DIR})")
    args = parser.parse_args(argv)

    try:
        train_x, test_x = load_fashion_mnist(args.data_dir)
    except DataError as e:
        print(f"reference_vae.py: error: {e}", file=sys.stderr)
        return 2

    def emit(record):
        print(json.dumps(record), flush=True)

    train(train_x, test_x, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size,
          lr=args.lr, threads=args.threads, on_epoch=emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
