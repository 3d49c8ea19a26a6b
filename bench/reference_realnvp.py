#!/usr/bin/python3
"""PyTorch reference for latentkit's RealNVP flow (`latentkit train --model realnvp
--data fashion-mnist`, all other flags at their defaults) on Fashion-MNIST.

Data: model-space x = grey level / 255 (float32). Each use of an image dequantises it afresh:
levels l = round(255 x), y = (l + u) / 256 with u ~ U[0, 1)^784, then the logit transform
v = logit(a + (1 - 2a) y), a = 0.05, with log-det sum(log(1 - 2a) - log p - log(1 - p)).
Body (multi-scale, 2 scales, 3 steps, coupling networks of 32 channels, affine couplings, no
permutation layers), on [B, 1, 28, 28]:
  level 0: 3 checkerboard affine couplings (masks: (i + j) even, odd, even), squeeze to
           [B, 4, 14, 14] (channel 4c + 2di + dj = x[c, 2i + di, 2j + dj]), 3 channel-wise affine
           couplings (masks: first 2 channels, last 2, first 2), then the first 2 channels are
           factored out to z;
  level 1: 4 checkerboard affine couplings on [B, 2, 14, 14] (even, odd, even, odd).
  z = [factored-out part flattened, level 1's output flattened], [B, 784].
Coupling with mask m: net(m x) = conv 3x3 (C -> 32, padding 1), ReLU, conv 1x1 (32 -> 32), ReLU,
conv 3x3 (32 -> 2C, padding 1; weight and bias zero-initialised, so every coupling starts as the
identity); its first C channels give s = tanh(.) * scale * (1 - m) (scale: one learned factor per
channel, [1, C, 1, 1], initialised to 1), the last C channels t = (.) * (1 - m);
y = m x + (1 - m) (x exp(s) + t), log-det = sum of s. 30,821 parameters; the other layers use
PyTorch's (= LibTorch's) default Conv2d initialisation, drawn in latentkit's order after
torch.manual_seed(seed), so a given seed starts from the same weights as latentkit's --seed.
Prior N(0, I). Loss per image = -(log N(z) + log-det - 784 log 256): the negative
log-likelihood of the 8-bit image in nats (one dequantisation draw; bits/dim = loss /
(784 ln 2)); the optimised loss is its mean over the batch. Adam (lr 1e-3, latentkit's default for
every kind; betas (0.9, 0.999), eps 1e-8), batch 128, the training set reshuffled every epoch by
torch.randperm (the last, partial batch is kept). --limit N keeps the first N training images
(the test set is unchanged), like latentkit's --limit; full epochs are slow on a CPU.

Each epoch prints one JSON line:
  {"epoch": e, "train_loss": mean training loss, "test_loss": mean test loss,
   "test_bits_per_dim": test_loss / (784 ln 2), "seconds": s}
where test_loss is the loss above averaged over the 10,000 test images, evaluated like
latentkit's metrics.jsonl "test"."loss" (batches of 1000 run in chunks of 128, dequantisation
noise from a generator seeded with seed * 1000003 + epoch * 7919 + 1, so training's random
stream is untouched), and seconds is the wall time of the training epoch only (no loading, no
evaluation).

Run with Debian's python3-torch:  /usr/bin/python3 bench/reference_realnvp.py --epochs 1 --limit 6000
"""

import math
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_common  # noqa: E402

PROG = "reference_realnvp.py"

IMAGE_SHAPE = (1, 28, 28)
INPUT_DIM = 784
STEPS = 3        # couplings per scale (the last scale has STEPS + 1)
SCALES = 2
HIDDEN = 32      # channels of the coupling networks
LOGIT_ALPHA = 0.05
LR = 1e-3
BATCH_SIZE = 128
EVAL_BATCH_SIZE = 1000
EVAL_CHUNK = 128  # latentkit evaluates without autograd in chunks of 128 images
SEED = 1          # latentkit's default --seed
LOG_256 = math.log(256.0)


def checkerboard_mask(height, width, flip):
    """[1, 1, H, W]: 1 where (i + j) is even (odd when flip)."""
    i = torch.arange(height).view(height, 1)
    j = torch.arange(width).view(1, width)
    m = ((i + j) % 2 == 0).to(torch.float32).view(1, 1, height, width)
    return 1 - m if flip else m


def channel_mask(channels, flip):
    """[1, C, 1, 1]: 1 on the first C/2 channels (the rest when flip)."""
    m = (torch.arange(channels) < channels // 2).to(torch.float32).view(1, channels, 1, 1)
    return 1 - m if flip else m


def coupling_convnet(channels, hidden, outputs):
    """[B, C, H, W] -> [B, outputs*C, H, W]: conv 3x3, ReLU, conv 1x1, ReLU, conv 3x3 (zero).

    Built in latentkit's order (coupling.cpp, compiled by GCC): the zeroed last layer is created
    first, then the Sequential's arguments, which GCC evaluates right to left (the 1x1 conv
    before the first 3x3 conv), so the same seed draws the same initial weights."""
    last = nn.Conv2d(hidden, outputs * channels, 3, padding=1)
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    middle = nn.Conv2d(hidden, hidden, 1)
    first = nn.Conv2d(channels, hidden, 3, padding=1)
    return nn.Sequential(first, nn.ReLU(), middle, nn.ReLU(), last)


class Coupling(nn.Module):
    """Affine coupling y = m x + (1 - m) (x exp(s) + t), s = tanh(raw) * scale * (1 - m)."""

    def __init__(self, mask, channels, hidden=HIDDEN):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = coupling_convnet(channels, hidden, 2)
        shape = [1] * mask.dim()
        shape[1] = channels
        self.scale = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        """x: [B, C, H, W] -> (y, logdet [B])."""
        copied = x * self.mask
        out = self.net(copied)
        keep = 1 - self.mask
        raw_s, raw_t = out.chunk(2, 1)
        s = torch.tanh(raw_s) * self.scale * keep
        t = raw_t * keep
        return copied + (1 - self.mask) * (x * torch.exp(s) + t), s.flatten(1).sum(1)


class Squeeze(nn.Module):
    """[B, C, H, W] -> [B, 4C, H/2, W/2]; channel 4c + 2di + dj holds x[c, 2i + di, 2j + dj]."""

    def forward(self, x):
        b, c, h, w = x.shape
        y = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return y.reshape(b, 4 * c, h // 2, w // 2), x.new_zeros(b)


class FlowSequence(nn.Module):
    """Layers applied in order (submodules named "0", "1", ... like latentkit's); logdets add."""

    def __init__(self, layers):
        super().__init__()
        for i, layer in enumerate(layers):
            self.add_module(str(i), layer)

    def forward(self, x):
        logdet = x.new_zeros(x.shape[0])
        for layer in self.children():
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet


class MultiScaleFlow(nn.Module):
    """Levels of layers; after every level but the last the first C/2 channels leave for z."""

    def __init__(self, levels):
        super().__init__()
        self.num_levels = len(levels)
        for i, level in enumerate(levels):
            self.add_module(f"level{i}", level)

    def forward(self, x):
        """x: [B, C, H, W] -> (z [B, C*H*W], logdet [B])."""
        parts = []
        logdet = x.new_zeros(x.shape[0])
        h = x
        for i, level in enumerate(self.children()):
            h, ld = level(h)
            logdet = logdet + ld
            if i + 1 < self.num_levels:
                out_c = h.shape[1] // 2
                parts.append(h[:, :out_c].flatten(1))
                h = h[:, out_c:]
        parts.append(h.flatten(1))
        return torch.cat(parts, 1), logdet


def realnvp_body(image_shape=IMAGE_SHAPE, steps=STEPS, scales=SCALES, hidden=HIDDEN):
    """latentkit's realnvp_body (flow_architectures.cpp) with affine couplings, no permutation."""
    shape = list(image_shape)
    levels = []
    for level in range(scales):
        last = level + 1 == scales
        layers = []
        for i in range(steps + 1 if last else steps):
            layers.append(Coupling(checkerboard_mask(shape[1], shape[2], i % 2 == 1), shape[0],
                                   hidden))
        if not last:
            layers.append(Squeeze())
            shape = [shape[0] * 4, shape[1] // 2, shape[2] // 2]
            for i in range(steps):
                layers.append(Coupling(channel_mask(shape[0], i % 2 == 1), shape[0], hidden))
            shape[0] -= shape[0] // 2
        levels.append(FlowSequence(layers))
    return MultiScaleFlow(levels)


class RealNVP(nn.Module):
    """Dequantisation + logit transform + multi-scale body + N(0, I) prior. Parameter and buffer
    names match latentkit's checkpoints (body.level0.0.net.0.weight, ..., body.level1.3.scale)."""

    def __init__(self, image_shape=IMAGE_SHAPE, steps=STEPS, scales=SCALES, hidden=HIDDEN,
                 alpha=LOGIT_ALPHA):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.alpha = alpha
        self.body = realnvp_body(image_shape, steps, scales, hidden)

    def logit(self, y):
        """y: [B, D] in [0, 1) -> (v, logdet [B])."""
        a = self.alpha
        p = a + (1 - 2 * a) * y
        log_p, log_1mp = torch.log(p), torch.log1p(-p)
        return log_p - log_1mp, (math.log(1 - 2 * a) - log_p - log_1mp).flatten(1).sum(1)

    def log_density(self, y):
        """y: [B, D] dequantised -> [B], log p(y) (exact for the continuous y)."""
        v, logdet = self.logit(y)
        z, body_logdet = self.body(v.reshape(y.shape[0], *self.image_shape))
        z = z.flatten(1)
        logdet = logdet + body_logdet
        log_prior = -0.5 * z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
        return log_prior + logdet

    def nll(self, x, u=None):
        """x: [B, D] = level / 255 -> [B], -(log p(y) - D log 256) in nats for the draw u
        (default: u ~ U[0, 1) from torch's global generator, like latentkit's training)."""
        levels = torch.round(x * 255).clamp(0, 255)
        if u is None:
            u = torch.rand_like(x)
        y = (levels + u) / 256
        return -(self.log_density(y) - x.shape[1] * LOG_256)


def make_model(seed=SEED, steps=STEPS, scales=SCALES, hidden=HIDDEN, lr=LR):
    """Seeds torch's global RNG (initialisation, shuffling, dequantisation) and builds model +
    Adam."""
    torch.manual_seed(seed)
    model = RealNVP(IMAGE_SHAPE, steps, scales, hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return model, optimizer


# Shared with the other reference: --limit loading, parameter counts, checkpoint weights.
load = reference_common.load
count_parameters = reference_common.count_parameters
load_latentkit_weights = reference_common.load_latentkit_weights


def eval_seed(seed, epoch):
    """The seed of latentkit's test evaluation after `epoch` (trainer.cpp derived_seed, salt 1)."""
    return (seed * 1000003 + epoch * 7919 + 1) % (1 << 64)


def train_epoch(model, optimizer, train_x, batch_size=BATCH_SIZE):
    """One pass over train_x in a fresh random order. Returns (mean train loss, seconds)."""
    model.train()
    n = train_x.shape[0]
    start = time.perf_counter()
    perm = torch.randperm(n)
    total = torch.zeros((), dtype=torch.float64)
    for begin in range(0, n, batch_size):
        x = train_x[perm[begin : begin + batch_size]]
        per_image = model.nll(x)
        loss = per_image.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += per_image.detach().sum().double()
    seconds = time.perf_counter() - start
    return total.item() / n, seconds


@torch.no_grad()
def evaluate(model, test_x, seed=None, batch_size=EVAL_BATCH_SIZE):
    """Mean per-image test NLL in nats ("loss" = "nll", latentkit's test "loss") and
    "bits_per_dim". Dequantisation noise comes from a torch.Generator seeded with `seed`
    (eval_seed(run seed, epoch) reproduces latentkit's draw) or, with seed None, from torch's
    global generator. Returns a dict."""
    model.eval()
    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(seed)
    n = test_x.shape[0]
    total = 0.0
    for begin in range(0, n, batch_size):
        batch = test_x[begin : begin + batch_size]
        for c in range(0, batch.shape[0], EVAL_CHUNK):
            x = batch[c : c + EVAL_CHUNK]
            u = torch.rand(x.shape, generator=generator) if generator is not None else None
            total += model.nll(x, u).double().sum().item()
    nll = total / n
    bpd = nll / (test_x.shape[1] * math.log(2.0))
    return {"loss": nll, "nll": nll, "bits_per_dim": bpd}


def train(train_x, test_x, epochs=10, seed=SEED, batch_size=BATCH_SIZE, lr=LR, threads=None,
          on_epoch=None):
    """Trains from scratch; calls on_epoch(record) after each epoch and returns all records."""
    if threads is not None:
        torch.set_num_threads(threads)
    model, optimizer = make_model(seed, lr=lr)
    records = []
    for epoch in range(1, epochs + 1):
        train_loss, seconds = train_epoch(model, optimizer, train_x, batch_size)
        test = evaluate(model, test_x, seed=eval_seed(seed, epoch))
        record = {"epoch": epoch, "train_loss": train_loss, "test_loss": test["loss"],
                  "test_bits_per_dim": test["bits_per_dim"], "seconds": seconds}
        records.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return records


def main(argv=None):
    return reference_common.main(PROG, __doc__, train, SEED, BATCH_SIZE, LR, argv)


if __name__ == "__main__":
    sys.exit(main())
