#!/usr/bin/python3
"""One epoch of bench/reference_vae.py's VAE under PyTorch's DistributedDataParallel (Gloo),
launched by torchrun, the way latentkit's `train --nproc` / torchrun runs split it: the global
batch (--batch-size) is cut into one contiguous shard per rank of the same seeded permutation,
DDP all-reduces and averages the gradients (its default 25 MB buckets), Adam steps on every rank.
On one rank the model is trained without the DDP wrapper, as one process would train it.

  torchrun --redirects 1 --tee 1 --nproc_per_node N bench/reference_vae_ddp.py [--limit L]

Rank 0 prints one JSON line: {"ranks", "seconds" (the epoch, evaluation excluded), "steps",
"allreduce_bytes_per_step" (DDP's gradient buckets: parameters x 4 bytes), "loss"}.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_common import load  # noqa: E402
from reference_vae import make_model  # noqa: E402


class MeanLoss(torch.nn.Module):
    """The VAE's batch-mean negative ELBO as the forward DDP wraps (its hooks need a forward)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, x):
        recon, kl = self.vae.loss_terms(x)
        return (recon + kl).mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per rank (0: cores / local ranks)")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    dist.init_process_group("gloo")
    rank, ranks = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(a.threads or max(1, len(os.sched_getaffinity(0)) // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))
    train_x, _ = load(a.data_dir, a.limit)
    model, _ = make_model(a.seed)
    # One rank is one process, as latentkit runs it (WORLD_SIZE 1 is not distributed): no DDP.
    ddp = torch.nn.parallel.DistributedDataParallel(MeanLoss(model)) if ranks > 1 else MeanLoss(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=1e-3)
    n = train_x.shape[0]
    perm = torch.randperm(n)
    steps, total = 0, 0.0
    dist.barrier()
    start = time.perf_counter()
    for begin in range(0, n, a.batch_size):
        rows = perm[begin: begin + a.batch_size]
        base, extra = divmod(rows.numel(), ranks)
        offset = rank * base + min(rank, extra)
        x = train_x[rows[offset: offset + base + (1 if rank < extra else 0)]]
        loss = ddp(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item()
        steps += 1
    seconds = time.perf_counter() - start
    if rank == 0:
        params = sum(p.numel() for p in model.parameters())
        print(json.dumps({"ranks": ranks, "seconds": seconds, "steps": steps,
                          "allreduce_bytes_per_step": params * 4 if ranks > 1 else 0, "loss": total / steps}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
